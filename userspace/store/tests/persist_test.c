// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the store's durability: log replay after a truncation at
 * every byte offset of the last records, snapshot + replay equivalence,
 * damaged snapshot and log (refuse, or recover when told to, keeping the
 * damaged bytes), a crash between snapshot and log rotation, evictions
 * surviving a restart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "model.h"
#include "store.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int open_dir(const char *dir, bool recover, enum aios_fsync fs,
		    struct aios_store **st, struct aios_store_open_report *rep,
		    char *err, size_t errlen)
{
	struct aios_store_config cfg = { .dir = dir, .recover = recover, .fsync = fs };

	return aios_store_open(&cfg, st, rep, err, errlen);
}

static size_t file_size(const char *dir, const char *name)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &sb))
		return 0;
	return (size_t)sb.st_size;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char p[512];
	FILE *f;
	uint8_t *b;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	*len = file_size(dir, name);
	f = fopen(p, "rb");
	if (!f)
		return NULL;
	b = malloc(*len + 1);
	if (b && fread(b, 1, *len, f) != *len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int write_file(const char *dir, const char *name, const uint8_t *b, size_t len)
{
	char p[512];
	FILE *f;
	int ok;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		return -1;
	ok = fwrite(b, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static bool file_exists(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

FIXTURE(dir) {
	char path[64];
};

FIXTURE_SETUP(dir)
{
	strcpy(self->path, "/tmp/aios-store-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->path));
}

FIXTURE_TEARDOWN(dir)
{
	rm_rf(self->path);
}

/* The ops of the truncation test: puts, a replace, deletes and a
 * delete-by-prefix, so every record type is cut somewhere. */
struct op {
	int kind;		/* 0 put, 1 delete, 2 delete prefix */
	uint64_t agent;
	char key[48];
	char val[40];
};

static void apply_model(struct model *m, const struct op *o)
{
	if (o->kind == 0)
		model_put(m, o->agent, o->key, strlen(o->key), o->val, strlen(o->val));
	else if (o->kind == 1)
		model_del(m, o->agent, o->key, strlen(o->key));
	else
		model_del_prefix(m, o->agent, o->key, strlen(o->key));
}

static int apply_store(struct aios_store *st, const struct op *o)
{
	if (o->kind == 0)
		return aios_store_put(st, o->agent, o->key, strlen(o->key), o->val,
				      strlen(o->val), NULL);
	if (o->kind == 1)
		return aios_store_delete(st, o->agent, o->key, strlen(o->key));
	return aios_store_delete_prefix(st, o->agent, o->key, strlen(o->key), NULL);
}

TEST_F_TIMEOUT(dir, log_truncated_at_every_offset_of_the_last_records, 300)
{
	enum { NOPS = 40, LAST = 6 };
	static struct op ops[NOPS];
	size_t end[NOPS + 1], loglen;
	const uint64_t agents[] = { 1, 2 };
	struct aios_store *st;
	char err[512], sub[128];
	uint8_t *log;
	int checked = 0;

	for (int i = 0; i < NOPS; i++) {
		ops[i].agent = agents[i % 2];
		ops[i].kind = i < 30 ? 0 : (i % 5 == 0 ? 2 : (i % 3 == 0 ? 1 : 0));
		snprintf(ops[i].key, sizeof(ops[i].key), "a:s%d:m%03d", i % 3, i);
		if (ops[i].kind == 1) {
			ops[i].agent = ops[i - 20].agent;
			memcpy(ops[i].key, ops[i - 20].key, sizeof(ops[i].key));
		}
		if (ops[i].kind == 2)
			snprintf(ops[i].key, sizeof(ops[i].key), "a:s%d:m0", i % 3);
		snprintf(ops[i].val, sizeof(ops[i].val), "value-%d-%llx", i,
			 (unsigned long long)rnd());
	}
	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	end[0] = file_size(self->path, "store.log");
	for (int i = 0; i < NOPS; i++) {
		ASSERT_EQ(0, apply_store(st, &ops[i])) TH_LOG("op %d: %s", i, aios_store_errmsg(st));
		end[i + 1] = file_size(self->path, "store.log");
	}
	aios_store_close(st);
	log = read_file(self->path, "store.log", &loglen);
	ASSERT_NE(NULL, log);
	ASSERT_EQ(end[NOPS], loglen);

	snprintf(sub, sizeof(sub), "%s/t", self->path);
	for (size_t off = end[NOPS - LAST]; off <= loglen; off++) {
		struct aios_store_open_report rep;
		struct model m = { 0 };
		int complete = 0;
		char why[256];

		while (complete < NOPS && end[complete + 1] <= off)
			complete++;
		for (int i = 0; i < complete; i++)
			apply_model(&m, &ops[i]);
		rm_rf(sub);
		ASSERT_EQ(0, mkdir(sub, 0700));
		ASSERT_EQ(0, write_file(sub, "store.log", log, off));
		ASSERT_EQ(0, open_dir(sub, false, AIOS_FSYNC_NEVER, &st, &rep, err, sizeof(err)))
			TH_LOG("offset %zu: %s", off, err);
		ASSERT_EQ(off - end[complete], rep.torn_bytes);
		ASSERT_EQ(0, model_compare(&m, st, agents, 2, why, sizeof(why)))
			TH_LOG("offset %zu: %s", off, why);
		/* the torn tail is gone from the file, and new writes go on */
		ASSERT_EQ(end[complete], file_size(sub, "store.log"));
		ASSERT_EQ(0, aios_store_put(st, 1, "after", 5, "x", 1, NULL));
		aios_store_close(st);
		ASSERT_EQ(0, open_dir(sub, false, AIOS_FSYNC_NEVER, &st, &rep, err, sizeof(err)));
		ASSERT_EQ(0, rep.torn_bytes);
		model_put(&m, 1, "after", 5, "x", 1);
		ASSERT_EQ(0, model_compare(&m, st, agents, 2, why, sizeof(why)))
			TH_LOG("offset %zu after reopen: %s", off, why);
		aios_store_close(st);
		model_free(&m);
		checked++;
	}
	ASSERT_GT(checked, LAST * 36);
	free(log);
}

TEST_F_TIMEOUT(dir, snapshot_plus_replay_equals_model, 300)
{
	const uint64_t agents[] = { 1, 2, 3 };
	struct aios_store_config cfg = { .dir = self->path, .snapshot_log_bytes = 64 * 1024 };
	struct aios_store_open_report rep;
	struct aios_store *st;
	struct model m = { 0 };
	char err[512], why[256], key[32], val[64];
	int snaps = 0;

	ASSERT_EQ(0, aios_store_open(&cfg, &st, NULL, err, sizeof(err))) TH_LOG("%s", err);
	for (int i = 0; i < 60000; i++) {
		uint64_t agent = agents[rndn(3)];
		int kl = snprintf(key, sizeof(key), "k:%llu:%llu", (unsigned long long)rndn(50),
				  (unsigned long long)rndn(100));
		uint64_t r = rndn(100);

		if (r < 60) {
			int vl = snprintf(val, sizeof(val), "v%llx", (unsigned long long)rnd());

			ASSERT_EQ(0, aios_store_put(st, agent, key, (size_t)kl, val, (size_t)vl, NULL));
			model_put(&m, agent, key, (size_t)kl, val, (size_t)vl);
		} else if (r < 95) {
			bool had = model_del(&m, agent, key, (size_t)kl);

			ASSERT_EQ(had ? 0 : -ENOENT, aios_store_delete(st, agent, key, (size_t)kl));
		} else if (r < 96) {
			ASSERT_EQ(0, aios_store_delete_prefix(st, agent, key, 4, NULL));
			model_del_prefix(&m, agent, key, 4);
		} else if (r < 97) {
			ASSERT_EQ(0, aios_store_snapshot(st)) TH_LOG("%s", aios_store_errmsg(st));
			snaps++;
		}
		if (i % 20000 == 19999) {
			/* restart: snapshot + log must give the same contents */
			aios_store_close(st);
			ASSERT_EQ(0, aios_store_open(&cfg, &st, &rep, err, sizeof(err)))
				TH_LOG("%s", err);
			ASSERT_TRUE(rep.snapshot_loaded);
			ASSERT_EQ(0, rep.torn_bytes);
			ASSERT_EQ(0, model_compare(&m, st, agents, 3, why, sizeof(why)))
				TH_LOG("%s", why);
			ASSERT_EQ(0, aios_store_check(st)) TH_LOG("%s", aios_store_errmsg(st));
		}
	}
	ASSERT_GT(snaps, 100);
	/* a crash without close: the child dies with writes not synced by us */
	{
		pid_t pid = fork();

		if (pid == 0) {
			struct aios_store *c;

			aios_store_close(st);
			if (aios_store_open(&cfg, &c, NULL, err, sizeof(err)))
				_exit(2);
			if (aios_store_put(c, 1, "crash", 5, "survives", 8, NULL))
				_exit(3);
			_exit(0);	/* no close, no sync */
		}
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	}
	aios_store_close(st);
	model_put(&m, 1, "crash", 5, "survives", 8);
	ASSERT_EQ(0, aios_store_open(&cfg, &st, &rep, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, model_compare(&m, st, agents, 3, why, sizeof(why))) TH_LOG("%s", why);
	aios_store_close(st);
	model_free(&m);
}

static void fill(struct aios_store *st, int n)
{
	char key[32];

	for (int i = 0; i < n; i++) {
		int l = snprintf(key, sizeof(key), "key-%04d", i);

		if (aios_store_put(st, 9, key, (size_t)l, key, (size_t)l, NULL))
			abort();
	}
}

static long count_keys(struct aios_store *st, uint64_t agent)
{
	struct aios_store_stats s;

	aios_store_agent_stats(st, agent, &s);
	return (long)s.items;
}

TEST_F(dir, damaged_log_refuses_to_open_then_recovers_when_told)
{
	struct aios_store_open_report rep;
	struct aios_store *st;
	char err[512];
	uint8_t *log;
	size_t len, rec;

	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_ALWAYS, &st, NULL, err, sizeof(err)));
	fill(st, 10);
	aios_store_close(st);
	log = read_file(self->path, "store.log", &len);
	ASSERT_NE(NULL, log);
	rec = (len - 16) / 10;		/* equal-sized records */
	log[16 + 4 * rec + 40] ^= 0x55;	/* inside the 5th record's key */
	ASSERT_EQ(0, write_file(self->path, "store.log", log, len));

	ASSERT_EQ(-EBADMSG, open_dir(self->path, false, AIOS_FSYNC_ALWAYS, &st, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "checksum mismatch")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "after record 4")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "offset")) TH_LOG("%s", err);
	/* refusing changed nothing */
	ASSERT_EQ(len, file_size(self->path, "store.log"));

	ASSERT_EQ(0, open_dir(self->path, true, AIOS_FSYNC_ALWAYS, &st, &rep, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(4, count_keys(st, 9));
	ASSERT_EQ(6 * rec, rep.dropped_bytes);
	ASSERT_NE(NULL, strstr(rep.message, "store.log.corrupt.1")) TH_LOG("%s", rep.message);
	ASSERT_EQ(6 * rec, file_size(self->path, "store.log.corrupt.1"));
	aios_store_close(st);
	free(log);
}

TEST_F(dir, damaged_snapshot_refuses_to_open_then_recovers_when_told)
{
	struct aios_store_open_report rep;
	struct aios_store *st;
	char err[512];
	uint8_t *snap;
	size_t len;

	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	fill(st, 100);
	ASSERT_EQ(0, aios_store_snapshot(st));
	ASSERT_EQ(0, aios_store_put(st, 9, "later", 5, "v", 1, NULL));
	aios_store_close(st);
	snap = read_file(self->path, "store.snap", &len);
	ASSERT_NE(NULL, snap);
	snap[len / 2] ^= 0x01;
	ASSERT_EQ(0, write_file(self->path, "store.snap", snap, len));

	ASSERT_EQ(-EBADMSG, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "store.snap: damaged at byte offset")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "refusing to start")) TH_LOG("%s", err);

	ASSERT_EQ(0, open_dir(self->path, true, AIOS_FSYNC_NEVER, &st, &rep, err, sizeof(err)))
		TH_LOG("%s", err);
	/* the entries before the damage, plus the log on top */
	ASSERT_GT(count_keys(st, 9), 40);
	ASSERT_LT(count_keys(st, 9), 100);
	ASSERT_GT(rep.dropped_bytes, 0);
	ASSERT_TRUE(file_exists(self->path, "store.snap.corrupt.1"));
	{
		const void *v;
		size_t vl;

		ASSERT_EQ(0, aios_store_get(st, 9, "later", 5, &v, &vl));
	}
	aios_store_close(st);

	/* a truncated snapshot is damage too, never a short store */
	ASSERT_EQ(0, write_file(self->path, "store.snap", snap, len - 10));
	ASSERT_EQ(-EBADMSG, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	free(snap);
}

TEST_F(dir, foreign_file_is_not_taken_for_a_log)
{
	struct aios_store *st;
	char err[512];

	ASSERT_EQ(0, write_file(self->path, "store.log",
				(const uint8_t *)"this is not a store log, honest", 31));
	ASSERT_EQ(-EBADMSG, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "wrong magic")) TH_LOG("%s", err);
}

TEST_F(dir, crash_between_snapshot_and_log_rotation_replays_nothing_twice)
{
	struct aios_store_open_report rep;
	struct aios_store *st;
	char err[512];
	uint8_t *oldlog;
	size_t len;
	const void *v;
	size_t vl;

	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	fill(st, 20);
	ASSERT_EQ(0, aios_store_delete(st, 9, "key-0003", 8));
	aios_store_close(st);
	oldlog = read_file(self->path, "store.log", &len);
	ASSERT_NE(NULL, oldlog);
	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	ASSERT_EQ(0, aios_store_snapshot(st));
	aios_store_close(st);
	/* as if the rename of the new log never happened */
	ASSERT_EQ(0, write_file(self->path, "store.log", oldlog, len));
	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, &rep, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(21, rep.log_skipped);
	ASSERT_EQ(0, rep.log_records);
	ASSERT_EQ(19, count_keys(st, 9));
	ASSERT_EQ(-ENOENT, aios_store_get(st, 9, "key-0003", 8, &v, &vl));
	/* and the next write continues the sequence */
	ASSERT_EQ(0, aios_store_put(st, 9, "key-0003", 8, "back", 4, NULL));
	aios_store_close(st);
	ASSERT_EQ(0, open_dir(self->path, false, AIOS_FSYNC_NEVER, &st, &rep, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(20, count_keys(st, 9));
	aios_store_close(st);
	free(oldlog);
}

TEST_F(dir, evictions_are_logged_and_survive_restart)
{
	struct aios_store_config cfg = { .dir = self->path, .max_bytes = 200000,
					 .k_threshold = 0.5 };
	struct aios_store_stats s1, s2;
	struct aios_store *st;
	char err[512];

	ASSERT_EQ(0, aios_store_open(&cfg, &st, NULL, err, sizeof(err)));
	fill(st, 3000);
	aios_store_stats(st, &s1);
	ASSERT_GT(s1.evictions, 0);
	aios_store_close(st);
	/* reopen without a bound: the evicted keys stay gone */
	cfg.max_bytes = 0;
	ASSERT_EQ(0, aios_store_open(&cfg, &st, NULL, err, sizeof(err)));
	aios_store_stats(st, &s2);
	ASSERT_EQ(s1.items, s2.items);
	ASSERT_EQ(s1.raw_key_bytes, s2.raw_key_bytes);
	aios_store_close(st);
	/* reopen with a smaller bound: evicts while loading, says so */
	{
		struct aios_store_open_report rep;

		cfg.max_bytes = 100000;
		ASSERT_EQ(0, aios_store_open(&cfg, &st, &rep, err, sizeof(err)));
		ASSERT_GT(rep.evicted, 0);
		ASSERT_NE(NULL, strstr(rep.message, "evicted")) TH_LOG("%s", rep.message);
		aios_store_stats(st, &s2);
		ASSERT_LE(s2.mem_bytes, s2.threshold_bytes);
		aios_store_close(st);
	}
}

TEST_F(dir, unwritable_directory_is_a_clear_error)
{
	struct aios_store *st;
	char err[512], p[128];

	snprintf(p, sizeof(p), "%s/missing/deeper", self->path);
	ASSERT_EQ(-ENOENT, open_dir(p, false, AIOS_FSYNC_NEVER, &st, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "missing/deeper")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
