// SPDX-License-Identifier: GPL-2.0
/*
 * Ledger: format, recovery (truncation sweep, bit-flip sweep, tampering),
 * fault injection through the I/O hooks, group commit with many threads,
 * and kill -9 during group-committed appends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "crc32c.h"
#include "ledger.h"
#include "testutil.h"

static void payload_for(unsigned int tid, unsigned int n, char *buf, size_t *len)
{
	int k = snprintf(buf, 200, "thread %u record %u ", tid, n);

	/* variable length so records have different sizes */
	for (unsigned int i = 0; i < (n * 7 + tid) % 50; i++)
		buf[k++] = (char)('a' + (i + n) % 26);
	*len = (size_t)k;
}

static char *slurp(const char *path, size_t *len)
{
	char *b;

	if (aios_read_file(path, 1 << 26, &b, len, NULL))
		return NULL;
	return b;
}

/* build a ledger with n records; offsets of each record in offs[0..n] */
static void build(const char *path, unsigned int n, uint64_t *offs)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE, .create = 1 };
	struct aios_ledger *l;
	struct aios_ledger_stats st;

	unlink(path);
	if (aios_ledger_open(path, &o, &l, NULL, NULL))
		abort();
	for (unsigned int i = 0; i < n; i++) {
		char p[256];
		size_t len;

		aios_ledger_get_stats(l, &st);
		if (offs)
			offs[i] = st.bytes;
		payload_for(0, i, p, &len);
		if (aios_ledger_append(l, "step", 42, p, len, NULL, NULL))
			abort();
	}
	aios_ledger_get_stats(l, &st);
	if (offs)
		offs[n] = st.bytes;
	aios_ledger_close(l);
}

FIXTURE(dir) {
	char dir[256];
	char path[300];
};

FIXTURE_SETUP(dir)
{
	make_scratch(self->dir, sizeof(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/ledger.log", self->dir);
}

FIXTURE_TEARDOWN(dir)
{
	rm_scratch(self->dir);
}

TEST(crc32c_known_vector)
{
	/* RFC 3720 test vector: 32 bytes of zeros -> 0x8a9136aa */
	unsigned char z[32] = { 0 };

	ASSERT_EQ(0x8a9136aau, aios_runs_crc32c(0, z, sizeof(z)));
	ASSERT_EQ(0xe3069283u, aios_runs_crc32c(0, "123456789", 9));
	/* incremental == one shot, unaligned */
	ASSERT_EQ(aios_runs_crc32c(0, "123456789", 9),
		  aios_runs_crc32c(aios_runs_crc32c(0, "123", 3), "456789", 6));
}

TEST_F(dir, append_read_reopen)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_ALWAYS, .create = 1 };
	struct aios_ledger_recovery rec;
	struct aios_ledger_verify v;
	struct aios_ledger_rec r;
	struct aios_ledger *l;
	unsigned char head[32];
	uint64_t seq, hseq;

	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, &rec, NULL));
	ASSERT_EQ(0, rec.records);
	ASSERT_EQ(0, aios_ledger_append(l, "start", 7, "hello", 5, &seq, NULL));
	ASSERT_EQ(1, seq);
	ASSERT_EQ(0, aios_ledger_append(l, "step", 7, NULL, 0, &seq, NULL));
	ASSERT_EQ(2, seq);
	ASSERT_EQ(0, aios_ledger_read(l, 1, &r, NULL));
	ASSERT_EQ(1, r.seq);
	ASSERT_EQ(7, r.agent);
	ASSERT_STREQ("start", r.type);
	ASSERT_EQ(5, r.payload_len);
	ASSERT_EQ(0, memcmp(r.payload, "hello", 5));
	ASSERT_NE(0, r.ts_ns);
	aios_ledger_rec_free(&r);
	ASSERT_EQ(-ENOENT, aios_ledger_read(l, 3, &r, NULL));
	ASSERT_EQ(-ENOENT, aios_ledger_read(l, 0, &r, NULL));
	aios_ledger_head(l, &hseq, head);
	ASSERT_EQ(2, hseq);
	ASSERT_EQ(0, aios_ledger_close(l));

	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(2, v.records);
	ASSERT_EQ(0, v.torn_bytes);
	ASSERT_EQ(0, memcmp(head, v.last_hash, 32));

	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, &rec, NULL));
	ASSERT_EQ(2, rec.records);
	ASSERT_EQ(0, rec.truncated_bytes);
	ASSERT_EQ(0, aios_ledger_append(l, "step", 7, "x", 1, &seq, NULL));
	ASSERT_EQ(3, seq);
	aios_ledger_close(l);
	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(3, v.records);
}

TEST_F(dir, bad_arguments)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE, .create = 1,
				      .max_payload = 100 };
	struct aios_rerr e;
	struct aios_ledger *l;
	char big[101] = { 0 };

	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, NULL, NULL));
	ASSERT_EQ(-EINVAL, aios_ledger_append(l, "", 1, "a", 1, NULL, &e));
	ASSERT_EQ(-EINVAL, aios_ledger_append(l, "has space", 1, "a", 1, NULL, &e));
	ASSERT_EQ(-EMSGSIZE, aios_ledger_append(l, "t", 1, big, sizeof(big), NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "exceeds"));
	ASSERT_EQ(0, aios_ledger_append(l, "t", 1, big, 100, NULL, &e));
	aios_ledger_close(l);

	/* not a ledger */
	ASSERT_EQ(0, write_bytes(self->path, "definitely not a ledger file at all!", 36));
	ASSERT_EQ(-EBADMSG, aios_ledger_open(self->path, &o, &l, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "header"));
	o.create = 0;
	ASSERT_EQ(-ENOENT, aios_ledger_open("/nonexistent/x", &o, &l, NULL, &e));
}

/* Truncating the file at every byte offset inside its last three records
 * recovers exactly the complete records before the cut. */
TEST_F(dir, truncation_sweep)
{
	enum { N = 6 };
	uint64_t offs[N + 1];
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE };
	char *orig, cut[300];
	size_t len;

	build(self->path, N, offs);
	orig = slurp(self->path, &len);
	ASSERT_NE(NULL, orig);
	/* beyond the last record: preallocated zeros */
	ASSERT_LE(offs[N], len);
	len = offs[N];
	snprintf(cut, sizeof(cut), "%s/cut.log", self->dir);
	for (uint64_t at = offs[N - 3]; at < len; at++) {
		struct aios_ledger_recovery rec;
		struct aios_ledger_verify v;
		struct aios_ledger *l;
		unsigned int complete = 0;
		uint64_t seq;

		while (complete < N && offs[complete + 1] <= at)
			complete++;
		ASSERT_EQ(0, write_bytes(cut, orig, at));
		/* verify reports the torn tail without calling it corruption */
		ASSERT_EQ(0, aios_ledger_verify_file(cut, &v, NULL));
		ASSERT_EQ(complete, v.records);
		ASSERT_EQ(at - offs[complete], v.torn_bytes + v.zero_tail_bytes);
		ASSERT_EQ(0, aios_ledger_open(cut, &o, &l, &rec, NULL)) {
			TH_LOG("cut at %llu", (unsigned long long)at);
		}
		ASSERT_EQ(complete, rec.records);
		/* the bytes of the incomplete record (zeros not counted) */
		ASSERT_EQ(v.torn_bytes, rec.truncated_bytes);
		ASSERT_EQ(0, aios_ledger_append(l, "after", 1, "z", 1, &seq, NULL));
		ASSERT_EQ(complete + 1, seq);
		aios_ledger_close(l);
		ASSERT_EQ(0, aios_ledger_verify_file(cut, &v, NULL));
		ASSERT_EQ(complete + 1, v.records);
		ASSERT_EQ(0, v.torn_bytes);
	}
	free(orig);
}

/* Zeros after the last record are preallocated space, not a torn tail;
 * a record whose end never replaced those zeros is torn. */
TEST_F(dir, zero_tail_and_torn_over_zeros)
{
	enum { N = 3 };
	uint64_t offs[N + 1];
	struct aios_ledger_recovery rec;
	struct aios_ledger_verify v;
	struct aios_ledger *l;
	char *orig, cut[300];
	size_t len;

	build(self->path, N, offs);
	orig = slurp(self->path, &len);
	orig = realloc(orig, offs[N] + 5000);
	memset(orig + offs[N], 0, 5000);
	ASSERT_EQ(0, write_bytes(self->path, orig, offs[N] + 5000));
	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(N, v.records);
	ASSERT_EQ(0, v.torn_bytes);
	ASSERT_EQ(5000, v.zero_tail_bytes);
	ASSERT_EQ(0, aios_ledger_open(self->path, NULL, &l, &rec, NULL));
	ASSERT_EQ(N, rec.records);
	ASSERT_EQ(0, rec.truncated_bytes);
	ASSERT_EQ(0, aios_ledger_append(l, "more", 1, "x", 1, NULL, NULL));
	aios_ledger_close(l);
	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(N + 1, v.records);

	/* only a prefix of the last record reached the disk (at least its
	 * checksum is missing: a record that lost fewer than 4 bytes cannot be
	 * told from a bit flip in its checksum and is reported as corrupt) */
	snprintf(cut, sizeof(cut), "%s/cut.log", self->dir);
	for (uint64_t k = 1; k <= offs[N] - offs[N - 1] - 4; k++) {
		char *b = malloc(offs[N] + 4096);

		memcpy(b, orig, offs[N]);
		memset(b + offs[N - 1] + k, 0, offs[N] + 4096 - offs[N - 1] - k);
		ASSERT_EQ(0, write_bytes(cut, b, offs[N] + 4096));
		free(b);
		ASSERT_EQ(0, aios_ledger_open(cut, NULL, &l, &rec, NULL)) {
			TH_LOG("prefix %llu", (unsigned long long)k);
		}
		ASSERT_EQ(N - 1, rec.records);
		ASSERT_LT(0, rec.truncated_bytes);
		ASSERT_GE(k, rec.truncated_bytes);
		aios_ledger_close(l);
	}
	free(orig);
}

/* Flipping any single bit of any record is detected and the right record
 * is named; open refuses to continue past it and leaves the file alone. */
TEST_F(dir, bitflip_sweep)
{
	enum { N = 4 };
	uint64_t offs[N + 1];
	char *orig;
	size_t len;

	build(self->path, N, offs);
	orig = slurp(self->path, &len);
	ASSERT_NE(NULL, orig);
	/* flip every bit position of every record (the zeros after the last
	 * record stay in the buffer, as on disk) */
	for (uint64_t at = 0; at < offs[N]; at++) {
		struct aios_ledger_verify v;
		struct aios_rerr e;
		unsigned int rec = 0;

		while (rec < N && offs[rec] <= at)
			rec++;
		/* rec = 1-based record containing byte at; 0 = file header */
		orig[at] ^= (char)(1 << (at % 8));
		ASSERT_EQ(-EBADMSG, aios_ledger_verify_buf(orig, len, &v, &e)) {
			TH_LOG("flip at %llu not detected", (unsigned long long)at);
		}
		ASSERT_EQ(rec, v.bad_seq) {
			TH_LOG("flip at %llu: named %llu (%s)", (unsigned long long)at,
			       (unsigned long long)v.bad_seq, v.reason);
		}
		ASSERT_EQ(rec ? rec - 1 : 0, v.records);
		orig[at] ^= (char)(1 << (at % 8));
	}
	/* open refuses a flipped middle record and does not touch the file */
	{
		struct aios_ledger *l;
		struct aios_rerr e;
		size_t len2;
		char *after;

		orig[offs[1] + 50] ^= 4;
		ASSERT_EQ(0, write_bytes(self->path, orig, len));
		ASSERT_EQ(-EBADMSG, aios_ledger_open(self->path, NULL, &l, NULL, &e));
		ASSERT_EQ(2, e.bad_seq);
		ASSERT_NE(NULL, strstr(e.msg, "record 2"));
		after = slurp(self->path, &len2);
		ASSERT_EQ(len, len2);
		ASSERT_EQ(0, memcmp(orig, after, len));
		free(after);
		/* the last record too: a complete record with a bad checksum is
		 * corruption, not a torn write */
		orig[offs[1] + 50] ^= 4;
		orig[offs[N] - 10] ^= 1;
		ASSERT_EQ(0, write_bytes(self->path, orig, len));
		ASSERT_EQ(-EBADMSG, aios_ledger_open(self->path, NULL, &l, NULL, &e));
		ASSERT_EQ(N, e.bad_seq);
	}
	free(orig);
}

/* A tamperer who rewrites a payload and fixes both CRCs is caught by the
 * hash chain at that record; one who also recomputes that record's hash is
 * caught at the next record. */
TEST_F(dir, tamper_with_fixed_checksums)
{
	enum { N = 4 };
	uint64_t offs[N + 1];
	struct aios_ledger_verify v;
	unsigned char *b, h[32];
	size_t len;

	build(self->path, N, offs);
	b = (unsigned char *)slurp(self->path, &len);
	{
		unsigned char *r = b + offs[1];
		uint32_t tot = (uint32_t)(offs[2] - offs[1]), crc;

		r[AIOS_LEDGER_REC_HDR + 4 + 2] ^= 0x20;	/* payload byte */
		crc = aios_runs_crc32c(0, r, tot - 4);
		memcpy(r + tot - 4, &crc, 4);
		ASSERT_EQ(-EBADMSG, aios_ledger_verify_buf(b, len, &v, NULL));
		ASSERT_EQ(2, v.bad_seq);
		ASSERT_NE(NULL, strstr(v.reason, "chain"));

		/* recompute record 2's chain hash too */
		unsigned char prev[32];
		unsigned char *r1 = b + offs[0];
		uint32_t tot1 = (uint32_t)(offs[1] - offs[0]);

		memcpy(prev, r1 + tot1 - AIOS_LEDGER_REC_TRAILER, 32);
		{
			unsigned char *tmp = malloc(32 + tot);

			memcpy(tmp, prev, 32);
			memcpy(tmp + 32, r, tot - AIOS_LEDGER_REC_TRAILER);
			aios_sha256(tmp, 32 + tot - AIOS_LEDGER_REC_TRAILER, h);
			free(tmp);
		}
		memcpy(r + tot - AIOS_LEDGER_REC_TRAILER, h, 32);
		crc = aios_runs_crc32c(0, r, tot - 4);
		memcpy(r + tot - 4, &crc, 4);
		ASSERT_EQ(-EBADMSG, aios_ledger_verify_buf(b, len, &v, NULL));
		ASSERT_EQ(3, v.bad_seq);
	}
	free(b);
}

/* ---- fault injection ---------------------------------------------------- */

struct faults {
	int fail_write_at;	/* n-th pwrite fails (1-based), 0 = never */
	int short_then;		/* that pwrite first writes half, then fails */
	int write_err;
	int fail_sync_at;
	int sync_err;
	int fail_trunc;
	int writes, syncs;
	pthread_mutex_t mu;
};

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct faults *f = ctx;
	int n;

	pthread_mutex_lock(&f->mu);
	n = ++f->writes;
	pthread_mutex_unlock(&f->mu);
	if (n == f->fail_write_at) {
		if (f->short_then && len > 1) {
			ssize_t w = pwrite(fd, buf, len / 2, off);

			f->fail_write_at++;	/* the retry of the rest fails */
			f->short_then = 0;
			return w;
		}
		return -f->write_err;
	}
	return pwrite(fd, buf, len, off) < 0 ? -errno : (ssize_t)len;
}

static int f_sync(void *ctx, int fd)
{
	struct faults *f = ctx;
	int n;

	pthread_mutex_lock(&f->mu);
	n = ++f->syncs;
	pthread_mutex_unlock(&f->mu);
	if (n == f->fail_sync_at)
		return -f->sync_err;
	return fdatasync(fd) < 0 ? -errno : 0;
}

static int f_trunc(void *ctx, int fd, off_t len)
{
	struct faults *f = ctx;

	if (f->fail_trunc)
		return -EIO;
	return ftruncate(fd, len) < 0 ? -errno : 0;
}

/* After the failure: the acked records (and only ones we expect) are in the
 * file, intact, and the ledger goes on appending with the next seq. */
static void check_after(struct __test_metadata *_metadata, const char *path,
			unsigned int acked)
{
	struct aios_ledger_verify v;
	struct aios_ledger *l;
	struct aios_ledger_recovery rec;

	ASSERT_EQ(0, aios_ledger_verify_file(path, &v, NULL));
	ASSERT_EQ(acked, v.records);
	ASSERT_EQ(0, v.torn_bytes);
	ASSERT_EQ(0, aios_ledger_open(path, NULL, &l, &rec, NULL));
	ASSERT_EQ(acked, rec.records);
	for (unsigned int i = 1; i <= acked; i++) {
		struct aios_ledger_rec r;
		char p[256];
		size_t len;

		ASSERT_EQ(0, aios_ledger_read(l, i, &r, NULL));
		payload_for(0, i, p, &len);
		ASSERT_EQ(len, r.payload_len);
		ASSERT_EQ(0, memcmp(p, r.payload, len));
		aios_ledger_rec_free(&r);
	}
	aios_ledger_close(l);
}

static void run_fault(struct __test_metadata *_metadata, const char *path,
		      struct faults *f, enum aios_fsync_policy pol,
		      int expect_err, unsigned int fail_rec)
{
	struct aios_ledger_io io = { f_pwrite, f_sync, f_trunc, f };
	struct aios_ledger_opts o = { .policy = pol, .io = &io, .create = 1 };
	struct aios_ledger *l;
	struct aios_ledger_stats st;
	struct aios_rerr e;
	unsigned int acked = 0;

	pthread_mutex_init(&f->mu, NULL);
	unlink(path);
	ASSERT_EQ(0, aios_ledger_open(path, &o, &l, NULL, NULL));
	for (unsigned int i = 1; i <= 5; i++) {
		char p[256];
		size_t len;
		uint64_t seq = 0;
		int rc;

		payload_for(0, acked + 1, p, &len);
		rc = aios_ledger_append(l, "step", 1, p, len, &seq, &e);
		if (i == fail_rec) {
			ASSERT_EQ(expect_err, rc);
			ASSERT_NE(NULL, strstr(e.msg, "not appended"));
			continue;
		}
		ASSERT_EQ(0, rc) {
			TH_LOG("append %u: %s", i, e.msg);
		}
		ASSERT_EQ(++acked, seq);
	}
	aios_ledger_get_stats(l, &st);
	ASSERT_EQ(1, st.failed_appends);
	ASSERT_EQ(acked, st.records);
	aios_ledger_close(l);
	check_after(_metadata, path, acked);
}

TEST_F(dir, fault_write_eio)
{
	struct faults f = { .fail_write_at = 3, .write_err = EIO };

	run_fault(_metadata, self->path, &f, AIOS_LEDGER_FSYNC_ALWAYS, -EIO, 3);
}

TEST_F(dir, fault_short_write_enospc)
{
	struct faults f = { .fail_write_at = 2, .short_then = 1,
			    .write_err = ENOSPC };

	run_fault(_metadata, self->path, &f, AIOS_LEDGER_FSYNC_ALWAYS, -ENOSPC, 2);
}

TEST_F(dir, fault_fsync_always)
{
	struct faults f = { .fail_sync_at = 4, .sync_err = EIO };

	run_fault(_metadata, self->path, &f, AIOS_LEDGER_FSYNC_ALWAYS, -EIO, 4);
}

TEST_F(dir, fault_fsync_group)
{
	struct faults f = { .fail_sync_at = 2, .sync_err = EIO };

	run_fault(_metadata, self->path, &f, AIOS_LEDGER_FSYNC_GROUP, -EIO, 2);
}

TEST_F(dir, fault_enospc_group)
{
	struct faults f = { .fail_write_at = 5, .short_then = 1,
			    .write_err = ENOSPC };

	run_fault(_metadata, self->path, &f, AIOS_LEDGER_FSYNC_GROUP, -ENOSPC, 5);
}

/* If the failed record cannot even be cut off again the ledger refuses
 * further appends; reopening recovers (the half record is a torn tail). */
TEST_F(dir, fault_truncate_fails_then_reopen)
{
	struct faults f = { .fail_write_at = 3, .short_then = 1,
			    .write_err = ENOSPC, .fail_trunc = 1 };
	struct aios_ledger_io io = { f_pwrite, f_sync, f_trunc, &f };
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_ALWAYS, .io = &io,
				      .create = 1 };
	struct aios_ledger_recovery rec;
	struct aios_ledger *l;
	struct aios_rerr e;
	char p[256];
	size_t len;

	pthread_mutex_init(&f.mu, NULL);
	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, NULL, NULL));
	for (unsigned int i = 1; i <= 2; i++) {
		payload_for(0, i, p, &len);
		ASSERT_EQ(0, aios_ledger_append(l, "step", 1, p, len, NULL, NULL));
	}
	payload_for(0, 3, p, &len);
	ASSERT_EQ(-ENOSPC, aios_ledger_append(l, "step", 1, p, len, NULL, &e));
	ASSERT_EQ(-EIO, aios_ledger_append(l, "step", 1, p, len, NULL, &e));
	ASSERT_NE(NULL, strstr(e.msg, "reopen"));
	aios_ledger_close(l);
	ASSERT_EQ(0, aios_ledger_open(self->path, NULL, &l, &rec, NULL));
	ASSERT_EQ(2, rec.records);
	ASSERT_LT(0, rec.truncated_bytes);
	aios_ledger_close(l);
	check_after(_metadata, self->path, 2);
}

/* Many group-commit waiters when a shared fdatasync fails: every append
 * of that batch fails, none of them stays in the ledger, the others are
 * all there. */
struct gf_arg {
	struct aios_ledger *l;
	unsigned int tid;
	int ok[40];
	uint64_t seq[40];
};

static void *gf_thread(void *p)
{
	struct gf_arg *a = p;

	for (unsigned int n = 0; n < 40; n++) {
		char buf[256];
		size_t len;

		payload_for(a->tid, n, buf, &len);
		a->ok[n] = aios_ledger_append(a->l, "step", a->tid, buf, len,
					      &a->seq[n], NULL) == 0;
	}
	return NULL;
}

TEST_F(dir, fault_fsync_group_many_waiters)
{
	struct faults f = { .fail_sync_at = 3, .sync_err = EIO };
	struct aios_ledger_io io = { f_pwrite, f_sync, f_trunc, &f };
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_GROUP, .io = &io,
				      .create = 1 };
	struct gf_arg args[6];
	pthread_t th[6];
	struct aios_ledger_verify v;
	struct aios_ledger *l;
	unsigned int acked = 0, failed = 0;

	pthread_mutex_init(&f.mu, NULL);
	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, NULL, NULL));
	for (int i = 0; i < 6; i++) {
		args[i] = (struct gf_arg){ .l = l, .tid = (unsigned int)i };
		pthread_create(&th[i], NULL, gf_thread, &args[i]);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	aios_ledger_close(l);
	for (int i = 0; i < 6; i++)
		for (int n = 0; n < 40; n++)
			args[i].ok[n] ? acked++ : failed++;
	TH_LOG("%u acknowledged, %u failed with the shared sync", acked, failed);
	ASSERT_LT(0, failed);
	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(acked, v.records);
	ASSERT_EQ(0, aios_ledger_open(self->path, NULL, &l, NULL, NULL));
	for (int i = 0; i < 6; i++)
		for (int n = 0; n < 40; n++) {
			struct aios_ledger_rec r;
			char buf[256];
			size_t len;

			if (!args[i].ok[n])
				continue;
			ASSERT_EQ(0, aios_ledger_read(l, args[i].seq[n], &r, NULL));
			payload_for((unsigned int)i, (unsigned int)n, buf, &len);
			ASSERT_EQ(len, r.payload_len);
			ASSERT_EQ(0, memcmp(buf, r.payload, len));
			aios_ledger_rec_free(&r);
		}
	aios_ledger_close(l);
}

/* ---- group commit with many threads --------------------------------------- */

enum { GC_THREADS = 8, GC_PER = 60 };

struct gc_arg {
	struct aios_ledger *l;
	unsigned int tid;
	uint64_t seqs[GC_PER];
	int err;
};

static void *gc_thread(void *p)
{
	struct gc_arg *a = p;

	for (unsigned int n = 0; n < GC_PER; n++) {
		char buf[256];
		size_t len;

		payload_for(a->tid, n, buf, &len);
		if (aios_ledger_append(a->l, "step", a->tid, buf, len,
				       &a->seqs[n], NULL))
			a->err = 1;
	}
	return NULL;
}

TEST_F(dir, group_commit_threads)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_GROUP, .create = 1 };
	struct gc_arg args[GC_THREADS];
	pthread_t th[GC_THREADS];
	struct aios_ledger_stats st;
	struct aios_ledger_verify v;
	struct aios_ledger *l;
	unsigned char seen[GC_THREADS * GC_PER + 1] = { 0 };

	ASSERT_EQ(0, aios_ledger_open(self->path, &o, &l, NULL, NULL));
	for (unsigned int i = 0; i < GC_THREADS; i++) {
		args[i] = (struct gc_arg){ .l = l, .tid = i };
		pthread_create(&th[i], NULL, gc_thread, &args[i]);
	}
	for (unsigned int i = 0; i < GC_THREADS; i++)
		pthread_join(th[i], NULL);
	aios_ledger_get_stats(l, &st);
	TH_LOG("%llu records, %llu fdatasyncs", (unsigned long long)st.records,
	       (unsigned long long)st.syncs);
	ASSERT_EQ(GC_THREADS * GC_PER, st.durable_seq);
	aios_ledger_close(l);

	ASSERT_EQ(0, aios_ledger_verify_file(self->path, &v, NULL));
	ASSERT_EQ(GC_THREADS * GC_PER, v.records);
	ASSERT_EQ(0, aios_ledger_open(self->path, NULL, &l, NULL, NULL));
	for (unsigned int i = 0; i < GC_THREADS; i++) {
		ASSERT_EQ(0, args[i].err);
		for (unsigned int n = 0; n < GC_PER; n++) {
			struct aios_ledger_rec r;
			uint64_t s = args[i].seqs[n];
			char buf[256];
			size_t len;

			ASSERT_GE(s, 1);
			ASSERT_LE(s, GC_THREADS * GC_PER);
			ASSERT_EQ(0, seen[s]);
			seen[s] = 1;
			ASSERT_EQ(0, aios_ledger_read(l, s, &r, NULL));
			payload_for(i, n, buf, &len);
			ASSERT_EQ(len, r.payload_len);
			ASSERT_EQ(0, memcmp(buf, r.payload, len));
			ASSERT_EQ(i, r.agent);
			aios_ledger_rec_free(&r);
		}
	}
	aios_ledger_close(l);
}

/* ---- kill -9 during group-committed appends -------------------------------- */

struct ack {
	uint32_t tid, n;
	uint64_t seq;
};

struct kid_arg {
	struct aios_ledger *l;
	unsigned int tid;
	int fd;
	unsigned int start;
};

static void *kid_thread(void *p)
{
	struct kid_arg *a = p;

	for (unsigned int n = a->start; ; n++) {
		char buf[256];
		size_t len;
		struct ack k = { a->tid, n, 0 };

		payload_for(a->tid, n, buf, &len);
		if (aios_ledger_append(a->l, "step", a->tid, buf, len, &k.seq,
				       NULL))
			_exit(3);
		/* acknowledged: tell the parent (atomic pipe write) */
		if (write(a->fd, &k, sizeof(k)) != sizeof(k))
			_exit(4);
	}
	return NULL;
}

static void kid(const char *path, int fd, unsigned int round)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_GROUP, .create = 1 };
	struct kid_arg a[4];
	pthread_t th[4];
	struct aios_ledger *l;

	if (aios_ledger_open(path, &o, &l, NULL, NULL))
		_exit(2);
	for (unsigned int i = 0; i < 4; i++) {
		a[i] = (struct kid_arg){ l, i, fd, round * 1000000 };
		pthread_create(&th[i], NULL, kid_thread, &a[i]);
	}
	for (;;)
		pause();
}

TEST_F(dir, kill9_group_commit)
{
	size_t cap = 1 << 16, nacks = 0;
	struct ack *acks = malloc(cap * sizeof(*acks));
	unsigned int seed = (unsigned int)time(NULL);

	TH_LOG("seed %u", seed);
	srand(seed);
	for (unsigned int round = 0; round < 6; round++) {
		int pfd[2], st;
		pid_t pid;
		struct timespec ts;

		ASSERT_EQ(0, pipe(pfd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(pfd[0]);
			kid(self->path, pfd[1], round);
		}
		close(pfd[1]);
		ts.tv_sec = 0;
		ts.tv_nsec = (20 + rand() % 200) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		for (;;) {
			struct ack k;
			ssize_t n = read(pfd[0], &k, sizeof(k));

			if (n <= 0)
				break;
			ASSERT_EQ(sizeof(k), n);
			if (nacks == cap) {
				cap *= 2;
				acks = realloc(acks, cap * sizeof(*acks));
			}
			acks[nacks++] = k;
		}
		close(pfd[0]);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st)) {
			TH_LOG("child exited %d", WEXITSTATUS(st));
		}

		/* reopen: every acknowledged record is there, intact */
		struct aios_ledger *l;
		struct aios_ledger_recovery rec;
		struct aios_rerr e;

		ASSERT_EQ(0, aios_ledger_open(self->path, NULL, &l, &rec, &e)) {
			TH_LOG("%s", e.msg);
		}
		for (size_t i = 0; i < nacks; i++) {
			struct aios_ledger_rec r;
			char buf[256];
			size_t len;

			ASSERT_LE(acks[i].seq, rec.records);
			ASSERT_EQ(0, aios_ledger_read(l, acks[i].seq, &r, NULL));
			payload_for(acks[i].tid, acks[i].n, buf, &len);
			ASSERT_EQ(len, r.payload_len);
			ASSERT_EQ(0, memcmp(buf, r.payload, len));
			aios_ledger_rec_free(&r);
		}
		aios_ledger_close(l);
	}
	TH_LOG("%zu acknowledged records checked over 6 kills", nacks);
	ASSERT_LT(0, nacks);
	free(acks);
}

TEST_HARNESS_MAIN
