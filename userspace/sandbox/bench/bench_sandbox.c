// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_sandbox - latency of running /bin/true: plain fork+exec, bwrap
 * --unshare-all with a comparable root view and the same seccomp filter,
 * the aios sandbox cold (zygote created per call) and warm (a pre-created
 * zygote from the pool; the pool is refilled between calls, untimed).
 * Every call is timed end to end, cleanup included; medians are reported.
 *
 *   bench_sandbox [--iters N] [--json FILE] [--vm true|false]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "aios_sandbox.h"
#include "sb_seccomp.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int spawn_wait(char *const *argv, int keep_fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* bwrap with the aios seccomp filter on fd sfd (rewound before each run). */
static int bwrap_once(int sfd, const char *scratch)
{
	char fdbuf[16];
	char *argv[64];
	int n = 0;

	lseek(sfd, 0, SEEK_SET);
	snprintf(fdbuf, sizeof(fdbuf), "%d", sfd);
	argv[n++] = "/usr/bin/bwrap";
	argv[n++] = "--unshare-all";
	argv[n++] = "--die-with-parent";
	argv[n++] = "--new-session";
	argv[n++] = "--ro-bind"; argv[n++] = "/usr"; argv[n++] = "/usr";
	argv[n++] = "--symlink"; argv[n++] = "usr/bin"; argv[n++] = "/bin";
	argv[n++] = "--symlink"; argv[n++] = "usr/sbin"; argv[n++] = "/sbin";
	argv[n++] = "--symlink"; argv[n++] = "usr/lib"; argv[n++] = "/lib";
	argv[n++] = "--symlink"; argv[n++] = "usr/lib64"; argv[n++] = "/lib64";
	argv[n++] = "--ro-bind"; argv[n++] = "/etc/ld.so.cache";
	argv[n++] = "/etc/ld.so.cache";
	argv[n++] = "--ro-bind"; argv[n++] = "/etc/passwd"; argv[n++] = "/etc/passwd";
	argv[n++] = "--ro-bind"; argv[n++] = "/etc/group"; argv[n++] = "/etc/group";
	argv[n++] = "--proc"; argv[n++] = "/proc";
	argv[n++] = "--dev"; argv[n++] = "/dev";
	argv[n++] = "--tmpfs"; argv[n++] = "/tmp";
	argv[n++] = "--bind"; argv[n++] = (char *)scratch; argv[n++] = "/scratch";
	argv[n++] = "--chdir"; argv[n++] = "/scratch";
	argv[n++] = "--hostname"; argv[n++] = "aios-sandbox";
	argv[n++] = "--cap-drop"; argv[n++] = "ALL";
	argv[n++] = "--seccomp"; argv[n++] = fdbuf;
	argv[n++] = "/bin/true";
	argv[n] = NULL;
	return spawn_wait(argv, sfd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "json", required_argument, NULL, 'j' },
		{ "vm", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct aios_sb_config cfg = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	const char *tv[] = { "/bin/true", NULL };
	struct aios_sb_request rq = { .argv = tv };
	double *t, plain, bwrap, cold, warm, sustained, t0;
	const char *json = NULL, *vm = "false";
	char msg[512], scratch[] = "/tmp/bench-sb-XXXXXX";
	struct aios_sb_result res;
	struct sock_fprog prog;
	struct aios_sb *sb;
	struct utsname u;
	int iters = 200, i, c, sfd;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': iters = atoi(optarg); break;
		case 'j': json = optarg; break;
		case 'v': vm = optarg; break;
		default:
			fprintf(stderr, "usage: bench_sandbox [--iters N] [--json F] "
				"[--vm true|false]\n");
			return 2;
		}
	}
	if (iters < 5)
		iters = 5;
	t = calloc(iters, sizeof(*t));
	if (!t || !mkdtemp(scratch))
		return 1;
	chmod(scratch, 0777);

	/* 1. plain fork + exec */
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (spawn_wait((char *[]){ "/bin/true", NULL }, -1)) {
			fprintf(stderr, "bench_sandbox: /bin/true failed\n");
			return 1;
		}
		t[i] = now_us() - t0;
	}
	plain = median(t, iters);
	fprintf(stderr, "fork+exec done: %.1f us\n", plain);

	/* 2. bwrap with the same seccomp filter */
	if (sb_seccomp_build(false, &prog, msg, sizeof(msg))) {
		fprintf(stderr, "bench_sandbox: %s\n", msg);
		return 1;
	}
	sfd = memfd_create("seccomp", 0);
	if (sfd < 0 || write(sfd, prog.filter, prog.len * sizeof(*prog.filter)) < 0)
		return 1;
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		c = bwrap_once(sfd, scratch);
		t[i] = now_us() - t0;
		if (c) {
			fprintf(stderr, "bench_sandbox: bwrap failed (%d)\n", c);
			return 1;
		}
	}
	bwrap = median(t, iters);
	fprintf(stderr, "bwrap done: %.1f us\n", bwrap);

	/* 3. aios cold */
	if (aios_sb_open(&cfg, &sb, msg, sizeof(msg))) {
		fprintf(stderr, "bench_sandbox: %s\n", msg);
		return 1;
	}
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		c = aios_sb_run(sb, &rq, &res);
		t[i] = now_us() - t0;
		if (c || !res.exited || res.exit_code || res.warm) {
			fprintf(stderr, "bench_sandbox: cold run failed: %s\n",
				aios_sb_errmsg(sb));
			return 1;
		}
		aios_sb_result_free(&res);
	}
	cold = median(t, iters);
	fprintf(stderr, "aios cold done: %.1f us\n", cold);
	aios_sb_close(sb);

	/* 4. aios warm: a ready zygote per call */
	cfg.pool_size = 2;
	if (aios_sb_open(&cfg, &sb, msg, sizeof(msg))) {
		fprintf(stderr, "bench_sandbox: %s\n", msg);
		return 1;
	}
	for (i = 0; i < iters; i++) {
		if (aios_sb_pool_wait(sb, 10000)) {
			fprintf(stderr, "bench_sandbox: the pool does not fill\n");
			return 1;
		}
		t0 = now_us();
		c = aios_sb_run(sb, &rq, &res);
		t[i] = now_us() - t0;
		if (c || !res.exited || res.exit_code || !res.warm) {
			fprintf(stderr, "bench_sandbox: warm run failed: %s\n",
				c ? aios_sb_errmsg(sb) : "not warm");
			return 1;
		}
		aios_sb_result_free(&res);
	}
	warm = median(t, iters);
	fprintf(stderr, "aios warm done: %.1f us\n", warm);
	/* Back to back (the pool refills concurrently): throughput view. */
	aios_sb_pool_wait(sb, 10000);
	t0 = now_us();
	for (i = 0; i < iters; i++) {
		if (aios_sb_run(sb, &rq, &res))
			return 1;
		aios_sb_result_free(&res);
	}
	sustained = (now_us() - t0) / iters;
	aios_sb_close(sb);
	rmdir(scratch);

	printf("%-34s %12s\n", "sandbox: /bin/true latency", "median us");
	printf("%-34s %12.1f\n", "fork+exec (no isolation)", plain);
	printf("%-34s %12.1f\n", "bwrap --unshare-all + seccomp", bwrap);
	printf("%-34s %12.1f\n", "aios sandbox, cold", cold);
	printf("%-34s %12.1f\n", "aios sandbox, warm pool", warm);
	printf("%-34s %12.1f\n", "aios sandbox, back-to-back (mean)", sustained);
	printf("%-34s %12.3f  (target <= 0.5)\n", "ratio warm / bwrap", warm / bwrap);
	printf("%-34s %12.3f  (target <= 1.0)\n", "ratio cold / bwrap", cold / bwrap);
	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f) {
		fprintf(stderr, "bench_sandbox: %s: %s\n", json, strerror(errno));
		return 1;
	}
	uname(&u);
	fprintf(f, "{\"category\": \"sandbox\", \"env\": {\"kernel\": \"%s\", "
		"\"vm\": %s, \"iters\": %d, \"cpus\": %ld},\n \"results\": [\n"
		"  {\"name\": \"fork_exec_true\", \"value\": %.1f, \"unit\": \"us\"},\n"
		"  {\"name\": \"bwrap_true\", \"value\": %.1f, \"unit\": \"us\"},\n"
		"  {\"name\": \"aios_cold_true\", \"value\": %.1f, \"unit\": \"us\"},\n"
		"  {\"name\": \"aios_warm_true\", \"value\": %.1f, \"unit\": \"us\"},\n"
		"  {\"name\": \"aios_back_to_back_true\", \"value\": %.1f, \"unit\": \"us\"}\n"
		" ],\n \"ratios\": {\"spawn_warm_vs_bwrap\": %.3f, "
		"\"spawn_cold_vs_bwrap\": %.3f, \"spawn_warm_vs_fork_exec\": %.3f}}\n",
		u.release, vm, iters, sysconf(_SC_NPROCESSORS_ONLN), plain, bwrap,
		cold, warm, sustained, warm / bwrap, cold / bwrap, warm / plain);
	fclose(f);
	return 0;
}
