// SPDX-License-Identifier: GPL-2.0
/*
 * Context manager: snapshots (create/restore/list/delete, per-agent
 * isolation, TTL expiry), message validation, model table and lookup,
 * the token counter, truncation and per-session budgets.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kselftest_harness.h"
#include "context.h"
#include "testutil.h"

static uint64_t fake_now(void *arg)
{
	return *(uint64_t *)arg;
}

FIXTURE(c) {
	char dir[256];
	struct aios_ctx *ctx;
	uint64_t now;
};

FIXTURE_SETUP(c)
{
	make_scratch(self->dir, sizeof(self->dir));
	ASSERT_EQ(0, aios_ctx_open(self->dir, NULL, &self->ctx, NULL));
	self->now = 1000ull * 1000000000ull;
	aios_ctx_set_clock(self->ctx, fake_now, &self->now);
}

FIXTURE_TEARDOWN(c)
{
	aios_ctx_close(self->ctx);
	rm_scratch(self->dir);
}

static json_t *conv(int n)
{
	json_t *a = json_array();

	json_array_append_new(a, json_pack("{s:s, s:s}", "role", "system",
					   "content", "You are a careful agent."));
	for (int i = 0; i < n; i++) {
		char t[64];

		snprintf(t, sizeof(t), "message number %d with some words", i);
		json_array_append_new(a, json_pack("{s:s, s:s}", "role",
						   i % 2 ? "assistant" : "user", "content", t));
	}
	return a;
}

TEST_F(c, snapshot_lifecycle_and_isolation)
{
	char id1[80], id2[80];
	struct aios_rerr e;
	json_t *m = conv(4), *s, *list;

	ASSERT_EQ(0, aios_ctx_snapshot_create(self->ctx, 7, m, "gpt-4o", 0, id1, &e));
	ASSERT_EQ(0, aios_ctx_snapshot_create(self->ctx, 7, m, NULL, 60, id2, &e));
	ASSERT_STRNE(id1, id2);
	ASSERT_EQ(0, aios_ctx_snapshot_restore(self->ctx, 7, id1, &s, &e));
	ASSERT_TRUE(json_equal(m, json_object_get(s, "messages")));
	ASSERT_EQ(128000, json_integer_value(json_object_get(s, "window_tokens")));
	ASSERT_EQ(aios_tokens_messages(m), json_integer_value(json_object_get(s, "tokens")));
	json_decref(s);
	/* another agent sees nothing of agent 7 */
	ASSERT_EQ(-ENOENT, aios_ctx_snapshot_restore(self->ctx, 8, id1, &s, &e));
	ASSERT_EQ(0, aios_ctx_snapshot_list(self->ctx, 8, &list, &e));
	ASSERT_EQ(0, json_array_size(list));
	json_decref(list);
	ASSERT_EQ(-ENOENT, aios_ctx_snapshot_delete(self->ctx, 8, id1, &e));
	ASSERT_EQ(0, aios_ctx_snapshot_list(self->ctx, 7, &list, &e));
	ASSERT_EQ(2, json_array_size(list));
	ASSERT_EQ(NULL, json_object_get(json_array_get(list, 0), "messages"));
	json_decref(list);
	/* ids cannot traverse */
	ASSERT_EQ(-EINVAL, aios_ctx_snapshot_restore(self->ctx, 7, "../7/x", &s, &e));
	ASSERT_EQ(-EINVAL, aios_ctx_snapshot_create(self->ctx, 0, m, NULL, 0, id1, &e));
	/* unknown model */
	ASSERT_EQ(-ENOENT, aios_ctx_snapshot_create(self->ctx, 7, m, "no-such-model", 0, id1, &e));
	ASSERT_NE(NULL, strstr(e.msg, "model table"));

	/* TTL: id2 expires after 60 s */
	self->now += 59ull * 1000000000ull;
	ASSERT_EQ(0, aios_ctx_snapshot_restore(self->ctx, 7, id2, &s, &e));
	json_decref(s);
	self->now += 2ull * 1000000000ull;
	ASSERT_EQ(-ENOENT, aios_ctx_snapshot_restore(self->ctx, 7, id2, &s, &e));
	ASSERT_NE(NULL, strstr(e.msg, "expired"));
	ASSERT_EQ(0, aios_ctx_snapshot_list(self->ctx, 7, &list, &e));
	ASSERT_EQ(1, json_array_size(list));
	json_decref(list);
	ASSERT_EQ(0, aios_ctx_snapshot_delete(self->ctx, 7, id1, &e));
	ASSERT_EQ(-ENOENT, aios_ctx_snapshot_restore(self->ctx, 7, id1, &s, &e));

	/* expire sweeps every agent */
	{
		size_t removed;

		ASSERT_EQ(0, aios_ctx_snapshot_create(self->ctx, 9, m, NULL, 1, id1, &e));
		ASSERT_EQ(0, aios_ctx_snapshot_create(self->ctx, 10, m, NULL, 1, id2, &e));
		ASSERT_EQ(0, aios_ctx_snapshot_create(self->ctx, 10, m, NULL, 0, id2, &e));
		self->now += 5ull * 1000000000ull;
		ASSERT_EQ(0, aios_ctx_expire(self->ctx, &removed, &e));
		ASSERT_EQ(2, removed);
		ASSERT_EQ(0, aios_ctx_snapshot_restore(self->ctx, 10, id2, &s, &e));
		json_decref(s);
	}
	json_decref(m);
}

TEST(message_validation_paths)
{
	struct aios_rerr e;
	json_t *m;

	m = json_loads("[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"robot\",\"content\":\"x\"}]", 0, NULL);
	ASSERT_EQ(-EINVAL, aios_ctx_validate_messages(m, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.messages[1].role"));
	json_decref(m);
	m = json_loads("[{\"role\":\"user\",\"content\":\"hi\",\"mood\":\"ok\"}]", 0, NULL);
	ASSERT_EQ(-EINVAL, aios_ctx_validate_messages(m, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.messages[0].mood: unknown field"));
	json_decref(m);
	m = json_loads("[{\"role\":\"user\",\"content\":5}]", 0, NULL);
	ASSERT_EQ(-EINVAL, aios_ctx_validate_messages(m, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.messages[0].content"));
	json_decref(m);
	m = json_loads("{}", 0, NULL);
	ASSERT_EQ(-EINVAL, aios_ctx_validate_messages(m, &e));
	json_decref(m);
}

TEST(token_counter_documented_rules)
{
	ASSERT_EQ(0, aios_tokens_text("", 0));
	ASSERT_EQ(0, aios_tokens_text("   \n\t", 5));
	ASSERT_EQ(1, aios_tokens_text("word", 4));
	ASSERT_EQ(2, aios_tokens_text("words", 5));
	/* letters ceil(n/4), punctuation 1 each */
	ASSERT_EQ(5, aios_tokens_text("hello, world", 12));
	/* digits ceil(n/3) */
	ASSERT_EQ(2, aios_tokens_text("12345", 5));
	/* one per non-ASCII code point: h | é | llo */
	ASSERT_EQ(3, aios_tokens_text("h\xc3\xa9llo", 6));
	/* messages: 4 per message + 3 primer */
	{
		json_t *m = json_pack("[{s:s, s:s}]", "role", "user", "content", "word");

		ASSERT_EQ(1 + 4 + 3, aios_tokens_messages(m));
		json_decref(m);
	}
}

TEST_F(c, model_table)
{
	char path[400];
	struct aios_ctx *c2;
	struct aios_rerr e;
	uint64_t t;

	ASSERT_EQ(0, aios_ctx_model_window(self->ctx, "gpt-4o", &t, &e));
	ASSERT_EQ(128000, t);
	ASSERT_EQ(0, aios_ctx_model_window(self->ctx, "gpt-4", &t, &e));
	ASSERT_EQ(8192, t);
	ASSERT_EQ(0, aios_ctx_model_window(self->ctx, "claude-3-opus-20240229", &t, &e));
	ASSERT_EQ(200000, t);
	ASSERT_EQ(0, aios_ctx_model_window(self->ctx, "llama-3.1-8b-instruct", &t, &e));
	ASSERT_EQ(131072, t);
	ASSERT_EQ(0, aios_ctx_model_window(self->ctx, "llama-3-8b", &t, &e));
	ASSERT_EQ(8192, t);
	ASSERT_EQ(-ENOENT, aios_ctx_model_window(self->ctx, "gpt-4oo", &t, &e));

	snprintf(path, sizeof(path), "%s/models.json", self->dir);
	ASSERT_EQ(0, write_bytes(path, "{\"models\":{\"my-model\":4000,\"gpt-4\":9000}}", 41));
	ASSERT_EQ(0, aios_ctx_open(self->dir, path, &c2, &e));
	ASSERT_EQ(0, aios_ctx_model_window(c2, "my-model-q4", &t, &e));
	ASSERT_EQ(4000, t);
	ASSERT_EQ(0, aios_ctx_model_window(c2, "gpt-4", &t, &e));
	ASSERT_EQ(9000, t);
	aios_ctx_close(c2);
	ASSERT_EQ(0, write_bytes(path, "{\"models\":{\"bad\":\"big\"}}", 24));
	ASSERT_EQ(-EINVAL, aios_ctx_open(self->dir, path, &c2, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.models.bad"));
	ASSERT_EQ(0, write_bytes(path, "{\"models\":{},\"x\":1}", 19));
	ASSERT_EQ(-EINVAL, aios_ctx_open(self->dir, path, &c2, &e));
}

TEST(truncation_keeps_system_and_recent)
{
	json_t *m = conv(10), *out;
	struct aios_trunc r;
	struct aios_rerr e;
	size_t full = aios_tokens_messages(m);

	/* everything fits */
	ASSERT_EQ(0, aios_ctx_truncate(m, full, 0, &out, &r, &e));
	ASSERT_EQ(0, r.dropped);
	ASSERT_EQ(full, r.tokens_after);
	json_decref(out);
	json_decref(r.dropped_idx);

	/* keep the last 3 */
	ASSERT_EQ(0, aios_ctx_truncate(m, 100000, 3, &out, &r, &e));
	ASSERT_EQ(4, json_array_size(out));
	ASSERT_STREQ("system", json_string_value(json_object_get(json_array_get(out, 0), "role")));
	ASSERT_STREQ("message number 7 with some words",
		     json_string_value(json_object_get(json_array_get(out, 1), "content")));
	ASSERT_EQ(7, r.dropped);
	ASSERT_EQ(1, json_integer_value(json_array_get(r.dropped_idx, 0)));
	ASSERT_EQ(7, json_integer_value(json_array_get(r.dropped_idx, 6)));
	json_decref(out);
	json_decref(r.dropped_idx);

	/* budget: as many recent ones as fit */
	{
		size_t sys = 3 + 4 + aios_tokens_text("You are a careful agent.", 24);
		size_t one = 4 + aios_tokens_text("message number 9 with some words", 32);

		ASSERT_EQ(0, aios_ctx_truncate(m, sys + 2 * one + 1, 0, &out, &r, &e));
		ASSERT_EQ(3, json_array_size(out));
		ASSERT_EQ(8, r.dropped);
		ASSERT_LE(r.tokens_after, sys + 2 * one + 1);
		ASSERT_EQ(r.tokens_after, aios_tokens_messages(out));
		json_decref(out);
		json_decref(r.dropped_idx);
		/* not even the system prompt */
		ASSERT_EQ(-E2BIG, aios_ctx_truncate(m, sys - 1, 0, &out, &r, &e));
		ASSERT_NE(NULL, strstr(e.msg, "system prompt"));
	}
	json_decref(m);
}

TEST_F(c, session_budgets)
{
	struct aios_rerr e;
	uint64_t rem, lim, used;

	ASSERT_EQ(-ENOENT, aios_ctx_budget_charge(self->ctx, 7, "s1", 10, &rem, &e));
	ASSERT_EQ(0, aios_ctx_budget_set(self->ctx, 7, "s1", 100, &e));
	ASSERT_EQ(0, aios_ctx_budget_charge(self->ctx, 7, "s1", 60, &rem, &e));
	ASSERT_EQ(40, rem);
	ASSERT_EQ(-EDQUOT, aios_ctx_budget_charge(self->ctx, 7, "s1", 41, &rem, &e));
	ASSERT_NE(NULL, strstr(e.msg, "limit 100, used 60"));
	ASSERT_EQ(0, aios_ctx_budget_charge(self->ctx, 7, "s1", 40, &rem, &e));
	ASSERT_EQ(0, rem);
	ASSERT_EQ(0, aios_ctx_budget_get(self->ctx, 7, "s1", &lim, &used, &e));
	ASSERT_EQ(100, used);
	/* durable and raisable */
	aios_ctx_close(self->ctx);
	ASSERT_EQ(0, aios_ctx_open(self->dir, NULL, &self->ctx, NULL));
	ASSERT_EQ(0, aios_ctx_budget_set(self->ctx, 7, "s1", 150, &e));
	ASSERT_EQ(0, aios_ctx_budget_charge(self->ctx, 7, "s1", 50, &rem, &e));
	ASSERT_EQ(-EINVAL, aios_ctx_budget_set(self->ctx, 7, "../s", 1, &e));
	ASSERT_EQ(-EINVAL, aios_ctx_budget_set(self->ctx, 7, "s2", 0, &e));
	/* per owner: another one has no such session */
	ASSERT_EQ(-ENOENT, aios_ctx_budget_charge(self->ctx, 8, "s1", 1, &rem, &e));
}

TEST_HARNESS_MAIN
