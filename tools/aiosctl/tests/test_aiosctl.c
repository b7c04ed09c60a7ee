// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of aiosctl's command line: grammar, abbreviations, help,
 * exit codes, confirmation refusal, and the message when the module is
 * missing.  Runs the built binary with stdin from /dev/null.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef AIOSCTL_BIN
#define AIOSCTL_BIN "aiosctl"
#endif

struct run {
	int status;		/* exit code, or -1 */
	char out[16384];
	char err[16384];
};

static void drain(int fd, char *buf, size_t cap, size_t *len, bool *open_)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);

	if (n <= 0) {
		*open_ = false;
		return;
	}
	*len += n;
	buf[*len] = '\0';
}

/* Run aiosctl with the NULL-terminated arguments. */
static void run(struct run *r, ...)
{
	char *argv[32];
	int po[2], pe[2], i = 0, st;
	size_t lo = 0, le = 0;
	bool oo = true, eo = true;
	struct pollfd p[2];
	va_list ap;
	pid_t pid;

	argv[i++] = AIOSCTL_BIN;
	va_start(ap, r);
	while (i < 31 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	r->out[0] = r->err[0] = '\0';
	r->status = -1;
	if (pipe(po) || pipe(pe))
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(AIOSCTL_BIN, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while (oo || eo) {
		p[0].fd = oo ? po[0] : -1;
		p[0].events = POLLIN;
		p[1].fd = eo ? pe[0] : -1;
		p[1].events = POLLIN;
		if (poll(p, 2, 10000) <= 0)
			break;
		if (p[0].revents)
			drain(po[0], r->out, sizeof(r->out), &lo, &oo);
		if (p[1].revents)
			drain(pe[0], r->err, sizeof(r->err), &le, &eo);
	}
	close(po[0]);
	close(pe[0]);
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
}

static bool module_loaded(void)
{
	return access("/sys/module/aios", F_OK) == 0;
}

TEST(no_arguments_is_a_usage_error)
{
	struct run r;

	run(&r, NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "usage: aiosctl"));
}

TEST(global_help)
{
	struct run r;

	run(&r, "--help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "Exit status: 0 success"));
	run(&r, "help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "OBJECT :="));
}

TEST(every_object_has_help)
{
	static const char *const objs[] = {
		"status", "agents", "caps", "kill", "migrate", "audit", "events",
		"run", "ledger", "episode", "ltm", "pack", "context",
	};
	char want[64];
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		snprintf(want, sizeof(want), "usage: aiosctl %s", objs[i]);
		run(&r, objs[i], "--help", NULL);
		EXPECT_EQ(0, r.status) TH_LOG("%s --help", objs[i]);
		EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("%s", r.out);
		run(&r, "help", objs[i], NULL);
		EXPECT_EQ(0, r.status);
		EXPECT_NE(NULL, strstr(r.out, want));
		run(&r, objs[i], "help", NULL);
		EXPECT_EQ(0, r.status);
		EXPECT_NE(NULL, strstr(r.out, want));
	}
}

TEST(unknown_and_ambiguous_objects)
{
	struct run r;

	run(&r, "frobnicate", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown object \"frobnicate\""));
	run(&r, "a", NULL);	/* agents or audit */
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "ambiguous"));
	run(&r, "--frob", "status", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown option"));
}

TEST(abbreviations_resolve)
{
	struct run r;

	/* "st" is status: no usage error (0 with the module, 1 without) */
	run(&r, "st", NULL);
	EXPECT_NE(2, r.status);
	EXPECT_EQ(NULL, strstr(r.err, "unknown object"));
	run(&r, "ag", "sh", "--help", NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "usage: aiosctl agents"));
	run(&r, "cap", "r", "5", "ADMIN", NULL);	/* caps revoke */
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "refusing to revoke ADMIN from agent 5"));
}

TEST(high_risk_actions_need_confirmation_on_non_tty)
{
	struct run r;

	run(&r, "kill", "7", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "pass --yes"));
	EXPECT_EQ(0, strlen(r.out));
	run(&r, "caps", "revoke", "7", "ACCESS_NET,ACCESS_FS", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "revoke ACCESS_FS,ACCESS_NET from agent 7"));
}

TEST(bad_values_are_usage_errors)
{
	struct run r;

	run(&r, "caps", "grant", "7", "BOGUS", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad capability list \"BOGUS\""));
	run(&r, "caps", "show", "0", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "caps", "show", "x1", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "caps", "show", "1", "2", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "caps", "frob", "1", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "kill", "7", "--signal", "FOO", "--yes", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad signal \"FOO\""));
	run(&r, "kill", "7", "--signal", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "needs a value"));
	run(&r, "kill", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "migrate", "3", "2-1", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad CPU list \"2-1\""));
	run(&r, "migrate", "3", "5000", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "too large"));
	run(&r, "audit", "--limit", "0", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "audit", "--after", "-1", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "audit", "--frob", "1", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "audit", "config", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--ring-size"));
	run(&r, "audit", "config", "--ring-size", "1000", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "power of two"));
	run(&r, "events", "--count", "x", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "status", "extra", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unexpected argument"));
}

TEST(missing_module_fails_with_hint)
{
	struct run r;

	if (module_loaded())
		SKIP(return, "the aios module is loaded here");
	run(&r, "status", NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is the aios module loaded? (modprobe aios)"));
	run(&r, "-j", "agents", NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_EQ(0, strlen(r.out));
	run(&r, "--yes", "kill", "3", NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "modprobe aios"));
}

/* Runs through a local state directory (--state): no daemon needed. */
TEST(runs_offline_state_dir)
{
	char dir[] = "/tmp/aiosctl-runs-XXXXXX", state[64], pack[64], ledger[128],
	     cmd[256];
	struct run r;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(state, sizeof(state), "--state=%s/s", dir);
	snprintf(pack, sizeof(pack), "%s/run.pack", dir);
	run(&r, "run", "create", "job", state, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "run", "create", "../job", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "run id"));
	run(&r, "run", "put", "job", "0",
	    "{\"goal\":\"g\",\"status\":\"active\",\"step\":1}", state, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "run", "put", "job", "0",
	    "{\"goal\":\"g\",\"status\":\"active\",\"step\":2}", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "current seq is 1"));
	run(&r, "run", "put", "job", "1", "{\"goal\":\"g\",\"colour\":1}", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "$.colour: unknown field"));
	run(&r, "ledger", "append", "job", "step", "{\"n\":1}", state, NULL);
	EXPECT_EQ(0, r.status);
	run(&r, "ledger", "append", "job", "step", "{\"n\":2}", state, NULL);
	run(&r, "-j", "ledger", "show", "job", state, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "\"records\""));
	run(&r, "episode", "create", "job", "m1", state, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "episode", "create", "job", "m1", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "immutable"));
	run(&r, "ledger", "verify", "job", state, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "ledger OK: 4 records"));
	run(&r, "pack", "export", "job", pack, state, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "pack", "import", pack, "--as", "job2", state, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "pack", "import", pack, "--as", "job2", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "already exists"));

	/* flip a byte of record 3's payload: verify names record 3, exit 1 */
	snprintf(ledger, sizeof(ledger), "%s/s/runs/job/ledger.log", dir);
	snprintf(cmd, sizeof(cmd), "sed -i 's/{\"n\":2}/{\"n\":3}/' %s", ledger);
	ASSERT_EQ(0, system(cmd));
	run(&r, "ledger", "verify", "--file", ledger, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.out, "first bad record 3"));
	run(&r, "-j", "ledger", "verify", "job", state, NULL);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.out, "\"bad_seq\":3"));
	run(&r, "ledger", "verify", "job2", state, NULL);
	EXPECT_EQ(0, r.status);

	/* usage errors */
	run(&r, "ledger", "show", "job", "--limit", "0", state, NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "ltm", "commit", "job", state, NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "context", "check", "[]", state, NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--model or --budget"));
	run(&r, "ltm", "discard", "job", "p-1", state, NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--yes"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
