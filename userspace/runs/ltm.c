// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "ltm.h"

struct aios_ltm {
	char *dir;
	char *committed_path;
	char *prop_dir;
	/* mu protects entries and the committed file */
	pthread_mutex_t mu;
	json_t *entries;	/* committed, in order */
};

static int scope_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AIOS_LTM_SCOPE_MAX || s[0] == '/' || s[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!isalnum((unsigned char)c) && !strchr("_-.:/", c))
			return 0;
		if (c == '/' && s[i + 1] == '/')
			return 0;
		/* no "." or ".." components */
		if ((i == 0 || s[i - 1] == '/') && c == '.' &&
		    (s[i + 1] == 0 || s[i + 1] == '/' ||
		     (s[i + 1] == '.' && (s[i + 2] == 0 || s[i + 2] == '/'))))
			return 0;
	}
	return 1;
}

int aios_ltm_validate_batch(const json_t *facts, struct aios_rerr *e)
{
	json_t *f, *v;
	const char *k;
	size_t i;

	if (!json_is_array(facts))
		return aios_rerr_set(e, EINVAL, "$.facts: expected an array");
	if (json_array_size(facts) == 0 ||
	    json_array_size(facts) > AIOS_LTM_BATCH_MAX)
		return aios_rerr_set(e, EINVAL, "$.facts: a batch holds 1..%d facts",
				     AIOS_LTM_BATCH_MAX);
	json_array_foreach(facts, i, f) {
		if (!json_is_object(f))
			return aios_rerr_set(e, EINVAL, "$.facts[%zu]: expected an object", i);
		json_object_foreach(f, k, v) {
			if (!strcmp(k, "text")) {
				if (!json_is_string(v) || !json_string_length(v) ||
				    json_string_length(v) > AIOS_LTM_TEXT_MAX)
					return aios_rerr_set(e, EINVAL,
						"$.facts[%zu].text: expected a string of 1..%d bytes",
						i, AIOS_LTM_TEXT_MAX);
			} else if (!strcmp(k, "scope")) {
				if (!json_is_string(v) || !scope_valid(json_string_value(v)))
					return aios_rerr_set(e, EINVAL,
						"$.facts[%zu].scope: expected a scope like \"project/aios\" (1..%d of [A-Za-z0-9_.:-] separated by single '/')",
						i, AIOS_LTM_SCOPE_MAX);
			} else if (!strcmp(k, "tags")) {
				json_t *t;
				size_t j;

				if (!json_is_array(v) || json_array_size(v) > AIOS_LTM_TAGS_MAX)
					return aios_rerr_set(e, EINVAL,
						"$.facts[%zu].tags: expected an array of at most %d strings",
						i, AIOS_LTM_TAGS_MAX);
				json_array_foreach(v, j, t)
					if (!json_is_string(t) || !json_string_length(t) ||
					    json_string_length(t) > 64)
						return aios_rerr_set(e, EINVAL,
							"$.facts[%zu].tags[%zu]: expected a string of 1..64 bytes",
							i, j);
			} else {
				return aios_rerr_set(e, EINVAL,
						     "$.facts[%zu].%s: unknown field", i, k);
			}
		}
		if (!json_object_get(f, "text") || !json_object_get(f, "scope"))
			return aios_rerr_set(e, EINVAL,
					     "$.facts[%zu]: \"text\" and \"scope\" are required", i);
	}
	return 0;
}

static int check_entry(const json_t *en)
{
	return json_is_object(en) && json_object_size(en) == 8 &&
	       json_is_string(json_object_get(en, "id")) &&
	       json_is_integer(json_object_get(en, "committed_ns")) &&
	       json_is_string(json_object_get(en, "episode_sha256")) &&
	       json_is_string(json_object_get(en, "text")) &&
	       json_is_string(json_object_get(en, "scope")) &&
	       json_is_array(json_object_get(en, "tags")) &&
	       json_is_string(json_object_get(en, "episode")) &&
	       json_is_string(json_object_get(en, "proposal"));
}

/* Parse committed.jsonl; *good_len = bytes of complete lines. */
static int parse_committed(const char *text, size_t len, json_t *out,
			   size_t *good_len, struct aios_rerr *e)
{
	size_t off = 0, line = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		json_error_t je;
		json_t *en;

		line++;
		if (!nl)
			break;	/* torn last line */
		en = json_loadb(text + off, (size_t)(nl - (text + off)),
				JSON_REJECT_DUPLICATES, &je);
		if (!check_entry(en)) {
			json_decref(en);
			return aios_rerr_set(e, EBADMSG,
					     "long-term memory line %zu is corrupt", line);
		}
		if (out)
			json_array_append_new(out, en);
		else
			json_decref(en);
		off = (size_t)(nl - text) + 1;
	}
	if (good_len)
		*good_len = off;
	return 0;
}

int aios_ltm_check_committed(const char *text, size_t len, struct aios_rerr *e)
{
	size_t good;
	int rc = parse_committed(text, len, NULL, &good, e);

	if (!rc && good != len)
		rc = aios_rerr_set(e, EBADMSG, "long-term memory file ends with an incomplete line");
	return rc;
}

int aios_ltm_open(const char *dir, struct aios_ltm **out, struct aios_rerr *e)
{
	struct aios_ltm *m = calloc(1, sizeof(*m));
	char *text = NULL;
	size_t len, good;
	int rc;

	if (!m)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	pthread_mutex_init(&m->mu, NULL);
	m->dir = strdup(dir);
	if (asprintf(&m->committed_path, "%s/committed.jsonl", dir) < 0 ||
	    asprintf(&m->prop_dir, "%s/proposals", dir) < 0) {
		rc = aios_rerr_set(e, ENOMEM, "out of memory");
		goto fail;
	}
	m->entries = json_array();
	rc = aios_mkdir_p(m->prop_dir, e);
	if (rc)
		goto fail;
	rc = aios_read_file(m->committed_path, 1u << 30, &text, &len, e);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (!rc) {
		rc = parse_committed(text, len, m->entries, &good, e);
		if (!rc && good != len && truncate(m->committed_path, (off_t)good) < 0)
			rc = aios_rerr_set(e, errno, "cannot truncate torn line of %s: %s",
					   m->committed_path, strerror(errno));
	}
	free(text);
	if (rc)
		goto fail;
	*out = m;
	return 0;
fail:
	aios_ltm_close(m);
	return rc;
}

void aios_ltm_close(struct aios_ltm *m)
{
	if (!m)
		return;
	json_decref(m->entries);
	pthread_mutex_destroy(&m->mu);
	free(m->dir);
	free(m->committed_path);
	free(m->prop_dir);
	free(m);
}

size_t aios_ltm_count(struct aios_ltm *m)
{
	size_t n;

	pthread_mutex_lock(&m->mu);
	n = json_array_size(m->entries);
	pthread_mutex_unlock(&m->mu);
	return n;
}

int aios_ltm_propose(struct aios_ltm *m, const json_t *facts, char *id_out,
		     struct aios_rerr *e)
{
	char id[AIOS_ID_MAX + 1], path[PATH_MAX], *text;
	json_t *p;
	int rc;

	rc = aios_ltm_validate_batch(facts, e);
	if (rc)
		return rc;
	rc = aios_id_random("p-", id, sizeof(id));
	if (rc)
		return aios_rerr_set(e, rc, "cannot generate a proposal id");
	p = json_pack("{s:s, s:I, s:O}", "id", id, "created_ns",
		      (json_int_t)aios_now_ns(), "facts", facts);
	text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/%s.json", m->prop_dir, id);
	rc = aios_write_file_excl(path, text, strlen(text), 0600, e);
	free(text);
	if (!rc)
		memcpy(id_out, id, strlen(id) + 1);
	return rc;
}

static int load_proposal(struct aios_ltm *m, const char *id, json_t **p,
			 struct aios_rerr *e)
{
	char path[PATH_MAX], *text;
	json_error_t je;
	size_t len;
	int rc;

	rc = aios_id_valid(id, "proposal id", e);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s.json", m->prop_dir, id);
	rc = aios_read_file(path, 16u << 20, &text, &len, e);
	if (rc == -ENOENT)
		return aios_rerr_set(e, ENOENT,
				     "no staged proposal \"%s\" (already committed or discarded?)",
				     id);
	if (rc)
		return rc;
	*p = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!*p || aios_ltm_validate_batch(json_object_get(*p, "facts"), NULL)) {
		json_decref(*p);
		return aios_rerr_set(e, EBADMSG, "proposal %s is corrupt", id);
	}
	return 0;
}

int aios_ltm_discard(struct aios_ltm *m, const char *proposal,
		     struct aios_rerr *e)
{
	char path[PATH_MAX];
	json_t *p;
	int rc;

	rc = load_proposal(m, proposal, &p, e);
	if (rc)
		return rc;
	json_decref(p);
	snprintf(path, sizeof(path), "%s/%s.json", m->prop_dir, proposal);
	if (unlink(path) < 0)
		return aios_rerr_set(e, errno, "cannot remove %s: %s", path,
				     strerror(errno));
	aios_fsync_dir(m->prop_dir);
	return 0;
}

int aios_ltm_commit(struct aios_ltm *m, const char *proposal,
		    const char *episode, const char *episode_sha,
		    size_t *n, struct aios_rerr *e)
{
	char path[PATH_MAX];
	json_t *p, *f, *en, *added = json_array();
	char *buf = NULL;
	size_t blen = 0, i, already = 0;
	FILE *ms;
	int rc, fd;
	uint64_t now = aios_now_ns();

	rc = aios_id_valid(episode, "episode name", e);
	if (rc)
		goto out_added;
	rc = load_proposal(m, proposal, &p, e);
	if (rc)
		goto out_added;
	pthread_mutex_lock(&m->mu);
	/* a crash after appending but before removing the proposal: done */
	json_array_foreach(m->entries, i, en)
		if (!strcmp(json_string_value(json_object_get(en, "proposal")), proposal))
			already++;
	ms = open_memstream(&buf, &blen);
	if (!already) {
		json_array_foreach(json_object_get(p, "facts"), i, f) {
			char id[96];
			json_t *tags = json_object_get(f, "tags");

			snprintf(id, sizeof(id), "m-%zu",
				 json_array_size(m->entries) + i + 1);
			en = json_pack("{s:s, s:O, s:O, s:o, s:s, s:s, s:s, s:I}",
				       "id", id, "text", json_object_get(f, "text"),
				       "scope", json_object_get(f, "scope"),
				       "tags", tags ? json_incref(tags) : json_array(),
				       "episode", episode,
				       "episode_sha256", episode_sha ? episode_sha : "",
				       "proposal", proposal,
				       "committed_ns", (json_int_t)now);
			char *line = json_dumps(en, JSON_COMPACT | JSON_SORT_KEYS);

			fprintf(ms, "%s\n", line);
			free(line);
			json_array_append_new(added, en);
		}
	}
	fclose(ms);
	if (!already) {
		fd = open(m->committed_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			rc = aios_rerr_set(e, errno, "cannot open %s: %s",
					   m->committed_path, strerror(errno));
			goto out_unlock;
		}
		off_t before = lseek(fd, 0, SEEK_END);

		if (write(fd, buf, blen) != (ssize_t)blen || fdatasync(fd) < 0) {
			rc = aios_rerr_set(e, errno ? errno : EIO,
					   "cannot append to %s: %s; nothing was committed",
					   m->committed_path, strerror(errno ? errno : EIO));
			/* cut any partial append off again */
			if (before >= 0 && ftruncate(fd, before) < 0)
				rc = -EIO;
			close(fd);
			goto out_unlock;
		}
		close(fd);
		json_array_extend(m->entries, added);
	}
	snprintf(path, sizeof(path), "%s/%s.json", m->prop_dir, proposal);
	unlink(path);
	aios_fsync_dir(m->prop_dir);
	if (n)
		*n = already ? already : json_array_size(added);
out_unlock:
	pthread_mutex_unlock(&m->mu);
	free(buf);
	json_decref(p);
out_added:
	json_decref(added);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
		      json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

int aios_ltm_proposals(struct aios_ltm *m, json_t **list, struct aios_rerr *e)
{
	json_t **v = NULL, *out;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(m->prop_dir);
	int rc = 0;

	if (!d)
		return aios_rerr_set(e, errno, "cannot read %s: %s", m->prop_dir,
				     strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char id[AIOS_ID_MAX + 1];
		json_t *p;

		if (l < 6 || l - 5 > AIOS_ID_MAX || strcmp(de->d_name + l - 5, ".json"))
			continue;
		memcpy(id, de->d_name, l - 5);
		id[l - 5] = 0;
		rc = load_proposal(m, id, &p, e);
		if (rc)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n++] = p;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_id);
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	if (rc) {
		json_decref(out);
		return rc;
	}
	*list = out;
	return 0;
}

/* Tokens: lower-cased runs of ASCII alnum, at most 64 tokens. */
static size_t tokenize(const char *s, char toks[][64], size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		size_t l = 0;

		while (*s && !isalnum((unsigned char)*s))
			s++;
		while (*s && isalnum((unsigned char)*s)) {
			if (l < 63)
				toks[n][l++] = (char)tolower((unsigned char)*s);
			s++;
		}
		if (l) {
			int dup = 0;

			toks[n][l] = 0;
			for (size_t i = 0; i < n; i++)
				dup |= !strcmp(toks[i], toks[n]);
			if (!dup)
				n++;
		}
	}
	return n;
}

static int has_token(const char *text, const char *tok)
{
	size_t tl = strlen(tok);
	const char *s = text;

	while (*s) {
		while (*s && !isalnum((unsigned char)*s))
			s++;
		const char *start = s;

		while (*s && isalnum((unsigned char)*s))
			s++;
		if ((size_t)(s - start) == tl && !strncasecmp(start, tok, tl))
			return 1;
	}
	return 0;
}

struct hit {
	int score;
	size_t idx;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	return x->idx < y->idx ? 1 : -1;	/* newest first */
}

int aios_ltm_search(struct aios_ltm *m, const char *query, const char *scope,
		    size_t limit, json_t **results, struct aios_rerr *e)
{
	char toks[64][64];
	size_t nt, i, nh = 0, sl;
	struct hit *hits;
	json_t *en, *out;

	if (!query)
		query = "";
	if (scope && *scope && !scope_valid(scope))
		return aios_rerr_set(e, EINVAL, "scope \"%.128s\" is invalid", scope);
	if (!limit)
		limit = 20;
	nt = tokenize(query, toks, 64);
	if (!nt)
		return aios_rerr_set(e, EINVAL, "search query has no words");
	sl = scope ? strlen(scope) : 0;
	pthread_mutex_lock(&m->mu);
	hits = calloc(json_array_size(m->entries) + 1, sizeof(*hits));
	json_array_foreach(m->entries, i, en) {
		const char *text = json_string_value(json_object_get(en, "text"));
		const char *sc = json_string_value(json_object_get(en, "scope"));
		json_t *tags = json_object_get(en, "tags"), *t;
		int score = 0;
		size_t j;

		if (sl && (strncmp(sc, scope, sl) || (sc[sl] && sc[sl] != '/')))
			continue;
		if (strcasestr(text, query))
			score += 3;
		for (size_t k = 0; k < nt; k++) {
			if (has_token(text, toks[k]))
				score += 2;
			json_array_foreach(tags, j, t)
				if (!strcasecmp(json_string_value(t), toks[k])) {
					score += 1;
					break;
				}
		}
		if (score)
			hits[nh++] = (struct hit){ score, i };
	}
	qsort(hits, nh, sizeof(*hits), cmp_hit);
	out = json_array();
	for (i = 0; i < nh && i < limit; i++) {
		json_t *r = json_deep_copy(json_array_get(m->entries, hits[i].idx));

		json_object_set_new(r, "score", json_integer(hits[i].score));
		json_array_append_new(out, r);
	}
	pthread_mutex_unlock(&m->mu);
	free(hits);
	*results = out;
	return 0;
}
