/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-gpud: discovery of GPU device nodes.
 */
#ifndef AIOS_GPUD_DISCOVER_H
#define AIOS_GPUD_DISCOVER_H

#include <stddef.h>

#include <linux/aios.h>

enum gpud_kind {
	GPUD_NVIDIA,		/* /dev/nvidiaN */
	GPUD_DRM_RENDER,	/* /dev/dri/renderDN */
};

struct gpud_found {
	enum gpud_kind kind;
	unsigned int index;		/* N */
	unsigned int major, minor;
	char name[AIOS_GPU_NAME_MAX];	/* "nvidia0", "renderD128" */
	char path[AIOS_GPU_PATH_MAX];	/* absolute */
};

/*
 * Find NVIDIA (nvidia[0-9]+, not nvidiactl/nvidia-uvm/...) and DRM render
 * nodes (dri/renderD[0-9]+) that are character devices under @root (a
 * /dev directory).  Fills up to @max entries, NVIDIA first, each kind
 * ordered by number.  Returns the number found (which may exceed @max),
 * or -errno with a message in @err.
 */
int gpud_discover(const char *root, struct gpud_found *out, int max,
		  char *err, size_t errlen);

const char *gpud_kind_name(enum gpud_kind kind);

#endif /* AIOS_GPUD_DISCOVER_H */
