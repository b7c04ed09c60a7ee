// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A session with aiosd: connect to its Unix socket, prove which agent we
 * are (the "auth" request carries the agent's /dev/aios descriptor over
 * SCM_RIGHTS; aiosd asks the kernel whose file it is), and exchange
 * length-prefixed JSON frames.  Protocol: Documentation/aiosd-protocol.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "session.h"

#define DEFAULT_SOCKET	"/run/aios/aiosd.sock"

int aiosi_sfail(struct aios_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

struct aios_session *aios_session_new(void)
{
	struct aios_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	s->next_id = 1;
	s->timeout_ms = 30000;
	return s;
}

void aios_session_close(struct aios_session *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->err_json);
	free(s);
}

const char *aios_session_errmsg(const struct aios_session *s)
{
	return s ? s->errmsg : "no aios session (out of memory?)";
}

const char *aios_session_error_json(const struct aios_session *s)
{
	return s ? s->err_json : NULL;
}

int aios_session_fd(const struct aios_session *s)
{
	return s && s->fd >= 0 ? s->fd : -EBADF;
}

uint64_t aios_session_agent(const struct aios_session *s)
{
	return s ? s->agent : 0;
}

int aios_session_set_timeout(struct aios_session *s, unsigned int ms)
{
	s->timeout_ms = ms;
	return 0;
}

int aios_session_connect(struct aios_session *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (s->fd >= 0)
		return aiosi_sfail(s, -EISCONN, "this session is already connected to aiosd");
	if (!path || !*path)
		path = getenv("AIOS_SOCKET");
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return aiosi_sfail(s, -ENAMETOOLONG,
				   "aiosd socket path \"%.200s\" is longer than %zu bytes",
				   path, sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return aiosi_sfail(s, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		return aiosi_sfail(s, -e,
				   "cannot connect to aiosd at %s: %s (is aiosd running? "
				   "set AIOS_SOCKET or start it with 'aiosd -s %s')",
				   path, strerror(e), path);
	}
	s->fd = fd;
	s->agent = 0;
	s->errmsg[0] = '\0';
	return 0;
}

int aios_session_auth(struct aios_session *s, struct aios *h)
{
	json_t *reply = NULL;
	int fd = aios_fd(h), err;

	if (fd < 0)
		return aiosi_sfail(s, -EBADF,
				   "auth: the aios handle has no /dev/aios descriptor (aios_open() it and register first)");
	err = aiosi_scall_fd(s, aiosi_sreq(s, "auth"), &reply, fd);
	if (!err) {
		json_t *a = json_object_get(reply, "agent");

		if (!json_is_integer(a) || json_integer_value(a) <= 0)
			err = aiosi_sfail(s, -EPROTO, "auth: aiosd's reply names no agent");
		else
			s->agent = (uint64_t)json_integer_value(a);
	}
	json_decref(reply);
	return err;
}

int aios_session_open(struct aios *h, const char *path, struct aios_session **out)
{
	struct aios_session *s = aios_session_new();
	int err;

	*out = s;
	if (!s)
		return -ENOMEM;
	err = aios_session_connect(s, path);
	if (!err && h && aios_agent_id(h))
		err = aios_session_auth(s, h);
	return err;
}

/* ---- framing ------------------------------------------------------- */

static int send_frame(struct aios_session *s, const char *body, size_t n,
		      int passfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	uint8_t hdr[4] = { n >> 24, n >> 16, n >> 8, n };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = 4 },
		{ .iov_base = (void *)body, .iov_len = n },
	};
	size_t left = 4 + n;

	while (left) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
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
		w = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return aiosi_sfail(s, -ECONNRESET,
						   "aiosd closed the connection (restarted or stopped?); open a new session");
			return aiosi_sfail(s, -errno, "sending to aiosd: %s", strerror(errno));
		}
		passfd = -1;	/* the descriptor went with the first bytes */
		left -= (size_t)w;
		while (w > 0) {
			size_t k = (size_t)w < iov[0].iov_len ? (size_t)w : iov[0].iov_len;

			iov[0].iov_base = (char *)iov[0].iov_base + k;
			iov[0].iov_len -= k;
			w -= (ssize_t)k;
			if (!iov[0].iov_len) {
				iov[0] = iov[1];
				iov[1].iov_len = 0;
			}
		}
	}
	return 0;
}

static int recv_all(struct aios_session *s, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, s->timeout_ms ? (int)s->timeout_ms : -1);
		ssize_t r;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return aiosi_sfail(s, -errno, "poll: %s", strerror(errno));
		if (pr == 0)
			return aiosi_sfail(s, -ETIMEDOUT, "aiosd did not answer within %u ms",
					   s->timeout_ms);
		r = recv(s->fd, p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return aiosi_sfail(s, -errno, "receiving from aiosd: %s", strerror(errno));
		}
		if (r == 0)
			return aiosi_sfail(s, -ECONNRESET,
					   "aiosd closed the connection (restarted or stopped?); open a new session");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The connection is out of step after a transport error: drop it. */
static int broken(struct aios_session *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->agent = 0;
	return err;
}

json_t *aiosi_sreq(struct aios_session *s, const char *op)
{
	json_t *req = json_pack("{s:s}", "op", op);

	if (!req)
		aiosi_sfail(s, -ENOMEM, "%s: out of memory", op);
	return req;
}

int aiosi_sset(struct aios_session *s, json_t *req, const char *field,
	       json_t *val)
{
	if (!val || json_object_set_new(req, field, val))
		return aiosi_sfail(s, -ENOMEM, "out of memory building a request");
	return 0;
}

static int server_error(struct aios_session *s, const char *op, json_t *r)
{
	json_t *e = json_object_get(r, "error");
	json_int_t no = json_integer_value(json_object_get(e, "errno"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *code = json_string_value(json_object_get(e, "code"));
	int err = no > 0 && no < 4096 ? -(int)no : -EPROTO;

	/* our table first: aiosd may not name every errno it sends */
	if (aios_errno_name(err))
		code = aios_errno_name(err);
	free(s->err_json);
	s->err_json = e ? json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	return aiosi_sfail(s, err, "%s: %s (%s)", op, msg ? msg : "error without a message",
			   code ? code : "?");
}

int aiosi_scall_fd(struct aios_session *s, json_t *req, json_t **reply,
		   int passfd)
{
	char op[72];
	uint8_t hdr[4];
	json_error_t je;
	json_t *r;
	char *body, *buf;
	size_t n;
	uint32_t len;
	int err;

	if (reply)
		*reply = NULL;
	if (!req)
		return -ENOMEM;
	snprintf(op, sizeof(op), "%s", json_string_value(json_object_get(req, "op")) ?: "?");
	if (s->fd < 0) {
		json_decref(req);
		return aiosi_sfail(s, -ENOTCONN, "%s: not connected to aiosd (aios_session_connect)", op);
	}
	if (json_object_set_new(req, "v", json_integer(AIOSI_PROTO_VERSION)) ||
	    json_object_set_new(req, "id", json_integer((json_int_t)s->next_id++))) {
		json_decref(req);
		return aiosi_sfail(s, -ENOMEM, "%s: out of memory", op);
	}
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!body)
		return aiosi_sfail(s, -ENOMEM, "%s: cannot encode the request", op);
	n = strlen(body);
	err = send_frame(s, body, n, passfd);
	free(body);
	if (err)
		return broken(s, err);
	/*
	 * The reply is the next frame that is not an event: a connection
	 * that subscribed to the audit stream through aios_session_call gets
	 * event frames pushed in between; a session does not deliver them.
	 */
	for (;;) {
		err = recv_all(s, hdr, sizeof(hdr));
		if (err)
			return broken(s, err);
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (!len || len > AIOSI_REPLY_MAX)
			return broken(s, aiosi_sfail(s, -EPROTO, "%s: bad reply frame length %u", op, len));
		buf = malloc(len);
		if (!buf)
			return broken(s, aiosi_sfail(s, -ENOMEM, "%s: out of memory for a %u-byte reply", op, len));
		err = recv_all(s, buf, len);
		if (err) {
			free(buf);
			return broken(s, err);
		}
		r = json_loadb(buf, len, 0, &je);
		free(buf);
		if (!r || !json_is_object(r)) {
			json_decref(r);
			return broken(s, aiosi_sfail(s, -EPROTO, "%s: malformed reply from aiosd: %s", op, je.text));
		}
		if (json_object_get(r, "ok") || !json_object_get(r, "event"))
			break;
		json_decref(r);
	}
	if (json_is_true(json_object_get(r, "ok"))) {
		s->errmsg[0] = '\0';
		free(s->err_json);
		s->err_json = NULL;
		err = 0;
	} else {
		err = server_error(s, op, r);
		/* the server closes after an EMSGSIZE/EBUSY frame */
		if (err == -EMSGSIZE || err == -EBUSY)
			broken(s, err);
	}
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return err;
}

int aiosi_scall(struct aios_session *s, json_t *req, json_t **reply)
{
	return aiosi_scall_fd(s, req, reply, -1);
}

int aiosi_sresult(struct aios_session *s, json_t *reply, const char *field,
		  char **out)
{
	json_t *x;

	if (!out)
		return 0;
	*out = NULL;
	if (field) {
		x = json_object_get(reply, field);
		if (!x)
			return aiosi_sfail(s, -EPROTO, "aiosd's reply lacks \"%s\"", field);
		*out = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
	} else {
		x = json_deep_copy(reply);
		if (x) {
			json_object_del(x, "v");
			json_object_del(x, "id");
			json_object_del(x, "ok");
			*out = json_dumps(x, JSON_COMPACT);
			json_decref(x);
		}
	}
	if (!*out)
		return aiosi_sfail(s, -ENOMEM, "out of memory");
	return 0;
}

int aiosi_sparse(struct aios_session *s, const char *what, const char *text,
		 int type, json_t **out)
{
	static const char *const kinds[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
		[JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (!text)
		return aiosi_sfail(s, -EINVAL, "%s: no JSON given", what);
	j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return aiosi_sfail(s, -EINVAL, "%s is not valid JSON: %s at line %d column %d",
				   what, je.text, je.line, je.column);
	if (type >= 0 && (int)json_typeof(j) != type) {
		json_decref(j);
		return aiosi_sfail(s, -EINVAL, "%s must be %s", what, kinds[type]);
	}
	*out = j;
	return 0;
}

int aiosi_sstr(struct aios_session *s, json_t *obj, const char *field,
	       char **out)
{
	const char *v = json_string_value(json_object_get(obj, field));

	if (!out)
		return 0;
	*out = NULL;
	if (!v)
		return aiosi_sfail(s, -EPROTO, "aiosd's reply lacks \"%s\"", field);
	*out = strdup(v);
	return *out ? 0 : aiosi_sfail(s, -ENOMEM, "out of memory");
}

/* ---- generic request ---------------------------------------------- */

int aios_session_call(struct aios_session *s, const char *request,
		      char **reply_json)
{
	json_t *req, *rep = NULL;
	int err;

	if (reply_json)
		*reply_json = NULL;
	err = aiosi_sparse(s, "the request", request, JSON_OBJECT, &req);
	if (err)
		return err;
	if (!json_is_string(json_object_get(req, "op"))) {
		json_decref(req);
		return aiosi_sfail(s, -EINVAL, "the request has no \"op\" string");
	}
	/* "v" and "id" belong to the session */
	json_object_del(req, "v");
	json_object_del(req, "id");
	err = aiosi_scall(s, req, &rep);
	if (rep && reply_json) {
		*reply_json = json_dumps(rep, JSON_COMPACT);
		if (!*reply_json && !err)
			err = aiosi_sfail(s, -ENOMEM, "out of memory");
	}
	json_decref(rep);
	return err;
}

int aios_session_status(struct aios_session *s, char **json)
{
	json_t *rep = NULL;
	int err = aiosi_scall(s, aiosi_sreq(s, "status"), &rep);

	if (!err)
		err = aiosi_sresult(s, rep, NULL, json);
	json_decref(rep);
	return err;
}

/* ---- base64 -------------------------------------------------------- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json_t *aiosi_b64_json(const void *p, size_t n)
{
	const uint8_t *in = p;
	char *out, *o;
	json_t *j;
	size_t i;

	out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = b64chars[v >> 18];
		*o++ = b64chars[v >> 12 & 63];
		*o++ = b64chars[v >> 6 & 63];
		*o++ = b64chars[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		*o++ = b64chars[v >> 18];
		*o++ = b64chars[v >> 12 & 63];
		*o++ = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	j = json_stringn(out, (size_t)(o - out));
	free(out);
	return j;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

static int b64_decode(const char *s, size_t n, uint8_t **out, size_t *len)
{
	uint8_t *buf, *o;
	size_t i;

	if (n % 4)
		return -EPROTO;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	o = buf;
	for (i = 0; i < n; i += 4) {
		int a = b64val(s[i]), b = b64val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64val(s[i + 3]);
		bool last = i + 4 == n;

		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    (!last && (s[i + 2] == '=' || s[i + 3] == '=')) ||
		    (s[i + 2] == '=' && s[i + 3] != '=')) {
			free(buf);
			return -EPROTO;
		}
		*o++ = (uint8_t)(a << 2 | b >> 4);
		if (s[i + 2] != '=')
			*o++ = (uint8_t)(b << 4 | c >> 2);
		if (s[i + 3] != '=')
			*o++ = (uint8_t)(c << 6 | d);
	}
	*o = 0;
	*out = buf;
	*len = (size_t)(o - buf);
	return 0;
}

int aiosi_get_bytes(json_t *obj, const char *name, void **out, size_t *len)
{
	char b64name[80];
	json_t *t = json_object_get(obj, name), *b;
	uint8_t *p;
	int err;

	*out = NULL;
	*len = 0;
	if (json_is_string(t)) {
		size_t n = json_string_length(t);

		p = malloc(n + 1);
		if (!p)
			return -ENOMEM;
		memcpy(p, json_string_value(t), n);
		p[n] = 0;
		*out = p;
		*len = n;
		return 0;
	}
	snprintf(b64name, sizeof(b64name), "%s_b64", name);
	b = json_object_get(obj, b64name);
	if (!json_is_string(b))
		return -ENOENT;
	err = b64_decode(json_string_value(b), json_string_length(b), &p, len);
	if (!err)
		*out = p;
	return err;
}
