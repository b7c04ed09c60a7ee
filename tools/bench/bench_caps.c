// SPDX-License-Identifier: GPL-2.0
/*
 * bench_caps - cost of a capability-checked, audited aios ioctl
 * (AIOS_IOC_CAPS op=CHECK) against the bare ioctl path (AIOS_IOC_NOOP)
 * on one registered agent, with getppid() as a plain syscall reference.
 *
 * Every operation is timed in rounds of N back-to-back calls, clocked in
 * batches of BATCH calls; the reported per-op cost is the median batch
 * cost over all rounds (robust against preemption on a busy host).
 * Separately, calls are timed one by one for the p50/p99 latency (those
 * include one clock read).  Rounds of the three operations are
 * interleaved so that drift hits all alike.
 *
 *   bench_caps [--json PATH] [--iters N] [--rounds R] [--warmup W]
 *              [--samples S] [--vm true|false]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <aios.h>

enum { OP_NOOP, OP_CHECK, OP_GETPPID, NOPS };

#define BATCH 1000	/* calls per clock reading in the throughput rounds */

static const char *const op_names[NOPS] = {
	"noop_ioctl", "checked_ioctl", "getppid",
};

static const char *const op_desc[NOPS] = {
	"AIOS_IOC_NOOP (argument validation only)",
	"AIOS_IOC_CAPS op=CHECK (capability check + audit record)",
	"getppid() syscall (reference)",
};

struct bench {
	int fd;
	struct aios_noop noop;
	struct aios_caps check;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One call; returns 0 or -errno (the benchmark stops on any failure). */
static inline int one(struct bench *b, int op)
{
	switch (op) {
	case OP_NOOP:
		return ioctl(b->fd, AIOS_IOC_NOOP, &b->noop) ? -errno : 0;
	case OP_CHECK:
		b->check.op = AIOS_CAPS_CHECK;
		return ioctl(b->fd, AIOS_IOC_CAPS, &b->check) ? -errno : 0;
	default:
		return getppid() > 0 ? 0 : -EIO;
	}
}

/* n calls (a multiple of BATCH); per-op cost of each batch into out[]. */
static int run_round(struct bench *b, int op, long n, double *out)
{
	uint64_t t0, t1;
	long i, k;
	int ret;

	for (k = 0; k < n / BATCH; k++) {
		t0 = now_ns();
		for (i = 0; i < BATCH; i++) {
			ret = one(b, op);
			if (ret)
				return ret;
		}
		t1 = now_ns();
		if (out)
			out[k] = (double)(t1 - t0) / BATCH;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t pct(const uint64_t *sorted, long n, double p)
{
	long i = (long)(p / 100.0 * (n - 1) + 0.5);

	return sorted[i];
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "bench_caps: bad %s \"%s\" (%ld..%ld)\n", what, s,
			min, max);
		exit(2);
	}
	return v;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *p = strchr(line, ':');

			if (p) {
				p += 2;
				p[strcspn(p, "\n")] = '\0';
				snprintf(buf, len, "%s", p);
			}
			break;
		}
	}
	fclose(f);
}

/* JSON string body with quotes and backslashes escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

int main(int argc, char **argv)
{
	long iters = 200000, warmup = 20000, samples = 50000;
	int rounds = 7, r, op, i, ret;
	const char *json = NULL, *vm = NULL;
	double *per[NOPS], med[NOPS], ratio, ratio_sys;
	long nb;
	uint64_t p50[NOPS], p99[NOPS], *lat, t0;
	struct bench b = { 0 };
	struct aios *h;
	struct utsname u;
	char model[256];
	uint64_t id;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench_caps [--json PATH] [--iters N] [--rounds R] [--warmup W] [--samples S] [--vm true|false]\n");
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench_caps: %s needs a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--json"))
			json = argv[++i];
		else if (!strcmp(argv[i], "--iters"))
			iters = parse_long(argv[++i], "iteration count", 1000, 100000000);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = parse_long(argv[++i], "round count", 1, 64);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = parse_long(argv[++i], "warm-up count", 0, 100000000);
		else if (!strcmp(argv[i], "--samples"))
			samples = parse_long(argv[++i], "sample count", 100, 10000000);
		else if (!strcmp(argv[i], "--vm"))
			vm = argv[++i];
		else {
			fprintf(stderr, "bench_caps: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (vm && strcmp(vm, "true") && strcmp(vm, "false")) {
		fprintf(stderr, "bench_caps: --vm takes true or false\n");
		return 2;
	}

	h = aios_new();
	if (!h || aios_open(h) || aios_register(h, "bench-caps",
						 AIOS_PRIO_NORMAL, &id)) {
		fprintf(stderr, "bench_caps: %s\n", aios_errmsg(h));
		return 1;
	}
	b.fd = aios_fd(h);
	b.noop.size = sizeof(b.noop);
	b.check.size = sizeof(b.check);
	b.check.caps = AIOS_CAP_SPAWN_AGENT;	/* held: the allowed path */

	iters = (iters + BATCH - 1) / BATCH * BATCH;
	warmup = (warmup + BATCH - 1) / BATCH * BATCH;
	nb = iters / BATCH;
	for (op = 0; op < NOPS; op++) {
		per[op] = malloc(rounds * nb * sizeof(double));
		if (!per[op]) {
			fprintf(stderr, "bench_caps: out of memory\n");
			return 1;
		}
		ret = run_round(&b, op, warmup, NULL);
		if (ret) {
			fprintf(stderr, "bench_caps: %s failed: %s\n",
				op_names[op], strerror(-ret));
			return 1;
		}
	}
	for (r = 0; r < rounds; r++) {
		for (op = 0; op < NOPS; op++) {
			ret = run_round(&b, op, iters, per[op] + r * nb);
			if (ret) {
				fprintf(stderr, "bench_caps: %s failed: %s\n",
					op_names[op], strerror(-ret));
				return 1;
			}
		}
	}
	lat = malloc(samples * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "bench_caps: out of memory\n");
		return 1;
	}
	for (op = 0; op < NOPS; op++) {
		for (i = 0; i < samples; i++) {
			t0 = now_ns();
			one(&b, op);
			lat[i] = now_ns() - t0;
		}
		qsort(lat, samples, sizeof(*lat), cmp_u64);
		p50[op] = pct(lat, samples, 50);
		p99[op] = pct(lat, samples, 99);
		med[op] = median(per[op], rounds * nb);
		free(per[op]);
	}
	free(lat);
	ratio = med[OP_CHECK] / med[OP_NOOP];
	ratio_sys = med[OP_NOOP] / med[OP_GETPPID];
	uname(&u);
	cpu_model(model, sizeof(model));

	printf("caps: %ld iterations x %d rounds (median of %d-call batches), %ld timed samples; kernel %s%s\n",
	       iters, rounds, BATCH, samples, u.release,
	       vm && !strcmp(vm, "true") ? " (VM)" : "");
	printf("%-15s %12s %10s %10s  %s\n", "operation", "ns/op", "p50 ns",
	       "p99 ns", "what");
	for (op = 0; op < NOPS; op++)
		printf("%-15s %12.1f %10llu %10llu  %s\n", op_names[op], med[op],
		       (unsigned long long)p50[op],
		       (unsigned long long)p99[op], op_desc[op]);
	printf("ratio checked_ioctl_vs_noop   %.3f  (checked / noop)\n", ratio);
	printf("ratio noop_ioctl_vs_getppid   %.3f  (aios ioctl entry / plain syscall)\n",
	       ratio_sys);

	if (!json)
		goto out;
	f = fopen(json, "w");
	if (!f) {
		fprintf(stderr, "bench_caps: cannot write %s: %s\n", json,
			strerror(errno));
		return 1;
	}
	fprintf(f, "{\"category\": \"caps\", \"env\": {\"kernel\": ");
	json_str(f, u.release);
	fprintf(f, ", \"vm\": %s, \"cpu\": ", vm ? vm : "false");
	json_str(f, model);
	fprintf(f, ", \"cpus\": %ld, \"iterations\": %ld, \"rounds\": %d, \"warmup\": %ld, \"samples\": %ld, \"batch\": %d, \"clock\": \"CLOCK_MONOTONIC\"},\n",
		sysconf(_SC_NPROCESSORS_ONLN), iters, rounds, warmup, samples,
		BATCH);
	fprintf(f, " \"results\": [\n");
	for (op = 0; op < NOPS; op++) {
		fprintf(f, "  {\"name\": \"%s\", \"value\": %.2f, \"unit\": \"ns/op\"},\n",
			op_names[op], med[op]);
		fprintf(f, "  {\"name\": \"%s_p50\", \"value\": %llu, \"unit\": \"ns\"},\n",
			op_names[op], (unsigned long long)p50[op]);
		fprintf(f, "  {\"name\": \"%s_p99\", \"value\": %llu, \"unit\": \"ns\"}%s\n",
			op_names[op], (unsigned long long)p99[op],
			op == NOPS - 1 ? "" : ",");
	}
	fprintf(f, " ],\n \"ratios\": {\"checked_ioctl_vs_noop\": %.4f, \"noop_ioctl_vs_getppid\": %.4f}}\n",
		ratio, ratio_sys);
	if (fclose(f)) {
		fprintf(stderr, "bench_caps: writing %s failed\n", json);
		return 1;
	}
	printf("wrote %s\n", json);
out:
	aios_close(h);
	return 0;
}
