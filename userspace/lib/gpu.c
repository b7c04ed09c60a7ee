// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GPU devices and claims: claim/release/query (ioctl), register,
 * unregister, get, list and per-agent usage (netlink), and discovery of
 * GPU device nodes under a /dev directory (no kernel involved).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "device.h"
#include "nl.h"

/* ---- ioctls ---- */

int aios_gpu_claim(struct aios *h, const struct aios_gpu_claim_opts *o,
		   uint64_t *handle, uint32_t *device)
{
	struct aios_gpu_claim c;
	char what[64];
	int ret;

	if (!o || o->sz < sizeof(*o))
		return aiosi_failmsg(h, -EINVAL,
				     "gpu claim: options missing or too old (sz)");
	if (o->device_id == AIOS_GPU_ANY)
		snprintf(what, sizeof(what), "gpu claim of any device");
	else
		snprintf(what, sizeof(what), "gpu claim of device %u",
			 o->device_id);
	if (o->signal < 0 || o->signal > 63)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: signal %d out of range (0..63)", what,
				     o->signal);
	if (o->timeout_ms < -1)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: timeout %d ms (use -1 for forever)",
				     what, o->timeout_ms);
	if (o->set_prio && o->prio > AIOS_PRIO_LOW)
		return aiosi_failmsg(h, -EINVAL, "%s: unknown priority %u",
				     what, o->prio);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = (o->nonblock ? AIOS_CLAIM_NONBLOCK : 0) |
		  (o->set_prio ? AIOS_CLAIM_PRIO : 0);
	c.device_id = o->device_id;
	c.prio = o->set_prio ? o->prio : 0;
	c.signal = o->signal;
	c.grace_ms = o->grace_ms;
	c.timeout_ms = o->timeout_ms;
	ret = aiosi_ioctl(h, AIOS_IOC_GPU_CLAIM, &c, what);
	if (ret < 0 && ret != -EINPROGRESS)
		return ret;
	if (handle)
		*handle = c.handle;
	if (device)
		*device = c.claimed_id;
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_gpu_release(struct aios *h, uint64_t handle)
{
	struct aios_gpu_release r;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "gpu release of claim %llu",
		 (unsigned long long)handle);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.handle = handle;
	ret = aiosi_ioctl(h, AIOS_IOC_GPU_RELEASE, &r, what);
	if (ret < 0)
		return ret;
	aiosi_clear_err(h);
	return 0;
}

int aios_gpu_query(struct aios *h, uint64_t handle, uint32_t *state,
		   uint32_t *device_id, uint64_t *deadline_ns)
{
	struct aios_gpu_query q;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "gpu query of claim %llu",
		 (unsigned long long)handle);
	ret = aiosi_need_agent(h, what);
	if (ret)
		return ret;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.handle = handle;
	ret = aiosi_ioctl(h, AIOS_IOC_GPU_QUERY, &q, what);
	if (ret < 0)
		return ret;
	if (state)
		*state = q.state;
	if (device_id)
		*device_id = q.device_id;
	if (deadline_ns)
		*deadline_ns = q.deadline_ns;
	aiosi_clear_err(h);
	return 0;
}

/* ---- netlink ---- */

int aios_gpu_register(struct aios *h, uint32_t id, const char *name,
		      const char *path, uint32_t grace_ms)
{
	struct nlattr *nest;
	struct nl_msg *m;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "gpu register of device %u", id);
	if (!id)
		return aiosi_failmsg(h, -EINVAL, "%s: device ids start at 1",
				     what);
	if (!name || !*name || strlen(name) >= AIOS_GPU_NAME_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: the name must have 1..%d bytes", what,
				     AIOS_GPU_NAME_MAX - 1);
	if (!path || path[0] != '/' || strlen(path) >= AIOS_GPU_PATH_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: the device node path must be absolute and shorter than %d bytes",
				     what, AIOS_GPU_PATH_MAX);
	ret = aiosi_nl_start(h, AIOS_CMD_GPU_REGISTER, 0, true, &m, what);
	if (ret)
		return ret;
	nest = nla_nest_start(m, AIOS_A_GPU);
	if (!nest || nla_put_u32(m, AIOS_GPU_A_ID, id) ||
	    nla_put_string(m, AIOS_GPU_A_NAME, name) ||
	    nla_put_string(m, AIOS_GPU_A_PATH, path) ||
	    (grace_ms && nla_put_u32(m, AIOS_GPU_A_GRACE_MS, grace_ms)))
		return aiosi_nl_put_fail(h, m, what);
	nla_nest_end(m, nest);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

int aios_gpu_unregister(struct aios *h, uint32_t id)
{
	struct nlattr *nest;
	struct nl_msg *m;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "gpu unregister of device %u", id);
	ret = aiosi_nl_start(h, AIOS_CMD_GPU_UNREGISTER, 0, true, &m, what);
	if (ret)
		return ret;
	nest = nla_nest_start(m, AIOS_A_GPU);
	if (!nest || nla_put_u32(m, AIOS_GPU_A_ID, id))
		return aiosi_nl_put_fail(h, m, what);
	nla_nest_end(m, nest);
	ret = aiosi_nl_request(h, m, NULL, NULL, what);
	if (!ret)
		aiosi_clear_err(h);
	return ret;
}

struct gpu_reply {
	struct aios *h;
	struct aios_gpu *v;
	size_t n, cap;
};

static int gpu_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[AIOS_A_MAX + 1];
	struct gpu_reply *r = arg;
	char detail[AIOSI_DETAIL_MAX];
	struct aios_gpu *nv;
	int ret;

	ret = aiosi_parse_genl(nlh, tb, detail, sizeof(detail));
	if (!ret && !tb[AIOS_A_GPU])
		return aiosi_failmsg(r->h, -EBADMSG,
				     "gpu: reply without AIOS_A_GPU");
	if (ret)
		return aiosi_fail(r->h, ret, detail, "gpu reply");
	nv = aiosi_grow(r->v, &r->cap, r->n, sizeof(*nv), 8, 0);
	if (!nv)
		return aiosi_fail(r->h, -ENOMEM, NULL, "gpu reply");
	r->v = nv;
	ret = aiosi_decode_gpu(tb[AIOS_A_GPU], &r->v[r->n], detail,
			       sizeof(detail));
	if (ret)
		return aiosi_fail(r->h, ret, detail, "gpu reply");
	r->n++;
	return 0;
}

/* GET of one device (id) or one agent's usage (agent). */
static int gpu_get_one(struct aios *h, uint32_t id, uint64_t agent,
		       struct aios_gpu *out, const char *what)
{
	struct gpu_reply r = { .h = h };
	struct nlattr *nest;
	struct nl_msg *m;
	int ret;

	ret = aiosi_nl_start(h, AIOS_CMD_GPU_GET, 0, false, &m, what);
	if (ret)
		return ret;
	if (agent) {
		if (nla_put_u64(m, AIOS_A_AGENT_ID, agent))
			return aiosi_nl_put_fail(h, m, what);
	} else {
		nest = nla_nest_start(m, AIOS_A_GPU);
		if (!nest || nla_put_u32(m, AIOS_GPU_A_ID, id))
			return aiosi_nl_put_fail(h, m, what);
		nla_nest_end(m, nest);
	}
	ret = aiosi_nl_request(h, m, gpu_cb, &r, what);
	if (!ret && r.n != 1)
		ret = aiosi_failmsg(h, -EBADMSG,
				    "%s: expected one reply, got %zu", what,
				    r.n);
	if (!ret) {
		*out = r.v[0];
		aiosi_clear_err(h);
	}
	free(r.v);
	return ret;
}

int aios_gpu_get(struct aios *h, uint32_t id, struct aios_gpu *out)
{
	char what[48];

	snprintf(what, sizeof(what), "gpu device %u", id);
	if (!id)
		return aiosi_failmsg(h, -EINVAL, "%s: device ids start at 1",
				     what);
	return gpu_get_one(h, id, 0, out, what);
}

int aios_gpu_usage(struct aios *h, uint64_t agent_id,
		   struct aios_gpu_usage *out)
{
	struct aios_gpu g;
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "gpu usage of agent %llu",
		 (unsigned long long)agent_id);
	if (!agent_id)
		return aiosi_failmsg(h, -EINVAL, "%s: agent ids start at 1",
				     what);
	ret = gpu_get_one(h, 0, agent_id, &g, what);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->agent_id = g.owner_id;
	out->util_ppm = g.util_ppm;
	out->util_window_ms = g.util_window_ms;
	out->claims = g.claims;
	return 0;
}

int aios_gpu_list(struct aios *h, struct aios_gpu **list, size_t *n)
{
	struct gpu_reply r = { .h = h };
	struct nl_msg *m;
	int ret;

	*list = NULL;
	*n = 0;
	ret = aiosi_nl_start(h, AIOS_CMD_GPU_GET, NLM_F_DUMP, false, &m,
			     "gpu list");
	if (ret)
		return ret;
	ret = aiosi_nl_request(h, m, gpu_cb, &r, "gpu list");
	if (ret) {
		free(r.v);
		return ret;
	}
	*list = r.v;
	*n = r.n;
	aiosi_clear_err(h);
	return (int)r.n;
}

/* ---- discovery ---- */

/* "<prefix><digits>" with no leading zeros (but "0"): the number, or -1. */
static long gpu_numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = name + n;
	char *end;
	long v;

	if (strncmp(name, prefix, n) || !*p || *p < '0' || *p > '9')
		return -1;
	if (p[0] == '0' && p[1])
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (*end || errno || v > 1000000)
		return -1;
	return v;
}

struct gpu_found {
	struct aios_gpu_node *v;
	size_t n, cap;
};

static int gpu_node_cmp(const void *a, const void *b)
{
	const struct aios_gpu_node *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Scan dir for "<prefix>N" character devices and append them. */
static int gpu_scan(const char *dir, const char *prefix, int kind,
		    struct gpu_found *f, char *err, size_t errlen)
{
	struct aios_gpu_node *nv, *e;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	long idx;
	int ret;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", dir,
			 strerror(errno));
		return ret;
	}
	while ((de = readdir(d))) {
		idx = gpu_numbered(de->d_name, prefix);
		if (idx < 0 || strlen(de->d_name) >= AIOS_GPU_NAME_MAX)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    AIOS_GPU_PATH_MAX)
			continue;	/* the kernel could not take it */
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			continue;
		nv = aiosi_grow(f->v, &f->cap, f->n, sizeof(*nv), 16, 0);
		if (!nv) {
			closedir(d);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		f->v = nv;
		e = &f->v[f->n++];
		memset(e, 0, sizeof(*e));
		e->kind = kind;
		e->index = idx;
		e->major = major(st.st_rdev);
		e->minor = minor(st.st_rdev);
		memcpy(e->name, de->d_name, strlen(de->d_name) + 1);
		memcpy(e->path, path, strlen(path) + 1);
	}
	closedir(d);
	return 0;
}

int aios_gpu_discover(const char *dev_root, struct aios_gpu_node **list,
		      size_t *n, char *err, size_t errlen)
{
	char root[PATH_MAX], dri[PATH_MAX + 8];
	struct gpu_found f = { 0 };
	int ret;

	*list = NULL;
	*n = 0;
	if (!realpath(dev_root ? dev_root : "/dev", root)) {
		ret = -errno;
		snprintf(err, errlen, "device root %s: %s",
			 dev_root ? dev_root : "/dev", strerror(errno));
		return ret;
	}
	ret = gpu_scan(root, "nvidia", AIOS_GPU_NODE_NVIDIA, &f, err, errlen);
	if (!ret) {
		snprintf(dri, sizeof(dri), "%s/dri", root);
		ret = gpu_scan(dri, "renderD", AIOS_GPU_NODE_DRM_RENDER, &f,
			       err, errlen);
	}
	if (ret) {
		free(f.v);
		return ret;
	}
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), gpu_node_cmp);
	*list = f.v;
	*n = f.n;
	return (int)f.n;
}

const char *aios_gpu_node_kind_name(int kind)
{
	switch (kind) {
	case AIOS_GPU_NODE_NVIDIA:
		return "nvidia";
	case AIOS_GPU_NODE_DRM_RENDER:
		return "drm-render";
	default:
		return NULL;
	}
}
