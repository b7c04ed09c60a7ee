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

/* ---- events (separate netlink socket) ---------------------------- */

#define AIOS_EVENTS_GROUP_EVENTS	(1U << 0)	/* "events" */
#define AIOS_EVENTS_GROUP_AUDIT		(1U << 1)	/* "audit" (CAP_SYS_ADMIN) */

enum aios_event_type {
	AIOS_EVENT_AGENT_NEW	= AIOS_CMD_NTF_AGENT_NEW,
	AIOS_EVENT_AGENT_DEL	= AIOS_CMD_NTF_AGENT_DEL,
	AIOS_EVENT_CAPS		= AIOS_CMD_NTF_CAPS,
	AIOS_EVENT_AUDIT	= AIOS_CMD_NTF_AUDIT,
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

#ifdef __cplusplus
}
#endif

#endif /* AIOS_H */
