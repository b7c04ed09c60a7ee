/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaios: C library for aios agents and admin tools.
 *
 * A handle (struct aios) owns at most one /dev/aios file descriptor and a
 * lazily created generic netlink socket.  Every call returns 0 (or a
 * non-negative value) on success and a negative errno on failure; after a
 * failure aios_errmsg() holds a message a person can act on, including
 * the kernel's reason for a denial ("KILL_AGENT required").
 *
 * A handle is not thread safe; use one per thread.  Arrays returned by the
 * library are released with free().
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef AIOS_H
#define AIOS_H

#include <linux/aios.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aios;		/* opaque handle */
struct aios_events;	/* opaque event subscription */

/* ---- handle ----------------------------------------------------- */

/* Allocate a handle with no device open (netlink-only use works). NULL: ENOMEM. */
struct aios *aios_new(void);
/* Open /dev/aios and perform the API handshake. */
int aios_open(struct aios *h);
/* Same with another device path (tests, containers). */
int aios_open_path(struct aios *h, const char *path);
/*
 * Take ownership of an already open /dev/aios descriptor, e.g. an agent
 * fd inherited from a parent that spawned us.  Performs the handshake when
 * the file still needs one and learns the agent's id when it is an agent.
 */
int aios_adopt_fd(struct aios *h, int fd);
/* Close everything and free the handle (NULL is fine). */
void aios_close(struct aios *h);

/* Last error message of this handle ("" when none). */
const char *aios_errmsg(const struct aios *h);
/* Device descriptor, or -EBADF when none is open. */
int aios_fd(const struct aios *h);
/* Kernel API version and AIOS_FEAT_* bits learned by the handshake. */
uint32_t aios_api_version(const struct aios *h);
uint64_t aios_features(const struct aios *h);
/* sizeof() of an ioctl argument as known by the kernel (0: unknown). */
unsigned int aios_ioctl_size(const struct aios *h, unsigned int nr);
/* Agent id of this handle, 0 when it is not (yet) an agent. */
uint64_t aios_agent_id(const struct aios *h);

/*
 * Transport for operations that exist both as ioctl and as netlink
 * command (kill, migrate, caps get/grant/revoke).  AUTO: ioctl when the
 * handle is an agent, netlink (judged by CAP_SYS_ADMIN) otherwise.
 * NETLINK: always netlink; an agent handle passes AIOS_A_CALLER_FD so the
 * kernel judges the request as that agent.  IOCTL: always ioctl.
 */
enum aios_via {
	AIOS_VIA_AUTO		= 0,
	AIOS_VIA_IOCTL		= 1,
	AIOS_VIA_NETLINK	= 2,
};
int aios_set_via(struct aios *h, int via);

/* ---- agents (ioctl) ---------------------------------------------- */

/* Agent description (AGENT_INFO ioctl and AIOS_A_AGENT netlink nests). */
struct aios_agent {
	uint64_t id;
	uint64_t parent_id;	/* 0: root agent */
	uint64_t caps;
	uint64_t created_ns;	/* CLOCK_BOOTTIME */
	uint32_t prio;		/* enum aios_prio */
	uint32_t state;		/* enum aios_agent_state */
	int32_t pid;
	uint32_t uid;
	char name[AIOS_NAME_MAX];
	cpu_set_t cpus;		/* valid when has_cpus */
	bool has_cpus;
	uint32_t present;	/* bit (1u << AIOS_AGENT_A_x) per attribute seen */
};

/* Register this handle as an agent; *id (may be NULL) gets its id. */
int aios_register(struct aios *h, const char *name, unsigned int prio,
		  uint64_t *id);
/* Describe the agent of this handle (AIOS_IOC_AGENT_INFO). */
int aios_agent_info(struct aios *h, struct aios_agent *out);

struct aios_spawn_opts {
	size_t sz;		/* sizeof(struct aios_spawn_opts) */
	const char *name;
	unsigned int prio;	/* enum aios_prio */
	int pidfd;		/* child's process; -1: the caller */
	bool set_caps;		/* use caps instead of default_caps */
	uint64_t caps;
	bool cloexec;		/* O_CLOEXEC on the new descriptor */
};
/* Spawn a child agent; returns its new descriptor, *id (may be NULL) its id. */
int aios_spawn_fd(struct aios *h, const struct aios_spawn_opts *o,
		  uint64_t *id);
/* Same, wrapping the descriptor in a new handle *child. */
int aios_spawn(struct aios *h, const struct aios_spawn_opts *o,
	       struct aios **child);

/* Signal agent id (sig 0: SIGKILL) and remove it; flags AIOS_KILL_PGRP. */
int aios_kill(struct aios *h, uint64_t id, int sig, unsigned int flags);
/* Set the CPU affinity of agent id (0: self). */
int aios_migrate(struct aios *h, uint64_t id, const cpu_set_t *cpus);

/* ---- capabilities ------------------------------------------------ */

/* *caps = capabilities of agent id (0: self). */
int aios_caps_get(struct aios *h, uint64_t id, uint64_t *caps);
/* 0 when this agent holds every bit of caps, -EPERM (audited) otherwise. */
int aios_caps_check(struct aios *h, uint64_t caps);
/* Grant/revoke; *effective (may be NULL) = target's caps afterwards. */
int aios_caps_grant(struct aios *h, uint64_t id, uint64_t caps,
		    uint64_t *effective);
int aios_caps_revoke(struct aios *h, uint64_t id, uint64_t caps,
		     uint64_t *effective);
/* Why the last denied operation of this agent was denied; -ENOENT: none. */
int aios_last_denial(struct aios *h, struct aios_denial *out);
/* AIOS_IOC_NOOP (baseline for benchmarks). */
int aios_noop(struct aios *h);

/* ---- netlink: status, agents, audit ------------------------------ */

struct aios_status {
	uint32_t api_version;
	uint64_t features;
	uint32_t agents;
	uint64_t next_agent_id;
	uint64_t default_caps;
	uint32_t audit_ring_size;
	uint64_t audit_next_seq;
	uint64_t audit_first_seq;
	uint64_t audit_lost;
	uint32_t present;	/* bit (1u << AIOS_STATUS_A_x) per attribute */
};
int aios_status(struct aios *h, struct aios_status *out);

/* All live agents (*list freed with free()); returns the count. */
int aios_agents(struct aios *h, struct aios_agent **list, size_t *n);
/* One agent by id (netlink AGENT_GET). */
int aios_agent_get(struct aios *h, uint64_t id, struct aios_agent *out);

struct aios_audit_rec {
	uint64_t seq;
	uint64_t op_id;
	uint64_t agent_id;	/* 0: not an agent */
	uint32_t op;		/* enum aios_op */
	int32_t result;		/* 0 or negative errno */
	uint64_t object;
	uint64_t time_ns;
	uint64_t cap;		/* capability bits required */
	uint32_t present;	/* bit (1u << AIOS_AUDIT_A_x) per attribute */
};

#define AIOS_AUDIT_F_OP_ID	(1U << 0)
#define AIOS_AUDIT_F_SEQ_AFTER	(1U << 1)
#define AIOS_AUDIT_F_AGENT	(1U << 2)

struct aios_audit_filter {
	unsigned int flags;	/* AIOS_AUDIT_F_*: which fields apply */
	uint64_t op_id;
	uint64_t seq_after;	/* records with seq > seq_after */
	uint64_t agent_id;
	size_t limit;		/* keep only the newest limit records; 0: all */
};
/* Audit records (filter may be NULL); returns the count. */
int aios_audit_read(struct aios *h, const struct aios_audit_filter *f,
		    struct aios_audit_rec **list, size_t *n);
/* Resize the audit ring (CAP_SYS_ADMIN; a power of two). */
int aios_audit_config(struct aios *h, uint32_t ring_size);

/* ---- task queues (Documentation/queues.md) ----------------------- */

/* Which optional fields of struct aios_queue_cfg are given. */
#define AIOS_QCFG_MAX_CONCURRENT	(1U << 0)
#define AIOS_QCFG_SLICE_MS		(1U << 1)
#define AIOS_QCFG_MAX_PAYLOAD		(1U << 2)
#define AIOS_QCFG_MAX_DEPTH		(1U << 3)
#define AIOS_QCFG_MAX_RETRIES		(1U << 4)
#define AIOS_QCFG_AGING_MS		(1U << 5)

struct aios_queue_cfg {
	size_t sz;		/* sizeof(struct aios_queue_cfg) */
	const char *name;	/* printable, no spaces, < AIOS_QUEUE_NAME_MAX */
	unsigned int algo;	/* enum aios_queue_algo */
	unsigned int set;	/* AIOS_QCFG_*: fields below given (else default) */
	uint32_t max_concurrent;
	uint32_t slice_ms;
	uint32_t max_payload;
	uint32_t max_depth;
	uint32_t max_retries;
	uint32_t aging_ms;
};

/* A queue with its statistics (AIOS_A_QUEUE). */
struct aios_queue_info {
	uint32_t id, algo, max_concurrent, slice_ms, max_payload, max_depth;
	uint32_t max_retries, aging_ms, depth, running;
	uint64_t submitted, completed, failed, cancelled, requeued, yielded;
	uint64_t per_min;	/* completions in the last minute */
	uint64_t wait_p50_us, wait_p99_us, run_p50_us, run_p99_us;
	uint64_t kmem_bytes;
	char name[AIOS_QUEUE_NAME_MAX];
	uint64_t present;	/* bit (1ull << AIOS_QUEUE_A_x) per attribute */
};

/* A task not yet collected (AIOS_A_TASK). */
struct aios_task_info {
	uint64_t id, submitter_id, worker_id, submit_ns, context_ref;
	uint32_t queue_id, prio, state, fail, progress, runs, retries;
	uint32_t payload_len;
	int32_t error;
	uint32_t present;	/* bit (1u << AIOS_TASK_A_x) per attribute */
};

/* Create (admin); *id (may be NULL) gets the new queue's id. */
int aios_queue_create(struct aios *h, const struct aios_queue_cfg *c,
		      uint32_t *id);
/* Destroy queue id (or name when id is 0); force fails its tasks. */
int aios_queue_destroy(struct aios *h, uint32_t id, const char *name,
		       bool force);
/* One queue by id (or name when id is 0). */
int aios_queue_get(struct aios *h, uint32_t id, const char *name,
		   struct aios_queue_info *out);
/* Every queue (*list freed with free()); returns the count. */
int aios_queues(struct aios *h, struct aios_queue_info **list, size_t *n);
/* Tasks of queue_id (0: all queues); returns the count. */
int aios_tasks(struct aios *h, uint32_t queue_id,
	       struct aios_task_info **list, size_t *n);

/* Serve (or stop serving) a queue: poll readiness, fetch from queue 0. */
int aios_queue_attach(struct aios *h, uint32_t queue_id, bool detach);
/* Submit; flags AIOS_SUBMIT_NONBLOCK; deadline_ns CLOCK_MONOTONIC or 0. */
int aios_task_submit(struct aios *h, uint32_t queue_id, unsigned int prio,
		     const void *payload, size_t len, uint64_t deadline_ns,
		     unsigned int flags, uint64_t *task_id);

struct aios_fetched {
	uint64_t task_id, submitter_id;
	uint64_t context_ref;	/* given by the last yield, 0: fresh start */
	uint64_t slice_ns;	/* ROUND_ROBIN slice, 0: none */
	uint32_t queue_id, prio, runs;
	size_t len;		/* payload bytes (also on -EMSGSIZE) */
};
/*
 * Fetch the next task of queue_id (0: any attached queue) into buf; waits
 * up to timeout_ms (-1: forever).  -EAGAIN (AIOS_FETCH_NONBLOCK),
 * -ETIMEDOUT, -EMSGSIZE (out->len needed), -EINTR on a signal.
 */
int aios_task_fetch(struct aios *h, uint32_t queue_id, int timeout_ms,
		    unsigned int flags, void *buf, size_t cap,
		    struct aios_fetched *out);
/* Report progress; *should_yield (may be NULL) set past a RR slice. */
int aios_task_progress(struct aios *h, uint64_t task_id, unsigned int percent,
		       bool *should_yield);
/* Finish with a result (error 0) or fail it (negative errno). */
int aios_task_complete(struct aios *h, uint64_t task_id, int error,
		       const void *result, size_t len);
/* Give the task back to the end of its queue with a context reference. */
int aios_task_yield(struct aios *h, uint64_t task_id, uint64_t context_ref);

struct aios_task_result {
	uint32_t state;		/* enum aios_task_state */
	uint32_t fail;		/* enum aios_task_fail */
	int32_t error;
	uint32_t progress, runs;
	size_t len;		/* result bytes (also on -EMSGSIZE) */
};
/*
 * Wait up to timeout_ms (-1: forever) for a task this agent submitted;
 * the result goes to buf and the task is released unless AIOS_WAIT_PEEK.
 * AIOS_WAIT_NONBLOCK reports the current state.  -ETIMEDOUT and
 * -EMSGSIZE fill *out too.
 */
int aios_task_wait(struct aios *h, uint64_t task_id, int timeout_ms,
		   unsigned int flags, void *buf, size_t cap,
		   struct aios_task_result *out);
int aios_task_cancel(struct aios *h, uint64_t task_id);

/* "fifo", "round_robin", "priority"; NULL when unknown. */
const char *aios_algo_name(unsigned int algo);
/* Name (case-insensitive, also "rr") -> algo; -EINVAL otherwise. */
int aios_algo_parse(const char *s, unsigned int *algo);
/* "queued", "running", "done", "failed", "cancelled"; NULL when unknown. */
const char *aios_task_state_name(unsigned int state);
/* "none", "worker", "worker_died", "deadline", ...; NULL when unknown. */
const char *aios_task_fail_name(unsigned int fail);

/* ---- GPU devices and claims ------------------------------------- */

/* A registered device (GPU_GET); the owner fields are set while held. */
struct aios_gpu {
	uint32_t id;
	uint32_t major, minor;
	uint32_t grace_ms;	/* the device's default grace */
	uint32_t state;		/* enum aios_gpu_state (device: FREE, HELD,
				 * PREEMPTING; in events: the claim's state) */
	uint32_t waiters;
	uint64_t owner_id;	/* 0: free */
	int32_t owner_pid;
	uint32_t prio;		/* holder's claim class */
	uint64_t handle;	/* holder's claim handle */
	uint64_t since_ns;	/* CLOCK_MONOTONIC */
	uint64_t deadline_ns;	/* revoke time while PREEMPTING, else 0 */
	uint32_t util_ppm;	/* share of the window the device was held */
	uint32_t util_window_ms;
	uint64_t claims, preemptions;
	char name[AIOS_GPU_NAME_MAX];
	char path[AIOS_GPU_PATH_MAX];
	uint32_t present;	/* bit per AIOS_GPU_A_* received */
};

struct aios_gpu_claim_opts {
	size_t sz;		/* sizeof(struct aios_gpu_claim_opts) */
	uint32_t device_id;	/* or AIOS_GPU_ANY */
	bool nonblock;		/* EBUSY instead of waiting (EINPROGRESS
				 * when a preemption was started) */
	bool set_prio;		/* claim with prio instead of the agent's */
	unsigned int prio;	/* enum aios_prio, not above the agent's */
	int signal;		/* sent to this agent when preempted; 0 none */
	uint32_t grace_ms;	/* grace when preempted; 0: device default */
	int timeout_ms;		/* -1: wait forever */
};

/*
 * Claim a device (needs ACCESS_GPU).  0 with *handle and *device set, or
 * -EINPROGRESS (nonblock, preemption started: *handle set; poll
 * aios_gpu_query() until AIOS_GPU_HELD), or a negative errno.
 */
int aios_gpu_claim(struct aios *h, const struct aios_gpu_claim_opts *o,
		   uint64_t *handle, uint32_t *device);
/* Give a claim back (also acknowledges a revoked one). */
int aios_gpu_release(struct aios *h, uint64_t handle);
/* State (enum aios_gpu_state), device and revoke deadline of a claim. */
int aios_gpu_query(struct aios *h, uint64_t handle, uint32_t *state,
		   uint32_t *device_id, uint64_t *deadline_ns);
/* Register / unregister a device node (admin). */
int aios_gpu_register(struct aios *h, uint32_t id, const char *name,
		      const char *path, uint32_t grace_ms);
int aios_gpu_unregister(struct aios *h, uint32_t id);
/* One device; all devices (*list freed with free(); returns the count). */
int aios_gpu_get(struct aios *h, uint32_t id, struct aios_gpu *out);
int aios_gpu_list(struct aios *h, struct aios_gpu **list, size_t *n);

/* Device time an agent held over the utilization window. */
struct aios_gpu_usage {
	uint64_t agent_id;
	uint32_t util_ppm;	/* may exceed 1000000 with several devices */
	uint32_t util_window_ms;
	uint64_t claims;
};

int aios_gpu_usage(struct aios *h, uint64_t agent_id,
		   struct aios_gpu_usage *out);

/* A GPU device node found by aios_gpu_discover(). */
enum aios_gpu_node_kind {
	AIOS_GPU_NODE_NVIDIA = 0,	/* nvidiaN */
	AIOS_GPU_NODE_DRM_RENDER = 1,	/* dri/renderDN */
};

struct aios_gpu_node {
	int kind;		/* enum aios_gpu_node_kind */
	unsigned int index;	/* N */
	uint32_t major, minor;
	char name[AIOS_GPU_NAME_MAX];
	char path[AIOS_GPU_PATH_MAX];	/* absolute */
};

/*
 * Find NVIDIA (nvidia[0-9]+; not nvidiactl, nvidia-uvm, ...) and DRM
 * render (dri/renderD[0-9]+) character device nodes under dev_root
 * (NULL: /dev), NVIDIA first, each kind by number.  *list is freed with
 * free().  Returns the count, or a negative errno with a message in err.
 */
int aios_gpu_discover(const char *dev_root, struct aios_gpu_node **list,
		      size_t *n, char *err, size_t errlen);
const char *aios_gpu_node_kind_name(int kind);	/* "nvidia", "drm-render" */
/* "free", "held", "preempting", "revoked", "released", "waiting". */
const char *aios_gpu_state_name(unsigned int state);

/* ---- events (separate netlink socket) ---------------------------- */

#define AIOS_EVENTS_GROUP_EVENTS	(1U << 0)	/* "events" */
#define AIOS_EVENTS_GROUP_AUDIT		(1U << 1)	/* "audit" (CAP_SYS_ADMIN) */

enum aios_event_type {
	AIOS_EVENT_AGENT_NEW	= AIOS_CMD_NTF_AGENT_NEW,
	AIOS_EVENT_AGENT_DEL	= AIOS_CMD_NTF_AGENT_DEL,
	AIOS_EVENT_CAPS		= AIOS_CMD_NTF_CAPS,
	AIOS_EVENT_AUDIT	= AIOS_CMD_NTF_AUDIT,
	AIOS_EVENT_GPU_CLAIM	= AIOS_CMD_NTF_GPU_CLAIM,
	AIOS_EVENT_GPU_RELEASE	= AIOS_CMD_NTF_GPU_RELEASE,
	AIOS_EVENT_GPU_PREEMPT	= AIOS_CMD_NTF_GPU_PREEMPT,
	AIOS_EVENT_GPU_REVOKE	= AIOS_CMD_NTF_GPU_REVOKE,
	AIOS_EVENT_LOST		= 0x1000,	/* socket overrun: events dropped */
	AIOS_EVENT_OTHER	= 0x1001,	/* unknown command (see cmd) */
};

struct aios_event {
	int type;		/* enum aios_event_type */
	uint8_t cmd;		/* genetlink command */
	struct aios_agent agent;	/* AGENT_NEW/DEL/CAPS */
	bool has_reason;
	uint32_t reason;	/* AGENT_DEL: enum aios_exit_reason */
	struct aios_audit_rec audit;	/* AUDIT */
	struct aios_gpu gpu;	/* GPU_*: the device and the claim's state */
};

/* Subscribe to groups (AIOS_EVENTS_GROUP_*); errors are reported on h. */
int aios_events_open(struct aios *h, unsigned int groups,
		     struct aios_events **out);
/* Pollable descriptor (POLLIN when aios_events_next() may have data). */
int aios_events_fd(const struct aios_events *ev);
/*
 * Next event: waits up to timeout_ms (-1: forever, 0: don't wait).
 * Returns 1 with *out filled, 0 on timeout, negative errno on error.
 */
int aios_events_next(struct aios_events *ev, struct aios_event *out,
		     int timeout_ms);
const char *aios_events_errmsg(const struct aios_events *ev);
void aios_events_close(struct aios_events *ev);

/* ---- typed IPC (ioctl; mailbox statistics over netlink) ------------ */

/* A received message; payload in the caller's buffer. */
struct aios_message {
	uint64_t id;		/* kernel-assigned message id */
	uint64_t from;		/* sender agent id, stamped by the kernel */
	uint64_t correlation_id;
	uint64_t sent_ns;	/* CLOCK_BOOTTIME */
	uint32_t type;		/* enum aios_msg_type */
	uint32_t len;		/* payload bytes */
	char intent[AIOS_INTENT_MAX];
};

struct aios_send_opts {
	size_t sz;		/* sizeof(struct aios_send_opts) */
	uint32_t flags;		/* AIOS_SEND_NONBLOCK */
	int32_t timeout_ms;	/* when the mailbox is full: -1 forever, 0 none */
	uint64_t correlation_id;
};

/*
 * Send a typed message to agent "to" (opts may be NULL: block forever).
 * A payload that does not match its type fails with -EINVAL and
 * aios_errmsg() says where ("JSON: expected ',' or '}' at byte 17");
 * *err_offset (may be NULL) gets the byte offset.  *msg_id may be NULL.
 */
int aios_msg_send(struct aios *h, uint64_t to, uint32_t type,
		  const char *intent, const void *payload, size_t len,
		  const struct aios_send_opts *opts, uint64_t *msg_id,
		  uint32_t *err_offset);
/* The same to every member of a group but the sender; returns receivers reached. */
int aios_msg_send_group(struct aios *h, const char *group, uint32_t type,
			const char *intent, const void *payload, size_t len,
			const struct aios_send_opts *opts, uint64_t *msg_id,
			uint32_t *err_offset);

struct aios_recv_opts {
	size_t sz;		/* sizeof(struct aios_recv_opts) */
	uint32_t flags;		/* AIOS_RECV_NONBLOCK | AIOS_RECV_PEEK */
	int32_t timeout_ms;	/* -1 forever, 0 none */
	uint64_t from;		/* 0: any sender */
	const char *intent;	/* NULL: any intent */
};

/*
 * Take (or peek at) the oldest matching message of this agent's mailbox
 * into buf (cap bytes).  -EMSGSIZE when it does not fit: m->len says how
 * much is needed and the message stays queued.
 */
int aios_msg_recv(struct aios *h, const struct aios_recv_opts *opts,
		  struct aios_message *m, void *buf, size_t cap);
int aios_msg_group_join(struct aios *h, const char *group);
int aios_msg_group_leave(struct aios *h, const char *group);
/*
 * Allow agent "id" (0: this agent) to send only to ids[0..n) (admin).
 * aios_msg_policy_clear() lifts the restriction.
 */
int aios_msg_policy_set(struct aios *h, uint64_t id, const uint64_t *ids,
			size_t n);
int aios_msg_policy_clear(struct aios *h, uint64_t id);

/* Mailbox statistics (AIOS_CMD_MBOX_GET). */
struct aios_mbox_stats {
	uint64_t agent_id;
	uint32_t count;		/* messages queued */
	uint32_t max_count;
	uint64_t bytes;		/* payload bytes queued */
	uint64_t max_bytes;
	uint64_t received, taken, full, rejected, sent;
	uint32_t present;	/* bit (1u << AIOS_MBOX_A_x) per attribute seen */
};

int aios_mbox_get(struct aios *h, uint64_t id, struct aios_mbox_stats *out);
/* Every agent's mailbox; *list is malloc'd (free it).  Returns the count. */
int aios_mboxes(struct aios *h, struct aios_mbox_stats **list, size_t *n);

/* "text", "number", "json", "binary"; NULL for an unknown type. */
const char *aios_msg_type_name(uint32_t type);
int aios_msg_type_parse(const char *s, uint32_t *type);

/* ---- names and helpers (no handle needed) ------------------------ */

/* "SPAWN_AGENT" for one bit, NULL when unknown. */
const char *aios_cap_name(uint64_t bit);
/* One name (case-insensitive) -> bit; -EINVAL when unknown. */
int aios_cap_from_name(const char *name, uint64_t *bit);
/*
 * Parse "ACCESS_NET,ACCESS_FS" (also '|' or '+' separators, "all",
 * "none", "default" or a number like 0x18) into *caps.  -EINVAL on
 * unknown names or bits outside AIOS_CAP_ALL.
 */
int aios_caps_parse(const char *s, uint64_t *caps);
/* "SPAWN_AGENT,ALLOC_MEMORY" ("none" for 0); returns the length or -ENOSPC. */
int aios_caps_format(uint64_t caps, char *buf, size_t len);

/* "critical", "high", "normal", "low"; NULL when unknown. */
const char *aios_prio_name(unsigned int prio);
/* Name (case-insensitive) or number -> prio; -EINVAL otherwise. */
int aios_prio_parse(const char *s, unsigned int *prio);

/* "register", "kill", "cap_check", ...; NULL when unknown. */
const char *aios_op_name(unsigned int op);
int aios_op_parse(const char *s, unsigned int *op);

const char *aios_state_name(unsigned int state);	/* "live", "dead" */
const char *aios_exit_reason_name(unsigned int reason);	/* "closed", ... */
const char *aios_feature_name(uint64_t bit);		/* "agents", ... */
/* "agents,caps,audit" for feature bits; length or -ENOSPC. */
int aios_features_format(uint64_t features, char *buf, size_t len);

/* "EPERM" for 1 or -1; NULL when unknown. */
const char *aios_errno_name(int err);

/*
 * Parse a CPU list like "0-3,6" or "0-7:2" (stride) into *set.  Returns
 * the number of CPUs, -EINVAL on syntax errors or an empty list, -ERANGE
 * for a CPU >= CPU_SETSIZE.
 */
int aios_cpulist_parse(const char *s, cpu_set_t *set);
/* "0-3,6" from *set ("" when empty); returns the length or -ENOSPC. */
int aios_cpulist_format(const cpu_set_t *set, char *buf, size_t len);

/* ---- aiosd sessions: memory store, contexts, runs ------------------ */

/*
 * A session is a connection to aiosd (Documentation/aiosd-protocol.md).
 * Its identity is never taken from a request: a session authenticated
 * with an agent's handle (aios_session_auth passes the agent's /dev/aios
 * descriptor over SCM_RIGHTS, aiosd asks the kernel whose it is) acts as
 * that agent; an unauthenticated session acts as the caller's uid (the
 * only identity aiosd has when the module is not loaded).  Memory keys,
 * contexts and runs live in the session identity's own namespace.
 *
 * Functions return 0 (or a count) or a negative errno: aiosd's errno for
 * errors it reports, with "OP: message (CODE)" in aios_session_errmsg()
 * and the error object as JSON text in aios_session_error_json().  JSON
 * results ("char **json") are malloc'd NUL-terminated JSON text; free()
 * them.  A session is not thread safe.  After a transport error (aiosd
 * restarted, timeout) the session is disconnected: connect a new one.
 */
struct aios_session;

/* Allocate an unconnected session. NULL: ENOMEM. */
struct aios_session *aios_session_new(void);
/* Connect to path (NULL: $AIOS_SOCKET, else /run/aios/aiosd.sock). */
int aios_session_connect(struct aios_session *s, const char *path);
/* Act as the agent of h (registered; its /dev/aios fd is passed). */
int aios_session_auth(struct aios_session *s, struct aios *h);
/*
 * aios_session_new + connect + (when h is a registered agent) auth.  *out
 * is set even on failure (NULL only on ENOMEM) so the message can be read;
 * close it in both cases.
 */
int aios_session_open(struct aios *h, const char *path,
		      struct aios_session **out);
void aios_session_close(struct aios_session *s);	/* NULL is fine */
const char *aios_session_errmsg(const struct aios_session *s);
/* {"code","errno","message",...} of the last failed request, or NULL. */
const char *aios_session_error_json(const struct aios_session *s);
int aios_session_fd(const struct aios_session *s);	/* -EBADF: none */
/* Agent the session authenticated as; 0: identity by uid. */
uint64_t aios_session_agent(const struct aios_session *s);
/* Reply timeout in ms (default 30000; 0: wait forever). */
int aios_session_set_timeout(struct aios_session *s, unsigned int ms);
/*
 * Any operation: request is a JSON object with "op" and its fields ("v"
 * and "id" are the session's).  *reply_json (optional) is the whole
 * reply, also when aiosd reported an error.
 */
int aios_session_call(struct aios_session *s, const char *request,
		      char **reply_json);
/* aiosd's "status" reply (identity, kernel, memory statistics, ...). */
int aios_session_status(struct aios_session *s, char **json);

/* Memory store: keys 1..key_max bytes, values up to value_max, any bytes. */
int aios_memory_put(struct aios_session *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint64_t *evicted);
/* *val is malloc'd and NUL-terminated (not counted in *vlen). -ENOENT: no key. */
int aios_memory_get(struct aios_session *s, const void *key, size_t klen,
		    void **val, size_t *vlen);
int aios_memory_delete(struct aios_session *s, const void *key, size_t klen);
int aios_memory_delete_prefix(struct aios_session *s, const void *prefix,
			      size_t plen, uint64_t *deleted);
/* Called per listed item (val NULL when values are not listed); non-zero stops. */
typedef int (*aios_memory_fn)(void *arg, const void *key, size_t klen,
			      const void *val, size_t vlen);
/*
 * One page (limit 1..1000, 0: aiosd's default of 100) of the keys starting
 * with prefix, in byte order.  *cursor: NULL for the first page; on return
 * the cursor of the next page (malloc'd) or NULL when there is none.
 * Returns the number of items, or fn's non-zero value, or -errno.
 */
long aios_memory_list(struct aios_session *s, const void *prefix, size_t plen,
		      char **cursor, unsigned int limit, bool values,
		      aios_memory_fn fn, void *arg);
/* The namespace's statistics (all: store-wide, admin) as a JSON object. */
int aios_memory_stats(struct aios_session *s, bool all, char **json);

/* Contexts: messages is a JSON array of {"role","content"[,"name"]}. */
int aios_context_create(struct aios_session *s, const char *messages,
			const char *model, uint32_t ttl_s, char **snapshot,
			uint64_t *tokens);
/* {"id","created_ns","expires_ns","model","tokens","messages"} */
int aios_context_restore(struct aios_session *s, const char *snapshot,
			 char **json);
int aios_context_list(struct aios_session *s, char **json);	/* array */
int aios_context_delete(struct aios_session *s, const char *snapshot);
int aios_context_expire(struct aios_session *s, uint64_t *removed); /* admin */
int aios_context_models(struct aios_session *s, char **json);	/* {name: tokens} */
/* Token count against a model's window and/or a budget (0: none). */
int aios_context_check(struct aios_session *s, const char *messages,
		       const char *model, uint64_t budget, uint64_t *tokens,
		       uint64_t *window, bool *fits);
/*
 * Keep the system prompt and the most recent messages that fit (at most
 * keep_last of them; -1: no count limit), leaving reserve tokens free.
 * *json = {"messages","dropped","tokens_before","tokens_after","budget"}.
 */
int aios_context_truncate(struct aios_session *s, const char *messages,
			  const char *model, uint64_t budget, int keep_last,
			  uint64_t reserve, char **json);
int aios_context_budget_set(struct aios_session *s, const char *session,
			    uint64_t limit);
/* -EDQUOT (nothing charged) when the budget would be exceeded. */
int aios_context_budget_charge(struct aios_session *s, const char *session,
			       uint64_t tokens, uint64_t *remaining);
int aios_context_budget_get(struct aios_session *s, const char *session,
			    uint64_t *limit, uint64_t *used, uint64_t *remaining);

/* Runs (Documentation/runs.md).  run / fsync NULL: aiosd chooses. */
int aios_runs_create(struct aios_session *s, const char *run,
		     const char *fsync, char **run_id);
int aios_runs_list(struct aios_session *s, char **json);	/* array */
int aios_runs_show(struct aios_session *s, const char *run, char **json);
int aios_runs_workset_get(struct aios_session *s, const char *run,
			  uint64_t *seq, char **doc);
/*
 * Replace the working set; expected_seq must be the current seq.  On
 * -ESTALE nothing changed and *seq is the current seq (re-read, retry).
 */
int aios_runs_workset_put(struct aios_session *s, const char *run,
			  uint64_t expected_seq, const char *doc, uint64_t *seq);
/* Push items (JSON array) into the sliding context; *evicted: ids array. */
int aios_runs_workset_push(struct aios_session *s, const char *run,
			   uint64_t expected_seq, const char *items,
			   uint64_t *seq, char **evicted);
/* payload: any JSON text, or NULL.  *seq: the record's seq (durable). */
int aios_runs_ledger_append(struct aios_session *s, const char *run,
			    const char *type, const char *payload, uint64_t *seq);
/* {"records": [...], "last_seq", "more"}; from 0: 1, limit 0: 100. */
int aios_runs_ledger_read(struct aios_session *s, const char *run,
			  uint64_t from, unsigned int limit, char **json);
/* 0: intact; -EBADMSG: damaged (*json and the message name the record). */
int aios_runs_ledger_verify(struct aios_session *s, const char *run,
			    char **json);
int aios_runs_episode_create(struct aios_session *s, const char *run,
			     const char *name, const char *note, char **json);
int aios_runs_episode_list(struct aios_session *s, const char *run,
			   char **json);
int aios_runs_episode_show(struct aios_session *s, const char *run,
			   const char *name, char **json);
/* facts: JSON array of {"text","scope"[,"tags"]}. */
int aios_runs_ltm_propose(struct aios_session *s, const char *run,
			  const char *facts, char **proposal);
int aios_runs_ltm_commit(struct aios_session *s, const char *run,
			 const char *proposal, const char *episode,
			 uint64_t *committed);
int aios_runs_ltm_discard(struct aios_session *s, const char *run,
			  const char *proposal);
int aios_runs_ltm_proposals(struct aios_session *s, const char *run,
			    char **json);
int aios_runs_ltm_search(struct aios_session *s, const char *run,
			 const char *query, const char *scope,
			 unsigned int limit, char **json);
/* The resume pack (tar.gz) of run in memory; free(*data). */
int aios_runs_pack_export(struct aios_session *s, const char *run,
			  void **data, size_t *len, char **manifest);
/* aiosd writes the pack to path on its own file system (admin). */
int aios_runs_pack_export_path(struct aios_session *s, const char *run,
			       const char *path, char **manifest);
/* Verify and import a pack as a new run (as NULL: the pack's run id). */
int aios_runs_pack_import(struct aios_session *s, const void *data, size_t len,
			  const char *as, char **run_id, char **manifest);
int aios_runs_pack_import_path(struct aios_session *s, const char *path,
			       const char *as, char **run_id, char **manifest);

/*
 * Sandboxed tools (aiosd "tool.*").  *json = aiosd's reply without
 * "v"/"id"/"ok": for tool.list {"permission","access","tools":[...]}.
 */
int aios_tool_list(struct aios_session *s, char **json);
/*
 * Run tool with args (JSON array of strings, NULL: none) in the sandbox;
 * returns when it has finished.  run (NULL: none) records the call in that
 * run's ledger; stdin (NULL: /dev/null); limits (JSON object, NULL: the
 * manifest's).  0 whenever the tool ran, whatever its exit status: *json
 * has "exit_code", "stdout"/"stdout_b64", "stderr", "usage", "audit", ...
 * -EPERM not allowed (the message says why), -EACCES confirmation denied.
 * Waits without the session's reply timeout (the tool's time limit and
 * aiosd's confirmation timeout bound it).
 */
int aios_tool_call(struct aios_session *s, const char *tool, const char *args,
		   const char *run, const void *in, size_t inlen,
		   const char *limits, char **json);
/* Calls parked for confirmation that this caller sees (JSON array). */
int aios_tool_pending(struct aios_session *s, char **json);
int aios_tool_confirm(struct aios_session *s, uint64_t confirmation, bool allow);

#ifdef __cplusplus
}
#endif

#endif /* AIOS_H */
