/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the aios selftests: raw /dev/aios ioctls and a small
 * generic netlink client (libnl-genl-3 for sockets, message building and
 * attribute parsing; replies, acks, extack messages and dumps collected
 * by hand so that the exact errno and extack text are visible).
 *
 * Every helper returns 0 (or a non-negative value) on success and a
 * negative errno on failure; nothing here asserts, the tests do.
 */
#ifndef AIOS_TEST_H
#define AIOS_TEST_H

/* The Makefile passes -D_GNU_SOURCE; this covers other builds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/aios.h>

#define AIOS_DEV_PATH		"/dev/aios"
#define AIOS_UNPRIV_UID		1000
#define AIOS_UNPRIV_GID		1000

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

/* ------------------------------------------------------------------ */
/* misc                                                                */
/* ------------------------------------------------------------------ */

static inline uint64_t aios_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Does this process hold CAP_SYS_ADMIN (effective)? */
/*
 * Wait until process pid sleeps inside an aios call (its wchan names an
 * aios function), at most 5 s: 0, or -ETIMEDOUT.
 */
static inline int aios_wait_blocked(pid_t pid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = 0;
		if (strstr(buf, "aios"))
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static inline bool aios_have_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	       CAP_TO_MASK(CAP_SYS_ADMIN);
}

/* Become uid/gid 1000 without supplementary groups or capabilities. */
static inline int aios_drop_privs(void)
{
	if (setgroups(0, NULL) && errno != EPERM)
		return -errno;
	if (setresgid(AIOS_UNPRIV_GID, AIOS_UNPRIV_GID, AIOS_UNPRIV_GID))
		return -errno;
	if (setresuid(AIOS_UNPRIV_UID, AIOS_UNPRIV_UID, AIOS_UNPRIV_UID))
		return -errno;
	return aios_have_sys_admin() ? -EPERM : 0;
}

/* Wait for a child; returns its exit status, or 128 + signal. */
static inline int aios_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static inline int aios_write_u64(int fd, __u64 v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -EIO;
}

static inline int aios_read_u64(int fd, __u64 *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -EIO;
}

/*
 * Run the rest of a block in a forked child; the child reports a failed
 * EXPECT by its exit status and a failed ASSERT by abort().  Use as
 *	CHILD(pid) { ... }
 * and then ASSERT_EQ(0, aios_wait(pid)) in the parent.
 */
#define CHILD(pid)							\
	for (int __once = ((pid) = fork()) == 0; __once;		\
	     __once = 0, _exit(_metadata->passed ? 0 : 1))

/* ------------------------------------------------------------------ */
/* ioctls                                                              */
/* ------------------------------------------------------------------ */

static inline int aios_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline int aios_open(void)
{
	int fd = open(AIOS_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int aios_api(int fd, struct aios_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api_version = AIOS_API_VERSION;
	return aios_ioctl(fd, AIOS_IOC_API, api);
}

/* open + handshake: a READY file, or -errno */
static inline int aios_open_ready(void)
{
	struct aios_api api;
	int fd = aios_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = aios_api(fd, &api);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static inline int aios_register(int fd, const char *name, __u32 prio,
				__u64 *id, __u64 *caps)
{
	struct aios_register r = {
		.size = sizeof(r),
		.prio = prio,
	};
	int ret;

	snprintf(r.name, sizeof(r.name), "%s", name);
	ret = aios_ioctl(fd, AIOS_IOC_REGISTER, &r);
	if (!ret && id)
		*id = r.agent_id;
	if (!ret && caps)
		*caps = r.caps;
	return ret;
}

/* open + handshake + register: an AGENT file, or -errno */
static inline int aios_new_agent(const char *name, __u64 *id)
{
	int fd = aios_open_ready();
	int ret;

	if (fd < 0)
		return fd;
	ret = aios_register(fd, name, AIOS_PRIO_NORMAL, id, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static inline int aios_info(int fd, struct aios_agent_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return aios_ioctl(fd, AIOS_IOC_AGENT_INFO, info);
}

static inline __u64 aios_id_of(int fd)
{
	struct aios_agent_info info;

	return aios_info(fd, &info) ? 0 : info.agent_id;
}

/* returns the child agent's fd, or -errno */
static inline int aios_spawn(int fd, __u32 flags, const char *name,
			     int pidfd, __u64 caps, __u64 *id)
{
	struct aios_spawn s = {
		.size = sizeof(s),
		.flags = flags,
		.prio = AIOS_PRIO_NORMAL,
		.pidfd = (flags & AIOS_SPAWN_PIDFD) ? pidfd : 0,
		.caps = (flags & AIOS_SPAWN_CAPS) ? caps : 0,
	};
	int ret;

	snprintf(s.name, sizeof(s.name), "%s", name);
	ret = aios_ioctl(fd, AIOS_IOC_SPAWN, &s);
	if (ret)
		return ret;
	if (id)
		*id = s.agent_id;
	return s.fd;
}

static inline int aios_kill(int fd, __u64 id, int sig, __u32 flags)
{
	struct aios_kill k = {
		.size = sizeof(k),
		.flags = flags,
		.agent_id = id,
		.signal = sig,
	};

	return aios_ioctl(fd, AIOS_IOC_KILL, &k);
}

static inline int aios_migrate(int fd, __u64 id, const void *mask,
			       __u32 mask_size)
{
	struct aios_migrate m = {
		.size = sizeof(m),
		.agent_id = id,
		.cpumask = (__u64)(uintptr_t)mask,
		.cpumask_size = mask_size,
	};

	return aios_ioctl(fd, AIOS_IOC_MIGRATE, &m);
}

static inline int aios_caps(int fd, __u32 op, __u64 id, __u64 caps,
			    __u64 *effective, __u64 *op_id)
{
	struct aios_caps c = {
		.size = sizeof(c),
		.op = op,
		.agent_id = id,
		.caps = caps,
	};
	int ret = aios_ioctl(fd, AIOS_IOC_CAPS, &c);

	if (effective)
		*effective = c.effective;
	if (op_id)
		*op_id = c.op_id;
	return ret;
}

static inline __u64 aios_caps_of(int fd, __u64 id)
{
	__u64 eff = 0;

	if (aios_caps(fd, AIOS_CAPS_GET, id, 0, &eff, NULL))
		return ~0ULL;
	return eff;
}

static inline int aios_last_denial(int fd, struct aios_denial *d)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	return aios_ioctl(fd, AIOS_IOC_LAST_DENIAL, d);
}

/* ------------------------------------------------------------------ */
/* generic netlink                                                     */
/* ------------------------------------------------------------------ */

struct aios_nl {
	struct nl_sock *sk;
	int family;
	int fd;
};

/* Everything the kernel answered to one request. */
struct aios_nlreply {
	int error;		/* 0 or -errno from NLMSG_ERROR / NLMSG_DONE */
	bool done;		/* got the final ack / NLMSG_DONE */
	char extack[256];	/* NLMSGERR_ATTR_MSG, "" if none */
	int n;			/* data messages collected */
	int cap;
	struct nlmsghdr **msgs;
};

static inline void aios_nlreply_free(struct aios_nlreply *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->msgs[i]);
	free(r->msgs);
	memset(r, 0, sizeof(*r));
}

static inline int aios_nl_open(struct aios_nl *nl)
{
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	ret = genl_connect(nl->sk);
	if (ret < 0)
		goto err;
	nl->fd = nl_socket_get_fd(nl->sk);
	/* replies are read with recv() below, not nl_recvmsgs(), so libnl's
	 * own sequence tracking must not reject later libnl requests */
	nl_socket_disable_seq_check(nl->sk);
	nl->family = genl_ctrl_resolve(nl->sk, AIOS_GENL_NAME);
	if (nl->family < 0) {
		ret = nl->family;
		goto err;
	}
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_set_buffer_size(nl->sk, 4 << 20, 1 << 20);
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return ret == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
}

static inline void aios_nl_close(struct aios_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* Join a multicast group of the family by name: 0 or -errno. */
static inline int aios_nl_join(struct aios_nl *nl, const char *group)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, AIOS_GENL_NAME, group);

	if (grp < 0)
		return -ENOENT;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &grp, sizeof(grp)))
		return -errno;
	return 0;
}

static inline struct nl_msg *aios_nl_msg(struct aios_nl *nl, __u8 cmd,
					 int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m)
		return NULL;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, AIOS_GENL_VERSION)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static inline void aios_nl_parse_ack(struct nlmsghdr *h, int len,
				     struct aios_nlreply *r)
{
	struct nlmsgerr *e = nlmsg_data(h);
	size_t off;
	struct nlattr *a;
	int rem;

	if (h->nlmsg_type == NLMSG_ERROR) {
		r->error = e->error;
		off = sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	} else {	/* NLMSG_DONE: int error */
		r->error = *(int *)nlmsg_data(h);
		off = sizeof(int);
	}
	r->done = true;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	if ((int)(NLMSG_HDRLEN + off) >= len)
		return;
	a = (struct nlattr *)((char *)nlmsg_data(h) + off);
	rem = len - NLMSG_HDRLEN - off;
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(r->extack, sizeof(r->extack), "%.*s",
				 nla_len(a), (char *)nla_data(a));
	}
}

/* Receive once (blocking up to the socket timeout, or poll timeout_ms
 * when >= 0) and append messages to r.  Returns messages appended or
 * -errno. */
static inline int aios_nl_recv(struct aios_nl *nl, struct aios_nlreply *r,
			       int timeout_ms)
{
	static __thread char buf[1 << 17];
	struct nlmsghdr *h;
	int len, got = 0;

	if (timeout_ms >= 0) {
		struct pollfd p = { .fd = nl->fd, .events = POLLIN };
		int ret = poll(&p, 1, timeout_ms);

		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
	}
	len = recv(nl->fd, buf, sizeof(buf), 0);
	if (len < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
			aios_nl_parse_ack(h, h->nlmsg_len, r);
			continue;
		}
		if (h->nlmsg_type == NLMSG_NOOP)
			continue;
		if (r->n == r->cap) {
			int cap = r->cap ? r->cap * 2 : 16;
			void *p = realloc(r->msgs, cap * sizeof(*r->msgs));

			if (!p)
				return -ENOMEM;
			r->msgs = p;
			r->cap = cap;
		}
		r->msgs[r->n] = malloc(h->nlmsg_len);
		if (!r->msgs[r->n])
			return -ENOMEM;
		memcpy(r->msgs[r->n++], h, h->nlmsg_len);
		got++;
	}
	return got;
}

/*
 * Send m (consumed) and collect everything up to the final ack or
 * NLMSG_DONE.  Returns r->error (0 or -errno) or a transport -errno.
 */
static inline int aios_nl_xfer(struct aios_nl *nl, struct nl_msg *m,
			       struct aios_nlreply *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (!m)
		return -ENOMEM;
	ret = nl_send_auto(nl->sk, m);	/* adds NLM_F_REQUEST | NLM_F_ACK */
	nlmsg_free(m);
	if (ret < 0)
		return -EIO;
	while (!r->done) {
		ret = aios_nl_recv(nl, r, -1);
		if (ret < 0)
			return ret;
	}
	return r->error;
}

static inline int aios_nl_attrs(struct nlmsghdr *h, struct nlattr **tb)
{
	return genlmsg_parse(h, 0, tb, AIOS_A_MAX, NULL) < 0 ? -EINVAL : 0;
}

static inline __u8 aios_nl_cmd(struct nlmsghdr *h)
{
	return ((struct genlmsghdr *)nlmsg_data(h))->cmd;
}

/* --- status --------------------------------------------------------- */

struct aios_t_status {
	__u32 api_version;
	__u64 features;
	__u32 agents;
	__u64 next_agent_id;
	__u64 default_caps;
	__u32 ring_size;
	__u64 next_seq;
	__u64 first_seq;
	__u64 lost;
	unsigned int present;	/* bit per AIOS_STATUS_A_* */
};

static inline int aios_nl_status(struct aios_nl *nl, struct aios_t_status *st)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *s[AIOS_STATUS_A_MAX + 1];
	struct aios_nlreply r;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = aios_nl_xfer(nl, aios_nl_msg(nl, AIOS_CMD_STATUS_GET, 0), &r);
	if (ret)
		goto out;
	ret = -EBADMSG;
	if (r.n != 1 || aios_nl_attrs(r.msgs[0], tb) || !tb[AIOS_A_STATUS])
		goto out;
	if (nla_parse_nested(s, AIOS_STATUS_A_MAX, tb[AIOS_A_STATUS], NULL))
		goto out;
	for (int i = 0; i <= AIOS_STATUS_A_MAX; i++)
		if (s[i])
			st->present |= 1U << i;
#define U32(a, f) do { if (s[a]) st->f = nla_get_u32(s[a]); } while (0)
#define U64(a, f) do { if (s[a]) st->f = nla_get_u64(s[a]); } while (0)
	U32(AIOS_STATUS_A_API_VERSION, api_version);
	U64(AIOS_STATUS_A_FEATURES, features);
	U32(AIOS_STATUS_A_AGENTS, agents);
	U64(AIOS_STATUS_A_NEXT_AGENT_ID, next_agent_id);
	U64(AIOS_STATUS_A_DEFAULT_CAPS, default_caps);
	U32(AIOS_STATUS_A_AUDIT_RING_SIZE, ring_size);
	U64(AIOS_STATUS_A_AUDIT_NEXT_SEQ, next_seq);
	U64(AIOS_STATUS_A_AUDIT_FIRST_SEQ, first_seq);
	U64(AIOS_STATUS_A_AUDIT_LOST, lost);
#undef U32
#undef U64
	ret = 0;
out:
	aios_nlreply_free(&r);
	return ret;
}

/* --- agents --------------------------------------------------------- */

struct aios_t_agent {
	__u64 id, parent_id, caps, created_ns;
	__u32 prio, pid, uid, state;
	char name[AIOS_NAME_MAX + 1];
	__u64 cpus[16];
	int cpus_len;		/* bytes of AIOS_AGENT_A_CPUS */
	unsigned int present;	/* bit per AIOS_AGENT_A_* */
};

static inline int aios_parse_agent(struct nlattr *nest, struct aios_t_agent *a)
{
	struct nlattr *t[AIOS_AGENT_A_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (!nest || nla_parse_nested(t, AIOS_AGENT_A_MAX, nest, NULL))
		return -EBADMSG;
	for (int i = 0; i <= AIOS_AGENT_A_MAX; i++)
		if (t[i])
			a->present |= 1U << i;
	if (t[AIOS_AGENT_A_ID])
		a->id = nla_get_u64(t[AIOS_AGENT_A_ID]);
	if (t[AIOS_AGENT_A_PARENT_ID])
		a->parent_id = nla_get_u64(t[AIOS_AGENT_A_PARENT_ID]);
	if (t[AIOS_AGENT_A_CAPS])
		a->caps = nla_get_u64(t[AIOS_AGENT_A_CAPS]);
	if (t[AIOS_AGENT_A_CREATED_NS])
		a->created_ns = nla_get_u64(t[AIOS_AGENT_A_CREATED_NS]);
	if (t[AIOS_AGENT_A_PRIO])
		a->prio = nla_get_u32(t[AIOS_AGENT_A_PRIO]);
	if (t[AIOS_AGENT_A_PID])
		a->pid = nla_get_u32(t[AIOS_AGENT_A_PID]);
	if (t[AIOS_AGENT_A_UID])
		a->uid = nla_get_u32(t[AIOS_AGENT_A_UID]);
	if (t[AIOS_AGENT_A_STATE])
		a->state = nla_get_u32(t[AIOS_AGENT_A_STATE]);
	if (t[AIOS_AGENT_A_NAME])
		snprintf(a->name, sizeof(a->name), "%.*s",
			 nla_len(t[AIOS_AGENT_A_NAME]),
			 (char *)nla_data(t[AIOS_AGENT_A_NAME]));
	if (t[AIOS_AGENT_A_CPUS]) {
		a->cpus_len = nla_len(t[AIOS_AGENT_A_CPUS]);
		memcpy(a->cpus, nla_data(t[AIOS_AGENT_A_CPUS]),
		       a->cpus_len < (int)sizeof(a->cpus) ?
		       a->cpus_len : (int)sizeof(a->cpus));
	}
	return 0;
}

/* Dump every agent into a malloc'd array (free it). */
static inline int aios_nl_agents(struct aios_nl *nl, struct aios_t_agent **out,
				 int *n)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	int ret;

	*out = NULL;
	*n = 0;
	ret = aios_nl_xfer(nl, aios_nl_msg(nl, AIOS_CMD_AGENT_GET, NLM_F_DUMP),
			   &r);
	if (ret)
		goto out;
	*out = calloc(r.n + 1, sizeof(**out));
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < r.n; i++) {
		ret = -EBADMSG;
		if (aios_nl_cmd(r.msgs[i]) != AIOS_CMD_AGENT_GET ||
		    aios_nl_attrs(r.msgs[i], tb) ||
		    aios_parse_agent(tb[AIOS_A_AGENT], &(*out)[i]))
			goto out;
	}
	*n = r.n;
	ret = 0;
out:
	aios_nlreply_free(&r);
	return ret;
}

/* Find agent id in a dump: 1 found (copied to *a if non-NULL), 0 not,
 * -errno on a failed dump. */
static inline int aios_nl_agent_in_dump(struct aios_nl *nl, __u64 id,
					struct aios_t_agent *a)
{
	struct aios_t_agent *all;
	int n, ret, found = 0;

	ret = aios_nl_agents(nl, &all, &n);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		if (all[i].id == id) {
			if (a)
				*a = all[i];
			found++;
		}
	}
	free(all);
	return found;
}

static inline int aios_nl_agent_get(struct aios_nl *nl, __u64 id,
				    struct aios_t_agent *a)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_AGENT_GET, 0);
	int ret;

	if (m)
		nla_put_u64(m, AIOS_A_AGENT_ID, id);
	ret = aios_nl_xfer(nl, m, &r);
	if (!ret) {
		ret = -EBADMSG;
		if (r.n == 1 && !aios_nl_attrs(r.msgs[0], tb))
			ret = aios_parse_agent(tb[AIOS_A_AGENT], a);
	}
	aios_nlreply_free(&r);
	return ret;
}

/* --- audit ---------------------------------------------------------- */

struct aios_t_audit {
	__u64 seq, op_id, agent_id, object, time_ns, cap;
	__u32 op;
	__s32 result;
	unsigned int present;	/* bit per AIOS_AUDIT_A_* */
};

static inline int aios_parse_audit(struct nlattr *nest, struct aios_t_audit *a)
{
	struct nlattr *t[AIOS_AUDIT_A_MAX + 1];

	memset(a, 0, sizeof(*a));
	if (!nest || nla_parse_nested(t, AIOS_AUDIT_A_MAX, nest, NULL))
		return -EBADMSG;
	for (int i = 0; i <= AIOS_AUDIT_A_MAX; i++)
		if (t[i])
			a->present |= 1U << i;
	if (t[AIOS_AUDIT_A_SEQ])
		a->seq = nla_get_u64(t[AIOS_AUDIT_A_SEQ]);
	if (t[AIOS_AUDIT_A_OP_ID])
		a->op_id = nla_get_u64(t[AIOS_AUDIT_A_OP_ID]);
	if (t[AIOS_AUDIT_A_AGENT_ID])
		a->agent_id = nla_get_u64(t[AIOS_AUDIT_A_AGENT_ID]);
	if (t[AIOS_AUDIT_A_OBJECT])
		a->object = nla_get_u64(t[AIOS_AUDIT_A_OBJECT]);
	if (t[AIOS_AUDIT_A_TIME_NS])
		a->time_ns = nla_get_u64(t[AIOS_AUDIT_A_TIME_NS]);
	if (t[AIOS_AUDIT_A_CAP])
		a->cap = nla_get_u64(t[AIOS_AUDIT_A_CAP]);
	if (t[AIOS_AUDIT_A_OP])
		a->op = nla_get_u32(t[AIOS_AUDIT_A_OP]);
	if (t[AIOS_AUDIT_A_RESULT])
		a->result = (__s32)nla_get_u32(t[AIOS_AUDIT_A_RESULT]);
	return 0;
}

#define AIOS_AUDIT_ALL_FIELDS						\
	((1U << AIOS_AUDIT_A_SEQ) | (1U << AIOS_AUDIT_A_OP_ID) |	\
	 (1U << AIOS_AUDIT_A_AGENT_ID) | (1U << AIOS_AUDIT_A_OP) |	\
	 (1U << AIOS_AUDIT_A_OBJECT) | (1U << AIOS_AUDIT_A_RESULT) |	\
	 (1U << AIOS_AUDIT_A_TIME_NS) | (1U << AIOS_AUDIT_A_CAP))

struct aios_t_audit_filter {
	__u64 op_id;		/* 0: none */
	__u64 seq_after;	/* 0: none */
	__u64 agent_id;		/* 0: none */
	int caller_fd;		/* < 0: none */
};

#define AIOS_NO_FILTER ((struct aios_t_audit_filter){ .caller_fd = -1 })

/* AUDIT_GET dump; records into a malloc'd array (free it); extack
 * copied when non-NULL. */
static inline int aios_nl_audit(struct aios_nl *nl,
				struct aios_t_audit_filter f,
				struct aios_t_audit **out, int *n,
				char *extack, size_t extack_len)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct nl_msg *m;
	int ret;

	*out = NULL;
	*n = 0;
	m = aios_nl_msg(nl, AIOS_CMD_AUDIT_GET, NLM_F_DUMP);
	if (m && f.op_id)
		nla_put_u64(m, AIOS_A_OP_ID, f.op_id);
	if (m && f.seq_after)
		nla_put_u64(m, AIOS_A_SEQ_AFTER, f.seq_after);
	if (m && f.agent_id)
		nla_put_u64(m, AIOS_A_AGENT_ID, f.agent_id);
	if (m && f.caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, f.caller_fd);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	if (ret)
		goto out;
	*out = calloc(r.n + 1, sizeof(**out));
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < r.n; i++) {
		ret = -EBADMSG;
		if (aios_nl_attrs(r.msgs[i], tb) ||
		    aios_parse_audit(tb[AIOS_A_AUDIT], &(*out)[i]))
			goto out;
	}
	*n = r.n;
	ret = 0;
out:
	aios_nlreply_free(&r);
	return ret;
}

static inline int aios_nl_audit_config(struct aios_nl *nl, __u32 size,
				       char *extack, size_t extack_len)
{
	struct aios_nlreply r;
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_AUDIT_CONFIG, 0);
	int ret;

	if (m)
		nla_put_u32(m, AIOS_A_RING_SIZE, size);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	aios_nlreply_free(&r);
	return ret;
}

/*
 * CAPS_GET/GRANT/REVOKE over netlink.  caller_fd < 0: none.  effective
 * (from the AIOS_A_AGENT nest of the reply, when present) and extack are
 * optional.
 */
static inline int aios_nl_caps(struct aios_nl *nl, __u8 cmd, int caller_fd,
			       __u64 id, __u64 caps, __u64 *effective,
			       char *extack, size_t extack_len)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct nl_msg *m = aios_nl_msg(nl, cmd, 0);
	int ret;

	if (m && caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, caller_fd);
	if (m)
		nla_put_u64(m, AIOS_A_AGENT_ID, id);
	if (m && cmd != AIOS_CMD_CAPS_GET)
		nla_put_u64(m, AIOS_A_CAPS, caps);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	if (!ret && effective) {
		struct aios_t_agent a;

		*effective = ~0ULL;
		if (r.n == 1 && !aios_nl_attrs(r.msgs[0], tb)) {
			if (tb[AIOS_A_CAPS])
				*effective = nla_get_u64(tb[AIOS_A_CAPS]);
			else if (!aios_parse_agent(tb[AIOS_A_AGENT], &a) &&
				 (a.present & (1U << AIOS_AGENT_A_CAPS)))
				*effective = a.caps;
		}
	}
	aios_nlreply_free(&r);
	return ret;
}

static inline int aios_nl_kill(struct aios_nl *nl, int caller_fd, __u64 id,
			       __u32 sig, __u32 flags, char *extack,
			       size_t extack_len)
{
	struct aios_nlreply r;
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_AGENT_KILL, 0);
	int ret;

	if (m && caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, caller_fd);
	if (m)
		nla_put_u64(m, AIOS_A_AGENT_ID, id);
	if (m && sig)
		nla_put_u32(m, AIOS_A_SIGNAL, sig);
	if (m && flags)
		nla_put_u32(m, AIOS_A_FLAGS, flags);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	aios_nlreply_free(&r);
	return ret;
}

/*
 * Wait until a multicast message with genl command cmd arrives for
 * which match(nest-parsed top-level attributes, arg) is true.  Returns
 * 0, or -ETIMEDOUT after timeout_ms in total.
 */
typedef bool (*aios_nl_match_fn)(struct nlattr **tb, void *arg);

static inline int aios_nl_wait_event(struct aios_nl *nl, __u8 cmd,
				     aios_nl_match_fn match, void *arg,
				     int timeout_ms)
{
	__u64 deadline = aios_boottime_ns() + timeout_ms * 1000000ULL;
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r = { 0 };
	int ret;

	for (;;) {
		__u64 now = aios_boottime_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		ret = aios_nl_recv(nl, &r, (deadline - now) / 1000000 + 1);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret < 0)
			break;
		for (int i = 0; i < r.n; i++) {
			if (aios_nl_cmd(r.msgs[i]) != cmd ||
			    aios_nl_attrs(r.msgs[i], tb))
				continue;
			if (!match || match(tb, arg)) {
				ret = 0;
				goto out;
			}
		}
		aios_nlreply_free(&r);
	}
out:
	aios_nlreply_free(&r);
	return ret;
}

/* Poll status until the live agent count equals want (agent removal on
 * the last close may complete just after a waited-for process is
 * reaped); returns the last count seen. */
static inline int aios_wait_agent_count(struct aios_nl *nl, __u32 want)
{
	struct aios_t_status st = { 0 };

	for (int i = 0; i < 200; i++) {
		if (aios_nl_status(nl, &st))
			return -1;
		if (st.agents == want)
			break;
		usleep(10000);
	}
	return st.agents;
}

#endif /* AIOS_TEST_H */
