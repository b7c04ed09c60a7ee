// SPDX-License-Identifier: GPL-2.0
/*
 * aios-gpud: generic netlink client.  libnl builds messages and parses
 * attributes; replies, acks (with their extack message) and multicast
 * messages are read by hand so that every errno reaches the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "gnl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

int gnl_open(struct gnl *g, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	memset(g, 0, sizeof(*g));
	g->sk = nl_socket_alloc();
	if (!g->sk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (genl_connect(g->sk) < 0) {
		snprintf(err, errlen, "cannot open a generic netlink socket");
		goto fail;
	}
	g->fd = nl_socket_get_fd(g->sk);
	g->family = genl_ctrl_resolve(g->sk, AIOS_GENL_NAME);
	if (g->family < 0) {
		snprintf(err, errlen,
			 "generic netlink family \"%s\" not found: is aios.ko loaded?",
			 AIOS_GENL_NAME);
		nl_socket_free(g->sk);
		g->sk = NULL;
		return -ENOENT;
	}
	setsockopt(g->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_set_buffer_size(g->sk, 1 << 20, 1 << 20);
	return 0;
fail:
	nl_socket_free(g->sk);
	g->sk = NULL;
	return -EIO;
}

void gnl_close(struct gnl *g)
{
	if (g->sk)
		nl_socket_free(g->sk);
	g->sk = NULL;
}

int gnl_join(struct gnl *g, const char *group)
{
	int grp = genl_ctrl_resolve_grp(g->sk, AIOS_GENL_NAME, group);

	if (grp < 0)
		return -ENOENT;
	if (setsockopt(g->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -errno;
	return 0;
}

static struct nl_msg *gnl_msg(struct gnl *g, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
			      flags, cmd, AIOS_GENL_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/* The error of an NLMSG_ERROR/NLMSG_DONE, and its extack text. */
static int gnl_ack(struct nlmsghdr *h, char *err, size_t errlen)
{
	struct nlmsgerr *e = nlmsg_data(h);
	size_t off;
	struct nlattr *a;
	int rem, ret;

	if (h->nlmsg_type == NLMSG_DONE)
		return *(int *)nlmsg_data(h);
	ret = e->error;
	if (!err || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return ret;
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = NLMSG_ALIGN(off);
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return ret;
	a = (struct nlattr *)((char *)e + off);
	rem = h->nlmsg_len - NLMSG_HDRLEN - off;
	for (; nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(err, errlen, "%.*s", nla_len(a),
				 (char *)nla_data(a));
	return ret;
}

static int gnl_parse_dev(struct nlmsghdr *h, struct gnl_dev *d)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *t[AIOS_GPU_A_MAX + 1];

	memset(d, 0, sizeof(*d));
	if (genlmsg_parse(h, 0, tb, AIOS_A_MAX, NULL) < 0 || !tb[AIOS_A_GPU] ||
	    nla_parse_nested(t, AIOS_GPU_A_MAX, tb[AIOS_A_GPU], NULL) < 0)
		return -EBADMSG;
	if (!t[AIOS_GPU_A_ID] || !t[AIOS_GPU_A_MAJOR] || !t[AIOS_GPU_A_MINOR])
		return -EBADMSG;
	d->id = nla_get_u32(t[AIOS_GPU_A_ID]);
	d->major = nla_get_u32(t[AIOS_GPU_A_MAJOR]);
	d->minor = nla_get_u32(t[AIOS_GPU_A_MINOR]);
	if (t[AIOS_GPU_A_STATE])
		d->state = nla_get_u32(t[AIOS_GPU_A_STATE]);
	if (t[AIOS_GPU_A_OWNER_PID])
		d->owner_pid = nla_get_u32(t[AIOS_GPU_A_OWNER_PID]);
	if (t[AIOS_GPU_A_PRIO])
		d->prio = nla_get_u32(t[AIOS_GPU_A_PRIO]);
	if (t[AIOS_GPU_A_OWNER_ID])
		d->owner_id = nla_get_u64(t[AIOS_GPU_A_OWNER_ID]);
	if (t[AIOS_GPU_A_HANDLE])
		d->handle = nla_get_u64(t[AIOS_GPU_A_HANDLE]);
	if (t[AIOS_GPU_A_NAME])
		snprintf(d->name, sizeof(d->name), "%s",
			 (char *)nla_data(t[AIOS_GPU_A_NAME]));
	if (t[AIOS_GPU_A_PATH])
		snprintf(d->path, sizeof(d->path), "%s",
			 (char *)nla_data(t[AIOS_GPU_A_PATH]));
	return 0;
}

static char gnl_buf[1 << 16];

/*
 * Send @m (consumed) and read until the ack / NLMSG_DONE, calling @fn on
 * each data message.  Returns the kernel's error (0 or -errno).
 */
static int gnl_xfer(struct gnl *g, struct nl_msg *m,
		    int (*fn)(void *arg, struct nlmsghdr *h), void *arg,
		    char *err, size_t errlen)
{
	struct nlmsghdr *h;
	int len, ret = 0;

	if (!m)
		return -ENOMEM;
	ret = nl_send_auto(g->sk, m);
	nlmsg_free(m);
	if (ret < 0)
		return -EIO;
	for (;;) {
		len = recv(g->fd, gnl_buf, sizeof(gnl_buf), 0);
		if (len < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (h = (struct nlmsghdr *)gnl_buf;
		     NLMSG_OK(h, (unsigned int)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_DONE)
				return gnl_ack(h, err, errlen);
			if (fn && h->nlmsg_type >= NLMSG_MIN_TYPE) {
				ret = fn(arg, h);
				if (ret)
					return ret;
			}
		}
	}
}

int gnl_register(struct gnl *g, uint32_t id, const char *name,
		 const char *path, uint32_t grace_ms, char *err, size_t errlen)
{
	struct nl_msg *m = gnl_msg(g, AIOS_CMD_GPU_REGISTER, 0);
	struct nlattr *nest;

	if (err && errlen)
		err[0] = '\0';
	if (!m)
		return -ENOMEM;
	nest = nla_nest_start(m, AIOS_A_GPU);
	if (!nest || nla_put_u32(m, AIOS_GPU_A_ID, id) ||
	    nla_put_string(m, AIOS_GPU_A_NAME, name) ||
	    nla_put_string(m, AIOS_GPU_A_PATH, path) ||
	    (grace_ms && nla_put_u32(m, AIOS_GPU_A_GRACE_MS, grace_ms))) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	nla_nest_end(m, nest);
	return gnl_xfer(g, m, NULL, NULL, err, errlen);
}

struct gnl_dump_ctx {
	struct gnl_dev *devs;
	int n, cap;
};

static int gnl_dump_one(void *arg, struct nlmsghdr *h)
{
	struct gnl_dump_ctx *c = arg;

	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->devs, cap * sizeof(*c->devs));

		if (!p)
			return -ENOMEM;
		c->devs = p;
		c->cap = cap;
	}
	if (gnl_parse_dev(h, &c->devs[c->n]))
		return -EBADMSG;
	c->n++;
	return 0;
}

int gnl_dump(struct gnl *g, struct gnl_dev **out, int *n)
{
	struct gnl_dump_ctx c = { 0 };
	int ret;

	ret = gnl_xfer(g, gnl_msg(g, AIOS_CMD_GPU_GET, NLM_F_DUMP),
		       gnl_dump_one, &c, NULL, 0);
	if (ret) {
		free(c.devs);
		return ret;
	}
	*out = c.devs;
	*n = c.n;
	return 0;
}

/* Is this audit record a GPU (un)registration? */
static bool gnl_audit_is_reg(struct nlmsghdr *h)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *t[AIOS_AUDIT_A_MAX + 1];
	uint32_t op;

	if (genlmsg_parse(h, 0, tb, AIOS_A_MAX, NULL) < 0 || !tb[AIOS_A_AUDIT] ||
	    nla_parse_nested(t, AIOS_AUDIT_A_MAX, tb[AIOS_A_AUDIT], NULL) < 0 ||
	    !t[AIOS_AUDIT_A_OP])
		return false;
	op = nla_get_u32(t[AIOS_AUDIT_A_OP]);
	return op == AIOS_OP_GPU_REGISTER || op == AIOS_OP_GPU_UNREGISTER;
}

int gnl_events(struct gnl *g, gnl_event_fn fn, void *arg)
{
	struct nlmsghdr *h;
	struct gnl_dev d;
	int len, done = 0;
	uint8_t cmd;

	len = recv(g->fd, gnl_buf, sizeof(gnl_buf), MSG_DONTWAIT);
	if (len < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (h = (struct nlmsghdr *)gnl_buf; NLMSG_OK(h, (unsigned int)len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		cmd = ((struct genlmsghdr *)nlmsg_data(h))->cmd;
		switch (cmd) {
		case AIOS_CMD_NTF_GPU_CLAIM:
		case AIOS_CMD_NTF_GPU_RELEASE:
		case AIOS_CMD_NTF_GPU_PREEMPT:
		case AIOS_CMD_NTF_GPU_REVOKE:
			if (!gnl_parse_dev(h, &d)) {
				fn(arg, cmd, &d);
				done++;
			}
			break;
		case AIOS_CMD_NTF_AUDIT:
			if (gnl_audit_is_reg(h)) {
				fn(arg, cmd, NULL);
				done++;
			}
			break;
		default:
			break;
		}
	}
	return done;
}
