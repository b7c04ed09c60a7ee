// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Typed agent IPC: send, receive, groups and allow lists over ioctl,
 * mailbox statistics over netlink (AIOS_CMD_MBOX_GET).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "device.h"
#include "nl.h"

static const char *const type_names[] = {
	[AIOS_MSG_TEXT] = "text",
	[AIOS_MSG_NUMBER] = "number",
	[AIOS_MSG_JSON] = "json",
	[AIOS_MSG_BINARY] = "binary",
};

const char *aios_msg_type_name(uint32_t type)
{
	return type < sizeof(type_names) / sizeof(type_names[0]) ?
	       type_names[type] : NULL;
}

int aios_msg_type_parse(const char *s, uint32_t *type)
{
	for (uint32_t t = 0; t < sizeof(type_names) / sizeof(type_names[0]);
	     t++) {
		if (!strcasecmp(s, type_names[t])) {
			*type = t;
			return 0;
		}
	}
	return -EINVAL;
}

/* Copy a short name into a fixed field: -EINVAL if empty or too long. */
static int put_name(struct aios *h, char *dst, size_t size, const char *s,
		    const char *what, const char *field)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n >= size)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: the %s must be 1-%zu characters",
				     what, field, size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/*
 * After a refused send: the kernel's reason (AIOS_IOC_LAST_DENIAL) is
 * the message, e.g. "JSON: expected ',' or '}' at byte 17".
 */
static int send_failed(struct aios *h, int err, const char *what)
{
	struct aios_denial d;

	switch (err) {
	case -EAGAIN:
		return aiosi_failmsg(h, err,
				     "%s: the receiver's mailbox is full (non-blocking send)",
				     what);
	case -ETIMEDOUT:
		return aiosi_failmsg(h, err,
				     "%s: the receiver's mailbox stayed full until the timeout",
				     what);
	case -EPIPE:
		return aiosi_failmsg(h, err,
				     "%s: the receiver went away while we waited for room",
				     what);
	case -EINVAL:
	case -EMSGSIZE:
		break;
	default:
		return err;	/* aiosi_ioctl() wrote the message */
	}
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	if (ioctl(h->fd, AIOS_IOC_LAST_DENIAL, &d) || d.error != err ||
	    !d.reason[0])
		return err;
	return aiosi_failmsg(h, err, "%s: %s", what, d.reason);
}

static int do_send(struct aios *h, bool group, uint64_t to, const char *name,
		   uint32_t type, const char *intent, const void *payload,
		   size_t len, const struct aios_send_opts *o,
		   uint64_t *msg_id, uint32_t *err_offset, const char *what)
{
	struct aios_send_opts def = { .sz = sizeof(def), .timeout_ms = -1 };
	struct aios_msg_send s;
	int ret;

	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	if (!o)
		o = &def;
	if (o->sz < sizeof(*o))
		return aiosi_failmsg(h, -EINVAL,
				     "%s: struct aios_send_opts.sz must be set",
				     what);
	if (len > UINT32_MAX)
		return aiosi_failmsg(h, -EMSGSIZE, "%s: payload too large",
				     what);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = o->flags | (group ? AIOS_SEND_GROUP : 0);
	s.to = to;
	s.type = type;
	s.payload = (uintptr_t)payload;
	s.payload_len = len;
	s.correlation_id = o->correlation_id;
	s.timeout_ms = o->timeout_ms;
	ret = put_name(h, s.intent, sizeof(s.intent), intent, what, "intent");
	if (!ret && group)
		ret = put_name(h, s.group, sizeof(s.group), name, what,
			       "group name");
	if (ret)
		return ret;
	ret = aiosi_ioctl(h, AIOS_IOC_MSG_SEND, &s, what);
	if (err_offset)
		*err_offset = s.err_offset;
	if (ret < 0)
		return send_failed(h, ret, what);
	if (msg_id)
		*msg_id = s.msg_id;
	aiosi_clear_err(h);
	return (int)s.delivered;
}

int aios_msg_send(struct aios *h, uint64_t to, uint32_t type,
		  const char *intent, const void *payload, size_t len,
		  const struct aios_send_opts *opts, uint64_t *msg_id,
		  uint32_t *err_offset)
{
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "send to agent %llu",
		 (unsigned long long)to);
	ret = do_send(h, false, to, NULL, type, intent, payload, len, opts,
		      msg_id, err_offset, what);
	return ret < 0 ? ret : 0;
}

int aios_msg_send_group(struct aios *h, const char *group, uint32_t type,
			const char *intent, const void *payload, size_t len,
			const struct aios_send_opts *opts, uint64_t *msg_id,
			uint32_t *err_offset)
{
	char what[64];

	snprintf(what, sizeof(what), "send to group %.31s",
		 group ? group : "(null)");
	return do_send(h, true, 0, group, type, intent, payload, len, opts,
		       msg_id, err_offset, what);
}

int aios_msg_recv(struct aios *h, const struct aios_recv_opts *o,
		  struct aios_message *m, void *buf, size_t cap)
{
	struct aios_recv_opts def = { .sz = sizeof(def), .timeout_ms = -1 };
	struct aios_msg_recv r;
	int ret;

	ret = aiosi_need_agent(h, "receive");
	if (ret)
		return ret;
	if (!o)
		o = &def;
	if (o->sz < sizeof(*o))
		return aiosi_failmsg(h, -EINVAL,
				     "receive: struct aios_recv_opts.sz must be set");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = o->flags & ~(uint32_t)(AIOS_RECV_FROM | AIOS_RECV_INTENT);
	r.timeout_ms = o->timeout_ms;
	r.payload = (uintptr_t)buf;
	r.payload_cap = cap > UINT32_MAX ? UINT32_MAX : cap;
	if (o->from) {
		r.flags |= AIOS_RECV_FROM;
		r.from_filter = o->from;
	}
	if (o->intent) {
		r.flags |= AIOS_RECV_INTENT;
		ret = put_name(h, r.intent_filter, sizeof(r.intent_filter),
			       o->intent, "receive", "intent filter");
		if (ret)
			return ret;
	}
	ret = aiosi_ioctl(h, AIOS_IOC_MSG_RECV, &r, "receive");
	memset(m, 0, sizeof(*m));
	m->len = r.payload_len;
	if (ret == -EMSGSIZE)
		return aiosi_failmsg(h, ret,
				     "receive: the message has %u bytes, the buffer %zu",
				     r.payload_len, cap);
	if (ret == -EAGAIN)
		return aiosi_failmsg(h, ret,
				     "receive: no matching message is waiting");
	if (ret == -ETIMEDOUT)
		return aiosi_failmsg(h, ret,
				     "receive: no matching message arrived before the timeout");
	if (ret < 0)
		return ret;
	m->id = r.msg_id;
	m->from = r.from;
	m->correlation_id = r.correlation_id;
	m->sent_ns = r.sent_ns;
	m->type = r.type;
	memcpy(m->intent, r.intent, sizeof(m->intent));
	m->intent[sizeof(m->intent) - 1] = '\0';
	aiosi_clear_err(h);
	return 0;
}

static int group_op(struct aios *h, const char *name, uint32_t flags)
{
	struct aios_msg_group g;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "%s group %.31s",
		 flags ? "leave" : "join", name ? name : "(null)");
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.flags = flags;
	ret = put_name(h, g.name, sizeof(g.name), name, what, "group name");
	if (ret)
		return ret;
	ret = aiosi_ioctl(h, AIOS_IOC_MSG_GROUP, &g, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}

int aios_msg_group_join(struct aios *h, const char *group)
{
	return group_op(h, group, 0);
}

int aios_msg_group_leave(struct aios *h, const char *group)
{
	return group_op(h, group, AIOS_GROUP_LEAVE);
}

static int policy(struct aios *h, uint64_t id, uint32_t flags,
		  const uint64_t *ids, size_t n)
{
	struct aios_msg_policy p;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "message policy of agent %llu",
		 (unsigned long long)(id ? id : h->agent_id));
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	if (n > 256)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: at most 256 receivers, not %zu", what,
				     n);
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.flags = flags;
	p.agent_id = id;
	p.ids = (uintptr_t)ids;
	p.count = n;
	ret = aiosi_ioctl(h, AIOS_IOC_MSG_POLICY, &p, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}

int aios_msg_policy_set(struct aios *h, uint64_t id, const uint64_t *ids,
			size_t n)
{
	return policy(h, id, AIOS_POLICY_RESTRICT, n ? ids : NULL, n);
}

int aios_msg_policy_clear(struct aios *h, uint64_t id)
{
	return policy(h, id, 0, NULL, 0);
}

/* ---- statistics ------------------------------------------------------- */

static const struct aiosi_policy mbox_top_pol[AIOS_A_MAX + 1] = {
	[AIOS_A_MBOX] = { AIOSI_NEST, 0 },
};

static const struct aiosi_policy mbox_pol[AIOS_MBOX_A_MAX + 1] = {
	[AIOS_MBOX_A_AGENT_ID] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_COUNT] = { AIOSI_U32, 0 },
	[AIOS_MBOX_A_BYTES] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_MAX_COUNT] = { AIOSI_U32, 0 },
	[AIOS_MBOX_A_MAX_BYTES] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_RECEIVED] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_TAKEN] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_FULL] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_REJECTED] = { AIOSI_U64, 0 },
	[AIOS_MBOX_A_SENT] = { AIOSI_U64, 0 },
};

struct mbox_reply {
	struct aios *h;
	struct aios_mbox_stats *v;
	size_t n, cap;
};

static uint64_t get64(const struct nlattr **tb, int a)
{
	return tb[a] ? aiosi_attr_u64(tb[a]) : 0;
}

static int mbox_cb(const struct nlmsghdr *nlh, void *arg)
{
	const size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct nlattr *top[AIOS_A_MAX + 1], *tb[AIOS_MBOX_A_MAX + 1];
	char detail[AIOSI_DETAIL_MAX];
	struct mbox_reply *r = arg;
	struct aios_mbox_stats *st, *nv;
	int ret, i;

	if (nlh->nlmsg_len < hdr)
		return aiosi_failmsg(r->h, -EBADMSG,
				     "mailbox reply: message too short");
	ret = aiosi_attr_parse((const char *)nlh + hdr, nlh->nlmsg_len - hdr,
			       mbox_top_pol, AIOS_A_MAX, top, detail,
			       sizeof(detail));
	if (!ret && !top[AIOS_A_MBOX])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "mailbox reply without AIOS_A_MBOX");
	if (!ret)
		ret = aiosi_attr_parse(aiosi_attr_data(top[AIOS_A_MBOX]),
				       aiosi_attr_len(top[AIOS_A_MBOX]),
				       mbox_pol, AIOS_MBOX_A_MAX, tb, detail,
				       sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "mailbox reply");
	if (!tb[AIOS_MBOX_A_AGENT_ID])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "mailbox reply without AIOS_MBOX_A_AGENT_ID");
	nv = aiosi_grow(r->v, &r->cap, r->n, sizeof(*nv), 16, 0);
	if (!nv)
		return aiosi_failmsg(r->h, -ENOMEM,
				     "mailboxes: out of memory");
	r->v = nv;
	st = &r->v[r->n++];
	memset(st, 0, sizeof(*st));
	st->agent_id = get64(tb, AIOS_MBOX_A_AGENT_ID);
	st->count = tb[AIOS_MBOX_A_COUNT] ?
		    aiosi_attr_u32(tb[AIOS_MBOX_A_COUNT]) : 0;
	st->max_count = tb[AIOS_MBOX_A_MAX_COUNT] ?
			aiosi_attr_u32(tb[AIOS_MBOX_A_MAX_COUNT]) : 0;
	st->bytes = get64(tb, AIOS_MBOX_A_BYTES);
	st->max_bytes = get64(tb, AIOS_MBOX_A_MAX_BYTES);
	st->received = get64(tb, AIOS_MBOX_A_RECEIVED);
	st->taken = get64(tb, AIOS_MBOX_A_TAKEN);
	st->full = get64(tb, AIOS_MBOX_A_FULL);
	st->rejected = get64(tb, AIOS_MBOX_A_REJECTED);
	st->sent = get64(tb, AIOS_MBOX_A_SENT);
	for (i = 0; i <= AIOS_MBOX_A_MAX && i < 32; i++)
		if (tb[i])
			st->present |= 1u << i;
	return 0;
}

static int mbox_request(struct aios *h, uint64_t id, struct mbox_reply *r,
			const char *what)
{
	struct nl_msg *m;
	int ret;

	ret = aiosi_nl_ensure(h);
	if (ret)
		return ret;
	m = aiosi_nl_new(h, AIOS_CMD_MBOX_GET, id ? 0 : NLM_F_DUMP);
	if (!m)
		return aiosi_failmsg(h, -ENOMEM, "%s: out of memory", what);
	if (id && nla_put_u64(m, AIOS_A_AGENT_ID, id)) {
		nlmsg_free(m);
		return aiosi_failmsg(h, -EMSGSIZE, "%s: building request",
				     what);
	}
	return aiosi_nl_request(h, m, mbox_cb, r, what);
}

int aios_mbox_get(struct aios *h, uint64_t id, struct aios_mbox_stats *out)
{
	struct mbox_reply r = { .h = h };
	char what[48];
	int ret;

	snprintf(what, sizeof(what), "mailbox of agent %llu",
		 (unsigned long long)id);
	if (!id)
		return aiosi_failmsg(h, -EINVAL, "%s: agent id 0", what);
	ret = mbox_request(h, id, &r, what);
	if (!ret && r.n != 1)
		ret = aiosi_failmsg(h, -EBADMSG,
				    "%s: expected one mailbox in the reply, got %zu",
				    what, r.n);
	if (!ret) {
		*out = r.v[0];
		aiosi_clear_err(h);
	}
	free(r.v);
	return ret;
}

int aios_mboxes(struct aios *h, struct aios_mbox_stats **list, size_t *n)
{
	struct mbox_reply r = { .h = h };
	int ret;

	ret = mbox_request(h, 0, &r, "mailboxes");
	if (ret) {
		free(r.v);
		return ret;
	}
	*list = r.v;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}
