// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end benchmark of aiosd: start the daemon (memory only or with a
 * store directory), run C client processes that alternate memory.put and
 * memory.get of their own keys over the socket for a fixed time, print
 * the total request rate.
 *
 * Usage: aiosd_socket_bench -a AIOSD [-c CLIENTS] [-t SECONDS] [-d DIR]
 *                           [-f always|batched|never]
 * Prints "ops_per_s N".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aiosd_client.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *aiosd = NULL, *dir = "/tmp", *fsync_pol = "batched";
	int clients = 8, secs = 3, opt, nfd, pfd[2];
	char tmp[80], sock[100], store[100], notify[100], buf[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t daemon;
	long total = 0;
	double t0, el;

	while ((opt = getopt(argc, argv, "a:c:t:d:f:")) != -1) {
		switch (opt) {
		case 'a': aiosd = optarg; break;
		case 'c': clients = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'f': fsync_pol = optarg; break;
		default:
			fprintf(stderr, "usage: %s -a AIOSD [-c N] [-t S] [-d DIR] [-f POLICY]\n", argv[0]);
			return 2;
		}
	}
	if (!aiosd || clients < 1 || clients > 256 || secs < 1) {
		fprintf(stderr, "%s: need -a path/to/aiosd, 1..256 clients, >= 1 s\n", argv[0]);
		return 2;
	}
	if (strlen(dir) > 40) {
		fprintf(stderr, "%s: directory path too long for a socket\n", argv[0]);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/aiosd-bench.XXXXXX", dir);
	if (!mkdtemp(tmp)) {
		perror(tmp);
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/s", tmp);
	snprintf(store, sizeof(store), "%s/store", tmp);
	snprintf(notify, sizeof(notify), "%s/n", tmp);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("notify socket");
		return 1;
	}
	daemon = fork();
	if (daemon == 0) {
		setenv("NOTIFY_SOCKET", notify, 1);
		setenv("AIOS_FSYNC", fsync_pol, 1);
		setenv("AIOS_DEVICE", "/nonexistent", 1);
		setenv("AIOS_LOG_LEVEL", "error", 1);
		execl(aiosd, "aiosd", "-s", sock, "-d", store, (char *)NULL);
		_exit(127);
	}
	{
		struct pollfd p = { .fd = nfd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 15000) != 1 || (n = recv(nfd, buf, sizeof(buf) - 1, 0)) <= 0) {
			fprintf(stderr, "aiosd did not become ready\n");
			kill(daemon, SIGKILL);
			return 1;
		}
	}
	if (pipe(pfd))
		return 1;
	t0 = now_s();
	for (int c = 0; c < clients; c++) {
		if (fork() == 0) {
			struct aiosd_client *cl;
			char key[64], val[64];
			long ops = 0;
			double end = t0 + secs;

			memset(val, 'v', sizeof(val));
			if (aiosd_connect(sock, &cl))
				_exit(1);
			while (now_s() < end) {
				for (int i = 0; i < 100; i++, ops += 2) {
					void *v;
					size_t vl;
					int kl = snprintf(key, sizeof(key),
							  "agent-%03d:session-0001:msg-%08ld", c, ops % 10000);

					if (aiosd_mem_put(cl, key, (size_t)kl, val, sizeof(val), NULL) ||
					    aiosd_mem_get(cl, key, (size_t)kl, &v, &vl))
						_exit(1);
					free(v);
				}
			}
			if (write(pfd[1], &ops, sizeof(ops)) != sizeof(ops))
				_exit(1);
			_exit(0);
		}
	}
	close(pfd[1]);
	for (int c = 0; c < clients; c++) {
		long ops;
		int st;

		if (read(pfd[0], &ops, sizeof(ops)) == sizeof(ops))
			total += ops;
		wait(&st);
	}
	el = now_s() - t0;
	kill(daemon, SIGTERM);
	waitpid(daemon, NULL, 0);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", tmp);
	if (system(buf))
		fprintf(stderr, "could not remove %s\n", tmp);
	printf("ops_per_s %.0f\n", (double)total / el);
	return total > 0 ? 0 : 1;
}
