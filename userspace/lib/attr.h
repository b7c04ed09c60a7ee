/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: strict decoding of aios netlink attributes and replies.
 * Pure functions over byte buffers, unit tested with hand-built messages.
 */
#ifndef AIOS_ATTR_H
#define AIOS_ATTR_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "aios.h"

enum aiosi_attr_type {
	AIOSI_UNUSED = 0,	/* not expected: ignored */
	AIOSI_U32,
	AIOSI_S32,
	AIOSI_U64,
	AIOSI_STRING,		/* NUL-terminated within max bytes */
	AIOSI_BINARY,		/* at most max bytes */
	AIOSI_NEST,
};

struct aiosi_policy {
	uint8_t type;		/* enum aiosi_attr_type */
	uint16_t max;		/* STRING/BINARY: maximum length */
};

#define AIOSI_DETAIL_MAX	256

/*
 * Walk the attributes in buf[0..len): every attribute must fit, the
 * buffer must end exactly after the last one (padding included or not),
 * attributes with a policy must have the right length.  Attributes of a
 * type above maxtype or without policy are skipped (newer kernels).
 * tb[0..maxtype] gets the last occurrence of each type.  On failure
 * returns -EBADMSG and writes why into detail.
 */
int aiosi_attr_parse(const void *buf, size_t len,
		     const struct aiosi_policy *pol, int maxtype,
		     const struct nlattr **tb, char *detail, size_t dlen);

static inline const void *aiosi_attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline size_t aiosi_attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

uint32_t aiosi_attr_u32(const struct nlattr *a);
uint64_t aiosi_attr_u64(const struct nlattr *a);

/* Decode the payload of an AIOS_A_AGENT / AIOS_A_AUDIT / AIOS_A_STATUS nest. */
int aiosi_decode_agent(const struct nlattr *nest, struct aios_agent *out,
		       char *detail, size_t dlen);
int aiosi_decode_audit(const struct nlattr *nest, struct aios_audit_rec *out,
		       char *detail, size_t dlen);
int aiosi_decode_status(const struct nlattr *nest, struct aios_status *out,
			char *detail, size_t dlen);

/* Decode an AIOS_A_GPU nest. */
int aiosi_decode_gpu(const struct nlattr *nest, struct aios_gpu *out,
		     char *detail, size_t dlen);

/* Top-level AIOS_A_* attributes of a genetlink message (tb has AIOS_A_MAX+1). */
int aiosi_parse_genl(const struct nlmsghdr *nlh, const struct nlattr **tb,
		     char *detail, size_t dlen);

/* Decode a multicast notification into an event. */
int aiosi_decode_event(const struct nlmsghdr *nlh, struct aios_event *out,
		       char *detail, size_t dlen);

/*
 * Reply walking.  aiosi_nl_walk() processes the messages in one received
 * datagram that belong to request seq: genetlink messages of family are
 * handed to cb (stops calling it after it fails once; the error is kept
 * in res->cb_err), NLMSG_ERROR and NLMSG_DONE finish the request.
 * Returns 1 when the request is finished, 0 when more datagrams are
 * needed, -EBADMSG for a malformed datagram (detail in res->extack).
 */
typedef int (*aiosi_msg_cb)(const struct nlmsghdr *nlh, void *arg);

struct aiosi_nlres {
	int error;		/* kernel errno (negative) or 0 */
	int cb_err;		/* first error returned by the callback */
	unsigned int msgs;	/* genetlink messages handed to cb */
	char extack[AIOSI_DETAIL_MAX];	/* kernel extack message or "" */
};

int aiosi_nl_walk(const void *buf, size_t len, uint32_t seq,
		  uint16_t family, aiosi_msg_cb cb, void *arg,
		  struct aiosi_nlres *res);

#endif /* AIOS_ATTR_H */
