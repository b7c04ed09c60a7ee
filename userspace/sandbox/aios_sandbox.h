/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox - run a tool (a program and its argv, never a shell) in a
 * kernel-enforced sandbox: fresh user, mount, pid, net, ipc, uts and cgroup
 * namespaces over a minimal read-only root view, Landlock file-system
 * rules, a seccomp deny-list, cgroup v2 limits and a wall-clock timeout.
 * See Documentation/sandbox.md for the threat model.
 *
 * Every function returns 0 or a negative errno; the handle (or the result)
 * keeps a message a person can act on (aios_sb_errmsg()).
 */
#ifndef AIOS_SANDBOX_H
#define AIOS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Protections; a bit set of these is what aios_sb_health() reports. */
#define AIOS_SB_PROT_USERNS	(1u << 0)  /* unprivileged user namespace */
#define AIOS_SB_PROT_NS		(1u << 1)  /* mount/pid/net/ipc/uts/cgroup ns */
#define AIOS_SB_PROT_LANDLOCK	(1u << 2)  /* Landlock file-system rules */
#define AIOS_SB_PROT_SECCOMP	(1u << 3)  /* seccomp filter */
#define AIOS_SB_PROT_CGROUP	(1u << 4)  /* cgroup v2 memory+pids+cpu, cgroup.kill */
#define AIOS_SB_PROT_BPF_LSM	(1u << 5)  /* BPF LSM active (audit enforcement) */
#define AIOS_SB_PROT_REQUIRED	(AIOS_SB_PROT_USERNS | AIOS_SB_PROT_NS | \
				 AIOS_SB_PROT_LANDLOCK | AIOS_SB_PROT_SECCOMP | \
				 AIOS_SB_PROT_CGROUP)

/* What the agent may do (from its ACCESS_FS / ACCESS_NET capabilities). */
#define AIOS_SB_ACCESS_FS	(1u << 0)  /* rw_paths may be writable */
#define AIOS_SB_ACCESS_NET	(1u << 1)  /* host network namespace */

struct aios_sb;
struct aios_audit;

struct aios_sb_config {
	const char *cgroup_parent;  /* NULL: /sys/fs/cgroup/aios-sandbox */
	const char *scratch_base;   /* NULL: /tmp */
	uid_t uid;                  /* host uid/gid of the tool; (uid_t)-1 = */
	gid_t gid;                  /* caller's, or 65534 when caller is root */
	unsigned int allow_weak;    /* AIOS_SB_PROT_* bits that may be missing */
	unsigned int pool_size;     /* warm sandboxes kept ready (0: none) */
	/*
	 * eBPF audit (aios_sb_audit.h), or NULL: each run's cgroup is tracked
	 * while the tool runs (with BPF LSM enforcement, inet connects are
	 * refused without ACCESS_NET) and its events are delivered to the
	 * audit's callback before aios_sb_run() returns.
	 */
	struct aios_audit *audit;
	/*
	 * With audit: the caller consumes the audit's ring buffer itself
	 * (aios_audit_poll from its own loop, e.g. aiosd's), so aios_sb_run()
	 * only tracks the run's cgroup and never polls.  Needed when several
	 * threads run tools at once: a ring buffer has one consumer.
	 */
	bool audit_external;
};

struct aios_sb_request {
	const char *const *argv;    /* argv[0]: absolute path in the sandbox */
	const char *const *envp;    /* NULL: PATH, HOME=/scratch, LANG=C.UTF-8 */
	unsigned int access;        /* AIOS_SB_ACCESS_* */
	const char *const *ro_paths;/* host paths bound read-only (NULL-term.) */
	const char *const *rw_paths;/* host paths bound writable: ACCESS_FS */
	uint64_t memory_max;        /* bytes; 0: 256 MiB */
	uint32_t pids_max;          /* 0: 64 */
	uint32_t cpu_pct;           /* % of one CPU; 0: 100 */
	uint32_t timeout_ms;        /* 0: 30 s */
	size_t stdout_max;          /* bytes kept; 0: 1 MiB */
	size_t stderr_max;          /* 0: 256 KiB */
	const void *stdin_data;     /* NULL: /dev/null */
	size_t stdin_len;
	const int *keep_fds;        /* fds passed in as 3, 4, ... */
	unsigned int n_keep_fds;
	bool keep_scratch;          /* leave the scratch dir (result.scratch) */
	/*
	 * Called (in the calling thread) once the run's cgroup is known and
	 * tracked by the audit, before the tool starts: lets a caller map
	 * audit events (tracked_id) to this call.  May be NULL.
	 */
	void (*started)(void *arg, uint64_t cgroup_id);
	void *started_arg;
};

struct aios_sb_result {
	bool exited;                /* exit_code valid */
	int exit_code;
	int signal;                 /* killing signal, 0 when exited */
	bool timed_out;             /* killed by the wall-clock timeout */
	bool oom_killed;            /* the cgroup OOM-killed a process */
	bool pids_limited;          /* a fork failed on pids.max */
	int exec_errno;             /* execve of argv[0] failed with this */
	bool warm;                  /* served from the warm pool */
	char *out, *err;            /* captured output, NUL-terminated */
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
	uint64_t utime_us, stime_us, maxrss_kb, memory_peak, wall_us;
	uint64_t cgroup_id;         /* of the run's cgroup (audit) */
	char scratch[272];          /* scratch dir on the host (keep_scratch) */
};

/* Marker appended to captured output that hit its size limit. */
#define AIOS_SB_TRUNC_MARK "\n[aios-sandbox: output truncated]\n"

int aios_sb_open(const struct aios_sb_config *cfg, struct aios_sb **sbp,
		 char *msg, size_t msglen);
void aios_sb_close(struct aios_sb *sb);
const char *aios_sb_errmsg(const struct aios_sb *sb);

/* Runs one tool; a negative return means it did not run (see errmsg). */
int aios_sb_run(struct aios_sb *sb, const struct aios_sb_request *rq,
		struct aios_sb_result *res);
void aios_sb_result_free(struct aios_sb_result *res);

/* Available protections, and a text listing each with its state. */
unsigned int aios_sb_health(const struct aios_sb_config *cfg, char *buf,
			    size_t len);
const char *aios_sb_prot_name(unsigned int prot);

/* Warm pool statistics. */
unsigned int aios_sb_pool_ready(struct aios_sb *sb);
/*
 * Waits until the pool holds pool_size sandboxes and the cleanup of earlier
 * runs is done (or timeout_ms passed): the idle state a call finds when
 * calls are not back to back.
 */
int aios_sb_pool_wait(struct aios_sb *sb, unsigned int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
