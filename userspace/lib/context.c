// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Conversation contexts through a session with aiosd: snapshots (create,
 * restore, list, delete, TTL), the model table, window checks and
 * truncation, and per-session token budgets.  Conversations are JSON
 * arrays of {"role", "content"[, "name"]} messages (Documentation/runs.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

static int with_messages(struct aios_session *s, const char *op,
			 const char *messages, json_t **out)
{
	char what[64];
	json_t *m, *req;
	int err;

	*out = NULL;
	snprintf(what, sizeof(what), "%s: messages", op);
	err = aiosi_sparse(s, what, messages, JSON_ARRAY, &m);
	if (err)
		return err;
	req = aiosi_sreq(s, op);
	if (!req || json_object_set_new(req, "messages", m)) {
		if (!req)
			json_decref(m);
		json_decref(req);
		return aiosi_sfail(s, -ENOMEM, "out of memory");
	}
	*out = req;
	return 0;
}

/* model (NULL: none) and budget (0: none); one of them is required. */
static int model_budget(struct aios_session *s, json_t **req, const char *op,
			const char *model, uint64_t budget)
{
	int err = 0;

	if (!model && !budget)
		err = aiosi_sfail(s, -EINVAL, "%s: give a model or a token budget", op);
	else if ((model && aiosi_sset(s, *req, "model", json_string(model))) ||
		 (budget && aiosi_sset(s, *req, "budget", json_integer((json_int_t)budget))))
		err = aiosi_sfail(s, -EINVAL, "%s: model name is not UTF-8", op);
	if (err) {
		json_decref(*req);
		*req = NULL;
	}
	return err;
}

static int named(struct aios_session *s, const char *op, const char *field,
		 const char *val, json_t **out)
{
	*out = NULL;
	if (!val || !*val)
		return aiosi_sfail(s, -EINVAL, "%s: no %s given", op, field);
	*out = aiosi_sreq(s, op);
	if (!*out || aiosi_sset(s, *out, field, json_string(val))) {
		json_decref(*out);
		*out = NULL;
		return aiosi_sfail(s, -EINVAL, "%s: %s is not UTF-8 (or out of memory)", op, field);
	}
	return 0;
}

static uint64_t u64_of(json_t *obj, const char *field)
{
	json_int_t v = json_integer_value(json_object_get(obj, field));

	return v > 0 ? (uint64_t)v : 0;
}

int aios_context_create(struct aios_session *s, const char *messages,
			const char *model, uint32_t ttl_s, char **snapshot,
			uint64_t *tokens)
{
	json_t *req, *rep = NULL;
	int err = with_messages(s, "context.create", messages, &req);

	if (snapshot)
		*snapshot = NULL;
	if (err)
		return err;
	if ((model && aiosi_sset(s, req, "model", json_string(model))) ||
	    (ttl_s && aiosi_sset(s, req, "ttl_s", json_integer(ttl_s)))) {
		json_decref(req);
		return aiosi_sfail(s, -EINVAL, "context.create: model name is not UTF-8");
	}
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		if (tokens)
			*tokens = u64_of(rep, "tokens");
		err = aiosi_sstr(s, rep, "snapshot", snapshot);
	}
	json_decref(rep);
	return err;
}

static int call_field(struct aios_session *s, json_t *req, const char *field,
		      char **json)
{
	json_t *rep = NULL;
	int err;

	if (json)
		*json = NULL;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sresult(s, rep, field, json);
	json_decref(rep);
	return err;
}

int aios_context_restore(struct aios_session *s, const char *snapshot, char **json)
{
	json_t *req;
	int err = named(s, "context.restore", "snapshot", snapshot, &req);

	if (json)
		*json = NULL;
	return err ? err : call_field(s, req, "snapshot", json);
}

int aios_context_list(struct aios_session *s, char **json)
{
	return call_field(s, aiosi_sreq(s, "context.list"), "snapshots", json);
}

int aios_context_delete(struct aios_session *s, const char *snapshot)
{
	json_t *req;
	int err = named(s, "context.delete", "snapshot", snapshot, &req);

	return err ? err : aiosi_scall(s, req, NULL);
}

int aios_context_expire(struct aios_session *s, uint64_t *removed)
{
	json_t *rep = NULL;
	int err = aiosi_scall(s, aiosi_sreq(s, "context.expire"), &rep);

	if (!err && removed)
		*removed = u64_of(rep, "removed");
	json_decref(rep);
	return err;
}

int aios_context_models(struct aios_session *s, char **json)
{
	return call_field(s, aiosi_sreq(s, "context.models"), "models", json);
}

int aios_context_check(struct aios_session *s, const char *messages,
		       const char *model, uint64_t budget, uint64_t *tokens,
		       uint64_t *window, bool *fits)
{
	json_t *req, *rep = NULL;
	int err = with_messages(s, "context.check", messages, &req);

	if (err || (err = model_budget(s, &req, "context.check", model, budget)))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		if (tokens)
			*tokens = u64_of(rep, "tokens");
		if (window)
			*window = u64_of(rep, "budget");
		if (fits)
			*fits = json_is_true(json_object_get(rep, "fits"));
	}
	json_decref(rep);
	return err;
}

int aios_context_truncate(struct aios_session *s, const char *messages,
			  const char *model, uint64_t budget, int keep_last,
			  uint64_t reserve, char **json)
{
	json_t *req, *rep = NULL;
	int err = with_messages(s, "context.truncate", messages, &req);

	if (json)
		*json = NULL;
	if (err || (err = model_budget(s, &req, "context.truncate", model, budget)))
		return err;
	if ((keep_last >= 0 && aiosi_sset(s, req, "keep_last", json_integer(keep_last))) ||
	    (reserve && aiosi_sset(s, req, "reserve", json_integer((json_int_t)reserve)))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sresult(s, rep, NULL, json);
	json_decref(rep);
	return err;
}

int aios_context_budget_set(struct aios_session *s, const char *session,
			    uint64_t limit)
{
	json_t *req;
	int err = named(s, "context.budget_set", "session", session, &req);

	if (err)
		return err;
	if (aiosi_sset(s, req, "limit", json_integer((json_int_t)limit))) {
		json_decref(req);
		return -ENOMEM;
	}
	return aiosi_scall(s, req, NULL);
}

int aios_context_budget_charge(struct aios_session *s, const char *session,
			       uint64_t tokens, uint64_t *remaining)
{
	json_t *req, *rep = NULL;
	int err = named(s, "context.budget_charge", "session", session, &req);

	if (err)
		return err;
	if (aiosi_sset(s, req, "tokens", json_integer((json_int_t)tokens))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err && remaining)
		*remaining = u64_of(rep, "remaining");
	json_decref(rep);
	return err;
}

int aios_context_budget_get(struct aios_session *s, const char *session,
			    uint64_t *limit, uint64_t *used, uint64_t *remaining)
{
	json_t *req, *rep = NULL;
	int err = named(s, "context.budget_get", "session", session, &req);

	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		if (limit)
			*limit = u64_of(rep, "limit");
		if (used)
			*used = u64_of(rep, "used");
		if (remaining)
			*remaining = u64_of(rep, "remaining");
	}
	json_decref(rep);
	return err;
}
