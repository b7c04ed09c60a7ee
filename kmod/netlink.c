// SPDX-License-Identifier: GPL-2.0
/*
 * aios: the "aios" generic netlink family.
 *
 * Every command has its own strict policy: attributes it does not list
 * are rejected by the core with an extack message, and every rejection
 * made here sets one too.  Handlers run in the sender's context
 * (parallel_ops), so AIOS_A_CALLER_FD is looked up in the sender's file
 * table.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "aios.h"
#include "ipc.h"
#include "queue.h"
#include "gpu.h"

enum aios_nl_groups {
	AIOS_NLGRP_EVENTS,
	AIOS_NLGRP_AUDIT,
};

/* Records fetched from the ring per round of an audit dump. */
#define AIOS_NL_AUDIT_BATCH	32

/* Set while the family is registered; notifications check it. */
static bool aios_nl_registered;

static struct genl_family aios_genl_family;

/* ---- policies --------------------------------------------------------- */

static const struct nla_policy aios_nl_none_policy[AIOS_A_MAX + 1] = {
};

static const struct nla_policy aios_nl_agent_get_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
};

static const struct nla_policy aios_nl_kill_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
	[AIOS_A_SIGNAL]		= { .type = NLA_U32 },
	[AIOS_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, AIOS_KILL_FLAGS),
};

static const struct nla_policy aios_nl_migrate_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
	/* Length checked by hand: EINVAL, where .len would give ERANGE. */
	[AIOS_A_CPUMASK]	= { .type = NLA_BINARY },
};

static const struct nla_policy aios_nl_caps_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
	[AIOS_A_CAPS]		= NLA_POLICY_MASK(NLA_U64, AIOS_CAP_ALL),
};

static const struct nla_policy aios_nl_audit_get_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_AGENT_ID]	= { .type = NLA_U64 },
	[AIOS_A_OP_ID]		= { .type = NLA_U64 },
	[AIOS_A_SEQ_AFTER]	= { .type = NLA_U64 },
};

static const struct nla_policy aios_nl_audit_config_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_RING_SIZE]	= { .type = NLA_U32 },
};

/* ---- helpers ---------------------------------------------------------- */

/*
 * Parse the attributes of a dump request.  The core validated them
 * already; this keeps the file independent of struct genl_dumpit_info,
 * whose layout changed in 6.2.  Dumps check their request in the first
 * .dumpit call rather than in .start: it runs in the sender's context
 * too, and unlike .start (in 6.1) it has an extack to explain a refusal,
 * which reaches userspace in NLMSG_DONE.
 */
static int aios_nl_dump_attrs(struct netlink_callback *cb,
			      const struct nla_policy *policy,
			      struct nlattr **attrs)
{
	return nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, AIOS_A_MAX, policy,
			   cb->extack);
}

/*
 * The agent the request acts as, from AIOS_A_CALLER_FD, with a reference;
 * NULL in *out when the attribute is absent.
 */
int aios_nl_caller(struct nlattr **attrs, struct netlink_ext_ack *extack,
		   struct aios_agent **out)
{
	struct nlattr *attr = attrs[AIOS_A_CALLER_FD];
	struct aios_agent *a;
	struct file *f;

	*out = NULL;
	if (!attr)
		return 0;
	f = fget(nla_get_u32(attr));
	if (!f) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "caller fd is not an open file descriptor");
		return -EBADF;
	}
	a = aios_file_agent(f);
	fput(f);
	if (!a) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "caller fd is not a registered /dev/aios agent");
		return -EINVAL;
	}
	if (aios_agent_dead(a)) {
		aios_agent_put(a);
		NL_SET_ERR_MSG_ATTR(extack, attr, "the caller agent was killed");
		return -ENOLINK;
	}
	*out = a;
	return 0;
}

static int aios_nl_require(struct genl_info *info, int attr, const char *msg)
{
	if (info->attrs[attr])
		return 0;
	NL_SET_ERR_ATTR_MISS(info->extack, NULL, attr);
	aios_extack_msg(info->extack, msg);
	return -EINVAL;
}

static int aios_nl_put_agent(struct sk_buff *skb, struct aios_agent *a,
			     struct pid_namespace *pidns,
			     struct user_namespace *userns)
{
	struct task_struct *task;
	struct nlattr *nest;
	int ret = 0;

	nest = nla_nest_start(skb, AIOS_A_AGENT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, AIOS_AGENT_A_ID, a->id, AIOS_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_AGENT_A_PARENT_ID,
			      a->parent ? a->parent->id : 0,
			      AIOS_AGENT_A_PAD) ||
	    nla_put_string(skb, AIOS_AGENT_A_NAME, a->name) ||
	    nla_put_u32(skb, AIOS_AGENT_A_PRIO, a->prio) ||
	    nla_put_u64_64bit(skb, AIOS_AGENT_A_CAPS, aios_agent_caps(a),
			      AIOS_AGENT_A_PAD) ||
	    nla_put_u32(skb, AIOS_AGENT_A_PID, pid_nr_ns(a->pid, pidns)) ||
	    nla_put_u32(skb, AIOS_AGENT_A_UID,
			from_kuid_munged(userns, a->uid)) ||
	    nla_put_u32(skb, AIOS_AGENT_A_STATE, aios_agent_dead(a) ?
			AIOS_AGENT_DEAD : AIOS_AGENT_LIVE) ||
	    nla_put_u64_64bit(skb, AIOS_AGENT_A_CREATED_NS, a->created_ns,
			      AIOS_AGENT_A_PAD))
		goto nla_put_failure;

	task = get_pid_task(a->pid, PIDTYPE_TGID);
	if (task) {
		ret = nla_put(skb, AIOS_AGENT_A_CPUS,
			      BITS_TO_LONGS(nr_cpu_ids) * sizeof(long),
			      cpumask_bits(task->cpus_ptr));
		put_task_struct(task);
		if (ret)
			goto nla_put_failure;
	}
	nla_nest_end(skb, nest);
	return 0;

nla_put_failure:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int aios_nl_put_audit(struct sk_buff *skb,
			     const struct aios_audit_rec *r)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, AIOS_A_AUDIT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, AIOS_AUDIT_A_SEQ, r->seq,
			      AIOS_AUDIT_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_AUDIT_A_OP_ID, r->op_id,
			      AIOS_AUDIT_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_AUDIT_A_AGENT_ID, r->agent_id,
			      AIOS_AUDIT_A_PAD) ||
	    nla_put_u32(skb, AIOS_AUDIT_A_OP, r->op) ||
	    nla_put_u64_64bit(skb, AIOS_AUDIT_A_OBJECT, r->object,
			      AIOS_AUDIT_A_PAD) ||
	    nla_put_s32(skb, AIOS_AUDIT_A_RESULT, r->result) ||
	    nla_put_u64_64bit(skb, AIOS_AUDIT_A_TIME_NS, r->time_ns,
			      AIOS_AUDIT_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_AUDIT_A_CAP, r->cap,
			      AIOS_AUDIT_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---- helpers for subsystems ------------------------------------------ */

/* genlmsg_put() for the aios family. */
void *aios_nl_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		  u8 cmd)
{
	return genlmsg_put(skb, portid, seq, &aios_genl_family, flags, cmd);
}

/* Is anybody listening on "events"?  Saves building unwanted events. */
bool aios_nl_events_wanted(void)
{
	return READ_ONCE(aios_nl_registered) &&
	       genl_has_listeners(&aios_genl_family, &init_net,
				  AIOS_NLGRP_EVENTS);
}

/* Multicast a finished message on "events"; consumes @skb.  May sleep. */
void aios_nl_events_send(struct sk_buff *skb)
{
	genlmsg_multicast(&aios_genl_family, skb, 0, AIOS_NLGRP_EVENTS,
			  GFP_KERNEL);
}

/*
 * A new event message with its genl header, or NULL when nobody listens
 * or memory is short.  Finish with genlmsg_end() and aios_nl_events_send().
 */
struct sk_buff *aios_nl_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!aios_nl_events_wanted())
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = aios_nl_put(skb, 0, 0, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* ---- notifications ------------------------------------------------------ */

/**
 * aios_nl_notify_agent - multicast an agent event on "events"
 * @cmd: AIOS_CMD_NTF_*
 * @a: agent
 * @reason: enum aios_exit_reason for AIOS_CMD_NTF_AGENT_DEL, else -1
 *
 * Process context.  PIDs and UIDs are those of the initial namespaces.
 */
void aios_nl_notify_agent(u8 cmd, struct aios_agent *a, int reason)
{
	struct sk_buff *skb;
	void *hdr;

	might_sleep();
	skb = aios_nl_event_new(cmd, &hdr);
	if (!skb)
		return;
	if (aios_nl_put_agent(skb, a, &init_pid_ns, &init_user_ns) ||
	    (reason >= 0 && nla_put_u32(skb, AIOS_A_REASON, reason))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	aios_nl_events_send(skb);
}

/* Multicast an audit record on "audit".  Process context. */
void aios_nl_notify_audit(const struct aios_audit_rec *r)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(aios_nl_registered) ||
	    !genl_has_listeners(&aios_genl_family, &init_net,
				AIOS_NLGRP_AUDIT))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &aios_genl_family, 0,
			  AIOS_CMD_NTF_AUDIT);
	if (!hdr || aios_nl_put_audit(skb, r)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&aios_genl_family, skb, 0, AIOS_NLGRP_AUDIT,
			  GFP_KERNEL);
}

/* ---- commands ----------------------------------------------------------- */

static int aios_nl_status_get(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_audit_stats st;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &aios_genl_family, 0,
				AIOS_CMD_STATUS_GET);
	if (!hdr)
		goto nla_put_failure;
	aios_audit_stats(&st);
	nest = nla_nest_start(msg, AIOS_A_STATUS);
	if (!nest ||
	    nla_put_u32(msg, AIOS_STATUS_A_API_VERSION, AIOS_API_VERSION) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_FEATURES, AIOS_FEATURES,
			      AIOS_STATUS_A_PAD) ||
	    nla_put_u32(msg, AIOS_STATUS_A_AGENTS, aios_agents_live()) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_NEXT_AGENT_ID,
			      aios_agents_next_id(), AIOS_STATUS_A_PAD) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_DEFAULT_CAPS,
			      aios_default_caps, AIOS_STATUS_A_PAD) ||
	    nla_put_u32(msg, AIOS_STATUS_A_AUDIT_RING_SIZE, st.size) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_AUDIT_NEXT_SEQ, st.next_seq,
			      AIOS_STATUS_A_PAD) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_AUDIT_FIRST_SEQ, st.first_seq,
			      AIOS_STATUS_A_PAD) ||
	    nla_put_u64_64bit(msg, AIOS_STATUS_A_AUDIT_LOST, st.first_seq - 1,
			      AIOS_STATUS_A_PAD))
		goto nla_put_failure;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* Reply to AGENT_GET / CAPS_GET with one agent. */
static int aios_nl_agent_reply(struct genl_info *info, u8 cmd)
{
	struct aios_agent *a;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = aios_nl_require(info, AIOS_A_AGENT_ID, "AIOS_A_AGENT_ID required");
	if (ret)
		return ret;
	a = aios_agent_lookup(nla_get_u64(info->attrs[AIOS_A_AGENT_ID]));
	if (!a) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[AIOS_A_AGENT_ID],
				    "no such agent");
		return -ESRCH;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	hdr = genlmsg_put_reply(msg, info, &aios_genl_family, 0, cmd);
	if (!hdr || aios_nl_put_agent(msg, a, task_active_pid_ns(current),
				      current_user_ns())) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	aios_agent_put(a);
	return ret;
}

static int aios_nl_agent_get(struct sk_buff *skb, struct genl_info *info)
{
	return aios_nl_agent_reply(info, AIOS_CMD_AGENT_GET);
}

static int aios_nl_caps_get(struct sk_buff *skb, struct genl_info *info)
{
	return aios_nl_agent_reply(info, AIOS_CMD_CAPS_GET);
}

/* cb->args[0]: id of the last agent sent (the cursor); [1]: started. */
static int aios_nl_agent_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct pid_namespace *pidns = task_active_pid_ns(current);
	struct user_namespace *userns = current_user_ns();
	struct nlattr *attrs[AIOS_A_MAX + 1];
	struct aios_agent *a;
	u64 cursor;
	void *hdr;
	int ret;

	if (!cb->args[1]) {
		ret = aios_nl_dump_attrs(cb, aios_nl_agent_get_policy, attrs);
		if (ret)
			return ret;
		if (attrs[AIOS_A_AGENT_ID]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, attrs[AIOS_A_AGENT_ID],
					    "a dump lists every agent; drop NLM_F_DUMP to get one");
			return -EINVAL;
		}
		cb->args[0] = 0;
		cb->args[1] = 1;
	}

	cursor = cb->args[0];
	while ((a = aios_agent_next(&cursor))) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &aios_genl_family,
				  NLM_F_MULTI, AIOS_CMD_AGENT_GET);
		if (!hdr) {
			aios_agent_put(a);
			break;
		}
		if (aios_nl_put_agent(skb, a, pidns, userns)) {
			genlmsg_cancel(skb, hdr);
			aios_agent_put(a);
			break;
		}
		genlmsg_end(skb, hdr);
		aios_agent_put(a);
		cb->args[0] = cursor;
	}
	return skb->len;
}

static int aios_nl_agent_kill(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_agent *caller;
	struct aios_ctx ctx;
	u32 sig = 0, flags = 0;
	int ret;

	ret = aios_nl_require(info, AIOS_A_AGENT_ID, "AIOS_A_AGENT_ID required");
	if (ret)
		return ret;
	if (info->attrs[AIOS_A_SIGNAL]) {
		sig = nla_get_u32(info->attrs[AIOS_A_SIGNAL]);
		if (sig >= _NSIG) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[AIOS_A_SIGNAL],
					    "signal must be 0 (SIGKILL) or 1..63");
			return -EINVAL;
		}
	}
	if (info->attrs[AIOS_A_FLAGS])
		flags = nla_get_u32(info->attrs[AIOS_A_FLAGS]);
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	ret = aios_agent_kill(&ctx, nla_get_u64(info->attrs[AIOS_A_AGENT_ID]),
			      sig, flags);
	aios_agent_put(caller);
	return ret;
}

static int aios_nl_agent_migrate(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_agent *caller;
	struct aios_ctx ctx;
	struct nlattr *mask;
	u64 id = 0;
	int ret;

	ret = aios_nl_require(info, AIOS_A_CPUMASK, "AIOS_A_CPUMASK required");
	if (ret)
		return ret;
	mask = info->attrs[AIOS_A_CPUMASK];
	if (nla_len(mask) % 8 || nla_len(mask) > 1024) {
		NL_SET_ERR_MSG_ATTR(info->extack, mask,
				    "cpumask length must be a multiple of 8, at most 1024");
		return -EINVAL;
	}
	if (info->attrs[AIOS_A_AGENT_ID])
		id = nla_get_u64(info->attrs[AIOS_A_AGENT_ID]);
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	ret = aios_agent_migrate(&ctx, id, nla_data(mask), nla_len(mask));
	aios_agent_put(caller);
	return ret;
}

static int aios_nl_caps_change(struct sk_buff *skb, struct genl_info *info,
			       u32 op)
{
	struct aios_agent *caller;
	struct aios_ctx ctx;
	u64 effective;
	int ret;

	ret = aios_nl_require(info, AIOS_A_AGENT_ID, "AIOS_A_AGENT_ID required");
	if (ret)
		return ret;
	ret = aios_nl_require(info, AIOS_A_CAPS, "AIOS_A_CAPS required");
	if (ret)
		return ret;
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	ret = aios_caps_change(&ctx, op,
			       nla_get_u64(info->attrs[AIOS_A_AGENT_ID]),
			       nla_get_u64(info->attrs[AIOS_A_CAPS]),
			       &effective);
	aios_agent_put(caller);
	return ret;
}

static int aios_nl_caps_grant(struct sk_buff *skb, struct genl_info *info)
{
	return aios_nl_caps_change(skb, info, AIOS_OP_CAP_GRANT);
}

static int aios_nl_caps_revoke(struct sk_buff *skb, struct genl_info *info)
{
	return aios_nl_caps_change(skb, info, AIOS_OP_CAP_REVOKE);
}

/* Audit dump state, kept in cb->ctx. */
struct aios_nl_audit_dump {
	u64 cursor;		/* last seq examined */
	u64 op_id;		/* filters, see struct aios_audit_filter */
	u64 seq_after;
	u64 agent_id;
	u64 before;		/* snapshot end: next_seq when the dump began */
	bool by_agent;
	bool started;
};

/* First call: resolve the caller, check permission, set the filter. */
static int aios_nl_audit_begin(struct netlink_callback *cb,
			       struct aios_nl_audit_dump *d)
{
	struct nlattr *attrs[AIOS_A_MAX + 1];
	struct aios_audit_stats st;
	struct aios_agent *caller;
	struct aios_ctx ctx;
	int ret;

	ret = aios_nl_dump_attrs(cb, aios_nl_audit_get_policy, attrs);
	if (ret)
		return ret;
	ret = aios_nl_caller(attrs, cb->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, cb->skb, cb->extack);

	d->op_id = attrs[AIOS_A_OP_ID] ? nla_get_u64(attrs[AIOS_A_OP_ID]) : 0;
	d->seq_after = attrs[AIOS_A_SEQ_AFTER] ?
		nla_get_u64(attrs[AIOS_A_SEQ_AFTER]) : 0;
	d->agent_id = attrs[AIOS_A_AGENT_ID] ?
		nla_get_u64(attrs[AIOS_A_AGENT_ID]) : 0;
	d->by_agent = !!attrs[AIOS_A_AGENT_ID];

	if (!aios_ctx_admin(&ctx)) {
		if (!caller) {
			NL_SET_ERR_MSG(cb->extack,
				       "ADMIN required (or AIOS_A_CALLER_FD to read the caller's own records)");
			return -EPERM;
		}
		if (d->by_agent && d->agent_id != caller->id) {
			aios_agent_put(caller);
			NL_SET_ERR_MSG_ATTR(cb->extack, attrs[AIOS_A_AGENT_ID],
					    "only the caller agent's records are visible without ADMIN");
			return -EPERM;
		}
		d->agent_id = caller->id;
		d->by_agent = true;
	}
	aios_agent_put(caller);

	aios_audit_stats(&st);
	d->cursor = 0;
	d->before = st.next_seq;
	d->started = true;
	return 0;
}

static int aios_nl_audit_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct aios_nl_audit_dump *d = (void *)cb->ctx;
	struct aios_audit_filter f;
	struct aios_audit_rec *recs;
	u64 after, scanned;
	void *hdr;
	int n, i, ret;

	BUILD_BUG_ON(sizeof(*d) > sizeof(cb->ctx));
	if (!d->started) {
		ret = aios_nl_audit_begin(cb, d);
		if (ret)
			return ret;
	}
	f.op_id = d->op_id;
	f.seq_after = d->seq_after;
	f.agent_id = d->agent_id;
	f.by_agent = d->by_agent;
	f.before = d->before;

	recs = kmalloc_array(AIOS_NL_AUDIT_BATCH, sizeof(*recs), GFP_KERNEL);
	if (!recs)
		return -ENOMEM;
	for (;;) {
		after = d->cursor;
		n = aios_audit_read(after, &f, recs, AIOS_NL_AUDIT_BATCH,
				    &scanned);
		if (!n && scanned == after)
			break;
		for (i = 0; i < n; i++) {
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &aios_genl_family,
					  NLM_F_MULTI, AIOS_CMD_AUDIT_GET);
			if (!hdr)
				goto full;
			if (aios_nl_put_audit(skb, &recs[i])) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
		}
		d->cursor = scanned;
	}
	kfree(recs);
	return skb->len;

full:
	/* Resume at the record that did not fit. */
	d->cursor = recs[i].seq - 1;
	kfree(recs);
	return skb->len;
}

static int aios_nl_audit_config(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_ctx ctx;
	u32 size;
	int ret;

	aios_ctx_init(&ctx, NULL, skb, info->extack);
	if (!aios_ctx_sys_admin(&ctx))
		return aios_deny(&ctx, AIOS_OP_AUDIT_CONFIG, 0, 0,
				 "CAP_SYS_ADMIN required");
	ret = aios_nl_require(info, AIOS_A_RING_SIZE,
			      "AIOS_A_RING_SIZE required");
	if (ret)
		return ret;
	size = nla_get_u32(info->attrs[AIOS_A_RING_SIZE]);
	if (!aios_audit_size_valid(size)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[AIOS_A_RING_SIZE],
				    "ring size must be a power of two in 16..1048576");
		return -EINVAL;
	}
	ret = aios_audit_resize(size);
	aios_audit_log(&ctx, AIOS_OP_AUDIT_CONFIG, size, ret, 0);
	return ret;
}

/* ---- family --------------------------------------------------------------- */

static const struct genl_ops aios_genl_ops[] = {
	{
		.cmd = AIOS_CMD_STATUS_GET,
		.doit = aios_nl_status_get,
		.policy = aios_nl_none_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_AGENT_GET,
		.doit = aios_nl_agent_get,
		.dumpit = aios_nl_agent_dump,
		.policy = aios_nl_agent_get_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_AGENT_KILL,
		.doit = aios_nl_agent_kill,
		.policy = aios_nl_kill_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_AGENT_MIGRATE,
		.doit = aios_nl_agent_migrate,
		.policy = aios_nl_migrate_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_CAPS_GET,
		.doit = aios_nl_caps_get,
		.policy = aios_nl_agent_get_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_CAPS_GRANT,
		.doit = aios_nl_caps_grant,
		.policy = aios_nl_caps_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_CAPS_REVOKE,
		.doit = aios_nl_caps_revoke,
		.policy = aios_nl_caps_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_AUDIT_GET,
		.dumpit = aios_nl_audit_dump,
		.policy = aios_nl_audit_get_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_AUDIT_CONFIG,
		.doit = aios_nl_audit_config,
		.flags = GENL_ADMIN_PERM,
		.policy = aios_nl_audit_config_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_QUEUE_CREATE,
		.doit = aios_queue_nl_create,
		.policy = aios_queue_nl_create_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_QUEUE_DESTROY,
		.doit = aios_queue_nl_destroy,
		.policy = aios_queue_nl_destroy_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_QUEUE_GET,
		.doit = aios_queue_nl_get,
		.start = aios_queue_nl_dump_start,
		.dumpit = aios_queue_nl_dump,
		.policy = aios_queue_nl_get_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_TASK_GET,
		.start = aios_queue_nl_task_start,
		.dumpit = aios_queue_nl_task_dump,
		.policy = aios_queue_nl_task_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_GPU_REGISTER,
		.doit = aios_gpu_nl_register,
		.policy = aios_gpu_nl_register_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_GPU_UNREGISTER,
		.doit = aios_gpu_nl_unregister,
		.policy = aios_gpu_nl_unregister_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_GPU_GET,
		.doit = aios_gpu_nl_get,
		.start = aios_gpu_nl_get_start,
		.dumpit = aios_gpu_nl_get_dump,
		.policy = aios_gpu_nl_get_policy,
		.maxattr = AIOS_A_MAX,
	},
	{
		.cmd = AIOS_CMD_MBOX_GET,
		.doit = aios_ipc_nl_mbox_get,
		.start = aios_ipc_nl_mbox_start,
		.dumpit = aios_ipc_nl_mbox_dump,
		.policy = aios_ipc_nl_mbox_policy,
		.maxattr = AIOS_A_MAX,
	},
};

static const struct genl_multicast_group aios_genl_mcgrps[] = {
	[AIOS_NLGRP_EVENTS] = { .name = AIOS_MCGRP_EVENTS },
	[AIOS_NLGRP_AUDIT] = {
		.name = AIOS_MCGRP_AUDIT,
		.flags = GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static struct genl_family aios_genl_family __ro_after_init = {
	.name = AIOS_GENL_NAME,
	.version = AIOS_GENL_VERSION,
	.maxattr = AIOS_A_MAX,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = aios_genl_ops,
	.n_ops = ARRAY_SIZE(aios_genl_ops),
	.mcgrps = aios_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(aios_genl_mcgrps),
};

static int aios_nl_init(void)
{
	int ret = genl_register_family(&aios_genl_family);

	if (!ret)
		WRITE_ONCE(aios_nl_registered, true);
	return ret;
}

static void aios_nl_exit(void)
{
	WRITE_ONCE(aios_nl_registered, false);
	genl_unregister_family(&aios_genl_family);
}

const struct aios_subsys aios_netlink_subsys = {
	.name = "netlink",
	.init = aios_nl_init,
	.exit = aios_nl_exit,
};
