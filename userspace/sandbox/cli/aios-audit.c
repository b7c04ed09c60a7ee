// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aios-audit - the aios eBPF audit from the command line.
 *
 *   aios-audit [OPTIONS] -- CMD [ARG...]   run CMD in a fresh cgroup under
 *                                          audit, print its events
 *   aios-audit [OPTIONS] --cgroup DIR...   audit existing cgroups (and their
 *                                          descendants) until --duration
 *                                          or SIGINT
 * Prints one JSON object per event on stdout (--count: only totals) and
 * "aios-audit: exec=N open=N connect=N exit=N denied=N lost=N" on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "aios_sb_audit.h"

struct counts {
	unsigned long long n[6];
	bool print;
};

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static int on_event(void *ctx, const struct aios_audit_event *e)
{
	struct counts *c = ctx;
	char line[2048];

	if (e->type < 6)
		c->n[e->type]++;
	if (c->print) {
		aios_audit_format(e, line, sizeof(line));
		puts(line);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: aios-audit [OPTIONS] -- CMD [ARG...]\n"
"       aios-audit [OPTIONS] --cgroup DIR [--cgroup DIR...]\n"
"  --deny-net        BPF LSM: refuse inet connects from the audited cgroups\n"
"  --ring BYTES      ring buffer size (power of two, default 8388608)\n"
"  --count           print only the totals\n"
"  --duration MS     with --cgroup: stop after MS milliseconds\n"
"  --cgroup-parent DIR  where CMD's cgroup is created (/sys/fs/cgroup)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "deny-net", no_argument, NULL, 'd' },
		{ "ring", required_argument, NULL, 'r' },
		{ "count", no_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "cgroup-parent", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cgroups[16], *parent = "/sys/fs/cgroup";
	struct counts cnt = { .print = true };
	unsigned int flags = AIOS_AUDIT_TRACK, open_flags = 0;
	unsigned long duration = 0;
	int ncg = 0, c, rc, i, status = 0;
	char msg[512], mine[300] = "";
	struct aios_audit *a;
	size_t ring = 0;
	uint64_t id;
	pid_t pid = -1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			flags |= AIOS_AUDIT_DENY_NET;
			open_flags |= AIOS_AUDIT_OPEN_LSM;
			break;
		case 'r': ring = strtoull(optarg, NULL, 0); break;
		case 'c': cnt.print = false; break;
		case 't': duration = strtoul(optarg, NULL, 10); break;
		case 'g':
			if (ncg == 16)
				goto bad;
			cgroups[ncg++] = optarg;
			break;
		case 'p': parent = optarg; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if ((optind < argc) == (ncg > 0))
		goto bad;
	rc = aios_audit_open(&a, open_flags, ring, on_event, &cnt, msg,
			     sizeof(msg));
	if (rc) {
		fprintf(stderr, "aios-audit: %s\n", msg);
		return 125;
	}
	if (optind < argc) {
		snprintf(mine, sizeof(mine), "%s/aios-audit-%d", parent, getpid());
		if (mkdir(mine, 0755) < 0) {
			fprintf(stderr, "aios-audit: cannot create cgroup %s: %s\n",
				mine, strerror(errno));
			aios_audit_close(a);
			return 125;
		}
		cgroups[ncg++] = mine;
	}
	for (i = 0; i < ncg; i++) {
		rc = aios_audit_cgroup_id(cgroups[i], &id);
		if (!rc)
			rc = aios_audit_track(a, id, flags);
		if (rc) {
			fprintf(stderr, "aios-audit: cannot track %s: %s\n",
				cgroups[i], strerror(-rc));
			status = 125;
			goto out;
		}
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (optind < argc) {
		int sync[2];

		if (pipe2(sync, O_CLOEXEC) < 0)
			goto out;
		pid = fork();
		if (pid == 0) {
			char procs[320];
			int fd;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", mine);
			fd = open(procs, O_WRONLY);
			if (fd < 0 || write(fd, "0", 1) != 1) {
				fprintf(stderr, "aios-audit: joining %s: %s\n", mine,
					strerror(errno));
				_exit(125);
			}
			close(fd);
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "aios-audit: %s: %s\n", argv[optind],
				strerror(errno));
			_exit(127);
		}
		close(sync[0]);
		close(sync[1]);
	}
	{
		struct timespec t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!stop) {
			aios_audit_poll(a, 100);
			if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
				status = WIFEXITED(status) ? WEXITSTATUS(status) :
					 128 + WTERMSIG(status);
				pid = -1;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (duration && (unsigned long)((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000) >= duration)
				break;
		}
		aios_audit_poll(a, 0);
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	fflush(stdout);
	fprintf(stderr, "aios-audit: exec=%llu open=%llu connect=%llu exit=%llu "
		"denied=%llu lost=%llu\n", cnt.n[AIOS_AUDIT_EXEC],
		cnt.n[AIOS_AUDIT_OPEN], cnt.n[AIOS_AUDIT_CONNECT],
		cnt.n[AIOS_AUDIT_EXIT], cnt.n[AIOS_AUDIT_CONNECT_DENIED],
		(unsigned long long)aios_audit_lost(a));
	aios_audit_close(a);
	if (mine[0])
		rmdir(mine);
	return status;
bad:
	usage(stderr);
	return 2;
}
