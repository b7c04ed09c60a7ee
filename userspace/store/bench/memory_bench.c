// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark "memory": the aios store as a library against the structures
 * a user would otherwise pick - JudySL, glib GHashTable and GTree, LMDB -
 * in the same run, on 1,000,000 keys "agent-%03d:session-%04d:msg-%08d"
 * (100 agents x 100 sessions x 100 messages) with 64-byte values.
 *
 * Measured per structure: insert ns/op (shuffled order), hit and miss
 * lookup ns/op (shuffled; misses share the prefixes of real keys), prefix
 * scan ns per item (every session's 100 messages, each value read), and
 * memory: footprint bytes per key = heap growth / keys, heap growth from
 * mallinfo2() (for LMDB: the size of its data file; for the aios store
 * plus every byte its node arena has mmap()ed), and the net overhead
 * per key = footprint - raw key bytes - value bytes, the same formula for
 * every structure (a structure that shares key prefixes gets the bytes it
 * saves as a credit here).  For the aios store the headline
 * overhead_bytes_per_key is the structural overhead without that credit:
 * (footprint - the key bytes it stores - value bytes) / keys, i.e. inner
 * nodes, leaf headers and allocator headers; the compression is reported
 * separately as compression_ratio.  The store's own capacity accounting
 * (stats mem_bytes) is reported next to the measured footprint.  Plus
 * durable puts/s of the store with fsync=always and batched.
 *
 * Usage: memory_bench [-n KEYS] [-o result.json] [-d scratch-dir]
 *                     [-s aios,judysl,ghashtable,gtree,lmdb]
 *                     [-e NAME=VALUE:UNIT]... [-r NAME=VALUE]...
 * (-s runs only the named structures, for profiling, and writes no JSON;
 * -e adds a result measured elsewhere, e.g. by aiosd_socket_bench; -r a
 * ratio computed from another run.)
 */
#define _GNU_SOURCE
#include <Judy.h>
#include <errno.h>
#include <glib.h>
#include <lmdb.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define KEYLEN		35
#define VLEN		64
#define PER_SESSION	100

static size_t nkeys = 1000000;
static char (*keys)[KEYLEN + 1];	/* hit keys, shuffled */
static char (*miss)[KEYLEN + 1];	/* miss keys, shuffled */
static char (*prefixes)[24];		/* "agent-%03d:session-%04d:" */
static size_t nprefix;
static uint8_t value[VLEN];
static volatile uint64_t sink;

struct result {
	const char *name;
	double insert, hit, miss, scan;	/* scan < 0: n/a */
	double footprint, overhead;	/* bytes/key: total, net of raw data */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static uint64_t rs = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void shuffle(void *base, size_t n, size_t sz)
{
	char tmp[64];

	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);

		memcpy(tmp, (char *)base + i * sz, sz);
		memcpy((char *)base + i * sz, (char *)base + j * sz, sz);
		memcpy((char *)base + j * sz, tmp, sz);
	}
}

static void make_keys(void)
{
	size_t sessions = nkeys / PER_SESSION, i = 0;

	keys = malloc(nkeys * sizeof(*keys));
	miss = malloc(nkeys * sizeof(*miss));
	prefixes = malloc(sessions * sizeof(*prefixes));
	if (!keys || !miss || !prefixes)
		abort();
	for (size_t s = 0; s < sessions; s++) {
		int a = (int)(s / 100), ss = (int)(s % 100);

		snprintf(prefixes[s], sizeof(prefixes[s]), "agent-%03d:session-%04d:", a, ss);
		for (int m = 0; m < PER_SESSION; m++, i++) {
			snprintf(keys[i], sizeof(keys[i]), "agent-%03d:session-%04d:msg-%08d",
				 a, ss, m);
			snprintf(miss[i], sizeof(miss[i]), "agent-%03d:session-%04d:msg-%08d",
				 a, ss, m + 500);
		}
	}
	nprefix = sessions;
	shuffle(keys, nkeys, sizeof(*keys));
	shuffle(miss, nkeys, sizeof(*miss));
	shuffle(prefixes, nprefix, sizeof(*prefixes));
	for (int k = 0; k < VLEN; k++)
		value[k] = (uint8_t)rnd();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double per_key(double bytes)
{
	return bytes / (double)nkeys;
}

/*
 * Every structure implements these; the driver builds them, then times
 * hit / miss / scan in interleaved rounds (so load changes on a shared
 * machine hit every structure alike) and keeps the medians.
 */
struct peer {
	const char *name;
	void (*build)(void);		/* insert all keys */
	void (*destroy)(void);
	void (*hit)(void);
	void (*miss)(void);
	void (*scan)(void);		/* NULL: no ordered scan */
	size_t (*bytes)(void);		/* footprint if not on the heap */
	size_t (*extra)(void);		/* memory it mapped beside the heap */
};

/* ---- aios store ---- */

static struct aios_store *ast;
static struct aios_store_stats ast_stats;

static void aios_build(void)
{
	struct aios_store_config cfg = { .key_max = 1024 };
	char err[256];

	if (aios_store_open(&cfg, &ast, NULL, err, sizeof(err))) {
		fprintf(stderr, "aios store: %s\n", err);
		exit(1);
	}
	for (size_t i = 0; i < nkeys; i++)
		if (aios_store_put(ast, 1, keys[i], KEYLEN, value, VLEN, NULL))
			abort();
}

/* the node arena is mmap()ed, not on the malloc heap */
static size_t aios_arena(void)
{
	return (size_t)aios_store_arena_bytes(ast);
}

static void aios_destroy(void)
{
	aios_store_stats(ast, &ast_stats);
	aios_store_close(ast);
	ast = NULL;
}

static void aios_hit(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < nkeys; i++) {
		const void *v;
		size_t vl;

		if (aios_store_get(ast, 1, keys[i], KEYLEN, &v, &vl))
			abort();
		s += ((const uint8_t *)v)[0];
	}
	sink += s;
}

static void aios_miss(void)
{
	for (size_t i = 0; i < nkeys; i++) {
		const void *v;
		size_t vl;

		if (aios_store_get(ast, 1, miss[i], KEYLEN, &v, &vl) != -ENOENT)
			abort();
	}
}

static int aios_scan_fn(void *arg, const void *key, size_t klen, const void *val,
			size_t vlen)
{
	(void)key;
	(void)klen;
	*(uint64_t *)arg += ((const uint8_t *)val)[vlen - 1];
	return 0;
}

static void aios_scan(void)
{
	uint64_t s = 0;

	for (size_t p = 0; p < nprefix; p++)
		if (aios_store_scan(ast, 1, prefixes[p], 23, NULL, 0, 0, aios_scan_fn, &s,
				    NULL) != PER_SESSION)
			abort();
	sink += s;
}

/* ---- JudySL: key -> pointer to a malloc'd value ---- */

static Pvoid_t judy;

static void judy_build(void)
{
	for (size_t i = 0; i < nkeys; i++) {
		PWord_t pv;
		void *v = malloc(VLEN);

		memcpy(v, value, VLEN);
		JSLI(pv, judy, (uint8_t *)keys[i]);
		*pv = (Word_t)v;
	}
}

static void judy_destroy(void)
{
	uint8_t k[64] = "";
	PWord_t pv;
	Word_t freed;

	JSLF(pv, judy, k);
	while (pv) {
		free((void *)*pv);
		JSLN(pv, judy, k);
	}
	JSLFA(freed, judy);
	(void)freed;
}

static void judy_hit(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < nkeys; i++) {
		PWord_t pv;

		JSLG(pv, judy, (uint8_t *)keys[i]);
		if (!pv)
			abort();
		s += ((uint8_t *)*pv)[0];
	}
	sink += s;
}

static void judy_miss(void)
{
	for (size_t i = 0; i < nkeys; i++) {
		PWord_t pv;

		JSLG(pv, judy, (uint8_t *)miss[i]);
		if (pv)
			abort();
	}
}

static void judy_scan(void)
{
	uint8_t idx[64];
	uint64_t s = 0;

	for (size_t p = 0; p < nprefix; p++) {
		PWord_t pv;
		int n = 0;

		strcpy((char *)idx, prefixes[p]);
		JSLF(pv, judy, idx);
		while (pv && !strncmp((char *)idx, prefixes[p], 23)) {
			s += ((uint8_t *)*pv)[VLEN - 1];
			n++;
			JSLN(pv, judy, idx);
		}
		if (n != PER_SESSION)
			abort();
	}
	sink += s;
}

/* ---- glib GHashTable and GTree: strdup'd keys, malloc'd values ---- */

static GHashTable *gh;
static GTree *gt;

static void *vdup(void)
{
	void *v = malloc(VLEN);

	memcpy(v, value, VLEN);
	return v;
}

static void gh_build(void)
{
	gh = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	for (size_t i = 0; i < nkeys; i++)
		g_hash_table_insert(gh, strdup(keys[i]), vdup());
}

static void gh_destroy(void)
{
	g_hash_table_destroy(gh);
}

static void gh_hit(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < nkeys; i++) {
		uint8_t *v = g_hash_table_lookup(gh, keys[i]);

		if (!v)
			abort();
		s += v[0];
	}
	sink += s;
}

static void gh_miss(void)
{
	for (size_t i = 0; i < nkeys; i++)
		if (g_hash_table_lookup(gh, miss[i]))
			abort();
}

static gint cmp_str(gconstpointer a, gconstpointer b, gpointer u)
{
	(void)u;
	return strcmp(a, b);
}

static void gt_build(void)
{
	gt = g_tree_new_full(cmp_str, NULL, free, free);
	for (size_t i = 0; i < nkeys; i++)
		g_tree_insert(gt, strdup(keys[i]), vdup());
}

static void gt_destroy(void)
{
	g_tree_destroy(gt);
}

static void gt_hit(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < nkeys; i++) {
		uint8_t *v = g_tree_lookup(gt, keys[i]);

		if (!v)
			abort();
		s += v[0];
	}
	sink += s;
}

static void gt_miss(void)
{
	for (size_t i = 0; i < nkeys; i++)
		if (g_tree_lookup(gt, miss[i]))
			abort();
}

static void gt_scan(void)
{
	uint64_t s = 0;

	for (size_t p = 0; p < nprefix; p++) {
		GTreeNode *n = g_tree_lower_bound(gt, prefixes[p]);
		int cnt = 0;

		while (n && !strncmp(g_tree_node_key(n), prefixes[p], 23)) {
			s += ((uint8_t *)g_tree_node_value(n))[VLEN - 1];
			cnt++;
			n = g_tree_node_next(n);
		}
		if (cnt != PER_SESSION)
			abort();
	}
	sink += s;
}

/* ---- LMDB (memory-mapped B+tree file, no sync) ---- */

static char lmdb_path[512];
static MDB_env *lenv;
static MDB_dbi ldbi;
static MDB_txn *lrtxn;

static void lmdb_check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "lmdb %s: %s\n", what, mdb_strerror(rc));
		exit(1);
	}
}

static void lmdb_build(void)
{
	MDB_txn *txn;

	mkdir(lmdb_path, 0700);
	lmdb_check(mdb_env_create(&lenv), "create");
	lmdb_check(mdb_env_set_mapsize(lenv, 4ull << 30), "mapsize");
	lmdb_check(mdb_env_open(lenv, lmdb_path, MDB_NOSYNC | MDB_NOMETASYNC, 0600), "open");
	/* one transaction per 1,000 puts, as a bulk loader would */
	for (size_t i = 0; i < nkeys;) {
		lmdb_check(mdb_txn_begin(lenv, NULL, 0, &txn), "txn");
		lmdb_check(mdb_dbi_open(txn, NULL, 0, &ldbi), "dbi");
		for (size_t e = i + 1000; i < e && i < nkeys; i++) {
			MDB_val k = { KEYLEN, keys[i] }, v = { VLEN, value };

			lmdb_check(mdb_put(txn, ldbi, &k, &v, 0), "put");
		}
		lmdb_check(mdb_txn_commit(txn), "commit");
	}
	lmdb_check(mdb_txn_begin(lenv, NULL, MDB_RDONLY, &lrtxn), "rtxn");
}

static size_t lmdb_bytes(void)
{
	MDB_envinfo info;
	MDB_stat mst;

	mdb_env_info(lenv, &info);
	mdb_env_stat(lenv, &mst);
	return (size_t)(info.me_last_pgno + 1) * mst.ms_psize;
}

static void lmdb_destroy(void)
{
	char p[600];

	mdb_txn_abort(lrtxn);
	mdb_env_close(lenv);
	snprintf(p, sizeof(p), "%s/data.mdb", lmdb_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", lmdb_path);
	unlink(p);
	rmdir(lmdb_path);
}

static void lmdb_hit(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < nkeys; i++) {
		MDB_val k = { KEYLEN, keys[i] }, v;

		lmdb_check(mdb_get(lrtxn, ldbi, &k, &v), "get");
		s += ((uint8_t *)v.mv_data)[0];
	}
	sink += s;
}

static void lmdb_miss(void)
{
	for (size_t i = 0; i < nkeys; i++) {
		MDB_val k = { KEYLEN, miss[i] }, v;

		if (mdb_get(lrtxn, ldbi, &k, &v) != MDB_NOTFOUND)
			abort();
	}
}

static void lmdb_scan(void)
{
	uint64_t s = 0;
	MDB_cursor *c;

	lmdb_check(mdb_cursor_open(lrtxn, ldbi, &c), "cursor");
	for (size_t p = 0; p < nprefix; p++) {
		MDB_val k = { 23, prefixes[p] }, v;
		int cnt = 0, rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);

		while (!rc && k.mv_size >= 23 && !memcmp(k.mv_data, prefixes[p], 23)) {
			s += ((uint8_t *)v.mv_data)[VLEN - 1];
			cnt++;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		if (cnt != PER_SESSION)
			abort();
	}
	mdb_cursor_close(c);
	sink += s;
}

static const struct peer peers[] = {
	{ "aios", aios_build, aios_destroy, aios_hit, aios_miss, aios_scan, NULL, aios_arena },
	{ "judysl", judy_build, judy_destroy, judy_hit, judy_miss, judy_scan, NULL, NULL },
	{ "ghashtable", gh_build, gh_destroy, gh_hit, gh_miss, NULL, NULL, NULL },
	{ "gtree", gt_build, gt_destroy, gt_hit, gt_miss, gt_scan, NULL, NULL },
	{ "lmdb", lmdb_build, lmdb_destroy, lmdb_hit, lmdb_miss, lmdb_scan, lmdb_bytes, NULL },
};
#define NPEERS ((int)(sizeof(peers) / sizeof(peers[0])))
#define ROUNDS 7
#define INSERT_ROUNDS 3

/* per-round times, for ratios of the same round */
static double ins[NPEERS][INSERT_ROUNDS], hit[NPEERS][ROUNDS], mis[NPEERS][ROUNDS],
	      scn[NPEERS][ROUNDS];

static double timed(void (*fn)(void), size_t per)
{
	double t0 = now_ns();

	fn();
	return (now_ns() - t0) / (double)per;
}

/*
 * Build every selected structure (aios and JudySL INSERT_ROUNDS times,
 * interleaved, for the insert ratio; the others once), then time the
 * lookups and scans of all of them in ROUNDS rounds.  Within a round the
 * hit passes of all structures run back to back, then the miss passes,
 * then the scans, in forward order in even rounds and reversed in odd
 * ones, so that the two sides of a ratio are timed seconds apart under
 * the same load; ratios are the median of the per-round ratios.
 */
static void run_all(struct result *res, const bool *want)
{
	int nins[NPEERS] = { 0 };

	for (int r = 0; r < INSERT_ROUNDS; r++) {
		for (int p = 0; p < NPEERS; p++) {
			size_t before;

			if (!want[p] || (r > 0 && p > 1))
				continue;
			before = heap_used();
			ins[p][nins[p]++] = timed(peers[p].build, nkeys);
			res[p].footprint = per_key(peers[p].bytes ? (double)peers[p].bytes() :
						   (double)heap_used() - (double)before);
			if (peers[p].extra)
				res[p].footprint += per_key((double)peers[p].extra());
			res[p].overhead = res[p].footprint - (KEYLEN + VLEN);
			if (r < INSERT_ROUNDS - 1 && p <= 1)
				peers[p].destroy();
		}
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NPEERS; i++) {
			int p = r % 2 ? NPEERS - 1 - i : i;

			if (want[p])
				hit[p][r] = timed(peers[p].hit, nkeys);
		}
		for (int i = 0; i < NPEERS; i++) {
			int p = r % 2 ? NPEERS - 1 - i : i;

			if (want[p])
				mis[p][r] = timed(peers[p].miss, nkeys);
		}
		for (int i = 0; i < NPEERS; i++) {
			int p = r % 2 ? NPEERS - 1 - i : i;

			if (want[p])
				scn[p][r] = peers[p].scan ? timed(peers[p].scan, nkeys) : -1;
		}
	}
	for (int p = 0; p < NPEERS; p++) {
		if (!want[p])
			continue;
		res[p].insert = median(ins[p], nins[p]);
		res[p].hit = median(hit[p], ROUNDS);
		res[p].miss = median(mis[p], ROUNDS);
		res[p].scan = peers[p].scan ? median(scn[p], ROUNDS) : -1;
		peers[p].destroy();
	}
}

/* Median over rounds of a[r] / b[r]. */
static double paired(const double *a, const double *b, int n)
{
	double q[ROUNDS > INSERT_ROUNDS ? ROUNDS : INSERT_ROUNDS];

	for (int r = 0; r < n; r++)
		q[r] = a[r] / b[r];
	return median(q, n);
}

/* ---- durable puts ---- */

static double durable_puts(const char *dir, enum aios_fsync pol, size_t n)
{
	struct aios_store_config cfg = { .fsync = pol, .fsync_interval_ms = 10 };
	char path[512], err[256], name[600];
	struct aios_store *st;
	double t0, t;

	snprintf(path, sizeof(path), "%s/durable-%d", dir, (int)pol);
	snprintf(name, sizeof(name), "rm -rf '%s'", path);
	if (system(name))
		return -1;
	cfg.dir = path;
	if (aios_store_open(&cfg, &st, NULL, err, sizeof(err))) {
		fprintf(stderr, "durable store: %s\n", err);
		exit(1);
	}
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		if (aios_store_put(st, 1, keys[i], KEYLEN, value, VLEN, NULL))
			abort();
	aios_store_sync(st);
	t = now_ns() - t0;
	aios_store_close(st);
	if (system(name))
		return -1;
	return (double)n / (t / 1e9);
}

static void result(FILE *f, bool *first, const char *name, double v, const char *unit)
{
	fprintf(f, "%s\n    {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"}",
		*first ? "" : ",", name, v, unit);
	*first = false;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *dir = "/tmp", *only = NULL;
	const char *extra[16], *xratio[16];
	int nextra = 0, nxratio = 0;
	struct result res[5] = {
		{ .name = "aios" }, { .name = "judysl" }, { .name = "ghashtable" },
		{ .name = "gtree" }, { .name = "lmdb" },
	};
	struct aios_store_stats st;
	double compression = 0, dur_always, dur_batched, structural = 0, selfacct = 0;
	struct utsname u;
	bool first = true;
	FILE *f;
	int opt;

	while ((opt = getopt(argc, argv, "n:o:d:s:e:r:")) != -1) {
		switch (opt) {
		case 's':
			only = optarg;
			break;
		case 'e':
			if (nextra == 16 || !strchr(optarg, '=') || !strchr(optarg, ':')) {
				fprintf(stderr, "-e NAME=VALUE:UNIT, at most 16\n");
				return 2;
			}
			extra[nextra++] = optarg;
			break;
		case 'r':
			if (nxratio == 16 || !strchr(optarg, '=')) {
				fprintf(stderr, "-r NAME=VALUE, at most 16\n");
				return 2;
			}
			xratio[nxratio++] = optarg;
			break;
		case 'n':
			nkeys = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-n KEYS] [-o JSON] [-d DIR]\n", argv[0]);
			return 2;
		}
	}
	nkeys -= nkeys % (100 * PER_SESSION);
	if (nkeys < 100 * PER_SESSION || nkeys > 100 * 100 * PER_SESSION) {
		fprintf(stderr, "-n must be between 10000 and 1000000\n");
		return 2;
	}
	make_keys();
	/* keep every peer on the heap, and fault the heap in once so that
	 * whichever structure runs first does not pay for it alone */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, INT32_MAX);
	{
		size_t n = nkeys * 2;
		void **p = malloc(n * sizeof(*p));

		for (size_t i = 0; p && i < n; i++)
			p[i] = calloc(1, 96);
		for (size_t i = 0; p && i < n; i++)
			free(p[i]);
		free(p);
	}
{
		bool want[NPEERS];

		for (int p = 0; p < NPEERS; p++)
			want[p] = !only || strstr(only, peers[p].name);
		snprintf(lmdb_path, sizeof(lmdb_path), "%s/lmdb", dir);
		run_all(res, want);
		compression = ast_stats.compression_ratio;
		st = ast_stats;
		/* what the aios store spends beyond the key bytes it keeps and
		 * the values: no credit for prefix sharing */
		structural = res[0].footprint -
			     per_key((double)st.stored_key_bytes + (double)st.value_bytes);
		selfacct = per_key((double)st.mem_bytes);
		if (only) {
			for (int p = 0; p < NPEERS; p++)
				if (want[p])
					printf("%-12s insert %.1f hit %.1f miss %.1f scan %.1f overhead %.1f footprint %.1f\n",
					       res[p].name, res[p].insert, res[p].hit, res[p].miss,
					       res[p].scan, res[p].overhead, res[p].footprint);
			if (want[0])
				printf("aios structural overhead %.1f bytes/key, self-accounted %.1f bytes/key\n",
				       structural, selfacct);
			/* paired ratios: "ratio NAME VALUE" */
			if (want[0] && want[1])
				printf("ratio insert_vs_judysl %.4f\nratio lookup_vs_judysl %.4f\n",
				       paired(ins[0], ins[1], INSERT_ROUNDS),
				       paired(hit[0], hit[1], ROUNDS));
			if (want[0] && want[2])
				printf("ratio lookup_vs_ghashtable %.4f\n",
				       paired(hit[0], hit[2], ROUNDS));
			return 0;
		}
	}
	dur_always = durable_puts(dir, AIOS_FSYNC_ALWAYS, 2000);
	dur_batched = durable_puts(dir, AIOS_FSYNC_BATCHED, 200000 < nkeys ? 200000 : nkeys);

	printf("memory: %zu keys \"agent-%%03d:session-%%04d:msg-%%08d\", %d-byte values\n",
	       nkeys, VLEN);
	printf("%-12s %10s %10s %10s %13s %15s %15s\n", "structure", "insert ns", "hit ns",
	       "miss ns", "scan ns/item", "footprint B/key", "net ovh B/key");
	for (int i = 0; i < 5; i++) {
		char scan[32];

		if (res[i].scan < 0)
			snprintf(scan, sizeof(scan), "n/a");
		else
			snprintf(scan, sizeof(scan), "%.1f", res[i].scan);
		printf("%-12s %10.1f %10.1f %10.1f %13s %15.1f %15.1f\n", res[i].name,
		       res[i].insert, res[i].hit, res[i].miss, scan, res[i].footprint,
		       res[i].overhead);
	}
	printf("(net overhead = footprint - %d raw key and value bytes; prefix sharing counts as a credit)\n",
	       KEYLEN + VLEN);
	printf("aios store: structural overhead %.1f bytes/key (footprint - %.2f stored key bytes - %d value bytes), compression ratio %.2f (raw %llu / stored %llu key bytes), capacity accounting %.1f bytes/key\n",
	       structural, per_key((double)st.stored_key_bytes), VLEN, compression,
	       (unsigned long long)st.raw_key_bytes, (unsigned long long)st.stored_key_bytes,
	       selfacct);
	printf("durable puts/s: fsync=always %.0f, fsync=batched(10ms) %.0f\n", dur_always,
	       dur_batched);
	printf("ratios (aios / peer, < 1 is better): insert_vs_judysl %.2f lookup_vs_judysl %.2f lookup_vs_ghashtable %.2f prefix_scan_vs_judysl %.2f\n",
	       paired(ins[0], ins[1], INSERT_ROUNDS), paired(hit[0], hit[1], ROUNDS),
	       paired(hit[0], hit[2], ROUNDS), paired(scn[0], scn[1], ROUNDS));

	f = out ? fopen(out, "w") : stdout;
	if (!f) {
		perror(out);
		return 1;
	}
	uname(&u);
	fprintf(f, "{\n  \"category\": \"memory\",\n  \"env\": {\"kernel\": \"%s\", \"vm\": %s, \"keys\": %zu, \"value_bytes\": %d, \"cpus\": %ld},\n  \"results\": [",
		u.release, getenv("AIOS_BENCH_VM") ? "true" : "false", nkeys, VLEN,
		sysconf(_SC_NPROCESSORS_ONLN));
	for (int i = 0; i < 5; i++) {
		char n[64];

		snprintf(n, sizeof(n), "%s_insert", res[i].name);
		result(f, &first, n, res[i].insert, "ns/op");
		snprintf(n, sizeof(n), "%s_lookup_hit", res[i].name);
		result(f, &first, n, res[i].hit, "ns/op");
		snprintf(n, sizeof(n), "%s_lookup_miss", res[i].name);
		result(f, &first, n, res[i].miss, "ns/op");
		if (res[i].scan >= 0) {
			snprintf(n, sizeof(n), "%s_prefix_scan", res[i].name);
			result(f, &first, n, res[i].scan, "ns/item");
		}
		snprintf(n, sizeof(n), "%s_footprint", res[i].name);
		result(f, &first, n, res[i].footprint, "bytes/key");
		snprintf(n, sizeof(n), "%s_overhead_net", res[i].name);
		result(f, &first, n, res[i].overhead, "bytes/key");
	}
	result(f, &first, "overhead_bytes_per_key", structural, "bytes/key");
	result(f, &first, "aios_capacity_accounted", selfacct, "bytes/key");
	result(f, &first, "compression_ratio", compression, "ratio");
	result(f, &first, "durable_puts_fsync_always", dur_always, "puts/s");
	result(f, &first, "durable_puts_fsync_batched", dur_batched, "puts/s");
	for (int i = 0; i < nextra; i++) {
		char name[64], unit[32];
		double v;

		if (sscanf(extra[i], "%63[^=]=%lf:%31s", name, &v, unit) == 3) {
			result(f, &first, name, v, unit);
			printf("%s: %.0f %s\n", name, v, unit);
		}
	}
	fprintf(f, "\n  ],\n  \"ratios\": {\n");
	fprintf(f, "    \"insert_vs_judysl\": %.4f,\n", paired(ins[0], ins[1], INSERT_ROUNDS));
	fprintf(f, "    \"lookup_vs_judysl\": %.4f,\n", paired(hit[0], hit[1], ROUNDS));
	fprintf(f, "    \"lookup_vs_ghashtable\": %.4f,\n", paired(hit[0], hit[2], ROUNDS));
	fprintf(f, "    \"prefix_scan_vs_judysl\": %.4f,\n", paired(scn[0], scn[1], ROUNDS));
	fprintf(f, "    \"miss_lookup_vs_judysl\": %.4f,\n", paired(mis[0], mis[1], ROUNDS));
	fprintf(f, "    \"miss_lookup_vs_ghashtable\": %.4f,\n", paired(mis[0], mis[2], ROUNDS));
	fprintf(f, "    \"lookup_vs_gtree\": %.4f,\n", paired(hit[0], hit[3], ROUNDS));
	fprintf(f, "    \"lookup_vs_lmdb\": %.4f,\n", paired(hit[0], hit[4], ROUNDS));
	fprintf(f, "    \"prefix_scan_vs_lmdb\": %.4f,\n", paired(scn[0], scn[4], ROUNDS));
	fprintf(f, "    \"insert_vs_ghashtable\": %.4f", res[0].insert / res[2].insert);
	for (int i = 0; i < nxratio; i++) {
		char name[64];
		double v;

		if (sscanf(xratio[i], "%63[^=]=%lf", name, &v) == 2) {
			fprintf(f, ",\n    \"%s\": %.4f", name, v);
			printf("%s: %.2f\n", name, v);
		}
	}
	fprintf(f, "\n");
	fprintf(f, "  }\n}\n");
	if (out)
		fclose(f);
	return (int)(sink & 0);
}
