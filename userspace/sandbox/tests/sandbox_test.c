// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests of libaiossandbox: manifests, argument checks, path checks,
 * the seccomp filter, health and refusal, and (when this host offers user
 * namespaces) real runs.  cgroup v2 is often missing on build hosts, so the
 * runs here allow that one weaker mode explicitly; the VM selftests
 * (selftests/aios/sandbox*.c) run with every protection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "aios_sandbox.h"
#include "aios_sb_registry.h"
#include "aios_sb_tool.h"
#include "sb_ns.h"
#include "sb_seccomp.h"

static const char good[] =
	"{\"name\": \"grep\", \"type\": \"exec\", \"description\": \"search\","
	" \"command\": [\"/usr/bin/grep\", \"-n\", \"--\"], \"permission\": "
	"\"READ_ONLY\", \"sandboxed\": true, \"confirm\": false, \"max_args\": 3,"
	" \"limits\": {\"memory_mb\": 64, \"pids\": 8, \"cpu_pct\": 50, "
	"\"timeout_ms\": 1000, \"stdout_max\": 4096, \"stderr_max\": 512},"
	" \"paths\": {\"ro\": [\"/srv/data\"]}}";

TEST(manifest_valid)
{
	struct aios_sb_tool *t;
	char msg[512];

	ASSERT_EQ(0, aios_sb_tool_parse(good, strlen(good), &t, msg, sizeof(msg)));
	EXPECT_STREQ("grep", t->name);
	EXPECT_EQ(3, t->n_command);
	EXPECT_STREQ("--", t->command[2]);
	EXPECT_EQ(NULL, t->command[3]);
	EXPECT_EQ(AIOS_SB_PERM_READ_ONLY, t->permission);
	EXPECT_EQ(64ULL << 20, t->memory_max);
	EXPECT_EQ(8, t->pids_max);
	EXPECT_EQ(50, t->cpu_pct);
	EXPECT_EQ(1000, t->timeout_ms);
	EXPECT_EQ(4096, t->stdout_max);
	EXPECT_STREQ("/srv/data", t->ro_paths[0]);
	EXPECT_EQ(NULL, t->rw_paths);
	aios_sb_tool_free(t);
}

TEST(manifest_invalid)
{
	static const char *const bad[][2] = {
		{ "", "line" },
		{ "{\"name\": \"x\"}", "missing required key" },
		{ "{\"name\": \"X\", \"command\": [\"/a\"], \"permission\": \"ADMIN\"}",
		  "\"name\" must be" },
		{ "{\"name\": \"x\", \"command\": [], \"permission\": \"ADMIN\"}",
		  "absolute program path" },
		{ "{\"name\": \"x\", \"command\": [\"/a\\n\"], \"permission\": "
		  "\"ADMIN\"}", "printable" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"type\": \"shell\"}", "\"type\" must be" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"limits\": {\"memory_mb\": -1}}", "within" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"limits\": {\"swap\": 1}}", "unknown key \"limits.swap\"" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"paths\": {\"ro\": [\"/usr/lib\"]}}", "inside /usr" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"paths\": {\"rw\": [\"/srv/../etc\"]}}", "'..'" },
		{ "{\"name\": \"x\", \"command\": [\"/a\"], \"permission\": \"ADMIN\","
		  " \"max_args\": 1000}", "within" },
	};
	struct aios_sb_tool *t;
	char msg[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		EXPECT_NE(0, aios_sb_tool_parse(bad[i][0], strlen(bad[i][0]), &t,
						msg, sizeof(msg)));
		EXPECT_EQ(NULL, t);
		TH_LOG("%u: %s", i, msg);
		EXPECT_NE(NULL, strstr(msg, bad[i][1]));
		EXPECT_EQ(0, strncmp(msg, "tool manifest: ", 15));
	}
}

TEST(tool_request_arguments)
{
	const char *args[] = { "pattern; rm -rf /", "$(id)", NULL };
	const char *opt[] = { "-r", NULL };
	const char *many[] = { "a", "b", "c", "d", NULL };
	const char *ctl[] = { "a\x1b[2J", NULL };
	struct aios_sb_request rq;
	struct aios_sb_tool *t;
	char msg[512], **argv;

	ASSERT_EQ(0, aios_sb_tool_parse(good, strlen(good), &t, msg, sizeof(msg)));
	ASSERT_EQ(0, aios_sb_tool_request(t, args, AIOS_SB_PERM_READ_ONLY, &rq,
					  &argv, msg, sizeof(msg)));
	EXPECT_STREQ("/usr/bin/grep", rq.argv[0]);
	EXPECT_STREQ("--", rq.argv[2]);
	EXPECT_STREQ("pattern; rm -rf /", rq.argv[3]);
	EXPECT_STREQ("$(id)", rq.argv[4]);
	EXPECT_EQ(NULL, rq.argv[5]);
	EXPECT_EQ(0, rq.access);
	EXPECT_EQ(1000, rq.timeout_ms);
	free(argv);
	EXPECT_EQ(-EINVAL, aios_sb_tool_request(t, opt, AIOS_SB_PERM_ADMIN, &rq,
						&argv, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "starts with '-'"));
	EXPECT_EQ(-E2BIG, aios_sb_tool_request(t, many, AIOS_SB_PERM_ADMIN, &rq,
					       &argv, msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, aios_sb_tool_request(t, ctl, AIOS_SB_PERM_ADMIN, &rq,
						&argv, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "control character"));
	t->permission = AIOS_SB_PERM_NETWORK;
	EXPECT_EQ(-EPERM, aios_sb_tool_request(t, args, AIOS_SB_PERM_READ_WRITE,
					       &rq, &argv, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "requires permission NETWORK, the agent has "
			       "READ_WRITE"));
	ASSERT_EQ(0, aios_sb_tool_request(t, args, AIOS_SB_PERM_NETWORK, &rq,
					  &argv, msg, sizeof(msg)));
	EXPECT_EQ(AIOS_SB_ACCESS_NET, rq.access);
	free(argv);
	aios_sb_tool_free(t);
}

TEST(path_checks)
{
	char msg[256];

	EXPECT_EQ(0, sb_ns_check_path("/srv/data", msg, sizeof(msg)));
	EXPECT_EQ(0, sb_ns_check_path("/work/x..y", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("srv", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/srv/..", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/usr", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/lib64/x", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/proc/1", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/tmp", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, sb_ns_check_path("/a\tb", msg, sizeof(msg)));
	EXPECT_EQ(0, sb_ns_check_path("/usrx", msg, sizeof(msg)));
}

/* The filter, installed in a child, denies what it lists. */
TEST(seccomp_filter_denies)
{
	struct sock_fprog prog;
	char msg[256];
	int status;
	pid_t pid;

	ASSERT_EQ(0, sb_seccomp_build(false, &prog, msg, sizeof(msg)));
	EXPECT_GT(prog.len, 40);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sb_seccomp_apply(&prog))
			_exit(10);
		if (unshare(CLONE_NEWUSER) == 0 || errno != EPERM)
			_exit(11);
		if (syscall(SYS_ptrace, 0, 0, 0, 0) == 0 || errno != EPERM)
			_exit(12);
		if (syscall(SYS_io_uring_setup, 1, NULL) == 0 || errno != EPERM)
			_exit(13);
		if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM)
			_exit(14);
		if (socket(AF_UNIX, SOCK_STREAM, 0) < 0)
			_exit(15);
		if (syscall(SYS_clone3, NULL, 0) == 0 || errno != ENOSYS)
			_exit(16);
		if (getpid() <= 0)
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	sb_seccomp_free(&prog);
}

TEST(health_and_refusal)
{
	struct aios_sb_config cfg = { .uid = (uid_t)-1, .gid = (gid_t)-1,
				      .cgroup_parent = "/proc/aios-none" };
	char text[2048], msg[512];
	struct aios_sb *sb;
	unsigned int have;

	have = aios_sb_health(&cfg, text, sizeof(text));
	TH_LOG("%s", text);
	EXPECT_EQ(0, have & AIOS_SB_PROT_CGROUP);
	EXPECT_NE(NULL, strstr(text, "cgroup-v2: NO ("));
	EXPECT_NE(NULL, strstr(text, "landlock: "));
	EXPECT_NE(NULL, strstr(text, "seccomp: "));
	EXPECT_EQ(-EOPNOTSUPP, aios_sb_open(&cfg, &sb, msg, sizeof(msg)));
	EXPECT_EQ(NULL, sb);
	EXPECT_NE(NULL, strstr(msg, "missing protection: cgroup-v2"));
	cfg.allow_weak = 1u << 30;
	EXPECT_EQ(-EINVAL, aios_sb_open(&cfg, &sb, msg, sizeof(msg)));
}

FIXTURE(run) {
	struct aios_sb *sb;
};

FIXTURE_SETUP(run)
{
	struct aios_sb_config cfg = { .uid = (uid_t)-1, .gid = (gid_t)-1,
				      .allow_weak = AIOS_SB_PROT_CGROUP };
	char msg[512];
	int rc;

	self->sb = NULL;
	rc = aios_sb_open(&cfg, &self->sb, msg, sizeof(msg));
	if (rc)
		SKIP(return, "no sandbox on this host: %s", msg);
}

FIXTURE_TEARDOWN(run)
{
	aios_sb_close(self->sb);
}

TEST_F(run, echo_and_status)
{
	const char *argv[] = { "/bin/sh", "-c", "echo \"$1\"; exit 3", "sh",
			       "a;b $(x)", NULL };
	struct aios_sb_request rq = { .argv = argv };
	struct aios_sb_result res;

	ASSERT_EQ(0, aios_sb_run(self->sb, &rq, &res));
	EXPECT_TRUE(res.exited);
	EXPECT_EQ(3, res.exit_code);
	EXPECT_STREQ("a;b $(x)\n", res.out);
	EXPECT_FALSE(res.warm);
	aios_sb_result_free(&res);
}

TEST_F(run, timeout_kills)
{
	const char *argv[] = { "/bin/sleep", "100", NULL };
	struct aios_sb_request rq = { .argv = argv, .timeout_ms = 200 };
	struct aios_sb_result res;

	ASSERT_EQ(0, aios_sb_run(self->sb, &rq, &res));
	EXPECT_TRUE(res.timed_out);
	EXPECT_EQ(SIGKILL, res.signal);
	aios_sb_result_free(&res);
}

TEST_F(run, bad_requests)
{
	const char *rel[] = { "sh", NULL };
	const char *ok[] = { "/bin/true", NULL };
	const char *rw[] = { "/srv", NULL };
	struct aios_sb_request rq = { .argv = rel };
	struct aios_sb_result res;
	int fd = 1000;

	EXPECT_EQ(-EINVAL, aios_sb_run(self->sb, &rq, &res));
	EXPECT_NE(NULL, strstr(aios_sb_errmsg(self->sb), "absolute path"));
	rq.argv = ok;
	rq.rw_paths = rw;
	EXPECT_EQ(-EPERM, aios_sb_run(self->sb, &rq, &res));
	EXPECT_NE(NULL, strstr(aios_sb_errmsg(self->sb), "ACCESS_FS"));
	rq.rw_paths = NULL;
	rq.access = 0x80;
	EXPECT_EQ(-EINVAL, aios_sb_run(self->sb, &rq, &res));
	rq.access = 0;
	rq.keep_fds = &fd;
	rq.n_keep_fds = 1;
	EXPECT_EQ(-EBADF, aios_sb_run(self->sb, &rq, &res));
	EXPECT_EQ(-EINVAL, aios_sb_run(self->sb, NULL, &res));
}

static void on_started(void *arg, uint64_t cgid)
{
	uint64_t *seen = arg;

	seen[0]++;
	seen[1] = cgid;
}

TEST_F(run, started_callback_comes_before_the_tool_with_its_cgroup)
{
	const char *argv[] = { "/bin/echo", "x", NULL };
	uint64_t seen[2] = { 0, ~0ull };
	struct aios_sb_request rq = { .argv = argv, .started = on_started,
				      .started_arg = seen };
	struct aios_sb_result res;

	ASSERT_EQ(0, aios_sb_run(self->sb, &rq, &res));
	EXPECT_EQ(1, seen[0]);
	EXPECT_EQ(res.cgroup_id, seen[1]);	/* 0 without cgroup v2 */
	aios_sb_result_free(&res);
	/* a refused request never starts */
	argv[0] = "echo";
	seen[0] = 0;
	EXPECT_EQ(-EINVAL, aios_sb_run(self->sb, &rq, &res));
	EXPECT_EQ(0, seen[0]);
}

struct par {
	struct aios_sb *sb;
	int i, rc;
	char arg[16], out[64], err[256];
	pthread_t th;
};

static void *par_main(void *arg)
{
	struct par *p = arg;
	const char *good[] = { "/bin/echo", p->arg, NULL };
	const char *bad[] = { "relative", NULL };
	struct aios_sb_request rq = { .argv = p->i % 2 ? bad : good };
	struct aios_sb_result res;

	for (int k = 0; k < 3; k++) {
		p->rc = aios_sb_run(p->sb, &rq, &res);
		if (p->rc) {
			snprintf(p->err, sizeof(p->err), "%s", aios_sb_errmsg(p->sb));
		} else {
			snprintf(p->out, sizeof(p->out), "%s", res.out);
			aios_sb_result_free(&res);
		}
	}
	return NULL;
}

TEST_F(run, threads_share_a_handle_with_their_own_errors)
{
	struct par p[6];

	for (int i = 0; i < 6; i++) {
		p[i] = (struct par){ .sb = self->sb, .i = i };
		snprintf(p[i].arg, sizeof(p[i].arg), "t%d", i);
		ASSERT_EQ(0, pthread_create(&p[i].th, NULL, par_main, &p[i]));
	}
	for (int i = 0; i < 6; i++) {
		char want[16];

		pthread_join(p[i].th, NULL);
		if (p[i].i % 2) {
			EXPECT_EQ(-EINVAL, p[i].rc);
			EXPECT_NE(NULL, strstr(p[i].err, "absolute path"));
		} else {
			snprintf(want, sizeof(want), "t%d\n", i);
			EXPECT_EQ(0, p[i].rc);
			EXPECT_STREQ(want, p[i].out);
		}
	}
}

static struct aios_sb_tool *tool(const char *name, const char *perm, bool confirm)
{
	char json[512], msg[512];
	struct aios_sb_tool *t;

	snprintf(json, sizeof(json), "{\"name\": \"%s\", \"command\": "
		 "[\"/bin/true\"], \"permission\": \"%s\", \"confirm\": %s}",
		 name, perm, confirm ? "true" : "false");
	return aios_sb_tool_parse(json, strlen(json), &t, msg, sizeof(msg)) ?
	       NULL : t;
}

TEST(registry_and_permission_checks)
{
	const char *allowed[] = { "ls", NULL };
	const struct aios_sb_tool *t;
	struct aios_sb_registry *r;
	struct aios_sb_tool *dup;
	char msg[512];

	ASSERT_EQ(0, aios_sb_registry_new(&r));
	ASSERT_EQ(0, aios_sb_registry_add(r, tool("ls", "READ_ONLY", false), msg,
					  sizeof(msg)));
	ASSERT_EQ(0, aios_sb_registry_add(r, tool("curl", "NETWORK", false), msg,
					  sizeof(msg)));
	ASSERT_EQ(0, aios_sb_registry_add(r, tool("rm", "READ_WRITE", true), msg,
					  sizeof(msg)));
	dup = tool("ls", "ADMIN", false);
	EXPECT_EQ(-EEXIST, aios_sb_registry_add(r, dup, msg, sizeof(msg)));
	aios_sb_tool_free(dup);
	EXPECT_EQ(3, aios_sb_registry_count(r));
	EXPECT_STREQ("curl", aios_sb_registry_at(r, 0)->name);
	EXPECT_STREQ("rm", aios_sb_registry_at(r, 2)->name);
	EXPECT_EQ(NULL, aios_sb_registry_at(r, 3));

	EXPECT_EQ(0, aios_sb_registry_check(r, "ls", AIOS_SB_PERM_READ_ONLY, NULL,
					    &t, msg, sizeof(msg)));
	EXPECT_STREQ("ls", t->name);
	EXPECT_EQ(-ENOENT, aios_sb_registry_check(r, "nc", AIOS_SB_PERM_ADMIN,
						  NULL, &t, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "unknown tool 'nc'"));
	EXPECT_EQ(-EPERM, aios_sb_registry_check(r, "curl", AIOS_SB_PERM_READ_WRITE,
						 NULL, &t, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "requires permission NETWORK"));
	EXPECT_EQ(-EPERM, aios_sb_registry_check(r, "rm", AIOS_SB_PERM_ADMIN,
						 allowed, &t, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "not in the agent's allowed tools"));
	EXPECT_EQ(NULL, t);
	aios_sb_registry_free(r);
}

TEST(registry_load_dir_names_the_bad_manifest)
{
	char dir[] = "/tmp/sb-reg-XXXXXX", path[256], msg[512];
	struct aios_sb_registry *r;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.json", dir);
	f = fopen(path, "w");
	fputs("{\"name\": \"a\", \"command\": [\"/bin/true\"], \"permission\": "
	      "\"READ_ONLY\"}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/README", dir);
	f = fopen(path, "w");
	fputs("not a manifest", f);
	fclose(f);
	ASSERT_EQ(0, aios_sb_registry_new(&r));
	EXPECT_EQ(0, aios_sb_registry_load_dir(r, dir, msg, sizeof(msg)));
	EXPECT_EQ(1, aios_sb_registry_count(r));
	aios_sb_registry_free(r);
	snprintf(path, sizeof(path), "%s/b.json", dir);
	f = fopen(path, "w");
	fputs("{\"name\": \"b\", \"command\": [\"/bin/true\"]}", f);
	fclose(f);
	ASSERT_EQ(0, aios_sb_registry_new(&r));
	EXPECT_EQ(-EINVAL, aios_sb_registry_load_dir(r, dir, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "b.json: tool manifest: missing required key"));
	aios_sb_registry_free(r);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/README", dir);
	unlink(path);
	rmdir(dir);
}

struct decider {
	struct aios_sb_confirm *c;
	uint64_t id;
	bool allow;
};

static void *decide_later(void *arg)
{
	struct decider *d = arg;

	usleep(20000);
	/* Someone else than the owner, not admin: refused. */
	if (aios_sb_confirm_decide(d->c, d->id, true, false, 99) != -EPERM)
		return (void *)1;
	return (void *)(long)aios_sb_confirm_decide(d->c, d->id, d->allow,
						    false, 1000);
}

TEST(confirmation_queue)
{
	struct aios_sb_confirm *c;
	struct decider d;
	uint64_t ids[4];
	pthread_t th;
	void *ret;

	ASSERT_EQ(0, aios_sb_confirm_new(&c));
	d.c = c;
	ASSERT_EQ(0, aios_sb_confirm_park(c, "rm /srv/x", 1000, &d.id));
	EXPECT_EQ(1, aios_sb_confirm_pending(c, ids, 4));
	EXPECT_EQ(d.id, ids[0]);
	d.allow = true;
	pthread_create(&th, NULL, decide_later, &d);
	EXPECT_EQ(0, aios_sb_confirm_wait(c, d.id, 5000));
	pthread_join(th, &ret);
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(0, aios_sb_confirm_pending(c, ids, 4));
	/* Denied. */
	ASSERT_EQ(0, aios_sb_confirm_park(c, "rm /srv/y", 1000, &d.id));
	d.allow = false;
	pthread_create(&th, NULL, decide_later, &d);
	EXPECT_EQ(-EACCES, aios_sb_confirm_wait(c, d.id, 5000));
	pthread_join(th, &ret);
	/* Nobody decides: timeout, and the call is gone. */
	ASSERT_EQ(0, aios_sb_confirm_park(c, "rm /srv/z", 1000, &d.id));
	EXPECT_EQ(-ETIMEDOUT, aios_sb_confirm_wait(c, d.id, 30));
	EXPECT_EQ(-ENOENT, aios_sb_confirm_decide(c, d.id, true, true, 0));
	EXPECT_EQ(-ENOENT, aios_sb_confirm_wait(c, 12345, 10));
	/* An admin decides for anyone. */
	ASSERT_EQ(0, aios_sb_confirm_park(c, "x", 1000, &d.id));
	EXPECT_EQ(0, aios_sb_confirm_decide(c, d.id, true, true, 0));
	EXPECT_EQ(0, aios_sb_confirm_wait(c, d.id, 10));
	aios_sb_confirm_free(c);
}

TEST_HARNESS_MAIN
