/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Episodes: immutable milestone checkpoints of a run.  An episode is a
 * file episodes/<name>.json holding a copy of the working set (and its
 * seq), the ledger position (seq and chain hash of the last record) and
 * a SHA-256 over its canonical body.  Files are created once (O_EXCL,
 * mode 0444) and never rewritten; show re-hashes the body, so an edited
 * file is reported, and the run also anchors each episode's hash in the
 * ledger (record type "episode").
 */
#ifndef AIOS_RUNS_EPISODE_H
#define AIOS_RUNS_EPISODE_H

#include <stdint.h>
#include <jansson.h>

#include "fsutil.h"
#include "rerr.h"

struct aios_episode_in {
	const char *name;		/* safe id */
	const json_t *workset;
	uint64_t workset_seq;
	uint64_t ledger_seq;
	const unsigned char *ledger_hash;	/* 32 bytes */
	const char *note;		/* optional free text */
};

/* Create dir/<name>.json; -EEXIST if an episode of that name exists. */
int aios_episode_create(const char *dir, const struct aios_episode_in *in,
			char sha_out[AIOS_SHA256_HEX], struct aios_rerr *e);
/* Load and check an episode; *body = its body object. */
int aios_episode_show(const char *dir, const char *name, json_t **body,
		      char sha_out[AIOS_SHA256_HEX], struct aios_rerr *e);
/* Check the bytes of an episode file (as in a resume pack). */
int aios_episode_check_text(const char *text, size_t len, const char *name,
			    json_t **body, char sha_out[AIOS_SHA256_HEX],
			    struct aios_rerr *e);
/* Array of {"name","created_ns","ledger_seq","workset_seq","sha256"},
 * ordered by ledger_seq then name. */
int aios_episode_list(const char *dir, json_t **list, struct aios_rerr *e);

#endif
