// SPDX-License-Identifier: GPL-2.0
/*
 * /v1/runs...: runs, working sets, steps, milestones, episodes, long-term
 * memory, ledgers and resume packs, each an aiosd "run.*", "workset.*",
 * "ledger.*", "episode.*", "ltm.*" or "pack.*" operation made as the
 * request's principal (Documentation/runs.md has the model).
 */
#define _GNU_SOURCE
#include "httpd.h"
#include "../aiosd/base64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN (x->params[0])

/* Reject members of the body other than those listed; false after a 400. */
static bool only_fields(struct hreq *x, const char *const *allowed)
{
	const char *k;
	json_t *v;
	char d[200], path[120];

	json_object_foreach(x->json, k, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, k))
				ok = true;
		if (!ok) {
			snprintf(path, sizeof(path), "$.%.100s", k);
			snprintf(d, sizeof(d), "%s: unknown field", path);
			problem(x, 400, "Invalid request", d, path);
			return false;
		}
	}
	return true;
}

static bool bad_field(struct hreq *x, const char *field, const char *what)
{
	char d[240], path[120];

	snprintf(path, sizeof(path), "$.%s", field);
	snprintf(d, sizeof(d), "%s: %s", path, what);
	problem(x, 400, "Invalid request", d, path);
	return false;
}

/* Strip the protocol envelope from an aiosd reply. */
static json_t *strip(json_t *r)
{
	json_object_del(r, "v");
	json_object_del(r, "id");
	json_object_del(r, "ok");
	return r;
}

/* Call op with the run id and the given fields (stolen); reply to the client. */
static void simple(struct hreq *x, const char *op, json_t *fields, unsigned int status)
{
	json_t *req = json_pack("{s:s, s:s}", "op", op, "run", RUN), *r;

	if (req && fields)
		json_object_update(req, fields);
	json_decref(fields);
	if (xcall(x, req, &r))
		return;
	reply_json(x, status, strip(r));
}

/* ---- runs ---- */

static bool string_list(struct hreq *x, json_t *v, const char *field)
{
	size_t i;
	json_t *e;
	char p[64];

	if (!v)
		return true;
	if (!json_is_array(v) || json_array_size(v) > 256)
		return bad_field(x, field, "must be an array of at most 256 strings");
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || json_string_length(e) > 4096) {
			snprintf(p, sizeof(p), "%s[%zu]", field, i);
			return bad_field(x, p, "must be a string of at most 4096 bytes");
		}
	return true;
}

void h_runs_create(struct hreq *x)
{
	static const char *const fields[] = { "objective", "acceptance_criteria", "constraints",
					      "run", "fsync", NULL };
	json_t *obj = json_object_get(x->json, "objective");
	json_t *ac = json_object_get(x->json, "acceptance_criteria");
	json_t *cons = json_object_get(x->json, "constraints");
	json_t *runid = json_object_get(x->json, "run"), *fs = json_object_get(x->json, "fsync");
	json_t *req, *r, *doc, *vars;
	const char *id;
	int e;

	if (!only_fields(x, fields))
		return;
	if (!json_is_string(obj) || !json_string_length(obj) || json_string_length(obj) > 4096) {
		bad_field(x, "objective", "required: a string of 1..4096 bytes");
		return;
	}
	if (!string_list(x, ac, "acceptance_criteria"))
		return;
	if (cons && !json_is_object(cons) && !string_list(x, cons, "constraints"))
		return;
	if (runid && !json_is_string(runid)) {
		bad_field(x, "run", "must be a string (an identifier)");
		return;
	}
	if (fs && !json_is_string(fs)) {
		bad_field(x, "fsync", "must be \"always\", \"group\" or \"none\"");
		return;
	}
	req = json_pack("{s:s}", "op", "run.create");
	if (req && runid)
		json_object_set(req, "run", runid);
	if (req && fs)
		json_object_set(req, "fsync", fs);
	if (xcall(x, req, &r))
		return;
	id = json_string_value(json_object_get(r, "run"));
	if (!id) {
		json_decref(r);
		problem(x, 502, NULL, "aiosd's run.create reply has no run id", NULL);
		return;
	}
	vars = json_object();
	if (vars && ac)
		json_object_set(vars, "acceptance_criteria", ac);
	if (vars && cons)
		json_object_set(vars, "constraints", cons);
	doc = json_pack("{s:O, s:s, s:i, s:o}", "goal", obj, "status", "active", "step", 0,
			"vars", vars);
	req = json_pack("{s:s, s:s, s:i, s:o}", "op", "workset.put", "run", id, "expected_seq", 0,
			"doc", doc);
	{
		json_t *w;

		e = xcall(x, req, &w);
		if (e) {
			json_decref(r);
			return;
		}
		json_object_set(r, "ws_seq", json_object_get(w, "seq"));
		json_decref(w);
	}
	snprintf(x->location, sizeof(x->location), "/v1/runs/%s", id);
	reply_json(x, 201, strip(r));
}

void h_runs_list(struct hreq *x)
{
	json_t *r;

	if (xcall(x, json_pack("{s:s}", "op", "run.list"), &r))
		return;
	reply_json(x, 200, strip(r));
}

void h_run_show(struct hreq *x)
{
	json_t *r;

	if (xcall(x, json_pack("{s:s, s:s}", "op", "run.show", "run", RUN), &r))
		return;
	json_object_set_new(r, "run", json_string(RUN));
	reply_json(x, 200, strip(r));
}

/* ---- working set ---- */

/*
 * The hot path: aiosd's reply is passed through with its envelope ("v",
 * "id", "ok") cut out, the document neither decoded nor re-encoded.  RUN
 * is [A-Za-z0-9._-]+ (the router's check), so it needs no JSON escaping.
 */
/* Reply with aiosd's successful reply (body, members m) without its
 * envelope ("v", "id", "ok"); its "seq" is the ETag.  Frees body. */
static void reply_raw(struct hreq *x, char *body, size_t len, const struct json_member *m,
		      int nm)
{
	char *out, *o;

	/* the members kept, with fewer separators: never longer than body */
	out = malloc(len + 2);
	if (!out) {
		free(body);
		problem(x, 500, NULL, "out of memory", NULL);
		return;
	}
	o = out;
	*o++ = '{';
	for (int i = 0; i < nm; i++) {
		if (json_member_is(&m[i], "v") || json_member_is(&m[i], "id") ||
		    json_member_is(&m[i], "ok"))
			continue;
		if (json_member_is(&m[i], "seq") && m[i].vlen < 21 &&
		    strspn(m[i].val, "0123456789") >= m[i].vlen)
			snprintf(x->etag, sizeof(x->etag), "\"%.*s\"", (int)m[i].vlen, m[i].val);
		if (o != out + 1)
			*o++ = ',';
		memcpy(o, m[i].key - 1, m[i].klen + 2);
		o += m[i].klen + 2;
		*o++ = ':';
		memcpy(o, m[i].val, m[i].vlen);
		o += m[i].vlen;
	}
	*o++ = '}';
	*o++ = '\n';
	free(body);
	free(x->bytes);
	json_decref(x->out);
	x->out = NULL;
	x->bytes = out;
	x->nbytes = (size_t)(o - out);
	x->ctype = "application/json";
	x->problem = false;
	x->status = 200;
}

/*
 * The hot path: aiosd's reply is passed through with its envelope cut
 * out, the document neither decoded nor re-encoded.  RUN is
 * [A-Za-z0-9._-]+ (the router's check), so it needs no JSON escaping.
 */
void h_ws_get(struct hreq *x)
{
	struct json_member m[16];
	char fields[256], *body;
	size_t len;
	int nm;

	snprintf(fields, sizeof(fields), "\"op\":\"workset.get\",\"run\":\"%s\"", RUN);
	nm = xcall_raw(x, fields, &body, &len, m, 16);
	if (nm >= 0)
		reply_raw(x, body, len, m, nm);
}

/*
 * workset.put of a whole document, which is forwarded as the client
 * wrote it (jansson has already parsed the body: it is valid JSON without
 * duplicate keys), not re-encoded.  false when the body's text could not
 * be split (then the caller encodes the request).
 */
static bool ws_put_raw(struct hreq *x, json_int_t seq)
{
	struct json_member m[16], bm[8];
	char *fields, *body;
	const struct json_member *doc = NULL;
	size_t len;
	int nm = json_members(x->body, x->body_len, bm, 8);

	for (int i = 0; i < nm; i++)
		if (json_member_is(&bm[i], "doc"))
			doc = &bm[i];
	if (!doc)
		return false;
	fields = malloc(doc->vlen + 256);
	if (!fields) {
		problem(x, 500, NULL, "out of memory", NULL);
		return true;
	}
	len = (size_t)snprintf(fields, 256,
			       "\"op\":\"workset.put\",\"run\":\"%s\",\"expected_seq\":%lld,\"doc\":",
			       RUN, (long long)seq);
	memcpy(fields + len, doc->val, doc->vlen);
	fields[len + doc->vlen] = 0;
	nm = xcall_raw(x, fields, &body, &len, m, 16);
	free(fields);
	if (nm >= 0)
		reply_raw(x, body, len, m, nm);
	return true;
}

/* RFC 7396 JSON merge patch of target by patch (target modified). */
static json_t *merge_patch(json_t *target, json_t *patch)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch))
		return json_incref(patch);
	if (!json_is_object(target))
		target = json_object();
	else
		json_incref(target);
	json_object_foreach(patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(target, k);
		} else {
			json_t *m = merge_patch(json_object_get(target, k), v);

			json_object_set_new(target, k, m);
		}
	}
	return target;
}

static void stale(struct hreq *x, uint64_t cur, uint64_t expected)
{
	char d[160];

	snprintf(d, sizeof(d), "expected_seq %llu is stale: the working set is at seq %llu; re-read it and retry",
		 (unsigned long long)expected, (unsigned long long)cur);
	problem(x, 409, NULL, d, NULL);
	if (x->out) {
		json_object_set_new(x->out, "code", json_string("ESTALE"));
		json_object_set_new(x->out, "current_seq", json_integer((json_int_t)cur));
	}
}

/* The workset.put request for the current document merged with patch,
 * if the working set is still at seq; NULL after a problem (409). */
static json_t *patched(struct hreq *x, json_int_t seq, json_t *patch)
{
	json_t *cur, *merged;
	json_int_t curseq;

	if (xcall(x, json_pack("{s:s, s:s}", "op", "workset.get", "run", RUN), &cur))
		return NULL;
	curseq = json_integer_value(json_object_get(cur, "seq"));
	if (curseq != seq) {
		json_decref(cur);
		stale(x, (uint64_t)curseq, (uint64_t)seq);
		return NULL;
	}
	merged = merge_patch(json_object_get(cur, "doc"), patch);
	json_decref(cur);
	return json_pack("{s:s, s:s, s:I, s:o}", "op", "workset.put", "run", RUN,
			 "expected_seq", seq, "doc", merged);
}

/*
 * PATCH with a JSON merge patch (RFC 7396) as the body and the seq it is
 * based on in If-Match (the ETag of GET .../ws): "3", W/"3" or 3.
 */
void h_ws_patch(struct hreq *x)
{
	const char *im = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "If-Match");
	unsigned long long seq;
	json_t *req, *r;
	char *end;

	if (!im) {
		problem(x, 428, NULL, "PATCH needs If-Match with the working set's seq (the ETag of GET)", NULL);
		return;
	}
	if (!strncmp(im, "W/", 2))
		im += 2;
	if (*im == '"')
		im++;
	errno = 0;
	seq = strtoull(im, &end, 10);
	if (end == im || errno || (*end && strcmp(end, "\""))) {
		problem(x, 400, NULL, "If-Match must be the working set's seq, e.g. \"3\"", NULL);
		return;
	}
	req = patched(x, (json_int_t)seq, x->json);
	if (!req)
		return;
	if (xcall(x, req, &r)) {
		if (x->out && json_object_get(x->out, "path")) {
			const char *p = json_string_value(json_object_get(x->out, "path"));
			char np[240];

			snprintf(np, sizeof(np), "$%s", p + 1);
			json_object_set_new(x->out, "path", json_string(np));
		}
		return;
	}
	snprintf(x->etag, sizeof(x->etag), "\"%lld\"",
		 (long long)json_integer_value(json_object_get(r, "seq")));
	reply_json(x, 200, strip(r));
}

/* aiosd's validation paths are relative to the document: make the
 * problem's path relative to the body, where the document is field. */
static void doc_path(struct hreq *x, const char *field)
{
	const char *p;
	char np[240];

	if (!x->problem || !x->out || !json_object_get(x->out, "path"))
		return;
	p = json_string_value(json_object_get(x->out, "path"));
	snprintf(np, sizeof(np), "$.%s%s", field, p + 1);
	json_object_set_new(x->out, "path", json_string(np));
}

/*
 * Body: {"expected_seq": N, and one of "doc" (the whole document),
 * "patch" (a JSON merge patch, RFC 7396, applied to the current document)
 * or "items" (context items to push)}.  A stale expected_seq: 409 with
 * "current_seq".
 */
void h_ws_post(struct hreq *x)
{
	static const char *const fields[] = { "expected_seq", "doc", "patch", "items", NULL };
	json_t *es = json_object_get(x->json, "expected_seq");
	json_t *doc = json_object_get(x->json, "doc"), *patch = json_object_get(x->json, "patch");
	json_t *items = json_object_get(x->json, "items"), *req, *r;
	json_int_t seq;

	if (!only_fields(x, fields))
		return;
	if (!json_is_integer(es) || json_integer_value(es) < 0) {
		bad_field(x, "expected_seq", "required: the seq the change is based on (an integer >= 0)");
		return;
	}
	seq = json_integer_value(es);
	if (!!doc + !!patch + !!items != 1) {
		problem(x, 400, "Invalid request", "$: give exactly one of \"doc\", \"patch\" or \"items\"", "$");
		return;
	}
	if (items) {
		req = json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.push", "run", RUN,
				"expected_seq", seq, "items", items);
	} else if (doc && ws_put_raw(x, seq)) {
		doc_path(x, "doc");
		return;
	} else if (doc) {
		req = json_pack("{s:s, s:s, s:I, s:O}", "op", "workset.put", "run", RUN,
				"expected_seq", seq, "doc", doc);
	} else {
		if (!json_is_object(patch)) {
			bad_field(x, "patch", "must be an object (a JSON merge patch)");
			return;
		}
		req = patched(x, seq, patch);
		if (!req)
			return;
	}
	if (xcall(x, req, &r)) {
		if (doc || patch)
			doc_path(x, doc ? "doc" : "patch");
		return;
	}
	snprintf(x->etag, sizeof(x->etag), "\"%lld\"",
		 (long long)json_integer_value(json_object_get(r, "seq")));
	reply_json(x, 200, strip(r));
}

/* ---- ledger, steps, milestones, episodes ---- */

void h_steps_post(struct hreq *x)
{
	static const char *const fields[] = { "type", "payload", NULL };
	json_t *type = json_object_get(x->json, "type"), *payload = json_object_get(x->json, "payload");
	json_t *f;

	if (!only_fields(x, fields))
		return;
	if (type && !json_is_string(type)) {
		bad_field(x, "type", "must be a string (1..64 printable ASCII characters)");
		return;
	}
	f = json_pack("{s:s}", "type", type ? json_string_value(type) : "step");
	if (f && payload)
		json_object_set(f, "payload", payload);
	simple(x, "ledger.append", f, 201);
}

void h_milestones_post(struct hreq *x)
{
	static const char *const fields[] = { "name", "note", NULL };
	json_t *name = json_object_get(x->json, "name"), *note = json_object_get(x->json, "note");
	json_t *f;

	if (!only_fields(x, fields))
		return;
	if (!json_is_string(name)) {
		bad_field(x, "name", "required: the episode's name (an identifier)");
		return;
	}
	if (note && !json_is_string(note)) {
		bad_field(x, "note", "must be a string");
		return;
	}
	f = json_pack("{s:O}", "name", name);
	if (f && note)
		json_object_set(f, "note", note);
	simple(x, "episode.create", f, 201);
}

void h_episodes_get(struct hreq *x)
{
	simple(x, "episode.list", NULL, 200);
}

void h_episode_get(struct hreq *x)
{
	simple(x, "episode.show", json_pack("{s:s}", "name", x->params[1]), 200);
}

void h_ledger_get(struct hreq *x)
{
	uint64_t after, limit;

	if (!query_u64(x, "after", 0, UINT64_MAX - 1, &after) ||
	    !query_u64(x, "limit", 100, 1000, &limit))
		return;
	if (!limit) {
		problem(x, 400, NULL, "query parameter \"limit\" must be 1..1000", NULL);
		return;
	}
	simple(x, "ledger.read", json_pack("{s:I, s:I}", "from", (json_int_t)(after + 1),
					   "limit", (json_int_t)limit), 200);
}

void h_ledger_verify(struct hreq *x)
{
	simple(x, "ledger.verify", NULL, 200);
}

/* ---- long-term memory ---- */

void h_ltm_propose(struct hreq *x)
{
	static const char *const fields[] = { "facts", NULL };
	json_t *facts = json_object_get(x->json, "facts");

	if (!only_fields(x, fields))
		return;
	if (!json_is_array(facts)) {
		bad_field(x, "facts", "required: an array of {\"text\", \"scope\", \"tags\"?}");
		return;
	}
	simple(x, "ltm.propose", json_pack("{s:O}", "facts", facts), 201);
}

void h_ltm_proposals(struct hreq *x)
{
	simple(x, "ltm.proposals", NULL, 200);
}

void h_ltm_commit(struct hreq *x)
{
	static const char *const fields[] = { "proposal", "episode", NULL };
	json_t *p = json_object_get(x->json, "proposal"), *e = json_object_get(x->json, "episode");

	if (!only_fields(x, fields))
		return;
	if (!json_is_string(p)) {
		bad_field(x, "proposal", "required: the proposal id (p-...)");
		return;
	}
	if (!json_is_string(e)) {
		bad_field(x, "episode", "required: the name of the milestone episode");
		return;
	}
	simple(x, "ltm.commit", json_pack("{s:O, s:O}", "proposal", p, "episode", e), 200);
}

/* ?q=&top_k=&scope=&status=committed|proposed */
void h_ltm_search(struct hreq *x)
{
	const char *q = query(x, "q"), *scope = query(x, "scope"), *status = query(x, "status");
	uint64_t top_k;
	json_t *f;

	if (!query_u64(x, "top_k", 20, 1000, &top_k))
		return;
	if (status && !strcmp(status, "proposed")) {
		simple(x, "ltm.proposals", NULL, 200);
		return;
	}
	if (status && strcmp(status, "committed")) {
		problem(x, 400, NULL, "query parameter \"status\" must be \"committed\" or \"proposed\"", NULL);
		return;
	}
	if (!q || !*q) {
		problem(x, 400, NULL, "query parameter \"q\" (the search text) is required", NULL);
		return;
	}
	if (!top_k) {
		problem(x, 400, NULL, "query parameter \"top_k\" must be 1..1000", NULL);
		return;
	}
	f = json_pack("{s:s, s:I}", "query", q, "limit", (json_int_t)top_k);
	if (f && scope)
		json_object_set_new(f, "scope", json_string(scope));
	simple(x, "ltm.search", f, 200);
}

/* ---- resume packs ---- */

void h_pack_export(struct hreq *x)
{
	const char *data;
	json_t *r;
	size_t n;
	long len;
	uint8_t *bin;

	if (x->json && json_object_size(x->json)) {
		problem(x, 400, "Invalid request", "$: this request takes no fields", "$");
		return;
	}
	if (xcall(x, json_pack("{s:s, s:s}", "op", "pack.export", "run", RUN), &r))
		return;
	data = json_string_value(json_object_get(r, "data_b64"));
	if (!data) {
		json_decref(r);
		problem(x, 502, NULL, "aiosd's pack.export reply has no data", NULL);
		return;
	}
	n = strlen(data);
	bin = malloc(n / 4 * 3 + 3);
	len = bin ? b64_decode(data, n, bin) : -ENOMEM;
	if (len < 0) {
		free(bin);
		json_decref(r);
		problem(x, 502, NULL, "aiosd's pack.export reply is not valid base64", NULL);
		return;
	}
	json_decref(r);
	x->bytes = (char *)bin;
	x->nbytes = (size_t)len;
	x->ctype = "application/gzip";
	x->status = 200;
	snprintf(x->disposition, sizeof(x->disposition),
		 "attachment; filename=\"%s.aios-pack.tar.gz\"", RUN);
}

/* Body: the pack (gzip).  ?as=ID imports under another run id. */
void h_pack_import(struct hreq *x)
{
	const char *as = query(x, "as");
	json_t *req, *r;
	char *b64;

	if (!x->body_len) {
		problem(x, 400, NULL, "the request body (the resume pack) is empty", NULL);
		return;
	}
	b64 = malloc(b64_enc_len(x->body_len) + 1);
	if (!b64) {
		problem(x, 500, NULL, "out of memory", NULL);
		return;
	}
	b64_encode(x->body, x->body_len, b64);
	req = json_pack("{s:s, s:s}", "op", "pack.import", "data_b64", b64);
	free(b64);
	if (req && as)
		json_object_set_new(req, "as", json_string(as));
	if (xcall(x, req, &r))
		return;
	snprintf(x->location, sizeof(x->location), "/v1/runs/%.200s",
		 json_string_value(json_object_get(r, "run")) ?: "");
	reply_json(x, 201, strip(r));
}
