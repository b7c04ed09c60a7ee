// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runs through a session with aiosd (Documentation/runs.md): create and
 * list runs, the working set with optimistic locking, the hash-chained
 * ledger, episodes, long-term memory and resume packs.  Documents and
 * payloads go in and come out as JSON text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* {"op": op, "run": run}; 0 or -errno. */
static int runreq(struct aios_session *s, const char *op, const char *run,
		  json_t **out)
{
	*out = NULL;
	if (!run || !*run)
		return aiosi_sfail(s, -EINVAL, "%s: no run id given", op);
	*out = aiosi_sreq(s, op);
	if (!*out)
		return -ENOMEM;
	if (aiosi_sset(s, *out, "run", json_string(run))) {
		json_decref(*out);
		*out = NULL;
		return aiosi_sfail(s, -EINVAL, "%s: run id \"%.64s\" is not UTF-8", op, run);
	}
	return 0;
}

/* Add optional string field (NULL: absent); consumes req on failure. */
static int optstr(struct aios_session *s, json_t **req, const char *field,
		  const char *val)
{
	if (!val)
		return 0;
	if (aiosi_sset(s, *req, field, json_string(val))) {
		json_decref(*req);
		*req = NULL;
		return aiosi_sfail(s, -EINVAL, "\"%s\" is not valid UTF-8", field);
	}
	return 0;
}

/* Add a JSON-text field parsed as type; consumes req on failure. */
static int jsonfield(struct aios_session *s, json_t **req, const char *op,
		     const char *field, const char *text, int type)
{
	char what[96];
	json_t *j;
	int err;

	snprintf(what, sizeof(what), "%s: %s", op, field);
	err = aiosi_sparse(s, what, text, type, &j);
	if (!err && json_object_set_new(*req, field, j))
		err = aiosi_sfail(s, -ENOMEM, "out of memory");
	if (err) {
		json_decref(*req);
		*req = NULL;
	}
	return err;
}

/* Call and hand back member field (NULL: the whole result) as JSON text. */
static int call_result(struct aios_session *s, json_t *req, const char *field,
		       char **json)
{
	json_t *rep = NULL;
	int err;

	if (json)
		*json = NULL;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sresult(s, rep, field, json);
	json_decref(rep);
	return err;
}

static uint64_t u64_of(json_t *obj, const char *field)
{
	json_int_t v = json_integer_value(json_object_get(obj, field));

	return v > 0 ? (uint64_t)v : 0;
}

/* ---- runs ----------------------------------------------------------- */

int aios_runs_create(struct aios_session *s, const char *run, const char *fsync,
		     char **run_id)
{
	json_t *req = aiosi_sreq(s, "run.create"), *rep = NULL;
	int err;

	if (run_id)
		*run_id = NULL;
	if (!req)
		return -ENOMEM;
	if ((err = optstr(s, &req, "run", run)) || (err = optstr(s, &req, "fsync", fsync)))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sstr(s, rep, "run", run_id);
	json_decref(rep);
	return err;
}

int aios_runs_list(struct aios_session *s, char **json)
{
	return call_result(s, aiosi_sreq(s, "run.list"), "runs", json);
}

int aios_runs_show(struct aios_session *s, const char *run, char **json)
{
	json_t *req;
	int err = runreq(s, "run.show", run, &req);

	return err ? err : call_result(s, req, NULL, json);
}

/* ---- working set ---------------------------------------------------- */

int aios_runs_workset_get(struct aios_session *s, const char *run,
			  uint64_t *seq, char **doc)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "workset.get", run, &req);

	if (doc)
		*doc = NULL;
	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		if (seq)
			*seq = u64_of(rep, "seq");
		err = aiosi_sresult(s, rep, "doc", doc);
	}
	json_decref(rep);
	return err;
}

/* ESTALE: *seq = the current seq from the error object. */
static void stale_seq(struct aios_session *s, json_t *rep, uint64_t *seq)
{
	if (seq)
		*seq = u64_of(json_object_get(rep, "error"), "current_seq");
	(void)s;
}

int aios_runs_workset_put(struct aios_session *s, const char *run,
			  uint64_t expected_seq, const char *doc, uint64_t *seq)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "workset.put", run, &req);

	if (err || (err = jsonfield(s, &req, "workset.put", "doc", doc, JSON_OBJECT)))
		return err;
	if (aiosi_sset(s, req, "expected_seq", json_integer((json_int_t)expected_seq))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err && seq)
		*seq = u64_of(rep, "seq");
	else if (err == -ESTALE)
		stale_seq(s, rep, seq);
	json_decref(rep);
	return err;
}

int aios_runs_workset_push(struct aios_session *s, const char *run,
			   uint64_t expected_seq, const char *items,
			   uint64_t *seq, char **evicted)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "workset.push", run, &req);

	if (evicted)
		*evicted = NULL;
	if (err || (err = jsonfield(s, &req, "workset.push", "items", items, JSON_ARRAY)))
		return err;
	if (aiosi_sset(s, req, "expected_seq", json_integer((json_int_t)expected_seq))) {
		json_decref(req);
		return -ENOMEM;
	}
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		if (seq)
			*seq = u64_of(rep, "seq");
		err = aiosi_sresult(s, rep, "evicted", evicted);
	} else if (err == -ESTALE) {
		stale_seq(s, rep, seq);
	}
	json_decref(rep);
	return err;
}

/* ---- ledger --------------------------------------------------------- */

int aios_runs_ledger_append(struct aios_session *s, const char *run,
			    const char *type, const char *payload, uint64_t *seq)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "ledger.append", run, &req);

	if (err || (err = optstr(s, &req, "type", type ? type : "")))
		return err;
	if (payload && (err = jsonfield(s, &req, "ledger.append", "payload", payload, -1)))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err && seq)
		*seq = u64_of(rep, "seq");
	json_decref(rep);
	return err;
}

int aios_runs_ledger_read(struct aios_session *s, const char *run,
			  uint64_t from, unsigned int limit, char **json)
{
	json_t *req;
	int err = runreq(s, "ledger.read", run, &req);

	if (json)
		*json = NULL;
	if (err)
		return err;
	if ((from && aiosi_sset(s, req, "from", json_integer((json_int_t)from))) ||
	    (limit && aiosi_sset(s, req, "limit", json_integer(limit)))) {
		json_decref(req);
		return -ENOMEM;
	}
	return call_result(s, req, NULL, json);
}

int aios_runs_ledger_verify(struct aios_session *s, const char *run, char **json)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "ledger.verify", run, &req);

	if (json)
		*json = NULL;
	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sresult(s, rep, NULL, json);
	if (!err && !json_is_true(json_object_get(rep, "intact")))
		err = aiosi_sfail(s, -EBADMSG,
				  "ledger.verify: the ledger of run %s is damaged at record %llu: %s",
				  run, (unsigned long long)u64_of(rep, "bad_seq"),
				  json_string_value(json_object_get(rep, "error")) ?: "no reason given");
	json_decref(rep);
	return err;
}

/* ---- episodes ------------------------------------------------------- */

int aios_runs_episode_create(struct aios_session *s, const char *run,
			     const char *name, const char *note, char **json)
{
	json_t *req;
	int err = runreq(s, "episode.create", run, &req);

	if (json)
		*json = NULL;
	if (err || (err = optstr(s, &req, "name", name ? name : "")) ||
	    (err = optstr(s, &req, "note", note)))
		return err;
	return call_result(s, req, NULL, json);
}

int aios_runs_episode_list(struct aios_session *s, const char *run, char **json)
{
	json_t *req;
	int err = runreq(s, "episode.list", run, &req);

	return err ? err : call_result(s, req, "episodes", json);
}

int aios_runs_episode_show(struct aios_session *s, const char *run,
			   const char *name, char **json)
{
	json_t *req;
	int err = runreq(s, "episode.show", run, &req);

	if (json)
		*json = NULL;
	if (err || (err = optstr(s, &req, "name", name ? name : "")))
		return err;
	return call_result(s, req, NULL, json);
}

/* ---- long-term memory ----------------------------------------------- */

int aios_runs_ltm_propose(struct aios_session *s, const char *run,
			  const char *facts, char **proposal)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "ltm.propose", run, &req);

	if (proposal)
		*proposal = NULL;
	if (err || (err = jsonfield(s, &req, "ltm.propose", "facts", facts, JSON_ARRAY)))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sstr(s, rep, "proposal", proposal);
	json_decref(rep);
	return err;
}

int aios_runs_ltm_commit(struct aios_session *s, const char *run,
			 const char *proposal, const char *episode,
			 uint64_t *committed)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "ltm.commit", run, &req);

	if (err || (err = optstr(s, &req, "proposal", proposal ? proposal : "")) ||
	    (err = optstr(s, &req, "episode", episode ? episode : "")))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err && committed)
		*committed = u64_of(rep, "committed");
	json_decref(rep);
	return err;
}

int aios_runs_ltm_discard(struct aios_session *s, const char *run,
			  const char *proposal)
{
	json_t *req;
	int err = runreq(s, "ltm.discard", run, &req);

	if (err || (err = optstr(s, &req, "proposal", proposal ? proposal : "")))
		return err;
	return aiosi_scall(s, req, NULL);
}

int aios_runs_ltm_proposals(struct aios_session *s, const char *run, char **json)
{
	json_t *req;
	int err = runreq(s, "ltm.proposals", run, &req);

	return err ? err : call_result(s, req, "proposals", json);
}

int aios_runs_ltm_search(struct aios_session *s, const char *run,
			 const char *query, const char *scope,
			 unsigned int limit, char **json)
{
	json_t *req;
	int err = runreq(s, "ltm.search", run, &req);

	if (json)
		*json = NULL;
	if (err || (err = optstr(s, &req, "query", query ? query : "")) ||
	    (err = optstr(s, &req, "scope", scope)))
		return err;
	if (limit && aiosi_sset(s, req, "limit", json_integer(limit))) {
		json_decref(req);
		return -ENOMEM;
	}
	return call_result(s, req, "results", json);
}

/* ---- resume packs --------------------------------------------------- */

int aios_runs_pack_export(struct aios_session *s, const char *run,
			  void **data, size_t *len, char **manifest)
{
	json_t *req, *rep = NULL;
	int err = runreq(s, "pack.export", run, &req);

	*data = NULL;
	*len = 0;
	if (manifest)
		*manifest = NULL;
	if (err)
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err) {
		err = aiosi_get_bytes(rep, "data", data, len);
		if (err)
			err = aiosi_sfail(s, -EPROTO, "pack.export: aiosd's reply carries no valid pack");
		else if ((uint64_t)*len != u64_of(rep, "size"))
			err = aiosi_sfail(s, -EPROTO, "pack.export: got %zu bytes, aiosd says %llu",
					  *len, (unsigned long long)u64_of(rep, "size"));
	}
	if (!err)
		err = aiosi_sresult(s, rep, "manifest", manifest);
	if (err) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	json_decref(rep);
	return err;
}

int aios_runs_pack_export_path(struct aios_session *s, const char *run,
			       const char *path, char **manifest)
{
	json_t *req;
	int err = runreq(s, "pack.export", run, &req);

	if (manifest)
		*manifest = NULL;
	if (err || (err = optstr(s, &req, "path", path ? path : "")))
		return err;
	return call_result(s, req, "manifest", manifest);
}

static int pack_import(struct aios_session *s, json_t *req, const char *as,
		       char **run_id, char **manifest)
{
	json_t *rep = NULL;
	int err;

	if (run_id)
		*run_id = NULL;
	if (manifest)
		*manifest = NULL;
	if ((err = optstr(s, &req, "as", as)))
		return err;
	err = aiosi_scall(s, req, &rep);
	if (!err)
		err = aiosi_sstr(s, rep, "run", run_id);
	if (!err)
		err = aiosi_sresult(s, rep, "manifest", manifest);
	if (err && run_id) {
		free(*run_id);
		*run_id = NULL;
	}
	json_decref(rep);
	return err;
}

int aios_runs_pack_import(struct aios_session *s, const void *data, size_t len,
			  const char *as, char **run_id, char **manifest)
{
	json_t *req;

	if (!data || !len)
		return aiosi_sfail(s, -EINVAL, "pack.import: no pack data given");
	req = aiosi_sreq(s, "pack.import");
	if (!req || aiosi_sset(s, req, "data_b64", aiosi_b64_json(data, len))) {
		json_decref(req);
		return -ENOMEM;
	}
	return pack_import(s, req, as, run_id, manifest);
}

int aios_runs_pack_import_path(struct aios_session *s, const char *path,
			       const char *as, char **run_id, char **manifest)
{
	json_t *req = aiosi_sreq(s, "pack.import");
	int err;

	if (!req)
		return -ENOMEM;
	if ((err = optstr(s, &req, "path", path ? path : "")))
		return err;
	return pack_import(s, req, as, run_id, manifest);
}
