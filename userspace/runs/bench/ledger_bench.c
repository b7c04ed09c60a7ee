// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark category "ledger": durable appends of 256-byte records.
 *
 *   raw_fdatasync_1     write(256 bytes) + fdatasync, one writer (the floor)
 *   aios_append_1       ledger, fsync=always, one writer
 *   aios_group_8        ledger, fsync=group, 8 writer threads
 *   sqlite_wal_full_1   SQLite WAL, synchronous=FULL, one INSERT per
 *                       transaction, one writer
 *   sqlite_wal_full_8   the same with 8 writer threads (own connections)
 *   verify              aios_ledger_verify_file over a ledger of
 *                       256-byte records (CRC32C + SHA-256 chain)
 *
 * Each append configuration runs for -t seconds per round, in 4 slices
 * interleaved with the other configurations; -r rounds, the median
 * round counts.  Ratios are cost ratios (time per record of
 * aios / time per record of the peer; below 1.0 = aios better).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fsutil.h"
#include "ledger.h"

#define REC 256
#define MAXR 9
#define SLICES 4

static double secs = 2.0;
static const char *dir;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ledger_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* ---- raw write + fdatasync ---- */
static double bench_raw(void)
{
	char p[4096], buf[REC];
	double t0, t;
	long n = 0;
	int fd;

	memset(buf, 'r', sizeof(buf));
	path_of(p, sizeof(p), "raw.dat");
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open raw");
	t0 = now();
	do {
		if (write(fd, buf, sizeof(buf)) != sizeof(buf) || fdatasync(fd) < 0)
			die("raw write");
		n++;
		t = now();
	} while (t - t0 < secs);
	close(fd);
	unlink(p);
	return (double)n / (t - t0);
}

/* ---- raw pwrite + fdatasync into a pre-zeroed file (what the ledger does) ---- */
static double bench_raw_prealloc(void)
{
	char p[4096], buf[REC];
	static char zeros[1 << 20];
	double t0, t;
	long n = 0;
	off_t off = 0, alloc = 0;
	int fd;

	memset(buf, 'r', sizeof(buf));
	path_of(p, sizeof(p), "rawp.dat");
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open raw");
	t0 = now();
	do {
		if (off + REC > alloc) {
			if (pwrite(fd, zeros, sizeof(zeros), alloc) != sizeof(zeros))
				die("raw prealloc");
			alloc += sizeof(zeros);
		}
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf) || fdatasync(fd) < 0)
			die("raw write");
		off += REC;
		n++;
		t = now();
	} while (t - t0 < secs);
	close(fd);
	unlink(p);
	return (double)n / (t - t0);
}

/* ---- aios ledger ---- */
struct lw {
	struct aios_ledger *l;
	double t0;
	long n;
	unsigned int id;
};

static void *ledger_writer(void *p)
{
	struct lw *w = p;
	char buf[REC];

	memset(buf, 'a' + (int)w->id, sizeof(buf));
	while (now() - w->t0 < secs) {
		struct aios_rerr e;

		if (aios_ledger_append(w->l, "step", w->id, buf, sizeof(buf), NULL, &e)) {
			fprintf(stderr, "ledger_bench: %s\n", e.msg);
			exit(1);
		}
		w->n++;
	}
	return NULL;
}

static double bench_ledger(enum aios_fsync_policy pol, unsigned int threads,
			   double *syncs_per_rec)
{
	struct aios_ledger_opts o = { .policy = pol, .create = 1 };
	struct aios_ledger_stats st;
	struct lw w[16];
	pthread_t th[16];
	struct aios_ledger *l;
	struct aios_rerr e;
	char p[4096];
	double t0, t;
	long n = 0;

	path_of(p, sizeof(p), "bench.ledger");
	unlink(p);
	if (aios_ledger_open(p, &o, &l, NULL, &e)) {
		fprintf(stderr, "ledger_bench: %s\n", e.msg);
		exit(1);
	}
	t0 = now();
	for (unsigned int i = 0; i < threads; i++) {
		w[i] = (struct lw){ l, t0, 0, i };
		pthread_create(&th[i], NULL, ledger_writer, &w[i]);
	}
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		n += w[i].n;
	}
	t = now();
	aios_ledger_get_stats(l, &st);
	if (syncs_per_rec)
		*syncs_per_rec = (double)st.syncs / (double)(n ? n : 1);
	aios_ledger_close(l);
	unlink(p);
	return (double)n / (t - t0);
}

/* ---- SQLite WAL synchronous=FULL ---- */
struct sw {
	const char *path;
	double t0;
	long n;
	int id;
};

static sqlite3 *sq_open(const char *p)
{
	sqlite3 *db;

	if (sqlite3_open(p, &db) != SQLITE_OK)
		die("sqlite open");
	sqlite3_busy_timeout(db, 60000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "ledger_bench: sqlite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	return db;
}

static void *sqlite_writer(void *p)
{
	struct sw *w = p;
	sqlite3 *db = sq_open(w->path);
	sqlite3_stmt *st;
	char buf[REC];

	memset(buf, 's', sizeof(buf));
	if (sqlite3_prepare_v2(db, "INSERT INTO ledger(agent, type, payload) VALUES(?, 'step', ?)",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "ledger_bench: sqlite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	while (now() - w->t0 < secs) {
		int rc;

		sqlite3_bind_int(st, 1, w->id);
		sqlite3_bind_blob(st, 2, buf, sizeof(buf), SQLITE_STATIC);
		rc = sqlite3_step(st);	/* autocommit: one transaction */
		sqlite3_reset(st);
		if (rc == SQLITE_BUSY)
			continue;
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "ledger_bench: sqlite insert: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		w->n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

static double bench_sqlite(unsigned int threads)
{
	char p[4096], q[4200];
	struct sw w[16];
	pthread_t th[16];
	sqlite3 *db;
	double t0, t;
	long n = 0;

	path_of(p, sizeof(p), "bench.sqlite");
	unlink(p);
	snprintf(q, sizeof(q), "%s-wal", p);
	unlink(q);
	snprintf(q, sizeof(q), "%s-shm", p);
	unlink(q);
	db = sq_open(p);
	sqlite3_exec(db, "CREATE TABLE ledger(seq INTEGER PRIMARY KEY, agent INTEGER, type TEXT, payload BLOB)",
		     NULL, NULL, NULL);
	t0 = now();
	for (unsigned int i = 0; i < threads; i++) {
		w[i] = (struct sw){ p, t0, 0, (int)i };
		pthread_create(&th[i], NULL, sqlite_writer, &w[i]);
	}
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		n += w[i].n;
	}
	t = now();
	sqlite3_close(db);
	unlink(p);
	snprintf(q, sizeof(q), "%s-wal", p);
	unlink(q);
	snprintf(q, sizeof(q), "%s-shm", p);
	unlink(q);
	return (double)n / (t - t0);
}

/* ---- verify ---- */
static double bench_verify(unsigned int mb, double *bytes_out)
{
	struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE, .create = 1 };
	struct aios_ledger_verify v;
	struct aios_ledger *l;
	struct aios_rerr e;
	char p[4096], buf[REC];
	double best = 0;
	uint64_t target = (uint64_t)mb << 20;
	struct aios_ledger_stats st;

	memset(buf, 'v', sizeof(buf));
	path_of(p, sizeof(p), "verify.ledger");
	unlink(p);
	if (aios_ledger_open(p, &o, &l, NULL, &e))
		die("open verify ledger");
	do {
		for (int i = 0; i < 1000; i++)
			if (aios_ledger_append(l, "step", 1, buf, sizeof(buf), NULL, &e))
				die("append");
		aios_ledger_get_stats(l, &st);
	} while (st.bytes < target);
	aios_ledger_close(l);
	for (int round = 0; round < 3; round++) {
		double t0 = now(), t, r;

		if (aios_ledger_verify_file(p, &v, &e)) {
			fprintf(stderr, "ledger_bench: verify: %s\n", e.msg);
			exit(1);
		}
		t = now() - t0;
		r = (double)v.bytes / t / 1e6;
		if (r > best)
			best = r;
		*bytes_out = (double)v.bytes;
	}
	unlink(p);
	return best;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double raw[MAXR], rawp[MAXR], a1[MAXR], a8[MAXR], s1[MAXR], s8[MAXR], spr[MAXR];
	const char *out = NULL;
	unsigned int mb = 64;
	int rounds = 3, c;
	struct utsname u;
	struct statfs sfs;
	double vbytes = 0;

	while ((c = getopt(argc, argv, "d:o:t:r:m:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'm': mb = (unsigned int)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: ledger_bench -d DIR [-o JSON] [-t SECS] [-r ROUNDS] [-m VERIFY_MB]\n");
			return 2;
		}
	}
	if (!dir || rounds < 1 || rounds > MAXR || secs <= 0 || mb < 1) {
		fprintf(stderr, "usage: ledger_bench -d DIR [-o JSON] [-t SECS] [-r 1..9] [-m VERIFY_MB]\n");
		return 2;
	}
	/*
	 * Each round interleaves short slices of every configuration so that
	 * all of them see the same disk conditions (virtual disks vary a
	 * lot from second to second); a round's rate is the mean over its
	 * slices, and the median round is reported.
	 */
	double total = secs;

	secs = total / SLICES;
	for (int r = 0; r < rounds; r++) {
		raw[r] = rawp[r] = a1[r] = a8[r] = s1[r] = s8[r] = spr[r] = 0;
		for (int k = 0; k < SLICES; k++) {
			double x;

			raw[r] += bench_raw() / SLICES;
			rawp[r] += bench_raw_prealloc() / SLICES;
			a1[r] += bench_ledger(AIOS_LEDGER_FSYNC_ALWAYS, 1, NULL) / SLICES;
			a8[r] += bench_ledger(AIOS_LEDGER_FSYNC_GROUP, 8, &x) / SLICES;
			spr[r] += x / SLICES;
			s1[r] += bench_sqlite(1) / SLICES;
			s8[r] += bench_sqlite(8) / SLICES;
		}
		fprintf(stderr, "round %d: raw %.0f raw-prealloc %.0f aios1 %.0f aios8 %.0f sqlite1 %.0f sqlite8 %.0f\n",
			r + 1, raw[r], rawp[r], a1[r], a8[r], s1[r], s8[r]);
	}
	secs = total;
	double mrawp = median(rawp, rounds);
	double mraw = median(raw, rounds), ma1 = median(a1, rounds), ma8 = median(a8, rounds);
	double ms1 = median(s1, rounds), ms8 = median(s8, rounds), mspr = median(spr, rounds);
	double vmb = bench_verify(mb, &vbytes);
	double r1 = mraw / ma1;		/* (1/a1) / (1/raw) */
	double r8 = ms8 / ma8;
	double r8_1 = ms1 / ma1;
	double r1p = mrawp / ma1;

	statfs(dir, &sfs);
	uname(&u);
	printf("%-34s %14s %s\n", "benchmark (256-byte records)", "value", "unit");
	printf("%-34s %14.0f %s\n", "raw write+fdatasync, 1 writer", mraw, "appends/s");
	printf("%-34s %14.0f %s\n", "raw, pre-zeroed file, 1 writer", mrawp, "appends/s");
	printf("%-34s %14.0f %s\n", "aios ledger always, 1 writer", ma1, "appends/s");
	printf("%-34s %14.0f %s\n", "aios ledger group, 8 writers", ma8, "appends/s");
	printf("%-34s %14.3f %s\n", "  fdatasyncs per record", mspr, "");
	printf("%-34s %14.0f %s\n", "SQLite WAL FULL, 1 writer", ms1, "inserts/s");
	printf("%-34s %14.0f %s\n", "SQLite WAL FULL, 8 writers", ms8, "inserts/s");
	printf("%-34s %14.0f %s\n", "aios ledger verify", vmb, "MB/s");
	printf("ratios (aios cost / peer cost, < 1.0 = aios better):\n");
	printf("  append1_vs_fdatasync        %.3f  (target <= 1.1)\n", r1);
	printf("  append1_vs_fdatasync_prealloc %.3f  (same write pattern as the ledger)\n", r1p);
	printf("  append8_vs_sqlite_wal_full  %.3f  (target <= 0.2)\n", r8);
	printf("  append1_vs_sqlite_wal_full  %.3f\n", r8_1);
	printf("  verify_mb_s                 %.0f  (target >= 200)\n", vmb);
	fflush(stdout);

	if (out) {
		json_t *j = json_pack("{s:s, s:{s:s, s:b, s:i, s:s, s:f, s:i}, s:[], s:{s:f, s:f, s:f, s:f}}",
			"category", "ledger",
			"env", "kernel", u.release, "vm", getenv("AIOS_BENCH_VM") != NULL,
			"cpus", (int)sysconf(_SC_NPROCESSORS_ONLN),
			"fs_magic", sfs.f_type == 0xEF53 ? "ext4" : sfs.f_type == 0x01021994 ? "tmpfs" : "other",
			"seconds_per_round", secs, "rounds", rounds,
			"results",
			"ratios", "append1_vs_fdatasync", r1,
			"append8_vs_sqlite_wal_full", r8,
			"append1_vs_sqlite_wal_full", r8_1,
			"append1_vs_fdatasync_prealloc", r1p);
		json_t *res = json_object_get(j, "results");
		struct { const char *n; double v; const char *u; } rs[] = {
			{ "raw_fdatasync_1", mraw, "appends/s" },
			{ "raw_fdatasync_prealloc_1", mrawp, "appends/s" },
			{ "aios_append_always_1", ma1, "appends/s" },
			{ "aios_append_group_8", ma8, "appends/s" },
			{ "aios_group_8_fdatasyncs_per_record", mspr, "ratio" },
			{ "sqlite_wal_full_1", ms1, "inserts/s" },
			{ "sqlite_wal_full_8", ms8, "inserts/s" },
			{ "verify_mb_s", vmb, "MB/s" },
			{ "verify_bytes", vbytes, "bytes" },
		};
		for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
			json_array_append_new(res, json_pack("{s:s, s:f, s:s}", "name", rs[i].n,
							     "value", rs[i].v, "unit", rs[i].u));
		if (json_dump_file(j, out, JSON_INDENT(2) | JSON_SORT_KEYS)) {
			fprintf(stderr, "ledger_bench: cannot write %s\n", out);
			return 1;
		}
		json_decref(j);
	}
	return 0;
}
