// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "episode.h"

#define EP_MAX_BYTES (4u << 20)

static char *canon(const json_t *body)
{
	return json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
}

int aios_episode_create(const char *dir, const struct aios_episode_in *in,
			char sha_out[AIOS_SHA256_HEX], struct aios_rerr *e)
{
	char path[PATH_MAX], hh[AIOS_SHA256_HEX], wsh[AIOS_SHA256_HEX],
	     sha[AIOS_SHA256_HEX];
	json_t *body, *file;
	char *ws, *b, *text;
	int rc;

	rc = aios_id_valid(in->name, "episode name", e);
	if (rc)
		return rc;
	if (!in->workset || !in->ledger_hash)
		return aios_rerr_set(e, EINVAL, "episode needs a working set and a ledger position");
	if (snprintf(path, sizeof(path), "%s/%s.json", dir, in->name) >=
	    (int)sizeof(path))
		return aios_rerr_set(e, ENAMETOOLONG, "path too long");
	ws = canon(in->workset);
	if (!ws)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	aios_sha256_hex(ws, strlen(ws), wsh);
	free(ws);
	aios_hex(in->ledger_hash, 32, hh);
	body = json_pack("{s:s, s:I, s:I, s:s, s:I, s:O, s:s, s:s}",
			 "name", in->name,
			 "created_ns", (json_int_t)aios_now_ns(),
			 "ledger_seq", (json_int_t)in->ledger_seq,
			 "ledger_hash", hh,
			 "workset_seq", (json_int_t)in->workset_seq,
			 "workset", in->workset,
			 "workset_sha256", wsh,
			 "note", in->note ? in->note : "");
	if (!body)
		return aios_rerr_set(e, EINVAL, "cannot build episode (bad note text?)");
	b = canon(body);
	aios_sha256_hex(b, strlen(b), sha);
	free(b);
	file = json_pack("{s:s, s:i, s:o, s:s}", "format", "aios-episode",
			 "version", 1, "body", body, "sha256", sha);
	text = canon(file);
	json_decref(file);
	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	rc = aios_write_file_excl(path, text, strlen(text), 0444, e);
	free(text);
	if (rc == -EEXIST)
		return aios_rerr_set(e, EEXIST,
				     "episode \"%s\" already exists; episodes are immutable, pick a new name",
				     in->name);
	if (rc)
		return rc;
	if (sha_out)
		memcpy(sha_out, sha, AIOS_SHA256_HEX);
	return 0;
}

int aios_episode_check_text(const char *text, size_t len, const char *name,
			    json_t **body, char sha_out[AIOS_SHA256_HEX],
			    struct aios_rerr *e)
{
	char sha[AIOS_SHA256_HEX], *b;
	json_error_t je;
	json_t *f, *bd, *s, *nm;
	int ok;

	f = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!f)
		return aios_rerr_set(e, EBADMSG, "episode %s is not valid JSON: %s",
				     name, je.text);
	bd = json_object_get(f, "body");
	s = json_object_get(f, "sha256");
	if (!json_is_object(bd) || !json_is_string(s) ||
	    !json_is_string(json_object_get(f, "format")) ||
	    strcmp(json_string_value(json_object_get(f, "format")), "aios-episode")) {
		json_decref(f);
		return aios_rerr_set(e, EBADMSG, "episode %s is not an aios-episode file",
				     name);
	}
	b = canon(bd);
	aios_sha256_hex(b, strlen(b), sha);
	free(b);
	nm = json_object_get(bd, "name");
	ok = !strcmp(sha, json_string_value(s)) && json_is_string(nm) &&
	     !strcmp(json_string_value(nm), name);
	if (ok) {
		/* the working-set copy must match its recorded hash too */
		char wsh[AIOS_SHA256_HEX];
		json_t *wss = json_object_get(bd, "workset_sha256");

		b = canon(json_object_get(bd, "workset"));
		aios_sha256_hex(b ? b : "", b ? strlen(b) : 0, wsh);
		free(b);
		ok = json_is_string(wss) && !strcmp(wsh, json_string_value(wss));
	}
	if (!ok) {
		json_decref(f);
		return aios_rerr_set(e, EBADMSG,
				     "episode %s was modified: its content does not match its SHA-256",
				     name);
	}
	if (body)
		*body = json_incref(bd);
	if (sha_out)
		memcpy(sha_out, sha, AIOS_SHA256_HEX);
	json_decref(f);
	return 0;
}

int aios_episode_show(const char *dir, const char *name, json_t **body,
		      char sha_out[AIOS_SHA256_HEX], struct aios_rerr *e)
{
	char path[PATH_MAX], *text;
	size_t len;
	int rc;

	rc = aios_id_valid(name, "episode name", e);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	rc = aios_read_file(path, EP_MAX_BYTES, &text, &len, e);
	if (rc == -ENOENT)
		return aios_rerr_set(e, ENOENT, "no episode \"%s\"", name);
	if (rc)
		return rc;
	rc = aios_episode_check_text(text, len, name, body, sha_out, e);
	free(text);
	return rc;
}

static int cmp_ep(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t sx = json_integer_value(json_object_get(x, "ledger_seq"));
	json_int_t sy = json_integer_value(json_object_get(y, "ledger_seq"));

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

int aios_episode_list(const char *dir, json_t **list, struct aios_rerr *e)
{
	json_t **v = NULL, *out;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*list = json_array();
			return 0;
		}
		return aios_rerr_set(e, errno, "cannot read %s: %s", dir,
				     strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char name[AIOS_ID_MAX + 1], sha[AIOS_SHA256_HEX];
		json_t *body;

		if (l < 6 || l - 5 > AIOS_ID_MAX ||
		    strcmp(de->d_name + l - 5, ".json"))
			continue;
		memcpy(name, de->d_name, l - 5);
		name[l - 5] = 0;
		if (aios_id_valid(name, "episode name", NULL))
			continue;
		rc = aios_episode_show(dir, name, &body, sha, e);
		if (rc)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n++] = json_pack("{s:s, s:O, s:O, s:O, s:s, s:O}",
				   "name", name,
				   "created_ns", json_object_get(body, "created_ns"),
				   "ledger_seq", json_object_get(body, "ledger_seq"),
				   "workset_seq", json_object_get(body, "workset_seq"),
				   "sha256", sha,
				   "note", json_object_get(body, "note"));
		json_decref(body);
	}
	closedir(d);
	if (!rc) {
		if (n)
			qsort(v, n, sizeof(*v), cmp_ep);
		out = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(out, v[i]);
		*list = out;
	} else {
		for (size_t i = 0; i < n; i++)
			json_decref(v[i]);
	}
	free(v);
	return rc;
}
