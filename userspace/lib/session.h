/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: a session with aiosd (Documentation/aiosd-protocol.md) - the
 * connection, framing, agent authentication and error reporting that the
 * memory, context, runs and tool calls share.
 */
#ifndef AIOS_SESSION_H
#define AIOS_SESSION_H

#include <jansson.h>
#include <stdarg.h>

#include "aios.h"

#define AIOSI_PROTO_VERSION	1
#define AIOSI_REPLY_MAX		(256u << 20)	/* largest reply frame we accept */

struct aios_session {
	int fd;			/* connected socket or -1 */
	uint64_t next_id;	/* request ids, from 1 */
	unsigned int timeout_ms;	/* 0: wait forever */
	uint64_t agent;		/* authenticated agent id, 0: identity by uid */
	char *err_json;		/* "error" object of the last failed request */
	char errmsg[512];
};

/* Record a failure; returns err (negative errno). */
int aiosi_sfail(struct aios_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A request object {"op": op}; NULL on ENOMEM (message recorded). */
json_t *aiosi_sreq(struct aios_session *s, const char *op);

/*
 * Send req (consumed, may be NULL after an allocation failure: -ENOMEM)
 * with descriptor passfd attached (-1: none) and wait for its reply.  On
 * 0 *reply (optional) is the reply object.  A server error returns the
 * server's -errno, records "OP: message (CODE)" and keeps the error object
 * for aios_session_error_json(); *reply then holds the reply as well.
 */
int aiosi_scall_fd(struct aios_session *s, json_t *req, json_t **reply,
		   int passfd);
int aiosi_scall(struct aios_session *s, json_t *req, json_t **reply);

/*
 * *out = JSON text of reply member field (field NULL: the reply without
 * "v", "id" and "ok"); out NULL: nothing.  Returns 0 or -ENOMEM/-EPROTO.
 */
int aiosi_sresult(struct aios_session *s, json_t *reply, const char *field,
		  char **out);
/* Parse text as JSON of the given kind (JSON_OBJECT, JSON_ARRAY, ...; -1 any). */
int aiosi_sparse(struct aios_session *s, const char *what, const char *text,
		 int type, json_t **out);
/* strdup of string member field of obj into *out (NULL out: ignored). */
int aiosi_sstr(struct aios_session *s, json_t *obj, const char *field,
	       char **out);
/* Set a request member, failing with -ENOMEM when val is NULL. */
int aiosi_sset(struct aios_session *s, json_t *req, const char *field,
	       json_t *val);

/* base64 (RFC 4648, padded) for byte-string fields. */
json_t *aiosi_b64_json(const void *p, size_t n);
/*
 * Bytes of reply member name (UTF-8 text) or name_b64 (base64); *out is
 * malloc'd and NUL-terminated.  -ENOENT when neither is present, -EPROTO
 * for bad base64, -ENOMEM.
 */
int aiosi_get_bytes(json_t *obj, const char *name, void **out, size_t *len);

#endif /* AIOS_SESSION_H */
