// SPDX-License-Identifier: GPL-2.0
/*
 * aios: fixed-size statistics of task queues - log2 latency histograms
 * and a one-minute throughput ring.  Callers serialise with the queue's
 * lock; nothing here allocates.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/time64.h>

#include "queue.h"

/* Bucket of a latency: 0 below 1 us, else 1 + floor(log2(us)). */
static unsigned int aios_hist_bucket(u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);

	if (!us)
		return 0;
	return min_t(unsigned int, ilog2(us) + 1, AIOS_HIST_BUCKETS - 1);
}

void aios_hist_add(struct aios_hist *h, u64 ns)
{
	h->bucket[aios_hist_bucket(ns)]++;
	h->count++;
}

/**
 * aios_hist_pct_us - a percentile of a histogram
 * @h: histogram
 * @pct: 1..100
 *
 * Returns the upper bound in microseconds of the bucket holding the
 * @pct-th percentile (1 for bucket 0, 2^i for bucket i), or 0 when the
 * histogram is empty.
 */
u64 aios_hist_pct_us(const struct aios_hist *h, unsigned int pct)
{
	u64 rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	/* The smallest value with at least pct% of the samples <= it. */
	rank = div_u64(h->count * pct + 99, 100);
	if (!rank)
		rank = 1;
	for (i = 0; i < AIOS_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return 1ULL << i;
	}
	return 1ULL << (AIOS_HIST_BUCKETS - 1);
}

void aios_tput_add(struct aios_tput *t, u64 now_ns)
{
	u64 sec = div_u64(now_ns, NSEC_PER_SEC);
	u64 tmp = sec;
	unsigned int slot = do_div(tmp, AIOS_TPUT_SLOTS);

	if (t->sec[slot] != sec) {
		t->sec[slot] = sec;
		t->count[slot] = 0;
	}
	t->count[slot]++;
}

/* Completions during the current second and the 59 before it. */
u64 aios_tput_per_min(const struct aios_tput *t, u64 now_ns)
{
	u64 sec = div_u64(now_ns, NSEC_PER_SEC);
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < AIOS_TPUT_SLOTS; i++)
		if (t->count[i] && sec - t->sec[i] < AIOS_TPUT_SLOTS)
			sum += t->count[i];
	return sum;
}
