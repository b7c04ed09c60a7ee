// SPDX-License-Identifier: GPL-2.0
/*
 * aios-gpud: load, attach and feed the cgroup device program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gpu_dev.h"
#include "gpu_dev.skel.h"
#include "policy.h"

static void gpud_detach_stale(const char *pin, int cgroup_fd)
{
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return;
	if (!bpf_prog_detach2(fd, cgroup_fd, BPF_CGROUP_DEVICE))
		fprintf(stderr,
			"aios-gpud: detached the program a previous aios-gpud left at %s\n",
			pin);
	close(fd);
	unlink(pin);
}

int gpud_policy_open(struct gpud_policy *p, const char *cgroup,
		     const char *pin, char *err, size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->cgroup_fd = -1;
	p->cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->cgroup_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open cgroup %s: %s", cgroup,
			 strerror(errno));
		return ret;
	}
	if (pin && *pin) {
		snprintf(p->pin, sizeof(p->pin), "%s", pin);
		gpud_detach_stale(p->pin, p->cgroup_fd);
	}
	p->skel = gpu_dev__open_and_load();
	if (!p->skel) {
		ret = -errno ?: -EINVAL;
		snprintf(err, errlen,
			 "cannot load the BPF device program: %s (needs CAP_BPF/CAP_SYS_ADMIN and a kernel with BTF)",
			 strerror(-ret));
		goto err_cg;
	}
	p->prog_fd = bpf_program__fd(p->skel->progs.aios_gpu_dev);
	if (bpf_prog_attach(p->prog_fd, p->cgroup_fd, BPF_CGROUP_DEVICE,
			    BPF_F_ALLOW_MULTI)) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot attach the device program to %s: %s (cgroup v2 directory?)",
			 cgroup, strerror(errno));
		goto err_skel;
	}
	if (p->pin[0] && bpf_obj_pin(p->prog_fd, p->pin)) {
		fprintf(stderr, "aios-gpud: cannot pin the program at %s: %s\n",
			p->pin, strerror(errno));
		p->pin[0] = '\0';
	}
	return 0;

err_skel:
	gpu_dev__destroy(p->skel);
	p->skel = NULL;
err_cg:
	close(p->cgroup_fd);
	p->cgroup_fd = -1;
	return ret;
}

void gpud_policy_close(struct gpud_policy *p)
{
	if (p->skel) {
		bpf_prog_detach2(p->prog_fd, p->cgroup_fd, BPF_CGROUP_DEVICE);
		gpu_dev__destroy(p->skel);
		p->skel = NULL;
	}
	if (p->pin[0])
		unlink(p->pin);
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	p->cgroup_fd = -1;
}

static bool gpud_held(uint32_t state)
{
	return state == AIOS_GPU_HELD || state == AIOS_GPU_PREEMPTING;
}

static int gpud_allow(struct gpud_policy *p, const struct gnl_dev *d)
{
	struct gpud_allow_key k = {
		.major = d->major, .minor = d->minor, .tgid = d->owner_pid,
	};
	uint64_t handle = d->handle;

	return bpf_map__update_elem(p->skel->maps.gpu_allow, &k, sizeof(k),
				    &handle, sizeof(handle), BPF_ANY);
}

static void gpud_disallow(struct gpud_policy *p, const struct gnl_dev *d)
{
	struct gpud_allow_key k = {
		.major = d->major, .minor = d->minor, .tgid = d->owner_pid,
	};

	bpf_map__delete_elem(p->skel->maps.gpu_allow, &k, sizeof(k), 0);
}

static int gpud_register(struct gpud_policy *p, const struct gnl_dev *d)
{
	struct gpud_dev_key k = { .major = d->major, .minor = d->minor };
	uint32_t id = d->id;

	return bpf_map__update_elem(p->skel->maps.gpu_devs, &k, sizeof(k),
				    &id, sizeof(id), BPF_ANY);
}

int gpud_policy_event(struct gpud_policy *p, uint8_t cmd,
		      const struct gnl_dev *d)
{
	int ret = gpud_register(p, d);

	switch (cmd) {
	case AIOS_CMD_NTF_GPU_CLAIM:
	case AIOS_CMD_NTF_GPU_PREEMPT:
		return ret ?: gpud_allow(p, d);
	case AIOS_CMD_NTF_GPU_RELEASE:
	case AIOS_CMD_NTF_GPU_REVOKE:
		gpud_disallow(p, d);
		return ret;
	default:
		return ret;
	}
}

int gpud_policy_sync(struct gpud_policy *p, const struct gnl_dev *devs,
		     int n)
{
	struct gpud_allow_key ak, nak;
	struct gpud_dev_key dk, ndk;
	bool more, keep;
	int ret = 0;

	/* add first, so that a registered device is never unguarded */
	for (int i = 0; i < n; i++) {
		ret = gpud_register(p, &devs[i]);
		if (!ret && gpud_held(devs[i].state))
			ret = gpud_allow(p, &devs[i]);
		if (ret)
			return ret;
	}
	/* then drop what the kernel no longer has */
	more = !bpf_map__get_next_key(p->skel->maps.gpu_allow, NULL, &ak,
				      sizeof(ak));
	while (more) {
		more = !bpf_map__get_next_key(p->skel->maps.gpu_allow, &ak,
					      &nak, sizeof(ak));
		keep = false;
		for (int i = 0; i < n && !keep; i++)
			keep = gpud_held(devs[i].state) &&
			       devs[i].major == ak.major &&
			       devs[i].minor == ak.minor &&
			       devs[i].owner_pid == ak.tgid;
		if (!keep)
			bpf_map__delete_elem(p->skel->maps.gpu_allow, &ak,
					     sizeof(ak), 0);
		ak = nak;
	}
	more = !bpf_map__get_next_key(p->skel->maps.gpu_devs, NULL, &dk,
				      sizeof(dk));
	while (more) {
		more = !bpf_map__get_next_key(p->skel->maps.gpu_devs, &dk, &ndk,
					      sizeof(dk));
		keep = false;
		for (int i = 0; i < n && !keep; i++)
			keep = devs[i].major == dk.major &&
			       devs[i].minor == dk.minor;
		if (!keep)
			bpf_map__delete_elem(p->skel->maps.gpu_devs, &dk,
					     sizeof(dk), 0);
		dk = ndk;
	}
	return 0;
}

void gpud_policy_stats(struct gpud_policy *p, uint64_t *allowed,
		       uint64_t *denied)
{
	*allowed = __atomic_load_n(&p->skel->bss->nr_allowed, __ATOMIC_RELAXED);
	*denied = __atomic_load_n(&p->skel->bss->nr_denied, __ATOMIC_RELAXED);
}
