// SPDX-License-Identifier: GPL-2.0
/*
 * aios: GPU devices and claims.
 *
 * An admin registers devices (id, name, character device node); the
 * kernel resolves the node's major:minor.  An agent with ACCESS_GPU
 * claims a device, or any device, with a priority class and gets a
 * handle.  A claim of a higher class than the holder's preempts it: the
 * holder is sent the signal it chose and a netlink event, keeps the
 * device for its grace period, then loses it (revoke).  Everybody else
 * waits in a line per device ordered by class, then arrival; claims for
 * "any" device wait in one more such line that is merged with the
 * device's own whenever a device becomes free.
 *
 * Locking: aios_gpu_lock (a mutex) protects everything here: the device
 * table, the claim table, every claim's mutable state and queue linkage,
 * the wait lines and the statistics.  It is held across audit records
 * and netlink notifications (both may sleep, neither calls back into
 * this file), so that events leave in the order the state changed.  Lock
 * order: aios_gpu_lock, then the audit and netlink internals; it is
 * never taken under a spinlock.  Each device has one hrtimer for the
 * deadline of the preemption in progress; its callback only queues the
 * device's revoke work on aios_gpu_wq (high priority), which takes the
 * mutex and re-checks the state, so a timer that fires after the holder
 * released, or after a newer preemption re-armed it, does nothing.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "aios.h"
#include "gpu.h"

/* ---- module parameters ------------------------------------------------ */

static unsigned int aios_gpu_default_grace_ms = 1000;
static unsigned int aios_gpu_max_grace_ms = 60000;
static int aios_gpu_revoke_signal = SIGTERM;
static unsigned int aios_gpu_max_claims = 64;

module_param_named(gpu_default_grace_ms, aios_gpu_default_grace_ms, uint,
		   0444);
MODULE_PARM_DESC(gpu_default_grace_ms,
		 "grace of a preempted claim when neither the claim nor its device sets one (default 1000, at most gpu_max_grace_ms)");
module_param_named(gpu_max_grace_ms, aios_gpu_max_grace_ms, uint, 0444);
MODULE_PARM_DESC(gpu_max_grace_ms,
		 "largest grace a device or claim may ask for, 1..3600000 (default 60000)");
module_param_named(gpu_revoke_signal, aios_gpu_revoke_signal, int, 0444);
MODULE_PARM_DESC(gpu_revoke_signal,
		 "signal sent to the process group of a holder that still holds its claim when the grace runs out; 0 = none (default 15, SIGTERM)");
module_param_named(gpu_max_claims, aios_gpu_max_claims, uint, 0444);
MODULE_PARM_DESC(gpu_max_claims,
		 "claims (held, waiting, or revoked and not yet released) one agent may have, 1..65536 (default 64)");

#define AIOS_GPU_MAX_DEVICES	256
#define AIOS_GPU_UTIL_SLOTS	60		/* one per second */

/* ---- data --------------------------------------------------------------- */

/*
 * Busy time over the last AIOS_GPU_UTIL_SLOTS seconds: slot i holds the
 * nanoseconds of second sec[i] (CLOCK_MONOTONIC) that were claimed.
 * Time of a hold still in progress is added when read.
 */
struct aios_gpu_util {
	u64 sec[AIOS_GPU_UTIL_SLOTS];
	u64 busy_ns[AIOS_GPU_UTIL_SLOTS];
	u64 start_ns;		/* the window never starts before this */
};

struct aios_gpu_dev;

struct aios_claim {
	struct kref ref;	/* claim table + a thread waiting in CLAIM */
	u64 handle;		/* immutable, never 0 */
	struct aios_agent *agent;	/* immutable, referenced */
	u32 prio;		/* immutable */
	int signal;		/* immutable: sent when preempted */
	u32 grace_ms;		/* immutable: 0 = the device's default */
	u64 seq;		/* immutable: arrival order */
	/* The rest is protected by aios_gpu_lock. */
	u32 state;		/* enum aios_gpu_state */
	bool in_table;		/* in aios_gpu_claims */
	bool claiming;		/* its CLAIM ioctl has not returned yet */
	int wait_err;		/* why a wait ended without the device */
	u32 dev_id;		/* device held or waited for (0: any) */
	struct aios_gpu_dev *dev;	/* held or waited for; else NULL */
	struct list_head wait_node;	/* in a wait line while WAITING */
	u64 since_ns;		/* CLOCK_MONOTONIC: granted */
	u64 deadline_ns;	/* CLOCK_MONOTONIC: revoke, when PREEMPTING */
	wait_queue_head_t wq;	/* the sleeping claimant; woken locklessly */
};

struct aios_gpu_dev {
	u32 id;			/* immutable */
	u32 major, minor;	/* immutable */
	u32 grace_ms;		/* immutable: 0 = module default */
	char name[AIOS_GPU_NAME_MAX];	/* immutable */
	char path[AIOS_GPU_PATH_MAX];	/* immutable */
	/* The rest is protected by aios_gpu_lock. */
	struct aios_claim *holder;	/* NULL: free */
	struct list_head waiters;	/* claims in line, best first */
	u32 nwaiters;
	u64 claims;		/* grants so far */
	u64 preemptions;	/* holders notified so far */
	struct aios_gpu_util util;
	/* Deadline of the preemption in progress; see the top comment. */
	struct hrtimer timer;
	struct work_struct revoke_work;
};

/* Per-agent statistics, from the agent's first claim to its removal. */
struct aios_gpu_agent {
	u64 claims;		/* grants */
	u32 nclaims;		/* claim objects it has now */
	struct aios_gpu_util util;
};

/* See the top comment: protects everything below and all of the above. */
static DEFINE_MUTEX(aios_gpu_lock);
/* Devices by id. */
static DEFINE_XARRAY(aios_gpu_devs);
/* Claims by handle. */
static DEFINE_XARRAY(aios_gpu_claims);
/* struct aios_gpu_agent by agent id. */
static DEFINE_XARRAY(aios_gpu_agents);
/* Claims for any device, best first. */
static LIST_HEAD(aios_gpu_any);
static u32 aios_gpu_ndevs;
static u64 aios_gpu_last_handle;
static u64 aios_gpu_last_seq;

static struct workqueue_struct *aios_gpu_wq;

static u64 aios_gpu_now(void)
{
	return ktime_get_ns();
}

/* ---- utilization ---------------------------------------------------------- */

/* Account [@start, @end) as busy; only the last window is kept. */
static void aios_gpu_util_add(struct aios_gpu_util *u, u64 start, u64 end)
{
	u64 keep = (u64)(AIOS_GPU_UTIL_SLOTS + 1) * NSEC_PER_SEC;
	u64 s, hi;
	u32 i;

	if (end > keep && start < end - keep)
		start = end - keep;
	while (start < end) {
		s = div_u64(start, NSEC_PER_SEC);
		hi = min(end, (s + 1) * NSEC_PER_SEC);
		div_u64_rem(s, AIOS_GPU_UTIL_SLOTS, &i);
		if (u->sec[i] != s) {
			u->sec[i] = s;
			u->busy_ns[i] = 0;
		}
		u->busy_ns[i] += hi - start;
		start = hi;
	}
}

/*
 * The window ending at @now: from the start of the second 59 seconds
 * before the current one (or from when counting began, if later).
 * Returns the busy nanoseconds recorded in it and sets *@win_start.
 */
static u64 aios_gpu_util_busy(const struct aios_gpu_util *u, u64 now,
			      u64 *win_start)
{
	u64 cur = div_u64(now, NSEC_PER_SEC);
	u64 first = cur >= AIOS_GPU_UTIL_SLOTS - 1 ?
		    cur - (AIOS_GPU_UTIL_SLOTS - 1) : 0;
	u64 busy = 0;
	int i;

	*win_start = max(first * NSEC_PER_SEC, u->start_ns);
	for (i = 0; i < AIOS_GPU_UTIL_SLOTS; i++)
		if (u->sec[i] >= first && u->sec[i] <= cur)
			busy += u->busy_ns[i];
	return busy;
}

/* Time of a hold since @since that falls in the window. */
static u64 aios_gpu_util_open(u64 since, u64 win_start, u64 now)
{
	since = max(since, win_start);
	return now > since ? now - since : 0;
}

static u32 aios_gpu_ppm(u64 busy, u64 win_start, u64 now)
{
	if (now <= win_start)
		return 0;
	return (u32)min_t(u64, div64_u64(busy * 1000000ULL, now - win_start),
			  U32_MAX);
}

static u32 aios_gpu_window_ms(u64 win_start, u64 now)
{
	return now > win_start ? (u32)div_u64(now - win_start, NSEC_PER_MSEC) :
				 0;
}

static struct aios_gpu_agent *aios_gpu_agent_stats(u64 id, bool create)
{
	struct aios_gpu_agent *s;

	lockdep_assert_held(&aios_gpu_lock);
	s = xa_load(&aios_gpu_agents, id);
	if (s || !create)
		return s;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	s->util.start_ns = aios_gpu_now();
	if (xa_err(xa_store(&aios_gpu_agents, id, s, GFP_KERNEL_ACCOUNT))) {
		kfree(s);
		return NULL;
	}
	return s;
}

/* ---- claims ------------------------------------------------------------- */

static void aios_gpu_claim_free(struct kref *ref)
{
	struct aios_claim *c = container_of(ref, struct aios_claim, ref);

	aios_agent_put(c->agent);
	kfree(c);
}

static void aios_gpu_claim_put(struct aios_claim *c)
{
	kref_put(&c->ref, aios_gpu_claim_free);
}

/* Does @a come before @b in a wait line? */
static bool aios_gpu_before(const struct aios_claim *a,
			    const struct aios_claim *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq);
}

static void aios_gpu_enqueue(struct list_head *line, struct aios_claim *c)
{
	struct aios_claim *w;

	list_for_each_entry(w, line, wait_node) {
		if (aios_gpu_before(c, w)) {
			list_add_tail(&c->wait_node, &w->wait_node);
			return;
		}
	}
	list_add_tail(&c->wait_node, line);
}

static void aios_gpu_wait_on(struct aios_gpu_dev *dev,
			     struct aios_claim *c)
{
	WRITE_ONCE(c->state, AIOS_GPU_WAITING);
	c->dev = dev;
	if (dev) {
		c->dev_id = dev->id;
		aios_gpu_enqueue(&dev->waiters, c);
		dev->nwaiters++;
	} else {
		aios_gpu_enqueue(&aios_gpu_any, c);
	}
}

static void aios_gpu_unwait(struct aios_claim *c)
{
	list_del_init(&c->wait_node);
	if (c->dev)
		c->dev->nwaiters--;
	c->dev = NULL;
}

/* Take a claim out of the claim table (it may live on while referenced). */
static void aios_gpu_forget(struct aios_claim *c)
{
	struct aios_gpu_agent *s;

	if (!c->in_table)
		return;
	c->in_table = false;
	xa_erase(&aios_gpu_claims, c->handle);
	s = aios_gpu_agent_stats(c->agent->id, false);
	if (s)
		s->nclaims--;
	aios_gpu_claim_put(c);
}

/* ---- events --------------------------------------------------------------- */

static int aios_gpu_put_claim(struct sk_buff *skb, struct aios_claim *c,
			      struct pid_namespace *pidns)
{
	if (nla_put_u64_64bit(skb, AIOS_GPU_A_OWNER_ID, c->agent->id,
			      AIOS_GPU_A_PAD) ||
	    nla_put_u32(skb, AIOS_GPU_A_OWNER_PID,
			pid_nr_ns(c->agent->pid, pidns)) ||
	    nla_put_u32(skb, AIOS_GPU_A_PRIO, c->prio) ||
	    nla_put_u64_64bit(skb, AIOS_GPU_A_HANDLE, c->handle,
			      AIOS_GPU_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_GPU_A_SINCE_NS, c->since_ns,
			      AIOS_GPU_A_PAD))
		return -EMSGSIZE;
	if (c->state == AIOS_GPU_PREEMPTING &&
	    nla_put_u64_64bit(skb, AIOS_GPU_A_DEADLINE_NS, c->deadline_ns,
			      AIOS_GPU_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * One AIOS_A_GPU nest describing @dev.  With @c (an event), the state and
 * owner are those of that claim; otherwise of the device and its holder,
 * plus utilization and counters.
 */
static int aios_gpu_put_dev(struct sk_buff *skb, struct aios_gpu_dev *dev,
			    struct aios_claim *c,
			    struct pid_namespace *pidns)
{
	struct aios_claim *h = c ?: dev->holder;
	struct nlattr *nest;
	u64 now, busy, win;
	u32 state;

	lockdep_assert_held(&aios_gpu_lock);
	nest = nla_nest_start(skb, AIOS_A_GPU);
	if (!nest)
		return -EMSGSIZE;
	state = h ? h->state : AIOS_GPU_FREE;
	if (nla_put_u32(skb, AIOS_GPU_A_ID, dev->id) ||
	    nla_put_string(skb, AIOS_GPU_A_NAME, dev->name) ||
	    nla_put_string(skb, AIOS_GPU_A_PATH, dev->path) ||
	    nla_put_u32(skb, AIOS_GPU_A_MAJOR, dev->major) ||
	    nla_put_u32(skb, AIOS_GPU_A_MINOR, dev->minor) ||
	    nla_put_u32(skb, AIOS_GPU_A_GRACE_MS,
			dev->grace_ms ?: aios_gpu_default_grace_ms) ||
	    nla_put_u32(skb, AIOS_GPU_A_STATE, state) ||
	    nla_put_u32(skb, AIOS_GPU_A_WAITERS, dev->nwaiters))
		goto nla_put_failure;
	if (h && aios_gpu_put_claim(skb, h, pidns))
		goto nla_put_failure;
	if (!c) {
		now = aios_gpu_now();
		busy = aios_gpu_util_busy(&dev->util, now, &win);
		if (h)
			busy += aios_gpu_util_open(h->since_ns, win, now);
		if (nla_put_u32(skb, AIOS_GPU_A_UTIL_PPM,
				min_t(u32, aios_gpu_ppm(busy, win, now),
				      1000000)) ||
		    nla_put_u32(skb, AIOS_GPU_A_UTIL_WINDOW_MS,
				aios_gpu_window_ms(win, now)) ||
		    nla_put_u64_64bit(skb, AIOS_GPU_A_CLAIMS, dev->claims,
				      AIOS_GPU_A_PAD) ||
		    nla_put_u64_64bit(skb, AIOS_GPU_A_PREEMPTIONS,
				      dev->preemptions, AIOS_GPU_A_PAD))
			goto nla_put_failure;
	}
	nla_nest_end(skb, nest);
	return 0;

nla_put_failure:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Multicast AIOS_CMD_NTF_GPU_* about claim @c of @dev on "events". */
static void aios_gpu_notify(u8 cmd, struct aios_gpu_dev *dev,
			    struct aios_claim *c)
{
	struct sk_buff *skb;
	void *hdr;

	if (!aios_nl_events_wanted())
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = aios_nl_put(skb, 0, 0, 0, cmd);
	if (!hdr || aios_gpu_put_dev(skb, dev, c, &init_pid_ns)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	aios_nl_events_send(skb);
}

/* ---- state changes (all under aios_gpu_lock) --------------------------- */

/* Give @dev to @c, which is waiting for it or for any device. */
static void aios_gpu_grant(struct aios_gpu_dev *dev, struct aios_claim *c)
{
	struct aios_gpu_agent *s;
	struct aios_ctx ctx;

	lockdep_assert_held(&aios_gpu_lock);
	if (c->state == AIOS_GPU_WAITING)
		aios_gpu_unwait(c);
	WRITE_ONCE(c->state, AIOS_GPU_HELD);
	c->dev = dev;
	c->dev_id = dev->id;
	c->since_ns = aios_gpu_now();
	c->deadline_ns = 0;
	dev->holder = c;
	dev->claims++;
	s = aios_gpu_agent_stats(c->agent->id, false);
	if (s)
		s->claims++;
	aios_gpu_notify(AIOS_CMD_NTF_GPU_CLAIM, dev, c);
	if (c->claiming) {
		/* Its CLAIM ioctl writes the audit record when it returns. */
		wake_up(&c->wq);
	} else {
		/* A claim that returned EINPROGRESS: nobody else will. */
		aios_ctx_init(&ctx, NULL, NULL, NULL);
		aios_audit_log_as(&ctx, c->agent->id, AIOS_OP_GPU_CLAIM,
				  dev->id, 0, AIOS_CAP_ACCESS_GPU);
	}
}

/* The best claim in line for @dev: its own line merged with "any". */
static struct aios_claim *aios_gpu_next(struct aios_gpu_dev *dev)
{
	struct aios_claim *a, *b;

	a = list_first_entry_or_null(&dev->waiters, struct aios_claim,
				     wait_node);
	b = list_first_entry_or_null(&aios_gpu_any, struct aios_claim,
				     wait_node);
	if (!a || !b)
		return a ?: b;
	return aios_gpu_before(a, b) ? a : b;
}

/* @dev just became free: hand it to the next in line, if any. */
static void aios_gpu_handover(struct aios_gpu_dev *dev)
{
	struct aios_claim *next = aios_gpu_next(dev);

	if (next)
		aios_gpu_grant(dev, next);
}

/*
 * The holder @c of @dev gives the device up (release, revoke, death):
 * account its time and clear the holder.  The caller hands over.
 */
static void aios_gpu_drop(struct aios_gpu_dev *dev, struct aios_claim *c,
			  u32 state)
{
	struct aios_gpu_agent *s;
	u64 now = aios_gpu_now();

	lockdep_assert_held(&aios_gpu_lock);
	aios_gpu_util_add(&dev->util, c->since_ns, now);
	s = aios_gpu_agent_stats(c->agent->id, false);
	if (s)
		aios_gpu_util_add(&s->util, c->since_ns, now);
	WRITE_ONCE(c->state, state);
	c->dev = NULL;
	dev->holder = NULL;
}

/* Notify the holder of @dev that it is being preempted. */
static void aios_gpu_preempt(struct aios_ctx *ctx, struct aios_gpu_dev *dev)
{
	struct aios_claim *h = dev->holder;
	u32 grace;

	lockdep_assert_held(&aios_gpu_lock);
	grace = h->grace_ms ?: dev->grace_ms ?: aios_gpu_default_grace_ms;
	WRITE_ONCE(h->state, AIOS_GPU_PREEMPTING);
	h->deadline_ns = aios_gpu_now() + (u64)grace * NSEC_PER_MSEC;
	dev->preemptions++;
	hrtimer_start(&dev->timer, ns_to_ktime(h->deadline_ns),
		      HRTIMER_MODE_ABS);
	if (h->signal)
		kill_pid(h->agent->pid, h->signal, 1);
	aios_gpu_notify(AIOS_CMD_NTF_GPU_PREEMPT, dev, h);
	aios_audit_log(ctx, AIOS_OP_GPU_PREEMPT, dev->id, 0,
		       AIOS_CAP_ACCESS_GPU);
}

/*
 * A claimant left the line of @dev: if nobody in line outranks the
 * holder any more, the preemption in progress is withdrawn (the timer,
 * when it fires, finds the holder HELD and does nothing).
 */
static void aios_gpu_reconsider(struct aios_gpu_dev *dev)
{
	struct aios_claim *h = dev->holder, *first;

	if (!h || h->state != AIOS_GPU_PREEMPTING)
		return;
	first = list_first_entry_or_null(&dev->waiters, struct aios_claim,
					 wait_node);
	if (first && first->prio < h->prio)
		return;
	WRITE_ONCE(h->state, AIOS_GPU_HELD);
	h->deadline_ns = 0;
}

/* Remove a waiting claim from its line. */
static void aios_gpu_withdraw(struct aios_claim *c)
{
	struct aios_gpu_dev *dev = c->dev;

	aios_gpu_unwait(c);
	if (dev)
		aios_gpu_reconsider(dev);
}

/* Signal the process group of @a's process (a holder that kept on). */
static void aios_gpu_signal_pgrp(struct aios_agent *a, int sig)
{
	struct task_struct *task;
	struct pid *pgrp = NULL;

	rcu_read_lock();
	task = pid_task(a->pid, PIDTYPE_TGID);
	if (task)
		pgrp = get_pid(task_pgrp(task));
	rcu_read_unlock();
	if (pgrp) {
		kill_pgrp(pgrp, sig, 1);
		put_pid(pgrp);
	}
}

static void aios_gpu_revoke_fn(struct work_struct *work)
{
	struct aios_gpu_dev *dev = container_of(work, struct aios_gpu_dev,
						revoke_work);
	struct aios_claim *h;
	struct aios_ctx ctx;

	mutex_lock(&aios_gpu_lock);
	h = dev->holder;
	if (!h || h->state != AIOS_GPU_PREEMPTING ||
	    aios_gpu_now() < h->deadline_ns)
		goto out;
	aios_gpu_drop(dev, h, AIOS_GPU_REVOKED);
	aios_gpu_notify(AIOS_CMD_NTF_GPU_REVOKE, dev, h);
	aios_ctx_init(&ctx, NULL, NULL, NULL);
	aios_audit_log_as(&ctx, h->agent->id, AIOS_OP_GPU_REVOKE, dev->id, 0,
			  0);
	if (aios_gpu_revoke_signal)
		aios_gpu_signal_pgrp(h->agent, aios_gpu_revoke_signal);
	aios_gpu_handover(dev);
out:
	mutex_unlock(&aios_gpu_lock);
}

static enum hrtimer_restart aios_gpu_timer_fn(struct hrtimer *t)
{
	struct aios_gpu_dev *dev = container_of(t, struct aios_gpu_dev, timer);

	queue_work(aios_gpu_wq, &dev->revoke_work);
	return HRTIMER_NORESTART;
}

/* ---- ioctls ----------------------------------------------------------------- */

static bool aios_gpu_reserved_zero(const u64 *r, size_t n)
{
	while (n--)
		if (*r++)
			return false;
	return true;
}

/* Is holder @h a better victim for an "any" claim than @b? */
static bool aios_gpu_victim_better(const struct aios_claim *h,
				   const struct aios_claim *b)
{
	bool hp = h->state == AIOS_GPU_PREEMPTING;
	bool bp = b->state == AIOS_GPU_PREEMPTING;

	/* Lowest class; then one not yet preempted; then held longest. */
	if (h->prio != b->prio)
		return h->prio > b->prio;
	if (hp != bp)
		return !hp;
	return h->since_ns < b->since_ns;
}

/* The held device whose holder is the best victim below @prio. */
static struct aios_gpu_dev *aios_gpu_victim(u32 prio)
{
	struct aios_gpu_dev *dev, *best = NULL;
	unsigned long id;

	xa_for_each(&aios_gpu_devs, id, dev) {
		if (!dev->holder || dev->holder->prio <= prio)
			continue;
		if (!best || aios_gpu_victim_better(dev->holder, best->holder))
			best = dev;
	}
	return best;
}

static struct aios_gpu_dev *aios_gpu_first_free(void)
{
	struct aios_gpu_dev *dev;
	unsigned long id;

	xa_for_each(&aios_gpu_devs, id, dev)
		if (!dev->holder)
			return dev;
	return NULL;
}

/*
 * Place the new claim @c: grant it, queue it (possibly preempting), or
 * refuse.  Returns 0 when granted, 1 when queued, or a negative errno.
 */
static int aios_gpu_place(struct aios_ctx *ctx, struct aios_claim *c,
			  u32 device_id, bool nonblock)
{
	struct aios_gpu_dev *dev;

	if (device_id) {
		dev = xa_load(&aios_gpu_devs, device_id);
		if (!dev)
			return -ENOENT;
		if (!dev->holder) {
			aios_gpu_grant(dev, c);
			return 0;
		}
		if (c->prio < dev->holder->prio) {
			if (dev->holder->state == AIOS_GPU_HELD)
				aios_gpu_preempt(ctx, dev);
			aios_gpu_wait_on(dev, c);
			return 1;
		}
		if (nonblock)
			return -EBUSY;
		aios_gpu_wait_on(dev, c);
		return 1;
	}

	if (!aios_gpu_ndevs)
		return -ENOENT;
	dev = aios_gpu_first_free();
	if (dev) {
		aios_gpu_grant(dev, c);
		return 0;
	}
	dev = aios_gpu_victim(c->prio);
	if (dev) {
		if (dev->holder->state == AIOS_GPU_HELD)
			aios_gpu_preempt(ctx, dev);
		aios_gpu_wait_on(dev, c);
		return 1;
	}
	if (nonblock)
		return -EBUSY;
	aios_gpu_wait_on(NULL, c);
	return 1;
}

/* Read without aios_gpu_lock: has a wait in CLAIM ended? */
static bool aios_gpu_woken(struct aios_claim *c)
{
	return READ_ONCE(c->state) != AIOS_GPU_WAITING ||
	       READ_ONCE(c->wait_err);
}

static int aios_gpu_claim_check(struct aios_gpu_claim *u)
{
	if ((u->flags & ~AIOS_CLAIM_FLAGS) ||
	    !aios_gpu_reserved_zero(u->reserved, ARRAY_SIZE(u->reserved)))
		return -EINVAL;
	if (u->flags & AIOS_CLAIM_PRIO ? u->prio > AIOS_PRIO_LOW : u->prio)
		return -EINVAL;
	if (u->signal < 0 || u->signal >= _NSIG)
		return -EINVAL;
	if (u->grace_ms > aios_gpu_max_grace_ms)
		return -EINVAL;
	if (u->timeout_ms < -1)
		return -EINVAL;
	return 0;
}

/**
 * aios_gpu_ioc_claim - AIOS_IOC_GPU_CLAIM
 * @ctx: operation, with the caller agent
 * @u: the argument (kernel copy); handle and claimed_id are filled in
 * @copy_on_error: set when @u must be copied back although failing
 *
 * Audited once as AIOS_OP_GPU_CLAIM with the outcome (a claim granted
 * after it returned EINPROGRESS is audited when granted).
 */
int aios_gpu_ioc_claim(struct aios_ctx *ctx, struct aios_gpu_claim *u,
		       bool *copy_on_error)
{
	struct aios_agent *a = ctx->caller;
	bool nonblock = u->flags & AIOS_CLAIM_NONBLOCK;
	struct aios_gpu_agent *s;
	struct aios_claim *c;
	long tmo, left;
	int ret;

	ret = aios_gpu_claim_check(u);
	if (ret)
		return ret;
	ret = aios_require_caps(ctx, AIOS_OP_GPU_CLAIM, u->device_id,
				AIOS_CAP_ACCESS_GPU);
	if (ret)
		return ret;
	if ((u->flags & AIOS_CLAIM_PRIO) && u->prio < a->prio)
		return aios_deny(ctx, AIOS_OP_GPU_CLAIM, u->device_id, 0,
				 "claim class above the agent's");

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	kref_init(&c->ref);
	init_waitqueue_head(&c->wq);
	INIT_LIST_HEAD(&c->wait_node);
	aios_agent_get(a);
	c->agent = a;
	c->prio = (u->flags & AIOS_CLAIM_PRIO) ? u->prio : a->prio;
	c->signal = u->signal;
	c->grace_ms = u->grace_ms;
	c->dev_id = u->device_id;

	mutex_lock(&aios_gpu_lock);
	/* Killed since the ioctl began: its release hook may have run. */
	if (aios_agent_dead(a)) {
		ret = -ENOLINK;
		goto out_free;
	}
	s = aios_gpu_agent_stats(a->id, true);
	if (!s) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (s->nclaims >= aios_gpu_max_claims) {
		ret = -ENOSPC;
		goto out_free;
	}
	c->handle = ++aios_gpu_last_handle;
	c->seq = ++aios_gpu_last_seq;
	ret = xa_err(xa_store(&aios_gpu_claims, c->handle, c,
			      GFP_KERNEL_ACCOUNT));
	if (ret)
		goto out_free;
	/* The initial reference is the table's; take one for this call. */
	c->in_table = true;
	s->nclaims++;
	kref_get(&c->ref);
	c->claiming = true;

	ret = aios_gpu_place(ctx, c, u->device_id, nonblock);
	if (ret < 0) {
		aios_gpu_forget(c);
		goto out_audit;
	}
	u->handle = c->handle;
	u->claimed_id = c->dev_id;
	if (ret == 0)
		goto out_audit;
	if (nonblock) {
		/* Queued behind a preemption it started: poll with QUERY. */
		c->claiming = false;
		*copy_on_error = true;
		ret = -EINPROGRESS;
		goto out_audit;
	}

	tmo = u->timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
				  msecs_to_jiffies(u->timeout_ms);
	mutex_unlock(&aios_gpu_lock);
	left = wait_event_interruptible_timeout(c->wq, aios_gpu_woken(c), tmo);
	mutex_lock(&aios_gpu_lock);
	if (c->wait_err) {
		ret = c->wait_err;
	} else if (c->state == AIOS_GPU_WAITING) {
		aios_gpu_withdraw(c);
		aios_gpu_forget(c);
		ret = left < 0 ? -EINTR : -ETIMEDOUT;
	} else {
		ret = 0;
		u->claimed_id = c->dev_id;
	}
out_audit:
	c->claiming = false;
	aios_audit_log(ctx, AIOS_OP_GPU_CLAIM, c->dev_id, ret,
		       AIOS_CAP_ACCESS_GPU);
	mutex_unlock(&aios_gpu_lock);
	aios_gpu_claim_put(c);
	return ret;

out_free:
	mutex_unlock(&aios_gpu_lock);
	aios_audit_log(ctx, AIOS_OP_GPU_CLAIM, u->device_id, ret,
		       AIOS_CAP_ACCESS_GPU);
	aios_gpu_claim_put(c);
	return ret;
}

/*
 * Look up a claim of the caller: 0, -EINVAL (unknown or released) or
 * -EPERM (another agent's; *@out is set to it).
 */
static int aios_gpu_own_claim(struct aios_ctx *ctx, u64 handle,
			      struct aios_claim **out)
{
	struct aios_claim *c = handle ? xa_load(&aios_gpu_claims, handle) :
					    NULL;

	*out = c;
	if (!c)
		return -EINVAL;
	return c->agent == ctx->caller ? 0 : -EPERM;
}

int aios_gpu_ioc_release(struct aios_ctx *ctx, struct aios_gpu_release *u)
{
	struct aios_claim *c;
	struct aios_gpu_dev *dev;
	int ret = 0;

	if (u->flags ||
	    !aios_gpu_reserved_zero(u->reserved, ARRAY_SIZE(u->reserved)))
		return -EINVAL;

	mutex_lock(&aios_gpu_lock);
	ret = aios_gpu_own_claim(ctx, u->handle, &c);
	if (ret) {
		if (ret == -EPERM) {
			ret = aios_deny(ctx, AIOS_OP_GPU_RELEASE, c->dev_id, 0,
					"claim belongs to another agent");
			goto out;
		}
		aios_audit_log(ctx, AIOS_OP_GPU_RELEASE, 0, ret, 0);
		goto out;
	}
	switch (c->state) {
	case AIOS_GPU_HELD:
	case AIOS_GPU_PREEMPTING:
		dev = c->dev;
		aios_gpu_drop(dev, c, AIOS_GPU_RELEASED);
		aios_gpu_notify(AIOS_CMD_NTF_GPU_RELEASE, dev, c);
		aios_audit_log(ctx, AIOS_OP_GPU_RELEASE, dev->id, 0, 0);
		aios_gpu_handover(dev);
		break;
	case AIOS_GPU_WAITING:
		aios_gpu_withdraw(c);
		WRITE_ONCE(c->state, AIOS_GPU_RELEASED);
		aios_audit_log(ctx, AIOS_OP_GPU_RELEASE, c->dev_id, 0, 0);
		break;
	default:	/* REVOKED: the agent acknowledges it */
		aios_audit_log(ctx, AIOS_OP_GPU_RELEASE, c->dev_id, 0, 0);
		break;
	}
	aios_gpu_forget(c);
out:
	mutex_unlock(&aios_gpu_lock);
	return ret;
}

int aios_gpu_ioc_query(struct aios_ctx *ctx, struct aios_gpu_query *u)
{
	struct aios_claim *c;
	int ret = 0;

	if (u->flags ||
	    !aios_gpu_reserved_zero(u->reserved, ARRAY_SIZE(u->reserved)))
		return -EINVAL;

	mutex_lock(&aios_gpu_lock);
	ret = aios_gpu_own_claim(ctx, u->handle, &c);
	if (ret)
		goto out;
	u->state = c->state;
	u->device_id = c->dev_id;
	u->deadline_ns = c->state == AIOS_GPU_PREEMPTING ? c->deadline_ns : 0;
out:
	mutex_unlock(&aios_gpu_lock);
	return ret;
}

/* ---- agents going away ------------------------------------------------------ */

/*
 * Everything @a had goes: its waiting claims leave their lines first (so
 * that releasing a device cannot hand it to another claim of the same
 * agent), then held devices are released and handed over.  A thread of
 * the agent still sleeping in CLAIM returns ENOLINK.
 */
static void aios_gpu_agent_release(struct aios_agent *a,
				   enum aios_exit_reason why)
{
	struct aios_claim *c;
	struct aios_gpu_dev *dev;
	struct aios_ctx ctx;
	unsigned long h;

	aios_ctx_init(&ctx, NULL, NULL, NULL);
	mutex_lock(&aios_gpu_lock);
	xa_for_each(&aios_gpu_claims, h, c) {
		if (c->agent != a)
			continue;
		if (c->claiming)
			WRITE_ONCE(c->wait_err, -ENOLINK);
		if (c->state == AIOS_GPU_WAITING) {
			aios_gpu_withdraw(c);
			WRITE_ONCE(c->state, AIOS_GPU_RELEASED);
		}
	}
	xa_for_each(&aios_gpu_claims, h, c) {
		if (c->agent != a)
			continue;
		if (c->state == AIOS_GPU_HELD ||
		    c->state == AIOS_GPU_PREEMPTING) {
			dev = c->dev;
			aios_gpu_drop(dev, c, AIOS_GPU_RELEASED);
			aios_gpu_notify(AIOS_CMD_NTF_GPU_RELEASE, dev, c);
			aios_audit_log_as(&ctx, a->id, AIOS_OP_GPU_RELEASE,
					  dev->id, 0, 0);
			aios_gpu_handover(dev);
		}
		if (c->claiming)
			wake_up(&c->wq);
		aios_gpu_forget(c);
	}
	kfree(xa_erase(&aios_gpu_agents, a->id));
	mutex_unlock(&aios_gpu_lock);
}

/* ---- generic netlink ------------------------------------------------------- */

static const struct nla_policy aios_gpu_reg_nest_policy[AIOS_GPU_A_MAX + 1] = {
	[AIOS_GPU_A_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
	[AIOS_GPU_A_NAME]	= { .type = NLA_NUL_STRING,
				    .len = AIOS_GPU_NAME_MAX - 1 },
	[AIOS_GPU_A_PATH]	= { .type = NLA_NUL_STRING,
				    .len = AIOS_GPU_PATH_MAX - 1 },
	[AIOS_GPU_A_GRACE_MS]	= { .type = NLA_U32 },
};

static const struct nla_policy aios_gpu_id_nest_policy[AIOS_GPU_A_MAX + 1] = {
	[AIOS_GPU_A_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
};

const struct nla_policy aios_gpu_nl_register_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_GPU]		= NLA_POLICY_NESTED(aios_gpu_reg_nest_policy),
};

const struct nla_policy aios_gpu_nl_unregister_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_GPU]		= NLA_POLICY_NESTED(aios_gpu_id_nest_policy),
};

const struct nla_policy aios_gpu_nl_get_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
	[AIOS_A_GPU]		= NLA_POLICY_NESTED(aios_gpu_id_nest_policy),
};

/* Parse the AIOS_A_GPU nest (already validated against @policy). */
static int aios_gpu_nl_nest(struct genl_info *info,
			    const struct nla_policy *policy,
			    struct nlattr **tb)
{
	struct nlattr *nest = info->attrs[AIOS_A_GPU];

	if (!nest) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, AIOS_A_GPU);
		NL_SET_ERR_MSG(info->extack, "AIOS_A_GPU nest required");
		return -EINVAL;
	}
	return nla_parse_nested(tb, AIOS_GPU_A_MAX, nest, policy, info->extack);
}

static int aios_gpu_nl_need(struct genl_info *info, struct nlattr **tb,
			    int type, const char *msg)
{
	if (tb[type])
		return 0;
	NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[AIOS_A_GPU], type);
	aios_extack_msg(info->extack, msg);
	return -EINVAL;
}

/* Printable ASCII, non-empty (length bounded by the policy). */
static bool aios_gpu_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/*
 * Resolve a device node: an absolute path to a character device.
 * Errors: whatever the path walk says (ENOENT, ENOTDIR, EACCES, ELOOP,
 * ...), or ENODEV when the file is not a character device node.
 */
static int aios_gpu_resolve(const char *path, u32 *major, u32 *minor,
			    struct netlink_ext_ack *extack)
{
	struct inode *inode;
	struct path p;
	int ret;

	if (path[0] != '/') {
		NL_SET_ERR_MSG(extack, "device node path must be absolute");
		return -EINVAL;
	}
	ret = kern_path(path, LOOKUP_FOLLOW, &p);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot look up the device node path");
		return ret;
	}
	inode = d_backing_inode(p.dentry);
	if (!S_ISCHR(inode->i_mode)) {
		NL_SET_ERR_MSG(extack, "path is not a character device node");
		ret = -ENODEV;
	} else {
		*major = MAJOR(inode->i_rdev);
		*minor = MINOR(inode->i_rdev);
	}
	path_put(&p);
	return ret;
}

static int aios_gpu_add(struct aios_gpu_dev *dev,
			struct netlink_ext_ack *extack)
{
	struct aios_gpu_dev *d;
	unsigned long id;
	int ret;

	lockdep_assert_held(&aios_gpu_lock);
	if (xa_load(&aios_gpu_devs, dev->id)) {
		NL_SET_ERR_MSG(extack, "device id already registered");
		return -EEXIST;
	}
	xa_for_each(&aios_gpu_devs, id, d) {
		if (d->major == dev->major && d->minor == dev->minor) {
			NL_SET_ERR_MSG(extack,
				       "device node already registered under another id");
			return -EEXIST;
		}
	}
	if (aios_gpu_ndevs >= AIOS_GPU_MAX_DEVICES) {
		NL_SET_ERR_MSG(extack, "too many devices registered");
		return -ENOSPC;
	}
	ret = xa_insert(&aios_gpu_devs, dev->id, dev, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	aios_gpu_ndevs++;
	/* A claim for any device may be waiting for this one. */
	aios_gpu_handover(dev);
	return 0;
}

int aios_gpu_nl_register(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[AIOS_GPU_A_MAX + 1];
	struct aios_gpu_dev *dev = NULL;
	struct aios_agent *caller;
	struct aios_ctx ctx;
	u32 id, grace = 0;
	int ret;

	ret = aios_gpu_nl_nest(info, aios_gpu_reg_nest_policy, tb);
	if (ret)
		return ret;
	if (aios_gpu_nl_need(info, tb, AIOS_GPU_A_ID, "AIOS_GPU_A_ID required") ||
	    aios_gpu_nl_need(info, tb, AIOS_GPU_A_NAME,
			     "AIOS_GPU_A_NAME required") ||
	    aios_gpu_nl_need(info, tb, AIOS_GPU_A_PATH,
			     "AIOS_GPU_A_PATH required"))
		return -EINVAL;
	id = nla_get_u32(tb[AIOS_GPU_A_ID]);
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	if (!aios_ctx_admin(&ctx)) {
		ret = aios_deny(&ctx, AIOS_OP_GPU_REGISTER, id, AIOS_CAP_ADMIN,
				"ADMIN required");
		goto out;
	}

	if (tb[AIOS_GPU_A_GRACE_MS])
		grace = nla_get_u32(tb[AIOS_GPU_A_GRACE_MS]);
	if (grace > aios_gpu_max_grace_ms) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_GPU_A_GRACE_MS],
				    "grace exceeds the module parameter gpu_max_grace_ms");
		ret = -EINVAL;
		goto out_audit;
	}
	if (!aios_gpu_name_ok(nla_data(tb[AIOS_GPU_A_NAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_GPU_A_NAME],
				    "device name must be non-empty printable ASCII");
		ret = -EINVAL;
		goto out_audit;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev) {
		ret = -ENOMEM;
		goto out_audit;
	}
	dev->id = id;
	dev->grace_ms = grace;
	nla_strscpy(dev->name, tb[AIOS_GPU_A_NAME], sizeof(dev->name));
	nla_strscpy(dev->path, tb[AIOS_GPU_A_PATH], sizeof(dev->path));
	INIT_LIST_HEAD(&dev->waiters);
	hrtimer_init(&dev->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	dev->timer.function = aios_gpu_timer_fn;
	INIT_WORK(&dev->revoke_work, aios_gpu_revoke_fn);
	dev->util.start_ns = aios_gpu_now();
	ret = aios_gpu_resolve(dev->path, &dev->major, &dev->minor,
			       info->extack);
	if (ret)
		goto out_audit;

	mutex_lock(&aios_gpu_lock);
	ret = aios_gpu_add(dev, info->extack);
	if (!ret)
		dev = NULL;
	aios_audit_log(&ctx, AIOS_OP_GPU_REGISTER, id, ret, AIOS_CAP_ADMIN);
	mutex_unlock(&aios_gpu_lock);
	goto out;

out_audit:
	aios_audit_log(&ctx, AIOS_OP_GPU_REGISTER, id, ret, AIOS_CAP_ADMIN);
out:
	kfree(dev);
	aios_agent_put(caller);
	return ret;
}

int aios_gpu_nl_unregister(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[AIOS_GPU_A_MAX + 1];
	struct aios_gpu_dev *dev;
	struct aios_agent *caller;
	struct aios_ctx ctx;
	u32 id;
	int ret;

	ret = aios_gpu_nl_nest(info, aios_gpu_id_nest_policy, tb);
	if (ret)
		return ret;
	if (aios_gpu_nl_need(info, tb, AIOS_GPU_A_ID, "AIOS_GPU_A_ID required"))
		return -EINVAL;
	id = nla_get_u32(tb[AIOS_GPU_A_ID]);
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	if (!aios_ctx_admin(&ctx)) {
		ret = aios_deny(&ctx, AIOS_OP_GPU_UNREGISTER, id,
				AIOS_CAP_ADMIN, "ADMIN required");
		goto out;
	}

	mutex_lock(&aios_gpu_lock);
	dev = xa_load(&aios_gpu_devs, id);
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_GPU_A_ID],
				    "no such device");
		ret = -ENOENT;
	} else if (dev->holder || dev->nwaiters) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_GPU_A_ID],
				    "device is claimed; release it first");
		ret = -EBUSY;
		dev = NULL;
	} else {
		xa_erase(&aios_gpu_devs, id);
		aios_gpu_ndevs--;
	}
	aios_audit_log(&ctx, AIOS_OP_GPU_UNREGISTER, id, ret, AIOS_CAP_ADMIN);
	mutex_unlock(&aios_gpu_lock);

	if (dev) {
		/* A timer of an old preemption may still be pending. */
		hrtimer_cancel(&dev->timer);
		cancel_work_sync(&dev->revoke_work);
		kfree(dev);
	}
out:
	aios_agent_put(caller);
	return ret;
}

/* Per-agent utilization: device time held over the window, in ppm. */
static int aios_gpu_put_agent(struct sk_buff *skb, u64 agent_id)
{
	struct aios_gpu_agent *s = aios_gpu_agent_stats(agent_id, false);
	struct aios_gpu_dev *dev;
	struct nlattr *nest;
	u64 now = aios_gpu_now(), busy = 0, win = now, claims = 0;
	unsigned long id;

	if (s) {
		busy = aios_gpu_util_busy(&s->util, now, &win);
		claims = s->claims;
		xa_for_each(&aios_gpu_devs, id, dev)
			if (dev->holder && dev->holder->agent->id == agent_id)
				busy += aios_gpu_util_open(dev->holder->since_ns,
							   win, now);
	}
	nest = nla_nest_start(skb, AIOS_A_GPU);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, AIOS_GPU_A_OWNER_ID, agent_id,
			      AIOS_GPU_A_PAD) ||
	    nla_put_u32(skb, AIOS_GPU_A_UTIL_PPM, aios_gpu_ppm(busy, win, now)) ||
	    nla_put_u32(skb, AIOS_GPU_A_UTIL_WINDOW_MS,
			aios_gpu_window_ms(win, now)) ||
	    nla_put_u64_64bit(skb, AIOS_GPU_A_CLAIMS, claims, AIOS_GPU_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int aios_gpu_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[AIOS_GPU_A_MAX + 1];
	struct nlattr *agent = info->attrs[AIOS_A_AGENT_ID];
	struct aios_gpu_dev *dev = NULL;
	struct aios_agent *a;
	struct sk_buff *msg;
	u64 agent_id = 0;
	void *hdr;
	int ret;

	if (agent && info->attrs[AIOS_A_GPU]) {
		NL_SET_ERR_MSG(info->extack,
			       "ask for a device (AIOS_A_GPU) or an agent (AIOS_A_AGENT_ID), not both");
		return -EINVAL;
	}
	if (agent) {
		agent_id = nla_get_u64(agent);
	} else {
		ret = aios_gpu_nl_nest(info, aios_gpu_id_nest_policy, tb);
		if (ret)
			return ret;
		if (aios_gpu_nl_need(info, tb, AIOS_GPU_A_ID,
				     "AIOS_GPU_A_ID required"))
			return -EINVAL;
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = aios_nl_put(msg, info->snd_portid, info->snd_seq, 0,
			  AIOS_CMD_GPU_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	mutex_lock(&aios_gpu_lock);
	if (agent) {
		a = aios_agent_lookup(agent_id);
		if (!a && !aios_gpu_agent_stats(agent_id, false)) {
			NL_SET_ERR_MSG_ATTR(info->extack, agent, "no such agent");
			ret = -ESRCH;
		} else {
			ret = aios_gpu_put_agent(msg, agent_id);
		}
		aios_agent_put(a);
	} else {
		dev = xa_load(&aios_gpu_devs, nla_get_u32(tb[AIOS_GPU_A_ID]));
		if (!dev) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_GPU_A_ID],
					    "no such device");
			ret = -ENOENT;
		} else {
			ret = aios_gpu_put_dev(msg, dev, NULL,
					       task_active_pid_ns(current));
		}
	}
	mutex_unlock(&aios_gpu_lock);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return ret;
}

int aios_gpu_nl_get_start(struct netlink_callback *cb)
{
	struct nlattr *attrs[AIOS_A_MAX + 1];
	int ret;

	/* Already validated by the core against the same policy. */
	ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, AIOS_A_MAX,
			  aios_gpu_nl_get_policy, cb->extack);
	if (ret)
		return ret;
	if (attrs[AIOS_A_GPU] || attrs[AIOS_A_AGENT_ID]) {
		NL_SET_ERR_MSG(cb->extack,
			       "a dump lists every device; drop NLM_F_DUMP to get one");
		return -EINVAL;
	}
	cb->args[0] = 0;
	return 0;
}

/* cb->args[0]: the smallest device id not sent yet. */
int aios_gpu_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pid_namespace *pidns = task_active_pid_ns(current);
	struct aios_gpu_dev *dev;
	unsigned long id;
	void *hdr;

	mutex_lock(&aios_gpu_lock);
	xa_for_each_start(&aios_gpu_devs, id, dev, cb->args[0]) {
		hdr = aios_nl_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI,
				  AIOS_CMD_GPU_GET);
		if (!hdr)
			break;
		if (aios_gpu_put_dev(skb, dev, NULL, pidns)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = id + 1;
	}
	mutex_unlock(&aios_gpu_lock);
	return skb->len;
}

/* ---- subsystem ------------------------------------------------------------- */

static int aios_gpu_init(void)
{
	if (!aios_gpu_max_grace_ms || aios_gpu_max_grace_ms > 3600000) {
		pr_err("aios: gpu_max_grace_ms %u is not in 1..3600000\n",
		       aios_gpu_max_grace_ms);
		return -EINVAL;
	}
	if (aios_gpu_default_grace_ms > aios_gpu_max_grace_ms) {
		pr_err("aios: gpu_default_grace_ms %u exceeds gpu_max_grace_ms %u\n",
		       aios_gpu_default_grace_ms, aios_gpu_max_grace_ms);
		return -EINVAL;
	}
	if (aios_gpu_revoke_signal < 0 || aios_gpu_revoke_signal >= _NSIG) {
		pr_err("aios: gpu_revoke_signal %d is not in 0..%d\n",
		       aios_gpu_revoke_signal, _NSIG - 1);
		return -EINVAL;
	}
	if (!aios_gpu_max_claims || aios_gpu_max_claims > 65536) {
		pr_err("aios: gpu_max_claims %u is not in 1..65536\n",
		       aios_gpu_max_claims);
		return -EINVAL;
	}
	aios_gpu_wq = alloc_workqueue("aios_gpu", WQ_HIGHPRI, 0);
	return aios_gpu_wq ? 0 : -ENOMEM;
}

/* Module teardown: no agent is left, so no claim is; free the devices. */
static void aios_gpu_exit(void)
{
	struct aios_gpu_agent *stats;
	struct aios_claim *c;
	struct aios_gpu_dev *dev;
	unsigned long id;

	mutex_lock(&aios_gpu_lock);
	xa_for_each(&aios_gpu_claims, id, c) {
		if (c->state == AIOS_GPU_WAITING)
			aios_gpu_unwait(c);
		else if (c->dev)
			aios_gpu_drop(c->dev, c, AIOS_GPU_RELEASED);
		aios_gpu_forget(c);
	}
	mutex_unlock(&aios_gpu_lock);

	xa_for_each(&aios_gpu_devs, id, dev) {
		hrtimer_cancel(&dev->timer);
		cancel_work_sync(&dev->revoke_work);
	}
	destroy_workqueue(aios_gpu_wq);
	xa_for_each(&aios_gpu_devs, id, dev) {
		xa_erase(&aios_gpu_devs, id);
		kfree(dev);
	}
	xa_for_each(&aios_gpu_agents, id, stats)
		kfree(xa_erase(&aios_gpu_agents, id));
	aios_gpu_ndevs = 0;
}

const struct aios_subsys aios_gpu_subsys = {
	.name = "gpu",
	.init = aios_gpu_init,
	.exit = aios_gpu_exit,
	.agent_release = aios_gpu_agent_release,
};
