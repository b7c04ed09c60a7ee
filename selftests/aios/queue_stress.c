// SPDX-License-Identifier: GPL-2.0
/*
 * Task queue stress: several submitter processes and worker processes
 * share a PRIORITY queue and a ROUND_ROBIN queue (workers fetch from
 * both through attachments, yield, fail, time out and get SIGKILLed at
 * random points; some submitters are SIGKILLed too).  At the end every
 * task is accounted for (submitted = completed + failed + cancelled,
 * nothing queued or running), no task is left, kernel memory held by
 * tasks is back to 0, the queues can be destroyed without force and no
 * agent of the test remains.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "queue_test.h"
#include "kselftest_harness.h"

#define SUBMITTERS	4
#define DOOMED_SUBS	2	/* of them, SIGKILLed on the way */
#define TASKS		120	/* per submitter */
#define WORKERS		5
#define WORKER_KILLS	12

FIXTURE(qstress) {
	struct aios_nl nl;
	struct aios_t_status base;
	__u32 prio_q, rr_q;
};

FIXTURE_SETUP(qstress)
{
	struct aios_t_qcfg c;
	char name[AIOS_QUEUE_NAME_MAX];

	ASSERT_EQ(0, aios_nl_open(&self->nl));
	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN to create queues");
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
	c = AIOS_QCFG(aios_qname(name, sizeof(name), "sp"), AIOS_ALGO_PRIORITY);
	c.max_concurrent = 3;
	c.max_depth = 64;
	c.max_retries = 2;
	c.aging_ms = 5;
	c.max_payload = 512;
	ASSERT_EQ(0, aios_nl_qcreate(&self->nl, -1, &c, &self->prio_q, NULL, 0));
	c = AIOS_QCFG(aios_qname(name, sizeof(name), "sr"),
		      AIOS_ALGO_ROUND_ROBIN);
	c.max_concurrent = 2;
	c.max_depth = 64;
	c.max_retries = 2;
	c.slice_ms = 1;
	c.max_payload = 512;
	ASSERT_EQ(0, aios_nl_qcreate(&self->nl, -1, &c, &self->rr_q, NULL, 0));
}

FIXTURE_TEARDOWN(qstress)
{
	aios_nl_qdestroy(&self->nl, -1, self->prio_q, AIOS_DESTROY_FORCE,
			 NULL, 0);
	aios_nl_qdestroy(&self->nl, -1, self->rr_q, AIOS_DESTROY_FORCE,
			 NULL, 0);
	aios_nl_close(&self->nl);
}

static __u64 checksum(const unsigned char *p, __u32 len, __u64 seed)
{
	__u64 h = seed * 0x9e3779b97f4a7c15ULL;

	for (__u32 i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Worker: fetch from every attached queue until killed. */
static int worker(__u32 q1, __u32 q2, unsigned int seed)
{
	unsigned char buf[512];
	struct aios_task_fetch f;
	int fd = aios_new_agent("qs-worker", NULL);
	__u64 res;
	int ret;

	if (fd < 0 || aios_attach(fd, q1, 0) || aios_attach(fd, q2, 0))
		return 10;
	srand(seed);
	for (;;) {
		ret = aios_fetch(fd, 0, 200, 0, buf, sizeof(buf), &f);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret)
			return 11;
		if (f.context_ref && (f.context_ref >> 8) != f.task_id)
			return 12;	/* someone else's context */
		switch (rand() % 10) {
		case 0:
			ret = aios_complete(fd, f.task_id, -EIO, NULL, 0, 0, 0);
			break;
		case 1:
		case 2:
			if (f.fetched_queue_id == q2) {
				usleep(1500);	/* past the 1 ms slice */
				ret = aios_progress(fd, f.task_id, 50, NULL);
				if (ret && ret != -EALREADY)
					return 14;
				ret = aios_complete(fd, f.task_id, 0, NULL, 0,
						    AIOS_COMPLETE_YIELD,
						    (f.task_id << 8) |
						    (f.runs & 0xff));
				break;
			}
			/* fall through */
		default:
			usleep(200 + rand() % 3000);
			res = checksum(buf, f.payload_len, f.submitter_id);
			ret = aios_complete(fd, f.task_id, 0, &res, sizeof(res),
					    0, 0);
			break;
		}
		/* Discarded completions of cancelled/expired tasks give 0. */
		if (ret)
			return 15;
	}
}

struct sub_task {
	__u64 id;
	__u64 expect;
	bool cancelled;
};

/* Submitter: submit TASKS tasks, cancel some, collect every one. */
static int submitter(__u32 q1, __u32 q2, unsigned int seed)
{
	static struct sub_task t[TASKS];
	unsigned char buf[512];
	struct aios_task_wait w;
	__u64 me = 0, res, deadline;
	int fd = aios_new_agent("qs-submitter", &me);
	int ret;

	if (fd < 0)
		return 20;
	srand(seed);
	for (int i = 0; i < TASKS; i++) {
		__u32 len = rand() % sizeof(buf);
		__u32 q = rand() % 2 ? q1 : q2;

		for (__u32 j = 0; j < len; j++)
			buf[j] = rand();
		deadline = rand() % 10 == 0 ? aios_mono_ns() + 3000000ULL : 0;
		ret = aios_submit(fd, q, rand() % 4, buf, len, 0, deadline,
				  &t[i].id);
		if (ret)
			return 21;
		t[i].expect = checksum(buf, len, me);
		if (rand() % 10 == 0) {
			ret = aios_cancel(fd, t[i].id);
			if (ret && ret != -EALREADY)
				return 22;
			t[i].cancelled = !ret;
		}
	}
	for (int i = 0; i < TASKS; i++) {
		ret = aios_twait(fd, t[i].id, 60000, 0, &res, sizeof(res), &w);
		if (ret)
			return 23;
		switch (w.state) {
		case AIOS_TASK_DONE:
			if (w.result_len != sizeof(res) || res != t[i].expect)
				return 24;
			break;
		case AIOS_TASK_FAILED:
			if (!(w.fail == AIOS_FAIL_WORKER && w.error == -EIO) &&
			    w.fail != AIOS_FAIL_WORKER_DIED &&
			    w.fail != AIOS_FAIL_DEADLINE)
				return 25;
			break;
		case AIOS_TASK_CANCELLED:
			if (!t[i].cancelled)
				return 26;
			break;
		default:
			return 27;
		}
	}
	return 0;
}

/* Reap submitters that finished; true while any still runs. */
static bool subs_running(pid_t *subs)
{
	bool running = false;
	int st;

	for (int i = DOOMED_SUBS; i < SUBMITTERS; i++) {
		if (subs[i] <= 0)
			continue;
		if (waitpid(subs[i], &st, WNOHANG) == subs[i]) {
			subs[i] = -(WIFEXITED(st) ? WEXITSTATUS(st) : 128);
			continue;
		}
		running = true;
	}
	return running;
}

static pid_t spawn(int (*fn)(__u32, __u32, unsigned int), __u32 q1, __u32 q2,
		   unsigned int seed)
{
	pid_t pid = fork();

	if (!pid)
		_exit(fn(q1, q2, seed));
	return pid;
}

TEST_F_TIMEOUT(qstress, random_kills_leave_nothing_behind, 600)
{
	pid_t subs[SUBMITTERS], workers[WORKERS];
	struct aios_t_queue qs;
	int n, st, alive = SUBMITTERS, kills = 0;
	__u32 qids[2] = { self->prio_q, self->rr_q };

	srand(getpid());
	for (int i = 0; i < WORKERS; i++) {
		workers[i] = spawn(worker, self->prio_q, self->rr_q, 100 + i);
		ASSERT_LT(0, workers[i]);
	}
	for (int i = 0; i < SUBMITTERS; i++) {
		subs[i] = spawn(submitter, self->prio_q, self->rr_q, 200 + i);
		ASSERT_LT(0, subs[i]);
	}

	/*
	 * Kill workers at random moments for as long as submitters run (at
	 * least WORKER_KILLS times), and the doomed submitters on the way.
	 */
	while (kills < WORKER_KILLS || subs_running(subs)) {
		int w = rand() % WORKERS;

		usleep(5000 + rand() % 30000);
		kill(workers[w], SIGKILL);
		EXPECT_EQ(128 + SIGKILL, aios_wait(workers[w]));
		workers[w] = spawn(worker, self->prio_q, self->rr_q,
				   300 + kills);
		ASSERT_LT(0, workers[w]);
		kills++;
		if (kills == 3 || kills == 7) {
			int s = kills == 3 ? 0 : 1;

			kill(subs[s], SIGKILL);
			st = aios_wait(subs[s]);
			/* Done already is fine too. */
			EXPECT_TRUE(st == 128 + SIGKILL || st == 0);
			subs[s] = 0;
			alive--;
		}
	}
	for (int i = 0; i < SUBMITTERS; i++) {
		/* A reaped one holds minus its status. */
		int st = subs[i] > 0 ? aios_wait(subs[i]) : -subs[i];

		EXPECT_EQ(0, st);
	}
	EXPECT_EQ(SUBMITTERS - DOOMED_SUBS, alive);
	for (int i = 0; i < WORKERS; i++) {
		kill(workers[i], SIGKILL);
		EXPECT_EQ(128 + SIGKILL, aios_wait(workers[i]));
	}

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, aios_nl_qget(&self->nl, qids[i], NULL, &qs));
		TH_LOG("queue %u: submitted %llu completed %llu failed %llu cancelled %llu requeued %llu yielded %llu",
		       qids[i], qs.submitted, qs.completed, qs.failed,
		       qs.cancelled, qs.requeued, qs.yielded);
		EXPECT_EQ(0, qs.depth);
		EXPECT_EQ(0, qs.running);
		EXPECT_TRUE(aios_q_accounted(&qs));
		EXPECT_EQ(0, qs.kmem);
		EXPECT_LT(0, qs.completed);
		EXPECT_EQ(0, aios_nl_task_find(&self->nl, qids[i], 0, NULL, &n));
		EXPECT_EQ(0, n);
		EXPECT_EQ(0, aios_nl_qdestroy(&self->nl, -1, qids[i], 0, NULL,
					      0));
	}
	EXPECT_EQ(self->base.agents, aios_wait_agent_count(&self->nl,
							   self->base.agents));
}

TEST_HARNESS_MAIN
