/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libaiossandbox: the handle, shared by the modules of the library. */
#ifndef SB_INTERNAL_H
#define SB_INTERNAL_H

#include <pthread.h>
#include <linux/filter.h>
#include "aios_sandbox.h"

#define SB_MSG_LEN	256

struct sb_zygote;

struct aios_sb {
	char cg_parent[256];
	char scratch_base[200];
	uid_t uid;
	gid_t gid;
	unsigned int avail;		/* AIOS_SB_PROT_* present */
	unsigned int use;		/* layers in use (avail, minus weak) */
	int landlock_abi;
	struct sock_fprog filter[2];	/* [0] no network, [1] ACCESS_NET */
	char msg[SB_MSG_LEN];
	/* Warm pool: pool_lock protects ready[], n_ready, stop, seq. */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;	/* signalled on every change */
	pthread_t pool_thread;
	bool pool_running;
	bool stop;
	unsigned int pool_size;
	unsigned int n_ready;
	struct sb_zygote **ready;
	unsigned long seq;		/* run names; under pool_lock */
};

#endif
