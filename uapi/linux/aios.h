/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * aios: an operating-system layer for LLM agents.
 *
 * This header is the only contract between aios.ko and userspace: the
 * /dev/aios ioctl interface, the "aios" generic netlink family, the
 * capability bits and the enums shared by both.
 *
 * ABI rules (see Documentation/uapi.md):
 *  - Every ioctl argument starts with "__u32 size; __u32 flags;".  The
 *    kernel dispatches on _IOC_TYPE/_IOC_NR only and reads "size" bytes
 *    with copy_struct_from_user(): an older, shorter struct is zero
 *    extended, a newer, longer one is accepted only if the tail the kernel
 *    does not know is zero (E2BIG otherwise).
 *  - Unknown flags and non-zero reserved fields are rejected with EINVAL.
 *  - Structs only grow at the end; fields are never reused.  Ranges of
 *    ioctl numbers, netlink commands, attributes and operation ids are
 *    set aside per subsystem so subsystems can be added without
 *    renumbering anything.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _UAPI_LINUX_AIOS_H
#define _UAPI_LINUX_AIOS_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

#define AIOS_API_VERSION	1
#define AIOS_DEVICE_NAME	"aios"		/* /dev/aios */

#define AIOS_NAME_MAX		64	/* agent name, including the NUL */
#define AIOS_REASON_MAX		128	/* denial reason, including the NUL */

/* Priority classes, shared by agents, tasks, GPU claims and messages. */
enum aios_prio {
	AIOS_PRIO_CRITICAL	= 0,
	AIOS_PRIO_HIGH		= 1,
	AIOS_PRIO_NORMAL	= 2,
	AIOS_PRIO_LOW		= 3,
	__AIOS_PRIO_MAX,
};

#define AIOS_PRIO_MAX		(__AIOS_PRIO_MAX - 1)

/* Capability bits (struct aios_caps, AIOS_A_CAPS, AIOS_AGENT_A_CAPS). */
#define AIOS_CAP_SPAWN_AGENT	_BITULL(0)
#define AIOS_CAP_KILL_AGENT	_BITULL(1)
#define AIOS_CAP_ALLOC_MEMORY	_BITULL(2)
#define AIOS_CAP_ACCESS_FS	_BITULL(3)
#define AIOS_CAP_ACCESS_NET	_BITULL(4)
#define AIOS_CAP_ACCESS_GPU	_BITULL(5)
#define AIOS_CAP_ACCESS_IO	_BITULL(6)
#define AIOS_CAP_ADMIN		_BITULL(7)
#define AIOS_CAP_ALL		(_BITULL(8) - 1)
#define AIOS_CAP_DEFAULT	(AIOS_CAP_SPAWN_AGENT | AIOS_CAP_ALLOC_MEMORY)

/*
 * Feature bits reported by AIOS_IOC_API.  A subsystem's bit is set only
 * when this module implements it; userspace must test before use.
 */
#define AIOS_FEAT_AGENTS	_BITULL(0)	/* registry, spawn/kill/migrate */
#define AIOS_FEAT_CAPS		_BITULL(1)	/* capabilities, denial reasons */
#define AIOS_FEAT_AUDIT		_BITULL(2)	/* audit ring + events */
#define AIOS_FEAT_QUEUES	_BITULL(3)	/* task scheduler queues */
#define AIOS_FEAT_GPU		_BITULL(4)	/* GPU claims */
#define AIOS_FEAT_IPC		_BITULL(5)	/* typed agent IPC */

/*
 * Operation types, as recorded in the audit ring and reported in denials.
 * 0x01-0x0f core, 0x10-0x1f queues, 0x20-0x2f GPU, 0x30-0x3f IPC.
 */
enum aios_op {
	AIOS_OP_NONE		= 0x00,
	AIOS_OP_REGISTER	= 0x01,	/* object: agent id */
	AIOS_OP_UNREGISTER	= 0x02,	/* object: agent id */
	AIOS_OP_SPAWN		= 0x03,	/* object: child agent id */
	AIOS_OP_KILL		= 0x04,	/* object: target agent id */
	AIOS_OP_MIGRATE		= 0x05,	/* object: target agent id */
	AIOS_OP_CAP_GRANT	= 0x06,	/* object: target agent id */
	AIOS_OP_CAP_REVOKE	= 0x07,	/* object: target agent id */
	AIOS_OP_CAP_CHECK	= 0x08,	/* object: capability bits checked */
	AIOS_OP_AUDIT_CONFIG	= 0x09,	/* object: new ring size */

	AIOS_OP_QUEUE_BASE	= 0x10,
	AIOS_OP_QUEUE_CREATE	= 0x10,	/* object: queue id */
	AIOS_OP_QUEUE_DESTROY	= 0x11,	/* object: queue id */
	AIOS_OP_TASK_SUBMIT	= 0x12,	/* object: task id (0 if refused) */
	AIOS_OP_TASK_CANCEL	= 0x13,	/* object: task id */
	AIOS_OP_TASK_FAIL	= 0x14,	/* object: task id; result: why */
	AIOS_OP_TASK_REQUEUE	= 0x15,	/* object: task id (worker died) */
	AIOS_OP_GPU_BASE	= 0x20,
	AIOS_OP_GPU_REGISTER	= 0x20,	/* object: device id */
	AIOS_OP_GPU_UNREGISTER	= 0x21,	/* object: device id */
	AIOS_OP_GPU_CLAIM	= 0x22,	/* object: device id */
	AIOS_OP_GPU_RELEASE	= 0x23,	/* object: device id */
	AIOS_OP_GPU_PREEMPT	= 0x24,	/* object: device id (holder notified) */
	AIOS_OP_GPU_REVOKE	= 0x25,	/* object: device id */
	AIOS_OP_IPC_BASE	= 0x30,
	AIOS_OP_MSG_SEND	= 0x30,	/* object: receiver agent id */
	AIOS_OP_MSG_POLICY	= 0x31,	/* object: agent id */
};

/* ------------------------------------------------------------------ */
/* ioctl interface on /dev/aios                                        */
/* ------------------------------------------------------------------ */

#define AIOS_IOC_MAGIC		0xB2

/*
 * ioctl numbers: 0x00-0x0f core, 0x10-0x1f queues, 0x20-0x2f GPU,
 * 0x30-0x3f IPC.  AIOS_IOC_NR_MAX bounds aios_api.struct_size[].
 */
#define AIOS_IOC_NR_MAX		0x40

/*
 * AIOS_IOC_API - version handshake, must be the first ioctl on a file.
 *
 * In:  api_version = AIOS_API_VERSION the caller was built with.
 * Out: api_version = the kernel's version, features = AIOS_FEAT_*,
 *      struct_size[nr] = sizeof() of the argument of ioctl number nr as
 *      known by this kernel (0: no such ioctl).
 * A caller version the kernel does not speak fails with EPROTONOSUPPORT
 * (api_version is still written back).  A second handshake on the same
 * file fails with EALREADY.
 */
struct aios_api {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 api_version;
	__u32 nr_ioctls;	/* out: entries used in struct_size[] */
	__u64 features;		/* out */
	__u64 reserved[4];	/* must be 0 */
	__u16 struct_size[AIOS_IOC_NR_MAX];	/* out */
};

#define AIOS_API_SIZE_VER0	sizeof(struct aios_api)

/*
 * AIOS_IOC_REGISTER - make this file an agent.
 *
 * The calling process becomes the agent's process.  The kernel assigns
 * agent_id (never reused while the module is loaded) and the default
 * capabilities (module parameter default_caps).  A file registers once;
 * a second attempt fails with EALREADY.
 */
struct aios_register {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 prio;		/* enum aios_prio */
	__u32 reserved0;	/* must be 0 */
	char name[AIOS_NAME_MAX];	/* NUL-terminated, printable, non-empty */
	__u64 agent_id;		/* out */
	__u64 caps;		/* out: effective capabilities */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_REGISTER_SIZE_VER0	sizeof(struct aios_register)

/* Agent states (aios_agent_info.state, AIOS_AGENT_A_STATE). */
enum aios_agent_state {
	AIOS_AGENT_LIVE		= 0,
	AIOS_AGENT_DEAD		= 1,	/* killed; its file is an orphan */
};

/*
 * AIOS_IOC_AGENT_INFO - describe the agent of this file.
 */
struct aios_agent_info {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 agent_id;		/* out */
	__u64 parent_id;	/* out: 0 for a root agent */
	__u64 caps;		/* out */
	__u32 prio;		/* out */
	__u32 state;		/* out: enum aios_agent_state */
	__s32 pid;		/* out: thread group id of its process */
	__u32 uid;		/* out: in the caller's user namespace */
	__u64 created_ns;	/* out: CLOCK_BOOTTIME */
	char name[AIOS_NAME_MAX];	/* out */
	__u64 reserved[4];	/* must be 0 */
};

#define AIOS_AGENT_INFO_SIZE_VER0	sizeof(struct aios_agent_info)

/*
 * AIOS_IOC_SPAWN - register a child agent (needs AIOS_CAP_SPAWN_AGENT).
 *
 * The child's capabilities are "caps" when AIOS_SPAWN_CAPS is set,
 * otherwise default_caps; either way they must be a subset of the
 * caller's (EPERM otherwise).  The child's process is the one pidfd
 * refers to when AIOS_SPAWN_PIDFD is set (typically a process the
 * caller just forked), otherwise the caller's.  Returns a new file
 * descriptor for the child agent in "fd".
 */
#define AIOS_SPAWN_CAPS		_BITUL(0)
#define AIOS_SPAWN_PIDFD	_BITUL(1)
#define AIOS_SPAWN_CLOEXEC	_BITUL(2)
#define AIOS_SPAWN_FLAGS	(AIOS_SPAWN_CAPS | AIOS_SPAWN_PIDFD | \
				 AIOS_SPAWN_CLOEXEC)

struct aios_spawn {
	__u32 size;
	__u32 flags;		/* AIOS_SPAWN_* */
	__u32 prio;		/* enum aios_prio */
	__s32 pidfd;		/* with AIOS_SPAWN_PIDFD, else must be 0 */
	char name[AIOS_NAME_MAX];
	__u64 caps;		/* with AIOS_SPAWN_CAPS, else must be 0 */
	__u64 agent_id;		/* out */
	__s32 fd;		/* out */
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_SPAWN_SIZE_VER0	sizeof(struct aios_spawn)

/*
 * AIOS_IOC_KILL - signal an agent's process and remove the agent.
 *
 * Needs AIOS_CAP_KILL_AGENT, and the target must be a descendant of the
 * caller unless the caller holds AIOS_CAP_ADMIN (or CAP_SYS_ADMIN).
 * signal 0 means SIGKILL.  With AIOS_KILL_PGRP the process group of the
 * agent's process is signalled instead.  The agent is removed whether
 * or not the signal could be delivered; its file turns into an orphan
 * on which every call fails with ENOLINK.
 */
#define AIOS_KILL_PGRP		_BITUL(0)
#define AIOS_KILL_FLAGS		(AIOS_KILL_PGRP)

struct aios_kill {
	__u32 size;
	__u32 flags;		/* AIOS_KILL_* */
	__u64 agent_id;
	__s32 signal;		/* 0 (SIGKILL) or 1.._NSIG-1 */
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_KILL_SIZE_VER0	sizeof(struct aios_kill)

/*
 * AIOS_IOC_MIGRATE - set the CPU affinity of every thread of an agent.
 *
 * agent_id 0 means the caller.  Another agent needs to be a descendant
 * of the caller, or the caller needs AIOS_CAP_ADMIN.  cpumask points to
 * cpumask_size bytes (a multiple of 8, at most 1024) laid out like
 * sched_setaffinity()'s mask.  The mask is intersected with the cpuset
 * of the target; an empty result fails with EINVAL.
 */
struct aios_migrate {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 agent_id;
	__u64 cpumask;		/* user pointer */
	__u32 cpumask_size;
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_MIGRATE_SIZE_VER0	sizeof(struct aios_migrate)

/*
 * AIOS_IOC_CAPS - read, check, grant or revoke capabilities.
 *
 * agent_id 0 means the caller.  GET returns the target's capabilities
 * in "effective".  CHECK asks whether the caller holds every bit of
 * "caps" (0 or EPERM, audited).  GRANT and REVOKE need AIOS_CAP_ADMIN
 * or CAP_SYS_ADMIN; granted bits also propagate nowhere else (children
 * keep what they have; revoked bits are revoked from every descendant
 * too, so that a child never holds a capability its parent lacks).
 */
enum aios_caps_op {
	AIOS_CAPS_GET		= 0,
	AIOS_CAPS_CHECK		= 1,
	AIOS_CAPS_GRANT		= 2,
	AIOS_CAPS_REVOKE	= 3,
};

struct aios_caps {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 op;		/* enum aios_caps_op */
	__u32 reserved0;	/* must be 0 */
	__u64 agent_id;
	__u64 caps;		/* in: bits to check/grant/revoke */
	__u64 effective;	/* out: target's capabilities afterwards */
	__u64 op_id;		/* out: audit operation id */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_CAPS_SIZE_VER0	sizeof(struct aios_caps)

/*
 * AIOS_IOC_LAST_DENIAL - why the last denied operation of this agent
 * was denied.  ENOENT when nothing was denied yet.
 */
struct aios_denial {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 op_id;		/* out: look up with AIOS_CMD_AUDIT_GET */
	__u64 audit_seq;	/* out */
	__u64 cap_required;	/* out: missing capability bits, or 0 */
	__u32 op;		/* out: enum aios_op */
	__s32 error;		/* out: negative errno returned */
	__u64 time_ns;		/* out: CLOCK_BOOTTIME */
	char reason[AIOS_REASON_MAX];	/* out: "KILL_AGENT required" */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_DENIAL_SIZE_VER0	sizeof(struct aios_denial)

/*
 * AIOS_IOC_NOOP - does nothing but validate its argument; the baseline
 * for measuring ioctl overhead (bench category "caps").
 */
struct aios_noop {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 reserved[1];	/* must be 0 */
};

#define AIOS_NOOP_SIZE_VER0	sizeof(struct aios_noop)

/* ---- task scheduler queues (ioctl numbers 0x10-0x1f) ---------------- */

#define AIOS_QUEUE_NAME_MAX	32	/* queue name, including the NUL */

/* Scheduling algorithms (AIOS_QUEUE_A_ALGO). */
enum aios_queue_algo {
	AIOS_ALGO_FIFO		= 0,	/* strict arrival order */
	AIOS_ALGO_ROUND_ROBIN	= 1,	/* arrival order, time slices, yield */
	AIOS_ALGO_PRIORITY	= 2,	/* class order with aging */
	__AIOS_ALGO_MAX,
};

/* Task states (aios_task_wait.state, AIOS_TASK_A_STATE). */
enum aios_task_state {
	AIOS_TASK_QUEUED	= 0,	/* waiting for a worker */
	AIOS_TASK_RUNNING	= 1,	/* fetched by a worker */
	AIOS_TASK_DONE		= 2,	/* completed, result available */
	AIOS_TASK_FAILED	= 3,	/* see enum aios_task_fail */
	AIOS_TASK_CANCELLED	= 4,	/* cancelled by its submitter/admin */
};

/* Why a task failed (aios_task_wait.fail, AIOS_TASK_A_FAIL). */
enum aios_task_fail {
	AIOS_FAIL_NONE		= 0,
	AIOS_FAIL_WORKER	= 1,	/* the worker completed it with an error */
	AIOS_FAIL_WORKER_DIED	= 2,	/* workers died more than max_retries */
	AIOS_FAIL_DEADLINE	= 3,	/* deadline passed before it finished */
	AIOS_FAIL_QUEUE_DESTROYED = 4,	/* its queue was destroyed (forced) */
	AIOS_FAIL_SUBMITTER_DIED = 5,	/* submitter went away; discarded */
};

/*
 * Poll bits of an agent file.  POLLIN is set with any of them.
 *  AIOS_POLL_TASK:   a task can be fetched from a queue this file
 *                    attached to (AIOS_IOC_QUEUE_ATTACH).
 *  AIOS_POLL_RESULT: a task this agent submitted reached a final state
 *                    and can be collected with AIOS_IOC_TASK_WAIT.
 *  AIOS_POLL_MSG:    a message is waiting in this agent's mailbox.
 */
#define AIOS_POLL_TASK		0x0040	/* POLLRDNORM */
#define AIOS_POLL_RESULT	0x0080	/* POLLRDBAND */
#define AIOS_POLL_MSG		0x0400	/* POLLMSG */

/*
 * AIOS_IOC_QUEUE_ATTACH - serve (or stop serving) a queue as a worker.
 * Only affects poll readiness and AIOS_IOC_TASK_FETCH with queue_id 0.
 */
#define AIOS_ATTACH_DETACH	_BITUL(0)
#define AIOS_ATTACH_FLAGS	(AIOS_ATTACH_DETACH)

struct aios_queue_attach {
	__u32 size;
	__u32 flags;		/* AIOS_ATTACH_* */
	__u32 queue_id;
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_QUEUE_ATTACH_SIZE_VER0	sizeof(struct aios_queue_attach)

/*
 * AIOS_IOC_TASK_SUBMIT - queue a task.
 *
 * payload_len must not exceed the queue's max_payload (EMSGSIZE).  When
 * the queue is at max_depth the call blocks until there is room, or
 * fails with EAGAIN under AIOS_SUBMIT_NONBLOCK.  deadline_ns (absolute
 * CLOCK_MONOTONIC, 0 = none) fails the task with AIOS_FAIL_DEADLINE if it
 * has not completed by then.  Payload memory is charged to the caller's
 * memory cgroup; without AIOS_CAP_ALLOC_MEMORY an agent may only have
 * a small quota (module parameter) of payload bytes queued.
 */
#define AIOS_SUBMIT_NONBLOCK	_BITUL(0)
#define AIOS_SUBMIT_FLAGS	(AIOS_SUBMIT_NONBLOCK)

struct aios_task_submit {
	__u32 size;
	__u32 flags;		/* AIOS_SUBMIT_* */
	__u32 queue_id;
	__u32 prio;		/* enum aios_prio */
	__u64 payload;		/* user pointer */
	__u32 payload_len;
	__u32 reserved0;	/* must be 0 */
	__u64 deadline_ns;
	__u64 task_id;		/* out */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_SUBMIT_SIZE_VER0	sizeof(struct aios_task_submit)

/*
 * AIOS_IOC_TASK_FETCH - take the next task of a queue as its worker.
 *
 * queue_id 0 means any attached queue.  Waits up to timeout_ms (-1:
 * forever) or fails with EAGAIN at once under AIOS_FETCH_NONBLOCK; a
 * queue already running max_concurrent tasks has nothing to fetch.  If
 * payload_cap is smaller than the task's payload, nothing is taken,
 * payload_len reports the size and the call fails with EMSGSIZE.
 * context_ref is the reference the worker gave when it last yielded this
 * task (0: a fresh start); slice_ns is the time slice of a ROUND_ROBIN
 * queue (0: none).
 */
#define AIOS_FETCH_NONBLOCK	_BITUL(0)
#define AIOS_FETCH_FLAGS	(AIOS_FETCH_NONBLOCK)

struct aios_task_fetch {
	__u32 size;
	__u32 flags;		/* AIOS_FETCH_* */
	__u32 queue_id;
	__s32 timeout_ms;
	__u64 payload;		/* user pointer */
	__u32 payload_cap;
	__u32 payload_len;	/* out */
	__u64 task_id;		/* out */
	__u64 submitter_id;	/* out */
	__u64 context_ref;	/* out */
	__u64 slice_ns;		/* out */
	__u32 prio;		/* out */
	__u32 fetched_queue_id;	/* out */
	__u32 runs;		/* out: 1 on the first run, +1 per resume */
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_FETCH_SIZE_VER0	sizeof(struct aios_task_fetch)

/*
 * AIOS_IOC_TASK_PROGRESS - report progress of a running task.  Only its
 * worker may.  should_yield is 1 when a ROUND_ROBIN slice has run out and
 * the worker should complete it with AIOS_COMPLETE_YIELD.
 */
struct aios_task_progress {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 task_id;
	__u32 percent;		/* 0..100 */
	__u32 should_yield;	/* out */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_PROGRESS_SIZE_VER0	sizeof(struct aios_task_progress)

/*
 * AIOS_IOC_TASK_COMPLETE - finish, fail or yield a running task.  Only
 * the worker that fetched it may (EPERM); a task already final gives
 * EALREADY.  error 0 means success with result/result_len (at most the
 * queue's max_payload); a negative errno fails the task
 * (AIOS_FAIL_WORKER).  AIOS_COMPLETE_YIELD puts the task at the back of
 * its queue with context_ref to be handed to the next fetch.
 */
#define AIOS_COMPLETE_YIELD	_BITUL(0)
#define AIOS_COMPLETE_FLAGS	(AIOS_COMPLETE_YIELD)

struct aios_task_complete {
	__u32 size;
	__u32 flags;		/* AIOS_COMPLETE_* */
	__u64 task_id;
	__s32 error;		/* 0 or negative errno */
	__u32 result_len;
	__u64 result;		/* user pointer */
	__u64 context_ref;	/* with AIOS_COMPLETE_YIELD */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_COMPLETE_SIZE_VER0	sizeof(struct aios_task_complete)

/*
 * AIOS_IOC_TASK_WAIT - wait for a task this agent submitted.
 *
 * Only the submitter (or an admin) may wait (EPERM); unknown ids give
 * ENOENT.  Waits up to timeout_ms (-1: forever) for a final state;
 * under AIOS_WAIT_NONBLOCK returns the current state at once (that is
 * "poll").  When the task is final and the result fits in result_cap,
 * the result is copied out and the task is released (a second wait gives
 * ENOENT) unless AIOS_WAIT_PEEK is set.  A result larger than
 * result_cap fails with EMSGSIZE and result_len set, releasing nothing.
 * A wait that times out fails with ETIMEDOUT, with state filled in.
 */
#define AIOS_WAIT_NONBLOCK	_BITUL(0)
#define AIOS_WAIT_PEEK		_BITUL(1)
#define AIOS_WAIT_FLAGS		(AIOS_WAIT_NONBLOCK | AIOS_WAIT_PEEK)

struct aios_task_wait {
	__u32 size;
	__u32 flags;		/* AIOS_WAIT_* */
	__u64 task_id;
	__s32 timeout_ms;
	__u32 result_cap;
	__u64 result;		/* user pointer */
	__u32 result_len;	/* out */
	__u32 state;		/* out: enum aios_task_state */
	__u32 fail;		/* out: enum aios_task_fail */
	__s32 error;		/* out: the worker's error, or -errno of fail */
	__u32 progress;		/* out: percent */
	__u32 runs;		/* out */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_WAIT_SIZE_VER0	sizeof(struct aios_task_wait)

/*
 * AIOS_IOC_TASK_CANCEL - cancel a task this agent submitted (or any, as
 * admin).  A queued task is removed at once; a running task is marked
 * cancelled and its worker's completion is discarded.
 */
struct aios_task_cancel {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 task_id;
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_TASK_CANCEL_SIZE_VER0	sizeof(struct aios_task_cancel)

/* ---- GPU claims (ioctl numbers 0x20-0x2f) --------------------------- */

#define AIOS_GPU_NAME_MAX	32	/* device name, including the NUL */
#define AIOS_GPU_PATH_MAX	108	/* device node path, including the NUL */
#define AIOS_GPU_ANY		0	/* device_id: any registered device */

/* Claim states (aios_gpu_query.state, AIOS_GPU_A_STATE). */
enum aios_gpu_state {
	AIOS_GPU_FREE		= 0,	/* device: nobody holds it */
	AIOS_GPU_HELD		= 1,	/* held, no preemption pending */
	AIOS_GPU_PREEMPTING	= 2,	/* holder notified, grace running */
	AIOS_GPU_REVOKED	= 3,	/* claim: taken away after grace */
	AIOS_GPU_RELEASED	= 4,	/* claim: given back */
	AIOS_GPU_WAITING	= 5,	/* claim: in line for the device */
};

/*
 * AIOS_IOC_GPU_CLAIM - claim a device (needs AIOS_CAP_ACCESS_GPU).
 *
 * device_id AIOS_GPU_ANY takes any free device.  The claim has the
 * agent's priority class, or with AIOS_CLAIM_PRIO the class in prio,
 * which may not be higher than the agent's own (EPERM).  When the device
 * is held by a lower class, the holder is notified (netlink event and
 * "signal", the signal it chose in its own claim, 0 for none) and loses
 * the claim after its grace period; the caller waits for that.  An equal
 * or higher holder is waited for in a priority-ordered line.  Waits are
 * bounded by timeout_ms (-1: forever; ETIMEDOUT) and fail at once with
 * EBUSY under AIOS_CLAIM_NONBLOCK.  grace_ms is the grace this claim gets
 * when it is itself preempted (0: the device's default; at most the
 * module parameter gpu_max_grace_ms, else EINVAL).  A NONBLOCK claim that
 * starts a preemption stays in line and fails with EINPROGRESS, handle
 * and claimed_id set: poll AIOS_IOC_GPU_QUERY until HELD.
 */
#define AIOS_CLAIM_NONBLOCK	_BITUL(0)
#define AIOS_CLAIM_PRIO		_BITUL(1)
#define AIOS_CLAIM_FLAGS	(AIOS_CLAIM_NONBLOCK | AIOS_CLAIM_PRIO)

struct aios_gpu_claim {
	__u32 size;
	__u32 flags;		/* AIOS_CLAIM_* */
	__u32 device_id;	/* or AIOS_GPU_ANY */
	__u32 prio;		/* with AIOS_CLAIM_PRIO */
	__s32 signal;		/* sent when preempted; 0: none */
	__u32 grace_ms;
	__s32 timeout_ms;
	__u32 claimed_id;	/* out: device claimed */
	__u64 handle;		/* out */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_GPU_CLAIM_SIZE_VER0	sizeof(struct aios_gpu_claim)

/*
 * AIOS_IOC_GPU_RELEASE - give a claim back.  A handle of another agent
 * gives EPERM, an unknown or already released one EINVAL.  Releasing a
 * claim that is being preempted hands the device over at once.
 */
struct aios_gpu_release {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 handle;
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_GPU_RELEASE_SIZE_VER0	sizeof(struct aios_gpu_release)

/*
 * AIOS_IOC_GPU_QUERY - state of one of this agent's claims: HELD,
 * PREEMPTING (deadline_ns is when it will be revoked) or REVOKED.
 */
struct aios_gpu_query {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u64 handle;
	__u32 state;		/* out: enum aios_gpu_state */
	__u32 device_id;	/* out */
	__u64 deadline_ns;	/* out: CLOCK_MONOTONIC, when PREEMPTING */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_GPU_QUERY_SIZE_VER0	sizeof(struct aios_gpu_query)

/* ---- typed agent IPC (ioctl numbers 0x30-0x3f) ---------------------- */

#define AIOS_INTENT_MAX		32	/* intent string, including the NUL */
#define AIOS_GROUP_NAME_MAX	32	/* group name, including the NUL */

/* Declared payload types; the kernel validates every payload. */
enum aios_msg_type {
	AIOS_MSG_TEXT		= 0,	/* UTF-8 (RFC 3629), no NUL */
	AIOS_MSG_NUMBER		= 1,	/* one JSON number literal */
	AIOS_MSG_JSON		= 2,	/* RFC 8259 text, depth-limited */
	AIOS_MSG_BINARY		= 3,	/* opaque */
	__AIOS_MSG_MAX,
};

/*
 * AIOS_IOC_MSG_SEND - send a typed message.
 *
 * To agent "to", or with AIOS_SEND_GROUP to every member of "group" but
 * the sender.  The kernel stamps the sender's id.  A payload that does
 * not match its declared type fails with EINVAL; err_offset and the
 * agent's last denial (AIOS_IOC_LAST_DENIAL) say where and what was
 * expected.  A full mailbox blocks up to timeout_ms (-1: forever) or
 * fails with EAGAIN under AIOS_SEND_NONBLOCK.  An unknown or dead
 * receiver gives ESRCH; a receiver that dies while we wait, EPIPE; a
 * receiver outside the sender's allow list, EPERM.
 */
#define AIOS_SEND_NONBLOCK	_BITUL(0)
#define AIOS_SEND_GROUP		_BITUL(1)
#define AIOS_SEND_FLAGS		(AIOS_SEND_NONBLOCK | AIOS_SEND_GROUP)

struct aios_msg_send {
	__u32 size;
	__u32 flags;		/* AIOS_SEND_* */
	__u64 to;		/* receiver agent id (unless AIOS_SEND_GROUP) */
	__u32 type;		/* enum aios_msg_type */
	__u32 payload_len;
	__u64 payload;		/* user pointer */
	__u64 correlation_id;	/* 0: none */
	__s32 timeout_ms;
	__u32 err_offset;	/* out: byte offset of a type mismatch */
	char intent[AIOS_INTENT_MAX];	/* non-empty, printable */
	char group[AIOS_GROUP_NAME_MAX];	/* with AIOS_SEND_GROUP */
	__u64 msg_id;		/* out */
	__u32 delivered;	/* out: receivers reached */
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_MSG_SEND_SIZE_VER0	sizeof(struct aios_msg_send)

/*
 * AIOS_IOC_MSG_RECV - take (or with AIOS_RECV_PEEK, look at) the oldest
 * matching message in this agent's mailbox.  Filters: sender id
 * (AIOS_RECV_FROM) and intent (AIOS_RECV_INTENT).  Waits up to
 * timeout_ms (-1: forever) or fails with EAGAIN under
 * AIOS_RECV_NONBLOCK.  A payload larger than payload_cap fails with
 * EMSGSIZE, payload_len set, and leaves the message queued.
 */
#define AIOS_RECV_NONBLOCK	_BITUL(0)
#define AIOS_RECV_PEEK		_BITUL(1)
#define AIOS_RECV_FROM		_BITUL(2)
#define AIOS_RECV_INTENT	_BITUL(3)
#define AIOS_RECV_FLAGS		(AIOS_RECV_NONBLOCK | AIOS_RECV_PEEK | \
				 AIOS_RECV_FROM | AIOS_RECV_INTENT)

struct aios_msg_recv {
	__u32 size;
	__u32 flags;		/* AIOS_RECV_* */
	__s32 timeout_ms;
	__u32 payload_cap;
	__u64 payload;		/* user pointer */
	__u64 from_filter;	/* with AIOS_RECV_FROM */
	char intent_filter[AIOS_INTENT_MAX];	/* with AIOS_RECV_INTENT */
	__u64 msg_id;		/* out */
	__u64 from;		/* out: sender agent id */
	__u64 correlation_id;	/* out */
	__u64 sent_ns;		/* out: CLOCK_BOOTTIME */
	__u32 type;		/* out */
	__u32 payload_len;	/* out */
	char intent[AIOS_INTENT_MAX];	/* out */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_MSG_RECV_SIZE_VER0	sizeof(struct aios_msg_recv)

/*
 * AIOS_IOC_MSG_GROUP - join or (AIOS_GROUP_LEAVE) leave a named
 * broadcast group.  Groups exist while they have members.
 */
#define AIOS_GROUP_LEAVE	_BITUL(0)
#define AIOS_GROUP_FLAGS	(AIOS_GROUP_LEAVE)

struct aios_msg_group {
	__u32 size;
	__u32 flags;		/* AIOS_GROUP_* */
	char name[AIOS_GROUP_NAME_MAX];
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_MSG_GROUP_SIZE_VER0	sizeof(struct aios_msg_group)

/*
 * AIOS_IOC_MSG_POLICY - restrict whom an agent may send to (admin only).
 * With AIOS_POLICY_RESTRICT the agent may send only to the count agent
 * ids at "ids" (a __u64 array, count <= 256); without it the agent may
 * send to anyone again.
 */
#define AIOS_POLICY_RESTRICT	_BITUL(0)
#define AIOS_POLICY_FLAGS	(AIOS_POLICY_RESTRICT)

struct aios_msg_policy {
	__u32 size;
	__u32 flags;		/* AIOS_POLICY_* */
	__u64 agent_id;		/* 0: the caller */
	__u64 ids;		/* user pointer to __u64[count] */
	__u32 count;
	__u32 reserved0;	/* must be 0 */
	__u64 reserved[2];	/* must be 0 */
};

#define AIOS_MSG_POLICY_SIZE_VER0	sizeof(struct aios_msg_policy)

#define AIOS_IOC_API		_IOWR(AIOS_IOC_MAGIC, 0x00, struct aios_api)
#define AIOS_IOC_REGISTER	_IOWR(AIOS_IOC_MAGIC, 0x01, struct aios_register)
#define AIOS_IOC_AGENT_INFO	_IOWR(AIOS_IOC_MAGIC, 0x02, struct aios_agent_info)
#define AIOS_IOC_SPAWN		_IOWR(AIOS_IOC_MAGIC, 0x03, struct aios_spawn)
#define AIOS_IOC_KILL		_IOW(AIOS_IOC_MAGIC, 0x04, struct aios_kill)
#define AIOS_IOC_MIGRATE	_IOW(AIOS_IOC_MAGIC, 0x05, struct aios_migrate)
#define AIOS_IOC_CAPS		_IOWR(AIOS_IOC_MAGIC, 0x06, struct aios_caps)
#define AIOS_IOC_LAST_DENIAL	_IOWR(AIOS_IOC_MAGIC, 0x07, struct aios_denial)
#define AIOS_IOC_NOOP		_IOW(AIOS_IOC_MAGIC, 0x08, struct aios_noop)
/* 0x09-0x0f: core, reserved */
#define AIOS_IOC_QUEUE_ATTACH	_IOW(AIOS_IOC_MAGIC, 0x10, struct aios_queue_attach)
#define AIOS_IOC_TASK_SUBMIT	_IOWR(AIOS_IOC_MAGIC, 0x11, struct aios_task_submit)
#define AIOS_IOC_TASK_FETCH	_IOWR(AIOS_IOC_MAGIC, 0x12, struct aios_task_fetch)
#define AIOS_IOC_TASK_PROGRESS	_IOWR(AIOS_IOC_MAGIC, 0x13, struct aios_task_progress)
#define AIOS_IOC_TASK_COMPLETE	_IOW(AIOS_IOC_MAGIC, 0x14, struct aios_task_complete)
#define AIOS_IOC_TASK_WAIT	_IOWR(AIOS_IOC_MAGIC, 0x15, struct aios_task_wait)
#define AIOS_IOC_TASK_CANCEL	_IOW(AIOS_IOC_MAGIC, 0x16, struct aios_task_cancel)
/* 0x17-0x1f: queues, reserved */
#define AIOS_IOC_GPU_CLAIM	_IOWR(AIOS_IOC_MAGIC, 0x20, struct aios_gpu_claim)
#define AIOS_IOC_GPU_RELEASE	_IOW(AIOS_IOC_MAGIC, 0x21, struct aios_gpu_release)
#define AIOS_IOC_GPU_QUERY	_IOWR(AIOS_IOC_MAGIC, 0x22, struct aios_gpu_query)
/* 0x23-0x2f: GPU, reserved */
#define AIOS_IOC_MSG_SEND	_IOWR(AIOS_IOC_MAGIC, 0x30, struct aios_msg_send)
#define AIOS_IOC_MSG_RECV	_IOWR(AIOS_IOC_MAGIC, 0x31, struct aios_msg_recv)
#define AIOS_IOC_MSG_GROUP	_IOW(AIOS_IOC_MAGIC, 0x32, struct aios_msg_group)
#define AIOS_IOC_MSG_POLICY	_IOW(AIOS_IOC_MAGIC, 0x33, struct aios_msg_policy)
/* 0x34-0x3f: IPC, reserved */

/* ------------------------------------------------------------------ */
/* Generic netlink family "aios"                                       */
/* ------------------------------------------------------------------ */

#define AIOS_GENL_NAME		"aios"
#define AIOS_GENL_VERSION	1
#define AIOS_MCGRP_EVENTS	"events"	/* lifecycle + caps changes */
#define AIOS_MCGRP_AUDIT	"audit"		/* every audit record */

/*
 * Commands: 0x01-0x0f core, 0x10-0x1f queues, 0x20-0x2f GPU,
 * 0x30-0x3f IPC, 0x80-0xff notifications (multicast only).
 */
enum aios_cmd {
	AIOS_CMD_UNSPEC		= 0x00,
	AIOS_CMD_STATUS_GET	= 0x01,	/* do: module status */
	AIOS_CMD_AGENT_GET	= 0x02,	/* do: one agent by id; dump: all */
	AIOS_CMD_AGENT_KILL	= 0x03,	/* do */
	AIOS_CMD_AGENT_MIGRATE	= 0x04,	/* do */
	AIOS_CMD_CAPS_GET	= 0x05,	/* do */
	AIOS_CMD_CAPS_GRANT	= 0x06,	/* do */
	AIOS_CMD_CAPS_REVOKE	= 0x07,	/* do */
	AIOS_CMD_AUDIT_GET	= 0x08,	/* dump, filtered */
	AIOS_CMD_AUDIT_CONFIG	= 0x09,	/* do, CAP_SYS_ADMIN */

	AIOS_CMD_QUEUE_BASE	= 0x10,
	AIOS_CMD_QUEUE_CREATE	= 0x10,	/* do: admin */
	AIOS_CMD_QUEUE_DESTROY	= 0x11,	/* do: admin; AIOS_A_FLAGS FORCE */
	AIOS_CMD_QUEUE_GET	= 0x12,	/* do: by id or name; dump: all */
	AIOS_CMD_TASK_GET	= 0x13,	/* dump: tasks (filter queue id) */
	AIOS_CMD_GPU_BASE	= 0x20,
	AIOS_CMD_GPU_REGISTER	= 0x20,	/* do: admin */
	AIOS_CMD_GPU_UNREGISTER	= 0x21,	/* do: admin */
	AIOS_CMD_GPU_GET	= 0x22,	/* do: by id; dump: all */
	AIOS_CMD_IPC_BASE	= 0x30,
	AIOS_CMD_MBOX_GET	= 0x30,	/* do: by agent id; dump: all */

	AIOS_CMD_NTF_AGENT_NEW	= 0x80,	/* AIOS_A_AGENT */
	AIOS_CMD_NTF_AGENT_DEL	= 0x81,	/* AIOS_A_AGENT, AIOS_A_REASON */
	AIOS_CMD_NTF_CAPS	= 0x82,	/* AIOS_A_AGENT */
	AIOS_CMD_NTF_AUDIT	= 0x83,	/* AIOS_A_AUDIT */
	AIOS_CMD_NTF_QUEUE_NEW	= 0x84,	/* AIOS_A_QUEUE */
	AIOS_CMD_NTF_QUEUE_DEL	= 0x85,	/* AIOS_A_QUEUE */
	AIOS_CMD_NTF_TASK_FAILED = 0x86,	/* AIOS_A_TASK */
	AIOS_CMD_NTF_MSG_REJECTED = 0x87,	/* AIOS_A_MBOX + AIOS_A_REJECT */
	AIOS_CMD_NTF_GPU_CLAIM	= 0x88,	/* AIOS_A_GPU */
	AIOS_CMD_NTF_GPU_RELEASE = 0x89,	/* AIOS_A_GPU */
	AIOS_CMD_NTF_GPU_PREEMPT = 0x8a,	/* AIOS_A_GPU: holder notified */
	AIOS_CMD_NTF_GPU_REVOKE	= 0x8b,	/* AIOS_A_GPU */

	__AIOS_CMD_MAX,
};

#define AIOS_CMD_MAX		(__AIOS_CMD_MAX - 1)

/* Why an agent went away (AIOS_A_REASON in AIOS_CMD_NTF_AGENT_DEL). */
enum aios_exit_reason {
	AIOS_EXIT_CLOSED	= 0,	/* last file reference closed */
	AIOS_EXIT_KILLED	= 1,	/* AIOS_IOC_KILL / AIOS_CMD_AGENT_KILL */
	AIOS_EXIT_UNLOAD	= 2,	/* module teardown */
};

/*
 * Top-level attributes.  Requests may carry AIOS_A_CALLER_FD: a /dev/aios
 * file descriptor of the sending process, which makes the request act as
 * that agent (capability checks, audit, denial reasons).  Without it the
 * request is judged by the sender's CAP_SYS_ADMIN alone.
 */
enum aios_attr {
	AIOS_A_UNSPEC,
	AIOS_A_PAD,
	AIOS_A_CALLER_FD,	/* u32 */
	AIOS_A_AGENT_ID,	/* u64 */
	AIOS_A_CAPS,		/* u64, AIOS_CAP_* */
	AIOS_A_SIGNAL,		/* u32 */
	AIOS_A_FLAGS,		/* u32, command specific (AIOS_KILL_*) */
	AIOS_A_CPUMASK,		/* binary, like sched_setaffinity() */
	AIOS_A_OP_ID,		/* u64, audit filter */
	AIOS_A_SEQ_AFTER,	/* u64, audit filter: records with seq > */
	AIOS_A_RING_SIZE,	/* u32, audit ring entries (power of 2) */
	AIOS_A_AGENT,		/* nest, enum aios_agent_attr */
	AIOS_A_AUDIT,		/* nest, enum aios_audit_attr */
	AIOS_A_STATUS,		/* nest, enum aios_status_attr */
	AIOS_A_REASON,		/* u32, enum aios_exit_reason */

	AIOS_A_QUEUE,		/* nest, enum aios_queue_attr */
	AIOS_A_TASK,		/* nest, enum aios_task_attr */

	AIOS_A_MBOX,		/* nest, enum aios_mbox_attr */
	AIOS_A_REJECT,		/* nest, enum aios_reject_attr */
	AIOS_A_GPU,		/* nest, enum aios_gpu_attr */

	__AIOS_A_MAX,
};

#define AIOS_A_MAX		(__AIOS_A_MAX - 1)

enum aios_agent_attr {
	AIOS_AGENT_A_UNSPEC,
	AIOS_AGENT_A_PAD,
	AIOS_AGENT_A_ID,	/* u64 */
	AIOS_AGENT_A_PARENT_ID,	/* u64 */
	AIOS_AGENT_A_NAME,	/* string */
	AIOS_AGENT_A_PRIO,	/* u32, enum aios_prio */
	AIOS_AGENT_A_CAPS,	/* u64 */
	AIOS_AGENT_A_PID,	/* u32, in the receiver's pid namespace */
	AIOS_AGENT_A_UID,	/* u32, in the receiver's user namespace */
	AIOS_AGENT_A_STATE,	/* u32, enum aios_agent_state */
	AIOS_AGENT_A_CREATED_NS,	/* u64, CLOCK_BOOTTIME */
	AIOS_AGENT_A_CPUS,	/* binary cpumask (u64 words) */
	__AIOS_AGENT_A_MAX,
};

#define AIOS_AGENT_A_MAX	(__AIOS_AGENT_A_MAX - 1)

enum aios_audit_attr {
	AIOS_AUDIT_A_UNSPEC,
	AIOS_AUDIT_A_PAD,
	AIOS_AUDIT_A_SEQ,	/* u64 */
	AIOS_AUDIT_A_OP_ID,	/* u64 */
	AIOS_AUDIT_A_AGENT_ID,	/* u64, 0 for a non-agent caller */
	AIOS_AUDIT_A_OP,	/* u32, enum aios_op */
	AIOS_AUDIT_A_OBJECT,	/* u64, see enum aios_op */
	AIOS_AUDIT_A_RESULT,	/* s32, 0 or negative errno */
	AIOS_AUDIT_A_TIME_NS,	/* u64, CLOCK_BOOTTIME */
	AIOS_AUDIT_A_CAP,	/* u64, capability bits required */
	__AIOS_AUDIT_A_MAX,
};

#define AIOS_AUDIT_A_MAX	(__AIOS_AUDIT_A_MAX - 1)

enum aios_status_attr {
	AIOS_STATUS_A_UNSPEC,
	AIOS_STATUS_A_PAD,
	AIOS_STATUS_A_API_VERSION,	/* u32 */
	AIOS_STATUS_A_FEATURES,		/* u64 */
	AIOS_STATUS_A_AGENTS,		/* u32, live agents */
	AIOS_STATUS_A_NEXT_AGENT_ID,	/* u64 */
	AIOS_STATUS_A_DEFAULT_CAPS,	/* u64 */
	AIOS_STATUS_A_AUDIT_RING_SIZE,	/* u32 */
	AIOS_STATUS_A_AUDIT_NEXT_SEQ,	/* u64: seq the next record gets */
	AIOS_STATUS_A_AUDIT_FIRST_SEQ,	/* u64: oldest record still held */
	/* u64: records overwritten, or dropped by a resize, so far */
	AIOS_STATUS_A_AUDIT_LOST,
	__AIOS_STATUS_A_MAX,
};

#define AIOS_STATUS_A_MAX	(__AIOS_STATUS_A_MAX - 1)

/* AIOS_A_FLAGS of AIOS_CMD_QUEUE_DESTROY */
#define AIOS_DESTROY_FORCE	_BITUL(0)

/*
 * Queue attributes.  CREATE takes NAME (required), ALGO (required),
 * MAX_CONCURRENT, SLICE_MS, MAX_PAYLOAD, MAX_DEPTH, MAX_RETRIES, AGING_MS;
 * the rest are statistics in replies.  Latency percentiles come from a
 * fixed-size log2 histogram and are upper bounds of their bucket.
 */
enum aios_queue_attr {
	AIOS_QUEUE_A_UNSPEC,
	AIOS_QUEUE_A_PAD,
	AIOS_QUEUE_A_ID,		/* u32 */
	AIOS_QUEUE_A_NAME,		/* string, < AIOS_QUEUE_NAME_MAX */
	AIOS_QUEUE_A_ALGO,		/* u32, enum aios_queue_algo */
	AIOS_QUEUE_A_MAX_CONCURRENT,	/* u32, >= 1 (default 1) */
	AIOS_QUEUE_A_SLICE_MS,		/* u32, ROUND_ROBIN slice */
	AIOS_QUEUE_A_MAX_PAYLOAD,	/* u32, bytes (default 65536) */
	AIOS_QUEUE_A_MAX_DEPTH,		/* u32, queued tasks (default 1024) */
	AIOS_QUEUE_A_MAX_RETRIES,	/* u32, requeues after worker death */
	AIOS_QUEUE_A_AGING_MS,		/* u32, PRIORITY: one class per period */
	AIOS_QUEUE_A_DEPTH,		/* u32 */
	AIOS_QUEUE_A_RUNNING,		/* u32 */
	AIOS_QUEUE_A_SUBMITTED,		/* u64 */
	AIOS_QUEUE_A_COMPLETED,		/* u64 */
	AIOS_QUEUE_A_FAILED,		/* u64 */
	AIOS_QUEUE_A_CANCELLED,		/* u64 */
	AIOS_QUEUE_A_REQUEUED,		/* u64 */
	AIOS_QUEUE_A_YIELDED,		/* u64 */
	AIOS_QUEUE_A_PER_MIN,		/* u64, completions in the last minute */
	AIOS_QUEUE_A_WAIT_P50_US,	/* u64 */
	AIOS_QUEUE_A_WAIT_P99_US,	/* u64 */
	AIOS_QUEUE_A_RUN_P50_US,	/* u64 */
	AIOS_QUEUE_A_RUN_P99_US,	/* u64 */
	AIOS_QUEUE_A_KMEM_BYTES,	/* u64, kernel memory held by tasks */
	__AIOS_QUEUE_A_MAX,
};

#define AIOS_QUEUE_A_MAX	(__AIOS_QUEUE_A_MAX - 1)

enum aios_task_attr {
	AIOS_TASK_A_UNSPEC,
	AIOS_TASK_A_PAD,
	AIOS_TASK_A_ID,			/* u64 */
	AIOS_TASK_A_QUEUE_ID,		/* u32 */
	AIOS_TASK_A_SUBMITTER_ID,	/* u64 */
	AIOS_TASK_A_WORKER_ID,		/* u64, 0 when not running */
	AIOS_TASK_A_PRIO,		/* u32 */
	AIOS_TASK_A_STATE,		/* u32, enum aios_task_state */
	AIOS_TASK_A_FAIL,		/* u32, enum aios_task_fail */
	AIOS_TASK_A_ERROR,		/* s32 */
	AIOS_TASK_A_PROGRESS,		/* u32 */
	AIOS_TASK_A_RUNS,		/* u32 */
	AIOS_TASK_A_RETRIES,		/* u32 */
	AIOS_TASK_A_PAYLOAD_LEN,	/* u32 */
	AIOS_TASK_A_SUBMIT_NS,		/* u64, CLOCK_MONOTONIC */
	AIOS_TASK_A_CONTEXT_REF,	/* u64 */
	__AIOS_TASK_A_MAX,
};

#define AIOS_TASK_A_MAX		(__AIOS_TASK_A_MAX - 1)

/* Mailbox statistics (AIOS_CMD_MBOX_GET). */
enum aios_mbox_attr {
	AIOS_MBOX_A_UNSPEC,
	AIOS_MBOX_A_PAD,
	AIOS_MBOX_A_AGENT_ID,		/* u64 */
	AIOS_MBOX_A_COUNT,		/* u32, messages queued */
	AIOS_MBOX_A_BYTES,		/* u64, payload bytes queued */
	AIOS_MBOX_A_MAX_COUNT,		/* u32 */
	AIOS_MBOX_A_MAX_BYTES,		/* u64 */
	AIOS_MBOX_A_RECEIVED,		/* u64, delivered into this mailbox */
	AIOS_MBOX_A_TAKEN,		/* u64, taken out by the owner */
	AIOS_MBOX_A_FULL,		/* u64, sends refused or delayed: full */
	AIOS_MBOX_A_REJECTED,		/* u64, sends to it failing validation */
	AIOS_MBOX_A_SENT,		/* u64, messages this agent sent */
	__AIOS_MBOX_A_MAX,
};

#define AIOS_MBOX_A_MAX		(__AIOS_MBOX_A_MAX - 1)

/* Why a send was refused (AIOS_CMD_NTF_MSG_REJECTED). */
enum aios_reject_attr {
	AIOS_REJECT_A_UNSPEC,
	AIOS_REJECT_A_PAD,
	AIOS_REJECT_A_FROM,		/* u64, sender agent id */
	AIOS_REJECT_A_TO,		/* u64, receiver agent id */
	AIOS_REJECT_A_TYPE,		/* u32, enum aios_msg_type */
	AIOS_REJECT_A_ERROR,		/* s32, negative errno */
	AIOS_REJECT_A_OFFSET,		/* u32, byte offset of a mismatch */
	AIOS_REJECT_A_REASON,		/* string */
	AIOS_REJECT_A_LEN,		/* u32, payload length */
	__AIOS_REJECT_A_MAX,
};

#define AIOS_REJECT_A_MAX	(__AIOS_REJECT_A_MAX - 1)

/*
 * GPU device attributes.  REGISTER takes ID (>= 1), NAME, PATH (the
 * kernel resolves MAJOR/MINOR of the character device node) and optional
 * GRACE_MS (the device's default grace).  Replies add the claim state and
 * utilization: the share of wall time the device was claimed over the
 * last UTIL_WINDOW_MS, in parts per million.  GET with AIOS_A_AGENT_ID
 * instead of a device replies OWNER_ID, UTIL_PPM (device time that agent
 * held over the window), UTIL_WINDOW_MS and CLAIMS for that agent.
 */
enum aios_gpu_attr {
	AIOS_GPU_A_UNSPEC,
	AIOS_GPU_A_PAD,
	AIOS_GPU_A_ID,			/* u32 */
	AIOS_GPU_A_NAME,		/* string */
	AIOS_GPU_A_PATH,		/* string */
	AIOS_GPU_A_MAJOR,		/* u32 */
	AIOS_GPU_A_MINOR,		/* u32 */
	AIOS_GPU_A_GRACE_MS,		/* u32 */
	AIOS_GPU_A_STATE,		/* u32, enum aios_gpu_state */
	AIOS_GPU_A_OWNER_ID,		/* u64, holder agent id */
	AIOS_GPU_A_OWNER_PID,		/* u32, holder's process */
	AIOS_GPU_A_PRIO,		/* u32, holder's claim class */
	AIOS_GPU_A_HANDLE,		/* u64, holder's claim handle */
	AIOS_GPU_A_SINCE_NS,		/* u64, CLOCK_MONOTONIC */
	AIOS_GPU_A_DEADLINE_NS,		/* u64, revoke time when PREEMPTING */
	AIOS_GPU_A_WAITERS,		/* u32 */
	AIOS_GPU_A_UTIL_PPM,		/* u32 */
	AIOS_GPU_A_UTIL_WINDOW_MS,	/* u32 */
	AIOS_GPU_A_CLAIMS,		/* u64, claims granted so far */
	AIOS_GPU_A_PREEMPTIONS,		/* u64 */
	__AIOS_GPU_A_MAX,
};

#define AIOS_GPU_A_MAX		(__AIOS_GPU_A_MAX - 1)

#endif /* _UAPI_LINUX_AIOS_H */
