/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-gpud: map layouts shared by the BPF program and the daemon.
 */
#ifndef AIOS_GPUD_GPU_DEV_H
#define AIOS_GPUD_GPU_DEV_H

#define GPUD_MAX_DEVS	256	/* the kernel's limit of registered GPUs */
#define GPUD_MAX_ALLOW	4096

/* gpu_devs: a registered device node. */
struct gpud_dev_key {
	__u32 major;
	__u32 minor;
};

/* gpu_allow: this thread group may open this device. */
struct gpud_allow_key {
	__u32 major;
	__u32 minor;
	__u32 tgid;
	__u32 pad;	/* 0 */
};

#endif /* AIOS_GPUD_GPU_DEV_H */
