// SPDX-License-Identifier: GPL-2.0
/*
 * Episodes (immutable checkpoints, tamper detection, list/show) and
 * long-term memory (propose -> commit only at an episode, discard,
 * proposals invisible to search, ranking and scope, immutability,
 * persistence).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "run.h"
#include "testutil.h"

FIXTURE(r) {
	char dir[256];
	struct aios_run *run;
};

FIXTURE_SETUP(r)
{
	make_scratch(self->dir, sizeof(self->dir));
	ASSERT_EQ(0, aios_run_create(self->dir, "run1", 9, NULL, &self->run, NULL, NULL));
}

FIXTURE_TEARDOWN(r)
{
	aios_run_close(self->run);
	rm_scratch(self->dir);
}

static json_t *facts(const char *t1, const char *s1, const char *t2, const char *s2)
{
	json_t *a = json_array();

	json_array_append_new(a, json_pack("{s:s, s:s, s:[s]}", "text", t1, "scope", s1,
					   "tags", "build"));
	if (t2)
		json_array_append_new(a, json_pack("{s:s, s:s}", "text", t2, "scope", s2));
	return a;
}

TEST_F(r, episode_is_immutable_and_hash_checked)
{
	char dir[600], path[700];
	struct aios_rerr e;
	json_t *info, *body, *list, *doc;
	uint64_t seq;
	struct stat st;

	doc = aios_ws_initial();
	json_object_set_new(doc, "goal", json_string("ship it"));
	ASSERT_EQ(0, aios_run_ws_put(self->run, 9, 0, doc, &seq, &e));
	json_decref(doc);
	ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(self->run), "step", 9, "s", 1, NULL, NULL));
	ASSERT_EQ(0, aios_run_episode(self->run, 9, "m1", "first milestone", &info, &e));
	ASSERT_EQ(2, json_integer_value(json_object_get(info, "ledger_seq")));
	ASSERT_EQ(1, json_integer_value(json_object_get(info, "workset_seq")));
	json_decref(info);

	/* same name again: refused, the original stays */
	ASSERT_EQ(-EEXIST, aios_run_episode(self->run, 9, "m1", NULL, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "immutable"));
	ASSERT_EQ(-EINVAL, aios_run_episode(self->run, 9, "../x", NULL, NULL, &e));

	snprintf(dir, sizeof(dir), "%s/episodes", aios_run_dir(self->run));
	ASSERT_EQ(0, aios_episode_show(dir, "m1", &body, NULL, &e));
	ASSERT_STREQ("ship it", json_string_value(json_object_get(
		json_object_get(body, "workset"), "goal")));
	ASSERT_STREQ("first milestone", json_string_value(json_object_get(body, "note")));
	json_decref(body);
	snprintf(path, sizeof(path), "%s/m1.json", dir);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0444, st.st_mode & 0777);

	/* later changes do not alter the checkpoint */
	doc = aios_ws_initial();
	json_object_set_new(doc, "goal", json_string("changed"));
	ASSERT_EQ(0, aios_run_ws_put(self->run, 9, 1, doc, &seq, &e));
	json_decref(doc);
	ASSERT_EQ(0, aios_run_episode(self->run, 9, "m2", NULL, NULL, &e));
	ASSERT_EQ(0, aios_episode_list(dir, &list, &e));
	ASSERT_EQ(2, json_array_size(list));
	ASSERT_STREQ("m1", json_string_value(json_object_get(json_array_get(list, 0), "name")));
	json_decref(list);
	ASSERT_EQ(0, aios_episode_show(dir, "m1", &body, NULL, &e));
	ASSERT_STREQ("ship it", json_string_value(json_object_get(
		json_object_get(body, "workset"), "goal")));
	json_decref(body);

	ASSERT_EQ(0, aios_run_verify(self->run, NULL, &e));
	/* edit the file behind the library's back: detected */
	{
		char *text;
		size_t len;
		char *p;

		chmod(path, 0600);
		ASSERT_EQ(0, aios_read_file(path, 1 << 20, &text, &len, NULL));
		p = strstr(text, "ship it");
		ASSERT_NE(NULL, p);
		p[0] = 'S';
		ASSERT_EQ(0, write_bytes(path, text, len));
		free(text);
	}
	ASSERT_EQ(-EBADMSG, aios_episode_show(dir, "m1", NULL, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "modified"));
	ASSERT_EQ(-EBADMSG, aios_run_verify(self->run, NULL, &e));
	ASSERT_EQ(-ENOENT, aios_episode_show(dir, "nope", NULL, NULL, &e));
}

TEST_F(r, ltm_commit_gate_and_search)
{
	struct aios_ltm *m = aios_run_ltm(self->run);
	char p1[80], p2[80];
	struct aios_rerr e;
	json_t *f, *res, *props;
	size_t n;

	f = facts("The build uses GNU make and gcc", "project/aios",
		  "Ledger records are hash chained", "project/aios/ledger");
	ASSERT_EQ(0, aios_ltm_propose(m, f, p1, &e));
	json_decref(f);
	/* staged facts are invisible */
	ASSERT_EQ(0, aios_ltm_search(m, "build", NULL, 0, &res, &e));
	ASSERT_EQ(0, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_ltm_proposals(m, &props, &e));
	ASSERT_EQ(1, json_array_size(props));
	json_decref(props);

	/* commit only at a milestone that exists */
	ASSERT_EQ(-EINVAL, aios_run_ltm_commit(self->run, 9, p1, "", NULL, &e));
	ASSERT_EQ(-ENOENT, aios_run_ltm_commit(self->run, 9, p1, "m1", NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "milestone"));
	ASSERT_EQ(0, aios_ltm_search(m, "build", NULL, 0, &res, &e));
	ASSERT_EQ(0, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_run_episode(self->run, 9, "m1", NULL, NULL, &e));
	ASSERT_EQ(0, aios_run_ltm_commit(self->run, 9, p1, "m1", &n, &e));
	ASSERT_EQ(2, n);
	/* committed once: the proposal is gone */
	ASSERT_EQ(-ENOENT, aios_run_ltm_commit(self->run, 9, p1, "m1", &n, &e));

	/* a discarded proposal never shows up */
	f = facts("make is also used for the discarded build", "project/aios", NULL, NULL);
	ASSERT_EQ(0, aios_ltm_propose(m, f, p2, &e));
	json_decref(f);
	ASSERT_EQ(0, aios_ltm_discard(m, p2, &e));
	ASSERT_EQ(-ENOENT, aios_ltm_discard(m, p2, &e));
	ASSERT_EQ(-ENOENT, aios_run_ltm_commit(self->run, 9, p2, "m1", &n, &e));

	ASSERT_EQ(0, aios_ltm_search(m, "build make", NULL, 0, &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	ASSERT_STREQ("The build uses GNU make and gcc",
		     json_string_value(json_object_get(json_array_get(res, 0), "text")));
	/* 2 tokens (build, make) + tag "build" */
	ASSERT_EQ(5, json_integer_value(json_object_get(json_array_get(res, 0), "score")));
	ASSERT_STREQ("m1", json_string_value(json_object_get(json_array_get(res, 0), "episode")));
	json_decref(res);

	/* ranking: whole-phrase match beats a single token */
	ASSERT_EQ(0, aios_ltm_search(m, "hash chained", NULL, 0, &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	/* scope: prefix by path component only */
	ASSERT_EQ(0, aios_ltm_search(m, "ledger build", "project/aios/ledger", 0, &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_ltm_search(m, "ledger build", "project/aios", 0, &res, &e));
	ASSERT_EQ(2, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_ltm_search(m, "ledger build", "project/ai", 0, &res, &e));
	ASSERT_EQ(0, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(-EINVAL, aios_ltm_search(m, "  ,, ", NULL, 0, &res, &e));
	ASSERT_EQ(-EINVAL, aios_ltm_search(m, "x", "../etc", 0, &res, &e));

	/* bad batches name the path */
	f = json_pack("[{s:s, s:s, s:i}]", "text", "t", "scope", "s", "weight", 3);
	ASSERT_EQ(-EINVAL, aios_ltm_propose(m, f, p2, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.facts[0].weight"));
	json_decref(f);
	f = json_pack("[{s:s, s:s}]", "text", "t", "scope", "/abs");
	ASSERT_EQ(-EINVAL, aios_ltm_propose(m, f, p2, &e));
	json_decref(f);

	/* persistence, and the entries are what was committed */
	aios_run_close(self->run);
	ASSERT_EQ(0, aios_run_open(self->dir, "run1", NULL, &self->run, NULL, &e));
	m = aios_run_ltm(self->run);
	ASSERT_EQ(2, aios_ltm_count(m));
	ASSERT_EQ(0, aios_ltm_search(m, "chained", NULL, 0, &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_run_verify(self->run, NULL, &e));
}

TEST_F(r, ltm_corrupt_middle_line_refused)
{
	struct aios_ltm *m = aios_run_ltm(self->run);
	char p1[80], path[700];
	struct aios_rerr e;
	json_t *f;
	char *text;
	size_t len;

	f = facts("one fact", "s", "two fact", "s");
	ASSERT_EQ(0, aios_ltm_propose(m, f, p1, &e));
	json_decref(f);
	ASSERT_EQ(0, aios_run_episode(self->run, 9, "m1", NULL, NULL, &e));
	ASSERT_EQ(0, aios_run_ltm_commit(self->run, 9, p1, "m1", NULL, &e));
	aios_run_close(self->run);
	self->run = NULL;
	snprintf(path, sizeof(path), "%s/runs/run1/ltm/committed.jsonl", self->dir);
	ASSERT_EQ(0, aios_read_file(path, 1 << 20, &text, &len, NULL));
	/* a torn (unterminated) last line is dropped on open */
	ASSERT_EQ(0, write_bytes(path, text, len - 3));
	ASSERT_EQ(0, aios_run_open(self->dir, "run1", NULL, &self->run, NULL, &e));
	ASSERT_EQ(1, aios_ltm_count(aios_run_ltm(self->run)));
	aios_run_close(self->run);
	self->run = NULL;
	/* garbage in the middle is refused */
	text[5] = '#';
	ASSERT_EQ(0, write_bytes(path, text, len));
	ASSERT_EQ(-EBADMSG, aios_run_open(self->dir, "run1", NULL, &self->run, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "line 1"));
	free(text);
}

TEST_HARNESS_MAIN
