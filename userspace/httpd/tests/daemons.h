/* SPDX-License-Identifier: GPL-2.0 */
/* Starting aiosd and aios-httpd for the tests; raw aiosd requests. */
#ifndef HTTPD_TEST_DAEMONS_H
#define HTTPD_TEST_DAEMONS_H

#include "httpc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

static inline void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static inline void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static inline pid_t spawn(char *const argv[], char *const env[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static inline bool wait_for(const char *path, int port)
{
	for (int i = 0; i < 3000; i++) {
		int fd = port ? hc_tcp(port) : hc_unix(path);

		if (fd >= 0) {
			close(fd);
			return true;
		}
		msleep(10);
	}
	return false;
}

static inline void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

/* A request to aiosd itself (as the test process). */
static inline json_t *aiosd_call_raw(const char *sock, json_t *req)
{
	int fd = hc_unix(sock);
	char *s, hdr[4], *buf;
	uint32_t n, len;
	json_t *r = NULL;

	json_object_set_new(req, "v", json_integer(1));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (fd < 0 || !s)
		goto out;
	n = (uint32_t)strlen(s);
	hdr[0] = (char)(n >> 24);
	hdr[1] = (char)(n >> 16);
	hdr[2] = (char)(n >> 8);
	hdr[3] = (char)n;
	if (hc_send_all(fd, hdr, 4) || hc_send_all(fd, s, n) || recv(fd, hdr, 4, MSG_WAITALL) != 4)
		goto out;
	len = (uint32_t)(uint8_t)hdr[0] << 24 | (uint32_t)(uint8_t)hdr[1] << 16 |
	      (uint32_t)(uint8_t)hdr[2] << 8 | (uint8_t)hdr[3];
	buf = malloc(len);
	if (buf && recv(fd, buf, len, MSG_WAITALL) == (ssize_t)len)
		r = json_loadb(buf, len, 0, NULL);
	free(buf);
out:
	free(s);
	if (fd >= 0)
		close(fd);
	return r;
}

#endif
