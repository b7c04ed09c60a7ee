/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context manager: durable snapshots of an agent's conversation (create,
 * restore, list, delete, TTL expiry) kept per agent under
 * <dir>/<agent>/<id>.json; a model table (name -> context window in
 * tokens); an approximate token counter; truncation keeping the system
 * prompt and the most recent messages; per-session token budgets.
 *
 * Token counter (documented approximation, no tokenizer): a run of ASCII
 * letters counts ceil(n/4) tokens, a run of ASCII digits ceil(n/3), every
 * other non-space ASCII character 1, every non-ASCII character (UTF-8
 * code point) 1, whitespace 0.  A message adds 4 tokens of framing
 * (role, separators) to its content, a conversation 3 for the reply
 * primer.  It tends to over-count English prose by about 10-20% against
 * BPE tokenizers, which is the safe side for window checks.
 */
#ifndef AIOS_RUNS_CONTEXT_H
#define AIOS_RUNS_CONTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "rerr.h"

#define AIOS_CTX_MAX_MESSAGES	10000
#define AIOS_CTX_MAX_BYTES	(8u << 20)
#define AIOS_CTX_MSG_TOKENS	4
#define AIOS_CTX_PRIMER_TOKENS	3

struct aios_ctx;

/* models: optional JSON file {"models": {"name": tokens, ...}} merged over
 * the built-in defaults. */
int aios_ctx_open(const char *dir, const char *models_path,
		  struct aios_ctx **out, struct aios_rerr *e);
void aios_ctx_close(struct aios_ctx *c);
/* Replace the clock (tests); now(arg) returns CLOCK_REALTIME ns. */
void aios_ctx_set_clock(struct aios_ctx *c, uint64_t (*now)(void *), void *arg);

/* messages: array of {"role": system|user|assistant|tool, "content": s,
 * optional "name": s}; errors carry the JSON path. */
int aios_ctx_validate_messages(const json_t *msgs, struct aios_rerr *e);

/* Snapshots; ttl_s 0 = no expiry.  id_out: AIOS_ID_MAX + 1 bytes. */
int aios_ctx_snapshot_create(struct aios_ctx *c, uint64_t agent,
			     const json_t *messages, const char *model,
			     uint64_t ttl_s, char *id_out, struct aios_rerr *e);
int aios_ctx_snapshot_restore(struct aios_ctx *c, uint64_t agent,
			      const char *id, json_t **snap,
			      struct aios_rerr *e);
int aios_ctx_snapshot_list(struct aios_ctx *c, uint64_t agent, json_t **list,
			   struct aios_rerr *e);
int aios_ctx_snapshot_delete(struct aios_ctx *c, uint64_t agent,
			     const char *id, struct aios_rerr *e);
/* Remove every expired snapshot of every agent. */
int aios_ctx_expire(struct aios_ctx *c, size_t *removed, struct aios_rerr *e);

/* Model table. */
int aios_ctx_model_window(struct aios_ctx *c, const char *model,
			  uint64_t *tokens, struct aios_rerr *e);
json_t *aios_ctx_models(struct aios_ctx *c);

/* Token counter. */
size_t aios_tokens_text(const char *s, size_t len);
size_t aios_tokens_messages(const json_t *msgs);

struct aios_trunc {
	size_t tokens_before, tokens_after;
	size_t kept, dropped;
	json_t *dropped_idx;	/* array of dropped message indexes */
};

/*
 * Keep the system prompt (the leading "system" messages) and the most
 * recent messages: at most keep_last of them (0 = no count limit) and as
 * many as fit into budget tokens.  -E2BIG if the system prompt alone does
 * not fit.  *out receives the kept messages in their original order.
 */
int aios_ctx_truncate(const json_t *msgs, size_t budget, size_t keep_last,
		      json_t **out, struct aios_trunc *r, struct aios_rerr *e);

/* Per-session token budgets (durable), kept per owner (agent or uid
 * namespace): <dir>/sessions/<owner>/<session>.json. */
int aios_ctx_budget_set(struct aios_ctx *c, uint64_t owner,
			const char *session, uint64_t limit,
			struct aios_rerr *e);
/* Charge tokens; -EDQUOT (nothing charged) if it would exceed the limit. */
int aios_ctx_budget_charge(struct aios_ctx *c, uint64_t owner,
			   const char *session, uint64_t tokens,
			   uint64_t *remaining, struct aios_rerr *e);
int aios_ctx_budget_get(struct aios_ctx *c, uint64_t owner,
			const char *session, uint64_t *limit, uint64_t *used,
			struct aios_rerr *e);

#endif
