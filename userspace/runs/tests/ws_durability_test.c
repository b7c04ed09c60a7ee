// SPDX-License-Identifier: GPL-2.0
/*
 * The ledger is the working set's truth (wsledger.h): workset.json is a
 * cache rebuilt at open from the last "workset" record when it is newer
 * than the ledger (its record never became durable), older (its rename
 * was lost), torn or missing; working-set changes follow the run's fsync
 * policy; a record cut off by a failed sync takes the change back; old
 * ledgers without documents still open; resume packs carry the ledger's
 * working set and refuse one that is not it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "pack.h"
#include "run.h"
#include "runops.h"
#include "testutil.h"

FIXTURE(d) {
	char dir[256];
	char ws[400], ledger[400];
};

FIXTURE_SETUP(d)
{
	make_scratch(self->dir, sizeof(self->dir));
	snprintf(self->ws, sizeof(self->ws), "%s/runs/r1/workset.json", self->dir);
	snprintf(self->ledger, sizeof(self->ledger), "%s/runs/r1/ledger.log", self->dir);
}

FIXTURE_TEARDOWN(d)
{
	rm_scratch(self->dir);
}

static json_t *doc_step(int step)
{
	json_t *d = aios_ws_initial();

	json_object_set_new(d, "goal", json_string("durability"));
	json_object_set_new(d, "step", json_integer(step));
	return d;
}

/* put doc_step(step) at expected seq step - 1 */
static int put_step(struct aios_run *r, int step, struct aios_rerr *e)
{
	json_t *d = doc_step(step);
	uint64_t seq;
	int rc = aios_run_ws_put(r, 1, (uint64_t)step - 1, d, &seq, e);

	json_decref(d);
	return rc ? rc : (seq == (uint64_t)step ? 0 : -ERANGE);
}

static int file_bytes(const char *path, char **buf, size_t *len)
{
	return aios_read_file(path, 8 << 20, buf, len, NULL);
}

/* The working set in memory and in the cache file is doc_step(step). */
static void expect_ws(struct __test_metadata *_metadata, struct aios_run *r,
		      const char *path, int step)
{
	json_t *cur, *want = doc_step(step), *fdoc;
	uint64_t seq, fseq;
	char *text;
	size_t len;

	ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &cur, &seq));
	ASSERT_EQ((uint64_t)step, seq);
	ASSERT_TRUE(json_equal(want, cur));
	json_decref(cur);
	ASSERT_EQ(0, file_bytes(path, &text, &len));
	ASSERT_EQ(0, aios_ws_parse_file(text, len, &fdoc, &fseq, NULL));
	free(text);
	ASSERT_EQ((uint64_t)step, fseq);
	ASSERT_TRUE(json_equal(want, fdoc));
	json_decref(fdoc);
	json_decref(want);
}

static void reopen(struct __test_metadata *_metadata, const char *state,
		   struct aios_run **r, const char *action, const char *detail)
{
	struct aios_rerr e = { 0 };

	ASSERT_EQ(0, aios_run_open(state, "r1", NULL, r, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_STREQ(action, aios_run_ws_report(*r)->action);
	if (detail)
		ASSERT_NE(NULL, strstr(aios_run_ws_report(*r)->detail, detail))
			TH_LOG("%s", aios_run_ws_report(*r)->detail);
}

TEST_F(d, file_newer_than_ledger_is_rolled_back)
{
	struct aios_run *r;
	struct aios_rerr e;
	char *saved;
	size_t len;

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	ASSERT_EQ(0, put_step(r, 1, &e));
	aios_run_close(r);
	ASSERT_EQ(0, file_bytes(self->ledger, &saved, &len));
	reopen(_metadata, self->dir, &r, "intact", NULL);
	ASSERT_EQ(0, put_step(r, 2, &e));
	aios_run_close(r);
	/* crash: the file's rename reached the disk, its record did not */
	ASSERT_EQ(0, write_bytes(self->ledger, saved, len));
	free(saved);
	reopen(_metadata, self->dir, &r, "rebuilt", "newer");
	expect_ws(_metadata, r, self->ws, 1);
	/* the lost change can be made again from seq 1; seq 2 is stale */
	ASSERT_EQ(-ESTALE, put_step(r, 3, &e));
	ASSERT_EQ(1, e.cur_seq);
	ASSERT_EQ(0, put_step(r, 2, &e));
	ASSERT_EQ(0, aios_run_verify(r, NULL, &e));
	aios_run_close(r);
	reopen(_metadata, self->dir, &r, "intact", NULL);
	expect_ws(_metadata, r, self->ws, 2);
	aios_run_close(r);
}

TEST_F(d, no_record_at_all_means_the_initial_document)
{
	struct aios_run *r;
	struct aios_rerr e;
	json_t *cur, *init = aios_ws_initial();
	uint64_t seq;

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	ASSERT_EQ(0, put_step(r, 1, &e));
	aios_run_close(r);
	/* the ledger lost its only record (header only) */
	ASSERT_EQ(0, truncate(self->ledger, AIOS_LEDGER_FILE_HDR));
	reopen(_metadata, self->dir, &r, "rebuilt", "newer");
	ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &cur, &seq));
	ASSERT_EQ(0, seq);
	ASSERT_TRUE(json_equal(init, cur));
	json_decref(cur);
	json_decref(init);
	aios_run_close(r);
}

TEST_F(d, file_older_than_ledger_is_rebuilt)
{
	struct aios_run *r;
	struct aios_rerr e;
	char *saved;
	size_t len;

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	ASSERT_EQ(0, put_step(r, 1, &e));
	ASSERT_EQ(0, file_bytes(self->ws, &saved, &len));
	ASSERT_EQ(0, put_step(r, 2, &e));
	ASSERT_EQ(0, put_step(r, 3, &e));
	aios_run_close(r);
	/* crash: the durable records survived, the unsynced renames did not */
	ASSERT_EQ(0, write_bytes(self->ws, saved, len));
	free(saved);
	reopen(_metadata, self->dir, &r, "rebuilt", "older");
	expect_ws(_metadata, r, self->ws, 3);
	ASSERT_EQ(0, put_step(r, 4, &e));
	aios_run_close(r);
}

TEST_F(d, file_missing_torn_or_different_is_rebuilt)
{
	struct aios_run *r;
	struct aios_rerr e;
	char *text;
	size_t len;

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	ASSERT_EQ(0, put_step(r, 1, &e));
	ASSERT_EQ(0, put_step(r, 2, &e));
	aios_run_close(r);

	ASSERT_EQ(0, unlink(self->ws));
	reopen(_metadata, self->dir, &r, "rebuilt", "missing");
	expect_ws(_metadata, r, self->ws, 2);
	aios_run_close(r);

	ASSERT_EQ(0, file_bytes(self->ws, &text, &len));
	ASSERT_EQ(0, write_bytes(self->ws, text, len / 2));
	reopen(_metadata, self->dir, &r, "rebuilt", "unreadable");
	expect_ws(_metadata, r, self->ws, 2);
	aios_run_close(r);
	free(text);

	/* same seq, another document */
	{
		json_t *other = doc_step(7);

		text = aios_ws_serialize(other, 2);
		json_decref(other);
		ASSERT_EQ(0, write_bytes(self->ws, text, strlen(text)));
		free(text);
	}
	reopen(_metadata, self->dir, &r, "rebuilt", "differed");
	expect_ws(_metadata, r, self->ws, 2);
	aios_run_close(r);
	reopen(_metadata, self->dir, &r, "intact", NULL);
	aios_run_close(r);
}

/* Fault-injecting, sync-counting ledger I/O. */
struct flt {
	int write_err, sync_err;
	int syncs;
};

static ssize_t flt_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct flt *f = ctx;
	ssize_t n;

	if (f->write_err)
		return -f->write_err;
	n = pwrite(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static int flt_sync(void *ctx, int fd)
{
	struct flt *f = ctx;

	f->syncs++;
	if (f->sync_err)
		return -f->sync_err;
	return fdatasync(fd) < 0 ? -errno : 0;
}

TEST_F(d, changes_follow_the_run_policy)
{
	static const enum aios_fsync_policy pols[] = { AIOS_LEDGER_FSYNC_ALWAYS,
		AIOS_LEDGER_FSYNC_GROUP, AIOS_LEDGER_FSYNC_NONE };

	for (int p = 0; p < 3; p++) {
		struct flt f = { 0 };
		struct aios_ledger_io io = { .pwrite = flt_pwrite, .fdatasync = flt_sync, .ctx = &f };
		struct aios_run_opts o = { .policy = pols[p], .io = &io };
		char state[300], ws[400];
		struct aios_run *r;
		struct aios_rerr e;

		snprintf(state, sizeof(state), "%s/p%d", self->dir, p);
		snprintf(ws, sizeof(ws), "%s/runs/r1/workset.json", state);
		ASSERT_EQ(0, aios_run_create(state, "r1", 1, &o, &r, NULL, &e));
		for (int i = 1; i <= 5; i++)
			ASSERT_EQ(0, put_step(r, i, &e)) TH_LOG("%s", e.msg);
		/* always and group (one writer): one fdatasync per change
		 * before it returns; none: no sync at all */
		ASSERT_EQ(pols[p] == AIOS_LEDGER_FSYNC_NONE ? 0 : 5, f.syncs);
		expect_ws(_metadata, r, ws, 5);
		/* none: durable only once something syncs */
		ASSERT_EQ(0, aios_ledger_sync(aios_run_ledger(r), &e));

		/* a failing sync fails the change under always and group and
		 * undoes it; under none the change does not wait for a sync */
		f.sync_err = EIO;
		if (pols[p] == AIOS_LEDGER_FSYNC_NONE) {
			ASSERT_EQ(0, put_step(r, 6, &e));
			expect_ws(_metadata, r, ws, 6);
			/* ... until something syncs: the record is cut off and
			 * the working set goes back with it */
			ASSERT_EQ(-EIO, aios_run_episode(r, 1, "m", NULL, NULL, &e));
			expect_ws(_metadata, r, ws, 5);
			/* and a later sync failure reached through a change */
			f.sync_err = 0;
			ASSERT_EQ(0, put_step(r, 6, &e));
			f.sync_err = EIO;
			ASSERT_EQ(-EIO, aios_ledger_sync(aios_run_ledger(r), &e));
			f.sync_err = 0;
			ASSERT_EQ(-ESTALE, put_step(r, 7, &e));
			ASSERT_EQ(5, e.cur_seq);
			expect_ws(_metadata, r, ws, 5);
		} else {
			ASSERT_EQ(-EIO, put_step(r, 6, &e));
			ASSERT_NE(NULL, strstr(e.msg, "undone")) TH_LOG("%s", e.msg);
			expect_ws(_metadata, r, ws, 5);
		}
		f.sync_err = 0;
		/* a failing write fails the change under every policy */
		f.write_err = ENOSPC;
		ASSERT_EQ(-ENOSPC, put_step(r, 6, &e));
		ASSERT_NE(NULL, strstr(e.msg, "undone")) TH_LOG("%s", e.msg);
		expect_ws(_metadata, r, ws, 5);
		f.write_err = 0;
		ASSERT_EQ(0, put_step(r, 6, &e));
		ASSERT_EQ(0, aios_ledger_sync(aios_run_ledger(r), &e));
		ASSERT_EQ(0, aios_run_verify(r, NULL, &e));
		aios_run_close(r);
		ASSERT_EQ(0, aios_run_open(state, "r1", &o, &r, NULL, &e));
		ASSERT_STREQ("intact", aios_run_ws_report(r)->action);
		expect_ws(_metadata, r, ws, 6);
		aios_run_close(r);
	}
}

/* A ledger written before records carried documents. */
TEST_F(d, legacy_ledger_trusts_the_file)
{
	struct aios_ledger *l;
	struct aios_run *r;
	struct aios_rerr e;
	char sha[AIOS_SHA256_HEX], payload[200], *text;
	json_t *d1 = doc_step(1);

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	aios_run_close(r);
	text = aios_wsl_canon(d1, sha);
	free(text);
	snprintf(payload, sizeof(payload), "{\"seq\":1,\"sha256\":\"%s\"}", sha);
	ASSERT_EQ(0, aios_ledger_open(self->ledger, NULL, &l, NULL, &e));
	ASSERT_EQ(0, aios_ledger_append(l, "workset", 1, payload, strlen(payload), NULL, &e));
	aios_ledger_close(l);
	text = aios_ws_serialize(d1, 1);
	ASSERT_EQ(0, write_bytes(self->ws, text, strlen(text)));
	free(text);
	reopen(_metadata, self->dir, &r, "intact", NULL);
	expect_ws(_metadata, r, self->ws, 1);
	aios_run_close(r);

	/* the file does not match the record: trusted, as before, and said */
	{
		json_t *other = doc_step(5);

		text = aios_ws_serialize(other, 1);
		json_decref(other);
		ASSERT_EQ(0, write_bytes(self->ws, text, strlen(text)));
		free(text);
	}
	reopen(_metadata, self->dir, &r, "trusted", "hash differs");
	aios_run_close(r);
	text = aios_ws_serialize(d1, 1);
	ASSERT_EQ(0, write_bytes(self->ws, text, strlen(text)));
	free(text);

	/* a change under none, cut off by a failed sync: back to the file's */
	{
		struct flt f = { 0 };
		struct aios_ledger_io io = { .pwrite = flt_pwrite, .fdatasync = flt_sync, .ctx = &f };
		struct aios_run_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE, .io = &io };

		ASSERT_EQ(0, aios_run_open(self->dir, "r1", &o, &r, NULL, &e));
		ASSERT_EQ(0, put_step(r, 2, &e));
		f.sync_err = EIO;
		ASSERT_EQ(-EIO, aios_run_episode(r, 1, "m", NULL, NULL, &e));
		f.sync_err = 0;
		expect_ws(_metadata, r, self->ws, 1);
		ASSERT_EQ(0, put_step(r, 2, &e));
		aios_run_close(r);
	}
	/* from the first new record on, the ledger is the truth again */
	ASSERT_EQ(0, unlink(self->ws));
	reopen(_metadata, self->dir, &r, "rebuilt", "missing");
	expect_ws(_metadata, r, self->ws, 2);
	aios_run_close(r);

	/* a legacy ledger cannot rebuild a missing file: refused */
	{
		char st2[300], lg[400];

		snprintf(st2, sizeof(st2), "%s/old", self->dir);
		ASSERT_EQ(0, aios_run_create(st2, "r1", 1, NULL, &r, NULL, &e));
		aios_run_close(r);
		snprintf(lg, sizeof(lg), "%s/runs/r1/ledger.log", st2);
		ASSERT_EQ(0, aios_ledger_open(lg, NULL, &l, NULL, &e));
		ASSERT_EQ(0, aios_ledger_append(l, "workset", 1, payload, strlen(payload), NULL, &e));
		aios_ledger_close(l);
		snprintf(lg, sizeof(lg), "%s/runs/r1/workset.json", st2);
		ASSERT_EQ(0, unlink(lg));
		ASSERT_EQ(-EBADMSG, aios_run_open(st2, "r1", NULL, &r, NULL, &e));
		ASSERT_NE(NULL, strstr(e.msg, "cannot rebuild")) TH_LOG("%s", e.msg);
	}
	json_decref(d1);
}

TEST_F(d, packs_carry_the_ledgers_working_set)
{
	struct aios_run *r;
	struct aios_rerr e;
	char pack[400], state2[300], *stale, *ledger, *ws;
	size_t slen, llen, wlen;

	snprintf(pack, sizeof(pack), "%s/r1.aiospack", self->dir);
	snprintf(state2, sizeof(state2), "%s/state2", self->dir);
	ASSERT_EQ(0, mkdir(state2, 0700));
	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 1, NULL, &r, NULL, &e));
	ASSERT_EQ(0, put_step(r, 1, &e));
	ASSERT_EQ(0, file_bytes(self->ws, &stale, &slen));
	ASSERT_EQ(0, put_step(r, 2, &e));
	/* a stale cache on disk: the pack ships the ledger's document */
	ASSERT_EQ(0, write_bytes(self->ws, stale, slen));
	ASSERT_EQ(0, aios_pack_export(r, pack, NULL, &e)) TH_LOG("%s", e.msg);
	aios_run_close(r);
	ASSERT_EQ(0, aios_pack_import(pack, state2, NULL, NULL, NULL, &e)) TH_LOG("%s", e.msg);
	reopen(_metadata, state2, &r, "intact", NULL);
	{
		char p[400];

		snprintf(p, sizeof(p), "%s/runs/r1/workset.json", state2);
		expect_ws(_metadata, r, p, 2);
	}
	aios_run_close(r);

	/* the import check: a workset.json that is not the ledger's */
	ASSERT_EQ(0, file_bytes(self->ledger, &ledger, &llen));
	{
		struct aios_ledger_verify v;

		ASSERT_EQ(0, aios_ledger_verify_buf(ledger, llen, &v, NULL));
		llen = v.bytes;
	}
	ASSERT_EQ(-EBADMSG, aios_wsl_check_pack(stale, slen, ledger, llen, &e));
	ASSERT_NE(NULL, strstr(e.msg, "not the working set")) TH_LOG("%s", e.msg);
	reopen(_metadata, self->dir, &r, "rebuilt", "older");
	aios_run_close(r);
	ASSERT_EQ(0, file_bytes(self->ws, &ws, &wlen));	/* rebuilt at reopen */
	ASSERT_EQ(0, aios_wsl_check_pack(ws, wlen, ledger, llen, &e)) TH_LOG("%s", e.msg);
	free(ws);
	free(ledger);
	free(stale);
}

/* aiosd's round: working-set changes of three group runs wait for one
 * round sync whose fdatasyncs run concurrently (psync.h); one of them
 * fails: the round fails, that run's change is taken back, the others
 * stay and are durable. */
static int one_sync_fails(void *ctx, int fd)
{
	int *budget = ctx;

	if (__atomic_fetch_sub(budget, 1, __ATOMIC_SEQ_CST) == 1)
		return -EIO;
	return fdatasync(fd) < 0 ? -errno : 0;
}

static json_t *rcall(struct aios_runops *o, const char *fmt, const char *run, int *rc)
{
	struct aios_runops_caller who = { .ns = 7 };
	struct aios_rerr e = { 0 };
	char text[400];
	json_t *req, *res = NULL;

	snprintf(text, sizeof(text), fmt, run);
	req = json_loads(text, 0, NULL);
	*rc = aios_runops_handle(o, &who, json_string_value(json_object_get(req, "op")),
				 req, &res, &e);
	json_decref(req);
	return res;
}

TEST_F(d, round_sync_failure_takes_back_only_the_failed_runs_change)
{
	int budget = 1 << 30;
	struct aios_ledger_io io = { .fdatasync = one_sync_fails, .ctx = &budget };
	struct aios_runops_opts op = { .policy = AIOS_LEDGER_FSYNC_GROUP, .deferred_sync = 1,
				       .io = &io, .state_dir = self->dir };
	static const char *const runs[] = { "ga", "gb", "gc" };
	struct aios_runops *o;
	struct aios_rerr e;
	int rc, at0 = 0, at1 = 0;
	json_t *res;

	ASSERT_EQ(0, aios_runops_open(&op, &o, NULL));
	for (int i = 0; i < 3; i++) {
		json_decref(rcall(o, "{\"op\":\"run.create\",\"run\":\"%s\"}", runs[i], &rc));
		ASSERT_EQ(0, rc);
	}
	for (int i = 0; i < 3; i++) {
		json_decref(rcall(o, "{\"op\":\"workset.put\",\"run\":\"%s\",\"expected_seq\":0,"
				  "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":1}}",
				  runs[i], &rc));
		ASSERT_EQ(0, rc);
	}
	ASSERT_EQ(1, aios_runops_unsynced(o));
	budget = 2;	/* the second of the three syncs fails */
	ASSERT_EQ(-EIO, aios_runops_sync(o, &e));
	ASSERT_NE(NULL, strstr(e.msg, "sync failed")) TH_LOG("%s", e.msg);
	budget = 1 << 30;
	ASSERT_EQ(0, aios_runops_unsynced(o));
	for (int i = 0; i < 3; i++) {
		res = rcall(o, "{\"op\":\"workset.get\",\"run\":\"%s\"}", runs[i], &rc);
		ASSERT_EQ(0, rc);
		if (json_integer_value(json_object_get(res, "seq")) == 0)
			at0++;
		else if (json_integer_value(json_object_get(res, "seq")) == 1)
			at1++;
		json_decref(res);
	}
	ASSERT_EQ(1, at0);
	ASSERT_EQ(2, at1);
	aios_runops_close(o);
	/* and that is what the disk says after reopening */
	at0 = at1 = 0;
	for (int i = 0; i < 3; i++) {
		struct aios_run *r;
		uint64_t seq;
		json_t *doc;

		ASSERT_EQ(0, aios_run_open(self->dir, runs[i], NULL, &r, NULL, &e));
		ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &doc, &seq));
		json_decref(doc);
		at0 += seq == 0;
		at1 += seq == 1;
		aios_run_close(r);
	}
	ASSERT_EQ(1, at0);
	ASSERT_EQ(2, at1);
}

TEST_HARNESS_MAIN
