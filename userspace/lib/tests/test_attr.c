// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests: decoding aios netlink attributes and replies from
 * hand-built buffers (no kernel involved).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "attr.h"
#include "kselftest_harness.h"

/* A tiny message builder, independent of the library's code. */
struct mb {
	unsigned char d[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlattr *put(struct mb *b, int type, const void *data,
			  size_t len)
{
	struct nlattr *a = (struct nlattr *)(b->d + b->len);

	a->nla_len = NLA_HDRLEN + len;
	a->nla_type = type;
	if (len)
		memcpy(b->d + b->len + NLA_HDRLEN, data, len);
	memset(b->d + b->len + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(a->nla_len) - a->nla_len);
	b->len += NLA_ALIGN(a->nla_len);
	return a;
}

static void put_u32(struct mb *b, int type, uint32_t v)
{
	put(b, type, &v, sizeof(v));
}

static void put_u64(struct mb *b, int type, uint64_t v)
{
	put(b, type, &v, sizeof(v));
}

static size_t nest_start(struct mb *b, int type)
{
	size_t off = b->len;

	put(b, type | NLA_F_NESTED, NULL, 0);
	return off;
}

static void nest_end(struct mb *b, size_t off)
{
	((struct nlattr *)(b->d + off))->nla_len = b->len - off;
}

static size_t msg_start(struct mb *b, uint16_t type, uint16_t flags,
			uint32_t seq, uint8_t cmd)
{
	size_t off = b->len;
	struct nlmsghdr *h = (struct nlmsghdr *)(b->d + off);
	struct genlmsghdr *g;

	memset(h, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	g = (struct genlmsghdr *)(b->d + off + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = AIOS_GENL_VERSION;
	b->len += NLMSG_HDRLEN + GENL_HDRLEN;
	return off;
}

static void msg_end(struct mb *b, size_t off)
{
	((struct nlmsghdr *)(b->d + off))->nlmsg_len = b->len - off;
	b->len = off + NLMSG_ALIGN(b->len - off);
}

static void build_agent_nest(struct mb *b, uint64_t id)
{
	uint64_t cpus[2] = { 0x5, 0x1 };	/* cpus 0, 2, 64 */
	size_t n = nest_start(b, AIOS_A_AGENT);

	put_u64(b, AIOS_AGENT_A_ID, id);
	put_u64(b, AIOS_AGENT_A_PARENT_ID, 3);
	put(b, AIOS_AGENT_A_NAME, "planner", 8);
	put_u32(b, AIOS_AGENT_A_PRIO, AIOS_PRIO_HIGH);
	put_u64(b, AIOS_AGENT_A_CAPS, AIOS_CAP_DEFAULT);
	put_u32(b, AIOS_AGENT_A_PID, 4242);
	put_u32(b, AIOS_AGENT_A_UID, 1000);
	put_u32(b, AIOS_AGENT_A_STATE, AIOS_AGENT_LIVE);
	put_u64(b, AIOS_AGENT_A_CREATED_NS, 123456789ULL);
	put(b, AIOS_AGENT_A_CPUS, cpus, sizeof(cpus));
	nest_end(b, n);
}

TEST(agent_nest_decodes_every_field)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_agent a;
	struct mb b = { .len = 0 };

	build_agent_nest(&b, 7);
	ASSERT_EQ(0, aiosi_decode_agent((struct nlattr *)b.d, &a, detail,
					sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_EQ(7, a.id);
	EXPECT_EQ(3, a.parent_id);
	EXPECT_STREQ("planner", a.name);
	EXPECT_EQ(AIOS_PRIO_HIGH, a.prio);
	EXPECT_EQ(AIOS_CAP_DEFAULT, a.caps);
	EXPECT_EQ(4242, a.pid);
	EXPECT_EQ(1000, a.uid);
	EXPECT_EQ(AIOS_AGENT_LIVE, a.state);
	EXPECT_EQ(123456789ULL, a.created_ns);
	ASSERT_TRUE(a.has_cpus);
	EXPECT_EQ(3, CPU_COUNT(&a.cpus));
	EXPECT_TRUE(CPU_ISSET(64, &a.cpus));
	EXPECT_TRUE(a.present & (1u << AIOS_AGENT_A_CPUS));
	EXPECT_TRUE(a.present & (1u << AIOS_AGENT_A_NAME));
}

TEST(agent_nest_ignores_unknown_attributes)
{
	char detail[AIOSI_DETAIL_MAX];
	struct aios_agent a;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put_u64(&b, AIOS_AGENT_A_ID, 9);
	put_u32(&b, AIOS_AGENT_A_MAX + 5, 77);	/* from a newer kernel */
	nest_end(&b, n);
	ASSERT_EQ(0, aiosi_decode_agent((struct nlattr *)b.d, &a, detail,
					sizeof(detail)));
	EXPECT_EQ(9, a.id);
	EXPECT_EQ(1u << AIOS_AGENT_A_ID, a.present);
	EXPECT_FALSE(a.has_cpus);
}

TEST(agent_nest_without_id_is_rejected)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_agent a;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put(&b, AIOS_AGENT_A_NAME, "x", 2);
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent((struct nlattr *)b.d, &a,
					       detail, sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "AIOS_AGENT_A_ID"));
}

TEST(truncated_agent_nest_is_rejected)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_agent a;
	struct mb b = { .len = 0 };
	struct nlattr *nest;

	build_agent_nest(&b, 7);
	nest = (struct nlattr *)b.d;
	/* cut the nest in the middle of its last attribute */
	nest->nla_len -= 6;
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent(nest, &a, detail,
					       sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "truncated")) TH_LOG("%s", detail);

	/* cut inside an attribute header: 2 trailing bytes */
	b.len = 0;
	nest = (struct nlattr *)b.d;
	{
		size_t n = nest_start(&b, AIOS_A_AGENT);

		put_u64(&b, AIOS_AGENT_A_ID, 1);
		nest_end(&b, n);
	}
	nest->nla_len += 2;
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent(nest, &a, detail,
					       sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "trailing")) TH_LOG("%s", detail);
}

TEST(wrong_integer_sizes_are_rejected)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_agent a;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put_u32(&b, AIOS_AGENT_A_ID, 5);	/* u64 expected */
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent((struct nlattr *)b.d, &a,
					       detail, sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "expected 8")) TH_LOG("%s", detail);
}

TEST(bad_names_are_rejected)
{
	char detail[AIOSI_DETAIL_MAX], longname[AIOS_NAME_MAX + 6];
	struct aios_agent a;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put_u64(&b, AIOS_AGENT_A_ID, 5);
	put(&b, AIOS_AGENT_A_NAME, "abc", 3);	/* no NUL */
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent((struct nlattr *)b.d, &a,
					       detail, sizeof(detail)));

	b.len = 0;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	n = nest_start(&b, AIOS_A_AGENT);
	put_u64(&b, AIOS_AGENT_A_ID, 5);
	put(&b, AIOS_AGENT_A_NAME, longname, sizeof(longname));
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent((struct nlattr *)b.d, &a,
					       detail, sizeof(detail)));
}

TEST(cpumask_must_be_u64_words)
{
	char detail[AIOSI_DETAIL_MAX];
	struct aios_agent a;
	struct mb b = { .len = 0 };
	uint32_t w = 1;
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put_u64(&b, AIOS_AGENT_A_ID, 5);
	put(&b, AIOS_AGENT_A_CPUS, &w, sizeof(w));
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_agent((struct nlattr *)b.d, &a,
					       detail, sizeof(detail)));
}

TEST(last_attribute_without_padding_is_accepted)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_agent a;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AGENT);

	put_u64(&b, AIOS_AGENT_A_ID, 5);
	put(&b, AIOS_AGENT_A_NAME, "abcd", 5);	/* 9 bytes, 3 of padding */
	b.len -= 3;
	nest_end(&b, n);
	ASSERT_EQ(0, aiosi_decode_agent((struct nlattr *)b.d, &a, detail,
					sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_STREQ("abcd", a.name);
}

static void build_audit_nest(struct mb *b, uint64_t seq, int32_t result)
{
	size_t n = nest_start(b, AIOS_A_AUDIT);

	put_u64(b, AIOS_AUDIT_A_SEQ, seq);
	put_u64(b, AIOS_AUDIT_A_OP_ID, 11);
	put_u64(b, AIOS_AUDIT_A_AGENT_ID, 4);
	put_u32(b, AIOS_AUDIT_A_OP, AIOS_OP_KILL);
	put_u64(b, AIOS_AUDIT_A_OBJECT, 5);
	put(b, AIOS_AUDIT_A_RESULT, &result, sizeof(result));
	put_u64(b, AIOS_AUDIT_A_TIME_NS, 999);
	put_u64(b, AIOS_AUDIT_A_CAP, AIOS_CAP_KILL_AGENT);
	nest_end(b, n);
}

TEST(audit_nest_decodes_negative_result)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_audit_rec r;
	struct mb b = { .len = 0 };

	build_audit_nest(&b, 42, -EPERM);
	ASSERT_EQ(0, aiosi_decode_audit((struct nlattr *)b.d, &r, detail,
					sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_EQ(42, r.seq);
	EXPECT_EQ(11, r.op_id);
	EXPECT_EQ(4, r.agent_id);
	EXPECT_EQ(AIOS_OP_KILL, r.op);
	EXPECT_EQ(5, r.object);
	EXPECT_EQ(-EPERM, r.result);
	EXPECT_EQ(999, r.time_ns);
	EXPECT_EQ(AIOS_CAP_KILL_AGENT, r.cap);
}

TEST(audit_nest_without_seq_or_truncated_is_rejected)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_audit_rec r;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_AUDIT);

	put_u64(&b, AIOS_AUDIT_A_OP_ID, 1);
	nest_end(&b, n);
	EXPECT_EQ(-EBADMSG, aiosi_decode_audit((struct nlattr *)b.d, &r,
					       detail, sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "SEQ"));

	b.len = 0;
	build_audit_nest(&b, 1, 0);
	((struct nlattr *)b.d)->nla_len -= 4;
	EXPECT_EQ(-EBADMSG, aiosi_decode_audit((struct nlattr *)b.d, &r,
					       detail, sizeof(detail)));
}

TEST(status_nest_decodes)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_status s;
	struct mb b = { .len = 0 };
	size_t n = nest_start(&b, AIOS_A_STATUS);

	put_u32(&b, AIOS_STATUS_A_API_VERSION, 1);
	put_u64(&b, AIOS_STATUS_A_FEATURES, 7);
	put_u32(&b, AIOS_STATUS_A_AGENTS, 3);
	put_u32(&b, AIOS_STATUS_A_AUDIT_RING_SIZE, 4096);
	put_u64(&b, AIOS_STATUS_A_AUDIT_NEXT_SEQ, 5000);
	put_u64(&b, AIOS_STATUS_A_AUDIT_FIRST_SEQ, 904);
	put_u64(&b, AIOS_STATUS_A_AUDIT_LOST, 903);
	nest_end(&b, n);
	ASSERT_EQ(0, aiosi_decode_status((struct nlattr *)b.d, &s, detail,
					 sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_EQ(1, s.api_version);
	EXPECT_EQ(7, s.features);
	EXPECT_EQ(3, s.agents);
	EXPECT_EQ(4096, s.audit_ring_size);
	EXPECT_EQ(903, s.audit_lost);
	EXPECT_FALSE(s.present & (1u << AIOS_STATUS_A_DEFAULT_CAPS));
}

/* ---- whole replies ---- */

struct collect {
	int calls;
	uint64_t ids[8];
};

static int collect_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct collect *c = arg;
	struct aios_agent a;
	char detail[AIOSI_DETAIL_MAX];
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (ret)
		return ret;
	if (!tb[AIOS_A_AGENT])
		return -EBADMSG;
	ret = aiosi_decode_agent(tb[AIOS_A_AGENT], &a, detail, sizeof(detail));
	if (ret)
		return ret;
	c->ids[c->calls++ % 8] = a.id;
	return 0;
}

#define FAMILY 0x1c

static void put_done(struct mb *b, uint32_t seq, int err, const char *ext)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(b->d + b->len);
	size_t off = b->len;

	memset(h, 0, NLMSG_HDRLEN);
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_flags = NLM_F_MULTI | (ext ? NLM_F_ACK_TLVS : 0);
	h->nlmsg_seq = seq;
	b->len += NLMSG_HDRLEN;
	memcpy(b->d + b->len, &err, sizeof(err));
	b->len += 4;
	if (ext)
		put(b, NLMSGERR_ATTR_MSG, ext, strlen(ext) + 1);
	h->nlmsg_len = b->len - off;
}

/* NLMSG_ERROR; capped: request not echoed, else a 20-byte request is. */
static void put_error(struct mb *b, uint32_t seq, int err, const char *ext,
		      bool capped)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(b->d + b->len);
	struct nlmsgerr *e;
	size_t off = b->len;

	memset(h, 0, NLMSG_HDRLEN + sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) |
			 (ext ? NLM_F_ACK_TLVS : 0);
	h->nlmsg_seq = seq;
	e = (struct nlmsgerr *)(b->d + off + NLMSG_HDRLEN);
	e->error = err;
	e->msg.nlmsg_seq = seq;
	e->msg.nlmsg_type = FAMILY;
	b->len += NLMSG_HDRLEN + sizeof(*e);
	if (!capped) {
		e->msg.nlmsg_len = NLMSG_HDRLEN + 20;
		memset(b->d + b->len, 0xab, 20);	/* echoed payload */
		b->len += 20;
	} else {
		e->msg.nlmsg_len = NLMSG_HDRLEN + 20;
	}
	if (ext)
		put(b, NLMSGERR_ATTR_MSG, ext, strlen(ext) + 1);
	h->nlmsg_len = b->len - off;
}

TEST(dump_reply_hands_each_message_to_callback)
{
	struct aiosi_nlres res = { 0 };
	struct collect c = { 0 };
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, NLM_F_MULTI, 5, AIOS_CMD_AGENT_GET);
	build_agent_nest(&b, 1);
	msg_end(&b, m);
	m = msg_start(&b, FAMILY, NLM_F_MULTI, 5, AIOS_CMD_AGENT_GET);
	build_agent_nest(&b, 2);
	msg_end(&b, m);
	/* not done yet: more datagrams needed */
	EXPECT_EQ(0, aiosi_nl_walk(b.d, b.len, 5, FAMILY, collect_cb, &c,
				   &res));
	EXPECT_EQ(2, c.calls);
	b.len = 0;
	m = msg_start(&b, FAMILY, NLM_F_MULTI, 5, AIOS_CMD_AGENT_GET);
	build_agent_nest(&b, 3);
	msg_end(&b, m);
	put_done(&b, 5, 0, NULL);
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 5, FAMILY, collect_cb, &c,
				   &res));
	EXPECT_EQ(3, c.calls);
	EXPECT_EQ(3, res.msgs);
	EXPECT_EQ(0, res.error);
	EXPECT_EQ(0, res.cb_err);
	EXPECT_EQ(3, c.ids[2]);
}

TEST(messages_of_other_requests_are_skipped)
{
	struct aiosi_nlres res = { 0 };
	struct collect c = { 0 };
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, 0, 4, AIOS_CMD_AGENT_GET);	/* stale */
	build_agent_nest(&b, 1);
	msg_end(&b, m);
	put_error(&b, 4, -EPERM, NULL, true);			/* stale */
	m = msg_start(&b, 0x33, 0, 5, 1);			/* other family */
	msg_end(&b, m);
	put_error(&b, 5, 0, NULL, true);			/* our ack */
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 5, FAMILY, collect_cb, &c,
				   &res));
	EXPECT_EQ(0, c.calls);
	EXPECT_EQ(0, res.error);
}

TEST(error_with_extack_capped)
{
	struct aiosi_nlres res = { 0 };
	struct mb b = { .len = 0 };

	put_error(&b, 9, -EPERM, "ADMIN required", true);
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 9, FAMILY, NULL, NULL, &res));
	EXPECT_EQ(-EPERM, res.error);
	EXPECT_STREQ("ADMIN required", res.extack);
}

TEST(error_with_extack_after_echoed_request)
{
	struct aiosi_nlres res = { 0 };
	struct mb b = { .len = 0 };

	put_error(&b, 9, -EINVAL, "unknown attribute 99", false);
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 9, FAMILY, NULL, NULL, &res));
	EXPECT_EQ(-EINVAL, res.error);
	EXPECT_STREQ("unknown attribute 99", res.extack);
}

TEST(dump_done_carries_error_and_extack)
{
	struct aiosi_nlres res = { 0 };
	struct mb b = { .len = 0 };

	put_done(&b, 3, -EPERM, "ADMIN required");
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 3, FAMILY, NULL, NULL, &res));
	EXPECT_EQ(-EPERM, res.error);
	EXPECT_STREQ("ADMIN required", res.extack);
}

TEST(callback_error_is_kept_and_later_messages_skipped)
{
	struct aiosi_nlres res = { 0 };
	struct collect c = { 0 };
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, NLM_F_MULTI, 5, AIOS_CMD_AGENT_GET);
	msg_end(&b, m);				/* no agent nest: cb fails */
	m = msg_start(&b, FAMILY, NLM_F_MULTI, 5, AIOS_CMD_AGENT_GET);
	build_agent_nest(&b, 2);
	msg_end(&b, m);
	put_done(&b, 5, 0, NULL);
	EXPECT_EQ(1, aiosi_nl_walk(b.d, b.len, 5, FAMILY, collect_cb, &c,
				   &res));
	EXPECT_EQ(-EBADMSG, res.cb_err);
	EXPECT_EQ(0, c.calls);
	EXPECT_EQ(2, res.msgs);
}

TEST(truncated_netlink_messages_are_rejected)
{
	struct aiosi_nlres res = { 0 };
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, 0, 5, AIOS_CMD_STATUS_GET);
	msg_end(&b, m);
	((struct nlmsghdr *)b.d)->nlmsg_len += 16;	/* claims more */
	EXPECT_EQ(-EBADMSG, aiosi_nl_walk(b.d, b.len, 5, FAMILY, NULL, NULL,
					  &res));
	EXPECT_NE(NULL, strstr(res.extack, "truncated"));

	/* an error message too short for struct nlmsgerr */
	b.len = 0;
	memset(&res, 0, sizeof(res));
	{
		struct nlmsghdr *h = (struct nlmsghdr *)b.d;

		memset(h, 0, NLMSG_HDRLEN + 4);
		h->nlmsg_len = NLMSG_HDRLEN + 4;
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_seq = 5;
		b.len = h->nlmsg_len;
	}
	EXPECT_EQ(-EBADMSG, aiosi_nl_walk(b.d, b.len, 5, FAMILY, NULL, NULL,
					  &res));
}

TEST(genl_message_shorter_than_header_is_rejected)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	char detail[AIOSI_DETAIL_MAX] = "";
	struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN + 2 };

	EXPECT_EQ(-EBADMSG, aiosi_parse_genl(&h, tb, detail, sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "too short"));
}

TEST(event_agent_del_with_reason)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_event ev;
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, 0, 0, AIOS_CMD_NTF_AGENT_DEL);
	build_agent_nest(&b, 12);
	put_u32(&b, AIOS_A_REASON, AIOS_EXIT_KILLED);
	msg_end(&b, m);
	ASSERT_EQ(0, aiosi_decode_event((struct nlmsghdr *)b.d, &ev, detail,
					sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_EQ(AIOS_EVENT_AGENT_DEL, ev.type);
	EXPECT_EQ(12, ev.agent.id);
	EXPECT_TRUE(ev.has_reason);
	EXPECT_EQ(AIOS_EXIT_KILLED, ev.reason);
}

TEST(event_audit_and_unknown)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_event ev;
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, 0, 0, AIOS_CMD_NTF_AUDIT);
	build_audit_nest(&b, 77, 0);
	msg_end(&b, m);
	ASSERT_EQ(0, aiosi_decode_event((struct nlmsghdr *)b.d, &ev, detail,
					sizeof(detail)));
	EXPECT_EQ(AIOS_EVENT_AUDIT, ev.type);
	EXPECT_EQ(77, ev.audit.seq);

	b.len = 0;
	m = msg_start(&b, FAMILY, 0, 0, 0x90);
	msg_end(&b, m);
	ASSERT_EQ(0, aiosi_decode_event((struct nlmsghdr *)b.d, &ev, detail,
					sizeof(detail)));
	EXPECT_EQ(AIOS_EVENT_OTHER, ev.type);
	EXPECT_EQ(0x90, ev.cmd);
}

TEST(event_without_payload_is_rejected)
{
	char detail[AIOSI_DETAIL_MAX] = "";
	struct aios_event ev;
	struct mb b = { .len = 0 };
	size_t m;

	m = msg_start(&b, FAMILY, 0, 0, AIOS_CMD_NTF_AGENT_NEW);
	msg_end(&b, m);
	EXPECT_EQ(-EBADMSG, aiosi_decode_event((struct nlmsghdr *)b.d, &ev,
					       detail, sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "AIOS_A_AGENT"));
}

TEST_HARNESS_MAIN
