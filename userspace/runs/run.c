// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "run.h"
#include "wsledger.h"

struct aios_run {
	char id[AIOS_ID_MAX + 1];
	char dir[PATH_MAX];
	struct aios_ledger *ledger;
	struct aios_ws *ws;
	struct aios_ltm *ltm;
	/* mu makes a working-set change and its ledger record one step */
	pthread_mutex_t mu;
	/* under mu: the ledger record of the working set's current state
	 * (0: as found at open) and its document hash, to notice when a
	 * failed sync cut that record off again (dropped_seen) */
	uint64_t ws_lseq;
	char ws_sha[AIOS_SHA256_HEX];
	uint64_t dropped_seen;
	/* a legacy ledger's last workset record cannot rebuild the document:
	 * the one found at open, to roll back to */
	json_t *legacy_doc;
	uint64_t legacy_seq;
	struct aios_wsl_report ws_report;
};

int aios_run_path(const char *state, const char *id, char *out, size_t len,
		  struct aios_rerr *e)
{
	int rc = aios_id_valid(id, "run id", e);

	if (rc)
		return rc;
	if (snprintf(out, len, "%s/runs/%s", state, id) >= (int)len)
		return aios_rerr_set(e, ENAMETOOLONG, "state directory path too long");
	return 0;
}

static int open_parts(struct aios_run *r, const struct aios_run_opts *opts,
		      struct aios_ledger_recovery *rec, int create,
		      struct aios_rerr *e)
{
	struct aios_ledger_opts lo = {
		.policy = opts ? opts->policy : AIOS_LEDGER_FSYNC_ALWAYS,
		.io = opts ? opts->io : NULL,
		.create = create,
	};
	char p[PATH_MAX + 32];
	int rc;

	snprintf(p, sizeof(p), "%s/ledger.log", r->dir);
	rc = aios_ledger_open(p, &lo, &r->ledger, rec, e);
	if (rc)
		return rc;
	snprintf(p, sizeof(p), "%s/workset.json", r->dir);
	/* the ledger is the truth: make the cache file agree with it */
	if (!create) {
		rc = aios_wsl_reconcile(p, r->ledger, &r->ws_report, &r->legacy_doc,
					&r->legacy_seq, e);
		if (rc)
			return rc;
	} else {
		r->ws_report.action = "intact";
		snprintf(r->ws_report.detail, sizeof(r->ws_report.detail), "new run");
	}
	rc = aios_ws_open(p, &r->ws, e);
	if (rc)
		return rc;
	aios_ws_set_cache(r->ws);
	snprintf(p, sizeof(p), "%s/episodes", r->dir);
	rc = aios_mkdir_p(p, e);
	if (rc)
		return rc;
	snprintf(p, sizeof(p), "%s/ltm", r->dir);
	return aios_ltm_open(p, &r->ltm, e);
}

int aios_run_create(const char *state, const char *id, uint64_t agent,
		    const struct aios_run_opts *opts, struct aios_run **out,
		    char *id_out, struct aios_rerr *e)
{
	struct aios_run *r = calloc(1, sizeof(*r));
	char runs[PATH_MAX], meta[PATH_MAX + 16], *text;
	json_t *m;
	int rc;

	if (!r)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	pthread_mutex_init(&r->mu, NULL);
	if (id) {
		rc = aios_id_valid(id, "run id", e);
		if (rc)
			goto fail_free;
		snprintf(r->id, sizeof(r->id), "%s", id);
	} else {
		rc = aios_id_random("r-", r->id, sizeof(r->id));
		if (rc) {
			rc = aios_rerr_set(e, rc, "cannot generate a run id");
			goto fail_free;
		}
	}
	snprintf(runs, sizeof(runs), "%s/runs", state);
	rc = aios_mkdir_p(runs, e);
	if (rc)
		goto fail_free;
	rc = aios_run_path(state, r->id, r->dir, sizeof(r->dir), e);
	if (rc)
		goto fail_free;
	if (mkdir(r->dir, 0700) < 0) {
		rc = errno == EEXIST ?
		     aios_rerr_set(e, EEXIST, "run \"%s\" already exists", r->id) :
		     aios_rerr_set(e, errno, "cannot create %s: %s", r->dir, strerror(errno));
		goto fail_free;
	}
	m = json_pack("{s:s, s:i, s:I, s:I, s:s}", "format", "aios-run",
		      "version", 1, "created_ns", (json_int_t)aios_now_ns(),
		      "agent", (json_int_t)agent, "fsync",
		      aios_fsync_policy_name(opts ? opts->policy : AIOS_LEDGER_FSYNC_ALWAYS));
	text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	snprintf(meta, sizeof(meta), "%s/run.json", r->dir);
	rc = aios_write_file_excl(meta, text, strlen(text), 0600, e);
	free(text);
	if (!rc)
		rc = open_parts(r, opts, NULL, 1, e);
	if (!rc)
		rc = aios_fsync_dir(runs);
	if (rc) {
		aios_run_close(r);
		return rc;
	}
	if (id_out)
		memcpy(id_out, r->id, strlen(r->id) + 1);
	*out = r;
	return 0;
fail_free:
	free(r);
	return rc;
}

int aios_run_open(const char *state, const char *id,
		  const struct aios_run_opts *opts, struct aios_run **out,
		  struct aios_ledger_recovery *rec, struct aios_rerr *e)
{
	struct aios_run *r = calloc(1, sizeof(*r));
	struct stat st;
	int rc;

	if (!r)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	pthread_mutex_init(&r->mu, NULL);
	rc = aios_run_path(state, id, r->dir, sizeof(r->dir), e);
	if (rc) {
		free(r);
		return rc;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (lstat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(r);
		return aios_rerr_set(e, ENOENT, "no run \"%s\"", id);
	}
	rc = open_parts(r, opts, rec, 0, e);
	if (rc) {
		aios_run_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void aios_run_close(struct aios_run *r)
{
	if (!r)
		return;
	aios_ledger_close(r->ledger);
	aios_ws_close(r->ws);
	aios_ltm_close(r->ltm);
	pthread_mutex_destroy(&r->mu);
	json_decref(r->legacy_doc);
	free(r);
}

int aios_run_list(const char *state, json_t **list, struct aios_rerr *e)
{
	char runs[PATH_MAX];
	struct dirent *de;
	json_t *out = json_array();
	DIR *d;

	snprintf(runs, sizeof(runs), "%s/runs", state);
	d = opendir(runs);
	if (!d) {
		if (errno == ENOENT) {
			*list = out;
			return 0;
		}
		json_decref(out);
		return aios_rerr_set(e, errno, "cannot read %s: %s", runs, strerror(errno));
	}
	while ((de = readdir(d))) {
		char meta[PATH_MAX + 300], *text;
		size_t len;
		json_t *m;

		if (aios_id_valid(de->d_name, "run id", NULL))
			continue;
		snprintf(meta, sizeof(meta), "%s/%s/run.json", runs, de->d_name);
		if (aios_read_file(meta, 65536, &text, &len, NULL))
			continue;
		m = json_loadb(text, len, 0, NULL);
		free(text);
		if (!m)
			continue;
		json_array_append_new(out, json_pack("{s:s, s:O, s:O, s:O}",
			"id", de->d_name,
			"created_ns", json_object_get(m, "created_ns"),
			"agent", json_object_get(m, "agent"),
			"fsync", json_object_get(m, "fsync")));
		json_decref(m);
	}
	closedir(d);
	/* sort by id */
	{
		size_t n = json_array_size(out);

		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0; j--) {
				json_t *a = json_array_get(out, j - 1);
				json_t *b = json_array_get(out, j);

				if (strcmp(json_string_value(json_object_get(a, "id")),
					   json_string_value(json_object_get(b, "id"))) <= 0)
					break;
				json_incref(a);
				json_array_set(out, j - 1, b);
				json_array_set_new(out, j, a);
			}
	}
	*list = out;
	return 0;
}

const char *aios_run_id(const struct aios_run *r) { return r->id; }
const char *aios_run_dir(const struct aios_run *r) { return r->dir; }
struct aios_ledger *aios_run_ledger(struct aios_run *r) { return r->ledger; }
struct aios_ws *aios_run_ws(struct aios_run *r) { return r->ws; }
struct aios_ltm *aios_run_ltm(struct aios_run *r) { return r->ltm; }

static int log_json(struct aios_run *r, const char *type, uint64_t agent,
		    json_t *payload, struct aios_rerr *e)
{
	char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	json_decref(payload);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	rc = aios_ledger_append(r->ledger, type, agent, text, strlen(text), NULL, e);
	free(text);
	return rc;
}

/* The "workset" record carries the whole new document (wsledger.h). */
static int log_ws(struct aios_run *r, uint64_t agent, uint64_t seq,
		  struct aios_rerr *e)
{
	char sha[AIOS_SHA256_HEX], *text;
	json_t *doc;
	uint64_t cur, lseq = 0;
	int rc;

	if (aios_ws_get(r->ws, &doc, &cur))
		return aios_rerr_set(e, ENOMEM, "out of memory");
	text = aios_wsl_payload(doc, seq, sha);
	json_decref(doc);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	rc = aios_ledger_append(r->ledger, "workset", agent, text, strlen(text),
				&lseq, e);
	free(text);
	if (!rc) {
		r->ws_lseq = lseq;
		memcpy(r->ws_sha, sha, sizeof(sha));
	}
	return rc;
}

/*
 * Under r->mu: if a failed sync (anyone's: an episode's, a pack export's,
 * aiosd's round sync) cut off the record of the working set's current
 * state, roll the working set back to the ledger's last "workset" record
 * - in memory now, in the cache file as far as it can be written (else
 * at the next open).
 */
static int ws_resync_locked(struct aios_run *r, struct aios_rerr *e)
{
	struct aios_wsl_rec w = { 0 };
	struct aios_ledger_stats st;
	struct aios_ledger_rec rec;
	uint64_t cur_seq;
	json_t *cur;
	int rc, ok = 0;

	aios_ledger_get_stats(r->ledger, &st);
	if (st.dropped_records == r->dropped_seen)
		return 0;
	r->dropped_seen = st.dropped_records;
	if (!r->ws_lseq)
		return 0;	/* the state found at open: never cut off */
	if (aios_ws_get(r->ws, &cur, &cur_seq))
		return aios_rerr_set(e, ENOMEM, "out of memory");
	json_decref(cur);
	if (!aios_ledger_read(r->ledger, r->ws_lseq, &rec, NULL)) {
		ok = !strcmp(rec.type, "workset") &&
		     !aios_wsl_parse(rec.payload, rec.payload_len, &w, NULL) &&
		     w.seq == cur_seq && !strcmp(w.sha, r->ws_sha);
		aios_wsl_rec_free(&w);
		aios_ledger_rec_free(&rec);
	}
	if (ok)
		return 0;
	rc = aios_wsl_last(r->ledger, 0, &w, e);
	if (rc)
		return rc;
	if (!w.doc && r->legacy_doc && r->legacy_seq == w.seq)
		w.doc = json_incref(r->legacy_doc);
	if (!w.doc) {
		rc = aios_rerr_set(e, EIO,
				   "run %s: a failed sync cut off the working set's ledger record and the ledger cannot rebuild the previous document; reopen the run",
				   r->id);
		goto out;
	}
	rc = aios_ws_restore(r->ws, cur_seq, w.doc, w.seq, e);
	if (rc == -ESTALE || rc == -ENOMEM)
		goto out;	/* nothing restored */
	/* restored in memory; a cache file not rewritten is rebuilt at open */
	rc = 0;
	r->ws_lseq = w.lseq;
	memcpy(r->ws_sha, w.sha, sizeof(w.sha));
out:
	aios_wsl_rec_free(&w);
	return rc;
}

int aios_run_ws_resync(struct aios_run *r, struct aios_rerr *e)
{
	int rc;

	pthread_mutex_lock(&r->mu);
	rc = ws_resync_locked(r, e);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

const struct aios_wsl_report *aios_run_ws_report(const struct aios_run *r)
{
	return &r->ws_report;
}

/*
 * A working-set change and its "workset" ledger record are one step: the
 * cache file is replaced (not synced), then the record - holding the
 * whole document, the truth - is appended under the run's fsync policy
 * like any other record; if it cannot be written (or, under always and
 * group, made durable) the change is undone, so the working set never
 * holds a change the ledger does not show.  A record cut off later by a
 * failed sync is noticed by ws_resync_locked().
 */
static int ws_change(struct aios_run *r, uint64_t agent, uint64_t expected_seq,
		     const json_t *doc, const json_t *items, uint64_t *new_seq,
		     json_t **evicted, struct aios_rerr *e)
{
	json_t *prev, *ev = NULL;
	uint64_t prev_seq, s = 0;
	int rc;

	pthread_mutex_lock(&r->mu);
	rc = ws_resync_locked(r, e);
	if (rc) {
		pthread_mutex_unlock(&r->mu);
		return rc;
	}
	if (aios_ws_get(r->ws, &prev, &prev_seq)) {
		pthread_mutex_unlock(&r->mu);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	if (doc)
		rc = aios_ws_put(r->ws, expected_seq, doc, &s, e);
	else
		rc = aios_ws_context_push(r->ws, expected_seq, items, &s,
					  evicted ? &ev : NULL, e);
	if (rc)
		goto out;
	rc = log_ws(r, agent, s, e);
	if (rc) {
		struct aios_rerr re = { 0 };
		char why[sizeof(re.msg)] = "";
		int ur;

		if (e)
			memcpy(why, e->msg, sizeof(why));
		/* restored in memory even if the cache file is not rewritten */
		ur = aios_ws_restore(r->ws, s, prev, prev_seq, &re);
		/* the failed sync may have cut off more than this record */
		ws_resync_locked(r, NULL);
		if (ur == -ESTALE || ur == -ENOMEM)
			aios_rerr_set(e, -rc,
				      "%s; undoing the working-set change failed too (%s): seq %llu has no ledger record",
				      why, re.msg, (unsigned long long)s);
		else
			aios_rerr_set(e, -rc, "%s; the working-set change was undone (still at seq %llu)",
				      why, (unsigned long long)prev_seq);
		goto out;
	}
	if (new_seq)
		*new_seq = s;
	if (evicted) {
		*evicted = ev;
		ev = NULL;
	}
out:
	pthread_mutex_unlock(&r->mu);
	json_decref(prev);
	json_decref(ev);
	return rc;
}

int aios_run_ws_put(struct aios_run *r, uint64_t agent, uint64_t expected_seq,
		    const json_t *doc, uint64_t *new_seq, struct aios_rerr *e)
{
	return ws_change(r, agent, expected_seq, doc, NULL, new_seq, NULL, e);
}

int aios_run_ws_push(struct aios_run *r, uint64_t agent, uint64_t expected_seq,
		     const json_t *items, uint64_t *new_seq, json_t **evicted,
		     struct aios_rerr *e)
{
	return ws_change(r, agent, expected_seq, NULL, items, new_seq, evicted, e);
}

int aios_run_episode(struct aios_run *r, uint64_t agent, const char *name,
		     const char *note, json_t **info, struct aios_rerr *e)
{
	char dir[PATH_MAX + 16], sha[AIOS_SHA256_HEX];
	unsigned char hash[32];
	struct aios_episode_in in = { .name = name, .note = note };
	uint64_t lseq, wseq;
	json_t *doc;
	int rc;

	rc = aios_id_valid(name, "episode name", e);
	if (rc)
		return rc;
	/* make the position durable before pointing at it; under r->mu the
	 * working set copied is the one the ledger records up to there */
	pthread_mutex_lock(&r->mu);
	rc = aios_ledger_sync(r->ledger, e);
	if (rc) {
		ws_resync_locked(r, NULL);
		pthread_mutex_unlock(&r->mu);
		return rc;
	}
	rc = ws_resync_locked(r, e);
	if (!rc) {
		aios_ledger_head(r->ledger, &lseq, hash);
		if (aios_ws_get(r->ws, &doc, &wseq))
			rc = aios_rerr_set(e, ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&r->mu);
	if (rc)
		return rc;
	in.workset = doc;
	in.workset_seq = wseq;
	in.ledger_seq = lseq;
	in.ledger_hash = hash;
	snprintf(dir, sizeof(dir), "%s/episodes", r->dir);
	rc = aios_episode_create(dir, &in, sha, e);
	json_decref(doc);
	if (rc)
		return rc;
	rc = log_json(r, "episode", agent,
		      json_pack("{s:s, s:s, s:I}", "name", name, "sha256", sha,
				"ledger_seq", (json_int_t)lseq), e);
	if (rc) {
		/* not anchored, not acknowledged: take the checkpoint back */
		char p[PATH_MAX + 100];

		snprintf(p, sizeof(p), "%s/%s.json", dir, name);
		unlink(p);
		aios_fsync_dir(dir);
		return rc;
	}
	if (info)
		*info = json_pack("{s:s, s:s, s:I, s:I}", "name", name, "sha256", sha,
				  "ledger_seq", (json_int_t)lseq,
				  "workset_seq", (json_int_t)wseq);
	return 0;
}

int aios_run_ltm_commit(struct aios_run *r, uint64_t agent,
			const char *proposal, const char *episode, size_t *n,
			struct aios_rerr *e)
{
	char dir[PATH_MAX + 16], sha[AIOS_SHA256_HEX];
	size_t cnt = 0;
	int rc;

	if (!episode || !*episode)
		return aios_rerr_set(e, EINVAL,
				     "long-term memory is committed only at a milestone: name an episode");
	snprintf(dir, sizeof(dir), "%s/episodes", r->dir);
	rc = aios_episode_show(dir, episode, NULL, sha, e);
	if (rc == -ENOENT)
		return aios_rerr_set(e, ENOENT,
				     "no episode \"%s\": create the milestone first, then commit", episode);
	if (rc)
		return rc;
	rc = aios_ltm_commit(r->ltm, proposal, episode, sha, &cnt, e);
	if (rc)
		return rc;
	if (n)
		*n = cnt;
	return log_json(r, "ltm_commit", agent,
			json_pack("{s:s, s:s, s:I}", "proposal", proposal,
				  "episode", episode, "count", (json_int_t)cnt), e);
}

int aios_run_verify(struct aios_run *r, json_t **report, struct aios_rerr *e)
{
	struct aios_ledger_verify v;
	char path[PATH_MAX + 16], dir[PATH_MAX + 16];
	struct aios_rerr le = { 0 };
	uint64_t episodes = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/ledger.log", r->dir);
	snprintf(dir, sizeof(dir), "%s/episodes", r->dir);
	rc = aios_ledger_verify_file(path, &v, &le);
	for (uint64_t s = 1; !rc && s <= v.records; s++) {
		struct aios_ledger_rec rec;
		json_t *p, *nm, *sh;
		char sha[AIOS_SHA256_HEX];

		rc = aios_ledger_read(r->ledger, s, &rec, &le);
		if (rc)
			break;
		if (strcmp(rec.type, "episode")) {
			aios_ledger_rec_free(&rec);
			continue;
		}
		p = json_loadb((char *)rec.payload, rec.payload_len, 0, NULL);
		aios_ledger_rec_free(&rec);
		nm = json_object_get(p, "name");
		sh = json_object_get(p, "sha256");
		if (!json_is_string(nm) || !json_is_string(sh)) {
			json_decref(p);
			le.bad_seq = s;
			rc = aios_rerr_set(&le, EBADMSG, "ledger record %llu: malformed episode record",
					   (unsigned long long)s);
			break;
		}
		rc = aios_episode_show(dir, json_string_value(nm), NULL, sha, &le);
		if (!rc && strcmp(sha, json_string_value(sh))) {
			le.bad_seq = s;
			rc = aios_rerr_set(&le, EBADMSG,
					   "episode %s does not match the hash anchored in ledger record %llu",
					   json_string_value(nm), (unsigned long long)s);
		} else if (rc) {
			le.bad_seq = s;
			rc = aios_rerr_set(&le, EBADMSG, "ledger record %llu: %s",
					   (unsigned long long)s, le.msg);
		}
		json_decref(p);
		episodes++;
	}
	if (report) {
		char hh[AIOS_SHA256_HEX];

		aios_hex(v.last_hash, 32, hh);
		*report = json_pack("{s:b, s:I, s:I, s:I, s:I, s:s}",
				    "intact", !rc, "records", (json_int_t)v.records,
				    "torn_bytes", (json_int_t)v.torn_bytes,
				    "episodes", (json_int_t)episodes,
				    "bad_seq", (json_int_t)(rc ? (le.bad_seq ? le.bad_seq : v.bad_seq) : 0),
				    "last_hash", hh);
		if (rc)
			json_object_set_new(*report, "error", json_string(le.msg));
	}
	if (rc) {
		if (e) {
			*e = le;
		}
		return rc;
	}
	return 0;
}
