// SPDX-License-Identifier: GPL-2.0
/*
 * Resume packs: export/import round trip (the run resumes where it
 * stopped) and every malicious or damaged pack refused with nothing
 * written: wrong hash, missing file, unlisted file, "../" path, absolute
 * path, symlink, hardlink, device, tampered ledger with a recomputed
 * manifest, garbage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "kselftest_harness.h"
#include "pack.h"
#include "run.h"
#include "testutil.h"

struct ent {
	char path[256];
	char *data;
	size_t len;
	int type;		/* AE_IFREG, AE_IFLNK, AE_IFCHR, AE_IFDIR */
	char link[256];		/* symlink target */
	char hardlink[256];
};

struct entset {
	struct ent e[64];
	int n;
};

static void read_pack(const char *path, struct entset *s)
{
	struct archive *a = archive_read_new();
	struct archive_entry *en;

	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
		abort();
	s->n = 0;
	while (archive_read_next_header(a, &en) == ARCHIVE_OK) {
		struct ent *x = &s->e[s->n++];

		memset(x, 0, sizeof(*x));
		snprintf(x->path, sizeof(x->path), "%s", archive_entry_pathname(en));
		x->len = (size_t)archive_entry_size(en);
		x->data = malloc(x->len + 1);
		x->type = AE_IFREG;
		if (archive_read_data(a, x->data, x->len) != (ssize_t)x->len && x->len)
			abort();
	}
	archive_read_free(a);
}

static void free_set(struct entset *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->e[i].data);
	s->n = 0;
}

static struct ent *find(struct entset *s, const char *p)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].path, p))
			return &s->e[i];
	return NULL;
}

/* Rewrite MANIFEST.json so it lists every regular entry with its real
 * hash (so that only the check under test can fail). */
static void fix_manifest(struct entset *s, int keep_ledger_meta)
{
	struct ent *m = find(s, "MANIFEST.json");
	json_t *j = json_loadb(m->data, m->len, 0, NULL), *files = json_array();
	char *text;

	for (int i = 0; i < s->n; i++) {
		char sha[AIOS_SHA256_HEX];

		if (!strcmp(s->e[i].path, "MANIFEST.json") || s->e[i].type != AE_IFREG)
			continue;
		aios_sha256_hex(s->e[i].data, s->e[i].len, sha);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", s->e[i].path,
						       "size", (json_int_t)s->e[i].len, "sha256", sha));
	}
	json_object_set_new(j, "files", files);
	(void)keep_ledger_meta;
	text = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	free(m->data);
	m->data = text;
	m->len = strlen(text);
}

static void write_pack(const char *path, struct entset *s)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	for (int i = 0; i < s->n; i++) {
		struct archive_entry *en = archive_entry_new();
		struct ent *x = &s->e[i];

		archive_entry_set_pathname(en, x->path);
		archive_entry_set_filetype(en, (unsigned int)x->type);
		archive_entry_set_perm(en, 0644);
		if (x->type == AE_IFLNK)
			archive_entry_set_symlink(en, x->link);
		if (x->hardlink[0])
			archive_entry_set_hardlink(en, x->hardlink);
		archive_entry_set_size(en, x->type == AE_IFREG && !x->hardlink[0] ?
				       (la_int64_t)x->len : 0);
		archive_write_header(a, en);
		if (x->type == AE_IFREG && !x->hardlink[0] && x->len)
			archive_write_data(a, x->data, x->len);
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static struct ent *add(struct entset *s, const char *p, const char *data)
{
	struct ent *x = &s->e[s->n++];

	memset(x, 0, sizeof(*x));
	snprintf(x->path, sizeof(x->path), "%s", p);
	x->data = strdup(data);
	x->len = strlen(data);
	x->type = AE_IFREG;
	return x;
}

static void remove_ent(struct entset *s, const char *p)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].path, p)) {
			free(s->e[i].data);
			memmove(&s->e[i], &s->e[i + 1], (size_t)(s->n - i - 1) * sizeof(s->e[0]));
			s->n--;
			return;
		}
}

FIXTURE(p) {
	char dir[256];
	char state[300];
	char state2[300];
	char pack[300];
	char bad[300];
};

static void populate(struct __test_metadata *_metadata, const char *state)
{
	struct aios_run *r;
	struct aios_rerr e;
	json_t *doc, *f;
	char pid[80];
	uint64_t seq;

	ASSERT_EQ(0, aios_run_create(state, "job-1", 5, NULL, &r, NULL, &e));
	doc = aios_ws_initial();
	json_object_set_new(doc, "goal", json_string("resume me"));
	json_object_set_new(doc, "step", json_integer(3));
	ASSERT_EQ(0, aios_run_ws_put(r, 5, 0, doc, &seq, &e));
	json_decref(doc);
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(r), "step", 5, "payload", 7, NULL, &e));
	ASSERT_EQ(0, aios_run_episode(r, 5, "m1", "after step 3", NULL, &e));
	f = json_pack("[{s:s, s:s}]", "text", "resume packs carry memory", "scope", "proj");
	ASSERT_EQ(0, aios_ltm_propose(aios_run_ltm(r), f, pid, &e));
	ASSERT_EQ(0, aios_run_ltm_commit(r, 5, pid, "m1", NULL, &e));
	ASSERT_EQ(0, aios_ltm_propose(aios_run_ltm(r), f, pid, &e));	/* stays staged */
	json_decref(f);
	aios_run_close(r);
}

FIXTURE_SETUP(p)
{
	struct aios_run *r;

	make_scratch(self->dir, sizeof(self->dir));
	snprintf(self->state, sizeof(self->state), "%s/state", self->dir);
	snprintf(self->state2, sizeof(self->state2), "%s/state2", self->dir);
	snprintf(self->pack, sizeof(self->pack), "%s/job.aiospack", self->dir);
	snprintf(self->bad, sizeof(self->bad), "%s/bad.aiospack", self->dir);
	populate(_metadata, self->state);
	ASSERT_EQ(0, aios_run_open(self->state, "job-1", NULL, &r, NULL, NULL));
	ASSERT_EQ(0, aios_pack_export(r, self->pack, NULL, NULL));
	aios_run_close(r);
	ASSERT_EQ(0, mkdir(self->state2, 0700));
}

FIXTURE_TEARDOWN(p)
{
	rm_scratch(self->dir);
}

TEST_F(p, round_trip_and_resume)
{
	struct aios_run *a, *b;
	struct aios_rerr e;
	unsigned char ha[32], hb[32];
	uint64_t sa, sb, wa, wb;
	json_t *da, *db, *res, *man;
	char id[80];

	ASSERT_EQ(0, aios_pack_import(self->pack, self->state2, NULL, id, &man, &e)) {
		TH_LOG("%s", e.msg);
	}
	ASSERT_STREQ("job-1", id);
	ASSERT_EQ(23, json_integer_value(json_object_get(json_object_get(man, "ledger"), "records")));
	json_decref(man);
	ASSERT_EQ(0, aios_run_open(self->state, "job-1", NULL, &a, NULL, NULL));
	ASSERT_EQ(0, aios_run_open(self->state2, "job-1", NULL, &b, NULL, &e));
	aios_ledger_head(aios_run_ledger(a), &sa, ha);
	aios_ledger_head(aios_run_ledger(b), &sb, hb);
	ASSERT_EQ(sa, sb);
	ASSERT_EQ(0, memcmp(ha, hb, 32));
	aios_ws_get(aios_run_ws(a), &da, &wa);
	aios_ws_get(aios_run_ws(b), &db, &wb);
	ASSERT_EQ(wa, wb);
	ASSERT_TRUE(json_equal(da, db));
	json_decref(da);
	ASSERT_EQ(0, aios_ltm_search(aios_run_ltm(b), "memory", NULL, 0, &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_ltm_proposals(aios_run_ltm(b), &res, &e));
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_run_verify(b, NULL, &e));
	/* resume: the imported run continues its chain and seqs */
	ASSERT_EQ(0, aios_ledger_append(aios_run_ledger(b), "resumed", 5, "x", 1, &sb, &e));
	ASSERT_EQ(sa + 1, sb);
	ASSERT_EQ(0, aios_run_ws_put(b, 5, wb, db, &wb, &e));
	ASSERT_EQ(0, aios_run_episode(b, 5, "m2", NULL, NULL, &e));
	ASSERT_EQ(0, aios_run_verify(b, NULL, &e));
	json_decref(db);
	aios_run_close(a);
	aios_run_close(b);

	/* importing over an existing run is refused; under a new id works */
	ASSERT_EQ(-EEXIST, aios_pack_import(self->pack, self->state2, NULL, id, NULL, &e));
	ASSERT_EQ(0, aios_pack_import(self->pack, self->state2, "job-2", id, NULL, &e));
	ASSERT_EQ(-EINVAL, aios_pack_import(self->pack, self->state2, "../x", id, NULL, &e));
}

/* Apply mutate, write the pack, import it: refused with errno and a
 * message containing what, and the state directory stays empty. */
static void expect_rejected(struct __test_metadata *_metadata,
			    const char *pack, const char *bad, const char *state2,
			    void (*mutate)(struct entset *), int err, const char *what)
{
	struct entset s;
	struct aios_rerr e;
	char id[80];

	read_pack(pack, &s);
	mutate(&s);
	write_pack(bad, &s);
	free_set(&s);
	aios_rerr_clear(&e);
	ASSERT_EQ(-err, aios_pack_import(bad, state2, NULL, id, NULL, &e)) {
		TH_LOG("%s: %s", what, e.msg);
	}
	ASSERT_NE(NULL, strstr(e.msg, what)) {
		TH_LOG("message: %s", e.msg);
	}
	ASSERT_EQ(0, count_entries(state2));
}

static void m_wrong_hash(struct entset *s)
{
	find(s, "workset.json")->data[20] ^= 1;
}

static void m_missing(struct entset *s)
{
	remove_ent(s, "episodes/m1.json");
}

static void m_unlisted(struct entset *s)
{
	add(s, "episodes/extra.json", "{}");
}

static void m_dotdot(struct entset *s)
{
	add(s, "../evil", "pwned");
	fix_manifest(s, 1);
}

static void m_dotdot_inner(struct entset *s)
{
	add(s, "episodes/../../evil", "pwned");
	fix_manifest(s, 1);
}

static void m_absolute(struct entset *s)
{
	add(s, "/tmp/aios-evil", "pwned");
	fix_manifest(s, 1);
}

static void m_symlink(struct entset *s)
{
	struct ent *x = add(s, "episodes/link.json", "");

	x->type = AE_IFLNK;
	strcpy(x->link, "/etc/passwd");
}

static void m_hardlink(struct entset *s)
{
	struct ent *x = add(s, "episodes/hl.json", "");

	strcpy(x->hardlink, "run.json");
}

static void m_device(struct entset *s)
{
	struct ent *x = add(s, "episodes/dev.json", "");

	x->type = AE_IFCHR;
}

static void m_tampered_ledger(struct entset *s)
{
	struct ent *l = find(s, "ledger.log");

	l->data[l->len / 2] ^= 0x40;
	fix_manifest(s, 1);	/* hashes match; the chain does not */
}

static void m_tampered_episode(struct entset *s)
{
	struct ent *x = find(s, "episodes/m1.json");
	char *p = strstr(x->data, "resume me");

	p[0] = 'R';
	fix_manifest(s, 1);
}

static void m_no_manifest(struct entset *s)
{
	remove_ent(s, "MANIFEST.json");
}

static void m_unknown_file(struct entset *s)
{
	add(s, "notes.txt", "hello");
	fix_manifest(s, 1);
}

TEST_F(p, malicious_packs_rejected_nothing_written)
{
	static const struct {
		void (*m)(struct entset *);
		int err;
		const char *what;
	} cases[] = {
		{ m_wrong_hash, EBADMSG, "does not match its SHA-256" },
		{ m_missing, EINVAL, "missing episodes/m1.json" },
		{ m_unlisted, EINVAL, "not listed in the manifest" },
		{ m_dotdot, EINVAL, "path traversal" },
		{ m_dotdot_inner, EINVAL, "path traversal" },
		{ m_absolute, EINVAL, "absolute" },
		{ m_symlink, EINVAL, "symbolic link" },
		{ m_hardlink, EINVAL, "hard link" },
		{ m_device, EINVAL, "not a regular file" },
		{ m_tampered_ledger, EBADMSG, "ledger record" },
		{ m_tampered_episode, EBADMSG, "modified" },
		{ m_no_manifest, EINVAL, "no MANIFEST.json" },
		{ m_unknown_file, EINVAL, "not a file a resume pack contains" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_rejected(_metadata, self->pack, self->bad, self->state2,
				cases[i].m, cases[i].err, cases[i].what);
	ASSERT_NE(0, access("/tmp/aios-evil", F_OK));
	ASSERT_EQ(-1, access("evil", F_OK));
}

TEST_F(p, garbage_and_missing_pack)
{
	struct aios_rerr e;
	char id[80];

	ASSERT_EQ(0, write_bytes(self->bad, "this is not an archive", 22));
	ASSERT_GT(0, aios_pack_import(self->bad, self->state2, NULL, id, NULL, &e));
	ASSERT_GT(0, aios_pack_import("/nonexistent.pack", self->state2, NULL, id, NULL, &e));
	/* a truncated pack */
	{
		char *d;
		size_t len;

		ASSERT_EQ(0, aios_read_file(self->pack, 1 << 24, &d, &len, NULL));
		ASSERT_EQ(0, write_bytes(self->bad, d, len / 2));
		free(d);
	}
	ASSERT_GT(0, aios_pack_import(self->bad, self->state2, NULL, id, NULL, &e));
	ASSERT_EQ(0, count_entries(self->state2));
}

/* Random damage to a real pack, compressed and as a plain tar: every
 * import either fails leaving the state directory as it was, or yields
 * a run that verifies and carries the original working set (the damage
 * hit padding).  Never a half import, never a crash.  Bounded by count. */
static uint64_t prng = 0x2545F4914F6CDD1Dull;

static uint64_t next_rand(void)
{
	prng ^= prng << 13;
	prng ^= prng >> 7;
	prng ^= prng << 17;
	return prng;
}

static int nent;

static int count_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)path; (void)sb; (void)flag;
	nent += ftw->level > 0;
	return 0;
}

/* count_entries() without a find(1) process per call */
static int entries(const char *dir)
{
	nent = 0;
	return nftw(dir, count_one, 16, FTW_PHYS) ? -1 : nent;
}

static void mutate_and_import(struct __test_metadata *_metadata, const char *src,
			      const char *bad, const char *state2, int iters,
			      int *ok_out, int *rej_out)
{
	char *orig;
	size_t len;

	ASSERT_EQ(0, aios_read_file(src, 1 << 24, &orig, &len, NULL));
	for (int it = 0; it < iters; it++) {
		char *b = malloc(len), id[80], runs[400];
		size_t n = len;
		int before = entries(state2), rc;
		struct aios_rerr e;

		memcpy(b, orig, len);
		if (next_rand() % 8 == 0) {
			n = next_rand() % len;		/* cut short */
		} else {
			for (int k = 0, m = 1 + (int)(next_rand() % 3); k < m; k++) {
				size_t at = next_rand() % len;

				b[at] = next_rand() % 2 ? (char)(b[at] ^ (1 << (next_rand() % 8)))
							: (char)next_rand();
			}
		}
		ASSERT_EQ(0, write_bytes(bad, b, n));
		free(b);
		rc = aios_pack_import(bad, state2, NULL, id, NULL, &e);
		if (rc) {
			ASSERT_GT(0, rc);
			ASSERT_NE(0, e.msg[0]);
			ASSERT_EQ(before, entries(state2)) TH_LOG("iteration %d wrote something: %s",
								       it, e.msg);
			(*rej_out)++;
			continue;
		}
		{
			struct aios_run *r;
			json_t *doc;
			uint64_t seq;

			ASSERT_EQ(0, aios_run_open(state2, id, NULL, &r, NULL, &e)) TH_LOG("%s", e.msg);
			ASSERT_EQ(0, aios_run_verify(r, NULL, &e)) TH_LOG("iteration %d: %s", it, e.msg);
			ASSERT_EQ(0, aios_ws_get(aios_run_ws(r), &doc, &seq));
			ASSERT_EQ(1, seq);
			ASSERT_STREQ("resume me", json_string_value(json_object_get(doc, "goal")));
			json_decref(doc);
			aios_run_close(r);
		}
		snprintf(runs, sizeof(runs), "%s/runs/%s", state2, id);
		aios_rm_tree(runs);
		(*ok_out)++;
	}
	free(orig);
}

TEST_F(p, mutated_packs_never_half_import)
{
	char tar[400], cmd[1000];
	int ok = 0, rejected = 0;

	mutate_and_import(_metadata, self->pack, self->bad, self->state2, 150, &ok, &rejected);
	/* the same damage inside the tar itself (headers, names, types,
	 * manifest, data) rather than the gzip stream around it */
	snprintf(tar, sizeof(tar), "%s/plain.tar", self->dir);
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s' > '%s'", self->pack, tar);
	ASSERT_EQ(0, system(cmd));
	mutate_and_import(_metadata, tar, self->bad, self->state2, 250, &ok, &rejected);
	TH_LOG("%d damaged packs rejected, %d imported intact (damage in padding)", rejected, ok);
	ASSERT_LT(300, rejected);
}

TEST_HARNESS_MAIN
