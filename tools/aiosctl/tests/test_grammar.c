// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of aiosctl's grammar as a whole: every command of the
 * command table ("aiosctl help --commands") has help at every level,
 * abbreviations resolve to the same command, ambiguous prefixes fail with
 * the candidates, usage errors exit 2 naming the bad word, high-risk
 * actions refuse without --yes when stdin is not a terminal and ask on a
 * terminal, and -j/-p work before and after the object.  No module or
 * aiosd is needed: what is checked happens before either is contacted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef AIOSCTL_BIN
#define AIOSCTL_BIN "aiosctl"
#endif

#define MAXCMDS	256
#define MAXARGS	32

struct run {
	int status;		/* exit code, or -1 */
	char out[65536];
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

/*
 * Run aiosctl with argv (argv[0] is filled in) and stdin from in_fd
 * (/dev/null when -1); input is written to answer_fd once aiosctl asks
 * its "[y/N]" question on stderr.
 */
static void runv(struct run *r, char **argv, int in_fd, int answer_fd,
		 const char *input)
{
	int po[2], pe[2], st;
	size_t lo = 0, le = 0;
	bool oo = true, eo = true;
	struct pollfd p[2];
	pid_t pid;

	argv[0] = AIOSCTL_BIN;
	r->out[0] = r->err[0] = '\0';
	r->status = -1;
	if (pipe(po) || pipe(pe))
		return;
	pid = fork();
	if (pid == 0) {
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);

		dup2(in, 0);
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
		if (p[1].revents) {
			drain(pe[0], r->err, sizeof(r->err), &le, &eo);
			/* answer the confirmation question once it is asked */
			if (input && strstr(r->err, "[y/N]")) {
				if (write(answer_fd, input, strlen(input)) < 0)
					break;
				input = NULL;
			}
		}
	}
	close(po[0]);
	close(pe[0]);
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
}

/* Run aiosctl with the NULL-terminated arguments, stdin /dev/null. */
static void run(struct run *r, ...)
{
	char *argv[MAXARGS];
	va_list ap;
	int i = 1;

	va_start(ap, r);
	while (i < MAXARGS - 1 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	runv(r, argv, -1, -1, NULL);
}

/* Run "aiosctl WORDS... EXTRA..." where WORDS is a space-separated line. */
static void run_line(struct run *r, const char *line, const char *const *extra,
		     int nextra, bool help_first)
{
	char buf[256], *argv[MAXARGS], *save, *w;
	int i = 1, k;

	snprintf(buf, sizeof(buf), "%s", line);
	if (help_first)
		argv[i++] = "help";
	for (w = strtok_r(buf, " ", &save); w && i < MAXARGS - 8;
	     w = strtok_r(NULL, " ", &save))
		argv[i++] = w;
	for (k = 0; k < nextra; k++)
		argv[i++] = (char *)extra[k];
	argv[i] = NULL;
	runv(r, argv, -1, -1, NULL);
}

struct cmds {
	int n;
	char line[MAXCMDS][64];
	char obj[MAXCMDS][24];
	char cmd[MAXCMDS][24];	/* first command word, or "" */
};

static void load_cmds(struct __test_metadata *_metadata, struct cmds *c)
{
	static struct run r;
	char *save, *l;

	run(&r, "help", "--commands", NULL);
	ASSERT_EQ(0, r.status);
	c->n = 0;
	for (l = strtok_r(r.out, "\n", &save); l && c->n < MAXCMDS;
	     l = strtok_r(NULL, "\n", &save)) {
		snprintf(c->line[c->n], 64, "%s", l);
		c->obj[c->n][0] = c->cmd[c->n][0] = '\0';
		sscanf(l, "%23s %23s", c->obj[c->n], c->cmd[c->n]);
		c->n++;
	}
	ASSERT_GT(c->n, 40);
}

/* Shortest prefix of word that no other word of list[0..n) starts with. */
static void shortest(char *out, const char *word, char list[][24], int n,
		     const char *const *also, int nalso)
{
	size_t len, wl = strlen(word);
	int i;

	for (len = 1; len < wl; len++) {
		bool unique = true;

		for (i = 0; unique && i < n; i++)
			if (strcmp(list[i], word) && !strncmp(list[i], word, len))
				unique = false;
		for (i = 0; unique && i < nalso; i++)
			if (strcmp(also[i], word) && !strncmp(also[i], word, len))
				unique = false;
		if (unique)
			break;
	}
	memcpy(out, word, len);
	out[len] = '\0';
}

TEST(help_at_every_level)
{
	static const char *const helps[] = { "--help", "help", "-h" };
	static struct cmds c;
	static struct run r;
	char want[64];
	int i, h;

	load_cmds(_metadata, &c);
	for (i = 0; i < c.n; i++) {
		snprintf(want, sizeof(want), "usage: aiosctl %s", c.obj[i]);
		for (h = 0; h < 3; h++) {
			run_line(&r, c.line[i], &helps[h], 1, false);
			EXPECT_EQ(0, r.status) TH_LOG("aiosctl %s %s: %s", c.line[i],
						      helps[h], r.err);
			EXPECT_NE(NULL, strstr(r.out, want))
				TH_LOG("aiosctl %s %s printed: %.200s", c.line[i],
				       helps[h], r.out);
			EXPECT_EQ(0, strlen(r.err)) TH_LOG("%s", r.err);
		}
		/* aiosctl help OBJECT [COMMAND] */
		run_line(&r, c.line[i], NULL, 0, true);
		EXPECT_EQ(0, r.status) TH_LOG("aiosctl help %s: %s", c.line[i], r.err);
		EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("help %s", c.line[i]);
	}
}

TEST(command_table_covers_every_object)
{
	static struct cmds c;
	static struct run r;
	char *objs, *end, *save, *w;
	bool found;
	int i, nobj = 0;

	load_cmds(_metadata, &c);
	run(&r, "help", NULL);
	ASSERT_EQ(0, r.status);
	objs = strstr(r.out, "OBJECT := {");
	ASSERT_NE(NULL, objs);
	end = strchr(objs, '}');
	ASSERT_NE(NULL, end);
	*end = '\0';
	for (w = strtok_r(objs + 11, " |\n", &save); w;
	     w = strtok_r(NULL, " |\n", &save)) {
		if (!strcmp(w, "help"))
			continue;
		found = false;
		for (i = 0; i < c.n; i++)
			found |= !strcmp(c.obj[i], w);
		EXPECT_TRUE(found) TH_LOG("object %s of the usage text is not in help --commands", w);
		nobj++;
	}
	EXPECT_GT(nobj, 20);
	/* and every object of the table is in the usage text */
	run(&r, "help", NULL);
	for (i = 0; i < c.n; i++) {
		char pat[40];

		snprintf(pat, sizeof(pat), " %s ", c.obj[i]);
		EXPECT_NE(NULL, strstr(r.out, pat)) TH_LOG("%s not in usage", c.obj[i]);
	}
}

TEST(abbreviations_resolve_to_the_same_command)
{
	static const char *const help[] = { "--help" };
	static struct cmds c;
	static struct run full, abbr;
	char objs[MAXCMDS][24], cmds[MAXCMDS][24], line[64];
	char po[24], pc[24];
	int i, j, no = 0, nc;

	load_cmds(_metadata, &c);
	for (i = 0; i < c.n; i++)
		if (!no || strcmp(objs[no - 1], c.obj[i]))
			snprintf(objs[no++], 24, "%s", c.obj[i]);
	for (i = 0; i < c.n; i++) {
		if (!c.cmd[i][0] || strchr(c.line[i] + strlen(c.obj[i]) + 1, ' '))
			continue;	/* no command, or a nested one */
		nc = 0;
		for (j = 0; j < c.n; j++)
			if (!strcmp(c.obj[j], c.obj[i]))
				snprintf(cmds[nc++], 24, "%s", c.cmd[j]);
		shortest(po, c.obj[i], objs, no, (const char *const[]){ "help" }, 1);
		/* "ls" is an alias of list wherever both would clash */
		shortest(pc, c.cmd[i], cmds, nc, (const char *const[]){ "ls", "list" }, 2);
		snprintf(line, sizeof(line), "%s %s", po, pc);
		run_line(&full, c.line[i], help, 1, false);
		run_line(&abbr, line, help, 1, false);
		EXPECT_EQ(0, abbr.status) TH_LOG("aiosctl %s --help (%s): %s", line,
						 c.line[i], abbr.err);
		EXPECT_STREQ(full.out, abbr.out) TH_LOG("aiosctl %s vs %s", line, c.line[i]);
	}
	/* the example of the manual: ag l = agents list */
	run(&full, "agents", "list", "--help", NULL);
	run(&abbr, "ag", "l", "--help", NULL);
	EXPECT_EQ(0, abbr.status);
	EXPECT_STREQ(full.out, abbr.out);
	/* aliases: memory list = memory ls, queues ls = queues list */
	run(&abbr, "mem", "list", "--help", NULL);
	EXPECT_EQ(0, abbr.status);
	run(&abbr, "q", "ls", "--help", NULL);
	EXPECT_EQ(0, abbr.status);
	/* nested: http token ls */
	run(&abbr, "htt", "t", "l", "--help", NULL);
	EXPECT_EQ(0, abbr.status) TH_LOG("%s", abbr.err);
	EXPECT_NE(NULL, strstr(abbr.out, "usage: aiosctl http"));
}

TEST(ambiguous_prefixes_list_the_candidates)
{
	static struct cmds c;
	static struct run r;
	char pre[8];
	int i, j, k, checked = 0;

	/* objects: "a" is agents or audit */
	run(&r, "a", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "object \"a\" is ambiguous"));
	EXPECT_NE(NULL, strstr(r.err, "agents"));
	EXPECT_NE(NULL, strstr(r.err, "audit"));
	EXPECT_EQ(0, strlen(r.out));
	/* every pair of commands of one object sharing a first letter */
	load_cmds(_metadata, &c);
	for (i = 0; i < c.n; i++) {
		for (j = i + 1; j < c.n; j++) {
			if (strcmp(c.obj[i], c.obj[j]) || !c.cmd[i][0] ||
			    c.cmd[i][0] != c.cmd[j][0] || !strcmp(c.cmd[i], c.cmd[j]))
				continue;
			/* longest common prefix that is a proper prefix of both */
			for (k = 0; c.cmd[i][k] && c.cmd[i][k] == c.cmd[j][k] && k < 7; k++)
				pre[k] = c.cmd[i][k];
			pre[k] = '\0';
			if (!strcmp(pre, c.cmd[i]) || !strcmp(pre, c.cmd[j]))
				continue;	/* one is a prefix of the other */
			run(&r, c.obj[i], pre, NULL);
			EXPECT_EQ(2, r.status) TH_LOG("aiosctl %s %s", c.obj[i], pre);
			EXPECT_NE(NULL, strstr(r.err, "is ambiguous"))
				TH_LOG("aiosctl %s %s: %s", c.obj[i], pre, r.err);
			EXPECT_NE(NULL, strstr(r.err, c.cmd[i])) TH_LOG("%s", r.err);
			EXPECT_NE(NULL, strstr(r.err, c.cmd[j])) TH_LOG("%s", r.err);
			checked++;
		}
	}
	EXPECT_GE(checked, 5);
	/* ltm pro: propose or proposals */
	run(&r, "ltm", "pro", "r", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "propose, proposals"));
	/* options too */
	run(&r, "audit", "--a", "1", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--after, --agent"));
}

TEST(usage_errors_exit_2_naming_the_word)
{
	static struct run r;
	const char *nl;

	run(&r, "caps", "frobnicate", "1", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown caps command \"frobnicate\""));
	EXPECT_NE(NULL, strstr(r.err, "show, grant, revoke"));
	/* one line of message, then the hint */
	nl = strchr(r.err, '\n');
	ASSERT_NE(NULL, nl);
	EXPECT_EQ(0, strncmp(nl + 1, "Try 'aiosctl caps help'.", 24));
	run(&r, "http", "token", "frob", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "\"frob\""));
	run(&r, "tasks", "cancel", "x", "--yes", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bad task id \"x\""));
	run(&r, "ipc", "policy", "3", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--allow"));
	run(&r, "ipc", "policy", "3", "--allow", "1,zz", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "\"zz\""));
	run(&r, "queues", "create", "q1", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "--algo"));
	run(&r, "memory", "rm", "--prefix", "p", "key", NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "--bogus", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown option \"--bogus\""));
	run(&r, "status", "--bogus", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "unknown option \"--bogus\""));
	/* the object with no command at all: usage on stderr */
	run(&r, "caps", NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_EQ(0, strlen(r.out));
}

/* Every high-risk action, with arguments that pass the usage checks. */
static const char *const risky[][8] = {
	{ "kill", "7", NULL },
	{ "caps", "revoke", "7", "ACCESS_NET", NULL },
	{ "queues", "destroy", "q1", NULL },
	{ "queues", "destroy", "q1", "--force", NULL },
	{ "tasks", "cancel", "5", NULL },
	{ "gpu", "unregister", "3", NULL },
	{ "memory", "rm", "--prefix", "agent:", NULL },
	{ "context", "delete", "s-1", NULL },
	{ "ltm", "discard", "run1", "p-1", NULL },
};

#define NRISKY ((int)(sizeof(risky) / sizeof(risky[0])))

static void run_risky(struct run *r, int i, const char *yes, int where,
		      int in_fd, int answer_fd, const char *input)
{
	char *argv[MAXARGS];
	int n = 1, k;

	if (yes && where == 0)
		argv[n++] = (char *)yes;
	for (k = 0; risky[i][k]; k++) {
		argv[n++] = (char *)risky[i][k];
		if (yes && where == 1 && k == 0)
			argv[n++] = (char *)yes;	/* after the object */
	}
	if (yes && where == 2)
		argv[n++] = (char *)yes;		/* at the end */
	argv[n] = NULL;
	runv(r, argv, in_fd, answer_fd, input);
}

TEST(high_risk_actions_refuse_without_yes_on_non_tty)
{
	static struct run r;
	int i;

	for (i = 0; i < NRISKY; i++) {
		run_risky(&r, i, NULL, 0, -1, -1, NULL);
		EXPECT_EQ(2, r.status) TH_LOG("aiosctl %s %s: %s", risky[i][0],
					      risky[i][1], r.err);
		EXPECT_NE(NULL, strstr(r.err, "refusing to"))
			TH_LOG("aiosctl %s %s: %s", risky[i][0], risky[i][1], r.err);
		EXPECT_NE(NULL, strstr(r.err, "pass --yes")) TH_LOG("%s", r.err);
		EXPECT_EQ(0, strlen(r.out));
	}
}

TEST(yes_is_accepted_anywhere)
{
	static const char *const yes[] = { "--yes", "-y" };
	static struct run r;
	int i, w, y;

	/*
	 * With --yes the action goes ahead: here it then fails (1) because
	 * the module or aiosd is not there (or the object does not exist),
	 * never with the confirmation refusal or a usage error.
	 */
	for (i = 0; i < NRISKY; i++) {
		for (w = 0; w < 3; w++) {
			for (y = 0; y < 2; y++) {
				run_risky(&r, i, yes[y], w, -1, -1, NULL);
				EXPECT_EQ(1, r.status)
					TH_LOG("aiosctl %s %s with %s at %d: %s",
					       risky[i][0], risky[i][1], yes[y], w, r.err);
				EXPECT_EQ(NULL, strstr(r.err, "refusing to"));
			}
		}
	}
}

/* A pseudo-terminal pair: *m the master, *s the slave (stdin of aiosctl). */
static int open_pty(int *m, int *s)
{
	struct termios t;

	*m = posix_openpt(O_RDWR | O_NOCTTY);
	if (*m < 0)
		return -1;
	if (grantpt(*m) || unlockpt(*m)) {
		close(*m);
		return -1;
	}
	*s = open(ptsname(*m), O_RDWR | O_NOCTTY);
	if (*s < 0) {
		close(*m);
		return -1;
	}
	if (!tcgetattr(*s, &t)) {
		t.c_lflag &= ~ECHO;	/* the answer is not echoed back */
		tcsetattr(*s, TCSANOW, &t);
	}
	return 0;
}

TEST(terminal_asks_and_only_yes_goes_ahead)
{
	static const char *const no[] = { "n\n", "\n", "nope\n" };
	static const char *const yes[] = { "y\n", "YES\n" };
	static struct run r;
	int i, k, m, s;

	for (i = 0; i < NRISKY; i++) {
		for (k = 0; k < 3; k++) {
			if (open_pty(&m, &s))
				SKIP(return, "no pseudo-terminal here");
			run_risky(&r, i, NULL, 0, s, m, no[k]);
			close(s);
			close(m);
			EXPECT_EQ(1, r.status) TH_LOG("aiosctl %s %s: %s", risky[i][0],
						      risky[i][1], r.err);
			EXPECT_NE(NULL, strstr(r.err, "? [y/N] ")) TH_LOG("%s", r.err);
			EXPECT_NE(NULL, strstr(r.err, "not confirmed, nothing done"));
			EXPECT_EQ(0, strlen(r.out));
		}
		for (k = 0; k < 2; k++) {
			if (open_pty(&m, &s))
				SKIP(return, "no pseudo-terminal here");
			run_risky(&r, i, NULL, 0, s, m, yes[k]);
			close(s);
			close(m);
			/* confirmed: it went on and failed later (no module/aiosd) */
			EXPECT_EQ(1, r.status) TH_LOG("%s", r.err);
			EXPECT_NE(NULL, strstr(r.err, "? [y/N] "));
			EXPECT_EQ(NULL, strstr(r.err, "not confirmed"))
				TH_LOG("aiosctl %s %s: %s", risky[i][0], risky[i][1], r.err);
		}
	}
}

/* Copy the string value of "key":"..." in json into out. */
static bool json_str(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(json, pat);
	if (!p)
		return false;
	p += strlen(pat);
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= len)
		return false;
	memcpy(out, p, e - p);
	out[e - p] = '\0';
	return true;
}

/* Without --yes nothing is destroyed; with it, it is (a local state dir). */
TEST(refusal_keeps_the_data_and_yes_destroys_it)
{
	static struct run r;
	char dir[] = "/tmp/aiosctl-grammar-state-XXXXXX";
	char prop[64], snap[64], cmd[256];

	ASSERT_NE(NULL, mkdtemp(dir));
	run(&r, "run", "create", "r1", "--state", dir, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	run(&r, "-j", "ltm", "propose", "r1",
	    "[{\"text\":\"the sky is blue\",\"scope\":\"facts\"}]", "--state", dir, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_TRUE(json_str(r.out, "proposal", prop, sizeof(prop)));
	run(&r, "ltm", "discard", "r1", prop, "--state", dir, NULL);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "pass --yes"));
	run(&r, "-j", "ltm", "proposals", "r1", "--state", dir, NULL);
	EXPECT_NE(NULL, strstr(r.out, prop)) TH_LOG("refused discard lost the proposal");
	run(&r, "ltm", "disc", "r1", prop, "--state", dir, "-y", NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "discarded"));
	run(&r, "-j", "ltm", "proposals", "r1", "--state", dir, NULL);
	EXPECT_EQ(NULL, strstr(r.out, prop));

	run(&r, "-j", "context", "create", "[{\"role\":\"system\",\"content\":\"hi\"}]",
	    "--state", dir, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_TRUE(json_str(r.out, "snapshot", snap, sizeof(snap)));
	run(&r, "context", "delete", snap, "--state", dir, NULL);
	EXPECT_EQ(2, r.status);
	run(&r, "-j", "context", "list", "--state", dir, NULL);
	EXPECT_NE(NULL, strstr(r.out, snap)) TH_LOG("refused delete lost the snapshot");
	run(&r, "--yes", "cont", "del", snap, "--state", dir, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.out, "deleted"));
	run(&r, "-j", "context", "list", "--state", dir, NULL);
	EXPECT_EQ(NULL, strstr(r.out, snap));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST(json_and_pretty_before_and_after_the_object)
{
	static struct run r;
	char path[] = "/tmp/aiosctl-grammar-XXXXXX";
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(6, write(fd, "{}\n\n\n\n", 6));
	close(fd);
	run(&r, "config", "hash", path, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(NULL, strchr(r.out, '{'));
	run(&r, "-j", "config", "hash", path, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "{\"file\":", 8)) TH_LOG("%s", r.out);
	run(&r, "config", "-j", "hash", path, NULL);
	EXPECT_EQ(0, strncmp(r.out, "{\"file\":", 8)) TH_LOG("%s", r.out);
	run(&r, "conf", "h", path, "--json", NULL);
	EXPECT_EQ(0, strncmp(r.out, "{\"file\":", 8)) TH_LOG("%s", r.out);
	/* -p alone is pretty JSON */
	run(&r, "-p", "config", "hash", path, NULL);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "{\n  \"file\":", 11)) TH_LOG("%s", r.out);
	run(&r, "config", "hash", path, "-p", NULL);
	EXPECT_EQ(0, strncmp(r.out, "{\n  \"file\":", 11)) TH_LOG("%s", r.out);
	unlink(path);
}

TEST_HARNESS_MAIN
