// SPDX-License-Identifier: GPL-2.0
/*
 * System endpoints (agents, queues, GPUs, memory, audit, boot log), the
 * health probes and the OpenAPI document.  Kernel state that anyone may
 * read (agents with their capabilities, queues, GPUs) comes from libaios
 * over netlink with aios-httpd's own (unprivileged) rights; everything
 * else is an aiosd operation made as the principal.
 */
#define _GNU_SOURCE
#include "httpd.h"
#include "aiosd_client.h"

#include <aios.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OPENAPI_MAX	(1u << 20)

static __thread struct aios *tl_h;	/* one libaios handle per thread */

static struct aios *kh(struct hreq *x)
{
	if (!tl_h)
		tl_h = aios_new();
	if (!tl_h)
		problem(x, 500, NULL, "out of memory", NULL);
	return tl_h;
}

static json_t *strip(json_t *r)
{
	json_object_del(r, "v");
	json_object_del(r, "id");
	json_object_del(r, "ok");
	return r;
}

/*
 * Endpoints that do not otherwise call aiosd still need a principal
 * that aiosd accepts (a valid token): ask for its identity.
 */
static json_t *identity(struct hreq *x)
{
	json_t *r, *id;

	if (xcall(x, json_pack("{s:s}", "op", "status"), &r))
		return NULL;
	id = json_incref(json_object_get(r, "identity"));
	json_decref(r);
	if (!id)
		problem(x, 502, NULL, "aiosd's status reply has no identity", NULL);
	return id;
}

static void kernel_problem(struct hreq *x, int e, const char *what)
{
	char d[400];

	snprintf(d, sizeof(d), "%s: %s", what, tl_h ? aios_errmsg(tl_h) : strerror(-e));
	problem(x, e == -ENOENT || e == -EAFNOSUPPORT || e == -ENODEV || e == -EPROTONOSUPPORT ?
		503 : e == -EPERM ? 403 : 502, NULL, d, NULL);
}

static json_t *caps_json(uint64_t caps)
{
	json_t *a = json_array();

	for (int b = 0; a && b < 64; b++) {
		const char *n;

		if (!(caps >> b & 1))
			continue;
		n = aios_cap_name(1ull << b);
		json_array_append_new(a, n ? json_string(n) : json_integer(b));
	}
	return a;
}

void h_whoami(struct hreq *x)
{
	json_t *id = identity(x);

	if (id)
		reply_json(x, 200, json_pack("{s:o, s:s}", "identity", id, "listener",
					     x->tcp ? "tcp" : "unix"));
}

void h_agents(struct hreq *x)
{
	struct aios_agent *list = NULL;
	size_t n = 0;
	json_t *id, *arr;
	int e;

	id = identity(x);
	if (!id || !kh(x)) {
		json_decref(id);
		return;
	}
	json_decref(id);
	e = aios_agents(tl_h, &list, &n);
	if (e < 0) {
		kernel_problem(x, e, "listing agents");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct aios_agent *a = &list[i];
		char cpus[256] = "";
		json_t *j;

		if (a->has_cpus && aios_cpulist_format(&a->cpus, cpus, sizeof(cpus)) < 0)
			cpus[0] = 0;
		j = json_pack("{s:I, s:I, s:s, s:i, s:i, s:s, s:s, s:I, s:o, s:I}",
			      "id", (json_int_t)a->id, "parent", (json_int_t)a->parent_id,
			      "name", a->name, "pid", (int)a->pid, "uid", (int)a->uid,
			      "prio", aios_prio_name(a->prio) ?: "unknown",
			      "state", aios_state_name(a->state) ?: "unknown",
			      "caps", (json_int_t)a->caps, "cap_names", caps_json(a->caps),
			      "created_ns", (json_int_t)a->created_ns);
		if (j && a->has_cpus)
			json_object_set_new(j, "cpus", json_string(cpus));
		json_array_append_new(arr, j);
	}
	free(list);
	reply_json(x, 200, json_pack("{s:o}", "agents", arr));
}

void h_queues(struct hreq *x)
{
	struct aios_queue_info *list = NULL;
	size_t n = 0;
	json_t *id, *arr;
	int e;

	id = identity(x);
	if (!id || !kh(x)) {
		json_decref(id);
		return;
	}
	json_decref(id);
	e = aios_queues(tl_h, &list, &n);
	if (e < 0) {
		kernel_problem(x, e, "listing queues");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct aios_queue_info *q = &list[i];

		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:i, s:i}",
			"id", (int)q->id, "name", q->name, "algo", aios_algo_name(q->algo) ?: "unknown",
			"depth", (int)q->depth, "running", (int)q->running,
			"max_concurrent", (int)q->max_concurrent,
			"submitted", (json_int_t)q->submitted, "completed", (json_int_t)q->completed,
			"failed", (json_int_t)q->failed, "cancelled", (json_int_t)q->cancelled,
			"per_min", (json_int_t)q->per_min,
			"wait_us", "p50", (json_int_t)q->wait_p50_us, "p99", (json_int_t)q->wait_p99_us,
			"run_us", "p50", (json_int_t)q->run_p50_us, "p99", (json_int_t)q->run_p99_us,
			"max_depth", (int)q->max_depth, "slice_ms", (int)q->slice_ms));
	}
	free(list);
	reply_json(x, 200, json_pack("{s:o}", "queues", arr));
}

void h_gpus(struct hreq *x)
{
	struct aios_gpu *list = NULL;
	size_t n = 0;
	json_t *id, *arr;
	int e;

	id = identity(x);
	if (!id || !kh(x)) {
		json_decref(id);
		return;
	}
	json_decref(id);
	e = aios_gpu_list(tl_h, &list, &n);
	if (e < 0) {
		kernel_problem(x, e, "listing GPUs");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct aios_gpu *g = &list[i];

		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:s, s:i, s:I, s:i, s:I, s:I, s:I, s:i, s:i, s:I, s:I, s:f}",
			"id", (int)g->id, "name", g->name, "path", g->path,
			"state", aios_gpu_state_name(g->state) ?: "unknown",
			"waiters", (int)g->waiters, "owner", (json_int_t)g->owner_id,
			"owner_pid", (int)g->owner_pid, "handle", (json_int_t)g->handle,
			"since_ns", (json_int_t)g->since_ns, "deadline_ns", (json_int_t)g->deadline_ns,
			"grace_ms", (int)g->grace_ms, "util_window_ms", (int)g->util_window_ms,
			"claims", (json_int_t)g->claims, "preemptions", (json_int_t)g->preemptions,
			"utilization", g->util_ppm / 1e6));
	}
	free(list);
	reply_json(x, 200, json_pack("{s:o}", "gpus", arr));
}

/*
 * The principal's memory namespace against the store's limits; an admin
 * also gets the store-wide figures and every live agent's namespace.
 */
void h_memory(struct hreq *x)
{
	json_t *r, *own, *out, *id;
	bool admin;

	if (xcall(x, json_pack("{s:s}", "op", "status"), &r))
		return;
	id = json_incref(json_object_get(r, "identity"));
	own = json_incref(json_object_get(r, "memory"));
	json_decref(r);
	admin = json_is_true(json_object_get(id, "admin"));
	out = json_pack("{s:o, s:o}", "identity", id, "own", own ? own : json_object());
	if (!out) {
		problem(x, 500, NULL, "out of memory", NULL);
		return;
	}
	if (admin) {
		struct aios_agent *list = NULL;
		size_t n = 0;
		json_t *agents = json_array();

		if (xcall(x, json_pack("{s:s, s:b}", "op", "memory.stats", "all", 1), &r)) {
			json_decref(out);
			json_decref(agents);
			return;
		}
		json_object_set(out, "store", json_object_get(r, "stats"));
		json_decref(r);
		if (kh(x) && aios_agents(tl_h, &list, &n) >= 0) {
			for (size_t i = 0; i < n && i < 1024; i++) {
				json_t *s;

				if (xcall(x, json_pack("{s:s, s:I}", "op", "memory.stats", "agent",
						       (json_int_t)list[i].id), &s)) {
					free(list);
					json_decref(out);
					json_decref(agents);
					return;
				}
				json_array_append_new(agents, json_pack("{s:I, s:s, s:O}", "agent",
							(json_int_t)list[i].id, "name", list[i].name,
							"stats", json_object_get(s, "stats")));
				json_decref(s);
			}
			free(list);
		}
		json_object_set_new(out, "agents", agents);
	}
	reply_json(x, 200, out);
}

/* /v1/audit?after=SEQ&op=NAME&agent=ID&limit=N (aiosd "audit.get"). */
void h_audit(struct hreq *x)
{
	uint64_t after, limit, agent;
	const char *op = query(x, "op");
	json_t *req, *r;

	if (!query_u64(x, "after", 0, UINT64_MAX - 1, &after) ||
	    !query_u64(x, "limit", 100, 1000, &limit) ||
	    !query_u64(x, "agent", 0, UINT64_MAX - 1, &agent))
		return;
	if (!limit) {
		problem(x, 400, NULL, "query parameter \"limit\" must be 1..1000", NULL);
		return;
	}
	if (op) {
		unsigned int v;

		if (aios_op_parse(op, &v) < 0) {
			char d[160];

			snprintf(d, sizeof(d), "query parameter \"op\": unknown operation \"%.64s\" (register, kill, cap_check, ...)",
				 op);
			problem(x, 400, NULL, d, NULL);
			return;
		}
	}
	req = json_pack("{s:s, s:I, s:I}", "op", "audit.get", "after", (json_int_t)after,
			"limit", (json_int_t)limit);
	if (req && op)
		json_object_set_new(req, "audit_op", json_string(op));
	if (req && agent)
		json_object_set_new(req, "agent", json_integer((json_int_t)agent));
	if (xcall(x, req, &r))
		return;
	reply_json(x, 200, strip(r));
}

/* /v1/bootlog?boot=N | ?list=true (aiosd "bootlog"). */
void h_bootlog(struct hreq *x)
{
	const char *list = query(x, "list");
	uint64_t boot;
	json_t *req, *r;

	if (!query_u64(x, "boot", 0, UINT64_MAX - 1, &boot))
		return;
	if (list && strcmp(list, "true") && strcmp(list, "false")) {
		problem(x, 400, NULL, "query parameter \"list\" must be true or false", NULL);
		return;
	}
	req = json_pack("{s:s}", "op", "bootlog");
	if (req && boot)
		json_object_set_new(req, "boot", json_integer((json_int_t)boot));
	if (req && list && !strcmp(list, "true"))
		json_object_set_new(req, "list", json_true());
	if (xcall(x, req, &r))
		return;
	reply_json(x, 200, strip(r));
}

/* ---- health ---- */

static time_t g_started;

/* aiosd answers "status" on a fresh connection of aios-httpd's own. */
static int probe_aiosd(json_t **status, char *msg, size_t msglen)
{
	struct aiosd_client *c;
	int r;

	*status = NULL;
	r = aiosd_connect(g_cfg.aiosd, &c);
	if (r) {
		snprintf(msg, msglen, "cannot connect to aiosd at %s: %s", g_cfg.aiosd, strerror(-r));
		return r;
	}
	aiosd_set_timeout(c, 2000);
	r = aiosd_status(c, status);
	if (r)
		snprintf(msg, msglen, "aiosd status: %s", aiosd_client_error(c));
	aiosd_close(c);
	return r;
}

void h_health_live(struct hreq *x)
{
	reply_json(x, 200, json_pack("{s:s}", "status", "pass"));
}

void h_health_ready(struct hreq *x)
{
	char msg[300];
	json_t *st;

	if (probe_aiosd(&st, msg, sizeof(msg))) {
		json_t *o = json_pack("{s:s, s:s}", "status", "fail", "detail", msg);

		reply_json(x, 503, o);
		return;
	}
	json_decref(st);
	reply_json(x, 200, json_pack("{s:s}", "status", "pass"));
}

/*
 * Full report (draft-inadvisable-health-check style): "pass" (200),
 * "warn" (200: serving, something degraded such as no kernel module or
 * runs unavailable) or "fail" (503: aiosd unreachable).
 */
void h_health(struct hreq *x)
{
	char msg[300];
	json_t *st, *checks = json_object(), *out;
	const char *status = "pass";
	size_t pr, idle, busy;
	bool kev;
	uint64_t last;
	size_t sse;

	if (!g_started)
		g_started = time(NULL);
	if (probe_aiosd(&st, msg, sizeof(msg))) {
		status = "fail";
		json_object_set_new(checks, "aiosd", json_pack("{s:s, s:s}", "status", "fail",
							       "detail", msg));
	} else {
		bool kernel = json_is_true(json_object_get(st, "kernel"));

		json_object_set_new(checks, "aiosd", json_pack("{s:s, s:O}", "status", "pass",
							       "uptime_s", json_object_get(st, "uptime_s")));
		json_object_set_new(checks, "kernel", json_pack("{s:s, s:O}",
			"status", kernel ? "pass" : "warn",
			"detail", json_object_get(st, "kernel_detail") ?: json_null()));
		if (!kernel)
			status = "warn";
		json_decref(st);
	}
	events_stats(&kev, &last, &sse);
	json_object_set_new(checks, "events", json_pack("{s:s, s:I, s:I}",
		"status", kev ? "pass" : "warn", "last_id", (json_int_t)last,
		"clients", (json_int_t)sse));
	pool_stats(&pr, &idle, &busy);
	json_object_set_new(checks, "pool", json_pack("{s:s, s:I, s:I, s:I}", "status", "pass",
		"principals", (json_int_t)pr, "idle", (json_int_t)idle, "busy", (json_int_t)busy));
	out = json_pack("{s:s, s:s, s:o}", "status", status, "service", "aios-httpd",
			"checks", checks);
	reply_json(x, strcmp(status, "fail") ? 200 : 503, out);
	if (x->out)
		x->ctype = "application/health+json";
}

void h_openapi(struct hreq *x)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int fd = open(g_cfg.openapi, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > OPENAPI_MAX) {
		char d[700];

		snprintf(d, sizeof(d), "the OpenAPI document %s cannot be read: %s", g_cfg.openapi,
			 fd < 0 ? strerror(errno) : "not a regular file of at most 1 MiB");
		if (fd >= 0)
			close(fd);
		problem(x, 503, NULL, d, NULL);
		return;
	}
	buf = malloc((size_t)sb.st_size + 1);
	n = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (n != sb.st_size) {
		free(buf);
		problem(x, 503, NULL, "reading the OpenAPI document failed", NULL);
		return;
	}
	x->bytes = buf;
	x->nbytes = (size_t)n;
	x->ctype = "application/json";
	x->status = 200;
}
