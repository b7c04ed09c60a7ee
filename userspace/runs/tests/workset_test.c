// SPDX-License-Identifier: GPL-2.0
/*
 * Working set: schema rejections with JSON paths, optimistic locking
 * (stale seq -> conflict with the current seq; many threads racing: no
 * lost update, exactly one winner per seq), persistence, deterministic
 * sliding-context eviction.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "kselftest_harness.h"
#include "workset.h"
#include "testutil.h"

FIXTURE(ws) {
	char dir[256];
	char path[300];
	struct aios_ws *ws;
};

FIXTURE_SETUP(ws)
{
	make_scratch(self->dir, sizeof(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/workset.json", self->dir);
	ASSERT_EQ(0, aios_ws_open(self->path, &self->ws, NULL));
}

FIXTURE_TEARDOWN(ws)
{
	aios_ws_close(self->ws);
	rm_scratch(self->dir);
}

static int check(const char *text, struct aios_rerr *e)
{
	json_t *d = json_loads(text, 0, NULL);
	int rc;

	if (!d)
		return -1000;
	rc = aios_ws_validate(d, e);
	json_decref(d);
	return rc;
}

TEST(schema_rejections_name_the_path)
{
	static const struct { const char *doc, *path; } bad[] = {
		{ "[]", "$: expected an object" },
		{ "{\"goal\":\"g\",\"status\":\"active\"}", "$: missing required field \"step\"" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"extra\":1}", "$.extra: unknown field" },
		{ "{\"goal\":1,\"status\":\"active\",\"step\":0}", "$.goal: expected a string, got an integer" },
		{ "{\"goal\":\"g\",\"status\":\"sleeping\",\"step\":0}", "$.status:" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":1.5}", "$.step: expected an integer, got a real number" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":-1}", "$.step: -1 is out of range" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"notes\":[\"a\",2]}", "$.notes[1]: expected a string" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"vars\":[]}", "$.vars: expected an object" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":2,\"max_bytes\":100}}",
		  "$.context: missing required field \"items\"" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":2,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\",\"colour\":1}]}}",
		  "$.context.items[0].colour: unknown field" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":2,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\"},{\"id\":\"b\",\"role\":\"boss\",\"text\":\"x\"}]}}",
		  "$.context.items[1].role:" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":2,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\",\"priority\":10}]}}",
		  "$.context.items[0].priority: 10 is out of range 0..9" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":2,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\"},{\"id\":\"a\",\"role\":\"user\",\"text\":\"y\"}]}}",
		  "$.context.items[1]: duplicate item id" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":{\"max_items\":1,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\"},{\"id\":\"b\",\"role\":\"user\",\"text\":\"y\"}]}}",
		  "$.context.items: 2 items exceed max_items 1" },
		{ "{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"vars\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":1}}}}}}}}}}}}}}}}}",
		  "nested deeper than" },
	};
	struct aios_rerr e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aios_rerr_clear(&e);
		ASSERT_EQ(-EINVAL, check(bad[i].doc, &e)) {
			TH_LOG("case %zu accepted", i);
		}
		ASSERT_NE(NULL, strstr(e.msg, bad[i].path)) {
			TH_LOG("case %zu: message \"%s\" lacks \"%s\"", i, e.msg, bad[i].path);
		}
	}
	ASSERT_EQ(0, check("{\"goal\":\"g\",\"status\":\"done\",\"step\":3,\"vars\":{\"x\":[1,{\"y\":null}]},\"notes\":[\"n\"],"
			   "\"context\":{\"max_items\":2,\"max_bytes\":100,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\",\"pinned\":true,\"priority\":0}]}}",
			   &e));
}

TEST_F(ws, oversized_document_rejected)
{
	json_t *d = aios_ws_initial();
	char *big = malloc(AIOS_WS_MAX_BYTES + 10);
	struct aios_rerr e;
	uint64_t seq;

	memset(big, 'a', AIOS_WS_MAX_BYTES + 9);
	big[AIOS_WS_MAX_BYTES + 9] = 0;
	json_object_set_new(d, "vars", json_pack("{s:s}", "blob", big));
	ASSERT_EQ(-EFBIG, aios_ws_put(self->ws, 0, d, &seq, &e));
	ASSERT_NE(NULL, strstr(e.msg, "limit"));
	free(big);
	json_decref(d);
	json_t *cur;

	ASSERT_EQ(0, aios_ws_get(self->ws, &cur, &seq));
	ASSERT_EQ(0, seq);
	json_decref(cur);
}

TEST_F(ws, stale_seq_conflict_and_persistence)
{
	json_t *d = aios_ws_initial(), *got;
	struct aios_rerr e;
	uint64_t seq;

	json_object_set_new(d, "goal", json_string("write the report"));
	ASSERT_EQ(0, aios_ws_put(self->ws, 0, d, &seq, &e));
	ASSERT_EQ(1, seq);
	ASSERT_EQ(0, aios_ws_put(self->ws, 1, d, &seq, &e));
	ASSERT_EQ(2, seq);
	ASSERT_EQ(-ESTALE, aios_ws_put(self->ws, 1, d, &seq, &e));
	ASSERT_EQ(2, e.cur_seq);
	ASSERT_NE(NULL, strstr(e.msg, "seq 2"));
	json_decref(d);

	aios_ws_close(self->ws);
	ASSERT_EQ(0, aios_ws_open(self->path, &self->ws, NULL));
	ASSERT_EQ(0, aios_ws_get(self->ws, &got, &seq));
	ASSERT_EQ(2, seq);
	ASSERT_STREQ("write the report", json_string_value(json_object_get(got, "goal")));
	json_decref(got);

	/* a hand-edited file that breaks the schema is refused on open */
	aios_ws_close(self->ws);
	self->ws = NULL;
	{
		const char *bad = "{\"format\":\"aios-workset\",\"version\":1,\"seq\":3,\"doc\":{\"goal\":\"g\",\"status\":\"x\",\"step\":0}}";

		ASSERT_EQ(0, write_bytes(self->path, bad, strlen(bad)));
	}
	ASSERT_EQ(-EBADMSG, aios_ws_open(self->path, &self->ws, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.status"));
	ASSERT_EQ(0, unlink(self->path));
	ASSERT_EQ(0, aios_ws_open(self->path, &self->ws, NULL));
}

/* Many threads do read-modify-write increments of $.step with expected_seq.
 * No increment is lost and each seq has exactly one winner. */
enum { RT = 8, INCS = 40 };

struct race {
	struct aios_ws *ws;
	unsigned int wins;
	unsigned int conflicts;
	uint64_t won[INCS];
};

static void *racer(void *p)
{
	struct race *r = p;

	while (r->wins < INCS) {
		json_t *d;
		uint64_t seq, ns;
		struct aios_rerr e;
		int rc;

		aios_ws_get(r->ws, &d, &seq);
		json_object_set_new(d, "step", json_integer(
			json_integer_value(json_object_get(d, "step")) + 1));
		rc = aios_ws_put(r->ws, seq, d, &ns, &e);
		json_decref(d);
		if (rc == 0)
			r->won[r->wins++] = ns;
		else if (rc == -ESTALE)
			r->conflicts++;
		else
			abort();
	}
	return NULL;
}

TEST_F(ws, locking_race_no_lost_update)
{
	struct race r[RT];
	pthread_t th[RT];
	unsigned char seen[RT * INCS + 1] = { 0 };
	unsigned int conflicts = 0;
	json_t *d;
	uint64_t seq;

	for (int i = 0; i < RT; i++) {
		r[i] = (struct race){ .ws = self->ws };
		pthread_create(&th[i], NULL, racer, &r[i]);
	}
	for (int i = 0; i < RT; i++) {
		pthread_join(th[i], NULL);
		conflicts += r[i].conflicts;
		for (int k = 0; k < INCS; k++) {
			ASSERT_GE(r[i].won[k], 1);
			ASSERT_LE(r[i].won[k], RT * INCS);
			ASSERT_EQ(0, seen[r[i].won[k]]);	/* one winner per seq */
			seen[r[i].won[k]] = 1;
		}
	}
	ASSERT_EQ(0, aios_ws_get(self->ws, &d, &seq));
	ASSERT_EQ(RT * INCS, seq);
	ASSERT_EQ(RT * INCS, json_integer_value(json_object_get(d, "step")));
	json_decref(d);
	TH_LOG("%u conflicts resolved by retry", conflicts);
}

static json_t *item(const char *id, int prio, int pinned, const char *text)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:b}", "id", id, "role", "user",
			 "text", text, "priority", prio, "pinned", pinned);
}

static char *ids(const json_t *arr)
{
	static char buf[16384];
	size_t i;
	json_t *x;

	buf[0] = 0;
	json_array_foreach(arr, i, x) {
		const char *s = json_is_string(x) ? json_string_value(x) :
				json_string_value(json_object_get(x, "id"));

		strcat(buf, s);
		strcat(buf, " ");
	}
	return buf;
}

/* Eviction: unpinned only, lowest priority first, oldest first. */
TEST_F(ws, sliding_context_eviction_order)
{
	json_t *d = aios_ws_initial(), *items, *ev, *got;
	struct aios_rerr e;
	uint64_t seq;

	json_object_set_new(d, "context", json_pack("{s:i, s:i, s:[]}", "max_items", 4,
						    "max_bytes", 1000, "items"));
	ASSERT_EQ(0, aios_ws_put(self->ws, 0, d, &seq, &e));
	json_decref(d);

	items = json_array();
	json_array_append_new(items, item("sys", 0, 1, "you are helpful"));
	json_array_append_new(items, item("a", 5, 0, "aaaa"));
	json_array_append_new(items, item("b", 3, 0, "bbbb"));
	json_array_append_new(items, item("c", 5, 0, "cccc"));
	ASSERT_EQ(0, aios_ws_context_push(self->ws, seq, items, &seq, &ev, &e));
	ASSERT_EQ(0, json_array_size(ev));
	json_decref(ev);
	json_decref(items);

	items = json_array();
	json_array_append_new(items, item("d", 5, 0, "dddd"));
	json_array_append_new(items, item("e", 3, 0, "eeee"));
	json_array_append_new(items, item("f", 7, 0, "ffff"));
	ASSERT_EQ(0, aios_ws_context_push(self->ws, seq, items, &seq, &ev, &e));
	/* 7 items, bound 4: evict b (prio 3, older than e), e (3), a (5, oldest) */
	ASSERT_STREQ("b e a ", ids(ev));
	json_decref(ev);
	json_decref(items);
	ASSERT_EQ(0, aios_ws_get(self->ws, &got, &seq));
	ASSERT_STREQ("sys c d f ", ids(json_object_get(json_object_get(got, "context"), "items")));
	json_decref(got);

	/* byte bound: a long low-priority item goes first */
	items = json_array();
	json_array_append_new(items, item("g", 1, 0, "a much longer text that will not fit in the bytes left"));
	{
		json_t *c;
		ASSERT_EQ(0, aios_ws_get(self->ws, &got, &seq));
		c = json_object_get(got, "context");
		json_object_set_new(c, "max_bytes", json_integer(40));
		json_object_set_new(c, "max_items", json_integer(10));
		ASSERT_EQ(0, aios_ws_put(self->ws, seq, got, &seq, &e));
		json_decref(got);
	}
	ASSERT_EQ(0, aios_ws_context_push(self->ws, seq, items, &seq, &ev, &e));
	ASSERT_STREQ("g ", ids(ev));
	json_decref(ev);
	json_decref(items);

	/* pinned items that cannot fit: refused, nothing changes */
	items = json_array();
	json_array_append_new(items, item("h", 9, 1, "pinned and far too long for forty bytes of context"));
	ASSERT_EQ(-ENOSPC, aios_ws_context_push(self->ws, seq, items, NULL, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "pinned"));
	json_decref(items);
	/* stale seq on push */
	items = json_array();
	json_array_append_new(items, item("i", 9, 0, "x"));
	ASSERT_EQ(-ESTALE, aios_ws_context_push(self->ws, seq - 1, items, NULL, NULL, &e));
	ASSERT_EQ(seq, e.cur_seq);
	/* a bad item names its path */
	json_array_append_new(items, json_pack("{s:s}", "id", "j"));
	ASSERT_EQ(-EINVAL, aios_ws_context_push(self->ws, seq, items, NULL, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.items[1]"));
	json_decref(items);
}

/* Same inputs, same evictions: replaying a sequence of pushes on a fresh
 * working set gives identical results. */
TEST(eviction_is_deterministic)
{
	static char out[2][40000];

	for (int round = 0; round < 2; round++) {
		json_t *ctx = json_pack("{s:i, s:i, s:[]}", "max_items", 5,
					"max_bytes", 60, "items");
		json_t *ev = json_array();

		srand(1234);
		for (int i = 0; i < 200; i++) {
			char id[16], text[32];

			snprintf(id, sizeof(id), "i%d", i);
			snprintf(text, sizeof(text), "%.*s", 1 + rand() % 20,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxx");
			json_array_append_new(json_object_get(ctx, "items"),
					      item(id, rand() % 10, i % 50 == 0 && i < 100, text));
			ASSERT_EQ(0, aios_ws_evict(ctx, ev, NULL));
		}
		snprintf(out[round], sizeof(out[round]), "%s|", ids(ev));
		strcat(out[round], ids(json_object_get(ctx, "items")));
		json_decref(ev);
		json_decref(ctx);
	}
	ASSERT_STREQ(out[0], out[1]);
}

TEST_HARNESS_MAIN
