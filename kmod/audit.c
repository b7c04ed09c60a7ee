// SPDX-License-Identifier: GPL-2.0
/*
 * aios: the audit ring.
 *
 * A fixed-size ring of records with sequence numbers from 1.  The ring
 * holds [first_seq, next_seq); everything before first_seq was lost
 * (overwritten or dropped by a resize), so lost = first_seq - 1 exactly.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>

#include "aios.h"

#define AIOS_AUDIT_MIN	16U
#define AIOS_AUDIT_MAX	1048576U
/* Records examined per aios_audit_read() call, to bound irq-off time. */
#define AIOS_AUDIT_SCAN	1024U

/* Operation ids, shared by all records of one syscall; never 0. */
static atomic64_t aios_op_ids = ATOMIC64_INIT(0);

/*
 * aios_audit_lock protects aios_ring, aios_ring_mask, aios_next_seq and
 * aios_first_seq.  Taken with interrupts disabled so that records can
 * later be written from any context.
 */
static DEFINE_SPINLOCK(aios_audit_lock);
static struct aios_audit_rec *aios_ring;
static u32 aios_ring_mask;
static u64 aios_next_seq = 1;
static u64 aios_first_seq = 1;

bool aios_audit_size_valid(u32 size)
{
	return size >= AIOS_AUDIT_MIN && size <= AIOS_AUDIT_MAX &&
	       is_power_of_2(size);
}

static struct aios_audit_rec *aios_ring_alloc(u32 size)
{
	return kvcalloc(size, sizeof(struct aios_audit_rec), GFP_KERNEL);
}

/**
 * aios_audit_log_as - append a record on behalf of agent @agent_id
 * @ctx: operation; its op_id is assigned on the first record
 * @agent_id: acting agent, 0 for a non-agent caller
 * @op: enum aios_op
 * @object: see enum aios_op
 * @result: 0 or negative errno
 * @cap: capability bits the operation required
 *
 * Process context only (the multicast copy is allocated with GFP_KERNEL).
 * Returns the record's sequence number.
 */
u64 aios_audit_log_as(struct aios_ctx *ctx, u64 agent_id, u32 op,
		      u64 object, int result, u64 cap)
{
	struct aios_audit_rec r;
	unsigned long irqflags;

	might_sleep();
	if (!ctx->op_id)
		ctx->op_id = atomic64_inc_return(&aios_op_ids);

	r.op_id = ctx->op_id;
	r.agent_id = agent_id;
	r.op = op;
	r.object = object;
	r.result = result;
	r.cap = cap;
	r.time_ns = ktime_get_boottime_ns();
	ctx->time_ns = r.time_ns;

	spin_lock_irqsave(&aios_audit_lock, irqflags);
	r.seq = aios_next_seq++;
	aios_ring[r.seq & aios_ring_mask] = r;
	if (aios_next_seq - aios_first_seq > (u64)aios_ring_mask + 1)
		aios_first_seq++;
	spin_unlock_irqrestore(&aios_audit_lock, irqflags);

	aios_nl_notify_audit(&r);
	return r.seq;
}

/* Append a record on behalf of the context's caller. */
u64 aios_audit_log(struct aios_ctx *ctx, u32 op, u64 object, int result,
		   u64 cap)
{
	return aios_audit_log_as(ctx, ctx->caller ? ctx->caller->id : 0, op,
				 object, result, cap);
}

/**
 * aios_audit_resize - change the number of ring entries
 * @size: new size, a power of two in 16..1048576
 *
 * Keeps the newest records that fit; the rest count as lost.
 */
int aios_audit_resize(u32 size)
{
	struct aios_audit_rec *nring, *old;
	unsigned long irqflags;
	u64 seq, start;

	if (!aios_audit_size_valid(size))
		return -EINVAL;
	nring = aios_ring_alloc(size);
	if (!nring)
		return -ENOMEM;

	spin_lock_irqsave(&aios_audit_lock, irqflags);
	start = aios_first_seq;
	if (aios_next_seq - start > size)
		start = aios_next_seq - size;
	for (seq = start; seq < aios_next_seq; seq++)
		nring[seq & (size - 1)] = aios_ring[seq & aios_ring_mask];
	aios_first_seq = start;
	old = aios_ring;
	aios_ring = nring;
	aios_ring_mask = size - 1;
	spin_unlock_irqrestore(&aios_audit_lock, irqflags);

	kvfree(old);
	return 0;
}

void aios_audit_stats(struct aios_audit_stats *st)
{
	unsigned long irqflags;

	spin_lock_irqsave(&aios_audit_lock, irqflags);
	st->size = aios_ring_mask + 1;
	st->next_seq = aios_next_seq;
	st->first_seq = aios_first_seq;
	spin_unlock_irqrestore(&aios_audit_lock, irqflags);
}

static bool aios_audit_match(const struct aios_audit_rec *r,
			     const struct aios_audit_filter *f)
{
	if (f->op_id && r->op_id != f->op_id)
		return false;
	if (r->seq <= f->seq_after)
		return false;
	if (f->by_agent && r->agent_id != f->agent_id)
		return false;
	return true;
}

/**
 * aios_audit_read - copy records with seq > @after that match @f
 * @after: cursor, the last sequence number already seen
 * @f: filter
 * @out: room for @max records
 * @max: capacity of @out
 * @scanned: out: the last sequence number examined (the new cursor when
 *	all matching records fit)
 *
 * Records overwritten since the cursor are skipped.  At most
 * AIOS_AUDIT_SCAN records are examined per call.  Returns the number of
 * records copied; 0 with *@scanned == @after means the end was reached.
 */
int aios_audit_read(u64 after, const struct aios_audit_filter *f,
		    struct aios_audit_rec *out, int max, u64 *scanned)
{
	unsigned int budget = AIOS_AUDIT_SCAN;
	unsigned long irqflags;
	u64 seq, end;
	int n = 0;

	spin_lock_irqsave(&aios_audit_lock, irqflags);
	seq = max(after + 1, aios_first_seq);
	if (f->seq_after >= seq)
		seq = f->seq_after + 1;
	*scanned = after;
	end = min(aios_next_seq, f->before);
	for (; seq < end && n < max && budget; seq++, budget--) {
		const struct aios_audit_rec *r = &aios_ring[seq & aios_ring_mask];

		*scanned = seq;
		if (aios_audit_match(r, f))
			out[n++] = *r;
	}
	spin_unlock_irqrestore(&aios_audit_lock, irqflags);
	return n;
}

static int aios_audit_init(void)
{
	aios_ring = aios_ring_alloc(aios_audit_ring_size);
	if (!aios_ring)
		return -ENOMEM;
	aios_ring_mask = aios_audit_ring_size - 1;
	return 0;
}

static void aios_audit_exit(void)
{
	kvfree(aios_ring);
	aios_ring = NULL;
}

const struct aios_subsys aios_audit_subsys = {
	.name = "audit",
	.init = aios_audit_init,
	.exit = aios_audit_exit,
};
