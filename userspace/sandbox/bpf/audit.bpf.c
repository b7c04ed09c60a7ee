// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * aios eBPF audit: exec, open (with flags), connect (address, port) and
 * exit of processes in tracked cgroups (a tracked cgroup covers its
 * descendants), to a ring buffer whose failed reservations are counted
 * exactly in a per-CPU array.  Optional BPF LSM enforcement: connect of an
 * inet socket from a cgroup tracked with AIOS_AUDIT_DENY_NET is refused.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "audit_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MAX_DEPTH	8	/* cgroup ancestor levels checked */
#define EPERM		1
#define AF_INET		2
#define AF_INET6	10
#define O_LARGEFILE	0100000	/* x86 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);		/* cgroup id */
	__type(value, __u32);		/* AIOS_AUDIT_* flags */
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* The tracked ancestor (or self) of the current task's cgroup, 0 if none. */
static __always_inline __u64 tracked_cgroup(__u32 *flags)
{
	__u64 self = bpf_get_current_cgroup_id(), id;
	__u32 *f;
	int i;

	f = bpf_map_lookup_elem(&tracked, &self);	/* the common case */
	if (f) {
		*flags = *f;
		return self;
	}
	#pragma unroll
	for (i = 1; i <= MAX_DEPTH; i++) {
		id = bpf_get_current_ancestor_cgroup_id(i);
		if (!id || id == self)
			break;
		f = bpf_map_lookup_elem(&tracked, &id);
		if (f) {
			*flags = *f;
			return id;
		}
	}
	return 0;
}

/*
 * Wake the consumer only when a quarter of the ring is filled: it polls
 * with a short timeout anyway, and a wakeup per event would cost more
 * than the event.
 */
static __always_inline void submit(struct aios_audit_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline struct aios_audit_event *reserve(__u32 type, __u64 tid)
{
	struct aios_audit_event *e;
	__u32 zero = 0;
	__u64 *n;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			*n += 1;	/* per-CPU: no other writer */
		return NULL;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->tracked_id = tid;
	e->type = type;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->flags = 0;
	e->code = 0;
	e->family = 0;
	e->port = 0;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = '\0';
	return e;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct aios_audit_event *e;
	__u32 flags = 0;
	__u64 tid = tracked_cgroup(&flags);

	if (!tid)
		return 0;
	e = reserve(AIOS_AUDIT_EXEC, tid);
	if (!e)
		return 0;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path),
				  BPF_CORE_READ(bprm, filename));
	submit(e);
	return 0;
}

static __always_inline int on_open(const char *name, int oflags)
{
	struct aios_audit_event *e;
	__u32 flags = 0;
	__u64 tid = tracked_cgroup(&flags);

	if (!tid)
		return 0;
	e = reserve(AIOS_AUDIT_OPEN, tid);
	if (!e)
		return 0;
	e->flags = oflags;
	bpf_probe_read_user_str(e->path, sizeof(e->path), name);
	submit(e);
	return 0;
}

/*
 * Kernel functions (fentry), not syscall tracepoints: enabling a syscall
 * tracepoint sends every syscall of every task through the slow path.
 * do_sys_openat2 serves open, openat, openat2 and creat.
 */
SEC("fentry/do_sys_openat2")
int BPF_PROG(on_openat2, int dfd, const char *filename, struct open_how *how)
{
	/* Without the O_LARGEFILE the kernel adds on 64-bit: as passed. */
	return on_open(filename, (int)BPF_CORE_READ(how, flags) & ~O_LARGEFILE);
}

static __always_inline void fill_addr(struct aios_audit_event *e,
				      const void *uaddr, bool user)
{
	struct sockaddr_in6 sa6 = {};
	int r;

	if (user)
		r = bpf_probe_read_user(&sa6, sizeof(sa6), uaddr);
	else
		r = bpf_probe_read_kernel(&sa6, sizeof(sa6), uaddr);
	if (r) {	/* shorter than sockaddr_in6: try sockaddr_in */
		struct sockaddr_in sa4 = {};

		if (user)
			r = bpf_probe_read_user(&sa4, sizeof(sa4), uaddr);
		else
			r = bpf_probe_read_kernel(&sa4, sizeof(sa4), uaddr);
		if (r)
			return;
		__builtin_memcpy(&sa6, &sa4, sizeof(sa4));
	}
	e->family = sa6.sin6_family;
	e->port = bpf_ntohs(sa6.sin6_port);
	if (e->family == AF_INET)
		__builtin_memcpy(e->addr,
				 &((struct sockaddr_in *)&sa6)->sin_addr, 4);
	else if (e->family == AF_INET6)
		__builtin_memcpy(e->addr, &sa6.sin6_addr, 16);
}

SEC("fentry/__sys_connect")
int BPF_PROG(on_connect, int fd, struct sockaddr *uaddr, int addrlen)
{
	struct aios_audit_event *e;
	__u32 flags = 0;
	__u64 tid = tracked_cgroup(&flags);

	if (!tid)
		return 0;
	e = reserve(AIOS_AUDIT_CONNECT, tid);
	if (!e)
		return 0;
	fill_addr(e, uaddr, true);	/* a user pointer */
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct aios_audit_event *e;
	__u32 flags = 0;
	__u64 tid, id = bpf_get_current_pid_tgid();

	if ((__u32)id != (__u32)(id >> 32))
		return 0;	/* a thread, not the process */
	tid = tracked_cgroup(&flags);
	if (!tid)
		return 0;
	e = reserve(AIOS_AUDIT_EXIT, tid);
	if (!e)
		return 0;
	e->code = BPF_CORE_READ(p, exit_code);
	submit(e);
	return 0;
}

SEC("lsm/socket_connect")
int BPF_PROG(deny_connect, struct socket *sock, struct sockaddr *address,
	     int addrlen, int ret)
{
	struct aios_audit_event *e;
	__u32 flags = 0;
	__u64 tid;
	__u16 fam;

	if (ret)
		return ret;
	fam = BPF_CORE_READ(address, sa_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	tid = tracked_cgroup(&flags);
	if (!tid || !(flags & AIOS_AUDIT_DENY_NET))
		return 0;
	e = reserve(AIOS_AUDIT_CONNECT_DENIED, tid);
	if (e) {
		fill_addr(e, address, false);
		e->code = -EPERM;
		submit(e);
	}
	return -EPERM;
}
