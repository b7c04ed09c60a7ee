/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error reporting for libaiosruns: every function returns 0 (or a
 * non-negative result) on success and a negative errno on failure; when
 * the caller passes a struct aios_rerr it also receives a sentence a
 * person can act on.
 */
#ifndef AIOS_RUNS_RERR_H
#define AIOS_RUNS_RERR_H

#include <stdint.h>

struct aios_rerr {
	int code;		/* positive errno, 0 = no error */
	char msg[512];
	uint64_t cur_seq;	/* ESTALE: the current sequence number */
	uint64_t bad_seq;	/* EBADMSG on a ledger: the first bad record */
};

/* Record an error; returns -code.  e may be NULL. */
int aios_rerr_set(struct aios_rerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void aios_rerr_clear(struct aios_rerr *e);

#endif
