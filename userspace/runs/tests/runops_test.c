// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol operations aiosd serves for runs and contexts: request
 * validation, per-caller isolation, conflicts carrying the current seq,
 * ledger verify reporting the bad record, inline resume packs, contexts.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kselftest_harness.h"
#include "runops.h"
#include "testutil.h"

FIXTURE(o) {
	char dir[256];
	struct aios_runops *ops;
	struct aios_runops_caller a, b, root;
};

FIXTURE_SETUP(o)
{
	struct aios_runops_opts op = { .policy = AIOS_LEDGER_FSYNC_GROUP };

	make_scratch(self->dir, sizeof(self->dir));
	op.state_dir = self->dir;
	ASSERT_EQ(0, aios_runops_open(&op, &self->ops, NULL));
	self->a = (struct aios_runops_caller){ .ns = 7 };
	self->b = (struct aios_runops_caller){ .ns = (1ull << 63) | 1000 };
	self->root = (struct aios_runops_caller){ .ns = (1ull << 63), .admin = 1 };
}

FIXTURE_TEARDOWN(o)
{
	aios_runops_close(self->ops);
	rm_scratch(self->dir);
}

static int call(struct aios_runops *o, const struct aios_runops_caller *who,
		const char *reqtext, json_t **res, struct aios_rerr *e)
{
	json_error_t je;
	json_t *req = json_loads(reqtext, 0, &je);
	int rc;

	if (!req) {
		fprintf(stderr, "bad test JSON: %s: %s\n", reqtext, je.text);
		abort();
	}
	aios_rerr_clear(e);
	rc = aios_runops_handle(o, who, json_string_value(json_object_get(req, "op")),
				req, res, e);
	json_decref(req);
	return rc;
}

TEST_F(o, runs_workset_ledger_and_isolation)
{
	struct aios_rerr e;
	json_t *r;

	ASSERT_EQ(1, aios_runops_owns("ledger.append"));
	ASSERT_EQ(0, aios_runops_owns("memory.get"));
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"run.create\",\"run\":\"job\"}", &r, &e));
	ASSERT_STREQ("job", json_string_value(json_object_get(r, "run")));
	json_decref(r);
	ASSERT_EQ(-EINVAL, call(self->ops, &self->a, "{\"op\":\"run.create\",\"bogus\":1}", &r, &e));
	ASSERT_NE(NULL, strstr(e.msg, "unknown field \"bogus\""));
	ASSERT_EQ(-EINVAL, call(self->ops, &self->a, "{\"op\":\"run.create\",\"run\":\"../x\"}", &r, &e));
	ASSERT_EQ(-EOPNOTSUPP, call(self->ops, &self->a, "{\"op\":\"run.fly\"}", &r, &e));

	/* another caller cannot see or touch it; an admin can */
	ASSERT_EQ(-EPERM, call(self->ops, &self->b, "{\"op\":\"workset.get\",\"run\":\"job\"}", &r, &e));
	ASSERT_EQ(-ENOENT, call(self->ops, &self->b, "{\"op\":\"workset.get\",\"run\":\"nojob\"}", &r, &e));
	ASSERT_EQ(0, call(self->ops, &self->b, "{\"op\":\"run.list\"}", &r, &e));
	ASSERT_EQ(0, json_array_size(json_object_get(r, "runs")));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->root, "{\"op\":\"run.list\"}", &r, &e));
	ASSERT_EQ(1, json_array_size(json_object_get(r, "runs")));
	json_decref(r);

	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"workset.put\",\"run\":\"job\",\"expected_seq\":0,"
			  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":1}}", &r, &e));
	ASSERT_EQ(1, json_integer_value(json_object_get(r, "seq")));
	json_decref(r);
	ASSERT_EQ(-ESTALE, call(self->ops, &self->a, "{\"op\":\"workset.put\",\"run\":\"job\",\"expected_seq\":0,"
			  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":2}}", &r, &e));
	ASSERT_EQ(1, e.cur_seq);
	ASSERT_EQ(-EINVAL, call(self->ops, &self->a, "{\"op\":\"workset.put\",\"run\":\"job\",\"expected_seq\":1,"
			  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":2,\"x\":1}}", &r, &e));
	ASSERT_NE(NULL, strstr(e.msg, "$.x: unknown field"));

	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ledger.append\",\"run\":\"job\",\"type\":\"tool_call\","
			  "\"payload\":{\"tool\":\"ls\"}}", &r, &e));
	ASSERT_EQ(2, json_integer_value(json_object_get(r, "seq")));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ledger.read\",\"run\":\"job\",\"from\":2}", &r, &e));
	ASSERT_EQ(1, json_array_size(json_object_get(r, "records")));
	ASSERT_STREQ("ls", json_string_value(json_object_get(json_object_get(
		json_array_get(json_object_get(r, "records"), 0), "payload"), "tool")));
	ASSERT_EQ(7, json_integer_value(json_object_get(json_array_get(json_object_get(r, "records"), 0), "agent")));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ledger.verify\",\"run\":\"job\"}", &r, &e));
	ASSERT_TRUE(json_is_true(json_object_get(r, "intact")));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"run.show\",\"run\":\"job\"}", &r, &e));
	ASSERT_EQ(2, json_integer_value(json_object_get(json_object_get(r, "ledger"), "records")));
	json_decref(r);
}

TEST_F(o, verify_names_bad_record_and_pack_round_trip)
{
	struct aios_rerr e;
	json_t *r;
	char path[600], *d, *req;
	size_t len;

	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"run.create\",\"run\":\"job\"}", &r, &e));
	json_decref(r);
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ledger.append\",\"run\":\"job\",\"type\":\"step\",\"payload\":[1,2,3]}", &r, &e));
		json_decref(r);
	}
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"episode.create\",\"run\":\"job\",\"name\":\"m1\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ltm.propose\",\"run\":\"job\",\"facts\":[{\"text\":\"packs travel\",\"scope\":\"demo\"}]}", &r, &e));
	req = NULL;
	ASSERT_LT(0, asprintf(&req, "{\"op\":\"ltm.commit\",\"run\":\"job\",\"proposal\":\"%s\",\"episode\":\"m1\"}",
			      json_string_value(json_object_get(r, "proposal"))));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, req, &r, &e));
	free(req);
	json_decref(r);

	/* export inline, import as someone else under a new id */
	ASSERT_EQ(-EPERM, call(self->ops, &self->a, "{\"op\":\"pack.export\",\"run\":\"job\",\"path\":\"/tmp/x\"}", &r, &e));
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"pack.export\",\"run\":\"job\"}", &r, &e));
	ASSERT_LT(0, asprintf(&req, "{\"op\":\"pack.import\",\"as\":\"job2\",\"data_b64\":\"%s\"}",
			      json_string_value(json_object_get(r, "data_b64"))));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->b, req, &r, &e)) {
		TH_LOG("%s", e.msg);
	}
	free(req);
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->b, "{\"op\":\"ltm.search\",\"run\":\"job2\",\"query\":\"packs\"}", &r, &e));
	ASSERT_EQ(1, json_array_size(json_object_get(r, "results")));
	json_decref(r);
	ASSERT_EQ(-EINVAL, call(self->ops, &self->b, "{\"op\":\"pack.import\",\"data_b64\":\"!!!\"}", &r, &e));

	/* tamper with record 2 on disk: verify names it */
	snprintf(path, sizeof(path), "%s/runs/job/ledger.log", self->dir);
	ASSERT_EQ(0, aios_read_file(path, 1 << 24, &d, &len, NULL));
	{
		struct aios_ledger_verify v;
		char *p = memmem(d, len, "[1,2,3]", 7);

		p = memmem(p + 1, len - (size_t)(p + 1 - d), "[1,2,3]", 7);	/* record 2 */
		p[1] = '9';
		ASSERT_EQ(0, write_bytes(path, d, len));
		ASSERT_EQ(-EBADMSG, aios_ledger_verify_file(path, &v, NULL));
	}
	free(d);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"ledger.verify\",\"run\":\"job\"}", &r, &e));
	ASSERT_TRUE(json_is_false(json_object_get(r, "intact")));
	ASSERT_EQ(2, json_integer_value(json_object_get(r, "bad_seq")));
	json_decref(r);
}

TEST_F(o, contexts)
{
	struct aios_rerr e;
	json_t *r;
	char *req;

	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"context.create\",\"model\":\"gpt-4\",\"ttl_s\":60,"
			  "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}]}", &r, &e));
	ASSERT_LT(0, asprintf(&req, "{\"op\":\"context.restore\",\"snapshot\":\"%s\"}",
			      json_string_value(json_object_get(r, "snapshot"))));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, req, &r, &e));
	ASSERT_EQ(2, json_array_size(json_object_get(json_object_get(r, "snapshot"), "messages")));
	json_decref(r);
	ASSERT_EQ(-ENOENT, call(self->ops, &self->b, req, &r, &e));
	free(req);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"context.truncate\",\"budget\":20,\"keep_last\":1,"
			  "\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"one\"},"
			  "{\"role\":\"user\",\"content\":\"two\"}]}", &r, &e));
	ASSERT_EQ(2, json_array_size(json_object_get(r, "messages")));
	ASSERT_EQ(1, json_integer_value(json_array_get(json_object_get(r, "dropped"), 0)));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"context.check\",\"model\":\"gpt-4\","
			  "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &r, &e));
	ASSERT_TRUE(json_is_true(json_object_get(r, "fits")));
	json_decref(r);
	ASSERT_EQ(0, call(self->ops, &self->a, "{\"op\":\"context.budget_set\",\"session\":\"s1\",\"limit\":10}", &r, &e));
	json_decref(r);
	ASSERT_EQ(-EDQUOT, call(self->ops, &self->a, "{\"op\":\"context.budget_charge\",\"session\":\"s1\",\"tokens\":11}", &r, &e));
	/* budgets are per caller */
	ASSERT_EQ(-ENOENT, call(self->ops, &self->b, "{\"op\":\"context.budget_charge\",\"session\":\"s1\",\"tokens\":1}", &r, &e));
	ASSERT_EQ(-EPERM, call(self->ops, &self->a, "{\"op\":\"context.expire\"}", &r, &e));
	ASSERT_EQ(0, call(self->ops, &self->root, "{\"op\":\"context.expire\"}", &r, &e));
	json_decref(r);
}

/* Deferred sync (aiosd's round-level group commit): appends are written,
 * then one sync per ledger makes them durable before any reply. */
TEST_F(o, deferred_sync)
{
	struct aios_runops_opts op = { .policy = AIOS_LEDGER_FSYNC_GROUP, .deferred_sync = 1 };
	struct aios_runops *d;
	struct aios_rerr e;
	json_t *r;

	op.state_dir = self->dir;
	ASSERT_EQ(0, aios_runops_open(&op, &d, NULL));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"run.create\",\"run\":\"g\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"run.create\",\"run\":\"n\",\"fsync\":\"none\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, aios_runops_unsynced(d));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"n\",\"type\":\"t\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, aios_runops_unsynced(d));	/* fsync none: never waits */
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
		json_decref(r);
	}
	ASSERT_EQ(1, aios_runops_unsynced(d));
	ASSERT_EQ(0, aios_runops_sync(d, &e));
	ASSERT_EQ(0, aios_runops_unsynced(d));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"run.list\"}", &r, &e));
	ASSERT_STREQ("group", json_string_value(json_object_get(json_array_get(json_object_get(r, "runs"), 0), "fsync")));
	json_decref(r);
	aios_runops_close(d);
}

/* aiosd's round-level sync failing: the round's records are removed and
 * aios_runops_sync() says so, so the server sends none of the replies;
 * also when the failing sync is the one made to free a run's slot. */
static int fail_sync(void *ctx, int fd)
{
	if (*(int *)ctx)
		return -EIO;
	return fdatasync(fd) < 0 ? -errno : 0;
}

static uint64_t records_of(struct aios_runops *d, const struct aios_runops_caller *who,
			   const char *run)
{
	char req[160];
	struct aios_rerr e;
	json_t *r;
	uint64_t n;

	snprintf(req, sizeof(req), "{\"op\":\"run.show\",\"run\":\"%s\"}", run);
	if (call(d, who, req, &r, &e))
		return (uint64_t)-1;
	n = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "ledger"), "records"));
	json_decref(r);
	return n;
}

TEST_F(o, deferred_sync_failure_acknowledges_nothing)
{
	int armed = 0;
	struct aios_ledger_io io = { .fdatasync = fail_sync, .ctx = &armed };
	struct aios_runops_opts op = { .policy = AIOS_LEDGER_FSYNC_GROUP, .deferred_sync = 1,
				       .io = &io };
	struct aios_runops *d;
	struct aios_rerr e;
	json_t *r;
	char req[128];

	op.state_dir = self->dir;
	ASSERT_EQ(0, aios_runops_open(&op, &d, NULL));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"run.create\",\"run\":\"g\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, aios_runops_sync(d, &e));
	ASSERT_EQ(1, records_of(d, &self->a, "g"));

	/* the round's sync fails: its record is gone, the seq is reused */
	armed = 1;
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	ASSERT_EQ(2, json_integer_value(json_object_get(r, "seq")));
	json_decref(r);
	ASSERT_EQ(1, aios_runops_unsynced(d));
	ASSERT_EQ(-EIO, aios_runops_sync(d, &e));
	ASSERT_NE(NULL, strstr(e.msg, "sync failed")) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, aios_runops_unsynced(d));
	armed = 0;
	ASSERT_EQ(1, records_of(d, &self->a, "g"));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	ASSERT_EQ(2, json_integer_value(json_object_get(r, "seq")));
	json_decref(r);
	ASSERT_EQ(0, aios_runops_sync(d, &e));

	/* g's unsynced record, then 64 other runs: g's slot is taken back
	 * in the same round and its sync fails there */
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	json_decref(r);
	for (int i = 0; i < 64; i++) {
		if (i == 63)
			armed = 1;
		snprintf(req, sizeof(req), "{\"op\":\"run.create\",\"run\":\"n%d\"}", i);
		ASSERT_EQ(0, call(d, &self->a, req, &r, &e)) TH_LOG("%s", e.msg);
		json_decref(r);
	}
	armed = 0;
	/* the failure is still reported by the round's sync */
	ASSERT_EQ(1, aios_runops_unsynced(d));
	ASSERT_EQ(-EIO, aios_runops_sync(d, &e));
	ASSERT_NE(NULL, strstr(e.msg, "ledger.log")) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, aios_runops_unsynced(d));
	ASSERT_EQ(0, aios_runops_sync(d, &e));
	ASSERT_EQ(2, records_of(d, &self->a, "g"));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.verify\",\"run\":\"g\"}", &r, &e));
	ASSERT_TRUE(json_is_true(json_object_get(r, "intact")));
	json_decref(r);
	aios_runops_close(d);
}

/* In deferred mode an episode (or a working-set change) syncs the ledger
 * itself; if that sync fails it also removes records other requests of
 * the round appended, whose success replies are already queued: the
 * round's aios_runops_sync() must then fail so none of them is sent. */
TEST_F(o, deferred_round_withdrawn_when_another_sync_fails)
{
	int armed = 0;
	struct aios_ledger_io io = { .fdatasync = fail_sync, .ctx = &armed };
	struct aios_runops_opts op = { .policy = AIOS_LEDGER_FSYNC_GROUP, .deferred_sync = 1,
				       .io = &io };
	struct aios_runops *d;
	struct aios_rerr e;
	json_t *r;

	op.state_dir = self->dir;
	ASSERT_EQ(0, aios_runops_open(&op, &d, NULL));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"run.create\",\"run\":\"g\"}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"workset.put\",\"run\":\"g\",\"expected_seq\":0,"
			  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":1}}", &r, &e));
	json_decref(r);
	ASSERT_EQ(0, aios_runops_sync(d, &e));
	ASSERT_EQ(1, records_of(d, &self->a, "g"));

	/* one request appends (its "ok" is queued), the next one's sync fails */
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	json_decref(r);
	armed = 1;
	ASSERT_EQ(-EIO, call(d, &self->a, "{\"op\":\"episode.create\",\"run\":\"g\",\"name\":\"m\"}", &r, &e));
	armed = 0;
	ASSERT_EQ(1, aios_runops_unsynced(d));
	ASSERT_EQ(-EIO, aios_runops_sync(d, &e));
	ASSERT_NE(NULL, strstr(e.msg, "not acknowledged")) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, aios_runops_unsynced(d));
	ASSERT_EQ(0, aios_runops_sync(d, &e));
	ASSERT_EQ(1, records_of(d, &self->a, "g"));

	/* the same with a working-set change: it waits for the round's sync
	 * like any append; that sync fails, so it is withdrawn and undone */
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.append\",\"run\":\"g\",\"type\":\"t\"}", &r, &e));
	json_decref(r);
	armed = 1;
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"workset.put\",\"run\":\"g\",\"expected_seq\":1,"
			  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":2}}", &r, &e));
	json_decref(r);
	ASSERT_EQ(1, aios_runops_unsynced(d));
	ASSERT_EQ(-EIO, aios_runops_sync(d, &e));
	armed = 0;
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"workset.get\",\"run\":\"g\"}", &r, &e));
	ASSERT_EQ(1, json_integer_value(json_object_get(r, "seq")));
	json_decref(r);
	ASSERT_EQ(1, records_of(d, &self->a, "g"));
	ASSERT_EQ(0, call(d, &self->a, "{\"op\":\"ledger.verify\",\"run\":\"g\"}", &r, &e));
	ASSERT_TRUE(json_is_true(json_object_get(r, "intact")));
	json_decref(r);
	aios_runops_close(d);
}

TEST_HARNESS_MAIN
