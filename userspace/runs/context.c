// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "context.h"
#include "fsutil.h"

struct aios_ctx {
	char *dir;
	json_t *models;			/* name -> tokens */
	uint64_t (*now)(void *);
	void *now_arg;
	/* mu protects the budget files (read-modify-write) */
	pthread_mutex_t mu;
};

static const struct { const char *name; uint64_t tokens; } default_models[] = {
	{ "gpt-4o", 128000 }, { "gpt-4o-mini", 128000 },
	{ "gpt-4-turbo", 128000 }, { "gpt-4", 8192 }, { "gpt-4-32k", 32768 },
	{ "gpt-3.5-turbo", 16385 }, { "o1", 200000 }, { "o3", 200000 },
	{ "claude-2", 100000 }, { "claude-3", 200000 },
	{ "claude-3-5", 200000 }, { "claude", 200000 },
	{ "llama-2", 4096 }, { "llama-3", 8192 }, { "llama-3.1", 131072 },
	{ "llama-3.2", 131072 }, { "llama-3.3", 131072 },
	{ "mistral", 32768 }, { "mixtral", 32768 },
	{ "gemma", 8192 }, { "gemma-2", 8192 }, { "gemma-3", 131072 },
	{ "qwen2", 32768 }, { "qwen2.5", 32768 }, { "phi-3", 4096 },
	{ "deepseek", 65536 }, { "gemini-1.5", 1048576 },
};

static uint64_t real_now(void *arg)
{
	(void)arg;
	return aios_now_ns();
}

static int load_models(struct aios_ctx *c, const char *path,
		       struct aios_rerr *e)
{
	json_error_t je;
	json_t *f, *m, *v;
	const char *k;
	char *text;
	size_t len;
	int rc;

	rc = aios_read_file(path, 1 << 20, &text, &len, e);
	if (rc)
		return rc;
	f = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!f)
		return aios_rerr_set(e, EINVAL, "model table %s: %s (line %d)",
				     path, je.text, je.line);
	m = json_object_get(f, "models");
	if (!json_is_object(m) || json_object_size(f) != 1) {
		json_decref(f);
		return aios_rerr_set(e, EINVAL,
				     "model table %s: expected {\"models\": {\"name\": tokens, ...}} and nothing else",
				     path);
	}
	json_object_foreach(m, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > (1LL << 32) || !*k || strlen(k) > 128) {
			int rc = aios_rerr_set(e, EINVAL,
					       "model table %s: $.models.%.128s: expected an integer 1..4294967296",
					       path, k);

			json_decref(f);
			return rc;
		}
		json_object_set(c->models, k, v);
	}
	json_decref(f);
	return 0;
}

int aios_ctx_open(const char *dir, const char *models_path,
		  struct aios_ctx **out, struct aios_rerr *e)
{
	struct aios_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	c->dir = strdup(dir);
	c->now = real_now;
	pthread_mutex_init(&c->mu, NULL);
	c->models = json_object();
	for (size_t i = 0; i < sizeof(default_models) / sizeof(default_models[0]); i++)
		json_object_set_new(c->models, default_models[i].name,
				    json_integer((json_int_t)default_models[i].tokens));
	rc = aios_mkdir_p(dir, e);
	if (!rc && models_path)
		rc = load_models(c, models_path, e);
	if (rc) {
		aios_ctx_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void aios_ctx_close(struct aios_ctx *c)
{
	if (!c)
		return;
	json_decref(c->models);
	pthread_mutex_destroy(&c->mu);
	free(c->dir);
	free(c);
}

void aios_ctx_set_clock(struct aios_ctx *c, uint64_t (*now)(void *), void *arg)
{
	c->now = now ? now : real_now;
	c->now_arg = arg;
}

int aios_ctx_validate_messages(const json_t *msgs, struct aios_rerr *e)
{
	static const char *const roles[] = { "system", "user", "assistant", "tool", NULL };
	const char *k;
	json_t *m, *v;
	size_t i;

	if (!json_is_array(msgs))
		return aios_rerr_set(e, EINVAL, "$.messages: expected an array");
	if (json_array_size(msgs) > AIOS_CTX_MAX_MESSAGES)
		return aios_rerr_set(e, E2BIG, "$.messages: more than %d messages",
				     AIOS_CTX_MAX_MESSAGES);
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m))
			return aios_rerr_set(e, EINVAL, "$.messages[%zu]: expected an object", i);
		json_object_foreach(m, k, v) {
			if (!strcmp(k, "role")) {
				int ok = 0;

				for (const char *const *r = roles; *r && json_is_string(v); r++)
					ok |= !strcmp(*r, json_string_value(v));
				if (!ok)
					return aios_rerr_set(e, EINVAL,
							     "$.messages[%zu].role: expected one of system, user, assistant, tool",
							     i);
			} else if (!strcmp(k, "content") || !strcmp(k, "name")) {
				if (!json_is_string(v))
					return aios_rerr_set(e, EINVAL,
							     "$.messages[%zu].%s: expected a string", i, k);
			} else {
				return aios_rerr_set(e, EINVAL,
						     "$.messages[%zu].%s: unknown field", i, k);
			}
		}
		if (!json_object_get(m, "role") || !json_object_get(m, "content"))
			return aios_rerr_set(e, EINVAL,
					     "$.messages[%zu]: \"role\" and \"content\" are required", i);
	}
	return 0;
}

/* ---- tokens ------------------------------------------------------------- */

size_t aios_tokens_text(const char *s, size_t len)
{
	size_t t = 0, i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (isalpha(c) && c < 0x80) {
			size_t n = 0;

			while (i < len && (unsigned char)s[i] < 0x80 &&
			       isalpha((unsigned char)s[i])) {
				i++;
				n++;
			}
			t += (n + 3) / 4;
		} else if (c >= '0' && c <= '9') {
			size_t n = 0;

			while (i < len && s[i] >= '0' && s[i] <= '9') {
				i++;
				n++;
			}
			t += (n + 2) / 3;
		} else if (c < 0x80) {
			if (!isspace(c))
				t++;
			i++;
		} else {
			/* count UTF-8 lead bytes only: one per code point */
			if ((c & 0xc0) != 0x80)
				t++;
			i++;
		}
	}
	return t;
}

static size_t msg_tokens(const json_t *m)
{
	json_t *c = json_object_get(m, "content");
	json_t *n = json_object_get(m, "name");
	size_t t = AIOS_CTX_MSG_TOKENS;

	t += aios_tokens_text(json_string_value(c), json_string_length(c));
	if (n)
		t += aios_tokens_text(json_string_value(n), json_string_length(n));
	return t;
}

size_t aios_tokens_messages(const json_t *msgs)
{
	size_t t = AIOS_CTX_PRIMER_TOKENS, i;
	json_t *m;

	json_array_foreach(msgs, i, m)
		t += msg_tokens(m);
	return t;
}

int aios_ctx_truncate(const json_t *msgs, size_t budget, size_t keep_last,
		      json_t **out, struct aios_trunc *r, struct aios_rerr *e)
{
	size_t n = json_array_size(msgs), sys = 0, used, first_kept, i;
	json_t *res;
	int rc;

	rc = aios_ctx_validate_messages(msgs, e);
	if (rc)
		return rc;
	while (sys < n && !strcmp(json_string_value(json_object_get(
			json_array_get(msgs, sys), "role")), "system"))
		sys++;
	used = AIOS_CTX_PRIMER_TOKENS;
	for (i = 0; i < sys; i++)
		used += msg_tokens(json_array_get(msgs, i));
	if (used > budget)
		return aios_rerr_set(e, E2BIG,
				     "the system prompt alone needs %zu tokens, more than the budget of %zu",
				     used, budget);
	first_kept = n;
	while (first_kept > sys) {
		size_t t = msg_tokens(json_array_get(msgs, first_kept - 1));

		if (keep_last && n - first_kept >= keep_last)
			break;
		if (used + t > budget)
			break;
		used += t;
		first_kept--;
	}
	res = json_array();
	r->dropped_idx = json_array();
	for (i = 0; i < n; i++) {
		if (i < sys || i >= first_kept)
			json_array_append(res, json_array_get(msgs, i));
		else
			json_array_append_new(r->dropped_idx, json_integer((json_int_t)i));
	}
	r->tokens_before = aios_tokens_messages(msgs);
	r->tokens_after = used;
	r->kept = json_array_size(res);
	r->dropped = n - r->kept;
	*out = res;
	return 0;
}

/* ---- models ------------------------------------------------------------- */

int aios_ctx_model_window(struct aios_ctx *c, const char *model,
			  uint64_t *tokens, struct aios_rerr *e)
{
	const char *k, *best = NULL;
	size_t best_len = 0, ml;
	json_t *v;

	if (!model || !*model)
		return aios_rerr_set(e, EINVAL, "model name missing");
	ml = strlen(model);
	json_object_foreach(c->models, k, v) {
		size_t kl = strlen(k);

		if (kl > ml || strncasecmp(model, k, kl))
			continue;
		if (kl < ml && !strchr("-:@/", model[kl]))
			continue;
		if (kl > best_len) {
			best = k;
			best_len = kl;
		}
	}
	if (!best)
		return aios_rerr_set(e, ENOENT,
				     "unknown model \"%.128s\": add it to the model table (\"models\" in the context config)",
				     model);
	*tokens = (uint64_t)json_integer_value(json_object_get(c->models, best));
	return 0;
}

json_t *aios_ctx_models(struct aios_ctx *c)
{
	return json_deep_copy(c->models);
}

/* ---- snapshots ------------------------------------------------------------ */

static int agent_dir(struct aios_ctx *c, uint64_t agent, char *out, size_t len,
		     struct aios_rerr *e)
{
	if (!agent)
		return aios_rerr_set(e, EINVAL, "agent id 0 is not valid");
	snprintf(out, len, "%s/%" PRIu64, c->dir, agent);
	return 0;
}

int aios_ctx_snapshot_create(struct aios_ctx *c, uint64_t agent,
			     const json_t *messages, const char *model,
			     uint64_t ttl_s, char *id_out, struct aios_rerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 80], id[AIOS_ID_MAX + 1], *text;
	uint64_t now = c->now(c->now_arg), window = 0;
	json_t *s;
	int rc;

	rc = agent_dir(c, agent, dir, sizeof(dir), e);
	if (rc)
		return rc;
	rc = aios_ctx_validate_messages(messages, e);
	if (rc)
		return rc;
	if (model) {
		rc = aios_ctx_model_window(c, model, &window, e);
		if (rc)
			return rc;
	}
	if (ttl_s > 10ull * 365 * 86400)
		return aios_rerr_set(e, EINVAL, "ttl of %" PRIu64 " s is more than 10 years",
				     ttl_s);
	rc = aios_id_random("c-", id, sizeof(id));
	if (rc)
		return aios_rerr_set(e, rc, "cannot generate a snapshot id");
	s = json_pack("{s:s, s:I, s:I, s:I, s:s?, s:O, s:I}",
		      "id", id, "agent", (json_int_t)agent,
		      "created_ns", (json_int_t)now,
		      "expires_ns", (json_int_t)(ttl_s ? now + ttl_s * 1000000000ull : 0),
		      "model", model, "messages", messages,
		      "tokens", (json_int_t)aios_tokens_messages(messages));
	if (!s)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	if (window)
		json_object_set_new(s, "window_tokens", json_integer((json_int_t)window));
	text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(s);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	if (strlen(text) > AIOS_CTX_MAX_BYTES) {
		free(text);
		return aios_rerr_set(e, EFBIG, "snapshot is larger than %u bytes",
				     AIOS_CTX_MAX_BYTES);
	}
	rc = aios_mkdir_p(dir, e);
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	if (!rc)
		rc = aios_write_file_excl(path, text, strlen(text), 0600, e);
	free(text);
	if (!rc)
		memcpy(id_out, id, strlen(id) + 1);
	return rc;
}

static int load_snap(struct aios_ctx *c, const char *dir, const char *id,
		     json_t **snap, int *expired, struct aios_rerr *e)
{
	char path[PATH_MAX + 80], *text;
	json_error_t je;
	json_t *exp;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	rc = aios_read_file(path, AIOS_CTX_MAX_BYTES + 4096, &text, &len, e);
	if (rc == -ENOENT)
		return aios_rerr_set(e, ENOENT, "no context snapshot \"%s\" for this agent", id);
	if (rc)
		return rc;
	*snap = json_loadb(text, len, 0, &je);
	free(text);
	if (!*snap)
		return aios_rerr_set(e, EBADMSG, "context snapshot %s is corrupt", id);
	exp = json_object_get(*snap, "expires_ns");
	*expired = json_integer_value(exp) &&
		   (uint64_t)json_integer_value(exp) <= c->now(c->now_arg);
	if (*expired) {
		unlink(path);
		json_decref(*snap);
		*snap = NULL;
	}
	return 0;
}

int aios_ctx_snapshot_restore(struct aios_ctx *c, uint64_t agent,
			      const char *id, json_t **snap,
			      struct aios_rerr *e)
{
	char dir[PATH_MAX];
	int rc, expired;

	rc = agent_dir(c, agent, dir, sizeof(dir), e);
	if (!rc)
		rc = aios_id_valid(id, "snapshot id", e);
	if (!rc)
		rc = load_snap(c, dir, id, snap, &expired, e);
	if (!rc && expired)
		rc = aios_rerr_set(e, ENOENT, "context snapshot \"%s\" has expired", id);
	return rc;
}

static int cmp_created(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "created_ns"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "created_ns"));

	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
		      json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

static int scan_agent(struct aios_ctx *c, const char *dir, json_t *out,
		      size_t *removed, struct aios_rerr *e)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 :
		       aios_rerr_set(e, errno, "cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char id[AIOS_ID_MAX + 1];
		json_t *s;
		int expired;

		if (l < 6 || l - 5 > AIOS_ID_MAX || strcmp(de->d_name + l - 5, ".json"))
			continue;
		memcpy(id, de->d_name, l - 5);
		id[l - 5] = 0;
		if (aios_id_valid(id, "id", NULL) ||
		    load_snap(c, dir, id, &s, &expired, NULL))
			continue;
		if (expired) {
			if (removed)
				(*removed)++;
			continue;
		}
		if (out) {
			json_object_del(s, "messages");
			json_array_append(out, s);
		}
		json_decref(s);
	}
	closedir(d);
	return 0;
}

int aios_ctx_snapshot_list(struct aios_ctx *c, uint64_t agent, json_t **list,
			   struct aios_rerr *e)
{
	char dir[PATH_MAX];
	json_t *out, **v;
	size_t n;
	int rc;

	rc = agent_dir(c, agent, dir, sizeof(dir), e);
	if (rc)
		return rc;
	out = json_array();
	rc = scan_agent(c, dir, out, NULL, e);
	if (rc) {
		json_decref(out);
		return rc;
	}
	n = json_array_size(out);
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(out, i));
	qsort(v, n, sizeof(*v), cmp_created);
	json_array_clear(out);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	*list = out;
	return 0;
}

int aios_ctx_snapshot_delete(struct aios_ctx *c, uint64_t agent,
			     const char *id, struct aios_rerr *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 80];
	int rc;

	rc = agent_dir(c, agent, dir, sizeof(dir), e);
	if (!rc)
		rc = aios_id_valid(id, "snapshot id", e);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	if (unlink(path) < 0)
		return errno == ENOENT ?
		       aios_rerr_set(e, ENOENT, "no context snapshot \"%s\" for this agent", id) :
		       aios_rerr_set(e, errno, "cannot delete %s: %s", path, strerror(errno));
	aios_fsync_dir(dir);
	return 0;
}

int aios_ctx_expire(struct aios_ctx *c, size_t *removed, struct aios_rerr *e)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(c->dir);
	int rc = 0;

	if (!d)
		return aios_rerr_set(e, errno, "cannot read %s: %s", c->dir, strerror(errno));
	while ((de = readdir(d)) && !rc) {
		char dir[PATH_MAX], *end;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		strtoull(de->d_name, &end, 10);
		if (*end)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", c->dir, de->d_name);
		rc = scan_agent(c, dir, NULL, &n, e);
	}
	closedir(d);
	if (removed)
		*removed = n;
	return rc;
}

/* ---- budgets ------------------------------------------------------------------ */

static int budget_path(struct aios_ctx *c, uint64_t owner, const char *session,
		       char *out, size_t len, struct aios_rerr *e)
{
	int rc = aios_id_valid(session, "session id", e);

	if (rc)
		return rc;
	snprintf(out, len, "%s/sessions/%" PRIu64 "/%s.json", c->dir, owner, session);
	return 0;
}

static int budget_load(const char *path, uint64_t *limit, uint64_t *used,
		       const char *session, struct aios_rerr *e)
{
	char *text;
	size_t len;
	json_t *b;
	int rc;

	rc = aios_read_file(path, 4096, &text, &len, e);
	if (rc == -ENOENT)
		return aios_rerr_set(e, ENOENT, "session \"%s\" has no token budget; set one first",
				     session);
	if (rc)
		return rc;
	b = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_integer(json_object_get(b, "limit")) ||
	    !json_is_integer(json_object_get(b, "used"))) {
		json_decref(b);
		return aios_rerr_set(e, EBADMSG, "budget file %s is corrupt", path);
	}
	*limit = (uint64_t)json_integer_value(json_object_get(b, "limit"));
	*used = (uint64_t)json_integer_value(json_object_get(b, "used"));
	json_decref(b);
	return 0;
}

static int budget_store(struct aios_ctx *c, uint64_t owner, const char *path,
			uint64_t limit, uint64_t used, struct aios_rerr *e)
{
	char buf[128], dir[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "{\"limit\":%" PRIu64 ",\"used\":%" PRIu64 "}",
			 limit, used);
	int rc;

	snprintf(dir, sizeof(dir), "%s/sessions/%" PRIu64, c->dir, owner);
	rc = aios_mkdir_p(dir, e);
	return rc ? rc : aios_write_file_atomic(path, buf, (size_t)n, 0600, e);
}

int aios_ctx_budget_set(struct aios_ctx *c, uint64_t owner,
			const char *session, uint64_t limit,
			struct aios_rerr *e)
{
	char path[PATH_MAX];
	uint64_t old_limit, used = 0;
	int rc;

	if (!limit || limit > (1ull << 53))
		return aios_rerr_set(e, EINVAL, "token budget must be 1..2^53");
	rc = budget_path(c, owner, session, path, sizeof(path), e);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->mu);
	if (budget_load(path, &old_limit, &used, session, NULL))
		used = 0;
	rc = budget_store(c, owner, path, limit, used, e);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int aios_ctx_budget_charge(struct aios_ctx *c, uint64_t owner,
			   const char *session, uint64_t tokens,
			   uint64_t *remaining, struct aios_rerr *e)
{
	char path[PATH_MAX];
	uint64_t limit, used;
	int rc;

	rc = budget_path(c, owner, session, path, sizeof(path), e);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->mu);
	rc = budget_load(path, &limit, &used, session, e);
	if (!rc && (tokens > limit || used > limit - tokens))
		rc = aios_rerr_set(e, EDQUOT,
				   "session \"%s\" token budget exceeded: limit %" PRIu64
				   ", used %" PRIu64 ", this request needs %" PRIu64
				   " (%" PRIu64 " over); raise the budget or truncate the context",
				   session, limit, used, tokens, used + tokens - limit);
	if (!rc)
		rc = budget_store(c, owner, path, limit, used + tokens, e);
	if (!rc && remaining)
		*remaining = limit - used - tokens;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int aios_ctx_budget_get(struct aios_ctx *c, uint64_t owner,
			const char *session, uint64_t *limit, uint64_t *used,
			struct aios_rerr *e)
{
	char path[PATH_MAX];
	int rc;

	rc = budget_path(c, owner, session, path, sizeof(path), e);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->mu);
	rc = budget_load(path, limit, used, session, e);
	pthread_mutex_unlock(&c->mu);
	return rc;
}
