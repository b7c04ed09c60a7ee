// SPDX-License-Identifier: GPL-2.0
/*
 * aios: generic netlink commands of the task queues - create, destroy,
 * get/dump queues with their statistics, dump tasks - and the queue
 * events on the "events" group.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "queue.h"

/* ---- policies ------------------------------------------------------------ */

static const struct nla_policy aios_queue_cfg_policy[AIOS_QUEUE_A_MAX + 1] = {
	[AIOS_QUEUE_A_NAME]		= { .type = NLA_NUL_STRING,
					    .len = AIOS_QUEUE_NAME_MAX - 1 },
	[AIOS_QUEUE_A_ALGO]		= { .type = NLA_U32 },
	[AIOS_QUEUE_A_MAX_CONCURRENT]	= { .type = NLA_U32 },
	[AIOS_QUEUE_A_SLICE_MS]		= { .type = NLA_U32 },
	[AIOS_QUEUE_A_MAX_PAYLOAD]	= { .type = NLA_U32 },
	[AIOS_QUEUE_A_MAX_DEPTH]	= { .type = NLA_U32 },
	[AIOS_QUEUE_A_MAX_RETRIES]	= { .type = NLA_U32 },
	[AIOS_QUEUE_A_AGING_MS]		= { .type = NLA_U32 },
};

static const struct nla_policy aios_queue_ref_policy[AIOS_QUEUE_A_MAX + 1] = {
	[AIOS_QUEUE_A_ID]		= { .type = NLA_U32 },
	[AIOS_QUEUE_A_NAME]		= { .type = NLA_NUL_STRING,
					    .len = AIOS_QUEUE_NAME_MAX - 1 },
};

const struct nla_policy aios_queue_nl_create_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_QUEUE]		= NLA_POLICY_NESTED(aios_queue_cfg_policy),
};

const struct nla_policy aios_queue_nl_destroy_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_CALLER_FD]	= { .type = NLA_U32 },
	[AIOS_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, AIOS_DESTROY_FORCE),
	[AIOS_A_QUEUE]		= NLA_POLICY_NESTED(aios_queue_ref_policy),
};

const struct nla_policy aios_queue_nl_get_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_QUEUE]		= NLA_POLICY_NESTED(aios_queue_ref_policy),
};

const struct nla_policy aios_queue_nl_task_policy[AIOS_A_MAX + 1] = {
	[AIOS_A_QUEUE]		= NLA_POLICY_NESTED(aios_queue_ref_policy),
};

/* ---- messages ------------------------------------------------------------- */

static int aios_queue_nl_put(struct sk_buff *skb,
			     const struct aios_queue_info *qi)
{
	struct nlattr *nest = nla_nest_start(skb, AIOS_A_QUEUE);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, AIOS_QUEUE_A_ID, qi->id) ||
	    nla_put_string(skb, AIOS_QUEUE_A_NAME, qi->name) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_ALGO, qi->algo) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_MAX_CONCURRENT, qi->max_concurrent) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_SLICE_MS, qi->slice_ms) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_MAX_PAYLOAD, qi->max_payload) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_MAX_DEPTH, qi->max_depth) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_MAX_RETRIES, qi->max_retries) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_AGING_MS, qi->aging_ms) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_DEPTH, qi->depth) ||
	    nla_put_u32(skb, AIOS_QUEUE_A_RUNNING, qi->running) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_SUBMITTED, qi->submitted,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_COMPLETED, qi->completed,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_FAILED, qi->failed,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_CANCELLED, qi->cancelled,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_REQUEUED, qi->requeued,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_YIELDED, qi->yielded,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_PER_MIN, qi->per_min,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_WAIT_P50_US, qi->wait_p50,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_WAIT_P99_US, qi->wait_p99,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_RUN_P50_US, qi->run_p50,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_RUN_P99_US, qi->run_p99,
			      AIOS_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_QUEUE_A_KMEM_BYTES, qi->kmem,
			      AIOS_QUEUE_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int aios_queue_nl_put_task(struct sk_buff *skb,
				  const struct aios_task_info *ti)
{
	struct nlattr *nest = nla_nest_start(skb, AIOS_A_TASK);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, AIOS_TASK_A_ID, ti->id, AIOS_TASK_A_PAD) ||
	    nla_put_u32(skb, AIOS_TASK_A_QUEUE_ID, ti->queue_id) ||
	    nla_put_u64_64bit(skb, AIOS_TASK_A_SUBMITTER_ID, ti->submitter_id,
			      AIOS_TASK_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_TASK_A_WORKER_ID, ti->worker_id,
			      AIOS_TASK_A_PAD) ||
	    nla_put_u32(skb, AIOS_TASK_A_PRIO, ti->prio) ||
	    nla_put_u32(skb, AIOS_TASK_A_STATE, ti->state) ||
	    nla_put_u32(skb, AIOS_TASK_A_FAIL, ti->fail) ||
	    nla_put_s32(skb, AIOS_TASK_A_ERROR, ti->error) ||
	    nla_put_u32(skb, AIOS_TASK_A_PROGRESS, ti->progress) ||
	    nla_put_u32(skb, AIOS_TASK_A_RUNS, ti->runs) ||
	    nla_put_u32(skb, AIOS_TASK_A_RETRIES, ti->retries) ||
	    nla_put_u32(skb, AIOS_TASK_A_PAYLOAD_LEN, ti->payload_len) ||
	    nla_put_u64_64bit(skb, AIOS_TASK_A_SUBMIT_NS, ti->submit_ns,
			      AIOS_TASK_A_PAD) ||
	    nla_put_u64_64bit(skb, AIOS_TASK_A_CONTEXT_REF, ti->context_ref,
			      AIOS_TASK_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---- notifications ----------------------------------------------------------- */

void aios_queue_nl_notify(u8 cmd, const struct aios_queue_info *qi)
{
	struct sk_buff *skb;
	void *hdr;

	skb = aios_nl_event_new(cmd, &hdr);
	if (!skb)
		return;
	if (aios_queue_nl_put(skb, qi)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	aios_nl_event_send(skb);
}

void aios_queue_nl_notify_task(const struct aios_task_info *ti)
{
	struct sk_buff *skb;
	void *hdr;

	skb = aios_nl_event_new(AIOS_CMD_NTF_TASK_FAILED, &hdr);
	if (!skb)
		return;
	if (aios_queue_nl_put_task(skb, ti)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	aios_nl_event_send(skb);
}

/* ---- helpers ------------------------------------------------------------------- */

/* Parse the AIOS_A_QUEUE nest of a request (already validated). */
static int aios_queue_nl_nest(struct nlattr *attr,
			      const struct nla_policy *policy,
			      struct nlattr **tb, struct netlink_ext_ack *extack)
{
	return nla_parse_nested(tb, AIOS_QUEUE_A_MAX, attr, policy, extack);
}

/* Printable ASCII without spaces, non-empty. */
static bool aios_queue_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (*name <= 0x20 || *name >= 0x7f)
			return false;
	return true;
}

/*
 * The queue a request names by AIOS_QUEUE_A_ID or AIOS_QUEUE_A_NAME
 * (exactly one), referenced.
 */
static int aios_queue_nl_lookup(struct nlattr *attr,
				struct netlink_ext_ack *extack,
				struct aios_queue **out)
{
	struct nlattr *tb[AIOS_QUEUE_A_MAX + 1];
	struct aios_queue *q;
	int ret;

	if (!attr) {
		NL_SET_ERR_MSG(extack, "AIOS_A_QUEUE with an id or a name required");
		return -EINVAL;
	}
	ret = aios_queue_nl_nest(attr, aios_queue_ref_policy, tb, extack);
	if (ret)
		return ret;
	if (!!tb[AIOS_QUEUE_A_ID] == !!tb[AIOS_QUEUE_A_NAME]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "give exactly one of AIOS_QUEUE_A_ID and AIOS_QUEUE_A_NAME");
		return -EINVAL;
	}
	if (tb[AIOS_QUEUE_A_ID])
		q = aios_queue_get_id(nla_get_u32(tb[AIOS_QUEUE_A_ID]));
	else
		q = aios_queue_get_name(nla_data(tb[AIOS_QUEUE_A_NAME]));
	if (!q) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such queue");
		return -ENOENT;
	}
	*out = q;
	return 0;
}

struct aios_queue_range {
	int attr;
	u32 min, max;
	const char *msg;
};

static const struct aios_queue_range aios_queue_ranges[] = {
	{ AIOS_QUEUE_A_MAX_CONCURRENT, 1, AIOS_QUEUE_MAX_CONCURRENT,
	  "max_concurrent must be 1..4096" },
	{ AIOS_QUEUE_A_SLICE_MS, 1, AIOS_QUEUE_MAX_SLICE_MS,
	  "slice_ms must be 1..3600000" },
	{ AIOS_QUEUE_A_MAX_PAYLOAD, 0, AIOS_QUEUE_MAX_PAYLOAD,
	  "max_payload must be at most 16 MiB" },
	{ AIOS_QUEUE_A_MAX_DEPTH, 1, AIOS_QUEUE_MAX_DEPTH,
	  "max_depth must be 1..1048576" },
	{ AIOS_QUEUE_A_MAX_RETRIES, 0, AIOS_QUEUE_MAX_RETRIES,
	  "max_retries must be 0..100" },
	{ AIOS_QUEUE_A_AGING_MS, 1, AIOS_QUEUE_MAX_AGING_MS,
	  "aging_ms must be 1..3600000" },
};

/* ---- commands ---------------------------------------------------------------------- */

int aios_queue_nl_create(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[AIOS_QUEUE_A_MAX + 1];
	struct nlattr *nest = info->attrs[AIOS_A_QUEUE];
	struct aios_queue_info qi;
	struct aios_queue_cfg cfg;
	struct aios_agent *caller;
	struct aios_ctx ctx;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;
	u32 *field;
	int ret;

	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "AIOS_A_QUEUE required");
		return -EINVAL;
	}
	ret = aios_queue_nl_nest(nest, aios_queue_cfg_policy, tb,
				 info->extack);
	if (ret)
		return ret;
	if (!tb[AIOS_QUEUE_A_NAME]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "AIOS_QUEUE_A_NAME required");
		return -EINVAL;
	}
	if (!tb[AIOS_QUEUE_A_ALGO]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "AIOS_QUEUE_A_ALGO required");
		return -EINVAL;
	}
	aios_queue_cfg_default(&cfg);
	if (!aios_queue_name_ok(nla_data(tb[AIOS_QUEUE_A_NAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_QUEUE_A_NAME],
				    "queue name must be printable ASCII without spaces");
		return -EINVAL;
	}
	nla_strscpy(cfg.name, tb[AIOS_QUEUE_A_NAME], sizeof(cfg.name));
	cfg.algo = nla_get_u32(tb[AIOS_QUEUE_A_ALGO]);
	if (cfg.algo >= __AIOS_ALGO_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[AIOS_QUEUE_A_ALGO],
				    "unknown algorithm (FIFO 0, ROUND_ROBIN 1, PRIORITY 2)");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(aios_queue_ranges); i++) {
		const struct aios_queue_range *r = &aios_queue_ranges[i];
		struct nlattr *a = tb[r->attr];

		switch (r->attr) {
		case AIOS_QUEUE_A_MAX_CONCURRENT:
			field = &cfg.max_concurrent;
			break;
		case AIOS_QUEUE_A_SLICE_MS:
			field = &cfg.slice_ms;
			break;
		case AIOS_QUEUE_A_MAX_PAYLOAD:
			field = &cfg.max_payload;
			break;
		case AIOS_QUEUE_A_MAX_DEPTH:
			field = &cfg.max_depth;
			break;
		case AIOS_QUEUE_A_MAX_RETRIES:
			field = &cfg.max_retries;
			break;
		default:
			field = &cfg.aging_ms;
			break;
		}
		if (!a)
			continue;
		*field = nla_get_u32(a);
		if (*field < r->min || *field > r->max) {
			NL_SET_BAD_ATTR(info->extack, a);
			aios_extack_msg(info->extack, r->msg);
			return -EINVAL;
		}
	}

	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		return ret;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	ret = aios_queue_create(&ctx, &cfg, &qi);
	aios_agent_put(caller);
	if (ret)
		return ret;

	/* Reply with the new queue. */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = aios_nl_hdr(msg, info->snd_portid, info->snd_seq, 0,
			  AIOS_CMD_QUEUE_CREATE);
	if (!hdr || aios_queue_nl_put(msg, &qi)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int aios_queue_nl_destroy(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_agent *caller;
	struct aios_queue *q;
	struct aios_ctx ctx;
	u32 flags = 0;
	int ret;

	if (info->attrs[AIOS_A_FLAGS])
		flags = nla_get_u32(info->attrs[AIOS_A_FLAGS]);
	ret = aios_queue_nl_lookup(info->attrs[AIOS_A_QUEUE], info->extack,
				   &q);
	if (ret)
		return ret;
	ret = aios_nl_caller(info->attrs, info->extack, &caller);
	if (ret)
		goto out;
	aios_ctx_init(&ctx, caller, skb, info->extack);
	ret = aios_queue_destroy(&ctx, q, flags & AIOS_DESTROY_FORCE);
	aios_agent_put(caller);
out:
	aios_queue_put(q);
	return ret;
}

int aios_queue_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct aios_queue_info *qi;
	struct aios_queue *q;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = aios_queue_nl_lookup(info->attrs[AIOS_A_QUEUE], info->extack,
				   &q);
	if (ret)
		return ret;
	qi = kmalloc(sizeof(*qi), GFP_KERNEL);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!qi || !msg) {
		ret = -ENOMEM;
		goto err;
	}
	aios_queue_snapshot(q, qi);
	hdr = aios_nl_hdr(msg, info->snd_portid, info->snd_seq, 0,
			  AIOS_CMD_QUEUE_GET);
	if (!hdr || aios_queue_nl_put(msg, qi)) {
		ret = -EMSGSIZE;
		goto err;
	}
	genlmsg_end(msg, hdr);
	kfree(qi);
	aios_queue_put(q);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	kfree(qi);
	aios_queue_put(q);
	return ret;
}

int aios_queue_nl_dump_start(struct netlink_callback *cb)
{
	struct nlattr *attrs[AIOS_A_MAX + 1];
	int ret;

	ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, AIOS_A_MAX,
			  aios_queue_nl_get_policy, cb->extack);
	if (ret)
		return ret;
	if (attrs[AIOS_A_QUEUE]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[AIOS_A_QUEUE],
				    "a dump lists every queue; drop NLM_F_DUMP to get one");
		return -EINVAL;
	}
	cb->args[0] = 0;
	return 0;
}

/* cb->args[0]: id of the last queue sent. */
int aios_queue_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct aios_queue_info qi;
	struct aios_queue *q;
	u32 cursor = cb->args[0];
	void *hdr;

	while ((q = aios_queue_next(&cursor))) {
		aios_queue_snapshot(q, &qi);
		aios_queue_put(q);
		hdr = aios_nl_hdr(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI,
				  AIOS_CMD_QUEUE_GET);
		if (!hdr)
			break;
		if (aios_queue_nl_put(skb, &qi)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = cursor;
	}
	return skb->len;
}

/*
 * cb->args[0]: id of the last task sent, [1]: its queue, [2]: queue id
 * filter or 0.
 */
int aios_queue_nl_task_start(struct netlink_callback *cb)
{
	struct nlattr *attrs[AIOS_A_MAX + 1];
	struct aios_queue *q;
	int ret;

	ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, attrs, AIOS_A_MAX,
			  aios_queue_nl_task_policy, cb->extack);
	if (ret)
		return ret;
	cb->args[0] = 0;
	cb->args[1] = 0;
	cb->args[2] = 0;
	if (attrs[AIOS_A_QUEUE]) {
		ret = aios_queue_nl_lookup(attrs[AIOS_A_QUEUE], cb->extack, &q);
		if (ret)
			return ret;
		cb->args[2] = q->id;
		aios_queue_put(q);
	}
	return 0;
}

#define AIOS_NL_TASK_BATCH	32

int aios_queue_nl_task_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct aios_task_info *ti;
	void *hdr;
	int n, i;

	ti = kmalloc_array(AIOS_NL_TASK_BATCH, sizeof(*ti), GFP_KERNEL);
	if (!ti)
		return -ENOMEM;
	for (;;) {
		n = aios_queue_task_batch(cb->args[1], cb->args[0], cb->args[2],
					  ti, AIOS_NL_TASK_BATCH);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			hdr = aios_nl_hdr(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  AIOS_CMD_TASK_GET);
			if (!hdr)
				goto full;
			if (aios_queue_nl_put_task(skb, &ti[i])) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			cb->args[0] = ti[i].id;
			cb->args[1] = ti[i].queue_id;
		}
	}
	kfree(ti);
	return n < 0 ? n : skb->len;
full:
	kfree(ti);
	return skb->len;
}
