// SPDX-License-Identifier: GPL-2.0
/*
 * aios: the agent registry and agent lifecycle (spawn, kill, migrate).
 *
 * Agents live in an xarray indexed by id.  Lookups run under RCU and take
 * a reference with kref_get_unless_zero(); registry membership and caps
 * change under aios_agents_lock.  Each agent holds a reference on its
 * parent so that ancestry can be walked without locks even after the
 * parent is removed.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>

#include "aios.h"

/* Live agents by id; the xarray's own lock protects its structure. */
static DEFINE_XARRAY(aios_agents);

/* See aios.h: registry membership and every agent's caps. */
DEFINE_MUTEX(aios_agents_lock);

/* Last id handed out; ids start at 1 and are never reused. */
static atomic64_t aios_agent_ids = ATOMIC64_INIT(0);
static atomic_t aios_agents_nr = ATOMIC_INIT(0);

u32 aios_agents_live(void)
{
	return atomic_read(&aios_agents_nr);
}

u64 aios_agents_next_id(void)
{
	return atomic64_read(&aios_agent_ids) + 1;
}

/*
 * Free an agent whose last reference is gone, then walk up: dropping the
 * reference on the parent may free it too.  Iterative, so that a long
 * chain of spawned agents cannot overflow the stack.
 */
static void aios_agent_free(struct kref *ref)
{
	struct aios_agent *a = container_of(ref, struct aios_agent, ref);

	while (a) {
		struct aios_agent *parent = a->parent;

		put_pid(a->pid);
		kfree_rcu(a, rcu);
		if (!parent || !refcount_dec_and_test(&parent->ref.refcount))
			break;
		a = parent;
	}
}

void aios_agent_put(struct aios_agent *a)
{
	if (a)
		kref_put(&a->ref, aios_agent_free);
}

/* Find a live agent by id and take a reference; NULL if there is none. */
struct aios_agent *aios_agent_lookup(u64 id)
{
	struct aios_agent *a;

	if (!id || id > ULONG_MAX)
		return NULL;
	rcu_read_lock();
	a = xa_load(&aios_agents, id);
	if (a && !kref_get_unless_zero(&a->ref))
		a = NULL;
	rcu_read_unlock();
	if (a && aios_agent_dead(a)) {
		aios_agent_put(a);
		a = NULL;
	}
	return a;
}

/*
 * The live agent with the smallest id > *cursor, with a reference; the
 * cursor moves to its id.  Stable across concurrent insertions and
 * removals: every agent present for the whole walk is returned once.
 */
struct aios_agent *aios_agent_next(u64 *cursor)
{
	struct aios_agent *a = NULL;
	unsigned long idx = *cursor;

	if (idx == ULONG_MAX)
		return NULL;
	idx++;
	rcu_read_lock();
	for (;;) {
		a = xa_find(&aios_agents, &idx, ULONG_MAX, XA_PRESENT);
		if (!a)
			break;
		if (kref_get_unless_zero(&a->ref)) {
			if (!aios_agent_dead(a))
				break;
			/* May free it: fine under RCU, nothing sleeps. */
			aios_agent_put(a);
		}
		if (idx == ULONG_MAX) {
			a = NULL;
			break;
		}
		idx++;
	}
	rcu_read_unlock();
	if (a)
		*cursor = a->id;
	return a;
}

/* Is @a a strict descendant of @ancestor? */
bool aios_agent_is_descendant(const struct aios_agent *a,
			      const struct aios_agent *ancestor)
{
	for (a = a->parent; a; a = a->parent)
		if (a == ancestor)
			return true;
	return false;
}

/* Non-empty, NUL-terminated within AIOS_NAME_MAX, printable ASCII. */
int aios_name_valid(const char *name)
{
	size_t len = strnlen(name, AIOS_NAME_MAX);
	size_t i;

	if (!len || len == AIOS_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return -EINVAL;
	return 0;
}

/**
 * aios_agent_create - register a new agent
 * @ctx: operation, audited as @op
 * @op: AIOS_OP_REGISTER or AIOS_OP_SPAWN
 * @parent: parent agent, or NULL for a root agent
 * @name: validated name
 * @prio: validated priority
 * @caps: capabilities; must be a subset of the parent's
 * @pid: the agent's process (thread group); a reference is taken
 * @uid: real uid of that process
 *
 * Returns the agent with one reference for the caller (the registry
 * holds another until the agent is removed), or an ERR_PTR().
 */
struct aios_agent *aios_agent_create(struct aios_ctx *ctx, u32 op,
				     struct aios_agent *parent,
				     const char *name, u32 prio, u64 caps,
				     struct pid *pid, kuid_t uid)
{
	struct aios_agent *a;
	u64 missing = 0;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return ERR_PTR(-ENOMEM);
	kref_init(&a->ref);
	spin_lock_init(&a->denial_lock);
	init_completion(&a->removed);
	strscpy(a->name, name, sizeof(a->name));
	a->prio = prio;
	a->caps = caps;
	a->pid = get_pid(pid);
	a->uid = uid;
	a->created_ns = ktime_get_boottime_ns();

	mutex_lock(&aios_agents_lock);
	if (parent) {
		if (aios_agent_dead(parent)) {
			ret = -ENOLINK;
			goto err_unlock;
		}
		missing = caps & ~parent->caps;
		if (missing) {
			ret = -EPERM;
			goto err_unlock;
		}
		aios_agent_get(parent);
		a->parent = parent;
	}
	a->id = atomic64_inc_return(&aios_agent_ids);
	/* One reference for the registry, one for the caller. */
	kref_get(&a->ref);
	ret = xa_insert(&aios_agents, a->id, a, GFP_KERNEL_ACCOUNT);
	if (ret) {
		mutex_unlock(&aios_agents_lock);
		kref_put(&a->ref, aios_agent_free);
		aios_agent_put(a);
		aios_audit_log(ctx, op, 0, ret, 0);
		return ERR_PTR(ret);
	}
	atomic_inc(&aios_agents_nr);
	mutex_unlock(&aios_agents_lock);

	if (op == AIOS_OP_REGISTER)
		aios_audit_log_as(ctx, a->id, op, a->id, 0, 0);
	else
		aios_audit_log(ctx, op, a->id, 0, AIOS_CAP_SPAWN_AGENT);
	aios_nl_notify_agent(AIOS_CMD_NTF_AGENT_NEW, a, -1);
	return a;

err_unlock:
	mutex_unlock(&aios_agents_lock);
	put_pid(a->pid);
	kfree(a);
	if (ret == -EPERM)
		return ERR_PTR(aios_deny(ctx, op, 0, missing,
					 "child capabilities exceed parent's"));
	aios_audit_log(ctx, op, 0, ret, 0);
	return ERR_PTR(ret);
}

/**
 * aios_agent_remove - take an agent out of the registry
 * @a: agent, referenced by the caller
 * @why: enum aios_exit_reason
 * @ctx: the operation causing it, or NULL when its file was closed
 *
 * Runs once per agent; a concurrent or later call waits until the first
 * one has finished, so that when any call returns the subsystems have
 * released everything (aios_release() relies on it before running the
 * file_release hooks).  Releases what the subsystems hold for the agent,
 * writes AIOS_OP_UNREGISTER and sends AIOS_CMD_NTF_AGENT_DEL.  Process
 * context, no aios locks held.
 */
void aios_agent_remove(struct aios_agent *a, enum aios_exit_reason why,
		       struct aios_ctx *ctx)
{
	struct aios_ctx own;

	if (test_and_set_bit(AIOS_AGENT_F_DEAD, &a->flags)) {
		wait_for_completion(&a->removed);
		return;
	}

	mutex_lock(&aios_agents_lock);
	xa_erase(&aios_agents, a->id);
	atomic_dec(&aios_agents_nr);
	mutex_unlock(&aios_agents_lock);

	aios_subsys_agent_release(a, why);

	if (!ctx) {
		aios_ctx_init(&own, a, NULL, NULL);
		ctx = &own;
	}
	aios_audit_log(ctx, AIOS_OP_UNREGISTER, a->id, 0, 0);
	aios_nl_notify_agent(AIOS_CMD_NTF_AGENT_DEL, a, why);
	complete_all(&a->removed);
	/* The registry's reference. */
	aios_agent_put(a);
}

/* May the current task send a signal to @task (kill(2)'s rule)? */
static bool aios_may_signal(struct task_struct *task)
{
	const struct cred *cred = current_cred();
	const struct cred *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->euid, tcred->suid) ||
	     uid_eq(cred->euid, tcred->uid) ||
	     uid_eq(cred->uid, tcred->suid) ||
	     uid_eq(cred->uid, tcred->uid) ||
	     ns_capable(tcred->user_ns, CAP_KILL);
	rcu_read_unlock();
	return ok;
}

/* sched_setaffinity(2)'s rule: same owner or CAP_SYS_NICE over it. */
static bool aios_may_set_affinity(struct task_struct *task)
{
	const struct cred *cred = current_cred();
	const struct cred *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->euid, tcred->euid) ||
	     uid_eq(cred->euid, tcred->uid) ||
	     ns_capable(tcred->user_ns, CAP_SYS_NICE);
	rcu_read_unlock();
	return ok;
}

/**
 * aios_pidfd_pid - the process a pidfd refers to
 * @fd: file descriptor of the caller
 * @uid: out: real uid of that process
 *
 * Linux 6.1 exports neither pidfd_get_pid() nor pidfd_fops, so a pidfd
 * is recognised by what pidfd_create() makes: an anon_inode file named
 * "[pidfd]" whose private_data is the struct pid.  From 6.9 on pidfds
 * live on pidfs, whose inodes carry the struct pid in i_private.  The
 * caller must be allowed to signal the process (kill(2)'s rule), since
 * the agent can later be killed through aios.
 *
 * Returns a referenced struct pid or an ERR_PTR().
 */
static struct pid *aios_pidfd_resolve(int fd, kuid_t *uid)
{
	struct task_struct *task;
	struct pid *pid = ERR_PTR(-EBADF);
	struct inode *inode;
	struct file *f;

	f = fget(fd);
	if (!f)
		return ERR_PTR(-EBADF);
	inode = file_inode(f);
#ifdef PID_FS_MAGIC
	if (inode->i_sb->s_magic == PID_FS_MAGIC && inode->i_private)
		pid = get_pid(inode->i_private);
#endif
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(f->f_path.dentry->d_name.name, "[pidfd]") &&
	    f->private_data)
		pid = get_pid(f->private_data);
	fput(f);
	if (IS_ERR(pid))
		return pid;

	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	if (!aios_may_signal(task)) {
		put_task_struct(task);
		put_pid(pid);
		return ERR_PTR(-EPERM);
	}
	*uid = task_uid(task);
	put_task_struct(task);
	return pid;
}

/**
 * aios_agent_spawn_pid - resolve the process of a child agent
 * @ctx: operation
 * @pidfd: pidfd or -1 for the caller's own process
 * @uid: out
 *
 * Used by AIOS_IOC_SPAWN; an EPERM here is a denial.
 */
struct pid *aios_agent_spawn_pid(struct aios_ctx *ctx, int pidfd,
				 kuid_t *uid)
{
	struct pid *pid;

	if (pidfd < 0) {
		*uid = current_uid();
		return get_task_pid(current, PIDTYPE_TGID);
	}
	pid = aios_pidfd_resolve(pidfd, uid);
	if (pid == ERR_PTR(-EPERM))
		return ERR_PTR(aios_deny(ctx, AIOS_OP_SPAWN, 0, 0,
					 "not permitted to signal the pidfd's process"));
	if (IS_ERR(pid))
		aios_audit_log(ctx, AIOS_OP_SPAWN, 0, PTR_ERR(pid), 0);
	return pid;
}

/*
 * Resolve the target of kill/migrate: a referenced live agent, or an
 * ERR_PTR() after writing the audit record.
 */
static struct aios_agent *aios_target(struct aios_ctx *ctx, u32 op, u64 id)
{
	struct aios_agent *t = aios_agent_lookup(id);

	if (t)
		return t;
	aios_audit_log(ctx, op, id, -ESRCH, 0);
	if (ctx->extack)
		NL_SET_ERR_MSG(ctx->extack, "no such agent");
	return ERR_PTR(-ESRCH);
}

/*
 * May the caller act on @t (kill, migrate)?  Itself, a descendant, or
 * anything for an admin.  Without a caller agent only CAP_SYS_ADMIN.
 */
static int aios_may_target(struct aios_ctx *ctx, u32 op,
			   struct aios_agent *t)
{
	if (!ctx->caller) {
		if (aios_ctx_sys_admin(ctx))
			return 0;
		return aios_deny(ctx, op, t->id, 0, "CAP_SYS_ADMIN required");
	}
	if (t == ctx->caller || aios_agent_is_descendant(t, ctx->caller) ||
	    aios_ctx_admin(ctx))
		return 0;
	return aios_deny(ctx, op, t->id, 0, "target is not a descendant");
}

/**
 * aios_agent_kill - signal an agent's process and remove the agent
 * @ctx: operation
 * @target_id: agent
 * @signal: 1..63, or 0 for SIGKILL (validated by the caller)
 * @flags: AIOS_KILL_*
 *
 * The signal is sent with the sender's credentials (kill(2)'s permission
 * rule applies); the agent is removed whether or not it was delivered.
 */
int aios_agent_kill(struct aios_ctx *ctx, u64 target_id, int signal,
		    u32 flags)
{
	struct task_struct *task;
	struct aios_agent *t;
	struct pid *pgrp;
	int sig = signal ?: SIGKILL;
	int ret;

	if (ctx->caller) {
		ret = aios_require_caps(ctx, AIOS_OP_KILL, target_id,
					AIOS_CAP_KILL_AGENT);
		if (ret)
			return ret;
	}
	t = aios_target(ctx, AIOS_OP_KILL, target_id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	ret = aios_may_target(ctx, AIOS_OP_KILL, t);
	if (ret)
		goto out;

	if (flags & AIOS_KILL_PGRP) {
		pgrp = NULL;
		rcu_read_lock();
		task = pid_task(t->pid, PIDTYPE_TGID);
		if (task)
			pgrp = get_pid(task_pgrp(task));
		rcu_read_unlock();
		if (pgrp) {
			kill_pgrp(pgrp, sig, 0);
			put_pid(pgrp);
		}
	} else {
		kill_pid(t->pid, sig, 0);
	}

	aios_audit_log(ctx, AIOS_OP_KILL, t->id, 0, AIOS_CAP_KILL_AGENT);
	aios_agent_remove(t, AIOS_EXIT_KILLED, ctx);
out:
	aios_agent_put(t);
	return ret;
}

/* Set the affinity of every thread of @leader's thread group. */
static int aios_set_affinity(struct task_struct *leader,
			     const struct cpumask *mask)
{
	struct task_struct **tasks, *t;
	unsigned int cap, n, i;
	bool overflow;
	int ret = 0, err;

retry:
	cap = READ_ONCE(leader->signal->nr_threads) + 8;
	tasks = kvmalloc_array(cap, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	n = 0;
	overflow = false;
	rcu_read_lock();
	for_each_thread(leader, t) {
		if (n == cap) {
			overflow = true;
			break;
		}
		get_task_struct(t);
		tasks[n++] = t;
	}
	rcu_read_unlock();
	if (overflow) {
		for (i = 0; i < n; i++)
			put_task_struct(tasks[i]);
		kvfree(tasks);
		goto retry;
	}

	for (i = 0; i < n; i++) {
		err = set_cpus_allowed_ptr(tasks[i], mask);
		/* A thread that is exiting does not count. */
		if (err && !ret && !(tasks[i]->flags & PF_EXITING))
			ret = err;
		put_task_struct(tasks[i]);
	}
	kvfree(tasks);
	return ret;
}

/*
 * Narrow @mask to what the task may run on.  cpuset_cpus_allowed() is
 * not exported, so a task inside a non-root cpuset is limited to the
 * CPUs it may run on now (which the cpuset bounds); a task in the root
 * cpuset may use every active CPU.
 */
static void aios_affinity_bound(struct task_struct *task,
				struct cpumask *mask)
{
	cpumask_and(mask, mask, cpu_active_mask);
#ifdef CONFIG_CPUSETS
	rcu_read_lock();
	if (task_css(task, cpuset_cgrp_id)->parent)
		cpumask_and(mask, mask, task->cpus_ptr);
	rcu_read_unlock();
#endif
}

/**
 * aios_agent_migrate - set the CPU affinity of every thread of an agent
 * @ctx: operation
 * @target_id: agent, 0 for the caller
 * @bits: cpumask bits (kernel copy) as sched_setaffinity() takes them
 * @len: bytes at @bits, a multiple of 8 and at most 1024 (validated)
 */
int aios_agent_migrate(struct aios_ctx *ctx, u64 target_id,
		       const void *bits, size_t len)
{
	struct task_struct *task;
	struct aios_agent *t;
	cpumask_var_t mask;
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
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	memcpy(cpumask_bits(mask), bits, min_t(size_t, len, cpumask_size()));

	t = aios_target(ctx, AIOS_OP_MIGRATE, target_id);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto out_mask;
	}
	ret = aios_may_target(ctx, AIOS_OP_MIGRATE, t);
	if (ret)
		goto out_agent;

	task = get_pid_task(t->pid, PIDTYPE_TGID);
	if (!task) {
		ret = -ESRCH;
		if (ctx->extack)
			NL_SET_ERR_MSG(ctx->extack,
				       "the agent's process has exited");
		goto out_audit;
	}
	if (!aios_may_set_affinity(task)) {
		put_task_struct(task);
		ret = aios_deny(ctx, AIOS_OP_MIGRATE, t->id, 0,
				"not permitted to set the affinity of the agent's process");
		goto out_agent;
	}
	if (task->flags & PF_NO_SETAFFINITY) {
		ret = -EINVAL;
	} else {
		aios_affinity_bound(task, mask);
		if (cpumask_empty(mask))
			ret = -EINVAL;
		else
			ret = aios_set_affinity(task, mask);
	}
	put_task_struct(task);
	if (ret == -EINVAL && ctx->extack)
		NL_SET_ERR_MSG(ctx->extack, "no usable CPU in the mask");
out_audit:
	aios_audit_log(ctx, AIOS_OP_MIGRATE, t->id, ret, 0);
out_agent:
	aios_agent_put(t);
out_mask:
	free_cpumask_var(mask);
	return ret;
}

static int aios_agent_init(void)
{
	return 0;
}

/* Module teardown: no file is left, so normally nothing is. */
static void aios_agent_exit(void)
{
	struct aios_agent *a;
	u64 cursor = 0;

	while ((a = aios_agent_next(&cursor))) {
		aios_agent_remove(a, AIOS_EXIT_UNLOAD, NULL);
		aios_agent_put(a);
	}
	/* Wait for the kfree_rcu() callbacks before the code goes away. */
	rcu_barrier();
}

const struct aios_subsys aios_agent_subsys = {
	.name = "agent",
	.init = aios_agent_init,
	.exit = aios_agent_exit,
};
