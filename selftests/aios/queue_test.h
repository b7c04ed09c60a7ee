/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the task queue selftests (queue.c, queue_stress.c): the
 * queue netlink commands and the task ioctls.  Like aios_test.h, every
 * helper returns 0 (or a non-negative value) or a negative errno and
 * asserts nothing.
 */
#ifndef AIOS_QUEUE_TEST_H
#define AIOS_QUEUE_TEST_H

#include <sys/mman.h>

#include "aios_test.h"

/* --- queues over netlink ---------------------------------------------- */

struct aios_t_qcfg {
	const char *name;
	int algo;		/* < 0: leave out */
	long long max_concurrent, slice_ms, max_payload, max_depth;
	long long max_retries, aging_ms;	/* < 0: leave out */
};

#define AIOS_QCFG(_name, _algo) ((struct aios_t_qcfg){			\
	.name = (_name), .algo = (_algo), .max_concurrent = -1,		\
	.slice_ms = -1, .max_payload = -1, .max_depth = -1,		\
	.max_retries = -1, .aging_ms = -1 })

struct aios_t_queue {
	__u32 id, algo, max_concurrent, slice_ms, max_payload, max_depth;
	__u32 max_retries, aging_ms, depth, running;
	__u64 submitted, completed, failed, cancelled, requeued, yielded;
	__u64 per_min, wait_p50, wait_p99, run_p50, run_p99, kmem;
	char name[AIOS_QUEUE_NAME_MAX + 1];
	__u64 present;		/* bit per AIOS_QUEUE_A_* */
};

static inline int aios_parse_queue(struct nlattr *nest, struct aios_t_queue *q)
{
	struct nlattr *t[AIOS_QUEUE_A_MAX + 1];

	memset(q, 0, sizeof(*q));
	if (!nest || nla_parse_nested(t, AIOS_QUEUE_A_MAX, nest, NULL))
		return -EBADMSG;
	for (int i = 0; i <= AIOS_QUEUE_A_MAX; i++)
		if (t[i])
			q->present |= 1ULL << i;
#define U32(a, f) do { if (t[a]) q->f = nla_get_u32(t[a]); } while (0)
#define U64(a, f) do { if (t[a]) q->f = nla_get_u64(t[a]); } while (0)
	U32(AIOS_QUEUE_A_ID, id);
	U32(AIOS_QUEUE_A_ALGO, algo);
	U32(AIOS_QUEUE_A_MAX_CONCURRENT, max_concurrent);
	U32(AIOS_QUEUE_A_SLICE_MS, slice_ms);
	U32(AIOS_QUEUE_A_MAX_PAYLOAD, max_payload);
	U32(AIOS_QUEUE_A_MAX_DEPTH, max_depth);
	U32(AIOS_QUEUE_A_MAX_RETRIES, max_retries);
	U32(AIOS_QUEUE_A_AGING_MS, aging_ms);
	U32(AIOS_QUEUE_A_DEPTH, depth);
	U32(AIOS_QUEUE_A_RUNNING, running);
	U64(AIOS_QUEUE_A_SUBMITTED, submitted);
	U64(AIOS_QUEUE_A_COMPLETED, completed);
	U64(AIOS_QUEUE_A_FAILED, failed);
	U64(AIOS_QUEUE_A_CANCELLED, cancelled);
	U64(AIOS_QUEUE_A_REQUEUED, requeued);
	U64(AIOS_QUEUE_A_YIELDED, yielded);
	U64(AIOS_QUEUE_A_PER_MIN, per_min);
	U64(AIOS_QUEUE_A_WAIT_P50_US, wait_p50);
	U64(AIOS_QUEUE_A_WAIT_P99_US, wait_p99);
	U64(AIOS_QUEUE_A_RUN_P50_US, run_p50);
	U64(AIOS_QUEUE_A_RUN_P99_US, run_p99);
	U64(AIOS_QUEUE_A_KMEM_BYTES, kmem);
#undef U32
#undef U64
	if (t[AIOS_QUEUE_A_NAME])
		snprintf(q->name, sizeof(q->name), "%.*s",
			 nla_len(t[AIOS_QUEUE_A_NAME]),
			 (char *)nla_data(t[AIOS_QUEUE_A_NAME]));
	return 0;
}

static inline void aios_put_qcfg(struct nl_msg *m, const struct aios_t_qcfg *c)
{
	struct nlattr *nest = nla_nest_start(m, AIOS_A_QUEUE);

	if (c->name)
		nla_put_string(m, AIOS_QUEUE_A_NAME, c->name);
	if (c->algo >= 0)
		nla_put_u32(m, AIOS_QUEUE_A_ALGO, c->algo);
#define P(a, f) do { if (c->f >= 0) nla_put_u32(m, a, (__u32)c->f); } while (0)
	P(AIOS_QUEUE_A_MAX_CONCURRENT, max_concurrent);
	P(AIOS_QUEUE_A_SLICE_MS, slice_ms);
	P(AIOS_QUEUE_A_MAX_PAYLOAD, max_payload);
	P(AIOS_QUEUE_A_MAX_DEPTH, max_depth);
	P(AIOS_QUEUE_A_MAX_RETRIES, max_retries);
	P(AIOS_QUEUE_A_AGING_MS, aging_ms);
#undef P
	nla_nest_end(m, nest);
}

/* QUEUE_CREATE; *id set on success; extack optional; caller_fd < 0: none */
static inline int aios_nl_qcreate(struct aios_nl *nl, int caller_fd,
				  const struct aios_t_qcfg *c, __u32 *id,
				  char *extack, size_t extack_len)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_QUEUE_CREATE, 0);
	struct aios_t_queue q;
	struct aios_nlreply r;
	int ret;

	if (m && caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, caller_fd);
	if (m)
		aios_put_qcfg(m, c);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	if (!ret) {
		ret = -EBADMSG;
		if (r.n == 1 && !aios_nl_attrs(r.msgs[0], tb) &&
		    !aios_parse_queue(tb[AIOS_A_QUEUE], &q)) {
			if (id)
				*id = q.id;
			ret = 0;
		}
	}
	aios_nlreply_free(&r);
	return ret;
}

/* Put the AIOS_A_QUEUE reference: by id when id != 0, else by name. */
static inline void aios_put_qref(struct nl_msg *m, __u32 id, const char *name)
{
	struct nlattr *nest = nla_nest_start(m, AIOS_A_QUEUE);

	if (id)
		nla_put_u32(m, AIOS_QUEUE_A_ID, id);
	if (name)
		nla_put_string(m, AIOS_QUEUE_A_NAME, name);
	nla_nest_end(m, nest);
}

static inline int aios_nl_qdestroy(struct aios_nl *nl, int caller_fd,
				   __u32 id, __u32 flags, char *extack,
				   size_t extack_len)
{
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_QUEUE_DESTROY, 0);
	struct aios_nlreply r;
	int ret;

	if (m && caller_fd >= 0)
		nla_put_u32(m, AIOS_A_CALLER_FD, caller_fd);
	if (m && flags)
		nla_put_u32(m, AIOS_A_FLAGS, flags);
	if (m)
		aios_put_qref(m, id, NULL);
	ret = aios_nl_xfer(nl, m, &r);
	if (extack)
		snprintf(extack, extack_len, "%s", r.extack);
	aios_nlreply_free(&r);
	return ret;
}

/* QUEUE_GET by id (id != 0) or name. */
static inline int aios_nl_qget(struct aios_nl *nl, __u32 id, const char *name,
			       struct aios_t_queue *q)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_QUEUE_GET, 0);
	struct aios_nlreply r;
	int ret;

	if (m)
		aios_put_qref(m, id, name);
	ret = aios_nl_xfer(nl, m, &r);
	if (!ret) {
		ret = -EBADMSG;
		if (r.n == 1 && !aios_nl_attrs(r.msgs[0], tb))
			ret = aios_parse_queue(tb[AIOS_A_QUEUE], q);
	}
	aios_nlreply_free(&r);
	return ret;
}

/* Is queue id in the QUEUE_GET dump?  1 yes, 0 no, -errno. */
static inline int aios_nl_qin_dump(struct aios_nl *nl, __u32 id)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_t_queue q;
	struct aios_nlreply r;
	int ret, found = 0;

	ret = aios_nl_xfer(nl, aios_nl_msg(nl, AIOS_CMD_QUEUE_GET, NLM_F_DUMP),
			   &r);
	for (int i = 0; !ret && i < r.n; i++) {
		if (aios_nl_attrs(r.msgs[i], tb) ||
		    aios_parse_queue(tb[AIOS_A_QUEUE], &q))
			ret = -EBADMSG;
		else if (q.id == id)
			found++;
	}
	aios_nlreply_free(&r);
	return ret ? ret : found;
}

struct aios_t_task {
	__u64 id, submitter_id, worker_id, submit_ns, context_ref;
	__u32 queue_id, prio, state, fail, progress, runs, retries;
	__u32 payload_len;
	__s32 error;
};

static inline int aios_parse_task(struct nlattr *nest, struct aios_t_task *t)
{
	struct nlattr *a[AIOS_TASK_A_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (!nest || nla_parse_nested(a, AIOS_TASK_A_MAX, nest, NULL))
		return -EBADMSG;
#define U32(x, f) do { if (a[x]) t->f = nla_get_u32(a[x]); } while (0)
#define U64(x, f) do { if (a[x]) t->f = nla_get_u64(a[x]); } while (0)
	U64(AIOS_TASK_A_ID, id);
	U32(AIOS_TASK_A_QUEUE_ID, queue_id);
	U64(AIOS_TASK_A_SUBMITTER_ID, submitter_id);
	U64(AIOS_TASK_A_WORKER_ID, worker_id);
	U32(AIOS_TASK_A_PRIO, prio);
	U32(AIOS_TASK_A_STATE, state);
	U32(AIOS_TASK_A_FAIL, fail);
	U32(AIOS_TASK_A_PROGRESS, progress);
	U32(AIOS_TASK_A_RUNS, runs);
	U32(AIOS_TASK_A_RETRIES, retries);
	U32(AIOS_TASK_A_PAYLOAD_LEN, payload_len);
	U64(AIOS_TASK_A_SUBMIT_NS, submit_ns);
	U64(AIOS_TASK_A_CONTEXT_REF, context_ref);
	if (a[AIOS_TASK_A_ERROR])
		t->error = (__s32)nla_get_u32(a[AIOS_TASK_A_ERROR]);
#undef U32
#undef U64
	return 0;
}

/* TASK_GET dump of one queue; finds task id: 1 found (copied), 0 not. */
static inline int aios_nl_task_find(struct aios_nl *nl, __u32 qid, __u64 id,
				    struct aios_t_task *out, int *count)
{
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct nl_msg *m = aios_nl_msg(nl, AIOS_CMD_TASK_GET, NLM_F_DUMP);
	struct aios_t_task t;
	struct aios_nlreply r;
	int ret, found = 0;

	if (m && qid)
		aios_put_qref(m, qid, NULL);
	ret = aios_nl_xfer(nl, m, &r);
	if (count)
		*count = 0;
	for (int i = 0; !ret && i < r.n; i++) {
		if (aios_nl_attrs(r.msgs[i], tb) ||
		    aios_parse_task(tb[AIOS_A_TASK], &t)) {
			ret = -EBADMSG;
			break;
		}
		if (qid && t.queue_id != qid) {
			ret = -EPROTO;	/* the filter leaked */
			break;
		}
		if (count)
			(*count)++;
		if (t.id == id) {
			found = 1;
			if (out)
				*out = t;
		}
	}
	aios_nlreply_free(&r);
	return ret ? ret : found;
}

/* --- task ioctls ------------------------------------------------------- */

static inline int aios_attach(int fd, __u32 qid, __u32 flags)
{
	struct aios_queue_attach a = {
		.size = sizeof(a), .flags = flags, .queue_id = qid,
	};

	return aios_ioctl(fd, AIOS_IOC_QUEUE_ATTACH, &a);
}

static inline int aios_submit(int fd, __u32 qid, __u32 prio, const void *p,
			      __u32 len, __u32 flags, __u64 deadline_ns,
			      __u64 *task_id)
{
	struct aios_task_submit s = {
		.size = sizeof(s), .flags = flags, .queue_id = qid,
		.prio = prio, .payload = (__u64)(uintptr_t)p,
		.payload_len = len, .deadline_ns = deadline_ns,
	};
	int ret = aios_ioctl(fd, AIOS_IOC_TASK_SUBMIT, &s);

	if (task_id)
		*task_id = s.task_id;
	return ret;
}

/* Submit a task whose payload is the text of v. */
static inline int aios_submit_u64(int fd, __u32 qid, __u32 prio, __u64 v,
				  __u64 *task_id)
{
	return aios_submit(fd, qid, prio, &v, sizeof(v), 0, 0, task_id);
}

static inline int aios_fetch(int fd, __u32 qid, int timeout_ms, __u32 flags,
			     void *buf, __u32 cap, struct aios_task_fetch *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->flags = flags;
	f->queue_id = qid;
	f->timeout_ms = timeout_ms;
	f->payload = (__u64)(uintptr_t)buf;
	f->payload_cap = cap;
	return aios_ioctl(fd, AIOS_IOC_TASK_FETCH, f);
}

/* Fetch without blocking; payload (a u64) into *v. */
static inline int aios_fetch_u64(int fd, __u32 qid, __u64 *v,
				 struct aios_task_fetch *f)
{
	return aios_fetch(fd, qid, 0, AIOS_FETCH_NONBLOCK, v, sizeof(*v), f);
}

static inline int aios_progress(int fd, __u64 id, __u32 pct, __u32 *yield)
{
	struct aios_task_progress p = {
		.size = sizeof(p), .task_id = id, .percent = pct,
	};
	int ret = aios_ioctl(fd, AIOS_IOC_TASK_PROGRESS, &p);

	if (yield)
		*yield = p.should_yield;
	return ret;
}

static inline int aios_complete(int fd, __u64 id, __s32 error,
				const void *res, __u32 len, __u32 flags,
				__u64 ctx)
{
	struct aios_task_complete c = {
		.size = sizeof(c), .flags = flags, .task_id = id,
		.error = error, .result_len = len,
		.result = (__u64)(uintptr_t)res, .context_ref = ctx,
	};

	return aios_ioctl(fd, AIOS_IOC_TASK_COMPLETE, &c);
}

static inline int aios_twait(int fd, __u64 id, int timeout_ms, __u32 flags,
			     void *buf, __u32 cap, struct aios_task_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->size = sizeof(*w);
	w->flags = flags;
	w->task_id = id;
	w->timeout_ms = timeout_ms;
	w->result = (__u64)(uintptr_t)buf;
	w->result_cap = cap;
	return aios_ioctl(fd, AIOS_IOC_TASK_WAIT, w);
}

static inline int aios_cancel(int fd, __u64 id)
{
	struct aios_task_cancel c = { .size = sizeof(c), .task_id = id };

	return aios_ioctl(fd, AIOS_IOC_TASK_CANCEL, &c);
}

/* A queue name unique to this process and call. */
static inline const char *aios_qname(char *buf, size_t len, const char *tag)
{
	static int n;

	snprintf(buf, len, "t%d-%s-%d", getpid() % 100000, tag, ++n);
	return buf;
}

static inline __u64 aios_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Every submitted task is in exactly one place. */
static inline bool aios_q_accounted(const struct aios_t_queue *q)
{
	return q->submitted == q->completed + q->failed + q->cancelled +
			       q->depth + q->running;
}

#endif /* AIOS_QUEUE_TEST_H */
