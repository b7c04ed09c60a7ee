// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd event loop.  One thread, epoll (level-triggered) over: the
 * listening socket, a signalfd (SIGTERM, SIGINT, SIGHUP) and every client
 * connection.  Each connection has a bounded input buffer (one frame of
 * at most max_message bytes) and an output queue; when the queue holds
 * more than OUT_LIMIT bytes the connection is not read until it drains.
 * Housekeeping every second closes connections idle for idle_timeout_s,
 * stuck mid-message or not reading replies for message_timeout_s, runs
 * batched fsync and periodic snapshots.
 *
 * Identity: SO_PEERCRED at accept gives uid/pid (admin = uid 0 or
 * CAP_SYS_ADMIN in the peer's effective set); an "auth" request carrying
 * the client's /dev/aios file descriptor (SCM_RIGHTS) makes it that
 * kernel agent (AIOS_IOC_AGENT_INFO on the descriptor).
 */
#define _GNU_SOURCE
#include "server.h"
#include "memops.h"
#include "proto.h"
#include "runops.h"
#include "tokens.h"	/* HTTP front identities (aios-httpd) */
#include "toolops.h"	/* tool.*, audit.subscribe (issue 9) */
#include "admin.h"	/* config reload, boot log, config.get (admin.c) */

#include <errno.h>
#include <fcntl.h>
#include <linux/aios.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define OUT_LIMIT	(8u << 20)
#define IN_TOTAL_LIMIT	(256u << 20)	/* input buffered over all clients */
#define READ_CHUNK	65536
#define CAP_SYS_ADMIN_BIT	21

int aiosd_log_level = 2;

void aiosd_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > aiosd_log_level)
		return;
	fprintf(stderr, "aiosd: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct conn {
	int fd;
	struct conn *prev, *next;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	int passed_fd;
	struct client_id id;
	int64_t last_active, partial_since, out_since;
	bool closing;		/* close once the output is flushed */
	bool reading;		/* EPOLLIN registered */
	bool writing;		/* EPOLLOUT registered */
	bool held;		/* replies wait for the round's log sync */
	bool runs_pending;	/* ... or for the round's ledger sync */
	bool backlog;		/* complete requests wait in the input buffer
				 * (stopped by the output limit) */
	bool http_authed;	/* authenticated by token or HTTP client socket */
	/* tool calls and the audit stream (toolops.c) */
	uint64_t cid;		/* connection id, never reused */
	bool deferred;		/* a tool.call reply comes later; later
				 * requests wait in the input buffer */
	bool subscribed;	/* receives audit event frames */
};

struct server {
	const struct aiosd_config *cfg;
	struct aios_store *st;
	const struct server_info *info;
	int epfd, lfd, sigfd;
	struct conn *conns;
	size_t nconns;
	bool kernel;
	char kernel_why[400];
	dev_t aios_rdev;
	int64_t started, last_snapshot;
	uint64_t requests, rejected_conns;
	size_t in_total;	/* bytes of input buffers, all connections */
	size_t held;		/* connections with held replies */
	size_t backlog;		/* connections with backlog set */
	bool stop;
	struct aiosd_tokens *tokens;	/* HTTP tokens, audit.get (tokens.c) */
	struct toolops *tools;	/* tool.*, audit.subscribe (toolops.c) */
	uint64_t next_cid;
};

/* epoll tags for the non-connection fds */
static char tag_listen, tag_signal;
static char tag_tools, tag_audit;	/* toolops.c: finished calls, eBPF ring */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- kernel probe and identity ---- */

static void probe_kernel(struct server *s)
{
	struct aios_api api = { .size = sizeof(api), .api_version = AIOS_API_VERSION };
	struct stat sb;
	int fd = open(s->cfg->device, O_RDWR | O_CLOEXEC);

	s->kernel = false;
	if (fd < 0) {
		snprintf(s->kernel_why, sizeof(s->kernel_why), "%s: %s", s->cfg->device,
			 strerror(errno));
		return;
	}
	if (fstat(fd, &sb) || !S_ISCHR(sb.st_mode)) {
		snprintf(s->kernel_why, sizeof(s->kernel_why), "%s: not a character device",
			 s->cfg->device);
		close(fd);
		return;
	}
	if (ioctl(fd, AIOS_IOC_API, &api)) {
		snprintf(s->kernel_why, sizeof(s->kernel_why), "%s: AIOS_IOC_API: %s",
			 s->cfg->device, strerror(errno));
		close(fd);
		return;
	}
	s->aios_rdev = sb.st_rdev;
	s->kernel = true;
	snprintf(s->kernel_why, sizeof(s->kernel_why), "aios API %u", api.api_version);
	close(fd);
}

static bool has_cap_sys_admin(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned long long eff = 0;
	bool found = false, uid_ok = false;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned int r, e;

		if (sscanf(line, "Uid:\t%u\t%u", &r, &e) == 2)
			uid_ok = e == uid;	/* still the process that connected */
		if (sscanf(line, "CapEff:\t%llx", &eff) == 1)
			found = true;
	}
	fclose(f);
	return found && uid_ok && (eff >> CAP_SYS_ADMIN_BIT & 1);
}

static json_t *op_auth(struct server *s, struct conn *c, struct proto_req *req)
{
	struct aios_agent_info ai = { .size = sizeof(ai) };
	char err[512];
	struct stat sb;
	int fd = c->passed_fd;

	c->passed_fd = -1;
	/* HTTP front: a bearer token or an HTTP client's socket (tokens.c) */
	if (json_object_get(req->root, "token") || tokens_fd_is_socket(fd)) {
		struct client_id id = c->id;
		int ok;
		json_t *r;

		if (c->id.agent || c->http_authed) {
			if (fd >= 0)
				close(fd);
			return proto_error(req->id, -EALREADY, "this connection is already authenticated");
		}
		r = tokens_auth(s->tokens, &id, req, fd, s->kernel, &ok);
		if (ok) {
			if (!id.agent && id.pid > 0 && !id.admin)
				id.admin = has_cap_sys_admin(id.pid, id.uid);
			c->id = id;
			c->http_authed = true;
			if (r)
				json_object_set_new(r, "admin", json_boolean(id.admin));
		}
		return r;
	}
	if (proto_check_fields(req->root, NULL, err, sizeof(err))) {
		if (fd >= 0)
			close(fd);
		return proto_error(req->id, -EINVAL, err);
	}
	if (c->id.agent) {
		if (fd >= 0)
			close(fd);
		return proto_error(req->id, -EALREADY, "this connection is already authenticated as an agent");
	}
	if (!s->kernel) {
		if (fd >= 0)
			close(fd);
		snprintf(err, sizeof(err),
			 "the aios kernel module is not available (%s); identity is by peer uid only",
			 s->kernel_why);
		return proto_error(req->id, -ENODEV, err);
	}
	if (fd < 0)
		return proto_error(req->id, -EBADF,
				   "\"auth\" needs the agent's /dev/aios file descriptor attached (SCM_RIGHTS)");
	if (fstat(fd, &sb) || !S_ISCHR(sb.st_mode) || sb.st_rdev != s->aios_rdev) {
		close(fd);
		return proto_error(req->id, -EBADF, "the attached descriptor is not /dev/aios");
	}
	if (ioctl(fd, AIOS_IOC_AGENT_INFO, &ai)) {
		int e = errno;

		close(fd);
		snprintf(err, sizeof(err), "AIOS_IOC_AGENT_INFO on the attached descriptor: %s%s",
			 strerror(e), e == EBADFD ? " (the file is not a registered agent)" : "");
		return proto_error(req->id, -e, err);
	}
	close(fd);
	if (ai.state != AIOS_AGENT_LIVE)
		return proto_error(req->id, -ENOLINK, "the agent has been killed");
	c->id.agent = true;
	c->id.agent_id = ai.agent_id;
	c->id.caps = ai.caps;
	if (ai.caps & AIOS_CAP_ADMIN)
		c->id.admin = true;
	aiosd_log(3, "connection fd %d is agent %llu", c->fd, (unsigned long long)ai.agent_id);
	{
		json_t *r = proto_ok(req->id);

		if (r)
			json_object_set_new(r, "agent", json_integer((json_int_t)ai.agent_id));
		return r;
	}
}

static json_t *identity_json(const struct client_id *id)
{
	json_t *j = json_pack("{s:s, s:I, s:i, s:b}", "kind", id->agent ? "agent" : "uid",
			      "uid", (json_int_t)id->uid, "pid", (int)id->pid,
			      "admin", id->admin);

	if (j && id->agent)
		json_object_set_new(j, "agent", json_integer((json_int_t)id->agent_id));
	return j;
}

static json_t *op_status(struct server *s, struct conn *c, struct proto_req *req)
{
	struct aios_store_stats st;
	char err[256];
	json_t *r, *store;

	if (proto_check_fields(req->root, NULL, err, sizeof(err)))
		return proto_error(req->id, -EINVAL, err);
	r = proto_ok(req->id);
	if (!r)
		return NULL;
	json_object_set_new(r, "server", json_string("aiosd"));
	json_object_set_new(r, "protocol", json_integer(AIOSD_PROTO_VERSION));
	json_object_set_new(r, "kernel", json_boolean(s->kernel));
	json_object_set_new(r, "kernel_detail", json_string(s->kernel_why));
	json_object_set_new(r, "identity_mode",
			    json_string(s->kernel ? "kernel agents and peer uid" : "peer uid only"));
	json_object_set_new(r, "identity", identity_json(&c->id));
	json_object_set_new(r, "uptime_s", json_integer((now_ms() - s->started) / 1000));
	json_object_set_new(r, "connections", json_integer((json_int_t)s->nconns));
	aios_store_agent_stats(s->st, client_ns(&c->id), &st);
	json_object_set_new(r, "memory", memops_stats_json(&st));
	if (c->id.admin) {
		aios_store_stats(s->st, &st);
		store = memops_stats_json(&st);
		if (store) {
			json_object_set_new(store, "fsync",
					    json_string(config_fsync_name(s->cfg->fsync)));
			json_object_set_new(store, "dir", json_string(s->cfg->store_dir));
			json_object_set_new(store, "log_bytes", json_integer((json_int_t)st.log_bytes));
			json_object_set_new(store, "load_report",
					    json_string(s->info->load_report ? s->info->load_report : ""));
		}
		json_object_set_new(r, "store", store);
		json_object_set_new(r, "requests", json_integer((json_int_t)s->requests));
		json_object_set_new(r, "rejected_connections",
				    json_integer((json_int_t)s->rejected_conns));
	}
	admin_status(s->info->admin, r, &c->id);	/* config, runs, boot */
	if (s->tools) {		/* tool sandbox and eBPF audit (toolops.c) */
		json_object_set_new(r, "sandbox", toolops_status_sandbox(s->tools));
		json_object_set_new(r, "audit", toolops_status_audit(s->tools));
	}
	return r;
}

/* ---- connections ---- */

static void conn_update_events(struct server *s, struct conn *c)
{
	bool want_in = !c->closing && !c->deferred && c->out_len - c->out_off <= OUT_LIMIT;
	bool want_out = c->out_len > c->out_off;
	struct epoll_event ev = { .data.ptr = c };

	if (want_in == c->reading && want_out == c->writing)
		return;
	ev.events = (want_in ? EPOLLIN : 0) | (want_out ? EPOLLOUT : 0);
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->reading = want_in;
	c->writing = want_out;
}

static void conn_close(struct server *s, struct conn *c, const char *why)
{
	aiosd_log(3, "closing connection fd %d (uid %u): %s", c->fd, c->id.uid, why);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	s->in_total -= c->in_cap;
	if (c->held)
		s->held--;
	if (c->backlog)
		s->backlog--;
	if (c->subscribed)
		toolops_conn_closed(s->tools, c->cid);
	free(c->in);
	free(c->out);
	free(c);
}

/* Queue a frame; false if the queue cannot grow (the connection closes). */
static bool conn_queue(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->out_off && c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *b;

		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + n)
			cap *= 2;
		if (cap > c->out_cap) {
			b = realloc(c->out, cap);
			if (!b)
				return false;
			c->out = b;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return true;
}

static void conn_reply(struct server *s, struct conn *c, json_t *msg)
{
	uint8_t *frame;
	size_t n;

	(void)s;
	if (!msg) {
		c->closing = true;	/* out of memory: give up on this one */
		return;
	}
	frame = proto_encode(msg, &n);
	json_decref(msg);
	if (!frame || !conn_queue(c, frame, n))
		c->closing = true;
	free(frame);
}

/* "run.*", "ledger.*", ... "context.*": libaiosruns (Documentation/runs.md). */
static json_t *op_runs(struct server *s, struct conn *c, struct proto_req *req)
{
	struct aios_runops_caller who = { .ns = client_ns(&c->id), .admin = c->id.admin };
	struct aios_rerr e = { 0 };
	json_t *res = NULL, *r;
	int rc;

	if (!s->info->runs) {
		char msg[600];

		snprintf(msg, sizeof(msg), "runs and contexts are unavailable: %s",
			 s->info->runs_why ? s->info->runs_why : "disabled (runs.dir is empty)");
		return proto_error(req->id, -EIO, msg);
	}
	rc = aios_runops_handle(s->info->runs, &who, req->op, req->root, &res, &e);
	if (rc) {
		r = proto_error(req->id, rc, e.msg);
		if (r && rc == -ESTALE)
			json_object_set_new(json_object_get(r, "error"), "current_seq",
					    json_integer((json_int_t)e.cur_seq));
		if (r && rc == -EBADMSG && e.bad_seq)
			json_object_set_new(json_object_get(r, "error"), "bad_seq",
					    json_integer((json_int_t)e.bad_seq));
	} else {
		r = proto_ok(req->id);
		if (r)
			json_object_update(r, res);
		json_decref(res);
	}
	/* ledger records written this round: reply after their sync */
	if (aios_runops_unsynced(s->info->runs))
		c->runs_pending = true;
	return r;
}

/* "tool.*", "audit.subscribe": toolops.c; NULL when the reply is deferred. */
static json_t *op_tools(struct server *s, struct conn *c, struct proto_req *req)
{
	struct toolops_caller who = {
		.conn_id = c->cid, .agent = c->id.agent, .agent_id = c->id.agent_id,
		.caps = c->id.caps, .uid = c->id.uid, .pid = c->id.pid, .admin = c->id.admin,
		.subscribed = &c->subscribed, .deferred = &c->deferred,
	};
	json_t *r;

	if (!s->tools)
		return proto_error(req->id, -EOPNOTSUPP, "tool calls are not available in this aiosd");
	r = toolops_handle(s->tools, &who, req);
	/* tool_call / tool_denied / tool_confirm records: reply after their sync */
	if (s->info->runs && aios_runops_unsynced(s->info->runs))
		c->runs_pending = true;
	return r;
}

static void handle_frame(struct server *s, struct conn *c, const uint8_t *p, size_t n)
{
	struct proto_req req;
	char err[512];
	json_t *reply;
	int r;

	s->requests++;
	r = proto_parse(p, n, &req, err, sizeof(err));
	if (r) {
		conn_reply(s, c, proto_error(req.root ? json_object_get(req.root, "id") : NULL,
					     r, err));
		proto_req_free(&req);
		goto drop_fd;
	}
	if (!strcmp(req.op, "auth")) {
		conn_reply(s, c, op_auth(s, c, &req));
	} else if (!strcmp(req.op, "hello") || !strcmp(req.op, "status")) {
		conn_reply(s, c, op_status(s, c, &req));
	} else if (admin_owns(req.op)) {
		/* bootlog, config.get, config.reload (admin.c) */
		conn_reply(s, c, admin_handle(s->info->admin, &c->id, &req));
	} else if (toolops_owns(req.op)) {
		reply = op_tools(s, c, &req);
		if (!c->deferred)
			conn_reply(s, c, reply);
	} else if (aios_runops_owns(req.op)) {
		conn_reply(s, c, op_runs(s, c, &req));
	} else if ((reply = tokens_handle(s->tokens, &c->id, &req, s->kernel))) {
		conn_reply(s, c, reply);	/* token.*, audit.get (tokens.c) */
	} else {
		reply = memops_handle(s->st, &c->id, &req, s->cfg->max_message);
		if (!reply) {
			snprintf(err, sizeof(err), "unknown operation \"%.64s\"", req.op);
			reply = proto_error(req.id, -EOPNOTSUPP, err);
		}
		conn_reply(s, c, reply);
	}
	proto_req_free(&req);
drop_fd:
	/* a descriptor sent with anything but "auth" is not kept */
	if (c->passed_fd >= 0) {
		close(c->passed_fd);
		c->passed_fd = -1;
	}
}

static void conn_flush(struct server *s, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(s, c, "send failed");
			return;
		}
		c->out_off += (size_t)w;
		c->out_since = now_ms();
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
		if (c->closing) {
			conn_close(s, c, "closed after the last reply");
			return;
		}
	}
	conn_update_events(s, c);
}

static void take_fds(struct conn *c, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		int *fds;
		size_t nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			/* keep only the latest descriptor */
			if (c->passed_fd >= 0)
				close(c->passed_fd);
			c->passed_fd = fds[i];
		}
	}
}

static void set_backlog(struct server *s, struct conn *c, bool on)
{
	if (on != c->backlog) {
		c->backlog = on;
		if (on)
			s->backlog++;
		else
			s->backlog--;
	}
}

/* Answer the complete frames in c's input buffer (as many as the output
 * limit allows), then send the replies or hold them for the log sync. */
static void conn_process(struct server *s, struct conn *c)
{
	const uint8_t *payload;
	size_t plen, off = 0;

	while (!c->closing && !c->deferred && c->out_len - c->out_off <= OUT_LIMIT) {
		long f = proto_frame(c->in + off, c->in_len - off, s->cfg->max_message,
				     &payload, &plen);

		if (f == 0)
			break;
		if (f < 0) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "frame length 0 or over the limit of %u bytes; closing the connection",
				 s->cfg->max_message);
			conn_reply(s, c, proto_error(NULL, -EMSGSIZE, msg));
			c->closing = true;
			off = c->in_len;
			break;
		}
		handle_frame(s, c, payload, plen);
		off += (size_t)f;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		c->partial_since = now_ms();
	}
	set_backlog(s, c, !c->closing && c->in_len &&
		    proto_frame(c->in, c->in_len, s->cfg->max_message, &payload, &plen) != 0);
	/* keep buffers small for idle connections */
	if (!c->in_len && c->in_cap > 4 * READ_CHUNK) {
		s->in_total -= c->in_cap;
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
	if ((s->cfg->fsync == AIOS_FSYNC_ALWAYS || c->runs_pending) &&
	    c->out_len > c->out_off) {
		/* group commit: acknowledged only after the log is synced,
		 * once for everything this round wrote */
		if (!c->held) {
			c->held = true;
			s->held++;
		}
		return;
	}
	conn_flush(s, c);
}

static void conn_read(struct server *s, struct conn *c)
{
	size_t max = s->cfg->max_message + AIOSD_FRAME_HDR;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov;
	struct msghdr mh = { 0 };
	size_t want;
	ssize_t n;

	if (c->backlog) {
		conn_process(s, c);
		return;
	}
	if (c->in_cap - c->in_len < READ_CHUNK && c->in_cap < max) {
		size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK;
		uint8_t *b;

		if (cap > max)
			cap = max;
		if (cap < c->in_len + 1)
			cap = c->in_len + 1;
		if (s->in_total - c->in_cap + cap > IN_TOTAL_LIMIT) {
			/* many clients in the middle of big messages: shed
			 * this one rather than grow without bound */
			conn_reply(s, c, proto_error(NULL, -EBUSY,
				"server input buffers full; retry later"));
			c->closing = true;
			conn_flush(s, c);
			return;
		}
		b = realloc(c->in, cap);
		if (!b) {
			conn_close(s, c, "out of memory");
			return;
		}
		s->in_total += cap - c->in_cap;
		c->in = b;
		c->in_cap = cap;
	}
	want = c->in_cap - c->in_len;
	iov.iov_base = c->in + c->in_len;
	iov.iov_len = want;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		conn_close(s, c, "receive failed");
		return;
	}
	take_fds(c, &mh);
	if (n == 0) {
		if (c->out_len > c->out_off && !c->in_len) {
			/* half-closed after its last request: send the replies */
			c->closing = true;
			conn_update_events(s, c);
			return;
		}
		conn_close(s, c, c->in_len ? "peer hung up mid-message" : "peer hung up");
		return;
	}
	c->last_active = now_ms();
	if (!c->in_len)
		c->partial_since = c->last_active;
	c->in_len += (size_t)n;

	conn_process(s, c);
}

/* End of an event-loop round: sync the log, then release the replies. */
static void release_held(struct server *s)
{
	struct conn *c, *next;
	int err, rerr = 0;

	if (!s->held)
		return;
	err = s->cfg->fsync == AIOS_FSYNC_ALWAYS ? aios_store_sync(s->st) : 0;
	if (err)
		aiosd_log(0, "%s", aios_store_errmsg(s->st));
	if (s->info->runs && aios_runops_unsynced(s->info->runs)) {
		struct aios_rerr e = { 0 };

		rerr = aios_runops_sync(s->info->runs, &e);
		if (rerr)
			aiosd_log(0, "%s", e.msg);
	}
	for (c = s->conns; c && s->held; c = next) {
		bool runs = c->runs_pending;

		next = c->next;
		if (!c->held)
			continue;
		c->held = false;
		c->runs_pending = false;
		s->held--;
		if (err)
			conn_close(s, c, "log sync failed: writes not acknowledged");
		else if (rerr && runs)
			conn_close(s, c, "ledger sync failed: appends not acknowledged");
		else
			conn_flush(s, c);
	}
	s->held = 0;
}

static void accept_all(struct server *s)
{
	for (;;) {
		struct epoll_event ev;
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct conn *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				aiosd_log(1, "accept: %s", strerror(errno));
			return;
		}
		if (s->nconns >= s->cfg->max_clients) {
			static const char msg[] = "too many connections";
			json_t *e = proto_error(NULL, -EBUSY, msg);
			size_t n;
			uint8_t *f = e ? proto_encode(e, &n) : NULL;

			if (f && send(fd, f, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				aiosd_log(3, "could not tell a rejected client why");
			free(f);
			json_decref(e);
			close(fd);
			s->rejected_conns++;
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
			aiosd_log(1, "SO_PEERCRED: %s", strerror(errno));
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->passed_fd = -1;
		c->cid = ++s->next_cid;
		c->id.uid = cr.uid;
		c->id.pid = cr.pid;
		c->id.admin = cr.uid == 0 || has_cap_sys_admin(cr.pid, cr.uid);
		c->last_active = now_ms();
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->reading = true;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

static void housekeeping(struct server *s)
{
	int64_t now = now_ms();
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->out_len > c->out_off &&
		    now - c->out_since > (int64_t)s->cfg->message_timeout_s * 1000)
			conn_close(s, c, "client does not read its replies");
		else if (c->deferred)
			;	/* waits for a tool call; later requests wait with it */
		else if (c->in_len &&
			 now - c->partial_since > (int64_t)s->cfg->message_timeout_s * 1000)
			conn_close(s, c, "message not completed in time");
		else if (now - c->last_active > (int64_t)s->cfg->idle_timeout_s * 1000 &&
			 c->out_len == c->out_off && !c->subscribed)
			conn_close(s, c, "idle");
	}
	if (s->cfg->store_dir[0] && s->cfg->snapshot_interval_s &&
	    now - s->last_snapshot > (int64_t)s->cfg->snapshot_interval_s * 1000) {
		struct aios_store_stats st;

		aios_store_stats(s->st, &st);
		if (st.log_bytes > 16 && aios_store_snapshot(s->st))
			aiosd_log(1, "periodic snapshot: %s", aios_store_errmsg(s->st));
		s->last_snapshot = now;
	}
}

static int listen_socket(struct server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = s->cfg->socket;
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, probe;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		aiosd_log(0, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST) {
			aiosd_log(0, "cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
	}
	/* a live daemon answers; a stale socket file refuses */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (!connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			aiosd_log(0, "another aiosd is already serving %s", path);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, s->cfg->socket_mode) ||
	    listen(fd, SOMAXCONN)) {
		int e = errno;

		aiosd_log(0, "cannot listen on %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	s->lfd = fd;
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- deferred replies and pushed frames (toolops.c) ---- */

static struct conn *conn_by_id(struct server *s, uint64_t cid)
{
	struct conn *c;

	for (c = s->conns; c && c->cid != cid; c = c->next)
		;
	return c;
}

/* The reply a deferred connection waited for: send it (after the round's
 * ledger sync), then answer the requests that queued up behind it. */
static bool tools_reply(void *ctx, uint64_t cid, json_t *msg)
{
	struct server *s = ctx;
	struct conn *c = conn_by_id(s, cid);

	if (!c || !c->deferred) {
		json_decref(msg);
		return false;
	}
	c->deferred = false;
	conn_reply(s, c, msg);
	if (s->info->runs && aios_runops_unsynced(s->info->runs))
		c->runs_pending = true;
	conn_process(s, c);	/* holds or flushes; may close c */
	return true;
}

/* An event frame for a subscriber; dropped when its queue is full.  Never
 * flushes here (the caller iterates its subscribers): EPOLLOUT does. */
static bool tools_push(void *ctx, uint64_t cid, json_t *msg)
{
	struct server *s = ctx;
	struct conn *c = conn_by_id(s, cid);

	bool was_empty;

	if (!c || c->closing || c->out_len - c->out_off > OUT_LIMIT) {
		json_decref(msg);
		return false;
	}
	was_empty = c->out_len == c->out_off;
	conn_reply(s, c, msg);
	if (was_empty)	/* the "does not read its replies" clock starts now */
		c->out_since = now_ms();
	if (!c->held)
		conn_update_events(s, c);
	return true;
}

int server_run(const struct aiosd_config *cfg, struct aios_store *st,
	       const struct server_info *info)
{
	struct server s = { .cfg = cfg, .st = st, .info = info, .lfd = -1, .sigfd = -1 };
	struct epoll_event ev, evs[64];
	sigset_t mask;
	int err;

	aiosd_log_level = cfg->log_level;
	s.started = now_ms();
	s.last_snapshot = s.started;
	raise_nofile();
	probe_kernel(&s);
	if (s.kernel)
		aiosd_log(2, "kernel module present (%s): agents authenticate with their /dev/aios fd",
			  s.kernel_why);
	else
		aiosd_log(1, "aios kernel module not available (%s): identity by peer uid only",
			  s.kernel_why);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.sigfd < 0 || s.epfd < 0) {
		aiosd_log(0, "signalfd/epoll: %s", strerror(errno));
		return -errno;
	}
	{
		/* HTTP tokens: http.tokens, or next to the store directory */
		char tpath[600] = "", why[700];

		if (cfg->http_tokens[0])
			snprintf(tpath, sizeof(tpath), "%s", cfg->http_tokens);
		else if (cfg->store_dir[0])
			snprintf(tpath, sizeof(tpath), "%s/../http-tokens", cfg->store_dir);
		if (tokens_open(tpath, &s.tokens, why, sizeof(why))) {
			aiosd_log(1, "HTTP tokens disabled: %s", why);
			tokens_open("", &s.tokens, why, sizeof(why));
		}
	}
	{
		/* tool sandbox and eBPF audit (toolops.c) */
		struct toolops_host host = { .ctx = &s, .reply = tools_reply,
					     .push = tools_push };
		char why[600];
		int dfd, afd;

		err = toolops_open(cfg, info->runs, &host, &s.tools, why, sizeof(why));
		if (err) {
			aiosd_log(0, "%s", why);
			goto out;
		}
		toolops_fds(s.tools, &dfd, &afd);
		ev.events = EPOLLIN;
		ev.data.ptr = &tag_tools;
		epoll_ctl(s.epfd, EPOLL_CTL_ADD, dfd, &ev);
		ev.data.ptr = &tag_audit;
		if (afd >= 0)
			epoll_ctl(s.epfd, EPOLL_CTL_ADD, afd, &ev);
		/* boot log: sandbox protections, eBPF audit (admin.c) */
		admin_boot_tools(info->admin, toolops_status_sandbox(s.tools),
				 toolops_status_audit(s.tools));
	}
	err = listen_socket(&s);
	if (err)
		goto out;
	ev.events = EPOLLIN;
	ev.data.ptr = &tag_listen;
	epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.lfd, &ev);
	ev.data.ptr = &tag_signal;
	epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.sigfd, &ev);
	aiosd_log(2, "serving %s (protocol %d)", cfg->socket, AIOSD_PROTO_VERSION);
	if (info->notify) {
		char state[256];

		snprintf(state, sizeof(state), "READY=1\nSTATUS=serving %s, %s\nMAINPID=%d",
			 cfg->socket, s.kernel ? "kernel identity" : "peer uid identity only",
			 (int)getpid());
		info->notify(state);
	}

	while (!s.stop) {
		int64_t next_hk = now_ms() + 1000;
		int tick = aios_store_tick(st), timeout = 1000, n;
		int ttick = toolops_timeout_ms(s.tools);
		bool tools_ready = false;

		if (tick >= 0 && tick < timeout)
			timeout = tick;
		if (ttick >= 0 && ttick < timeout)
			timeout = ttick;
		n = epoll_wait(s.epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			aiosd_log(0, "epoll_wait: %s", strerror(errno));
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &tag_listen) {
				accept_all(&s);
			} else if (p == &tag_tools || p == &tag_audit) {
				tools_ready = true;
			} else if (p == &tag_signal) {
				struct signalfd_siginfo si;

				while (read(s.sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						/* admin.c: re-read, check, apply */
						if (s.info->admin)
							json_decref(admin_reload(s.info->admin, "SIGHUP"));
						else
							aiosd_log(1, "SIGHUP: no configuration source to reload");
						continue;
					}
					aiosd_log(2, "signal %u: shutting down", si.ssi_signo);
					s.stop = true;
				}
			} else {
				struct conn *c = p;

				if (evs[i].events & EPOLLERR)
					conn_close(&s, c, "socket error");
				else if (evs[i].events & EPOLLOUT)
					conn_flush(&s, c);
				else if (c->deferred && (evs[i].events & EPOLLHUP))
					conn_close(&s, c, "peer hung up during a tool call");
				else if (c->deferred)
					;	/* reading resumes with the reply */
				else if (c->closing)
					conn_close(&s, c, "peer hung up");
				else
					conn_read(&s, c);
				/* c may be gone now; a later event in this batch for
				 * the same connection cannot exist (one per fd) */
			}
		}
		/* finished tool calls, audit events (toolops.c) */
		if (s.tools && (tools_ready || ttick >= 0))
			toolops_process(s.tools);
		release_held(&s);
		if (s.backlog) {
			/* requests that waited for their client to drain
			 * replies: answer them now that there is room */
			struct conn *c, *next;

			for (c = s.conns; c; c = next) {
				next = c->next;
				if (c->backlog && !c->held && !c->closing && !c->deferred &&
				    c->out_len - c->out_off <= OUT_LIMIT)
					conn_process(&s, c);
			}
			release_held(&s);
		}
		if (now_ms() >= next_hk || n == 0)
			housekeeping(&s);
	}
	if (info->notify)
		info->notify("STOPPING=1");
out:
	while (s.conns)
		conn_close(&s, s.conns, "shutting down");
	if (s.lfd >= 0) {
		close(s.lfd);
		unlink(cfg->socket);
	}
	toolops_close(s.tools);	/* after the connections: nothing to reply to */
	close(s.sigfd);
	close(s.epfd);
	tokens_close(s.tokens);
	return err;
}
