// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd tool calls and eBPF audit (see toolops.h and
 * Documentation/aiosd-protocol.md, "Tools and audit").
 *
 * Threads: the event loop owns everything in struct toolops except what
 * t->lock protects.  Each accepted call gets a thread that waits for the
 * confirmation (if the tool needs one) and runs the tool with
 * aios_sb_run(); when it is done it queues the call on t->done and writes
 * t->done_fd (an eventfd the loop watches).  The loop joins the thread,
 * writes the ledger records and replies by connection id.  The eBPF ring
 * buffer has a single consumer, the loop (the sandbox is opened with
 * audit_external); a call's cgroup id reaches the loop through the
 * sandbox's started() callback, under t->lock, before the tool starts.
 */
#define _GNU_SOURCE
#include "toolops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/aios.h>

#include "aios.h"		/* libaios: fresh capabilities of agents */
#include "aios_sandbox.h"
#include "aios_sb_audit.h"
#include "aios_sb_registry.h"
#include "aios_sb_tool.h"
#include "memops.h"
#include "runops.h"
#include "server.h"

#define STDIN_MAX	(1u << 20)
/* The sandbox's defaults for limits a manifest leaves at 0 (aios_sandbox.h). */
#define DEF_MEMORY	(256ull << 20)
#define DEF_PIDS	64
#define DEF_CPU		100
#define DEF_TIMEOUT_MS	30000
#define DEF_STDOUT	(1u << 20)
#define DEF_STDERR	(256u << 10)
#define AUDIT_POLL_MS	100
#define MSG_LEN		512

enum call_state { C_PARKED, C_RUNNING };

struct call {
	struct call *next;		/* t->calls (loop thread) */
	struct call *done_next;		/* t->done (under t->lock) */
	struct toolops *t;
	uint64_t id;
	uint64_t conn_id;
	json_t *req_id;
	/* the caller */
	bool agent, admin;
	uint64_t agent_id, ns;
	uint32_t uid;
	/* the call */
	const struct aios_sb_tool *tool;
	char run[65];
	json_t *args;			/* array of strings, for records */
	char **argstr;			/* NULL-terminated copies */
	char **argv;			/* command + args (aios_sb_tool_request) */
	struct aios_sb_request rq;
	uint8_t *stdin_data;
	enum call_state state;
	uint64_t confirm_id;		/* 0: no confirmation needed */
	int64_t parked_ms, deadline_ms;
	unsigned int confirm_timeout_ms;
	pthread_t thread;
	/* results, written by the call's thread before it queues the call */
	int confirm_rc;
	int rc;
	char msg[MSG_LEN];
	struct aios_sb_result res;
	/* audit (loop thread; cgid under t->lock) */
	uint64_t cgid;
	uint64_t nevents, ev_dropped;
	json_t *events;			/* buffered for the ledger */
	uint64_t ledger_first, ledger_last;
};

struct sub {
	struct sub *next;
	uint64_t conn_id;
	bool admin, agent;
	uint64_t agent_id;
	uint32_t uid;
	uint64_t lost;			/* dropped, not yet reported */
};

struct toolops {
	const struct aiosd_config *cfg;
	struct aios_runops *runs;
	struct toolops_host host;
	struct aios_sb_registry *reg;
	char reg_why[MSG_LEN];
	struct aios_sb *sb;
	char sb_why[MSG_LEN];
	unsigned int avail, allow_weak;
	struct aios_sb_confirm *confirm;
	struct aios_audit *audit;
	char audit_why[MSG_LEN];
	struct aios *kh;		/* netlink handle for agent lookups */
	json_t *policy;
	int done_fd;
	pthread_mutex_t lock;		/* protects done and every call's cgid */
	struct call *done;
	struct call *calls;
	size_t ncalls, nparked;
	uint64_t next_call;
	uint64_t calls_total, denied_total, events_total, unattributed;
	struct sub *subs;
	size_t nsubs;
	uint64_t sub_dropped;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool toolops_owns(const char *op)
{
	return !strncmp(op, "tool.", 5) || !strcmp(op, "audit.subscribe") ||
	       !strcmp(op, "audit.unsubscribe");
}

/* ---- ledger --------------------------------------------------------------- */

/* Appends a record to run as namespace ns; takes payload.  0 or -errno. */
static int ledger_append(struct toolops *t, uint64_t ns, bool admin, const char *run,
			 const char *type, json_t *payload, uint64_t *seq, char *msg,
			 size_t msglen)
{
	struct aios_runops_caller who = { .ns = ns, .admin = admin };
	struct aios_rerr e = { 0 };
	json_t *req, *res = NULL;
	int rc;

	if (!t->runs) {
		json_decref(payload);
		snprintf(msg, msglen, "runs are unavailable in this aiosd (runs.dir)");
		return -EIO;
	}
	req = json_pack("{s:i, s:s, s:s, s:s, s:o}", "v", 1, "op", "ledger.append", "run", run,
			"type", type, "payload", payload);
	if (!req) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	rc = aios_runops_handle(t->runs, &who, "ledger.append", req, &res, &e);
	json_decref(req);
	if (rc) {
		snprintf(msg, msglen, "run %s: %.400s", run, e.msg);
	} else if (seq) {
		*seq = (uint64_t)json_integer_value(json_object_get(res, "seq"));
	}
	json_decref(res);
	return rc;
}

/* ---- audit stream ----------------------------------------------------------- */

static bool sub_sees(const struct sub *s, bool agent, uint64_t agent_id, uint32_t uid)
{
	if (s->admin)
		return true;
	if (s->agent)
		return agent && agent_id == s->agent_id;
	return !agent && uid == s->uid;
}

/* Sends a copy of ev to every subscriber allowed to see it (admin_only: an
 * event no caller owns).  Takes ev. */
static void broadcast(struct toolops *t, json_t *ev, bool admin_only, bool agent,
		      uint64_t agent_id, uint32_t uid)
{
	for (struct sub *s = t->subs; s; s = s->next) {
		if (admin_only ? !s->admin : !sub_sees(s, agent, agent_id, uid))
			continue;
		if (s->lost) {
			json_t *l = json_pack("{s:i, s:s, s:I}", "v", 1, "event", "lost",
					      "count", (json_int_t)s->lost);

			if (!l || !t->host.push(t->host.ctx, s->conn_id, l)) {
				s->lost++;
				t->sub_dropped++;
				continue;
			}
			s->lost = 0;
		}
		if (!t->host.push(t->host.ctx, s->conn_id, json_deep_copy(ev))) {
			s->lost++;
			t->sub_dropped++;
		}
	}
	json_decref(ev);
}

/* A "tool" event about call k (or, for refusals, its would-be fields). */
static void tool_event(struct toolops *t, const char *what, uint64_t call, const char *tool,
		       bool agent, uint64_t agent_id, uint32_t uid, const char *run,
		       const char *detail)
{
	json_t *ev;

	if (!t->subs)
		return;
	ev = json_pack("{s:i, s:s, s:s, s:I, s:s, s:I, s:I, s:s?, s:s?}", "v", 1, "event", "tool",
		       "what", what, "call", (json_int_t)call, "tool", tool,
		       "agent", (json_int_t)(agent ? agent_id : 0), "uid", (json_int_t)uid,
		       "run", run && run[0] ? run : NULL, "detail", detail);
	if (ev)
		broadcast(t, ev, false, agent, agent_id, uid);
}

static json_t *event_json(const struct aios_audit_event *e)
{
	char buf[2048];

	aios_audit_format(e, buf, sizeof(buf));
	return json_loads(buf, 0, NULL);
}

static int on_audit_event(void *ctx, const struct aios_audit_event *e)
{
	struct toolops *t = ctx;
	struct call *k;
	json_t *ej, *ev;

	t->events_total++;
	pthread_mutex_lock(&t->lock);
	for (k = t->calls; k && k->cgid != e->tracked_id; k = k->next)
		;
	pthread_mutex_unlock(&t->lock);
	if (!k)
		t->unattributed++;
	if (!t->subs && (!k || !k->run[0])) {
		if (k)
			k->nevents++;	/* nobody to tell, nothing to record */
		return 0;
	}
	ej = event_json(e);
	if (!ej)
		return 0;
	if (k) {
		k->nevents++;
		if (k->run[0]) {
			if (json_array_size(k->events) < t->cfg->tools_audit_ledger_max)
				json_array_append(k->events, ej);
			else
				k->ev_dropped++;
		}
	}
	if (!t->subs) {
		json_decref(ej);
		return 0;
	}
	ev = json_pack("{s:i, s:s, s:o}", "v", 1, "event", "audit", "audit", ej);
	if (!ev)
		return 0;
	if (k) {
		json_object_set_new(ev, "call", json_integer((json_int_t)k->id));
		json_object_set_new(ev, "tool", json_string(k->tool->name));
		json_object_set_new(ev, "agent", json_integer((json_int_t)(k->agent ? k->agent_id : 0)));
		json_object_set_new(ev, "uid", json_integer(k->uid));
		if (k->run[0])
			json_object_set_new(ev, "run", json_string(k->run));
		broadcast(t, ev, false, k->agent, k->agent_id, k->uid);
	} else {
		broadcast(t, ev, true, false, 0, 0);
	}
	return 0;
}

/* ---- permissions ------------------------------------------------------------ */

struct rights {
	enum aios_sb_perm level;	/* from the capabilities */
	enum aios_sb_perm max;		/* policy cap (ADMIN: none) */
	unsigned int access;		/* AIOS_SB_ACCESS_* */
	bool admin;
	json_t *allowed;		/* policy tool list (borrowed), NULL: all */
	char name[AIOS_NAME_MAX + 1];
};

static int perm_parse(const char *s, enum aios_sb_perm *p)
{
	for (int i = AIOS_SB_PERM_READ_ONLY; i <= AIOS_SB_PERM_ADMIN; i++)
		if (!strcmp(s, aios_sb_perm_name(i))) {
			*p = i;
			return 0;
		}
	return -EINVAL;
}

static json_t *policy_entry(struct toolops *t, const struct rights *r, bool agent,
			    uint64_t agent_id, uint32_t uid)
{
	char key[32];
	json_t *o, *e;

	if (!t->policy)
		return NULL;
	if (agent) {
		o = json_object_get(t->policy, "agents");
		if (r->name[0] && (e = json_object_get(o, r->name)))
			return e;
		snprintf(key, sizeof(key), "%llu", (unsigned long long)agent_id);
		if ((e = json_object_get(o, key)))
			return e;
	}
	snprintf(key, sizeof(key), "%u", uid);
	if ((e = json_object_get(json_object_get(t->policy, "uids"), key)))
		return e;
	return json_object_get(t->policy, "default");
}

/* The caller's rights now: agents' capabilities are read from the kernel. */
static int caller_rights(struct toolops *t, const struct toolops_caller *who, struct rights *r,
			 char *msg, size_t msglen)
{
	uint64_t caps = who->caps;
	json_t *e;

	memset(r, 0, sizeof(*r));
	r->max = AIOS_SB_PERM_ADMIN;
	if (who->agent) {
		struct aios_agent ag;
		int rc = t->kh ? aios_agent_get(t->kh, who->agent_id, &ag) : -ENODEV;

		if (rc == -ESRCH || rc == -ENOENT || (!rc && ag.state != AIOS_AGENT_LIVE)) {
			snprintf(msg, msglen, "agent %llu no longer exists (killed or exited)",
				 (unsigned long long)who->agent_id);
			return -ENOLINK;
		}
		if (rc) {
			snprintf(msg, msglen, "cannot read the capabilities of agent %llu from the kernel: %s",
				 (unsigned long long)who->agent_id,
				 t->kh ? aios_errmsg(t->kh) : "no netlink handle");
			return rc;
		}
		caps = ag.caps;
		snprintf(r->name, sizeof(r->name), "%s", ag.name);
		r->admin = caps & AIOS_CAP_ADMIN;
		if (caps & AIOS_CAP_ACCESS_FS)
			r->access |= AIOS_SB_ACCESS_FS;
		if (caps & AIOS_CAP_ACCESS_NET)
			r->access |= AIOS_SB_ACCESS_NET;
	} else if (who->admin) {
		r->admin = true;
		r->access = AIOS_SB_ACCESS_FS | AIOS_SB_ACCESS_NET;
	}
	if (r->admin) {
		r->level = AIOS_SB_PERM_ADMIN;
		r->access = AIOS_SB_ACCESS_FS | AIOS_SB_ACCESS_NET;
	} else if ((r->access & AIOS_SB_ACCESS_FS) && (r->access & AIOS_SB_ACCESS_NET)) {
		r->level = AIOS_SB_PERM_NETWORK;
	} else if (r->access & AIOS_SB_ACCESS_FS) {
		r->level = AIOS_SB_PERM_READ_WRITE;
	} else {
		r->level = AIOS_SB_PERM_READ_ONLY;
	}
	e = policy_entry(t, r, who->agent, who->agent_id, who->uid);
	if (e) {
		json_t *m = json_object_get(e, "max_permission");

		r->allowed = json_object_get(e, "tools");
		if (m)
			perm_parse(json_string_value(m), &r->max);	/* checked at load */
	}
	return 0;
}

/* 0 when the caller may call tool; else -ENOENT/-EPERM/-EOPNOTSUPP + msg. */
static int may_call(struct toolops *t, const struct rights *r, const char *name,
		    const struct aios_sb_tool **tp, char *msg, size_t msglen)
{
	const struct aios_sb_tool *tool = t->reg ? aios_sb_registry_find(t->reg, name) : NULL;
	static const char *const need[] = { NULL, "ACCESS_FS", "ACCESS_NET", "ADMIN" };
	bool ok;

	*tp = tool;
	if (!tool) {
		snprintf(msg, msglen, "unknown tool '%.64s' (tool.list shows the registered tools)",
			 name);
		return -ENOENT;
	}
	if (!tool->sandboxed) {
		snprintf(msg, msglen, "tool %s is not marked sandboxed; aiosd runs tools only in the sandbox",
			 tool->name);
		return -EOPNOTSUPP;
	}
	if (r->allowed) {
		size_t i;
		json_t *v;

		json_array_foreach(r->allowed, i, v)
			if (!strcmp(json_string_value(v), tool->name))
				break;
		if (i == json_array_size(r->allowed)) {
			snprintf(msg, msglen, "tool %s is not in this caller's allowed tools (tools.policy)",
				 tool->name);
			return -EPERM;
		}
	}
	if (tool->permission > r->max) {
		snprintf(msg, msglen, "tool %s requires permission %s; tools.policy limits this caller to %s",
			 tool->name, aios_sb_perm_name(tool->permission), aios_sb_perm_name(r->max));
		return -EPERM;
	}
	switch (tool->permission) {
	case AIOS_SB_PERM_READ_WRITE:
		ok = r->access & AIOS_SB_ACCESS_FS;
		break;
	case AIOS_SB_PERM_NETWORK:
		ok = r->access & AIOS_SB_ACCESS_NET;
		break;
	case AIOS_SB_PERM_ADMIN:
		ok = r->admin;
		break;
	default:
		ok = true;
	}
	if (!ok) {
		snprintf(msg, msglen, "tool %s requires permission %s, which needs capability %s; the caller has permission %s",
			 tool->name, aios_sb_perm_name(tool->permission), need[tool->permission],
			 aios_sb_perm_name(r->level));
		return -EPERM;
	}
	return 0;
}

/* ---- calls -------------------------------------------------------------------- */

static void call_free(struct call *k)
{
	if (!k)
		return;
	json_decref(k->req_id);
	json_decref(k->args);
	json_decref(k->events);
	if (k->argstr)
		for (char **p = k->argstr; *p; p++)
			free(*p);
	free(k->argstr);
	free(k->argv);
	free(k->stdin_data);
	aios_sb_result_free(&k->res);
	free(k);
}

static void started_cb(void *arg, uint64_t cgid)
{
	struct call *k = arg;

	pthread_mutex_lock(&k->t->lock);
	k->cgid = cgid;
	pthread_mutex_unlock(&k->t->lock);
}

static void *call_main(void *arg)
{
	struct call *k = arg;
	struct toolops *t = k->t;
	uint64_t one = 1;

	if (k->confirm_id)
		k->confirm_rc = aios_sb_confirm_wait(t->confirm, k->confirm_id,
						     k->confirm_timeout_ms);
	if (!k->confirm_rc) {
		k->rq.started = started_cb;
		k->rq.started_arg = k;
		k->rc = aios_sb_run(t->sb, &k->rq, &k->res);
		if (k->rc)
			snprintf(k->msg, sizeof(k->msg), "%s", aios_sb_errmsg(t->sb));
	}
	pthread_mutex_lock(&t->lock);
	k->done_next = t->done;
	t->done = k;
	pthread_mutex_unlock(&t->lock);
	if (write(t->done_fd, &one, sizeof(one)) != sizeof(one))
		abort();	/* an eventfd write of 1 cannot fail */
	return NULL;
}

/* A refused call: counted, pushed to subscribers, recorded in the run. */
static json_t *refuse(struct toolops *t, const struct toolops_caller *who, json_t *id,
		      const char *tool, json_t *args, const char *run, int err, const char *msg)
{
	char lmsg[MSG_LEN];

	t->denied_total++;
	aiosd_log(2, "tool call refused: %s (uid %u agent %llu): %s", tool ? tool : "?",
		       who->uid, (unsigned long long)(who->agent ? who->agent_id : 0), msg);
	tool_event(t, "denied", 0, tool ? tool : "", who->agent, who->agent_id, who->uid, run, msg);
	if (run && run[0]) {	/* if the run does not exist, nothing to record */
		json_t *p = json_pack("{s:s, s:O?, s:i, s:s, s:s}", "tool", tool ? tool : "",
				      "args", args, "errno", -err, "code", proto_errno_name(-err),
				      "error", msg);

		if (p)
			ledger_append(t, who->agent ? who->agent_id : AIOSD_UID_NS | who->uid,
				      who->admin, run, "tool_denied", p, NULL, lmsg, sizeof(lmsg));
	}
	return proto_error(id, err, msg);
}

static int get_limit(json_t *limits, const char *name, uint64_t max, uint64_t scale,
		     uint64_t *out, char *msg, size_t msglen)
{
	json_t *v = json_object_get(limits, name);
	json_int_t n;

	if (!v)
		return 0;
	n = json_integer_value(v);
	if (!json_is_integer(v) || n < 1 || (uint64_t)n * scale > max) {
		snprintf(msg, msglen, "limits.%s must be an integer from 1 to the tool's %llu",
			 name, (unsigned long long)(max / scale));
		return -EINVAL;
	}
	*out = (uint64_t)n * scale;
	return 0;
}

static int apply_limits(json_t *limits, struct aios_sb_request *rq, char *msg, size_t msglen)
{
	static const char *const known[] = { "timeout_ms", "memory_mb", "pids", "cpu_pct",
					     "stdout_max", "stderr_max", NULL };
	const char *key;
	json_t *v;
	uint64_t x;
	int rc;

	/* what the manifest leaves at 0 is the sandbox's default */
	if (!rq->memory_max)
		rq->memory_max = DEF_MEMORY;
	if (!rq->pids_max)
		rq->pids_max = DEF_PIDS;
	if (!rq->cpu_pct)
		rq->cpu_pct = DEF_CPU;
	if (!rq->timeout_ms)
		rq->timeout_ms = DEF_TIMEOUT_MS;
	if (!rq->stdout_max)
		rq->stdout_max = DEF_STDOUT;
	if (!rq->stderr_max)
		rq->stderr_max = DEF_STDERR;
	if (!limits)
		return 0;
	if (!json_is_object(limits)) {
		snprintf(msg, msglen, "\"limits\" must be an object");
		return -EINVAL;
	}
	json_object_foreach(limits, key, v) {
		int i;

		for (i = 0; known[i] && strcmp(known[i], key); i++)
			;
		if (!known[i]) {
			snprintf(msg, msglen, "unknown field \"limits.%.40s\"", key);
			return -EINVAL;
		}
	}
	x = rq->timeout_ms;
	if ((rc = get_limit(limits, "timeout_ms", rq->timeout_ms, 1, &x, msg, msglen)))
		return rc;
	rq->timeout_ms = (uint32_t)x;
	x = rq->memory_max;
	if ((rc = get_limit(limits, "memory_mb", rq->memory_max, 1 << 20, &x, msg, msglen)))
		return rc;
	rq->memory_max = x;
	x = rq->pids_max;
	if ((rc = get_limit(limits, "pids", rq->pids_max, 1, &x, msg, msglen)))
		return rc;
	rq->pids_max = (uint32_t)x;
	x = rq->cpu_pct;
	if ((rc = get_limit(limits, "cpu_pct", rq->cpu_pct, 1, &x, msg, msglen)))
		return rc;
	rq->cpu_pct = (uint32_t)x;
	x = rq->stdout_max;
	if ((rc = get_limit(limits, "stdout_max", rq->stdout_max, 1, &x, msg, msglen)))
		return rc;
	rq->stdout_max = x;
	x = rq->stderr_max;
	if ((rc = get_limit(limits, "stderr_max", rq->stderr_max, 1, &x, msg, msglen)))
		return rc;
	rq->stderr_max = x;
	return 0;
}

/* Tool names as manifests allow them: 1..64 of [a-z0-9_.-]. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-'))
			return false;
	return true;
}

static json_t *op_call(struct toolops *t, const struct toolops_caller *who, struct proto_req *req)
{
	static const char *const fields[] = { "tool", "args", "run", "stdin", "limits", NULL };
	json_t *jtool = json_object_get(req->root, "tool");
	json_t *args = json_object_get(req->root, "args");
	json_t *jrun = json_object_get(req->root, "run");
	const char *tool, *run = NULL;
	const struct aios_sb_tool *tp;
	char msg[MSG_LEN], summary[256];
	struct rights r;
	struct call *k;
	size_t i, n;
	json_t *v, *p;
	int rc;

	if (proto_check_fields(req->root, fields, msg, sizeof(msg)))
		return proto_error(req->id, -EINVAL, msg);
	if (!json_is_string(jtool))
		return proto_error(req->id, -EINVAL, "\"tool\" (a string) is required");
	tool = json_string_value(jtool);
	if (!name_ok(tool))	/* never echo it: it goes into logs and events */
		return refuse(t, who, req->id, "(invalid name)", NULL, NULL, -ENOENT,
			      "unknown tool: tool names are 1..64 characters of a-z, 0-9, '_', '.', '-'");
	if (jrun && (!json_is_string(jrun) || !json_string_length(jrun) ||
		     json_string_length(jrun) > 64))
		return proto_error(req->id, -EINVAL, "\"run\" must be a run id (1..64 characters)");
	if (jrun)
		run = json_string_value(jrun);
	if (args && !json_is_array(args))
		return proto_error(req->id, -EINVAL, "\"args\" must be an array of strings");
	json_array_foreach(args, i, v)
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return proto_error(req->id, -EINVAL,
					   "\"args\" must be an array of strings without NUL bytes");
	if (!t->sb) {
		snprintf(msg, sizeof(msg), "no sandbox on this host: %.450s", t->sb_why);
		return refuse(t, who, req->id, tool, args, run, -EOPNOTSUPP, msg);
	}
	rc = caller_rights(t, who, &r, msg, sizeof(msg));
	if (!rc)
		rc = may_call(t, &r, tool, &tp, msg, sizeof(msg));
	if (rc)
		return refuse(t, who, req->id, tool, args, run, rc, msg);
	if (t->ncalls >= t->cfg->tools_max_calls) {
		snprintf(msg, sizeof(msg), "%zu tool calls are in progress (tools.max_calls); retry later",
			 t->ncalls);
		return proto_error(req->id, -EAGAIN, msg);
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return proto_error(req->id, -ENOMEM, "out of memory");
	k->t = t;
	k->conn_id = who->conn_id;
	k->req_id = json_incref(req->id);
	k->agent = who->agent;
	k->agent_id = who->agent ? who->agent_id : 0;
	k->admin = who->admin;
	k->uid = who->uid;
	k->ns = who->agent ? who->agent_id : AIOSD_UID_NS | who->uid;
	k->tool = tp;
	k->args = args ? json_incref(args) : json_array();
	k->events = json_array();
	if (run)
		snprintf(k->run, sizeof(k->run), "%s", run);
	n = json_array_size(k->args);
	k->argstr = calloc(n + 1, sizeof(char *));
	if (!k->argstr || !k->args || !k->events)
		goto nomem;
	json_array_foreach(k->args, i, v)
		if (!(k->argstr[i] = strdup(json_string_value(v))))
			goto nomem;
	rc = aios_sb_tool_request(tp, (const char *const *)k->argstr, tp->permission, &k->rq,
				  &k->argv, msg, sizeof(msg));
	if (!rc)
		rc = apply_limits(json_object_get(req->root, "limits"), &k->rq, msg, sizeof(msg));
	if (!rc) {
		size_t len = 0;

		rc = proto_get_bytes(req->root, "stdin", false, STDIN_MAX, &k->stdin_data, &len, msg,
				     sizeof(msg));
		if (rc == 1) {
			k->rq.stdin_data = k->stdin_data;
			k->rq.stdin_len = len;
			rc = 0;
		}
	}
	if (rc) {
		json_t *r2 = refuse(t, who, req->id, tool, args, run, rc, msg);

		call_free(k);
		return r2;
	}
	k->id = ++t->next_call;
	if (k->run[0]) {
		p = json_pack("{s:I, s:s, s:O, s:s, s:b}", "call", (json_int_t)k->id, "tool", tp->name,
			      "args", k->args, "permission", aios_sb_perm_name(tp->permission),
			      "confirm", tp->confirm);
		rc = p ? ledger_append(t, k->ns, k->admin, k->run, "tool_call", p, &k->ledger_first,
				       msg, sizeof(msg)) : -ENOMEM;
		if (rc) {
			call_free(k);
			return proto_error(req->id, rc, msg);
		}
	}
	k->confirm_timeout_ms = t->cfg->tools_confirm_timeout_s * 1000;
	if (tp->confirm) {
		snprintf(summary, sizeof(summary), "%s (call %llu)", tp->name,
			 (unsigned long long)k->id);
		rc = aios_sb_confirm_park(t->confirm, summary, k->uid, &k->confirm_id);
		if (rc) {
			call_free(k);
			return proto_error(req->id, rc, "cannot park the call for confirmation");
		}
		k->state = C_PARKED;
		k->parked_ms = mono_ms();
		k->deadline_ms = k->parked_ms + k->confirm_timeout_ms;
	} else {
		k->state = C_RUNNING;
	}
	rc = pthread_create(&k->thread, NULL, call_main, k);
	if (rc) {
		if (k->confirm_id)
			aios_sb_confirm_decide(t->confirm, k->confirm_id, false, true, 0);
		call_free(k);
		return proto_error(req->id, -EAGAIN, "cannot start a thread for the call; retry later");
	}
	k->next = t->calls;
	t->calls = k;
	t->ncalls++;
	t->calls_total++;
	if (k->confirm_id) {
		t->nparked++;
		snprintf(msg, sizeof(msg), "confirmation id %llu", (unsigned long long)k->confirm_id);
		tool_event(t, "parked", k->id, tp->name, k->agent, k->agent_id, k->uid, k->run, msg);
	} else {
		tool_event(t, "started", k->id, tp->name, k->agent, k->agent_id, k->uid, k->run, NULL);
	}
	*who->deferred = true;
	return NULL;
nomem:
	call_free(k);
	return proto_error(req->id, -ENOMEM, "out of memory");
}

static void set_output(json_t *r, const char *name, const char *p, size_t n)
{
	proto_set_bytes(r, name, p ? p : "", p ? n : 0);
}

static char *sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	return out;
}

/* The loop side of a finished call: records, events, reply. */
static void finish_call(struct toolops *t, struct call *k)
{
	char msg[MSG_LEN], lmsg[MSG_LEN], h[65];
	json_t *reply, *p, *ev;
	size_t i;
	int err = 0;

	if (k->state == C_PARKED) {	/* decided by nobody: timed out */
		k->state = C_RUNNING;
		t->nparked--;
	}
	if (k->confirm_rc) {
		err = k->confirm_rc;
		snprintf(msg, sizeof(msg), err == -ETIMEDOUT ?
			 "nobody confirmed the call of %s within %u s (tools.confirm_timeout_s); it did not run" :
			 "the call of %s was refused by the confirmer; it did not run",
			 k->tool->name, t->cfg->tools_confirm_timeout_s);
		if (err == -ETIMEDOUT)
			tool_event(t, "expired", k->id, k->tool->name, k->agent, k->agent_id, k->uid,
				   k->run, msg);
		t->denied_total++;
	} else if (k->rc) {
		err = k->rc;
		snprintf(msg, sizeof(msg), "the sandbox did not run %s: %.400s", k->tool->name, k->msg);
	}
	if (err) {
		if (k->run[0]) {
			p = json_pack("{s:I, s:s, s:O, s:i, s:s, s:s}", "call", (json_int_t)k->id,
				      "tool", k->tool->name, "args", k->args, "errno", -err,
				      "code", proto_errno_name(-err), "error", msg);
			if (p)
				ledger_append(t, k->ns, k->admin, k->run, "tool_denied", p,
					      &k->ledger_last, lmsg, sizeof(lmsg));
		}
		tool_event(t, "finished", k->id, k->tool->name, k->agent, k->agent_id, k->uid, k->run,
			   msg);
		reply = proto_error(k->req_id, err, msg);
		if (reply)
			json_object_set_new(json_object_get(reply, "error"), "call",
					    json_integer((json_int_t)k->id));
		t->host.reply(t->host.ctx, k->conn_id, reply);
		return;
	}
	if (k->run[0]) {
		json_array_foreach(k->events, i, ev) {
			p = json_pack("{s:I, s:O}", "call", (json_int_t)k->id, "event", ev);
			if (!p || ledger_append(t, k->ns, k->admin, k->run, "audit", p, NULL, msg,
						sizeof(msg)))
				break;
		}
		p = json_pack("{s:I, s:b, s:i, s:i, s:b, s:b, s:b, s:i, s:I, s:I, s:s, s:b, s:b, s:I, s:I, s:I}",
			      "call", (json_int_t)k->id, "exited", k->res.exited,
			      "exit_code", k->res.exit_code, "signal", k->res.signal,
			      "timed_out", k->res.timed_out, "oom_killed", k->res.oom_killed,
			      "pids_limited", k->res.pids_limited, "exec_errno", k->res.exec_errno,
			      "stdout_bytes", (json_int_t)k->res.out_len,
			      "stderr_bytes", (json_int_t)k->res.err_len,
			      "stdout_sha256", sha256_hex(k->res.out ? k->res.out : "", k->res.out_len, h),
			      "stdout_truncated", k->res.out_truncated,
			      "stderr_truncated", k->res.err_truncated,
			      "audit_events", (json_int_t)k->nevents,
			      "audit_dropped", (json_int_t)k->ev_dropped,
			      "wall_us", (json_int_t)k->res.wall_us);
		if (p)
			ledger_append(t, k->ns, k->admin, k->run, "tool_result", p, &k->ledger_last,
				      msg, sizeof(msg));
	}
	snprintf(msg, sizeof(msg), "exit %d signal %d%s", k->res.exit_code, k->res.signal,
		 k->res.timed_out ? " (timed out)" : "");
	tool_event(t, "finished", k->id, k->tool->name, k->agent, k->agent_id, k->uid, k->run, msg);
	reply = proto_ok(k->req_id);
	if (!reply) {
		t->host.reply(t->host.ctx, k->conn_id, NULL);
		return;
	}
	json_object_set_new(reply, "call", json_integer((json_int_t)k->id));
	json_object_set_new(reply, "tool", json_string(k->tool->name));
	if (k->confirm_id)
		json_object_set_new(reply, "confirmation", json_integer((json_int_t)k->confirm_id));
	json_object_set_new(reply, "exited", json_boolean(k->res.exited));
	json_object_set_new(reply, "exit_code", json_integer(k->res.exit_code));
	json_object_set_new(reply, "signal", json_integer(k->res.signal));
	json_object_set_new(reply, "exec_errno", json_integer(k->res.exec_errno));
	json_object_set_new(reply, "timed_out", json_boolean(k->res.timed_out));
	json_object_set_new(reply, "oom_killed", json_boolean(k->res.oom_killed));
	json_object_set_new(reply, "pids_limited", json_boolean(k->res.pids_limited));
	set_output(reply, "stdout", k->res.out, k->res.out_len);
	set_output(reply, "stderr", k->res.err, k->res.err_len);
	json_object_set_new(reply, "stdout_truncated", json_boolean(k->res.out_truncated));
	json_object_set_new(reply, "stderr_truncated", json_boolean(k->res.err_truncated));
	json_object_set_new(reply, "warm", json_boolean(k->res.warm));
	json_object_set_new(reply, "usage",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "wall_us", (json_int_t)k->res.wall_us,
				      "utime_us", (json_int_t)k->res.utime_us,
				      "stime_us", (json_int_t)k->res.stime_us,
				      "maxrss_kb", (json_int_t)k->res.maxrss_kb,
				      "memory_peak", (json_int_t)k->res.memory_peak));
	json_object_set_new(reply, "audit",
			    json_pack("{s:b, s:I}", "attached", t->audit != NULL,
				      "events", (json_int_t)k->nevents));
	if (k->run[0])
		json_object_set_new(reply, "ledger",
				    json_pack("{s:s, s:I, s:I}", "run", k->run,
					      "first_seq", (json_int_t)k->ledger_first,
					      "last_seq", (json_int_t)k->ledger_last));
	t->host.reply(t->host.ctx, k->conn_id, reply);
}

void toolops_process(struct toolops *t)
{
	struct call *done, *k, **pp;
	uint64_t n;

	if (!t)
		return;
	if (read(t->done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		aiosd_log(1, "tool completion eventfd: %s", strerror(errno));
	/* events of finished calls are in the ring by now: attribute them first */
	pthread_mutex_lock(&t->lock);
	done = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	/*
	 * A call is queued after its tree is dead and untracked, so every
	 * event of the calls just taken is in the ring now: consume them
	 * before finishing those calls (and after taking them).
	 */
	if (t->audit)
		aios_audit_poll(t->audit, 0);
	while ((k = done)) {
		done = k->done_next;
		pthread_join(k->thread, NULL);
		finish_call(t, k);
		pthread_mutex_lock(&t->lock);
		for (pp = &t->calls; *pp != k; pp = &(*pp)->next)
			;
		*pp = k->next;
		pthread_mutex_unlock(&t->lock);
		t->ncalls--;
		call_free(k);
	}
}

/* ---- tool.list, tool.pending, tool.confirm, audit.* ---------------------- */

static json_t *str_array(char **v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *op_list(struct toolops *t, const struct toolops_caller *who, struct proto_req *req)
{
	char msg[MSG_LEN];
	struct rights r;
	json_t *reply, *tools, *acc;
	int rc;

	if (proto_check_fields(req->root, NULL, msg, sizeof(msg)))
		return proto_error(req->id, -EINVAL, msg);
	rc = caller_rights(t, who, &r, msg, sizeof(msg));
	if (rc)
		return proto_error(req->id, rc, msg);
	reply = proto_ok(req->id);
	tools = json_array();
	acc = json_array();
	if (!reply || !tools || !acc) {
		json_decref(reply);
		json_decref(tools);
		json_decref(acc);
		return proto_error(req->id, -ENOMEM, "out of memory");
	}
	if (r.access & AIOS_SB_ACCESS_FS)
		json_array_append_new(acc, json_string("fs"));
	if (r.access & AIOS_SB_ACCESS_NET)
		json_array_append_new(acc, json_string("net"));
	for (size_t i = 0; t->reg && aios_sb_registry_at(t->reg, i); i++) {
		const struct aios_sb_tool *tool = aios_sb_registry_at(t->reg, i), *tp;
		json_t *o;

		rc = may_call(t, &r, tool->name, &tp, msg, sizeof(msg));
		o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:o, s:{s:I, s:i, s:i, s:i, s:I, s:I}, s:{s:o, s:o}, s:b}",
			      "name", tool->name, "description",
			      tool->description ? tool->description : "",
			      "permission", aios_sb_perm_name(tool->permission),
			      "sandboxed", tool->sandboxed, "confirm", tool->confirm,
			      "allow_options", tool->allow_options, "max_args", tool->max_args,
			      "command", str_array(tool->command),
			      "limits", "memory_mb",
			      (json_int_t)((tool->memory_max ? tool->memory_max : DEF_MEMORY) >> 20),
			      "pids", tool->pids_max ? (int)tool->pids_max : DEF_PIDS,
			      "cpu_pct", tool->cpu_pct ? (int)tool->cpu_pct : DEF_CPU,
			      "timeout_ms", tool->timeout_ms ? (int)tool->timeout_ms : DEF_TIMEOUT_MS,
			      "stdout_max", (json_int_t)(tool->stdout_max ? tool->stdout_max : DEF_STDOUT),
			      "stderr_max", (json_int_t)(tool->stderr_max ? tool->stderr_max : DEF_STDERR),
			      "paths", "ro", str_array(tool->ro_paths), "rw", str_array(tool->rw_paths),
			      "callable", rc == 0);
		if (o && rc)
			json_object_set_new(o, "why", json_string(msg));
		if (o)
			json_array_append_new(tools, o);
	}
	json_object_set_new(reply, "permission", json_string(aios_sb_perm_name(r.level)));
	json_object_set_new(reply, "access", acc);
	json_object_set_new(reply, "tools", tools);
	if (!t->reg)
		json_object_set_new(reply, "detail", json_string(t->reg_why));
	return reply;
}

/*
 * Who may decide a parked call: an admin - for an agent that means the
 * kernel capability AIOS_CAP_ADMIN, not a process running as root (an
 * agent must not confirm its own calls) -, or the caller's owner: a
 * client of the caller's uid that is not an agent.
 */
static bool is_admin_now(struct toolops *t, const struct toolops_caller *who)
{
	struct rights r;
	char msg[MSG_LEN];

	if (!who->agent)
		return who->admin;
	return !caller_rights(t, who, &r, msg, sizeof(msg)) && r.admin;
}

static bool may_decide(struct toolops *t, const struct toolops_caller *who, bool admin,
		       const struct call *k)
{
	if (admin)
		return true;
	return t->cfg->tools_owner_confirm && !who->agent && who->uid == k->uid;
}

static json_t *op_pending(struct toolops *t, const struct toolops_caller *who,
			  struct proto_req *req)
{
	char msg[MSG_LEN];
	int64_t now = mono_ms();
	bool admin = is_admin_now(t, who);
	json_t *reply, *list;

	if (proto_check_fields(req->root, NULL, msg, sizeof(msg)))
		return proto_error(req->id, -EINVAL, msg);
	reply = proto_ok(req->id);
	list = json_array();
	if (!reply || !list) {
		json_decref(reply);
		json_decref(list);
		return proto_error(req->id, -ENOMEM, "out of memory");
	}
	for (struct call *k = t->calls; k; k = k->next) {
		bool mine = who->agent ? k->agent && k->agent_id == who->agent_id :
					 !k->agent && k->uid == who->uid;
		bool decide = may_decide(t, who, admin, k);

		if (k->state != C_PARKED || (!decide && !mine))
			continue;
		json_array_append_new(list,
			json_pack("{s:I, s:I, s:s, s:O, s:I, s:i, s:s, s:I, s:I, s:b}",
				  "confirmation", (json_int_t)k->confirm_id, "call", (json_int_t)k->id,
				  "tool", k->tool->name, "args", k->args,
				  "agent", (json_int_t)k->agent_id, "uid", (int)k->uid,
				  "run", k->run, "age_ms", (json_int_t)(now - k->parked_ms),
				  "expires_in_ms",
				  (json_int_t)(k->deadline_ms > now ? k->deadline_ms - now : 0),
				  "may_decide", decide));
	}
	json_object_set_new(reply, "pending", list);
	return reply;
}

static json_t *op_confirm(struct toolops *t, const struct toolops_caller *who,
			  struct proto_req *req)
{
	static const char *const fields[] = { "confirmation", "allow", NULL };
	char msg[MSG_LEN];
	uint64_t id = 0;
	bool allow = true;
	struct call *k;
	json_t *reply, *p;
	int rc;

	if (proto_check_fields(req->root, fields, msg, sizeof(msg)))
		return proto_error(req->id, -EINVAL, msg);
	rc = proto_get_u64(req->root, "confirmation", &id, msg, sizeof(msg));
	if (rc < 0)
		return proto_error(req->id, -EINVAL, msg);
	if (!rc)
		return proto_error(req->id, -EINVAL, "\"confirmation\" (the id tool.pending shows) is required");
	if (proto_get_bool(req->root, "allow", &allow, msg, sizeof(msg)) < 0)
		return proto_error(req->id, -EINVAL, msg);
	for (k = t->calls; k && !(k->state == C_PARKED && k->confirm_id == id); k = k->next)
		;
	if (!k) {
		snprintf(msg, sizeof(msg), "no tool call waits for confirmation %llu (already decided, timed out, or never parked)",
			 (unsigned long long)id);
		return proto_error(req->id, -ENOENT, msg);
	}
	if (!may_decide(t, who, is_admin_now(t, who), k)) {
		snprintf(msg, sizeof(msg), who->agent ?
			 "an agent cannot decide tool calls; an admin or the caller's owner (uid %u, not as an agent) must" :
			 t->cfg->tools_owner_confirm ?
			 "only an admin or the caller's owner (uid %u) may decide this call" :
			 "only an admin may decide tool calls (tools.owner_confirm is off; caller uid %u)",
			 k->uid);
		t->denied_total++;
		tool_event(t, "denied", k->id, k->tool->name, who->agent, who->agent_id, who->uid,
			   NULL, msg);
		return proto_error(req->id, -EPERM, msg);
	}
	rc = aios_sb_confirm_decide(t->confirm, id, allow, true, 0);
	if (rc) {
		snprintf(msg, sizeof(msg), "confirmation %llu was decided meanwhile (timed out)",
			 (unsigned long long)id);
		return proto_error(req->id, rc, msg);
	}
	k->state = C_RUNNING;
	t->nparked--;
	snprintf(msg, sizeof(msg), "%s by uid %u%s", allow ? "allowed" : "refused", who->uid,
		 who->agent ? " (admin agent)" : "");
	tool_event(t, allow ? "confirmed" : "refused", k->id, k->tool->name, k->agent, k->agent_id,
		   k->uid, k->run, msg);
	if (k->run[0]) {
		p = json_pack("{s:I, s:I, s:b, s:i, s:I}", "call", (json_int_t)k->id,
			      "confirmation", (json_int_t)id, "allow", allow, "by_uid", (int)who->uid,
			      "by_agent", (json_int_t)(who->agent ? who->agent_id : 0));
		if (p)
			ledger_append(t, k->ns, k->admin, k->run, "tool_confirm", p, NULL, msg,
				      sizeof(msg));
	}
	reply = proto_ok(req->id);
	if (reply) {
		json_object_set_new(reply, "confirmation", json_integer((json_int_t)id));
		json_object_set_new(reply, "call", json_integer((json_int_t)k->id));
		json_object_set_new(reply, "allowed", json_boolean(allow));
	}
	return reply;
}

static json_t *op_subscribe(struct toolops *t, const struct toolops_caller *who,
			    struct proto_req *req, bool on)
{
	char msg[MSG_LEN];
	struct sub *s, **pp;
	json_t *reply;

	if (proto_check_fields(req->root, NULL, msg, sizeof(msg)))
		return proto_error(req->id, -EINVAL, msg);
	for (pp = &t->subs; *pp && (*pp)->conn_id != who->conn_id; pp = &(*pp)->next)
		;
	if (on && !*pp) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return proto_error(req->id, -ENOMEM, "out of memory");
		s->conn_id = who->conn_id;
		s->admin = who->admin;
		s->agent = who->agent;
		s->agent_id = who->agent_id;
		s->uid = who->uid;
		s->next = t->subs;
		t->subs = s;
		t->nsubs++;
	} else if (!on && *pp) {
		s = *pp;
		*pp = s->next;
		free(s);
		t->nsubs--;
	}
	*who->subscribed = on;
	reply = proto_ok(req->id);
	if (reply && on) {
		json_object_set_new(reply, "attached", json_boolean(t->audit != NULL));
		json_object_set_new(reply, "lsm", json_boolean(aios_audit_lsm(t->audit)));
		json_object_set_new(reply, "scope", json_string(who->admin ? "all" :
								who->agent ? "agent" : "uid"));
		if (!t->audit)
			json_object_set_new(reply, "detail", json_string(t->audit_why));
	}
	return reply;
}

json_t *toolops_handle(struct toolops *t, const struct toolops_caller *who, struct proto_req *req)
{
	char msg[128];

	*who->deferred = false;
	if (!strcmp(req->op, "tool.call"))
		return op_call(t, who, req);
	if (!strcmp(req->op, "tool.list"))
		return op_list(t, who, req);
	if (!strcmp(req->op, "tool.pending"))
		return op_pending(t, who, req);
	if (!strcmp(req->op, "tool.confirm"))
		return op_confirm(t, who, req);
	if (!strcmp(req->op, "audit.subscribe"))
		return op_subscribe(t, who, req, true);
	if (!strcmp(req->op, "audit.unsubscribe"))
		return op_subscribe(t, who, req, false);
	snprintf(msg, sizeof(msg), "unknown operation \"%.64s\"", req->op);
	return proto_error(req->id, -EOPNOTSUPP, msg);
}

void toolops_conn_closed(struct toolops *t, uint64_t conn_id)
{
	struct sub **pp, *s;

	if (!t)
		return;
	for (pp = &t->subs; *pp; pp = &(*pp)->next)
		if ((*pp)->conn_id == conn_id) {
			s = *pp;
			*pp = s->next;
			free(s);
			t->nsubs--;
			return;
		}
}

void toolops_fds(struct toolops *t, int *done_fd, int *audit_fd)
{
	*done_fd = t ? t->done_fd : -1;
	*audit_fd = t && t->audit ? aios_audit_fd(t->audit) : -1;
}

int toolops_timeout_ms(struct toolops *t)
{
	/* the BPF program wakes the consumer only at a quarter-full ring */
	return t && t->audit && (t->ncalls || t->subs) ? AUDIT_POLL_MS : -1;
}

/* ---- status --------------------------------------------------------------- */

json_t *toolops_status_sandbox(struct toolops *t)
{
	json_t *o, *prot, *missing, *weak;

	o = json_object();
	prot = json_object();
	missing = json_array();
	weak = json_array();
	if (!o || !prot || !missing || !weak) {
		json_decref(o);
		json_decref(prot);
		json_decref(missing);
		json_decref(weak);
		return NULL;
	}
	for (unsigned int b = 1; b <= AIOS_SB_PROT_BPF_LSM; b <<= 1) {
		json_object_set_new(prot, aios_sb_prot_name(b), json_boolean(t->avail & b));
		if ((AIOS_SB_PROT_REQUIRED & b) && !(t->avail & b))
			json_array_append_new(missing, json_string(aios_sb_prot_name(b)));
		if (t->allow_weak & b)
			json_array_append_new(weak, json_string(aios_sb_prot_name(b)));
	}
	json_object_set_new(o, "available", json_boolean(t->sb != NULL));
	if (!t->sb)
		json_object_set_new(o, "detail", json_string(t->sb_why));
	json_object_set_new(o, "protections", prot);
	json_object_set_new(o, "missing", missing);
	json_object_set_new(o, "allow_weak", weak);
	json_object_set_new(o, "weak_mode", json_boolean(t->allow_weak != 0));
	json_object_set_new(o, "pool_size", json_integer(t->cfg->tools_pool_size));
	json_object_set_new(o, "pool_ready", json_integer(t->sb ? aios_sb_pool_ready(t->sb) : 0));
	json_object_set_new(o, "tools", json_integer(t->reg ? (json_int_t)aios_sb_registry_count(t->reg) : 0));
	json_object_set_new(o, "tools_dir", json_string(t->cfg->tools_dir));
	if (!t->reg)
		json_object_set_new(o, "tools_detail", json_string(t->reg_why));
	json_object_set_new(o, "calls_running", json_integer((json_int_t)(t->ncalls - t->nparked)));
	json_object_set_new(o, "calls_parked", json_integer((json_int_t)t->nparked));
	json_object_set_new(o, "calls", json_integer((json_int_t)t->calls_total));
	json_object_set_new(o, "denied", json_integer((json_int_t)t->denied_total));
	return o;
}

json_t *toolops_status_audit(struct toolops *t)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "attached", json_boolean(t->audit != NULL));
	if (!t->audit)
		json_object_set_new(o, "detail", json_string(t->audit_why));
	json_object_set_new(o, "lsm", json_boolean(aios_audit_lsm(t->audit)));
	json_object_set_new(o, "events", json_integer((json_int_t)t->events_total));
	json_object_set_new(o, "unattributed", json_integer((json_int_t)t->unattributed));
	json_object_set_new(o, "lost", json_integer(t->audit ? (json_int_t)aios_audit_lost(t->audit) : 0));
	json_object_set_new(o, "subscribers", json_integer((json_int_t)t->nsubs));
	json_object_set_new(o, "subscriber_dropped", json_integer((json_int_t)t->sub_dropped));
	return o;
}

/* ---- open / close ----------------------------------------------------------- */

static int parse_weak(const char *s, unsigned int *bits, char *msg, size_t msglen)
{
	char buf[128], *save = NULL, *tok;

	*bits = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		unsigned int b;

		for (b = 1; b <= AIOS_SB_PROT_CGROUP; b <<= 1)
			if (!strcmp(tok, aios_sb_prot_name(b)))
				break;
		if (b > AIOS_SB_PROT_CGROUP) {
			snprintf(msg, msglen, "tools.allow_weak: unknown protection \"%s\" (landlock, seccomp, cgroup-v2; namespaces cannot be waived)",
				 tok);
			return -EINVAL;
		}
		*bits |= b;
	}
	return 0;
}

static int load_policy(struct toolops *t, const char *path, char *msg, size_t msglen)
{
	static const char *const top[] = { "default", "agents", "uids", NULL };
	json_error_t je;
	const char *k, *k2;
	json_t *v, *e;

	t->policy = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!t->policy) {
		snprintf(msg, msglen, "tools.policy %s: line %d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	if (!json_is_object(t->policy))
		goto bad;
	json_object_foreach(t->policy, k, v) {
		int i;

		for (i = 0; top[i] && strcmp(top[i], k); i++)
			;
		if (!top[i]) {
			snprintf(msg, msglen, "tools.policy %s: unknown key \"%s\" (default, agents, uids)",
				 path, k);
			return -EINVAL;
		}
		if (!json_is_object(v))
			goto bad;
		json_object_foreach(v, k2, e) {
			json_t *entry = i == 0 ? v : e;
			const char *f;
			json_t *x;

			json_object_foreach(entry, f, x) {
				enum aios_sb_perm p;
				size_t j;
				json_t *y;

				if (!strcmp(f, "max_permission")) {
					if (!json_is_string(x) || perm_parse(json_string_value(x), &p))
						goto bad;
				} else if (!strcmp(f, "tools")) {
					if (!json_is_array(x))
						goto bad;
					json_array_foreach(x, j, y)
						if (!json_is_string(y))
							goto bad;
				} else {
					snprintf(msg, msglen, "tools.policy %s: unknown key \"%s\" (tools, max_permission)",
						 path, f);
					return -EINVAL;
				}
			}
			if (i == 0)
				break;
		}
	}
	return 0;
bad:
	snprintf(msg, msglen, "tools.policy %s: expected {\"default\": ENTRY, \"agents\": {NAME: ENTRY}, \"uids\": {UID: ENTRY}} with ENTRY = {\"tools\": [names], \"max_permission\": \"READ_ONLY\"|\"READ_WRITE\"|\"NETWORK\"|\"ADMIN\"}",
		 path);
	return -EINVAL;
}

/*
 * Without root, sandbox cgroups go below aiosd's own cgroup, which the
 * service manager must have delegated (systemd Delegate=yes).  cgroup v2
 * allows no processes in a cgroup whose controllers are enabled for its
 * children, so aiosd first moves itself into a "daemon" leaf; the runs
 * then go below a sibling "tools".  Returns 0 with parent set, or a
 * negative errno with why (the sandbox then reports the default's error).
 */
static int delegated_cgroup(char *parent, size_t len, char *why, size_t whylen)
{
	char line[512], base[600], path[700];
	FILE *f = fopen("/proc/self/cgroup", "re");
	bool found = false;
	int fd;

	if (!f) {
		snprintf(why, whylen, "/proc/self/cgroup: %s", strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			found = true;
			break;
		}
	fclose(f);
	if (!found) {
		snprintf(why, whylen, "aiosd is not in a cgroup v2 hierarchy");
		return -EOPNOTSUPP;
	}
	snprintf(base, sizeof(base), "/sys/fs/cgroup%s", strcmp(line + 3, "/") ? line + 3 : "");
	/* already moved into our leaf (a restart in the same cgroup) */
	if (strlen(base) > 7 && !strcmp(base + strlen(base) - 7, "/daemon"))
		base[strlen(base) - 7] = 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", base);
	if (access(path, W_OK)) {
		snprintf(why, whylen, "aiosd's cgroup %.400s is not delegated to uid %u (systemd: Delegate=yes)",
			 base, (unsigned int)geteuid());
		return -EACCES;
	}
	snprintf(path, sizeof(path), "%s/daemon", base);
	if (mkdir(path, 0755) && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %.400s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/daemon/cgroup.procs", base);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		snprintf(why, whylen, "cannot move aiosd into %.400s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EACCES;
	}
	close(fd);
	if ((size_t)snprintf(parent, len, "%s/tools", base) >= len) {
		snprintf(why, whylen, "cgroup path %.400s is too long", base);
		return -ENAMETOOLONG;
	}
	return 0;
}

static void open_audit(struct toolops *t, const struct aiosd_config *cfg)
{
	char why[MSG_LEN];
	unsigned int flags = 0;
	int rc;

	if (!strcmp(cfg->audit_ebpf, "off")) {
		snprintf(t->audit_why, sizeof(t->audit_why), "disabled (audit.ebpf = off)");
		return;
	}
	if (strcmp(cfg->audit_lsm, "off"))
		flags = AIOS_AUDIT_OPEN_LSM;
	rc = aios_audit_open(&t->audit, flags, 0, on_audit_event, t, why, sizeof(why));
	if (rc == -EOPNOTSUPP && flags && !strcmp(cfg->audit_lsm, "auto")) {
		/* no BPF LSM: audit without enforcement */
		flags = 0;
		rc = aios_audit_open(&t->audit, 0, 0, on_audit_event, t, why, sizeof(why));
	}
	if (rc) {
		t->audit = NULL;
		snprintf(t->audit_why, sizeof(t->audit_why), "%s", why);
	}
}

int toolops_open(const struct aiosd_config *cfg, struct aios_runops *runs,
		 const struct toolops_host *host, struct toolops **out, char *msg, size_t msglen)
{
	struct aios_sb_config sc = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	char health[1024], cgparent[256], why[MSG_LEN];
	struct toolops *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	t->done_fd = -1;
	t->cfg = cfg;
	t->runs = runs;
	t->host = *host;
	pthread_mutex_init(&t->lock, NULL);
	t->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->done_fd < 0) {
		rc = -errno;
		snprintf(msg, msglen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = parse_weak(cfg->tools_allow_weak, &t->allow_weak, msg, msglen);
	if (rc)
		goto fail;
	if (cfg->tools_policy[0]) {
		rc = load_policy(t, cfg->tools_policy, msg, msglen);
		if (rc)
			goto fail;
	}
	rc = aios_sb_confirm_new(&t->confirm);
	if (rc) {
		snprintf(msg, msglen, "out of memory");
		goto fail;
	}
	rc = aios_sb_registry_new(&t->reg);
	if (rc) {
		snprintf(msg, msglen, "out of memory");
		goto fail;
	}
	if (access(cfg->tools_dir, F_OK) && errno == ENOENT) {
		snprintf(t->reg_why, sizeof(t->reg_why), "tools.dir %.400s does not exist: no tools",
			 cfg->tools_dir);
	} else {
		rc = aios_sb_registry_load_dir(t->reg, cfg->tools_dir, t->reg_why, sizeof(t->reg_why));
		if (rc) {
			snprintf(msg, msglen, "tool registry: %s", t->reg_why);
			goto fail;
		}
		snprintf(t->reg_why, sizeof(t->reg_why), "%zu tools from %.450s",
			 aios_sb_registry_count(t->reg), cfg->tools_dir);
	}
	t->kh = aios_new();	/* netlink only; NULL (ENOMEM) falls back to auth-time caps */
	if (!aios_sb_registry_count(t->reg) && strcmp(cfg->audit_ebpf, "on")) {
		/* nothing to run: no warm pool, no BPF programs (aiosd starts
		 * fast); status still lists the host's protections */
		t->avail = aios_sb_health(&sc, health, sizeof(health));
		snprintf(t->sb_why, sizeof(t->sb_why), "not started: no tools registered (%.400s)",
			 t->reg_why);
		snprintf(t->audit_why, sizeof(t->audit_why),
			 "not loaded: no tools registered (audit.ebpf = on loads it anyway)");
		aiosd_log(2, "no tools registered: sandbox and eBPF audit not started");
		*out = t;
		return 0;
	}
	open_audit(t, cfg);
	if (!t->audit && !strcmp(cfg->audit_ebpf, "on")) {
		snprintf(msg, msglen, "audit.ebpf = on but the eBPF audit cannot be loaded: %s",
			 t->audit_why);
		rc = -EPERM;
		goto fail;
	}
	if (t->audit)
		aiosd_log(2, "eBPF audit attached%s", aios_audit_lsm(t->audit) ?
			       " with BPF LSM enforcement" : " (no BPF LSM enforcement)");
	else
		aiosd_log(1, "eBPF audit not attached: %s", t->audit_why);
	sc.cgroup_parent = cfg->tools_cgroup[0] ? cfg->tools_cgroup : NULL;
	if (!sc.cgroup_parent && geteuid() != 0) {
		if (!delegated_cgroup(cgparent, sizeof(cgparent), why, sizeof(why))) {
			sc.cgroup_parent = cgparent;
			aiosd_log(2, "not root: sandbox cgroups below the delegated %s", cgparent);
		} else {
			aiosd_log(1, "not root and no delegated cgroup (%s); trying the default", why);
		}
	}
	sc.allow_weak = t->allow_weak;
	sc.pool_size = cfg->tools_pool_size;
	sc.audit = t->audit;
	sc.audit_external = true;
	t->avail = aios_sb_health(&sc, health, sizeof(health));
	rc = aios_sb_open(&sc, &t->sb, t->sb_why, sizeof(t->sb_why));
	if (rc) {
		t->sb = NULL;
		aiosd_log(1, "tool sandbox unavailable: %s", t->sb_why);
	} else {
		aiosd_log(2, "tool sandbox ready (%s; warm pool %u)", t->reg_why,
			       cfg->tools_pool_size);
	}
	*out = t;
	return 0;
fail:
	toolops_close(t);
	return rc;
}

void toolops_close(struct toolops *t)
{
	struct call *k;

	if (!t)
		return;
	/* nothing parked may run now: refuse, then wait for the threads */
	for (k = t->calls; k; k = k->next)
		if (k->state == C_PARKED)
			aios_sb_confirm_decide(t->confirm, k->confirm_id, false, true, 0);
	while ((k = t->calls)) {
		pthread_join(k->thread, NULL);
		t->calls = k->next;
		call_free(k);
	}
	while (t->subs) {
		struct sub *s = t->subs;

		t->subs = s->next;
		free(s);
	}
	aios_sb_close(t->sb);
	aios_audit_close(t->audit);
	aios_sb_registry_free(t->reg);
	aios_sb_confirm_free(t->confirm);
	aios_close(t->kh);
	json_decref(t->policy);
	if (t->done_fd >= 0)
		close(t->done_fd);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
