/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: cgroup v2.  Every run gets its own child cgroup under a
 * parent (default /sys/fs/cgroup/aios-sandbox) with memory.max, pids.max
 * and cpu.max; the whole tree is killed with cgroup.kill.
 */
#ifndef SB_CGROUP_H
#define SB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_cg_stats {
	bool oom_killed;
	bool pids_limited;
	uint64_t memory_peak;
};

/* 0 when cgroup v2 with memory, pids and cpu is usable at parent. */
int sb_cg_check(const char *parent, char *msg, size_t msglen);
/* Creates parent (enabling the controllers) when missing. */
int sb_cg_setup_parent(const char *parent, char *msg, size_t msglen);
/* Creates parent/name; returns an O_DIRECTORY fd, cgroup id in *id. */
int sb_cg_create(const char *parent, const char *name, uint64_t *id,
		 char *msg, size_t msglen);
int sb_cg_limit(int cgfd, uint64_t memory_max, uint32_t pids_max,
		uint32_t cpu_pct, char *msg, size_t msglen);
/* Kills every process in the cgroup (cgroup.kill). */
int sb_cg_kill(int cgfd);
void sb_cg_stats(int cgfd, struct sb_cg_stats *st);
/* Waits (up to timeout_ms) until empty, then removes parent/name. */
int sb_cg_destroy(int cgfd, const char *parent, const char *name,
		  unsigned int timeout_ms);

#endif
