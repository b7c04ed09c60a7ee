/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger as the source of truth of a run's working set.
 *
 * Every working-set change appends a "workset" record whose payload is
 * {"doc":{...},"seq":N,"sha256":"<hex>"}: the whole document after the
 * change, its seq, and the SHA-256 of its canonical form (jansson
 * compact, sorted keys).  workset.json is only a cache of the last such
 * record, replaced atomically (temp file + rename) without fsync; when a
 * run is opened, the cache is compared with the last "workset" record of
 * the recovered ledger and rebuilt from it when they differ.
 *
 * Ledgers written before this format carry only {"seq","sha256"} in
 * their "workset" records ("legacy" records): they cannot rebuild the
 * document, so the cache file is trusted as it was before (and what
 * differs is reported).
 */
#ifndef AIOS_RUNS_WSLEDGER_H
#define AIOS_RUNS_WSLEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "fsutil.h"
#include "ledger.h"
#include "rerr.h"

/* The last "workset" record of a ledger (or the state before any). */
struct aios_wsl_rec {
	uint64_t lseq;		/* its ledger seq; 0: the ledger has none */
	uint64_t seq;		/* working-set seq it records */
	char sha[AIOS_SHA256_HEX];
	json_t *doc;		/* the document; NULL for a legacy record */
};

void aios_wsl_rec_free(struct aios_wsl_rec *r);

/* Canonical form of doc (malloc'd) and its SHA-256 in hex. */
char *aios_wsl_canon(const json_t *doc, char sha[AIOS_SHA256_HEX]);

/* The payload of the "workset" record for doc at seq (malloc'd). */
char *aios_wsl_payload(const json_t *doc, uint64_t seq,
		       char sha[AIOS_SHA256_HEX]);

/*
 * Parse a "workset" record payload.  A document is validated against
 * the schema and must hash to the record's sha256 (-EBADMSG otherwise).
 */
int aios_wsl_parse(const void *payload, size_t len, struct aios_wsl_rec *out,
		   struct aios_rerr *e);

/*
 * The last "workset" record at or before ledger seq upto (0: the head).
 * With none, out->lseq = 0 and out describes a new run's working set
 * (the initial document at seq 0).
 */
int aios_wsl_last(struct aios_ledger *l, uint64_t upto,
		  struct aios_wsl_rec *out, struct aios_rerr *e);

/* The same over a ledger image that aios_ledger_verify_buf() accepted
 * (its first len bytes: complete records only). */
int aios_wsl_last_buf(const void *buf, size_t len, struct aios_wsl_rec *out,
		      struct aios_rerr *e);

/* What opening a run found and did about its working-set cache. */
struct aios_wsl_report {
	const char *action;	/* "intact", "rebuilt", "trusted" */
	char detail[300];	/* why, for people */
	uint64_t ledger_seq;	/* working-set seq the ledger records */
	uint64_t file_seq;	/* seq the file held (0 if unreadable) */
};

/*
 * Make the cache file at path agree with the ledger (called before the
 * working set is loaded from it).  With a legacy last record the file is
 * trusted; *legacy then receives the file's document and seq so that a
 * later rollback to that record can restore it (caller frees).
 */
int aios_wsl_reconcile(const char *path, struct aios_ledger *l,
		       struct aios_wsl_report *rep, json_t **legacy_doc,
		       uint64_t *legacy_seq, struct aios_rerr *e);

/*
 * Resume packs: check that a working-set file (text) is the document
 * the ledger image's last "workset" record holds: same seq, same hash.
 * -EBADMSG with a message otherwise.
 */
int aios_wsl_check_pack(const char *ws_text, size_t ws_len,
			const void *ledger, size_t ledger_len,
			struct aios_rerr *e);

#endif
