/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: the eBPF audit of agent processes (bpf/audit.bpf.c):
 * exec, open, connect and exit of every process below a tracked cgroup,
 * delivered through a ring buffer; reservations that failed are counted
 * exactly (aios_audit_lost).  With AIOS_AUDIT_DENY_NET on a cgroup and the
 * BPF LSM active, inet connects from it are refused.  Needs CAP_BPF and
 * CAP_PERFMON (root).
 */
#ifndef AIOS_SB_AUDIT_H
#define AIOS_SB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf/audit_event.h"

struct aios_audit;

#define AIOS_AUDIT_OPEN_LSM	1u	/* also attach the BPF LSM program */

typedef int (*aios_audit_cb)(void *ctx, const struct aios_audit_event *e);

/* ring_bytes: ring buffer size (power of two >= page size; 0: 8 MiB). */
int aios_audit_open(struct aios_audit **ap, unsigned int flags,
		    size_t ring_bytes, aios_audit_cb cb, void *ctx,
		    char *msg, size_t msglen);
void aios_audit_close(struct aios_audit *a);
/* Whether the LSM enforcement program is attached. */
bool aios_audit_lsm(const struct aios_audit *a);
/* Tracks the cgroup (and its descendants) with AIOS_AUDIT_* flags. */
int aios_audit_track(struct aios_audit *a, uint64_t cgroup_id,
		     unsigned int flags);
int aios_audit_untrack(struct aios_audit *a, uint64_t cgroup_id);
/* The cgroup id of a cgroup2 directory. */
int aios_audit_cgroup_id(const char *path, uint64_t *id);
/*
 * Delivers events to the callback: waits up to timeout_ms (0: no wait).
 * The program wakes a waiting consumer only when a quarter of the ring
 * buffer is full, so a consumer should wait at most some 100 ms at a time.
 */
int aios_audit_poll(struct aios_audit *a, int timeout_ms);
/* Events that could not be written (ring buffer full), exact. */
uint64_t aios_audit_lost(struct aios_audit *a);
/* Epoll fd that becomes readable when events are pending. */
int aios_audit_fd(struct aios_audit *a);
/* One JSON object (no newline) describing the event. */
int aios_audit_format(const struct aios_audit_event *e, char *buf, size_t len);
const char *aios_audit_type_name(unsigned int type);

#endif
