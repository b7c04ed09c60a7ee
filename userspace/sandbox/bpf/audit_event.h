/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The record the aios eBPF audit program (audit.bpf.c) writes to its ring
 * buffer, shared with userspace (sb_audit.c).  Fixed size; strings are
 * NUL-terminated (and cut at the field size).
 */
#ifndef AIOS_AUDIT_EVENT_H
#define AIOS_AUDIT_EVENT_H

enum aios_audit_type {
	AIOS_AUDIT_EXEC = 1,		/* path = new program, comm = old */
	AIOS_AUDIT_OPEN = 2,		/* path, flags = open flags */
	AIOS_AUDIT_CONNECT = 3,		/* family, port, addr */
	AIOS_AUDIT_EXIT = 4,		/* code = wait status of the process */
	AIOS_AUDIT_CONNECT_DENIED = 5,	/* BPF LSM refused the connect */
};

/* Flags of a tracked cgroup (value of the "tracked" map). */
#define AIOS_AUDIT_TRACK	1u	/* audit processes below this cgroup */
#define AIOS_AUDIT_DENY_NET	2u	/* BPF LSM: refuse inet connects */

#define AIOS_AUDIT_PATH_LEN	256

struct aios_audit_event {
	unsigned long long ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	unsigned long long cgroup_id;	/* the process's own cgroup */
	unsigned long long tracked_id;	/* the tracked ancestor that matched */
	unsigned int type;
	unsigned int pid;		/* thread group id */
	unsigned int tid;
	unsigned int uid;
	int flags;			/* OPEN: open flags */
	int code;			/* EXIT: exit code; CONNECT: -errno */
	unsigned short family;
	unsigned short port;		/* host byte order */
	unsigned char addr[16];		/* IPv4 in the first 4 bytes */
	char comm[16];
	char path[AIOS_AUDIT_PATH_LEN];
};

#endif
