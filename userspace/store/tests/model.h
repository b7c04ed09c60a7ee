/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model for the store tests: a plain sorted array of
 * (agent, key, value), ordered by agent then key bytes (memcmp, shorter
 * first).  Obviously correct and slow, which is the point.
 */
#ifndef AIOS_STORE_TEST_MODEL_H
#define AIOS_STORE_TEST_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct ment {
	uint64_t agent;
	uint8_t *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
};

struct model {
	struct ment *e;
	size_t n, cap;
};

static uint64_t rng_state = 88172645463325252ull;

static __attribute__((unused)) inline uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static __attribute__((unused)) inline uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static __attribute__((unused)) int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static __attribute__((unused)) int ment_cmp(uint64_t agent, const void *key, size_t klen,
		    const struct ment *m)
{
	if (agent != m->agent)
		return agent < m->agent ? -1 : 1;
	return bytes_cmp(key, klen, m->key, m->klen);
}

/* Index of the first entry >= (agent, key). */
static __attribute__((unused)) size_t model_lb(const struct model *m, uint64_t agent, const void *key,
		       size_t klen)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ment_cmp(agent, key, klen, &m->e[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static __attribute__((unused)) struct ment *model_get(struct model *m, uint64_t agent, const void *key,
			      size_t klen)
{
	size_t i = model_lb(m, agent, key, klen);

	if (i < m->n && !ment_cmp(agent, key, klen, &m->e[i]))
		return &m->e[i];
	return NULL;
}

static __attribute__((unused)) void *xmemdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (!q)
		abort();
	if (n)
		memcpy(q, p, n);
	return q;
}

static __attribute__((unused)) void model_put(struct model *m, uint64_t agent, const void *key,
		      size_t klen, const void *val, size_t vlen)
{
	size_t i = model_lb(m, agent, key, klen);

	if (i < m->n && !ment_cmp(agent, key, klen, &m->e[i])) {
		free(m->e[i].val);
		m->e[i].val = xmemdup(val, vlen);
		m->e[i].vlen = vlen;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->e = realloc(m->e, m->cap * sizeof(*m->e));
		if (!m->e)
			abort();
	}
	memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(*m->e));
	m->e[i].agent = agent;
	m->e[i].key = xmemdup(key, klen);
	m->e[i].klen = klen;
	m->e[i].val = xmemdup(val, vlen);
	m->e[i].vlen = vlen;
	m->n++;
}

static __attribute__((unused)) void model_remove_at(struct model *m, size_t i, size_t cnt)
{
	for (size_t j = i; j < i + cnt; j++) {
		free(m->e[j].key);
		free(m->e[j].val);
	}
	memmove(&m->e[i], &m->e[i + cnt], (m->n - i - cnt) * sizeof(*m->e));
	m->n -= cnt;
}

static __attribute__((unused)) bool model_del(struct model *m, uint64_t agent, const void *key, size_t klen)
{
	size_t i = model_lb(m, agent, key, klen);

	if (i < m->n && !ment_cmp(agent, key, klen, &m->e[i])) {
		model_remove_at(m, i, 1);
		return true;
	}
	return false;
}

static __attribute__((unused)) bool ment_has_prefix(const struct ment *e, uint64_t agent,
			    const void *p, size_t plen)
{
	return e->agent == agent && e->klen >= plen && !memcmp(e->key, p, plen);
}

static __attribute__((unused)) size_t model_del_prefix(struct model *m, uint64_t agent, const void *p,
			       size_t plen)
{
	size_t i = model_lb(m, agent, p, plen), j = i;

	while (j < m->n && ment_has_prefix(&m->e[j], agent, p, plen))
		j++;
	model_remove_at(m, i, j - i);
	return j - i;
}

static __attribute__((unused)) void model_free(struct model *m)
{
	model_remove_at(m, 0, m->n);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* ---- comparing a store with the model ---- */

struct cmp_ctx {
	const struct model *m;
	size_t i;
	uint64_t agent;
	char *why;
	size_t whylen;
	int bad;
};

static __attribute__((unused)) int cmp_fn(void *arg, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	struct cmp_ctx *c = arg;
	const struct ment *e = c->i < c->m->n ? &c->m->e[c->i] : NULL;

	if (!e || e->agent != c->agent || e->klen != klen ||
	    memcmp(e->key, key, klen)) {
		snprintf(c->why, c->whylen, "agent %llu: store has an unexpected key of %zu bytes at model index %zu",
			 (unsigned long long)c->agent, klen, c->i);
		c->bad = 1;
		return 1;
	}
	if (e->vlen != vlen || memcmp(e->val, val, vlen)) {
		snprintf(c->why, c->whylen, "agent %llu: value differs at model index %zu",
			 (unsigned long long)c->agent, c->i);
		c->bad = 1;
		return 1;
	}
	c->i++;
	return 0;
}

/* 0 when the store holds exactly the model's entries of agents[0..n). */
static __attribute__((unused)) int model_compare(const struct model *m, struct aios_store *st,
			 const uint64_t *agents, size_t nagents, char *why,
			 size_t whylen)
{
	for (size_t a = 0; a < nagents; a++) {
		struct cmp_ctx c = { .m = m, .agent = agents[a], .why = why,
				     .whylen = whylen };
		long r;

		c.i = model_lb(m, agents[a], "", 0);
		r = aios_store_scan(st, agents[a], "", 0, NULL, 0, 0, cmp_fn, &c, NULL);
		if (c.bad)
			return -1;
		if (r < 0) {
			snprintf(why, whylen, "scan failed: %ld %s", r, aios_store_errmsg(st));
			return -1;
		}
		if (c.i < m->n && m->e[c.i].agent == agents[a]) {
			snprintf(why, whylen, "agent %llu: store misses model index %zu",
				 (unsigned long long)agents[a], c.i);
			return -1;
		}
	}
	return 0;
}

#endif
