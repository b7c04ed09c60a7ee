// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Operations available over ioctl and/or netlink: kill, migrate,
 * capabilities, status, agent list, audit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "device.h"
#include "nl.h"

static bool use_netlink(const struct aios *h)
{
	if (h->via == AIOS_VIA_NETLINK)
		return true;
	if (h->via == AIOS_VIA_IOCTL)
		return false;
	return h->fd < 0 || !h->agent_id;
}

int aios_kill(struct aios *h, uint64_t id, int sig, unsigned int flags)
{
	struct aios_kill k;
	struct nl_msg *m;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "kill agent %llu", (unsigned long long)id);
	if (sig < 0 || sig > 63)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: signal %d out of range (0..63)", what,
				     sig);
	if (flags & ~AIOS_KILL_FLAGS)
		return aiosi_failmsg(h, -EINVAL, "%s: unknown flags 0x%x", what,
				     flags & ~(unsigned int)AIOS_KILL_FLAGS);
	if (!use_netlink(h)) {
		ret = aiosi_need_agent(h, what);
		if (ret)
			return ret;
		memset(&k, 0, sizeof(k));
		k.size = sizeof(k);
		k.flags = flags;
		k.agent_id = id;
		k.signal = sig;
		ret = aiosi_ioctl(h, AIOS_IOC_KILL, &k, what);
		if (ret < 0)
			return ret;
		aiosi_clear_err(h);
		return 0;
	}
	ret = aiosi_nl_start(h, AIOS_CMD_AGENT_KILL, 0, true, &m, what);
	if (ret)
		return ret;
	if (nla_put_u64(m, AIOS_A_AGENT_ID, id) ||
	    nla_put_u32(m, AIOS_A_SIGNAL, sig) ||
	    (flags && nla_put_u32(m, AIOS_A_FLAGS, flags)))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_migrate(struct aios *h, uint64_t id, const cpu_set_t *cpus)
{
	struct aios_migrate mg;
	struct nl_msg *m;
	char what[64];
	int hi = -1, c, ret;
	size_t bytes;

	snprintf(what, sizeof(what), "migrate agent %llu",
		 (unsigned long long)id);
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, cpus))
			hi = c;
	if (hi < 0)
		return aiosi_failmsg(h, -EINVAL, "%s: the CPU set is empty", what);
	bytes = (hi / 64 + 1) * 8;
	if (!use_netlink(h)) {
		ret = aiosi_need_agent(h, what);
		if (ret)
			return ret;
		memset(&mg, 0, sizeof(mg));
		mg.size = sizeof(mg);
		mg.agent_id = id;
		mg.cpumask = (uintptr_t)cpus;
		mg.cpumask_size = bytes;
		ret = aiosi_ioctl(h, AIOS_IOC_MIGRATE, &mg, what);
		if (ret < 0)
			return ret;
		aiosi_clear_err(h);
		return 0;
	}
	if (!id && h->agent_id)
		id = h->agent_id;
	ret = aiosi_nl_start(h, AIOS_CMD_AGENT_MIGRATE, 0, true, &m, what);
	if (ret)
		return ret;
	if (nla_put_u64(m, AIOS_A_AGENT_ID, id) ||
	    nla_put(m, AIOS_A_CPUMASK, bytes, cpus))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

/* ---- capabilities ---- */

struct caps_reply {
	struct aios *h;
	bool have;
	uint64_t caps;
};

static int caps_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct caps_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	struct aios_agent a;
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (!ret && tb[AIOS_A_CAPS]) {
		r->caps = aiosi_attr_u64(tb[AIOS_A_CAPS]);
		r->have = true;
		return 0;
	}
	if (!ret && tb[AIOS_A_AGENT]) {
		ret = aiosi_decode_agent(tb[AIOS_A_AGENT], &a, detail,
					 sizeof(detail));
		if (!ret && (a.present & (1u << AIOS_AGENT_A_CAPS))) {
			r->caps = a.caps;
			r->have = true;
		}
	}
	if (ret)
		return aiosi_fail(r->h, ret, detail, "capabilities reply");
	return 0;
}

static int caps_ioctl(struct aios *h, uint32_t op, uint64_t id, uint64_t caps,
		      uint64_t *effective, const char *what)
{
	struct aios_caps c;
	int ret;

	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = op;
	c.agent_id = id;
	c.caps = caps;
	ret = aiosi_ioctl(h, AIOS_IOC_CAPS, &c, what);
	if (ret < 0)
		return ret;
	if (effective)
		*effective = c.effective;
	aiosi_clear_err(h);
	return 0;
}

static int caps_nl(struct aios *h, uint8_t cmd, uint64_t id, uint64_t caps,
		   uint64_t *effective, const char *what)
{
	struct caps_reply r = { .h = h };
	struct nl_msg *m;
	int ret;

	if (!id && h->agent_id)
		id = h->agent_id;
	/* CAPS_GET is open to anyone and takes no caller descriptor. */
	ret = aiosi_nl_start(h, cmd, 0, cmd != AIOS_CMD_CAPS_GET, &m, what);
	if (ret)
		return ret;
	if (nla_put_u64(m, AIOS_A_AGENT_ID, id) ||
	    (cmd != AIOS_CMD_CAPS_GET && nla_put_u64(m, AIOS_A_CAPS, caps)))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, caps_cb, &r, what);
	if (ret)
		return ret;
	if (effective && !r.have) {
		if (cmd == AIOS_CMD_CAPS_GET)
			return aiosi_failmsg(h, -EBADMSG,
					     "%s: reply carries no capabilities",
					     what);
		/* grant/revoke acknowledged without a body: ask */
		return caps_nl(h, AIOS_CMD_CAPS_GET, id, 0, effective, what);
	}
	if (effective)
		*effective = r.caps;
	aiosi_clear_err(h);
	return 0;
}

static int check_bits(struct aios *h, uint64_t caps, const char *what)
{
	if (caps & ~AIOS_CAP_ALL)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: unknown capability bits 0x%llx", what,
				     (unsigned long long)(caps & ~AIOS_CAP_ALL));
	return 0;
}

int aios_caps_get(struct aios *h, uint64_t id, uint64_t *caps)
{
	char what[64];

	snprintf(what, sizeof(what), "capabilities of agent %llu",
		 (unsigned long long)id);
	if (!use_netlink(h))
		return caps_ioctl(h, AIOS_CAPS_GET, id, 0, caps, what);
	return caps_nl(h, AIOS_CMD_CAPS_GET, id, 0, caps, what);
}

int aios_caps_check(struct aios *h, uint64_t caps)
{
	int ret = check_bits(h, caps, "capability check");

	if (ret)
		return ret;
	return caps_ioctl(h, AIOS_CAPS_CHECK, 0, caps, NULL,
			  "capability check");
}

static int grant_revoke(struct aios *h, bool grant, uint64_t id,
			uint64_t caps, uint64_t *effective)
{
	char what[80];
	int ret;

	snprintf(what, sizeof(what), "%s capabilities %s agent %llu",
		 grant ? "grant" : "revoke", grant ? "to" : "from",
		 (unsigned long long)id);
	ret = check_bits(h, caps, what);
	if (ret)
		return ret;
	if (!use_netlink(h))
		return caps_ioctl(h, grant ? AIOS_CAPS_GRANT : AIOS_CAPS_REVOKE,
				  id, caps, effective, what);
	return caps_nl(h, grant ? AIOS_CMD_CAPS_GRANT : AIOS_CMD_CAPS_REVOKE,
		       id, caps, effective, what);
}

int aios_caps_grant(struct aios *h, uint64_t id, uint64_t caps,
		    uint64_t *effective)
{
	return grant_revoke(h, true, id, caps, effective);
}

int aios_caps_revoke(struct aios *h, uint64_t id, uint64_t caps,
		     uint64_t *effective)
{
	return grant_revoke(h, false, id, caps, effective);
}

/* ---- status ---- */

struct status_reply {
	struct aios *h;
	struct aios_status *out;
	bool have;
};

static int status_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct status_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (!ret && !tb[AIOS_A_STATUS])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "status: reply without AIOS_A_STATUS");
	if (!ret)
		ret = aiosi_decode_status(tb[AIOS_A_STATUS], r->out, detail,
					  sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "status reply");
	r->have = true;
	return 0;
}

int aios_status(struct aios *h, struct aios_status *out)
{
	struct status_reply r = { .h = h, .out = out };
	struct nl_msg *m;
	int ret;

	ret = aiosi_nl_start(h, AIOS_CMD_STATUS_GET, 0, false, &m, "status");
	if (ret)
		return ret;
	ret = aiosi_nl_request(h, m, status_cb, &r, "status");
	if (ret)
		return ret;
	if (!r.have)
		return aiosi_failmsg(h, -EBADMSG,
				     "status: the kernel acknowledged without a reply");
	aiosi_clear_err(h);
	return 0;
}

/* ---- agents ---- */

struct agents_reply {
	struct aios *h;
	struct aios_agent *v;
	size_t n, cap;
};

static int agents_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct agents_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	struct aios_agent *nv;
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (!ret && !tb[AIOS_A_AGENT])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "agents: reply without AIOS_A_AGENT");
	if (ret)
		return aiosi_fail(r->h, ret, detail, "agents reply");
	nv = aiosi_grow(r->v, &r->cap, r->n, sizeof(*nv), 16, 0);
	if (!nv)
		return aiosi_fail(r->h, -ENOMEM, NULL, "agents");
	r->v = nv;
	ret = aiosi_decode_agent(tb[AIOS_A_AGENT], &r->v[r->n], detail,
				 sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "agents reply");
	r->n++;
	return 0;
}

int aios_agents(struct aios *h, struct aios_agent **list, size_t *n)
{
	struct agents_reply r = { .h = h };
	struct nl_msg *m;
	int ret;

	ret = aiosi_nl_start(h, AIOS_CMD_AGENT_GET, NLM_F_DUMP, false, &m,
			     "agents");
	if (ret)
		return ret;
	ret = aiosi_nl_request(h, m, agents_cb, &r, "agents");
	if (ret) {
		free(r.v);
		return ret;
	}
	*list = r.v;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}

int aios_agent_get(struct aios *h, uint64_t id, struct aios_agent *out)
{
	struct agents_reply r = { .h = h };
	struct nl_msg *m;
	char what[48];
	int ret;

	snprintf(what, sizeof(what), "agent %llu", (unsigned long long)id);
	ret = aiosi_nl_start(h, AIOS_CMD_AGENT_GET, 0, false, &m, what);
	if (ret)
		return ret;
	if (nla_put_u64(m, AIOS_A_AGENT_ID, id))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, agents_cb, &r, what);
	if (!ret && r.n != 1)
		ret = aiosi_failmsg(h, -EBADMSG,
				    "%s: expected one agent in the reply, got %zu",
				    what, r.n);
	if (!ret) {
		*out = r.v[0];
		aiosi_clear_err(h);
	}
	free(r.v);
	return ret;
}

/* ---- audit ---- */

struct audit_reply {
	struct aios *h;
	struct aios_audit_rec *v;
	size_t n, cap;		/* records held, allocated */
	size_t limit;		/* 0: unlimited, else ring of limit */
	size_t total;		/* records seen */
};

static int audit_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct audit_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	struct aios_audit_rec rec, *nv;
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (!ret && !tb[AIOS_A_AUDIT])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "audit: reply without AIOS_A_AUDIT");
	if (!ret)
		ret = aiosi_decode_audit(tb[AIOS_A_AUDIT], &rec, detail,
					 sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "audit reply");
	if (r->limit && r->n == r->limit) {
		r->v[r->total % r->limit] = rec;	/* overwrite the oldest */
		r->total++;
		return 0;
	}
	nv = aiosi_grow(r->v, &r->cap, r->n, sizeof(*nv), 64, r->limit);
	if (!nv)
		return aiosi_fail(r->h, -ENOMEM, NULL, "audit");
	r->v = nv;
	r->v[r->n++] = rec;
	r->total++;
	return 0;
}

/* Put a full ring of records back in seq order. */
static int audit_linearize(struct audit_reply *r)
{
	struct aios_audit_rec *nv;
	size_t start, i;

	if (!r->limit || r->total <= r->limit)
		return 0;
	nv = malloc(r->n * sizeof(*nv));
	if (!nv)
		return aiosi_fail(r->h, -ENOMEM, NULL, "audit");
	start = r->total % r->limit;
	for (i = 0; i < r->n; i++)
		nv[i] = r->v[(start + i) % r->limit];
	free(r->v);
	r->v = nv;
	return 0;
}

int aios_audit_read(struct aios *h, const struct aios_audit_filter *f,
		    struct aios_audit_rec **list, size_t *n)
{
	struct audit_reply r = { .h = h };
	struct nl_msg *m;
	char bare[64];
	int ret;

	if (f && (f->flags & ~(AIOS_AUDIT_F_OP_ID | AIOS_AUDIT_F_SEQ_AFTER |
			       AIOS_AUDIT_F_AGENT)))
		return aiosi_failmsg(h, -EINVAL, "audit: unknown filter flags 0x%x",
				     f->flags);
	ret = aiosi_nl_start(h, AIOS_CMD_AUDIT_GET, NLM_F_DUMP, true, &m,
			     "audit");
	if (ret)
		return ret;
	if (f) {
		r.limit = f->limit;
		if (((f->flags & AIOS_AUDIT_F_OP_ID) &&
		     nla_put_u64(m, AIOS_A_OP_ID, f->op_id)) ||
		    ((f->flags & AIOS_AUDIT_F_SEQ_AFTER) &&
		     nla_put_u64(m, AIOS_A_SEQ_AFTER, f->seq_after)) ||
		    ((f->flags & AIOS_AUDIT_F_AGENT) &&
		     nla_put_u64(m, AIOS_A_AGENT_ID, f->agent_id)))
			return aiosi_nl_put_fail(h, m, "audit");
	}
	ret = aiosi_nl_request(h, m, audit_cb, &r, "audit");
	snprintf(bare, sizeof(bare), "audit: %s", strerror(EPERM));
	if (ret == -EPERM && !strcmp(h->errmsg, bare))
		/* Kernels before 6.2 drop the extack of a dump's start. */
		aiosi_fail(h, ret, h->fd >= 0 && h->agent_id ?
			   "without ADMIN an agent sees only its own records" :
			   "reading the audit ring needs CAP_SYS_ADMIN (or an agent handle, which sees its own records)",
			   "audit");
	if (!ret)
		ret = audit_linearize(&r);
	if (ret) {
		free(r.v);
		return ret;
	}
	*list = r.v;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}

int aios_audit_config(struct aios *h, uint32_t ring_size)
{
	struct nl_msg *m;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "audit ring size %u", ring_size);
	if (ring_size < 16 || ring_size > 1048576 ||
	    (ring_size & (ring_size - 1)))
		return aiosi_failmsg(h, -EINVAL,
				     "%s: must be a power of two in 16..1048576",
				     what);
	ret = aiosi_nl_start(h, AIOS_CMD_AUDIT_CONFIG, 0, false, &m, what);
	if (ret)
		return ret;
	if (nla_put_u32(m, AIOS_A_RING_SIZE, ring_size))
		return aiosi_nl_put_fail(h, m, what);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}
