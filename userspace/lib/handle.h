/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: the handle and its error reporting.
 */
#ifndef AIOS_HANDLE_H
#define AIOS_HANDLE_H

#include <stdarg.h>

#include "aios.h"

#define AIOSI_ERRMSG_MAX	512
#define AIOSI_NLBUF_SIZE	65536

struct nl_sock;

struct aios {
	int fd;			/* /dev/aios or -1 */
	bool ready;		/* handshake done */
	uint64_t agent_id;	/* 0: not an agent */
	uint32_t api_version;
	uint64_t features;
	uint16_t struct_size[AIOS_IOC_NR_MAX];
	int via;		/* enum aios_via */

	struct nl_sock *nl;	/* lazily created */
	int family;		/* genetlink family id, 0: unresolved */
	void *nlbuf;		/* receive buffer, AIOSI_NLBUF_SIZE bytes */

	char errmsg[AIOSI_ERRMSG_MAX];
};

/*
 * Record a failure on h: "<what>: <strerror(err)>[: detail]".  Returns
 * err (negative errno) so callers can "return aiosi_fail(...)".
 */
int aiosi_fail(struct aios *h, int err, const char *detail,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record a message verbatim; returns err. */
int aiosi_failmsg(struct aios *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Format into buf (shared by handle and events). */
void aiosi_format_err(char *buf, size_t len, int err, const char *detail,
		      const char *fmt, va_list ap);
void aiosi_clear_err(struct aios *h);

#endif /* AIOS_HANDLE_H */
