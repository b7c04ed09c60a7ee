// SPDX-License-Identifier: GPL-2.0
/*
 * GET /v1/events: Server-Sent Events of the kernel's "events" multicast
 * group (agents appearing and leaving, capability changes, GPU claims).
 *
 * One thread reads the group with libaios and keeps the newest RING
 * events in memory, each with an id that increases across restarts (it
 * starts at the start time in ms << 16).  A client that reconnects with
 * Last-Event-ID gets every event after that id still in the ring, or a
 * "lost" event saying how many it missed.  Streams with nothing to send
 * are suspended (MHD_suspend_connection) and resumed by the reader thread
 * when an event arrives and every KEEPALIVE_MS for a comment line, which
 * is also when a vanished client is noticed.
 */
#define _GNU_SOURCE
#include "httpd.h"

#include <aios.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING		1024
#define KEEPALIVE_MS	15000
#define CHUNK		4096

struct sse {
	struct MHD_Connection *conn;
	struct principal *pr;
	uint64_t next;			/* id of the next event to send */
	bool suspended, hello;
	int64_t last_send;
	char buf[CHUNK];
	size_t len, off;
	struct sse *prev, *nxt;
};

/* g_lock protects the ring, the id counters, the stream list and each
 * stream's suspended flag. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_ring[RING];
static uint64_t g_first, g_next;	/* ring holds ids [g_first, g_next) */
static struct sse *g_streams;
static size_t g_nstreams;
static bool g_kernel, g_stop;
static pthread_t g_thread;
static bool g_started;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *ev_name(int type)
{
	switch (type) {
	case AIOS_EVENT_AGENT_NEW: return "agent_new";
	case AIOS_EVENT_AGENT_DEL: return "agent_del";
	case AIOS_EVENT_CAPS: return "caps";
	case AIOS_EVENT_AUDIT: return "audit";
	case AIOS_EVENT_GPU_CLAIM: return "gpu_claim";
	case AIOS_EVENT_GPU_RELEASE: return "gpu_release";
	case AIOS_EVENT_GPU_PREEMPT: return "gpu_preempt";
	case AIOS_EVENT_GPU_REVOKE: return "gpu_revoke";
	case AIOS_EVENT_LOST: return "kernel_lost";
	default: return "other";
	}
}

static json_t *ev_json(const struct aios_event *e)
{
	json_t *j = json_pack("{s:s, s:i}", "type", ev_name(e->type), "cmd", (int)e->cmd);
	char caps[512];

	if (!j)
		return NULL;
	switch (e->type) {
	case AIOS_EVENT_AGENT_NEW:
	case AIOS_EVENT_AGENT_DEL:
	case AIOS_EVENT_CAPS:
		if (aios_caps_format(e->agent.caps, caps, sizeof(caps)) < 0)
			caps[0] = 0;
		json_object_set_new(j, "agent", json_pack("{s:I, s:I, s:s, s:i, s:i, s:I, s:s}",
			"id", (json_int_t)e->agent.id, "parent", (json_int_t)e->agent.parent_id,
			"name", e->agent.name, "pid", (int)e->agent.pid, "uid", (int)e->agent.uid,
			"caps", (json_int_t)e->agent.caps, "cap_names", caps));
		if (e->has_reason)
			json_object_set_new(j, "reason",
					    json_string(aios_exit_reason_name(e->reason) ?: "unknown"));
		break;
	case AIOS_EVENT_AUDIT:
		json_object_set_new(j, "audit", json_pack("{s:I, s:I, s:s, s:i}",
			"seq", (json_int_t)e->audit.seq, "agent", (json_int_t)e->audit.agent_id,
			"op", aios_op_name(e->audit.op) ?: "unknown", "result", (int)e->audit.result));
		break;
	case AIOS_EVENT_GPU_CLAIM:
	case AIOS_EVENT_GPU_RELEASE:
	case AIOS_EVENT_GPU_PREEMPT:
	case AIOS_EVENT_GPU_REVOKE:
		json_object_set_new(j, "gpu", json_pack("{s:i, s:s, s:s, s:I, s:I, s:I}",
			"id", (int)e->gpu.id, "name", e->gpu.name,
			"state", aios_gpu_state_name(e->gpu.state) ?: "unknown",
			"owner", (json_int_t)e->gpu.owner_id, "handle", (json_int_t)e->gpu.handle,
			"deadline_ns", (json_int_t)e->gpu.deadline_ns));
		break;
	default:
		break;
	}
	return j;
}

/* Resume every suspended stream (g_lock held). */
static void wake_all(void)
{
	for (struct sse *s = g_streams; s; s = s->nxt)
		if (s->suspended) {
			s->suspended = false;
			MHD_resume_connection(s->conn);
		}
}

static void push(json_t *j)
{
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!txt)
		return;
	pthread_mutex_lock(&g_lock);
	if (g_next - g_first == RING) {
		free(g_ring[g_first % RING]);
		g_ring[g_first % RING] = NULL;
		g_first++;
	}
	g_ring[g_next % RING] = txt;
	g_next++;
	wake_all();
	pthread_mutex_unlock(&g_lock);
}

static void *reader(void *arg)
{
	struct aios *h = aios_new();
	struct aios_events *ev = NULL;
	int64_t last_try = 0, last_wake = now_ms();

	(void)arg;
	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
		struct aios_event e;
		int r;

		if (!ev && h && now_ms() - last_try >= 5000) {
			last_try = now_ms();
			r = aios_events_open(h, AIOS_EVENTS_GROUP_EVENTS, &ev);
			if (r < 0) {
				ev = NULL;
				hlog(3, "events: %s (retrying every 5 s)", aios_errmsg(h));
			} else {
				hlog(2, "events: subscribed to the kernel's \"events\" group");
			}
			pthread_mutex_lock(&g_lock);
			g_kernel = ev != NULL;
			pthread_mutex_unlock(&g_lock);
		}
		if (ev) {
			r = aios_events_next(ev, &e, 1000);
			if (r > 0) {
				push(ev_json(&e));
			} else if (r < 0 && r != -EINTR && r != -EAGAIN) {
				hlog(1, "events: %s; resubscribing", aios_events_errmsg(ev));
				aios_events_close(ev);
				ev = NULL;
				push(json_pack("{s:s}", "type", "kernel_lost"));
			}
		} else {
			struct timespec ts = { 0, 200 * 1000000 };

			nanosleep(&ts, NULL);
		}
		if (now_ms() - last_wake >= KEEPALIVE_MS / 3) {
			last_wake = now_ms();
			pthread_mutex_lock(&g_lock);
			wake_all();
			pthread_mutex_unlock(&g_lock);
		}
	}
	if (ev)
		aios_events_close(ev);
	aios_close(h);
	return NULL;
}

int events_start(void)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	g_first = g_next = ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000) << 16;
	r = pthread_create(&g_thread, NULL, reader, NULL);
	if (r)
		return -r;
	g_started = true;
	return 0;
}

void events_stop(void)
{
	if (!g_started)
		return;
	__atomic_store_n(&g_stop, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&g_lock);
	wake_all();
	pthread_mutex_unlock(&g_lock);
	pthread_join(g_thread, NULL);
	g_started = false;
}

void events_stats(bool *kernel, uint64_t *last_id, size_t *clients)
{
	pthread_mutex_lock(&g_lock);
	*kernel = g_kernel;
	*last_id = g_next - 1;
	*clients = g_nstreams;
	pthread_mutex_unlock(&g_lock);
}

/* Fill s->buf with the next piece of the stream (g_lock held). */
static bool next_chunk(struct sse *s)
{
	int n;

	if (!s->hello) {
		s->hello = true;
		n = snprintf(s->buf, sizeof(s->buf),
			     "retry: 2000\nevent: hello\ndata: {\"kernel\":%s,\"last_id\":%" PRIu64 "}\n\n",
			     g_kernel ? "true" : "false", g_next - 1);
		s->len = (size_t)n;
		s->off = 0;
		return true;
	}
	if (s->next < g_first) {
		n = snprintf(s->buf, sizeof(s->buf),
			     "event: lost\ndata: {\"missed\":%" PRIu64 ",\"resume_id\":%" PRIu64 "}\n\n",
			     g_first - s->next, g_first);
		s->next = g_first;
		s->len = (size_t)n;
		s->off = 0;
		return true;
	}
	if (s->next < g_next) {
		const char *d = g_ring[s->next % RING];

		n = snprintf(s->buf, sizeof(s->buf), "id: %" PRIu64 "\nevent: aios\ndata: %s\n\n",
			     s->next, d ? d : "{}");
		if (n >= (int)sizeof(s->buf))	/* events are small; never cut one */
			n = snprintf(s->buf, sizeof(s->buf),
				     "id: %" PRIu64 "\nevent: aios\ndata: {\"type\":\"too_large\"}\n\n",
				     s->next);
		s->next++;
		s->len = (size_t)n;
		s->off = 0;
		return true;
	}
	if (now_ms() - s->last_send >= KEEPALIVE_MS) {
		s->len = (size_t)snprintf(s->buf, sizeof(s->buf), ": keepalive\n\n");
		s->off = 0;
		return true;
	}
	return false;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&g_lock);
	if (g_stop) {
		pthread_mutex_unlock(&g_lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (s->off == s->len && !next_chunk(s)) {
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		pthread_mutex_unlock(&g_lock);
		return 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	s->last_send = now_ms();
	pthread_mutex_unlock(&g_lock);
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	pthread_mutex_lock(&g_lock);
	if (s->prev)
		s->prev->nxt = s->nxt;
	else
		g_streams = s->nxt;
	if (s->nxt)
		s->nxt->prev = s->prev;
	g_nstreams--;
	pthread_mutex_unlock(&g_lock);
	principal_leave(s->pr);
	principal_put(s->pr);
	free(s);
}

void h_events(struct hreq *x)
{
	const char *last = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Response *r;
	struct sse *s;
	json_t *st;
	uint64_t after = 0;

	/* the principal must be one aiosd accepts */
	if (xcall(x, json_pack("{s:s}", "op", "status"), &st))
		return;
	json_decref(st);
	if (last) {
		char *end;

		errno = 0;
		after = strtoull(last, &end, 10);
		if (!*last || *end || errno) {
			problem(x, 400, NULL, "Last-Event-ID must be an event id (a decimal integer)", NULL);
			return;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		problem(x, 500, NULL, "out of memory", NULL);
		return;
	}
	s->conn = x->conn;
	s->pr = x->pr;
	s->last_send = now_ms();
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CHUNK, sse_read, s, sse_free);
	if (!r) {
		free(s);
		problem(x, 500, NULL, "out of memory", NULL);
		return;
	}
	principal_ref(x->pr);
	pthread_mutex_lock(&g_lock);
	s->next = last ? after + 1 : g_next;
	if (s->next > g_next)
		s->next = g_next;	/* an id from the future: start now */
	s->nxt = g_streams;
	if (g_streams)
		g_streams->prev = s;
	g_streams = s;
	g_nstreams++;
	pthread_mutex_unlock(&g_lock);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	x->resp = r;
	x->status = 200;
}
