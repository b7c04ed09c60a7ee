/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run ledger: an append-only file of records {seq, timestamp, agent, type,
 * payload}.  Every record carries a CRC32C of its header, a SHA-256 chain
 * hash over the previous record's hash and its own bytes, and a CRC32C of
 * the whole record.  The on-disk format, the recovery rules and the fsync
 * policies are described in Documentation/runs.md.
 *
 * Thread-safe: any number of threads may append to one handle.  An append
 * returns only after its record is durable under the chosen policy
 * (ALWAYS: its own fdatasync; GROUP: one fdatasync shared by every record
 * written while the previous one ran; NONE: never waits).  A record whose
 * write or sync failed is removed again and its append fails: an
 * acknowledged record is always durable, a failed one never stays in the
 * chain.
 */
#ifndef AIOS_RUNS_LEDGER_H
#define AIOS_RUNS_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rerr.h"

#define AIOS_LEDGER_FILE_HDR	32
#define AIOS_LEDGER_REC_HDR	44
#define AIOS_LEDGER_REC_TRAILER	36	/* SHA-256 chain hash + CRC32C */
#define AIOS_LEDGER_TYPE_MAX	64
#define AIOS_LEDGER_PAYLOAD_MAX	(16u << 20)

enum aios_fsync_policy {
	AIOS_LEDGER_FSYNC_ALWAYS = 0,
	AIOS_LEDGER_FSYNC_GROUP,
	AIOS_LEDGER_FSYNC_NONE,
};

/* "always", "group", "none" -> policy; -EINVAL otherwise. */
int aios_fsync_policy_parse(const char *s, enum aios_fsync_policy *out);
const char *aios_fsync_policy_name(enum aios_fsync_policy p);

/*
 * The I/O a ledger does after opening goes through these hooks so tests
 * can inject faults.  Each returns the syscall result or a negative errno
 * (pwrite may return a short count).  NULL members use the real syscalls.
 */
struct aios_ledger_io {
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len,
			  off_t off);
	int (*fdatasync)(void *ctx, int fd);
	int (*ftruncate)(void *ctx, int fd, off_t len);
	void *ctx;
};

struct aios_ledger_opts {
	enum aios_fsync_policy policy;
	const struct aios_ledger_io *io;	/* NULL: real syscalls */
	uint32_t max_payload;			/* 0: AIOS_LEDGER_PAYLOAD_MAX */
	int create;				/* create the file if missing */
};

struct aios_ledger_recovery {
	uint64_t records;		/* complete records found */
	uint64_t truncated_bytes;	/* bytes of the torn record removed
					 * at open (trailing zeros of
					 * preallocated space not counted) */
};

struct aios_ledger_verify {
	uint64_t records;		/* good records before any problem */
	uint64_t bytes;			/* bytes covered by good records */
	uint64_t torn_bytes;		/* incomplete tail after them */
	uint64_t zero_tail_bytes;	/* preallocated zeros after that */
	uint64_t last_seq;
	unsigned char last_hash[32];
	uint64_t bad_seq;		/* 0 = no corruption */
	uint64_t bad_offset;
	char reason[160];
};

struct aios_ledger_rec {
	uint64_t seq;
	uint64_t ts_ns;
	uint64_t agent;
	char type[AIOS_LEDGER_TYPE_MAX + 1];
	unsigned char hash[32];
	uint32_t payload_len;
	unsigned char *payload;	/* malloc'd, NUL-terminated copy */
};

struct aios_ledger_stats {
	uint64_t records;
	uint64_t bytes;
	uint64_t durable_seq;
	uint64_t syncs;		/* fdatasync calls that succeeded */
	uint64_t failed_appends;
	/* records written, then removed again because a later sync failed
	 * (with policy NONE and aios_ledger_sync(), other callers' records
	 * too: whoever holds replies for them must not send them) */
	uint64_t dropped_records;
};

struct aios_ledger;

/*
 * Open (recovering a torn tail: the incomplete last record is truncated
 * and recovery->truncated_bytes says how much) or create.  A corrupted
 * record anywhere else is refused with -EBADMSG naming the record
 * (e->bad_seq); the file is left untouched.
 */
int aios_ledger_open(const char *path, const struct aios_ledger_opts *opts,
		     struct aios_ledger **out,
		     struct aios_ledger_recovery *recovery,
		     struct aios_rerr *e);
/* Syncs (unless policy NONE) and closes.  Returns the sync result. */
int aios_ledger_close(struct aios_ledger *l);

/* Append; *seq_out = the record's sequence number (1-based). */
int aios_ledger_append(struct aios_ledger *l, const char *type,
		       uint64_t agent, const void *payload, size_t len,
		       uint64_t *seq_out, struct aios_rerr *e);
/* Make everything appended so far durable (for policy NONE). */
int aios_ledger_sync(struct aios_ledger *l, struct aios_rerr *e);

/* Read record seq (1..last). */
int aios_ledger_read(struct aios_ledger *l, uint64_t seq,
		     struct aios_ledger_rec *rec, struct aios_rerr *e);
void aios_ledger_rec_free(struct aios_ledger_rec *rec);
/* Last record's seq (0 if empty) and chain hash (zeros if empty). */
void aios_ledger_head(struct aios_ledger *l, uint64_t *seq,
		      unsigned char hash[32]);
void aios_ledger_get_stats(struct aios_ledger *l, struct aios_ledger_stats *s);
const char *aios_ledger_path(const struct aios_ledger *l);

/*
 * Walk a ledger read-only and check every header CRC, record CRC,
 * sequence number and chain hash.  Returns 0 when every complete record
 * is good (a torn tail is reported in v->torn_bytes), -EBADMSG when a
 * record is bad: v->bad_seq names it (its position in the chain), and
 * v->reason says what is wrong.
 */
int aios_ledger_verify_file(const char *path, struct aios_ledger_verify *v,
			    struct aios_rerr *e);
int aios_ledger_verify_buf(const void *buf, size_t len,
			   struct aios_ledger_verify *v, struct aios_rerr *e);

#endif
