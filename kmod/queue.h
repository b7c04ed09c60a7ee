/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios: task scheduler queues - declarations shared by queue*.c and the
 * glue in ioctl.c, netlink.c and main.c.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _AIOS_QUEUE_H
#define _AIOS_QUEUE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "aios.h"

/* Module parameters (queue.c). */
extern unsigned long aios_queue_agent_bytes;
extern unsigned long aios_queue_quota_bytes;

/* Defaults and limits of queue attributes (Documentation/queues.md). */
#define AIOS_QUEUE_DEF_CONCURRENT	1
#define AIOS_QUEUE_MAX_CONCURRENT	4096
#define AIOS_QUEUE_DEF_SLICE_MS		100
#define AIOS_QUEUE_MAX_SLICE_MS		3600000
#define AIOS_QUEUE_DEF_PAYLOAD		65536
#define AIOS_QUEUE_MAX_PAYLOAD		(16U << 20)
#define AIOS_QUEUE_DEF_DEPTH		1024
#define AIOS_QUEUE_MAX_DEPTH		1048576
#define AIOS_QUEUE_DEF_RETRIES		3
#define AIOS_QUEUE_MAX_RETRIES		100
#define AIOS_QUEUE_DEF_AGING_MS		100
#define AIOS_QUEUE_MAX_AGING_MS		3600000

/* ---- statistics (queue_stats.c) -------------------------------------- */

/*
 * Log2 latency histogram in microseconds: bucket 0 counts values below
 * 1 us, bucket i (1..AIOS_HIST_BUCKETS-1) values in [2^(i-1), 2^i) us;
 * the last bucket also takes everything larger (about 38 hours and up).
 */
#define AIOS_HIST_BUCKETS	48

struct aios_hist {
	u64 count;
	u64 bucket[AIOS_HIST_BUCKETS];
};

/* Completions per second over the last minute: a ring of 60 buckets. */
#define AIOS_TPUT_SLOTS		60

struct aios_tput {
	u64 sec[AIOS_TPUT_SLOTS];	/* which second the slot counts */
	u32 count[AIOS_TPUT_SLOTS];
};

void aios_hist_add(struct aios_hist *h, u64 ns);
u64 aios_hist_pct_us(const struct aios_hist *h, unsigned int pct);
void aios_tput_add(struct aios_tput *t, u64 now_ns);
u64 aios_tput_per_min(const struct aios_tput *t, u64 now_ns);

/* ---- queues and tasks (queue.c) -------------------------------------- */

struct aios_qagent;

struct aios_queue {
	struct kref ref;
	u32 id;				/* immutable */
	char name[AIOS_QUEUE_NAME_MAX];	/* immutable */
	/* Configuration, immutable after creation. */
	u32 algo;
	u32 max_concurrent;
	u32 slice_ms;
	u32 max_payload;
	u32 max_depth;
	u32 max_retries;
	u32 aging_ms;

	/*
	 * lock protects everything below: the task lists, the counters and
	 * statistics, the attachment list, dead and next_deadline, and the
	 * state of every task of this queue.  Never held while sleeping or
	 * allocating.
	 */
	spinlock_t lock;
	bool dead;			/* destroyed; also read locklessly */
	/* Queued tasks in arrival order, one list per class (FIFO and RR
	 * use class 0 only), sorted by aios_task.seq.
	 */
	struct list_head queued[__AIOS_PRIO_MAX];
	struct list_head running;	/* tasks holding a slot */
	struct list_head done;		/* final, not yet collected */
	struct list_head attached;	/* struct aios_qattach.qnode */
	u32 depth;			/* queued tasks */
	u32 nr_running;			/* tasks in state RUNNING */
	u32 slots;			/* tasks holding a slot */
	u32 ntasks;			/* tasks on its lists */
	u64 seq;			/* arrival counter */
	u64 next_deadline;		/* earliest armed deadline, 0: none */
	u64 submitted, completed, failed, cancelled, requeued, yielded;
	u64 kmem;			/* bytes held by its tasks */
	struct aios_hist wait_hist, run_hist;
	struct aios_tput tput;

	wait_queue_head_t fetch_wq;	/* workers fetching from this queue */
	wait_queue_head_t submit_wq;	/* submitters waiting for room */
	struct delayed_work deadline_work;
	struct rcu_head rcu;
};

/* A queue snapshot for netlink replies. */
struct aios_queue_info {
	u32 id, algo, max_concurrent, slice_ms, max_payload, max_depth;
	u32 max_retries, aging_ms, depth, running;
	char name[AIOS_QUEUE_NAME_MAX];
	u64 submitted, completed, failed, cancelled, requeued, yielded;
	u64 per_min, wait_p50, wait_p99, run_p50, run_p99, kmem;
};

/* A task snapshot for netlink dumps. */
struct aios_task_info {
	u64 id, submitter_id, worker_id, submit_ns, context_ref;
	u32 queue_id, prio, state, fail, progress, runs, retries, payload_len;
	s32 error;
};

struct aios_queue *aios_queue_get_id(u32 id);
struct aios_queue *aios_queue_get_name(const char *name);
struct aios_queue *aios_queue_next(u32 *cursor);
void aios_queue_put(struct aios_queue *q);
void aios_queue_snapshot(struct aios_queue *q, struct aios_queue_info *qi);
int aios_queue_task_batch(u32 queue_id, u64 after, u32 filter,
			  struct aios_task_info *out, int max);

struct aios_queue_cfg {
	char name[AIOS_QUEUE_NAME_MAX];
	u32 algo, max_concurrent, slice_ms, max_payload, max_depth;
	u32 max_retries, aging_ms;
};

void aios_queue_cfg_default(struct aios_queue_cfg *cfg);
int aios_queue_create(struct aios_ctx *ctx, const struct aios_queue_cfg *cfg,
		      struct aios_queue_info *qi);
int aios_queue_destroy(struct aios_ctx *ctx, struct aios_queue *q,
		       bool force);

/* ioctl handlers; *copy is set when the result must be copied on error */
int aios_queue_ioc_attach(struct aios_agent *a, void *arg);
int aios_queue_ioc_submit(struct aios_agent *a, void *arg);
int aios_queue_ioc_fetch(struct aios_agent *a, void *arg, bool *copy);
int aios_queue_ioc_progress(struct aios_agent *a, void *arg);
int aios_queue_ioc_complete(struct aios_agent *a, void *arg);
int aios_queue_ioc_wait(struct aios_agent *a, void *arg, bool *copy);
int aios_queue_ioc_cancel(struct aios_agent *a, void *arg);

/* ---- netlink (queue_nl.c) -------------------------------------------- */

extern const struct nla_policy aios_queue_nl_create_policy[AIOS_A_MAX + 1];
extern const struct nla_policy aios_queue_nl_destroy_policy[AIOS_A_MAX + 1];
extern const struct nla_policy aios_queue_nl_get_policy[AIOS_A_MAX + 1];
extern const struct nla_policy aios_queue_nl_task_policy[AIOS_A_MAX + 1];

int aios_queue_nl_create(struct sk_buff *skb, struct genl_info *info);
int aios_queue_nl_destroy(struct sk_buff *skb, struct genl_info *info);
int aios_queue_nl_get(struct sk_buff *skb, struct genl_info *info);
int aios_queue_nl_dump_start(struct netlink_callback *cb);
int aios_queue_nl_dump(struct sk_buff *skb, struct netlink_callback *cb);
int aios_queue_nl_task_start(struct netlink_callback *cb);
int aios_queue_nl_task_dump(struct sk_buff *skb, struct netlink_callback *cb);
void aios_queue_nl_notify(u8 cmd, const struct aios_queue_info *qi);
void aios_queue_nl_notify_task(const struct aios_task_info *ti);

extern const struct aios_subsys aios_queue_subsys;

#endif /* _AIOS_QUEUE_H */
