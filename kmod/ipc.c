// SPDX-License-Identifier: GPL-2.0
/*
 * aios: typed agent IPC - mailboxes, groups, allow lists.
 *
 * Every agent has a bounded mailbox (module parameters ipc_mbox_max_msgs
 * and ipc_mbox_max_bytes), created on first use.  A message carries the
 * sender's agent id (stamped here, never taken from userspace), an
 * intent, a declared type whose payload is validated before it is
 * queued (ipc_validate.c), an optional correlation id and a timestamp.
 * Payload memory is charged to the receiver's memory cgroup: the
 * mailbox remembers the memcg of the receiver's process when it is
 * created, and every message is allocated inside set_active_memcg() of
 * it, so a chatty sender fills the receiver's budget, which is what
 * bounds the receiver's backlog.
 *
 * Nothing is ever dropped: a full mailbox makes the sender wait (or fail
 * with EAGAIN/ETIMEDOUT); a dead receiver makes it fail with ESRCH, or
 * EPIPE when it died while the sender waited.  Messages already queued
 * by an agent that dies stay deliverable: they belong to the receiver.
 *
 * Lifetime: a mailbox is in aios_mboxes from its creation until the
 * agent's file is released (aios_ipc_file_release()), and referenced by
 * whoever works on it.  When the agent dies (agent_release hook) the
 * mailbox is marked dead, its messages are freed, everybody waiting on
 * it is woken and it leaves its groups; the empty structure stays until
 * the file goes, because pollers of that file may still be queued on
 * its wait queue.
 *
 * Locking, outermost first:
 *  aios_ipc_lock (mutex): insertion into and removal from aios_mboxes,
 *	and replacing a mailbox's allow list.
 *  aios_groups_lock (mutex): the group list, every group's member list
 *	and every mailbox's nr_groups.
 *  aios_mbox.recv_lock (mutex): serialises the receivers of one mailbox
 *	(and its teardown), so that a message found under the spinlock
 *	stays queued while its payload is copied to userspace.
 *  aios_mbox.lock (spinlock): the message list, counters, reservations,
 *	dead and the statistics.  Never held while sleeping, allocating
 *	or copying from/to userspace.
 *
 * Audit: sends are frequent, so only refused ones are written to the
 * audit ring - allow-list denials (EPERM) and rejections (EINVAL for a
 * bad intent, type or payload, EMSGSIZE for an oversized payload).
 * Every allow-list change (AIOS_OP_MSG_POLICY) is audited, allowed or
 * denied.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/atomic.h>
#include <linux/bsearch.h>
#include <linux/list.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "aios.h"
#include "ipc.h"
#include "ipc_validate.h"

/* ---- module parameters ------------------------------------------------- */

static unsigned int aios_ipc_max_msgs = 256;
static unsigned int aios_ipc_max_bytes = 1U << 20;
static unsigned int aios_ipc_max_payload = 64U << 10;
static unsigned int aios_ipc_json_depth = AIOS_VALIDATE_DEPTH_DEFAULT;

module_param_named(ipc_mbox_max_msgs, aios_ipc_max_msgs, uint, 0444);
MODULE_PARM_DESC(ipc_mbox_max_msgs,
		 "messages a mailbox holds at most, 1..1048576 (default 256)");
module_param_named(ipc_mbox_max_bytes, aios_ipc_max_bytes, uint, 0444);
MODULE_PARM_DESC(ipc_mbox_max_bytes,
		 "payload bytes a mailbox holds at most, up to 1 GiB (default 1 MiB)");
module_param_named(ipc_max_payload, aios_ipc_max_payload, uint, 0444);
MODULE_PARM_DESC(ipc_max_payload,
		 "largest payload of one message, at most ipc_mbox_max_bytes (default 64 KiB)");
module_param_named(ipc_json_max_depth, aios_ipc_json_depth, uint, 0444);
MODULE_PARM_DESC(ipc_json_max_depth,
		 "nesting limit of JSON payloads, 1..1024 (default 64)");

#define AIOS_IPC_MSGS_LIMIT	SZ_1M
#define AIOS_IPC_BYTES_LIMIT	SZ_1G
/* Allow-list entries (uapi: count <= 256) and groups per agent. */
#define AIOS_IPC_ALLOW_MAX	256
#define AIOS_IPC_GROUPS_MAX	64

/* ---- data structures -------------------------------------------------- */

struct aios_msg {
	struct list_head node;		/* in aios_mbox.msgs */
	u64 id;
	u64 from;
	u64 correlation_id;
	u64 sent_ns;
	u32 type;
	u32 len;
	char intent[AIOS_INTENT_MAX];
	/* the payload: in data[] when small, else its own allocation */
	u8 *payload;
	u8 data[];
};

/* Payloads up to this size live in the message itself. */
#define AIOS_MSG_INLINE_MAX	(PAGE_SIZE - sizeof(struct aios_msg))

/* Sorted agent ids an agent may send to; replaced as a whole (RCU). */
struct aios_allow {
	struct rcu_head rcu;
	u32 count;
	u64 ids[];
};

struct aios_mbox {
	refcount_t ref;
	u64 agent_id;			/* immutable */
	struct mem_cgroup *memcg;	/* immutable, referenced, or NULL */

	spinlock_t lock;		/* see the top of the file */
	struct list_head msgs;		/* oldest first */
	u32 count;			/* messages in msgs */
	u64 bytes;			/* their payload bytes */
	u32 rcount;			/* reserved by group sends in flight */
	u64 rbytes;
	u64 seq;			/* bumped for every message queued */
	bool dead;			/* the agent is gone */
	u64 received, taken, full, rejected;

	atomic64_t sent;		/* messages this agent delivered */
	struct mutex recv_lock;		/* see the top of the file */
	/* Receivers and pollers: a message arrived, or the mailbox died. */
	wait_queue_head_t recv_wq;
	/* Senders waiting for room, or for the mailbox to die. */
	wait_queue_head_t send_wq;
	/* NULL: may send to anyone.  Written under aios_ipc_lock. */
	struct aios_allow __rcu *allow;
	u32 nr_groups;			/* under aios_groups_lock */
	struct rcu_head rcu;
};

struct aios_group_member {
	struct list_head node;		/* in aios_group.members */
	struct aios_mbox *mb;		/* referenced */
};

struct aios_group {
	struct list_head node;		/* in aios_groups */
	char name[AIOS_GROUP_NAME_MAX];
	struct list_head members;
	u32 nr;
};

/* Mailboxes by agent id; lookups under RCU, changes under aios_ipc_lock. */
static DEFINE_XARRAY(aios_mboxes);
static DEFINE_MUTEX(aios_ipc_lock);

/* Groups that have members; protected by aios_groups_lock. */
static LIST_HEAD(aios_groups);
static DEFINE_MUTEX(aios_groups_lock);

/* Last message id handed out; ids start at 1. */
static atomic64_t aios_msg_ids = ATOMIC64_INIT(0);

static const char *const aios_msg_type_names[] = {
	[AIOS_MSG_TEXT] = "TEXT",
	[AIOS_MSG_NUMBER] = "NUMBER",
	[AIOS_MSG_JSON] = "JSON",
	[AIOS_MSG_BINARY] = "BINARY",
};

/* AIOS_POLL_MSG is POLLMSG, which the kernel spells EPOLLMSG. */
static_assert((__force unsigned int)EPOLLMSG == AIOS_POLL_MSG);

/* ---- mailboxes ---------------------------------------------------------- */

/* The memory cgroup of @a's process, referenced; NULL if none. */
static struct mem_cgroup *aios_agent_memcg(struct aios_agent *a)
{
	struct mem_cgroup *memcg = NULL;
#ifdef CONFIG_MEMCG
	struct task_struct *task;
	struct mm_struct *mm;

	task = get_pid_task(a->pid, PIDTYPE_TGID);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (mm) {
		memcg = get_mem_cgroup_from_mm(mm);
		mmput(mm);
	}
#endif
	return memcg;
}

static void aios_msg_free(struct aios_msg *m)
{
	if (m->payload != m->data)
		kvfree(m->payload);
	kfree(m);
}

/*
 * A message with room for @len payload bytes, charged to @memcg (NULL:
 * the caller's).  A large payload gets its own allocation, so that a
 * 64 KiB payload takes 64 KiB and not the next power of two.
 */
static struct aios_msg *aios_msg_alloc_memcg(struct mem_cgroup *memcg,
					     u32 len)
{
	struct mem_cgroup *old;
	struct aios_msg *m;
	bool inl = len <= AIOS_MSG_INLINE_MAX;

	old = set_active_memcg(memcg);
	m = kmalloc(inl ? struct_size(m, data, len) : sizeof(*m),
		    GFP_KERNEL_ACCOUNT);
	if (m) {
		m->payload = inl ? m->data : kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!m->payload) {
			kfree(m);
			m = NULL;
		}
	}
	set_active_memcg(old);
	return m;
}

static void aios_mbox_put(struct aios_mbox *mb)
{
	struct aios_msg *m, *tmp;

	if (!mb || !refcount_dec_and_test(&mb->ref))
		return;
	/* Normally empty: aios_mbox_kill() drained it. */
	list_for_each_entry_safe(m, tmp, &mb->msgs, node)
		aios_msg_free(m);
	kfree(rcu_access_pointer(mb->allow));
	mem_cgroup_put(mb->memcg);
	mutex_destroy(&mb->recv_lock);
	kfree_rcu(mb, rcu);
}

static struct aios_mbox *aios_mbox_lookup(u64 id)
{
	struct aios_mbox *mb;

	rcu_read_lock();
	mb = xa_load(&aios_mboxes, id);
	if (mb && !refcount_inc_not_zero(&mb->ref))
		mb = NULL;
	rcu_read_unlock();
	return mb;
}

/*
 * The mailbox of @a, referenced, created on first use.  ERR_PTR(-ESRCH)
 * once @a is dead (and it never had one), or -ENOMEM.
 */
static struct aios_mbox *aios_mbox_get(struct aios_agent *a)
{
	struct mem_cgroup *memcg, *old_memcg;
	struct aios_mbox *mb, *old;
	int ret;

	mb = aios_mbox_lookup(a->id);
	if (mb)
		return mb;

	memcg = aios_agent_memcg(a);
	old_memcg = set_active_memcg(memcg);
	mb = kzalloc(sizeof(*mb), GFP_KERNEL_ACCOUNT);
	set_active_memcg(old_memcg);
	if (!mb) {
		mem_cgroup_put(memcg);
		return ERR_PTR(-ENOMEM);
	}
	/* One reference for aios_mboxes, one for the caller. */
	refcount_set(&mb->ref, 2);
	mb->agent_id = a->id;
	mb->memcg = memcg;
	spin_lock_init(&mb->lock);
	INIT_LIST_HEAD(&mb->msgs);
	atomic64_set(&mb->sent, 0);
	mutex_init(&mb->recv_lock);
	init_waitqueue_head(&mb->recv_wq);
	init_waitqueue_head(&mb->send_wq);

	mutex_lock(&aios_ipc_lock);
	/*
	 * The agent_release hook runs after the agent is marked dead and
	 * takes aios_ipc_lock, so either it sees this mailbox or we see
	 * the agent dead here.
	 */
	if (aios_agent_dead(a)) {
		ret = -ESRCH;
		goto err_unlock;
	}
	old = xa_load(&aios_mboxes, a->id);
	if (old) {
		/* Created meanwhile; the xarray's reference keeps it. */
		refcount_inc(&old->ref);
		mutex_unlock(&aios_ipc_lock);
		refcount_set(&mb->ref, 1);
		aios_mbox_put(mb);
		return old;
	}
	ret = xa_insert(&aios_mboxes, a->id, mb, GFP_KERNEL);
	if (ret)
		goto err_unlock;
	mutex_unlock(&aios_ipc_lock);
	return mb;

err_unlock:
	mutex_unlock(&aios_ipc_lock);
	refcount_set(&mb->ref, 1);
	aios_mbox_put(mb);
	return ERR_PTR(ret);
}

/* Room for one more message of @len bytes?  Under mb->lock or racy. */
static bool aios_mbox_room(const struct aios_mbox *mb, u32 len)
{
	return READ_ONCE(mb->count) + READ_ONCE(mb->rcount) <
		READ_ONCE(aios_ipc_max_msgs) &&
	       READ_ONCE(mb->bytes) + READ_ONCE(mb->rbytes) + len <=
		READ_ONCE(aios_ipc_max_bytes);
}

/* Wake the receivers and pollers of @mb: a message is waiting. */
static void aios_mbox_wake_recv(struct aios_mbox *mb, __poll_t key)
{
	if (wq_has_sleeper(&mb->recv_wq))
		wake_up_interruptible_poll(&mb->recv_wq, key);
}

/*
 * The same, hinting that the caller is about to sleep (a request sent,
 * the reply awaited), so the receiver may run on this CPU: what Unix
 * sockets do for a send.
 */
static void aios_mbox_wake_recv_sync(struct aios_mbox *mb)
{
	if (wq_has_sleeper(&mb->recv_wq))
		wake_up_interruptible_sync_poll(&mb->recv_wq,
						EPOLLIN | EPOLLMSG);
}

/* Wake the senders waiting for room in @mb. */
static void aios_mbox_wake_send(struct aios_mbox *mb)
{
	if (wq_has_sleeper(&mb->send_wq))
		wake_up_all(&mb->send_wq);
}

/*
 * The agent died: free the queued messages, wake everybody waiting on
 * the mailbox and take it out of its groups.  The structure stays (see
 * the top of the file).
 */
static void aios_mbox_kill(struct aios_mbox *mb)
{
	struct aios_group_member *gm, *gtmp;
	struct aios_group *g, *tmp;
	struct aios_msg *m, *mtmp;
	LIST_HEAD(drained);

	mutex_lock(&mb->recv_lock);
	spin_lock(&mb->lock);
	mb->dead = true;
	list_splice_init(&mb->msgs, &drained);
	mb->count = 0;
	mb->bytes = 0;
	spin_unlock(&mb->lock);
	mutex_unlock(&mb->recv_lock);

	wake_up_all(&mb->send_wq);
	aios_mbox_wake_recv(mb, EPOLLHUP | EPOLLIN | EPOLLMSG);
	list_for_each_entry_safe(m, mtmp, &drained, node)
		aios_msg_free(m);

	mutex_lock(&aios_groups_lock);
	list_for_each_entry_safe(g, tmp, &aios_groups, node) {
		list_for_each_entry_safe(gm, gtmp, &g->members, node) {
			if (gm->mb != mb)
				continue;
			list_del(&gm->node);
			g->nr--;
			mb->nr_groups--;
			aios_mbox_put(gm->mb);
			kfree(gm);
		}
		if (!g->nr) {
			list_del(&g->node);
			kfree(g);
		}
	}
	mutex_unlock(&aios_groups_lock);
}

static void aios_ipc_agent_release(struct aios_agent *a,
				   enum aios_exit_reason why)
{
	struct aios_mbox *mb;

	/* Serialises with a concurrent aios_mbox_get(); see there. */
	mutex_lock(&aios_ipc_lock);
	mb = aios_mbox_lookup(a->id);
	mutex_unlock(&aios_ipc_lock);
	if (!mb)
		return;
	aios_mbox_kill(mb);
	aios_mbox_put(mb);
}

/*
 * The agent's file is being released (after the agent was removed):
 * free what is left of its mailbox.  Pollers of the file may have sat on
 * its wait queue until now.
 */
static void aios_ipc_file_release(struct aios_agent *a)
{
	struct aios_mbox *mb;

	mutex_lock(&aios_ipc_lock);
	mb = xa_erase(&aios_mboxes, a->id);
	mutex_unlock(&aios_ipc_lock);
	if (!mb)
		return;
	if (!READ_ONCE(mb->dead))	/* the agent is removed before this */
		aios_mbox_kill(mb);
	aios_mbox_put(mb);
}

/* ---- small helpers ------------------------------------------------------- */

static bool aios_reserved_zero(const u64 *r, size_t n)
{
	while (n--)
		if (*r++)
			return false;
	return true;
}

static bool aios_mem_zero(const char *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/* Non-empty, NUL-terminated within @size bytes, printable ASCII. */
static bool aios_ipc_str_valid(const char *s, size_t size)
{
	size_t len = strnlen(s, size), i;

	if (!len || len == size)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* timeout_ms (-1: forever, 0: do not wait) to jiffies; -EINVAL if < -1 */
static long aios_ipc_timeout(s32 ms)
{
	if (ms == -1)
		return MAX_SCHEDULE_TIMEOUT;
	if (ms < 0)
		return -EINVAL;
	return msecs_to_jiffies(ms);
}

/*
 * Record why the caller's operation failed, like aios_deny() does for
 * EPERM, but with any errno and a formatted reason.
 */
static void aios_ipc_denial(struct aios_ctx *ctx, u32 op, int error, u64 seq,
			    const char *reason)
{
	struct aios_agent *a = ctx->caller;

	if (!a)
		return;
	spin_lock(&a->denial_lock);
	a->denial.valid = true;
	a->denial.op = op;
	a->denial.error = error;
	a->denial.op_id = ctx->op_id;
	a->denial.audit_seq = seq;
	a->denial.cap_required = 0;
	a->denial.time_ns = ktime_get_boottime_ns();
	strscpy(a->denial.reason, reason, sizeof(a->denial.reason));
	spin_unlock(&a->denial_lock);
}

/* ---- netlink attributes and the rejection event ---------------------------- */

struct aios_mbox_stats {
	u64 agent_id;
	u32 count;
	u64 bytes;
	u64 received, taken, full, rejected, sent;
};

static void aios_mbox_snapshot(struct aios_mbox *mb, u64 agent_id,
			       struct aios_mbox_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->agent_id = agent_id;
	if (!mb)
		return;
	spin_lock(&mb->lock);
	st->count = mb->count;
	st->bytes = mb->bytes;
	st->received = mb->received;
	st->taken = mb->taken;
	st->full = mb->full;
	st->rejected = mb->rejected;
	spin_unlock(&mb->lock);
	st->sent = atomic64_read(&mb->sent);
}

static int aios_ipc_put_mbox(struct sk_buff *skb,
			     const struct aios_mbox_stats *st)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, AIOS_A_MBOX);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, AIOS_MBOX_A_AGENT_ID, st->agent_id,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u32(skb, AIOS_MBOX_A_COUNT, st->count) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_BYTES, st->bytes,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u32(skb, AIOS_MBOX_A_MAX_COUNT, aios_ipc_max_msgs) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_MAX_BYTES, aios_ipc_max_bytes,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_RECEIVED, st->received,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_TAKEN, st->taken,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_FULL, st->full,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_REJECTED, st->rejected,
			      AIOS_MBOX_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_MBOX_A_SENT, st->sent,
			      AIOS_MBOX_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

struct aios_reject {
	u64 from, to;
	u32 type, offset, len;
	int error;
	const char *reason;
};

/* Multicast AIOS_CMD_NTF_MSG_REJECTED on "events"; @mb may be NULL. */
static void aios_ipc_notify_reject(struct aios_mbox *mb,
				   const struct aios_reject *r)
{
	struct aios_mbox_stats st;
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	if (!aios_nl_events_wanted())
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = aios_nl_put(skb, 0, 0, 0, AIOS_CMD_NTF_MSG_REJECTED);
	if (!hdr)
		goto err;
	if (mb) {
		aios_mbox_snapshot(mb, mb->agent_id, &st);
		if (aios_ipc_put_mbox(skb, &st))
			goto err;
	}
	nest = nla_nest_start(skb, AIOS_A_REJECT);
	if (!nest ||
	    nla_put_u64_64bit(skb, AIOS_REJECT_A_FROM, r->from,
			      AIOS_REJECT_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_REJECT_A_TO, r->to,
			      AIOS_REJECT_A_PAD) ||
	    nla_put_u32(skb, AIOS_REJECT_A_TYPE, r->type) ||
	    nla_put_s32(skb, AIOS_REJECT_A_ERROR, r->error) ||
	    nla_put_u32(skb, AIOS_REJECT_A_OFFSET, r->offset) ||
	    nla_put_string(skb, AIOS_REJECT_A_REASON, r->reason) ||
	    nla_put_u32(skb, AIOS_REJECT_A_LEN, r->len))
		goto err;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	aios_nl_events_send(skb);
	return;
err:
	nlmsg_free(skb);
}

/* ---- allow lists ----------------------------------------------------------- */

static int aios_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* May the owner of @smb send to agent @to? */
static bool aios_ipc_allowed(struct aios_mbox *smb, u64 to)
{
	struct aios_allow *al;
	bool ok;

	rcu_read_lock();
	al = rcu_dereference(smb->allow);
	ok = !al || bsearch(&to, al->ids, al->count, sizeof(u64),
			    aios_u64_cmp);
	rcu_read_unlock();
	return ok;
}

/* ---- send ------------------------------------------------------------------- */

/* One send: what was asked, and the state of its delivery. */
struct aios_send {
	struct aios_ctx *ctx;
	struct aios_msg_send *arg;
	struct aios_mbox **rcv;		/* receivers' mailboxes, referenced */
	struct aios_msg **msgs;		/* one message per receiver */
	/* rcv and msgs of a send to one agent (no allocation) */
	struct aios_mbox *one_rcv;
	struct aios_msg *one_msg;
	unsigned int n;
	long timeout;			/* jiffies left */
	bool waited;			/* slept for room at least once */
};

/*
 * Refuse a send whose content is wrong (EINVAL, EMSGSIZE): audit it,
 * remember the reason as the caller's last denial, count it on every
 * receiver and multicast AIOS_CMD_NTF_MSG_REJECTED.
 */
static int aios_ipc_reject(struct aios_send *snd, int error, u32 offset,
			   const char *reason)
{
	struct aios_msg_send *s = snd->arg;
	struct aios_reject r = {
		.from = snd->ctx->caller->id,
		.to = (s->flags & AIOS_SEND_GROUP) ? 0 : s->to,
		.type = s->type,
		.offset = offset,
		.len = s->payload_len,
		.error = error,
		.reason = reason,
	};
	unsigned int i;
	u64 seq;

	seq = aios_audit_log(snd->ctx, AIOS_OP_MSG_SEND, r.to, error, 0);
	aios_ipc_denial(snd->ctx, AIOS_OP_MSG_SEND, error, seq, reason);
	for (i = 0; i < snd->n; i++) {
		spin_lock(&snd->rcv[i]->lock);
		snd->rcv[i]->rejected++;
		spin_unlock(&snd->rcv[i]->lock);
	}
	aios_ipc_notify_reject(snd->n == 1 && !(s->flags & AIOS_SEND_GROUP) ?
			       snd->rcv[0] : NULL, &r);
	return error;
}

/* The group's members but the sender, referenced, into snd->rcv. */
static int aios_ipc_group_members(struct aios_send *snd, const char *name)
{
	u64 self = snd->ctx->caller->id;
	struct aios_group_member *gm;
	struct aios_group *g;
	int ret = -ESRCH;

	mutex_lock(&aios_groups_lock);
	list_for_each_entry(g, &aios_groups, node) {
		if (strcmp(g->name, name))
			continue;
		snd->rcv = kcalloc(g->nr, sizeof(*snd->rcv), GFP_KERNEL);
		if (!snd->rcv) {
			ret = -ENOMEM;
			break;
		}
		list_for_each_entry(gm, &g->members, node) {
			if (gm->mb->agent_id == self)
				continue;
			refcount_inc(&gm->mb->ref);
			snd->rcv[snd->n++] = gm->mb;
		}
		ret = 0;
		break;
	}
	mutex_unlock(&aios_groups_lock);
	return ret;
}

/* Charged to the receiver's memory cgroup (see the top). */
static struct aios_msg *aios_msg_alloc(struct aios_mbox *mb, u32 len)
{
	return aios_msg_alloc_memcg(mb->memcg, len);
}

/*
 * Wait for room in @mb (or for it to die).  0 to try again, else
 * -EAGAIN, -ETIMEDOUT or -ERESTARTSYS.
 */
static int aios_ipc_wait_room(struct aios_send *snd, struct aios_mbox *mb,
			      u32 len)
{
	long left;

	if (snd->arg->flags & AIOS_SEND_NONBLOCK)
		return -EAGAIN;
	if (!snd->timeout)
		return -ETIMEDOUT;
	left = wait_event_interruptible_timeout(mb->send_wq,
						aios_mbox_room(mb, len) ||
						READ_ONCE(mb->dead),
						snd->timeout);
	if (left < 0)
		return -ERESTARTSYS;
	if (!left)
		return -ETIMEDOUT;
	if (snd->timeout != MAX_SCHEDULE_TIMEOUT)
		snd->timeout = left;
	snd->waited = true;
	return 0;
}

/* Queue @m in @mb, whose room was checked or reserved; under mb->lock. */
static void aios_mbox_link(struct aios_mbox *mb, struct aios_msg *m)
{
	lockdep_assert_held(&mb->lock);
	list_add_tail(&m->node, &mb->msgs);
	mb->count++;
	mb->bytes += m->len;
	mb->seq++;
	mb->received++;
}

/* Deliver to one receiver; consumes snd->msgs[0] on success. */
static int aios_ipc_deliver_one(struct aios_send *snd)
{
	struct aios_mbox *mb = snd->rcv[0];
	struct aios_msg *m = snd->msgs[0];
	bool counted = false;
	int ret;

	for (;;) {
		spin_lock(&mb->lock);
		if (mb->dead) {
			spin_unlock(&mb->lock);
			return snd->waited ? -EPIPE : -ESRCH;
		}
		if (aios_mbox_room(mb, m->len)) {
			aios_mbox_link(mb, m);
			spin_unlock(&mb->lock);
			snd->msgs[0] = NULL;
			aios_mbox_wake_recv_sync(mb);
			return 0;
		}
		if (!counted) {
			mb->full++;
			counted = true;
		}
		spin_unlock(&mb->lock);
		ret = aios_ipc_wait_room(snd, mb, m->len);
		if (ret)
			return ret;
	}
}

/* Give back the reservations of the first @n receivers. */
static void aios_ipc_unreserve(struct aios_send *snd, unsigned int n,
			       u32 len)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct aios_mbox *mb = snd->rcv[i];

		if (!snd->msgs[i])
			continue;
		spin_lock(&mb->lock);
		if (!mb->dead) {
			mb->rcount--;
			mb->rbytes -= len;
		}
		spin_unlock(&mb->lock);
		aios_mbox_wake_send(mb);
	}
}

/*
 * Deliver to every receiver or to none: reserve room in each mailbox
 * (under its lock, one at a time), and queue only once every
 * reservation holds.  A full mailbox makes us give back what we
 * reserved before waiting, so that group senders never hold room while
 * they sleep.  Receivers that die on the way are skipped: they left the
 * group.  Returns the number of receivers reached or a negative errno.
 */
static int aios_ipc_deliver_all(struct aios_send *snd)
{
	u32 len = snd->arg->payload_len;
	struct aios_mbox *full;
	unsigned int i, done;
	bool counted = false;
	int ret;

retry:
	full = NULL;
	for (i = 0; i < snd->n; i++) {
		struct aios_mbox *mb = snd->rcv[i];

		if (!snd->msgs[i])	/* dead earlier */
			continue;
		spin_lock(&mb->lock);
		if (mb->dead) {
			spin_unlock(&mb->lock);
			aios_msg_free(snd->msgs[i]);
			snd->msgs[i] = NULL;
			continue;
		}
		if (!aios_mbox_room(mb, len)) {
			if (!counted)
				mb->full++;
			spin_unlock(&mb->lock);
			full = mb;
			break;
		}
		mb->rcount++;
		mb->rbytes += len;
		spin_unlock(&mb->lock);
	}
	if (full) {
		counted = true;
		aios_ipc_unreserve(snd, i, len);
		ret = aios_ipc_wait_room(snd, full, len);
		if (ret)
			return ret;
		goto retry;
	}

	done = 0;
	for (i = 0; i < snd->n; i++) {
		struct aios_mbox *mb = snd->rcv[i];
		struct aios_msg *m = snd->msgs[i];

		if (!m)
			continue;
		spin_lock(&mb->lock);
		if (mb->dead) {
			/* Died after we reserved: the reservation went too. */
			spin_unlock(&mb->lock);
			continue;
		}
		mb->rcount--;
		mb->rbytes -= len;
		aios_mbox_link(mb, m);
		spin_unlock(&mb->lock);
		snd->msgs[i] = NULL;
		aios_mbox_wake_recv(mb, EPOLLIN | EPOLLMSG);
		done++;
	}
	return done;
}

/*
 * Copy the payload in, check it, and make one message per receiver; a
 * message id is taken only for a payload that passed.
 */
static int aios_ipc_build(struct aios_send *snd, u64 *msg_id)
{
	struct aios_msg_send *s = snd->arg;
	struct aios_validate_err verr;
	char reason[AIOS_REASON_MAX];
	struct aios_msg *first;
	unsigned int i;
	int ret;

	if (snd->n > 1)
		snd->msgs = kcalloc(snd->n, sizeof(*snd->msgs), GFP_KERNEL);
	else
		snd->msgs = &snd->one_msg;
	if (!snd->msgs)
		return -ENOMEM;

	/*
	 * A group with nobody but the sender still gets its payload
	 * checked, in a scratch copy charged to the sender.
	 */
	if (snd->n)
		first = aios_msg_alloc(snd->rcv[0], s->payload_len);
	else
		first = aios_msg_alloc_memcg(NULL, s->payload_len);
	if (!first)
		return -ENOMEM;
	snd->msgs[0] = first;
	if (copy_from_user(first->payload, u64_to_user_ptr(s->payload),
			   s->payload_len))
		return -EFAULT;

	ret = aios_validate(s->type, first->payload, s->payload_len,
			    READ_ONCE(aios_ipc_json_depth), &verr);
	if (ret) {
		s->err_offset = verr.offset;
		snprintf(reason, sizeof(reason), "%s: %s at byte %zu",
			 aios_msg_type_names[s->type], verr.reason,
			 verr.offset);
		return aios_ipc_reject(snd, -EINVAL, verr.offset, reason);
	}

	*msg_id = atomic64_inc_return(&aios_msg_ids);
	first->id = *msg_id;
	first->from = snd->ctx->caller->id;
	first->correlation_id = s->correlation_id;
	first->sent_ns = ktime_get_boottime_ns();
	first->type = s->type;
	first->len = s->payload_len;
	memcpy(first->intent, s->intent, sizeof(first->intent));
	if (!snd->n) {
		aios_msg_free(first);
		snd->msgs[0] = NULL;
		return 0;
	}

	for (i = 1; i < snd->n; i++) {
		struct aios_msg *m = aios_msg_alloc(snd->rcv[i],
						    s->payload_len);

		if (!m)
			return -ENOMEM;
		m->id = first->id;
		m->from = first->from;
		m->correlation_id = first->correlation_id;
		m->sent_ns = first->sent_ns;
		m->type = first->type;
		m->len = first->len;
		memcpy(m->intent, first->intent, sizeof(m->intent));
		memcpy(m->payload, first->payload, first->len);
		snd->msgs[i] = m;
	}
	return 0;
}

static const char aios_bad_group[] =
	"group send: \"to\" must be 0, the group name 1-31 printable characters";
static const char aios_stray_group[] =
	"group name set without AIOS_SEND_GROUP";

int aios_ipc_ioc_send(struct aios_ctx *ctx, struct aios_msg_send *s,
		      bool *copy_on_error)
{
	struct aios_send snd = { .ctx = ctx, .arg = s };
	char reason[AIOS_REASON_MAX];
	bool group = s->flags & AIOS_SEND_GROUP;
	struct aios_mbox *smb;
	struct aios_agent *t;
	unsigned int i;
	u64 msg_id = 0;
	int ret;

	if ((s->flags & ~AIOS_SEND_FLAGS) || s->reserved0 ||
	    !aios_reserved_zero(s->reserved, ARRAY_SIZE(s->reserved)))
		return -EINVAL;
	if (group ? s->to || !aios_ipc_str_valid(s->group, sizeof(s->group)) :
		    !aios_mem_zero(s->group, sizeof(s->group))) {
		aios_ipc_denial(ctx, AIOS_OP_MSG_SEND, -EINVAL, 0,
				group ? aios_bad_group : aios_stray_group);
		return -EINVAL;
	}
	snd.timeout = aios_ipc_timeout(s->timeout_ms);
	if (snd.timeout < 0) {
		aios_ipc_denial(ctx, AIOS_OP_MSG_SEND, -EINVAL, 0,
				"timeout_ms must be -1 or >= 0");
		return -EINVAL;
	}
	*copy_on_error = true;
	s->err_offset = 0;
	s->msg_id = 0;
	s->delivered = 0;

	smb = aios_mbox_get(ctx->caller);
	if (IS_ERR(smb))
		return PTR_ERR(smb) == -ESRCH ? -ENOLINK : PTR_ERR(smb);

	/* Receivers: unknown or dead ones give ESRCH. */
	if (group) {
		ret = aios_ipc_group_members(&snd, s->group);
		if (ret)
			goto out;
	} else {
		t = aios_agent_lookup(s->to);
		if (!t) {
			ret = -ESRCH;
			goto out;
		}
		snd.rcv = &snd.one_rcv;
		snd.rcv[0] = aios_mbox_get(t);
		aios_agent_put(t);
		if (IS_ERR(snd.rcv[0])) {
			ret = PTR_ERR(snd.rcv[0]);
			snd.rcv[0] = NULL;
			goto out;
		}
		snd.n = 1;
	}

	/* The sender's allow list covers every receiver. */
	for (i = 0; i < snd.n; i++) {
		if (!aios_ipc_allowed(smb, snd.rcv[i]->agent_id)) {
			ret = aios_deny(ctx, AIOS_OP_MSG_SEND,
					snd.rcv[i]->agent_id, 0,
					"receiver not in the sender's allow list");
			goto out;
		}
	}

	if (!aios_ipc_str_valid(s->intent, sizeof(s->intent))) {
		ret = aios_ipc_reject(&snd, -EINVAL, 0,
				      "intent must be 1-31 printable ASCII characters");
		goto out;
	}
	if (s->type > AIOS_MSG_TYPE_MAX) {
		snprintf(reason, sizeof(reason),
			 "unknown message type %u (TEXT 0, NUMBER 1, JSON 2, BINARY 3)",
			 s->type);
		ret = aios_ipc_reject(&snd, -EINVAL, 0, reason);
		goto out;
	}
	if (s->payload_len > READ_ONCE(aios_ipc_max_payload)) {
		snprintf(reason, sizeof(reason),
			 "payload of %u bytes exceeds ipc_max_payload (%u bytes)",
			 s->payload_len, READ_ONCE(aios_ipc_max_payload));
		ret = aios_ipc_reject(&snd, -EMSGSIZE, 0, reason);
		goto out;
	}

	ret = aios_ipc_build(&snd, &msg_id);
	if (ret)
		goto out;

	if (group) {
		ret = aios_ipc_deliver_all(&snd);
		if (ret >= 0) {
			s->delivered = ret;
			ret = 0;
		}
	} else {
		ret = aios_ipc_deliver_one(&snd);
		if (!ret)
			s->delivered = 1;
	}
	if (!ret) {
		s->msg_id = msg_id;
		atomic64_add(s->delivered, &smb->sent);
	}
out:
	for (i = 0; i < max(snd.n, 1U); i++)
		if (snd.msgs && snd.msgs[i])
			aios_msg_free(snd.msgs[i]);
	for (i = 0; i < snd.n; i++)
		aios_mbox_put(snd.rcv[i]);
	if (snd.msgs != &snd.one_msg)
		kfree(snd.msgs);
	if (snd.rcv != &snd.one_rcv)
		kfree(snd.rcv);
	aios_mbox_put(smb);
	return ret;
}

/* ---- receive ---------------------------------------------------------------- */

static bool aios_msg_match(const struct aios_msg *m,
			   const struct aios_msg_recv *r)
{
	if ((r->flags & AIOS_RECV_FROM) && m->from != r->from_filter)
		return false;
	if ((r->flags & AIOS_RECV_INTENT) &&
	    strncmp(m->intent, r->intent_filter, AIOS_INTENT_MAX))
		return false;
	return true;
}

int aios_ipc_ioc_recv(struct aios_ctx *ctx, struct aios_msg_recv *r,
		      bool *copy_on_error)
{
	struct aios_msg *m, *found;
	struct aios_mbox *mb;
	long timeout, left;
	u64 seen;
	int ret;

	if ((r->flags & ~AIOS_RECV_FLAGS) ||
	    !aios_reserved_zero(r->reserved, ARRAY_SIZE(r->reserved)))
		return -EINVAL;
	if (!(r->flags & AIOS_RECV_FROM) && r->from_filter)
		return -EINVAL;
	if ((r->flags & AIOS_RECV_INTENT) ?
	    !aios_ipc_str_valid(r->intent_filter, sizeof(r->intent_filter)) :
	    !aios_mem_zero(r->intent_filter, sizeof(r->intent_filter)))
		return -EINVAL;
	timeout = aios_ipc_timeout(r->timeout_ms);
	if (timeout < 0)
		return -EINVAL;

	mb = aios_mbox_get(ctx->caller);
	if (IS_ERR(mb))
		return PTR_ERR(mb) == -ESRCH ? -ENOLINK : PTR_ERR(mb);

	for (;;) {
		if (mutex_lock_interruptible(&mb->recv_lock)) {
			ret = -ERESTARTSYS;
			break;
		}
		found = NULL;
		spin_lock(&mb->lock);
		if (mb->dead) {
			spin_unlock(&mb->lock);
			mutex_unlock(&mb->recv_lock);
			ret = -ENOLINK;
			break;
		}
		list_for_each_entry(m, &mb->msgs, node) {
			if (aios_msg_match(m, r)) {
				found = m;
				break;
			}
		}
		seen = mb->seq;
		spin_unlock(&mb->lock);

		if (found) {
			/* recv_lock keeps it queued while we copy. */
			r->msg_id = found->id;
			r->from = found->from;
			r->correlation_id = found->correlation_id;
			r->sent_ns = found->sent_ns;
			r->type = found->type;
			r->payload_len = found->len;
			memcpy(r->intent, found->intent, sizeof(r->intent));
			ret = 0;
			if (found->len > r->payload_cap) {
				*copy_on_error = true;
				ret = -EMSGSIZE;
			} else if (copy_to_user(u64_to_user_ptr(r->payload),
						found->payload, found->len)) {
				ret = -EFAULT;
			} else if (!(r->flags & AIOS_RECV_PEEK)) {
				spin_lock(&mb->lock);
				list_del(&found->node);
				mb->count--;
				mb->bytes -= found->len;
				mb->taken++;
				spin_unlock(&mb->lock);
				aios_mbox_wake_send(mb);
			} else {
				found = NULL;	/* peeked: stays queued */
			}
			mutex_unlock(&mb->recv_lock);
			if (!ret && found)
				aios_msg_free(found);
			break;
		}
		mutex_unlock(&mb->recv_lock);

		if (r->flags & AIOS_RECV_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if (!timeout) {
			ret = -ETIMEDOUT;
			break;
		}
		left = wait_event_interruptible_timeout(mb->recv_wq,
							READ_ONCE(mb->seq) != seen ||
							READ_ONCE(mb->dead),
							timeout);
		if (left < 0) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!left) {
			ret = -ETIMEDOUT;
			break;
		}
		if (timeout != MAX_SCHEDULE_TIMEOUT)
			timeout = left;
	}
	aios_mbox_put(mb);
	return ret;
}

/*
 * Readiness of an agent file: AIOS_POLL_MSG | EPOLLIN while a message
 * waits, EPOLLHUP once the agent is dead.
 */
static __poll_t aios_ipc_poll(struct aios_agent *a, struct file *file,
			      poll_table *pt)
{
	struct aios_mbox *mb;
	__poll_t mask = 0;

	/*
	 * The mailbox is created here if need be: epoll registers its wait
	 * queue entry only once, so the queue must exist from then on.
	 */
	mb = aios_mbox_get(a);
	if (IS_ERR(mb))
		return PTR_ERR(mb) == -ESRCH ? EPOLLHUP : EPOLLERR;
	/* The file keeps the mailbox (and so its queue) alive. */
	poll_wait(file, &mb->recv_wq, pt);
	if (READ_ONCE(mb->count))
		mask |= EPOLLIN | EPOLLMSG;
	if (READ_ONCE(mb->dead))
		mask |= EPOLLHUP;
	aios_mbox_put(mb);
	return mask;
}

/* ---- groups ------------------------------------------------------------------- */

int aios_ipc_ioc_group(struct aios_ctx *ctx, struct aios_msg_group *arg)
{
	struct aios_group_member *gm, *new_gm = NULL;
	struct aios_group *g, *new_g = NULL;
	struct aios_mbox *mb;
	int ret;

	if ((arg->flags & ~AIOS_GROUP_FLAGS) ||
	    !aios_reserved_zero(arg->reserved, ARRAY_SIZE(arg->reserved)))
		return -EINVAL;
	if (!aios_ipc_str_valid(arg->name, sizeof(arg->name)))
		return -EINVAL;

	mb = aios_mbox_get(ctx->caller);
	if (IS_ERR(mb))
		return PTR_ERR(mb) == -ESRCH ? -ENOLINK : PTR_ERR(mb);
	if (!(arg->flags & AIOS_GROUP_LEAVE)) {
		new_gm = kzalloc(sizeof(*new_gm), GFP_KERNEL_ACCOUNT);
		new_g = kzalloc(sizeof(*new_g), GFP_KERNEL_ACCOUNT);
		if (!new_gm || !new_g) {
			ret = -ENOMEM;
			goto out;
		}
	}

	mutex_lock(&aios_groups_lock);
	list_for_each_entry(g, &aios_groups, node)
		if (!strcmp(g->name, arg->name))
			goto found;
	g = NULL;
found:
	if (arg->flags & AIOS_GROUP_LEAVE) {
		ret = -ENOENT;
		if (!g)
			goto unlock;
		list_for_each_entry(gm, &g->members, node) {
			if (gm->mb != mb)
				continue;
			list_del(&gm->node);
			g->nr--;
			mb->nr_groups--;
			aios_mbox_put(gm->mb);
			kfree(gm);
			if (!g->nr) {
				list_del(&g->node);
				kfree(g);
			}
			ret = 0;
			break;
		}
		goto unlock;
	}

	/* Join.  A dead mailbox left every group already (see kill). */
	ret = -ENOLINK;
	if (READ_ONCE(mb->dead))
		goto unlock;
	ret = -EALREADY;
	if (g)
		list_for_each_entry(gm, &g->members, node)
			if (gm->mb == mb)
				goto unlock;
	ret = -ENOSPC;
	if (mb->nr_groups >= AIOS_IPC_GROUPS_MAX)
		goto unlock;
	if (!g) {
		g = new_g;
		new_g = NULL;
		strscpy(g->name, arg->name, sizeof(g->name));
		INIT_LIST_HEAD(&g->members);
		list_add_tail(&g->node, &aios_groups);
	}
	refcount_inc(&mb->ref);
	new_gm->mb = mb;
	list_add_tail(&new_gm->node, &g->members);
	new_gm = NULL;
	g->nr++;
	mb->nr_groups++;
	ret = 0;
unlock:
	mutex_unlock(&aios_groups_lock);
out:
	kfree(new_gm);
	kfree(new_g);
	aios_mbox_put(mb);
	return ret;
}

/* ---- policy -------------------------------------------------------------------- */

int aios_ipc_ioc_policy(struct aios_ctx *ctx, struct aios_msg_policy *p)
{
	struct aios_allow *al = NULL, *old;
	struct aios_mbox *mb;
	struct aios_agent *t;
	u64 target;
	u32 i, n;
	int ret;

	if ((p->flags & ~AIOS_POLICY_FLAGS) || p->reserved0 ||
	    !aios_reserved_zero(p->reserved, ARRAY_SIZE(p->reserved)))
		return -EINVAL;
	if (!(p->flags & AIOS_POLICY_RESTRICT) && (p->count || p->ids))
		return -EINVAL;
	if (p->count > AIOS_IPC_ALLOW_MAX)
		return -EINVAL;
	target = p->agent_id ?: ctx->caller->id;
	if (!aios_ctx_admin(ctx))
		return aios_deny(ctx, AIOS_OP_MSG_POLICY, target,
				 AIOS_CAP_ADMIN, "ADMIN required");

	if (p->flags & AIOS_POLICY_RESTRICT) {
		al = kmalloc(struct_size(al, ids, p->count),
			     GFP_KERNEL_ACCOUNT);
		if (!al)
			return -ENOMEM;
		if (copy_from_user(al->ids, u64_to_user_ptr(p->ids),
				   array_size(p->count, sizeof(u64)))) {
			kfree(al);
			return -EFAULT;
		}
		sort(al->ids, p->count, sizeof(u64), aios_u64_cmp, NULL);
		for (i = 0, n = 0; i < p->count; i++)
			if (!n || al->ids[n - 1] != al->ids[i])
				al->ids[n++] = al->ids[i];
		al->count = n;
	}

	t = aios_agent_lookup(target);
	if (!t) {
		ret = -ESRCH;
		goto out_audit;
	}
	mb = aios_mbox_get(t);
	aios_agent_put(t);
	if (IS_ERR(mb)) {
		ret = PTR_ERR(mb);
		goto out_audit;
	}
	mutex_lock(&aios_ipc_lock);
	old = rcu_replace_pointer(mb->allow, al,
				  lockdep_is_held(&aios_ipc_lock));
	mutex_unlock(&aios_ipc_lock);
	al = NULL;
	kfree_rcu(old, rcu);
	aios_mbox_put(mb);
	ret = 0;
out_audit:
	kfree(al);
	aios_audit_log(ctx, AIOS_OP_MSG_POLICY, target, ret, AIOS_CAP_ADMIN);
	return ret;
}

/* ---- netlink: AIOS_CMD_MBOX_GET ------------------------------------------------ */

const struct nla_policy aios_ipc_nl_mbox_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
};

/* Statistics of @a's mailbox; an agent without one reports zeros. */
static void aios_ipc_stats_of(struct aios_agent *a, struct aios_mbox_stats *st)
{
	struct aios_mbox *mb = aios_mbox_lookup(a->id);

	aios_mbox_snapshot(mb, a->id, st);
	aios_mbox_put(mb);
}

int aios_ipc_nl_mbox_get(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_mbox_stats st;
	struct aios_agent *a;
	struct sk_buff *msg;
	void *hdr;

	if (!info->attrs[AIOS_A_AGENT_ID]) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, AIOS_A_AGENT_ID);
		NL_SET_ERR_MSG(info->extack, "AIOS_A_AGENT_ID required");
		return -EINVAL;
	}
	a = aios_agent_lookup(nla_get_u64(info->attrs[AIOS_A_AGENT_ID]));
	if (!a) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[AIOS_A_AGENT_ID],
				    "no such agent");
		return -ESRCH;
	}
	aios_ipc_stats_of(a, &st);
	aios_agent_put(a);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = aios_nl_put(msg, info->snd_portid, info->snd_seq, 0,
			  AIOS_CMD_MBOX_GET);
	if (!hdr || aios_ipc_put_mbox(msg, &st)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int aios_ipc_nl_mbox_start(struct netlink_callback *cb)
{
	struct nlattr *attrs[AIOS_A_MAX + 1];
	int ret;

	/* Validated by the core already; parsed again for the attributes. */
	ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, AIOS_A_MAX,
			  aios_ipc_nl_mbox_policy, cb->extack);
	if (ret)
		return ret;
	if (attrs[AIOS_A_AGENT_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[AIOS_A_AGENT_ID],
				    "a dump lists every mailbox; drop NLM_F_DUMP to get one");
		return -EINVAL;
	}
	cb->args[0] = 0;
	return 0;
}

/* cb->args[0]: id of the last agent sent (the cursor). */
int aios_ipc_nl_mbox_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct aios_mbox_stats st;
	u64 cursor = cb->args[0];
	struct aios_agent *a;
	void *hdr;

	while ((a = aios_agent_next(&cursor))) {
		aios_ipc_stats_of(a, &st);
		aios_agent_put(a);
		hdr = aios_nl_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI,
				  AIOS_CMD_MBOX_GET);
		if (!hdr)
			break;
		if (aios_ipc_put_mbox(skb, &st)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = cursor;
	}
	return skb->len;
}

/* ---- subsystem ------------------------------------------------------------------ */

static int aios_ipc_init(void)
{
	if (!aios_ipc_max_msgs || aios_ipc_max_msgs > AIOS_IPC_MSGS_LIMIT) {
		pr_err("aios: ipc_mbox_max_msgs %u is not in 1..%u\n",
		       aios_ipc_max_msgs, AIOS_IPC_MSGS_LIMIT);
		return -EINVAL;
	}
	if (!aios_ipc_max_bytes || aios_ipc_max_bytes > AIOS_IPC_BYTES_LIMIT) {
		pr_err("aios: ipc_mbox_max_bytes %u is not in 1..%u\n",
		       aios_ipc_max_bytes, AIOS_IPC_BYTES_LIMIT);
		return -EINVAL;
	}
	if (aios_ipc_max_payload > aios_ipc_max_bytes) {
		pr_err("aios: ipc_max_payload %u exceeds ipc_mbox_max_bytes %u\n",
		       aios_ipc_max_payload, aios_ipc_max_bytes);
		return -EINVAL;
	}
	if (!aios_ipc_json_depth ||
	    aios_ipc_json_depth > AIOS_VALIDATE_DEPTH_MAX) {
		pr_err("aios: ipc_json_max_depth %u is not in 1..%u\n",
		       aios_ipc_json_depth, AIOS_VALIDATE_DEPTH_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Module teardown: no file is left, so every mailbox is dead already. */
static void aios_ipc_exit(void)
{
	struct aios_mbox *mb;
	unsigned long id;

	mutex_lock(&aios_ipc_lock);
	xa_for_each(&aios_mboxes, id, mb) {
		xa_erase(&aios_mboxes, id);
		if (!mb->dead)
			aios_mbox_kill(mb);
		aios_mbox_put(mb);
	}
	mutex_unlock(&aios_ipc_lock);
	xa_destroy(&aios_mboxes);
	rcu_barrier();
}

const struct aios_subsys aios_ipc_subsys = {
	.name = "ipc",
	.init = aios_ipc_init,
	.exit = aios_ipc_exit,
	.agent_release = aios_ipc_agent_release,
	.file_release = aios_ipc_file_release,
	.poll = aios_ipc_poll,
};
