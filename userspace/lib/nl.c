// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Generic netlink transport: lazily created libnl socket, requests with
 * replies processed by aiosi_nl_walk().
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int aiosi_nlerr(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PROTO_MISMATCH:
	case NLE_AF_NOSUPPORT:
		return -EPROTONOSUPPORT;
	}
	return -EIO;
}

static const char family_hint[] =
	"generic netlink family \"" AIOS_GENL_NAME "\" not found: is the aios module loaded? (modprobe aios)";

int aiosi_nl_ensure(struct aios *h)
{
	struct nl_sock *sk;
	int one = 1, ret;

	if (h->nl && h->family)
		return 0;
	if (!h->nlbuf) {
		h->nlbuf = malloc(AIOSI_NLBUF_SIZE);
		if (!h->nlbuf)
			return aiosi_fail(h, -ENOMEM, NULL, "netlink buffer");
	}
	if (!h->nl) {
		sk = nl_socket_alloc();
		if (!sk)
			return aiosi_fail(h, -ENOMEM, NULL, "netlink socket");
		ret = genl_connect(sk);
		if (ret < 0) {
			nl_socket_free(sk);
			return aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
					  "generic netlink socket");
		}
		nl_socket_disable_auto_ack(sk);
		/* Kernel error messages, without our request echoed back. */
		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
			   &one, sizeof(one));
		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
			   &one, sizeof(one));
		h->nl = sk;
	}
	ret = genl_ctrl_resolve(h->nl, AIOS_GENL_NAME);
	if (ret < 0) {
		if (ret == -NLE_OBJ_NOTFOUND)
			return aiosi_failmsg(h, -ENOENT, family_hint);
		return aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
				  "resolving generic netlink family \"%s\"",
				  AIOS_GENL_NAME);
	}
	h->family = ret;
	return 0;
}

int aiosi_nl_group(struct aios *h, struct nl_sock *sk, const char *group)
{
	int ret = genl_ctrl_resolve_grp(sk, AIOS_GENL_NAME, group);

	if (ret == -NLE_OBJ_NOTFOUND)
		return aiosi_failmsg(h, -ENOENT,
				     "multicast group \"%s\" of family \"%s\" not found: is the aios module loaded? (modprobe aios)",
				     group, AIOS_GENL_NAME);
	if (ret < 0)
		return aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
				  "resolving multicast group \"%s\"", group);
	return ret;
}

struct nl_msg *aiosi_nl_new(struct aios *h, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m)
		return NULL;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, AIOS_GENL_VERSION)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

int aiosi_nl_put_caller(struct aios *h, struct nl_msg *m)
{
	if (h->fd < 0 || !h->agent_id)
		return 0;
	return nla_put_u32(m, AIOS_A_CALLER_FD, h->fd) ? -ENOMEM : 0;
}

void *aiosi_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first,
		 size_t max)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first;
	if (max && ncap > max)
		ncap = max;
	nv = realloc(v, ncap * elem);
	if (!nv)
		return NULL;
	*cap = ncap;
	return nv;
}

int aiosi_nl_start(struct aios *h, uint8_t cmd, int flags, bool caller,
		   struct nl_msg **out, const char *what)
{
	struct nl_msg *m;
	int ret;

	ret = aiosi_nl_ensure(h);
	if (ret)
		return ret;
	m = aiosi_nl_new(h, cmd, flags);
	if (!m)
		return aiosi_fail(h, -ENOMEM, NULL, "%s", what);
	if (caller && aiosi_nl_put_caller(h, m)) {
		nlmsg_free(m);
		return aiosi_fail(h, -ENOMEM, NULL, "%s", what);
	}
	*out = m;
	return 0;
}

int aiosi_nl_put_fail(struct aios *h, struct nl_msg *m, const char *what)
{
	nlmsg_free(m);
	return aiosi_fail(h, -EMSGSIZE, NULL, "%s: building request", what);
}

int aiosi_nl_request(struct aios *h, struct nl_msg *m, aiosi_msg_cb cb,
		     void *arg, const char *what)
{
	struct aiosi_nlres res;
	struct pollfd pfd;
	uint32_t seq;
	ssize_t n;
	int ret, fd;

	memset(&res, 0, sizeof(res));
	if (!(nlmsg_hdr(m)->nlmsg_flags & NLM_F_DUMP))
		nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send_auto(h->nl, m);
	seq = nlmsg_hdr(m)->nlmsg_seq;
	nlmsg_free(m);
	if (ret < 0)
		return aiosi_fail(h, aiosi_nlerr(ret), nl_geterror(ret),
				  "%s: sending request", what);
	fd = nl_socket_get_fd(h->nl);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, AIOSI_NL_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return aiosi_fail(h, -errno, NULL, "%s: poll", what);
		if (!ret)
			return aiosi_failmsg(h, -ETIMEDOUT,
					     "%s: no reply from the aios module within %d s",
					     what, AIOSI_NL_TIMEOUT_MS / 1000);
		n = recv(fd, h->nlbuf, AIOSI_NLBUF_SIZE, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return aiosi_fail(h, -errno, NULL, "%s: receiving reply",
					  what);
		if (n > AIOSI_NLBUF_SIZE)
			return aiosi_failmsg(h, -EMSGSIZE,
					     "%s: reply of %zd bytes exceeds the %d byte buffer",
					     what, n, AIOSI_NLBUF_SIZE);
		ret = aiosi_nl_walk(h->nlbuf, n, seq, h->family, cb, arg, &res);
		if (ret < 0)
			return aiosi_fail(h, ret, res.extack,
					  "%s: malformed reply", what);
		if (ret)
			break;
	}
	if (res.error)
		return aiosi_fail(h, res.error, res.extack, "%s", what);
	if (res.cb_err)
		return res.cb_err;	/* the callback set the message */
	return 0;
}
