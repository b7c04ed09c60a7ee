/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the typed IPC selftests (ipc.c, ipc_types.c): raw
 * AIOS_IOC_MSG_* calls and AIOS_CMD_MBOX_GET over netlink.  Like
 * aios_test.h, nothing here asserts; every helper returns 0 or -errno.
 */
#ifndef AIOS_IPC_TEST_H
#define AIOS_IPC_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "aios_test.h"

static inline int ipc_send_full(int fd, __u32 flags, __u64 to,
				const char *group, __u32 type,
				const void *buf, __u32 len, const char *intent,
				__u64 corr, __s32 timeout_ms,
				struct aios_msg_send *out)
{
	struct aios_msg_send s = {
		.size = sizeof(s),
		.flags = flags,
		.to = to,
		.type = type,
		.payload_len = len,
		.payload = (__u64)(uintptr_t)buf,
		.correlation_id = corr,
		.timeout_ms = timeout_ms,
	};
	int ret;

	if (intent)
		snprintf(s.intent, sizeof(s.intent), "%s", intent);
	if (group)
		snprintf(s.group, sizeof(s.group), "%s", group);
	ret = aios_ioctl(fd, AIOS_IOC_MSG_SEND, &s);
	if (out)
		*out = s;
	return ret;
}

/* Send a NUL-terminated string payload (without its NUL). */
static inline int ipc_send(int fd, __u64 to, __u32 type, const char *payload,
			   const char *intent)
{
	return ipc_send_full(fd, AIOS_SEND_NONBLOCK, to, NULL, type, payload,
			     strlen(payload), intent, 0, 0, NULL);
}

struct ipc_msg {
	struct aios_msg_recv r;
	char buf[70000];
};

static inline int ipc_recv_full(int fd, __u32 flags, __u64 from,
				const char *intent, __s32 timeout_ms,
				__u32 cap, struct ipc_msg *m)
{
	memset(&m->r, 0, sizeof(m->r));
	m->r.size = sizeof(m->r);
	m->r.flags = flags;
	m->r.timeout_ms = timeout_ms;
	m->r.payload_cap = cap;
	m->r.payload = (__u64)(uintptr_t)m->buf;
	if (flags & AIOS_RECV_FROM)
		m->r.from_filter = from;
	if (intent)
		snprintf(m->r.intent_filter, sizeof(m->r.intent_filter), "%s",
			 intent);
	memset(m->buf, 0, 64);
	return aios_ioctl(fd, AIOS_IOC_MSG_RECV, &m->r);
}

static inline int ipc_recv(int fd, struct ipc_msg *m)
{
	return ipc_recv_full(fd, AIOS_RECV_NONBLOCK, 0, NULL, 0,
			     sizeof(m->buf), m);
}

static inline int ipc_group(int fd, const char *name, __u32 flags)
{
	struct aios_msg_group g = { .size = sizeof(g), .flags = flags };

	snprintf(g.name, sizeof(g.name), "%s", name);
	return aios_ioctl(fd, AIOS_IOC_MSG_GROUP, &g);
}

static inline int ipc_policy(int fd, __u64 agent, __u32 flags,
			     const __u64 *ids, __u32 count)
{
	struct aios_msg_policy p = {
		.size = sizeof(p),
		.flags = flags,
		.agent_id = agent,
		.ids = (__u64)(uintptr_t)ids,
		.count = count,
	};

	return aios_ioctl(fd, AIOS_IOC_MSG_POLICY, &p);
}

/* --- AIOS_CMD_MBOX_GET ------------------------------------------------ */

struct ipc_stats {
	__u64 agent_id, bytes, max_bytes, received, taken, full, rejected;
	__u64 sent;
	__u32 count, max_count;
	unsigned int present;	/* bit per AIOS_MBOX_A_* */
};

static inline int ipc_parse_mbox(struct nlattr *nest, struct ipc_stats *st)
{
	struct nlattr *t[AIOS_MBOX_A_MAX + 1];

	memset(st, 0, sizeof(*st));
	if (!nest || nla_parse_nested(t, AIOS_MBOX_A_MAX, nest, NULL))
		return -EBADMSG;
	for (int i = 0; i <= AIOS_MBOX_A_MAX; i++)
		if (t[i])
			st->present |= 1U << i;
#define IPC_U64(a, f) do { if (t[a]) st->f = nla_get_u64(t[a]); } while (0)
#define IPC_U32(a, f) do { if (t[a]) st->f = nla_get_u32(t[a]); } while (0)
	IPC_U64(AIOS_MBOX_A_AGENT_ID, agent_id);
	IPC_U32(AIOS_MBOX_A_COUNT, count);
	IPC_U64(AIOS_MBOX_A_BYTES, bytes);
	IPC_U32(AIOS_MBOX_A_MAX_COUNT, max_count);
	IPC_U64(AIOS_MBOX_A_MAX_BYTES, max_bytes);
	IPC_U64(AIOS_MBOX_A_RECEIVED, received);
	IPC_U64(AIOS_MBOX_A_TAKEN, taken);
	IPC_U64(AIOS_MBOX_A_FULL, full);
	IPC_U64(AIOS_MBOX_A_REJECTED, rejected);
	IPC_U64(AIOS_MBOX_A_SENT, sent);
#undef IPC_U64
#undef IPC_U32
	return 0;
}

#define IPC_MBOX_ALL_FIELDS	(((1U << (AIOS_MBOX_A_MAX + 1)) - 1) & \
				 ~((1U << AIOS_MBOX_A_UNSPEC) | \
				   (1U << AIOS_MBOX_A_PAD)))

static inline int ipc_nl_stats(struct aios_nl *nl, __u64 id,
			       struct ipc_stats *st, char *extack,
			       size_t extack_len)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_MBOX_GET, 0);
	int ret;

	if (m && id)
		nla_put_u64(m, AIOS_A_AGENT_ID, id);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	if (!ret) {
		ret = -EBADMSG;
		if (r.n == 1 && aios_nl_cmd(r.msgs[0]) == AIOS_CMD_MBOX_GET &&
		    !aios_nl_attrs(r.msgs[0], tb))
			ret = ipc_parse_mbox(tb[AIOS_A_MBOX], st);
	}
	aios_nlreply_free(&r);
	return ret;
}

/* Stats of one mailbox from a dump: 1 found, 0 not, -errno. */
static inline int ipc_nl_stats_dump(struct aios_nl *nl, __u64 id,
				    struct ipc_stats *st, int *total)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct ipc_stats one;
	int ret, found = 0;

	ret = aios_nl_xfer(nl, aios_nl_msg(nl, AIOS_CMD_MBOX_GET, NLM_F_DUMP),
			   &r);
	if (ret)
		goto out;
	for (int i = 0; i < r.n; i++) {
		ret = -EBADMSG;
		if (aios_nl_cmd(r.msgs[i]) != AIOS_CMD_MBOX_GET ||
		    aios_nl_attrs(r.msgs[i], tb) ||
		    ipc_parse_mbox(tb[AIOS_A_MBOX], &one))
			goto out;
		if (one.agent_id == id) {
			*st = one;
			found++;
		}
	}
	if (total)
		*total = r.n;
	ret = found;
out:
	aios_nlreply_free(&r);
	return ret;
}

#endif /* AIOS_IPC_TEST_H */
