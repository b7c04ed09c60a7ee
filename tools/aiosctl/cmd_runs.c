// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl run | ledger | episode | ltm | pack | context
 *
 * Runs and contexts (Documentation/runs.md) through aiosd's socket
 * ($AIOS_SOCKET, default /run/aios/aiosd.sock), or - with --state DIR or
 * $AIOS_STATE_DIR - directly on a state directory without the daemon
 * (the same operations, run in this process; for recovery and offline
 * inspection).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "fsutil.h"
#include "ledger.h"
#include "runops.h"
#include "table.h"

/* ---- transport: aiosd or a local state directory ------------------------ */

struct rconn {
	struct aiosd_client *cl;
	struct aios_runops *ops;
	struct aios_runops_caller who;
};

static const char *state_opt;

static int rconn_open(struct ctl *c, struct rconn *r)
{
	const char *state = state_opt ? state_opt : getenv("AIOS_STATE_DIR");
	struct aios_rerr e = { 0 };
	int rc;

	(void)c;
	memset(r, 0, sizeof(*r));
	if (state && *state) {
		struct aios_runops_opts o = { .state_dir = state,
					      .policy = AIOS_LEDGER_FSYNC_ALWAYS };

		r->who.ns = (1ull << 63) | getuid();
		r->who.admin = getuid() == 0;
		rc = aios_runops_open(&o, &r->ops, &e);
		if (rc) {
			fprintf(stderr, "aiosctl: state directory %s: %s\n", state, e.msg);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	rc = aiosd_connect(NULL, &r->cl);
	if (rc) {
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running? (or use --state DIR)\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET,
			strerror(-rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void rconn_close(struct rconn *r)
{
	if (r->cl)
		aiosd_close(r->cl);
	aios_runops_close(r->ops);
}

/* Send req (stolen); on success *reply is the reply object.  Errors are
 * printed; returns EXIT_OK or EXIT_FAIL. */
static int rcall(struct rconn *r, json_t *req, json_t **reply)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	int rc;

	*reply = NULL;
	if (r->ops) {
		struct aios_rerr e = { 0 };
		json_t *res;

		rc = aios_runops_handle(r->ops, &r->who, op, req, &res, &e);
		json_decref(req);
		if (rc) {
			fprintf(stderr, "aiosctl: %s\n", e.msg);
			if (rc == -ESTALE)
				fprintf(stderr, "aiosctl: current seq is %llu\n",
					(unsigned long long)e.cur_seq);
			return EXIT_FAIL;
		}
		*reply = res;
		return EXIT_OK;
	}
	rc = aiosd_call(r->cl, req, reply);
	json_decref(req);
	if (rc) {
		json_t *cur = json_object_get(json_object_get(*reply, "error"), "current_seq");

		fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(r->cl));
		if (cur)
			fprintf(stderr, "aiosctl: current seq is %lld\n",
				(long long)json_integer_value(cur));
		json_decref(*reply);
		*reply = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Run req and print the reply as JSON (-j) or with human(). */
static int exec_req(struct ctl *c, json_t *req, void (*human)(json_t *reply))
{
	struct rconn r;
	json_t *reply;
	int ret;

	if (!req)
		return ctl_usage(c, "bad arguments");
	ret = rconn_open(c, &r);
	if (ret) {
		json_decref(req);
		return ret;
	}
	ret = rcall(&r, req, &reply);
	rconn_close(&r);
	if (ret)
		return ret;
	if (c->json) {
		json_object_del(reply, "v");
		json_object_del(reply, "id");
		json_object_del(reply, "ok");
		return ctl_json_print(c, reply);
	}
	if (human)
		human(reply);
	json_decref(reply);
	return EXIT_OK;
}

/* JSON from an argument: inline ('[' or '{' first), "-" = stdin, or a file. */
static json_t *json_arg(struct ctl *c, const char *arg, const char *what)
{
	json_error_t je;
	json_t *j;

	if (arg[0] == '[' || arg[0] == '{')
		j = json_loads(arg, JSON_REJECT_DUPLICATES, &je);
	else if (!strcmp(arg, "-"))
		j = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
	else
		j = json_load_file(arg, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		ctl_usage(c, "%s: %s is not valid JSON: %s (line %d)", what, arg,
			  je.text, je.line);
	return j;
}

static void fmt_time(char *buf, size_t len, json_t *ns)
{
	time_t t = (time_t)(json_integer_value(ns) / 1000000000);
	struct tm tm;

	if (!json_integer_value(ns)) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_kv(json_t *reply)
{
	const char *k;
	json_t *v;

	json_object_foreach(reply, k, v) {
		char *s;

		if (!strcmp(k, "v") || !strcmp(k, "id") || !strcmp(k, "ok"))
			continue;
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (json_is_string(v))
			printf("%-14s %s\n", k, json_string_value(v));
		else
			printf("%-14s %s\n", k, s ? s : "?");
		free(s);
	}
}

/* An owner/agent namespace: agent id, or "uid N" for 2^63 | uid. */
static void fmt_agent(char *buf, size_t len, json_t *v)
{
	uint64_t a = (uint64_t)json_integer_value(v);

	if (a >> 63)
		snprintf(buf, len, "uid %llu", (unsigned long long)(a & ~(1ull << 63)));
	else
		snprintf(buf, len, "%llu", (unsigned long long)a);
}

static json_t *mkreq(const char *op)
{
	return json_pack("{s:s}", "op", op);
}

/* Parse the sub-command word and the rest. */
static int sub_parse(struct ctl *c, int argc, char **argv, const char *const *subs,
		     int nsubs, const char *help, int *sub)
{
	if (argc < 2) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (ctl_is_help(argv[1]))
		return CTL_HELP;	/* the caller prints it (HELP_OR) */
	*sub = ctl_match(argv[1], subs, nsubs);
	if (*sub == -2)
		return ctl_usage(c, "command \"%s\" is ambiguous", argv[1]);
	if (*sub < 0)
		return ctl_usage(c, "unknown command \"%s\"", argv[1]);
	return EXIT_OK;
}

#define HELP_OR(ret, help) do { \
	if ((ret) == CTL_HELP) { fputs(help, stdout); return EXIT_OK; } \
	if (ret) return ret; } while (0)

/* ---- run ---------------------------------------------------------------- */

static const char run_help[] =
"usage: aiosctl run create [ID] [--fsync always|group|none]\n"
"       aiosctl run list\n"
"       aiosctl run show RUN\n"
"       aiosctl run workset RUN\n"
"       aiosctl run put RUN EXPECTED_SEQ DOC       (DOC: JSON, a file or -)\n"
"       aiosctl run push RUN EXPECTED_SEQ ITEMS    (context items, JSON array)\n"
"\n"
"A run is one task of an agent: a working set, a hash-chained ledger,\n"
"episodes and long-term memory (Documentation/runs.md).  IDs are\n"
"1..64 characters of [A-Za-z0-9_-]; create generates one if none is given.\n"
"put and push use optimistic locking: a stale EXPECTED_SEQ fails and\n"
"prints the current seq.  All commands take --state DIR to work on a\n"
"state directory without aiosd (also $AIOS_STATE_DIR).\n";

static void h_created(json_t *r)
{
	printf("run %s created (fsync %s)\n", json_string_value(json_object_get(r, "run")),
	       json_string_value(json_object_get(r, "fsync")));
}

static void h_runs(json_t *r)
{
	static const char *const head[] = { "RUN", "AGENT", "FSYNC", "CREATED" };
	struct table *t = table_new(4, head);
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "runs"), i, x) {
		char ag[32], tm[64];
		const char *cells[4];

		fmt_agent(ag, sizeof(ag), json_object_get(x, "agent"));
		fmt_time(tm, sizeof(tm), json_object_get(x, "created_ns"));
		cells[0] = json_string_value(json_object_get(x, "id"));
		cells[1] = ag;
		cells[2] = json_string_value(json_object_get(x, "fsync")) ?: "-";
		cells[3] = tm;
		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static void h_doc(json_t *r)
{
	char *s = json_dumps(json_object_get(r, "doc"), JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("seq %lld\n%s\n", (long long)json_integer_value(json_object_get(r, "seq")), s);
	free(s);
}

static void h_seq(json_t *r)
{
	json_t *ev = json_object_get(r, "evicted");

	printf("seq %lld\n", (long long)json_integer_value(json_object_get(r, "seq")));
	if (ev && json_array_size(ev)) {
		char *s = json_dumps(ev, JSON_COMPACT);

		printf("evicted %s\n", s);
		free(s);
	}
}

int cmd_run(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "create", "list", "show", "workset", "put", "push" };
	const char *fsync = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "fsync", &fsync, NULL },
	};
	char *pos[3];
	int sub, npos, ret;
	uint64_t seq;
	json_t *req, *doc;

	ret = sub_parse(c, argc, argv, subs, 6, run_help, &sub);
	HELP_OR(ret, run_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, sub == 0 ? 2 : 1, pos, 3, &npos);
	HELP_OR(ret, run_help);
	switch (sub) {
	case 0:
		if (npos > 1)
			return ctl_usage(c, "run create takes at most one ID");
		req = mkreq("run.create");
		if (npos)
			json_object_set_new(req, "run", json_string(pos[0]));
		if (fsync)
			json_object_set_new(req, "fsync", json_string(fsync));
		return exec_req(c, req, h_created);
	case 1:
		if (npos)
			return ctl_usage(c, "unexpected argument \"%s\"", pos[0]);
		return exec_req(c, mkreq("run.list"), h_runs);
	case 2:
	case 3:
		if (npos != 1)
			return ctl_usage(c, "run %s needs one RUN", subs[sub]);
		req = mkreq(sub == 2 ? "run.show" : "workset.get");
		json_object_set_new(req, "run", json_string(pos[0]));
		return exec_req(c, req, sub == 2 ? print_kv : h_doc);
	default:
		if (npos != 3)
			return ctl_usage(c, "run %s needs RUN EXPECTED_SEQ %s", subs[sub],
					 sub == 4 ? "DOC" : "ITEMS");
		if (ctl_parse_u64(pos[1], &seq))
			return ctl_usage(c, "bad EXPECTED_SEQ \"%s\"", pos[1]);
		doc = json_arg(c, pos[2], sub == 4 ? "DOC" : "ITEMS");
		if (!doc)
			return EXIT_USAGE;
		req = json_pack("{s:s, s:s, s:I, s:o}", "op", sub == 4 ? "workset.put" : "workset.push",
				"run", pos[0], "expected_seq", (json_int_t)seq,
				sub == 4 ? "doc" : "items", doc);
		return exec_req(c, req, h_seq);
	}
}

/* ---- ledger --------------------------------------------------------------- */

static const char ledger_help[] =
"usage: aiosctl ledger append RUN TYPE [PAYLOAD]   (PAYLOAD: JSON, a file or -)\n"
"       aiosctl ledger show RUN [--from SEQ] [--limit N]\n"
"       aiosctl ledger verify RUN\n"
"       aiosctl ledger verify --file PATH\n"
"\n"
"The run ledger: append-only records, each with a CRC32C and a SHA-256\n"
"chain hash.  verify walks the whole chain (and the episodes anchored in\n"
"it) and names the first bad record; it exits 1 when anything is wrong.\n"
"--file verifies a ledger file directly, without aiosd.\n";

static void h_appended(json_t *r)
{
	printf("seq %lld\n", (long long)json_integer_value(json_object_get(r, "seq")));
}

static void h_records(json_t *r)
{
	static const char *const head[] = { "SEQ", "TIME", "AGENT", "TYPE", "PAYLOAD" };
	struct table *t = table_new(5, head);
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "records"), i, x) {
		char seq[32], ag[32], tm[64], *p;
		const char *cells[5];
		json_t *pl = json_object_get(x, "payload");

		snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(json_object_get(x, "seq")));
		fmt_agent(ag, sizeof(ag), json_object_get(x, "agent"));
		fmt_time(tm, sizeof(tm), json_object_get(x, "ts_ns"));
		p = pl ? json_dumps(pl, JSON_COMPACT | JSON_ENCODE_ANY) :
		    strdup("(binary)");
		if (p && strlen(p) > 60)
			strcpy(p + 57, "...");
		cells[0] = seq;
		cells[1] = tm;
		cells[2] = ag;
		cells[3] = json_string_value(json_object_get(x, "type"));
		cells[4] = p ? p : "";
		table_row(t, cells);
		free(p);
	}
	table_print(t, stdout);
	table_free(t);
	if (json_is_true(json_object_get(r, "more")))
		printf("(more: last seq %lld)\n", (long long)json_integer_value(json_object_get(r, "last_seq")));
}

static int verify_result(struct ctl *c, json_t *rep)
{
	int ok = json_is_true(json_object_get(rep, "intact"));

	if (c->json) {
		ctl_json_print(c, rep);
		return ok ? EXIT_OK : EXIT_FAIL;
	}
	if (ok) {
		printf("ledger OK: %lld records, chain intact", (long long)json_integer_value(json_object_get(rep, "records")));
		if (json_object_get(rep, "episodes"))
			printf(", %lld episode anchors checked",
			       (long long)json_integer_value(json_object_get(rep, "episodes")));
		if (json_integer_value(json_object_get(rep, "torn_bytes")))
			printf(", torn tail of %lld bytes (recovered at next open)",
			       (long long)json_integer_value(json_object_get(rep, "torn_bytes")));
		printf("\n");
	} else {
		printf("ledger BAD: first bad record %lld (after %lld good records): %s\n",
		       (long long)json_integer_value(json_object_get(rep, "bad_seq")),
		       (long long)json_integer_value(json_object_get(rep, "records")),
		       json_string_value(json_object_get(rep, "error")) ?: "?");
	}
	json_decref(rep);
	return ok ? EXIT_OK : EXIT_FAIL;
}

int cmd_ledger(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "append", "show", "verify" };
	const char *from = NULL, *limit = NULL, *file = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "from", &from, NULL },
		{ "limit", &limit, NULL },
		{ "file", &file, NULL },
	};
	char *pos[3];
	int sub, npos, ret;
	uint64_t v;
	json_t *req, *p;

	ret = sub_parse(c, argc, argv, subs, 3, ledger_help, &sub);
	HELP_OR(ret, ledger_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, 4, pos, 3, &npos);
	HELP_OR(ret, ledger_help);
	if ((from || limit) && sub != 1)
		return ctl_usage(c, "--from and --limit belong to ledger show");
	if (file && sub != 2)
		return ctl_usage(c, "--file belongs to ledger verify");
	switch (sub) {
	case 0:
		if (npos < 2)
			return ctl_usage(c, "ledger append needs RUN TYPE [PAYLOAD]");
		p = npos == 3 ? json_arg(c, pos[2], "PAYLOAD") : json_null();
		if (!p)
			return EXIT_USAGE;
		req = json_pack("{s:s, s:s, s:s, s:o}", "op", "ledger.append", "run", pos[0],
				"type", pos[1], "payload", p);
		return exec_req(c, req, h_appended);
	case 1:
		if (npos != 1)
			return ctl_usage(c, "ledger show needs one RUN");
		req = json_pack("{s:s, s:s}", "op", "ledger.read", "run", pos[0]);
		if (from) {
			if (ctl_parse_u64(from, &v) || !v) {
				json_decref(req);
				return ctl_usage(c, "bad --from \"%s\" (a seq >= 1)", from);
			}
			json_object_set_new(req, "from", json_integer((json_int_t)v));
		}
		if (limit) {
			if (ctl_parse_u64(limit, &v) || !v || v > 1000) {
				json_decref(req);
				return ctl_usage(c, "bad --limit \"%s\" (1..1000)", limit);
			}
			json_object_set_new(req, "limit", json_integer((json_int_t)v));
		}
		return exec_req(c, req, h_records);
	default:
		if (file) {
			struct aios_ledger_verify vr;
			struct aios_rerr e = { 0 };
			char hh[AIOS_SHA256_HEX];
			int rc;

			if (npos)
				return ctl_usage(c, "ledger verify --file takes no RUN");
			rc = aios_ledger_verify_file(file, &vr, &e);
			if (rc && rc != -EBADMSG) {
				fprintf(stderr, "aiosctl: %s\n", e.msg);
				return EXIT_FAIL;
			}
			aios_hex(vr.last_hash, 32, hh);
			p = json_pack("{s:b, s:I, s:I, s:I, s:s}", "intact", !rc,
				      "records", (json_int_t)vr.records,
				      "torn_bytes", (json_int_t)vr.torn_bytes,
				      "bytes", (json_int_t)vr.bytes, "last_hash", hh);
			if (rc) {
				json_object_set_new(p, "bad_seq", json_integer((json_int_t)vr.bad_seq));
				json_object_set_new(p, "bad_offset", json_integer((json_int_t)vr.bad_offset));
				json_object_set_new(p, "error", json_string(vr.reason));
			}
			return verify_result(c, p);
		}
		if (npos != 1)
			return ctl_usage(c, "ledger verify needs one RUN (or --file PATH)");
		{
			struct rconn r;
			json_t *reply;

			ret = rconn_open(c, &r);
			if (ret)
				return ret;
			ret = rcall(&r, json_pack("{s:s, s:s}", "op", "ledger.verify", "run", pos[0]),
				    &reply);
			rconn_close(&r);
			if (ret)
				return ret;
			json_object_del(reply, "v");
			json_object_del(reply, "id");
			json_object_del(reply, "ok");
			return verify_result(c, reply);
		}
	}
}

/* ---- episode -------------------------------------------------------------- */

static const char episode_help[] =
"usage: aiosctl episode create RUN NAME [--note TEXT]\n"
"       aiosctl episode list RUN\n"
"       aiosctl episode show RUN NAME\n"
"\n"
"Episodes are immutable milestone checkpoints of a run: a copy of the\n"
"working set and the ledger position, hash-referenced and anchored in the\n"
"ledger.  A name can be used once.\n";

static void h_episodes(json_t *r)
{
	static const char *const head[] = { "NAME", "LEDGER_SEQ", "WORKSET_SEQ", "CREATED", "SHA256" };
	struct table *t = table_new(5, head);
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "episodes"), i, x) {
		char ls[32], ws[32], tm[64], sh[20];
		const char *cells[5];

		snprintf(ls, sizeof(ls), "%lld", (long long)json_integer_value(json_object_get(x, "ledger_seq")));
		snprintf(ws, sizeof(ws), "%lld", (long long)json_integer_value(json_object_get(x, "workset_seq")));
		fmt_time(tm, sizeof(tm), json_object_get(x, "created_ns"));
		snprintf(sh, sizeof(sh), "%.16s", json_string_value(json_object_get(x, "sha256")) ?: "");
		cells[0] = json_string_value(json_object_get(x, "name"));
		cells[1] = ls;
		cells[2] = ws;
		cells[3] = tm;
		cells[4] = sh;
		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static void h_episode(json_t *r)
{
	char *s = json_dumps(json_object_get(r, "episode"), JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("sha256 %s\n%s\n", json_string_value(json_object_get(r, "sha256")), s);
	free(s);
}

int cmd_episode(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "create", "list", "show" };
	const char *note = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "note", &note, NULL },
	};
	char *pos[2];
	int sub, npos, ret;
	json_t *req;

	ret = sub_parse(c, argc, argv, subs, 3, episode_help, &sub);
	HELP_OR(ret, episode_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, 2, pos, 2, &npos);
	HELP_OR(ret, episode_help);
	if (note && sub)
		return ctl_usage(c, "--note belongs to episode create");
	if (npos != (sub == 1 ? 1 : 2))
		return ctl_usage(c, "episode %s needs %s", subs[sub], sub == 1 ? "RUN" : "RUN NAME");
	req = json_pack("{s:s, s:s}", "op", sub == 0 ? "episode.create" :
			sub == 1 ? "episode.list" : "episode.show", "run", pos[0]);
	if (sub != 1)
		json_object_set_new(req, "name", json_string(pos[1]));
	if (note)
		json_object_set_new(req, "note", json_string(note));
	return exec_req(c, req, sub == 0 ? print_kv : sub == 1 ? h_episodes : h_episode);
}

/* ---- ltm ------------------------------------------------------------------- */

static const char ltm_help[] =
"usage: aiosctl ltm propose RUN FACTS      (JSON array of {text, scope, tags})\n"
"       aiosctl ltm commit RUN PROPOSAL EPISODE\n"
"       aiosctl ltm discard RUN PROPOSAL   (asks for confirmation)\n"
"       aiosctl ltm proposals RUN\n"
"       aiosctl ltm search RUN QUERY [--scope SCOPE] [--limit N]\n"
"\n"
"Long-term memory: facts are proposed as a staged batch and become\n"
"searchable only when committed at a milestone (an existing episode).\n"
"Committed facts are immutable.\n";

static void h_results(json_t *r)
{
	static const char *const head[] = { "SCORE", "ID", "SCOPE", "EPISODE", "TEXT" };
	struct table *t = table_new(5, head);
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "results"), i, x) {
		char sc[16];
		const char *cells[5];

		snprintf(sc, sizeof(sc), "%lld", (long long)json_integer_value(json_object_get(x, "score")));
		cells[0] = sc;
		cells[1] = json_string_value(json_object_get(x, "id"));
		cells[2] = json_string_value(json_object_get(x, "scope"));
		cells[3] = json_string_value(json_object_get(x, "episode"));
		cells[4] = json_string_value(json_object_get(x, "text"));
		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static void h_proposals(json_t *r)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "proposals"), i, x)
		printf("%s  %zu facts\n", json_string_value(json_object_get(x, "id")),
		       json_array_size(json_object_get(x, "facts")));
}

int cmd_ltm(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "propose", "commit", "discard", "proposals", "search" };
	const char *scope = NULL, *limit = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "scope", &scope, NULL },
		{ "limit", &limit, NULL },
	};
	static const int need[] = { 2, 3, 2, 1, 2 };
	char *pos[3];
	int sub, npos, ret;
	uint64_t v;
	json_t *req, *facts;

	ret = sub_parse(c, argc, argv, subs, 5, ltm_help, &sub);
	HELP_OR(ret, ltm_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, 3, pos, 3, &npos);
	HELP_OR(ret, ltm_help);
	if ((scope || limit) && sub != 4)
		return ctl_usage(c, "--scope and --limit belong to ltm search");
	if (npos != need[sub])
		return ctl_usage(c, "ltm %s needs %d argument%s", subs[sub], need[sub],
				 need[sub] > 1 ? "s" : "");
	switch (sub) {
	case 0:
		facts = json_arg(c, pos[1], "FACTS");
		if (!facts)
			return EXIT_USAGE;
		req = json_pack("{s:s, s:s, s:o}", "op", "ltm.propose", "run", pos[0], "facts", facts);
		return exec_req(c, req, print_kv);
	case 1:
		req = json_pack("{s:s, s:s, s:s, s:s}", "op", "ltm.commit", "run", pos[0],
				"proposal", pos[1], "episode", pos[2]);
		return exec_req(c, req, print_kv);
	case 2:
		ret = ctl_confirm(c, "discard proposal %s of run %s", pos[1], pos[0]);
		if (ret)
			return ret;
		req = json_pack("{s:s, s:s, s:s}", "op", "ltm.discard", "run", pos[0],
				"proposal", pos[1]);
		ret = exec_req(c, req, NULL);
		if (!ret && !c->json)
			printf("proposal %s of run %s discarded\n", pos[1], pos[0]);
		return ret;
	case 3:
		req = json_pack("{s:s, s:s}", "op", "ltm.proposals", "run", pos[0]);
		return exec_req(c, req, h_proposals);
	default:
		req = json_pack("{s:s, s:s, s:s}", "op", "ltm.search", "run", pos[0], "query", pos[1]);
		if (scope)
			json_object_set_new(req, "scope", json_string(scope));
		if (limit) {
			if (ctl_parse_u64(limit, &v) || !v || v > 1000) {
				json_decref(req);
				return ctl_usage(c, "bad --limit \"%s\" (1..1000)", limit);
			}
			json_object_set_new(req, "limit", json_integer((json_int_t)v));
		}
		return exec_req(c, req, h_results);
	}
}

/* ---- pack ------------------------------------------------------------------- */

static const char pack_help[] =
"usage: aiosctl pack export RUN FILE\n"
"       aiosctl pack import FILE [--as ID]\n"
"\n"
"A resume pack is one portable archive of a run (working set, ledger,\n"
"episodes, long-term memory) with a manifest of SHA-256 hashes.  Import\n"
"verifies every hash and the ledger chain before anything is written, and\n"
"refuses absolute paths, '..', links and devices.  FILE is on this\n"
"machine; the pack travels inline over the socket.\n";

int cmd_pack(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "export", "import" };
	const char *as = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "as", &as, NULL },
	};
	struct aios_rerr e = { 0 };
	char *pos[2];
	int sub, npos, ret;

	ret = sub_parse(c, argc, argv, subs, 2, pack_help, &sub);
	HELP_OR(ret, pack_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, 2, pos, 2, &npos);
	HELP_OR(ret, pack_help);
	if (sub == 0) {
		struct rconn r;
		json_t *reply;
		const char *b64;
		unsigned char *bin;
		size_t n;
		int bl;

		if (as)
			return ctl_usage(c, "--as belongs to pack import");
		if (npos != 2)
			return ctl_usage(c, "pack export needs RUN FILE");
		ret = rconn_open(c, &r);
		if (ret)
			return ret;
		ret = rcall(&r, json_pack("{s:s, s:s}", "op", "pack.export", "run", pos[0]), &reply);
		rconn_close(&r);
		if (ret)
			return ret;
		b64 = json_string_value(json_object_get(reply, "data_b64"));
		n = b64 ? strlen(b64) : 0;
		bin = malloc(n / 4 * 3 + 3);
		bl = b64 ? EVP_DecodeBlock(bin, (const unsigned char *)b64, (int)n) : -1;
		if (bl >= 0 && n && b64[n - 1] == '=')
			bl--;
		if (bl >= 0 && n > 1 && b64[n - 2] == '=')
			bl--;
		if (bl < 0 || aios_write_file_atomic(pos[1], bin, (size_t)bl, 0600, &e)) {
			fprintf(stderr, "aiosctl: %s\n", bl < 0 ? "aiosd sent no valid pack" : e.msg);
			free(bin);
			json_decref(reply);
			return EXIT_FAIL;
		}
		free(bin);
		json_object_del(reply, "data_b64");
		if (c->json) {
			json_object_del(reply, "v");
			json_object_del(reply, "id");
			json_object_del(reply, "ok");
			json_object_set_new(reply, "file", json_string(pos[1]));
			return ctl_json_print(c, reply);
		}
		printf("exported run %s to %s (%d bytes, %zu files, %lld ledger records)\n", pos[0],
		       pos[1], bl, json_array_size(json_object_get(json_object_get(reply, "manifest"), "files")),
		       (long long)json_integer_value(json_object_get(json_object_get(
			       json_object_get(reply, "manifest"), "ledger"), "records")));
		json_decref(reply);
		return EXIT_OK;
	}
	if (npos != 1)
		return ctl_usage(c, "pack import needs FILE");
	{
		char *data, *b64;
		size_t len;
		json_t *req;

		if (aios_read_file(pos[0], 1u << 30, &data, &len, &e)) {
			fprintf(stderr, "aiosctl: %s\n", e.msg);
			return EXIT_FAIL;
		}
		b64 = malloc(4 * ((len + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)data, (int)len);
		free(data);
		req = json_pack("{s:s, s:s}", "op", "pack.import", "data_b64", b64);
		free(b64);
		if (as)
			json_object_set_new(req, "as", json_string(as));
		return exec_req(c, req, print_kv);
	}
}

/* ---- context ------------------------------------------------------------------ */

static const char context_help[] =
"usage: aiosctl context create MESSAGES [--model M] [--ttl SECONDS]\n"
"       aiosctl context list\n"
"       aiosctl context restore ID\n"
"       aiosctl context delete ID          (asks for confirmation)\n"
"       aiosctl context check MESSAGES (--model M | --budget N)\n"
"       aiosctl context truncate MESSAGES (--model M | --budget N) [--keep N] [--reserve N]\n"
"       aiosctl context models\n"
"       aiosctl context budget SESSION [--set N] [--charge N]\n"
"       aiosctl context expire             (admin: drop expired snapshots)\n"
"\n"
"Snapshots of your conversation (MESSAGES: a JSON array of {role,\n"
"content}, inline, a file or -), context-window checks per model with an\n"
"approximate token counter, truncation keeping the system prompt and the\n"
"most recent messages, and token budgets per session.\n";

static void h_snapshots(json_t *r)
{
	static const char *const head[] = { "ID", "MODEL", "TOKENS", "CREATED", "EXPIRES" };
	struct table *t = table_new(5, head);
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(r, "snapshots"), i, x) {
		char tk[32], cr[64], ex[64];
		const char *cells[5];

		snprintf(tk, sizeof(tk), "%lld", (long long)json_integer_value(json_object_get(x, "tokens")));
		fmt_time(cr, sizeof(cr), json_object_get(x, "created_ns"));
		fmt_time(ex, sizeof(ex), json_object_get(x, "expires_ns"));
		cells[0] = json_string_value(json_object_get(x, "id"));
		cells[1] = json_string_value(json_object_get(x, "model")) ?: "-";
		cells[2] = tk;
		cells[3] = cr;
		cells[4] = ex;
		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static void h_snapshot(json_t *r)
{
	char *s = json_dumps(json_object_get(json_object_get(r, "snapshot"), "messages"),
			     JSON_INDENT(2));

	printf("%s\n", s);
	free(s);
}

static void h_models(json_t *r)
{
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(r, "models"), k, v)
		printf("%-16s %lld\n", k, (long long)json_integer_value(v));
}

static void h_trunc(json_t *r)
{
	char *s = json_dumps(json_object_get(r, "messages"), JSON_INDENT(2));
	char *d = json_dumps(json_object_get(r, "dropped"), JSON_COMPACT);

	fprintf(stderr, "tokens %lld -> %lld (budget %lld), dropped messages %s\n",
		(long long)json_integer_value(json_object_get(r, "tokens_before")),
		(long long)json_integer_value(json_object_get(r, "tokens_after")),
		(long long)json_integer_value(json_object_get(r, "budget")), d);
	printf("%s\n", s);
	free(s);
	free(d);
}

int cmd_context(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "create", "list", "restore", "delete", "check",
					    "truncate", "models", "budget", "expire" };
	const char *model = NULL, *ttl = NULL, *budget = NULL, *keep = NULL, *reserve = NULL,
		   *set = NULL, *charge = NULL;
	const struct ctl_opt opts[] = {
		{ "state", &state_opt, NULL },
		{ "model", &model, NULL },
		{ "ttl", &ttl, NULL },
		{ "budget", &budget, NULL },
		{ "keep", &keep, NULL },
		{ "reserve", &reserve, NULL },
		{ "set", &set, NULL },
		{ "charge", &charge, NULL },
	};
	static const int need[] = { 1, 0, 1, 1, 1, 1, 0, 1, 0 };
	char *pos[2];
	int sub, npos, ret;
	uint64_t v;
	json_t *req, *m;

	ret = sub_parse(c, argc, argv, subs, 9, context_help, &sub);
	HELP_OR(ret, context_help);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts, 8, pos, 2, &npos);
	HELP_OR(ret, context_help);
	if (npos != need[sub])
		return ctl_usage(c, "context %s needs %s", subs[sub],
				 need[sub] ? "one argument" : "no arguments");
	if ((ttl && sub != 0) || (model && sub != 0 && sub != 4 && sub != 5) ||
	    (budget && sub != 4 && sub != 5) || ((keep || reserve) && sub != 5) ||
	    ((set || charge) && sub != 7))
		return ctl_usage(c, "option not valid for context %s", subs[sub]);
	switch (sub) {
	case 0:
	case 4:
	case 5:
		m = json_arg(c, pos[0], "MESSAGES");
		if (!m)
			return EXIT_USAGE;
		req = json_pack("{s:s, s:o}", "op", sub == 0 ? "context.create" :
				sub == 4 ? "context.check" : "context.truncate", "messages", m);
		if (model)
			json_object_set_new(req, "model", json_string(model));
		if (sub && !model && !budget) {
			json_decref(req);
			return ctl_usage(c, "give --model or --budget");
		}
		{
			const char *nums[] = { ttl, budget, keep, reserve };
			const char *keys[] = { "ttl_s", "budget", "keep_last", "reserve" };

			for (int i = 0; i < 4; i++) {
				if (!nums[i])
					continue;
				if (ctl_parse_u64(nums[i], &v)) {
					json_decref(req);
					return ctl_usage(c, "bad number \"%s\"", nums[i]);
				}
				json_object_set_new(req, keys[i], json_integer((json_int_t)v));
			}
		}
		return exec_req(c, req, sub == 5 ? h_trunc : print_kv);
	case 1:
		return exec_req(c, mkreq("context.list"), h_snapshots);
	case 2:
		req = json_pack("{s:s, s:s}", "op", "context.restore", "snapshot", pos[0]);
		return exec_req(c, req, h_snapshot);
	case 3:
		ret = ctl_confirm(c, "delete context snapshot %s", pos[0]);
		if (ret)
			return ret;
		req = json_pack("{s:s, s:s}", "op", "context.delete", "snapshot", pos[0]);
		ret = exec_req(c, req, NULL);
		if (!ret && !c->json)
			printf("context snapshot %s deleted\n", pos[0]);
		return ret;
	case 6:
		return exec_req(c, mkreq("context.models"), h_models);
	case 7:
		if (set && charge)
			return ctl_usage(c, "give --set or --charge, not both");
		if ((set && ctl_parse_u64(set, &v)) || (charge && ctl_parse_u64(charge, &v)))
			return ctl_usage(c, "bad number \"%s\"", set ? set : charge);
		req = json_pack("{s:s, s:s}", "op", set ? "context.budget_set" : charge ?
				"context.budget_charge" : "context.budget_get", "session", pos[0]);
		if (set)
			json_object_set_new(req, "limit", json_integer((json_int_t)v));
		if (charge)
			json_object_set_new(req, "tokens", json_integer((json_int_t)v));
		return exec_req(c, req, print_kv);
	default:
		return exec_req(c, mkreq("context.expire"), print_kv);
	}
}
