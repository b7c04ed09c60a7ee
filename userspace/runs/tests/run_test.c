// SPDX-License-Identifier: GPL-2.0
/*
 * Runs: ids (generated and validated, no traversal), create/open/list,
 * the ledger trail of changes, recovery reported at open, verify naming
 * the first bad record, faults injected into a run's ledger.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "run.h"
#include "testutil.h"

FIXTURE(s) {
	char dir[256];
};

FIXTURE_SETUP(s)
{
	make_scratch(self->dir, sizeof(self->dir));
}

FIXTURE_TEARDOWN(s)
{
	rm_scratch(self->dir);
}

TEST_F(s, ids_are_safe)
{
	static const char *const bad[] = { "", "..", "../x", "a/b", ".hidden", "-x",
		"a b", "x\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
	struct aios_run *r;
	struct aios_rerr e;
	char id[80];
	json_t *list;

	for (const char *const *b = bad; *b; b++) {
		ASSERT_EQ(-EINVAL, aios_run_create(self->dir, *b, 1, NULL, &r, id, &e)) {
			TH_LOG("accepted \"%s\"", *b);
		}
		ASSERT_EQ(-EINVAL, aios_run_open(self->dir, *b, NULL, &r, NULL, &e));
	}
	ASSERT_EQ(0, count_entries(self->dir));
	ASSERT_EQ(0, aios_run_create(self->dir, NULL, 1, NULL, &r, id, &e));
	ASSERT_EQ(0, strncmp(id, "r-", 2));
	ASSERT_EQ(18, strlen(id));
	aios_run_close(r);
	ASSERT_EQ(0, aios_run_create(self->dir, "A_run-2", 1, NULL, &r, id, &e));
	aios_run_close(r);
	ASSERT_EQ(-EEXIST, aios_run_create(self->dir, "A_run-2", 1, NULL, &r, id, &e));
	ASSERT_EQ(-ENOENT, aios_run_open(self->dir, "nope", NULL, &r, NULL, &e));
	ASSERT_EQ(0, aios_run_list(self->dir, &list, &e));
	ASSERT_EQ(2, json_array_size(list));
	ASSERT_STREQ("A_run-2", json_string_value(json_object_get(json_array_get(list, 0), "id")));
	json_decref(list);
}

TEST_F(s, changes_are_in_the_ledger_and_verified)
{
	struct aios_ledger_recovery rec;
	struct aios_ledger_rec lr;
	struct aios_run *r;
	struct aios_rerr e;
	json_t *doc, *rep;
	uint64_t seq;
	char path[600];

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 3, NULL, &r, NULL, &e));
	doc = aios_ws_initial();
	ASSERT_EQ(0, aios_run_ws_put(r, 3, 0, doc, &seq, &e));
	ASSERT_EQ(-ESTALE, aios_run_ws_put(r, 3, 0, doc, &seq, &e));
	json_decref(doc);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(r), "tool_call", 3, "{}", 2, NULL, &e));
	ASSERT_EQ(0, aios_run_episode(r, 3, "m1", NULL, NULL, &e));
	ASSERT_EQ(0, aios_ledger_read(aios_run_ledger(r), 1, &lr, &e));
	ASSERT_STREQ("workset", lr.type);
	ASSERT_NE(NULL, strstr((char *)lr.payload, "\"seq\":1"));
	aios_ledger_rec_free(&lr);
	ASSERT_EQ(0, aios_ledger_read(aios_run_ledger(r), 12, &lr, &e));
	ASSERT_STREQ("episode", lr.type);
	aios_ledger_rec_free(&lr);
	ASSERT_EQ(0, aios_run_verify(r, &rep, &e));
	ASSERT_TRUE(json_is_true(json_object_get(rep, "intact")));
	ASSERT_EQ(12, json_integer_value(json_object_get(rep, "records")));
	ASSERT_EQ(1, json_integer_value(json_object_get(rep, "episodes")));
	json_decref(rep);
	aios_run_close(r);

	/* append a torn half record: reopening reports and removes it */
	snprintf(path, sizeof(path), "%s/runs/r1/ledger.log", self->dir);
	{
		struct aios_ledger_verify v;
		int fd = open(path, O_WRONLY);

		/* at the end of the records, over the preallocated zeros */
		ASSERT_EQ(0, aios_ledger_verify_file(path, &v, NULL));
		ASSERT_LE(0, fd);
		ASSERT_EQ(7, pwrite(fd, "ALR1xyz", 7, (off_t)v.bytes));
		close(fd);
	}
	ASSERT_EQ(0, aios_run_open(self->dir, "r1", NULL, &r, &rec, &e));
	ASSERT_EQ(12, rec.records);
	ASSERT_EQ(7, rec.truncated_bytes);
	aios_run_close(r);

	/* flip a byte in record 5: verify names record 5, open refuses */
	{
		char *d;
		size_t len;
		struct aios_ledger_verify v;

		ASSERT_EQ(0, aios_ledger_verify_file(path, &v, NULL));
		ASSERT_EQ(0, aios_read_file(path, 1 << 20, &d, &len, NULL));
		d[len / 2] ^= 0x10;
		ASSERT_EQ(0, write_bytes(path, d, len));
		free(d);
		ASSERT_EQ(-EBADMSG, aios_ledger_verify_file(path, &v, &e));
		ASSERT_LT(0, v.bad_seq);
		ASSERT_NE(NULL, strstr(e.msg, "ledger record"));
		ASSERT_EQ(-EBADMSG, aios_run_open(self->dir, "r1", NULL, &r, NULL, &e));
		ASSERT_EQ(v.bad_seq, e.bad_seq);
	}
}

static ssize_t enospc_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	int *armed = ctx;

	(void)fd; (void)buf; (void)len; (void)off;
	if (*armed)
		return -ENOSPC;
	return pwrite(fd, buf, len, off) < 0 ? -errno : (ssize_t)len;
}

TEST_F(s, run_ledger_fault_fails_the_change_visibly)
{
	int armed = 0;
	struct aios_ledger_io io = { .pwrite = enospc_pwrite, .ctx = &armed };
	struct aios_run_opts o = { .policy = AIOS_LEDGER_FSYNC_GROUP, .io = &io };
	struct aios_run *r;
	struct aios_rerr e;
	json_t *rep;

	ASSERT_EQ(0, aios_run_create(self->dir, "r1", 3, &o, &r, NULL, &e));
	ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(r), "step", 3, "a", 1, NULL, &e));
	armed = 1;
	ASSERT_EQ(-ENOSPC, aios_ledger_append(aios_run_ledger(r), "step", 3, "b", 1, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "not appended"));
	ASSERT_EQ(-ENOSPC, aios_run_episode(r, 3, "m1", NULL, NULL, &e));
	armed = 0;
	ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(r), "step", 3, "c", 1, NULL, &e));
	ASSERT_EQ(0, aios_run_verify(r, &rep, &e));
	/* a, c: the failed episode left nothing behind, not even its file */
	ASSERT_EQ(2, json_integer_value(json_object_get(rep, "records")));
	ASSERT_EQ(0, json_integer_value(json_object_get(rep, "episodes")));
	json_decref(rep);
	ASSERT_EQ(0, aios_run_episode(r, 3, "m1", NULL, NULL, &e));
	aios_run_close(r);
}

/* A working-set change whose ledger record cannot be written or synced
 * is undone: the working set never holds a change the ledger lacks
 * (policy "none" does not sync: ws_durability_test covers it). */
struct flt {
	int write_err, sync_err;
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

	if (f->sync_err)
		return -f->sync_err;
	return fdatasync(fd) < 0 ? -errno : 0;
}

static int workset_records(struct aios_run *r)
{
	uint64_t last;
	int n = 0;

	aios_ledger_head(aios_run_ledger(r), &last, NULL);
	for (uint64_t s = 1; s <= last; s++) {
		struct aios_ledger_rec rec;

		if (aios_ledger_read(aios_run_ledger(r), s, &rec, NULL))
			return -1;
		n += !strcmp(rec.type, "workset");
		aios_ledger_rec_free(&rec);
	}
	return n;
}

TEST_F(s, workset_change_undone_when_its_record_fails)
{
	static const enum aios_fsync_policy pols[] = { AIOS_LEDGER_FSYNC_GROUP,
						       AIOS_LEDGER_FSYNC_ALWAYS };

	for (int p = 0; p < 2; p++) {
		struct flt f = { 0 };
		struct aios_ledger_io io = { .pwrite = flt_pwrite, .fdatasync = flt_sync, .ctx = &f };
		struct aios_run_opts o = { .policy = pols[p], .io = &io };
		json_t *d1 = json_loads("{\"goal\":\"g\",\"status\":\"active\",\"step\":1,"
				       "\"context\":{\"max_items\":4,\"max_bytes\":4096,\"items\":[]}}", 0, NULL);
		json_t *d2 = json_loads("{\"goal\":\"g\",\"status\":\"active\",\"step\":2,"
				       "\"context\":{\"max_items\":4,\"max_bytes\":4096,\"items\":[]}}", 0, NULL);
		json_t *items = json_loads("[{\"id\":\"c1\",\"role\":\"user\",\"text\":\"x\"}]", 0, NULL);
		json_t *cur, *ev = NULL;
		struct aios_run *r;
		struct aios_rerr e;
		uint64_t seq = 99;
		char id[16];

		snprintf(id, sizeof(id), "w%d", p);
		ASSERT_EQ(0, aios_run_create(self->dir, id, 3, &o, &r, NULL, &e));
		ASSERT_EQ(0, aios_run_ws_put(r, 3, 0, d1, &seq, &e));
		ASSERT_EQ(1, seq);

		f.write_err = ENOSPC;
		ASSERT_EQ(-ENOSPC, aios_run_ws_put(r, 3, 1, d2, &seq, &e));
		ASSERT_NE(NULL, strstr(e.msg, "undone")) TH_LOG("%s", e.msg);
		f.write_err = 0;
		f.sync_err = EIO;
		ASSERT_EQ(-EIO, aios_run_ws_put(r, 3, 1, d2, &seq, &e));
		ASSERT_NE(NULL, strstr(e.msg, "undone")) TH_LOG("%s", e.msg);
		ASSERT_EQ(-EIO, aios_run_ws_push(r, 3, 1, items, &seq, &ev, &e));
		ASSERT_EQ(NULL, ev);
		f.sync_err = 0;
		/* still the first document, at seq 1, in memory and on disk */
		ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &cur, &seq));
		ASSERT_EQ(1, seq);
		ASSERT_TRUE(json_equal(d1, cur));
		json_decref(cur);
		ASSERT_EQ(1, workset_records(r));
		aios_run_close(r);
		ASSERT_EQ(0, aios_run_open(self->dir, id, &o, &r, NULL, &e));
		ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &cur, &seq));
		ASSERT_EQ(1, seq);
		ASSERT_TRUE(json_equal(d1, cur));
		json_decref(cur);
		/* and the same change goes through once the disk does */
		ASSERT_EQ(0, aios_run_ws_put(r, 3, 1, d2, &seq, &e));
		ASSERT_EQ(2, seq);
		ASSERT_EQ(0, aios_run_ws_push(r, 3, 2, items, &seq, NULL, &e)) TH_LOG("%s", e.msg);
		ASSERT_EQ(3, seq);
		ASSERT_EQ(3, workset_records(r));
		ASSERT_EQ(0, aios_run_verify(r, NULL, &e));
		aios_run_close(r);
		json_decref(d1);
		json_decref(d2);
		json_decref(items);
	}
}

TEST_HARNESS_MAIN
