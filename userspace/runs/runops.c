// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "context.h"
#include "fsutil.h"
#include "pack.h"
#include "run.h"
#include "psync.h"
#include "runops.h"

#define MAX_OPEN_RUNS	64
#define READ_DEFAULT	100
#define READ_MAX	1000

struct open_run {
	struct aios_run *run;
	enum aios_fsync_policy policy;	/* the run's own (run.json) */
	uint64_t owner;
	uint64_t used;		/* LRU tick */
	uint64_t dropped_seen;	/* ledger's dropped_records already reported */
};

struct aios_runops {
	char *state;
	enum aios_fsync_policy policy;
	int deferred;
	/*
	 * A deferred sync that failed outside aios_runops_sync() (a run
	 * closed to free its slot): its unsynced records were removed, so
	 * the round's replies must not go out.  Reported (and cleared) by
	 * the next aios_runops_sync().
	 */
	int sync_err;
	char sync_msg[sizeof(((struct aios_rerr *)0)->msg)];
	const struct aios_ledger_io *io;
	size_t max_inline_pack;
	struct aios_ctx *ctx;
	struct open_run runs[MAX_OPEN_RUNS];
	uint64_t tick;
};

static const char *const prefixes[] = { "run.", "workset.", "ledger.",
	"episode.", "ltm.", "pack.", "context.", NULL };

int aios_runops_owns(const char *op)
{
	for (const char *const *p = prefixes; *p; p++)
		if (!strncmp(op, *p, strlen(*p)))
			return 1;
	return 0;
}

int aios_runops_open(const struct aios_runops_opts *opts, struct aios_runops **out,
		     struct aios_rerr *e)
{
	struct aios_runops *o = calloc(1, sizeof(*o));
	char dir[PATH_MAX];
	int rc;

	if (!o)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	o->state = strdup(opts->state_dir);
	o->policy = opts->policy;
	o->deferred = opts->deferred_sync;
	o->io = opts->io;
	o->max_inline_pack = opts->max_inline_pack ? opts->max_inline_pack : (2u << 20);
	snprintf(dir, sizeof(dir), "%s/runs", opts->state_dir);
	rc = aios_mkdir_p(dir, e);
	snprintf(dir, sizeof(dir), "%s/contexts", opts->state_dir);
	if (!rc)
		rc = aios_ctx_open(dir, opts->models_path, &o->ctx, e);
	if (rc) {
		aios_runops_close(o);
		return rc;
	}
	*out = o;
	return 0;
}

void aios_runops_set_policy(struct aios_runops *o, enum aios_fsync_policy p)
{
	if (o)
		o->policy = p;
}

void aios_runops_close(struct aios_runops *o)
{
	if (!o)
		return;
	aios_runops_sync(o, NULL);
	for (int i = 0; i < MAX_OPEN_RUNS; i++)
		aios_run_close(o->runs[i].run);
	aios_ctx_close(o->ctx);
	free(o->state);
	free(o);
}

/* ---- request fields ------------------------------------------------------ */

static int check_fields(json_t *req, const char *const *allowed, struct aios_rerr *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(req, k, v) {
		int ok = !strcmp(k, "v") || !strcmp(k, "id") || !strcmp(k, "op");

		for (const char *const *a = allowed; !ok && *a; a++)
			ok = !strcmp(k, *a);
		if (!ok)
			return aios_rerr_set(e, EINVAL, "unknown field \"%.64s\"", k);
	}
	return 0;
}

static int get_str(json_t *req, const char *name, int required, const char **out,
		   struct aios_rerr *e)
{
	json_t *v = json_object_get(req, name);

	*out = NULL;
	if (!v) {
		if (required)
			return aios_rerr_set(e, EINVAL, "field \"%s\" is required", name);
		return 0;
	}
	if (!json_is_string(v))
		return aios_rerr_set(e, EINVAL, "field \"%s\" must be a string", name);
	*out = json_string_value(v);
	return 1;
}

static int get_u64(json_t *req, const char *name, int required, uint64_t *out,
		   struct aios_rerr *e)
{
	json_t *v = json_object_get(req, name);

	if (!v) {
		if (required)
			return aios_rerr_set(e, EINVAL, "field \"%s\" is required", name);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return aios_rerr_set(e, EINVAL, "field \"%s\" must be a non-negative integer",
				     name);
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

/* ---- runs ------------------------------------------------------------------ */

static uint64_t run_meta(const char *state, const char *id,
			 enum aios_fsync_policy *policy)
{
	char p[PATH_MAX + 100], *text;
	size_t len;
	json_t *m;
	uint64_t owner = 0;

	snprintf(p, sizeof(p), "%s/runs/%s/run.json", state, id);
	if (aios_read_file(p, 65536, &text, &len, NULL))
		return 0;
	m = json_loadb(text, len, 0, NULL);
	free(text);
	owner = (uint64_t)json_integer_value(json_object_get(m, "agent"));
	if (policy && aios_fsync_policy_parse(json_string_value(json_object_get(m, "fsync")),
					      policy))
		*policy = AIOS_LEDGER_FSYNC_ALWAYS;
	json_decref(m);
	return owner;
}

static uint64_t run_owner(const char *state, const char *id)
{
	return run_meta(state, id, NULL);
}

/* The policy the ledger is opened with: deferred mode syncs per round. */
static enum aios_fsync_policy open_policy(struct aios_runops *o,
					  enum aios_fsync_policy p)
{
	return o->deferred ? AIOS_LEDGER_FSYNC_NONE : p;
}

int aios_runops_unsynced(struct aios_runops *o)
{
	if (o->sync_err)
		return 1;
	for (int i = 0; i < MAX_OPEN_RUNS; i++) {
		struct aios_ledger_stats st;

		if (!o->runs[i].run || o->runs[i].policy == AIOS_LEDGER_FSYNC_NONE)
			continue;
		aios_ledger_get_stats(aios_run_ledger(o->runs[i].run), &st);
		if (st.records > st.durable_seq || st.dropped_records > o->runs[i].dropped_seen)
			return 1;
	}
	return 0;
}

/*
 * Did a sync made elsewhere (an episode's, a pack export's) fail since
 * the last round and remove records written this round?  The replies
 * for them are already queued as successes: report it like a failed
 * round sync so that none of them is sent.
 */
static int check_dropped(struct aios_runops *o, int i, struct aios_rerr *e)
{
	struct aios_ledger_stats st;
	uint64_t n;

	aios_ledger_get_stats(aios_run_ledger(o->runs[i].run), &st);
	if (st.dropped_records <= o->runs[i].dropped_seen)
		return 0;
	n = st.dropped_records - o->runs[i].dropped_seen;
	o->runs[i].dropped_seen = st.dropped_records;
	return aios_rerr_set(e, EIO,
			     "ledger of run \"%s\": a sync failed and %llu unsynced record%s removed; the appends are not acknowledged",
			     aios_run_id(o->runs[i].run), (unsigned long long)n,
			     n == 1 ? " was" : "s were");
}

int aios_runops_sync(struct aios_runops *o, struct aios_rerr *e)
{
	int rc = 0;

	if (o->sync_err) {
		rc = aios_rerr_set(e, -o->sync_err, "%s", o->sync_msg);
		o->sync_err = 0;
	}

	/* several ledgers to sync: overlap their fdatasyncs (psync.h); a
	 * failure shows in the loop below as dropped records */
	{
		struct aios_ledger *ls[MAX_OPEN_RUNS];
		size_t n = 0;

		for (int i = 0; i < MAX_OPEN_RUNS; i++) {
			struct aios_ledger_stats st;

			if (!o->runs[i].run || o->runs[i].policy == AIOS_LEDGER_FSYNC_NONE)
				continue;
			aios_ledger_get_stats(aios_run_ledger(o->runs[i].run), &st);
			if (st.records > st.durable_seq)
				ls[n++] = aios_run_ledger(o->runs[i].run);
		}
		if (n > 1)
			aios_ledgers_sync(ls, n, 16);
	}

	for (int i = 0; i < MAX_OPEN_RUNS; i++) {
		int r;

		if (!o->runs[i].run || o->runs[i].policy == AIOS_LEDGER_FSYNC_NONE)
			continue;
		r = aios_ledger_sync(aios_run_ledger(o->runs[i].run), rc ? NULL : e);
		if (r && !rc)
			rc = r;
		/* this sync's own failure is reported above: just account it */
		r = check_dropped(o, i, rc ? NULL : e);
		if (r && !rc)
			rc = r;
		/* records cut off: the working set must not keep its change */
		if (rc)
			aios_run_ws_resync(o->runs[i].run, NULL);
	}
	return rc;
}

static int slot_for(struct aios_runops *o)
{
	int best = 0;

	for (int i = 0; i < MAX_OPEN_RUNS; i++) {
		if (!o->runs[i].run)
			return i;
		if (o->runs[i].used < o->runs[best].used)
			best = i;
	}
	/* its unsynced records must not miss the round's sync */
	if (o->runs[best].policy != AIOS_LEDGER_FSYNC_NONE) {
		struct aios_rerr se = { 0 };
		int r = aios_ledger_sync(aios_run_ledger(o->runs[best].run), &se);

		if (!r)
			r = check_dropped(o, best, &se);
		if (r && !o->sync_err) {
			o->sync_err = r;
			snprintf(o->sync_msg, sizeof(o->sync_msg), "%s", se.msg);
		}
	}
	aios_run_close(o->runs[best].run);
	o->runs[best].run = NULL;
	return best;
}

/*
 * Another caller's run: refused with EPERM rather than hidden, so that a
 * client can tell "not yours" from "no such run" (run ids are names the
 * owner chose, not secrets; run.list shows only the caller's own).
 */
static int not_owner(const char *id, struct aios_rerr *e)
{
	return aios_rerr_set(e, EPERM,
			     "run \"%s\" belongs to another agent or user (its owner or an admin may use it)",
			     id);
}

/* The open run named by "run", if the caller may use it. */
static int get_run(struct aios_runops *o, const struct aios_runops_caller *who,
		   json_t *req, struct aios_run **out, struct aios_rerr *e)
{
	struct aios_run_opts ro = { .policy = o->policy, .io = o->io };
	enum aios_fsync_policy pol = o->policy;
	const char *id;
	int rc, slot;
	uint64_t owner;

	rc = get_str(req, "run", 1, &id, e);
	if (rc < 0)
		return rc;
	rc = aios_id_valid(id, "run id", e);
	if (rc)
		return rc;
	for (int i = 0; i < MAX_OPEN_RUNS; i++) {
		if (o->runs[i].run && !strcmp(aios_run_id(o->runs[i].run), id)) {
			if (o->runs[i].owner != who->ns && !who->admin)
				return not_owner(id, e);
			o->runs[i].used = ++o->tick;
			*out = o->runs[i].run;
			return 0;
		}
	}
	owner = run_meta(o->state, id, &pol);
	if (!owner)
		return aios_rerr_set(e, ENOENT, "no run \"%s\"", id);
	if (owner != who->ns && !who->admin)
		return not_owner(id, e);
	slot = slot_for(o);
	ro.policy = open_policy(o, pol);
	rc = aios_run_open(o->state, id, &ro, &o->runs[slot].run, NULL, e);
	if (rc)
		return rc;
	o->runs[slot].policy = pol;
	o->runs[slot].dropped_seen = 0;
	o->runs[slot].owner = owner;
	o->runs[slot].used = ++o->tick;
	*out = o->runs[slot].run;
	return 0;
}

static int op_run_create(struct aios_runops *o, const struct aios_runops_caller *who,
			 json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const f[] = { "run", "fsync", NULL };
	struct aios_run_opts ro = { .policy = o->policy, .io = o->io };
	enum aios_fsync_policy policy;
	const char *id = NULL, *pol = NULL;
	char out[AIOS_ID_MAX + 1];
	struct aios_run *r;
	int rc, slot;

	if ((rc = check_fields(req, f, e)) || (rc = get_str(req, "run", 0, &id, e)) < 0 ||
	    (rc = get_str(req, "fsync", 0, &pol, e)) < 0)
		return rc;
	if (pol && aios_fsync_policy_parse(pol, &ro.policy))
		return aios_rerr_set(e, EINVAL, "fsync must be \"always\", \"group\" or \"none\"");
	policy = ro.policy;
	ro.policy = open_policy(o, policy);
	rc = aios_run_create(o->state, id, who->ns, &ro, &r, out, e);
	if (rc)
		return rc;
	/* run.json records the run's own policy, not the deferred one */
	if (ro.policy != policy) {
		char meta[PATH_MAX + 16], *text;
		json_t *m = json_pack("{s:s, s:i, s:I, s:I, s:s}", "format", "aios-run",
				      "version", 1, "created_ns", (json_int_t)aios_now_ns(),
				      "agent", (json_int_t)who->ns, "fsync",
				      aios_fsync_policy_name(policy));

		text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(m);
		snprintf(meta, sizeof(meta), "%s/run.json", aios_run_dir(r));
		rc = aios_write_file_atomic(meta, text, strlen(text), 0600, e);
		free(text);
		if (rc) {
			aios_run_close(r);
			return rc;
		}
	}
	ro.policy = policy;
	slot = slot_for(o);
	o->runs[slot].run = r;
	o->runs[slot].policy = policy;
	o->runs[slot].dropped_seen = 0;
	o->runs[slot].owner = who->ns;
	o->runs[slot].used = ++o->tick;
	*res = json_pack("{s:s, s:s}", "run", out, "fsync", aios_fsync_policy_name(ro.policy));
	return 0;
}

/*
 * A caller namespace as JSON that every client can read: the raw value
 * (2^63 | uid for a uid) does not fit a JSON number that JavaScript or
 * a double keeps exactly.
 */
static json_t *owner_json(uint64_t ns)
{
	if (ns >> 63)
		return json_pack("{s:s, s:I}", "kind", "uid",
				 "uid", (json_int_t)(ns & ~(1ull << 63)));
	return json_pack("{s:s, s:I}", "kind", "agent", "agent", (json_int_t)ns);
}

static int op_run_list(struct aios_runops *o, const struct aios_runops_caller *who,
		       json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const f[] = { NULL };
	json_t *all, *mine, *x;
	size_t i;
	int rc;

	if ((rc = check_fields(req, f, e)) || (rc = aios_run_list(o->state, &all, e)))
		return rc;
	mine = json_array();
	json_array_foreach(all, i, x) {
		uint64_t ns = (uint64_t)json_integer_value(json_object_get(x, "agent"));

		if (who->admin || ns == who->ns) {
			json_object_set_new(x, "owner", owner_json(ns));
			json_array_append(mine, x);
		}
	}
	json_decref(all);
	*res = json_pack("{s:o}", "runs", mine);
	return 0;
}

static int op_run_show(struct aios_runops *o, const struct aios_runops_caller *who,
		       json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const f[] = { "run", NULL };
	struct aios_ledger_stats st;
	unsigned char h[32];
	char hh[AIOS_SHA256_HEX], dir[PATH_MAX + 16];
	struct aios_run *r;
	json_t *doc, *eps = NULL, *props = NULL;
	uint64_t seq, last;
	int rc;

	if ((rc = check_fields(req, f, e)) || (rc = get_run(o, who, req, &r, e)))
		return rc;
	aios_ledger_get_stats(aios_run_ledger(r), &st);
	aios_ledger_head(aios_run_ledger(r), &last, h);
	aios_hex(h, 32, hh);
	aios_ws_get(aios_run_ws(r), &doc, &seq);
	snprintf(dir, sizeof(dir), "%s/episodes", aios_run_dir(r));
	rc = aios_episode_list(dir, &eps, e);
	if (!rc)
		rc = aios_ltm_proposals(aios_run_ltm(r), &props, e);
	if (rc) {
		json_decref(doc);
		json_decref(eps);
		return rc;
	}
	*res = json_pack("{s:s, s:{s:I, s:I, s:I, s:s}, s:I, s:O, s:I, s:I, s:I}",
			 "run", aios_run_id(r),
			 "ledger", "records", (json_int_t)st.records,
			 "durable_seq", (json_int_t)st.durable_seq,
			 "bytes", (json_int_t)st.bytes, "head_hash", hh,
			 "workset_seq", (json_int_t)seq,
			 "status", json_object_get(doc, "status"),
			 "episodes", (json_int_t)json_array_size(eps),
			 "ltm_entries", (json_int_t)aios_ltm_count(aios_run_ltm(r)),
			 "ltm_proposals", (json_int_t)json_array_size(props));
	if (*res) {
		uint64_t owner = 0;

		for (int i = 0; i < MAX_OPEN_RUNS; i++)
			if (o->runs[i].run == r)
				owner = o->runs[i].owner;
		json_object_set_new(*res, "owner", owner_json(owner));
		json_object_set_new(*res, "objective", json_object_get(doc, "goal") ?
				    json_incref(json_object_get(doc, "goal")) : json_null());
	}
	if (*res)
		json_object_set_new(*res, "workset_recovery", json_pack("{s:s, s:s}",
			"action", aios_run_ws_report(r)->action,
			"detail", aios_run_ws_report(r)->detail));
	json_decref(doc);
	json_decref(eps);
	json_decref(props);
	return 0;
}

/* ---- working set --------------------------------------------------------- */

static int op_ws(struct aios_runops *o, const struct aios_runops_caller *who,
		 const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fg[] = { "run", NULL };
	static const char *const fp[] = { "run", "expected_seq", "doc", NULL };
	static const char *const fu[] = { "run", "expected_seq", "items", NULL };
	struct aios_run *r;
	uint64_t exp, seq;
	json_t *doc, *ev = NULL;
	int rc;

	if (!strcmp(op, "workset.get")) {
		if ((rc = check_fields(req, fg, e)) || (rc = get_run(o, who, req, &r, e)))
			return rc;
		/* a sync that failed elsewhere may have cut off its record */
		if ((rc = aios_run_ws_resync(r, e)))
			return rc;
		aios_ws_get(aios_run_ws(r), &doc, &seq);
		*res = json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "doc", doc);
		return 0;
	}
	if (!strcmp(op, "workset.put")) {
		if ((rc = check_fields(req, fp, e)) || (rc = get_u64(req, "expected_seq", 1, &exp, e)) < 0)
			return rc;
		if (!json_object_get(req, "doc"))
			return aios_rerr_set(e, EINVAL, "field \"doc\" is required");
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_run_ws_put(r, who->ns, exp, json_object_get(req, "doc"), &seq, e);
		if (!rc)
			*res = json_pack("{s:I}", "seq", (json_int_t)seq);
		return rc;
	}
	if (!strcmp(op, "workset.push")) {
		if ((rc = check_fields(req, fu, e)) || (rc = get_u64(req, "expected_seq", 1, &exp, e)) < 0)
			return rc;
		if (!json_object_get(req, "items"))
			return aios_rerr_set(e, EINVAL, "field \"items\" is required");
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_run_ws_push(r, who->ns, exp, json_object_get(req, "items"), &seq, &ev, e);
		if (!rc)
			*res = json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "evicted", ev);
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

/* ---- ledger ----------------------------------------------------------------- */

static json_t *rec_json(const struct aios_ledger_rec *r)
{
	char hh[AIOS_SHA256_HEX];
	json_t *j, *p = NULL;

	aios_hex(r->hash, 32, hh);
	j = json_pack("{s:I, s:I, s:I, s:o, s:s, s:s}", "seq", (json_int_t)r->seq,
		      "ts_ns", (json_int_t)r->ts_ns, "agent", (json_int_t)r->agent,
		      "by", owner_json(r->agent), "type", r->type, "hash", hh);
	if (r->payload_len)
		p = json_loadb((const char *)r->payload, r->payload_len,
			       JSON_DECODE_ANY, NULL);
	if (p || !r->payload_len) {
		json_object_set_new(j, "payload", p ? p : json_null());
	} else {
		char *b = malloc(4 * ((r->payload_len + 2) / 3) + 1);

		EVP_EncodeBlock((unsigned char *)b, r->payload, (int)r->payload_len);
		json_object_set_new(j, "payload_b64", json_string(b));
		free(b);
	}
	return j;
}

static int op_ledger(struct aios_runops *o, const struct aios_runops_caller *who,
		     const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fa[] = { "run", "type", "payload", NULL };
	static const char *const fr[] = { "run", "from", "limit", NULL };
	static const char *const fv[] = { "run", NULL };
	struct aios_run *r;
	int rc;

	if (!strcmp(op, "ledger.append")) {
		const char *type;
		char *text;
		uint64_t seq;

		if ((rc = check_fields(req, fa, e)) || (rc = get_str(req, "type", 1, &type, e)) < 0)
			return rc;
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		text = json_dumps(json_object_get(req, "payload") ? json_object_get(req, "payload") :
				  json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
		rc = aios_ledger_append(aios_run_ledger(r), type, who->ns, text, strlen(text),
					&seq, e);
		free(text);
		if (!rc)
			*res = json_pack("{s:I}", "seq", (json_int_t)seq);
		return rc;
	}
	if (!strcmp(op, "ledger.read")) {
		uint64_t from = 1, limit = READ_DEFAULT, last;
		json_t *recs;

		if ((rc = check_fields(req, fr, e)) || (rc = get_u64(req, "from", 0, &from, e)) < 0 ||
		    (rc = get_u64(req, "limit", 0, &limit, e)) < 0)
			return rc;
		if (!from || !limit || limit > READ_MAX)
			return aios_rerr_set(e, EINVAL, "from >= 1 and limit 1..%d", READ_MAX);
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		aios_ledger_head(aios_run_ledger(r), &last, NULL);
		recs = json_array();
		for (uint64_t s = from; s <= last && s < from + limit; s++) {
			struct aios_ledger_rec lr;

			rc = aios_ledger_read(aios_run_ledger(r), s, &lr, e);
			if (rc) {
				json_decref(recs);
				return rc;
			}
			json_array_append_new(recs, rec_json(&lr));
			aios_ledger_rec_free(&lr);
		}
		*res = json_pack("{s:o, s:I, s:b}", "records", recs, "last_seq", (json_int_t)last,
				 "more", from + limit <= last);
		return 0;
	}
	if (!strcmp(op, "ledger.verify")) {
		struct aios_ledger_verify v;
		struct aios_rerr ve = { 0 };
		char path[PATH_MAX + 100];
		const char *id;
		uint64_t owner;

		if ((rc = check_fields(req, fv, e)) || (rc = get_str(req, "run", 1, &id, e)) < 0 ||
		    (rc = aios_id_valid(id, "run id", e)))
			return rc;
		owner = run_owner(o->state, id);
		if (!owner)
			return aios_rerr_set(e, ENOENT, "no run \"%s\"", id);
		if (owner != who->ns && !who->admin)
			return not_owner(id, e);
		/* read-only walk first: works on a ledger too damaged to open */
		snprintf(path, sizeof(path), "%s/runs/%s/ledger.log", o->state, id);
		rc = aios_ledger_verify_file(path, &v, &ve);
		if (rc == -EBADMSG) {
			*res = json_pack("{s:b, s:I, s:I, s:I, s:s}", "intact", 0,
					 "records", (json_int_t)v.records,
					 "bad_seq", (json_int_t)v.bad_seq,
					 "bad_offset", (json_int_t)v.bad_offset,
					 "error", ve.msg);
			return 0;
		}
		if (rc)
			return aios_rerr_set(e, rc, "%s", ve.msg);
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_run_verify(r, res, e);
		if (rc == -EBADMSG && *res) {
			/* a finding, not a failure of the request */
			return 0;
		}
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

/* ---- episodes and memory ------------------------------------------------------ */

static int op_episode(struct aios_runops *o, const struct aios_runops_caller *who,
		      const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fc[] = { "run", "name", "note", NULL };
	static const char *const fl[] = { "run", NULL };
	static const char *const fs[] = { "run", "name", NULL };
	char dir[PATH_MAX + 16], sha[AIOS_SHA256_HEX];
	const char *name, *note;
	struct aios_run *r;
	json_t *x;
	int rc;

	if (!strcmp(op, "episode.create")) {
		if ((rc = check_fields(req, fc, e)) || (rc = get_str(req, "name", 1, &name, e)) < 0 ||
		    (rc = get_str(req, "note", 0, &note, e)) < 0 ||
		    (rc = get_run(o, who, req, &r, e)))
			return rc;
		return aios_run_episode(r, who->ns, name, note, res, e);
	}
	if (!strcmp(op, "episode.list")) {
		if ((rc = check_fields(req, fl, e)) || (rc = get_run(o, who, req, &r, e)))
			return rc;
		snprintf(dir, sizeof(dir), "%s/episodes", aios_run_dir(r));
		rc = aios_episode_list(dir, &x, e);
		if (!rc)
			*res = json_pack("{s:o}", "episodes", x);
		return rc;
	}
	if (!strcmp(op, "episode.show")) {
		if ((rc = check_fields(req, fs, e)) || (rc = get_str(req, "name", 1, &name, e)) < 0 ||
		    (rc = get_run(o, who, req, &r, e)))
			return rc;
		snprintf(dir, sizeof(dir), "%s/episodes", aios_run_dir(r));
		rc = aios_episode_show(dir, name, &x, sha, e);
		if (!rc)
			*res = json_pack("{s:o, s:s}", "episode", x, "sha256", sha);
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

static int op_ltm(struct aios_runops *o, const struct aios_runops_caller *who,
		  const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fp[] = { "run", "facts", NULL };
	static const char *const fc[] = { "run", "proposal", "episode", NULL };
	static const char *const fd[] = { "run", "proposal", NULL };
	static const char *const fl[] = { "run", NULL };
	static const char *const fs[] = { "run", "query", "scope", "limit", NULL };
	const char *prop, *ep, *q, *scope;
	char id[AIOS_ID_MAX + 1];
	struct aios_run *r;
	uint64_t limit = 20;
	size_t n;
	json_t *x;
	int rc;

	if (!strcmp(op, "ltm.propose")) {
		if ((rc = check_fields(req, fp, e)) || (rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_ltm_propose(aios_run_ltm(r), json_object_get(req, "facts"), id, e);
		if (!rc)
			*res = json_pack("{s:s}", "proposal", id);
		return rc;
	}
	if (!strcmp(op, "ltm.commit")) {
		if ((rc = check_fields(req, fc, e)) || (rc = get_str(req, "proposal", 1, &prop, e)) < 0 ||
		    (rc = get_str(req, "episode", 1, &ep, e)) < 0 || (rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_run_ltm_commit(r, who->ns, prop, ep, &n, e);
		if (!rc)
			*res = json_pack("{s:I}", "committed", (json_int_t)n);
		return rc;
	}
	if (!strcmp(op, "ltm.discard")) {
		if ((rc = check_fields(req, fd, e)) || (rc = get_str(req, "proposal", 1, &prop, e)) < 0 ||
		    (rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_ltm_discard(aios_run_ltm(r), prop, e);
		if (!rc)
			*res = json_object();
		return rc;
	}
	if (!strcmp(op, "ltm.proposals")) {
		if ((rc = check_fields(req, fl, e)) || (rc = get_run(o, who, req, &r, e)))
			return rc;
		rc = aios_ltm_proposals(aios_run_ltm(r), &x, e);
		if (!rc)
			*res = json_pack("{s:o}", "proposals", x);
		return rc;
	}
	if (!strcmp(op, "ltm.search")) {
		if ((rc = check_fields(req, fs, e)) || (rc = get_str(req, "query", 1, &q, e)) < 0 ||
		    (rc = get_str(req, "scope", 0, &scope, e)) < 0 ||
		    (rc = get_u64(req, "limit", 0, &limit, e)) < 0 || (rc = get_run(o, who, req, &r, e)))
			return rc;
		if (!limit || limit > 1000)
			return aios_rerr_set(e, EINVAL, "limit must be 1..1000");
		rc = aios_ltm_search(aios_run_ltm(r), q, scope, (size_t)limit, &x, e);
		if (!rc)
			*res = json_pack("{s:o}", "results", x);
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

/* ---- packs ------------------------------------------------------------------- */

static int op_pack(struct aios_runops *o, const struct aios_runops_caller *who,
		   const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fe[] = { "run", "path", NULL };
	static const char *const fi[] = { "path", "data_b64", "as", NULL };
	char tmp[PATH_MAX], id[AIOS_ID_MAX + 1], rnd[40];
	const char *path, *data, *as;
	struct aios_run *r;
	json_t *man = NULL;
	int rc;

	if (!strcmp(op, "pack.export")) {
		char *buf;
		size_t len;

		if ((rc = check_fields(req, fe, e)) || (rc = get_str(req, "path", 0, &path, e)) < 0)
			return rc;
		if (path && !who->admin)
			return aios_rerr_set(e, EPERM,
					     "writing a pack to a path of aiosd's file system needs admin; omit \"path\" to get it inline");
		if (path && path[0] != '/')
			return aios_rerr_set(e, EINVAL, "\"path\" must be absolute");
		if ((rc = get_run(o, who, req, &r, e)))
			return rc;
		if (path) {
			rc = aios_pack_export(r, path, &man, e);
			if (!rc)
				*res = json_pack("{s:s, s:o}", "path", path, "manifest", man);
			return rc;
		}
		aios_id_random("export-", rnd, sizeof(rnd));
		snprintf(tmp, sizeof(tmp), "%s/%s.tmp", o->state, rnd);
		rc = aios_pack_export(r, tmp, &man, e);
		if (!rc)
			rc = aios_read_file(tmp, o->max_inline_pack, &buf, &len, e);
		unlink(tmp);
		if (rc) {
			json_decref(man);
			if (rc == -EFBIG)
				return aios_rerr_set(e, EFBIG,
						     "the pack is larger than %zu bytes: export it to a path (admin)",
						     o->max_inline_pack);
			return rc;
		}
		{
			char *b = malloc(4 * ((len + 2) / 3) + 1);

			EVP_EncodeBlock((unsigned char *)b, (unsigned char *)buf, (int)len);
			*res = json_pack("{s:s, s:I, s:o}", "data_b64", b, "size", (json_int_t)len,
					 "manifest", man);
			free(b);
		}
		free(buf);
		return 0;
	}
	if (!strcmp(op, "pack.import")) {
		if ((rc = check_fields(req, fi, e)) || (rc = get_str(req, "path", 0, &path, e)) < 0 ||
		    (rc = get_str(req, "data_b64", 0, &data, e)) < 0 ||
		    (rc = get_str(req, "as", 0, &as, e)) < 0)
			return rc;
		if (!!path == !!data)
			return aios_rerr_set(e, EINVAL, "give \"path\" or \"data_b64\"");
		if (path && !who->admin)
			return aios_rerr_set(e, EPERM,
					     "reading a pack from aiosd's file system needs admin; send it inline as \"data_b64\"");
		if (data) {
			size_t n = strlen(data);
			unsigned char *bin = malloc(n / 4 * 3 + 3);
			int bl;

			if (n % 4 || (bl = EVP_DecodeBlock(bin, (const unsigned char *)data, (int)n)) < 0) {
				free(bin);
				return aios_rerr_set(e, EINVAL, "\"data_b64\" is not valid base64");
			}
			if (n && data[n - 1] == '=')
				bl--;
			if (n > 1 && data[n - 2] == '=')
				bl--;
			aios_id_random("import-", rnd, sizeof(rnd));
			snprintf(tmp, sizeof(tmp), "%s/%s.tmp", o->state, rnd);
			rc = aios_write_file_atomic(tmp, bin, (size_t)bl, 0600, e);
			free(bin);
			if (rc)
				return rc;
			path = tmp;
		}
		rc = aios_pack_import(path, o->state, as, id, &man, e);
		if (data)
			unlink(tmp);
		if (rc)
			return rc;
		/* the imported run belongs to the importer */
		if (!rc) {
			char meta[PATH_MAX + 100], *text;
			size_t len;
			json_t *m;

			snprintf(meta, sizeof(meta), "%s/runs/%s/run.json", o->state, id);
			if (!aios_read_file(meta, 65536, &text, &len, NULL)) {
				m = json_loadb(text, len, 0, NULL);
				free(text);
				if (m && (uint64_t)json_integer_value(json_object_get(m, "agent")) != who->ns) {
					json_object_set_new(m, "agent", json_integer((json_int_t)who->ns));
					text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
					rc = aios_write_file_atomic(meta, text, strlen(text), 0600, e);
					free(text);
				}
				json_decref(m);
			}
		}
		if (!rc)
			*res = json_pack("{s:s, s:o}", "run", id, "manifest", man);
		else
			json_decref(man);
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

/* ---- contexts ------------------------------------------------------------------ */

static int session_arg(json_t *req, const char **s, struct aios_rerr *e)
{
	int rc = get_str(req, "session", 1, s, e);

	return rc < 0 ? rc : 0;
}

static int op_context(struct aios_runops *o, const struct aios_runops_caller *who,
		      const char *op, json_t *req, json_t **res, struct aios_rerr *e)
{
	static const char *const fc[] = { "messages", "model", "ttl_s", NULL };
	static const char *const fi[] = { "snapshot", NULL };
	static const char *const fn[] = { NULL };
	static const char *const fk[] = { "messages", "model", "budget", NULL };
	static const char *const ft[] = { "messages", "model", "budget", "keep_last", "reserve", NULL };
	static const char *const fbs[] = { "session", "limit", NULL };
	static const char *const fbc[] = { "session", "tokens", NULL };
	static const char *const fbg[] = { "session", NULL };
	const char *model = NULL, *sid;
	char id[AIOS_ID_MAX + 1];
	const char *sess;
	uint64_t ttl = 0, budget = 0, keep = 0, reserve = 0, n, lim, used;
	json_t *x, *msgs = json_object_get(req, "messages");
	int rc;

	if (!strcmp(op, "context.create")) {
		if ((rc = check_fields(req, fc, e)) || (rc = get_str(req, "model", 0, &model, e)) < 0 ||
		    (rc = get_u64(req, "ttl_s", 0, &ttl, e)) < 0)
			return rc;
		if (!msgs)
			return aios_rerr_set(e, EINVAL, "field \"messages\" is required");
		rc = aios_ctx_snapshot_create(o->ctx, who->ns, msgs, model, ttl, id, e);
		if (!rc)
			*res = json_pack("{s:s, s:I}", "snapshot", id,
					 "tokens", (json_int_t)aios_tokens_messages(msgs));
		return rc;
	}
	if (!strcmp(op, "context.restore") || !strcmp(op, "context.delete")) {
		if ((rc = check_fields(req, fi, e)) || (rc = get_str(req, "snapshot", 1, &sid, e)) < 0)
			return rc;
		if (!strcmp(op, "context.delete")) {
			rc = aios_ctx_snapshot_delete(o->ctx, who->ns, sid, e);
			if (!rc)
				*res = json_object();
			return rc;
		}
		rc = aios_ctx_snapshot_restore(o->ctx, who->ns, sid, &x, e);
		if (!rc)
			*res = json_pack("{s:o}", "snapshot", x);
		return rc;
	}
	if (!strcmp(op, "context.list")) {
		if ((rc = check_fields(req, fn, e)))
			return rc;
		rc = aios_ctx_snapshot_list(o->ctx, who->ns, &x, e);
		if (!rc)
			*res = json_pack("{s:o}", "snapshots", x);
		return rc;
	}
	if (!strcmp(op, "context.expire")) {
		size_t removed;

		if ((rc = check_fields(req, fn, e)))
			return rc;
		if (!who->admin)
			return aios_rerr_set(e, EPERM, "expiring every agent's snapshots needs admin");
		rc = aios_ctx_expire(o->ctx, &removed, e);
		if (!rc)
			*res = json_pack("{s:I}", "removed", (json_int_t)removed);
		return rc;
	}
	if (!strcmp(op, "context.models")) {
		if ((rc = check_fields(req, fn, e)))
			return rc;
		*res = json_pack("{s:o}", "models", aios_ctx_models(o->ctx));
		return 0;
	}
	if (!strcmp(op, "context.check") || !strcmp(op, "context.truncate")) {
		int trunc = !strcmp(op, "context.truncate");

		if ((rc = check_fields(req, trunc ? ft : fk, e)) ||
		    (rc = get_str(req, "model", 0, &model, e)) < 0 ||
		    (rc = get_u64(req, "budget", 0, &budget, e)) < 0 ||
		    (rc = get_u64(req, "keep_last", 0, &keep, e)) < 0 ||
		    (rc = get_u64(req, "reserve", 0, &reserve, e)) < 0)
			return rc;
		if (!msgs)
			return aios_rerr_set(e, EINVAL, "field \"messages\" is required");
		rc = aios_ctx_validate_messages(msgs, e);
		if (rc)
			return rc;
		if (model) {
			rc = aios_ctx_model_window(o->ctx, model, &n, e);
			if (rc)
				return rc;
			if (!budget || n < budget)
				budget = n;
		}
		if (!budget)
			return aios_rerr_set(e, EINVAL, "give \"model\" or \"budget\"");
		if (reserve >= budget)
			return aios_rerr_set(e, EINVAL, "reserve %" PRIu64 " leaves no room in %" PRIu64 " tokens",
					     reserve, budget);
		budget -= reserve;
		n = aios_tokens_messages(msgs);
		if (!trunc) {
			*res = json_pack("{s:I, s:I, s:b}", "tokens", (json_int_t)n,
					 "budget", (json_int_t)budget, "fits", n <= budget);
			return 0;
		}
		{
			struct aios_trunc t;

			rc = aios_ctx_truncate(msgs, budget, keep, &x, &t, e);
			if (!rc)
				*res = json_pack("{s:o, s:o, s:I, s:I, s:I}", "messages", x,
						 "dropped", t.dropped_idx,
						 "tokens_before", (json_int_t)t.tokens_before,
						 "tokens_after", (json_int_t)t.tokens_after,
						 "budget", (json_int_t)budget);
			return rc;
		}
	}
	if (!strcmp(op, "context.budget_set")) {
		if ((rc = check_fields(req, fbs, e)) || (rc = session_arg(req, &sess, e)) ||
		    (rc = get_u64(req, "limit", 1, &lim, e)) < 0)
			return rc;
		rc = aios_ctx_budget_set(o->ctx, who->ns, sess, lim, e);
		if (!rc)
			*res = json_object();
		return rc;
	}
	if (!strcmp(op, "context.budget_charge")) {
		uint64_t tokens, rem;

		if ((rc = check_fields(req, fbc, e)) || (rc = session_arg(req, &sess, e)) ||
		    (rc = get_u64(req, "tokens", 1, &tokens, e)) < 0)
			return rc;
		rc = aios_ctx_budget_charge(o->ctx, who->ns, sess, tokens, &rem, e);
		if (!rc)
			*res = json_pack("{s:I}", "remaining", (json_int_t)rem);
		return rc;
	}
	if (!strcmp(op, "context.budget_get")) {
		if ((rc = check_fields(req, fbg, e)) || (rc = session_arg(req, &sess, e)))
			return rc;
		rc = aios_ctx_budget_get(o->ctx, who->ns, sess, &lim, &used, e);
		if (!rc)
			*res = json_pack("{s:I, s:I, s:I}", "limit", (json_int_t)lim,
					 "used", (json_int_t)used, "remaining", (json_int_t)(lim - used));
		return rc;
	}
	return aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
}

int aios_runops_handle(struct aios_runops *o, const struct aios_runops_caller *who,
		       const char *op, json_t *req, json_t **result,
		       struct aios_rerr *e)
{
	json_t *res = NULL;
	int rc;

	*result = NULL;
	if (!json_is_object(req))
		return aios_rerr_set(e, EINVAL, "request must be a JSON object");
	if (!strcmp(op, "run.create"))
		rc = op_run_create(o, who, req, &res, e);
	else if (!strcmp(op, "run.list"))
		rc = op_run_list(o, who, req, &res, e);
	else if (!strcmp(op, "run.show"))
		rc = op_run_show(o, who, req, &res, e);
	else if (!strncmp(op, "workset.", 8))
		rc = op_ws(o, who, op, req, &res, e);
	else if (!strncmp(op, "ledger.", 7))
		rc = op_ledger(o, who, op, req, &res, e);
	else if (!strncmp(op, "episode.", 8))
		rc = op_episode(o, who, op, req, &res, e);
	else if (!strncmp(op, "ltm.", 4))
		rc = op_ltm(o, who, op, req, &res, e);
	else if (!strncmp(op, "pack.", 5))
		rc = op_pack(o, who, op, req, &res, e);
	else if (!strncmp(op, "context.", 8))
		rc = op_context(o, who, op, req, &res, e);
	else
		rc = aios_rerr_set(e, EOPNOTSUPP, "unknown operation \"%.64s\"", op);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*result = res ? res : json_object();
	return 0;
}
