/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libaiossandbox: the handle, shared by the modules of the library. */
#ifndef SB_INTERNAL_H
#define SB_INTERNAL_H

#include <pthread.h>
#include <linux/filter.h>
#include "aios_sandbox.h"

#define SB_MSG_LEN	256

/* Defaults of a request (aios_sandbox.h). */
#define SB_DEF_MEMORY	(256ULL << 20)
#define SB_DEF_PIDS	64
#define SB_DEF_CPU	100

struct sb_zygote;

struct aios_sb {
	char cg_parent[256];
	char scratch_base[200];
	char etc_dir[240];		/* the /etc snapshot (sb_etc.h) */
	uid_t uid;
	gid_t gid;
	unsigned int avail;		/* AIOS_SB_PROT_* present */
	unsigned int use;		/* layers in use (avail, minus weak) */
	int landlock_abi;
	struct aios_audit *audit;
	bool audit_external;		/* the caller polls the audit */
	struct sock_fprog filter[2];	/* [0] no network, [1] ACCESS_NET */
	char msg[SB_MSG_LEN];
	/*
	 * Warm pool and janitor thread: pool_lock protects ready[], n_ready,
	 * dead, busy, stop and seq.
	 */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;	/* signalled on every change */
	pthread_t pool_thread;
	bool pool_running;
	bool stop;
	bool busy;			/* the thread is cleaning up */
	unsigned int pool_size;
	unsigned int n_ready;
	struct sb_zygote **ready;
	struct sb_zygote *dead;		/* used zygotes to clean up */
	unsigned long seq;		/* run names; under pool_lock */
};

#endif
