/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A run: one directory <state>/runs/<run-id>/ tying together its working
 * set, ledger, episodes and long-term memory:
 *
 *   run.json            {"format":"aios-run","version":1,"created_ns",
 *                        "agent","fsync"}
 *   workset.json        the working set (workset.h)
 *   ledger.log          the ledger (ledger.h)
 *   episodes/<name>.json
 *   ltm/committed.jsonl, ltm/proposals/<id>.json
 *
 * Every path is built from a validated id (aios_id_valid: no '.', no '/'),
 * so no request can name a file outside its run.  Changes made through
 * this API are also recorded in the ledger: "workset" (the new document,
 * its seq and SHA-256: the ledger is the working set's truth and
 * workset.json its cache, rebuilt at open when they differ - wsledger.h),
 * "episode" (name and SHA-256 of the episode file), "ltm_commit"
 * (proposal, episode, count).
 */
#ifndef AIOS_RUNS_RUN_H
#define AIOS_RUNS_RUN_H

#include <stdint.h>
#include <jansson.h>

#include "episode.h"
#include "ledger.h"
#include "ltm.h"
#include "rerr.h"
#include "workset.h"
#include "wsledger.h"

struct aios_run;

struct aios_run_opts {
	enum aios_fsync_policy policy;
	const struct aios_ledger_io *io;	/* tests: fault injection */
};

/* <state>/runs/<id> (out must hold PATH_MAX bytes). */
int aios_run_path(const char *state, const char *id, char *out, size_t len,
		  struct aios_rerr *e);

/* id NULL: a fresh random "r-<16 hex>".  id_out: AIOS_ID_MAX + 1 bytes. */
int aios_run_create(const char *state, const char *id, uint64_t agent,
		    const struct aios_run_opts *opts, struct aios_run **out,
		    char *id_out, struct aios_rerr *e);
int aios_run_open(const char *state, const char *id,
		  const struct aios_run_opts *opts, struct aios_run **out,
		  struct aios_ledger_recovery *rec, struct aios_rerr *e);
void aios_run_close(struct aios_run *r);
/* Array of {"id","created_ns","agent"} sorted by id. */
int aios_run_list(const char *state, json_t **list, struct aios_rerr *e);

const char *aios_run_id(const struct aios_run *r);
const char *aios_run_dir(const struct aios_run *r);
struct aios_ledger *aios_run_ledger(struct aios_run *r);
struct aios_ws *aios_run_ws(struct aios_run *r);
struct aios_ltm *aios_run_ltm(struct aios_run *r);

int aios_run_ws_put(struct aios_run *r, uint64_t agent, uint64_t expected_seq,
		    const json_t *doc, uint64_t *new_seq, struct aios_rerr *e);
int aios_run_ws_push(struct aios_run *r, uint64_t agent, uint64_t expected_seq,
		     const json_t *items, uint64_t *new_seq, json_t **evicted,
		     struct aios_rerr *e);
/*
 * After a ledger sync made outside this API failed (aiosd's round sync):
 * if it cut off the record of the working set's current state, roll the
 * working set back to the ledger's (working-set changes and episodes do
 * this check themselves).  -EIO if the ledger cannot rebuild it.
 */
int aios_run_ws_resync(struct aios_run *r, struct aios_rerr *e);
/* What opening the run found about workset.json vs its ledger. */
const struct aios_wsl_report *aios_run_ws_report(const struct aios_run *r);

/* Checkpoint: *info = {"name","sha256","ledger_seq","workset_seq"}. */
int aios_run_episode(struct aios_run *r, uint64_t agent, const char *name,
		     const char *note, json_t **info, struct aios_rerr *e);
int aios_run_ltm_commit(struct aios_run *r, uint64_t agent,
			const char *proposal, const char *episode, size_t *n,
			struct aios_rerr *e);
/*
 * Full check: the ledger chain, every episode file against its hash, and
 * every "episode" ledger record against the episode file it anchors.
 * *report = {"intact","records","torn_bytes","episodes","bad_seq","error"}.
 * Returns 0 when everything is intact, -EBADMSG otherwise.
 */
int aios_run_verify(struct aios_run *r, json_t **report, struct aios_rerr *e);

#endif
