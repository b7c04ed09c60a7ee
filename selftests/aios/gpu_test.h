/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GPU helpers shared by the GPU selftests (gpu.c, gpu_bpf.c): claim
 * ioctls, device registration over netlink, stand-in device nodes.
 * Like aios_test.h, helpers return 0 or -errno and never assert.
 */
#ifndef AIOS_GPU_TEST_H
#define AIOS_GPU_TEST_H

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "aios_test.h"

/* Device ids the GPU tests use; torn down before and after each test. */
#define GT_ID0		9001
#define GT_NIDS		4

/*
 * Stand-in "GPUs": nodes made with mknod for character devices every
 * kernel has and nothing in the test depends on (mem minors of full,
 * zero, urandom, kmsg).
 */
static const unsigned int gt_minor[GT_NIDS] = { 7, 5, 9, 11 };

struct gt_env {
	char dir[64];
	char node[GT_NIDS][96];
};

static inline int gt_env_make(struct gt_env *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/aios-gpu.XXXXXX");
	if (!mkdtemp(e->dir))
		return -errno;
	chmod(e->dir, 0755);
	for (int i = 0; i < GT_NIDS; i++) {
		snprintf(e->node[i], sizeof(e->node[i]), "%s/gpu%d", e->dir, i);
		if (mknod(e->node[i], S_IFCHR | 0666, makedev(1, gt_minor[i])))
			return -errno;
		chmod(e->node[i], 0666);
	}
	return 0;
}

static inline void gt_env_remove(struct gt_env *e)
{
	char p[128];

	for (int i = 0; i < GT_NIDS; i++)
		unlink(e->node[i]);
	snprintf(p, sizeof(p), "%s/file", e->dir);
	unlink(p);
	rmdir(e->dir);
}

/* ---- netlink ------------------------------------------------------- */

struct gt_reg {
	__u32 id;
	const char *name;
	const char *path;
	__u32 grace_ms;		/* 0: attribute left out */
	int caller_fd;		/* < 0: none */
};

static inline int gt_register(struct aios_nl *nl, const struct gt_reg *g,
			      char *extack, size_t extack_len)
{
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_GPU_REGISTER, 0);
	struct aios_nlreply r;
	struct nlattr *nest;
	int ret;

	if (m && g->caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, g->caller_fd);
	if (m) {
		nest = nla_nest_start(m, AIOS_A_GPU);
		if (g->id)
			nla_put_u32(m, AIOS_GPU_A_ID, g->id);
		if (g->name)
			nla_put_string(m, AIOS_GPU_A_NAME, g->name);
		if (g->path)
			nla_put_string(m, AIOS_GPU_A_PATH, g->path);
		if (g->grace_ms)
			nla_put_u32(m, AIOS_GPU_A_GRACE_MS, g->grace_ms);
		nla_nest_end(m, nest);
	}
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	aios_nlreply_free(&r);
	return ret;
}

static inline int gt_reg_simple(struct aios_nl *nl, __u32 id,
				const char *path, __u32 grace_ms)
{
	struct gt_reg g = {
		.id = id, .name = "stand-in", .path = path,
		.grace_ms = grace_ms, .caller_fd = -1,
	};

	return gt_register(nl, &g, NULL, 0);
}

static inline int gt_unregister(struct aios_nl *nl, __u32 id, int caller_fd,
				char *extack, size_t extack_len)
{
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_GPU_UNREGISTER, 0);
	struct aios_nlreply r;
	struct nlattr *nest;
	int ret;

	if (m && caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, caller_fd);
	if (m) {
		nest = nla_nest_start(m, AIOS_A_GPU);
		nla_put_u32(m, AIOS_GPU_A_ID, id);
		nla_nest_end(m, nest);
	}
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	aios_nlreply_free(&r);
	return ret;
}

static inline void gt_unregister_all(struct aios_nl *nl)
{
	for (int i = 0; i < GT_NIDS; i++)
		gt_unregister(nl, GT_ID0 + i, -1, NULL, 0);
}

struct gt_dev {
	__u32 id, major, minor, grace_ms, state, owner_pid, prio, waiters;
	__u32 util_ppm, util_window_ms;
	__u64 owner_id, handle, since_ns, deadline_ns, claims, preemptions;
	char name[AIOS_GPU_NAME_MAX + 1];
	char path[AIOS_GPU_PATH_MAX + 1];
	unsigned int present;	/* bit per AIOS_GPU_A_* */
};

static inline int gt_parse(struct nlattr *nest, struct gt_dev *d)
{
	struct nlattr *t[AIOS_GPU_A_MAX + 1];

	memset(d, 0, sizeof(*d));
	if (!nest || nla_parse_nested(t, AIOS_GPU_A_MAX, nest, NULL))
		return -EBADMSG;
	for (int i = 0; i <= AIOS_GPU_A_MAX; i++)
		if (t[i])
			d->present |= 1U << i;
#define U32(a, f) do { if (t[a]) d->f = nla_get_u32(t[a]); } while (0)
#define U64(a, f) do { if (t[a]) d->f = nla_get_u64(t[a]); } while (0)
	U32(AIOS_GPU_A_ID, id);
	U32(AIOS_GPU_A_MAJOR, major);
	U32(AIOS_GPU_A_MINOR, minor);
	U32(AIOS_GPU_A_GRACE_MS, grace_ms);
	U32(AIOS_GPU_A_STATE, state);
	U32(AIOS_GPU_A_OWNER_PID, owner_pid);
	U32(AIOS_GPU_A_PRIO, prio);
	U32(AIOS_GPU_A_WAITERS, waiters);
	U32(AIOS_GPU_A_UTIL_PPM, util_ppm);
	U32(AIOS_GPU_A_UTIL_WINDOW_MS, util_window_ms);
	U64(AIOS_GPU_A_OWNER_ID, owner_id);
	U64(AIOS_GPU_A_HANDLE, handle);
	U64(AIOS_GPU_A_SINCE_NS, since_ns);
	U64(AIOS_GPU_A_DEADLINE_NS, deadline_ns);
	U64(AIOS_GPU_A_CLAIMS, claims);
	U64(AIOS_GPU_A_PREEMPTIONS, preemptions);
#undef U32
#undef U64
	if (t[AIOS_GPU_A_NAME])
		snprintf(d->name, sizeof(d->name), "%s",
			 (char *)nla_data(t[AIOS_GPU_A_NAME]));
	if (t[AIOS_GPU_A_PATH])
		snprintf(d->path, sizeof(d->path), "%s",
			 (char *)nla_data(t[AIOS_GPU_A_PATH]));
	return 0;
}

/* GPU_GET of one device (id) or of one agent's utilization (agent). */
static inline int gt_get(struct aios_nl *nl, __u32 id, __u64 agent,
			 struct gt_dev *d, char *extack, size_t extack_len)
{
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_GPU_GET, 0);
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct nlattr *nest;
	int ret;

	if (m && agent)
		nla_put_u64(m, AIOS_A_AGENT_ID, agent);
	if (m && id) {
		nest = nla_nest_start(m, AIOS_A_GPU);
		nla_put_u32(m, AIOS_GPU_A_ID, id);
		nla_nest_end(m, nest);
	}
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	if (!ret) {
		ret = -EBADMSG;
		if (r.n == 1 && !aios_nl_attrs(r.msgs[0], tb))
			ret = gt_parse(tb[AIOS_A_GPU], d);
	}
	aios_nlreply_free(&r);
	return ret;
}

/* Poll GET until the device has @waiters in line (or 10 s pass). */
static inline int gt_wait_waiters(struct aios_nl *nl, __u32 id, __u32 waiters)
{
	struct gt_dev d;

	for (int i = 0; i < 1000; i++) {
		if (gt_get(nl, id, 0, &d, NULL, 0))
			return -EIO;
		if (d.waiters == waiters)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Poll GET until the device is in @state (or 10 s pass). */
static inline int gt_wait_state(struct aios_nl *nl, __u32 id, __u32 state)
{
	struct gt_dev d;

	for (int i = 0; i < 1000; i++) {
		if (gt_get(nl, id, 0, &d, NULL, 0))
			return -EIO;
		if (d.state == state)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* ---- ioctls -------------------------------------------------------- */

/* An agent of class prio with ACCESS_GPU (granted as CAP_SYS_ADMIN). */
static inline int gt_agent(const char *name, __u32 prio, bool gpu, __u64 *id)
{
	int fd = aios_open_ready();
	int ret;

	if (fd < 0)
		return fd;
	ret = aios_register(fd, name, prio, id, NULL);
	if (!ret && gpu)
		ret = aios_caps(fd, AIOS_CAPS_GRANT, 0, AIOS_CAP_ACCESS_GPU,
				NULL, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

struct gt_claim {
	__u32 flags, device_id, prio, grace_ms;
	__s32 signal, timeout_ms;
};

static inline int gt_claim(int fd, struct gt_claim c, __u64 *handle,
			   __u32 *claimed)
{
	struct aios_gpu_claim a = {
		.size = sizeof(a),
		.flags = c.flags,
		.device_id = c.device_id,
		.prio = c.prio,
		.signal = c.signal,
		.grace_ms = c.grace_ms,
		.timeout_ms = c.timeout_ms,
	};
	int ret = aios_ioctl(fd, AIOS_IOC_GPU_CLAIM, &a);

	if (handle)
		*handle = (!ret || ret == -EINPROGRESS) ? a.handle : 0;
	if (claimed)
		*claimed = (!ret || ret == -EINPROGRESS) ? a.claimed_id : 0;
	return ret;
}

/* Blocking claim of one device, no timeout, no signal. */
static inline int gt_claim_dev(int fd, __u32 id, __u64 *handle)
{
	struct gt_claim c = { .device_id = id, .timeout_ms = -1 };

	return gt_claim(fd, c, handle, NULL);
}

static inline int gt_release(int fd, __u64 handle)
{
	struct aios_gpu_release r = { .size = sizeof(r), .handle = handle };

	return aios_ioctl(fd, AIOS_IOC_GPU_RELEASE, &r);
}

static inline int gt_query(int fd, __u64 handle, struct aios_gpu_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->handle = handle;
	return aios_ioctl(fd, AIOS_IOC_GPU_QUERY, q);
}

/* The state of a claim, or -errno. */
static inline int gt_state(int fd, __u64 handle)
{
	struct aios_gpu_query q;
	int ret = gt_query(fd, handle, &q);

	return ret ? ret : (int)q.state;
}

/* Poll QUERY until the claim is in @state (or 10 s pass). */
static inline int gt_wait_claim(int fd, __u64 handle, int state)
{
	for (int i = 0; i < 1000; i++) {
		int s = gt_state(fd, handle);

		if (s == state)
			return 0;
		if (s < 0)
			return s;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

#endif /* AIOS_GPU_TEST_H */
