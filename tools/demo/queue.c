// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: task scheduler queues.
 *
 * Three agents of different priority classes share a PRIORITY queue and
 * are served highest class first; a ROUND_ROBIN worker is told to yield
 * when its slice runs out and later resumes the task with the context
 * reference it left (the AIOS context switch); a worker is SIGKILLed in
 * the middle of a task and the kernel requeues the task for another
 * worker.  The agents run unprivileged; the administrator made the
 * queues.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

#define CHECK(cond, code, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "demo queue agent: " __VA_ARGS__); \
			fputc('\n', stderr);				\
			return (code);					\
		}							\
	} while (0)

struct queues {
	uint32_t prio_q, rr_q, fifo_q;
};

static struct aios *agent(const char *name, unsigned int prio)
{
	struct aios *h = aios_new();

	if (!h || aios_open(h) || aios_register(h, name, prio, NULL)) {
		fprintf(stderr, "%s: %s\n", name, h ? aios_errmsg(h) : "ENOMEM");
		_exit(70);
	}
	return h;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Submitters of three classes, one worker: served CRITICAL first. */
static int priority_order(uint32_t q)
{
	static const struct { const char *name; unsigned int prio; } who[] = {
		{ "tester", AIOS_PRIO_LOW },
		{ "coder", AIOS_PRIO_NORMAL },
		{ "planner", AIOS_PRIO_CRITICAL },
	};
	struct aios *sub[3], *w = agent("worker", AIOS_PRIO_NORMAL);
	struct aios_task_result res;
	struct aios_fetched f;
	uint64_t task[3];
	char buf[64];
	int i, err;

	for (i = 0; i < 3; i++) {
		sub[i] = agent(who[i].name, who[i].prio);
		snprintf(buf, sizeof(buf), "job of %s", who[i].name);
		err = aios_task_submit(sub[i], q, who[i].prio, buf, strlen(buf),
				       0, 0, &task[i]);
		CHECK(!err, 71, "submit: %s", aios_errmsg(sub[i]));
		say("%-8s (%s) submitted task %" PRIu64 "\n", who[i].name,
		    aios_prio_name(who[i].prio), task[i]);
	}
	for (i = 2; i >= 0; i--) {
		err = aios_task_fetch(w, q, 1000, 0, buf, sizeof(buf) - 1, &f);
		CHECK(!err, 72, "fetch: %s", aios_errmsg(w));
		buf[f.len] = '\0';
		say("worker fetched task %" PRIu64 " (%s): \"%s\"\n", f.task_id,
		    aios_prio_name(f.prio), buf);
		CHECK(f.task_id == task[i], 73,
		      "expected task %" PRIu64 " next", task[i]);
		err = aios_task_complete(w, f.task_id, 0, "done", 4);
		CHECK(!err, 74, "complete: %s", aios_errmsg(w));
	}
	for (i = 0; i < 3; i++) {
		err = aios_task_wait(sub[i], task[i], 1000, 0, buf, sizeof(buf),
				     &res);
		CHECK(!err && res.state == AIOS_TASK_DONE, 75, "wait: %s",
		      aios_errmsg(sub[i]));
		aios_close(sub[i]);
	}
	aios_close(w);
	return 0;
}

/* The AIOS context switch on a ROUND_ROBIN queue. */
static int rr_switch(uint32_t q)
{
	struct aios *sub = agent("planner.rr", AIOS_PRIO_NORMAL);
	struct aios *w = agent("rr-worker", AIOS_PRIO_NORMAL);
	struct aios_task_result res;
	struct aios_fetched f;
	uint64_t a, b;
	bool yield = false;
	char buf[64];
	int err, i;

	err = aios_task_submit(sub, q, AIOS_PRIO_NORMAL, "long job", 8, 0, 0, &a);
	err = err ?: aios_task_submit(sub, q, AIOS_PRIO_NORMAL, "short job", 9,
				      0, 0, &b);
	CHECK(!err, 76, "submit: %s", aios_errmsg(sub));

	err = aios_task_fetch(w, q, 1000, 0, buf, sizeof(buf), &f);
	CHECK(!err && f.task_id == a && !f.context_ref, 77, "first fetch");
	say("rr-worker runs task %" PRIu64 " (slice %" PRIu64 " ms, fresh start)\n",
	    a, f.slice_ns / 1000000);
	for (i = 0; i < 100 && !yield; i++) {
		sleep_ms(20);	/* "work" until the kernel says the slice is over */
		err = aios_task_progress(w, a, 30, &yield);
		CHECK(!err, 78, "progress: %s", aios_errmsg(w));
	}
	CHECK(yield, 79, "the slice never ran out");
	err = aios_task_yield(w, a, 3);	/* checkpoint: "resume at step 3" */
	CHECK(!err, 80, "yield: %s", aios_errmsg(w));
	say("rr-worker: slice over, task %" PRIu64 " yielded with context ref 3\n", a);

	err = aios_task_fetch(w, q, 1000, 0, buf, sizeof(buf), &f);
	CHECK(!err && f.task_id == b, 81, "the short job should run next");
	say("rr-worker runs task %" PRIu64 " and completes it\n", b);
	err = aios_task_complete(w, b, 0, "ok", 2);
	CHECK(!err, 82, "complete: %s", aios_errmsg(w));

	err = aios_task_fetch(w, q, 1000, 0, buf, sizeof(buf), &f);
	CHECK(!err && f.task_id == a && f.context_ref == 3 && f.runs == 2, 83,
	      "task %" PRIu64 " should resume with context ref 3", a);
	say("rr-worker resumes task %" PRIu64 " from context ref %" PRIu64
	    " (run %u) and completes it\n", a, f.context_ref, f.runs);
	err = aios_task_complete(w, a, 0, "ok", 2);
	CHECK(!err, 84, "complete: %s", aios_errmsg(w));
	err = aios_task_wait(sub, a, 1000, 0, buf, sizeof(buf), &res);
	CHECK(!err && res.state == AIOS_TASK_DONE && res.runs == 2, 85,
	      "wait: %s", aios_errmsg(sub));
	err = aios_task_wait(sub, b, 1000, 0, buf, sizeof(buf), &res);
	CHECK(!err && res.state == AIOS_TASK_DONE, 86, "wait b");
	aios_close(w);
	aios_close(sub);
	return 0;
}

/* A worker dies mid-task: the task is requeued and done by another. */
static int worker_death(uint32_t q)
{
	struct aios *sub = agent("coder.jobs", AIOS_PRIO_NORMAL);
	struct aios_task_result res;
	struct aios_fetched f;
	int p[2], status, err;
	uint64_t t;
	char buf[64];
	pid_t pid;

	err = aios_task_submit(sub, q, AIOS_PRIO_NORMAL, "compile", 7, 0, 0, &t);
	CHECK(!err, 87, "submit: %s", aios_errmsg(sub));
	CHECK(!pipe(p), 88, "pipe");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, 88, "fork");
	if (pid == 0) {
		struct aios *w = agent("doomed-worker", AIOS_PRIO_NORMAL);

		if (aios_task_fetch(w, q, 1000, 0, buf, sizeof(buf), &f))
			_exit(1);
		say("doomed-worker (pid %d) fetched task %" PRIu64 "\n",
		    (int)getpid(), f.task_id);
		if (write(p[1], "f", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	CHECK(read(p[0], buf, 1) == 1, 89, "the doomed worker never fetched");
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	say("doomed-worker SIGKILLed in the middle of task %" PRIu64 "\n", t);

	{
		struct aios *w = agent("worker-2", AIOS_PRIO_NORMAL);

		err = aios_task_fetch(w, q, 2000, 0, buf, sizeof(buf), &f);
		CHECK(!err && f.task_id == t, 90, "task %" PRIu64 " was not requeued", t);
		say("worker-2 fetched the requeued task %" PRIu64 " (run %u)\n",
		    f.task_id, f.runs);
		err = aios_task_complete(w, t, 0, "built", 5);
		CHECK(!err, 91, "complete: %s", aios_errmsg(w));
		aios_close(w);
	}
	err = aios_task_wait(sub, t, 1000, 0, buf, sizeof(buf), &res);
	CHECK(!err && res.state == AIOS_TASK_DONE, 92, "wait: %s", aios_errmsg(sub));
	say("coder.jobs: task %" PRIu64 " done: \"%.*s\"\n", t, (int)res.len, buf);
	aios_close(sub);
	return 0;
}

typedef int (*qstep_fn)(uint32_t q);

static int run_unprivileged(struct demo *d, qstep_fn fn, uint32_t q)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (pid == 0) {
		drop_privileges();
		_exit(fn(q));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return fail(d, "the agents of this step misbehaved (status 0x%x)",
			    status);
	return 0;
}

static int make_queue(struct demo *d, const char *name, unsigned int algo,
		      uint32_t slice_ms, uint32_t *id)
{
	struct aios_queue_cfg c = {
		.sz = sizeof(c), .name = name, .algo = algo,
		.set = AIOS_QCFG_MAX_CONCURRENT | AIOS_QCFG_MAX_RETRIES |
		       AIOS_QCFG_AGING_MS,
		.max_concurrent = 1, .max_retries = 2, .aging_ms = 60000,
	};

	if (slice_ms) {
		c.set |= AIOS_QCFG_SLICE_MS;
		c.slice_ms = slice_ms;
	}
	if (aios_queue_create(d->admin, &c, id))
		return fail(d, "create queue %s: %s", name, aios_errmsg(d->admin));
	return 0;
}

int demo_queues(struct demo *d)
{
	struct queues q;

	step(d, "three agents share a PRIORITY queue: served by class");
	if (make_queue(d, "work", AIOS_ALGO_PRIORITY, 0, &q.prio_q) ||
	    make_queue(d, "rr", AIOS_ALGO_ROUND_ROBIN, 100, &q.rr_q) ||
	    make_queue(d, "jobs", AIOS_ALGO_FIFO, 0, &q.fifo_q))
		return -1;
	if (run_unprivileged(d, priority_order, q.prio_q))
		return -1;

	step(d, "ROUND_ROBIN: the slice runs out, the task yields and resumes");
	if (run_unprivileged(d, rr_switch, q.rr_q))
		return -1;

	step(d, "a worker dies mid-task: the kernel requeues its task");
	if (run_unprivileged(d, worker_death, q.fifo_q))
		return -1;
	if (aiosctl(d, "queues"))
		return fail(d, "aiosctl queues failed");
	if (aios_queue_destroy(d->admin, q.prio_q, NULL, false) ||
	    aios_queue_destroy(d->admin, q.rr_q, NULL, false) ||
	    aios_queue_destroy(d->admin, q.fifo_q, NULL, false))
		return fail(d, "destroying the empty queues: %s",
			    aios_errmsg(d->admin));
	return 0;
}
