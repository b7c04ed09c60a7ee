// SPDX-License-Identifier: GPL-2.0
/*
 * aios-gpud: the cgroup device program.
 *
 * Runs on every device access check (open, mknod) of a process in the
 * cgroup it is attached to (and below).  A character device that aios
 * has registered as a GPU may be opened only by a process whose thread
 * group holds the claim (an entry in gpu_allow); every other device is
 * none of this program's business and is allowed, so that it composes
 * with other device programs attached with BPF_F_ALLOW_MULTI (the
 * kernel allows an access only if every program allows it).
 *
 * The identity check uses bpf_get_current_pid_tgid(), one of the few
 * helpers BPF_PROG_TYPE_CGROUP_DEVICE may call on 6.1 (see
 * Documentation/gpu.md); the tgid is that of the initial pid namespace,
 * like AIOS_GPU_A_OWNER_PID in the kernel's events.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "gpu_dev.h"

/* uapi/linux/bpf.h; an anonymous enum, so not in the BTF */
#define GPUD_DEVCG_DEV_CHAR	(1U << 1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GPUD_MAX_DEVS);
	__type(key, struct gpud_dev_key);
	__type(value, __u32);			/* aios device id */
} gpu_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GPUD_MAX_ALLOW);
	__type(key, struct gpud_allow_key);
	__type(value, __u64);			/* claim handle */
} gpu_allow SEC(".maps");

/* Decisions on registered devices, read by aios-gpud for its stats. */
__u64 nr_allowed;
__u64 nr_denied;

SEC("cgroup/dev")
int aios_gpu_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	struct gpud_allow_key ak = {};
	struct gpud_dev_key dk;

	if ((ctx->access_type & 0xffff) != GPUD_DEVCG_DEV_CHAR)
		return 1;
	dk.major = ctx->major;
	dk.minor = ctx->minor;
	if (!bpf_map_lookup_elem(&gpu_devs, &dk))
		return 1;
	ak.major = dk.major;
	ak.minor = dk.minor;
	ak.tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&gpu_allow, &ak)) {
		__sync_fetch_and_add(&nr_allowed, 1);
		return 1;
	}
	__sync_fetch_and_add(&nr_denied, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
