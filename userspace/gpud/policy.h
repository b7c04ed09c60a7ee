/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-gpud: the cgroup device program and its maps.
 */
#ifndef AIOS_GPUD_POLICY_H
#define AIOS_GPUD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "gnl.h"

struct gpu_dev;		/* the generated skeleton */

struct gpud_policy {
	struct gpu_dev *skel;
	int cgroup_fd;
	int prog_fd;
	char pin[256];		/* pinned program path, "" if none */
};

/*
 * Load the program and attach it to the cgroup v2 directory @cgroup with
 * BPF_F_ALLOW_MULTI.  When @pin is set, the program is pinned there, and
 * a program pinned there by an earlier aios-gpud that did not exit
 * cleanly is detached from @cgroup first.  -errno, message in @err.
 */
int gpud_policy_open(struct gpud_policy *p, const char *cgroup,
		     const char *pin, char *err, size_t errlen);
/* Detach and unload. */
void gpud_policy_close(struct gpud_policy *p);

/* Make the maps say exactly what @devs (a full dump) says. */
int gpud_policy_sync(struct gpud_policy *p, const struct gnl_dev *devs,
		     int n);
/* Apply one AIOS_CMD_NTF_GPU_* event. */
int gpud_policy_event(struct gpud_policy *p, uint8_t cmd,
		      const struct gnl_dev *dev);

void gpud_policy_stats(struct gpud_policy *p, uint64_t *allowed,
		       uint64_t *denied);

#endif /* AIOS_GPUD_POLICY_H */
