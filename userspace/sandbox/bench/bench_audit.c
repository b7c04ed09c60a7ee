// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_audit - overhead of the eBPF audit on an exec/open-heavy workload:
 * 2,000 fork+exec of /bin/true and 100,000 open+close (of a tmpfs file),
 * run in a cgroup that is tracked (audit loaded, events consumed by a
 * thread as aiosd would) or not (no BPF loaded), in interleaved slices.
 *
 *   bench_audit [--slices N] [--execs N] [--opens N] [--json F] [--vm B]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "aios_sb_audit.h"

static int execs = 2000, opens = 100000;
/* A file on tmpfs: the opens measure the audit, not a network fs. */
static char open_path[] = "/tmp/aios-bench-audit-XXXXXX";
static atomic_ullong events;
static atomic_int stop_consumer;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count(void *ctx, const struct aios_audit_event *e)
{
	(void)ctx;
	(void)e;
	atomic_fetch_add(&events, 1);
	return 0;
}

static void *consumer(void *arg)
{
	struct aios_audit *a = arg;

	while (!atomic_load(&stop_consumer))
		aios_audit_poll(a, 20);
	aios_audit_poll(a, 0);
	return NULL;
}

/* The workload, in a child that first joins the cgroup. */
static double workload(const char *cg)
{
	char procs[512];
	double t0 = now_s();
	int status, i, fd;
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid = fork();
	if (pid == 0) {
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(10);
		close(fd);
		fd = open("/dev/null", O_WRONLY);
		for (i = 0; i < execs; i++) {
			pid_t p = fork();

			if (p == 0) {
				dup2(fd, 1);
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (p < 0 || waitpid(p, &status, 0) != p || status)
				_exit(11);
		}
		for (i = 0; i < opens; i++) {
			int o = open(open_path, O_RDONLY | O_CLOEXEC);

			if (o < 0)
				_exit(12);
			close(o);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status) {
		fprintf(stderr, "bench_audit: workload failed (status %d)\n", status);
		exit(1);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "slices", required_argument, NULL, 's' },
		{ "reload", no_argument, NULL, 'R' },
		{ "execs", required_argument, NULL, 'e' },
		{ "opens", required_argument, NULL, 'o' },
		{ "json", required_argument, NULL, 'j' },
		{ "vm", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL, *vm = "false";
	double sum_off = 0, sum_on = 0, moff, mon, frac;
	unsigned long long lost = 0, ev = 0, expect_min;
	int slices = 10, c, i;
	bool reload = false;
	struct aios_audit *a;
	char cg[128], msg[512];
	pthread_t th;
	struct utsname u;
	uint64_t id;
	FILE *f;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': slices = atoi(optarg); break;
		case 'R': reload = true; break;
		case 'e': execs = atoi(optarg); break;
		case 'o': opens = atoi(optarg); break;
		case 'j': json = optarg; break;
		case 'v': vm = optarg; break;
		default:
			fprintf(stderr, "usage: bench_audit [--slices N] [--reload] [--execs N] "
				"[--opens N] [--json F] [--vm true|false]\n");
			return 2;
		}
	}
	if (slices < 1 || slices > 1000)
		slices = 10;
	c = mkstemp(open_path);
	if (c < 0) {
		fprintf(stderr, "bench_audit: %s: %s\n", open_path, strerror(errno));
		return 1;
	}
	close(c);
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/aios-bench-audit-%d", getpid());
	if (mkdir(cg, 0755) < 0 || aios_audit_cgroup_id(cg, &id)) {
		fprintf(stderr, "bench_audit: cgroup %s: %s\n", cg, strerror(errno));
		return 1;
	}
	/*
	 * The work is cut into slices; each slice runs once with the audit
	 * off and once on, in alternating order, so that drift (page cache,
	 * a noisy neighbour, an emulated CPU) hits both conditions alike.
	 * "toggle" (default): the programs stay attached, off = the cgroup
	 * is not tracked (what an unaudited process pays); "reload": off =
	 * no BPF loaded at all (attaching patches kernel text, which an
	 * emulated CPU pays for by retranslating: noisy under TCG).
	 */
	{
		int e = execs, o = opens;

		execs = e / slices;
		opens = o / slices;
		if (!reload && (aios_audit_open(&a, 0, 0, count, NULL, msg,
						sizeof(msg)))) {
			fprintf(stderr, "bench_audit: %s\n", msg);
			goto fail;
		}
		workload(cg);	/* warm-up, not counted */
		for (i = 0; i < slices; i++) {
			for (c = 0; c < 2; c++) {
				bool audit_on = (c == 0) == (i % 2 == 1);

				if (!audit_on) {
					sum_off += workload(cg);
					continue;
				}
				if ((reload && aios_audit_open(&a, 0, 0, count, NULL,
							       msg, sizeof(msg))) ||
				    aios_audit_track(a, id, AIOS_AUDIT_TRACK)) {
					fprintf(stderr, "bench_audit: %s\n", msg);
					goto fail;
				}
				atomic_store(&events, 0);
				atomic_store(&stop_consumer, 0);
				pthread_create(&th, NULL, consumer, a);
				sum_on += workload(cg);
				atomic_store(&stop_consumer, 1);
				pthread_join(th, NULL);
				ev += atomic_load(&events);
				aios_audit_untrack(a, id);
				if (reload) {
					lost += aios_audit_lost(a);
					aios_audit_close(a);
				}
			}
			fprintf(stderr, "slice %d/%d: off %.3f s, on %.3f s so far, "
				"events %llu\n", i + 1, slices, sum_off, sum_on, ev);
		}
		if (!reload) {
			lost = aios_audit_lost(a);
			aios_audit_close(a);
		}
		execs = e;
		opens = o;
	}
	rmdir(cg);
	unlink(open_path);
	moff = sum_off;
	mon = sum_on;
	frac = (mon - moff) / moff;
	/* Sanity: at least one exec, one exit and one open per iteration. */
	expect_min = (unsigned long long)slices * (2ULL * (execs / slices) +
						    opens / slices);
	printf("%d exec + %d open, audit off/on (%s), %d slices: total time\n",
	       execs, opens, reload ? "off = not loaded" : "off = not tracked",
	       slices);
	printf("%-40s %12.3f s\n", "audit off", moff);
	printf("%-40s %12.3f s\n", "audit on (events consumed)", mon);
	printf("%-40s %12.4f  (target <= 0.05)\n", "overhead fraction", frac);
	printf("%-40s %12llu  (target 0)\n", "lost events", lost);
	printf("%-40s %12llu\n", "events delivered", ev);
	if (ev + lost < expect_min) {
		fprintf(stderr, "bench_audit: only %llu events for %llu expected\n",
			ev + lost, expect_min);
		return 1;
	}
	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f)
		return 1;
	uname(&u);
	fprintf(f, "{\"category\": \"audit\", \"env\": {\"kernel\": \"%s\", "
		"\"vm\": %s, \"slices\": %d, \"execs\": %d, \"opens\": %d, "
		"\"off\": \"%s\"},\n"
		" \"results\": [\n"
		"  {\"name\": \"workload_audit_off\", \"value\": %.4f, \"unit\": \"s\"},\n"
		"  {\"name\": \"workload_audit_on\", \"value\": %.4f, \"unit\": \"s\"},\n"
		"  {\"name\": \"overhead_fraction\", \"value\": %.4f, \"unit\": \"fraction\"},\n"
		"  {\"name\": \"lost_events\", \"value\": %llu, \"unit\": \"events\"},\n"
		"  {\"name\": \"events_delivered\", \"value\": %llu, \"unit\": \"events\"}\n"
		" ],\n \"ratios\": {\"audit_on_vs_off\": %.4f}}\n",
		u.release, vm, slices, execs, opens, reload ? "not loaded" :
		"not tracked", moff, mon, frac, lost, ev,
		mon / moff);
	fclose(f);
	return 0;
fail:
	rmdir(cg);
	unlink(open_path);
	return 1;
}
