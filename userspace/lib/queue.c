// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Task scheduler queues: queue administration and listings over netlink,
 * the task data path over ioctl (Documentation/queues.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "device.h"
#include "nl.h"

/* ---- names ---- */

static const char *const algo_names[] = {
	[AIOS_ALGO_FIFO] = "fifo",
	[AIOS_ALGO_ROUND_ROBIN] = "round_robin",
	[AIOS_ALGO_PRIORITY] = "priority",
};

const char *aios_algo_name(unsigned int algo)
{
	return algo < __AIOS_ALGO_MAX ? algo_names[algo] : NULL;
}

int aios_algo_parse(const char *s, unsigned int *algo)
{
	unsigned int i;

	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "rr")) {
		*algo = AIOS_ALGO_ROUND_ROBIN;
		return 0;
	}
	for (i = 0; i < __AIOS_ALGO_MAX; i++) {
		if (!strcasecmp(s, algo_names[i])) {
			*algo = i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const task_state_names[] = {
	[AIOS_TASK_QUEUED] = "queued",
	[AIOS_TASK_RUNNING] = "running",
	[AIOS_TASK_DONE] = "done",
	[AIOS_TASK_FAILED] = "failed",
	[AIOS_TASK_CANCELLED] = "cancelled",
};

const char *aios_task_state_name(unsigned int state)
{
	return state <= AIOS_TASK_CANCELLED ? task_state_names[state] : NULL;
}

static const char *const task_fail_names[] = {
	[AIOS_FAIL_NONE] = "none",
	[AIOS_FAIL_WORKER] = "worker",
	[AIOS_FAIL_WORKER_DIED] = "worker_died",
	[AIOS_FAIL_DEADLINE] = "deadline",
	[AIOS_FAIL_QUEUE_DESTROYED] = "queue_destroyed",
	[AIOS_FAIL_SUBMITTER_DIED] = "submitter_died",
};

const char *aios_task_fail_name(unsigned int fail)
{
	return fail <= AIOS_FAIL_SUBMITTER_DIED ? task_fail_names[fail] : NULL;
}

/* ---- decoding ---- */

static const struct aiosi_policy qtop_pol[AIOS_A_MAX + 1] = {
	[AIOS_A_QUEUE] = { AIOSI_NEST, 0 },
	[AIOS_A_TASK] = { AIOSI_NEST, 0 },
};

static const struct aiosi_policy queue_pol[AIOS_QUEUE_A_MAX + 1] = {
	[AIOS_QUEUE_A_ID] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_NAME] = { AIOSI_STRING, AIOS_QUEUE_NAME_MAX },
	[AIOS_QUEUE_A_ALGO] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_MAX_CONCURRENT] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_SLICE_MS] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_MAX_PAYLOAD] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_MAX_DEPTH] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_MAX_RETRIES] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_AGING_MS] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_DEPTH] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_RUNNING] = { AIOSI_U32, 0 },
	[AIOS_QUEUE_A_SUBMITTED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_COMPLETED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_FAILED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_CANCELLED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_REQUEUED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_YIELDED] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_PER_MIN] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_WAIT_P50_US] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_WAIT_P99_US] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_RUN_P50_US] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_RUN_P99_US] = { AIOSI_U64, 0 },
	[AIOS_QUEUE_A_KMEM_BYTES] = { AIOSI_U64, 0 },
};

static const struct aiosi_policy task_pol[AIOS_TASK_A_MAX + 1] = {
	[AIOS_TASK_A_ID] = { AIOSI_U64, 0 },
	[AIOS_TASK_A_QUEUE_ID] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_SUBMITTER_ID] = { AIOSI_U64, 0 },
	[AIOS_TASK_A_WORKER_ID] = { AIOSI_U64, 0 },
	[AIOS_TASK_A_PRIO] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_STATE] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_FAIL] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_ERROR] = { AIOSI_S32, 0 },
	[AIOS_TASK_A_PROGRESS] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_RUNS] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_RETRIES] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_PAYLOAD_LEN] = { AIOSI_U32, 0 },
	[AIOS_TASK_A_SUBMIT_NS] = { AIOSI_U64, 0 },
	[AIOS_TASK_A_CONTEXT_REF] = { AIOSI_U64, 0 },
};

static uint64_t present_mask(const struct nlattr **tb, int maxtype)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i <= maxtype && i < 64; i++)
		if (tb[i])
			m |= 1ULL << i;
	return m;
}

/* The top-level attributes of a queue/task message. */
static int parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb,
		     char *detail, size_t dlen)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdr) {
		snprintf(detail, dlen, "message of %u bytes is too short",
			 nlh->nlmsg_len);
		return -EBADMSG;
	}
	return aiosi_attr_parse((const char *)nlh + hdr, nlh->nlmsg_len - hdr,
				qtop_pol, AIOS_A_MAX, tb, detail, dlen);
}

static int aiosi_decode_queue(const struct nlattr *nest, struct aios_queue_info *out,
		       char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_QUEUE_A_MAX + 1];
	const struct nlattr *a;
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       queue_pol, AIOS_QUEUE_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_QUEUE_A_ID]) {
		snprintf(detail, dlen, "queue without AIOS_QUEUE_A_ID");
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
#define U32(x, f) do { if (tb[x]) out->f = aiosi_attr_u32(tb[x]); } while (0)
#define U64(x, f) do { if (tb[x]) out->f = aiosi_attr_u64(tb[x]); } while (0)
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
	U64(AIOS_QUEUE_A_WAIT_P50_US, wait_p50_us);
	U64(AIOS_QUEUE_A_WAIT_P99_US, wait_p99_us);
	U64(AIOS_QUEUE_A_RUN_P50_US, run_p50_us);
	U64(AIOS_QUEUE_A_RUN_P99_US, run_p99_us);
	U64(AIOS_QUEUE_A_KMEM_BYTES, kmem_bytes);
#undef U32
#undef U64
	a = tb[AIOS_QUEUE_A_NAME];
	if (a)
		snprintf(out->name, sizeof(out->name), "%s",
			 (const char *)aiosi_attr_data(a));
	out->present = present_mask(tb, AIOS_QUEUE_A_MAX);
	return 0;
}

static int aiosi_decode_task(const struct nlattr *nest, struct aios_task_info *out,
		      char *detail, size_t dlen)
{
	const struct nlattr *tb[AIOS_TASK_A_MAX + 1];
	int ret;

	ret = aiosi_attr_parse(aiosi_attr_data(nest), aiosi_attr_len(nest),
			       task_pol, AIOS_TASK_A_MAX, tb, detail, dlen);
	if (ret)
		return ret;
	if (!tb[AIOS_TASK_A_ID]) {
		snprintf(detail, dlen, "task without AIOS_TASK_A_ID");
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
#define U32(x, f) do { if (tb[x]) out->f = aiosi_attr_u32(tb[x]); } while (0)
#define U64(x, f) do { if (tb[x]) out->f = aiosi_attr_u64(tb[x]); } while (0)
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
#undef U32
#undef U64
	if (tb[AIOS_TASK_A_ERROR])
		out->error = (int32_t)aiosi_attr_u32(tb[AIOS_TASK_A_ERROR]);
	out->present = (uint32_t)present_mask(tb, AIOS_TASK_A_MAX);
	return 0;
}

/* ---- netlink requests ---- */

/* AIOS_A_QUEUE { ID } when id != 0, else { NAME }. */
static int put_qref(struct nl_msg *m, uint32_t id, const char *name)
{
	struct nlattr *n = nla_nest_start(m, AIOS_A_QUEUE);

	if (!n)
		return -EMSGSIZE;
	if (id ? nla_put_u32(m, AIOS_QUEUE_A_ID, id) :
		 nla_put_string(m, AIOS_QUEUE_A_NAME, name))
		return -EMSGSIZE;
	nla_nest_end(m, n);
	return 0;
}

struct queues_reply {
	struct aios *h;
	const char *what;
	struct aios_queue_info *v;
	size_t n, cap;
	bool tasks;
	struct aios_task_info *tv;
};

static int grow(struct queues_reply *r, size_t elem)
{
	void *p = r->tasks ? (void *)r->tv : (void *)r->v;

	p = aiosi_grow(p, &r->cap, r->n, elem, 16, 0);
	if (!p)
		return -ENOMEM;
	if (r->tasks)
		r->tv = p;
	else
		r->v = p;
	return 0;
}

static int queues_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct queues_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	const struct nlattr *nest;
	int ret;

	ret = parse_top(nlh, tb, detail, sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "%s reply", r->what);
	nest = tb[r->tasks ? AIOS_A_TASK : AIOS_A_QUEUE];
	if (!nest)
		return aiosi_failmsg(r->h, -EBADMSG, "%s: reply without %s",
				     r->what, r->tasks ? "AIOS_A_TASK" :
				     "AIOS_A_QUEUE");
	if (grow(r, r->tasks ? sizeof(*r->tv) : sizeof(*r->v)))
		return aiosi_fail(r->h, -ENOMEM, NULL, "%s", r->what);
	ret = r->tasks ? aiosi_decode_task(nest, &r->tv[r->n], detail,
					   sizeof(detail)) :
			 aiosi_decode_queue(nest, &r->v[r->n], detail,
					    sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "%s reply", r->what);
	r->n++;
	return 0;
}

int aios_queue_create(struct aios *h, const struct aios_queue_cfg *c,
		      uint32_t *id)
{
	struct queues_reply r = { .h = h, .what = "create queue" };
	struct nl_msg *m;
	struct nlattr *n;
	int ret;

	if (!c || c->sz < sizeof(*c) || !c->name)
		return aiosi_failmsg(h, -EINVAL,
				     "create queue: configuration missing, without a name or of an older size (set .sz = sizeof(struct aios_queue_cfg))");
	if (c->algo >= __AIOS_ALGO_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "create queue: unknown algorithm %u (fifo 0, round_robin 1, priority 2)",
				     c->algo);
	ret = aiosi_nl_start(h, AIOS_CMD_QUEUE_CREATE, 0, true, &m, r.what);
	if (ret)
		return ret;
	n = nla_nest_start(m, AIOS_A_QUEUE);
	if (!n || nla_put_string(m, AIOS_QUEUE_A_NAME, c->name) ||
	    nla_put_u32(m, AIOS_QUEUE_A_ALGO, c->algo))
		return aiosi_nl_put_fail(h, m, r.what);
#define OPT(bit, attr, f)						\
	do {								\
		if ((c->set & (bit)) && nla_put_u32(m, attr, c->f))	\
			return aiosi_nl_put_fail(h, m, r.what);		\
	} while (0)
	OPT(AIOS_QCFG_MAX_CONCURRENT, AIOS_QUEUE_A_MAX_CONCURRENT,
	    max_concurrent);
	OPT(AIOS_QCFG_SLICE_MS, AIOS_QUEUE_A_SLICE_MS, slice_ms);
	OPT(AIOS_QCFG_MAX_PAYLOAD, AIOS_QUEUE_A_MAX_PAYLOAD, max_payload);
	OPT(AIOS_QCFG_MAX_DEPTH, AIOS_QUEUE_A_MAX_DEPTH, max_depth);
	OPT(AIOS_QCFG_MAX_RETRIES, AIOS_QUEUE_A_MAX_RETRIES, max_retries);
	OPT(AIOS_QCFG_AGING_MS, AIOS_QUEUE_A_AGING_MS, aging_ms);
#undef OPT
	nla_nest_end(m, n);
	ret = aiosi_nl_request(h, m, queues_cb, &r, r.what);
	if (!ret && r.n != 1)
		ret = aiosi_failmsg(h, -EBADMSG,
				    "create queue: the kernel acknowledged without the new queue");
	if (!ret && id)
		*id = r.v[0].id;
	free(r.v);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_queue_destroy(struct aios *h, uint32_t id, const char *name,
		       bool force)
{
	char what[AIOS_QUEUE_NAME_MAX + 32];
	struct nl_msg *m;
	int ret;

	if (!id && !name)
		return aiosi_failmsg(h, -EINVAL,
				     "destroy queue: give an id or a name");
	if (id)
		snprintf(what, sizeof(what), "destroy queue %u", id);
	else
		snprintf(what, sizeof(what), "destroy queue \"%s\"", name);
	ret = aiosi_nl_start(h, AIOS_CMD_QUEUE_DESTROY, 0, true, &m, what);
	if (ret)
		return ret;
	if (put_qref(m, id, name) ||
	    (force && nla_put_u32(m, AIOS_A_FLAGS, AIOS_DESTROY_FORCE)))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_queue_get(struct aios *h, uint32_t id, const char *name,
		   struct aios_queue_info *out)
{
	struct queues_reply r = { .h = h };
	char what[AIOS_QUEUE_NAME_MAX + 32];
	struct nl_msg *m;
	int ret;

	if (!id && !name)
		return aiosi_failmsg(h, -EINVAL, "queue: give an id or a name");
	if (id)
		snprintf(what, sizeof(what), "queue %u", id);
	else
		snprintf(what, sizeof(what), "queue \"%s\"", name);
	r.what = what;
	ret = aiosi_nl_start(h, AIOS_CMD_QUEUE_GET, 0, false, &m, what);
	if (ret)
		return ret;
	if (put_qref(m, id, name))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, queues_cb, &r, what);
	if (!ret && r.n != 1)
		ret = aiosi_failmsg(h, -EBADMSG, "%s: no queue in the reply",
				    what);
	if (!ret) {
		*out = r.v[0];
		aiosi_clear_err(h);
	}
	free(r.v);
	return ret;
}

int aios_queues(struct aios *h, struct aios_queue_info **list, size_t *n)
{
	struct queues_reply r = { .h = h, .what = "queues" };
	struct nl_msg *m;
	int ret;

	*list = NULL;
	*n = 0;
	ret = aiosi_nl_start(h, AIOS_CMD_QUEUE_GET, NLM_F_DUMP, false, &m,
			     r.what);
	if (ret)
		return ret;
	ret = aiosi_nl_request(h, m, queues_cb, &r, r.what);
	if (ret) {
		free(r.v);
		return ret;
	}
	*list = r.v;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}

int aios_tasks(struct aios *h, uint32_t queue_id,
	       struct aios_task_info **list, size_t *n)
{
	struct queues_reply r = { .h = h, .what = "tasks", .tasks = true };
	struct nl_msg *m;
	int ret;

	*list = NULL;
	*n = 0;
	ret = aiosi_nl_start(h, AIOS_CMD_TASK_GET, NLM_F_DUMP, false, &m,
			     r.what);
	if (ret)
		return ret;
	if (queue_id && put_qref(m, queue_id, NULL))
		return aiosi_nl_put_fail(h, m, r.what);
	ret = aiosi_nl_request(h, m, queues_cb, &r, r.what);
	if (ret) {
		free(r.tv);
		return ret;
	}
	*list = r.tv;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}

/* ---- task ioctls ---- */

/*
 * A blocking ioctl: unlike aiosi_ioctl() an EINTR is returned (a bounded
 * wait the kernel interrupted must not start its timeout over).
 */
static int q_ioctl(struct aios *h, unsigned long req, void *arg,
		   const char *what)
{
	int err;

	if (ioctl(h->fd, req, arg) >= 0)
		return 0;
	err = -errno;
	if (err == -EAGAIN || err == -ETIMEDOUT || err == -EINTR)
		return aiosi_fail(h, err, NULL, "%s", what);
	return aiosi_fail(h, err, aiosi_errno_hint(err), "%s", what);
}

int aios_queue_attach(struct aios *h, uint32_t queue_id, bool detach)
{
	struct aios_queue_attach a;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "%s queue %u",
		 detach ? "detach from" : "attach to", queue_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = detach ? AIOS_ATTACH_DETACH : 0;
	a.queue_id = queue_id;
	ret = aiosi_ioctl(h, AIOS_IOC_QUEUE_ATTACH, &a, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}

int aios_task_submit(struct aios *h, uint32_t queue_id, unsigned int prio,
		     const void *payload, size_t len, uint64_t deadline_ns,
		     unsigned int flags, uint64_t *task_id)
{
	struct aios_task_submit s;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "submit to queue %u", queue_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	if (len > UINT32_MAX)
		return aiosi_failmsg(h, -EMSGSIZE, "%s: payload of %zu bytes",
				     what, len);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = flags;
	s.queue_id = queue_id;
	s.prio = prio;
	s.payload = (uintptr_t)payload;
	s.payload_len = (uint32_t)len;
	s.deadline_ns = deadline_ns;
	ret = aiosi_ioctl(h, AIOS_IOC_TASK_SUBMIT, &s, what);
	if (ret < 0)
		return ret;
	if (task_id)
		*task_id = s.task_id;
	aiosi_clear_err(h);
	return 0;
}

int aios_task_fetch(struct aios *h, uint32_t queue_id, int timeout_ms,
		    unsigned int flags, void *buf, size_t cap,
		    struct aios_fetched *out)
{
	struct aios_task_fetch f;
	int ret;

	ret = aiosi_need_agent(h, "fetch");
	if (ret)
		return ret;
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.flags = flags;
	f.queue_id = queue_id;
	f.timeout_ms = timeout_ms;
	f.payload = (uintptr_t)buf;
	f.payload_cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	ret = q_ioctl(h, AIOS_IOC_TASK_FETCH, &f, "fetch");
	memset(out, 0, sizeof(*out));
	out->len = f.payload_len;	/* also on EMSGSIZE */
	if (ret)
		return ret;
	out->task_id = f.task_id;
	out->submitter_id = f.submitter_id;
	out->context_ref = f.context_ref;
	out->slice_ns = f.slice_ns;
	out->queue_id = f.fetched_queue_id;
	out->prio = f.prio;
	out->runs = f.runs;
	aiosi_clear_err(h);
	return 0;
}

int aios_task_progress(struct aios *h, uint64_t task_id, unsigned int percent,
		       bool *should_yield)
{
	struct aios_task_progress p;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "progress of task %llu",
		 (unsigned long long)task_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.task_id = task_id;
	p.percent = percent;
	ret = aiosi_ioctl(h, AIOS_IOC_TASK_PROGRESS, &p, what);
	if (ret < 0)
		return ret;
	if (should_yield)
		*should_yield = p.should_yield;
	aiosi_clear_err(h);
	return 0;
}

static int complete(struct aios *h, uint64_t task_id, unsigned int flags,
		    int error, const void *res, size_t len, uint64_t ctx)
{
	struct aios_task_complete c;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "%s task %llu",
		 flags & AIOS_COMPLETE_YIELD ? "yield" : "complete",
		 (unsigned long long)task_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	if (len > UINT32_MAX)
		return aiosi_failmsg(h, -EMSGSIZE, "%s: result of %zu bytes",
				     what, len);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = flags;
	c.task_id = task_id;
	c.error = error;
	c.result = (uintptr_t)res;
	c.result_len = (uint32_t)len;
	c.context_ref = ctx;
	ret = aiosi_ioctl(h, AIOS_IOC_TASK_COMPLETE, &c, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}

int aios_task_complete(struct aios *h, uint64_t task_id, int error,
		       const void *result, size_t len)
{
	return complete(h, task_id, 0, error, result, len, 0);
}

int aios_task_yield(struct aios *h, uint64_t task_id, uint64_t context_ref)
{
	return complete(h, task_id, AIOS_COMPLETE_YIELD, 0, NULL, 0,
			context_ref);
}

int aios_task_wait(struct aios *h, uint64_t task_id, int timeout_ms,
		   unsigned int flags, void *buf, size_t cap,
		   struct aios_task_result *out)
{
	struct aios_task_wait w;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "wait for task %llu",
		 (unsigned long long)task_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.flags = flags;
	w.task_id = task_id;
	w.timeout_ms = timeout_ms;
	w.result = (uintptr_t)buf;
	w.result_cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	ret = q_ioctl(h, AIOS_IOC_TASK_WAIT, &w, what);
	memset(out, 0, sizeof(*out));
	/* Filled in on success, ETIMEDOUT and EMSGSIZE. */
	out->state = w.state;
	out->fail = w.fail;
	out->error = w.error;
	out->progress = w.progress;
	out->runs = w.runs;
	out->len = w.result_len;
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_task_cancel(struct aios *h, uint64_t task_id)
{
	struct aios_task_cancel c;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "cancel task %llu",
		 (unsigned long long)task_id);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.task_id = task_id;
	ret = aiosi_ioctl(h, AIOS_IOC_TASK_CANCEL, &c, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}
