// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl bench --list | --all | --category NAME[,NAME...] [-j FILE]
 * aiosctl bench --report [--category NAME[,NAME...]] [-j FILE]
 *
 * Runs the benchmark categories through tools/bench/run (each category's
 * script measures aios and its peers in the same run and writes
 * BUILD/bench/CAT.json), then prints one table of every ratio and result
 * that has a target, with the verdict, from tools/bench/targets.json.
 * --report prints that table from the JSON files already there (what
 * tools/bench/run does at the end of "make bench").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "table.h"

/*
 * targets.json as it was when aiosctl was built: used by an installed
 * aiosctl that finds no source tree (--list still works there).
 */
#ifndef AIOS_BENCH_TARGETS
#error "AIOS_BENCH_TARGETS (path of tools/bench/targets.json) is not defined"
#endif
__asm__(".pushsection .rodata\n"
	".type aiosctl_builtin_targets, @object\n"
	"aiosctl_builtin_targets:\n"
	".incbin \"" AIOS_BENCH_TARGETS "\"\n"
	".byte 0\n"
	".size aiosctl_builtin_targets, . - aiosctl_builtin_targets\n"
	".popsection\n");
extern const char aiosctl_builtin_targets[]
	__attribute__((visibility("hidden")));

static const char help_text[] =
"usage: aiosctl bench --list\n"
"       aiosctl bench --all [-j FILE] [--strict]\n"
"       aiosctl bench --category NAME[,NAME...] [-j FILE] [--strict]\n"
"       aiosctl bench --report [--category NAME[,NAME...]] [-j FILE] [--strict]\n"
"       (common: [--source DIR] [--build DIR])\n"
"\n"
"Run the aios benchmark suite: each category measures aios and the peers\n"
"a user would otherwise pick in the same run (tools/bench/CAT.sh via\n"
"tools/bench/run; the kernel categories run in the test VM, tools/vm/run,\n"
"when the aios module is not loaded here).  At the end one table lists\n"
"every ratio (aios cost / peer cost, below 1.0 = aios better) and every\n"
"result that has a target, with the target and the verdict: ok, MISSED,\n"
"- (reported, no target), ABSENT (the category did not report it),\n"
"FAILED (the category did not run to the end).\n"
"\n"
"  --list            categories, where they run, their peers and targets\n"
"  --all             every category that has a script in this tree\n"
"  --category LIST   these categories (comma-separated, or repeated words)\n"
"  --report          no run: the table from the BUILD/bench/CAT.json files\n"
"                    already written (all of them without --category)\n"
"  -j, --json FILE   also write the combined JSON (every category's JSON,\n"
"                    the table and the host) to FILE; 'aiosctl -j bench'\n"
"                    prints it to stdout instead of the table\n"
"  --strict          a missed target makes the exit status 1 too\n"
"  --source DIR      the aios source tree (default: AIOS_SRC, the current\n"
"                    directory or a parent of it, or the tree aiosctl was\n"
"                    built from)\n"
"  --build DIR       its build directory (default: BUILD, else DIR/build)\n"
"\n"
"The benchmarks build their programs from the source tree, so running\n"
"them needs one; --list works anywhere (targets built into aiosctl).\n"
"Targets: tools/bench/targets.json.  Documentation/benchmarks.md has\n"
"the details and the figures of a reference run.\n"
"Exit status: 0 every category ran and reported every metric, 1 a\n"
"category failed or reported an invalid or incomplete JSON (with\n"
"--strict: or a target was missed), 2 usage error.\n";

#define MAX_CATS	32

struct bench {
	struct ctl *c;
	char top[PATH_MAX];	/* source tree, "" when none was found */
	char build[PATH_MAX + 16];
	char targets_from[PATH_MAX + 64];
	json_t *targets;	/* the "categories" array */
	bool strict;
	time_t started;		/* run mode: JSON older than this is stale */
};

/* ---- source tree and targets ----------------------------------------- */

static bool is_tree(const char *dir)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/tools/bench/run", dir) >= (int)sizeof(p) ||
	    access(p, X_OK))
		return false;
	if (snprintf(p, sizeof(p), "%s/uapi/linux/aios.h", dir) >= (int)sizeof(p))
		return false;
	return access(p, R_OK) == 0;
}

static int set_path(char *dst, const char *src)
{
	char *r = realpath(src, NULL);

	if (!r)
		return -errno;
	if (strlen(r) >= PATH_MAX) {
		free(r);
		return -ENAMETOOLONG;
	}
	strcpy(dst, r);
	free(r);
	return 0;
}

/* 0 with b->top set, -ENOENT when there is no tree, EXIT_USAGE on --source. */
static int find_tree(struct bench *b, const char *source)
{
	char dir[PATH_MAX], *slash;
	const char *env = getenv("AIOS_SRC");

	b->top[0] = '\0';
	if (source) {
		if (!is_tree(source))
			return ctl_usage(b->c, "--source %s is not an aios source tree (no tools/bench/run or uapi/linux/aios.h)",
					 source);
		return set_path(b->top, source);
	}
	if (env && *env) {
		if (!is_tree(env)) {
			fprintf(stderr, "aiosctl: AIOS_SRC=%s is not an aios source tree (no tools/bench/run or uapi/linux/aios.h)\n",
				env);
			return -EINVAL;
		}
		return set_path(b->top, env);
	}
	if (getcwd(dir, sizeof(dir))) {
		for (;;) {
			if (is_tree(dir))
				return set_path(b->top, dir);
			slash = strrchr(dir, '/');
			if (!slash || slash == dir)
				break;
			*slash = '\0';
		}
	}
#ifdef AIOS_SRCDIR
	if (is_tree(AIOS_SRCDIR))
		return set_path(b->top, AIOS_SRCDIR);
#endif
	return -ENOENT;
}

/* BUILD as an absolute path (the benchmarks run from the source tree). */
static void set_build(struct bench *b, const char *dir)
{
	char cwd[PATH_MAX];

	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(b->build, sizeof(b->build), "%s/%s", cwd, dir);
	else
		snprintf(b->build, sizeof(b->build), "%s", dir);
}

static void find_build(struct bench *b, const char *opt)
{
	const char *env = getenv("BUILD");

	if (opt && *opt)
		set_build(b, opt);
	else if (env && *env)
		set_build(b, env);
#ifdef AIOS_BUILDDIR
	else if (!strcmp(b->top, AIOS_SRCDIR))
		snprintf(b->build, sizeof(b->build), "%s", AIOS_BUILDDIR);
#endif
	else
		snprintf(b->build, sizeof(b->build), "%s/build", b->top);
}

static bool valid_op(const char *op)
{
	return op && (!strcmp(op, "<=") || !strcmp(op, ">=") || !strcmp(op, "=="));
}

/* Check the shape of targets.json; on error a message naming the entry. */
static int check_targets(json_t *cats, char *err, size_t len)
{
	size_t i, j;
	json_t *cat, *m, *t;

	if (!json_is_array(cats)) {
		snprintf(err, len, "\"categories\" is not an array");
		return -EINVAL;
	}
	json_array_foreach(cats, i, cat) {
		const char *name = json_string_value(json_object_get(cat, "name"));
		const char *runs = json_string_value(json_object_get(cat, "runs"));

		if (!name || !*name) {
			snprintf(err, len, "categories[%zu] has no \"name\"", i);
			return -EINVAL;
		}
		if (!runs || (strcmp(runs, "host") && strcmp(runs, "vm") &&
			      strcmp(runs, "module"))) {
			snprintf(err, len, "%s: \"runs\" must be host, vm or module", name);
			return -EINVAL;
		}
		if (!json_is_array(json_object_get(cat, "metrics"))) {
			snprintf(err, len, "%s: \"metrics\" is not an array", name);
			return -EINVAL;
		}
		json_array_foreach(json_object_get(cat, "metrics"), j, m) {
			const char *mn = json_string_value(json_object_get(m, "name"));
			const char *kind = json_string_value(json_object_get(m, "kind"));

			if (!mn || !kind || (strcmp(kind, "ratio") &&
					     strcmp(kind, "result"))) {
				snprintf(err, len, "%s: metrics[%zu] needs a \"name\" and a \"kind\" (ratio or result)",
					 name, j);
				return -EINVAL;
			}
			t = json_object_get(m, "target");
			if (!t || json_is_null(t))
				continue;
			if (!valid_op(json_string_value(json_object_get(t, "op"))) ||
			    json_is_number(json_object_get(t, "value")) ==
			    json_is_string(json_object_get(t, "result"))) {
				snprintf(err, len, "%s: %s: target needs \"op\" (<=, >= or ==) and either a number \"value\" or a \"result\" name",
					 name, mn);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int load_targets(struct bench *b)
{
	char path[PATH_MAX + 32], err[512];
	json_error_t je;
	json_t *doc;

	if (b->top[0]) {
		snprintf(path, sizeof(path), "%s/tools/bench/targets.json", b->top);
		doc = json_load_file(path, 0, &je);
		if (!doc) {
			fprintf(stderr, "aiosctl: %s: line %d column %d: %s\n",
				path, je.line, je.column, je.text);
			return EXIT_FAIL;
		}
		snprintf(b->targets_from, sizeof(b->targets_from), "%s", path);
	} else {
		doc = json_loads(aiosctl_builtin_targets, 0, &je);
		if (!doc) {
			fprintf(stderr, "aiosctl: built-in targets: line %d: %s\n",
				je.line, je.text);
			return EXIT_FAIL;
		}
		snprintf(b->targets_from, sizeof(b->targets_from), "built-in");
	}
	b->targets = json_incref(json_object_get(doc, "categories"));
	json_decref(doc);
	if (check_targets(b->targets, err, sizeof(err))) {
		fprintf(stderr, "aiosctl: %s: %s\n", b->targets_from, err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- categories --------------------------------------------------------- */

struct cat {
	char name[64];
	json_t *def;		/* entry of targets.json, NULL: none */
	bool script;		/* tools/bench/NAME.sh exists */
};

static json_t *find_def(struct bench *b, const char *name)
{
	json_t *cat;
	size_t i;

	json_array_foreach(b->targets, i, cat)
		if (!strcmp(json_string_value(json_object_get(cat, "name")), name))
			return cat;
	return NULL;
}

static bool has_script(struct bench *b, const char *name)
{
	char p[PATH_MAX + 80];

	if (!b->top[0])
		return false;
	snprintf(p, sizeof(p), "%s/tools/bench/%s.sh", b->top, name);
	return access(p, R_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every category: targets.json order, then scripts without an entry. */
static int all_cats(struct bench *b, struct cat *cats, int max)
{
	char dir[PATH_MAX + 16], *extra[MAX_CATS];
	int n = 0, nx = 0, i;
	struct dirent *d;
	json_t *cat;
	size_t k;
	DIR *dp;

	json_array_foreach(b->targets, k, cat) {
		if (n >= max)
			break;
		snprintf(cats[n].name, sizeof(cats[n].name), "%s",
			 json_string_value(json_object_get(cat, "name")));
		cats[n].def = cat;
		cats[n].script = has_script(b, cats[n].name);
		n++;
	}
	if (!b->top[0])
		return n;
	snprintf(dir, sizeof(dir), "%s/tools/bench", b->top);
	dp = opendir(dir);
	if (!dp)
		return n;
	while ((d = readdir(dp)) && nx < MAX_CATS) {
		size_t l = strlen(d->d_name);

		if (l < 4 || l - 3 >= sizeof(cats[0].name) ||
		    strcmp(d->d_name + l - 3, ".sh"))
			continue;
		d->d_name[l - 3] = '\0';
		if (find_def(b, d->d_name))
			continue;
		extra[nx] = strdup(d->d_name);
		if (extra[nx])
			nx++;
	}
	closedir(dp);
	qsort(extra, nx, sizeof(extra[0]), cmp_str);
	for (i = 0; i < nx; i++) {
		if (n < max) {
			snprintf(cats[n].name, sizeof(cats[n].name), "%s", extra[i]);
			cats[n].def = NULL;
			cats[n].script = true;
			n++;
		}
		free(extra[i]);
	}
	return n;
}

static const char *runs_text(json_t *def)
{
	const char *r = def ? json_string_value(json_object_get(def, "runs")) : NULL;

	if (!r)
		return "?";
	if (!strcmp(r, "module"))
		return "here if the module is loaded, else VM";
	if (!strcmp(r, "vm"))
		return "VM";
	return "host";
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (fabs(v) >= 0.01 || v == 0)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

static void fmt_target(char *buf, size_t len, json_t *t)
{
	const char *op, *ref;
	json_t *v;

	if (!t || json_is_null(t)) {
		snprintf(buf, len, "-");
		return;
	}
	op = json_string_value(json_object_get(t, "op"));
	ref = json_string_value(json_object_get(t, "result"));
	v = json_object_get(t, "value");
	if (ref && v)		/* as measured in this run */
		snprintf(buf, len, "%s %s = %.6g", op, ref, json_number_value(v));
	else if (ref)
		snprintf(buf, len, "%s %s", op, ref);
	else
		snprintf(buf, len, "%s %.6g", op, json_number_value(v));
}

static int do_list(struct bench *b)
{
	static const char *const h1[] = { "CATEGORY", "RUNS", "SCRIPT", "PEERS" };
	static const char *const h2[] = { "CATEGORY", "METRIC", "KIND", "TARGET" };
	struct cat cats[MAX_CATS];
	struct table *t1, *t2;
	char tgt[128];
	bool ok;
	int n, i;
	size_t k;
	json_t *m, *out = NULL;

	n = all_cats(b, cats, MAX_CATS);
	if (b->c->json) {
		out = json_array();
		for (i = 0; out && i < n; i++) {
			json_t *o = json_object();

			if (!o)
				break;
			json_object_set_new(o, "category", json_string(cats[i].name));
			json_object_set_new(o, "available", json_boolean(cats[i].script));
			if (cats[i].def) {
				json_object_set(o, "runs", json_object_get(cats[i].def, "runs"));
				json_object_set(o, "issue", json_object_get(cats[i].def, "issue"));
				json_object_set(o, "measures", json_object_get(cats[i].def, "measures"));
				json_object_set(o, "peers", json_object_get(cats[i].def, "peers"));
				json_object_set(o, "metrics", json_object_get(cats[i].def, "metrics"));
			}
			json_array_append_new(out, o);
		}
		return ctl_json_print(b->c, out);
	}
	t1 = table_new(4, h1);
	t2 = table_new(4, h2);
	ok = t1 && t2;
	for (i = 0; ok && i < n; i++) {
		const char *row[4] = { cats[i].name, runs_text(cats[i].def),
			cats[i].script ? "yes" : (b->top[0] ? "missing" : "no tree"),
			cats[i].def ? json_string_value(json_object_get(cats[i].def, "peers")) :
				"(no entry in targets.json)" };

		ok = !table_row(t1, row);
		if (!cats[i].def)
			continue;
		json_array_foreach(json_object_get(cats[i].def, "metrics"), k, m) {
			const char *r2[4] = { cats[i].name,
				json_string_value(json_object_get(m, "name")),
				json_string_value(json_object_get(m, "kind")), tgt };

			fmt_target(tgt, sizeof(tgt), json_object_get(m, "target"));
			if (!ok || table_row(t2, r2))
				ok = false;
		}
	}
	if (!ok) {
		table_free(t1);
		return table_finish(t2, false);
	}
	table_print(t1, stdout);
	table_free(t1);
	printf("\n");
	if (!b->top[0])
		printf("(no aios source tree found: the categories cannot run here; targets built into aiosctl)\n\n");
	return table_finish(t2, true);
}

/* ---- running --------------------------------------------------------------- */

static int run_cats(struct bench *b, struct cat *cats, int n)
{
	char run[PATH_MAX + 32];
	char *argv[MAX_CATS + 2];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int i, st;
	pid_t pid;

	snprintf(run, sizeof(run), "%s/tools/bench/run", b->top);
	argv[0] = run;
	for (i = 0; i < n; i++)
		argv[i + 1] = cats[i].name;
	argv[n + 1] = NULL;
	fflush(stdout);
	fflush(stderr);
	b->started = time(NULL);
	/* ^C stops the benchmarks (same process group); we then report. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "aiosctl: fork: %s\n", strerror(errno));
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		return EXIT_FAIL;
	}
	if (!pid) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		/* with -j the JSON is the only thing on stdout */
		if (b->c->json)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		if (chdir(b->top)) {
			fprintf(stderr, "aiosctl: cd %s: %s\n", b->top, strerror(errno));
			_exit(127);
		}
		setenv("BUILD", b->build, 1);
		setenv("AIOS_BENCH_NO_SUMMARY", "1", 1);
		execv(run, argv);
		fprintf(stderr, "aiosctl: %s: %s\n", run, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFSIGNALED(st))
		fprintf(stderr, "aiosctl: tools/bench/run ended by signal %d\n",
			WTERMSIG(st));
	return EXIT_OK;
}

/* ---- the report -------------------------------------------------------------- */

struct report {
	json_t *cats;		/* [{category, status, json?, error?}] */
	json_t *rows;		/* the table */
	struct table *t;
	bool ok;		/* no allocation failed */
	int failed, missed, met, absent;
};

/* A category's JSON, checked against the SPEC section 8 contract. */
static json_t *load_cat(const char *path, const char *name, char *err, size_t len)
{
	json_error_t je;
	json_t *d, *r, *x;
	const char *key;
	size_t i;

	d = json_load_file(path, 0, &je);
	if (!d) {
		snprintf(err, len, "%s: line %d: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_string(json_object_get(d, "category")) ||
	    strcmp(json_string_value(json_object_get(d, "category")), name)) {
		snprintf(err, len, "%s: \"category\" is not \"%s\"", path, name);
		goto bad;
	}
	if (!json_is_object(json_object_get(d, "env"))) {
		snprintf(err, len, "%s: no \"env\" object", path);
		goto bad;
	}
	r = json_object_get(d, "results");
	if (!json_is_array(r)) {
		snprintf(err, len, "%s: \"results\" is not an array", path);
		goto bad;
	}
	json_array_foreach(r, i, x) {
		if (!json_is_string(json_object_get(x, "name")) ||
		    !json_is_number(json_object_get(x, "value"))) {
			snprintf(err, len, "%s: results[%zu] needs a \"name\" and a number \"value\"",
				 path, i);
			goto bad;
		}
	}
	r = json_object_get(d, "ratios");
	if (!json_is_object(r)) {
		snprintf(err, len, "%s: \"ratios\" is not an object", path);
		goto bad;
	}
	json_object_foreach(r, key, x) {
		if (!json_is_number(x)) {
			snprintf(err, len, "%s: ratio %s is not a number", path, key);
			goto bad;
		}
	}
	return d;
bad:
	json_decref(d);
	return NULL;
}

static json_t *find_result(json_t *doc, const char *name)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(doc, "results"), i, x)
		if (!strcmp(json_string_value(json_object_get(x, "name")), name))
			return x;
	return NULL;
}

static void add_row(struct report *rp, const char *cat, const char *metric,
		    const char *kind, json_t *value, const char *unit,
		    json_t *target, const char *verdict, const char *where)
{
	char val[96], num[48], tgt[128];
	const char *row[6] = { cat, metric, val, tgt, verdict, where };
	json_t *o = json_object();

	if (!o || !rp->t) {
		json_decref(value);
		rp->ok = false;
		return;
	}
	json_object_set_new(o, "category", json_string(cat));
	json_object_set_new(o, "metric", json_string(metric));
	json_object_set_new(o, "kind", json_string(kind));
	if (value && json_is_number(value)) {
		fmt_num(num, sizeof(num), json_number_value(value));
		if (unit && *unit && strcmp(kind, "ratio"))
			snprintf(val, sizeof(val), "%s %s", num, unit);
		else
			snprintf(val, sizeof(val), "%s", num);
	} else {
		snprintf(val, sizeof(val), "-");
	}
	json_object_set_new(o, "value", value ? value : json_null());
	if (unit && *unit)
		json_object_set_new(o, "unit", json_string(unit));
	json_object_set(o, "target", target ? target : json_null());
	json_object_set_new(o, "verdict", json_string(verdict));
	json_object_set_new(o, "where", json_string(where));
	fmt_target(tgt, sizeof(tgt), target);
	if (json_array_append_new(rp->rows, o) || table_row(rp->t, row))
		rp->ok = false;
}

/* ok / MISSED for value against target t (a number or another result). */
static const char *judge(json_t *doc, json_t *t, double v, json_t **vt)
{
	const char *op = json_string_value(json_object_get(t, "op"));
	const char *ref = json_string_value(json_object_get(t, "result"));
	double want;
	bool ok;

	*vt = NULL;
	if (ref) {
		json_t *r = find_result(doc, ref);

		if (!r)
			return "ABSENT";
		want = json_number_value(json_object_get(r, "value"));
		/* the target as measured in this run */
		*vt = json_pack("{s:s, s:s, s:f}", "op", op, "result", ref,
				"value", want);
	} else {
		want = json_number_value(json_object_get(t, "value"));
	}
	if (!strcmp(op, "<="))
		ok = v <= want;
	else if (!strcmp(op, ">="))
		ok = v >= want;
	else
		ok = v == want;
	return ok ? "ok" : "MISSED";
}

static void report_cat(struct bench *b, struct report *rp, const struct cat *ct)
{
	char path[PATH_MAX + 128], err[PATH_MAX + 512];
	const char *where, *key, *status = "ok";
	json_t *doc = NULL, *o, *m, *x;
	struct stat st;
	bool vm;
	size_t i;

	snprintf(path, sizeof(path), "%s/bench/%s.json", b->build, ct->name);
	o = json_pack("{s:s}", "category", ct->name);
	if (!o || json_array_append_new(rp->cats, o))
		rp->ok = false;
	if (stat(path, &st)) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		status = b->started ? "failed" : "no results";
	} else if (b->started && st.st_mtime < b->started) {
		snprintf(err, sizeof(err), "%s is from an earlier run", path);
		status = "failed";
	} else if (!(doc = load_cat(path, ct->name, err, sizeof(err)))) {
		status = "invalid";
	}
	if (o) {
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "path", json_string(path));
	}
	if (!doc) {
		fprintf(stderr, "aiosctl: bench %s: %s\n", ct->name, err);
		if (o)
			json_object_set_new(o, "error", json_string(err));
		rp->failed++;
		add_row(rp, ct->name, "-", "-", NULL, NULL, NULL,
			!strcmp(status, "invalid") ? "INVALID" : "FAILED", "-");
		return;
	}
	if (o)
		json_object_set(o, "json", doc);
	vm = json_is_true(json_object_get(json_object_get(doc, "env"), "vm"));

	/* the metrics of targets.json, in its order */
	json_array_foreach(ct->def ? json_object_get(ct->def, "metrics") : NULL,
			   i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *kind = json_string_value(json_object_get(m, "kind"));
		json_t *t = json_object_get(m, "target"), *vt = NULL;
		const char *unit = NULL, *verdict;
		json_t *v;

		/* a metric measured on the host in a VM category */
		where = json_string_value(json_object_get(m, "where"));
		if (!where)
			where = vm ? "VM" : "host";

		if (!strcmp(kind, "ratio")) {
			v = json_object_get(json_object_get(doc, "ratios"), name);
		} else {
			x = find_result(doc, name);
			v = x ? json_object_get(x, "value") : NULL;
			unit = x ? json_string_value(json_object_get(x, "unit")) : NULL;
		}
		if (!v) {
			verdict = "ABSENT";
			rp->absent++;
		} else if (!t || json_is_null(t)) {
			verdict = "-";
		} else {
			verdict = judge(doc, t, json_number_value(v), &vt);
			if (!strcmp(verdict, "ok"))
				rp->met++;
			else if (!strcmp(verdict, "MISSED"))
				rp->missed++;
			else
				rp->absent++;
		}
		add_row(rp, ct->name, name, kind, v ? json_deep_copy(v) : NULL,
			unit, vt ? vt : t, verdict, where);
		json_decref(vt);
	}
	/* every other ratio the category reported */
	json_object_foreach(json_object_get(doc, "ratios"), key, x) {
		bool listed = false;

		json_array_foreach(ct->def ? json_object_get(ct->def, "metrics") : NULL,
				   i, m)
			if (!strcmp(json_string_value(json_object_get(m, "name")), key))
				listed = true;
		if (!listed)
			add_row(rp, ct->name, key, "ratio", json_deep_copy(x), NULL,
				NULL, "-", vm ? "VM" : "host");
	}
	json_decref(doc);
}

static json_t *host_env(void)
{
	char line[512], *model = NULL;
	struct utsname u;
	double load[3];
	FILE *f;
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (!uname(&u)) {
		json_object_set_new(o, "kernel", json_string(u.release));
		json_object_set_new(o, "machine", json_string(u.machine));
	}
	json_object_set_new(o, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	f = fopen("/proc/cpuinfo", "r");
	while (f && !model && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			model = strchr(line, ':') + 1;
			model += strspn(model, " \t");
			model[strcspn(model, "\n")] = '\0';
		}
	}
	if (model)
		json_object_set_new(o, "cpu", json_string(model));
	if (f)
		fclose(f);
	json_object_set_new(o, "memory_mb",
			    json_integer((json_int_t)sysconf(_SC_PHYS_PAGES) *
					 sysconf(_SC_PAGESIZE) / (1024 * 1024)));
	json_object_set_new(o, "module_loaded",
			    json_boolean(!access("/sys/module/aios", F_OK)));
	/* accessible, not necessarily usable: the categories' env says */
	json_object_set_new(o, "dev_kvm_accessible",
			    json_boolean(!access("/dev/kvm", R_OK | W_OK)));
	if (getloadavg(load, 3) == 3)
		json_object_set_new(o, "loadavg_1min", json_real(load[0]));
	return o;
}

static int write_file(const char *path, json_t *doc)
{
	char tmp[PATH_MAX + 16];
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "aiosctl: %s: name too long\n", path);
		return -ENAMETOOLONG;
	}
	ret = json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (ret || rename(tmp, path)) {
		ret = -errno;
		fprintf(stderr, "aiosctl: cannot write %s: %s\n", path,
			strerror(errno ? errno : EIO));
		unlink(tmp);
		return ret ? ret : -EIO;
	}
	return 0;
}

static int do_report(struct bench *b, struct cat *cats, int n, const char *file)
{
	static const char *const head[] = { "CATEGORY", "METRIC", "VALUE",
					    "TARGET", "VERDICT", "WHERE" };
	struct report rp = { .ok = true };
	char date[64];
	time_t now = time(NULL);
	json_t *doc;
	int i, ret = EXIT_OK;

	rp.cats = json_array();
	rp.rows = json_array();
	rp.t = table_new(6, head);
	for (i = 0; i < n; i++)
		report_cat(b, &rp, &cats[i]);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	doc = json_pack("{s:s, s:s, s:s, s:o, s:O, s:O, s:{s:i, s:i, s:i, s:i}}",
			"date", date, "source", b->top[0] ? b->top : "",
			"targets", b->targets_from, "host", host_env(),
			"categories", rp.cats, "table", rp.rows, "summary",
			"failed", rp.failed, "met", rp.met, "missed", rp.missed,
			"absent", rp.absent);
	if (!doc || !rp.ok || !rp.cats || !rp.rows) {
		fprintf(stderr, "aiosctl: out of memory building the report\n");
		ret = EXIT_FAIL;
		goto out;
	}
	if (file && write_file(file, doc))
		ret = EXIT_FAIL;
	if (b->c->json) {
		ctl_json_print(b->c, json_incref(doc));
	} else {
		printf("\n=== aios benchmarks: ratios = aios cost / peer cost (below 1.0 = aios better)\n");
		table_print(rp.t, stdout);
		printf("%d target%s met, %d missed", rp.met, rp.met == 1 ? "" : "s",
		       rp.missed);
		if (rp.absent)
			printf(", %d absent", rp.absent);
		if (rp.failed)
			printf("; %d categor%s failed", rp.failed,
			       rp.failed == 1 ? "y" : "ies");
		printf(" (targets: %s)\n", b->targets_from);
		if (file && ret == EXIT_OK)
			printf("combined JSON: %s\n", file);
	}
	if (rp.failed || rp.absent || (b->strict && rp.missed))
		ret = EXIT_FAIL;
out:
	json_decref(doc);
	json_decref(rp.cats);
	json_decref(rp.rows);
	table_free(rp.t);
	return ret;
}

/* ---- command line ---------------------------------------------------------- */

/* Add the comma-separated names of list to sel (known categories only). */
static int select_cats(struct bench *b, struct cat *all, int nall,
		       const char *list, struct cat *sel, int *nsel)
{
	char *dup = strdup(list), *save = NULL, *w;
	int i, ret = 0;

	if (!dup)
		return -ENOMEM;
	for (w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nall && strcmp(all[i].name, w); i++)
			;
		if (i == nall) {
			char known[512] = "";
			int k;

			for (k = 0; k < nall; k++) {
				strncat(known, " ", sizeof(known) - strlen(known) - 1);
				strncat(known, all[k].name, sizeof(known) - strlen(known) - 1);
			}
			ret = ctl_usage(b->c, "unknown benchmark category \"%s\" (known:%s)",
					w, known);
			break;
		}
		if (*nsel >= MAX_CATS)
			break;
		sel[(*nsel)++] = all[i];
	}
	free(dup);
	return ret;
}

int cmd_bench(struct ctl *c, int argc, char **argv)
{
	const char *category = NULL, *file = NULL, *source = NULL, *build = NULL;
	bool list = false, all = false, report = false, strict = false;
	const struct ctl_opt opts[] = {
		{ "list", NULL, &list },
		{ "all", NULL, &all },
		{ "category", &category, NULL },
		{ "report", NULL, &report },
		{ "output", &file, NULL },
		{ "strict", NULL, &strict },
		{ "source", &source, NULL },
		{ "build", &build, NULL },
	};
	struct cat cats[MAX_CATS], sel[MAX_CATS];
	struct bench b = { .c = c };
	char *args[64], *pos[MAX_CATS];
	char *jeq = NULL;
	int i, n, nargs = 0, npos, nsel = 0, modes, ret;

	/* "-j FILE" / "--json FILE" here name the output file (the global
	 * -j before the object prints JSON on stdout). */
	for (i = 1; i < argc && nargs < 63; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			args[nargs++] = "--output";
		} else if (!strncmp(argv[i], "--json=", 7)) {
			free(jeq);
			if (asprintf(&jeq, "--output=%s", argv[i] + 7) < 0) {
				fprintf(stderr, "aiosctl: out of memory\n");
				return EXIT_FAIL;
			}
			args[nargs++] = jeq;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (i < argc) {
		free(jeq);
		return ctl_usage(c, "too many arguments");
	}
	ret = ctl_parse_cmd(c, nargs, args, opts, 8, pos, MAX_CATS, &npos,
			    help_text);
	if (ret)
		goto out;
	modes = list + all + report + (category || npos ? !report : 0);
	if (modes != 1) {
		ret = ctl_usage(c, modes ? "give only one of --list, --all, --category and --report" :
				"give one of --list, --all, --category NAME or --report");
		goto out;
	}
	if (list && (file || strict)) {
		ret = ctl_usage(c, "--list takes no -j FILE or --strict");
		goto out;
	}
	if (file && !*file) {
		ret = ctl_usage(c, "-j needs a file name");
		goto out;
	}
	b.strict = strict;
	ret = find_tree(&b, source);
	if (ret > 0)
		goto out;
	if (ret == -ENOENT && !list) {
		fprintf(stderr, "aiosctl: no aios source tree found: the benchmarks build their programs from it.\n"
			"Run aiosctl bench inside a checkout, or give --source DIR or AIOS_SRC=DIR.\n");
		ret = EXIT_FAIL;
		goto out;
	}
	if (ret < 0 && ret != -ENOENT) {
		ret = EXIT_FAIL;
		goto out;
	}
	find_build(&b, build);
	ret = load_targets(&b);
	if (ret)
		goto out;
	n = all_cats(&b, cats, MAX_CATS);
	if (list) {
		ret = do_list(&b);
		goto out;
	}
	if (category) {
		ret = select_cats(&b, cats, n, category, sel, &nsel);
		if (ret)
			goto out;
	}
	for (i = 0; i < npos; i++) {
		ret = select_cats(&b, cats, n, pos[i], sel, &nsel);
		if (ret)
			goto out;
	}
	if (report) {
		if (!nsel) {	/* every category that left a JSON file */
			char p[PATH_MAX + 128];

			for (i = 0; i < n; i++) {
				if (snprintf(p, sizeof(p), "%s/bench/%s.json", b.build,
					     cats[i].name) < (int)sizeof(p) &&
				    !access(p, F_OK))
					sel[nsel++] = cats[i];
			}
			if (!nsel) {
				fprintf(stderr, "aiosctl: no benchmark results in %s/bench (run aiosctl bench --all or make bench)\n",
					b.build);
				ret = EXIT_FAIL;
				goto out;
			}
		}
		ret = do_report(&b, sel, nsel, file);
		goto out;
	}
	if (all) {
		for (i = 0; i < n; i++) {
			if (cats[i].script)
				sel[nsel++] = cats[i];
			else
				fprintf(stderr, "aiosctl: bench %s: skipped, tools/bench/%s.sh is not in this tree\n",
					cats[i].name, cats[i].name);
		}
	} else {
		for (i = 0; i < nsel; i++) {
			if (!sel[i].script) {
				fprintf(stderr, "aiosctl: bench %s: tools/bench/%s.sh is not in %s\n",
					sel[i].name, sel[i].name, b.top);
				ret = EXIT_FAIL;
				goto out;
			}
		}
	}
	ret = run_cats(&b, sel, nsel);
	if (!ret)
		ret = do_report(&b, sel, nsel, file);
out:
	json_decref(b.targets);
	free(jeq);
	return ctl_status(ret);
}
