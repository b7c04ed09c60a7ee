/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Long-term memory of a run.  Facts are proposed as a staged batch
 * (ltm/proposals/<id>.json) and become visible only when the batch is
 * committed at a milestone (an episode); a batch can also be discarded.
 * Committed entries live in ltm/committed.jsonl, appended and fsynced,
 * never rewritten: there is no update or delete.  Search sees committed
 * entries only.
 *
 * Search: the query is split into tokens (runs of ASCII letters/digits,
 * lower-cased; other bytes separate tokens).  score = 3 if the whole
 * query occurs in the text (case-insensitive) + 2 per distinct query
 * token that is a token of the text + 1 per distinct query token equal
 * to a tag.  Entries with score 0 are not returned; results are ordered
 * by score (high first), then newest first.  A scope filter "a/b"
 * matches scope "a/b" and "a/b/..." only.
 */
#ifndef AIOS_RUNS_LTM_H
#define AIOS_RUNS_LTM_H

#include <stddef.h>
#include <jansson.h>

#include "rerr.h"

#define AIOS_LTM_TEXT_MAX	8192
#define AIOS_LTM_SCOPE_MAX	128
#define AIOS_LTM_TAGS_MAX	16
#define AIOS_LTM_BATCH_MAX	256

struct aios_ltm;

int aios_ltm_open(const char *dir, struct aios_ltm **out, struct aios_rerr *e);
void aios_ltm_close(struct aios_ltm *m);

/* Check a batch: array of {"text": s, "scope": s, "tags": [s...]} with the
 * JSON path of the first error. */
int aios_ltm_validate_batch(const json_t *facts, struct aios_rerr *e);
/* Stage a batch; id_out receives the proposal id (AIOS_ID_MAX + 1). */
int aios_ltm_propose(struct aios_ltm *m, const json_t *facts, char *id_out,
		     struct aios_rerr *e);
int aios_ltm_discard(struct aios_ltm *m, const char *proposal,
		     struct aios_rerr *e);
/* Commit a staged batch at episode (its name and SHA-256); the caller
 * has checked that the episode exists.  *n = number of entries added. */
int aios_ltm_commit(struct aios_ltm *m, const char *proposal,
		    const char *episode, const char *episode_sha,
		    size_t *n, struct aios_rerr *e);
/* Array of {"id","created_ns","facts"} of staged batches, sorted by id. */
int aios_ltm_proposals(struct aios_ltm *m, json_t **list, struct aios_rerr *e);
/* Ranked results (array of entries with "score"); limit 0 = 20. */
int aios_ltm_search(struct aios_ltm *m, const char *query, const char *scope,
		    size_t limit, json_t **results, struct aios_rerr *e);
size_t aios_ltm_count(struct aios_ltm *m);
/* Check the bytes of a committed.jsonl file (as in a resume pack). */
int aios_ltm_check_committed(const char *text, size_t len,
			     struct aios_rerr *e);

#endif
