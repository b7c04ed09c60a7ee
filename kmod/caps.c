// SPDX-License-Identifier: GPL-2.0
/*
 * aios: capability checks, grant and revoke, denial reasons.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "aios.h"

static const char *const aios_cap_names[] = {
	"SPAWN_AGENT", "KILL_AGENT", "ALLOC_MEMORY", "ACCESS_FS",
	"ACCESS_NET", "ACCESS_GPU", "ACCESS_IO", "ADMIN",
};

/* Static reasons, usable as netlink extack messages. */
static const char *const aios_cap_reasons[] = {
	"SPAWN_AGENT required", "KILL_AGENT required",
	"ALLOC_MEMORY required", "ACCESS_FS required",
	"ACCESS_NET required", "ACCESS_GPU required",
	"ACCESS_IO required", "ADMIN required",
};

/* CAP_SYS_ADMIN in the initial user namespace. */
bool aios_ctx_sys_admin(struct aios_ctx *ctx)
{
	if (ctx->sys_admin < 0) {
		if (ctx->skb)
			ctx->sys_admin = netlink_capable(ctx->skb, CAP_SYS_ADMIN);
		else
			ctx->sys_admin = capable(CAP_SYS_ADMIN);
	}
	return ctx->sys_admin;
}

/* "admin": the caller agent holds ADMIN, or CAP_SYS_ADMIN. */
bool aios_ctx_admin(struct aios_ctx *ctx)
{
	if (ctx->caller && (aios_agent_caps(ctx->caller) & AIOS_CAP_ADMIN))
		return true;
	return aios_ctx_sys_admin(ctx);
}

/* Remember the denial just audited in @ctx as @a's last one. */
static void aios_denial_store(struct aios_agent *a, struct aios_ctx *ctx,
			      u32 op, u64 seq, u64 cap_missing,
			      const char *reason)
{
	spin_lock(&a->denial_lock);
	a->denial.valid = true;
	a->denial.op = op;
	a->denial.error = -EPERM;
	a->denial.op_id = ctx->op_id;
	a->denial.audit_seq = seq;
	a->denial.cap_required = cap_missing;
	a->denial.time_ns = ctx->time_ns;
	strscpy(a->denial.reason, reason, sizeof(a->denial.reason));
	spin_unlock(&a->denial_lock);
}

/**
 * aios_deny - refuse an operation
 * @ctx: operation
 * @op: enum aios_op
 * @object: audit object
 * @cap_missing: capability bits the caller lacks, or 0
 * @reason: a static string; also the netlink extack message
 *
 * Writes the audit record, stores the denial with the caller agent and
 * returns -EPERM.
 */
int aios_deny(struct aios_ctx *ctx, u32 op, u64 object, u64 cap_missing,
	      const char *reason)
{
	u64 seq = aios_audit_log(ctx, op, object, -EPERM, cap_missing);

	if (ctx->caller)
		aios_denial_store(ctx->caller, ctx, op, seq, cap_missing,
				  reason);
	aios_extack_msg(ctx->extack, reason);
	return -EPERM;
}

/*
 * Deny unless the caller agent holds every bit of @caps.  Does not write
 * a record when allowed: the operation itself does.
 */
int aios_require_caps(struct aios_ctx *ctx, u32 op, u64 object, u64 caps)
{
	u64 held = ctx->caller ? aios_agent_caps(ctx->caller) : 0;
	u64 missing = caps & ~held;

	if (!missing)
		return 0;
	return aios_deny(ctx, op, object, missing,
			 aios_cap_reasons[__ffs64(missing)]);
}

static void aios_caps_format(char *buf, size_t len, u64 caps)
{
	size_t off = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < ARRAY_SIZE(aios_cap_names); bit++) {
		if (!(caps & BIT_ULL(bit)))
			continue;
		off += scnprintf(buf + off, len - off, "%s%s", off ? "|" : "",
				 aios_cap_names[bit]);
	}
	scnprintf(buf + off, len - off, " required");
}

/**
 * aios_caps_check - AIOS_CAPS_CHECK: does the target hold @caps?
 * @ctx: operation, with a caller agent
 * @target_id: agent to check, 0 for the caller
 * @caps: bits, within AIOS_CAP_ALL
 * @effective: out: the target's capabilities
 *
 * Always audited (AIOS_OP_CAP_CHECK, object = @caps).  A failed check is
 * a denial of the caller, with every missing bit named in the reason.
 */
int aios_caps_check(struct aios_ctx *ctx, u64 target_id, u64 caps,
		    u64 *effective)
{
	struct aios_agent *t;
	u64 missing, seq;
	char reason[AIOS_REASON_MAX];

	if (!target_id || target_id == ctx->caller->id) {
		t = ctx->caller;
		aios_agent_get(t);
	} else {
		t = aios_agent_lookup(target_id);
		if (!t) {
			aios_audit_log(ctx, AIOS_OP_CAP_CHECK, caps, -ESRCH,
				       caps);
			return -ESRCH;
		}
	}
	*effective = aios_agent_caps(t);
	missing = caps & ~*effective;
	aios_agent_put(t);

	if (!missing) {
		aios_audit_log(ctx, AIOS_OP_CAP_CHECK, caps, 0, caps);
		return 0;
	}
	seq = aios_audit_log(ctx, AIOS_OP_CAP_CHECK, caps, -EPERM, missing);
	aios_caps_format(reason, sizeof(reason), missing);
	aios_denial_store(ctx->caller, ctx, AIOS_OP_CAP_CHECK, seq, missing,
			  reason);
	return -EPERM;
}

/*
 * Remove @caps from @t and every live descendant.  Called with
 * aios_agents_lock held; emits AIOS_CMD_NTF_CAPS for each agent whose
 * capabilities changed.
 */
static void aios_caps_revoke_tree(struct aios_agent *t, u64 caps)
{
	struct aios_agent *a;
	u64 cursor = 0;

	lockdep_assert_held(&aios_agents_lock);
	while ((a = aios_agent_next(&cursor))) {
		if ((a == t || aios_agent_is_descendant(a, t)) &&
		    (a->caps & caps)) {
			WRITE_ONCE(a->caps, a->caps & ~caps);
			aios_nl_notify_agent(AIOS_CMD_NTF_CAPS, a, -1);
		}
		aios_agent_put(a);
	}
}

/**
 * aios_caps_change - grant or revoke capabilities (admin only)
 * @ctx: operation
 * @op: AIOS_OP_CAP_GRANT or AIOS_OP_CAP_REVOKE
 * @target_id: agent, 0 for the caller
 * @caps: bits within AIOS_CAP_ALL
 * @effective: out: the target's capabilities afterwards
 *
 * A grant must keep the target within its parent's capabilities, so
 * that a child never holds what its parent lacks; a revoke also strips
 * the bits from every descendant.
 */
int aios_caps_change(struct aios_ctx *ctx, u32 op, u64 target_id, u64 caps,
		     u64 *effective)
{
	struct aios_agent *t;
	u64 missing;
	int ret;

	if (!target_id) {
		if (!ctx->caller) {
			if (ctx->extack)
				NL_SET_ERR_MSG(ctx->extack,
					       "agent id 0 needs a caller agent");
			return -EINVAL;
		}
		target_id = ctx->caller->id;
	}
	if (!aios_ctx_admin(ctx))
		return aios_deny(ctx, op, target_id, AIOS_CAP_ADMIN,
				 "ADMIN required");

	t = aios_agent_lookup(target_id);
	if (!t) {
		aios_audit_log(ctx, op, target_id, -ESRCH, caps);
		if (ctx->extack)
			NL_SET_ERR_MSG(ctx->extack, "no such agent");
		return -ESRCH;
	}

	mutex_lock(&aios_agents_lock);
	if (aios_agent_dead(t)) {
		ret = -ESRCH;
	} else if (op == AIOS_OP_CAP_GRANT) {
		missing = t->parent ? caps & ~t->parent->caps : 0;
		if (missing) {
			ret = -EPERM;
		} else {
			ret = 0;
			if ((t->caps | caps) != t->caps) {
				WRITE_ONCE(t->caps, t->caps | caps);
				aios_nl_notify_agent(AIOS_CMD_NTF_CAPS, t, -1);
			}
		}
	} else {
		aios_caps_revoke_tree(t, caps);
		ret = 0;
	}
	*effective = t->caps;
	mutex_unlock(&aios_agents_lock);
	aios_agent_put(t);

	if (ret == -EPERM)
		return aios_deny(ctx, op, target_id, missing,
				 "child capabilities exceed parent's");
	if (ret == -ESRCH && ctx->extack)
		NL_SET_ERR_MSG(ctx->extack, "no such agent");
	aios_audit_log(ctx, op, target_id, ret, caps);
	return ret;
}

void aios_denial_read(struct aios_agent *a, struct aios_denial_rec *out)
{
	spin_lock(&a->denial_lock);
	*out = a->denial;
	spin_unlock(&a->denial_lock);
}
