/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol operations for runs and contexts, as served by aiosd
 * ("run.*", "workset.*", "ledger.*", "episode.*", "ltm.*", "pack.*",
 * "context.*"; Documentation/aiosd-protocol.md, "Runs and contexts").
 * Independent of the daemon's event loop: the server passes the parsed
 * request object and who is asking, and gets a result object to merge
 * into its {"ok": true} reply, or an error.
 */
#ifndef AIOS_RUNS_RUNOPS_H
#define AIOS_RUNS_RUNOPS_H

#include <stdint.h>
#include <jansson.h>

#include "ledger.h"
#include "rerr.h"

struct aios_runops;

struct aios_runops_caller {
	uint64_t ns;	/* the caller's namespace: agent id, or 2^63 | uid */
	int admin;
};

struct aios_runops_opts {
	const char *state_dir;		/* runs/, contexts/, packs/ below it */
	const char *models_path;	/* optional model table JSON */
	enum aios_fsync_policy policy;	/* for new and opened runs */
	size_t max_inline_pack;		/* largest pack sent inline (bytes) */
	/*
	 * Deferred (group) sync for a single-threaded server: ledgers of
	 * runs whose fsync policy is not "none" are written without
	 * syncing, and the server must call aios_runops_sync() - one
	 * fdatasync per ledger for everything a round of requests wrote -
	 * before it sends any reply (aios_runops_unsynced() says whether
	 * one is needed).  If that fails, the unsynced records are removed
	 * again and the replies must not be sent.
	 */
	int deferred_sync;
	/* NULL: real syscalls; tests inject ledger I/O faults here */
	const struct aios_ledger_io *io;
};

int aios_runops_open(const struct aios_runops_opts *o, struct aios_runops **out,
		     struct aios_rerr *e);
void aios_runops_close(struct aios_runops *o);

/* Change the fsync policy given to runs created or opened from now on
 * (aiosd's SIGHUP reload of runs.fsync); open runs keep theirs. */
void aios_runops_set_policy(struct aios_runops *o, enum aios_fsync_policy p);

/* With deferred_sync: 1 if some ledger has records not yet synced. */
int aios_runops_unsynced(struct aios_runops *o);
/* With deferred_sync: make every ledger durable; 0 or -errno. */
int aios_runops_sync(struct aios_runops *o, struct aios_rerr *e);

/* 1 if op belongs to these operations (the prefixes above), else 0. */
int aios_runops_owns(const char *op);

/*
 * Handle op.  Returns 0 with *result (a JSON object of reply fields), or a
 * negative errno with e->msg; on ESTALE e->cur_seq is the current seq, on
 * EBADMSG from a ledger e->bad_seq the first bad record (the daemon adds
 * them to the error reply as "current_seq" / "bad_seq").
 */
int aios_runops_handle(struct aios_runops *o, const struct aios_runops_caller *who,
		       const char *op, json_t *req, json_t **result,
		       struct aios_rerr *e);

#endif
