// SPDX-License-Identifier: GPL-2.0
/*
 * Task scheduler queues: creation and destruction over netlink, the task
 * ioctls, the three algorithms, poll readiness, death of workers and
 * submitters, deadlines, signals, quotas, audit and events, and every
 * bad input with its errno.
 *
 * Needs CAP_SYS_ADMIN (queues are created by an admin); tests that need
 * an unprivileged caller fork a child that drops to uid 1000.  No test
 * asserts a duration: where time matters (aging, slices, deadlines) the
 * test sleeps longer than the period by a wide margin and then checks a
 * scheduling decision.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/epoll.h>

#include "queue_test.h"
#include "kselftest_harness.h"

#define MS	1000000ULL

FIXTURE(q) {
	struct aios_nl nl;
	int sub, wrk;
	__u64 sub_id, wrk_id;
	__u32 qids[8];
	int nq;
	char name[AIOS_QUEUE_NAME_MAX];
};

FIXTURE_SETUP(q)
{
	self->sub = self->wrk = -1;
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN to create queues");
	self->sub = aios_new_agent("q-submitter", &self->sub_id);
	ASSERT_LE(0, self->sub);
	self->wrk = aios_new_agent("q-worker", &self->wrk_id);
	ASSERT_LE(0, self->wrk);
}

FIXTURE_TEARDOWN(q)
{
	for (int i = 0; i < self->nq; i++)
		aios_nl_qdestroy(&self->nl, -1, self->qids[i],
				 AIOS_DESTROY_FORCE, NULL, 0);
	if (self->sub >= 0)
		close(self->sub);
	if (self->wrk >= 0)
		close(self->wrk);
	aios_nl_close(&self->nl);
}

/* Create a queue with a unique name (unless c.name is set); 0 on error. */
static __u32 mkq(FIXTURE_DATA(q) *self, struct aios_t_qcfg c)
{
	__u32 id = 0;

	if (!c.name)
		c.name = aios_qname(self->name, sizeof(self->name), "q");
	if (aios_nl_qcreate(&self->nl, -1, &c, &id, NULL, 0))
		return 0;
	if (self->nq < (int)(sizeof(self->qids) / sizeof(self->qids[0])))
		self->qids[self->nq++] = id;
	return id;
}

static struct aios_t_qcfg qcfg(int algo, int conc)
{
	struct aios_t_qcfg c = AIOS_QCFG(NULL, algo);

	c.max_concurrent = conc;
	return c;
}

static int fetch_complete_u64(int fd, __u32 qid, __u64 *v)
{
	struct aios_task_fetch f;
	int ret = aios_fetch_u64(fd, qid, v, &f);

	if (ret)
		return ret;
	return aios_complete(fd, f.task_id, 0, NULL, 0, 0, 0);
}

/* ---- creation, lookup, destruction ------------------------------------- */

TEST_F(q, feature_bit_and_sizes)
{
	struct aios_api api;
	int fd = aios_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_api(fd, &api));
	EXPECT_TRUE(api.features & AIOS_FEAT_QUEUES);
	EXPECT_EQ(sizeof(struct aios_task_submit),
		  api.struct_size[_IOC_NR(AIOS_IOC_TASK_SUBMIT)]);
	EXPECT_EQ(sizeof(struct aios_task_cancel),
		  api.struct_size[_IOC_NR(AIOS_IOC_TASK_CANCEL)]);
	EXPECT_LE(_IOC_NR(AIOS_IOC_TASK_CANCEL) + 1, api.nr_ioctls);
	close(fd);
}

TEST_F(q, create_get_dump_destroy)
{
	struct aios_t_qcfg c = AIOS_QCFG(NULL, AIOS_ALGO_ROUND_ROBIN);
	struct aios_t_queue q;
	__u32 id, id2;

	c.name = aios_qname(self->name, sizeof(self->name), "cgd");
	c.max_concurrent = 3;
	c.slice_ms = 7;
	c.max_payload = 100;
	c.max_depth = 5;
	c.max_retries = 2;
	c.aging_ms = 9;
	ASSERT_EQ(0, aios_nl_qcreate(&self->nl, -1, &c, &id, NULL, 0));
	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &q));
	EXPECT_EQ(id, q.id);
	EXPECT_STREQ(self->name, q.name);
	EXPECT_EQ(AIOS_ALGO_ROUND_ROBIN, q.algo);
	EXPECT_EQ(3, q.max_concurrent);
	EXPECT_EQ(7, q.slice_ms);
	EXPECT_EQ(100, q.max_payload);
	EXPECT_EQ(5, q.max_depth);
	EXPECT_EQ(2, q.max_retries);
	EXPECT_EQ(9, q.aging_ms);
	EXPECT_EQ(0, q.depth);
	EXPECT_EQ(0, q.submitted);
	EXPECT_TRUE(q.present & (1ULL << AIOS_QUEUE_A_WAIT_P99_US));
	EXPECT_TRUE(q.present & (1ULL << AIOS_QUEUE_A_KMEM_BYTES));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, 0, self->name, &q));
	EXPECT_EQ(id, q.id);
	EXPECT_EQ(1, aios_nl_qin_dump(&self->nl, id));

	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, id, 0, NULL, 0));
	EXPECT_EQ(-ENOENT, aios_nl_qget(&self->nl, id, NULL, &q));
	EXPECT_EQ(-ENOENT, aios_nl_qget(&self->nl, 0, self->name, &q));
	EXPECT_EQ(0, aios_nl_qin_dump(&self->nl, id));
	EXPECT_EQ(-ENOENT, aios_nl_qdestroy(&self->nl, -1, id, 0, NULL, 0));

	/* The name is free again; the id is never reused. */
	ASSERT_EQ(0, aios_nl_qcreate(&self->nl, -1, &c, &id2, NULL, 0));
	self->qids[self->nq++] = id2;
	EXPECT_GT(id2, id);
}

TEST_F(q, create_defaults)
{
	struct aios_t_queue q;
	__u32 id = mkq(self, AIOS_QCFG(NULL, AIOS_ALGO_FIFO));

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &q));
	EXPECT_EQ(AIOS_ALGO_FIFO, q.algo);
	EXPECT_EQ(1, q.max_concurrent);
	EXPECT_EQ(65536, q.max_payload);
	EXPECT_EQ(1024, q.max_depth);
	EXPECT_EQ(3, q.max_retries);
	EXPECT_EQ(100, q.aging_ms);
	EXPECT_EQ(100, q.slice_ms);
}

TEST_F(q, create_bad_input)
{
	char ext[256], name[AIOS_QUEUE_NAME_MAX];
	struct aios_t_qcfg c;
	struct aios_nlreply r;
	struct nl_msg *m;
	struct nlattr *nest;
	__u32 id;

#define BAD(mod, err) do {						\
		c = AIOS_QCFG(aios_qname(name, sizeof(name), "bad"),	\
			      AIOS_ALGO_FIFO);				\
		mod;							\
		EXPECT_EQ(err, aios_nl_qcreate(&self->nl, -1, &c, &id,	\
					       ext, sizeof(ext)));	\
		EXPECT_NE(0, ext[0]);					\
	} while (0)
	BAD(c.name = NULL, -EINVAL);
	BAD(c.algo = -1, -EINVAL);
	BAD(c.algo = 3, -EINVAL);
	BAD(c.max_concurrent = 0, -EINVAL);
	BAD(c.max_concurrent = 4097, -EINVAL);
	BAD(c.max_depth = 0, -EINVAL);
	BAD(c.aging_ms = 0, -EINVAL);
	BAD(c.slice_ms = 0, -EINVAL);
	BAD(c.max_retries = 101, -EINVAL);
	BAD(c.max_payload = (16 << 20) + 1, -EINVAL);
	BAD(c.name = "has space", -EINVAL);
	BAD(c.name = "", -EINVAL);
	BAD(c.name = "0123456789abcdef0123456789abcdef", -EINVAL);
#undef BAD

	/* Statistics attributes are not configuration. */
	m = aios_nl_msg(&self->nl, AIOS_CMD_QUEUE_CREATE, 0);
	ASSERT_NE(NULL, m);
	nest = nla_nest_start(m, AIOS_A_QUEUE);
	nla_put_string(m, AIOS_QUEUE_A_NAME, aios_qname(name, sizeof(name), "st"));
	nla_put_u32(m, AIOS_QUEUE_A_ALGO, AIOS_ALGO_FIFO);
	nla_put_u32(m, AIOS_QUEUE_A_DEPTH, 3);
	nla_nest_end(m, nest);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, m, &r));
	aios_nlreply_free(&r);

	/* Missing nest, duplicate names. */
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl,
		  aios_nl_msg(&self->nl, AIOS_CMD_QUEUE_CREATE, 0), &r));
	aios_nlreply_free(&r);
	id = mkq(self, AIOS_QCFG(NULL, AIOS_ALGO_FIFO));
	ASSERT_NE(0, id);
	c = AIOS_QCFG(self->name, AIOS_ALGO_PRIORITY);
	EXPECT_EQ(-EEXIST, aios_nl_qcreate(&self->nl, -1, &c, NULL, ext,
					   sizeof(ext)));

	/* Destroy: no reference, both id and name, unknown, bad flags. */
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl,
		  aios_nl_msg(&self->nl, AIOS_CMD_QUEUE_DESTROY, 0), &r));
	aios_nlreply_free(&r);
	m = aios_nl_msg(&self->nl, AIOS_CMD_QUEUE_DESTROY, 0);
	aios_put_qref(m, id, self->name);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, m, &r));
	aios_nlreply_free(&r);
	EXPECT_EQ(-ENOENT, aios_nl_qdestroy(&self->nl, -1, 0x7ffffff0, 0,
					    NULL, 0));
	EXPECT_EQ(-EINVAL, aios_nl_qdestroy(&self->nl, -1, id, 2, NULL, 0));
	/* QUEUE_GET dump does not take a reference; TASK_GET has no do. */
	m = aios_nl_msg(&self->nl, AIOS_CMD_QUEUE_GET, NLM_F_DUMP);
	aios_put_qref(m, id, NULL);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, m, &r));
	aios_nlreply_free(&r);
	EXPECT_EQ(-EOPNOTSUPP, aios_nl_xfer(&self->nl,
		  aios_nl_msg(&self->nl, AIOS_CMD_TASK_GET, 0), &r));
	aios_nlreply_free(&r);
}

TEST_F(q, create_destroy_need_admin)
{
	__u32 id = mkq(self, AIOS_QCFG(NULL, AIOS_ALGO_FIFO));
	pid_t pid;

	ASSERT_NE(0, id);
	CHILD(pid) {
		struct aios_t_qcfg c = AIOS_QCFG("unpriv-q", AIOS_ALGO_FIFO);
		struct aios_denial d;
		struct aios_nl nl;
		char ext[256];
		int fd;

		if (aios_drop_privs())
			_exit(10);
		fd = aios_new_agent("unpriv", NULL);
		if (fd < 0 || aios_nl_open(&nl))
			_exit(11);
		if (aios_nl_qcreate(&nl, fd, &c, NULL, ext, sizeof(ext)) != -EPERM)
			_exit(12);
		if (strcmp(ext, "ADMIN required"))
			_exit(13);
		if (aios_last_denial(fd, &d) || d.op != AIOS_OP_QUEUE_CREATE ||
		    d.cap_required != AIOS_CAP_ADMIN)
			_exit(14);
		if (aios_nl_qcreate(&nl, -1, &c, NULL, NULL, 0) != -EPERM)
			_exit(15);
		if (aios_nl_qdestroy(&nl, fd, id, AIOS_DESTROY_FORCE, NULL,
				     0) != -EPERM)
			_exit(16);
		if (aios_last_denial(fd, &d) || d.op != AIOS_OP_QUEUE_DESTROY)
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(0, aios_wait(pid));
	EXPECT_EQ(1, aios_nl_qin_dump(&self->nl, id));
}

/* ---- ordering ------------------------------------------------------------ */

TEST_F(q, fifo_strict_arrival_order)
{
	static const __u32 prio[] = { AIOS_PRIO_LOW, AIOS_PRIO_CRITICAL,
				      AIOS_PRIO_NORMAL, AIOS_PRIO_HIGH,
				      AIOS_PRIO_CRITICAL, AIOS_PRIO_LOW };
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	__u64 v;

	ASSERT_NE(0, id);
	for (__u64 i = 0; i < 6; i++)
		ASSERT_EQ(0, aios_submit_u64(self->sub, id, prio[i], i + 1, NULL));
	for (__u64 i = 0; i < 6; i++) {
		ASSERT_EQ(0, fetch_complete_u64(self->wrk, id, &v));
		EXPECT_EQ(i + 1, v);
	}
	EXPECT_EQ(-EAGAIN, fetch_complete_u64(self->wrk, id, &v));
}

TEST_F(q, priority_class_order)
{
	static const __u32 prio[] = { AIOS_PRIO_LOW, AIOS_PRIO_NORMAL,
				      AIOS_PRIO_HIGH, AIOS_PRIO_CRITICAL,
				      AIOS_PRIO_HIGH, AIOS_PRIO_LOW,
				      AIOS_PRIO_CRITICAL };
	static const __u64 want[] = { 4, 7, 3, 5, 2, 1, 6 };
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_PRIORITY, 1);
	__u32 id;
	__u64 v;

	c.aging_ms = 3600000;	/* no aging within this test */
	id = mkq(self, c);
	ASSERT_NE(0, id);
	for (__u64 i = 0; i < 7; i++)
		ASSERT_EQ(0, aios_submit_u64(self->sub, id, prio[i], i + 1, NULL));
	for (int i = 0; i < 7; i++) {
		ASSERT_EQ(0, fetch_complete_u64(self->wrk, id, &v));
		EXPECT_EQ(want[i], v);
	}
}

/*
 * The aging bound: after 3 * aging_ms a LOW task has effective class
 * CRITICAL and, arriving earlier, is served before every CRITICAL task
 * submitted after it.  Sleep 15x the bound, then check the decision.
 */
TEST_F(q, priority_aging_low_beats_later_critical)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_PRIORITY, 1);
	__u32 id;
	__u64 v;

	c.aging_ms = 20;
	id = mkq(self, c);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_LOW, 1, NULL));
	usleep(15 * 3 * 20 * 1000);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_CRITICAL, 2, NULL));
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_CRITICAL, 3, NULL));
	for (__u64 i = 1; i <= 3; i++) {
		ASSERT_EQ(0, fetch_complete_u64(self->wrk, id, &v));
		EXPECT_EQ(i, v);
	}
}

/* One aging period lifts LOW to at least NORMAL: it beats a later NORMAL. */
TEST_F(q, priority_aging_one_class_per_period)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_PRIORITY, 1);
	__u32 aged, fresh;
	__u64 v;

	c.aging_ms = 100;
	aged = mkq(self, c);
	c.aging_ms = 3600000;
	fresh = mkq(self, c);
	ASSERT_NE(0, aged);
	ASSERT_NE(0, fresh);
	ASSERT_EQ(0, aios_submit_u64(self->sub, aged, AIOS_PRIO_LOW, 1, NULL));
	ASSERT_EQ(0, aios_submit_u64(self->sub, fresh, AIOS_PRIO_LOW, 1, NULL));
	usleep(150 * 1000);
	ASSERT_EQ(0, aios_submit_u64(self->sub, aged, AIOS_PRIO_NORMAL, 2, NULL));
	ASSERT_EQ(0, aios_submit_u64(self->sub, fresh, AIOS_PRIO_NORMAL, 2, NULL));
	ASSERT_EQ(0, fetch_complete_u64(self->wrk, aged, &v));
	EXPECT_EQ(1, v);	/* aged LOW first */
	ASSERT_EQ(0, fetch_complete_u64(self->wrk, fresh, &v));
	EXPECT_EQ(2, v);	/* control: without aging NORMAL first */
}

TEST_F(q, round_robin_yield_and_resume_with_context)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_ROUND_ROBIN, 1);
	char res[16] = { 0 };
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 a, b, v;
	__u32 yield, id, longq;

	c.slice_ms = 10;
	id = mkq(self, c);
	c.slice_ms = 3600000;
	longq = mkq(self, c);
	ASSERT_NE(0, id);
	ASSERT_NE(0, longq);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &a));
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 2, &b));

	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(a, f.task_id);
	EXPECT_EQ(1, f.runs);
	EXPECT_EQ(0, f.context_ref);
	EXPECT_EQ(10 * MS, f.slice_ns);
	usleep(30 * 1000);	/* 3x the slice */
	ASSERT_EQ(0, aios_progress(self->wrk, a, 40, &yield));
	EXPECT_EQ(1, yield);
	ASSERT_EQ(0, aios_complete(self->wrk, a, 0, NULL, 0,
				   AIOS_COMPLETE_YIELD, 0xc0ffee));

	/* a went to the back: b runs next. */
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(b, f.task_id);
	EXPECT_EQ(0, aios_complete(self->wrk, b, 0, NULL, 0, 0, 0));

	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(a, f.task_id);
	EXPECT_EQ(1, v);
	EXPECT_EQ(2, f.runs);
	EXPECT_EQ(0xc0ffee, f.context_ref);
	ASSERT_EQ(0, aios_complete(self->wrk, a, 0, "resumed", 8, 0, 0));
	ASSERT_EQ(0, aios_twait(self->sub, a, -1, 0, res, sizeof(res), &w));
	EXPECT_EQ(AIOS_TASK_DONE, w.state);
	EXPECT_EQ(2, w.runs);
	EXPECT_STREQ("resumed", res);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(1, qs.yielded);
	EXPECT_EQ(2, qs.completed);

	/* Within its slice a task is not told to yield. */
	ASSERT_EQ(0, aios_submit_u64(self->sub, longq, AIOS_PRIO_NORMAL, 3, NULL));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, longq, &v, &f));
	ASSERT_EQ(0, aios_progress(self->wrk, f.task_id, 10, &yield));
	EXPECT_EQ(0, yield);
}

TEST_F(q, slice_only_for_round_robin)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	__u32 yield;
	__u64 v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, NULL));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(0, f.slice_ns);
	usleep(20 * 1000);
	ASSERT_EQ(0, aios_progress(self->wrk, f.task_id, 10, &yield));
	EXPECT_EQ(0, yield);
}

/* ---- max_concurrent --------------------------------------------------------- */

TEST_F(q, max_concurrent_blocks_extra_fetch)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 2));
	struct aios_task_fetch f1, f2, f3;
	struct aios_t_queue qs;
	__u64 v;

	ASSERT_NE(0, id);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, i, NULL));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f1));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f2));
	EXPECT_EQ(-EAGAIN, aios_fetch_u64(self->wrk, id, &v, &f3));
	EXPECT_EQ(-ETIMEDOUT, aios_fetch(self->wrk, id, 20, 0, &v, 8, &f3));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(2, qs.running);
	EXPECT_EQ(1, qs.depth);
	ASSERT_EQ(0, aios_complete(self->wrk, f1.task_id, 0, NULL, 0, 0, 0));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f3));
	EXPECT_EQ(2, v);
}

struct conc_shared {
	int cur, max, fetched, bad;
};

/* A worker process: fetch until the queue goes away. */
static int conc_worker(__u32 id, struct conc_shared *sh)
{
	struct aios_task_fetch f;
	int fd = aios_new_agent("conc-worker", NULL);
	__u64 v;
	int ret, cur, max;

	if (fd < 0)
		return 20;
	for (;;) {
		ret = aios_fetch(fd, id, 10000, 0, &v, sizeof(v), &f);
		if (ret == -EIDRM || ret == -ENOENT)
			return 0;
		if (ret)
			return 21;
		cur = __atomic_add_fetch(&sh->cur, 1, __ATOMIC_SEQ_CST);
		max = __atomic_load_n(&sh->max, __ATOMIC_SEQ_CST);
		while (cur > max &&
		       !__atomic_compare_exchange_n(&sh->max, &max, cur, false,
						    __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST))
			;
		__atomic_add_fetch(&sh->fetched, 1, __ATOMIC_SEQ_CST);
		usleep(1000 + (v % 3) * 1000);
		__atomic_sub_fetch(&sh->cur, 1, __ATOMIC_SEQ_CST);
		if (aios_complete(fd, f.task_id, 0, &v, sizeof(v), 0, 0))
			__atomic_add_fetch(&sh->bad, 1, __ATOMIC_SEQ_CST);
	}
}

TEST_F_TIMEOUT(q, max_concurrent_exact_under_racing_workers, 120)
{
	enum { WORKERS = 6, TASKS = 60, CONC = 2 };
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, CONC));
	struct conc_shared *sh;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 ids[TASKS], res;
	pid_t pids[WORKERS];
	int over = 0;

	ASSERT_NE(0, id);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(conc_worker(id, sh));
	}
	for (int i = 0; i < TASKS; i++) {
		ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL,
					     i, &ids[i]));
		if (!(i % 8) && !aios_nl_qget(&self->nl, id, NULL, &qs) &&
		    qs.running > CONC)
			over++;
	}
	for (int i = 0; i < TASKS; i++) {
		ASSERT_EQ(0, aios_twait(self->sub, ids[i], 20000, 0, &res,
					sizeof(res), &w));
		EXPECT_EQ(AIOS_TASK_DONE, w.state);
		EXPECT_EQ((__u64)i, res);
	}
	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, id, 0, NULL, 0));
	for (int i = 0; i < WORKERS; i++)
		EXPECT_EQ(0, aios_wait(pids[i]));
	EXPECT_EQ(0, over);
	EXPECT_EQ(TASKS, sh->fetched);
	EXPECT_EQ(0, sh->bad);
	EXPECT_LE(sh->max, CONC);
	EXPECT_LE(1, sh->max);
	munmap(sh, sizeof(*sh));
}

/* ---- poll and epoll ------------------------------------------------------------ */

static short poll1(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

TEST_F(q, poll_task_available_and_result_ready)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct epoll_event ev;
	int ep;
	__u64 t, v;

	ASSERT_NE(0, id);
	EXPECT_EQ(0, poll1(self->wrk, POLLIN | POLLRDNORM));
	ASSERT_EQ(0, aios_attach(self->wrk, id, 0));
	EXPECT_EQ(0, poll1(self->wrk, POLLIN | POLLRDNORM));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.events = EPOLLIN;
	ev.data.u32 = 1;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->wrk, &ev));
	ev.events = EPOLLRDBAND;
	ev.data.u32 = 2;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->sub, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 5, &t));
	EXPECT_EQ(POLLIN | POLLRDNORM, poll1(self->wrk, POLLIN | POLLRDNORM));
	EXPECT_EQ(0, poll1(self->sub, POLLRDBAND));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(1, ev.data.u32);

	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(0, poll1(self->wrk, POLLIN | POLLRDNORM));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(0, aios_complete(self->wrk, t, 0, NULL, 0, 0, 0));
	EXPECT_EQ(POLLIN | POLLRDBAND, poll1(self->sub, POLLIN | POLLRDBAND));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(2, ev.data.u32);

	/* PEEK keeps it ready; collecting it clears readiness. */
	ASSERT_EQ(0, aios_twait(self->sub, t, 0, AIOS_WAIT_PEEK, NULL, 0, &w));
	EXPECT_EQ(POLLRDBAND, poll1(self->sub, POLLRDBAND));
	ASSERT_EQ(0, aios_twait(self->sub, t, 0, 0, NULL, 0, &w));
	EXPECT_EQ(0, poll1(self->sub, POLLIN | POLLRDBAND));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
}

TEST_F(q, poll_blocks_until_a_submit)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	int fds[2];
	pid_t pid;
	char c;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_attach(self->wrk, id, 0));
	ASSERT_EQ(0, pipe(fds));
	CHILD(pid) {
		struct pollfd p = { .fd = self->wrk, .events = POLLRDNORM };

		close(fds[0]);
		if (write(fds[1], "r", 1) != 1)
			_exit(30);
		if (poll(&p, 1, 20000) != 1 || !(p.revents & POLLRDNORM))
			_exit(31);
		_exit(0);
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	usleep(50 * 1000);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, NULL));
	EXPECT_EQ(0, aios_wait(pid));
	close(fds[0]);
}

TEST_F(q, fetch_from_any_attached_queue)
{
	__u32 a = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	__u32 b = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	__u64 v;

	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	EXPECT_EQ(-ENOENT, aios_fetch_u64(self->wrk, 0, &v, &f));
	EXPECT_EQ(-ENOENT, aios_attach(self->wrk, 0x7ffffff0, 0));
	ASSERT_EQ(0, aios_attach(self->wrk, a, 0));
	ASSERT_EQ(0, aios_attach(self->wrk, b, 0));
	EXPECT_EQ(-EALREADY, aios_attach(self->wrk, a, 0));
	EXPECT_EQ(-EAGAIN, aios_fetch_u64(self->wrk, 0, &v, &f));

	ASSERT_EQ(0, aios_submit_u64(self->sub, b, AIOS_PRIO_NORMAL, 2, NULL));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, 0, &v, &f));
	EXPECT_EQ(b, f.fetched_queue_id);
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, aios_complete(self->wrk, f.task_id, 0, NULL, 0, 0, 0));
	ASSERT_EQ(0, aios_submit_u64(self->sub, a, AIOS_PRIO_NORMAL, 1, NULL));
	ASSERT_EQ(0, aios_fetch(self->wrk, 0, 5000, 0, &v, 8, &f));
	EXPECT_EQ(a, f.fetched_queue_id);
	EXPECT_EQ(1, v);

	ASSERT_EQ(0, aios_attach(self->wrk, a, AIOS_ATTACH_DETACH));
	EXPECT_EQ(-ENOENT, aios_attach(self->wrk, a, AIOS_ATTACH_DETACH));
	ASSERT_EQ(0, aios_attach(self->wrk, b, AIOS_ATTACH_DETACH));
	EXPECT_EQ(-ENOENT, aios_fetch_u64(self->wrk, 0, &v, &f));
}

/* ---- deaths ----------------------------------------------------------------- */

/* A child worker fetches task tid, reports it, and waits to be killed. */
static pid_t doomed_worker(__u32 qid, __u64 tid)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		struct aios_task_fetch f;
		int fd = aios_new_agent("doomed", NULL);
		__u64 v;

		close(fds[0]);
		if (fd < 0 || aios_fetch(fd, qid, 10000, 0, &v, 8, &f) ||
		    f.task_id != tid)
			_exit(40);
		if (write(fds[1], "f", 1) != 1)
			_exit(41);
		pause();
		_exit(42);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return pid;
}

static bool task_failed_match(struct nlattr **tb, void *arg)
{
	struct aios_t_task t;

	return !aios_parse_task(tb[AIOS_A_TASK], &t) && t.id == *(__u64 *)arg &&
	       t.fail == AIOS_FAIL_WORKER_DIED;
}

static int audit_find(struct aios_nl *nl, __u64 after, __u32 op, __u64 obj,
		      struct aios_t_audit *out)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs;
	int n, found = 0;

	f.seq_after = after;
	if (aios_nl_audit(nl, f, &recs, &n, NULL, 0))
		return -EIO;
	for (int i = 0; i < n; i++) {
		if (recs[i].op == op && recs[i].object == obj) {
			if (out)
				*out = recs[i];
			found++;
		}
	}
	free(recs);
	return found;
}

TEST_F_TIMEOUT(q, worker_death_requeues_then_fails, 60)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_FIFO, 1);
	struct aios_t_status st;
	struct aios_t_audit rec;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	struct aios_t_task t;
	struct aios_nl ev;
	__u64 tid;
	__u32 id;
	pid_t pid;

	c.max_retries = 1;
	id = mkq(self, c);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_nl_open(&ev));
	ASSERT_EQ(0, aios_nl_join(&ev, AIOS_MCGRP_EVENTS));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_HIGH, 7, &tid));

	pid = doomed_worker(id, tid);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, aios_nl_task_find(&self->nl, id, tid, &t, NULL));
	EXPECT_EQ(AIOS_TASK_RUNNING, t.state);
	EXPECT_NE(0, t.worker_id);
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, aios_wait(pid));
	ASSERT_EQ(1, aios_nl_task_find(&self->nl, id, tid, &t, NULL));
	EXPECT_EQ(AIOS_TASK_QUEUED, t.state);
	EXPECT_EQ(1, t.retries);
	EXPECT_EQ(0, t.worker_id);
	EXPECT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_REQUEUE, tid, NULL));

	pid = doomed_worker(id, tid);
	ASSERT_LT(0, pid);
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, aios_wait(pid));
	ASSERT_EQ(0, aios_twait(self->sub, tid, 5000, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_FAILED, w.state);
	EXPECT_EQ(AIOS_FAIL_WORKER_DIED, w.fail);
	EXPECT_EQ(-EOWNERDEAD, w.error);
	EXPECT_EQ(2, w.runs);
	ASSERT_EQ(1, audit_find(&self->nl, st.next_seq - 1, AIOS_OP_TASK_FAIL,
				tid, &rec));
	EXPECT_EQ(AIOS_FAIL_WORKER_DIED, rec.result);
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_TASK_FAILED,
					task_failed_match, &tid, 5000));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(1, qs.requeued);
	EXPECT_EQ(1, qs.failed);
	EXPECT_EQ(0, qs.kmem);
	EXPECT_TRUE(aios_q_accounted(&qs));
	aios_nl_close(&ev);
}

TEST_F(q, submitter_death_cancels_queued_and_discards_running)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	int up[2], go[2], n;
	struct aios_task_fetch f;
	struct aios_t_status st;
	struct aios_t_queue qs;
	struct aios_t_task t;
	__u64 tids[3], v;
	pid_t pid;
	char c;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(go));
	CHILD(pid) {
		int fd = aios_new_agent("doomed-sub", NULL);

		for (int i = 0; i < 3; i++)
			if (fd < 0 || aios_submit_u64(fd, id, AIOS_PRIO_NORMAL,
						      i, &tids[i]))
				_exit(50);
		if (write(up[1], tids, sizeof(tids)) != sizeof(tids))
			_exit(51);
		if (read(go[0], &c, 1) != 1)
			_exit(52);
		_exit(0);	/* the agent goes away with us */
	}
	ASSERT_EQ(sizeof(tids), read(up[0], tids, sizeof(tids)));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(tids[0], f.task_id);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(0, aios_wait(pid));

	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(0, qs.depth);
	EXPECT_EQ(1, qs.running);
	EXPECT_EQ(2, qs.cancelled);
	EXPECT_TRUE(aios_q_accounted(&qs));
	EXPECT_EQ(0, aios_nl_task_find(&self->nl, id, tids[1], NULL, NULL));
	EXPECT_EQ(0, aios_nl_task_find(&self->nl, id, tids[2], NULL, NULL));
	ASSERT_EQ(1, aios_nl_task_find(&self->nl, id, tids[0], &t, &n));
	EXPECT_EQ(AIOS_FAIL_SUBMITTER_DIED, t.fail);
	EXPECT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_CANCEL, tids[1], NULL));
	EXPECT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_CANCEL, tids[2], NULL));

	/* The worker finishes; the result is discarded and nothing leaks. */
	ASSERT_EQ(0, aios_complete(self->wrk, tids[0], 0, "late", 4, 0, 0));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(0, qs.running);
	EXPECT_EQ(1, qs.completed);
	EXPECT_EQ(0, qs.kmem);
	EXPECT_TRUE(aios_q_accounted(&qs));
	EXPECT_EQ(0, aios_nl_task_find(&self->nl, id, tids[0], NULL, &n));
	EXPECT_EQ(0, n);
	close(up[0]);
	close(up[1]);
	close(go[0]);
	close(go[1]);
}

/* An agent removed while one of its threads is blocked in a fetch. */
TEST_F(q, killed_agent_blocked_in_fetch_gets_enolink)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	int fds[2];
	__u64 aid = 0;
	pid_t pid;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, pipe(fds));
	CHILD(pid) {
		struct aios_task_fetch f;
		int fd;
		__u64 v;

		signal(SIGUSR1, SIG_IGN);	/* survive the kill */
		fd = aios_new_agent("survivor", &aid);
		if (fd < 0 || aios_write_u64(fds[1], aid))
			_exit(110);
		_exit(aios_fetch(fd, id, -1, 0, &v, 8, &f) == -ENOLINK ? 0 : 111);
	}
	ASSERT_EQ(0, aios_read_u64(fds[0], &aid));
	ASSERT_EQ(0, aios_wait_blocked(pid));
	ASSERT_EQ(0, aios_nl_kill(&self->nl, -1, aid, SIGUSR1, 0, NULL, 0));
	EXPECT_EQ(0, aios_wait(pid));
	close(fds[0]);
	close(fds[1]);
}

/* ---- destroy ------------------------------------------------------------------ */

TEST_F(q, destroy_busy_then_forced)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_task_wait w;
	char ext[256];
	__u64 t1, t2, v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &t1));
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 2, &t2));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(-EBUSY, aios_nl_qdestroy(&self->nl, -1, id, 0, ext,
					   sizeof(ext)));
	EXPECT_NE(0, ext[0]);
	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, id, AIOS_DESTROY_FORCE,
				      NULL, 0));
	ASSERT_EQ(0, aios_twait(self->sub, t1, 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_FAILED, w.state);
	EXPECT_EQ(AIOS_FAIL_QUEUE_DESTROYED, w.fail);
	EXPECT_EQ(-EIDRM, w.error);
	ASSERT_EQ(0, aios_twait(self->sub, t2, 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_FAIL_QUEUE_DESTROYED, w.fail);
	/* The worker's late completion is accepted and discarded. */
	EXPECT_EQ(0, aios_complete(self->wrk, t1, 0, NULL, 0, 0, 0));
	EXPECT_EQ(-ENOENT, aios_complete(self->wrk, t1, 0, NULL, 0, 0, 0));
	EXPECT_EQ(-ENOENT, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 3,
					   NULL));
}

TEST_F(q, destroy_wakes_blocked_fetcher_and_submitter)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_FIFO, 1);
	pid_t fetcher, submitter;
	__u32 empty, full;

	empty = mkq(self, c);
	c.max_depth = 1;
	full = mkq(self, c);
	ASSERT_NE(0, empty);
	ASSERT_NE(0, full);
	ASSERT_EQ(0, aios_submit_u64(self->sub, full, AIOS_PRIO_NORMAL, 1, NULL));
	CHILD(fetcher) {
		struct aios_task_fetch f;
		int fd = aios_new_agent("blocked-fetch", NULL);
		__u64 v;

		_exit(fd < 0 ? 60 :
		      aios_fetch(fd, empty, -1, 0, &v, 8, &f) == -EIDRM ? 0 : 61);
	}
	CHILD(submitter) {
		int fd = aios_new_agent("blocked-submit", NULL);

		_exit(fd < 0 ? 62 :
		      aios_submit_u64(fd, full, AIOS_PRIO_NORMAL, 2, NULL) ==
		      -EIDRM ? 0 : 63);
	}
	ASSERT_EQ(0, aios_wait_blocked(fetcher));
	ASSERT_EQ(0, aios_wait_blocked(submitter));
	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, empty, 0, NULL, 0));
	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, full, AIOS_DESTROY_FORCE,
				      NULL, 0));
	EXPECT_EQ(0, aios_wait(fetcher));
	EXPECT_EQ(0, aios_wait(submitter));
}

/* ---- bad input ------------------------------------------------------------------ */

TEST_F(q, submit_bad_input)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_FIFO, 1);
	struct aios_task_submit s;
	char big[17] = { 0 };
	__u32 id;

	c.max_payload = 16;
	c.max_depth = 2;
	id = mkq(self, c);
	ASSERT_NE(0, id);
#define S(mod, err) do {						\
		memset(&s, 0, sizeof(s));				\
		s.size = sizeof(s);					\
		s.queue_id = id;					\
		s.prio = AIOS_PRIO_NORMAL;				\
		mod;							\
		EXPECT_EQ(err, aios_ioctl(self->sub, AIOS_IOC_TASK_SUBMIT, &s)); \
	} while (0)
	S(s.flags = 2, -EINVAL);
	S(s.reserved0 = 1, -EINVAL);
	S(s.reserved[0] = 1, -EINVAL);
	S(s.reserved[1] = 1, -EINVAL);
	S(s.prio = 4, -EINVAL);
	S(s.queue_id = 0, -ENOENT);
	S(s.queue_id = 0x7ffffff0, -ENOENT);
	S((s.payload = (__u64)(uintptr_t)big, s.payload_len = 17), -EMSGSIZE);
	S((s.payload = 8, s.payload_len = 16), -EFAULT);
#undef S
	EXPECT_EQ(0, aios_submit(self->sub, id, 0, big, 16, 0, 0, NULL));
	EXPECT_EQ(0, aios_submit(self->sub, id, 0, big, 0, 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, aios_submit(self->sub, id, 0, big, 1,
				       AIOS_SUBMIT_NONBLOCK, 0, NULL));
}

/* A blocked submitter proceeds when a fetch makes room. */
TEST_F(q, submit_blocks_on_full_queue_until_room)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_FIFO, 1);
	struct aios_task_fetch f;
	struct aios_t_queue qs;
	__u64 v;
	pid_t pid;
	__u32 id;

	c.max_depth = 1;
	id = mkq(self, c);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, NULL));
	CHILD(pid) {
		int fd = aios_new_agent("blocked-submit", NULL);

		_exit(fd < 0 ? 70 :
		      aios_submit_u64(fd, id, AIOS_PRIO_NORMAL, 2, NULL) ? 71 : 0);
	}
	ASSERT_EQ(0, aios_wait_blocked(pid));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(1, qs.submitted);
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(0, aios_wait(pid));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(2, qs.submitted);
	/* The submitter died: its queued task was cancelled. */
	EXPECT_EQ(1, qs.cancelled);
}

TEST_F(q, fetch_bad_input)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_t_queue qs;
	char buf[8];
	__u64 v;
	int ready = aios_open_ready();

	ASSERT_NE(0, id);
	ASSERT_LE(0, ready);
#define F(mod, err) do {						\
		memset(&f, 0, sizeof(f));				\
		f.size = sizeof(f);					\
		f.queue_id = id;					\
		f.flags = AIOS_FETCH_NONBLOCK;				\
		f.payload = (__u64)(uintptr_t)buf;			\
		f.payload_cap = sizeof(buf);				\
		mod;							\
		EXPECT_EQ(err, aios_ioctl(self->wrk, AIOS_IOC_TASK_FETCH, &f)); \
	} while (0)
	F(f.flags = 2, -EINVAL);
	F(f.reserved0 = 1, -EINVAL);
	F(f.reserved[1] = 1, -EINVAL);
	F(f.timeout_ms = -2, -EINVAL);
	F(f.queue_id = 0x7ffffff0, -ENOENT);
	F((void)0, -EAGAIN);
	F((f.flags = 0, f.timeout_ms = 10), -ETIMEDOUT);
	ASSERT_EQ(0, aios_submit(self->sub, id, 0, "0123456789", 10, 0, 0, NULL));
	F((void)0, -EMSGSIZE);
	EXPECT_EQ(10, f.payload_len);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(1, qs.depth);		/* nothing was taken */
	EXPECT_EQ(0, qs.running);
	F((f.payload = 8, f.payload_cap = 16), -EFAULT);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(1, qs.depth);		/* given back */
	EXPECT_EQ(0, qs.running);
#undef F
	/* Not an agent file. */
	EXPECT_EQ(-EBADFD, aios_fetch_u64(ready, id, &v, &f));
	close(ready);
}

TEST_F(q, progress_complete_bad_input)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_progress p;
	struct aios_task_complete c;
	struct aios_task_fetch f;
	char big[65537] = { 0 };
	__u64 t, v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &t));
	/* Not fetched by anyone yet. */
	EXPECT_EQ(-EPERM, aios_progress(self->wrk, t, 1, NULL));
	EXPECT_EQ(-EPERM, aios_complete(self->wrk, t, 0, NULL, 0, 0, 0));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	/* Fetched by wrk, not by sub. */
	EXPECT_EQ(-EPERM, aios_progress(self->sub, t, 1, NULL));
	EXPECT_EQ(-EPERM, aios_complete(self->sub, t, 0, NULL, 0, 0, 0));
	EXPECT_EQ(-ENOENT, aios_progress(self->wrk, 1ULL << 60, 1, NULL));
	EXPECT_EQ(-ENOENT, aios_complete(self->wrk, 1ULL << 60, 0, NULL, 0, 0, 0));

#define P(mod, err) do {						\
		memset(&p, 0, sizeof(p));				\
		p.size = sizeof(p);					\
		p.task_id = t;						\
		mod;							\
		EXPECT_EQ(err, aios_ioctl(self->wrk, AIOS_IOC_TASK_PROGRESS, &p)); \
	} while (0)
	P(p.percent = 101, -EINVAL);
	P(p.flags = 1, -EINVAL);
	P(p.reserved[0] = 1, -EINVAL);
	P(p.percent = 50, 0);
#undef P
#define C(mod, err) do {						\
		memset(&c, 0, sizeof(c));				\
		c.size = sizeof(c);					\
		c.task_id = t;						\
		mod;							\
		EXPECT_EQ(err, aios_ioctl(self->wrk, AIOS_IOC_TASK_COMPLETE, &c)); \
	} while (0)
	C(c.flags = 2, -EINVAL);
	C(c.reserved[1] = 1, -EINVAL);
	C(c.error = 1, -EINVAL);
	C(c.error = -5000, -EINVAL);
	C((c.error = -EIO, c.result = (__u64)(uintptr_t)big, c.result_len = 1),
	  -EINVAL);
	C((c.flags = AIOS_COMPLETE_YIELD, c.error = -EIO), -EINVAL);
	C((c.flags = AIOS_COMPLETE_YIELD, c.result = (__u64)(uintptr_t)big,
	   c.result_len = 1), -EINVAL);
	C(c.context_ref = 5, -EINVAL);
	C((c.result = (__u64)(uintptr_t)big, c.result_len = 65537), -EMSGSIZE);
	C((c.result = 8, c.result_len = 64), -EFAULT);
	C((void)0, 0);
	C((void)0, -EALREADY);		/* double completion */
	EXPECT_EQ(-EALREADY, aios_progress(self->wrk, t, 1, NULL));
#undef C
}

TEST_F(q, wait_and_cancel_bad_input)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_cancel cn;
	struct aios_task_wait w;
	struct aios_task_fetch f;
	char res[4], ok[64];
	__u64 t, v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &t));
	EXPECT_EQ(-ENOENT, aios_twait(self->sub, 1ULL << 60, 0, 0, NULL, 0, &w));
	EXPECT_EQ(-EINVAL, aios_twait(self->sub, t, -2, 0, NULL, 0, &w));
	EXPECT_EQ(-EINVAL, aios_twait(self->sub, t, 0, 4, NULL, 0, &w));
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.task_id = t;
	w.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->sub, AIOS_IOC_TASK_WAIT, &w));

	/* Not final: NONBLOCK reports, a timeout says ETIMEDOUT + state. */
	ASSERT_EQ(0, aios_twait(self->sub, t, 0, AIOS_WAIT_NONBLOCK, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_QUEUED, w.state);
	EXPECT_EQ(-ETIMEDOUT, aios_twait(self->sub, t, 10, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_QUEUED, w.state);

	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	ASSERT_EQ(0, aios_complete(self->wrk, t, 0, "result", 6, 0, 0));
	EXPECT_EQ(-EMSGSIZE, aios_twait(self->sub, t, 0, 0, res, sizeof(res), &w));
	EXPECT_EQ(6, w.result_len);
	EXPECT_EQ(AIOS_TASK_DONE, w.state);
	EXPECT_EQ(-EFAULT, aios_twait(self->sub, t, 0, 0, (void *)8, 64, &w));
	ASSERT_EQ(0, aios_twait(self->sub, t, 0, 0, ok, sizeof(ok), &w));
	EXPECT_EQ(0, memcmp(ok, "result", 6));
	EXPECT_EQ(-ENOENT, aios_twait(self->sub, t, 0, 0, NULL, 0, &w));

	EXPECT_EQ(-ENOENT, aios_cancel(self->sub, t));
	EXPECT_EQ(-ENOENT, aios_cancel(self->sub, 1ULL << 60));
	memset(&cn, 0, sizeof(cn));
	cn.size = sizeof(cn);
	cn.task_id = t;
	cn.flags = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->sub, AIOS_IOC_TASK_CANCEL, &cn));
	cn.flags = 0;
	cn.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->sub, AIOS_IOC_TASK_CANCEL, &cn));
}

TEST_F(q, attach_bad_input)
{
	struct aios_queue_attach a;
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));

	ASSERT_NE(0, id);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.queue_id = id;
	a.flags = 2;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->wrk, AIOS_IOC_QUEUE_ATTACH, &a));
	a.flags = 0;
	a.reserved0 = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->wrk, AIOS_IOC_QUEUE_ATTACH, &a));
	a.reserved0 = 0;
	a.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(self->wrk, AIOS_IOC_QUEUE_ATTACH, &a));
}

TEST_F(q, only_submitter_waits_or_cancels_only_worker_completes)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	__u64 t, v;
	pid_t pid;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &t));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	CHILD(pid) {
		struct aios_task_wait w;
		struct aios_denial d;
		int fd;

		if (aios_drop_privs())
			_exit(80);
		fd = aios_new_agent("stranger", NULL);
		if (fd < 0)
			_exit(81);
		if (aios_twait(fd, t, 0, 0, NULL, 0, &w) != -EPERM)
			_exit(82);
		if (aios_cancel(fd, t) != -EPERM)
			_exit(83);
		if (aios_last_denial(fd, &d) || d.op != AIOS_OP_TASK_CANCEL)
			_exit(84);
		if (aios_complete(fd, t, 0, NULL, 0, 0, 0) != -EPERM)
			_exit(85);
		if (aios_progress(fd, t, 5, NULL) != -EPERM)
			_exit(86);
		_exit(0);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/* ---- signals ---------------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int set_handler(bool restart)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

TEST_F_TIMEOUT(q, signals_interrupt_blocking_calls, 60)
{
	struct aios_t_qcfg c = qcfg(AIOS_ALGO_FIFO, 1);
	__u32 empty, full;
	__u64 t;
	pid_t pid;

	empty = mkq(self, c);
	c.max_depth = 1;
	full = mkq(self, c);
	ASSERT_NE(0, empty);
	ASSERT_NE(0, full);
	ASSERT_EQ(0, aios_submit_u64(self->sub, full, AIOS_PRIO_NORMAL, 1, &t));
	CHILD(pid) {
		struct aios_task_fetch f;
		struct aios_task_wait w;
		int fd = aios_new_agent("signalled", NULL);
		__u64 v, mine;

		if (fd < 0 || set_handler(false))
			_exit(90);
		/* Unbounded waits: ERESTARTSYS, seen as EINTR without SA_RESTART. */
		if (aios_fetch(fd, empty, -1, 0, &v, 8, &f) != -EINTR)
			_exit(91);
		if (aios_submit_u64(fd, full, AIOS_PRIO_NORMAL, 2, NULL) != -EINTR)
			_exit(92);
		/* Bounded waits: EINTR. */
		if (aios_fetch(fd, empty, 30000, 0, &v, 8, &f) != -EINTR)
			_exit(93);
		if (aios_submit_u64(fd, empty, AIOS_PRIO_NORMAL, 3, &mine))
			_exit(94);
		if (aios_twait(fd, mine, 30000, 0, NULL, 0, &w) != -EINTR)
			_exit(95);
		if (aios_twait(fd, mine, -1, 0, NULL, 0, &w) != -EINTR)
			_exit(96);
		_exit(got_signal == SIGUSR1 ? 0 : 97);
	}
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, aios_wait_blocked(pid));
		usleep(20 * 1000);
		kill(pid, SIGUSR1);
		/* Let it leave the call before looking for the next one. */
		usleep(100 * 1000);
	}
	EXPECT_EQ(0, aios_wait(pid));
}

TEST_F_TIMEOUT(q, sa_restart_resumes_unbounded_fetch, 60)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	pid_t pid;

	ASSERT_NE(0, id);
	CHILD(pid) {
		struct aios_task_fetch f;
		int fd = aios_new_agent("restarted", NULL);
		__u64 v = 0;

		if (fd < 0 || set_handler(true))
			_exit(100);
		if (aios_fetch(fd, id, -1, 0, &v, 8, &f))
			_exit(101);
		_exit(v == 42 && got_signal == SIGUSR1 ? 0 : 102);
	}
	ASSERT_EQ(0, aios_wait_blocked(pid));
	kill(pid, SIGUSR1);
	usleep(100 * 1000);
	ASSERT_EQ(0, aios_wait_blocked(pid));	/* restarted, blocked again */
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 42, NULL));
	EXPECT_EQ(0, aios_wait(pid));
}

/* ---- memory ----------------------------------------------------------------------- */

static long read_param(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/aios/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

TEST_F(q, quota_without_alloc_memory)
{
	static char chunk[4096];
	long quota = read_param("queue_quota_bytes");
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_wait w;
	struct aios_denial d;
	__u64 child_id, first = 0, t;
	long n = 0;
	int fd, ret;

	ASSERT_NE(0, id);
	ASSERT_LT(0, quota);
	fd = aios_spawn(self->sub, AIOS_SPAWN_CAPS | AIOS_SPAWN_CLOEXEC,
			"no-alloc", 0, AIOS_CAP_SPAWN_AGENT, &child_id);
	ASSERT_LE(0, fd);
	for (;;) {
		ret = aios_submit(fd, id, 0, chunk, sizeof(chunk), 0, 0, &t);
		if (ret)
			break;
		if (!first)
			first = t;
		n++;
		ASSERT_LT(n * (long)sizeof(chunk), quota + 1);
	}
	EXPECT_EQ(-EPERM, ret);
	EXPECT_EQ(quota / (long)sizeof(chunk), n);
	ASSERT_EQ(0, aios_last_denial(fd, &d));
	EXPECT_EQ(AIOS_OP_TASK_SUBMIT, d.op);
	EXPECT_EQ(AIOS_CAP_ALLOC_MEMORY, d.cap_required);
	EXPECT_NE(NULL, strstr(d.reason, "ALLOC_MEMORY"));

	/* An agent with ALLOC_MEMORY is not held to the small quota. */
	for (long i = 0; i <= quota / (long)sizeof(chunk); i++)
		ASSERT_EQ(0, aios_submit(self->sub, id, 0, chunk, sizeof(chunk),
					 0, 0, NULL));

	/* Freed bytes can be used again. */
	ASSERT_EQ(0, aios_cancel(fd, first));
	ASSERT_EQ(0, aios_twait(fd, first, 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_CANCELLED, w.state);
	EXPECT_EQ(-ECANCELED, w.error);
	EXPECT_EQ(0, aios_submit(fd, id, 0, chunk, sizeof(chunk), 0, 0, NULL));
	close(fd);
}

TEST_F(q, large_payload_and_result_round_trip)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	static unsigned char in[65536], got[65536], out[65536], res[65536];
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 t;

	ASSERT_NE(0, id);
	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (unsigned char)(i * 7 + 3);
		out[i] = (unsigned char)(i * 13 + 1);
	}
	ASSERT_EQ(0, aios_submit(self->sub, id, 0, in, sizeof(in), 0, 0, &t));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_LT(sizeof(in), qs.kmem);
	ASSERT_EQ(0, aios_fetch(self->wrk, id, 0, AIOS_FETCH_NONBLOCK, got,
				sizeof(got), &f));
	EXPECT_EQ(sizeof(in), f.payload_len);
	EXPECT_EQ(0, memcmp(in, got, sizeof(in)));
	EXPECT_EQ(self->sub_id, f.submitter_id);
	EXPECT_EQ(id, f.fetched_queue_id);
	ASSERT_EQ(0, aios_complete(self->wrk, t, 0, out, sizeof(out), 0, 0));
	ASSERT_EQ(0, aios_twait(self->sub, t, 0, 0, res, sizeof(res), &w));
	EXPECT_EQ(sizeof(out), w.result_len);
	EXPECT_EQ(100, w.progress);
	EXPECT_EQ(0, memcmp(out, res, sizeof(out)));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(0, qs.kmem);
}

/* ---- deadlines, cancel, accounting ---------------------------------------------------- */

TEST_F(q, deadline_fails_queued_and_running_tasks)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 past, soon, run, v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit(self->sub, id, 0, &v, 8, 0,
				 aios_mono_ns() - 1, &past));
	ASSERT_EQ(0, aios_twait(self->sub, past, -1, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_FAILED, w.state);
	EXPECT_EQ(AIOS_FAIL_DEADLINE, w.fail);
	EXPECT_EQ(-ETIME, w.error);

	ASSERT_EQ(0, aios_submit(self->sub, id, 0, &v, 8, 0,
				 aios_mono_ns() + 30 * MS, &soon));
	ASSERT_EQ(0, aios_twait(self->sub, soon, -1, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_FAIL_DEADLINE, w.fail);
	EXPECT_EQ(0, w.runs);

	ASSERT_EQ(0, aios_submit(self->sub, id, 0, &v, 8, 0,
				 aios_mono_ns() + 300 * MS, &run));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	ASSERT_EQ(0, aios_twait(self->sub, run, -1, AIOS_WAIT_PEEK, NULL, 0, &w));
	EXPECT_EQ(AIOS_FAIL_DEADLINE, w.fail);
	EXPECT_EQ(1, w.runs);
	/* The worker still holds the slot until it gives the task back. */
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 9, NULL));
	EXPECT_EQ(-EAGAIN, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(-EALREADY, aios_progress(self->wrk, run, 50, NULL));
	EXPECT_EQ(0, aios_complete(self->wrk, run, 0, NULL, 0, 0, 0));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	EXPECT_EQ(9, v);
	ASSERT_EQ(0, aios_twait(self->sub, run, 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_FAILED, w.state);
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(3, qs.failed);
	EXPECT_TRUE(aios_q_accounted(&qs));
}

TEST_F(q, cancel_queued_and_running)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 a, b, v;

	ASSERT_NE(0, id);
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &a));
	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 2, &b));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	ASSERT_EQ(0, aios_cancel(self->sub, a));
	ASSERT_EQ(0, aios_cancel(self->sub, b));
	ASSERT_EQ(0, aios_twait(self->sub, a, 0, AIOS_WAIT_PEEK, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_CANCELLED, w.state);
	EXPECT_EQ(-ECANCELED, w.error);
	EXPECT_EQ(-EALREADY, aios_cancel(self->sub, a));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(2, qs.cancelled);
	EXPECT_EQ(0, qs.depth);
	EXPECT_EQ(0, qs.running);
	EXPECT_TRUE(aios_q_accounted(&qs));
	EXPECT_EQ(-EALREADY, aios_progress(self->wrk, a, 10, NULL));
	EXPECT_EQ(0, aios_complete(self->wrk, a, 0, "x", 1, 0, 0));
	ASSERT_EQ(0, aios_twait(self->sub, a, 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_CANCELLED, w.state);	/* result discarded */
	EXPECT_EQ(0, w.result_len);
	ASSERT_EQ(0, aios_twait(self->sub, b, 0, 0, NULL, 0, &w));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(0, qs.kmem);
}

TEST_F(q, stats_account_for_every_task)
{
	__u32 id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	struct aios_task_fetch f;
	struct aios_task_wait w;
	struct aios_t_queue qs;
	__u64 t[6], v;

	ASSERT_NE(0, id);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, i,
					     &t[i]));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
		ASSERT_EQ(0, aios_complete(self->wrk, t[i], i == 2 ? -EIO : 0,
					   NULL, 0, 0, 0));
	}
	ASSERT_EQ(0, aios_twait(self->sub, t[2], 0, 0, NULL, 0, &w));
	EXPECT_EQ(AIOS_TASK_FAILED, w.state);
	EXPECT_EQ(AIOS_FAIL_WORKER, w.fail);
	EXPECT_EQ(-EIO, w.error);
	ASSERT_EQ(0, aios_cancel(self->sub, t[5]));
	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	ASSERT_EQ(0, aios_nl_qget(&self->nl, id, NULL, &qs));
	EXPECT_EQ(6, qs.submitted);
	EXPECT_EQ(2, qs.completed);
	EXPECT_EQ(1, qs.failed);
	EXPECT_EQ(1, qs.cancelled);
	EXPECT_EQ(1, qs.depth);
	EXPECT_EQ(1, qs.running);
	EXPECT_TRUE(aios_q_accounted(&qs));
	EXPECT_EQ(2, qs.per_min);
	EXPECT_LE(1, qs.wait_p50);
	EXPECT_LE(qs.wait_p50, qs.wait_p99);
	EXPECT_LE(1, qs.run_p50);
	EXPECT_LE(qs.run_p50, qs.run_p99);
	EXPECT_LT(0, qs.kmem);
}

/* ---- audit and events ---------------------------------------------------------------- */

static bool queue_id_match(struct nlattr **tb, void *arg)
{
	struct aios_t_queue q;

	return !aios_parse_queue(tb[AIOS_A_QUEUE], &q) && q.id == *(__u32 *)arg;
}

static bool task_id_match(struct nlattr **tb, void *arg)
{
	struct aios_t_task t;

	return !aios_parse_task(tb[AIOS_A_TASK], &t) && t.id == *(__u64 *)arg &&
	       t.fail == AIOS_FAIL_WORKER && t.error == -EPROTO;
}

TEST_F(q, audit_records_and_events)
{
	struct aios_t_status st;
	struct aios_t_audit rec;
	struct aios_task_fetch f;
	struct aios_nl ev;
	__u64 t, u, v;
	__u32 id;

	ASSERT_EQ(0, aios_nl_open(&ev));
	ASSERT_EQ(0, aios_nl_join(&ev, AIOS_MCGRP_EVENTS));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	id = mkq(self, qcfg(AIOS_ALGO_FIFO, 1));
	ASSERT_NE(0, id);
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_QUEUE_NEW,
					queue_id_match, &id, 5000));
	EXPECT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_QUEUE_CREATE, id, NULL));

	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 1, &t));
	ASSERT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_SUBMIT, t, &rec));
	EXPECT_EQ(self->sub_id, rec.agent_id);
	EXPECT_EQ(0, rec.result);
	EXPECT_EQ(-ENOENT, aios_submit_u64(self->sub, 0x7ffffff0,
					   AIOS_PRIO_NORMAL, 1, NULL));
	ASSERT_LE(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_SUBMIT, 0, &rec));
	EXPECT_EQ(-ENOENT, rec.result);

	ASSERT_EQ(0, aios_fetch_u64(self->wrk, id, &v, &f));
	ASSERT_EQ(0, aios_complete(self->wrk, t, -EPROTO, NULL, 0, 0, 0));
	ASSERT_EQ(1, audit_find(&self->nl, st.next_seq - 1, AIOS_OP_TASK_FAIL,
				t, &rec));
	EXPECT_EQ(AIOS_FAIL_WORKER, rec.result);
	EXPECT_EQ(self->wrk_id, rec.agent_id);
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_TASK_FAILED,
					task_id_match, &t, 5000));

	ASSERT_EQ(0, aios_submit_u64(self->sub, id, AIOS_PRIO_NORMAL, 2, &u));
	ASSERT_EQ(0, aios_cancel(self->sub, u));
	ASSERT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_TASK_CANCEL, u, &rec));
	EXPECT_EQ(self->sub_id, rec.agent_id);

	ASSERT_EQ(0, aios_nl_qdestroy(&self->nl, -1, id, 0, NULL, 0));
	EXPECT_EQ(1, audit_find(&self->nl, st.next_seq - 1,
				AIOS_OP_QUEUE_DESTROY, id, NULL));
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_QUEUE_DEL,
					queue_id_match, &id, 5000));
	aios_nl_close(&ev);
}

TEST_HARNESS_MAIN
