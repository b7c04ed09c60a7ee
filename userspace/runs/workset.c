// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "workset.h"

struct aios_ws {
	char *path;
	/* mu protects doc and seq and serializes file replacement */
	pthread_mutex_t mu;
	json_t *doc;
	uint64_t seq;
	int cache;	/* the file is a cache: replaced, not synced */
};

static const char *const statuses[] = { "active", "paused", "done", "failed", NULL };
static const char *const roles[] = { "system", "user", "assistant", "tool",
				     "observation", NULL };

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

#define FAIL(path, fmt, ...) \
	aios_rerr_set(e, EINVAL, "%s: " fmt, path, ##__VA_ARGS__)

static int want_type(const json_t *v, json_type t, const char *path,
		     const char *what, struct aios_rerr *e)
{
	if (json_typeof(v) == t)
		return 0;
	return FAIL(path, "expected %s, got %s", what, type_name(v));
}

static int check_int(const json_t *v, json_int_t lo, json_int_t hi,
		     const char *path, struct aios_rerr *e)
{
	if (!json_is_integer(v))
		return FAIL(path, "expected an integer, got %s", type_name(v));
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return FAIL(path, "%lld is out of range %lld..%lld",
			    (long long)json_integer_value(v), (long long)lo,
			    (long long)hi);
	return 0;
}

static int check_depth(const json_t *v, int depth, const char *path,
		       struct aios_rerr *e)
{
	const char *k;
	json_t *x;
	size_t i;

	if (depth > AIOS_WS_DEPTH_MAX)
		return FAIL(path, "nested deeper than %d levels", AIOS_WS_DEPTH_MAX);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			char p[512];
			int rc;

			snprintf(p, sizeof(p), "%s.%s", path, k);
			rc = check_depth(x, depth + 1, p, e);
			if (rc)
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			char p[512];
			int rc;

			snprintf(p, sizeof(p), "%s[%zu]", path, i);
			rc = check_depth(x, depth + 1, p, e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int validate_item(const json_t *it, const char *path,
			 struct aios_rerr *e)
{
	const char *k;
	json_t *v;
	char p[512];
	int rc;

	rc = want_type(it, JSON_OBJECT, path, "an object", e);
	if (rc)
		return rc;
	json_object_foreach((json_t *)it, k, v) {
		snprintf(p, sizeof(p), "%s.%s", path, k);
		if (!strcmp(k, "id")) {
			rc = want_type(v, JSON_STRING, p, "a string", e);
			if (!rc && aios_id_valid(json_string_value(v), "item id", NULL))
				rc = FAIL(p, "must be 1..64 characters of [A-Za-z0-9_-]");
		} else if (!strcmp(k, "role")) {
			rc = want_type(v, JSON_STRING, p, "a string", e);
			if (!rc && !in_list(json_string_value(v), roles))
				rc = FAIL(p, "\"%s\" is not one of system, user, assistant, tool, observation",
					  json_string_value(v));
		} else if (!strcmp(k, "text")) {
			rc = want_type(v, JSON_STRING, p, "a string", e);
		} else if (!strcmp(k, "pinned")) {
			if (!json_is_boolean(v))
				rc = FAIL(p, "expected a boolean, got %s", type_name(v));
		} else if (!strcmp(k, "priority")) {
			rc = check_int(v, 0, 9, p, e);
		} else {
			rc = FAIL(p, "unknown field");
		}
		if (rc)
			return rc;
	}
	for (const char *const *req = (const char *const[]){ "id", "role", "text", NULL };
	     *req; req++)
		if (!json_object_get(it, *req))
			return FAIL(path, "missing required field \"%s\"", *req);
	return 0;
}

static int item_priority(const json_t *it)
{
	json_t *p = json_object_get(it, "priority");

	return p ? (int)json_integer_value(p) : 5;
}

static int item_pinned(const json_t *it)
{
	return json_is_true(json_object_get(it, "pinned"));
}

static size_t item_bytes(const json_t *it)
{
	return json_string_length(json_object_get(it, "text"));
}

static int validate_context(const json_t *c, struct aios_rerr *e, int bounds)
{
	const char *k;
	json_t *v, *items, *it;
	char p[512];
	size_t i, bytes = 0;
	int rc;

	rc = want_type(c, JSON_OBJECT, "$.context", "an object", e);
	if (rc)
		return rc;
	json_object_foreach((json_t *)c, k, v) {
		snprintf(p, sizeof(p), "$.context.%s", k);
		if (!strcmp(k, "max_items"))
			rc = check_int(v, 1, AIOS_WS_CTX_ITEMS_MAX, p, e);
		else if (!strcmp(k, "max_bytes"))
			rc = check_int(v, 1, AIOS_WS_CTX_BYTES_MAX, p, e);
		else if (!strcmp(k, "items"))
			rc = want_type(v, JSON_ARRAY, p, "an array", e);
		else
			rc = FAIL(p, "unknown field");
		if (rc)
			return rc;
	}
	for (const char *const *req = (const char *const[]){ "max_items",
		"max_bytes", "items", NULL }; *req; req++)
		if (!json_object_get(c, *req))
			return FAIL("$.context", "missing required field \"%s\"", *req);
	items = json_object_get(c, "items");
	json_array_foreach(items, i, it) {
		snprintf(p, sizeof(p), "$.context.items[%zu]", i);
		rc = validate_item(it, p, e);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(json_string_value(json_object_get(it, "id")),
				    json_string_value(json_object_get(
					    json_array_get(items, j), "id"))))
				return FAIL(p, "duplicate item id \"%s\"",
					    json_string_value(json_object_get(it, "id")));
		bytes += item_bytes(it);
	}
	if (bounds) {
		if (json_array_size(items) >
		    (size_t)json_integer_value(json_object_get(c, "max_items")))
			return FAIL("$.context.items",
				    "%zu items exceed max_items %lld",
				    json_array_size(items),
				    (long long)json_integer_value(json_object_get(c, "max_items")));
		if (bytes > (size_t)json_integer_value(json_object_get(c, "max_bytes")))
			return FAIL("$.context.items",
				    "%zu bytes of text exceed max_bytes %lld", bytes,
				    (long long)json_integer_value(json_object_get(c, "max_bytes")));
	}
	return 0;
}

static int validate(const json_t *doc, struct aios_rerr *e, int bounds)
{
	const char *k;
	json_t *v, *x;
	char p[512];
	size_t i;
	int rc;

	if (!doc)
		return aios_rerr_set(e, EINVAL, "$: document missing");
	rc = want_type(doc, JSON_OBJECT, "$", "an object", e);
	if (rc)
		return rc;
	json_object_foreach((json_t *)doc, k, v) {
		snprintf(p, sizeof(p), "$.%s", k);
		if (!strcmp(k, "goal")) {
			rc = want_type(v, JSON_STRING, p, "a string", e);
			if (!rc && json_string_length(v) > AIOS_WS_GOAL_MAX)
				rc = FAIL(p, "longer than %d bytes", AIOS_WS_GOAL_MAX);
		} else if (!strcmp(k, "status")) {
			rc = want_type(v, JSON_STRING, p, "a string", e);
			if (!rc && !in_list(json_string_value(v), statuses))
				rc = FAIL(p, "\"%s\" is not one of active, paused, done, failed",
					  json_string_value(v));
		} else if (!strcmp(k, "step")) {
			rc = check_int(v, 0, INT64_MAX, p, e);
		} else if (!strcmp(k, "vars")) {
			rc = want_type(v, JSON_OBJECT, p, "an object", e);
			if (!rc && json_object_size(v) > AIOS_WS_VARS_MAX)
				rc = FAIL(p, "more than %d variables", AIOS_WS_VARS_MAX);
			if (!rc)
				rc = check_depth(v, 1, p, e);
		} else if (!strcmp(k, "notes")) {
			rc = want_type(v, JSON_ARRAY, p, "an array", e);
			if (!rc && json_array_size(v) > AIOS_WS_NOTES_MAX)
				rc = FAIL(p, "more than %d notes", AIOS_WS_NOTES_MAX);
			if (!rc) {
				json_array_foreach(v, i, x) {
					char q[540];

					snprintf(q, sizeof(q), "%s[%zu]", p, i);
					rc = want_type(x, JSON_STRING, q, "a string", e);
					if (rc)
						break;
				}
			}
		} else if (!strcmp(k, "context")) {
			rc = validate_context(v, e, bounds);
		} else {
			rc = FAIL(p, "unknown field");
		}
		if (rc)
			return rc;
	}
	for (const char *const *req = (const char *const[]){ "goal", "status",
		"step", NULL }; *req; req++)
		if (!json_object_get(doc, *req))
			return FAIL("$", "missing required field \"%s\"", *req);
	{
		size_t n = json_dumpb(doc, NULL, 0, JSON_COMPACT);

		if (n > AIOS_WS_MAX_BYTES)
			return aios_rerr_set(e, EFBIG,
					     "$: document is %zu bytes serialized, limit %u",
					     n, AIOS_WS_MAX_BYTES);
	}
	return 0;
}

int aios_ws_validate(const json_t *doc, struct aios_rerr *e)
{
	return validate(doc, e, 1);
}

json_t *aios_ws_initial(void)
{
	return json_pack("{s:s, s:s, s:i}", "goal", "", "status", "active",
			 "step", 0);
}

char *aios_ws_serialize(const json_t *doc, uint64_t seq)
{
	json_t *f = json_pack("{s:s, s:i, s:I, s:O}", "format", "aios-workset",
			      "version", 1, "seq", (json_int_t)seq, "doc", doc);
	char *s;

	if (!f)
		return NULL;
	s = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(f);
	return s;
}

int aios_ws_parse_file(const char *text, size_t len, json_t **doc,
		       uint64_t *seq, struct aios_rerr *e)
{
	json_error_t je;
	json_t *f, *d, *s, *fmt, *ver;
	int rc;

	f = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!f)
		return aios_rerr_set(e, EBADMSG, "working set is not valid JSON: %s (line %d)",
				     je.text, je.line);
	fmt = json_object_get(f, "format");
	ver = json_object_get(f, "version");
	s = json_object_get(f, "seq");
	d = json_object_get(f, "doc");
	if (json_object_size(f) != 4 || !json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), "aios-workset") ||
	    !json_is_integer(ver) || json_integer_value(ver) != 1 ||
	    !json_is_integer(s) || json_integer_value(s) < 0 || !d) {
		json_decref(f);
		return aios_rerr_set(e, EBADMSG,
				     "working set file is not an aios-workset version 1 file");
	}
	rc = validate(d, e, 1);
	if (rc) {
		json_decref(f);
		if (rc == -EINVAL) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : "");
			rc = aios_rerr_set(e, EBADMSG,
					   "stored working set violates the schema: %s", why);
		}
		return rc;
	}
	*seq = (uint64_t)json_integer_value(s);
	*doc = json_incref(d);
	json_decref(f);
	return 0;
}

static int store(struct aios_ws *ws, const json_t *doc, uint64_t seq,
		 struct aios_rerr *e)
{
	char *s = aios_ws_serialize(doc, seq);
	int rc;

	if (!s)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	if (ws->cache)
		rc = aios_write_file_replace(ws->path, s, strlen(s), 0600, e);
	else
		rc = aios_write_file_atomic(ws->path, s, strlen(s), 0600, e);
	free(s);
	return rc;
}

void aios_ws_set_cache(struct aios_ws *ws)
{
	pthread_mutex_lock(&ws->mu);
	ws->cache = 1;
	pthread_mutex_unlock(&ws->mu);
}

int aios_ws_open(const char *path, struct aios_ws **out, struct aios_rerr *e)
{
	struct aios_ws *ws = calloc(1, sizeof(*ws));
	char *text = NULL;
	size_t len;
	int rc;

	if (!ws)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	ws->path = strdup(path);
	pthread_mutex_init(&ws->mu, NULL);
	rc = aios_read_file(path, 2 * AIOS_WS_MAX_BYTES, &text, &len, e);
	if (rc == -ENOENT) {
		ws->doc = aios_ws_initial();
		ws->seq = 0;
		rc = store(ws, ws->doc, 0, e);
	} else if (!rc) {
		rc = aios_ws_parse_file(text, len, &ws->doc, &ws->seq, e);
	}
	free(text);
	if (rc) {
		aios_ws_close(ws);
		return rc;
	}
	*out = ws;
	return 0;
}

void aios_ws_close(struct aios_ws *ws)
{
	if (!ws)
		return;
	json_decref(ws->doc);
	pthread_mutex_destroy(&ws->mu);
	free(ws->path);
	free(ws);
}

int aios_ws_get(struct aios_ws *ws, json_t **doc, uint64_t *seq)
{
	pthread_mutex_lock(&ws->mu);
	*doc = json_deep_copy(ws->doc);
	if (seq)
		*seq = ws->seq;
	pthread_mutex_unlock(&ws->mu);
	return *doc ? 0 : -ENOMEM;
}

static int stale(struct aios_ws *ws, uint64_t expected, struct aios_rerr *e)
{
	if (e)
		e->cur_seq = ws->seq;
	return aios_rerr_set(e, ESTALE,
			     "conflict: expected_seq %llu is stale, the working set is at seq %llu; re-read it and retry",
			     (unsigned long long)expected,
			     (unsigned long long)ws->seq);
}

int aios_ws_put(struct aios_ws *ws, uint64_t expected_seq, const json_t *doc,
		uint64_t *new_seq, struct aios_rerr *e)
{
	json_t *copy;
	int rc;

	rc = aios_ws_validate(doc, e);
	if (rc)
		return rc;
	copy = json_deep_copy(doc);
	if (!copy)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	pthread_mutex_lock(&ws->mu);
	if (expected_seq != ws->seq) {
		rc = stale(ws, expected_seq, e);
		goto out;
	}
	rc = store(ws, copy, ws->seq + 1, e);
	if (rc)
		goto out;
	json_decref(ws->doc);
	ws->doc = copy;
	copy = NULL;
	ws->seq++;
	if (new_seq)
		*new_seq = ws->seq;
out:
	pthread_mutex_unlock(&ws->mu);
	json_decref(copy);
	return rc;
}

int aios_ws_restore(struct aios_ws *ws, uint64_t seq, const json_t *prev,
		    uint64_t prev_seq, struct aios_rerr *e)
{
	json_t *copy = json_deep_copy(prev);
	int rc;

	if (!copy)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	pthread_mutex_lock(&ws->mu);
	if (ws->seq != seq) {
		rc = stale(ws, seq, e);
		goto out;
	}
	rc = store(ws, copy, prev_seq, e);
	/* a cache that could not be rewritten is rebuilt at the next open */
	if (rc && !ws->cache)
		goto out;
	json_decref(ws->doc);
	ws->doc = copy;
	copy = NULL;
	ws->seq = prev_seq;
out:
	pthread_mutex_unlock(&ws->mu);
	json_decref(copy);
	return rc;
}

int aios_ws_evict(json_t *context, json_t *evicted, struct aios_rerr *e)
{
	json_t *items = json_object_get(context, "items");
	size_t max_items = (size_t)json_integer_value(json_object_get(context, "max_items"));
	size_t max_bytes = (size_t)json_integer_value(json_object_get(context, "max_bytes"));
	size_t n = json_array_size(items), bytes = 0, pinned_n = 0, pinned_b = 0;
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		bytes += item_bytes(it);
		if (item_pinned(it)) {
			pinned_n++;
			pinned_b += item_bytes(it);
		}
	}
	if (pinned_n > max_items || pinned_b > max_bytes)
		return aios_rerr_set(e, ENOSPC,
				     "$.context: pinned items alone (%zu items, %zu bytes) exceed the bounds (%zu items, %zu bytes); unpin some",
				     pinned_n, pinned_b, max_items, max_bytes);
	while (n > max_items || bytes > max_bytes) {
		size_t victim = SIZE_MAX;
		int vprio = 100;

		json_array_foreach(items, i, it) {
			if (item_pinned(it))
				continue;
			if (item_priority(it) < vprio) {
				vprio = item_priority(it);
				victim = i;
			}
		}
		it = json_array_get(items, victim);
		if (evicted)
			json_array_append(evicted, json_object_get(it, "id"));
		bytes -= item_bytes(it);
		json_array_remove(items, victim);
		n--;
	}
	return 0;
}

int aios_ws_context_push(struct aios_ws *ws, uint64_t expected_seq,
			 const json_t *items, uint64_t *new_seq,
			 json_t **evicted, struct aios_rerr *e)
{
	json_t *doc = NULL, *ctx, *ev = json_array(), *it;
	size_t i;
	int rc;

	if (!json_is_array(items)) {
		rc = aios_rerr_set(e, EINVAL, "$.items: expected an array of context items");
		goto out_free;
	}
	json_array_foreach(items, i, it) {
		char p[64];

		snprintf(p, sizeof(p), "$.items[%zu]", i);
		rc = validate_item(it, p, e);
		if (rc)
			goto out_free;
	}
	pthread_mutex_lock(&ws->mu);
	if (expected_seq != ws->seq) {
		rc = stale(ws, expected_seq, e);
		goto out;
	}
	doc = json_deep_copy(ws->doc);
	ctx = json_object_get(doc, "context");
	if (!ctx) {
		rc = aios_rerr_set(e, ENOENT,
				   "$.context: the working set has no sliding context; put one with max_items and max_bytes first");
		goto out;
	}
	json_array_extend(json_object_get(ctx, "items"), (json_t *)items);
	rc = validate(doc, e, 0);	/* ids unique, types right */
	if (!rc)
		rc = aios_ws_evict(ctx, ev, e);
	if (!rc)
		rc = aios_ws_validate(doc, e);
	if (!rc)
		rc = store(ws, doc, ws->seq + 1, e);
	if (rc)
		goto out;
	json_decref(ws->doc);
	ws->doc = doc;
	doc = NULL;
	ws->seq++;
	if (new_seq)
		*new_seq = ws->seq;
	if (evicted) {
		*evicted = ev;
		ev = NULL;
	}
out:
	pthread_mutex_unlock(&ws->mu);
out_free:
	json_decref(doc);
	json_decref(ev);
	return rc;
}
