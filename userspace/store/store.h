/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libaiosstore - the aios memory store.
 *
 * A key/value store over byte-string keys, one adaptive radix tree per
 * agent (agents are u64 ids; an operation names the agent, and only that
 * agent's tree is ever touched - isolation does not depend on the key).
 * Bounded by a capacity that counts every byte the store allocates;
 * over k_threshold x capacity it evicts least recently used entries
 * (sampled LRU with an eviction pool) from the agent that uses the most
 * memory, so an agent's flood evicts its own entries first.  Optional
 * durability: an append-only log of checksummed records plus snapshots.
 *
 * Not thread-safe: one store is used by one thread at a time.  Errors
 * are negative errno values; aios_store_errmsg() says what went wrong.
 */
#ifndef AIOS_STORE_H
#define AIOS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aios_store;

enum aios_fsync {
	AIOS_FSYNC_NEVER = 0,	/* leave it to the kernel */
	AIOS_FSYNC_BATCHED,	/* fdatasync at most every fsync_interval_ms */
	AIOS_FSYNC_ALWAYS,	/* fdatasync before a write returns */
};

struct aios_store_config {
	const char *dir;		/* NULL: memory only, no durability */
	uint64_t max_bytes;		/* capacity; 0: unbounded */
	double k_threshold;		/* 0 < k <= 1; 0 selects 0.9 */
	uint32_t key_max;		/* 0 selects 1024; at most 65535 */
	uint32_t value_max;		/* 0 selects 1 MiB; at most 64 MiB */
	enum aios_fsync fsync;
	uint32_t fsync_interval_ms;	/* 0 selects 100 */
	uint64_t snapshot_log_bytes;	/* snapshot when the log grows past;
					 * 0: only on aios_store_snapshot() */
	uint32_t evict_samples;		/* keys sampled per eviction round;
					 * 0 selects 5 */
	bool sync_by_caller;		/* with fsync=always, writes return
					 * before their fdatasync: the caller
					 * calls aios_store_sync() before it
					 * acknowledges them (group commit) */
	bool recover;			/* on a damaged snapshot or log, start
					 * from the last good record (moving
					 * the rest aside) instead of failing */
	uint64_t seed;			/* sampling seed; 0: fixed default */
};

/* What aios_store_open() found and did. */
struct aios_store_open_report {
	bool snapshot_loaded;
	uint64_t snapshot_items;
	uint64_t snapshot_seq;
	uint64_t log_records;		/* records replayed */
	uint64_t log_skipped;		/* already in the snapshot */
	uint64_t torn_bytes;		/* incomplete tail truncated */
	uint64_t dropped_bytes;		/* damaged data moved aside (recover) */
	uint64_t evicted;		/* evictions after loading */
	char message[512];		/* one human-readable summary */
};

struct aios_store_stats {
	uint64_t agents;
	uint64_t items;
	uint64_t raw_key_bytes;		/* sum of key lengths */
	uint64_t stored_key_bytes;	/* key bytes kept after prefix sharing */
	uint64_t value_bytes;
	uint64_t overhead_bytes;	/* mem - stored keys - values */
	uint64_t mem_bytes;		/* everything charged to capacity */
	uint64_t capacity_bytes;	/* 0: unbounded */
	uint64_t threshold_bytes;	/* eviction starts above this */
	uint64_t evictions;
	uint64_t hits, misses;
	double hit_rate;		/* hits / (hits + misses), 0 if none */
	double compression_ratio;	/* raw / stored key bytes, 1 if none */
	uint64_t seq;			/* last log record */
	uint64_t log_bytes;
};

/* Fill in the defaults for every zero field. */
void aios_store_config_defaults(struct aios_store_config *cfg);

/*
 * Open (and, with cfg->dir, load) a store.  On failure returns a negative
 * errno and, if err is not NULL, a message naming the file, offset and
 * problem.  report (optional) says what loading did.
 */
int aios_store_open(const struct aios_store_config *cfg, struct aios_store **out,
		    struct aios_store_open_report *report, char *err,
		    size_t errlen);
/* Sync the log (unless fsync=never) and free everything. */
void aios_store_close(struct aios_store *st);

/* Message of the last failed call. */
const char *aios_store_errmsg(const struct aios_store *st);

/*
 * Insert or replace.  0 on success; *evicted (optional) gets the number
 * of entries evicted to make room.  -EINVAL empty key, -ENAMETOOLONG key
 * over key_max, -EFBIG value over value_max, -ENOSPC entry larger than
 * the eviction threshold, -ENOMEM, -EIO log write/sync failed.
 */
int aios_store_put(struct aios_store *st, uint64_t agent, const void *key,
		   size_t klen, const void *val, size_t vlen, uint64_t *evicted);

/*
 * Look up; marks the entry as used.  *val points into the store and stays
 * valid until the next modifying call.  -ENOENT when absent.
 */
int aios_store_get(struct aios_store *st, uint64_t agent, const void *key,
		   size_t klen, const void **val, size_t *vlen);

/* Remove one key: 0, -ENOENT, -EINVAL/-ENAMETOOLONG bad key, -EIO. */
int aios_store_delete(struct aios_store *st, uint64_t agent, const void *key,
		      size_t klen);

/* Remove every key starting with prefix (all of the agent's keys for an
 * empty prefix); *deleted (optional) gets the count. */
int aios_store_delete_prefix(struct aios_store *st, uint64_t agent,
			     const void *prefix, size_t plen, uint64_t *deleted);

typedef int (*aios_store_scan_fn)(void *arg, const void *key, size_t klen,
				  const void *val, size_t vlen);

/*
 * Ordered scan of the agent's keys starting with prefix, strictly after
 * the key "after" when after is not NULL (the cursor: pass the last key
 * of the previous page), at most limit keys (0: no limit).  Returns the
 * number of keys passed to fn, or fn's non-zero return value if it
 * stopped the scan, or a negative errno; *more (optional) tells whether
 * more keys follow.  Scanning does not count as use for the LRU.  fn must
 * not call into the store; key and val are valid only during the call.
 */
long aios_store_scan(struct aios_store *st, uint64_t agent, const void *prefix,
		     size_t plen, const void *after, size_t alen, size_t limit,
		     aios_store_scan_fn fn, void *arg, bool *more);

/* Whole-store statistics. */
void aios_store_stats(const struct aios_store *st, struct aios_store_stats *s);
/* One agent's statistics (zeros for an agent without keys). */
void aios_store_agent_stats(const struct aios_store *st, uint64_t agent,
			    struct aios_store_stats *s);

/*
 * Bytes mapped for the arena that holds the inner nodes of every tree.
 * mem_bytes counts the nodes in it; node slots freed by deletes are
 * reused for new nodes and returned to the system only at close.
 */
uint64_t aios_store_arena_bytes(const struct aios_store *st);

/* Call fn for each agent holding keys, in no particular order. */
int aios_store_for_each_agent(const struct aios_store *st,
			      int (*fn)(void *arg, uint64_t agent), void *arg);

/*
 * Change the settings that may change while the store is open (aiosd's
 * SIGHUP reload): max_bytes, k_threshold, fsync, fsync_interval_ms,
 * snapshot_log_bytes, evict_samples; the other fields of cfg are ignored
 * (zeros select the defaults, as for aios_store_open()).  Unsynced log
 * records are synced first when the fsync policy changes; a lower
 * threshold evicts at once (*evicted, optional, gets the count).
 * 0, -EINVAL bad values (nothing changed), or the eviction's error.
 */
int aios_store_reconfigure(struct aios_store *st, const struct aios_store_config *cfg,
			   uint64_t *evicted);

/* Write a snapshot (atomic rename) and start a fresh log. */
int aios_store_snapshot(struct aios_store *st);
/* fdatasync the log if anything is unsynced. */
int aios_store_sync(struct aios_store *st);
/*
 * Periodic work for fsync=batched: sync when the interval has passed.
 * Returns milliseconds until it wants to be called again (-1: no need).
 */
int aios_store_tick(struct aios_store *st);

/* Check every internal invariant and counter: 0 or -EUCLEAN (message in
 * aios_store_errmsg()).  For tests and "aiosctl memory check". */
int aios_store_check(struct aios_store *st);

#endif
