// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libaios task queue API against the real module: run inside the VM as
 * root (tools/vm/run -- build/lib/vmtests/vm_queue).  Not part of the
 * host "check" target: it needs aios.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aios.h"
#include "kselftest_harness.h"

FIXTURE(lq) {
	struct aios *sub, *wrk;
	uint32_t qid;
	char name[AIOS_QUEUE_NAME_MAX];
};

FIXTURE_SETUP(lq)
{
	struct aios_queue_cfg c = { .sz = sizeof(c) };

	self->sub = aios_new();
	self->wrk = aios_new();
	ASSERT_NE(NULL, self->sub);
	ASSERT_NE(NULL, self->wrk);
	ASSERT_EQ(0, aios_open(self->sub));
	ASSERT_EQ(0, aios_open(self->wrk));
	if (!(aios_features(self->sub) & AIOS_FEAT_QUEUES))
		SKIP(return, "aios.ko without task queues");
	ASSERT_EQ(0, aios_register(self->sub, "lq-sub", AIOS_PRIO_NORMAL, NULL));
	ASSERT_EQ(0, aios_register(self->wrk, "lq-wrk", AIOS_PRIO_NORMAL, NULL));
	snprintf(self->name, sizeof(self->name), "lq-%d", getpid());
	c.name = self->name;
	c.algo = AIOS_ALGO_ROUND_ROBIN;
	c.set = AIOS_QCFG_MAX_CONCURRENT | AIOS_QCFG_SLICE_MS |
		AIOS_QCFG_MAX_PAYLOAD;
	c.max_concurrent = 2;
	c.slice_ms = 1;
	c.max_payload = 64;
	ASSERT_EQ(0, aios_queue_create(self->sub, &c, &self->qid));
}

FIXTURE_TEARDOWN(lq)
{
	if (self->qid)
		aios_queue_destroy(self->sub, self->qid, NULL, true);
	aios_close(self->sub);
	aios_close(self->wrk);
}

TEST_F(lq, round_trip_yield_and_stats)
{
	struct aios_task_result r;
	struct aios_queue_info q;
	struct aios_fetched f;
	char buf[64], res[64];
	bool yield = false;
	uint64_t id;

	ASSERT_EQ(0, aios_task_submit(self->sub, self->qid, AIOS_PRIO_HIGH,
				      "hello", 6, 0, 0, &id));
	ASSERT_EQ(0, aios_task_fetch(self->wrk, self->qid, 5000, 0, buf,
				     sizeof(buf), &f));
	EXPECT_EQ(id, f.task_id);
	EXPECT_EQ(6, f.len);
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(1000000, f.slice_ns);
	EXPECT_EQ(aios_agent_id(self->sub), f.submitter_id);
	usleep(5000);
	ASSERT_EQ(0, aios_task_progress(self->wrk, id, 30, &yield));
	EXPECT_TRUE(yield);
	ASSERT_EQ(0, aios_task_yield(self->wrk, id, 77));
	ASSERT_EQ(0, aios_task_fetch(self->wrk, 0 + self->qid, 5000, 0, buf,
				     sizeof(buf), &f));
	EXPECT_EQ(77, f.context_ref);
	EXPECT_EQ(2, f.runs);
	ASSERT_EQ(0, aios_task_complete(self->wrk, id, 0, "world", 6));
	ASSERT_EQ(0, aios_task_wait(self->sub, id, 5000, 0, res, sizeof(res),
				    &r));
	EXPECT_EQ(AIOS_TASK_DONE, r.state);
	EXPECT_EQ(6, r.len);
	EXPECT_STREQ("world", res);

	ASSERT_EQ(0, aios_queue_get(self->sub, 0, self->name, &q));
	EXPECT_EQ(self->qid, q.id);
	EXPECT_EQ(1, q.completed);
	EXPECT_EQ(1, q.yielded);
	EXPECT_STREQ("round_robin", aios_algo_name(q.algo));
}

TEST_F(lq, attach_poll_cancel_and_listings)
{
	struct pollfd p = { .fd = aios_fd(self->wrk), .events = POLLRDNORM };
	struct aios_queue_info *qs;
	struct aios_task_info *ts;
	struct aios_task_result r;
	uint64_t id;
	size_t n;
	bool found = false;

	ASSERT_EQ(0, aios_queue_attach(self->wrk, self->qid, false));
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, aios_task_submit(self->sub, self->qid, AIOS_PRIO_LOW,
				      NULL, 0, 0, 0, &id));
	EXPECT_EQ(1, poll(&p, 1, 0));
	ASSERT_LE(1, aios_tasks(self->sub, self->qid, &ts, &n));
	EXPECT_EQ(id, ts[0].id);
	EXPECT_STREQ("queued", aios_task_state_name(ts[0].state));
	free(ts);
	ASSERT_LE(1, aios_queues(self->sub, &qs, &n));
	for (size_t i = 0; i < n; i++)
		found |= qs[i].id == self->qid && qs[i].depth == 1;
	free(qs);
	EXPECT_TRUE(found);
	ASSERT_EQ(0, aios_task_cancel(self->sub, id));
	ASSERT_EQ(0, aios_task_wait(self->sub, id, 0, 0, NULL, 0, &r));
	EXPECT_EQ(AIOS_TASK_CANCELLED, r.state);
	EXPECT_EQ(-ECANCELED, r.error);
	ASSERT_EQ(0, aios_queue_attach(self->wrk, self->qid, true));
}

TEST_F(lq, errors_carry_messages)
{
	struct aios_queue_cfg c = { .sz = sizeof(c), .name = "has space" };
	struct aios_task_result r;
	struct aios_fetched f;
	char big[65] = { 0 };
	uint64_t id;

	EXPECT_EQ(-EINVAL, aios_queue_create(self->sub, &c, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->sub), "printable"));
	c.name = self->name;
	EXPECT_EQ(-EEXIST, aios_queue_create(self->sub, &c, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->sub), "exists"));
	EXPECT_EQ(-EMSGSIZE, aios_task_submit(self->sub, self->qid, 0, big,
					      sizeof(big), 0, 0, &id));
	EXPECT_EQ(-EAGAIN, aios_task_fetch(self->wrk, self->qid, 0,
					   AIOS_FETCH_NONBLOCK, NULL, 0, &f));
	EXPECT_EQ(-ETIMEDOUT, aios_task_fetch(self->wrk, self->qid, 10, 0,
					      NULL, 0, &f));
	EXPECT_EQ(-ENOENT, aios_task_wait(self->sub, 1ULL << 60, 0, 0, NULL,
					  0, &r));
	ASSERT_EQ(0, aios_task_submit(self->sub, self->qid, 0, "x", 1, 0, 0,
				      &id));
	EXPECT_EQ(-EPERM, aios_task_complete(self->wrk, id, 0, NULL, 0));
	EXPECT_NE(0, aios_errmsg(self->wrk)[0]);
	EXPECT_EQ(-EBUSY, aios_queue_destroy(self->sub, self->qid, NULL, false));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->sub), "FORCE"));
	ASSERT_EQ(0, aios_queue_destroy(self->sub, 0, self->name, true));
	ASSERT_EQ(0, aios_task_wait(self->sub, id, 0, 0, NULL, 0, &r));
	EXPECT_STREQ("queue_destroyed", aios_task_fail_name(r.fail));
	self->qid = 0;
}

TEST_HARNESS_MAIN
