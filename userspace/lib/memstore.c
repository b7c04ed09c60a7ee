// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aiosd's memory store through a session: put, get, delete, list by
 * prefix with a cursor, delete by prefix, statistics.  Keys and values
 * are byte strings (sent base64).  The namespace is the session's
 * identity (its agent, or its uid); aiosd enforces it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* A request {"op": op, field: base64 of key}; returns 0 or -errno. */
static int keyed(struct aios_session *s, const char *op, const char *field,
		 const void *key, size_t klen, json_t **out)
{
	json_t *req;

	*out = NULL;
	if (!key && klen)
		return aiosi_sfail(s, -EINVAL, "%s: NULL %s with length %zu", op, field, klen);
	req = aiosi_sreq(s, op);
	if (!req)
		return -ENOMEM;
	if (aiosi_sset(s, req, field, aiosi_b64_json(key ? key : "", klen))) {
		json_decref(req);
		return -ENOMEM;
	}
	*out = req;
	return 0;
}

int aios_memory_put(struct aios_session *s, const void *key, size_t klen,
		    const void *val, size_t vlen, uint64_t *evicted)
{
	json_t *req, *rep = NULL;
	int err = keyed(s, "memory.put", "key_b64", key, klen, &req);

	if (err)
		return err;
	if (!val && vlen) {
		json_decref(req);
		return aiosi_sfail(s, -EINVAL, "memory.put: NULL value with length %zu", vlen);
	}
	if (aiosi_sset(s, req, "value_b64", aiosi_b64_json(val ? val : "", vlen))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err && evicted)
		*evicted = (uint64_t)json_integer_value(json_object_get(rep, "evicted"));
	json_decref(rep);
	return err;
}

int aios_memory_get(struct aios_session *s, const void *key, size_t klen,
		    void **val, size_t *vlen)
{
	json_t *req, *rep = NULL;
	int err;

	*val = NULL;
	*vlen = 0;
	err = keyed(s, "memory.get", "key_b64", key, klen, &req);
	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err && aiosi_get_bytes(rep, "value", val, vlen))
		err = aiosi_sfail(s, -EPROTO, "memory.get: aiosd's reply has no valid value");
	json_decref(rep);
	return err;
}

int aios_memory_delete(struct aios_session *s, const void *key, size_t klen)
{
	json_t *req;
	int err = keyed(s, "memory.delete", "key_b64", key, klen, &req);

	return err ? err : aiosi_scall(s, req, NULL);
}

int aios_memory_delete_prefix(struct aios_session *s, const void *prefix,
			      size_t plen, uint64_t *deleted)
{
	json_t *req, *rep = NULL;
	int err = keyed(s, "memory.delete_prefix", "prefix_b64", prefix, plen, &req);

	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err && deleted)
		*deleted = (uint64_t)json_integer_value(json_object_get(rep, "deleted"));
	json_decref(rep);
	return err;
}

long aios_memory_list(struct aios_session *s, const void *prefix, size_t plen,
		      char **cursor, unsigned int limit, bool values,
		      aios_memory_fn fn, void *arg)
{
	json_t *req, *rep = NULL, *items, *it;
	const char *nc;
	long n = 0;
	size_t i;
	int err;

	if (!cursor)
		return aiosi_sfail(s, -EINVAL, "memory.list: cursor must point to a char * (NULL for the first page)");
	err = keyed(s, "memory.list", "prefix_b64", prefix, plen, &req);
	if (err)
		return err;
	if ((*cursor && aiosi_sset(s, req, "cursor_b64", json_string(*cursor))) ||
	    (limit && aiosi_sset(s, req, "limit", json_integer(limit))) ||
	    (!values && aiosi_sset(s, req, "values", json_false()))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (err) {
		json_decref(rep);
		return err;
	}
	free(*cursor);
	*cursor = NULL;
	items = json_object_get(rep, "items");
	if (!json_is_array(items)) {
		json_decref(rep);
		return aiosi_sfail(s, -EPROTO, "memory.list: aiosd's reply has no items");
	}
	json_array_foreach(items, i, it) {
		void *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;
		int r;

		if (aiosi_get_bytes(it, "key", &k, &kl) ||
		    (values && aiosi_get_bytes(it, "value", &v, &vl))) {
			free(k);
			json_decref(rep);
			return aiosi_sfail(s, -EPROTO, "memory.list: malformed item %zu in aiosd's reply", i);
		}
		r = fn ? fn(arg, k, kl, v, vl) : 0;
		free(k);
		free(v);
		if (r) {
			json_decref(rep);
			return r;
		}
		n++;
	}
	nc = json_string_value(json_object_get(rep, "cursor_b64"));
	if (json_is_true(json_object_get(rep, "more"))) {
		if (!nc) {
			json_decref(rep);
			return aiosi_sfail(s, -EPROTO, "memory.list: more pages but no cursor");
		}
		*cursor = strdup(nc);
		if (!*cursor)
			n = aiosi_sfail(s, -ENOMEM, "out of memory");
	}
	json_decref(rep);
	return n;
}

int aios_memory_stats(struct aios_session *s, bool all, char **json)
{
	json_t *req = aiosi_sreq(s, "memory.stats"), *rep = NULL;
	int err;

	if (req && all && aiosi_sset(s, req, "all", json_true())) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sresult(s, rep, "stats", json);
	json_decref(rep);
	return err;
}
