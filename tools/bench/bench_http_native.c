// SPDX-License-Identifier: GPL-2.0
/*
 * bench_http_native - the "native" side of the http benchmark
 * (tools/bench/http.sh): the two working-set operations the HTTP front
 * serves, GET and patch, sent straight to aiosd's socket.
 *
 * CLIENTS connections (default 64), each with exactly one request in
 * flight (closed loop: the next request leaves when the reply is in),
 * driven by THREADS event-loop threads (default 2, like wrk's), so the
 * client spends about what wrk spends and the comparison with the HTTP
 * front is not skewed by a heavier client.  Connections are opened and
 * their runs set up with libaiosd_client; the measured loop writes the
 * protocol's frames (u32 big-endian length + JSON) on the same sockets
 * and reads the replies with epoll.
 *
 * Every connection owns its own run (PREFIX-<n>, created if missing with
 * the given fsync policy; GET connections first store DOC in it once).
 * Patch connections send workset.put with the seq of their last reply as
 * expected_seq, so ESTALE (the HTTP 409) only happens when something
 * else touched the run; those are counted, the connection re-bases on
 * the reply's current_seq and goes on.  Timing starts WARMUP_S after
 * every connection has set up its run.
 *
 * usage: bench_http_native -s SOCKET -D DOC.json [-o get|patch]
 *        [-c CLIENTS] [-T THREADS] [-t SECONDS] [-w WARMUP_S]
 *        [-p RUN_PREFIX] [-f always|group|none]
 * Prints one JSON object: {"op","clients","threads","seconds","requests",
 * "rps","p50_us","p99_us","stale","errors"}.  Exit status 1 on any error
 * reply other than ESTALE.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aiosd_client.h"

#define MAX_CLIENTS 1024
#define MAX_THREADS 64
#define MAX_REPLY (4u << 20)

struct opts {
	const char *sock, *docfile, *prefix, *fsync;
	bool patch;
	int clients, threads;
	double secs, warmup;
};

struct conn {
	struct aiosd_client *c;
	int fd;
	char run[96];
	uint64_t seq;
	json_t *doc;		/* this connection's copy (step is rewritten) */
	char *getreq;		/* the constant GET frame */
	size_t getlen;
	double t0;		/* when the request in flight left */
	unsigned char hdr[4];
	size_t hgot;		/* header bytes received */
	char *body;
	size_t blen, bgot;
};

struct worker {
	pthread_t tid;
	const struct opts *o;
	struct conn *conns;
	int first, n;		/* connection indexes first .. first+n-1 */
	uint32_t *lat_us;	/* latencies of measured requests */
	size_t nlat, cap;
	long stale, errors;
	char err[300];
};

static atomic_int phase;	/* 0 warm-up, 1 measuring, 2 stop */
static double t_measure;
/* every worker and main: the warm-up starts when every run is set up */
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
	if (w->nlat == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4096;
		uint32_t *p = realloc(w->lat_us, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->lat_us = p;
		w->cap = cap;
	}
	w->lat_us[w->nlat++] = (uint32_t)((t1 - t0) * 1e6 + 0.5);
	return 0;
}

/* A frame of req ({"v":1,...}); malloc'd, *len set; NULL: no memory. */
static char *frame(json_t *req, size_t *len)
{
	char *s, *f;
	size_t n;
	uint32_t be;

	if (!req)
		return NULL;
	json_object_set_new(req, "v", json_integer(1));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!s)
		return NULL;
	n = strlen(s);
	f = malloc(n + 4);
	if (f) {
		be = htonl((uint32_t)n);
		memcpy(f, &be, 4);
		memcpy(f + 4, s, n);
		*len = n + 4;
	}
	free(s);
	return f;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* run.create PREFIX-idx unless it exists, read its seq, GET: store DOC. */
static int setup(struct worker *w, struct conn *k)
{
	json_t *rep = NULL;
	int rc;

	rc = call(k->c, json_pack("{s:s, s:s, s:s}", "op", "run.create",
				  "run", k->run, "fsync", w->o->fsync), &rep);
	json_decref(rep);
	rep = NULL;
	if (rc && rc != -EEXIST) {
		snprintf(w->err, sizeof(w->err), "run.create %s: %s", k->run,
			 aiosd_client_error(k->c));
		return rc;
	}
	rc = call(k->c, json_pack("{s:s, s:s}", "op", "workset.get", "run", k->run), &rep);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "workset.get %s: %s", k->run,
			 aiosd_client_error(k->c));
		json_decref(rep);
		return rc;
	}
	k->seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	json_decref(rep);
	if (w->o->patch)
		return 0;
	/* GET connections read the benchmark document, not the initial one */
	rep = NULL;
	rc = call(k->c, json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.put", "run", k->run,
				  "expected_seq", (json_int_t)k->seq, "doc", k->doc), &rep);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "workset.put %s: %s", k->run,
			 aiosd_client_error(k->c));
		json_decref(rep);
		return rc;
	}
	k->seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	json_decref(rep);
	k->getreq = frame(json_pack("{s:s, s:s}", "op", "workset.get", "run", k->run),
			  &k->getlen);
	if (!k->getreq) {
		snprintf(w->err, sizeof(w->err), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Send the connection's next request. */
static int send_next(struct worker *w, struct conn *k)
{
	char *f = k->getreq;
	size_t len = k->getlen;
	int rc;

	if (w->o->patch) {
		json_object_set_new(k->doc, "step", json_integer((json_int_t)k->seq + 1));
		f = frame(json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.put",
				    "run", k->run, "expected_seq", (json_int_t)k->seq,
				    "doc", k->doc), &len);
		if (!f) {
			snprintf(w->err, sizeof(w->err), "out of memory");
			return -ENOMEM;
		}
	}
	k->t0 = now_s();
	rc = write_all(k->fd, f, len);
	if (f != k->getreq)
		free(f);
	if (rc)
		snprintf(w->err, sizeof(w->err), "sending to aiosd: %s", strerror(-rc));
	return rc;
}

/* A complete reply arrived on k: account for it and send the next request. */
static int on_reply(struct worker *w, struct conn *k, double t1)
{
	json_error_t je;
	json_t *rep = json_loadb(k->body, k->blen, 0, &je), *err;
	const char *code;
	int rc = 0;

	if (!json_is_object(rep)) {
		snprintf(w->err, sizeof(w->err), "reply is not a JSON object: %s", je.text);
		json_decref(rep);
		return -EPROTO;
	}
	err = json_object_get(rep, "error");
	if (json_is_true(json_object_get(rep, "ok"))) {
		k->seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	} else if (json_integer_value(json_object_get(err, "errno")) == ESTALE) {
		w->stale++;
		k->seq = (uint64_t)json_integer_value(json_object_get(err, "current_seq"));
	} else {
		code = json_string_value(json_object_get(err, "code"));
		snprintf(w->err, sizeof(w->err), "%s %s: %s: %s",
			 w->o->patch ? "workset.put" : "workset.get", k->run,
			 code ? code : "?",
			 json_string_value(json_object_get(err, "message")) ?: "?");
		rc = -EPROTO;
	}
	json_decref(rep);
	if (!rc && record(w, k->t0, t1)) {
		snprintf(w->err, sizeof(w->err), "out of memory");
		rc = -ENOMEM;
	}
	if (!rc && atomic_load(&phase) != 2)
		rc = send_next(w, k);
	return rc;
}

/* Read what k has; complete frames go to on_reply.  0, or -errno. */
static int on_readable(struct worker *w, struct conn *k)
{
	for (;;) {
		ssize_t r;

		if (k->hgot < 4) {
			r = recv(k->fd, k->hdr + k->hgot, 4 - k->hgot, MSG_DONTWAIT);
		} else {
			r = recv(k->fd, k->body + k->bgot, k->blen - k->bgot, MSG_DONTWAIT);
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(w->err, sizeof(w->err), "aiosd closed the connection%s%s",
				 r ? ": " : "", r ? strerror(errno) : "");
			return -EPIPE;
		}
		if (k->hgot < 4) {
			uint32_t be;

			k->hgot += (size_t)r;
			if (k->hgot < 4)
				continue;
			memcpy(&be, k->hdr, 4);
			k->blen = ntohl(be);
			if (!k->blen || k->blen > MAX_REPLY) {
				snprintf(w->err, sizeof(w->err), "bad reply frame length %zu",
					 k->blen);
				return -EPROTO;
			}
			free(k->body);
			k->body = malloc(k->blen);
			k->bgot = 0;
			if (!k->body) {
				snprintf(w->err, sizeof(w->err), "out of memory");
				return -ENOMEM;
			}
			continue;
		}
		k->bgot += (size_t)r;
		if (k->bgot == k->blen) {
			double t1 = now_s();
			int rc;

			k->hgot = 0;
			rc = on_reply(w, k, t1);
			if (rc)
				return rc;
			/* one request in flight: nothing more can be queued */
			return 0;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[64];
	int ep = -1, rc = 0;

	for (int i = 0; i < w->n && !rc; i++) {
		struct conn *k = &w->conns[w->first + i];

		rc = aiosd_connect(w->o->sock, &k->c);
		if (rc) {
			snprintf(w->err, sizeof(w->err), "connect %s: %s", w->o->sock,
				 strerror(-rc));
			break;
		}
		k->fd = aiosd_client_fd(k->c);
		rc = setup(w, k);
	}
	if (!rc) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		for (int i = 0; i < w->n && ep >= 0 && !rc; i++) {
			struct epoll_event e = { .events = EPOLLIN,
						 .data.ptr = &w->conns[w->first + i] };

			if (epoll_ctl(ep, EPOLL_CTL_ADD, w->conns[w->first + i].fd, &e))
				rc = -errno;
		}
		if (ep < 0 || rc) {
			rc = ep < 0 ? -errno : rc;
			snprintf(w->err, sizeof(w->err), "epoll: %s", strerror(-rc));
		}
	}
	pthread_barrier_wait(&ready);
	for (int i = 0; i < w->n && !rc; i++)
		rc = send_next(w, &w->conns[w->first + i]);
	while (!rc && atomic_load(&phase) != 2) {
		int n = epoll_wait(ep, ev, 64, 100);

		if (n < 0 && errno != EINTR) {
			rc = -errno;
			snprintf(w->err, sizeof(w->err), "epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n && !rc; i++)
			rc = on_readable(w, ev[i].data.ptr);
	}
	if (rc)
		w->errors++;
	if (ep >= 0)
		close(ep);
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
		"usage: %s -s SOCKET -D DOC.json [-o get|patch] [-c CLIENTS] [-T THREADS]\n"
		"       [-t SECONDS] [-w WARMUP_S] [-p RUN_PREFIX] [-f always|group|none]\n",
		prog);
}

int main(int argc, char **argv)
{
	struct opts o = { .prefix = "hbench", .fsync = "none", .clients = 64,
			  .threads = 2, .secs = 3, .warmup = 0.5 };
	struct worker *w;
	struct conn *conns;
	json_error_t je;
	json_t *doc;
	uint32_t *all;
	size_t total = 0, k = 0;
	long stale = 0, errors = 0;
	double el;
	int opt;

	while ((opt = getopt(argc, argv, "s:D:o:c:T:t:w:p:f:h")) != -1) {
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
		case 'T': o.threads = atoi(optarg); break;
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
	if (o.clients < 1 || o.clients > MAX_CLIENTS || o.threads < 1 ||
	    o.threads > MAX_THREADS || o.threads > o.clients || o.secs <= 0 ||
	    o.warmup < 0) {
		fprintf(stderr, "%s: need 1..%d clients, 1..%d threads (at most one per client), "
			"seconds > 0, warm-up >= 0\n", argv[0], MAX_CLIENTS, MAX_THREADS);
		return 2;
	}
	doc = json_load_file(o.docfile, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], o.docfile,
			doc ? "not a JSON object" : je.text);
		return 2;
	}
	w = calloc((size_t)o.threads, sizeof(*w));
	conns = calloc((size_t)o.clients, sizeof(*conns));
	if (!w || !conns)
		return 1;
	for (int i = 0; i < o.clients; i++) {
		conns[i].fd = -1;
		snprintf(conns[i].run, sizeof(conns[i].run), "%s-%d", o.prefix, i);
		conns[i].doc = json_deep_copy(doc);
		if (!conns[i].doc)
			return 1;
	}
	t_measure = 1e300;
	if (pthread_barrier_init(&ready, NULL, (unsigned int)o.threads + 1)) {
		fprintf(stderr, "%s: pthread_barrier_init failed\n", argv[0]);
		return 1;
	}
	for (int t = 0, first = 0; t < o.threads; t++) {
		int n = o.clients / o.threads + (t < o.clients % o.threads);

		w[t].o = &o;
		w[t].conns = conns;
		w[t].first = first;
		w[t].n = n;
		first += n;
		if (pthread_create(&w[t].tid, NULL, worker_main, &w[t])) {
			fprintf(stderr, "%s: cannot start thread %d\n", argv[0], t);
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
	for (int t = 0; t < o.threads; t++) {
		pthread_join(w[t].tid, NULL);
		total += w[t].nlat;
		stale += w[t].stale;
		errors += w[t].errors;
		if (w[t].err[0])
			fprintf(stderr, "%s: thread %d: %s\n", argv[0], t, w[t].err);
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return 1;
	for (int t = 0; t < o.threads; t++) {
		if (w[t].nlat)
			memcpy(all + k, w[t].lat_us, w[t].nlat * sizeof(*all));
		k += w[t].nlat;
		free(w[t].lat_us);
	}
	for (int i = 0; i < o.clients; i++) {
		if (conns[i].c)
			aiosd_close(conns[i].c);
		json_decref(conns[i].doc);
		free(conns[i].getreq);
		free(conns[i].body);
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("{\"op\":\"%s\",\"clients\":%d,\"threads\":%d,\"seconds\":%.3f,\"requests\":%zu,"
	       "\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"stale\":%ld,\"errors\":%ld}\n",
	       o.patch ? "patch" : "get", o.clients, o.threads, el, total,
	       (double)total / el, total ? all[total / 2] : 0,
	       total ? all[(size_t)((double)total * 0.99)] : 0, stale, errors);
	free(all);
	free(conns);
	free(w);
	json_decref(doc);
	return errors || !total ? 1 : 0;
}
