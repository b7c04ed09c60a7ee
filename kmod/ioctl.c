// SPDX-License-Identifier: GPL-2.0
/*
 * aios: /dev/aios files and their ioctls.
 *
 * A file moves NEW -> READY (AIOS_IOC_API) -> AGENT (AIOS_IOC_REGISTER,
 * or born that way by AIOS_IOC_SPAWN); a killed agent leaves its file
 * DEAD.  Dispatch is table driven: one row per ioctl number gives the
 * handler, the argument size this kernel knows, the state the file must
 * be in and whether the result is copied back.  A subsystem adds ioctls
 * by adding rows.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "aios.h"
#include "ipc.h"
#include "queue.h"
#include "gpu.h"

enum aios_file_state {
	AIOS_FILE_NEW,
	AIOS_FILE_READY,
	AIOS_FILE_AGENT,
};

struct aios_file {
	/* Serialises state transitions (API, REGISTER). */
	struct mutex lock;
	/*
	 * enum aios_file_state; written under lock with smp_store_release(),
	 * read locklessly with smp_load_acquire().  agent is set before the
	 * state becomes AIOS_FILE_AGENT and never changes afterwards.
	 */
	int state;
	struct aios_agent *agent;
};

/* Deferred effects of an ioctl, committed once the result is copied. */
struct aios_ioc_done {
	struct file *file;	/* to install at fd */
	int fd;
	bool copy_on_error;	/* copy the result back even on failure */
};

typedef int (*aios_ioc_fn)(struct aios_file *af, void *arg,
			   struct aios_ioc_done *done);

struct aios_ioc {
	aios_ioc_fn fn;
	u16 size;		/* sizeof() the argument, as known here */
	u16 size_ver0;		/* smallest size accepted */
	u8 state;		/* minimal enum aios_file_state */
	bool out;		/* copy the argument back */
};

/* Largest argument any row may have; it lives on the stack. */
#define AIOS_IOC_BUF	512

static bool aios_reserved_zero(const u64 *r, size_t n)
{
	while (n--)
		if (*r++)
			return false;
	return true;
}

static void aios_file_ctx(struct aios_file *af, struct aios_ctx *ctx)
{
	aios_ctx_init(ctx, af->agent, NULL, NULL);
}

static bool aios_prio_valid(u32 prio)
{
	return prio <= AIOS_PRIO_LOW;
}

/* ---- handlers ----------------------------------------------------------- */

static const struct aios_ioc aios_ioctls[AIOS_IOC_NR_MAX];

static int aios_ioc_api(struct aios_file *af, void *arg,
			struct aios_ioc_done *done)
{
	struct aios_api *a = arg;
	unsigned int nr;
	int ret = 0;

	if (a->flags || !aios_reserved_zero(a->reserved, ARRAY_SIZE(a->reserved)))
		return -EINVAL;

	mutex_lock(&af->lock);
	if (af->state != AIOS_FILE_NEW) {
		ret = -EALREADY;
		goto out;
	}
	done->copy_on_error = true;
	if (a->api_version != AIOS_API_VERSION)
		ret = -EPROTONOSUPPORT;
	a->api_version = AIOS_API_VERSION;
	a->features = AIOS_FEATURES;
	a->nr_ioctls = 0;
	for (nr = 0; nr < AIOS_IOC_NR_MAX; nr++) {
		a->struct_size[nr] = aios_ioctls[nr].size;
		if (aios_ioctls[nr].fn)
			a->nr_ioctls = nr + 1;
	}
	if (!ret) /* Pairs with the acquire in aios_ioctl(). */
		smp_store_release(&af->state, AIOS_FILE_READY);
out:
	mutex_unlock(&af->lock);
	return ret;
}

static int aios_ioc_register(struct aios_file *af, void *arg,
			     struct aios_ioc_done *done)
{
	struct aios_register *r = arg;
	struct aios_agent *a;
	struct aios_ctx ctx;
	struct pid *pid;
	int ret = 0;

	if (r->flags || r->reserved0 ||
	    !aios_reserved_zero(r->reserved, ARRAY_SIZE(r->reserved)))
		return -EINVAL;
	if (!aios_prio_valid(r->prio) || aios_name_valid(r->name))
		return -EINVAL;

	mutex_lock(&af->lock);
	if (af->state == AIOS_FILE_AGENT) {
		ret = -EALREADY;
		goto out;
	}
	aios_ctx_init(&ctx, NULL, NULL, NULL);
	pid = get_task_pid(current, PIDTYPE_TGID);
	a = aios_agent_create(&ctx, AIOS_OP_REGISTER, NULL, r->name, r->prio,
			      aios_default_caps, pid, current_uid());
	put_pid(pid);
	if (IS_ERR(a)) {
		ret = PTR_ERR(a);
		goto out;
	}
	af->agent = a;
	/* Publishes af->agent; pairs with the acquires that read state. */
	smp_store_release(&af->state, AIOS_FILE_AGENT);
	r->agent_id = a->id;
	r->caps = aios_agent_caps(a);
out:
	mutex_unlock(&af->lock);
	return ret;
}

static int aios_ioc_agent_info(struct aios_file *af, void *arg,
			       struct aios_ioc_done *done)
{
	struct aios_agent_info *i = arg;
	struct aios_agent *a = af->agent;

	if (i->flags || !aios_reserved_zero(i->reserved, ARRAY_SIZE(i->reserved)))
		return -EINVAL;
	i->agent_id = a->id;
	i->parent_id = a->parent ? a->parent->id : 0;
	i->caps = aios_agent_caps(a);
	i->prio = a->prio;
	i->state = aios_agent_dead(a) ? AIOS_AGENT_DEAD : AIOS_AGENT_LIVE;
	i->pid = pid_vnr(a->pid);
	i->uid = from_kuid_munged(current_user_ns(), a->uid);
	i->created_ns = a->created_ns;
	memcpy(i->name, a->name, sizeof(i->name));
	return 0;
}

static int aios_ioc_spawn(struct aios_file *af, void *arg,
			  struct aios_ioc_done *done)
{
	struct aios_spawn *s = arg;
	struct aios_agent *child;
	struct aios_ctx ctx;
	struct file *file;
	struct pid *pid;
	kuid_t uid;
	u64 caps;
	int fd, ret;

	if ((s->flags & ~AIOS_SPAWN_FLAGS) || s->reserved0 ||
	    !aios_reserved_zero(s->reserved, ARRAY_SIZE(s->reserved)))
		return -EINVAL;
	if (!(s->flags & AIOS_SPAWN_PIDFD) && s->pidfd)
		return -EINVAL;
	if (!(s->flags & AIOS_SPAWN_CAPS) && s->caps)
		return -EINVAL;
	if ((s->flags & AIOS_SPAWN_PIDFD) && s->pidfd < 0)
		return -EBADF;
	if (s->caps & ~AIOS_CAP_ALL)
		return -EINVAL;
	if (!aios_prio_valid(s->prio) || aios_name_valid(s->name))
		return -EINVAL;
	caps = (s->flags & AIOS_SPAWN_CAPS) ? s->caps : aios_default_caps;

	aios_file_ctx(af, &ctx);
	ret = aios_require_caps(&ctx, AIOS_OP_SPAWN, 0, AIOS_CAP_SPAWN_AGENT);
	if (ret)
		return ret;
	pid = aios_agent_spawn_pid(&ctx, (s->flags & AIOS_SPAWN_PIDFD) ?
				   s->pidfd : -1, &uid);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	child = aios_agent_create(&ctx, AIOS_OP_SPAWN, af->agent, s->name,
				  s->prio, caps, pid, uid);
	put_pid(pid);
	if (IS_ERR(child))
		return PTR_ERR(child);

	fd = get_unused_fd_flags(O_RDWR |
				 ((s->flags & AIOS_SPAWN_CLOEXEC) ? O_CLOEXEC : 0));
	if (fd < 0) {
		ret = fd;
		goto err_child;
	}
	file = aios_agent_file(child);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		goto err_child;
	}
	/* The file owns the caller's reference to the child now. */
	s->agent_id = child->id;
	s->fd = fd;
	done->file = file;
	done->fd = fd;
	return 0;

err_child:
	aios_agent_remove(child, AIOS_EXIT_CLOSED, &ctx);
	aios_agent_put(child);
	return ret;
}

static int aios_ioc_kill(struct aios_file *af, void *arg,
			 struct aios_ioc_done *done)
{
	struct aios_kill *k = arg;
	struct aios_ctx ctx;

	if ((k->flags & ~AIOS_KILL_FLAGS) || k->reserved0 ||
	    !aios_reserved_zero(k->reserved, ARRAY_SIZE(k->reserved)))
		return -EINVAL;
	if (k->signal < 0 || k->signal >= _NSIG)
		return -EINVAL;
	aios_file_ctx(af, &ctx);
	return aios_agent_kill(&ctx, k->agent_id, k->signal, k->flags);
}

static int aios_ioc_migrate(struct aios_file *af, void *arg,
			    struct aios_ioc_done *done)
{
	struct aios_migrate *m = arg;
	struct aios_ctx ctx;
	void *bits;
	int ret;

	if (m->flags || m->reserved0 ||
	    !aios_reserved_zero(m->reserved, ARRAY_SIZE(m->reserved)))
		return -EINVAL;
	if (m->cpumask_size % 8 || m->cpumask_size > 1024)
		return -EINVAL;
	bits = kzalloc(max_t(u32, m->cpumask_size, 8), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	if (copy_from_user(bits, u64_to_user_ptr(m->cpumask),
			   m->cpumask_size)) {
		ret = -EFAULT;
		goto out;
	}
	aios_file_ctx(af, &ctx);
	ret = aios_agent_migrate(&ctx, m->agent_id, bits, m->cpumask_size);
out:
	kfree(bits);
	return ret;
}

static int aios_ioc_caps(struct aios_file *af, void *arg,
			 struct aios_ioc_done *done)
{
	struct aios_caps *c = arg;
	struct aios_agent *t;
	struct aios_ctx ctx;
	int ret;

	if (c->flags || c->reserved0 ||
	    !aios_reserved_zero(c->reserved, ARRAY_SIZE(c->reserved)))
		return -EINVAL;
	if (c->op > AIOS_CAPS_REVOKE || (c->caps & ~AIOS_CAP_ALL))
		return -EINVAL;

	aios_file_ctx(af, &ctx);
	switch (c->op) {
	case AIOS_CAPS_GET:
		if (!c->agent_id) {
			c->effective = aios_agent_caps(af->agent);
			ret = 0;
			break;
		}
		t = aios_agent_lookup(c->agent_id);
		if (!t)
			return -ESRCH;
		c->effective = aios_agent_caps(t);
		aios_agent_put(t);
		ret = 0;
		break;
	case AIOS_CAPS_CHECK:
		ret = aios_caps_check(&ctx, c->agent_id, c->caps,
				      &c->effective);
		break;
	case AIOS_CAPS_GRANT:
		ret = aios_caps_change(&ctx, AIOS_OP_CAP_GRANT, c->agent_id,
				       c->caps, &c->effective);
		break;
	default:
		ret = aios_caps_change(&ctx, AIOS_OP_CAP_REVOKE, c->agent_id,
				       c->caps, &c->effective);
		break;
	}
	c->op_id = ctx.op_id;
	return ret;
}

static int aios_ioc_last_denial(struct aios_file *af, void *arg,
				struct aios_ioc_done *done)
{
	struct aios_denial *d = arg;
	struct aios_denial_rec rec;

	if (d->flags || !aios_reserved_zero(d->reserved, ARRAY_SIZE(d->reserved)))
		return -EINVAL;
	aios_denial_read(af->agent, &rec);
	if (!rec.valid)
		return -ENOENT;
	d->op_id = rec.op_id;
	d->audit_seq = rec.audit_seq;
	d->cap_required = rec.cap_required;
	d->op = rec.op;
	d->error = rec.error;
	d->time_ns = rec.time_ns;
	memcpy(d->reason, rec.reason, sizeof(d->reason));
	return 0;
}

static int aios_ioc_noop(struct aios_file *af, void *arg,
			 struct aios_ioc_done *done)
{
	struct aios_noop *n = arg;

	if (n->flags || !aios_reserved_zero(n->reserved, ARRAY_SIZE(n->reserved)))
		return -EINVAL;
	return 0;
}

/* Task queues (queue.c). */
static int aios_ioc_queue_attach(struct aios_file *af, void *arg,
				 struct aios_ioc_done *done)
{
	return aios_queue_ioc_attach(af->agent, arg);
}

static int aios_ioc_task_submit(struct aios_file *af, void *arg,
				struct aios_ioc_done *done)
{
	return aios_queue_ioc_submit(af->agent, arg);
}

static int aios_ioc_task_fetch(struct aios_file *af, void *arg,
			       struct aios_ioc_done *done)
{
	return aios_queue_ioc_fetch(af->agent, arg, &done->copy_on_error);
}

static int aios_ioc_task_progress(struct aios_file *af, void *arg,
				  struct aios_ioc_done *done)
{
	return aios_queue_ioc_progress(af->agent, arg);
}

static int aios_ioc_task_complete(struct aios_file *af, void *arg,
				  struct aios_ioc_done *done)
{
	return aios_queue_ioc_complete(af->agent, arg);
}

static int aios_ioc_task_wait(struct aios_file *af, void *arg,
			      struct aios_ioc_done *done)
{
	return aios_queue_ioc_wait(af->agent, arg, &done->copy_on_error);
}

static int aios_ioc_task_cancel(struct aios_file *af, void *arg,
				struct aios_ioc_done *done)
{
	return aios_queue_ioc_cancel(af->agent, arg);
}

/* GPU claims (gpu.c). */
static int aios_ioc_gpu_claim(struct aios_file *af, void *arg,
			      struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_gpu_ioc_claim(&ctx, arg, &done->copy_on_error);
}

static int aios_ioc_gpu_release(struct aios_file *af, void *arg,
				struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_gpu_ioc_release(&ctx, arg);
}

static int aios_ioc_gpu_query(struct aios_file *af, void *arg,
			      struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_gpu_ioc_query(&ctx, arg);
}

/* ---- typed IPC (ipc.c) -------------------------------------------------- */

static int aios_ioc_msg_send(struct aios_file *af, void *arg,
			     struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_ipc_ioc_send(&ctx, arg, &done->copy_on_error);
}

static int aios_ioc_msg_recv(struct aios_file *af, void *arg,
			     struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_ipc_ioc_recv(&ctx, arg, &done->copy_on_error);
}

static int aios_ioc_msg_group(struct aios_file *af, void *arg,
			      struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_ipc_ioc_group(&ctx, arg);
}

static int aios_ioc_msg_policy(struct aios_file *af, void *arg,
			       struct aios_ioc_done *done)
{
	struct aios_ctx ctx;

	aios_file_ctx(af, &ctx);
	return aios_ipc_ioc_policy(&ctx, arg);
}

#define AIOS_IOC_ROW(_fn, _type, _ver0, _state, _out) {		\
	.fn = _fn, .size = sizeof(_type), .size_ver0 = _ver0,		\
	.state = _state, .out = _out }

static const struct aios_ioc aios_ioctls[AIOS_IOC_NR_MAX] = {
	[_IOC_NR(AIOS_IOC_API)] = AIOS_IOC_ROW(aios_ioc_api,
		struct aios_api, AIOS_API_SIZE_VER0, AIOS_FILE_NEW, true),
	[_IOC_NR(AIOS_IOC_REGISTER)] = AIOS_IOC_ROW(aios_ioc_register,
		struct aios_register, AIOS_REGISTER_SIZE_VER0,
		AIOS_FILE_READY, true),
	[_IOC_NR(AIOS_IOC_AGENT_INFO)] = AIOS_IOC_ROW(aios_ioc_agent_info,
		struct aios_agent_info, AIOS_AGENT_INFO_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_SPAWN)] = AIOS_IOC_ROW(aios_ioc_spawn,
		struct aios_spawn, AIOS_SPAWN_SIZE_VER0, AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_KILL)] = AIOS_IOC_ROW(aios_ioc_kill,
		struct aios_kill, AIOS_KILL_SIZE_VER0, AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_MIGRATE)] = AIOS_IOC_ROW(aios_ioc_migrate,
		struct aios_migrate, AIOS_MIGRATE_SIZE_VER0, AIOS_FILE_AGENT,
		false),
	[_IOC_NR(AIOS_IOC_CAPS)] = AIOS_IOC_ROW(aios_ioc_caps,
		struct aios_caps, AIOS_CAPS_SIZE_VER0, AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_LAST_DENIAL)] = AIOS_IOC_ROW(aios_ioc_last_denial,
		struct aios_denial, AIOS_DENIAL_SIZE_VER0, AIOS_FILE_AGENT,
		true),
	[_IOC_NR(AIOS_IOC_NOOP)] = AIOS_IOC_ROW(aios_ioc_noop,
		struct aios_noop, AIOS_NOOP_SIZE_VER0, AIOS_FILE_READY, false),
	[_IOC_NR(AIOS_IOC_QUEUE_ATTACH)] = AIOS_IOC_ROW(aios_ioc_queue_attach,
		struct aios_queue_attach, AIOS_QUEUE_ATTACH_SIZE_VER0,
		AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_TASK_SUBMIT)] = AIOS_IOC_ROW(aios_ioc_task_submit,
		struct aios_task_submit, AIOS_TASK_SUBMIT_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_TASK_FETCH)] = AIOS_IOC_ROW(aios_ioc_task_fetch,
		struct aios_task_fetch, AIOS_TASK_FETCH_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_TASK_PROGRESS)] = AIOS_IOC_ROW(aios_ioc_task_progress,
		struct aios_task_progress, AIOS_TASK_PROGRESS_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_TASK_COMPLETE)] = AIOS_IOC_ROW(aios_ioc_task_complete,
		struct aios_task_complete, AIOS_TASK_COMPLETE_SIZE_VER0,
		AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_TASK_WAIT)] = AIOS_IOC_ROW(aios_ioc_task_wait,
		struct aios_task_wait, AIOS_TASK_WAIT_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_TASK_CANCEL)] = AIOS_IOC_ROW(aios_ioc_task_cancel,
		struct aios_task_cancel, AIOS_TASK_CANCEL_SIZE_VER0,
		AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_GPU_CLAIM)] = AIOS_IOC_ROW(aios_ioc_gpu_claim,
		struct aios_gpu_claim, AIOS_GPU_CLAIM_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_GPU_RELEASE)] = AIOS_IOC_ROW(aios_ioc_gpu_release,
		struct aios_gpu_release, AIOS_GPU_RELEASE_SIZE_VER0,
		AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_GPU_QUERY)] = AIOS_IOC_ROW(aios_ioc_gpu_query,
		struct aios_gpu_query, AIOS_GPU_QUERY_SIZE_VER0,
		AIOS_FILE_AGENT, true),
	[_IOC_NR(AIOS_IOC_MSG_SEND)] = AIOS_IOC_ROW(aios_ioc_msg_send,
		struct aios_msg_send, AIOS_MSG_SEND_SIZE_VER0, AIOS_FILE_AGENT,
		true),
	[_IOC_NR(AIOS_IOC_MSG_RECV)] = AIOS_IOC_ROW(aios_ioc_msg_recv,
		struct aios_msg_recv, AIOS_MSG_RECV_SIZE_VER0, AIOS_FILE_AGENT,
		true),
	[_IOC_NR(AIOS_IOC_MSG_GROUP)] = AIOS_IOC_ROW(aios_ioc_msg_group,
		struct aios_msg_group, AIOS_MSG_GROUP_SIZE_VER0,
		AIOS_FILE_AGENT, false),
	[_IOC_NR(AIOS_IOC_MSG_POLICY)] = AIOS_IOC_ROW(aios_ioc_msg_policy,
		struct aios_msg_policy, AIOS_MSG_POLICY_SIZE_VER0,
		AIOS_FILE_AGENT, false),
};

/* Called once at load: every row must fit the stack buffer. */
int aios_ioctl_table_check(void)
{
	unsigned int nr;

	for (nr = 0; nr < AIOS_IOC_NR_MAX; nr++) {
		const struct aios_ioc *row = &aios_ioctls[nr];

		if (!row->fn)
			continue;
		if (row->size > AIOS_IOC_BUF || row->size_ver0 > row->size ||
		    row->size_ver0 < 2 * sizeof(u32)) {
			pr_err("aios: ioctl 0x%02x: bad table row\n", nr);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------- */

static long aios_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	u64 buf[AIOS_IOC_BUF / sizeof(u64)];
	struct aios_file *af = file->private_data;
	void __user *argp = (void __user *)uarg;
	struct aios_ioc_done done = { .fd = -1 };
	const struct aios_ioc *row;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int state, ret;

	if (_IOC_TYPE(cmd) != AIOS_IOC_MAGIC || nr >= AIOS_IOC_NR_MAX)
		return -ENOTTY;
	row = &aios_ioctls[nr];
	if (!row->fn)
		return -ENOTTY;

	/* Pairs with the releases in API/REGISTER: af->agent is valid. */
	state = smp_load_acquire(&af->state);
	if (state == AIOS_FILE_NEW && nr != _IOC_NR(AIOS_IOC_API))
		return -EBADFD;
	if (state == AIOS_FILE_AGENT && aios_agent_dead(af->agent) &&
	    nr != _IOC_NR(AIOS_IOC_AGENT_INFO))
		return -ENOLINK;
	if (state < row->state)
		return -EBADFD;

	if (get_user(usize, (u32 __user *)argp))
		return -EFAULT;
	if (usize < row->size_ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(buf, row->size, argp, usize);
	if (ret)
		return ret;

	ret = row->fn(af, buf, &done);
	if (row->out && (!ret || done.copy_on_error) &&
	    copy_to_user(argp, buf, min_t(u32, usize, row->size)))
		ret = -EFAULT;

	if (done.file) {
		if (ret) {
			put_unused_fd(done.fd);
			fput(done.file);
		} else {
			fd_install(done.fd, done.file);
		}
	}
	return ret;
}

/* ---- files ----------------------------------------------------------------- */

static struct aios_file *aios_file_alloc(void)
{
	struct aios_file *af = kzalloc(sizeof(*af), GFP_KERNEL_ACCOUNT);

	if (af)
		mutex_init(&af->lock);
	return af;
}

static int aios_open(struct inode *inode, struct file *file)
{
	struct aios_file *af = aios_file_alloc();

	if (!af)
		return -ENOMEM;
	file->private_data = af;
	return 0;
}

static int aios_release(struct inode *inode, struct file *file)
{
	struct aios_file *af = file->private_data;

	if (af->agent) {
		aios_agent_remove(af->agent, AIOS_EXIT_CLOSED, NULL);
		aios_subsys_file_release(af->agent);
		aios_agent_put(af->agent);
	}
	mutex_destroy(&af->lock);
	kfree(af);
	return 0;
}

/* Readiness comes from the subsystems (queues, IPC); see aios_subsys. */
static __poll_t aios_poll(struct file *file, poll_table *pt)
{
	struct aios_file *af = file->private_data;

	/* Pairs with the release in aios_ioc_register(). */
	if (smp_load_acquire(&af->state) != AIOS_FILE_AGENT)
		return 0;
	return aios_subsys_poll(af->agent, file, pt);
}

const struct file_operations aios_fops = {
	.owner = THIS_MODULE,
	.open = aios_open,
	.release = aios_release,
	.poll = aios_poll,
	.unlocked_ioctl = aios_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * A new file for a spawned agent; it takes over the caller's reference
 * to @a.  On failure the reference stays with the caller.
 */
struct file *aios_agent_file(struct aios_agent *a)
{
	struct aios_file *af = aios_file_alloc();
	struct file *file;

	if (!af)
		return ERR_PTR(-ENOMEM);
	af->agent = a;
	af->state = AIOS_FILE_AGENT;
	file = anon_inode_getfile("[aios]", &aios_fops, af, O_RDWR);
	if (IS_ERR(file)) {
		mutex_destroy(&af->lock);
		kfree(af);
	}
	return file;
}

/* The agent of an aios file, referenced; NULL if it is not one. */
struct aios_agent *aios_file_agent(struct file *f)
{
	struct aios_file *af;
	struct aios_agent *a;

	if (f->f_op != &aios_fops)
		return NULL;
	af = f->private_data;
	/* Pairs with the release in aios_ioc_register(). */
	if (smp_load_acquire(&af->state) != AIOS_FILE_AGENT)
		return NULL;
	a = af->agent;
	aios_agent_get(a);
	return a;
}
