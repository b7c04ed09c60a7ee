/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resume packs: a run as one portable archive (POSIX pax tar, gzip) with
 *
 *   MANIFEST.json   {"format":"aios-resume-pack","version":1,"run_id",
 *                    "created_ns","ledger":{"records","last_hash"},
 *                    "workset_seq","files":[{"path","size","sha256"}...]}
 *   run.json, workset.json, ledger.log, episodes/<name>.json,
 *   ltm/committed.jsonl, ltm/proposals/<id>.json
 *
 * Import reads the whole archive into memory first and checks it before
 * writing anything: only regular files (no symlinks, hardlinks, devices,
 * directories), relative paths of the expected shapes (no "..", no
 * absolute paths), no duplicates, every file listed in the manifest with
 * the right size and SHA-256, nothing unlisted, the ledger chain intact
 * and matching the manifest, the working set, episodes and memory
 * parseable.  Then it writes into a temporary directory and renames it
 * into place, so a failed import leaves nothing behind.
 */
#ifndef AIOS_RUNS_PACK_H
#define AIOS_RUNS_PACK_H

#include <jansson.h>

#include "rerr.h"

#define AIOS_PACK_MAX_FILE	(1ull << 30)
#define AIOS_PACK_MAX_TOTAL	(2ull << 30)
#define AIOS_PACK_MAX_FILES	100000

struct aios_run;

/* Export run (the caller keeps it quiet meanwhile) to out_path. */
int aios_pack_export(struct aios_run *r, const char *out_path,
		     json_t **manifest, struct aios_rerr *e);
/*
 * Import into <state>/runs/<id>: id = as_id or the manifest's run_id.
 * -EEXIST if that run exists.  id_out: AIOS_ID_MAX + 1 bytes.
 */
int aios_pack_import(const char *pack_path, const char *state,
		     const char *as_id, char *id_out, json_t **manifest,
		     struct aios_rerr *e);

#endif
