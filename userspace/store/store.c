// SPDX-License-Identifier: GPL-2.0
/*
 * libaiosstore: agents, capacity and eviction, durability (see store.h).
 *
 * Eviction is sampled LRU with a pool, in the style of Redis: each leaf
 * keeps a 32-bit logical access time (a store-wide counter bumped by
 * every put and get); an eviction round samples evict_samples keys of
 * the victim agent by random descent and keeps the 16 oldest candidates
 * seen so far in a pool; the oldest candidate that still exists with the
 * same access time is evicted.  Exact LRU would need a doubly linked list
 * through every entry (16 bytes per key, more than a third of the
 * overhead budget) and a list update - two more cache misses - on every
 * get; the sampled pool costs 4 bytes per key and evicts nearly the same
 * entries.
 *
 * Fairness: the victim is always the agent using the most memory (nodes,
 * leaves, keys, values).  An agent that floods the store becomes the
 * biggest user and evicts its own entries; a small agent is only touched
 * once it is the biggest.  The entry a put just wrote is never evicted by
 * that put.
 */
#include "store.h"
#include "art.h"
#include "wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POOL_SIZE	16
#define SNAP_NAME	"store.snap"
#define LOG_NAME	"store.log"

struct agent {
	uint64_t id;
	struct art tree;
	uint64_t evictions, hits, misses;
};

struct pool_ent {
	uint32_t atime;
	uint32_t klen;
	uint8_t *key;
};

struct aios_store {
	struct aios_store_config cfg;
	char *dir;
	uint64_t threshold;

	struct agent **tab;	/* open addressing by agent id */
	size_t tab_cap, nagents;
	struct art_acct total;
	struct art_slab slab;	/* inner nodes of every agent's tree */
	uint32_t clock;
	uint64_t evictions, hits, misses;
	uint64_t rnd;

	uint64_t pool_agent;
	int pool_n;
	struct pool_ent pool[POOL_SIZE];
	uint8_t *keybuf;	/* key_max + 1 bytes of scratch */

	int dirfd, logfd;
	uint64_t seq, log_bytes;
	bool unsynced, failed, replaying;
	struct timespec last_sync;
	uint8_t *rbuf;
	size_t rbuf_cap;

	char err[512];
};

static int fail(struct aios_store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct aios_store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return err;
}

/* The same for a fixed message: no formatting on hot paths (misses). */
static int fail_msg(struct aios_store *st, int err, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(st->err))
		n = sizeof(st->err) - 1;
	memcpy(st->err, msg, n);
	st->err[n] = 0;
	return err;
}

const char *aios_store_errmsg(const struct aios_store *st)
{
	return st->err;
}

void aios_store_config_defaults(struct aios_store_config *c)
{
	if (c->k_threshold <= 0)
		c->k_threshold = 0.9;
	if (!c->key_max)
		c->key_max = 1024;
	if (!c->value_max)
		c->value_max = 1u << 20;
	if (!c->fsync_interval_ms)
		c->fsync_interval_ms = 100;
	if (!c->evict_samples)
		c->evict_samples = 5;
}

/* ---- agents ---- */

static void pool_clear(struct aios_store *st);

static size_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x;
}

static struct agent *agent_find(const struct aios_store *st, uint64_t id)
{
	size_t mask = st->tab_cap - 1, i;

	for (i = hash64(id) & mask; st->tab[i]; i = (i + 1) & mask)
		if (st->tab[i]->id == id)
			return st->tab[i];
	return NULL;
}

static void tab_insert(struct agent **tab, size_t cap, struct agent *a)
{
	size_t i = hash64(a->id) & (cap - 1);

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = a;
}

static size_t agent_cost(void)
{
	return art_alloc_cost(sizeof(struct agent));
}

static struct agent *agent_get(struct aios_store *st, uint64_t id)
{
	struct agent *a = agent_find(st, id);

	if (a)
		return a;
	if ((st->nagents + 1) * 2 > st->tab_cap) {
		size_t cap = st->tab_cap * 2;
		struct agent **tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return NULL;
		for (size_t i = 0; i < st->tab_cap; i++)
			if (st->tab[i])
				tab_insert(tab, cap, st->tab[i]);
		free(st->tab);
		st->tab = tab;
		st->tab_cap = cap;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->id = id;
	art_init(&a->tree, &st->total, &st->slab);
	tab_insert(st->tab, st->tab_cap, a);
	st->nagents++;
	return a;
}

/* Drop an agent that holds no keys (backward-shift deletion). */
static void agent_drop_if_empty(struct aios_store *st, struct agent *a)
{
	size_t mask = st->tab_cap - 1, i, j;

	if (a->tree.root)
		return;
	for (i = hash64(a->id) & mask; st->tab[i] != a; i = (i + 1) & mask)
		;
	st->tab[i] = NULL;
	for (j = (i + 1) & mask; st->tab[j]; j = (j + 1) & mask) {
		size_t h = hash64(st->tab[j]->id) & mask;

		/* move j back to i if its home is not in (i, j] */
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			st->tab[i] = st->tab[j];
			st->tab[j] = NULL;
			i = j;
		}
	}
	if (st->pool_agent == a->id)
		pool_clear(st);
	st->nagents--;
	free(a);
}

static uint64_t usage(const struct aios_store *st)
{
	return (uint64_t)st->total.mem + st->nagents * agent_cost() +
	       st->tab_cap * sizeof(void *);
}

/* ---- log ---- */

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int do_sync(struct aios_store *st)
{
	if (st->logfd < 0 || !st->unsynced)
		return 0;
	if (fdatasync(st->logfd)) {
		int e = errno;

		st->failed = true;
		return fail(st, -EIO, "%s/%s: fdatasync failed: %s; the store refuses further writes until restarted",
			    st->dir, LOG_NAME, strerror(e));
	}
	st->unsynced = false;
	clock_gettime(CLOCK_MONOTONIC, &st->last_sync);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int log_append(struct aios_store *st, uint8_t op, uint64_t agent,
		      const void *key, size_t klen, const void *val, size_t vlen)
{
	struct wal_rec r = {
		.op = op, .seq = st->seq + 1, .agent = agent, .key = key,
		.klen = (uint32_t)klen, .val = val, .vlen = (uint32_t)vlen,
	};
	size_t n = wal_rec_size(klen, vlen);
	int err;

	if (st->logfd < 0 || st->replaying)
		return 0;
	if (st->failed)
		return fail(st, -EIO, "%s/%s: an earlier log write or sync failed; restart to recover",
			    st->dir, LOG_NAME);
	if (n > st->rbuf_cap) {
		uint8_t *b = realloc(st->rbuf, n);

		if (!b)
			return fail(st, -ENOMEM, "out of memory for a log record");
		st->rbuf = b;
		st->rbuf_cap = n;
	}
	wal_encode(st->rbuf, &r);
	err = write_all(st->logfd, st->rbuf, n);
	if (err) {
		/* A partial record may be on disk: it will look like a torn
		 * tail, but later records must not follow it. */
		st->failed = true;
		return fail(st, -EIO, "%s/%s: write failed: %s", st->dir, LOG_NAME,
			    strerror(-err));
	}
	st->seq++;
	st->log_bytes += n;
	st->unsynced = true;
	return 0;
}

/* After a modifying call: durability per policy, then maybe a snapshot. */
static int commit(struct aios_store *st)
{
	int err = 0;

	if (st->logfd < 0 || st->replaying)
		return 0;
	if ((st->cfg.fsync == AIOS_FSYNC_ALWAYS && !st->cfg.sync_by_caller) ||
	    (st->cfg.fsync == AIOS_FSYNC_BATCHED &&
	     ms_since(&st->last_sync) >= st->cfg.fsync_interval_ms))
		err = do_sync(st);
	if (!err && st->cfg.snapshot_log_bytes &&
	    st->log_bytes > st->cfg.snapshot_log_bytes) {
		char saved[sizeof(st->err)];

		/* The write is durable in the log; a failed snapshot only
		 * means the log keeps growing. */
		memcpy(saved, st->err, sizeof(saved));
		if (aios_store_snapshot(st))
			fprintf(stderr, "aios-store: %s\n", st->err);
		memcpy(st->err, saved, sizeof(saved));
	}
	return err;
}

/* ---- eviction ---- */

static void pool_clear(struct aios_store *st)
{
	for (int i = 0; i < st->pool_n; i++)
		free(st->pool[i].key);
	st->pool_n = 0;
}

static uint32_t age(const struct aios_store *st, uint32_t atime)
{
	return st->clock - atime;
}

/* Offer a candidate; the pool is sorted oldest first. */
static void pool_offer(struct aios_store *st, const uint8_t *key, size_t klen,
		       uint32_t atime)
{
	int i, pos;
	uint8_t *k;

	for (i = 0; i < st->pool_n; i++)
		if (st->pool[i].klen == klen && !memcmp(st->pool[i].key, key, klen))
			return;
	for (pos = 0; pos < st->pool_n; pos++)
		if (age(st, atime) > age(st, st->pool[pos].atime))
			break;
	if (pos == POOL_SIZE)
		return;
	k = malloc(klen ? klen : 1);
	if (!k)
		return;
	memcpy(k, key, klen);
	if (st->pool_n == POOL_SIZE)
		free(st->pool[--st->pool_n].key);
	memmove(&st->pool[pos + 1], &st->pool[pos],
		(size_t)(st->pool_n - pos) * sizeof(st->pool[0]));
	st->pool[pos].key = k;
	st->pool[pos].klen = (uint32_t)klen;
	st->pool[pos].atime = atime;
	st->pool_n++;
}

static struct agent *pick_victim(struct aios_store *st,
				 const struct art_leaf *protect)
{
	struct agent *best = NULL;

	for (size_t i = 0; i < st->tab_cap; i++) {
		struct agent *a = st->tab[i];

		if (!a || !a->tree.acct.items)
			continue;
		if (a->tree.acct.items == 1 && protect) {
			/* a lone key is evictable unless it is the one just
			 * written (sampling a one-key tree finds that key) */
			struct art_leaf *l;
			uint64_t r = 1;

			if (art_sample(&a->tree, &r, st->keybuf, &l) >= 0 && l == protect)
				continue;
		}
		if (!best || a->tree.acct.mem > best->tree.acct.mem)
			best = a;
	}
	return best;
}

static int evict_one(struct aios_store *st, struct agent *a,
		     const struct art_leaf *protect)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		struct art_leaf *l;
		struct pool_ent e;
		int err;

		if (st->pool_agent != a->id) {
			pool_clear(st);
			st->pool_agent = a->id;
		}
		for (uint32_t s = 0; s < st->cfg.evict_samples; s++) {
			long klen = art_sample(&a->tree, &st->rnd, st->keybuf, &l);

			if (klen < 0)
				break;
			if (l != protect)
				pool_offer(st, st->keybuf, (size_t)klen, art_leaf_atime(l));
		}
		if (!st->pool_n)
			continue;
		e = st->pool[0];
		memmove(&st->pool[0], &st->pool[1], (size_t)(--st->pool_n) * sizeof(e));
		l = art_get(&a->tree, e.key, e.klen);
		if (!l || l == protect || art_leaf_atime(l) != e.atime) {
			free(e.key);
			continue;	/* gone or used since it was sampled */
		}
		err = log_append(st, WAL_EVICT, a->id, e.key, e.klen, NULL, 0);
		if (!err)
			err = art_delete(&a->tree, e.key, e.klen);
		free(e.key);
		if (err)
			return err;
		a->evictions++;
		st->evictions++;
		return 0;
	}
	return -EAGAIN;
}

/* Evict until usage is at most the threshold; returns the count. */
static long evict_to_threshold(struct aios_store *st, const struct art_leaf *protect)
{
	long n = 0;

	if (!st->cfg.max_bytes)
		return 0;
	while (usage(st) > st->threshold) {
		struct agent *a = pick_victim(st, protect);
		int err;

		if (!a)
			break;
		err = evict_one(st, a, protect);
		if (err == -EAGAIN)
			break;	/* only the protected entry is left */
		if (err)
			return err;
		n++;
		if (!a->tree.root)
			agent_drop_if_empty(st, a);
	}
	return n;
}

/* ---- operations ---- */

static int check_key(struct aios_store *st, size_t klen)
{
	if (!klen)
		return fail(st, -EINVAL, "empty key");
	if (klen > st->cfg.key_max)
		return fail(st, -ENAMETOOLONG, "key of %zu bytes exceeds the limit of %u bytes",
			    klen, st->cfg.key_max);
	return 0;
}

static int apply_put(struct aios_store *st, uint64_t agent, const void *key,
		     size_t klen, const void *val, size_t vlen,
		     struct art_leaf **leafp, bool *created)
{
	struct agent *a = agent_get(st, agent);
	int r;

	if (!a)
		return fail(st, -ENOMEM, "out of memory");
	r = art_put(&a->tree, key, klen, val, vlen, ++st->clock, leafp);
	if (r < 0) {
		agent_drop_if_empty(st, a);
		return fail(st, r, "out of memory");
	}
	if (created)
		*created = r == 1;
	return 0;
}

int aios_store_put(struct aios_store *st, uint64_t agent, const void *key,
		   size_t klen, const void *val, size_t vlen, uint64_t *evicted)
{
	struct art_leaf *leaf;
	struct agent *a;
	long ev;
	int err;

	if (evicted)
		*evicted = 0;
	err = check_key(st, klen);
	if (err)
		return err;
	if (vlen > st->cfg.value_max)
		return fail(st, -EFBIG, "value of %zu bytes exceeds the limit of %u bytes",
			    vlen, st->cfg.value_max);
	if (st->cfg.max_bytes &&
	    art_alloc_cost(8 + klen + vlen) + 2 * art_alloc_cost(64) + usage(st) -
	    (uint64_t)st->total.mem > st->threshold)
		return fail(st, -ENOSPC, "an entry of %zu bytes cannot fit under the eviction threshold of %llu bytes",
			    klen + vlen, (unsigned long long)st->threshold);
	err = log_append(st, WAL_PUT, agent, key, klen, val, vlen);
	if (err)
		return err;
	err = apply_put(st, agent, key, klen, val, vlen, &leaf, NULL);
	if (err) {
		/* Logged but not applied: log what the tree still holds. */
		const void *ov;
		size_t ovlen;
		char saved[sizeof(st->err)];
		struct art_leaf *ol;

		memcpy(saved, st->err, sizeof(saved));
		a = agent_find(st, agent);
		ol = a ? art_get(&a->tree, key, klen) : NULL;
		if (ol) {
			ov = art_leaf_value(ol, &ovlen);
			log_append(st, WAL_PUT, agent, key, klen, ov, ovlen);
		} else {
			log_append(st, WAL_DEL, agent, key, klen, NULL, 0);
		}
		memcpy(st->err, saved, sizeof(saved));
		return err;
	}
	ev = evict_to_threshold(st, leaf);
	if (ev < 0)
		return fail(st, (int)ev, "eviction failed: %s", strerror((int)-ev));
	if (evicted)
		*evicted = (uint64_t)ev;
	return commit(st);
}

int aios_store_get(struct aios_store *st, uint64_t agent, const void *key,
		   size_t klen, const void **val, size_t *vlen)
{
	struct agent *a;
	struct art_leaf *l;
	int err = check_key(st, klen);

	if (err)
		return err;
	a = agent_find(st, agent);
	l = a ? art_get(&a->tree, key, klen) : NULL;
	if (!l) {
		st->misses++;
		if (a)
			a->misses++;
		return fail_msg(st, -ENOENT, "no such key");
	}
	st->hits++;
	a->hits++;
	art_leaf_touch(l, ++st->clock);
	*val = art_leaf_value(l, vlen);
	return 0;
}

int aios_store_delete(struct aios_store *st, uint64_t agent, const void *key,
		      size_t klen)
{
	struct agent *a;
	int err = check_key(st, klen);

	if (err)
		return err;
	a = agent_find(st, agent);
	if (!a || !art_get(&a->tree, key, klen))
		return fail_msg(st, -ENOENT, "no such key");
	err = log_append(st, WAL_DEL, agent, key, klen, NULL, 0);
	if (err)
		return err;
	art_delete(&a->tree, key, klen);
	agent_drop_if_empty(st, a);
	return commit(st);
}

struct collect {
	const uint8_t *prefix;
	size_t plen;
	uint8_t *buf;		/* packed u32 length + key */
	size_t used, cap;
	size_t count, max;
};

static int collect_fn(void *arg, const uint8_t *key, size_t klen,
		      struct art_leaf *leaf)
{
	struct collect *c = arg;
	uint32_t l = (uint32_t)klen;

	(void)leaf;
	if (klen < c->plen || memcmp(key, c->prefix, c->plen))
		return 1;
	if (c->count == c->max || c->used + 4 + klen > c->cap)
		return 2;
	memcpy(c->buf + c->used, &l, 4);
	memcpy(c->buf + c->used + 4, key, klen);
	c->used += 4 + klen;
	c->count++;
	return 0;
}

/* Delete every key of a with prefix; returns the count or -errno. */
static long delete_prefix_tree(struct aios_store *st, struct agent *a,
			       const uint8_t *prefix, size_t plen)
{
	struct collect c = { .prefix = prefix, .plen = plen, .max = 4096 };
	long total = 0;
	int r;

	c.cap = 256 * 1024 + st->cfg.key_max + 4;
	c.buf = malloc(c.cap);
	if (!c.buf)
		return -ENOMEM;
	do {
		c.used = 0;
		c.count = 0;
		r = art_walk_from(&a->tree, prefix, plen, false, collect_fn, &c);
		if (r < 0)
			break;
		for (size_t off = 0; off < c.used;) {
			uint32_t l;

			memcpy(&l, c.buf + off, 4);
			art_delete(&a->tree, c.buf + off + 4, l);
			off += 4 + l;
			total++;
		}
	} while (r == 2);
	free(c.buf);
	return r < 0 ? r : total;
}

static int has_prefix_fn(void *arg, const uint8_t *key, size_t klen,
			 struct art_leaf *leaf)
{
	struct collect *c = arg;

	(void)leaf;
	return klen >= c->plen && !memcmp(key, c->prefix, c->plen) ? 1 : 2;
}

int aios_store_delete_prefix(struct aios_store *st, uint64_t agent,
			     const void *prefix, size_t plen, uint64_t *deleted)
{
	struct collect c = { .prefix = prefix, .plen = plen };
	struct agent *a;
	long n;
	int err;

	if (deleted)
		*deleted = 0;
	if (plen > st->cfg.key_max)
		return fail(st, -ENAMETOOLONG, "prefix of %zu bytes exceeds the key limit of %u bytes",
			    plen, st->cfg.key_max);
	a = agent_find(st, agent);
	if (!a || art_walk_from(&a->tree, prefix, plen, false, has_prefix_fn, &c) != 1)
		return 0;
	err = log_append(st, WAL_DELPREFIX, agent, prefix, plen, NULL, 0);
	if (err)
		return err;
	n = delete_prefix_tree(st, a, prefix, plen);
	agent_drop_if_empty(st, a);
	if (n < 0)
		return fail(st, (int)n, "delete by prefix failed: %s", strerror((int)-n));
	if (deleted)
		*deleted = (uint64_t)n;
	return commit(st);
}

struct scan {
	const uint8_t *prefix;
	size_t plen, limit, count;
	aios_store_scan_fn fn;
	void *arg;
	bool more;
	int ret;
};

static int scan_fn(void *arg, const uint8_t *key, size_t klen,
		   struct art_leaf *leaf)
{
	struct scan *s = arg;
	const void *v;
	size_t vlen;
	int r;

	if (klen < s->plen || memcmp(key, s->prefix, s->plen))
		return 1;
	if (s->limit && s->count == s->limit) {
		s->more = true;
		return 1;
	}
	v = art_leaf_value(leaf, &vlen);
	r = s->fn(s->arg, key, klen, v, vlen);
	if (r) {
		s->ret = r;
		return 2;
	}
	s->count++;
	return 0;
}

static int keycmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

long aios_store_scan(struct aios_store *st, uint64_t agent, const void *prefix,
		     size_t plen, const void *after, size_t alen, size_t limit,
		     aios_store_scan_fn fn, void *arg, bool *more)
{
	struct scan s = {
		.prefix = prefix, .plen = plen, .limit = limit, .fn = fn, .arg = arg,
	};
	struct agent *a;
	int r;

	if (more)
		*more = false;
	if (plen > st->cfg.key_max || (after && alen > st->cfg.key_max))
		return fail(st, -ENAMETOOLONG, "prefix or cursor longer than the key limit of %u bytes",
			    st->cfg.key_max);
	a = agent_find(st, agent);
	if (!a)
		return 0;
	if (after && keycmp(after, alen, prefix, plen) >= 0)
		r = art_walk_from_buf(&a->tree, after, alen, true, scan_fn, &s, st->keybuf);
	else
		r = art_walk_from_buf(&a->tree, prefix, plen, false, scan_fn, &s, st->keybuf);
	if (r < 0)
		return fail(st, r, "out of memory");
	if (more)
		*more = s.more;
	if (s.ret)
		return s.ret;
	return (long)s.count;
}

static void fill_stats(const struct aios_store *st, const struct art_acct *a,
		       uint64_t mem, uint64_t ev, uint64_t hits, uint64_t misses,
		       struct aios_store_stats *s)
{
	s->items = (uint64_t)a->items;
	s->raw_key_bytes = (uint64_t)a->raw_key;
	s->stored_key_bytes = (uint64_t)a->stored_key;
	s->value_bytes = (uint64_t)a->value;
	s->mem_bytes = mem;
	s->overhead_bytes = mem - s->stored_key_bytes - s->value_bytes;
	s->capacity_bytes = st->cfg.max_bytes;
	s->threshold_bytes = st->cfg.max_bytes ? st->threshold : 0;
	s->evictions = ev;
	s->hits = hits;
	s->misses = misses;
	s->hit_rate = hits + misses ? (double)hits / (double)(hits + misses) : 0;
	s->compression_ratio = a->stored_key ?
		(double)a->raw_key / (double)a->stored_key : 1.0;
	s->seq = st->seq;
	s->log_bytes = st->log_bytes;
}

void aios_store_stats(const struct aios_store *st, struct aios_store_stats *s)
{
	memset(s, 0, sizeof(*s));
	fill_stats(st, &st->total, usage(st), st->evictions, st->hits, st->misses, s);
	s->agents = st->nagents;
}

uint64_t aios_store_arena_bytes(const struct aios_store *st)
{
	return art_slab_mapped(&st->slab);
}

void aios_store_agent_stats(const struct aios_store *st, uint64_t agent,
			    struct aios_store_stats *s)
{
	struct agent *a = agent_find(st, agent);
	struct art_acct zero = { 0 };

	memset(s, 0, sizeof(*s));
	if (!a) {
		fill_stats(st, &zero, 0, 0, 0, 0, s);
		return;
	}
	fill_stats(st, &a->tree.acct, (uint64_t)a->tree.acct.mem + agent_cost(),
		   a->evictions, a->hits, a->misses, s);
	s->agents = 1;
}

int aios_store_for_each_agent(const struct aios_store *st,
			      int (*fn)(void *arg, uint64_t agent), void *arg)
{
	for (size_t i = 0; i < st->tab_cap; i++) {
		int r;

		if (!st->tab[i])
			continue;
		r = fn(arg, st->tab[i]->id);
		if (r)
			return r;
	}
	return 0;
}

int aios_store_check(struct aios_store *st)
{
	struct art_acct sum = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < st->tab_cap; i++) {
		struct agent *a = st->tab[i];
		char msg[384];
		int err;

		if (!a)
			continue;
		n++;
		if (!a->tree.root)
			return fail(st, -EUCLEAN, "agent %llu has no keys but is kept",
				    (unsigned long long)a->id);
		if (agent_find(st, a->id) != a)
			return fail(st, -EUCLEAN, "agent %llu not reachable by its id",
				    (unsigned long long)a->id);
		err = art_check(&a->tree, msg, sizeof(msg));
		if (err)
			return fail(st, err, "agent %llu: %s", (unsigned long long)a->id, msg);
		sum.mem += a->tree.acct.mem;
		sum.items += a->tree.acct.items;
		sum.raw_key += a->tree.acct.raw_key;
		sum.stored_key += a->tree.acct.stored_key;
		sum.value += a->tree.acct.value;
	}
	if (n != st->nagents)
		return fail(st, -EUCLEAN, "agent count %zu, table holds %zu", st->nagents, n);
	if (memcmp(&sum, &st->total, sizeof(sum)))
		return fail(st, -EUCLEAN, "store totals differ from the sum over agents");
	return 0;
}

/* ---- snapshot ---- */

struct snapw {
	int fd;
	uint8_t *buf;
	size_t used, cap;
	uint64_t agent, count;
	int err;
};

static int snap_flush(struct snapw *w)
{
	int err = write_all(w->fd, w->buf, w->used);

	w->used = 0;
	return err;
}

static int snap_rec(struct snapw *w, const struct wal_rec *r)
{
	size_t n = wal_rec_size(r->klen, r->vlen);

	if (w->used + n > w->cap) {
		int err = snap_flush(w);

		if (err)
			return err;
	}
	if (n > w->cap) {
		uint8_t *b = realloc(w->buf, n);

		if (!b)
			return -ENOMEM;
		w->buf = b;
		w->cap = n;
	}
	wal_encode(w->buf + w->used, r);
	w->used += n;
	return 0;
}

static int snap_entry(void *arg, const uint8_t *key, size_t klen,
		      struct art_leaf *leaf)
{
	struct snapw *w = arg;
	struct wal_rec r = { .op = WAL_PUT, .agent = w->agent, .key = key,
			     .klen = (uint32_t)klen };
	size_t vlen;

	r.val = art_leaf_value(leaf, &vlen);
	r.vlen = (uint32_t)vlen;
	w->err = snap_rec(w, &r);
	w->count++;
	return w->err ? 1 : 0;
}

static int fsync_dir(struct aios_store *st)
{
	if (fsync(st->dirfd))
		return -errno;
	return 0;
}

/* Create name via name.tmp + fsync + rename + fsync(dir). */
static int new_log(struct aios_store *st)
{
	uint8_t hdr[WAL_FILE_HDR];
	int fd, err;

	fd = openat(st->dirfd, LOG_NAME ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(st, -errno, "%s/%s.tmp: %s", st->dir, LOG_NAME, strerror(errno));
	wal_file_header(hdr, wal_log_magic);
	err = write_all(fd, hdr, sizeof(hdr));
	if (!err && fsync(fd))
		err = -errno;
	if (!err && renameat(st->dirfd, LOG_NAME ".tmp", st->dirfd, LOG_NAME))
		err = -errno;
	if (!err)
		err = fsync_dir(st);
	if (err) {
		close(fd);
		return fail(st, err, "%s/%s: cannot create: %s", st->dir, LOG_NAME,
			    strerror(-err));
	}
	close(fd);
	fd = openat(st->dirfd, LOG_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return fail(st, -errno, "%s/%s: %s", st->dir, LOG_NAME, strerror(errno));
	if (st->logfd >= 0)
		close(st->logfd);
	st->logfd = fd;
	st->log_bytes = WAL_FILE_HDR;
	st->unsynced = false;
	st->failed = false;
	return 0;
}

int aios_store_snapshot(struct aios_store *st)
{
	struct snapw w = { .cap = 1 << 20 };
	uint8_t hdr[WAL_FILE_HDR], cnt[8];
	struct wal_rec end = { .op = WAL_SNAP_END, .val = cnt, .vlen = 8 };
	int err = 0;

	if (!st->dir)
		return fail(st, -EINVAL, "the store has no directory");
	if (st->failed)
		return fail(st, -EIO, "an earlier log write or sync failed; restart to recover");
	w.buf = malloc(w.cap);
	if (!w.buf)
		return fail(st, -ENOMEM, "out of memory for the snapshot buffer");
	w.fd = openat(st->dirfd, SNAP_NAME ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w.fd < 0) {
		err = -errno;
		goto out;
	}
	wal_file_header(hdr, wal_snap_magic);
	memcpy(w.buf, hdr, sizeof(hdr));
	w.used = sizeof(hdr);
	for (size_t i = 0; i < st->tab_cap && !err; i++) {
		struct agent *a = st->tab[i];

		if (!a)
			continue;
		w.agent = a->id;
		err = art_walk_from(&a->tree, NULL, 0, false, snap_entry, &w);
		if (err > 0)
			err = w.err;
	}
	end.seq = st->seq;
	for (int i = 0; i < 8; i++)
		cnt[i] = (uint8_t)(w.count >> (8 * i));
	if (!err)
		err = snap_rec(&w, &end);
	if (!err)
		err = snap_flush(&w);
	if (!err && fsync(w.fd))
		err = -errno;
	close(w.fd);
	/* Everything up to seq is in the snapshot; the log must be synced
	 * before it can be replaced. */
	if (!err && renameat(st->dirfd, SNAP_NAME ".tmp", st->dirfd, SNAP_NAME))
		err = -errno;
	if (!err)
		err = fsync_dir(st);
out:
	free(w.buf);
	if (err) {
		unlinkat(st->dirfd, SNAP_NAME ".tmp", 0);
		return fail(st, err, "%s/%s: snapshot failed: %s", st->dir, SNAP_NAME,
			    strerror(-err));
	}
	return new_log(st);
}

int aios_store_reconfigure(struct aios_store *st, const struct aios_store_config *cfg,
			   uint64_t *evicted)
{
	struct aios_store_config n = *cfg;
	long ev;
	int err;

	if (evicted)
		*evicted = 0;
	aios_store_config_defaults(&n);
	if (n.k_threshold > 1 || n.fsync > AIOS_FSYNC_ALWAYS || n.evict_samples > 64)
		return fail(st, -EINVAL,
			    "bad configuration: need 0 < k_threshold <= 1, evict_samples <= 64, a known fsync policy");
	if (n.fsync != st->cfg.fsync && st->unsynced && st->cfg.fsync != AIOS_FSYNC_NEVER) {
		/* what was written under the old policy keeps its promise */
		err = do_sync(st);
		if (err)
			return err;
	}
	st->cfg.max_bytes = n.max_bytes;
	st->cfg.k_threshold = n.k_threshold;
	st->cfg.fsync = n.fsync;
	st->cfg.fsync_interval_ms = n.fsync_interval_ms;
	st->cfg.snapshot_log_bytes = n.snapshot_log_bytes;
	st->cfg.evict_samples = n.evict_samples;
	st->threshold = (uint64_t)((double)st->cfg.max_bytes * st->cfg.k_threshold);
	pool_clear(st);
	ev = evict_to_threshold(st, NULL);
	if (ev < 0)
		return (int)ev;
	if (evicted)
		*evicted = (uint64_t)ev;
	if (ev)
		return commit(st);
	return 0;
}

int aios_store_sync(struct aios_store *st)
{
	return do_sync(st);
}

int aios_store_tick(struct aios_store *st)
{
	int64_t left;

	if (st->logfd < 0 || st->cfg.fsync != AIOS_FSYNC_BATCHED || !st->unsynced)
		return -1;
	left = st->cfg.fsync_interval_ms - ms_since(&st->last_sync);
	if (left > 0)
		return (int)left;
	do_sync(st);
	return -1;
}

/* ---- loading ---- */

struct mapped {
	uint8_t *p;
	size_t len;
};

static int map_file(struct aios_store *st, const char *name, struct mapped *m)
{
	struct stat sb;
	int fd = openat(st->dirfd, name, O_RDONLY | O_CLOEXEC);

	m->p = NULL;
	m->len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		int e = -errno;

		close(fd);
		return e;
	}
	m->len = (size_t)sb.st_size;
	if (m->len) {
		m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->p == MAP_FAILED) {
			int e = -errno;

			close(fd);
			m->p = NULL;
			return e;
		}
	}
	close(fd);
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->p)
		munmap(m->p, m->len);
}

static size_t max_body(const struct aios_store *st)
{
	(void)st;	/* records written under larger limits stay readable */
	return 28 + (size_t)ART_KEY_MAX + ART_VALUE_MAX;
}

/* Is there a well-formed record anywhere in p[from..len)? */
static bool valid_record_after(const struct aios_store *st, const uint8_t *p,
			       size_t from, size_t len)
{
	for (size_t o = from; o + WAL_REC_FIXED <= len; o++) {
		struct wal_rec r;
		const char *why;

		/* cheap filter before the checksum */
		if (p[o + 8] < WAL_PUT || p[o + 8] > WAL_SNAP_END || p[o + 9] ||
		    p[o + 10] || p[o + 11])
			continue;
		if (wal_decode(p + o, len - o, max_body(st), &r, &why) > 0)
			return true;
	}
	return false;
}

/* Copy p[from..len) to name.corrupt.N so nothing is lost silently. */
static int save_aside(struct aios_store *st, const char *name, const uint8_t *p,
		      size_t from, size_t len, char *out, size_t outlen)
{
	int fd = -1, err;

	for (int i = 1; i < 1000 && fd < 0; i++) {
		snprintf(out, outlen, "%s.corrupt.%d", name, i);
		fd = openat(st->dirfd, out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	err = write_all(fd, p + from, len - from);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int apply_rec(struct aios_store *st, const struct wal_rec *r)
{
	struct agent *a;

	switch (r->op) {
	case WAL_PUT:
		return apply_put(st, r->agent, r->key, r->klen, r->val, r->vlen, NULL, NULL);
	case WAL_DEL:
	case WAL_EVICT:
		a = agent_find(st, r->agent);
		if (a && !art_delete(&a->tree, r->key, r->klen))
			agent_drop_if_empty(st, a);
		return 0;
	case WAL_DELPREFIX: {
		long n;

		a = agent_find(st, r->agent);
		if (!a)
			return 0;
		n = delete_prefix_tree(st, a, r->key, r->klen);
		agent_drop_if_empty(st, a);
		return n < 0 ? (int)n : 0;
	}
	}
	return -EBADMSG;
}

static int load_snapshot(struct aios_store *st, struct aios_store_open_report *rep,
			 uint64_t *snap_seq)
{
	struct mapped m;
	const char *why = NULL;
	size_t off;
	uint64_t count = 0;
	int err = map_file(st, SNAP_NAME, &m);
	char aside[64];

	*snap_seq = 0;
	if (err == -ENOENT)
		return 0;
	if (err)
		return fail(st, err, "%s/%s: %s", st->dir, SNAP_NAME, strerror(-err));
	if (wal_check_header(m.p, m.len, wal_snap_magic, &why)) {
		off = 0;
		goto bad;
	}
	for (off = WAL_FILE_HDR; off < m.len;) {
		struct wal_rec r;
		long n = wal_decode(m.p + off, m.len - off, max_body(st), &r, &why);

		if (n == 0) {
			why = "truncated record";
			goto bad;
		}
		if (n < 0)
			goto bad;
		if (r.op == WAL_SNAP_END) {
			uint64_t c = 0;

			for (int i = 0; i < 8 && i < (int)r.vlen; i++)
				c |= (uint64_t)r.val[i] << (8 * i);
			if (r.vlen != 8 || c != count) {
				why = "entry count in the end record does not match";
				goto bad;
			}
			if (off + (size_t)n != m.len) {
				off += (size_t)n;
				why = "data after the end record";
				goto bad;
			}
			*snap_seq = r.seq;
			rep->snapshot_loaded = true;
			rep->snapshot_items = count;
			rep->snapshot_seq = r.seq;
			unmap_file(&m);
			return 0;
		}
		if (r.op != WAL_PUT || r.seq || !r.klen) {
			why = "record that does not belong in a snapshot";
			goto bad;
		}
		err = apply_put(st, r.agent, r.key, r.klen, r.val, r.vlen, NULL, NULL);
		if (err) {
			unmap_file(&m);
			return err;
		}
		count++;
		off += (size_t)n;
	}
	why = "no end record (truncated snapshot)";
bad:
	if (!st->cfg.recover) {
		err = fail(st, -EBADMSG,
			   "%s/%s: damaged at byte offset %zu of %zu (%s) after %llu good entries; refusing to start - set recover to start from the last good entry (the damaged part is kept as %s.corrupt.N)",
			   st->dir, SNAP_NAME, off, m.len, why, (unsigned long long)count,
			   SNAP_NAME);
		unmap_file(&m);
		return err;
	}
	err = save_aside(st, SNAP_NAME, m.p, 0, m.len, aside, sizeof(aside));
	if (err) {
		err = fail(st, err, "%s/%s: damaged (%s), and saving a copy failed: %s",
			   st->dir, SNAP_NAME, why, strerror(-err));
		unmap_file(&m);
		return err;
	}
	rep->snapshot_loaded = true;
	rep->snapshot_items = count;
	rep->dropped_bytes += m.len - off;
	snprintf(rep->message, sizeof(rep->message),
		 "snapshot damaged at offset %zu (%s): kept %llu entries, copy saved as %s; ",
		 off, why, (unsigned long long)count, aside);
	unmap_file(&m);
	return 0;
}

static int replay_log(struct aios_store *st, struct aios_store_open_report *rep,
		      uint64_t snap_seq)
{
	struct mapped m;
	const char *why = NULL;
	size_t off = 0;
	uint64_t last = snap_seq;
	int err = map_file(st, LOG_NAME, &m), fd;
	char aside[64];

	st->seq = snap_seq;
	if (err == -ENOENT)
		return new_log(st);
	if (err)
		return fail(st, err, "%s/%s: %s", st->dir, LOG_NAME, strerror(-err));
	if (m.len < WAL_FILE_HDR) {
		/* crashed while creating it: nothing was ever logged */
		rep->torn_bytes += m.len;
		unmap_file(&m);
		return new_log(st);
	}
	if (wal_check_header(m.p, m.len, wal_log_magic, &why))
		goto corrupt;
	for (off = WAL_FILE_HDR; off < m.len;) {
		struct wal_rec r;
		long n = wal_decode(m.p + off, m.len - off, max_body(st), &r, &why);

		if (n <= 0) {
			if (!valid_record_after(st, m.p, off + 1, m.len)) {
				/* torn tail: the last write never completed */
				rep->torn_bytes += m.len - off;
				break;
			}
			if (!n)
				why = "record length runs past a later valid record";
			goto corrupt;
		}
		if (r.op == WAL_SNAP_END || r.seq <= last) {
			if (r.op != WAL_SNAP_END && r.seq <= snap_seq && r.seq > 0 &&
			    last == snap_seq) {
				/* the log predates the snapshot's rotation */
				rep->log_skipped++;
				off += (size_t)n;
				continue;
			}
			why = "sequence number out of order";
			goto corrupt;
		}
		err = apply_rec(st, &r);
		if (err) {
			unmap_file(&m);
			return fail(st, err, "%s/%s: replaying record %llu: %s", st->dir,
				    LOG_NAME, (unsigned long long)r.seq, strerror(-err));
		}
		rep->log_records++;
		last = r.seq;
		off += (size_t)n;
	}
	goto done;
corrupt:
	if (!st->cfg.recover) {
		err = fail(st, -EBADMSG,
			   "%s/%s: damaged at byte offset %zu of %zu (%s) after record %llu; %zu bytes follow; refusing to start - set recover to keep records up to %llu (the rest is saved as %s.corrupt.N)",
			   st->dir, LOG_NAME, off, m.len, why, (unsigned long long)last,
			   m.len - off, (unsigned long long)last, LOG_NAME);
		unmap_file(&m);
		return err;
	}
	err = save_aside(st, LOG_NAME, m.p, off, m.len, aside, sizeof(aside));
	if (err) {
		unmap_file(&m);
		return fail(st, err, "%s/%s: damaged (%s), saving the rest failed: %s",
			    st->dir, LOG_NAME, why, strerror(-err));
	}
	rep->dropped_bytes += m.len - off;
	snprintf(rep->message + strlen(rep->message),
		 sizeof(rep->message) - strlen(rep->message),
		 "log damaged at offset %zu (%s): kept records up to %llu, %zu bytes saved as %s; ",
		 off, why, (unsigned long long)last, m.len - off, aside);
done:
	unmap_file(&m);
	st->seq = last;
	if (off < WAL_FILE_HDR)
		return new_log(st);	/* header itself was bad */
	fd = openat(st->dirfd, LOG_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return fail(st, -errno, "%s/%s: %s", st->dir, LOG_NAME, strerror(errno));
	if (off < m.len && (ftruncate(fd, (off_t)off) || fdatasync(fd))) {
		err = -errno;
		close(fd);
		return fail(st, err, "%s/%s: cannot truncate the damaged tail: %s",
			    st->dir, LOG_NAME, strerror(-err));
	}
	st->logfd = fd;
	st->log_bytes = off;
	return 0;
}

static void free_all(struct aios_store *st)
{
	pool_clear(st);
	for (size_t i = 0; st->tab && i < st->tab_cap; i++)
		if (st->tab[i]) {
			art_destroy(&st->tab[i]->tree);
			free(st->tab[i]);
		}
	art_slab_destroy(&st->slab);
	free(st->tab);
	free(st->keybuf);
	free(st->rbuf);
	free(st->dir);
	if (st->logfd >= 0)
		close(st->logfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st);
}

int aios_store_open(const struct aios_store_config *cfg, struct aios_store **out,
		    struct aios_store_open_report *report, char *errbuf,
		    size_t errlen)
{
	struct aios_store_open_report rep_local;
	struct aios_store_open_report *rep = report ? report : &rep_local;
	struct aios_store *st;
	uint64_t snap_seq = 0;
	long ev;
	int err;

	memset(rep, 0, sizeof(*rep));
	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dirfd = -1;
	st->logfd = -1;
	st->cfg = *cfg;
	aios_store_config_defaults(&st->cfg);
	st->cfg.dir = NULL;
	st->rnd = cfg->seed ? cfg->seed : 0x5eed5eed12345ull;
	clock_gettime(CLOCK_MONOTONIC, &st->last_sync);
	if (st->cfg.k_threshold > 1 || st->cfg.key_max > ART_KEY_MAX ||
	    st->cfg.value_max > ART_VALUE_MAX || st->cfg.fsync > AIOS_FSYNC_ALWAYS ||
	    st->cfg.evict_samples > 64) {
		err = fail(st, -EINVAL,
			   "bad configuration: need 0 < k_threshold <= 1, key_max <= %u, value_max <= %u, evict_samples <= 64, a known fsync policy",
			   ART_KEY_MAX, ART_VALUE_MAX);
		goto out;
	}
	st->threshold = (uint64_t)((double)st->cfg.max_bytes * st->cfg.k_threshold);
	st->tab_cap = 16;
	st->tab = calloc(st->tab_cap, sizeof(*st->tab));
	st->keybuf = malloc(ART_KEY_MAX + 1);
	if (!st->tab || !st->keybuf) {
		err = fail(st, -ENOMEM, "out of memory");
		goto out;
	}
	if (cfg->dir) {
		st->dir = strdup(cfg->dir);
		if (!st->dir) {
			err = fail(st, -ENOMEM, "out of memory");
			goto out;
		}
		if (mkdir(cfg->dir, 0700) && errno != EEXIST) {
			err = fail(st, -errno, "%s: cannot create: %s", cfg->dir, strerror(errno));
			goto out;
		}
		st->dirfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (st->dirfd < 0) {
			err = fail(st, -errno, "%s: %s", cfg->dir, strerror(errno));
			goto out;
		}
		unlinkat(st->dirfd, SNAP_NAME ".tmp", 0);
		unlinkat(st->dirfd, LOG_NAME ".tmp", 0);
		st->replaying = true;
		err = load_snapshot(st, rep, &snap_seq);
		if (!err)
			err = replay_log(st, rep, snap_seq);
		st->replaying = false;
		if (err)
			goto out;
	}
	ev = evict_to_threshold(st, NULL);
	if (ev < 0) {
		err = fail(st, (int)ev, "eviction after loading failed");
		goto out;
	}
	rep->evicted = (uint64_t)ev;
	if (ev)
		do_sync(st);
	if (st->dir)
		snprintf(rep->message + strlen(rep->message),
			 sizeof(rep->message) - strlen(rep->message),
			 "%s %llu entries (seq %llu), replayed %llu log records (%llu already in the snapshot), truncated a torn tail of %llu bytes, evicted %llu",
			 rep->snapshot_loaded ? "snapshot" : "no snapshot",
			 (unsigned long long)rep->snapshot_items,
			 (unsigned long long)rep->snapshot_seq,
			 (unsigned long long)rep->log_records,
			 (unsigned long long)rep->log_skipped,
			 (unsigned long long)rep->torn_bytes,
			 (unsigned long long)rep->evicted);
	*out = st;
	return 0;
out:
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", st->err);
	free_all(st);
	return err;
}

void aios_store_close(struct aios_store *st)
{
	if (!st)
		return;
	if (st->cfg.fsync != AIOS_FSYNC_NEVER)
		do_sync(st);
	free_all(st);
}
