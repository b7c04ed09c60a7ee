/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sync several ledgers at once (aiosd's round-level group commit touches
 * one ledger per run): the fdatasyncs run on up to max_threads threads,
 * so that they overlap and the device's cache flushes merge, instead of
 * one flush after the other.  Each ledger behaves exactly as under
 * aios_ledger_sync(): a failed sync cuts its unsynced records off, which
 * the caller sees in aios_ledger_get_stats() (dropped_records).
 */
#ifndef AIOS_RUNS_PSYNC_H
#define AIOS_RUNS_PSYNC_H

#include <stddef.h>

#include "ledger.h"

void aios_ledgers_sync(struct aios_ledger **ls, size_t n, unsigned max_threads);

#endif
