// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event subscription on a separate generic netlink socket.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "nl.h"

struct aios_events {
	struct nl_sock *sk;
	int family;
	char *buf;		/* AIOSI_NLBUF_SIZE bytes */
	size_t len, off;	/* received datagram, next message */
	char errmsg[AIOSI_ERRMSG_MAX];
};

static int ev_fail(struct aios_events *ev, int err, const char *detail,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int ev_fail(struct aios_events *ev, int err, const char *detail,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aiosi_format_err(ev->errmsg, sizeof(ev->errmsg), err, detail, fmt, ap);
	va_end(ap);
	return err;
}

void aios_events_close(struct aios_events *ev)
{
	if (!ev)
		return;
	if (ev->sk)
		nl_socket_free(ev->sk);
	free(ev->buf);
	free(ev);
}

int aios_events_open(struct aios *h, unsigned int groups,
		     struct aios_events **out)
{
	static const char *const names[] = { AIOS_MCGRP_EVENTS, AIOS_MCGRP_AUDIT };
	struct aios_events *ev;
	int ret, grp, i;

	if (!groups || (groups & ~(AIOS_EVENTS_GROUP_EVENTS |
				   AIOS_EVENTS_GROUP_AUDIT)))
		return aiosi_failmsg(h, -EINVAL,
				     "events: bad group mask 0x%x (use AIOS_EVENTS_GROUP_EVENTS and/or AIOS_EVENTS_GROUP_AUDIT)",
				     groups);
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return aiosi_fail(h, -ENOMEM, NULL, "events");
	ev->buf = malloc(AIOSI_NLBUF_SIZE);
	ev->sk = nl_socket_alloc();
	if (!ev->buf || !ev->sk) {
		ret = aiosi_fail(h, -ENOMEM, NULL, "events");
		goto fail;
	}
	ret = genl_connect(ev->sk);
	if (ret < 0) {
		ret = aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
				 "events: generic netlink socket");
		goto fail;
	}
	ret = genl_ctrl_resolve(ev->sk, AIOS_GENL_NAME);
	if (ret < 0) {
		if (ret == -NLE_OBJ_NOTFOUND)
			ret = aiosi_failmsg(h, -ENOENT,
					    "generic netlink family \"%s\" not found: is the aios module loaded? (modprobe aios)",
					    AIOS_GENL_NAME);
		else
			ret = aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
					 "events: resolving family");
		goto fail;
	}
	ev->family = ret;
	for (i = 0; i < 2; i++) {
		if (!(groups & (1U << i)))
			continue;
		grp = aiosi_nl_group(h, ev->sk, names[i]);
		if (grp < 0) {
			ret = grp;
			goto fail;
		}
		ret = nl_socket_add_membership(ev->sk, grp);
		if (ret < 0) {
			ret = aiosi_nlerr(ret);
			aiosi_fail(h, ret,
				   ret == -EPERM || ret == -EACCES ?
				   "the \"audit\" group needs CAP_SYS_ADMIN" : NULL,
				   "events: subscribing to group \"%s\"",
				   names[i]);
			goto fail;
		}
	}
	ret = nl_socket_set_nonblocking(ev->sk);
	if (ret < 0) {
		ret = aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
				 "events: non-blocking socket");
		goto fail;
	}
	*out = ev;
	aiosi_clear_err(h);
	return 0;
fail:
	aios_events_close(ev);
	return ret;
}

int aios_events_fd(const struct aios_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

const char *aios_events_errmsg(const struct aios_events *ev)
{
	return ev ? ev->errmsg : "no event subscription";
}

/* Next notification of our family in the buffered datagram, or 0. */
static int next_buffered(struct aios_events *ev, struct aios_event *out)
{
	const struct nlmsghdr *nlh;
	char detail[AIOSI_DETAIL_MAX];
	size_t rem, step;
	int ret;

	while (ev->off + NLMSG_HDRLEN <= ev->len) {
		nlh = (const struct nlmsghdr *)(ev->buf + ev->off);
		rem = ev->len - ev->off;
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > rem) {
			ev->off = ev->len;
			return ev_fail(ev, -EBADMSG, "truncated message",
				       "events: malformed notification");
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		ev->off += step < rem ? step : rem;
		if (nlh->nlmsg_type != ev->family)
			continue;
		ret = aiosi_decode_event(nlh, out, detail, sizeof(detail));
		if (ret)
			return ev_fail(ev, ret, detail,
				       "events: malformed notification");
		return 1;
	}
	ev->off = ev->len = 0;
	return 0;
}

int aios_events_next(struct aios_events *ev, struct aios_event *out,
		     int timeout_ms)
{
	struct pollfd pfd;
	ssize_t n;
	int ret;

	for (;;) {
		ret = next_buffered(ev, out);
		if (ret)
			return ret;
		n = recv(nl_socket_get_fd(ev->sk), ev->buf, AIOSI_NLBUF_SIZE,
			 MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == ENOBUFS) {
			memset(out, 0, sizeof(*out));
			out->type = AIOS_EVENT_LOST;
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!timeout_ms)
				return 0;
			pfd.fd = nl_socket_get_fd(ev->sk);
			pfd.events = POLLIN;
			ret = poll(&pfd, 1, timeout_ms);
			if (ret < 0 && errno == EINTR)
				return -EINTR;
			if (ret < 0)
				return ev_fail(ev, -errno, NULL, "events: poll");
			if (!ret)
				return 0;
			timeout_ms = 0;	/* data is there: don't wait twice */
			continue;
		}
		if (n < 0)
			return ev_fail(ev, -errno, NULL, "events: receive");
		if (n > AIOSI_NLBUF_SIZE)
			return ev_fail(ev, -EMSGSIZE, NULL,
				       "events: notification of %zd bytes truncated",
				       n);
		ev->len = n;
		ev->off = 0;
	}
}
