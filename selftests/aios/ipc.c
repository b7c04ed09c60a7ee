// SPDX-License-Identifier: GPL-2.0
/*
 * Typed agent IPC: what a user of AIOS_IOC_MSG_* relies on.
 *
 * Send/receive of every type, blocking, non-blocking and timed receives,
 * peek, filters by sender and intent, poll/epoll readiness, full
 * mailboxes (nothing dropped), allow lists, groups, the death of a
 * receiver (a blocked sender gets EPIPE) and of a sender (its messages
 * stay deliverable), the unforgeable sender id, mailbox statistics over
 * netlink, the rejection event and audit record, memory accounting to
 * the receiver's cgroup and signals.  Bad payloads: ipc_types.c.
 */
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "ipc_test.h"
#include "kselftest_harness.h"

static unsigned long param(const char *name)
{
	char path[128];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/aios/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

FIXTURE(ipc) {
	int a, b, c;
	__u64 a_id, b_id, c_id;
	struct aios_nl nl;
	struct ipc_msg *m;
};

FIXTURE_SETUP(ipc)
{
	self->a = aios_new_agent("ipc-a", &self->a_id);
	ASSERT_LE(0, self->a);
	self->b = aios_new_agent("ipc-b", &self->b_id);
	ASSERT_LE(0, self->b);
	self->c = aios_new_agent("ipc-c", &self->c_id);
	ASSERT_LE(0, self->c);
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	self->m = malloc(sizeof(*self->m));
	ASSERT_NE(NULL, self->m);
}

FIXTURE_TEARDOWN(ipc)
{
	free(self->m);
	aios_nl_close(&self->nl);
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	if (self->c >= 0)
		close(self->c);
}

TEST_F(ipc, feature_and_struct_sizes)
{
	struct aios_api api;
	int fd = aios_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_api(fd, &api));
	EXPECT_TRUE(api.features & AIOS_FEAT_IPC);
	EXPECT_EQ(sizeof(struct aios_msg_send),
		  api.struct_size[_IOC_NR(AIOS_IOC_MSG_SEND)]);
	EXPECT_EQ(sizeof(struct aios_msg_recv),
		  api.struct_size[_IOC_NR(AIOS_IOC_MSG_RECV)]);
	EXPECT_EQ(sizeof(struct aios_msg_group),
		  api.struct_size[_IOC_NR(AIOS_IOC_MSG_GROUP)]);
	EXPECT_EQ(sizeof(struct aios_msg_policy),
		  api.struct_size[_IOC_NR(AIOS_IOC_MSG_POLICY)]);
	/* a READY file is not an agent yet */
	EXPECT_EQ(-EBADFD, ipc_send(fd, self->b_id, AIOS_MSG_TEXT, "x", "i"));
	close(fd);
}

TEST_F(ipc, send_recv_every_type)
{
	static const struct {
		__u32 type;
		const char *payload;
		__u32 len;
	} msgs[] = {
		{ AIOS_MSG_TEXT, "hello, agent b \xe2\x9c\x93", 18 },
		{ AIOS_MSG_NUMBER, "-12.5e3", 7 },
		{ AIOS_MSG_JSON, "{\"task\":\"sum\",\"args\":[1,2,3]}", 29 },
		{ AIOS_MSG_BINARY, "\0\1\2\xff\xfe\0", 6 },
	};
	struct aios_msg_send out;
	__u64 before = aios_boottime_ns();

	for (size_t i = 0; i < 4; i++) {
		ASSERT_EQ(0, ipc_send_full(self->a, 0, self->b_id, NULL,
					   msgs[i].type, msgs[i].payload,
					   msgs[i].len, "request", 100 + i, -1,
					   &out));
		EXPECT_NE(0, out.msg_id);
		EXPECT_EQ(1, out.delivered);
		EXPECT_EQ(0, out.err_offset);
		ASSERT_EQ(0, ipc_recv(self->b, self->m));
		EXPECT_EQ(out.msg_id, self->m->r.msg_id);
		EXPECT_EQ(self->a_id, self->m->r.from);
		EXPECT_EQ(100 + i, self->m->r.correlation_id);
		EXPECT_EQ(msgs[i].type, self->m->r.type);
		EXPECT_EQ(msgs[i].len, self->m->r.payload_len);
		EXPECT_EQ(0, memcmp(msgs[i].payload, self->m->buf,
				    msgs[i].len));
		EXPECT_STREQ("request", self->m->r.intent);
		EXPECT_LE(before, self->m->r.sent_ns);
		EXPECT_GE(aios_boottime_ns(), self->m->r.sent_ns);
	}
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
}

TEST_F(ipc, fifo_order_and_ids)
{
	struct aios_msg_send out;
	__u64 last = 0;
	char p[24];

	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "%d", i);
		ASSERT_EQ(0, ipc_send_full(self->a, 0, self->b_id, NULL,
					   AIOS_MSG_NUMBER, p, strlen(p),
					   "inform", 0, 0, &out));
		EXPECT_LT(last, out.msg_id);
		last = out.msg_id;
	}
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(0, ipc_recv(self->b, self->m));
		snprintf(p, sizeof(p), "%d", i);
		EXPECT_EQ(strlen(p), self->m->r.payload_len);
		EXPECT_EQ(0, memcmp(p, self->m->buf, strlen(p)));
	}
}

TEST_F(ipc, send_to_self)
{
	ASSERT_EQ(0, ipc_send(self->a, self->a_id, AIOS_MSG_TEXT, "note",
			      "memo"));
	ASSERT_EQ(0, ipc_recv(self->a, self->m));
	EXPECT_EQ(self->a_id, self->m->r.from);
}

TEST_F(ipc, recv_nonblocking_and_timeouts)
{
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
	/* timeout 0 without NONBLOCK: does not wait, times out at once */
	EXPECT_EQ(-ETIMEDOUT, ipc_recv_full(self->b, 0, 0, NULL, 0,
					    sizeof(self->m->buf), self->m));
	EXPECT_EQ(-ETIMEDOUT, ipc_recv_full(self->b, 0, 0, NULL, 30,
					    sizeof(self->m->buf), self->m));
	/* a message already there is returned without waiting */
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "x", "i"));
	EXPECT_EQ(0, ipc_recv_full(self->b, 0, 0, NULL, 10000,
				   sizeof(self->m->buf), self->m));
}

TEST_F(ipc, recv_blocks_until_a_message_arrives)
{
	pid_t pid;

	CHILD(pid) {
		usleep(100000);
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_JSON,
				      "[\"late\"]", "inform"));
	}
	ASSERT_EQ(0, ipc_recv_full(self->b, 0, 0, NULL, -1,
				   sizeof(self->m->buf), self->m));
	EXPECT_EQ(self->a_id, self->m->r.from);
	EXPECT_EQ(0, memcmp("[\"late\"]", self->m->buf, 8));
	ASSERT_EQ(0, aios_wait(pid));
}

TEST_F(ipc, peek_leaves_the_message)
{
	__u64 id;

	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "one", "i"));
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "two", "i"));
	ASSERT_EQ(0, ipc_recv_full(self->b, AIOS_RECV_PEEK | AIOS_RECV_NONBLOCK,
				   0, NULL, 0, sizeof(self->m->buf), self->m));
	id = self->m->r.msg_id;
	EXPECT_EQ(0, memcmp("one", self->m->buf, 3));
	ASSERT_EQ(0, ipc_recv_full(self->b, AIOS_RECV_PEEK | AIOS_RECV_NONBLOCK,
				   0, NULL, 0, sizeof(self->m->buf), self->m));
	EXPECT_EQ(id, self->m->r.msg_id);
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(id, self->m->r.msg_id);
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("two", self->m->buf, 3));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
}

TEST_F(ipc, small_buffer_keeps_the_message)
{
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT,
			      "a longer payload", "i"));
	EXPECT_EQ(-EMSGSIZE, ipc_recv_full(self->b, AIOS_RECV_NONBLOCK, 0,
					   NULL, 0, 4, self->m));
	EXPECT_EQ(16, self->m->r.payload_len);
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("a longer payload", self->m->buf, 16));
	/* a bad buffer is EFAULT and loses nothing either */
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "keep", "i"));
	self->m->r.payload = 8;
	memset(&self->m->r, 0, sizeof(self->m->r));
	self->m->r.size = sizeof(self->m->r);
	self->m->r.flags = AIOS_RECV_NONBLOCK;
	self->m->r.payload_cap = 4;
	self->m->r.payload = 8;	/* unmapped */
	EXPECT_EQ(-EFAULT, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &self->m->r));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("keep", self->m->buf, 4));
}

TEST_F(ipc, filter_by_sender_and_intent)
{
	ASSERT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "from a",
			      "inform"));
	ASSERT_EQ(0, ipc_send(self->b, self->c_id, AIOS_MSG_TEXT, "from b",
			      "request"));
	ASSERT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "a again",
			      "result"));

	/* by sender: b's message although a's is older */
	ASSERT_EQ(0, ipc_recv_full(self->c, AIOS_RECV_NONBLOCK | AIOS_RECV_FROM,
				   self->b_id, NULL, 0, sizeof(self->m->buf),
				   self->m));
	EXPECT_EQ(self->b_id, self->m->r.from);
	EXPECT_EQ(-EAGAIN, ipc_recv_full(self->c, AIOS_RECV_NONBLOCK |
					 AIOS_RECV_FROM, self->b_id, NULL, 0,
					 sizeof(self->m->buf), self->m));
	/* by intent */
	ASSERT_EQ(0, ipc_recv_full(self->c, AIOS_RECV_NONBLOCK |
				   AIOS_RECV_INTENT, 0, "result", 0,
				   sizeof(self->m->buf), self->m));
	EXPECT_EQ(0, memcmp("a again", self->m->buf, 7));
	EXPECT_STREQ("result", self->m->r.intent);
	/* both */
	EXPECT_EQ(-EAGAIN, ipc_recv_full(self->c, AIOS_RECV_NONBLOCK |
					 AIOS_RECV_INTENT | AIOS_RECV_FROM,
					 self->b_id, "inform", 0,
					 sizeof(self->m->buf), self->m));
	ASSERT_EQ(0, ipc_recv_full(self->c, AIOS_RECV_NONBLOCK |
				   AIOS_RECV_INTENT | AIOS_RECV_FROM,
				   self->a_id, "inform", 0,
				   sizeof(self->m->buf), self->m));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->c, self->m));
}

TEST_F(ipc, filtered_recv_wakes_only_for_a_match)
{
	pid_t pid;

	CHILD(pid) {
		usleep(50000);
		ASSERT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT,
				      "not this", "inform"));
		usleep(50000);
		ASSERT_EQ(0, ipc_send(self->b, self->c_id, AIOS_MSG_TEXT,
				      "this", "inform"));
	}
	ASSERT_EQ(0, ipc_recv_full(self->c, AIOS_RECV_FROM, self->b_id, NULL,
				   -1, sizeof(self->m->buf), self->m));
	EXPECT_EQ(0, memcmp("this", self->m->buf, 4));
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(self->a_id, self->m->r.from);
}

TEST_F(ipc, bad_arguments)
{
	struct aios_msg_send s;
	struct aios_msg_recv r;

	/* send: unknown flags, reserved fields, group fields, timeout */
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, 1U << 7, self->b_id, NULL,
					 AIOS_MSG_TEXT, "x", 1, "i", 0, 0, NULL));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.to = self->b_id;
	strcpy(s.intent, "i");
	s.reserved0 = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->a, AIOS_IOC_MSG_SEND, &s));
	s.reserved0 = 0;
	s.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->a, AIOS_IOC_MSG_SEND, &s));
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					 self->b_id, "grp", AIOS_MSG_TEXT, "x",
					 1, "i", 0, 0, NULL));
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, AIOS_SEND_GROUP,
					 self->b_id, "grp", AIOS_MSG_TEXT, "x",
					 1, "i", 0, 0, NULL));
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "",
					 AIOS_MSG_TEXT, "x", 1, "i", 0, 0, NULL));
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, 0, self->b_id, NULL,
					 AIOS_MSG_TEXT, "x", 1, "i", 0, -2,
					 NULL));
	/* a bad payload pointer */
	EXPECT_EQ(-EFAULT, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					 self->b_id, NULL, AIOS_MSG_TEXT,
					 (void *)8, 4, "i", 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));

	/* recv */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = 1U << 9;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
	r.flags = AIOS_RECV_NONBLOCK;
	r.from_filter = self->a_id;	/* without AIOS_RECV_FROM */
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
	r.from_filter = 0;
	strcpy(r.intent_filter, "x");	/* without AIOS_RECV_INTENT */
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
	r.flags |= AIOS_RECV_INTENT;
	r.intent_filter[0] = 0;		/* empty filter */
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
	r.flags = 0;
	r.timeout_ms = -5;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
	r.timeout_ms = 0;
	r.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->b, AIOS_IOC_MSG_RECV, &r));
}

TEST_F(ipc, poll_and_epoll_readiness)
{
	struct pollfd p = { .fd = self->b, .events = POLLIN | POLLMSG };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b, &ev));
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));

	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "ping", "i"));
	ASSERT_EQ(1, poll(&p, 1, 1000));
	EXPECT_EQ(POLLIN | POLLMSG, p.revents & (POLLIN | POLLMSG));
	EXPECT_EQ(AIOS_POLL_MSG, p.revents & AIOS_POLL_MSG);
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 1000));
	EXPECT_TRUE(got.events & EPOLLIN);

	/* still ready after a peek, not after the take */
	ASSERT_EQ(0, ipc_recv_full(self->b, AIOS_RECV_PEEK | AIOS_RECV_NONBLOCK,
				   0, NULL, 0, sizeof(self->m->buf), self->m));
	EXPECT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));
	close(ep);
}

TEST_F(ipc, poll_wakes_up_on_send)
{
	struct pollfd p = { .fd = self->b, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	pid_t pid;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b, &ev));
	CHILD(pid) {
		usleep(100000);
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT,
				      "wake", "i"));
	}
	ASSERT_EQ(1, poll(&p, 1, 10000));
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 10000));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));

	/* edge triggered: a new message is a new edge */
	CHILD(pid) {
		usleep(100000);
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT,
				      "again", "i"));
	}
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 10000));
	ASSERT_EQ(0, aios_wait(pid));
	close(ep);
}

/* A fresh agent has no mailbox until first used; poll must still work. */
TEST_F(ipc, poll_before_first_use)
{
	static __u64 id;	/* static: survives the harness's longjmp */
	struct pollfd p;
	int fd = aios_new_agent("ipc-fresh", &id);
	pid_t pid;

	ASSERT_LE(0, fd);
	p.fd = fd;
	p.events = POLLIN;
	CHILD(pid) {
		usleep(100000);
		ASSERT_EQ(0, ipc_send(self->a, id, AIOS_MSG_TEXT, "first",
				      "i"));
	}
	ASSERT_EQ(1, poll(&p, 1, 10000));
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(0, aios_wait(pid));
	close(fd);
}

TEST_F(ipc, full_mailbox_by_count)
{
	unsigned long max = param("ipc_mbox_max_msgs");
	struct aios_msg_send out;
	struct ipc_stats st;
	char p[24];

	ASSERT_LT(0, max);
	ASSERT_GE(4096, max);
	for (unsigned long i = 0; i < max; i++) {
		snprintf(p, sizeof(p), "%lu", i);
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_NUMBER, p,
				      "i"));
	}
	EXPECT_EQ(-EAGAIN, ipc_send(self->a, self->b_id, AIOS_MSG_NUMBER,
				    "-1", "i"));
	EXPECT_EQ(-ETIMEDOUT, ipc_send_full(self->a, 0, self->b_id, NULL,
					    AIOS_MSG_NUMBER, "-2", 2, "i", 0,
					    30, &out));
	EXPECT_EQ(0, out.msg_id);
	EXPECT_EQ(-ETIMEDOUT, ipc_send_full(self->a, 0, self->b_id, NULL,
					    AIOS_MSG_NUMBER, "-3", 2, "i", 0,
					    0, NULL));
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->b_id, &st, NULL, 0));
	EXPECT_EQ(max, st.count);
	EXPECT_EQ(max, st.max_count);
	EXPECT_EQ(3, st.full);

	/* one out, one in; then everything arrives in order */
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_NUMBER, "4096",
			      "i"));
	for (unsigned long i = 1; i < max; i++) {
		ASSERT_EQ(0, ipc_recv(self->b, self->m));
		snprintf(p, sizeof(p), "%lu", i);
		ASSERT_EQ(strlen(p), self->m->r.payload_len);
		ASSERT_EQ(0, memcmp(p, self->m->buf, strlen(p)));
	}
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("4096", self->m->buf, 4));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
}

TEST_F(ipc, full_mailbox_by_bytes)
{
	unsigned long bytes = param("ipc_mbox_max_bytes");
	unsigned long payload = param("ipc_max_payload");
	unsigned long msgs = param("ipc_mbox_max_msgs");
	unsigned long n, sent = 0;
	char *buf;

	ASSERT_LT(0, payload);
	n = bytes / payload;
	if (n >= msgs)
		SKIP(return, "the count limit is reached before the byte limit");
	buf = malloc(payload);
	ASSERT_NE(NULL, buf);
	memset(buf, 'z', payload);
	for (unsigned long i = 0; i < n; i++, sent += payload)
		ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					   self->b_id, NULL, AIOS_MSG_BINARY,
					   buf, payload, "bulk", 0, 0, NULL));
	/* whatever still fits fits exactly; one byte more does not */
	if (bytes > sent)
		ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					   self->b_id, NULL, AIOS_MSG_BINARY,
					   buf, bytes - sent, "bulk", 0, 0,
					   NULL));
	EXPECT_EQ(-EAGAIN, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					 self->b_id, NULL, AIOS_MSG_BINARY,
					 buf, 1, "bulk", 0, 0, NULL));
	/* an empty payload still takes a slot but no bytes */
	EXPECT_EQ(0, ipc_send_full(self->a, AIOS_SEND_NONBLOCK, self->b_id,
				   NULL, AIOS_MSG_BINARY, buf, 0, "bulk", 0, 0,
				   NULL));
	free(buf);
}

TEST_F(ipc, blocked_sender_proceeds_when_room_appears)
{
	unsigned long max = param("ipc_mbox_max_msgs");
	pid_t pid;

	ASSERT_LT(0, max);
	for (unsigned long i = 0; i < max; i++)
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "f",
				      "i"));
	CHILD(pid) {
		struct aios_msg_send out;

		ASSERT_EQ(0, ipc_send_full(self->a, 0, self->b_id, NULL,
					   AIOS_MSG_TEXT, "waited", 6, "i", 0,
					   -1, &out));
		ASSERT_EQ(1, out.delivered);
	}
	usleep(100000);
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	ASSERT_EQ(0, aios_wait(pid));
	for (unsigned long i = 1; i < max; i++)
		ASSERT_EQ(0, ipc_recv(self->b, self->m));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("waited", self->m->buf, 6));
}

TEST_F(ipc, policy_allow_list)
{
	__u64 only_b[] = { self->b_id, 1ULL << 60 };
	struct aios_denial d;
	struct ipc_stats st;

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN to change policies");
	ASSERT_EQ(0, ipc_policy(self->c, self->a_id, AIOS_POLICY_RESTRICT,
				only_b, 2));
	EXPECT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "ok", "i"));
	EXPECT_EQ(-EPERM, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "no",
				   "i"));
	ASSERT_EQ(0, aios_last_denial(self->a, &d));
	EXPECT_EQ(AIOS_OP_MSG_SEND, d.op);
	EXPECT_EQ(-EPERM, d.error);
	EXPECT_STREQ("receiver not in the sender's allow list", d.reason);
	/* b itself is unrestricted */
	EXPECT_EQ(0, ipc_send(self->b, self->c_id, AIOS_MSG_TEXT, "ok", "i"));
	/* an empty allow list: nobody, not even itself */
	ASSERT_EQ(0, ipc_policy(self->c, self->a_id, AIOS_POLICY_RESTRICT,
				NULL, 0));
	EXPECT_EQ(-EPERM, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "no",
				   "i"));
	EXPECT_EQ(-EPERM, ipc_send(self->a, self->a_id, AIOS_MSG_TEXT, "no",
				   "i"));
	/* lifted */
	ASSERT_EQ(0, ipc_policy(self->c, self->a_id, 0, NULL, 0));
	EXPECT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "ok", "i"));
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(self->b_id, self->m->r.from);
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(self->a_id, self->m->r.from);
	/* a denial is not a rejection: nothing counted on c */
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->c_id, &st, NULL, 0));
	EXPECT_EQ(0, st.rejected);
}

TEST_F(ipc, policy_needs_admin_and_valid_arguments)
{
	__u64 ids[257] = { 0 };
	struct aios_denial d;
	pid_t pid;

	/* argument checks come first */
	EXPECT_EQ(-EINVAL, ipc_policy(self->a, 0, 0, ids, 1));
	EXPECT_EQ(-EINVAL, ipc_policy(self->a, 0, AIOS_POLICY_RESTRICT, ids,
				      257));
	EXPECT_EQ(-EINVAL, ipc_policy(self->a, 0, 1U << 5, NULL, 0));
	if (aios_have_sys_admin()) {
		EXPECT_EQ(-ESRCH, ipc_policy(self->a, 1ULL << 61, 0, NULL, 0));
		EXPECT_EQ(-EFAULT, ipc_policy(self->a, 0, AIOS_POLICY_RESTRICT,
					      (void *)8, 2));
	}

	/* without ADMIN and CAP_SYS_ADMIN: EPERM, with the reason */
	CHILD(pid) {
		__u64 id = 0;
		int fd;

		if (getuid() == 0)
			ASSERT_EQ(0, aios_drop_privs());
		fd = aios_new_agent("ipc-unpriv", &id);
		ASSERT_LE(0, fd);
		ASSERT_EQ(-EPERM, ipc_policy(fd, 0, AIOS_POLICY_RESTRICT,
					     NULL, 0));
		ASSERT_EQ(0, aios_last_denial(fd, &d));
		ASSERT_EQ(AIOS_OP_MSG_POLICY, d.op);
		ASSERT_STREQ("ADMIN required", d.reason);
		ASSERT_EQ(AIOS_CAP_ADMIN, d.cap_required);
		/* and it can still send */
		ASSERT_EQ(0, ipc_send(fd, id, AIOS_MSG_TEXT, "self", "i"));
		close(fd);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

TEST_F(ipc, groups_broadcast)
{
	struct aios_msg_send out;
	__u64 id;

	ASSERT_EQ(0, ipc_group(self->a, "team", 0));
	ASSERT_EQ(0, ipc_group(self->b, "team", 0));
	ASSERT_EQ(0, ipc_group(self->c, "team", 0));
	EXPECT_EQ(-EALREADY, ipc_group(self->c, "team", 0));
	EXPECT_EQ(-EINVAL, ipc_group(self->c, "", 0));
	EXPECT_EQ(-EINVAL, ipc_group(self->c, "bad\nname", 0));

	ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "team",
				   AIOS_MSG_JSON, "{\"all\":true}", 12,
				   "inform", 9, -1, &out));
	EXPECT_EQ(2, out.delivered);	/* not to the sender */
	id = out.msg_id;
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(id, self->m->r.msg_id);
	EXPECT_EQ(self->a_id, self->m->r.from);
	EXPECT_EQ(9, self->m->r.correlation_id);
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(id, self->m->r.msg_id);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->a, self->m));

	/* a non-member may broadcast too */
	ASSERT_EQ(0, ipc_group(self->a, "team", AIOS_GROUP_LEAVE));
	EXPECT_EQ(-ENOENT, ipc_group(self->a, "team", AIOS_GROUP_LEAVE));
	ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "team",
				   AIOS_MSG_TEXT, "hi", 2, "inform", 0, 0,
				   &out));
	EXPECT_EQ(2, out.delivered);

	/* groups exist while they have members */
	ASSERT_EQ(0, ipc_group(self->b, "team", AIOS_GROUP_LEAVE));
	ASSERT_EQ(0, ipc_group(self->c, "team", AIOS_GROUP_LEAVE));
	EXPECT_EQ(-ESRCH, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "team",
					AIOS_MSG_TEXT, "hi", 2, "inform", 0,
					0, NULL));
	EXPECT_EQ(-ENOENT, ipc_group(self->b, "team", AIOS_GROUP_LEAVE));

	/* only the sender in it: delivered to nobody, still validated */
	ASSERT_EQ(0, ipc_group(self->a, "solo", 0));
	ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "solo",
				   AIOS_MSG_TEXT, "hi", 2, "inform", 0, 0,
				   &out));
	EXPECT_EQ(0, out.delivered);
	EXPECT_EQ(-EINVAL, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "solo",
					 AIOS_MSG_JSON, "[1,]", 4, "inform", 0,
					 0, &out));
	EXPECT_EQ(3, out.err_offset);
}

TEST_F(ipc, group_send_is_all_or_nothing)
{
	unsigned long max = param("ipc_mbox_max_msgs");
	struct aios_msg_send out;
	struct ipc_stats st;
	pid_t pid;

	ASSERT_LT(0, max);
	ASSERT_EQ(0, ipc_group(self->b, "pair", 0));
	ASSERT_EQ(0, ipc_group(self->c, "pair", 0));
	for (unsigned long i = 0; i < max; i++)
		ASSERT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "f",
				      "i"));
	/* c is full: nobody gets it, b neither */
	EXPECT_EQ(-EAGAIN, ipc_send_full(self->a, AIOS_SEND_GROUP |
					 AIOS_SEND_NONBLOCK, 0, "pair",
					 AIOS_MSG_TEXT, "g", 1, "inform", 0, 0,
					 &out));
	EXPECT_EQ(0, out.delivered);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
	EXPECT_EQ(-ETIMEDOUT, ipc_send_full(self->a, AIOS_SEND_GROUP, 0,
					    "pair", AIOS_MSG_TEXT, "g", 1,
					    "inform", 0, 20, NULL));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->b_id, &st, NULL, 0));
	EXPECT_EQ(0, st.count);

	/* blocking: delivered to both once c has room */
	CHILD(pid) {
		ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "pair",
					   AIOS_MSG_TEXT, "both", 4, "inform",
					   0, -1, &out));
		ASSERT_EQ(2, out.delivered);
	}
	usleep(100000);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(0, memcmp("both", self->m->buf, 4));
}

TEST_F(ipc, group_policy_covers_every_member)
{
	__u64 only_b[] = { self->b_id };

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN to change policies");
	ASSERT_EQ(0, ipc_group(self->b, "pol", 0));
	ASSERT_EQ(0, ipc_group(self->c, "pol", 0));
	ASSERT_EQ(0, ipc_policy(self->a, self->a_id, AIOS_POLICY_RESTRICT,
				only_b, 1));
	EXPECT_EQ(-EPERM, ipc_send_full(self->a, AIOS_SEND_GROUP, 0, "pol",
					AIOS_MSG_TEXT, "x", 1, "i", 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->b, self->m));
}

/* A sender blocked on a full mailbox gets EPIPE when the receiver dies. */
TEST_F(ipc, receiver_death_wakes_blocked_sender)
{
	unsigned long max = param("ipc_mbox_max_msgs");
	int sync[2], res[2];
	__u64 id, err = 0;
	pid_t rcv, snd;
	int fd;

	ASSERT_LT(0, max);
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(res));
	rcv = fork();
	ASSERT_LE(0, rcv);
	if (rcv == 0) {
		fd = aios_new_agent("ipc-doomed", &id);
		if (fd < 0 || aios_write_u64(sync[1], id))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, aios_read_u64(sync[0], &id));
	for (unsigned long i = 0; i < max; i++)
		ASSERT_EQ(0, ipc_send(self->a, id, AIOS_MSG_TEXT, "f", "i"));
	snd = fork();
	ASSERT_LE(0, snd);
	if (snd == 0) {
		int ret = ipc_send_full(self->a, 0, id, NULL, AIOS_MSG_TEXT,
					"blocked", 7, "i", 0, -1, NULL);

		_exit(aios_write_u64(res[1], (__u64)-ret) ? 1 : 0);
	}
	/* kill the receiver only once the sender really waits for room */
	ASSERT_EQ(0, aios_wait_blocked(snd));
	kill(rcv, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, aios_wait(rcv));
	ASSERT_EQ(0, aios_read_u64(res[0], &err));
	EXPECT_EQ(EPIPE, err);
	EXPECT_EQ(0, aios_wait(snd));
	/* and now it is simply gone */
	EXPECT_EQ(-ESRCH, ipc_send(self->a, id, AIOS_MSG_TEXT, "x", "i"));
	close(sync[0]);
	close(sync[1]);
	close(res[0]);
	close(res[1]);
}

/* Killed by AIOS_IOC_KILL: its own file gets ENOLINK and POLLHUP. */
TEST_F(ipc, killed_receiver)
{
	struct pollfd p = { .events = POLLIN };
	static __u64 child_id;	/* static: survives the harness's longjmp */
	__u64 caps;
	int child;

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN to grant KILL_AGENT");
	ASSERT_EQ(0, aios_caps(self->a, AIOS_CAPS_GRANT, 0,
			       AIOS_CAP_KILL_AGENT, &caps, NULL));
	child = aios_spawn(self->a, AIOS_SPAWN_CLOEXEC, "ipc-child", -1, 0,
			   &child_id);
	ASSERT_LE(0, child);
	ASSERT_EQ(0, ipc_send(self->b, child_id, AIOS_MSG_TEXT, "lost", "i"));
	p.fd = child;
	ASSERT_EQ(1, poll(&p, 1, 0));
	/* signal 18 (SIGCONT) keeps this process alive */
	ASSERT_EQ(0, aios_kill(self->a, child_id, SIGCONT, 0));
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(-ENOLINK, ipc_recv(child, self->m));
	EXPECT_EQ(-ESRCH, ipc_send(self->b, child_id, AIOS_MSG_TEXT, "x", "i"));
	close(child);
}

/* What a dead agent sent stays deliverable, stamped with its id. */
TEST_F(ipc, sender_death_keeps_its_messages)
{
	int sync[2];
	__u64 id = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = aios_new_agent("ipc-mortal", &id);

		if (fd < 0 || ipc_send(fd, self->b_id, AIOS_MSG_JSON,
				       "{\"last\":\"words\"}", "result") ||
		    aios_write_u64(sync[1], id))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, aios_read_u64(sync[0], &id));
	ASSERT_EQ(0, aios_wait(pid));
	/* the agent is gone ... */
	ASSERT_EQ(0, aios_wait_agent_count(&self->nl, 3) >= 0 ? 0 : -1);
	EXPECT_EQ(-ESRCH, ipc_send(self->b, id, AIOS_MSG_TEXT, "x", "i"));
	/* ... its message is not */
	ASSERT_EQ(0, ipc_recv_full(self->b, AIOS_RECV_NONBLOCK | AIOS_RECV_FROM,
				   id, NULL, 0, sizeof(self->m->buf), self->m));
	EXPECT_EQ(id, self->m->r.from);
	EXPECT_EQ(0, memcmp("{\"last\":\"words\"}", self->m->buf, 16));
	close(sync[0]);
	close(sync[1]);
}

/* The kernel stamps the sender: nothing in the request can change it. */
TEST_F(ipc, sender_id_is_unforgeable)
{
	char big[sizeof(struct aios_msg_send) + 8];
	struct aios_msg_send s;
	struct aios_api api;
	int fd;

	/* two agents in one process: each send carries its own file's id */
	ASSERT_EQ(0, ipc_send(self->a, self->c_id, AIOS_MSG_TEXT, "1", "i"));
	ASSERT_EQ(0, ipc_send(self->b, self->c_id, AIOS_MSG_TEXT, "2", "i"));
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(self->a_id, self->m->r.from);
	ASSERT_EQ(0, ipc_recv(self->c, self->m));
	EXPECT_EQ(self->b_id, self->m->r.from);

	/* no spare field carries an id: the reserved tail must be zero */
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.to = self->c_id;
	s.flags = AIOS_SEND_NONBLOCK;
	strcpy(s.intent, "i");
	s.reserved[0] = self->b_id;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->a, AIOS_IOC_MSG_SEND, &s));
	/* nor a longer struct with a non-zero tail */
	memset(big, 0, sizeof(big));
	s.reserved[0] = 0;
	s.size = sizeof(big);
	memcpy(big, &s, sizeof(s));
	memcpy(big + sizeof(s), &self->b_id, 8);
	EXPECT_EQ(-E2BIG, aios_ioctl(self->a, AIOS_IOC_MSG_SEND, big));
	/* a file that is not an agent cannot send at all */
	fd = aios_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, ipc_send(fd, self->c_id, AIOS_MSG_TEXT, "x", "i"));
	ASSERT_EQ(0, aios_api(fd, &api));
	EXPECT_EQ(-EBADFD, ipc_send(fd, self->c_id, AIOS_MSG_TEXT, "x", "i"));
	close(fd);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->c, self->m));
}

TEST_F(ipc, mailbox_stats_over_netlink)
{
	char big[100] = { 0 }, extack[256];
	struct ipc_stats st;
	struct aios_nlreply r;
	struct nl_msg *msg;
	int total = 0;

	memset(big, 'q', 99);
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, big, "i"));
	ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "abc", "i"));
	ASSERT_EQ(0, ipc_send(self->c, self->b_id, AIOS_MSG_TEXT, "d", "i"));
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(-EINVAL, ipc_send(self->a, self->b_id, AIOS_MSG_JSON, "{",
				    "i"));

	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->b_id, &st, NULL, 0));
	EXPECT_EQ(IPC_MBOX_ALL_FIELDS, st.present);
	EXPECT_EQ(self->b_id, st.agent_id);
	EXPECT_EQ(2, st.count);
	EXPECT_EQ(4, st.bytes);
	EXPECT_EQ(3, st.received);
	EXPECT_EQ(1, st.taken);
	EXPECT_EQ(1, st.rejected);
	EXPECT_EQ(0, st.full);
	EXPECT_EQ(0, st.sent);
	EXPECT_EQ(param("ipc_mbox_max_msgs"), st.max_count);
	EXPECT_EQ(param("ipc_mbox_max_bytes"), st.max_bytes);
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->a_id, &st, NULL, 0));
	EXPECT_EQ(2, st.sent);
	EXPECT_EQ(0, st.received);

	/* the dump lists every agent once */
	EXPECT_EQ(1, ipc_nl_stats_dump(&self->nl, self->c_id, &st, &total));
	EXPECT_EQ(1, st.sent);
	EXPECT_LE(3, total);

	/* errors: unknown agent, missing id, unknown attribute, id in a dump */
	EXPECT_EQ(-ESRCH, ipc_nl_stats(&self->nl, 1ULL << 62, &st, extack,
				       sizeof(extack)));
	EXPECT_STREQ("no such agent", extack);
	EXPECT_EQ(-EINVAL, ipc_nl_stats(&self->nl, 0, &st, extack,
					sizeof(extack)));
	EXPECT_STREQ("AIOS_A_AGENT_ID required", extack);
	msg = aios_nl_msg(&self->nl, AIOS_CMD_MBOX_GET, 0);
	ASSERT_NE(NULL, msg);
	nla_put_u64(msg, AIOS_A_AGENT_ID, self->b_id);
	nla_put_u32(msg, AIOS_A_SIGNAL, 1);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, msg, &r));
	EXPECT_NE(0, strlen(r.extack));
	aios_nlreply_free(&r);
	msg = aios_nl_msg(&self->nl, AIOS_CMD_MBOX_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, msg);
	nla_put_u64(msg, AIOS_A_AGENT_ID, self->b_id);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, msg, &r));
	aios_nlreply_free(&r);
}

struct reject_match {
	__u64 from, to;
	__s32 error;
	__u32 offset, len, type;
	char reason[128];
	bool with_mbox;
	__u64 rejected;
};

static bool match_reject(struct nlattr **tb, void *arg)
{
	struct reject_match *w = arg;
	struct nlattr *t[AIOS_REJECT_A_MAX + 1];
	struct ipc_stats st;

	if (!tb[AIOS_A_REJECT] ||
	    nla_parse_nested(t, AIOS_REJECT_A_MAX, tb[AIOS_A_REJECT], NULL))
		return false;
	if (!t[AIOS_REJECT_A_FROM] || !t[AIOS_REJECT_A_TO] ||
	    !t[AIOS_REJECT_A_ERROR] || !t[AIOS_REJECT_A_OFFSET] ||
	    !t[AIOS_REJECT_A_REASON] || !t[AIOS_REJECT_A_LEN] ||
	    !t[AIOS_REJECT_A_TYPE])
		return false;
	if (nla_get_u64(t[AIOS_REJECT_A_FROM]) != w->from ||
	    nla_get_u64(t[AIOS_REJECT_A_TO]) != w->to)
		return false;
	w->error = (__s32)nla_get_u32(t[AIOS_REJECT_A_ERROR]);
	w->offset = nla_get_u32(t[AIOS_REJECT_A_OFFSET]);
	w->len = nla_get_u32(t[AIOS_REJECT_A_LEN]);
	w->type = nla_get_u32(t[AIOS_REJECT_A_TYPE]);
	snprintf(w->reason, sizeof(w->reason), "%s",
		 (char *)nla_data(t[AIOS_REJECT_A_REASON]));
	w->with_mbox = !ipc_parse_mbox(tb[AIOS_A_MBOX], &st) &&
		       st.agent_id == w->to;
	w->rejected = st.rejected;
	return true;
}

TEST_F(ipc, rejection_event_and_audit)
{
	struct reject_match w = { .from = self->a_id, .to = self->b_id };
	struct aios_msg_send out;
	struct aios_t_audit *recs;
	struct aios_nl ev;
	struct aios_denial d;
	int n;

	ASSERT_EQ(0, aios_nl_open(&ev));
	ASSERT_EQ(0, aios_nl_join(&ev, AIOS_MCGRP_EVENTS));
	/* "JSON: expected ',' or '}' at byte 17" */
	ASSERT_EQ(-EINVAL, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
					 self->b_id, NULL, AIOS_MSG_JSON,
					 "{\"tool\":\"search\" \"q\":1}", 24,
					 "request", 0, 0, &out));
	EXPECT_EQ(17, out.err_offset);
	ASSERT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_MSG_REJECTED,
					match_reject, &w, 5000));
	EXPECT_EQ(-EINVAL, w.error);
	EXPECT_EQ(17, w.offset);
	EXPECT_EQ(24, w.len);
	EXPECT_EQ(AIOS_MSG_JSON, w.type);
	EXPECT_STREQ("JSON: expected ',' or '}' at byte 17", w.reason);
	EXPECT_TRUE(w.with_mbox);
	EXPECT_EQ(1, w.rejected);

	ASSERT_EQ(0, aios_last_denial(self->a, &d));
	EXPECT_STREQ("JSON: expected ',' or '}' at byte 17", d.reason);

	/* the audit record of that op */
	if (aios_have_sys_admin()) {
		struct aios_t_audit_filter f = AIOS_NO_FILTER;

		f.op_id = d.op_id;
		ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
		ASSERT_EQ(1, n);
		EXPECT_EQ(AIOS_OP_MSG_SEND, recs[0].op);
		EXPECT_EQ(-EINVAL, recs[0].result);
		EXPECT_EQ(self->a_id, recs[0].agent_id);
		EXPECT_EQ(self->b_id, recs[0].object);
		EXPECT_EQ(d.audit_seq, recs[0].seq);
		free(recs);
	}

	/* an oversized attempt is an event too */
	{
		size_t len = param("ipc_max_payload") + 1;
		char *buf = calloc(1, len);

		ASSERT_NE(NULL, buf);
		ASSERT_EQ(-EMSGSIZE, ipc_send_full(self->a, AIOS_SEND_NONBLOCK,
						   self->b_id, NULL,
						   AIOS_MSG_BINARY, buf, len,
						   "bulk", 0, 0, NULL));
		free(buf);
		ASSERT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_MSG_REJECTED,
						match_reject, &w, 5000));
		EXPECT_EQ(-EMSGSIZE, w.error);
		EXPECT_EQ(len, w.len);
		EXPECT_EQ(2, w.rejected);
	}
	aios_nl_close(&ev);
}

/* Successful sends are not audited (documented: too frequent). */
TEST_F(ipc, successful_sends_are_not_audited)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_status st;
	struct aios_t_audit *recs;
	int n, mine = 0;

	if (!aios_have_sys_admin())
		SKIP(return, "reading every audit record needs ADMIN");
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	f.seq_after = st.next_seq - 1;
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, ipc_send(self->a, self->b_id, AIOS_MSG_TEXT, "x",
				      "i"));
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++)
		if (recs[i].op == AIOS_OP_MSG_SEND &&
		    recs[i].agent_id == self->a_id)
			mine++;
	free(recs);
	EXPECT_EQ(0, mine);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(ipc, signal_interrupts_blocking_recv)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	/* no SA_RESTART: the wait ends with EINTR */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-EINTR, ipc_recv_full(self->b, 0, 0, NULL, -1,
					sizeof(self->m->buf), self->m));
	signal(SIGALRM, SIG_DFL);
}

/* Payload memory is charged to the receiver's memory cgroup. */
TEST_F(ipc, payload_charged_to_receiver_cgroup)
{
	const char *cg = "/sys/fs/cgroup/aios-ipc-test";
	char path[256], line[64];
	unsigned long payload = param("ipc_max_payload");
	long before, after;
	int sync[2], go[2];
	__u64 id;
	pid_t pid;
	FILE *f;
	char *buf;
	int n;

	if (!aios_have_sys_admin())
		SKIP(return, "needs root to create a cgroup");
	f = fopen("/sys/fs/cgroup/cgroup.subtree_control", "r+");
	if (!f)
		SKIP(return, "no cgroup2 at /sys/fs/cgroup");
	fprintf(f, "+memory");
	fclose(f);
	rmdir(cg);
	if (mkdir(cg, 0755))
		SKIP(return, "cannot create %s: %s", cg, strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	if (access(path, R_OK)) {
		rmdir(cg);
		SKIP(return, "memory controller not available");
	}
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 x;
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f))
			_exit(1);
		fd = aios_new_agent("ipc-cg", &id);
		if (fd < 0 || aios_write_u64(sync[1], id))
			_exit(1);
		aios_read_u64(go[0], &x);
		_exit(0);
	}
	ASSERT_EQ(0, aios_read_u64(sync[0], &id));
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	before = atol(line);

	buf = malloc(payload);
	ASSERT_NE(NULL, buf);
	memset(buf, 'm', payload);
	n = param("ipc_mbox_max_bytes") / payload;
	if (n > (int)param("ipc_mbox_max_msgs"))
		n = param("ipc_mbox_max_msgs");
	for (int i = 0; i < n; i++)
		ASSERT_EQ(0, ipc_send_full(self->a, AIOS_SEND_NONBLOCK, id,
					   NULL, AIOS_MSG_BINARY, buf, payload,
					   "bulk", 0, 0, NULL));
	free(buf);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	after = atol(line);
	TH_LOG("receiver cgroup: %ld -> %ld bytes after %d x %lu B queued",
	       before, after, n, payload);
	/* at least 90% of the queued payload shows up in its cgroup */
	EXPECT_LE((long)(n * payload * 9 / 10), after - before);

	ASSERT_EQ(0, aios_write_u64(go[1], 1));
	ASSERT_EQ(0, aios_wait(pid));
	close(sync[0]);
	close(sync[1]);
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < 100 && rmdir(cg); i++)
		usleep(20000);
}

/*
 * Several senders race into one mailbox (blocking on it when full) while
 * two receiver threads take messages: every message arrives exactly
 * once (order per sender: order_kept_under_backpressure).
 */
#define STRESS_SENDERS	4
#define STRESS_MSGS	1500

struct stress_rx {
	int fd;
	__u64 ids[STRESS_SENDERS];
	int next[STRESS_SENDERS];	/* under lock: messages seen */
	bool seen[STRESS_SENDERS][STRESS_MSGS];	/* under lock */
	int total;			/* under lock */
	int errors;
	pthread_mutex_t lock;
};

static void *stress_receiver(void *arg)
{
	struct stress_rx *rx = arg;
	struct ipc_msg *m = malloc(sizeof(*m));
	int ret, k, seq;

	if (!m)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&rx->lock);
		if (rx->total == STRESS_SENDERS * STRESS_MSGS) {
			pthread_mutex_unlock(&rx->lock);
			break;
		}
		pthread_mutex_unlock(&rx->lock);
		ret = ipc_recv_full(rx->fd, 0, 0, NULL, 200,
				    sizeof(m->buf), m);
		if (ret == -ETIMEDOUT)
			continue;
		pthread_mutex_lock(&rx->lock);
		if (ret) {
			rx->errors++;
		} else {
			for (k = 0; k < STRESS_SENDERS; k++)
				if (rx->ids[k] == m->r.from)
					break;
			m->buf[m->r.payload_len] = 0;
			seq = atoi(m->buf);
			/* two receivers: per sender, each seq once */
			if (k == STRESS_SENDERS || seq < 0 ||
			    seq >= STRESS_MSGS || rx->seen[k][seq]) {
				rx->errors++;
			} else {
				rx->seen[k][seq] = true;
				rx->next[k]++;
			}
			rx->total++;
		}
		pthread_mutex_unlock(&rx->lock);
	}
	free(m);
	return NULL;
}

TEST_F(ipc, concurrent_senders_and_receivers)
{
	static struct stress_rx rx;
	pthread_t th[2];
	int sync[2];
	pid_t pids[STRESS_SENDERS];

	memset(&rx, 0, sizeof(rx));
	rx.fd = self->c;
	pthread_mutex_init(&rx.lock, NULL);
	ASSERT_EQ(0, pipe(sync));
	for (int k = 0; k < STRESS_SENDERS; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (pids[k] == 0) {
			static __u64 id;
			char p[16];
			int fd = aios_new_agent("ipc-stress", &id);

			if (fd < 0 || aios_write_u64(sync[1], id))
				_exit(1);
			for (int i = 0; i < STRESS_MSGS; i++) {
				snprintf(p, sizeof(p), "%d", i);
				if (ipc_send_full(fd, 0, self->c_id, NULL,
						  AIOS_MSG_NUMBER, p, strlen(p),
						  "inform", 0, -1, NULL))
					_exit(2);
			}
			_exit(0);
		}
		ASSERT_EQ(0, aios_read_u64(sync[0], &rx.ids[k]));
	}
	ASSERT_EQ(0, pthread_create(&th[0], NULL, stress_receiver, &rx));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, stress_receiver, &rx));
	for (int k = 0; k < STRESS_SENDERS; k++)
		EXPECT_EQ(0, aios_wait(pids[k]));
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_EQ(0, rx.errors);
	EXPECT_EQ(STRESS_SENDERS * STRESS_MSGS, rx.total);
	for (int k = 0; k < STRESS_SENDERS; k++)
		EXPECT_EQ(STRESS_MSGS, rx.next[k]);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->c, self->m));
	close(sync[0]);
	close(sync[1]);
	pthread_mutex_destroy(&rx.lock);
}

/* Messages from one sender to one receiver keep their order. */
TEST_F(ipc, order_kept_under_backpressure)
{
	pid_t pid;

	CHILD(pid) {
		char p[16];

		for (int i = 0; i < 3000; i++) {
			snprintf(p, sizeof(p), "%d", i);
			ASSERT_EQ(0, ipc_send_full(self->a, 0, self->b_id,
						   NULL, AIOS_MSG_NUMBER, p,
						   strlen(p), "inform", 0, -1,
						   NULL));
		}
	}
	for (int i = 0; i < 3000; i++) {
		ASSERT_EQ(0, ipc_recv_full(self->b, 0, 0, NULL, -1,
					   sizeof(self->m->buf), self->m));
		self->m->buf[self->m->r.payload_len] = 0;
		ASSERT_EQ(i, atoi(self->m->buf));
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/*
 * Receivers dying in the middle of heavy traffic (single and group
 * sends, blocked and not): every send ends in success or in one of the
 * documented errors, and nothing is left behind.
 */
TEST_F(ipc, deaths_during_traffic)
{
	static __u64 ids[3];
	pid_t rcv[3], snd[2];
	int sync[2];

	ASSERT_EQ(0, pipe(sync));
	for (int k = 0; k < 3; k++) {
		rcv[k] = fork();
		ASSERT_LE(0, rcv[k]);
		if (rcv[k] == 0) {
			int fd = aios_new_agent("ipc-victim", &ids[k]);
			struct ipc_msg *m = malloc(sizeof(*m));

			if (fd < 0 || !m || ipc_group(fd, "victims", 0) ||
			    aios_write_u64(sync[1], ids[k]))
				_exit(1);
			/* take a few, then stop reading */
			for (int i = 0; i < 50; i++)
				ipc_recv_full(fd, 0, 0, NULL, 100,
					      sizeof(m->buf), m);
			pause();
			_exit(0);
		}
		ASSERT_EQ(0, aios_read_u64(sync[0], &ids[k]));
	}
	for (int k = 0; k < 2; k++) {
		snd[k] = fork();
		ASSERT_LE(0, snd[k]);
		if (snd[k] == 0) {
			__u64 me;
			int fd = aios_new_agent("ipc-flood", &me);
			int ret, bad = 0;

			if (fd < 0)
				_exit(1);
			for (int i = 0; i < 2000; i++) {
				if (k == 0)
					ret = ipc_send_full(fd, 0, ids[i % 3],
							    NULL, AIOS_MSG_TEXT,
							    "flood", 5, "i", 0,
							    20, NULL);
				else
					ret = ipc_send_full(fd, AIOS_SEND_GROUP,
							    0, "victims",
							    AIOS_MSG_JSON,
							    "[1]", 3, "i", 0,
							    20, NULL);
				if (ret && ret != -ETIMEDOUT &&
				    ret != -ESRCH && ret != -EPIPE)
					bad++;
			}
			_exit(bad ? 2 : 0);
		}
	}
	usleep(300000);
	for (int k = 0; k < 3; k++) {
		kill(rcv[k], SIGKILL);
		EXPECT_EQ(128 + SIGKILL, aios_wait(rcv[k]));
		usleep(100000);
	}
	for (int k = 0; k < 2; k++)
		EXPECT_EQ(0, aios_wait(snd[k]));
	for (int k = 0; k < 3; k++)
		EXPECT_EQ(-ESRCH, ipc_send(self->a, ids[k], AIOS_MSG_TEXT,
					   "x", "i"));
	EXPECT_EQ(-ESRCH, ipc_send_full(self->a, AIOS_SEND_GROUP, 0,
					"victims", AIOS_MSG_TEXT, "x", 1, "i",
					0, 0, NULL));
	close(sync[0]);
	close(sync[1]);
}

/* aiosctl ipc, if it was built: what an operator sees. */
static int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(ipc, aiosctl_send_stats_and_rejection)
{
	const char *ctl = getenv("AIOSCTL") ?: "build/bin/aiosctl";
	char cmd[512], out[4096];

	if (access(ctl, X_OK))
		SKIP(return, "%s not built (set AIOSCTL)", ctl);
	snprintf(cmd, sizeof(cmd),
		 "%s ipc send --type json --intent request %llu '{\"tool\":\"search\" \"q\":1}' 2>&1",
		 ctl, (unsigned long long)self->b_id);
	EXPECT_EQ(1, run_cmd(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "JSON: expected ',' or '}' at byte 17")) {
		TH_LOG("output: %s", out);
	}
	snprintf(cmd, sizeof(cmd),
		 "%s ipc send --type number --corr 5 --intent result %llu 42 2>&1",
		 ctl, (unsigned long long)self->b_id);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) {
		TH_LOG("output: %s", out);
	}
	ASSERT_EQ(0, ipc_recv(self->b, self->m));
	EXPECT_EQ(AIOS_MSG_NUMBER, self->m->r.type);
	EXPECT_EQ(5, self->m->r.correlation_id);
	EXPECT_STREQ("result", self->m->r.intent);
	EXPECT_EQ(0, memcmp("42", self->m->buf, 2));
	/* a transient agent of its own, not one of ours */
	EXPECT_NE(self->a_id, self->m->r.from);
	EXPECT_NE(self->b_id, self->m->r.from);
	snprintf(cmd, sizeof(cmd), "%s -j ipc stats %llu 2>&1", ctl,
		 (unsigned long long)self->b_id);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"rejected\":1")) {
		TH_LOG("output: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "\"received\":1")) {
		TH_LOG("output: %s", out);
	}
}

TEST_HARNESS_MAIN
