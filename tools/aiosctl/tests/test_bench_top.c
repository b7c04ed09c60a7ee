// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of "aiosctl bench" and "aiosctl top" that need no kernel
 * module: the category list against the tools/bench scripts and targets.json,
 * argument errors and their exit codes, and the report (verdicts, exit
 * status, combined JSON) computed from category JSON files written here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef AIOSCTL_BIN
#define AIOSCTL_BIN "aiosctl"
#endif
#ifndef AIOS_TOP
#define AIOS_TOP "."
#endif

struct run {
	int status;		/* exit code, or -1 */
	char out[65536];
	char err[16384];
};

static void slurp(FILE *f, char *buf, size_t cap)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run aiosctl with the NULL-terminated arguments, stdin /dev/null. */
static void run(struct run *r, ...)
{
	char *argv[40];
	FILE *fo = tmpfile(), *fe = tmpfile();
	int i = 0, st;
	va_list ap;
	pid_t pid;

	argv[i++] = AIOSCTL_BIN;
	va_start(ap, r);
	while (i < 39 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	r->status = -1;
	r->out[0] = r->err[0] = '\0';
	if (!fo || !fe)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fileno(fo), 1);
		dup2(fileno(fe), 2);
		execv(AIOSCTL_BIN, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	slurp(fo, r->out, sizeof(r->out));
	slurp(fe, r->err, sizeof(r->err));
}

/* A line of out that starts with the words a and b (table columns). */
static const char *row(const char *out, const char *a, const char *b)
{
	const char *p = out;
	char wa[128], wb[128];

	while (p && *p) {
		if (sscanf(p, "%127s %127s", wa, wb) == 2 && !strcmp(wa, a) &&
		    !strcmp(wb, b))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* The first line of out whose first word is w. */
static const char *first_word(const char *out, const char *w)
{
	const char *p = out;
	char word[128];

	while (p && *p) {
		if (sscanf(p, "%127s", word) == 1 && !strcmp(word, w))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static bool line_has(const char *line, const char *s)
{
	const char *end = strchr(line, '\n');
	const char *hit = strstr(line, s);

	return hit && (!end || hit < end);
}

TEST(bench_help_documents_exit_status)
{
	struct run r;

	run(&r, "bench", "help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "usage: aiosctl bench --list"));
	EXPECT_NE(NULL, strstr(r.out, "Exit status: 0"));
	run(&r, "help", "bench", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "--category"));
}

/* Every tools/bench/CAT.sh script is listed and has its targets. */
TEST(bench_list_covers_every_script)
{
	struct run r;
	struct dirent *d;
	int scripts = 0;
	DIR *dp;

	run(&r, "bench", "--list", "--source", AIOS_TOP, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	dp = opendir(AIOS_TOP "/tools/bench");
	ASSERT_NE(NULL, dp);
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		const char *line;
		char cat[256];

		if (l < 4 || strcmp(d->d_name + l - 3, ".sh"))
			continue;
		snprintf(cat, sizeof(cat), "%.*s", (int)(l - 3), d->d_name);
		/* the first table (CATEGORY RUNS SCRIPT PEERS) comes first */
		line = first_word(r.out, cat);
		ASSERT_NE(NULL, line) TH_LOG("category %s not listed", cat);
		EXPECT_TRUE(line_has(line, " yes ")) TH_LOG("%s: script not seen", cat);
		EXPECT_FALSE(line_has(line, "no entry in targets.json"))
			TH_LOG("%s: tools/bench/%s.sh has no entry in targets.json", cat, cat);
		scripts++;
	}
	closedir(dp);
	EXPECT_LT(0, scripts);
}

/* The ratio names and targets the issues ask for. */
TEST(bench_list_targets)
{
	struct run r;
	const char *l;

	run(&r, "bench", "--list", "--source", AIOS_TOP, NULL);
	ASSERT_EQ(0, r.status);
	l = row(r.out, "scheduler", "rtt_p50_vs_posix_mq");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "<= 1"));
	l = row(r.out, "ipc", "msg64_text_vs_posix_mq");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "<= 1.5"));
	l = row(r.out, "ledger", "append8_vs_sqlite_wal_full");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "<= 0.2"));
	l = row(r.out, "audit", "lost_events");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "== 0"));
	EXPECT_NE(NULL, row(r.out, "http", "ws_get_cost_vs_native"));
	EXPECT_NE(NULL, row(r.out, "caps", "checked_ioctl_vs_noop"));
}

TEST(bench_list_json)
{
	json_t *doc, *c, *m;
	json_error_t je;
	struct run r;
	size_t i, j;
	bool sandbox = false;

	run(&r, "-j", "bench", "--list", "--source", AIOS_TOP, NULL);
	ASSERT_EQ(0, r.status);
	doc = json_loads(r.out, 0, &je);
	ASSERT_NE(NULL, doc) TH_LOG("%s: %s", je.text, r.out);
	ASSERT_TRUE(json_is_array(doc));
	json_array_foreach(doc, i, c) {
		ASSERT_TRUE(json_is_string(json_object_get(c, "category")));
		if (strcmp(json_string_value(json_object_get(c, "category")), "sandbox"))
			continue;
		sandbox = true;
		EXPECT_STREQ("vm", json_string_value(json_object_get(c, "runs")));
		json_array_foreach(json_object_get(c, "metrics"), j, m)
			if (!strcmp(json_string_value(json_object_get(m, "name")),
				    "spawn_warm_vs_bwrap"))
				EXPECT_EQ(0.5, json_number_value(json_object_get(
					json_object_get(m, "target"), "value")));
	}
	EXPECT_TRUE(sandbox);
	json_decref(doc);
}

TEST(bench_argument_errors)
{
	struct run r;

	run(&r, "bench", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "give one of --list"));
	run(&r, "bench", "--all", "--list", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "only one of"));
	run(&r, "bench", "--all", "--category", "gpu", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "bench", "--category", "gpu,nosuch", "--source", AIOS_TOP, NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown benchmark category \"nosuch\""));
	EXPECT_NE(NULL, strstr(r.err, "scheduler"));	/* names the known ones */
	run(&r, "bench", "--list", "-j", "/tmp/x.json", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "bench", "--all", "-j", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "needs a value"));
	run(&r, "bench", "--all", "--bogus", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown option \"--bogus\""));
	run(&r, "bench", "--list", "--source", "/proc", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "not an aios source tree"));
}

FIXTURE(report) {
	char build[64];
	char path[128];
};

FIXTURE_SETUP(report)
{
	snprintf(self->build, sizeof(self->build), "/tmp/aiosctl-bench.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->build));
	snprintf(self->path, sizeof(self->path), "%s/bench", self->build);
	ASSERT_EQ(0, mkdir(self->path, 0755));
}

FIXTURE_TEARDOWN(report)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->build);
	if (system(cmd))
		TH_LOG("could not remove %s", self->build);
}

static void put(const char *dir, const char *cat, const char *json)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/bench/%s.json", dir, cat);
	f = fopen(p, "w");
	if (f) {
		fputs(json, f);
		fclose(f);
	}
}

#define LEDGER(a1, a8, verify) \
	"{\"category\": \"ledger\", \"env\": {\"kernel\": \"k\", \"vm\": false}," \
	" \"results\": [" verify "]," \
	" \"ratios\": {\"append1_vs_fdatasync\": " a1 \
	", \"append8_vs_sqlite_wal_full\": " a8 ", \"extra_vs_peer\": 2.5}}"

TEST_F(report, verdicts_and_combined_json)
{
	char out[192];
	json_t *doc, *s;
	json_error_t je;
	struct run r;
	const char *l;

	put(self->build, "ledger", LEDGER("1.05", "0.5",
		"{\"name\": \"verify_mb_s\", \"value\": 250, \"unit\": \"MB/s\"}"));
	snprintf(out, sizeof(out), "%s/all.json", self->build);
	run(&r, "bench", "--report", "--source", AIOS_TOP, "--build",
	    self->build, "-j", out, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	l = row(r.out, "ledger", "append1_vs_fdatasync");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, " ok "));
	l = row(r.out, "ledger", "append8_vs_sqlite_wal_full");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "MISSED"));
	l = row(r.out, "ledger", "verify_mb_s");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "250 MB/s"));
	EXPECT_TRUE(line_has(l, " ok "));
	/* a ratio without a target is still shown */
	l = row(r.out, "ledger", "extra_vs_peer");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "2.500"));
	EXPECT_NE(NULL, strstr(r.out, "2 targets met, 1 missed"));

	doc = json_load_file(out, 0, &je);
	ASSERT_NE(NULL, doc) TH_LOG("%s", je.text);
	s = json_object_get(doc, "summary");
	EXPECT_EQ(2, json_integer_value(json_object_get(s, "met")));
	EXPECT_EQ(1, json_integer_value(json_object_get(s, "missed")));
	EXPECT_EQ(0, json_integer_value(json_object_get(s, "failed")));
	EXPECT_EQ(4, json_array_size(json_object_get(doc, "table")));
	/* the category's own JSON is carried along */
	EXPECT_EQ(0.5, json_number_value(json_object_get(json_object_get(
		json_object_get(json_array_get(json_object_get(doc, "categories"), 0),
				"json"), "ratios"), "append8_vs_sqlite_wal_full")));
	json_decref(doc);

	/* --strict: a missed target fails */
	run(&r, "bench", "--report", "--strict", "--source", AIOS_TOP,
	    "--build", self->build, NULL);
	EXPECT_EQ(1, r.status);
}

TEST_F(report, absent_metric_fails)
{
	struct run r;
	const char *l;

	put(self->build, "ledger", LEDGER("0.9", "0.1", ""));
	run(&r, "bench", "--report", "--category", "ledger", "--source", AIOS_TOP,
	    "--build", self->build, NULL);
	EXPECT_EQ(1, r.status);
	l = row(r.out, "ledger", "verify_mb_s");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(line_has(l, "ABSENT"));
}

TEST_F(report, invalid_and_missing_json_fail)
{
	struct run r;

	put(self->build, "gpu", "{\"category\": \"ledger\", \"env\": {}, "
	    "\"results\": [], \"ratios\": {}}");
	run(&r, "bench", "--report", "--category", "gpu", "--source", AIOS_TOP,
	    "--build", self->build, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "\"category\" is not \"gpu\""));
	EXPECT_NE(NULL, row(r.out, "gpu", "-"));

	put(self->build, "gpu", "{\"category\": \"gpu\", \"env\": {}, "
	    "\"results\": [{\"name\": \"x\"}], \"ratios\": {}}");
	run(&r, "bench", "--report", "--category", "gpu", "--source", AIOS_TOP,
	    "--build", self->build, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "results[0] needs a \"name\" and a number"));

	run(&r, "bench", "--report", "--category", "caps", "--source", AIOS_TOP,
	    "--build", self->build, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, row(r.out, "caps", "-"));
}

TEST_F(report, nothing_to_report)
{
	struct run r;

	run(&r, "bench", "--report", "--source", AIOS_TOP, "--build",
	    self->build, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no benchmark results"));
}

TEST(top_argument_errors)
{
	struct run r;

	run(&r, "top", "-d", "0", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad delay \"0\""));
	run(&r, "top", "-d", "1x", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "top", "--delay", "4000", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "top", "-n", "0", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad iteration count"));
	run(&r, "top", "-n", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "top", "extra", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "top", "help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "usage: aiosctl top"));
}

TEST(top_without_module_fails)
{
	struct run r;

	if (!access("/sys/module/aios", F_OK))
		SKIP(return, "the aios module is loaded here");
	run(&r, "top", "-n", "1", "-d", "0.1", NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "aios module"));
	EXPECT_EQ('\0', r.out[0]);
}

TEST_HARNESS_MAIN
