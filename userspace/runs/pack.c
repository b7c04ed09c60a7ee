// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "episode.h"
#include "fsutil.h"
#include "ledger.h"
#include "ltm.h"
#include "pack.h"
#include "run.h"
#include "workset.h"
#include "wsledger.h"

struct pfile {
	char *path;
	char *data;
	size_t len;
};

struct pset {
	struct pfile *v;
	size_t n, cap;
	size_t total;
};

static void pset_free(struct pset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].data);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int pset_add(struct pset *s, const char *path, char *data, size_t len)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		struct pfile *n = realloc(s->v, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->v = n;
		s->cap = nc;
	}
	s->v[s->n].path = strdup(path);
	s->v[s->n].data = data;
	s->v[s->n].len = len;
	s->n++;
	s->total += len;
	return 0;
}

static struct pfile *pset_find(struct pset *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path))
			return &s->v[i];
	return NULL;
}

/*
 * The only path shapes a pack may contain: MANIFEST.json, run.json,
 * workset.json, ledger.log, ltm/committed.jsonl, episodes/<id>.json,
 * ltm/proposals/<id>.json, with <id> a safe id.
 */
static int path_allowed(const char *p)
{
	static const char *const fixed[] = { "MANIFEST.json", "run.json",
		"workset.json", "ledger.log", "ltm/committed.jsonl", NULL };
	static const char *const dirs[] = { "episodes/", "ltm/proposals/", NULL };

	for (const char *const *f = fixed; *f; f++)
		if (!strcmp(p, *f))
			return 1;
	for (const char *const *d = dirs; *d; d++) {
		size_t dl = strlen(*d), l = strlen(p);
		char id[AIOS_ID_MAX + 1];

		if (strncmp(p, *d, dl) || l < dl + 6 || l - dl - 5 > AIOS_ID_MAX ||
		    strcmp(p + l - 5, ".json"))
			continue;
		memcpy(id, p + dl, l - dl - 5);
		id[l - dl - 5] = 0;
		if (!aios_id_valid(id, "id", NULL))
			return 1;
	}
	return 0;
}

/* ---- export -------------------------------------------------------------- */

static int add_disk(struct pset *s, const char *root, const char *rel,
		    size_t limit, int optional, struct aios_rerr *e)
{
	char path[PATH_MAX + 300], *data;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	rc = aios_read_file(path, limit, &data, &len, e);
	if (rc == -ENOENT && optional)
		return 0;
	if (rc)
		return rc;
	if (pset_add(s, rel, data, len)) {
		free(data);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct pset *s, const char *root, const char *sub,
		   struct aios_rerr *e)
{
	char dir[PATH_MAX + 300];
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 :
		       aios_rerr_set(e, errno, "cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char rel[600];

		snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name);
		if (!path_allowed(rel))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(rel);
	}
	closedir(d);
	/* deterministic order */
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = add_disk(s, root, names[i], 16u << 20, 0, e);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int write_entry(struct archive *a, const char *path, const void *data,
		       size_t len, time_t mtime, struct aios_rerr *e)
{
	struct archive_entry *en = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0600);
	archive_entry_set_size(en, (la_int64_t)len);
	archive_entry_set_mtime(en, mtime, 0);
	if (archive_write_header(a, en) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		rc = aios_rerr_set(e, EIO, "writing %s into the pack: %s", path,
				   archive_error_string(a));
	archive_entry_free(en);
	return rc;
}

/*
 * Ship as workset.json the document of the ledger's last "workset"
 * record; a legacy record (no document) must match the file instead.
 */
static int ws_from_ledger(struct pset *s, const struct pfile *lf,
			  uint64_t *wseq, struct aios_rerr *e)
{
	struct pfile *wf = pset_find(s, "workset.json");
	struct aios_wsl_rec w = { 0 };
	char *text;
	int rc;

	rc = aios_wsl_last_buf(lf->data, lf->len, &w, e);
	if (rc)
		return rc;
	*wseq = w.seq;
	if (!w.doc) {
		rc = aios_wsl_check_pack(wf->data, wf->len, lf->data, lf->len, e);
		return rc;
	}
	text = aios_ws_serialize(w.doc, w.seq);
	aios_wsl_rec_free(&w);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	s->total += strlen(text);
	s->total -= wf->len;
	free(wf->data);
	wf->data = text;
	wf->len = strlen(text);
	return 0;
}

int aios_pack_export(struct aios_run *r, const char *out_path,
		     json_t **manifest, struct aios_rerr *e)
{
	const char *root = aios_run_dir(r);
	struct aios_ledger_verify v;
	struct pset s = { 0 };
	struct archive *a = NULL;
	char tmp[PATH_MAX], hh[AIOS_SHA256_HEX], *mtext = NULL;
	json_t *m = NULL, *files;
	struct pfile *lf;
	uint64_t wseq;
	time_t now = time(NULL);
	int rc;

	rc = aios_ledger_sync(aios_run_ledger(r), e);
	if (!rc)
		rc = add_disk(&s, root, "run.json", 1 << 20, 0, e);
	if (!rc)
		rc = add_disk(&s, root, "workset.json", 4u << 20, 0, e);
	if (!rc)
		rc = add_disk(&s, root, "ledger.log", AIOS_PACK_MAX_FILE, 0, e);
	if (!rc)
		rc = add_disk(&s, root, "ltm/committed.jsonl", AIOS_PACK_MAX_FILE, 1, e);
	if (!rc)
		rc = add_dir(&s, root, "episodes", e);
	if (!rc)
		rc = add_dir(&s, root, "ltm/proposals", e);
	if (rc)
		goto out;
	lf = pset_find(&s, "ledger.log");
	rc = aios_ledger_verify_buf(lf->data, lf->len, &v, e);
	if (rc)
		goto out;
	lf->len = v.bytes;	/* never ship a half-written record */
	/* the working set the shipped ledger records (the file is a cache) */
	rc = ws_from_ledger(&s, lf, &wseq, e);
	if (rc)
		goto out;
	aios_hex(v.last_hash, 32, hh);
	files = json_array();
	for (size_t i = 0; i < s.n; i++) {
		char sha[AIOS_SHA256_HEX];

		aios_sha256_hex(s.v[i].data, s.v[i].len, sha);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}",
			"path", s.v[i].path, "size", (json_int_t)s.v[i].len,
			"sha256", sha));
	}
	m = json_pack("{s:s, s:i, s:s, s:I, s:{s:I, s:s}, s:I, s:o}",
		      "format", "aios-resume-pack", "version", 1,
		      "run_id", aios_run_id(r), "created_ns", (json_int_t)aios_now_ns(),
		      "ledger", "records", (json_int_t)v.records, "last_hash", hh,
		      "workset_seq", (json_int_t)wseq, "files", files);
	mtext = json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS);

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out_path, (int)getpid());
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		rc = aios_rerr_set(e, EIO, "cannot create %s: %s", tmp,
				   archive_error_string(a));
		goto out;
	}
	rc = write_entry(a, "MANIFEST.json", mtext, strlen(mtext), now, e);
	for (size_t i = 0; !rc && i < s.n; i++)
		rc = write_entry(a, s.v[i].path, s.v[i].data, s.v[i].len, now, e);
	if (archive_write_close(a) != ARCHIVE_OK && !rc)
		rc = aios_rerr_set(e, EIO, "finishing %s: %s", tmp, archive_error_string(a));
	if (!rc) {
		char *chk;
		size_t cl;

		/* make it durable before it replaces anything */
		rc = aios_read_file(tmp, AIOS_PACK_MAX_TOTAL, &chk, &cl, e);
		if (!rc) {
			rc = aios_write_file_atomic(out_path, chk, cl, 0600, e);
			free(chk);
		}
	}
	unlink(tmp);
	if (!rc && manifest)
		*manifest = json_incref(m);
out:
	if (a)
		archive_write_free(a);
	free(mtext);
	json_decref(m);
	pset_free(&s);
	return rc;
}

/* ---- import ------------------------------------------------------------------ */

/*
 * The tar reader ignores much of what a pack holds (header fields such as
 * mtime and owner, block padding) and libarchive's gzip filter does not
 * check the stream's CRC-32, so a damaged byte there would pass.  Inflate
 * the whole gzip stream once and let zlib check its CRC-32 and length:
 * any change to the archive's bytes is then refused.  A pack that is not
 * gzip-compressed (a plain tar made by hand) has no such checksum.
 */
static int check_gzip_stream(const char *pack_path, struct aios_rerr *e)
{
	unsigned char in[65536], out[65536];
	z_stream z = { 0 };
	int rc = 0, zr = Z_OK;
	size_t n;
	FILE *f = fopen(pack_path, "rb");

	if (!f)
		return aios_rerr_set(e, errno, "cannot read resume pack %s: %s",
				     pack_path, strerror(errno));
	n = fread(in, 1, 2, f);
	if (n < 2 || in[0] != 0x1f || in[1] != 0x8b) {
		fclose(f);
		return 0;
	}
	rewind(f);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		fclose(f);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	while (zr != Z_STREAM_END) {
		n = fread(in, 1, sizeof(in), f);
		if (!n)
			break;
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = inflate(&z, Z_NO_FLUSH);
		} while (zr == Z_OK && z.avail_in);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			break;
	}
	if (zr != Z_STREAM_END)
		rc = aios_rerr_set(e, EBADMSG,
				   "resume pack %s is damaged: its gzip stream %s",
				   pack_path, zr == Z_DATA_ERROR && z.msg ? z.msg :
				   "ends early");
	else if (z.avail_in || fread(in, 1, 1, f))
		rc = aios_rerr_set(e, EBADMSG,
				   "resume pack %s is damaged: data after the end of its gzip stream",
				   pack_path);
	inflateEnd(&z);
	fclose(f);
	return rc;
}

static int read_archive(const char *pack_path, struct pset *s, struct aios_rerr *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *en;
	int rc = 0, r;

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, pack_path, 65536) != ARCHIVE_OK) {
		rc = aios_rerr_set(e, errno ? errno : EINVAL,
				   "cannot read resume pack %s: %s", pack_path,
				   archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &en)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(en);
		la_int64_t sz = archive_entry_size(en);
		char *data;
		size_t got = 0;

		if (!p)
			p = "";
		if (p[0] == '/') {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\": absolute paths are not allowed", p);
			goto out;
		}
		if (!strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
		    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) || strstr(p, "./")) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\": path traversal is not allowed", p);
			goto out;
		}
		if (archive_entry_symlink(en) || archive_entry_filetype(en) == AE_IFLNK) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" is a symbolic link; packs hold regular files only", p);
			goto out;
		}
		if (archive_entry_hardlink(en)) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" is a hard link; packs hold regular files only", p);
			goto out;
		}
		if (archive_entry_filetype(en) != AE_IFREG) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" is not a regular file (type 0%o)",
					   p, (unsigned int)archive_entry_filetype(en));
			goto out;
		}
		if (!path_allowed(p)) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" is not a file a resume pack contains", p);
			goto out;
		}
		if (pset_find(s, p)) {
			rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" appears twice", p);
			goto out;
		}
		if (sz < 0 || (uint64_t)sz > AIOS_PACK_MAX_FILE ||
		    s->total + (uint64_t)sz > AIOS_PACK_MAX_TOTAL || s->n >= AIOS_PACK_MAX_FILES) {
			rc = aios_rerr_set(e, EFBIG, "pack entry \"%.200s\" exceeds the size limits", p);
			goto out;
		}
		data = malloc((size_t)sz + 1);
		if (!data) {
			rc = aios_rerr_set(e, ENOMEM, "out of memory");
			goto out;
		}
		while (got < (size_t)sz) {
			la_ssize_t n = archive_read_data(a, data + got, (size_t)sz - got);

			if (n <= 0) {
				free(data);
				rc = aios_rerr_set(e, EINVAL, "pack entry \"%.200s\" is truncated: %s",
						   p, n < 0 ? archive_error_string(a) : "short data");
				goto out;
			}
			got += (size_t)n;
		}
		data[got] = 0;
		if (pset_add(s, p, data, got)) {
			free(data);
			rc = aios_rerr_set(e, ENOMEM, "out of memory");
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = aios_rerr_set(e, EINVAL, "resume pack %s is damaged: %s", pack_path,
				   archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

static int check_pack(struct pset *s, json_t **mout, struct aios_rerr *e)
{
	struct pfile *mf = pset_find(s, "MANIFEST.json"), *f;
	struct aios_ledger_verify v;
	json_t *m, *files, *x;
	json_error_t je;
	char hh[AIOS_SHA256_HEX];
	size_t i;
	int rc;

	if (!mf)
		return aios_rerr_set(e, EINVAL, "resume pack has no MANIFEST.json");
	m = json_loadb(mf->data, mf->len, JSON_REJECT_DUPLICATES, &je);
	if (!m || !json_is_string(json_object_get(m, "format")) ||
	    strcmp(json_string_value(json_object_get(m, "format")), "aios-resume-pack") ||
	    json_integer_value(json_object_get(m, "version")) != 1 ||
	    !json_is_array(json_object_get(m, "files")) ||
	    !json_is_string(json_object_get(m, "run_id")) ||
	    !json_is_object(json_object_get(m, "ledger"))) {
		json_decref(m);
		return aios_rerr_set(e, EINVAL, "MANIFEST.json is not an aios-resume-pack version 1 manifest");
	}
	rc = aios_id_valid(json_string_value(json_object_get(m, "run_id")), "run id", e);
	if (rc)
		goto fail;
	files = json_object_get(m, "files");
	json_array_foreach(files, i, x) {
		json_t *p = json_object_get(x, "path"), *h = json_object_get(x, "sha256"),
		       *sz = json_object_get(x, "size");
		char sha[AIOS_SHA256_HEX];

		if (!json_is_string(p) || !json_is_string(h) || !json_is_integer(sz)) {
			rc = aios_rerr_set(e, EINVAL, "MANIFEST.json: files[%zu] is malformed", i);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(json_string_value(p), json_string_value(
				    json_object_get(json_array_get(files, j), "path")))) {
				rc = aios_rerr_set(e, EINVAL, "MANIFEST.json lists %s twice",
						   json_string_value(p));
				goto fail;
			}
		f = pset_find(s, json_string_value(p));
		if (!f) {
			rc = aios_rerr_set(e, EINVAL, "resume pack is missing %.200s listed in its manifest",
					   json_string_value(p));
			goto fail;
		}
		aios_sha256_hex(f->data, f->len, sha);
		if ((json_int_t)f->len != json_integer_value(sz) ||
		    strcmp(sha, json_string_value(h))) {
			rc = aios_rerr_set(e, EBADMSG, "resume pack file %.200s does not match its SHA-256 in the manifest",
					   f->path);
			goto fail;
		}
	}
	for (i = 0; i < s->n; i++) {
		int listed = !strcmp(s->v[i].path, "MANIFEST.json");
		size_t j;

		json_array_foreach(files, j, x)
			listed |= !strcmp(s->v[i].path, json_string_value(json_object_get(x, "path")));
		if (!listed) {
			rc = aios_rerr_set(e, EINVAL, "resume pack file %.200s is not listed in the manifest",
					   s->v[i].path);
			goto fail;
		}
	}
	for (const char *const *req = (const char *const[]){ "run.json",
		"workset.json", "ledger.log", NULL }; *req; req++)
		if (!pset_find(s, *req)) {
			rc = aios_rerr_set(e, EINVAL, "resume pack is missing %s", *req);
			goto fail;
		}
	/* content checks */
	f = pset_find(s, "ledger.log");
	rc = aios_ledger_verify_buf(f->data, f->len, &v, e);
	if (rc)
		goto fail;
	aios_hex(v.last_hash, 32, hh);
	if (v.torn_bytes ||
	    json_integer_value(json_object_get(json_object_get(m, "ledger"), "records")) !=
	    (json_int_t)v.records ||
	    !json_is_string(json_object_get(json_object_get(m, "ledger"), "last_hash")) ||
	    strcmp(hh, json_string_value(json_object_get(json_object_get(m, "ledger"), "last_hash")))) {
		rc = aios_rerr_set(e, EBADMSG, "the pack's ledger does not end where its manifest says");
		goto fail;
	}
	{
		json_t *doc;
		uint64_t seq;

		f = pset_find(s, "workset.json");
		rc = aios_ws_parse_file(f->data, f->len, &doc, &seq, e);
		if (rc)
			goto fail;
		json_decref(doc);
		/* and it is the working set the ledger records */
		rc = aios_wsl_check_pack(f->data, f->len, pset_find(s, "ledger.log")->data,
					 (size_t)v.bytes, e);
		if (rc)
			goto fail;
	}
	f = pset_find(s, "run.json");
	x = json_loadb(f->data, f->len, 0, NULL);
	if (!x || !json_is_string(json_object_get(x, "format")) ||
	    strcmp(json_string_value(json_object_get(x, "format")), "aios-run")) {
		json_decref(x);
		rc = aios_rerr_set(e, EBADMSG, "run.json in the pack is malformed");
		goto fail;
	}
	json_decref(x);
	for (i = 0; i < s->n; i++) {
		const char *p = s->v[i].path;

		if (!strncmp(p, "episodes/", 9)) {
			char name[AIOS_ID_MAX + 1];
			size_t l = strlen(p) - 9 - 5;

			memcpy(name, p + 9, l);
			name[l] = 0;
			rc = aios_episode_check_text(s->v[i].data, s->v[i].len, name,
						     NULL, NULL, e);
		} else if (!strcmp(p, "ltm/committed.jsonl")) {
			rc = aios_ltm_check_committed(s->v[i].data, s->v[i].len, e);
		} else if (!strncmp(p, "ltm/proposals/", 14)) {
			json_t *pr = json_loadb(s->v[i].data, s->v[i].len, 0, NULL);

			rc = aios_ltm_validate_batch(json_object_get(pr, "facts"), e);
			json_decref(pr);
		}
		if (rc)
			goto fail;
	}
	*mout = m;
	return 0;
fail:
	json_decref(m);
	return rc;
}

int aios_pack_import(const char *pack_path, const char *state,
		     const char *as_id, char *id_out, json_t **manifest,
		     struct aios_rerr *e)
{
	char runs[PATH_MAX], tmp[PATH_MAX + 64], final[PATH_MAX], rnd[40];
	struct pset s = { 0 };
	struct stat st;
	const char *id;
	json_t *m = NULL;
	int rc;

	rc = check_gzip_stream(pack_path, e);
	if (!rc)
		rc = read_archive(pack_path, &s, e);
	if (!rc)
		rc = check_pack(&s, &m, e);
	if (rc)
		goto out;
	id = as_id ? as_id : json_string_value(json_object_get(m, "run_id"));
	rc = aios_run_path(state, id, final, sizeof(final), e);
	if (rc)
		goto out;
	if (lstat(final, &st) == 0) {
		rc = aios_rerr_set(e, EEXIST, "run \"%s\" already exists; import it under another id", id);
		goto out;
	}
	/* verified: now write, into a temporary directory first */
	snprintf(runs, sizeof(runs), "%s/runs", state);
	rc = aios_mkdir_p(runs, e);
	if (rc)
		goto out;
	aios_id_random(".import-", rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), "%s/%s", runs, rnd);
	if (mkdir(tmp, 0700) < 0) {
		rc = aios_rerr_set(e, errno, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (size_t i = 0; !rc && i < s.n; i++) {
		char p[PATH_MAX + 400], d[PATH_MAX + 400], *slash;

		if (!strcmp(s.v[i].path, "MANIFEST.json"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmp, s.v[i].path);
		snprintf(d, sizeof(d), "%s", p);
		slash = strrchr(d, '/');
		*slash = 0;
		rc = aios_mkdir_p(d, e);
		if (!rc)
			rc = aios_write_file_excl(p, s.v[i].data, s.v[i].len,
						  strncmp(s.v[i].path, "episodes/", 9) ? 0600 : 0444, e);
	}
	if (!rc) {
		char d[PATH_MAX + 80];

		snprintf(d, sizeof(d), "%s/episodes", tmp);
		rc = aios_mkdir_p(d, e);
		snprintf(d, sizeof(d), "%s/ltm/proposals", tmp);
		if (!rc)
			rc = aios_mkdir_p(d, e);
	}
	if (!rc && rename(tmp, final) < 0)
		rc = aios_rerr_set(e, errno, "cannot move the imported run into place: %s",
				   strerror(errno));
	if (rc) {
		aios_rm_tree(tmp);
		goto out;
	}
	aios_fsync_dir(runs);
	if (id_out)
		memcpy(id_out, id, strlen(id) + 1);
	if (manifest)
		*manifest = json_incref(m);
out:
	json_decref(m);
	pset_free(&s);
	return rc;
}
