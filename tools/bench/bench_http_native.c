// SPDX-License-Identifier: GPL-2.0
/*
 * bench_http_native - the "native" side of the http benchmark
 * (tools/bench/http.sh): the two working-set operations the HTTP front
 * serves, GET and patch, sent straight to aiosd's socket with
 * libaiosd_client, from C concurrent clients (one thread and one
 * connection each, closed loop: the next request leaves when the reply
 * is in).  Timing starts WARMUP_S after every client has set up its run.
 *
 * Every client owns its own run (PREFIX-<n>, created if missing with the
 * given fsync policy; GET clients first store DOC in it once); patch clients send workset.put with the seq of
 * their last reply as expected_seq, so ESTALE (the HTTP 409) only
 * happens when something else touched the run; those are counted, the
 * client re-bases on the reply's current_seq and goes on.
 *
 * usage: bench_http_native -s SOCKET -D DOC.json [-o get|patch]
 *        [-c CLIENTS] [-t SECONDS] [-w WARMUP_S] [-p RUN_PREFIX]
 *        [-f always|group|none]
 * Prints one JSON object: {"op","clients","seconds","requests","rps",
 * "p50_us","p99_us","stale","errors"}.  Exit status 1 on any error reply
 * other than ESTALE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aiosd_client.h"

#define MAX_CLIENTS 1024

struct opts {
	const char *sock, *docfile, *prefix, *fsync;
	bool patch;
	int clients;
	double secs, warmup;
};

struct worker {
	pthread_t tid;
	int idx;
	const struct opts *o;
	json_t *doc;		/* the client's own copy (step is rewritten) */
	uint32_t *lat_us;	/* latencies of measured requests */
	size_t n, cap;
	long stale, errors;
	char err[300];
};

static atomic_int phase;	/* 0 warm-up, 1 measuring, 2 stop */
static double t_measure;
/* every client and main: the warm-up starts when every run is set up */
static pthread_barrier_t ready;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* aiosd_call that owns req (NULL: out of memory). */
static int call(struct aiosd_client *c, json_t *req, json_t **rep)
{
	int rc;

	if (!req)
		return -ENOMEM;
	rc = aiosd_call(c, req, rep);
	json_decref(req);
	return rc;
}

static int record(struct worker *w, double t0, double t1)
{
	/* phase 1 is stored after t_measure: read it only after the phase */
	if (atomic_load(&phase) != 1 || t0 < t_measure)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4096;
		uint32_t *p = realloc(w->lat_us, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->lat_us = p;
		w->cap = cap;
	}
	w->lat_us[w->n++] = (uint32_t)((t1 - t0) * 1e6 + 0.5);
	return 0;
}

/* run.create PREFIX-idx unless it exists; returns its current seq. */
static int setup_run(struct worker *w, struct aiosd_client *c, const char *run,
		     uint64_t *seq)
{
	json_t *rep = NULL;
	int rc;

	rc = call(c, json_pack("{s:s, s:s, s:s}", "op", "run.create",
				     "run", run, "fsync", w->o->fsync), &rep);
	json_decref(rep);
	rep = NULL;
	if (rc && rc != -EEXIST) {
		snprintf(w->err, sizeof(w->err), "run.create %s: %s", run,
			 aiosd_client_error(c));
		return rc;
	}
	rc = call(c, json_pack("{s:s, s:s}", "op", "workset.get", "run", run),
			&rep);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "workset.get %s: %s", run,
			 aiosd_client_error(c));
		json_decref(rep);
		return rc;
	}
	*seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	json_decref(rep);
	if (w->o->patch)
		return 0;
	/* GET clients read the benchmark document, not the initial one */
	rep = NULL;
	rc = call(c, json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.put", "run", run,
			       "expected_seq", (json_int_t)*seq, "doc", w->doc), &rep);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "workset.put %s: %s", run,
			 aiosd_client_error(c));
		json_decref(rep);
		return rc;
	}
	*seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	json_decref(rep);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct aiosd_client *c = NULL;
	char run[96];
	uint64_t seq = 0;
	int rc;

	snprintf(run, sizeof(run), "%s-%d", w->o->prefix, w->idx);
	rc = aiosd_connect(w->o->sock, &c);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "connect %s: %s", w->o->sock,
			 strerror(-rc));
		w->errors++;
		pthread_barrier_wait(&ready);
		return NULL;
	}
	rc = setup_run(w, c, run, &seq);
	pthread_barrier_wait(&ready);
	if (rc) {
		w->errors++;
		aiosd_close(c);
		return NULL;
	}
	while (atomic_load(&phase) != 2) {
		json_t *req, *rep = NULL;
		double t0, t1;

		if (w->o->patch) {
			json_object_set_new(w->doc, "step", json_integer((json_int_t)seq + 1));
			req = json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.put",
					"run", run, "expected_seq", (json_int_t)seq,
					"doc", w->doc);
		} else {
			req = json_pack("{s:s, s:s}", "op", "workset.get", "run", run);
		}
		t0 = now_s();
		rc = call(c, req, &rep);
		t1 = now_s();
		if (rc == -ESTALE) {
			json_t *cur = json_object_get(json_object_get(rep, "error"),
						      "current_seq");

			w->stale++;
			seq = (uint64_t)json_integer_value(cur);
		} else if (rc) {
			snprintf(w->err, sizeof(w->err), "%s %s: %s",
				 w->o->patch ? "workset.put" : "workset.get", run,
				 aiosd_client_error(c));
			w->errors++;
			json_decref(rep);
			break;
		} else {
			seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
		}
		json_decref(rep);
		if (record(w, t0, t1)) {
			snprintf(w->err, sizeof(w->err), "out of memory");
			w->errors++;
			break;
		}
	}
	aiosd_close(c);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -s SOCKET -D DOC.json [-o get|patch] [-c CLIENTS] [-t SECONDS]\n"
		"       [-w WARMUP_S] [-p RUN_PREFIX] [-f always|group|none]\n", prog);
}

int main(int argc, char **argv)
{
	struct opts o = { .prefix = "hbench", .fsync = "none", .clients = 64,
			  .secs = 3, .warmup = 0.5 };
	struct worker *w;
	json_error_t je;
	json_t *doc;
	uint32_t *all;
	size_t total = 0, k = 0;
	long stale = 0, errors = 0;
	double el;
	int opt;

	while ((opt = getopt(argc, argv, "s:D:o:c:t:w:p:f:h")) != -1) {
		switch (opt) {
		case 's': o.sock = optarg; break;
		case 'D': o.docfile = optarg; break;
		case 'o':
			if (strcmp(optarg, "get") && strcmp(optarg, "patch")) {
				fprintf(stderr, "%s: -o must be get or patch, not '%s'\n",
					argv[0], optarg);
				return 2;
			}
			o.patch = !strcmp(optarg, "patch");
			break;
		case 'c': o.clients = atoi(optarg); break;
		case 't': o.secs = atof(optarg); break;
		case 'w': o.warmup = atof(optarg); break;
		case 'p': o.prefix = optarg; break;
		case 'f': o.fsync = optarg; break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!o.sock || !o.docfile || optind != argc) {
		usage(argv[0]);
		return 2;
	}
	if (o.clients < 1 || o.clients > MAX_CLIENTS || o.secs <= 0 || o.warmup < 0) {
		fprintf(stderr, "%s: need 1..%d clients, seconds > 0, warm-up >= 0\n",
			argv[0], MAX_CLIENTS);
		return 2;
	}
	doc = json_load_file(o.docfile, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], o.docfile,
			doc ? "not a JSON object" : je.text);
		return 2;
	}
	w = calloc((size_t)o.clients, sizeof(*w));
	if (!w)
		return 1;
	t_measure = 1e300;
	if (pthread_barrier_init(&ready, NULL, (unsigned int)o.clients + 1)) {
		fprintf(stderr, "%s: pthread_barrier_init failed\n", argv[0]);
		return 1;
	}
	for (int i = 0; i < o.clients; i++) {
		w[i].idx = i;
		w[i].o = &o;
		w[i].doc = json_deep_copy(doc);
		if (!w[i].doc || pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "%s: cannot start client %d\n", argv[0], i);
			return 1;
		}
	}
	pthread_barrier_wait(&ready);
	sleep_s(o.warmup);
	t_measure = now_s();
	atomic_store(&phase, 1);
	sleep_s(o.secs);
	atomic_store(&phase, 2);
	el = now_s() - t_measure;
	for (int i = 0; i < o.clients; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].n;
		stale += w[i].stale;
		errors += w[i].errors;
		if (w[i].err[0])
			fprintf(stderr, "%s: client %d: %s\n", argv[0], i, w[i].err);
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return 1;
	for (int i = 0; i < o.clients; i++) {
		if (w[i].n)
			memcpy(all + k, w[i].lat_us, w[i].n * sizeof(*all));
		k += w[i].n;
		free(w[i].lat_us);
		json_decref(w[i].doc);
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("{\"op\":\"%s\",\"clients\":%d,\"seconds\":%.3f,\"requests\":%zu,"
	       "\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"stale\":%ld,\"errors\":%ld}\n",
	       o.patch ? "patch" : "get", o.clients, el, total, (double)total / el,
	       total ? all[total / 2] : 0, total ? all[(size_t)((double)total * 0.99)] : 0,
	       stale, errors);
	free(all);
	free(w);
	json_decref(doc);
	return errors || !total ? 1 : 0;
}
