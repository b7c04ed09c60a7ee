/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Working set of a run: one JSON document with a strict schema
 * (Documentation/runs.md, "Working-set schema"), a sequence number and
 * optimistic locking.  Every change names the seq it was based on; a
 * stale one fails with -ESTALE and e->cur_seq = the current seq.  The
 * document holds a bounded sliding context whose eviction order is
 * deterministic: unpinned items only, lowest priority first, oldest
 * (earliest position) first among equal priorities.
 *
 * Thread-safe; the file is replaced atomically and durably on every change
 * (atomically only, once aios_ws_set_cache() made it a cache).
 */
#ifndef AIOS_RUNS_WORKSET_H
#define AIOS_RUNS_WORKSET_H

#include <stdint.h>
#include <jansson.h>

#include "rerr.h"

#define AIOS_WS_MAX_BYTES	(1u << 20)	/* serialized document limit */
#define AIOS_WS_GOAL_MAX	4096
#define AIOS_WS_NOTES_MAX	256
#define AIOS_WS_VARS_MAX	256
#define AIOS_WS_DEPTH_MAX	16
#define AIOS_WS_CTX_ITEMS_MAX	4096
#define AIOS_WS_CTX_BYTES_MAX	(1u << 20)

struct aios_ws;

/* Open path, creating the initial document (seq 0) if it does not exist. */
int aios_ws_open(const char *path, struct aios_ws **out, struct aios_rerr *e);
void aios_ws_close(struct aios_ws *ws);

/* The initial document of a new run. */
json_t *aios_ws_initial(void);

/* Check doc against the schema; the error message starts with the JSON
 * path of the offending value, e.g. "$.context.items[2].role: ...". */
int aios_ws_validate(const json_t *doc, struct aios_rerr *e);

/*
 * Make the file a cache (a run's: the ledger holds the truth, see
 * wsledger.h): from now on it is replaced atomically but not synced, and
 * aios_ws_restore() restores the document in memory even when the file
 * cannot be rewritten (it returns that error).
 */
void aios_ws_set_cache(struct aios_ws *ws);

/* A deep copy of the current document and its seq. */
int aios_ws_get(struct aios_ws *ws, json_t **doc, uint64_t *seq);

/* Replace the document if expected_seq is current; *new_seq = seq + 1. */
int aios_ws_put(struct aios_ws *ws, uint64_t expected_seq, const json_t *doc,
		uint64_t *new_seq, struct aios_rerr *e);

/*
 * Undo the change that produced seq (its ledger record could not be made
 * durable): if the working set is still at seq, store prev (the document
 * as it was at prev_seq) again, durably, as prev_seq.  -ESTALE (nothing
 * changed) if the working set has moved on meanwhile.
 */
int aios_ws_restore(struct aios_ws *ws, uint64_t seq, const json_t *prev,
		    uint64_t prev_seq, struct aios_rerr *e);

/*
 * Append items (a JSON array of context items) to the sliding context
 * and evict until it is within its bounds again.  *evicted (if not NULL)
 * receives the array of evicted item ids in eviction order.
 */
int aios_ws_context_push(struct aios_ws *ws, uint64_t expected_seq,
			 const json_t *items, uint64_t *new_seq,
			 json_t **evicted, struct aios_rerr *e);

/*
 * The eviction rule on its own: shrink context (a valid "context" object)
 * in place to its bounds, appending evicted ids to evicted.  -ENOSPC if
 * the pinned items alone exceed the bounds (context unchanged).
 */
int aios_ws_evict(json_t *context, json_t *evicted, struct aios_rerr *e);

/* Serialized form of a file body {"format","version","seq","doc"}. */
char *aios_ws_serialize(const json_t *doc, uint64_t seq);
/* Parse and validate such a file body. */
int aios_ws_parse_file(const char *text, size_t len, json_t **doc,
		       uint64_t *seq, struct aios_rerr *e);

#endif
