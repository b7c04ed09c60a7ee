/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-httpd: the HTTP front of aios (Documentation/http.md).  Internal
 * interfaces shared by its modules; nothing here is a library API.
 */
#ifndef AIOS_HTTPD_H
#define AIOS_HTTPD_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aiosd_client;

/* ---- configuration (main.c) ---- */

struct httpd_config {
	char socket[108];		/* Unix listener; "" = none */
	unsigned int socket_mode;
	char listen[128];		/* "127.0.0.1:8080"; "" = no TCP */
	char aiosd[108];		/* aiosd socket */
	char www[512];			/* static files; "" = none */
	char openapi[512];		/* the OpenAPI document */
	unsigned int threads;		/* handler workers: aiosd calls in flight */
	unsigned int io_threads;	/* libmicrohttpd's thread pool */
	size_t max_body;		/* JSON bodies */
	size_t max_pack;		/* POST /v1/packs */
	unsigned int max_depth;		/* JSON nesting */
	unsigned int max_conns;		/* per listener */
	unsigned int per_ip;		/* TCP connections per client address */
	unsigned int per_principal;	/* concurrent requests per principal */
	unsigned int timeout_s;		/* idle connection timeout */
	size_t header_limit;		/* memory per connection (headers) */
	char origins[8][128];		/* Origin values allowed on TCP */
	unsigned int norigins;
	int log_level;
};

extern struct httpd_config g_cfg;
void hlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- principals and the aiosd connection pool (pool.c) ---- */

struct principal;

/*
 * The principal of a request: on the Unix listener the peer of the HTTP
 * connection (uid/pid from SO_PEERCRED of sockfd), on TCP the bearer token.
 * Returns a referenced principal or NULL with *status and *detail set (401).
 */
struct principal *principal_unix(int sockfd, int *status, const char **detail);
struct principal *principal_token(const char *token, int *status, const char **detail);
void principal_put(struct principal *p);
void principal_ref(struct principal *p);
/* Count a request in flight; false when over the per-principal limit. */
bool principal_enter(struct principal *p);
void principal_leave(struct principal *p);
const char *principal_name(const struct principal *p);

/*
 * An aiosd connection authenticated as p (fd: the HTTP client's socket,
 * for Unix principals).  0, or -errno with msg set (401 for EACCES/EPERM
 * from "auth", else 502/503).
 */
struct pconn;
int pool_get(struct principal *p, int fd, struct pconn **out, char *msg,
	     size_t msglen);
struct aiosd_client *pconn_client(struct pconn *pc);
/* Give it back; broken: close it instead. */
void pool_put(struct principal *p, struct pconn *pc, bool broken);
void pool_shutdown(void);
/* Counters for /health. */
void pool_stats(size_t *principals, size_t *idle, size_t *busy);

/* ---- requests (routes.c) ---- */

#define HREQ_MAX_PARAMS 4

struct hreq {
	struct MHD_Connection *conn;
	bool tcp;
	const char *method, *url;
	char params[HREQ_MAX_PARAMS][160];
	unsigned int nparams;
	/* body */
	char *body;
	size_t body_len;
	json_t *json;			/* parsed body (JSON routes) */
	/* identity */
	struct principal *pr;
	int sockfd;
	struct pconn *pc;		/* acquired by xcall() */
	bool ac_broken;
	/* response */
	unsigned int status;
	json_t *out;			/* JSON or problem body */
	bool problem;
	char *bytes;			/* raw body (malloc'd) */
	size_t nbytes;
	const char *ctype;
	char disposition[200];
	char location[300];
	char etag[40];
	bool www_auth;			/* 401 on TCP: WWW-Authenticate: Bearer */
	struct MHD_Response *resp;	/* prepared response (SSE) */
};

typedef void (*route_fn)(struct hreq *x);

struct route {
	const char *method;
	const char *path;		/* "/v1/runs/{id}/ws" */
	route_fn fn;
	unsigned int flags;
};

#define R_PUBLIC	(1u << 0)	/* no principal needed (health, openapi) */
#define R_JSON		(1u << 1)	/* body: application/json */
#define R_PACK		(1u << 2)	/* body: a resume pack (gzip) */
#define R_OPTJSON	(1u << 3)	/* JSON body optional */
#define R_MERGE		(1u << 4)	/* also application/merge-patch+json */
#define R_INLINE	(1u << 5)	/* short: run on the MHD thread, no worker */

extern const struct route g_routes[];
extern const size_t g_nroutes;

/* The MHD access handler (cls: "unix" or "tcp" listener marker). */
enum MHD_Result httpd_access(void *cls, struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, const char *upload,
			     size_t *upload_size, void **con_cls);
/* The worker threads that run handlers (--threads); 0 or -errno. */
int workers_start(unsigned int n);
/* Finish the queued requests and join the workers. */
void workers_stop(void);
void httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		     enum MHD_RequestTerminationCode toe);

/* Set a problem+json response (RFC 9457).  path: JSON path or NULL. */
void problem(struct hreq *x, unsigned int status, const char *title,
	     const char *detail, const char *path);
/* A problem from an aiosd error (errno and message, reply for extras). */
void problem_errno(struct hreq *x, int err, const char *msg, json_t *reply);
void reply_json(struct hreq *x, unsigned int status, json_t *out);

/*
 * Call aiosd as the request's principal; req is consumed.  0 with *reply
 * (caller decrefs), or -errno after setting the problem response.
 */
int xcall(struct hreq *x, json_t *req, json_t **reply);
/*
 * The same for hot paths, without decoding and re-encoding the reply:
 * fields are the request's members as JSON text ("\"op\":...", without
 * "v" and "id"; the caller escapes them).  On success the number of
 * members of the reply, their spans in m (at most max) and in *body
 * (malloc'd, NUL-terminated, *len bytes) aiosd's reply, "ok": true.  An
 * aiosd error or a failure: -errno after setting the problem response.
 */
struct json_member;
int xcall_raw(struct hreq *x, const char *fields, char **body, size_t *len,
	      struct json_member *m, unsigned int max);
/* Query parameter or NULL. */
const char *query(struct hreq *x, const char *name);
/* Parse an unsigned query parameter; false after a 400 problem. */
bool query_u64(struct hreq *x, const char *name, uint64_t def, uint64_t max,
	       uint64_t *out);

/* ---- handlers ---- */

/* runs.c */
void h_runs_create(struct hreq *x);
void h_runs_list(struct hreq *x);
void h_run_show(struct hreq *x);
void h_ws_get(struct hreq *x);
void h_ws_post(struct hreq *x);
void h_ws_patch(struct hreq *x);
void h_steps_post(struct hreq *x);
void h_milestones_post(struct hreq *x);
void h_episodes_get(struct hreq *x);
void h_episode_get(struct hreq *x);
void h_ltm_propose(struct hreq *x);
void h_ltm_proposals(struct hreq *x);
void h_ltm_commit(struct hreq *x);
void h_ltm_search(struct hreq *x);
void h_ledger_get(struct hreq *x);
void h_ledger_verify(struct hreq *x);
void h_pack_export(struct hreq *x);
void h_pack_import(struct hreq *x);

/* sys.c */
void h_agents(struct hreq *x);
void h_queues(struct hreq *x);
void h_gpus(struct hreq *x);
void h_memory(struct hreq *x);
void h_audit(struct hreq *x);
void h_bootlog(struct hreq *x);
void h_whoami(struct hreq *x);
void h_health_live(struct hreq *x);
void h_health_ready(struct hreq *x);
void h_health(struct hreq *x);
void h_openapi(struct hreq *x);

/* events.c: SSE of the kernel's "events" multicast group */
int events_start(void);
void events_stop(void);
void h_events(struct hreq *x);
void events_stats(bool *kernel, uint64_t *last_id, size_t *clients);

/* static.c */
bool static_serve(struct hreq *x, const char *url);
/* Content type of a file name. */
const char *mime_type(const char *name);

/* json.c */
/* Deepest nesting of the JSON text (arrays and objects). */
unsigned int json_text_depth(const char *p, size_t n);

/*
 * The top-level members of an object's JSON text, as spans of the text
 * (key without its quotes, escapes left as they are; value as written):
 * at most max of them.  Their count, or -1 when p is not one object with
 * at most max members.  For aiosd's replies (trusted, already valid
 * JSON): it delimits, it does not validate.
 */
struct json_member {
	const char *key, *val;
	size_t klen, vlen;
};
int json_members(const char *p, size_t n, struct json_member *m, unsigned int max);
bool json_member_is(const struct json_member *m, const char *name);

#endif
