// SPDX-License-Identifier: GPL-2.0
/*
 * aios: task scheduler queues.
 *
 * Queues live in an xarray by id (ids from 1, never reused while the
 * module is loaded) until their last reference is gone; a destroyed
 * queue stays there, marked dead, while tasks still point at it.  Tasks
 * are found by id in a hash table.  Everything about a queue and its tasks
 * (lists, counters, statistics, task states) is protected by the queue's
 * spinlock; per-agent state (struct aios_qagent) only holds atomics and
 * the list of attached queue ids.
 *
 * Work that may sleep (audit records, netlink events, freeing) is never
 * done under a queue lock: a critical section records what happened in
 * a struct aios_qbatch on the stack and aios_qbatch_flush() acts on it
 * after the unlock.  Bulk operations (forced destroy, agent death, the
 * deadline sweep) process their tasks in batches for the same reason.
 *
 * A task holds a "slot" of its queue from the fetch until its worker
 * returns it (complete, yield) or dies; max_concurrent bounds the slots,
 * so it holds even for tasks that were cancelled, missed their deadline
 * or lost their queue while a worker still works on them.
 *
 * See Documentation/queues.md for the model, the aging rule and its
 * bound.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "queue.h"

unsigned long aios_queue_agent_bytes = 64UL << 20;
unsigned long aios_queue_quota_bytes = 64UL << 10;

module_param_named(queue_agent_bytes, aios_queue_agent_bytes, ulong, 0644);
MODULE_PARM_DESC(queue_agent_bytes,
		 "payload bytes an agent with ALLOC_MEMORY may have queued (default 64 MiB)");
module_param_named(queue_quota_bytes, aios_queue_quota_bytes, ulong, 0644);
MODULE_PARM_DESC(queue_quota_bytes,
		 "payload bytes an agent without ALLOC_MEMORY may have queued (default 64 KiB)");

/* Queues an agent may attach to for AIOS_IOC_TASK_FETCH with queue_id 0. */
#define AIOS_QATTACH_MAX	32
/* The UAPI poll bits as the kernel's __poll_t. */
#define AIOS_EPOLL_TASK		((__force __poll_t)AIOS_POLL_TASK)
#define AIOS_EPOLL_RESULT	((__force __poll_t)AIOS_POLL_RESULT)
/* Payloads and results up to this size live inside the task. */
#define AIOS_TASK_INLINE	64
/* Tasks handled per critical section by bulk operations. */
#define AIOS_QBATCH		8

/*
 * Waiters for one task (AIOS_IOC_TASK_WAIT) sleep on a hashed wait queue
 * and are woken by key (the task), so that a final task wakes its own
 * waiters only.
 */
#define AIOS_TASK_WQ_BITS	6
static wait_queue_head_t aios_task_wqs[1 << AIOS_TASK_WQ_BITS];

/* All queues, live and dead, by id; the xarray's lock guards it. */
static DEFINE_XARRAY_ALLOC1(aios_queues);
/*
 * All tasks by id: a fixed hash table (ids only grow, so an xarray would
 * allocate and RCU-free a node for nearly every task).  Readers walk a
 * chain under RCU; aios_task_hash_lock serialises insertions and
 * removals.  Tasks are freed after a grace period (call_rcu()).
 */
#define AIOS_TASK_HASH_BITS	12
static struct hlist_head aios_task_hash[1 << AIOS_TASK_HASH_BITS];
static DEFINE_SPINLOCK(aios_task_hash_lock);
static atomic_t aios_tasks_nr = ATOMIC_INIT(0);
static struct kmem_cache *aios_task_cache;
/* Per-agent queue state by agent id. */
static DEFINE_XARRAY(aios_qagents);
/*
 * aios_queues_lock serialises queue creation and destruction (name
 * uniqueness, the dead flag) and every change of attachments.
 */
static DEFINE_MUTEX(aios_queues_lock);
static u32 aios_queue_last_id;		/* under aios_queues_lock */
static atomic64_t aios_task_ids = ATOMIC64_INIT(0);
static struct workqueue_struct *aios_queue_wq;

/*
 * Queue state of one agent.  Created on first use; in aios_qagents from
 * then until the agent's file goes away (file_release), so that pollers
 * of a removed agent's file still have their wait queue.
 */
struct aios_qagent {
	struct kref ref;
	struct aios_agent *agent;	/* immutable, reference held */
	atomic_long_t bytes;		/* payload bytes of tasks it holds */
	atomic_t results;		/* final tasks not yet collected */
	/* poll(), fetches from any attached queue, result events */
	wait_queue_head_t poll_wq;
	/* ids of attached queues; changed under aios_queues_lock + lock */
	spinlock_t lock;
	u32 nr_attached;
	u32 attached[AIOS_QATTACH_MAX];
	struct rcu_head rcu;
};

/* One agent attached to one queue, on aios_queue.attached. */
struct aios_qattach {
	struct list_head qnode;		/* under the queue's lock */
	struct aios_qagent *qa;		/* reference held */
};

struct aios_task {
	struct kref ref;		/* one for its place in the queue */
	u64 id;				/* immutable */
	struct aios_queue *q;		/* immutable, reference held */
	struct aios_qagent *sub;	/* immutable, reference held */
	struct hlist_node hnode;	/* aios_task_hash, RCU */
	u64 sub_id;			/* immutable */
	u32 prio;			/* immutable */
	u64 submit_ns;			/* immutable, CLOCK_MONOTONIC */
	u64 deadline_ns;		/* immutable, 0: none */
	u32 payload_len;		/* immutable */
	void *payload;			/* immutable */
	size_t kmem;			/* immutable after submit */

	/* The rest is under q->lock. */
	struct list_head node;		/* queued[], running or done */
	struct aios_agent *worker;	/* slot holder, referenced */
	u64 worker_id;			/* last worker */
	u64 seq;			/* arrival order */
	u64 age_ns;			/* aging reference time */
	u64 enq_ns;			/* entered the queue last */
	u64 start_ns;			/* last fetch */
	u64 context_ref;
	u32 state, fail, progress, runs, retries;
	s32 error;
	bool slot;			/* holds a slot (on running) */
	bool released;			/* collected or submitter gone */
	bool live;			/* on a list (not yet freed) */
	u32 result_len;
	void *result;			/* set once when final */
	size_t result_kmem;
	struct rcu_head rcu;
	/* A small payload, then (when DONE) a small result, lives here. */
	u8 small[AIOS_TASK_INLINE];
};

static wait_queue_head_t *aios_task_wq(const struct aios_task *t)
{
	return &aios_task_wqs[hash_64(t->id, AIOS_TASK_WQ_BITS)];
}

struct aios_task_waiter {
	struct wait_queue_entry wq;
	const struct aios_task *t;
};

static int aios_task_wake(struct wait_queue_entry *wq, unsigned int mode,
			  int sync, void *key)
{
	struct aios_task_waiter *w = container_of(wq, struct aios_task_waiter,
						  wq);

	if (key != w->t)
		return 0;
	return autoremove_wake_function(wq, mode, sync, key);
}

/* ---- deferred work of a critical section ------------------------------- */

struct aios_qev {
	u32 op;				/* enum aios_op */
	s32 result;
	u64 actor;			/* agent id for the audit record */
	struct aios_task_info ti;	/* for AIOS_CMD_NTF_TASK_FAILED */
};

struct aios_qbatch {
	int nev, nput;
	struct aios_qev ev[AIOS_QBATCH];
	struct aios_task *put[AIOS_QBATCH];
};

static bool aios_qbatch_full(const struct aios_qbatch *b)
{
	return b->nev >= AIOS_QBATCH || b->nput >= AIOS_QBATCH;
}

static void aios_task_snap(const struct aios_task *t,
			   struct aios_task_info *ti)
{
	ti->id = t->id;
	ti->queue_id = t->q->id;
	ti->submitter_id = t->sub_id;
	ti->worker_id = t->slot ? t->worker_id : 0;
	ti->prio = t->prio;
	ti->state = t->state;
	ti->fail = t->fail;
	ti->error = t->error;
	ti->progress = t->progress;
	ti->runs = t->runs;
	ti->retries = t->retries;
	ti->payload_len = t->payload_len;
	ti->submit_ns = t->submit_ns;
	ti->context_ref = t->context_ref;
}

/* Record an audit record (and event) to write after the unlock. */
static void aios_qbatch_ev(struct aios_qbatch *b, u32 op, s32 result,
			   u64 actor, const struct aios_task *t)
{
	struct aios_qev *e = &b->ev[b->nev++];

	e->op = op;
	e->result = result;
	e->actor = actor;
	aios_task_snap(t, &e->ti);
}

static void aios_qagent_free(struct kref *ref)
{
	struct aios_qagent *qa = container_of(ref, struct aios_qagent, ref);

	aios_agent_put(qa->agent);
	kfree_rcu(qa, rcu);
}

static void aios_qagent_put(struct aios_qagent *qa)
{
	kref_put(&qa->ref, aios_qagent_free);
}

void aios_queue_put(struct aios_queue *q);

static struct hlist_head *aios_task_chain(u64 id)
{
	return &aios_task_hash[hash_64(id, AIOS_TASK_HASH_BITS)];
}

static void aios_task_unhash(struct aios_task *t)
{
	spin_lock(&aios_task_hash_lock);
	hlist_del_rcu(&t->hnode);
	spin_unlock(&aios_task_hash_lock);
	atomic_dec(&aios_tasks_nr);
}

static void aios_task_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(aios_task_cache,
			container_of(rcu, struct aios_task, rcu));
}

static void aios_task_free(struct kref *ref)
{
	struct aios_task *t = container_of(ref, struct aios_task, ref);

	aios_task_unhash(t);
	if (t->payload != t->small)
		kvfree(t->payload);
	if (t->result != t->small)
		kvfree(t->result);
	atomic_long_sub(t->payload_len, &t->sub->bytes);
	aios_qagent_put(t->sub);
	aios_queue_put(t->q);
	call_rcu(&t->rcu, aios_task_free_rcu);
}

static void aios_task_put(struct aios_task *t)
{
	kref_put(&t->ref, aios_task_free);
}

static void aios_qbatch_flush(struct aios_ctx *ctx, struct aios_qbatch *b)
{
	int i;

	for (i = 0; i < b->nev; i++) {
		struct aios_qev *e = &b->ev[i];

		aios_audit_log_as(ctx, e->actor, e->op, e->ti.id, e->result, 0);
		if (e->op == AIOS_OP_TASK_FAIL)
			aios_queue_nl_notify_task(&e->ti);
	}
	for (i = 0; i < b->nput; i++)
		aios_task_put(b->put[i]);
	b->nev = 0;
	b->nput = 0;
}

/* ---- queues ---------------------------------------------------------------- */

static void aios_queue_free(struct kref *ref)
{
	struct aios_queue *q = container_of(ref, struct aios_queue, ref);

	xa_erase(&aios_queues, q->id);
	kfree_rcu(q, rcu);
}

void aios_queue_put(struct aios_queue *q)
{
	if (q)
		kref_put(&q->ref, aios_queue_free);
}

/* A referenced queue by id, dead or alive; NULL if it is gone. */
static struct aios_queue *aios_queue_get_any(u32 id)
{
	struct aios_queue *q;

	rcu_read_lock();
	q = xa_load(&aios_queues, id);
	if (q && !kref_get_unless_zero(&q->ref))
		q = NULL;
	rcu_read_unlock();
	return q;
}

/* A referenced live queue by id; NULL if there is none. */
struct aios_queue *aios_queue_get_id(u32 id)
{
	struct aios_queue *q = id ? aios_queue_get_any(id) : NULL;

	if (q && READ_ONCE(q->dead)) {
		aios_queue_put(q);
		q = NULL;
	}
	return q;
}

/*
 * The queue with the smallest id > *cursor, referenced, and the cursor
 * moved to it; dead ones only with @dead.
 */
static struct aios_queue *aios_queue_next_any(u32 *cursor, bool dead)
{
	struct aios_queue *q;
	unsigned long idx = *cursor;

	rcu_read_lock();
	for (;;) {
		q = xa_find_after(&aios_queues, &idx, U32_MAX, XA_PRESENT);
		if (!q)
			break;
		if ((dead || !READ_ONCE(q->dead)) &&
		    kref_get_unless_zero(&q->ref))
			break;
	}
	rcu_read_unlock();
	if (q)
		*cursor = q->id;
	return q;
}

struct aios_queue *aios_queue_next(u32 *cursor)
{
	return aios_queue_next_any(cursor, false);
}

struct aios_queue *aios_queue_get_name(const char *name)
{
	struct aios_queue *q;
	u32 cursor = 0;

	while ((q = aios_queue_next(&cursor))) {
		if (!strcmp(q->name, name))
			return q;
		aios_queue_put(q);
	}
	return NULL;
}

/* Can a worker take a task now?  Lockless hint for waits and poll. */
static bool aios_queue_ready(const struct aios_queue *q)
{
	return !READ_ONCE(q->dead) && READ_ONCE(q->depth) &&
	       READ_ONCE(q->slots) < q->max_concurrent;
}

/*
 * Tell pollers of attached agents that a task may be available; returns
 * whether a blocked fetcher should be woken too.  Under q->lock.
 */
static bool aios_queue_wake_pollers(struct aios_queue *q)
{
	struct aios_qattach *at;

	lockdep_assert_held(&q->lock);
	if (!q->depth || q->slots >= q->max_concurrent)
		return false;
	list_for_each_entry(at, &q->attached, qnode)
		wake_up_interruptible_poll(&at->qa->poll_wq,
					   EPOLLIN | AIOS_EPOLL_TASK);
	return true;
}

/* Tell workers that a task may be available.  Under q->lock. */
static void aios_queue_wake_workers(struct aios_queue *q)
{
	if (aios_queue_wake_pollers(q))
		wake_up_interruptible(&q->fetch_wq);
}

static u64 aios_buf_kmem(const void *p, size_t len)
{
	if (!p)
		return 0;
	return is_vmalloc_addr(p) ? PAGE_ALIGN(len) : ksize(p);
}

/* ---- task state changes, all under q->lock -------------------------------- */

static void aios_task_enqueue(struct aios_queue *q, struct aios_task *t,
			      bool keep_place)
{
	struct list_head *head;
	struct aios_task *pos;
	u32 class = q->algo == AIOS_ALGO_PRIORITY ? t->prio : 0;

	head = &q->queued[class];
	t->state = AIOS_TASK_QUEUED;
	t->enq_ns = ktime_get_ns();
	q->depth++;
	if (!keep_place) {
		t->seq = ++q->seq;
		t->age_ns = t->enq_ns;
		list_add_tail(&t->node, head);
		return;
	}
	/* Back to its place by arrival (a requeue after worker death). */
	list_for_each_entry(pos, head, node) {
		if (pos->seq > t->seq) {
			list_add_tail(&t->node, &pos->node);
			return;
		}
	}
	list_add_tail(&t->node, head);
}

/* The effective class of a queued task of a PRIORITY queue at @now. */
static u32 aios_task_class(const struct aios_queue *q,
			   const struct aios_task *t, u64 now)
{
	u64 steps = (now - t->age_ns) / ((u64)q->aging_ms * NSEC_PER_MSEC);

	return steps >= t->prio ? 0 : t->prio - (u32)steps;
}

/* The task the scheduling algorithm serves next, or NULL. */
static struct aios_task *aios_queue_pick(struct aios_queue *q, u64 now)
{
	struct aios_task *best = NULL, *t;
	u32 c, cls, best_cls = 0;

	if (q->algo != AIOS_ALGO_PRIORITY)
		return list_first_entry_or_null(&q->queued[0],
						struct aios_task, node);
	/*
	 * Each class list is in arrival order, and arrival order is aging
	 * order, so the head of a list has the best effective class of its
	 * list.  Best effective class wins; ties go to the earlier arrival.
	 */
	for (c = 0; c < __AIOS_PRIO_MAX; c++) {
		t = list_first_entry_or_null(&q->queued[c], struct aios_task,
					     node);
		if (!t)
			continue;
		cls = aios_task_class(q, t, now);
		if (!best || cls < best_cls ||
		    (cls == best_cls && t->seq < best->seq)) {
			best = t;
			best_cls = cls;
		}
	}
	return best;
}

/* A task reached a final state: tell its submitter. */
static void aios_task_final(struct aios_queue *q, struct aios_task *t,
			    u32 state, u32 fail, s32 error)
{
	t->state = state;
	t->fail = fail;
	t->error = error;
	if (state == AIOS_TASK_DONE)
		q->completed++;
	else if (state == AIOS_TASK_FAILED)
		q->failed++;
	else
		q->cancelled++;
	/* Waiters for this very task (keyed: no one else wakes). */
	if (wq_has_sleeper(aios_task_wq(t)))
		__wake_up(aios_task_wq(t), TASK_INTERRUPTIBLE, 1, t);
	if (!t->released) {
		atomic_inc(&t->sub->results);
		if (wq_has_sleeper(&t->sub->poll_wq))
			wake_up_interruptible_poll(&t->sub->poll_wq,
						   EPOLLIN | AIOS_EPOLL_RESULT);
	}
}

/*
 * Take a task off every list for good: it is freed once the batch's
 * reference is dropped.
 */
static void aios_task_unlink(struct aios_queue *q, struct aios_task *t,
			     struct aios_qbatch *b)
{
	list_del_init(&t->node);
	t->live = false;
	q->ntasks--;
	q->kmem -= t->kmem + t->result_kmem;
	b->put[b->nput++] = t;
}

/* Put a final task where it belongs once it holds no slot. */
static void aios_task_settle(struct aios_queue *q, struct aios_task *t,
			     struct aios_qbatch *b)
{
	if (t->released) {
		aios_task_unlink(q, t, b);
		return;
	}
	list_move_tail(&t->node, &q->done);
}

/* The worker gives back the slot of @t. */
static void aios_task_drop_slot(struct aios_queue *q, struct aios_task *t)
{
	t->slot = false;
	q->slots--;
	aios_agent_put(t->worker);
	t->worker = NULL;
	aios_queue_wake_workers(q);
}

/* Fail a queued or running task; a running one keeps its slot. */
static void aios_task_fail(struct aios_queue *q, struct aios_task *t,
			   u32 fail, s32 error, u64 actor,
			   struct aios_qbatch *b)
{
	if (t->state == AIOS_TASK_QUEUED) {
		list_del_init(&t->node);
		q->depth--;
		wake_up_interruptible(&q->submit_wq);
	} else {
		q->nr_running--;
	}
	aios_task_final(q, t, AIOS_TASK_FAILED, fail, error);
	aios_qbatch_ev(b, AIOS_OP_TASK_FAIL, fail, actor, t);
	if (!t->slot)
		aios_task_settle(q, t, b);
}

/* ---- per-agent state -------------------------------------------------------- */

static struct aios_qagent *aios_qagent_lookup(u64 id)
{
	struct aios_qagent *qa;

	rcu_read_lock();
	qa = xa_load(&aios_qagents, id);
	if (qa && !kref_get_unless_zero(&qa->ref))
		qa = NULL;
	rcu_read_unlock();
	return qa;
}

/* The queue state of agent @a, created on first use; referenced. */
static struct aios_qagent *aios_qagent_get(struct aios_agent *a)
{
	struct aios_qagent *qa, *old;

	if (a->id > ULONG_MAX)
		return ERR_PTR(-EOVERFLOW);
	qa = aios_qagent_lookup(a->id);
	if (qa)
		return qa;
	qa = kzalloc(sizeof(*qa), GFP_KERNEL_ACCOUNT);
	if (!qa)
		return ERR_PTR(-ENOMEM);
	kref_init(&qa->ref);
	spin_lock_init(&qa->lock);
	init_waitqueue_head(&qa->poll_wq);
	aios_agent_get(a);
	qa->agent = a;
	/* One reference for the xarray, one for the caller. */
	kref_get(&qa->ref);
	old = xa_cmpxchg(&aios_qagents, a->id, NULL, qa, GFP_KERNEL_ACCOUNT);
	if (old) {
		/* Never published: free it directly. */
		aios_agent_put(a);
		kfree(qa);
		if (xa_is_err(old))
			return ERR_PTR(xa_err(old));
		/* Lost a race: use the winner's (it may be dying: retry). */
		return aios_qagent_get(a);
	}
	/*
	 * Pairs with the test_and_set_bit() in aios_agent_remove(): either
	 * the release hook finds this entry, or we see the agent dead.
	 */
	smp_mb();
	if (aios_agent_dead(a)) {
		if (xa_cmpxchg(&aios_qagents, a->id, qa, NULL, 0) == qa)
			aios_qagent_put(qa);
		aios_qagent_put(qa);
		return ERR_PTR(-ENOLINK);
	}
	return qa;
}

/* ---- tasks by id -------------------------------------------------------------- */

static struct aios_task *aios_task_lookup(u64 id)
{
	struct aios_task *t;

	if (!id)
		return NULL;
	rcu_read_lock();
	hlist_for_each_entry_rcu(t, aios_task_chain(id), hnode) {
		if (t->id == id) {
			if (!kref_get_unless_zero(&t->ref))
				t = NULL;
			break;
		}
	}
	rcu_read_unlock();
	return t;
}

/* ---- queue creation and destruction ----------------------------------------- */

void aios_queue_cfg_default(struct aios_queue_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->algo = AIOS_ALGO_FIFO;
	cfg->max_concurrent = AIOS_QUEUE_DEF_CONCURRENT;
	cfg->slice_ms = AIOS_QUEUE_DEF_SLICE_MS;
	cfg->max_payload = AIOS_QUEUE_DEF_PAYLOAD;
	cfg->max_depth = AIOS_QUEUE_DEF_DEPTH;
	cfg->max_retries = AIOS_QUEUE_DEF_RETRIES;
	cfg->aging_ms = AIOS_QUEUE_DEF_AGING_MS;
}

static void aios_queue_deadline_fn(struct work_struct *work);

/**
 * aios_queue_create - create a queue (admin only)
 * @ctx: operation, audited as AIOS_OP_QUEUE_CREATE
 * @cfg: validated configuration
 * @qi: out: the new queue
 */
int aios_queue_create(struct aios_ctx *ctx, const struct aios_queue_cfg *cfg,
		      struct aios_queue_info *qi)
{
	struct aios_queue *q, *o;
	unsigned long idx;
	int c, ret;

	if (!aios_ctx_admin(ctx))
		return aios_deny(ctx, AIOS_OP_QUEUE_CREATE, 0, AIOS_CAP_ADMIN,
				 "ADMIN required");
	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q) {
		ret = -ENOMEM;
		goto out_audit;
	}
	kref_init(&q->ref);
	strscpy(q->name, cfg->name, sizeof(q->name));
	q->algo = cfg->algo;
	q->max_concurrent = cfg->max_concurrent;
	q->slice_ms = cfg->slice_ms;
	q->max_payload = cfg->max_payload;
	q->max_depth = cfg->max_depth;
	q->max_retries = cfg->max_retries;
	q->aging_ms = cfg->aging_ms;
	spin_lock_init(&q->lock);
	for (c = 0; c < __AIOS_PRIO_MAX; c++)
		INIT_LIST_HEAD(&q->queued[c]);
	INIT_LIST_HEAD(&q->running);
	INIT_LIST_HEAD(&q->done);
	INIT_LIST_HEAD(&q->attached);
	init_waitqueue_head(&q->fetch_wq);
	init_waitqueue_head(&q->submit_wq);
	INIT_DELAYED_WORK(&q->deadline_work, aios_queue_deadline_fn);

	mutex_lock(&aios_queues_lock);
	xa_for_each(&aios_queues, idx, o) {
		if (!READ_ONCE(o->dead) && !strcmp(o->name, q->name)) {
			ret = -EEXIST;
			aios_extack_msg(ctx->extack,
					"a queue with this name exists");
			goto err_unlock;
		}
	}
	if (aios_queue_last_id == U32_MAX) {
		ret = -ENOSPC;
		aios_extack_msg(ctx->extack, "queue ids exhausted");
		goto err_unlock;
	}
	q->id = aios_queue_last_id + 1;
	ret = xa_insert(&aios_queues, q->id, q, GFP_KERNEL);
	if (ret)
		goto err_unlock;
	aios_queue_last_id = q->id;
	mutex_unlock(&aios_queues_lock);

	aios_audit_log(ctx, AIOS_OP_QUEUE_CREATE, q->id, 0, AIOS_CAP_ADMIN);
	aios_queue_snapshot(q, qi);
	aios_queue_nl_notify(AIOS_CMD_NTF_QUEUE_NEW, qi);
	return 0;

err_unlock:
	mutex_unlock(&aios_queues_lock);
	kfree(q);
out_audit:
	aios_audit_log(ctx, AIOS_OP_QUEUE_CREATE, 0, ret, AIOS_CAP_ADMIN);
	return ret;
}

/* Remove @id from the attached queues of @qa.  Under aios_queues_lock. */
static void aios_qagent_detach_id(struct aios_qagent *qa, u32 id)
{
	u32 i;

	spin_lock(&qa->lock);
	for (i = 0; i < qa->nr_attached; i++) {
		if (qa->attached[i] == id) {
			qa->attached[i] = qa->attached[--qa->nr_attached];
			break;
		}
	}
	spin_unlock(&qa->lock);
}

/**
 * aios_queue_destroy - destroy a queue (admin only)
 * @ctx: operation, audited as AIOS_OP_QUEUE_DESTROY
 * @q: referenced queue
 * @force: fail every queued and running task instead of EBUSY
 *
 * Final tasks not yet collected stay collectable.
 */
int aios_queue_destroy(struct aios_ctx *ctx, struct aios_queue *q,
		       bool force)
{
	struct aios_qattach *at, *tmp;
	struct aios_queue_info qi;
	struct aios_qbatch b;
	struct aios_task *t;
	LIST_HEAD(detached);
	int c, ret = 0;

	if (!aios_ctx_admin(ctx))
		return aios_deny(ctx, AIOS_OP_QUEUE_DESTROY, q->id,
				 AIOS_CAP_ADMIN, "ADMIN required");
	b.nev = 0;
	b.nput = 0;

	mutex_lock(&aios_queues_lock);
	spin_lock(&q->lock);
	if (q->dead) {
		ret = -ENOENT;
	} else if ((q->depth || q->slots) && !force) {
		ret = -EBUSY;
		aios_extack_msg(ctx->extack,
				"the queue has queued or running tasks; use AIOS_DESTROY_FORCE");
	} else {
		WRITE_ONCE(q->dead, true);
		list_splice_init(&q->attached, &detached);
		if (cancel_delayed_work(&q->deadline_work))
			/* The pending work's reference; not the last one. */
			kref_put(&q->ref, aios_queue_free);
		q->next_deadline = 0;
	}
	spin_unlock(&q->lock);
	if (ret) {
		mutex_unlock(&aios_queues_lock);
		aios_audit_log(ctx, AIOS_OP_QUEUE_DESTROY, q->id, ret,
			       AIOS_CAP_ADMIN);
		return ret;
	}
	list_for_each_entry_safe(at, tmp, &detached, qnode) {
		aios_qagent_detach_id(at->qa, q->id);
		wake_up_interruptible_poll(&at->qa->poll_wq, EPOLLIN);
		aios_qagent_put(at->qa);
		kfree(at);
	}
	mutex_unlock(&aios_queues_lock);

	/* Everyone waiting on the queue sees it dead. */
	wake_up_interruptible_all(&q->fetch_wq);
	wake_up_interruptible_all(&q->submit_wq);

	aios_audit_log(ctx, AIOS_OP_QUEUE_DESTROY, q->id, 0, AIOS_CAP_ADMIN);
	for (;;) {
		spin_lock(&q->lock);
		for (c = 0; c < __AIOS_PRIO_MAX && !aios_qbatch_full(&b); c++) {
			while (!aios_qbatch_full(&b) &&
			       (t = list_first_entry_or_null(&q->queued[c],
							     struct aios_task,
							     node)))
				aios_task_fail(q, t, AIOS_FAIL_QUEUE_DESTROYED,
					       -EIDRM, ctx->caller ?
					       ctx->caller->id : 0, &b);
		}
		list_for_each_entry(t, &q->running, node) {
			if (aios_qbatch_full(&b))
				break;
			if (t->state == AIOS_TASK_RUNNING)
				aios_task_fail(q, t, AIOS_FAIL_QUEUE_DESTROYED,
					       -EIDRM, ctx->caller ?
					       ctx->caller->id : 0, &b);
		}
		spin_unlock(&q->lock);
		if (!b.nev && !b.nput)
			break;
		aios_qbatch_flush(ctx, &b);
	}

	aios_queue_snapshot(q, &qi);
	aios_queue_nl_notify(AIOS_CMD_NTF_QUEUE_DEL, &qi);
	/* The registry's reference. */
	aios_queue_put(q);
	return 0;
}

/* ---- deadlines ----------------------------------------------------------------- */

/* Arm the deadline sweep for @deadline.  Under q->lock. */
static void aios_queue_arm(struct aios_queue *q, u64 deadline, u64 now)
{
	unsigned long delay;

	lockdep_assert_held(&q->lock);
	if (q->dead || (q->next_deadline && q->next_deadline <= deadline))
		return;
	q->next_deadline = deadline;
	delay = deadline > now ? nsecs_to_jiffies(deadline - now) + 1 : 0;
	/* A pending work owns one reference to the queue. */
	kref_get(&q->ref);
	if (mod_delayed_work(aios_queue_wq, &q->deadline_work, delay))
		kref_put(&q->ref, aios_queue_free);	/* never the last */
}

static bool aios_task_expired(const struct aios_task *t, u64 now)
{
	return t->deadline_ns && t->deadline_ns <= now;
}

/* Fail every task of @q past its deadline and re-arm for the next one. */
static void aios_queue_deadline_fn(struct work_struct *work)
{
	struct aios_queue *q = container_of(to_delayed_work(work),
					    struct aios_queue, deadline_work);
	struct aios_task *t, *tmp;
	struct aios_qbatch b;
	struct aios_ctx ctx;
	u64 now, next;
	bool more;
	int c;

	aios_ctx_init(&ctx, NULL, NULL, NULL);
	b.nev = 0;
	b.nput = 0;
	do {
		more = false;
		next = 0;
		now = ktime_get_ns();
		spin_lock(&q->lock);
		for (c = 0; c < __AIOS_PRIO_MAX; c++) {
			list_for_each_entry_safe(t, tmp, &q->queued[c], node) {
				if (!t->deadline_ns)
					continue;
				if (t->deadline_ns > now) {
					if (!next || t->deadline_ns < next)
						next = t->deadline_ns;
				} else if (aios_qbatch_full(&b)) {
					more = true;
				} else {
					aios_task_fail(q, t, AIOS_FAIL_DEADLINE,
						       -ETIME, 0, &b);
				}
			}
		}
		list_for_each_entry_safe(t, tmp, &q->running, node) {
			if (!t->deadline_ns || t->state != AIOS_TASK_RUNNING)
				continue;
			if (t->deadline_ns > now) {
				if (!next || t->deadline_ns < next)
					next = t->deadline_ns;
			} else if (aios_qbatch_full(&b)) {
				more = true;
			} else {
				aios_task_fail(q, t, AIOS_FAIL_DEADLINE, -ETIME,
					       0, &b);
			}
		}
		if (!more) {
			q->next_deadline = 0;
			if (next)
				aios_queue_arm(q, next, now);
		}
		spin_unlock(&q->lock);
		aios_qbatch_flush(&ctx, &b);
	} while (more);
	/* This run's reference. */
	aios_queue_put(q);
}

/* ---- ioctls: attach -------------------------------------------------------------- */

static bool aios_zero(const u64 *r, size_t n)
{
	while (n--)
		if (*r++)
			return false;
	return true;
}

int aios_queue_ioc_attach(struct aios_agent *a, void *arg)
{
	struct aios_queue_attach *qat = arg;
	struct aios_qattach *at, *found = NULL;
	struct aios_qagent *qa;
	struct aios_queue *q;
	int ret = 0;

	if ((qat->flags & ~AIOS_ATTACH_FLAGS) || qat->reserved0 ||
	    !aios_zero(qat->reserved, ARRAY_SIZE(qat->reserved)))
		return -EINVAL;
	qa = aios_qagent_get(a);
	if (IS_ERR(qa))
		return PTR_ERR(qa);
	at = kzalloc(sizeof(*at), GFP_KERNEL_ACCOUNT);
	if (!at) {
		ret = -ENOMEM;
		goto out_qa;
	}

	mutex_lock(&aios_queues_lock);
	q = aios_queue_get_id(qat->queue_id);
	if (!q) {
		ret = -ENOENT;
		goto out_unlock;
	}
	spin_lock(&q->lock);
	list_for_each_entry(found, &q->attached, qnode)
		if (found->qa == qa)
			break;
	if (list_entry_is_head(found, &q->attached, qnode))
		found = NULL;
	if (qat->flags & AIOS_ATTACH_DETACH) {
		if (found)
			list_del(&found->qnode);
		else
			ret = -ENOENT;
	} else if (found) {
		ret = -EALREADY;
	} else if (aios_agent_dead(a)) {
		ret = -ENOLINK;
	} else if (qa->nr_attached == AIOS_QATTACH_MAX) {
		ret = -ENOSPC;
	} else {
		kref_get(&qa->ref);
		at->qa = qa;
		list_add_tail(&at->qnode, &q->attached);
		spin_lock(&qa->lock);
		qa->attached[qa->nr_attached++] = q->id;
		spin_unlock(&qa->lock);
		at = NULL;
	}
	spin_unlock(&q->lock);
	if ((qat->flags & AIOS_ATTACH_DETACH) && found) {
		aios_qagent_detach_id(qa, q->id);
		aios_qagent_put(found->qa);	/* not the last: we hold one */
		kfree(found);
	}
	aios_queue_put(q);
out_unlock:
	mutex_unlock(&aios_queues_lock);
	kfree(at);
out_qa:
	aios_qagent_put(qa);
	return ret;
}

/* ---- ioctls: submit ---------------------------------------------------------------- */

/* May @qa hold @len more payload bytes?  Charges them if so. */
static int aios_qagent_charge(struct aios_ctx *ctx, struct aios_qagent *qa,
			      u32 len)
{
	bool cap = aios_agent_caps(qa->agent) & AIOS_CAP_ALLOC_MEMORY;
	unsigned long limit = cap ? READ_ONCE(aios_queue_agent_bytes) :
				    READ_ONCE(aios_queue_quota_bytes);

	if (atomic_long_add_return(len, &qa->bytes) <= limit)
		return 0;
	atomic_long_sub(len, &qa->bytes);
	if (!cap)
		return aios_deny(ctx, AIOS_OP_TASK_SUBMIT, 0,
				 AIOS_CAP_ALLOC_MEMORY,
				 "ALLOC_MEMORY required beyond queue_quota_bytes");
	return -EDQUOT;
}

static struct aios_task *aios_task_alloc(struct aios_queue *q,
					 struct aios_qagent *qa,
					 struct aios_task_submit *s)
{
	struct aios_task *t;
	u64 id;
	int ret;

	t = kmem_cache_zalloc(aios_task_cache, GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	if (s->payload_len <= AIOS_TASK_INLINE)
		t->payload = t->small;
	else
		t->payload = kvmalloc(s->payload_len, GFP_KERNEL_ACCOUNT);
	if (s->payload_len) {
		if (!t->payload) {
			ret = -ENOMEM;
			goto err;
		}
		if (copy_from_user(t->payload, u64_to_user_ptr(s->payload),
				   s->payload_len)) {
			ret = -EFAULT;
			goto err;
		}
	}
	id = atomic64_inc_return(&aios_task_ids);
	kref_init(&t->ref);
	INIT_LIST_HEAD(&t->node);
	t->id = id;
	/* The task holds its own references and the payload charge. */
	kref_get(&q->ref);
	t->q = q;
	kref_get(&qa->ref);
	t->sub = qa;
	t->sub_id = qa->agent->id;
	t->prio = s->prio;
	t->submit_ns = ktime_get_ns();
	t->deadline_ns = s->deadline_ns;
	t->payload_len = s->payload_len;
	t->kmem = kmem_cache_size(aios_task_cache);
	if (t->payload != t->small)
		t->kmem += aios_buf_kmem(t->payload, s->payload_len);
	/* Findable from now on, but not live until it is queued. */
	atomic_inc(&aios_tasks_nr);
	spin_lock(&aios_task_hash_lock);
	hlist_add_head_rcu(&t->hnode, aios_task_chain(id));
	spin_unlock(&aios_task_hash_lock);
	return t;
err:
	if (t->payload != t->small)
		kvfree(t->payload);
	kmem_cache_free(aios_task_cache, t);
	return ERR_PTR(ret);
}

/* Wake-up condition of a submitter blocked on a full queue. */
static bool aios_queue_room(struct aios_queue *q, struct aios_agent *a)
{
	return READ_ONCE(q->depth) < q->max_depth || READ_ONCE(q->dead) ||
	       aios_agent_dead(a);
}

/*
 * Drop a task that never got queued; a concurrent lookup that found it
 * by id may still hold a reference (it sees it not live).
 */
static void aios_task_discard(struct aios_task *t)
{
	aios_task_put(t);
}

int aios_queue_ioc_submit(struct aios_agent *a, void *arg)
{
	struct aios_task_submit *s = arg;
	struct aios_qagent *qa;
	struct aios_queue *q;
	struct aios_task *t;
	struct aios_ctx ctx;
	bool wake;
	u64 now;
	int ret;

	if ((s->flags & ~AIOS_SUBMIT_FLAGS) || s->reserved0 ||
	    !aios_zero(s->reserved, ARRAY_SIZE(s->reserved)))
		return -EINVAL;
	if (s->prio > AIOS_PRIO_LOW)
		return -EINVAL;
	aios_ctx_init(&ctx, a, NULL, NULL);
	s->task_id = 0;

	q = aios_queue_get_id(s->queue_id);
	if (!q) {
		ret = -ENOENT;
		goto out_audit;
	}
	if (s->payload_len > q->max_payload) {
		ret = -EMSGSIZE;
		goto out_q;
	}
	qa = aios_qagent_get(a);
	if (IS_ERR(qa)) {
		ret = PTR_ERR(qa);
		goto out_q;
	}
	ret = aios_qagent_charge(&ctx, qa, s->payload_len);
	if (ret) {
		aios_qagent_put(qa);
		aios_queue_put(q);
		if (ret == -EPERM)
			return ret;	/* the denial wrote the record */
		goto out_audit;
	}
	t = aios_task_alloc(q, qa, s);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto out_uncharge;
	}

	for (;;) {
		spin_lock(&q->lock);
		ret = 0;
		if (q->dead) {
			ret = -EIDRM;
		} else if (aios_agent_dead(a)) {
			ret = -ENOLINK;
		} else if (q->depth < q->max_depth) {
			now = ktime_get_ns();
			/* The task and the queue own the references now. */
			t->live = true;
			aios_task_enqueue(q, t, false);
			q->ntasks++;
			q->submitted++;
			q->kmem += t->kmem;
			if (t->deadline_ns)
				aios_queue_arm(q, t->deadline_ns, now);
			wake = aios_queue_wake_pollers(q);
			spin_unlock(&q->lock);
			/* Outside the lock: the woken worker takes it next. */
			if (wake)
				wake_up_interruptible(&q->fetch_wq);
			s->task_id = t->id;
			aios_audit_log(&ctx, AIOS_OP_TASK_SUBMIT, t->id, 0, 0);
			aios_qagent_put(qa);
			aios_queue_put(q);
			return 0;
		}
		if (!ret)
			ret = -EAGAIN;
		spin_unlock(&q->lock);
		if (ret != -EAGAIN || (s->flags & AIOS_SUBMIT_NONBLOCK))
			break;
		ret = wait_event_interruptible(q->submit_wq,
					       aios_queue_room(q, a));
		if (ret)
			break;
	}
	/* Frees it and its charge. */
	aios_task_discard(t);
	goto out_qa;
out_uncharge:
	atomic_long_sub(s->payload_len, &qa->bytes);
out_qa:
	aios_qagent_put(qa);
out_q:
	aios_queue_put(q);
out_audit:
	if (ret != -ERESTARTSYS)
		aios_audit_log(&ctx, AIOS_OP_TASK_SUBMIT, 0, ret, 0);
	return ret;
}

/* ---- ioctls: fetch ------------------------------------------------------------------ */

/*
 * Take the next task of @q for worker @a: 0 with *out referenced,
 * -EAGAIN when there is none, -EMSGSIZE (payload_len set) when it does
 * not fit, -EIDRM when the queue is gone.
 */
static int aios_queue_take(struct aios_queue *q, struct aios_agent *a,
			   struct aios_task_fetch *f, struct aios_task **out)
{
	struct aios_qbatch b;
	struct aios_task *t;
	struct aios_ctx ctx;
	int ret;
	u64 now;

	b.nev = 0;
	b.nput = 0;
	for (;;) {
		now = ktime_get_ns();
		spin_lock(&q->lock);
		if (q->dead) {
			ret = -EIDRM;
			break;
		}
		if (aios_agent_dead(a)) {
			ret = -ENOLINK;
			break;
		}
		t = q->slots < q->max_concurrent ? aios_queue_pick(q, now) :
						     NULL;
		if (!t) {
			ret = -EAGAIN;
			break;
		}
		if (aios_task_expired(t, now)) {
			aios_task_fail(q, t, AIOS_FAIL_DEADLINE, -ETIME, 0, &b);
			if (aios_qbatch_full(&b)) {
				spin_unlock(&q->lock);
				aios_ctx_init(&ctx, NULL, NULL, NULL);
				aios_qbatch_flush(&ctx, &b);
				continue;
			}
			spin_unlock(&q->lock);
			continue;
		}
		if (t->payload_len > f->payload_cap) {
			f->payload_len = t->payload_len;
			ret = -EMSGSIZE;
			break;
		}
		list_move_tail(&t->node, &q->running);
		q->depth--;
		q->nr_running++;
		q->slots++;
		t->slot = true;
		aios_agent_get(a);
		t->worker = a;
		t->worker_id = a->id;
		t->state = AIOS_TASK_RUNNING;
		t->start_ns = now;
		t->runs++;
		t->progress = 0;
		aios_hist_add(&q->wait_hist, now - t->enq_ns);
		kref_get(&t->ref);
		wake_up_interruptible(&q->submit_wq);
		f->payload_len = t->payload_len;
		f->task_id = t->id;
		f->submitter_id = t->sub_id;
		f->context_ref = t->context_ref;
		f->slice_ns = q->algo == AIOS_ALGO_ROUND_ROBIN ?
			      (u64)q->slice_ms * NSEC_PER_MSEC : 0;
		f->prio = t->prio;
		f->fetched_queue_id = q->id;
		f->runs = t->runs;
		*out = t;
		ret = 0;
		break;
	}
	spin_unlock(&q->lock);
	if (b.nev || b.nput) {
		aios_ctx_init(&ctx, NULL, NULL, NULL);
		aios_qbatch_flush(&ctx, &b);
	}
	return ret;
}

/* Undo a fetch whose payload could not be copied out. */
static void aios_queue_untake(struct aios_queue *q, struct aios_task *t,
			      struct aios_agent *a)
{
	spin_lock(&q->lock);
	if (t->slot && t->worker == a && t->state == AIOS_TASK_RUNNING) {
		q->nr_running--;
		t->runs--;
		list_del_init(&t->node);
		aios_task_drop_slot(q, t);
		aios_task_enqueue(q, t, true);
		aios_queue_wake_workers(q);
	}
	spin_unlock(&q->lock);
}

/* Try every queue @qa is attached to, in attachment order. */
static int aios_queue_take_any(struct aios_qagent *qa, struct aios_agent *a,
			       struct aios_task_fetch *f,
			       struct aios_task **out)
{
	u32 ids[AIOS_QATTACH_MAX];
	struct aios_queue *q;
	u32 i, n;
	int ret = -EAGAIN, r;

	spin_lock(&qa->lock);
	n = qa->nr_attached;
	memcpy(ids, qa->attached, n * sizeof(ids[0]));
	spin_unlock(&qa->lock);
	if (!n)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		q = aios_queue_get_id(ids[i]);
		if (!q)
			continue;
		r = aios_queue_ready(q) ? aios_queue_take(q, a, f, out) :
					 -EAGAIN;
		aios_queue_put(q);
		if (r == -EAGAIN || r == -EIDRM)
			continue;
		return r;
	}
	return ret;
}

static bool aios_qagent_any_ready(struct aios_qagent *qa)
{
	struct aios_queue *q;
	bool ready = false;
	u32 i;

	spin_lock(&qa->lock);
	rcu_read_lock();
	for (i = 0; i < qa->nr_attached && !ready; i++) {
		q = xa_load(&aios_queues, qa->attached[i]);
		ready = q && aios_queue_ready(q);
	}
	rcu_read_unlock();
	if (!qa->nr_attached)
		ready = true;	/* nothing to wait for: report ENOENT */
	spin_unlock(&qa->lock);
	return ready;
}

/* Wake-up conditions of a blocked fetch. */
static bool aios_queue_wakes(struct aios_queue *q, struct aios_agent *a)
{
	return aios_queue_ready(q) || READ_ONCE(q->dead) || aios_agent_dead(a);
}

static bool aios_qagent_wakes(struct aios_qagent *qa, struct aios_agent *a)
{
	return aios_qagent_any_ready(qa) || aios_agent_dead(a);
}

/*
 * A worker waits for a task of @q.  Exclusive: one submitted task wakes
 * one worker; a worker leaving without taking a task passes the wake-up
 * on (aios_queue_ioc_fetch()).  Returns the jiffies left, or
 * -ERESTARTSYS.
 */
static long aios_fetch_sleep(struct aios_queue *q, struct aios_agent *a,
			     long left)
{
	DEFINE_WAIT(w);

	for (;;) {
		prepare_to_wait_exclusive(&q->fetch_wq, &w, TASK_INTERRUPTIBLE);
		if (aios_queue_wakes(q, a) || !left)
			break;
		if (signal_pending(current)) {
			left = -ERESTARTSYS;
			break;
		}
		left = schedule_timeout(left);
	}
	finish_wait(&q->fetch_wq, &w);
	return left;
}

/* Convert a user timeout to jiffies: MAX_SCHEDULE_TIMEOUT for -1. */
static long aios_timeout(s32 ms)
{
	return ms < 0 ? MAX_SCHEDULE_TIMEOUT : (long)msecs_to_jiffies(ms);
}

/*
 * A signal interrupted a wait: an unbounded wait may be restarted
 * transparently, a bounded one reports EINTR (restarting would start the
 * timeout over).
 */
static int aios_wait_intr(s32 timeout_ms)
{
	return timeout_ms < 0 ? -ERESTARTSYS : -EINTR;
}

int aios_queue_ioc_fetch(struct aios_agent *a, void *arg, bool *copy)
{
	struct aios_task_fetch *f = arg;
	struct aios_qagent *qa = NULL;
	struct aios_queue *q = NULL;
	struct aios_task *t = NULL;
	long left;
	int ret;

	if ((f->flags & ~AIOS_FETCH_FLAGS) || f->reserved0 ||
	    !aios_zero(f->reserved, ARRAY_SIZE(f->reserved)))
		return -EINVAL;
	if (f->timeout_ms < -1)
		return -EINVAL;
	left = aios_timeout(f->timeout_ms);
	f->payload_len = 0;

	if (f->queue_id) {
		q = aios_queue_get_id(f->queue_id);
		if (!q)
			return -ENOENT;
	} else {
		qa = aios_qagent_get(a);
		if (IS_ERR(qa))
			return PTR_ERR(qa);
	}

	for (;;) {
		ret = q ? aios_queue_take(q, a, f, &t) :
			  aios_queue_take_any(qa, a, f, &t);
		if (ret != -EAGAIN)
			break;
		if ((f->flags & AIOS_FETCH_NONBLOCK) || !left)
			break;
		if (q)
			left = aios_fetch_sleep(q, a, left);
		else
			left = wait_event_interruptible_timeout(qa->poll_wq,
								aios_qagent_wakes(qa, a),
								left);
		if (left < 0) {
			ret = aios_wait_intr(f->timeout_ms);
			break;
		}
		if (!left) {
			/* One last try: the condition may have just come true. */
			ret = q ? aios_queue_take(q, a, f, &t) :
				  aios_queue_take_any(qa, a, f, &t);
			if (ret == -EAGAIN)
				ret = -ETIMEDOUT;
			break;
		}
	}

	if (!ret && t->payload_len &&
	    copy_to_user(u64_to_user_ptr(f->payload), t->payload,
			 t->payload_len)) {
		aios_queue_untake(t->q, t, a);
		ret = -EFAULT;
	}
	if (ret == -EMSGSIZE)
		*copy = true;
	if (t)
		aios_task_put(t);
	/* Pass on a wake-up this exclusive waiter may have used up. */
	if (q && aios_queue_ready(q))
		wake_up_interruptible(&q->fetch_wq);
	if (q)
		aios_queue_put(q);
	if (qa)
		aios_qagent_put(qa);
	return ret;
}

/* ---- ioctls: progress, complete ----------------------------------------------------- */

int aios_queue_ioc_progress(struct aios_agent *a, void *arg)
{
	struct aios_task_progress *p = arg;
	struct aios_queue *q;
	struct aios_task *t;
	int ret = 0;

	if (p->flags || !aios_zero(p->reserved, ARRAY_SIZE(p->reserved)))
		return -EINVAL;
	if (p->percent > 100)
		return -EINVAL;
	t = aios_task_lookup(p->task_id);
	if (!t)
		return -ENOENT;
	q = t->q;
	p->should_yield = 0;
	spin_lock(&q->lock);
	if (!t->live)
		ret = -ENOENT;
	else if (!t->slot || t->worker != a)
		ret = t->worker_id == a->id ? -EALREADY : -EPERM;
	else if (t->state != AIOS_TASK_RUNNING)
		ret = -EALREADY;	/* cancelled, expired or destroyed */
	else
		t->progress = p->percent;
	if (!ret && q->algo == AIOS_ALGO_ROUND_ROBIN &&
	    ktime_get_ns() - t->start_ns >= (u64)q->slice_ms * NSEC_PER_MSEC)
		p->should_yield = 1;
	spin_unlock(&q->lock);
	aios_task_put(t);
	return ret;
}

int aios_queue_ioc_complete(struct aios_agent *a, void *arg)
{
	struct aios_task_complete *c = arg;
	bool yield = c->flags & AIOS_COMPLETE_YIELD;
	u8 small[AIOS_TASK_INLINE];
	struct aios_qbatch b;
	void *result = NULL;
	struct aios_queue *q;
	struct aios_task *t;
	struct aios_ctx ctx;
	u64 now;
	int ret = 0;

	b.nev = 0;
	b.nput = 0;

	if ((c->flags & ~AIOS_COMPLETE_FLAGS) ||
	    !aios_zero(c->reserved, ARRAY_SIZE(c->reserved)))
		return -EINVAL;
	if (c->error > 0 || c->error < -MAX_ERRNO)
		return -EINVAL;
	if (yield && (c->error || c->result_len))
		return -EINVAL;
	if (!yield && c->context_ref)
		return -EINVAL;
	if (c->error && c->result_len)
		return -EINVAL;
	t = aios_task_lookup(c->task_id);
	if (!t)
		return -ENOENT;
	q = t->q;
	if (c->result_len > q->max_payload) {
		ret = -EMSGSIZE;
		goto out;
	}
	if (c->result_len > AIOS_TASK_INLINE) {
		result = kvmalloc(c->result_len, GFP_KERNEL_ACCOUNT);
		if (!result) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (c->result_len &&
	    copy_from_user(result ?: small, u64_to_user_ptr(c->result),
			   c->result_len)) {
		ret = -EFAULT;
		goto out;
	}

	now = ktime_get_ns();
	spin_lock(&q->lock);
	if (!t->live) {
		ret = -ENOENT;
	} else if (!t->slot || t->worker != a) {
		/* Ours before (and returned already), or never ours. */
		ret = t->worker_id == a->id ? -EALREADY : -EPERM;
	} else if (t->state != AIOS_TASK_RUNNING) {
		/* Cancelled, expired or destroyed meanwhile: discarded. */
		aios_task_drop_slot(q, t);
		aios_task_settle(q, t, &b);
	} else {
		aios_hist_add(&q->run_hist, now - t->start_ns);
		q->nr_running--;
		if (yield && t->released) {
			/* Its submitter is gone: no point in running it again. */
			aios_task_final(q, t, AIOS_TASK_CANCELLED,
					AIOS_FAIL_SUBMITTER_DIED, -ECANCELED);
			aios_qbatch_ev(&b, AIOS_OP_TASK_CANCEL, 0, a->id, t);
			aios_task_drop_slot(q, t);
			aios_task_settle(q, t, &b);
		} else if (yield) {
			t->context_ref = c->context_ref;
			q->yielded++;
			list_del_init(&t->node);
			aios_task_drop_slot(q, t);
			aios_task_enqueue(q, t, false);
			aios_queue_wake_workers(q);
		} else {
			if (c->error) {
				aios_task_final(q, t, AIOS_TASK_FAILED,
						AIOS_FAIL_WORKER, c->error);
				aios_qbatch_ev(&b, AIOS_OP_TASK_FAIL,
					       AIOS_FAIL_WORKER, a->id, t);
			} else {
				if (result) {
					t->result = result;
					t->result_kmem =
						aios_buf_kmem(result,
							      c->result_len);
					q->kmem += t->result_kmem;
					result = NULL;
				} else if (c->result_len) {
					/* The payload is not needed any more. */
					memcpy(t->small, small, c->result_len);
					t->result = t->small;
				}
				t->result_len = c->result_len;
				t->progress = 100;
				aios_tput_add(&q->tput, now);
				aios_task_final(q, t, AIOS_TASK_DONE, 0, 0);
			}
			aios_task_drop_slot(q, t);
			aios_task_settle(q, t, &b);
		}
	}
	spin_unlock(&q->lock);
	if (b.nev || b.nput) {
		aios_ctx_init(&ctx, a, NULL, NULL);
		aios_qbatch_flush(&ctx, &b);
	}
out:
	kvfree(result);
	aios_task_put(t);
	return ret;
}

/* ---- ioctls: wait, cancel ---------------------------------------------------------- */

static bool aios_task_is_final(const struct aios_task *t)
{
	return READ_ONCE(t->state) >= AIOS_TASK_DONE;
}

static void aios_task_report(const struct aios_task *t,
			     struct aios_task_wait *w)
{
	w->state = t->state;
	w->fail = t->fail;
	w->error = t->error;
	w->progress = t->progress;
	w->runs = t->runs;
	w->result_len = t->result_len;
}

/* Collect a final task: it disappears for its submitter. */
static bool aios_task_collect(struct aios_queue *q, struct aios_task *t,
			      struct aios_qbatch *b)
{
	if (!t->live || t->released)
		return false;
	t->released = true;
	atomic_dec(&t->sub->results);
	if (!t->slot)
		aios_task_unlink(q, t, b);
	return true;
}

/*
 * Sleep until @t is final, a signal (-ERESTARTSYS) or the timeout;
 * returns the jiffies left.
 */
static long aios_task_sleep(struct aios_task *t, long left)
{
	wait_queue_head_t *wqh = aios_task_wq(t);
	struct aios_task_waiter w = { .t = t };

	init_wait(&w.wq);
	w.wq.func = aios_task_wake;
	for (;;) {
		prepare_to_wait(wqh, &w.wq, TASK_INTERRUPTIBLE);
		if (aios_task_is_final(t) || !left)
			break;
		if (signal_pending(current)) {
			left = -ERESTARTSYS;
			break;
		}
		left = schedule_timeout(left);
	}
	finish_wait(wqh, &w.wq);
	return left;
}

int aios_queue_ioc_wait(struct aios_agent *a, void *arg, bool *copy)
{
	struct aios_task_wait *w = arg;
	struct aios_qbatch b;
	struct aios_queue *q;
	struct aios_task *t;
	struct aios_ctx ctx;
	long left;
	int ret = 0;

	b.nev = 0;
	b.nput = 0;

	if ((w->flags & ~AIOS_WAIT_FLAGS) ||
	    !aios_zero(w->reserved, ARRAY_SIZE(w->reserved)))
		return -EINVAL;
	if (w->timeout_ms < -1)
		return -EINVAL;
	left = aios_timeout(w->timeout_ms);
	t = aios_task_lookup(w->task_id);
	if (!t)
		return -ENOENT;
	q = t->q;
	if (t->sub->agent != a) {
		aios_ctx_init(&ctx, a, NULL, NULL);
		if (!aios_ctx_admin(&ctx)) {
			ret = -EPERM;
			goto out;
		}
	}

	for (;;) {
		spin_lock(&q->lock);
		if (!t->live || t->released) {
			spin_unlock(&q->lock);
			ret = -ENOENT;
			goto out;
		}
		aios_task_report(t, w);
		spin_unlock(&q->lock);
		if (w->state >= AIOS_TASK_DONE)
			break;
		if ((w->flags & AIOS_WAIT_NONBLOCK))
			goto out;
		if (!left) {
			*copy = true;
			ret = -ETIMEDOUT;
			goto out;
		}
		left = aios_task_sleep(t, left);
		if (left < 0) {
			ret = aios_wait_intr(w->timeout_ms);
			goto out;
		}
	}

	/* Final: the result is immutable now. */
	if (w->result_len > w->result_cap) {
		*copy = true;
		ret = -EMSGSIZE;
		goto out;
	}
	if (w->result_len &&
	    copy_to_user(u64_to_user_ptr(w->result), t->result,
			 w->result_len)) {
		ret = -EFAULT;
		goto out;
	}
	if (!(w->flags & AIOS_WAIT_PEEK)) {
		spin_lock(&q->lock);
		if (!aios_task_collect(q, t, &b))
			ret = -ENOENT;	/* collected by a concurrent wait */
		spin_unlock(&q->lock);
	}
out:
	for (int i = 0; i < b.nput; i++)
		aios_task_put(b.put[i]);
	aios_task_put(t);
	return ret;
}

int aios_queue_ioc_cancel(struct aios_agent *a, void *arg)
{
	struct aios_task_cancel *c = arg;
	struct aios_qbatch b;
	struct aios_queue *q;
	struct aios_task *t;
	struct aios_ctx ctx;
	int ret = 0;

	b.nev = 0;
	b.nput = 0;

	if (c->flags || !aios_zero(c->reserved, ARRAY_SIZE(c->reserved)))
		return -EINVAL;
	aios_ctx_init(&ctx, a, NULL, NULL);
	t = aios_task_lookup(c->task_id);
	if (!t) {
		ret = -ENOENT;
		goto out_audit;
	}
	q = t->q;
	if (t->sub->agent != a && !aios_ctx_admin(&ctx)) {
		ret = aios_deny(&ctx, AIOS_OP_TASK_CANCEL, t->id,
				AIOS_CAP_ADMIN,
				"only the submitter or ADMIN may cancel");
		aios_task_put(t);
		return ret;
	}
	spin_lock(&q->lock);
	if (!t->live || t->released) {
		ret = -ENOENT;
	} else if (t->state >= AIOS_TASK_DONE) {
		ret = -EALREADY;
	} else if (t->state == AIOS_TASK_QUEUED) {
		list_del_init(&t->node);
		q->depth--;
		wake_up_interruptible(&q->submit_wq);
		aios_task_final(q, t, AIOS_TASK_CANCELLED, 0, -ECANCELED);
		aios_task_settle(q, t, &b);
	} else {
		/* Running: its worker keeps the slot until it returns it. */
		q->nr_running--;
		aios_task_final(q, t, AIOS_TASK_CANCELLED, 0, -ECANCELED);
	}
	spin_unlock(&q->lock);
	for (int i = 0; i < b.nput; i++)
		aios_task_put(b.put[i]);
out_audit:
	aios_audit_log(&ctx, AIOS_OP_TASK_CANCEL, t ? t->id : c->task_id,
		       ret, 0);
	if (t)
		aios_task_put(t);
	return ret;
}

/* ---- poll ------------------------------------------------------------------------ */

static __poll_t aios_queue_poll(struct aios_agent *a, struct file *file,
				poll_table *pt)
{
	struct aios_qagent *qa = aios_qagent_get(a);
	__poll_t mask = 0;

	if (IS_ERR(qa))
		return aios_agent_dead(a) ? EPOLLERR | EPOLLHUP : EPOLLERR;
	poll_wait(file, &qa->poll_wq, pt);
	if (aios_agent_dead(a))
		mask = EPOLLERR | EPOLLHUP;
	if (atomic_read(&qa->results) > 0)
		mask |= EPOLLIN | AIOS_EPOLL_RESULT;
	if (READ_ONCE(qa->nr_attached) && aios_qagent_any_ready(qa))
		mask |= EPOLLIN | AIOS_EPOLL_TASK;
	aios_qagent_put(qa);
	return mask;
}

/* ---- snapshots for netlink ------------------------------------------------------ */

void aios_queue_snapshot(struct aios_queue *q, struct aios_queue_info *qi)
{
	u64 now = ktime_get_ns();

	qi->id = q->id;
	memcpy(qi->name, q->name, sizeof(qi->name));
	qi->algo = q->algo;
	qi->max_concurrent = q->max_concurrent;
	qi->slice_ms = q->slice_ms;
	qi->max_payload = q->max_payload;
	qi->max_depth = q->max_depth;
	qi->max_retries = q->max_retries;
	qi->aging_ms = q->aging_ms;
	spin_lock(&q->lock);
	qi->depth = q->depth;
	qi->running = q->nr_running;
	qi->submitted = q->submitted;
	qi->completed = q->completed;
	qi->failed = q->failed;
	qi->cancelled = q->cancelled;
	qi->requeued = q->requeued;
	qi->yielded = q->yielded;
	qi->kmem = q->kmem;
	qi->per_min = aios_tput_per_min(&q->tput, now);
	qi->wait_p50 = aios_hist_pct_us(&q->wait_hist, 50);
	qi->wait_p99 = aios_hist_pct_us(&q->wait_hist, 99);
	qi->run_p50 = aios_hist_pct_us(&q->run_hist, 50);
	qi->run_p99 = aios_hist_pct_us(&q->run_hist, 99);
	spin_unlock(&q->lock);
}

static int aios_task_info_cmp(const void *a, const void *b)
{
	const struct aios_task_info *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The tasks of @q with an id > @after, sorted by id, in a kvmalloc'd
 * array (*out, kvfree() it); returns how many, or -ENOMEM.
 */
static int aios_queue_tasks(struct aios_queue *q, u64 after,
			    struct aios_task_info **out)
{
	struct aios_task_info *v = NULL;
	struct list_head *lists[__AIOS_PRIO_MAX + 2];
	struct aios_task *t;
	u32 cap = 0, n = 0;
	int c;

	for (c = 0; c < __AIOS_PRIO_MAX; c++)
		lists[c] = &q->queued[c];
	lists[c++] = &q->running;
	lists[c] = &q->done;
	for (;;) {
		spin_lock(&q->lock);
		if (q->ntasks <= cap)
			break;
		cap = q->ntasks + 16;
		spin_unlock(&q->lock);
		kvfree(v);
		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
	}
	for (c = 0; c < ARRAY_SIZE(lists); c++)
		list_for_each_entry(t, lists[c], node)
			if (t->id > after)
				aios_task_snap(t, &v[n++]);
	spin_unlock(&q->lock);
	sort(v, n, sizeof(*v), aios_task_info_cmp, NULL);
	*out = v;
	return n;
}

/**
 * aios_queue_task_batch - tasks in dump order (queue id, then task id)
 * @queue_id: queue of the last task returned before, 0 to start
 * @after: id of that task
 * @filter: only this queue, or 0 for all
 * @out: room for @max snapshots
 * @max: capacity of @out
 *
 * Every task not yet freed, of live and destroyed queues.  Returns how
 * many were filled in (0 at the end), or -ENOMEM.
 */
int aios_queue_task_batch(u32 queue_id, u64 after, u32 filter,
			  struct aios_task_info *out, int max)
{
	u32 cursor = queue_id ? queue_id - 1 : 0;
	struct aios_task_info *v;
	struct aios_queue *q;
	int n, i, got = 0;

	if (filter && filter - 1 > cursor)
		cursor = filter - 1;
	while (got < max && (q = aios_queue_next_any(&cursor, true))) {
		if (filter && q->id != filter) {
			aios_queue_put(q);
			break;
		}
		n = aios_queue_tasks(q, q->id == queue_id ? after : 0, &v);
		aios_queue_put(q);
		if (n < 0)
			return n;
		for (i = 0; i < n && got < max; i++)
			out[got++] = v[i];
		kvfree(v);
	}
	return got;
}

/* ---- agent release ------------------------------------------------------------- */

/*
 * One batch of agent @a's cleanup in @q: its running tasks go back to
 * the queue (or fail after max_retries), its queued tasks are cancelled,
 * its final tasks freed and its running ones orphaned.
 */
static void aios_queue_release_batch(struct aios_queue *q,
				     struct aios_agent *a,
				     struct aios_qbatch *b)
{
	struct aios_task *t, *tmp;
	int c;

	list_for_each_entry_safe(t, tmp, &q->running, node) {
		if (aios_qbatch_full(b))
			return;
		if (t->sub->agent == a && !t->released) {
			t->released = true;
			if (t->state == AIOS_TASK_RUNNING)
				t->fail = AIOS_FAIL_SUBMITTER_DIED;
			else
				atomic_dec(&t->sub->results);
		}
		if (!t->slot || t->worker != a)
			continue;
		aios_task_drop_slot(q, t);
		if (t->state != AIOS_TASK_RUNNING) {
			aios_task_settle(q, t, b);
			continue;
		}
		if (t->released) {
			/* Nobody wants the result any more. */
			aios_task_fail(q, t, AIOS_FAIL_SUBMITTER_DIED,
				       -EOWNERDEAD, a->id, b);
		} else if (t->retries < q->max_retries && !q->dead) {
			q->nr_running--;
			t->retries++;
			q->requeued++;
			list_del_init(&t->node);
			aios_task_enqueue(q, t, true);
			aios_qbatch_ev(b, AIOS_OP_TASK_REQUEUE, 0, a->id, t);
			aios_queue_wake_workers(q);
		} else {
			aios_task_fail(q, t, AIOS_FAIL_WORKER_DIED,
				       -EOWNERDEAD, a->id, b);
		}
	}
	for (c = 0; c < __AIOS_PRIO_MAX; c++) {
		list_for_each_entry_safe(t, tmp, &q->queued[c], node) {
			if (aios_qbatch_full(b))
				return;
			if (t->sub->agent != a)
				continue;
			t->released = true;
			list_del_init(&t->node);
			q->depth--;
			wake_up_interruptible(&q->submit_wq);
			aios_task_final(q, t, AIOS_TASK_CANCELLED,
					AIOS_FAIL_SUBMITTER_DIED, -ECANCELED);
			aios_qbatch_ev(b, AIOS_OP_TASK_CANCEL, 0, a->id, t);
			aios_task_unlink(q, t, b);
		}
	}
	list_for_each_entry_safe(t, tmp, &q->done, node) {
		if (aios_qbatch_full(b))
			return;
		if (t->sub->agent != a)
			continue;
		if (!t->released) {
			t->released = true;
			atomic_dec(&t->sub->results);
		}
		aios_task_unlink(q, t, b);
	}
}

static void aios_queue_agent_release(struct aios_agent *a,
				     enum aios_exit_reason why)
{
	struct aios_qattach *at;
	struct aios_qagent *qa;
	struct aios_queue *q;
	struct aios_qbatch b;
	struct aios_ctx ctx;
	u32 ids[AIOS_QATTACH_MAX];
	u32 cursor = 0, i, n = 0;

	if (a->id > ULONG_MAX)
		return;
	/*
	 * Without queue state it attached nothing and submitted nothing.
	 * The state itself stays until the file goes (pollers).
	 */
	qa = aios_qagent_lookup(a->id);
	if (!qa)
		goto tasks;

	/* Attachments. */
	mutex_lock(&aios_queues_lock);
	spin_lock(&qa->lock);
	n = qa->nr_attached;
	memcpy(ids, qa->attached, n * sizeof(ids[0]));
	qa->nr_attached = 0;
	spin_unlock(&qa->lock);
	for (i = 0; i < n; i++) {
		q = aios_queue_get_any(ids[i]);
		if (!q)
			continue;
		spin_lock(&q->lock);
		list_for_each_entry(at, &q->attached, qnode) {
			if (at->qa == qa) {
				list_del(&at->qnode);
				break;
			}
		}
		spin_unlock(&q->lock);
		if (!list_entry_is_head(at, &q->attached, qnode)) {
			aios_qagent_put(at->qa);	/* we hold another */
			kfree(at);
		}
		aios_queue_put(q);
	}
	mutex_unlock(&aios_queues_lock);
	/* Pollers see the hang-up, fetches from any queue return. */
	wake_up_interruptible_poll(&qa->poll_wq, EPOLLERR | EPOLLHUP);
	aios_qagent_put(qa);

tasks:
	/* Tasks it runs or submitted, in every queue (dead ones too). */
	aios_ctx_init(&ctx, a, NULL, NULL);
	b.nev = 0;
	b.nput = 0;
	while ((q = aios_queue_next_any(&cursor, true))) {
		do {
			spin_lock(&q->lock);
			aios_queue_release_batch(q, a, &b);
			spin_unlock(&q->lock);
			if (!b.nev && !b.nput)
				break;
			aios_qbatch_flush(&ctx, &b);
		} while (true);
		/*
		 * Threads of the agent blocked on this queue (it was killed
		 * with a signal it survives) return ENOLINK; the others go
		 * back to sleep.
		 */
		wake_up_interruptible_all(&q->fetch_wq);
		wake_up_interruptible_all(&q->submit_wq);
		aios_queue_put(q);
	}
}

/* The agent's file is going away: nobody can poll it any more. */
static void aios_queue_file_release(struct aios_agent *a)
{
	struct aios_qagent *qa;

	if (a->id > ULONG_MAX)
		return;
	qa = xa_erase(&aios_qagents, a->id);
	if (qa)
		aios_qagent_put(qa);
}

/* ---- subsystem ------------------------------------------------------------------ */

static int aios_queue_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(aios_task_wqs); i++)
		init_waitqueue_head(&aios_task_wqs[i]);
	/* Only the inline payload/result is copied from/to userspace. */
	aios_task_cache =
		kmem_cache_create_usercopy("aios_task",
					   sizeof(struct aios_task), 0,
					   SLAB_ACCOUNT,
					   offsetof(struct aios_task, small),
					   AIOS_TASK_INLINE, NULL);
	if (!aios_task_cache)
		return -ENOMEM;
	aios_queue_wq = alloc_workqueue("aios_queue", WQ_UNBOUND, 0);
	if (!aios_queue_wq) {
		kmem_cache_destroy(aios_task_cache);
		return -ENOMEM;
	}
	return 0;
}

/* Module teardown: no agent file is left, so no task is either. */
static void aios_queue_exit(void)
{
	struct aios_queue *q;
	struct aios_ctx ctx;
	u32 cursor = 0;

	aios_ctx_init(&ctx, NULL, NULL, NULL);
	ctx.sys_admin = 1;
	while ((q = aios_queue_next(&cursor))) {
		aios_queue_destroy(&ctx, q, true);
		aios_queue_put(q);
	}
	destroy_workqueue(aios_queue_wq);
	aios_queue_wq = NULL;
	/* The call_rcu() frees of tasks, before their cache goes. */
	rcu_barrier();
	WARN_ON(atomic_read(&aios_tasks_nr));
	kmem_cache_destroy(aios_task_cache);
	WARN_ON(!xa_empty(&aios_qagents));
}

const struct aios_subsys aios_queue_subsys = {
	.name = "queue",
	.init = aios_queue_init,
	.exit = aios_queue_exit,
	.agent_release = aios_queue_agent_release,
	.file_release = aios_queue_file_release,
	.poll = aios_queue_poll,
};
