/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Identities for the HTTP front (aios-httpd, Documentation/http.md).
 *
 * aios-httpd is an unprivileged client of aiosd; it cannot assert who its
 * HTTP clients are, aiosd verifies it:
 *  - "auth" with an HTTP client's own connected AF_UNIX socket attached
 *    (SCM_RIGHTS): aiosd reads SO_PEERCRED of that socket itself;
 *  - "auth" {"token": "..."}: a bearer token from the token file, bound
 *    to a kernel agent (valid while it lives) or to a uid.
 * Tokens are stored as SHA-256 hashes in a 0600 file only aiosd writes,
 * compared in constant time, managed with "token.add|list|revoke"
 * (admin).  "audit.get" reads the kernel audit ring with the caller's
 * rights (aiosd itself runs as root).
 */
#ifndef AIOSD_TOKENS_H
#define AIOSD_TOKENS_H

#include "memops.h"
#include "proto.h"

#include <jansson.h>
#include <stdbool.h>

struct aiosd_tokens;

/*
 * Open the token file at path ("" disables tokens).  A missing file is
 * an empty set; a file readable by group or others is refused.
 */
int tokens_open(const char *path, struct aiosd_tokens **out, char *err,
		size_t errlen);
void tokens_close(struct aiosd_tokens *t);

/* fd is a socket (so "auth" means an HTTP client's socket). */
bool tokens_fd_is_socket(int fd);

/*
 * Handle "auth" with a token or a passed socket (fd, consumed).  On
 * success *id is the verified identity (the caller decides admin for a
 * uid/pid identity) and the reply object is returned; on failure an error
 * reply.  kernel: the aios module is available.
 */
json_t *tokens_auth(struct aiosd_tokens *t, struct client_id *id,
		    struct proto_req *req, int fd, bool kernel, int *ok);

/* "token.add", "token.list", "token.revoke", "audit.get"; NULL otherwise. */
json_t *tokens_handle(struct aiosd_tokens *t, const struct client_id *who,
		      struct proto_req *req, bool kernel);

#endif
