// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the memory store as a library: randomized comparison with
 * a reference model, scans and cursors, isolation between agents, bad
 * input, eviction order and fairness, statistics.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "model.h"
#include "store.h"

static struct aios_store *open_mem(uint64_t max_bytes, double k)
{
	struct aios_store_config cfg = { .max_bytes = max_bytes, .k_threshold = k,
					 .key_max = 2048, .seed = 42 };
	struct aios_store *st = NULL;
	char err[256];

	if (aios_store_open(&cfg, &st, NULL, err, sizeof(err))) {
		fprintf(stderr, "open: %s\n", err);
		return NULL;
	}
	return st;
}

/* Keys from a small alphabet (including 0x00 and 0xff) so that they share
 * prefixes, are prefixes of each other, and collide often; sometimes a
 * wide fan-out byte (node48/node256) or a long key (big leaf format). */
static size_t gen_key(uint8_t *k)
{
	static const uint8_t alpha[] = { 0x00, 'a', 'b', 0xff };
	size_t len;
	uint64_t r = rndn(100);

	if (r < 3) {
		len = 1000 + rndn(60);
		for (size_t i = 0; i < len; i++)
			k[i] = (uint8_t)('k' + (i % 3 == 0 && i > 990 ? rndn(2) : 0));
		return len;
	}
	if (r < 35) {
		k[0] = 'w';
		k[1] = (uint8_t)rndn(256);
		len = 2 + rndn(3);
		for (size_t i = 2; i < len; i++)
			k[i] = alpha[rndn(4)];
		return len;
	}
	len = 1 + rndn(7);
	for (size_t i = 0; i < len; i++)
		k[i] = alpha[rndn(3)];
	return len;
}

struct scan_check {
	const struct model *m;
	size_t i;	/* next expected model index */
	int bad;
	uint8_t last[2048];
	size_t lastlen;
};

static int scan_check_fn(void *arg, const void *key, size_t klen,
			 const void *val, size_t vlen)
{
	struct scan_check *c = arg;
	const struct ment *e = &c->m->e[c->i];

	if (c->i >= c->m->n || e->klen != klen || memcmp(e->key, key, klen) ||
	    e->vlen != vlen || memcmp(e->val, val, vlen)) {
		if (getenv("STORE_TEST_DEBUG")) {
			fprintf(stderr, "got:");
			for (size_t i = 0; i < klen; i++)
				fprintf(stderr, " %02x", ((const uint8_t *)key)[i]);
			fprintf(stderr, "\nwant (agent %llu):", (unsigned long long)e->agent);
			for (size_t i = 0; i < e->klen && c->i < c->m->n; i++)
				fprintf(stderr, " %02x", e->key[i]);
			fprintf(stderr, "\n");
		}
		c->bad = 1;
		return 1;
	}
	memcpy(c->last, key, klen);
	c->lastlen = klen;
	c->i++;
	return 0;
}

FIXTURE(model) {
	struct aios_store *st;
	struct model m;
};

FIXTURE_SETUP(model)
{
	self->st = open_mem(0, 0);
	ASSERT_NE(NULL, self->st);
	memset(&self->m, 0, sizeof(self->m));
}

FIXTURE_TEARDOWN(model)
{
	aios_store_close(self->st);
	model_free(&self->m);
}

/* One million random operations, each checked against the model; every
 * 50,000 operations the whole store is compared and its invariants
 * (canonical tree, counters) checked. */
TEST_F_TIMEOUT(model, random_ops_match_reference, 600)
{
	static uint8_t key[2048], val[256];
	const uint64_t agents[] = { 1, 2, 0xffffffffffffffffull };
	char why[256];

	for (long op = 0; op < 1000000; op++) {
		uint64_t agent = agents[rndn(3)];
		size_t klen = gen_key(key), vlen;
		uint64_t r = rndn(100);

		if (r < 40) {
			vlen = rndn(r < 2 ? 256 : 24);
			for (size_t i = 0; i < vlen; i++)
				val[i] = (uint8_t)rnd();
			ASSERT_EQ(0, aios_store_put(self->st, agent, key, klen, val, vlen, NULL));
			model_put(&self->m, agent, key, klen, val, vlen);
		} else if (r < 65) {
			const void *v;
			struct ment *e = model_get(&self->m, agent, key, klen);
			int err = aios_store_get(self->st, agent, key, klen, &v, &vlen);

			if (e) {
				ASSERT_EQ(0, err);
				ASSERT_EQ(e->vlen, vlen);
				ASSERT_EQ(0, memcmp(e->val, v, vlen));
			} else {
				ASSERT_EQ(-ENOENT, err);
			}
		} else if (r < 90) {
			bool had = model_del(&self->m, agent, key, klen);

			ASSERT_EQ(had ? 0 : -ENOENT,
				  aios_store_delete(self->st, agent, key, klen));
		} else if (r < 91) {
			uint64_t n;
			size_t plen = rndn(klen < 4 ? klen + 1 : 4), want;

			if (plen == 0 && rndn(20))
				continue;	/* wiping an agent: keep it rare */
			want = model_del_prefix(&self->m, agent, key, plen);
			ASSERT_EQ(0, aios_store_delete_prefix(self->st, agent, key, plen, &n));
			ASSERT_EQ(want, n);
		} else {
			/* paginated prefix scan from a random cursor */
			struct scan_check c = { .m = &self->m };
			size_t plen = rndn(klen < 3 ? klen + 1 : 3), limit = 1 + rndn(7);
			size_t end;
			bool more = true;
			const void *after = NULL;
			size_t alen = 0;
			static uint8_t cursor[2048];

			if (rndn(2)) {
				after = key;
				alen = klen;
				c.i = model_lb(&self->m, agent, key, klen);
				if (c.i < self->m.n &&
				    !ment_cmp(agent, key, klen, &self->m.e[c.i]))
					c.i++;
				if (c.i < self->m.n &&
				    ment_cmp(agent, key, plen, &self->m.e[c.i]) > 0)
					c.i = model_lb(&self->m, agent, key, plen);
			} else {
				c.i = model_lb(&self->m, agent, key, plen);
			}
			end = model_lb(&self->m, agent, key, plen);
			while (end < self->m.n &&
			       ment_has_prefix(&self->m.e[end], agent, key, plen))
				end++;
			if (c.i > end)
				c.i = end;
			for (int page = 0; more && page < 3; page++) {
				size_t before = c.i;
				long n = aios_store_scan(self->st, agent, key, plen, after,
							 alen, limit, scan_check_fn, &c, &more);

				ASSERT_EQ(0, c.bad) TH_LOG("scan content differs at op %ld (page %d, prefix %zu, after %d, key %zu bytes, model index %zu of %zu)", op, page, plen, after != NULL, klen, c.i, self->m.n);
				ASSERT_EQ((long)(c.i - before), n);
				ASSERT_EQ(end - before > limit, more);
				/* the cursor must not change under the scan */
				memcpy(cursor, c.last, c.lastlen);
				after = cursor;
				alen = c.lastlen;
			}
			if (!more)
				ASSERT_EQ(end, c.i);
		}
		if (op % 50000 == 49999) {
			struct aios_store_stats s;
			uint64_t raw = 0, vb = 0;

			ASSERT_EQ(0, aios_store_check(self->st))
				TH_LOG("%s", aios_store_errmsg(self->st));
			ASSERT_EQ(0, model_compare(&self->m, self->st, agents, 3, why,
						   sizeof(why))) TH_LOG("%s", why);
			aios_store_stats(self->st, &s);
			for (size_t i = 0; i < self->m.n; i++) {
				raw += self->m.e[i].klen;
				vb += self->m.e[i].vlen;
			}
			ASSERT_EQ(self->m.n, s.items);
			ASSERT_EQ(raw, s.raw_key_bytes);
			ASSERT_EQ(vb, s.value_bytes);
		}
	}
}

TEST(empty_store_behaves)
{
	struct aios_store *st = open_mem(0, 0);
	struct aios_store_stats s;
	const void *v;
	size_t vlen;
	bool more = true;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(-ENOENT, aios_store_get(st, 1, "a", 1, &v, &vlen));
	ASSERT_EQ(-ENOENT, aios_store_delete(st, 1, "a", 1));
	ASSERT_EQ(0, aios_store_scan(st, 1, "", 0, NULL, 0, 10, scan_check_fn, NULL, &more));
	ASSERT_FALSE(more);
	aios_store_stats(st, &s);
	ASSERT_EQ(0, s.items);
	ASSERT_EQ(0, s.agents);
	ASSERT_EQ(1, s.misses);
	aios_store_close(st);
}

TEST(bad_input_is_rejected_with_a_message)
{
	struct aios_store *st = open_mem(1 << 20, 0.5);
	static uint8_t big[600000];
	char key[3000];
	const void *v;
	size_t vlen;

	ASSERT_NE(NULL, st);
	memset(key, 'k', sizeof(key));
	ASSERT_EQ(-EINVAL, aios_store_put(st, 1, "", 0, "v", 1, NULL));
	ASSERT_NE(NULL, strstr(aios_store_errmsg(st), "empty key"));
	ASSERT_EQ(-ENAMETOOLONG, aios_store_put(st, 1, key, 2049, "v", 1, NULL));
	ASSERT_NE(NULL, strstr(aios_store_errmsg(st), "2049"));
	ASSERT_EQ(0, aios_store_put(st, 1, key, 2048, "v", 1, NULL));
	ASSERT_EQ(-ENAMETOOLONG, aios_store_get(st, 1, key, 2049, &v, &vlen));
	ASSERT_EQ(-EINVAL, aios_store_delete(st, 1, "", 0));
	ASSERT_EQ(-EFBIG, aios_store_put(st, 1, "k", 1, big, (1 << 20) + 1, NULL));
	/* fits value_max but not under the 512 KiB eviction threshold */
	ASSERT_EQ(-ENOSPC, aios_store_put(st, 1, "k", 1, big, sizeof(big), NULL));
	ASSERT_NE(NULL, strstr(aios_store_errmsg(st), "threshold"));
	/* nothing was lost or added by the failures */
	ASSERT_EQ(0, aios_store_get(st, 1, key, 2048, &v, &vlen));
	ASSERT_EQ(-ENOENT, aios_store_get(st, 1, "k", 1, &v, &vlen));
	ASSERT_EQ(0, aios_store_check(st));
	aios_store_close(st);
}

TEST(bad_configuration_is_rejected)
{
	struct aios_store_config cfg = { .k_threshold = 1.5 };
	struct aios_store *st;
	char err[256];

	ASSERT_EQ(-EINVAL, aios_store_open(&cfg, &st, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "k_threshold"));
	cfg.k_threshold = 0.5;
	cfg.key_max = 70000;
	ASSERT_EQ(-EINVAL, aios_store_open(&cfg, &st, NULL, err, sizeof(err)));
	cfg.key_max = 0;
	cfg.fsync = 7;
	ASSERT_EQ(-EINVAL, aios_store_open(&cfg, &st, NULL, err, sizeof(err)));
}

TEST(binary_keys_and_prefix_keys)
{
	struct aios_store *st = open_mem(0, 0);
	const uint8_t k1[] = { 0 }, k2[] = { 0, 0 }, k3[] = { 0, 0xff, 0 };
	const void *v;
	size_t vlen;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, aios_store_put(st, 7, k2, 2, "two", 3, NULL));
	ASSERT_EQ(0, aios_store_put(st, 7, k1, 1, "one", 3, NULL));
	ASSERT_EQ(0, aios_store_put(st, 7, k3, 3, "", 0, NULL));
	ASSERT_EQ(0, aios_store_get(st, 7, k1, 1, &v, &vlen));
	ASSERT_EQ(3, vlen);
	ASSERT_EQ(0, memcmp(v, "one", 3));
	ASSERT_EQ(0, aios_store_get(st, 7, k3, 3, &v, &vlen));
	ASSERT_EQ(0, vlen);
	ASSERT_EQ(0, aios_store_delete(st, 7, k1, 1));
	ASSERT_EQ(0, aios_store_get(st, 7, k2, 2, &v, &vlen));
	ASSERT_EQ(0, aios_store_check(st));
	aios_store_close(st);
}

static int count_fn(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(long *)arg)++;
	return 0;
}

TEST(agents_are_isolated)
{
	struct aios_store *st = open_mem(0, 0);
	const void *v;
	size_t vlen;
	uint64_t n;
	long cnt = 0;

	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, aios_store_put(st, 1, "a:s:1", 5, "mine", 4, NULL));
	ASSERT_EQ(0, aios_store_put(st, 2, "a:s:1", 5, "yours", 5, NULL));
	ASSERT_EQ(0, aios_store_put(st, 2, "a:s:2", 5, "yours2", 6, NULL));
	ASSERT_EQ(0, aios_store_get(st, 1, "a:s:1", 5, &v, &vlen));
	ASSERT_EQ(4, vlen);
	ASSERT_EQ(-ENOENT, aios_store_get(st, 1, "a:s:2", 5, &v, &vlen));
	ASSERT_EQ(-ENOENT, aios_store_delete(st, 1, "a:s:2", 5));
	ASSERT_EQ(1, aios_store_scan(st, 1, "a:", 2, NULL, 0, 0, count_fn, &cnt, NULL));
	ASSERT_EQ(0, aios_store_delete_prefix(st, 1, "", 0, &n));
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, aios_store_get(st, 2, "a:s:1", 5, &v, &vlen));
	ASSERT_EQ(5, vlen);
	ASSERT_EQ(0, memcmp(v, "yours", 5));
	ASSERT_EQ(0, aios_store_get(st, 2, "a:s:2", 5, &v, &vlen));
	/* an agent id that merely looks like a prefix sees nothing */
	ASSERT_EQ(0, aios_store_scan(st, 0, "", 0, NULL, 0, 0, count_fn, &cnt, NULL));
	ASSERT_EQ(0, aios_store_check(st));
	aios_store_close(st);
}

TEST(cursor_pages_cover_every_key_once_in_order)
{
	struct aios_store *st = open_mem(0, 0);
	struct model m = { 0 };
	struct scan_check c = { .m = &m };
	char key[64];
	bool more = true;
	int pages = 0;

	ASSERT_NE(NULL, st);
	for (int s = 0; s < 30; s++)
		for (int i = 0; i < 40; i++) {
			int l = snprintf(key, sizeof(key), "agent-001:session-%04d:msg-%08d", s, i);

			ASSERT_EQ(0, aios_store_put(st, 5, key, (size_t)l, key, 4, NULL));
			if (s == 17)
				model_put(&m, 5, key, (size_t)l, key, 4);
		}
	c.i = 0;
	while (more) {
		char cur[64];
		long n;

		memcpy(cur, c.last, c.lastlen);
		n = aios_store_scan(st, 5, "agent-001:session-0017:", 23,
				    pages ? cur : NULL, c.lastlen, 7,
				    scan_check_fn, &c, &more);

		ASSERT_EQ(0, c.bad);
		ASSERT_LE(n, 7);
		pages++;
	}
	ASSERT_EQ(40, c.i);
	ASSERT_EQ(6, pages);
	model_free(&m);
	aios_store_close(st);
}

TEST(node_fanout_grows_and_shrinks)
{
	struct aios_store *st = open_mem(0, 0);
	uint8_t key[3] = { 'n', 0, 'x' };

	ASSERT_NE(NULL, st);
	for (int round = 0; round < 2; round++) {
		for (int b = 0; b < 256; b++) {
			key[1] = (uint8_t)b;
			ASSERT_EQ(0, aios_store_put(st, 1, key, 3, &b, sizeof(b), NULL));
			if (b == 3 || b == 15 || b == 47 || b == 255)
				ASSERT_EQ(0, aios_store_check(st))
					TH_LOG("%s", aios_store_errmsg(st));
		}
		for (int b = 255; b >= 0; b--) {
			key[1] = (uint8_t)b;
			ASSERT_EQ(0, aios_store_delete(st, 1, key, 3));
			if (b % 8 == 0)
				ASSERT_EQ(0, aios_store_check(st))
					TH_LOG("%s", aios_store_errmsg(st));
		}
	}
	{
		struct aios_store_stats s;

		aios_store_stats(st, &s);
		ASSERT_EQ(0, s.items);
		ASSERT_EQ(0, s.agents);
	}
	aios_store_close(st);
}

/* Node memory freed by deletes and evictions is reused: refilling the
 * store with the same shape of keys maps nothing more. */
TEST(node_arena_reuses_freed_nodes)
{
	struct aios_store *st = open_mem(0, 0);
	uint64_t first = 0, deleted;
	char key[64];
	int klen;

	ASSERT_NE(NULL, st);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20000; i++) {
			/* a different agent and key set each round, same shape */
			klen = snprintf(key, sizeof(key), "r%d:session-%03d:msg-%05d", round,
					i / 100, i % 100);
			ASSERT_EQ(0, aios_store_put(st, (uint64_t)round + 1, key, (size_t)klen,
						    "v", 1, NULL));
		}
		ASSERT_EQ(0, aios_store_check(st)) TH_LOG("%s", aios_store_errmsg(st));
		if (round == 0)
			first = aios_store_arena_bytes(st);
		ASSERT_EQ(first, aios_store_arena_bytes(st));
		ASSERT_EQ(0, aios_store_delete_prefix(st, (uint64_t)round + 1, "", 0, &deleted));
		ASSERT_EQ(20000, deleted);
		ASSERT_EQ(0, aios_store_check(st)) TH_LOG("%s", aios_store_errmsg(st));
	}
	ASSERT_LT(0, first);
	aios_store_close(st);
}

TEST(stats_count_hits_and_prefix_sharing)
{
	struct aios_store *st = open_mem(0, 0);
	struct aios_store_stats s, a;
	char key[64];
	const void *v;
	size_t vlen;

	ASSERT_NE(NULL, st);
	for (int i = 0; i < 1000; i++) {
		int l = snprintf(key, sizeof(key), "agent-001:session-0001:msg-%08d", i);

		ASSERT_EQ(0, aios_store_put(st, 3, key, (size_t)l, "0123456789", 10, NULL));
	}
	ASSERT_EQ(0, aios_store_get(st, 3, key, strlen(key), &v, &vlen));
	ASSERT_EQ(-ENOENT, aios_store_get(st, 3, "nope", 4, &v, &vlen));
	ASSERT_EQ(-ENOENT, aios_store_get(st, 3, "nope2", 5, &v, &vlen));
	aios_store_stats(st, &s);
	aios_store_agent_stats(st, 3, &a);
	ASSERT_EQ(1000, s.items);
	ASSERT_EQ(1, s.hits);
	ASSERT_EQ(2, s.misses);
	ASSERT_TRUE(s.hit_rate > 0.33 && s.hit_rate < 0.34);
	ASSERT_EQ(1000 * 35, s.raw_key_bytes);
	ASSERT_EQ(10000, s.value_bytes);
	/* 35-byte keys differing in the last 3 digits: > 5x sharing */
	ASSERT_TRUE(s.compression_ratio > 5.0) TH_LOG("ratio %f", s.compression_ratio);
	ASSERT_EQ(s.mem_bytes, s.stored_key_bytes + s.value_bytes + s.overhead_bytes);
	ASSERT_EQ(s.items, a.items);
	ASSERT_EQ(s.raw_key_bytes, a.raw_key_bytes);
	aios_store_agent_stats(st, 4, &a);
	ASSERT_EQ(0, a.items);
	aios_store_close(st);
}

static void put_n(struct aios_store *st, uint64_t agent, const char *fmt, int from,
		  int to, uint64_t *ev)
{
	char key[64], val[100];

	memset(val, 'v', sizeof(val));
	for (int i = from; i < to; i++) {
		int l = snprintf(key, sizeof(key), fmt, i);
		uint64_t e;

		if (aios_store_put(st, agent, key, (size_t)l, val, sizeof(val), &e))
			abort();
		if (ev)
			*ev += e;
	}
}

TEST(eviction_removes_least_recently_used_first)
{
	struct aios_store *st = open_mem(400000, 0.8);
	struct aios_store_stats s;
	char key[64];
	const void *v;
	size_t vlen;
	int hot_lost = 0, cold_kept = 0;
	uint64_t ev = 0;

	ASSERT_NE(NULL, st);
	put_n(st, 1, "key-%06d", 0, 2000, &ev);	/* ~280 KB */
	ASSERT_EQ(0, ev);
	/* touch the first 1000 */
	for (int i = 0; i < 1000; i++) {
		int l = snprintf(key, sizeof(key), "key-%06d", i);

		ASSERT_EQ(0, aios_store_get(st, 1, key, (size_t)l, &v, &vlen));
	}
	put_n(st, 1, "new-%06d", 0, 600, &ev);
	aios_store_stats(st, &s);
	ASSERT_GT(ev, 0);
	ASSERT_EQ(ev, s.evictions);
	ASSERT_LE(s.mem_bytes, s.threshold_bytes);
	for (int i = 0; i < 2000; i++) {
		int l = snprintf(key, sizeof(key), "key-%06d", i);
		bool present = !aios_store_get(st, 1, key, (size_t)l, &v, &vlen);

		if (i < 1000 && !present)
			hot_lost++;
		if (i >= 1000 && present)
			cold_kept++;
	}
	/* sampled LRU: with most samples cold, hot keys survive */
	ASSERT_LT(hot_lost, (int)(ev / 20 + 1)) TH_LOG("hot lost %d of %llu evictions",
						       hot_lost, (unsigned long long)ev);
	ASSERT_EQ(0, aios_store_check(st));
	aios_store_close(st);
	(void)cold_kept;
}

TEST(eviction_is_fair_flooder_evicts_itself)
{
	struct aios_store *st = open_mem(600000, 0.8);
	struct aios_store_stats quiet, flood, all;
	uint64_t ev = 0;
	char key[64];
	const void *v;
	size_t vlen;

	ASSERT_NE(NULL, st);
	put_n(st, 10, "quiet-%05d", 0, 500, NULL);	/* ~70 KB, never touched again */
	put_n(st, 20, "flood-%07d", 0, 50000, &ev);	/* 7 MB into 480 KB */
	aios_store_agent_stats(st, 10, &quiet);
	aios_store_agent_stats(st, 20, &flood);
	aios_store_stats(st, &all);
	ASSERT_EQ(500, quiet.items);
	ASSERT_EQ(0, quiet.evictions);
	ASSERT_GT(flood.evictions, 40000);
	ASSERT_EQ(ev, all.evictions);
	ASSERT_LE(all.mem_bytes, all.threshold_bytes);
	for (int i = 0; i < 500; i++) {
		int l = snprintf(key, sizeof(key), "quiet-%05d", i);

		ASSERT_EQ(0, aios_store_get(st, 10, key, (size_t)l, &v, &vlen));
	}
	/* the last write of the flood is always kept */
	snprintf(key, sizeof(key), "flood-%07d", 49999);
	ASSERT_EQ(0, aios_store_get(st, 20, key, strlen(key), &v, &vlen));
	ASSERT_EQ(0, aios_store_check(st));
	aios_store_close(st);
}

TEST(eviction_takes_from_the_biggest_agent)
{
	struct aios_store *st = open_mem(0, 0);
	struct aios_store_stats a, b, s200, s500;
	uint64_t threshold;

	/* measure what the data costs with this allocator, then size the
	 * store so the small agent's last writes cross the threshold */
	ASSERT_NE(NULL, st);
	put_n(st, 1, "big-%06d", 0, 2400, NULL);
	put_n(st, 2, "small-%06d", 0, 200, NULL);
	aios_store_stats(st, &s200);
	put_n(st, 2, "more-%06d", 0, 300, NULL);
	aios_store_stats(st, &s500);
	aios_store_close(st);
	threshold = s200.mem_bytes + (s500.mem_bytes - s200.mem_bytes) / 2;

	st = open_mem((uint64_t)((double)threshold / 0.8), 0.8);
	ASSERT_NE(NULL, st);
	put_n(st, 1, "big-%06d", 0, 2400, NULL);	/* the big user */
	put_n(st, 2, "small-%06d", 0, 200, NULL);
	/* the small agent writes more and pushes over the threshold */
	put_n(st, 2, "more-%06d", 0, 300, NULL);
	aios_store_agent_stats(st, 1, &a);
	aios_store_agent_stats(st, 2, &b);
	ASSERT_GT(a.evictions, 0);
	ASSERT_EQ(0, b.evictions);
	ASSERT_EQ(500, b.items);
	aios_store_close(st);
}

TEST_HARNESS_MAIN
