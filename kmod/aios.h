/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios: internal declarations shared by the files of aios.ko.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _AIOS_INTERNAL_H
#define _AIOS_INTERNAL_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/aios.h>

struct netlink_ext_ack;
struct sk_buff;
struct pid;

/* Module parameters (main.c). */
extern u64 aios_default_caps;
extern unsigned int aios_audit_ring_size;

#define AIOS_FEATURES	(AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS | AIOS_FEAT_AUDIT | \
			 AIOS_FEAT_QUEUES | AIOS_FEAT_GPU | AIOS_FEAT_IPC)

/* ---- agents (agent.c) ---------------------------------------------- */

/* Last denied operation of an agent (AIOS_IOC_LAST_DENIAL). */
struct aios_denial_rec {
	bool valid;
	u32 op;
	s32 error;
	u64 op_id;
	u64 audit_seq;
	u64 cap_required;
	u64 time_ns;
	char reason[AIOS_REASON_MAX];
};

/* Bits of aios_agent.flags. */
#define AIOS_AGENT_F_DEAD	0	/* removed from the registry */

struct aios_agent {
	struct kref ref;
	u64 id;			/* immutable */
	struct aios_agent *parent;	/* immutable, reference held */
	/* Written under aios_agents_lock, read with READ_ONCE(). */
	u64 caps;
	u32 prio;		/* immutable */
	char name[AIOS_NAME_MAX];	/* immutable */
	struct pid *pid;	/* immutable: thread group, reference held */
	kuid_t uid;		/* immutable: real uid of the process */
	u64 created_ns;		/* immutable, CLOCK_BOOTTIME */
	unsigned long flags;	/* AIOS_AGENT_F_* bits, atomic bitops */
	struct completion removed;	/* aios_agent_remove() has finished */
	spinlock_t denial_lock;	/* protects denial */
	struct aios_denial_rec denial;
	struct rcu_head rcu;
};

/*
 * aios_agents_lock serialises every change of registry membership and of
 * any agent's caps, so that a capability check of a parent and the
 * insertion of its child cannot race with a revocation.
 */
extern struct mutex aios_agents_lock;

/*
 * Context of one operation (one syscall): who is asking, with which
 * privilege, and the audit op_id shared by all records it writes.
 */
struct aios_ctx {
	struct aios_agent *caller;	/* NULL: not acting as an agent */
	const struct sk_buff *skb;	/* netlink request, NULL for ioctl */
	struct netlink_ext_ack *extack;	/* netlink only */
	int sys_admin;			/* -1 unknown, else 0/1 */
	u64 op_id;			/* 0 until the first audit record */
	u64 time_ns;			/* time of the last audit record */
};

static inline void aios_ctx_init(struct aios_ctx *ctx,
				 struct aios_agent *caller,
				 const struct sk_buff *skb,
				 struct netlink_ext_ack *extack)
{
	ctx->caller = caller;
	ctx->skb = skb;
	ctx->extack = extack;
	ctx->sys_admin = -1;
	ctx->op_id = 0;
	ctx->time_ns = 0;
}

static inline bool aios_agent_dead(const struct aios_agent *a)
{
	return test_bit(AIOS_AGENT_F_DEAD, &a->flags);
}

static inline u64 aios_agent_caps(const struct aios_agent *a)
{
	return READ_ONCE(a->caps);
}

static inline void aios_agent_get(struct aios_agent *a)
{
	kref_get(&a->ref);
}

void aios_agent_put(struct aios_agent *a);
struct aios_agent *aios_agent_lookup(u64 id);
struct aios_agent *aios_agent_next(u64 *cursor);
u32 aios_agents_live(void);
u64 aios_agents_next_id(void);
struct aios_agent *aios_agent_create(struct aios_ctx *ctx, u32 op,
				     struct aios_agent *parent,
				     const char *name, u32 prio, u64 caps,
				     struct pid *pid, kuid_t uid);
void aios_agent_remove(struct aios_agent *a, enum aios_exit_reason why,
		       struct aios_ctx *ctx);
bool aios_agent_is_descendant(const struct aios_agent *a,
			      const struct aios_agent *ancestor);
int aios_agent_kill(struct aios_ctx *ctx, u64 target_id, int signal,
		    u32 flags);
int aios_agent_migrate(struct aios_ctx *ctx, u64 target_id,
		       const void *mask, size_t mask_len);
int aios_name_valid(const char *name);
struct pid *aios_agent_spawn_pid(struct aios_ctx *ctx, int pidfd,
				 kuid_t *uid);

/*
 * Set a netlink extack message that is not a literal (NL_SET_ERR_MSG()
 * insists on one); @msg must have static storage duration.
 */
static inline void aios_extack_msg(struct netlink_ext_ack *extack,
				   const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* ---- capabilities (caps.c) ------------------------------------------ */

bool aios_ctx_admin(struct aios_ctx *ctx);
bool aios_ctx_sys_admin(struct aios_ctx *ctx);
int aios_deny(struct aios_ctx *ctx, u32 op, u64 object, u64 cap_missing,
	      const char *reason);
int aios_require_caps(struct aios_ctx *ctx, u32 op, u64 object, u64 caps);
int aios_caps_check(struct aios_ctx *ctx, u64 target_id, u64 caps,
		    u64 *effective);
int aios_caps_change(struct aios_ctx *ctx, u32 op, u64 target_id, u64 caps,
		     u64 *effective);
void aios_denial_read(struct aios_agent *a, struct aios_denial_rec *out);

/* ---- audit ring (audit.c) -------------------------------------------- */

struct aios_audit_rec {
	u64 seq;
	u64 op_id;
	u64 agent_id;
	u64 object;
	u64 time_ns;
	u64 cap;
	u32 op;
	s32 result;
};

struct aios_audit_stats {
	u32 size;
	u64 next_seq;
	u64 first_seq;
};

/* Audit filter for dumps; a zero field does not filter. */
struct aios_audit_filter {
	u64 op_id;
	u64 seq_after;
	u64 agent_id;
	bool by_agent;
	u64 before;	/* stop at this seq (snapshot end) */
};

u64 aios_audit_log(struct aios_ctx *ctx, u32 op, u64 object, int result,
		   u64 cap);
u64 aios_audit_log_as(struct aios_ctx *ctx, u64 agent_id, u32 op,
		      u64 object, int result, u64 cap);
int aios_audit_resize(u32 size);
bool aios_audit_size_valid(u32 size);
void aios_audit_stats(struct aios_audit_stats *st);
int aios_audit_read(u64 after, const struct aios_audit_filter *f,
		    struct aios_audit_rec *out, int max, u64 *scanned);

/* ---- generic netlink (netlink.c) ------------------------------------ */

void aios_nl_notify_agent(u8 cmd, struct aios_agent *a, int reason);
void aios_nl_notify_audit(const struct aios_audit_rec *r);

/* For subsystems: build and send their own replies and events. */
int aios_nl_caller(struct nlattr **attrs, struct netlink_ext_ack *extack,
		   struct aios_agent **out);
void *aios_nl_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		  u8 cmd);
bool aios_nl_events_wanted(void);
void aios_nl_events_send(struct sk_buff *skb);
struct sk_buff *aios_nl_event_new(u8 cmd, void **hdr);

static inline void *aios_nl_hdr(struct sk_buff *skb, u32 portid, u32 seq,
				int flags, u8 cmd)
{
	return aios_nl_put(skb, portid, seq, flags, cmd);
}

static inline void aios_nl_event_send(struct sk_buff *skb)
{
	aios_nl_events_send(skb);
}

/* ---- character device and files (ioctl.c) --------------------------- */

extern const struct file_operations aios_fops;
struct file *aios_agent_file(struct aios_agent *a);
struct aios_agent *aios_file_agent(struct file *f);
int aios_ioctl_table_check(void);

/* ---- subsystems (main.c) --------------------------------------------- */

/*
 * One row per subsystem; every hook is optional.
 *  init/exit: module load/unload, in table order (exit reversed).
 *  agent_release: the agent was removed (closed, killed, unload); let go
 *	of everything held for it.  Runs once per agent, in reverse table
 *	order, in process context without aios locks held; may sleep.
 *  file_release: the agent's file is going away (after agent_release);
 *	free what had to outlive the agent for the file's sake (e.g. wait
 *	queues pollers may still sit on).
 *  poll: readiness of an agent file; the masks of all subsystems are
 *	ORed.  Files that are not (yet) agents poll as 0.
 */
struct aios_subsys {
	const char *name;
	int (*init)(void);
	void (*exit)(void);
	void (*agent_release)(struct aios_agent *a,
			      enum aios_exit_reason why);
	void (*file_release)(struct aios_agent *a);
	__poll_t (*poll)(struct aios_agent *a, struct file *file,
			 poll_table *pt);
};

extern const struct aios_subsys aios_audit_subsys;
extern const struct aios_subsys aios_agent_subsys;
extern const struct aios_subsys aios_netlink_subsys;
extern const struct aios_subsys aios_queue_subsys;
extern const struct aios_subsys aios_gpu_subsys;

void aios_subsys_agent_release(struct aios_agent *a,
			       enum aios_exit_reason why);
void aios_subsys_file_release(struct aios_agent *a);
__poll_t aios_subsys_poll(struct aios_agent *a, struct file *file,
			  poll_table *pt);

#endif /* _AIOS_INTERNAL_H */
