// SPDX-License-Identifier: GPL-2.0
/*
 * Request handling: the route table, the MHD access handler (body
 * limits, content types, JSON depth, authentication, Origin checks),
 * RFC 9457 problem responses and calls to aiosd as the principal.
 */
#define _GNU_SOURCE
#include "httpd.h"
#include "aiosd_client.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

const struct route g_routes[] = {
	{ "GET",  "/health/live", h_health_live, R_PUBLIC },
	{ "GET",  "/health/ready", h_health_ready, R_PUBLIC },
	{ "GET",  "/health", h_health, R_PUBLIC },
	{ "GET",  "/v1/openapi.json", h_openapi, R_PUBLIC },
	{ "GET",  "/v1/whoami", h_whoami, 0 },
	{ "POST", "/v1/runs", h_runs_create, R_JSON },
	{ "GET",  "/v1/runs", h_runs_list, 0 },
	{ "GET",  "/v1/runs/{id}", h_run_show, 0 },
	{ "GET",  "/v1/runs/{id}/ws", h_ws_get, R_INLINE },
	{ "POST", "/v1/runs/{id}/ws", h_ws_post, R_JSON },
	{ "PATCH", "/v1/runs/{id}/ws", h_ws_patch, R_JSON | R_MERGE },
	{ "POST", "/v1/runs/{id}/steps", h_steps_post, R_JSON },
	{ "POST", "/v1/runs/{id}/milestones", h_milestones_post, R_JSON },
	{ "GET",  "/v1/runs/{id}/episodes", h_episodes_get, 0 },
	{ "GET",  "/v1/runs/{id}/episodes/{name}", h_episode_get, 0 },
	{ "POST", "/v1/runs/{id}/ltm/proposals", h_ltm_propose, R_JSON },
	{ "GET",  "/v1/runs/{id}/ltm/proposals", h_ltm_proposals, 0 },
	{ "POST", "/v1/runs/{id}/ltm/commit", h_ltm_commit, R_JSON },
	{ "GET",  "/v1/runs/{id}/ltm", h_ltm_search, 0 },
	{ "GET",  "/v1/runs/{id}/ledger", h_ledger_get, 0 },
	{ "GET",  "/v1/runs/{id}/ledger/verify", h_ledger_verify, 0 },
	{ "POST", "/v1/runs/{id}/pack", h_pack_export, R_JSON | R_OPTJSON },
	{ "POST", "/v1/packs", h_pack_import, R_PACK },
	{ "GET",  "/v1/agents", h_agents, 0 },
	{ "GET",  "/v1/queues", h_queues, 0 },
	{ "GET",  "/v1/gpus", h_gpus, 0 },
	{ "GET",  "/v1/memory", h_memory, 0 },
	{ "GET",  "/v1/audit", h_audit, 0 },
	{ "GET",  "/v1/events", h_events, 0 },
	{ "GET",  "/v1/bootlog", h_bootlog, 0 },
};
const size_t g_nroutes = sizeof(g_routes) / sizeof(g_routes[0]);

/* State of one request across MHD's calls of the access handler. */
struct rstate {
	struct hreq x;
	const struct route *rt;
	size_t limit;
	bool too_large;
	bool entered;
	bool handled;			/* the handler ran (atomic: worker -> MHD) */
	struct rstate *next;		/* in the work queue */
};

/* ---- responses ---- */

static const char *status_title(unsigned int s)
{
	switch (s) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

void problem(struct hreq *x, unsigned int status, const char *title,
	     const char *detail, const char *path)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank",
			      "title", title ? title : status_title(status),
			      "status", (int)status, "detail", detail ? detail : "",
			      "instance", x->url ? x->url : "");

	json_decref(x->out);
	free(x->bytes);
	x->bytes = NULL;
	if (p && path)
		json_object_set_new(p, "path", json_string(path));
	x->out = p;
	x->status = status;
	x->problem = true;
}

static unsigned int errno_status(int err)
{
	switch (err) {
	case ENOENT: case ESRCH: return 404;
	case EPERM: case EACCES: return 403;
	case EINVAL: case ENAMETOOLONG: case E2BIG: return 400;
	case ESTALE: case EEXIST: case EALREADY: return 409;
	case EFBIG: case EMSGSIZE: return 413;
	case EBADMSG: case ENOSPC: return 422;
	case EDQUOT: case EBUSY: return 429;
	case EOPNOTSUPP: return 501;
	case ENODEV: case EIO: case EHOSTDOWN: case ECONNREFUSED: return 503;
	case ETIMEDOUT: return 504;
	default: return 500;
	}
}

void problem_errno(struct hreq *x, int err, const char *msg, json_t *reply)
{
	json_t *e = reply ? json_object_get(reply, "error") : NULL;
	char path[200];
	const char *pp = NULL;

	if (err < 0)
		err = -err;
	/* validation messages start with the JSON path: "$.a.b[2]: ..." */
	if (msg && msg[0] == '$') {
		size_t n = strcspn(msg, ": ");

		if (n < sizeof(path)) {
			memcpy(path, msg, n);
			path[n] = 0;
			pp = path;
		}
	}
	problem(x, errno_status(err), NULL, msg, pp);
	if (x->out) {
		const char *code = json_string_value(json_object_get(e, "code"));

		json_object_set_new(x->out, "code", json_string(code ? code : "EUNKNOWN"));
		if (json_object_get(e, "current_seq"))
			json_object_set(x->out, "current_seq", json_object_get(e, "current_seq"));
		if (json_object_get(e, "bad_seq"))
			json_object_set(x->out, "bad_seq", json_object_get(e, "bad_seq"));
	}
}

void reply_json(struct hreq *x, unsigned int status, json_t *out)
{
	json_decref(x->out);
	x->out = out;
	x->status = status;
	x->problem = false;
	if (!out)
		problem(x, 500, NULL, "out of memory", NULL);
}

/* ---- aiosd ---- */

/* Take a pooled aiosd connection for the request, if it has none yet;
 * -errno after setting the problem response. */
static int xconnect(struct hreq *x)
{
	char msg[600];
	int e;

	if (x->pc)
		return 0;
	e = pool_get(x->pr, x->sockfd, &x->pc, msg, sizeof(msg));
	if (!e)
		return 0;
	if (e == -EACCES || e == -EPERM || e == -EBADF || e == -ENOTCONN) {
		problem(x, 401, NULL, msg, NULL);
		x->www_auth = x->tcp;
	} else if (e == -ENODEV) {
		problem(x, 401, NULL, msg, NULL);
	} else {
		problem(x, 503, NULL, msg, NULL);
	}
	return e;
}

int xcall(struct hreq *x, json_t *req, json_t **reply)
{
	char msg[600];
	json_t *r = NULL;
	int e;

	*reply = NULL;
	if (!req) {
		problem(x, 500, NULL, "out of memory", NULL);
		return -ENOMEM;
	}
	e = xconnect(x);
	if (e) {
		json_decref(req);
		return e;
	}
	e = aiosd_call(pconn_client(x->pc), req, &r);
	json_decref(req);
	if (e && r) {
		json_t *err = json_object_get(r, "error");

		problem_errno(x, e, json_string_value(json_object_get(err, "message")), r);
		json_decref(r);
		return e;
	}
	if (e) {
		x->ac_broken = true;
		snprintf(msg, sizeof(msg), "aiosd: %s", aiosd_client_error(pconn_client(x->pc)));
		problem(x, e == -ETIMEDOUT ? 504 : 502, NULL, msg, NULL);
		return e;
	}
	*reply = r;
	return 0;
}

#define RAW_TIMEOUT_MS	30000	/* as aiosd_set_timeout() in pool_get() */
#define RAW_BUF		16384	/* replies up to this size: one recvmsg */

/* The connection is out of step with aiosd: drop it, answer 502/504. */
static int raw_fail(struct hreq *x, int e, const char *what)
{
	char d[200];

	x->ac_broken = true;
	snprintf(d, sizeof(d), "aiosd: %s%s%s", what, e == -ETIMEDOUT ? "" : ": ",
		 e == -ETIMEDOUT ? "" : strerror(-e));
	problem(x, e == -ETIMEDOUT ? 504 : 502, NULL, d, NULL);
	return e;
}

/* Wait until fd is readable (bounded by RAW_TIMEOUT_MS); 0 or -errno. */
static int raw_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, RAW_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

int xcall_raw(struct hreq *x, const char *fields, char **body, size_t *len,
	      struct json_member *m, unsigned int max)
{
	static const char head[] = "{\"v\":1,\"id\":0,";
	char small[512], sbuf[RAW_BUF], *frame = small, *b = NULL;
	uint8_t hdr[4];
	size_t got = 0, want = 0, flen = strlen(fields);
	size_t n = sizeof(head) - 1 + flen + 1;
	int fd, e, nm;

	*body = NULL;
	*len = 0;
	e = xconnect(x);
	if (e)
		return e;
	fd = aiosd_client_fd(pconn_client(x->pc));
	if (n + 4 > sizeof(small)) {
		frame = malloc(n + 4);
		if (!frame) {
			problem(x, 500, NULL, "out of memory", NULL);
			return -ENOMEM;
		}
	}
	/* the id is constant: one request at a time on a pooled connection */
	memcpy(frame + 4, head, sizeof(head) - 1);
	memcpy(frame + 4 + sizeof(head) - 1, fields, flen);
	frame[n + 3] = '}';
	frame[0] = (char)(n >> 24);
	frame[1] = (char)(n >> 16);
	frame[2] = (char)(n >> 8);
	frame[3] = (char)n;
	for (size_t off = 0; off < n + 4;) {
		ssize_t w = send(fd, frame + off, n + 4 - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			e = -errno;
			if (frame != small)
				free(frame);
			return raw_fail(x, e, "sending the request");
		}
		off += (size_t)w;
	}
	if (frame != small)
		free(frame);
	/*
	 * The 4-byte header and (usually all of) the body in one recvmsg,
	 * into the stack: a large malloc per request costs more (glibc
	 * consolidates its fast bins for every request of 1 KiB or more).
	 */
	for (;;) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t r;

		if (got < 4) {
			iov[0] = (struct iovec){ hdr + got, 4 - got };
			iov[1] = (struct iovec){ sbuf, sizeof(sbuf) };
			mh.msg_iovlen = 2;
		} else {
			iov[0] = (struct iovec){ b + (got - 4), want - (got - 4) };
			mh.msg_iovlen = 1;
		}
		r = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			e = raw_wait(fd);
			if (e) {
				free(b);
				return raw_fail(x, e, e == -ETIMEDOUT ? "no reply within 30 s" :
						"waiting for the reply");
			}
			continue;
		}
		if (r <= 0) {
			free(b);
			return raw_fail(x, r < 0 ? -errno : -ECONNRESET, "receiving the reply");
		}
		if (got < 4 && got + (size_t)r >= 4) {
			size_t inbuf = got + (size_t)r - 4;

			want = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
			if (!want || want > (256u << 20))
				return raw_fail(x, -EPROTO, "bad reply frame length");
			if (inbuf > want)
				return raw_fail(x, -EPROTO, "more than one reply frame");
			b = malloc(want + 1);
			if (!b) {
				problem(x, 500, NULL, "out of memory", NULL);
				x->ac_broken = true;
				return -ENOMEM;
			}
			memcpy(b, sbuf, inbuf);
		}
		got += (size_t)r;
		if (want && got - 4 == want)
			break;
	}
	b[want] = 0;
	nm = json_members(b, want, m, max);
	for (int i = 0; i < nm; i++)
		if (json_member_is(&m[i], "ok") && m[i].vlen == 4 && !memcmp(m[i].val, "true", 4)) {
			*body = b;
			*len = want;
			return nm;
		}
	{
		/* an error (or something unexpected): decode it as xcall does */
		json_t *r = json_loadb(b, want, 0, NULL), *err = json_object_get(r, "error");
		int en = (int)json_integer_value(json_object_get(err, "errno"));

		free(b);
		if (!json_is_object(r) || en <= 0 || !json_is_false(json_object_get(r, "ok"))) {
			json_decref(r);
			return raw_fail(x, -EPROTO, "malformed reply");
		}
		problem_errno(x, -en, json_string_value(json_object_get(err, "message")), r);
		json_decref(r);
		return -en;
	}
}

const char *query(struct hreq *x, const char *name)
{
	return MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool query_u64(struct hreq *x, const char *name, uint64_t def, uint64_t max,
	       uint64_t *out)
{
	const char *s = query(x, name);
	char *end, d[200];
	unsigned long long v;

	*out = def;
	if (!s)
		return true;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || !isdigit((unsigned char)s[0]) || v > max) {
		snprintf(d, sizeof(d), "query parameter \"%s\" must be an integer 0..%llu",
			 name, (unsigned long long)max);
		problem(x, 400, NULL, d, NULL);
		return false;
	}
	*out = v;
	return true;
}

/* ---- routing ---- */

static bool param_ok(const char *s, size_t n)
{
	if (!n || n >= 160)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* Does url match pattern?  Fills x->params. */
static bool match(const char *pat, const char *url, struct hreq *x)
{
	x->nparams = 0;
	while (*pat && *url) {
		if (*pat != '/' || *url != '/')
			return false;
		pat++;
		url++;
		if (*pat == '{') {
			size_t n = strcspn(url, "/");

			if (!param_ok(url, n) || x->nparams == HREQ_MAX_PARAMS)
				return false;
			memcpy(x->params[x->nparams], url, n);
			x->params[x->nparams++][n] = 0;
			pat = strchr(pat, '}') + 1;
			url += n;
		} else {
			size_t n = strcspn(pat, "/");

			if (strncmp(pat, url, n) || (url[n] && url[n] != '/'))
				return false;
			pat += n;
			url += n;
		}
	}
	return !*pat && !*url;
}

static const struct route *find_route(struct hreq *x, const char *url, const char *method,
				      char *allow, size_t allowlen)
{
	const struct route *hit = NULL;

	allow[0] = 0;
	for (size_t i = 0; i < g_nroutes; i++) {
		if (!match(g_routes[i].path, url, x))
			continue;
		if (strlen(allow) + 8 < allowlen) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, g_routes[i].method);
		}
		if (!strcmp(g_routes[i].method, method) && !hit)
			hit = &g_routes[i];
	}
	if (hit)
		match(hit->path, url, x);
	return hit;
}

/* ---- sending ---- */

static void add_common_headers(struct MHD_Response *r, bool api)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	if (api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result send_x(struct hreq *x)
{
	struct MHD_Response *r = x->resp;
	enum MHD_Result ret;
	char *s = NULL;
	size_t n = 0;

	if (!r) {
		if (x->bytes) {
			r = MHD_create_response_from_buffer(x->nbytes, x->bytes, MHD_RESPMEM_MUST_FREE);
			if (r)
				x->bytes = NULL;
		} else {
			if (!x->out)
				problem(x, 500, NULL, "the handler produced no response", NULL);
			s = x->out ? json_dumps(x->out, JSON_COMPACT) : NULL;
			if (!s)
				return MHD_NO;
			n = strlen(s);
			s[n++] = '\n';	/* json_dumps leaves room: replaces the NUL */
			r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
			if (!r)
				free(s);
			if (x->problem || !x->ctype)
				x->ctype = x->problem ? "application/problem+json" : "application/json";
		}
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", x->ctype ? x->ctype : "application/json");
		add_common_headers(r, true);
	}
	if (x->disposition[0])
		MHD_add_response_header(r, "Content-Disposition", x->disposition);
	if (x->location[0])
		MHD_add_response_header(r, "Location", x->location);
	if (x->www_auth && x->status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"aios\"");
	if (x->etag[0])
		MHD_add_response_header(r, "ETag", x->etag);
	if (x->status == 429)
		MHD_add_response_header(r, "Retry-After", "1");
	if (x->status == 405 && x->out && json_object_get(x->out, "allow"))
		MHD_add_response_header(r, "Allow",
					json_string_value(json_object_get(x->out, "allow")));
	ret = MHD_queue_response(x->conn, x->status, r);
	MHD_destroy_response(r);
	x->resp = NULL;
	return ret;
}

static enum MHD_Result quick(struct rstate *st, unsigned int status, const char *detail)
{
	problem(&st->x, status, NULL, detail, NULL);
	return send_x(&st->x);
}

/* ---- the access handler ---- */

static bool ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, want, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/*
 * An Origin is accepted when listed with --allow-origin, or when it is
 * this server itself reached by a loopback name: "http://" + Host with
 * Host 127.0.0.1, [::1] or localhost (any port).  A page of another site
 * that rebinds its DNS name to 127.0.0.1 still sends its own name in
 * Host and Origin, and is refused.
 */
static bool origin_ok(struct hreq *x, const char *origin)
{
	static const char *const local[] = { "127.0.0.1", "[::1]", "localhost" };
	const char *host = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Host");

	for (unsigned int i = 0; i < g_cfg.norigins; i++)
		if (!strcmp(origin, g_cfg.origins[i]))
			return true;
	if (!host || strncmp(origin, "http://", 7) || strcmp(origin + 7, host))
		return false;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t n = strlen(local[i]);

		if (!strncasecmp(host, local[i], n) && (host[n] == 0 || host[n] == ':'))
			return true;
	}
	return false;
}

/* First call: routing, authentication and header checks. 0 = go on. */
static int first_call(struct rstate *st, const char *url, const char *method)
{
	struct hreq *x = &st->x;
	const char *cl, *ct, *origin;
	char allow[64], d[200];
	int status = 0;
	const char *detail = NULL;

	origin = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Origin");
	if (x->tcp && origin && !origin_ok(x, origin)) {
		snprintf(d, sizeof(d), "cross-origin requests are refused (Origin \"%.80s\" is not allowed; see --allow-origin)",
			 origin);
		problem(x, 403, NULL, d, NULL);
		return -1;
	}
	if (!strcmp(method, "OPTIONS")) {
		problem(x, 403, NULL, "CORS is closed: no preflight requests are answered", NULL);
		return -1;
	}
	st->rt = find_route(x, url, method, allow, sizeof(allow));
	if (!st->rt) {
		if (allow[0]) {
			snprintf(d, sizeof(d), "%s is not allowed on %.100s (allowed: %s)", method, url, allow);
			problem(x, 405, NULL, d, NULL);
			json_object_set_new(x->out, "allow", json_string(allow));
			return -1;
		}
		if (!strncmp(url, "/v1/", 4) || !strcmp(url, "/v1") || !strncmp(url, "/health", 7)) {
			problem(x, 404, NULL, "no such endpoint (see /v1/openapi.json)", NULL);
			return -1;
		}
		return 1;	/* static files */
	}
	if (!(st->rt->flags & R_PUBLIC)) {
		if (x->tcp) {
			const char *a = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND,
								    "Authorization");

			if (a && !strncasecmp(a, "Bearer ", 7))
				x->pr = principal_token(a + 7, &status, &detail);
			else
				x->pr = principal_token(NULL, &status, &detail);
			x->www_auth = true;
		} else {
			x->pr = principal_unix(x->sockfd, &status, &detail);
		}
		if (!x->pr) {
			problem(x, (unsigned int)status, NULL, detail, NULL);
			return -1;
		}
	}
	st->limit = st->rt->flags & R_PACK ? g_cfg.max_pack : g_cfg.max_body;
	cl = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > st->limit) {
		snprintf(d, sizeof(d), "the request body is larger than the limit of %zu bytes", st->limit);
		problem(x, 413, NULL, d, NULL);
		return -1;
	}
	ct = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Content-Type");
	if (st->rt->flags & R_JSON) {
		bool empty = cl && !strcmp(cl, "0");

		bool json_ct = ct && (ctype_is(ct, "application/json") ||
				      ((st->rt->flags & R_MERGE) &&
				       ctype_is(ct, "application/merge-patch+json")));

		if (!(ct ? json_ct : (st->rt->flags & R_OPTJSON) && (!cl || empty))) {
			problem(x, 415, NULL, "the request body must be application/json", NULL);
			return -1;
		}
	} else if (st->rt->flags & R_PACK) {
		if (!ctype_is(ct, "application/gzip") && !ctype_is(ct, "application/octet-stream") &&
		    !ctype_is(ct, "application/x-gzip")) {
			problem(x, 415, NULL, "a resume pack is uploaded as application/gzip", NULL);
			return -1;
		}
	} else if (cl && strcmp(cl, "0")) {
		problem(x, 415, NULL, "this endpoint takes no request body", NULL);
		return -1;
	}
	return 0;
}

static bool parse_body(struct rstate *st)
{
	struct hreq *x = &st->x;
	json_error_t je;
	char d[300];
	unsigned int depth;

	if (!(st->rt->flags & R_JSON))
		return true;
	if (!x->body_len) {
		if (st->rt->flags & R_OPTJSON)
			return true;
		problem(x, 400, "Malformed JSON", "the request body is empty; a JSON object is expected", "$");
		return false;
	}
	depth = json_text_depth(x->body, x->body_len);
	if (depth > g_cfg.max_depth) {
		snprintf(d, sizeof(d), "the JSON is nested %u levels deep; the limit is %u",
			 depth, g_cfg.max_depth);
		problem(x, 400, "JSON too deeply nested", d, "$");
		return false;
	}
	x->json = json_loadb(x->body, x->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!x->json) {
		snprintf(d, sizeof(d), "line %d, column %d (byte %d): %s", je.line, je.column,
			 je.position, je.text);
		problem(x, 400, "Malformed JSON", d, "$");
		if (x->out) {
			json_object_set_new(x->out, "line", json_integer(je.line));
			json_object_set_new(x->out, "column", json_integer(je.column));
			json_object_set_new(x->out, "position", json_integer(je.position));
		}
		return false;
	}
	if (!json_is_object(x->json)) {
		problem(x, 400, NULL, "the request body must be a JSON object", "$");
		return false;
	}
	return true;
}

/* ---- workers ---- */

/*
 * Handlers make blocking calls to aiosd, so they run on --threads worker
 * threads while the request's MHD connection is suspended: the few MHD
 * threads (--io-threads) keep serving every other connection, and up to
 * --threads calls are in flight at once, which lets aiosd read many
 * requests per event-loop pass (and group-commit their ledger writes).
 */
/* wq_lock protects the queue, wq_stop and wq_n; wq_cond signals work. */
static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond = PTHREAD_COND_INITIALIZER;
static struct rstate *wq_head, *wq_tail;
static bool wq_stop;
static pthread_t *wq_threads;
static unsigned int wq_n;

/* Run the route's handler and give back what it took (any thread). */
static void run_handler(struct rstate *st)
{
	struct hreq *x = &st->x;

	st->rt->fn(x);
	if (x->pc) {
		pool_put(x->pr, x->pc, x->ac_broken);
		x->pc = NULL;
	}
	if (x->resp && x->status == 200 && st->entered) {
		/* a stream (SSE) keeps its slot until it ends: the response's
		 * free callback leaves the principal */
		st->entered = false;
	}
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct rstate *st;

		pthread_mutex_lock(&wq_lock);
		while (!wq_head && !wq_stop)
			pthread_cond_wait(&wq_cond, &wq_lock);
		st = wq_head;
		if (st) {
			wq_head = st->next;
			if (!wq_head)
				wq_tail = NULL;
		}
		pthread_mutex_unlock(&wq_lock);
		if (!st)
			return NULL;	/* stopping, and nothing left to do */
		run_handler(st);
		__atomic_store_n(&st->handled, true, __ATOMIC_RELEASE);
		MHD_resume_connection(st->x.conn);
	}
}

/* Hand a suspended request to a worker; false when there are none (run
 * it inline then). */
static bool work_queue(struct rstate *st)
{
	bool ok;

	pthread_mutex_lock(&wq_lock);
	ok = wq_n && !wq_stop;
	if (ok) {
		st->next = NULL;
		if (wq_tail)
			wq_tail->next = st;
		else
			wq_head = st;
		wq_tail = st;
		pthread_cond_signal(&wq_cond);
	}
	pthread_mutex_unlock(&wq_lock);
	return ok;
}

int workers_start(unsigned int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	unsigned int i;
	int e = 0;

	if (!t)
		return -ENOMEM;
	wq_threads = t;
	for (i = 0; i < n; i++) {
		e = pthread_create(&t[i], NULL, worker, NULL);
		if (e)
			break;
		pthread_mutex_lock(&wq_lock);
		wq_n++;
		pthread_mutex_unlock(&wq_lock);
	}
	if (e)
		hlog(1, "only %u of %u worker threads started: %s", i, n, strerror(e));
	return i ? 0 : -e;
}

void workers_stop(void)
{
	unsigned int n;

	pthread_mutex_lock(&wq_lock);
	wq_stop = true;
	n = wq_n;
	pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
	/* they finish (and resume) what is queued before they exit */
	for (unsigned int i = 0; i < n; i++)
		pthread_join(wq_threads[i], NULL);
	free(wq_threads);
	wq_threads = NULL;
}

enum MHD_Result httpd_access(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	struct rstate *st = *con_cls;
	struct hreq *x;
	int r;

	(void)version;
	if (!st) {
		const union MHD_ConnectionInfo *ci;

		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		x = &st->x;
		x->conn = conn;
		x->tcp = cls && !strcmp(cls, "tcp");
		x->method = method;
		x->url = url;
		x->status = 200;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		x->sockfd = ci ? ci->connect_fd : -1;
		r = first_call(st, url, method);
		if (r < 0)
			return send_x(x);
		if (r > 0) {
			st->rt = NULL;
			if (strcmp(method, "GET") && strcmp(method, "HEAD"))
				return quick(st, 405, "static files are read with GET or HEAD");
			if (!static_serve(x, url))
				return quick(st, 404, "no such file");
			return send_x(x);
		}
		return MHD_YES;
	}
	x = &st->x;
	if (__atomic_load_n(&st->handled, __ATOMIC_ACQUIRE))
		return send_x(x);	/* called again after the worker resumed us */
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (st->too_large)
			return MHD_YES;
		if (x->body_len + n > st->limit) {
			st->too_large = true;
			free(x->body);
			x->body = NULL;
			x->body_len = 0;
			return MHD_YES;
		}
		{
			char *b = realloc(x->body, x->body_len + n + 1);

			if (!b)
				return MHD_NO;
			x->body = b;
			memcpy(x->body + x->body_len, upload, n);
			x->body_len += n;
			x->body[x->body_len] = 0;
		}
		return MHD_YES;
	}
	if (st->too_large) {
		char d[120];

		snprintf(d, sizeof(d), "the request body is larger than the limit of %zu bytes", st->limit);
		return quick(st, 413, d);
	}
	if (!parse_body(st))
		return send_x(x);
	if (x->pr) {
		if (!principal_enter(x->pr)) {
			char d[160];

			snprintf(d, sizeof(d), "%s has %u requests in flight, the limit; retry later",
				 principal_name(x->pr), g_cfg.per_principal);
			return quick(st, 429, d);
		}
		st->entered = true;
	}
	/*
	 * The handler blocks on aiosd: a worker runs it while MHD's thread
	 * goes on with its other connections.  Except the hot reads marked
	 * R_INLINE: one short aiosd round trip costs less than the hand-off.
	 */
	if (!(st->rt->flags & R_INLINE)) {
		MHD_suspend_connection(conn);
		if (work_queue(st))
			return MHD_YES;
		MHD_resume_connection(conn);
	}
	run_handler(st);
	return send_x(x);
}

void httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		     enum MHD_RequestTerminationCode toe)
{
	struct rstate *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!st)
		return;
	if (st->x.pc)
		pool_put(st->x.pr, st->x.pc, true);
	if (st->entered)
		principal_leave(st->x.pr);
	principal_put(st->x.pr);
	json_decref(st->x.json);
	json_decref(st->x.out);
	if (st->x.resp)
		MHD_destroy_response(st->x.resp);
	free(st->x.body);
	free(st->x.bytes);
	free(st);
	*con_cls = NULL;
}
