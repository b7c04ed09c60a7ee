// SPDX-License-Identifier: GPL-2.0
/* aiosd client library (see aiosd_client.h). */
#define _GNU_SOURCE
#include "aiosd_client.h"
#include "base64.h"
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct aiosd_client {
	int fd;
	uint64_t next_id;
	unsigned int timeout_ms;
	char err[512];
};

static int cfail(struct aiosd_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfail(struct aiosd_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *aiosd_client_error(const struct aiosd_client *c)
{
	return c->err;
}

int aiosd_client_fd(const struct aiosd_client *c)
{
	return c->fd;
}

int aiosd_set_timeout(struct aiosd_client *c, unsigned int ms)
{
	c->timeout_ms = ms;
	return 0;
}

int aiosd_connect(const char *path, struct aiosd_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct aiosd_client *c;

	*out = NULL;
	if (!path)
		path = getenv("AIOS_SOCKET");
	if (!path || !*path)
		path = AIOSD_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = 30000;
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return e;
	}
	*out = c;
	return 0;
}

void aiosd_close(struct aiosd_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

static int send_all(struct aiosd_client *c, const uint8_t *p, size_t n, int passfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;

	while (n) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t w;

		if (passfd >= 0) {
			struct cmsghdr *cm;

			memset(&cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = sizeof(cbuf.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
		}
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return cfail(c, -errno, "sending to aiosd: %s", strerror(errno));
		}
		passfd = -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(struct aiosd_client *c, uint8_t *p, size_t n)
{
	while (n) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t r;
		int pr = poll(&pfd, 1, c->timeout_ms ? (int)c->timeout_ms : -1);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return cfail(c, -ETIMEDOUT, "aiosd did not answer within %u ms", c->timeout_ms);
		r = recv(c->fd, p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return cfail(c, -errno, "receiving from aiosd: %s", strerror(errno));
		}
		if (r == 0)
			return cfail(c, -ECONNRESET, "aiosd closed the connection");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * After a failed send: if aiosd left an error frame before closing, take
 * it and return its -errno (message set); 0 if there is none.
 */
static int read_rejection(struct aiosd_client *c, json_t **reply)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint8_t hdr[AIOSD_FRAME_HDR], body[1024];
	json_t *r, *e;
	uint32_t len;
	int err;

	if (poll(&pfd, 1, 0) <= 0 || recv(c->fd, hdr, sizeof(hdr), MSG_WAITALL) != sizeof(hdr))
		return 0;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (!len || len > sizeof(body) || recv(c->fd, body, len, MSG_WAITALL) != (ssize_t)len)
		return 0;
	r = json_loadb((char *)body, len, 0, NULL);
	e = json_object_get(r, "error");
	err = (int)json_integer_value(json_object_get(e, "errno"));
	if (!e || err <= 0) {
		json_decref(r);
		return 0;
	}
	cfail(c, -err, "%s", json_string_value(json_object_get(e, "message")) ?: "rejected");
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return -err;
}

static int call_fd(struct aiosd_client *c, json_t *req, json_t **reply, int passfd)
{
	uint8_t hdr[AIOSD_FRAME_HDR], *frame, *body;
	uint64_t id = c->next_id++;
	json_error_t je;
	json_t *r, *e;
	size_t n;
	uint32_t len;
	int err;

	if (reply)
		*reply = NULL;
	if (json_object_set_new(req, "v", json_integer(AIOSD_PROTO_VERSION)) ||
	    json_object_set_new(req, "id", json_integer((json_int_t)id)))
		return cfail(c, -ENOMEM, "out of memory");
	frame = proto_encode(req, &n);
	if (!frame)
		return cfail(c, -ENOMEM, "cannot encode the request");
	err = send_all(c, frame, n, passfd);
	free(frame);
	if (err == -EPIPE || err == -ECONNRESET) {
		/*
		 * aiosd may have turned the connection away before reading
		 * the request ("too many connections"): its error frame is
		 * still queued for us and says why, so report that instead.
		 */
		char why[sizeof(c->err)];
		int sent_err = err;

		snprintf(why, sizeof(why), "%s", c->err);
		err = read_rejection(c, reply);
		if (err)
			return err;
		snprintf(c->err, sizeof(c->err), "%s", why);
		return sent_err;
	}
	if (err)
		return err;
next_frame:
	err = recv_all(c, hdr, sizeof(hdr));
	if (err)
		return err;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (!len || len > 256u << 20)
		return cfail(c, -EPROTO, "bad reply frame length %u", len);
	body = malloc(len);
	if (!body)
		return cfail(c, -ENOMEM, "out of memory");
	err = recv_all(c, body, len);
	if (err) {
		free(body);
		return err;
	}
	r = json_loadb((char *)body, len, 0, &je);
	free(body);
	if (!r || !json_is_object(r)) {
		json_decref(r);
		return cfail(c, -EPROTO, "malformed reply from aiosd");
	}
	if (!json_object_get(r, "ok") && json_object_get(r, "event")) {
		/* an audit event pushed to a subscribed connection: not the
		 * reply (read events with aiosd_next_event) */
		json_decref(r);
		goto next_frame;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		e = json_object_get(r, "error");
		err = (int)json_integer_value(json_object_get(e, "errno"));
		cfail(c, err > 0 ? -err : -EPROTO, "%s",
		      json_string_value(json_object_get(e, "message")) ?: "error without a message");
		err = err > 0 ? -err : -EPROTO;
	} else {
		c->err[0] = 0;
		err = 0;
	}
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return err;
}

int aiosd_call(struct aiosd_client *c, json_t *req, json_t **reply)
{
	return call_fd(c, req, reply, -1);
}

static int simple(struct aiosd_client *c, json_t *req, json_t **reply)
{
	int err;

	if (!req)
		return cfail(c, -ENOMEM, "out of memory");
	err = call_fd(c, req, reply, -1);
	json_decref(req);
	return err;
}

int aiosd_auth(struct aiosd_client *c, int aios_fd)
{
	json_t *req = json_pack("{s:s}", "op", "auth");
	int err;

	if (!req)
		return -ENOMEM;
	err = call_fd(c, req, NULL, aios_fd);
	json_decref(req);
	return err;
}

int aiosd_status(struct aiosd_client *c, json_t **status)
{
	return simple(c, json_pack("{s:s}", "op", "status"), status);
}

static json_t *b64(const void *p, size_t n)
{
	char *s = malloc(b64_enc_len(n) + 1);
	json_t *j;

	if (!s)
		return NULL;
	b64_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *keyed(const char *op, const char *field, const void *key, size_t klen)
{
	json_t *req = json_pack("{s:s}", "op", op);
	char name[32];

	snprintf(name, sizeof(name), "%s_b64", field);
	if (req && json_object_set_new(req, name, b64(key, klen))) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* Bytes from reply field name or name_b64; malloc'd, NUL-terminated. */
static int get_bytes(json_t *obj, const char *name, void **out, size_t *len)
{
	char err[128];
	uint8_t *p;
	int r = proto_get_bytes(obj, name, true, SIZE_MAX / 2, &p, len, err, sizeof(err));

	if (r < 0)
		return -EPROTO;
	*out = p;
	return 0;
}

int aiosd_mem_put(struct aiosd_client *c, const void *key, size_t klen,
		  const void *val, size_t vlen, uint64_t *evicted)
{
	json_t *req = keyed("memory.put", "key", key, klen), *rep = NULL;
	int err;

	if (req && json_object_set_new(req, "value_b64", b64(val, vlen))) {
		json_decref(req);
		req = NULL;
	}
	err = simple(c, req, &rep);
	if (!err && evicted)
		*evicted = (uint64_t)json_integer_value(json_object_get(rep, "evicted"));
	json_decref(rep);
	return err;
}

int aiosd_mem_get(struct aiosd_client *c, const void *key, size_t klen,
		  void **val, size_t *vlen)
{
	json_t *rep = NULL;
	int err = simple(c, keyed("memory.get", "key", key, klen), &rep);

	if (!err && get_bytes(rep, "value", val, vlen))
		err = cfail(c, -EPROTO, "reply without a value");
	json_decref(rep);
	return err;
}

int aiosd_mem_delete(struct aiosd_client *c, const void *key, size_t klen)
{
	return simple(c, keyed("memory.delete", "key", key, klen), NULL);
}

int aiosd_mem_delete_prefix(struct aiosd_client *c, const void *prefix,
			    size_t plen, uint64_t *deleted)
{
	json_t *rep = NULL;
	int err = simple(c, keyed("memory.delete_prefix", "prefix", prefix, plen), &rep);

	if (!err && deleted)
		*deleted = (uint64_t)json_integer_value(json_object_get(rep, "deleted"));
	json_decref(rep);
	return err;
}

long aiosd_mem_list(struct aiosd_client *c, const void *prefix, size_t plen,
		    char **cursor, unsigned int limit, bool values,
		    aiosd_list_fn fn, void *arg)
{
	json_t *req = keyed("memory.list", "prefix", prefix, plen), *rep = NULL, *items, *it;
	const char *nc;
	size_t i;
	long n = 0;
	int err;

	if (req && *cursor)
		json_object_set_new(req, "cursor_b64", json_string(*cursor));
	if (req && limit)
		json_object_set_new(req, "limit", json_integer(limit));
	if (req && !values)
		json_object_set_new(req, "values", json_false());
	err = simple(c, req, &rep);
	if (err) {
		json_decref(rep);
		return err;
	}
	free(*cursor);
	*cursor = NULL;
	items = json_object_get(rep, "items");
	json_array_foreach(items, i, it) {
		void *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;
		int r;

		if (get_bytes(it, "key", &k, &kl) || (values && get_bytes(it, "value", &v, &vl))) {
			free(k);
			json_decref(rep);
			return cfail(c, -EPROTO, "malformed list item");
		}
		r = fn ? fn(arg, k, kl, v, vl) : 0;
		free(k);
		free(v);
		if (r) {
			json_decref(rep);
			return r;
		}
		n++;
	}
	nc = json_string_value(json_object_get(rep, "cursor_b64"));
	if (json_is_true(json_object_get(rep, "more")) && nc) {
		*cursor = strdup(nc);
		if (!*cursor)
			n = cfail(c, -ENOMEM, "out of memory");
	}
	json_decref(rep);
	return n;
}

int aiosd_mem_stats(struct aiosd_client *c, bool all, json_t **stats)
{
	json_t *req = json_pack("{s:s}", "op", "memory.stats"), *rep = NULL;
	int err;

	if (req && all)
		json_object_set_new(req, "all", json_true());
	err = simple(c, req, &rep);
	if (!err && stats) {
		*stats = json_incref(json_object_get(rep, "stats"));
	}
	json_decref(rep);
	return err;
}

/* ---- tools and audit (toolops.c; Documentation/aiosd-protocol.md) ---- */

int aiosd_tool_list(struct aiosd_client *c, json_t **reply)
{
	return simple(c, json_pack("{s:s}", "op", "tool.list"), reply);
}

int aiosd_tool_call(struct aiosd_client *c, const struct aiosd_tool_call *call,
		    json_t **reply)
{
	json_t *req, *args;
	unsigned int saved = c->timeout_ms;
	int err;

	if (reply)
		*reply = NULL;
	if (!call || !call->tool)
		return cfail(c, -EINVAL, "a tool call needs a tool name");
	req = json_pack("{s:s, s:s}", "op", "tool.call", "tool", call->tool);
	args = json_array();
	if (!req || !args)
		goto nomem;
	for (const char *const *a = call->args; a && *a; a++)
		if (json_array_append_new(args, json_string(*a)))
			goto nomem;
	if (json_object_set_new(req, "args", args))
		goto nomem_req;
	args = NULL;
	if (call->run && json_object_set_new(req, "run", json_string(call->run)))
		goto nomem_req;
	if (call->stdin_data && json_object_set_new(req, "stdin_b64",
						    b64(call->stdin_data, call->stdin_len)))
		goto nomem_req;
	if (call->limits && json_object_set(req, "limits", call->limits))
		goto nomem_req;
	/* the reply comes when the tool is done (and confirmed): the tool's
	 * own timeout and the confirmation timeout bound the wait */
	c->timeout_ms = 0;
	err = call_fd(c, req, reply, -1);
	c->timeout_ms = saved;
	json_decref(req);
	return err;
nomem:
	json_decref(args);
nomem_req:
	json_decref(req);
	return cfail(c, -ENOMEM, "out of memory");
}

int aiosd_tool_pending(struct aiosd_client *c, json_t **reply)
{
	return simple(c, json_pack("{s:s}", "op", "tool.pending"), reply);
}

int aiosd_tool_confirm(struct aiosd_client *c, uint64_t id, bool allow)
{
	return simple(c, json_pack("{s:s, s:I, s:b}", "op", "tool.confirm", "confirmation",
				   (json_int_t)id, "allow", allow), NULL);
}

int aiosd_audit_subscribe(struct aiosd_client *c, json_t **reply)
{
	return simple(c, json_pack("{s:s}", "op", "audit.subscribe"), reply);
}

int aiosd_next_event(struct aiosd_client *c, int timeout_ms, json_t **event)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint8_t hdr[AIOSD_FRAME_HDR], *body;
	json_error_t je;
	uint32_t len;
	json_t *r;
	int err, pr;

	*event = NULL;
	do
		pr = poll(&pfd, 1, timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return cfail(c, -errno, "poll: %s", strerror(errno));
	if (pr == 0)
		return -EAGAIN;
	err = recv_all(c, hdr, sizeof(hdr));
	if (err)
		return err;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (!len || len > 256u << 20)
		return cfail(c, -EPROTO, "bad frame length %u", len);
	body = malloc(len);
	if (!body)
		return cfail(c, -ENOMEM, "out of memory");
	err = recv_all(c, body, len);
	if (err) {
		free(body);
		return err;
	}
	r = json_loadb((char *)body, len, 0, &je);
	free(body);
	if (!r || !json_is_object(r)) {
		json_decref(r);
		return cfail(c, -EPROTO, "malformed frame from aiosd");
	}
	*event = r;
	return 0;
}
