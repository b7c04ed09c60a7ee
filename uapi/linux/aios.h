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
#define AIOS_CAP_SPAWN_AGENT	(1ULL << 0)
#define AIOS_CAP_KILL_AGENT	(1ULL << 1)
#define AIOS_CAP_ALLOC_MEMORY	(1ULL << 2)
#define AIOS_CAP_ACCESS_FS	(1ULL << 3)
#define AIOS_CAP_ACCESS_NET	(1ULL << 4)
#define AIOS_CAP_ACCESS_GPU	(1ULL << 5)
#define AIOS_CAP_ACCESS_IO	(1ULL << 6)
#define AIOS_CAP_ADMIN		(1ULL << 7)
#define AIOS_CAP_ALL		((1ULL << 8) - 1)
#define AIOS_CAP_DEFAULT	(AIOS_CAP_SPAWN_AGENT | AIOS_CAP_ALLOC_MEMORY)

/*
 * Feature bits reported by AIOS_IOC_API.  A subsystem's bit is set only
 * when this module implements it; userspace must test before use.
 */
#define AIOS_FEAT_AGENTS	(1ULL << 0)	/* registry, spawn/kill/migrate */
#define AIOS_FEAT_CAPS		(1ULL << 1)	/* capabilities, denial reasons */
#define AIOS_FEAT_AUDIT		(1ULL << 2)	/* audit ring + events */
#define AIOS_FEAT_QUEUES	(1ULL << 3)	/* task scheduler queues */
#define AIOS_FEAT_GPU		(1ULL << 4)	/* GPU claims */
#define AIOS_FEAT_IPC		(1ULL << 5)	/* typed agent IPC */

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
	AIOS_OP_GPU_BASE	= 0x20,
	AIOS_OP_IPC_BASE	= 0x30,
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
#define AIOS_SPAWN_CAPS		(1U << 0)
#define AIOS_SPAWN_PIDFD	(1U << 1)
#define AIOS_SPAWN_CLOEXEC	(1U << 2)
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
#define AIOS_KILL_PGRP		(1U << 0)
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
/* 0x10-0x1f: task queues, 0x20-0x2f: GPU, 0x30-0x3f: IPC */

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
	AIOS_CMD_GPU_BASE	= 0x20,
	AIOS_CMD_IPC_BASE	= 0x30,

	AIOS_CMD_NTF_AGENT_NEW	= 0x80,	/* AIOS_A_AGENT */
	AIOS_CMD_NTF_AGENT_DEL	= 0x81,	/* AIOS_A_AGENT, AIOS_A_REASON */
	AIOS_CMD_NTF_CAPS	= 0x82,	/* AIOS_A_AGENT */
	AIOS_CMD_NTF_AUDIT	= 0x83,	/* AIOS_A_AUDIT */

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

	/* queue, GPU and IPC attributes get their own nests here */

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
	AIOS_STATUS_A_AUDIT_LOST,	/* u64: records overwritten (or
					 * dropped by a resize) before
					 * anyone could read them back */
	__AIOS_STATUS_A_MAX,
};
#define AIOS_STATUS_A_MAX	(__AIOS_STATUS_A_MAX - 1)

#endif /* _UAPI_LINUX_AIOS_H */
