/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd_client - a small blocking client of aiosd's socket protocol for
 * agents and tools (libaios and aiosctl can wrap it).  Not thread-safe:
 * one client per thread.  Functions return 0 or a negative errno; for
 * errors reported by aiosd the errno is the server's and
 * aiosd_client_error() gives its message.
 */
#ifndef AIOSD_CLIENT_H
#define AIOSD_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIOSD_DEFAULT_SOCKET	"/run/aios/aiosd.sock"

struct aiosd_client;

/* Connect to path (NULL: $AIOS_SOCKET, else AIOSD_DEFAULT_SOCKET). */
int aiosd_connect(const char *path, struct aiosd_client **out);
void aiosd_close(struct aiosd_client *c);
const char *aiosd_client_error(const struct aiosd_client *c);
int aiosd_client_fd(const struct aiosd_client *c);
/* Reply timeout in milliseconds (default 30000; 0 = wait forever). */
int aiosd_set_timeout(struct aiosd_client *c, unsigned int ms);

/* Prove this connection is the agent whose /dev/aios file aios_fd is. */
int aiosd_auth(struct aiosd_client *c, int aios_fd);

/*
 * Send req (an object with "op"; "v" and "id" are added) and wait for the
 * reply.  On 0 *reply (optional) is the reply object (caller decrefs);
 * a server error returns its -errno with the reply still in *reply.
 */
int aiosd_call(struct aiosd_client *c, json_t *req, json_t **reply);

int aiosd_status(struct aiosd_client *c, json_t **status);

int aiosd_mem_put(struct aiosd_client *c, const void *key, size_t klen,
		  const void *val, size_t vlen, uint64_t *evicted);
/* *val is malloc'd (and NUL-terminated for convenience). */
int aiosd_mem_get(struct aiosd_client *c, const void *key, size_t klen,
		  void **val, size_t *vlen);
int aiosd_mem_delete(struct aiosd_client *c, const void *key, size_t klen);
int aiosd_mem_delete_prefix(struct aiosd_client *c, const void *prefix,
			    size_t plen, uint64_t *deleted);

typedef int (*aiosd_list_fn)(void *arg, const void *key, size_t klen,
			     const void *val, size_t vlen);
/*
 * One page of keys starting with prefix, in order.  *cursor is NULL for
 * the first page; afterwards it holds the server's cursor (malloc'd) or
 * NULL when there are no more pages.  Returns the number of items or a
 * negative errno; fn returning non-zero stops early (its value returned).
 */
long aiosd_mem_list(struct aiosd_client *c, const void *prefix, size_t plen,
		    char **cursor, unsigned int limit, bool values,
		    aiosd_list_fn fn, void *arg);
/* The caller's memory statistics ("all": store-wide, admin only). */
int aiosd_mem_stats(struct aiosd_client *c, bool all, json_t **stats);

/* ---- tools and audit (Documentation/aiosd-protocol.md, "Tools and audit") */

struct aiosd_tool_call {
	const char *tool;
	const char *const *args;	/* NULL-terminated argv to append, or NULL */
	const char *run;		/* run id for the ledger records, or NULL */
	const void *stdin_data;		/* NULL: /dev/null */
	size_t stdin_len;
	json_t *limits;			/* {"timeout_ms": ...} (lower only), or NULL */
};

/* tool.list: the registry and whether this caller may call each tool. */
int aiosd_tool_list(struct aiosd_client *c, json_t **reply);
/*
 * tool.call: waits (without the client timeout) until the tool ran or was
 * refused.  0 when it ran - look at "exit_code", "signal", "stdout" ... in
 * *reply -, else the server's -errno (ENOENT unknown tool, EPERM not
 * allowed, EACCES/ETIMEDOUT confirmation refused/expired ...).
 */
int aiosd_tool_call(struct aiosd_client *c, const struct aiosd_tool_call *call,
		    json_t **reply);
/* tool.pending: parked calls this client may see. */
int aiosd_tool_pending(struct aiosd_client *c, json_t **reply);
/* tool.confirm: allow (or refuse) the parked call with confirmation id. */
int aiosd_tool_confirm(struct aiosd_client *c, uint64_t id, bool allow);
/*
 * audit.subscribe: aiosd then pushes event frames on this connection;
 * read them with aiosd_next_event.  Use a connection only for that:
 * aiosd_call skips (drops) event frames that arrive before a reply.
 */
int aiosd_audit_subscribe(struct aiosd_client *c, json_t **reply);
/* Next frame within timeout_ms (-1: forever); -EAGAIN when none came. */
int aiosd_next_event(struct aiosd_client *c, int timeout_ms, json_t **event);

#endif
