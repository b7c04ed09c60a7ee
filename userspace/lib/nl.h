/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the handle's generic netlink socket (libnl-genl-3).
 */
#ifndef AIOS_NL_H
#define AIOS_NL_H

#include <netlink/msg.h>

#include "attr.h"
#include "handle.h"

/* Seconds to wait for a reply before giving up with -ETIMEDOUT. */
#define AIOSI_NL_TIMEOUT_MS	10000

/* errno for a libnl error code (negative in, negative out). */
int aiosi_nlerr(int nle);

/* Create the socket and resolve the family if not done yet. */
int aiosi_nl_ensure(struct aios *h);

/* New request for cmd (NLM_F_DUMP in flags for dumps); NULL on ENOMEM. */
struct nl_msg *aiosi_nl_new(struct aios *h, uint8_t cmd, int flags);

/* Add AIOS_A_CALLER_FD when the handle is an agent; 0 or -ENOMEM. */
int aiosi_nl_put_caller(struct aios *h, struct nl_msg *m);

/*
 * Ensure the socket, then start a request for cmd (flags as for
 * aiosi_nl_new) with AIOS_A_CALLER_FD when caller is set; on success *out
 * holds the message.  On failure the handle's message names what.
 */
int aiosi_nl_start(struct aios *h, uint8_t cmd, int flags, bool caller,
		   struct nl_msg **out, const char *what);

/* Free m after an attribute did not fit; -EMSGSIZE with the message set. */
int aiosi_nl_put_fail(struct aios *h, struct nl_msg *m, const char *what);

/*
 * Send m (consumed) and process the replies: each genetlink message of
 * the family goes to cb.  On failure the handle's message is
 * "<what>: <strerror>[: <kernel extack>]".
 */
int aiosi_nl_request(struct aios *h, struct nl_msg *m, aiosi_msg_cb cb,
		     void *arg, const char *what);

/*
 * Room for one more element in a reply array v of *cap elements of elem
 * bytes with n in use: when full, doubles it (first elements when empty,
 * never beyond max when max != 0).  Returns the array, possibly moved, and
 * updates *cap; NULL on ENOMEM, v then still valid and *cap unchanged.
 */
void *aiosi_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first,
		 size_t max);

/* Resolve a multicast group id of the family on sk; negative errno. */
int aiosi_nl_group(struct aios *h, struct nl_sock *sk, const char *group);

#endif /* AIOS_NL_H */
