// SPDX-License-Identifier: GPL-2.0
/* aiosd memory operations (see memops.h). */
#include "memops.h"
#include "base64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT	100
#define LIST_MAX	1000

json_t *memops_stats_json(const struct aios_store_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
			 "agents", (json_int_t)s->agents,
			 "items", (json_int_t)s->items,
			 "raw_key_bytes", (json_int_t)s->raw_key_bytes,
			 "stored_key_bytes", (json_int_t)s->stored_key_bytes,
			 "value_bytes", (json_int_t)s->value_bytes,
			 "overhead_bytes", (json_int_t)s->overhead_bytes,
			 "mem_bytes", (json_int_t)s->mem_bytes,
			 "capacity_bytes", (json_int_t)s->capacity_bytes,
			 "threshold_bytes", (json_int_t)s->threshold_bytes,
			 "evictions", (json_int_t)s->evictions,
			 "hits", (json_int_t)s->hits,
			 "misses", (json_int_t)s->misses,
			 "hit_rate", s->hit_rate,
			 "compression_ratio", s->compression_ratio);
}

/* The namespace the request acts on: the caller's own, or for an admin
 * the one named by "agent" or "uid". */
static int target_ns(const struct client_id *who, json_t *req, uint64_t *ns,
		     char *err, size_t errlen)
{
	uint64_t agent = 0, uid = 0;
	int ha = proto_get_u64(req, "agent", &agent, err, errlen);
	int hu = proto_get_u64(req, "uid", &uid, err, errlen);

	if (ha < 0 || hu < 0)
		return -EINVAL;
	*ns = client_ns(who);
	if (!ha && !hu)
		return 0;
	if (ha && hu) {
		snprintf(err, errlen, "give \"agent\" or \"uid\", not both");
		return -EINVAL;
	}
	if (!who->admin) {
		snprintf(err, errlen,
			 "acting on another agent's memory needs admin (uid 0, CAP_SYS_ADMIN or AIOS_CAP_ADMIN)");
		return -EPERM;
	}
	if (ha) {
		if (agent == 0 || agent >= AIOSD_UID_NS) {
			snprintf(err, errlen, "\"agent\" must be an agent id (1 .. 2^63-1)");
			return -EINVAL;
		}
		*ns = agent;
	} else {
		if (uid > UINT32_MAX) {
			snprintf(err, errlen, "\"uid\" out of range");
			return -EINVAL;
		}
		*ns = AIOSD_UID_NS | uid;
	}
	return 0;
}

struct list_ctx {
	json_t *items;
	bool values;
	size_t budget, used;
	uint8_t *last;
	size_t lastlen, lastcap;
	bool full;
	int err;
};

static int list_fn(void *arg, const void *key, size_t klen, const void *val,
		   size_t vlen)
{
	struct list_ctx *c = arg;
	size_t cost = (klen + (c->values ? vlen : 0)) * 4 / 3 + 48;
	json_t *it;

	if (c->used + cost > c->budget && json_array_size(c->items)) {
		c->full = true;	/* page full: stop, the caller reports more */
		return 1;
	}
	it = json_object();
	if (!it || proto_set_bytes(it, "key", key, klen) ||
	    (c->values && proto_set_bytes(it, "value", val, vlen)) ||
	    json_array_append_new(c->items, it)) {
		json_decref(it);
		c->err = -ENOMEM;
		return 2;
	}
	if (klen > c->lastcap) {
		uint8_t *n = realloc(c->last, klen);

		if (!n) {
			c->err = -ENOMEM;
			return 2;
		}
		c->last = n;
		c->lastcap = klen;
	}
	memcpy(c->last, key, klen);
	c->lastlen = klen;
	c->used += cost;
	return 0;
}

static json_t *op_list(struct aios_store *st, uint64_t ns, struct proto_req *req,
		       uint32_t max_message, char *err, size_t errlen)
{
	uint8_t *prefix = NULL, *cursor = NULL;
	size_t plen, clen;
	uint64_t limit = LIST_DEFAULT;
	struct list_ctx c = { .values = true, .budget = max_message / 2 };
	json_t *reply = NULL;
	bool more = false;
	long n;
	int r;

	r = proto_get_bytes(req->root, "prefix", false, 65535, &prefix, &plen, err, errlen);
	if (r >= 0)
		r = proto_get_bytes(req->root, "cursor", false, 65535, &cursor, &clen, err, errlen);
	if (r >= 0)
		r = proto_get_u64(req->root, "limit", &limit, err, errlen);
	if (r >= 0)
		r = proto_get_bool(req->root, "values", &c.values, err, errlen);
	if (r >= 0 && (limit < 1 || limit > LIST_MAX)) {
		snprintf(err, errlen, "\"limit\" must be 1..%d", LIST_MAX);
		r = -EINVAL;
	}
	if (r < 0)
		goto out_err;
	c.items = json_array();
	if (!c.items) {
		r = -ENOMEM;
		goto out_err;
	}
	n = aios_store_scan(st, ns, prefix ? prefix : (const uint8_t *)"", prefix ? plen : 0,
			    cursor, clen, limit, list_fn, &c, &more);
	if (n < 0) {
		r = (int)n;
		snprintf(err, errlen, "%s", aios_store_errmsg(st));
		goto out_err;
	}
	if (c.err) {
		r = c.err;
		snprintf(err, errlen, "out of memory");
		goto out_err;
	}
	if (c.full)
		more = true;	/* stopped by the byte budget */
	reply = proto_ok(req->id);
	if (!reply) {
		r = -ENOMEM;
		goto out_err;
	}
	json_object_set_new(reply, "items", c.items);
	c.items = NULL;
	json_object_set_new(reply, "more", json_boolean(more));
	if (more && c.lastlen) {
		char *b = malloc(c.lastlen * 4 / 3 + 8);

		if (b) {
			b64_encode(c.last, c.lastlen, b);
			json_object_set_new(reply, "cursor_b64", json_string(b));
			free(b);
		}
	}
	free(prefix);
	free(cursor);
	free(c.last);
	return reply;
out_err:
	json_decref(c.items);
	free(prefix);
	free(cursor);
	free(c.last);
	return proto_error(req->id, r, err);
}

static const char *const f_put[] = { "key", "value", "agent", "uid", NULL };
static const char *const f_key[] = { "key", "agent", "uid", NULL };
static const char *const f_list[] = { "prefix", "cursor", "limit", "values", "agent", "uid", NULL };
static const char *const f_delp[] = { "prefix", "agent", "uid", NULL };
static const char *const f_stats[] = { "all", "agent", "uid", NULL };

json_t *memops_handle(struct aios_store *st, const struct client_id *who,
		      struct proto_req *req, uint32_t max_message)
{
	const char *op = req->op;
	char err[512] = "";
	uint8_t *key = NULL, *val = NULL;
	size_t klen = 0, vlen = 0;
	json_t *reply = NULL;
	const char *const *fields;
	uint64_t ns;
	int r;

	if (strncmp(op, "memory.", 7))
		return NULL;
	op += 7;
	if (!strcmp(op, "put"))
		fields = f_put;
	else if (!strcmp(op, "get") || !strcmp(op, "delete"))
		fields = f_key;
	else if (!strcmp(op, "list"))
		fields = f_list;
	else if (!strcmp(op, "delete_prefix"))
		fields = f_delp;
	else if (!strcmp(op, "stats"))
		fields = f_stats;
	else {
		snprintf(err, sizeof(err), "unknown operation \"%.64s\"", req->op);
		return proto_error(req->id, -EOPNOTSUPP, err);
	}
	r = proto_check_fields(req->root, fields, err, sizeof(err));
	if (!r)
		r = target_ns(who, req->root, &ns, err, sizeof(err));
	if (r)
		return proto_error(req->id, r, err);

	if (!strcmp(op, "list"))
		return op_list(st, ns, req, max_message, err, sizeof(err));
	if (!strcmp(op, "stats")) {
		struct aios_store_stats s;
		bool all = false;

		r = proto_get_bool(req->root, "all", &all, err, sizeof(err));
		if (r < 0)
			return proto_error(req->id, r, err);
		if (all && !who->admin)
			return proto_error(req->id, -EPERM,
					   "store-wide statistics need admin (uid 0, CAP_SYS_ADMIN or AIOS_CAP_ADMIN)");
		if (all)
			aios_store_stats(st, &s);
		else
			aios_store_agent_stats(st, ns, &s);
		reply = proto_ok(req->id);
		if (reply)
			json_object_set_new(reply, "stats", memops_stats_json(&s));
		return reply;
	}
	if (!strcmp(op, "delete_prefix")) {
		uint64_t n = 0;

		r = proto_get_bytes(req->root, "prefix", true, 65535, &key, &klen, err, sizeof(err));
		if (r >= 0) {
			r = aios_store_delete_prefix(st, ns, key, klen, &n);
			if (r)
				snprintf(err, sizeof(err), "%s", aios_store_errmsg(st));
		}
		free(key);
		if (r < 0)
			return proto_error(req->id, r, err);
		reply = proto_ok(req->id);
		if (reply)
			json_object_set_new(reply, "deleted", json_integer((json_int_t)n));
		return reply;
	}

	r = proto_get_bytes(req->root, "key", true, 65535, &key, &klen, err, sizeof(err));
	if (r < 0)
		return proto_error(req->id, r == -E2BIG ? -ENAMETOOLONG : r, err);
	if (!strcmp(op, "put")) {
		uint64_t ev = 0;

		r = proto_get_bytes(req->root, "value", true, max_message, &val, &vlen, err,
				    sizeof(err));
		if (r >= 0) {
			r = aios_store_put(st, ns, key, klen, val, vlen, &ev);
			if (r)
				snprintf(err, sizeof(err), "%s", aios_store_errmsg(st));
		}
		if (r >= 0 && (reply = proto_ok(req->id)))
			json_object_set_new(reply, "evicted", json_integer((json_int_t)ev));
	} else if (!strcmp(op, "get")) {
		const void *v;
		size_t vl;

		r = aios_store_get(st, ns, key, klen, &v, &vl);
		if (r)
			snprintf(err, sizeof(err), "%s", aios_store_errmsg(st));
		else if ((reply = proto_ok(req->id)) && proto_set_bytes(reply, "value", v, vl)) {
			json_decref(reply);
			reply = NULL;
			r = -ENOMEM;
			snprintf(err, sizeof(err), "out of memory");
		}
	} else {
		r = aios_store_delete(st, ns, key, klen);
		if (r)
			snprintf(err, sizeof(err), "%s", aios_store_errmsg(st));
		else
			reply = proto_ok(req->id);
	}
	free(key);
	free(val);
	if (r < 0)
		return proto_error(req->id, r, err);
	return reply;
}
