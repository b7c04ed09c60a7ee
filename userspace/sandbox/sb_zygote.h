/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: zygotes.  A zygote is a process created with fresh user,
 * mount, pid, ipc, uts, cgroup (and, without ACCESS_NET, net) namespaces in
 * its own cgroup, already pivoted into its root view; it is the pid 1 of its
 * namespace.  It waits for exactly one request, starts the tool under
 * Landlock and seccomp, reports its status and exits, which tears down the
 * pid namespace.  Zygotes are never reused: the warm pool only prepares
 * them in advance.
 */
#ifndef SB_ZYGOTE_H
#define SB_ZYGOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "sb_cgroup.h"
#include "sb_internal.h"

#define SB_ARG_MAX	1024		/* argv + envp entries */
#define SB_BLOB_MAX	(64 * 1024)	/* bytes of argv + envp strings */
#define SB_KEEP_MAX	16		/* fds passed in */

struct sb_zygote {
	pid_t pid;
	int pidfd;
	int ctl;		/* SOCK_SEQPACKET to the zygote */
	int cgfd;		/* run cgroup, -1 without cgroup */
	uint64_t cgid;
	bool net;		/* shares the host network namespace */
	bool pathless;		/* no extra ro/rw paths: poolable */
	bool keep_scratch;	/* destroy leaves rundir/scratch */
	uint64_t memory_max;	/* limits currently set on the cgroup */
	uint32_t pids_max, cpu_pct;
	struct sb_zygote *next;	/* on the pool's list of dead zygotes */
	char cgname[64];
	char rundir[256];	/* host: rundir/root (view), rundir/scratch */
};

struct sb_zyg_result {
	int status;		/* wait status of the tool */
	int exec_errno;
	struct rusage ru;
};

int sb_zygote_create(struct aios_sb *sb, bool net, const char *const *ro,
		     const char *const *rw, struct sb_zygote **zp,
		     char *msg, size_t msglen);
/* Sends the request; fds[0..2] become the tool's stdin/stdout/stderr. */
int sb_zygote_start(struct sb_zygote *z, const struct aios_sb_request *rq,
		    const int fds[3], char *msg, size_t msglen);
/* Reads the result after ctl became readable: 0, or -EPIPE if none. */
int sb_zygote_result(struct sb_zygote *z, struct sb_zyg_result *r);
/* Kills the zygote's tree (cgroup.kill, else SIGKILL to the pid 1). */
void sb_zygote_kill(struct sb_zygote *z);
/*
 * After the call: closes the control socket, kills what is left of the tree
 * (nothing of it runs user code after this returns) and reads the cgroup's
 * statistics into st (may be NULL).
 */
void sb_zygote_finish(struct sb_zygote *z, struct sb_cg_stats *st);
/* Reaps the zygote, removes its cgroup and run dir (but a kept scratch). */
void sb_zygote_destroy(struct aios_sb *sb, struct sb_zygote *z);

#endif
