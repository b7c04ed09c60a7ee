// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Strict decoding of aios netlink attributes and of netlink replies.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int bad(char *detail, size_t dlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *detail, size_t dlen, const char *fmt, ...)
{
	va_list ap;

	if (detail && dlen) {
		va_start(ap, fmt);
		vsnprintf(detail, dlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

uint32_t aiosi_attr_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, aiosi_attr_data(a), sizeof(v));
	return v;
}

uint64_t aiosi_attr_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, aiosi_attr_data(a), sizeof(v));
	return v;
}

static int check_one(const struct nlattr *a, int type,
		     const struct aiosi_policy *p, char *detail, size_t dlen)
{
	size_t len = aiosi_attr_len(a);
	const char *s = aiosi_attr_data(a);

	switch (p->type) {
	case AIOSI_U32:
	case AIOSI_S32:
		if (len != 4)
			return bad(detail, dlen,
				   "attribute %d: %zu bytes, expected 4",
				   type, len);
		break;
	case AIOSI_U64:
		if (len != 8)
			return bad(detail, dlen,
				   "attribute %d: %zu bytes, expected 8",
				   type, len);
		break;
	case AIOSI_STRING:
		if (!len || len > p->max || !memchr(s, '\0', len))
			return bad(detail, dlen,
				   "attribute %d: not a NUL-terminated string of at most %u bytes",
				   type, p->max);
		break;
	case AIOSI_BINARY:
		if (len > p->max)
			return bad(detail, dlen,
				   "attribute %d: %zu bytes, at most %u allowed",
				   type, len, p->max);
		break;
	case AIOSI_NEST:
		break;
	}
	return 0;
}

int aiosi_attr_parse(const void *buf, size_t len,
		     const struct aiosi_policy *pol, int maxtype,
		     const struct nlattr **tb, char *detail, size_t dlen)
{
	const char *p = buf;
	size_t rem = len, step;
	const struct nlattr *a;
	int type, ret;

	memset(tb, 0, sizeof(*tb) * (maxtype + 1));
	while (rem >= NLA_HDRLEN) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem)
			return bad(detail, dlen,
				   "truncated attribute (length %u, %zu bytes left)",
				   a->nla_len, rem);
		type = a->nla_type & NLA_TYPE_MASK;
		if (type <= maxtype && pol[type].type != AIOSI_UNUSED) {
			ret = check_one(a, type, &pol[type], detail, dlen);
			if (ret)
				return ret;
			tb[type] = a;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step > rem)
			step = rem;
		p += step;
		rem -= step;
	}
	if (rem)
		return bad(detail, dlen, "%zu trailing bytes after attributes",
			   rem);
	return 0;
}

static const struct aiosi_policy agent_pol[AIOS_AGENT_A_MAX + 1] = {
	[AIOS_AGENT_A_ID] = { AIOSI_U64, 0 },
	[AIOS_AGENT_A_PARENT_ID] = { AIOSI_U64, 0 },
	[AIOS_AGENT_A_NAME] = { AIOSI_STRING, AIOS_NAME_MAX },
	[AIOS_AGENT_A_PRIO] = { AIOSI_U32, 0 },
	[AIOS_AGENT_A_CAPS] = { AIOSI_U64, 0 },
	[AIOS_AGENT_A_PID] = { AIOSI_U32, 0 },
	[AIOS_AGENT_A_UID] = { AIOSI_U32, 0 },
	[AIOS_AGENT_A_STATE] = { AIOSI_U32, 0 },
	[AIOS_AGENT_A_CREATED_NS] = { AIOSI_U64, 0 },
	[AIOS_AGENT_A_CPUS] = { AIOSI_BINARY, 1024 },
};

static uint32_t present_mask(const struct nlattr **tb, int maxtype)
{
	uint32_t m = 0;
	int i;

	for (i = 0; i <= maxtype && i < 32; i++)
		if (tb[i])
			m |= 1u << i;
	return m;
}

int aiosi_decode_agent(const struct nlattr *nest, struct aios_agent *out,
		       char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_AGENT_A_MAX + 1];
	const struct nlattr *a;
	size_t n;
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       agent_pol, AIOS_AGENT_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_AGENT_A_ID])
		return bad(detail, dlen, "agent without AIOS_AGENT_A_ID");
	memset(out, 0, sizeof(*out));
	out->id = aiosi_attr_u64(tb[AIOS_AGENT_A_ID]);
	if (tb[AIOS_AGENT_A_PARENT_ID])
		out->parent_id = aiosi_attr_u64(tb[AIOS_AGENT_A_PARENT_ID]);
	if (tb[AIOS_AGENT_A_CAPS])
		out->caps = aiosi_attr_u64(tb[AIOS_AGENT_A_CAPS]);
	if (tb[AIOS_AGENT_A_CREATED_NS])
		out->created_ns = aiosi_attr_u64(tb[AIOS_AGENT_A_CREATED_NS]);
	if (tb[AIOS_AGENT_A_PRIO])
		out->prio = aiosi_attr_u32(tb[AIOS_AGENT_A_PRIO]);
	if (tb[AIOS_AGENT_A_STATE])
		out->state = aiosi_attr_u32(tb[AIOS_AGENT_A_STATE]);
	if (tb[AIOS_AGENT_A_PID])
		out->pid = (int32_t)aiosi_attr_u32(tb[AIOS_AGENT_A_PID]);
	if (tb[AIOS_AGENT_A_UID])
		out->uid = aiosi_attr_u32(tb[AIOS_AGENT_A_UID]);
	a = tb[AIOS_AGENT_A_NAME];
	if (a)
		strcpy(out->name, aiosi_attr_data(a)); /* checked: NUL within 64 */
	a = tb[AIOS_AGENT_A_CPUS];
	if (a) {
		n = aiosi_attr_len(a);
		if (n % 8)
			return bad(detail, dlen,
				   "agent cpumask of %zu bytes is not made of u64 words",
				   n);
		if (n > sizeof(out->cpus))
			n = sizeof(out->cpus);
		memcpy(&out->cpus, aiosi_attr_data(a), n);
		out->has_cpus = true;
	}
	out->present = present_mask(tb, AIOS_AGENT_A_MAX);
	return 0;
}

static const struct aiosi_policy audit_pol[AIOS_AUDIT_A_MAX + 1] = {
	[AIOS_AUDIT_A_SEQ] = { AIOSI_U64, 0 },
	[AIOS_AUDIT_A_OP_ID] = { AIOSI_U64, 0 },
	[AIOS_AUDIT_A_AGENT_ID] = { AIOSI_U64, 0 },
	[AIOS_AUDIT_A_OP] = { AIOSI_U32, 0 },
	[AIOS_AUDIT_A_OBJECT] = { AIOSI_U64, 0 },
	[AIOS_AUDIT_A_RESULT] = { AIOSI_S32, 0 },
	[AIOS_AUDIT_A_TIME_NS] = { AIOSI_U64, 0 },
	[AIOS_AUDIT_A_CAP] = { AIOSI_U64, 0 },
};

int aiosi_decode_audit(const struct nlattr *nest, struct aios_audit_rec *out,
		       char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_AUDIT_A_MAX + 1];
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       audit_pol, AIOS_AUDIT_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_AUDIT_A_SEQ])
		return bad(detail, dlen, "audit record without AIOS_AUDIT_A_SEQ");
	memset(out, 0, sizeof(*out));
	out->seq = aiosi_attr_u64(tb[AIOS_AUDIT_A_SEQ]);
	if (tb[AIOS_AUDIT_A_OP_ID])
		out->op_id = aiosi_attr_u64(tb[AIOS_AUDIT_A_OP_ID]);
	if (tb[AIOS_AUDIT_A_AGENT_ID])
		out->agent_id = aiosi_attr_u64(tb[AIOS_AUDIT_A_AGENT_ID]);
	if (tb[AIOS_AUDIT_A_OP])
		out->op = aiosi_attr_u32(tb[AIOS_AUDIT_A_OP]);
	if (tb[AIOS_AUDIT_A_OBJECT])
		out->object = aiosi_attr_u64(tb[AIOS_AUDIT_A_OBJECT]);
	if (tb[AIOS_AUDIT_A_RESULT])
		out->result = (int32_t)aiosi_attr_u32(tb[AIOS_AUDIT_A_RESULT]);
	if (tb[AIOS_AUDIT_A_TIME_NS])
		out->time_ns = aiosi_attr_u64(tb[AIOS_AUDIT_A_TIME_NS]);
	if (tb[AIOS_AUDIT_A_CAP])
		out->cap = aiosi_attr_u64(tb[AIOS_AUDIT_A_CAP]);
	out->present = present_mask(tb, AIOS_AUDIT_A_MAX);
	return 0;
}

static const struct aiosi_policy status_pol[AIOS_STATUS_A_MAX + 1] = {
	[AIOS_STATUS_A_API_VERSION] = { AIOSI_U32, 0 },
	[AIOS_STATUS_A_FEATURES] = { AIOSI_U64, 0 },
	[AIOS_STATUS_A_AGENTS] = { AIOSI_U32, 0 },
	[AIOS_STATUS_A_NEXT_AGENT_ID] = { AIOSI_U64, 0 },
	[AIOS_STATUS_A_DEFAULT_CAPS] = { AIOSI_U64, 0 },
	[AIOS_STATUS_A_AUDIT_RING_SIZE] = { AIOSI_U32, 0 },
	[AIOS_STATUS_A_AUDIT_NEXT_SEQ] = { AIOSI_U64, 0 },
	[AIOS_STATUS_A_AUDIT_FIRST_SEQ] = { AIOSI_U64, 0 },
	[AIOS_STATUS_A_AUDIT_LOST] = { AIOSI_U64, 0 },
};

int aiosi_decode_status(const struct nlattr *nest, struct aios_status *out,
			char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_STATUS_A_MAX + 1];
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       status_pol, AIOS_STATUS_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_STATUS_A_API_VERSION])
		return bad(detail, dlen,
			   "status without AIOS_STATUS_A_API_VERSION");
	memset(out, 0, sizeof(*out));
	out->api_version = aiosi_attr_u32(tb[AIOS_STATUS_A_API_VERSION]);
	if (tb[AIOS_STATUS_A_FEATURES])
		out->features = aiosi_attr_u64(tb[AIOS_STATUS_A_FEATURES]);
	if (tb[AIOS_STATUS_A_AGENTS])
		out->agents = aiosi_attr_u32(tb[AIOS_STATUS_A_AGENTS]);
	if (tb[AIOS_STATUS_A_NEXT_AGENT_ID])
		out->next_agent_id =
			aiosi_attr_u64(tb[AIOS_STATUS_A_NEXT_AGENT_ID]);
	if (tb[AIOS_STATUS_A_DEFAULT_CAPS])
		out->default_caps =
			aiosi_attr_u64(tb[AIOS_STATUS_A_DEFAULT_CAPS]);
	if (tb[AIOS_STATUS_A_AUDIT_RING_SIZE])
		out->audit_ring_size =
			aiosi_attr_u32(tb[AIOS_STATUS_A_AUDIT_RING_SIZE]);
	if (tb[AIOS_STATUS_A_AUDIT_NEXT_SEQ])
		out->audit_next_seq =
			aiosi_attr_u64(tb[AIOS_STATUS_A_AUDIT_NEXT_SEQ]);
	if (tb[AIOS_STATUS_A_AUDIT_FIRST_SEQ])
		out->audit_first_seq =
			aiosi_attr_u64(tb[AIOS_STATUS_A_AUDIT_FIRST_SEQ]);
	if (tb[AIOS_STATUS_A_AUDIT_LOST])
		out->audit_lost = aiosi_attr_u64(tb[AIOS_STATUS_A_AUDIT_LOST]);
	out->present = present_mask(tb, AIOS_STATUS_A_MAX);
	return 0;
}

static const struct aiosi_policy gpu_pol[AIOS_GPU_A_MAX + 1] = {
	[AIOS_GPU_A_ID] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_NAME] = { AIOSI_STRING, AIOS_GPU_NAME_MAX },
	[AIOS_GPU_A_PATH] = { AIOSI_STRING, AIOS_GPU_PATH_MAX },
	[AIOS_GPU_A_MAJOR] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_MINOR] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_GRACE_MS] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_STATE] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_OWNER_ID] = { AIOSI_U64, 0 },
	[AIOS_GPU_A_OWNER_PID] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_PRIO] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_HANDLE] = { AIOSI_U64, 0 },
	[AIOS_GPU_A_SINCE_NS] = { AIOSI_U64, 0 },
	[AIOS_GPU_A_DEADLINE_NS] = { AIOSI_U64, 0 },
	[AIOS_GPU_A_WAITERS] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_UTIL_PPM] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_UTIL_WINDOW_MS] = { AIOSI_U32, 0 },
	[AIOS_GPU_A_CLAIMS] = { AIOSI_U64, 0 },
	[AIOS_GPU_A_PREEMPTIONS] = { AIOSI_U64, 0 },
};

int aiosi_decode_gpu(const struct nlattr *nest, struct aios_gpu *out,
		     char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_GPU_A_MAX + 1];
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       gpu_pol, AIOS_GPU_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_GPU_A_ID] && !tb[AIOS_GPU_A_OWNER_ID])
		return bad(detail, dlen,
			   "GPU nest without AIOS_GPU_A_ID or AIOS_GPU_A_OWNER_ID");
	memset(out, 0, sizeof(*out));
#define GPU_U32(a, f) do { if (tb[a]) out->f = aiosi_attr_u32(tb[a]); } while (0)
#define GPU_U64(a, f) do { if (tb[a]) out->f = aiosi_attr_u64(tb[a]); } while (0)
	GPU_U32(AIOS_GPU_A_ID, id);
	GPU_U32(AIOS_GPU_A_MAJOR, major);
	GPU_U32(AIOS_GPU_A_MINOR, minor);
	GPU_U32(AIOS_GPU_A_GRACE_MS, grace_ms);
	GPU_U32(AIOS_GPU_A_STATE, state);
	GPU_U32(AIOS_GPU_A_WAITERS, waiters);
	GPU_U64(AIOS_GPU_A_OWNER_ID, owner_id);
	GPU_U32(AIOS_GPU_A_OWNER_PID, owner_pid);
	GPU_U32(AIOS_GPU_A_PRIO, prio);
	GPU_U64(AIOS_GPU_A_HANDLE, handle);
	GPU_U64(AIOS_GPU_A_SINCE_NS, since_ns);
	GPU_U64(AIOS_GPU_A_DEADLINE_NS, deadline_ns);
	GPU_U32(AIOS_GPU_A_UTIL_PPM, util_ppm);
	GPU_U32(AIOS_GPU_A_UTIL_WINDOW_MS, util_window_ms);
	GPU_U64(AIOS_GPU_A_CLAIMS, claims);
	GPU_U64(AIOS_GPU_A_PREEMPTIONS, preemptions);
#undef GPU_U32
#undef GPU_U64
	if (tb[AIOS_GPU_A_NAME])
		snprintf(out->name, sizeof(out->name), "%s",
			 (const char *)aiosi_attr_data(tb[AIOS_GPU_A_NAME]));
	if (tb[AIOS_GPU_A_PATH])
		snprintf(out->path, sizeof(out->path), "%s",
			 (const char *)aiosi_attr_data(tb[AIOS_GPU_A_PATH]));
	out->present = present_mask(tb, AIOS_GPU_A_MAX);
	return 0;
}

static const struct aiosi_policy top_pol[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD] = { AIOSI_U32, 0 },
	[AIOS_A_AGENT_ID] = { AIOSI_U64, 0 },
	[AIOS_A_CAPS] = { AIOSI_U64, 0 },
	[AIOS_A_SIGNAL] = { AIOSI_U32, 0 },
	[AIOS_A_FLAGS] = { AIOSI_U32, 0 },
	[AIOS_A_CPUMASK] = { AIOSI_BINARY, 1024 },
	[AIOS_A_OP_ID] = { AIOSI_U64, 0 },
	[AIOS_A_SEQ_AFTER] = { AIOSI_U64, 0 },
	[AIOS_A_RING_SIZE] = { AIOSI_U32, 0 },
	[AIOS_A_AGENT] = { AIOSI_NEST, 0 },
	[AIOS_A_AUDIT] = { AIOSI_NEST, 0 },
	[AIOS_A_STATUS] = { AIOSI_NEST, 0 },
	[AIOS_A_REASON] = { AIOSI_U32, 0 },
	[AIOS_A_GPU] = { AIOSI_NEST, 0 },
};

int aiosi_parse_genl(const struct nlmsghdr *nlh, const struct nlattr **tb,
		     char *detail, size_t dlen)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdr)
		return bad(detail, dlen,
			   "generic netlink message of %u bytes is too short",
			   nlh->nlmsg_len);
	return aiosi_attr_parse((const char *)nlh + hdr, nlh->nlmsg_len - hdr,
				top_pol, AIOS_A_MAX, tb, detail, dlen);
}

int aiosi_decode_event(const struct nlmsghdr *nlh, struct aios_event *out,
		       char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	const struct genlmsghdr *g;
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, dlen);
	if (ret)
		return ret;
	g = (const struct genlmsghdr *)((const char *)nlh + NLMSG_HDRLEN);
	memset(out, 0, sizeof(*out));
	out->cmd = g->cmd;
	switch (g->cmd) {
	case AIOS_CMD_NTF_AGENT_NEW:
	case AIOS_CMD_NTF_AGENT_DEL:
	case AIOS_CMD_NTF_CAPS:
		if (!tb[AIOS_A_AGENT])
			return bad(detail, dlen,
				   "notification %u without AIOS_A_AGENT",
				   g->cmd);
		ret = aiosi_decode_agent(tb[AIOS_A_AGENT], &out->agent,
					 detail, dlen);
		if (ret)
			return ret;
		if (tb[AIOS_A_REASON]) {
			out->has_reason = true;
			out->reason = aiosi_attr_u32(tb[AIOS_A_REASON]);
		}
		out->type = g->cmd;
		break;
	case AIOS_CMD_NTF_AUDIT:
		if (!tb[AIOS_A_AUDIT])
			return bad(detail, dlen,
				   "audit notification without AIOS_A_AUDIT");
		ret = aiosi_decode_audit(tb[AIOS_A_AUDIT], &out->audit,
					 detail, dlen);
		if (ret)
			return ret;
		out->type = AIOS_EVENT_AUDIT;
		break;
	case AIOS_CMD_NTF_GPU_CLAIM:
	case AIOS_CMD_NTF_GPU_RELEASE:
	case AIOS_CMD_NTF_GPU_PREEMPT:
	case AIOS_CMD_NTF_GPU_REVOKE:
		if (!tb[AIOS_A_GPU])
			return bad(detail, dlen,
				   "GPU notification %u without AIOS_A_GPU",
				   g->cmd);
		ret = aiosi_decode_gpu(tb[AIOS_A_GPU], &out->gpu, detail, dlen);
		if (ret)
			return ret;
		out->type = g->cmd;
		break;
	default:
		out->type = AIOS_EVENT_OTHER;
		break;
	}
	return 0;
}

/* Extract the extack message from the TLVs at buf[0..len). */
static void parse_ext_ack(const char *buf, size_t len, struct aiosi_nlres *res)
{
	static const struct aiosi_policy pol[NLMSGERR_ATTR_MSG + 1] = {
		[NLMSGERR_ATTR_MSG] = { AIOSI_STRING, AIOSI_DETAIL_MAX },
	};
	const struct nlattr *tb[NLMSGERR_ATTR_MSG + 1];

	if (aiosi_attr_parse(buf, len, pol, NLMSGERR_ATTR_MSG, tb, NULL, 0))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(res->extack, sizeof(res->extack), "%s",
			 (const char *)aiosi_attr_data(tb[NLMSGERR_ATTR_MSG]));
}

static int handle_error(const struct nlmsghdr *nlh, struct aiosi_nlres *res)
{
	const struct nlmsgerr *e;
	size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN, off;

	if (payload < sizeof(*e)) {
		snprintf(res->extack, sizeof(res->extack),
			 "truncated netlink error message");
		return -EBADMSG;
	}
	e = (const struct nlmsgerr *)((const char *)nlh + NLMSG_HDRLEN);
	res->error = e->error > 0 ? -e->error : e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 1;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return 1;
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (off < payload)
		parse_ext_ack((const char *)e + off, payload - off, res);
	return 1;
}

static int handle_done(const struct nlmsghdr *nlh, struct aiosi_nlres *res)
{
	size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN;
	int err;

	if (payload >= sizeof(int)) {
		memcpy(&err, (const char *)nlh + NLMSG_HDRLEN, sizeof(err));
		res->error = err > 0 ? -err : err;
		if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
		    payload > NLMSG_ALIGN(sizeof(int)))
			parse_ext_ack((const char *)nlh + NLMSG_HDRLEN +
				      NLMSG_ALIGN(sizeof(int)),
				      payload - NLMSG_ALIGN(sizeof(int)), res);
	}
	return 1;
}

int aiosi_nl_walk(const void *buf, size_t len, uint32_t seq,
		  uint16_t family, aiosi_msg_cb cb, void *arg,
		  struct aiosi_nlres *res)
{
	const char *p = buf;
	size_t rem = len, step;
	const struct nlmsghdr *nlh;
	int done = 0, ret;

	while (rem >= NLMSG_HDRLEN && !done) {
		nlh = (const struct nlmsghdr *)p;
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > rem) {
			snprintf(res->extack, sizeof(res->extack),
				 "truncated netlink message (length %u, %zu bytes left)",
				 nlh->nlmsg_len, rem);
			return -EBADMSG;
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > rem)
			step = rem;
		p += step;
		rem -= step;
		if (nlh->nlmsg_seq != seq)
			continue;	/* stale reply of an earlier request */
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		case NLMSG_ERROR:
			ret = handle_error(nlh, res);
			if (ret < 0)
				return ret;
			done = 1;
			break;
		case NLMSG_DONE:
			done = handle_done(nlh, res);
			break;
		default:
			if (nlh->nlmsg_type != family)
				break;
			res->msgs++;
			if (!res->cb_err && cb) {
				ret = cb(nlh, arg);
				if (ret < 0)
					res->cb_err = ret;
			}
			break;
		}
	}
	if (!done && rem) {
		snprintf(res->extack, sizeof(res->extack),
			 "%zu trailing bytes after netlink messages", rem);
		return -EBADMSG;
	}
	return done;
}
