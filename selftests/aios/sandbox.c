// SPDX-License-Identifier: GPL-2.0
/*
 * The aios sandbox as a tool runner sees it (through aios-sandbox): argv
 * without a shell, exit status and signals, captured and limited output,
 * stdin, fds closed unless passed in, a fresh scratch per run, read-only and
 * writable paths decided by ACCESS_FS, the network by ACCESS_NET, the
 * namespaces, tool manifests (and malformed ones), and refusal when a
 * protection is missing.  Escape attempts are in sandbox_escape.c.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include "kselftest_harness.h"
#include "sandbox_test.h"

#define MARK "\n[aios-sandbox: output truncated]\n"

static void run_ok(struct __test_metadata *_metadata, struct sbres *r,
		   const char *const *opts, const char *const *argv)
{
	ASSERT_EQ(0, sbt_run(r, opts, argv));
	TH_LOG("status %d rc %d %s; out '%s' err '%s'", r->status, r->rc,
	       r->error, r->out, r->err);
	ASSERT_EQ(0, r->rc);
}

/* A fresh directory below BUILD (the sandbox provides its own /tmp). */
static void mkhostdir(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s/sandbox-test-%s-%d", sbt_build(), tag, getpid());
	mkdir(buf, 0777);
	chmod(buf, 0777);
}

static void rmhostdir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return 0;
}

TEST(health_lists_every_protection)
{
	char cmd[PATH_MAX + 32], out[4096] = "";
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s --health", sbt_cli());
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	TH_LOG("%s", out);
	EXPECT_EQ(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, "user-namespaces: yes"));
	EXPECT_NE(NULL, strstr(out, "namespaces: yes"));
	EXPECT_NE(NULL, strstr(out, "landlock: yes"));
	EXPECT_NE(NULL, strstr(out, "seccomp: yes"));
	EXPECT_NE(NULL, strstr(out, "cgroup-v2: yes"));
	EXPECT_NE(NULL, strstr(out, "bpf-lsm: "));
}

TEST(argv_is_not_interpreted_by_a_shell)
{
	struct sbres r;

	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/echo", "a b", "$(id)", ";",
					     "`touch /scratch/x`", "|", "*"));
	EXPECT_EQ(1, r.exited);
	EXPECT_EQ(0, r.exit_code);
	EXPECT_STREQ("a b $(id) ; `touch /scratch/x` | *\n", r.out);
	sbt_free(&r);
}

TEST(exit_status_and_signal)
{
	struct sbres r;

	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/sh", "-c", "exit 7"));
	EXPECT_EQ(1, r.exited);
	EXPECT_EQ(7, r.exit_code);
	EXPECT_EQ(7, r.status);
	sbt_free(&r);
	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/sh", "-c", "kill -TERM $$"));
	EXPECT_EQ(0, r.exited);
	EXPECT_EQ(SIGTERM, r.signal);
	EXPECT_EQ(128 + SIGTERM, r.status);
	sbt_free(&r);
}

TEST(missing_program_reports_exec_errno)
{
	struct sbres r;

	run_ok(_metadata, &r, NULL, SBT_ARGV("/nonexistent/tool"));
	EXPECT_EQ(ENOENT, r.exec_errno);
	EXPECT_EQ(126, r.status);
	sbt_free(&r);
}

TEST(relative_program_refused)
{
	struct sbres r;

	ASSERT_EQ(0, sbt_run(&r, NULL, SBT_ARGV("true")));
	EXPECT_EQ(125, r.status);
	EXPECT_EQ(-EINVAL, r.rc);
	EXPECT_NE(NULL, strstr(r.error, "absolute path"));
	sbt_free(&r);
}

TEST(stdout_stderr_stdin)
{
	struct sbres r;

	run_ok(_metadata, &r, SBT_ARGV("--stdin", "hello sandbox"),
	       SBT_ARGV("/bin/sh", "-c", "cat; echo oops >&2"));
	EXPECT_STREQ("hello sandbox", r.out);
	EXPECT_STREQ("oops\n", r.err);
	EXPECT_EQ(0, r.stdout_truncated);
	sbt_free(&r);
	/* Without --stdin the tool reads /dev/null. */
	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/cat"));
	EXPECT_STREQ("", r.out);
	EXPECT_EQ(0, r.exit_code);
	sbt_free(&r);
}

TEST(output_limit_and_marker)
{
	struct sbres r;

	run_ok(_metadata, &r, SBT_ARGV("--stdout-max", "100", "--stderr-max", "10"),
	       SBT_ARGV("/bin/sh", "-c", "head -c 1000 /dev/zero | tr '\\0' a; "
			"echo 0123456789abcdef >&2"));
	EXPECT_EQ(1, r.stdout_truncated);
	EXPECT_EQ(100 + strlen(MARK), r.stdout_len);
	EXPECT_EQ(0, strcmp(r.out + 100, MARK));
	EXPECT_EQ(1, r.stderr_truncated);
	EXPECT_EQ(0, strncmp(r.err, "0123456789" MARK, 10 + strlen(MARK)));
	sbt_free(&r);
	/* Exactly at the limit is not truncated. */
	run_ok(_metadata, &r, SBT_ARGV("--stdout-max", "5"),
	       SBT_ARGV("/bin/echo", "1234"));
	EXPECT_EQ(0, r.stdout_truncated);
	EXPECT_STREQ("1234\n", r.out);
	sbt_free(&r);
}

TEST(inherited_fds_closed_unless_passed)
{
	struct sbres r;
	char opt[16];
	int p[2];

	ASSERT_EQ(0, pipe(p));	/* no O_CLOEXEC: inherited by the CLI */
	ASSERT_EQ(14, write(p[1], "secret via fd\n", 14));
	close(p[1]);
	ASSERT_EQ(7, dup2(p[0], 7));
	run_ok(_metadata, &r, NULL,
	       SBT_ARGV("/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"));
	/* 0 1 2 and the fd ls uses for the directory, nothing else. */
	EXPECT_STREQ("0 1 2 3 ", r.out);
	sbt_free(&r);
	snprintf(opt, sizeof(opt), "%d", p[0]);
	run_ok(_metadata, &r, SBT_ARGV("--keep-fd", opt),
	       SBT_ARGV("/bin/sh", "-c", "cat <&3"));
	EXPECT_STREQ("secret via fd\n", r.out);
	sbt_free(&r);
	close(7);
	close(p[0]);
}

TEST(scratch_is_fresh_per_run)
{
	struct sbres r;

	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/sh", "-c",
		"echo data > /scratch/f && echo t > /tmp/t && cat /scratch/f && pwd"));
	EXPECT_STREQ("data\n/scratch\n", r.out);
	EXPECT_EQ(0, r.exit_code);
	sbt_free(&r);
	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/sh", "-c",
		"ls -A /scratch /tmp | tr '\\n' ' '"));
	EXPECT_STREQ("/scratch:  /tmp: ", r.out);
	sbt_free(&r);
}

TEST(read_only_path)
{
	char dir[PATH_MAX], file[PATH_MAX + 8], cmd[3 * PATH_MAX];
	struct sbres r;

	mkhostdir(dir, sizeof(dir), "ro");
	snprintf(file, sizeof(file), "%s/in", dir);
	ASSERT_EQ(0, write_file(file, "input\n"));
	chmod(file, 0644);
	snprintf(cmd, sizeof(cmd), "cat %s/in; echo x > %s/out; echo rc=$?", dir, dir);
	run_ok(_metadata, &r, SBT_ARGV("--ro", dir), SBT_ARGV("/bin/sh", "-c", cmd));
	EXPECT_NE(NULL, strstr(r.out, "input\n"));
	EXPECT_NE(NULL, strstr(r.out, "rc=2"));
	snprintf(file, sizeof(file), "%s/out", dir);
	EXPECT_NE(0, access(file, F_OK));
	sbt_free(&r);
	rmhostdir(dir);
}

TEST(writable_path_requires_access_fs)
{
	char dir[PATH_MAX], file[PATH_MAX + 8], cmd[2 * PATH_MAX];
	struct sbres r;

	mkhostdir(dir, sizeof(dir), "rw");
	snprintf(cmd, sizeof(cmd), "echo written > %s/out", dir);
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--rw", dir),
			     SBT_ARGV("/bin/sh", "-c", cmd)));
	EXPECT_EQ(125, r.status);
	EXPECT_EQ(-EPERM, r.rc);
	EXPECT_NE(NULL, strstr(r.error, "requires ACCESS_FS"));
	sbt_free(&r);
	run_ok(_metadata, &r, SBT_ARGV("--fs", "--rw", dir),
	       SBT_ARGV("/bin/sh", "-c", cmd));
	EXPECT_EQ(0, r.exit_code);
	snprintf(file, sizeof(file), "%s/out", dir);
	EXPECT_EQ(0, access(file, F_OK));
	sbt_free(&r);
	/* Paths the sandbox owns or that would cover the system are refused. */
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--fs", "--rw", "/usr/lib"),
			     SBT_ARGV("/bin/true")));
	EXPECT_EQ(-EINVAL, r.rc);
	sbt_free(&r);
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--ro", "/etc/../etc"),
			     SBT_ARGV("/bin/true")));
	EXPECT_EQ(-EINVAL, r.rc);
	sbt_free(&r);
	rmhostdir(dir);
}

static void netns_of(char *buf, size_t len, const char *path)
{
	ssize_t n = readlink(path, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
}

TEST(network_only_with_access_net)
{
	char host[64];
	struct sbres r;

	netns_of(host, sizeof(host), "/proc/self/ns/net");
	run_ok(_metadata, &r, NULL,
	       SBT_ARGV("/usr/bin/readlink", "/proc/self/ns/net"));
	EXPECT_EQ(0, r.exit_code);
	EXPECT_NE(0, strncmp(r.out, host, strlen(host)));
	sbt_free(&r);
	run_ok(_metadata, &r, SBT_ARGV("--net"),
	       SBT_ARGV("/usr/bin/readlink", "/proc/self/ns/net"));
	EXPECT_EQ(0, strncmp(r.out, host, strlen(host)));
	sbt_free(&r);
	/* With ACCESS_NET, sockets are allowed by the filter. */
	run_ok(_metadata, &r, SBT_ARGV("--net"), SBT_ARGV("/usr/bin/python3", "-c",
		"import socket; socket.socket(); print('ok')"));
	EXPECT_STREQ("ok\n", r.out);
	sbt_free(&r);
}

TEST(namespaces_and_identity)
{
	struct sbres r;
	char want[64];

	run_ok(_metadata, &r, NULL, SBT_ARGV("/bin/sh", "-c",
		"echo $$; hostname; id -u; cat /proc/self/cgroup; ls /"));
	snprintf(want, sizeof(want), "2\naios-sandbox\n%d\n0::/\n",
		 getuid() ? (int)getuid() : 65534);
	EXPECT_EQ(0, strncmp(r.out, want, strlen(want)));
	EXPECT_EQ(NULL, strstr(r.out, "home"));
	EXPECT_EQ(NULL, strstr(r.out, "root"));
	EXPECT_NE(NULL, strstr(r.out, "scratch"));
	EXPECT_NE(0, r.cgroup_id);
	sbt_free(&r);
}

TEST(warm_pool_runs_are_isolated)
{
	struct sbres r;

	/* --repeat 3 with a pool of 2: every run sees an empty scratch. */
	run_ok(_metadata, &r, SBT_ARGV("--pool", "2", "--repeat", "3"),
	       SBT_ARGV("/bin/sh", "-c", "ls -A /scratch; touch /scratch/mark; echo $$"));
	EXPECT_EQ(1, r.warm);
	EXPECT_EQ(NULL, strstr(r.out, "mark"));
	sbt_free(&r);
}

static void manifest(char *path, size_t len, const char *json)
{
	snprintf(path, len, "%s/sandbox-test-tool-%d.json", sbt_build(), getpid());
	write_file(path, json);
}

TEST(manifest_runs_with_arguments_as_argv)
{
	char path[PATH_MAX];
	struct sbres r;

	manifest(path, sizeof(path),
		 "{\"name\": \"echo\", \"type\": \"exec\", \"description\": \"x\","
		 " \"command\": [\"/bin/echo\", \"fixed\"], \"permission\": "
		 "\"READ_ONLY\", \"limits\": {\"timeout_ms\": 5000}}");
	run_ok(_metadata, &r, SBT_ARGV("--manifest", path),
	       SBT_ARGV("$(reboot)", "a;b"));
	EXPECT_STREQ("fixed $(reboot) a;b\n", r.out);
	sbt_free(&r);
	/* Option injection: arguments starting with '-' are refused. */
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--manifest", path),
			     SBT_ARGV("--help")));
	EXPECT_EQ(125, r.status);
	EXPECT_NE(NULL, strstr(r.err, "starts with '-'"));
	sbt_free(&r);
	unlink(path);
}

TEST(manifest_permission_checked)
{
	char path[PATH_MAX];
	struct sbres r;

	manifest(path, sizeof(path),
		 "{\"name\": \"fetch\", \"command\": [\"/bin/true\"], "
		 "\"permission\": \"NETWORK\"}");
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--manifest", path), NULL));
	EXPECT_EQ(125, r.status);
	EXPECT_EQ(-EPERM, r.rc);
	EXPECT_NE(NULL, strstr(r.error, "requires permission NETWORK"));
	sbt_free(&r);
	run_ok(_metadata, &r, SBT_ARGV("--manifest", path, "--perm", "NETWORK"),
	       NULL);
	EXPECT_EQ(0, r.exit_code);
	sbt_free(&r);
	unlink(path);
}

TEST(malformed_manifests_rejected)
{
	static const char *const bad[][2] = {
		{ "{", "line 1" },
		{ "[]", "must be a JSON object" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"]}",
		  "missing required key \"permission\"" },
		{ "{\"name\": \"x\", \"command\": [\"true\"], \"permission\": "
		  "\"READ_ONLY\"}", "absolute program path" },
		{ "{\"name\": \"../x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\"}", "\"name\" must be" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"ROOT\"}", "\"permission\" must be" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\", \"shell\": true}",
		  "unknown key \"shell\"" },
		{ "{\"name\": \"x\", \"name\": \"y\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\"}", "duplicate" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\", \"limits\": {\"pids\": 1}}",
		  "\"pids\" must be within" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\", \"paths\": {\"rw\": [\"/srv\"]}}",
		  "READ_ONLY tool cannot have writable paths" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\", 5], "
		  "\"permission\": \"READ_ONLY\"}", "\"command\"[1]" },
		{ "{\"name\": \"x\", \"command\": [\"/bin/true\"], "
		  "\"permission\": \"READ_ONLY\", \"sandboxed\": \"yes\"}",
		  "true or false" },
	};
	char path[PATH_MAX];
	struct sbres r;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		manifest(path, sizeof(path), bad[i][0]);
		ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--manifest", path), NULL));
		TH_LOG("manifest %u: %s", i, r.error);
		EXPECT_EQ(125, r.status);
		EXPECT_NE(0, r.rc);
		EXPECT_NE(NULL, strstr(r.error, bad[i][1]));
		sbt_free(&r);
	}
	unlink(path);
}

TEST(refuses_when_a_protection_is_missing)
{
	struct sbres r;

	/* /proc is not a cgroup2 file system: cgroup limits are missing. */
	ASSERT_EQ(0, sbt_run(&r, SBT_ARGV("--cgroup-parent", "/proc/aios"),
			     SBT_ARGV("/bin/true")));
	EXPECT_EQ(125, r.status);
	EXPECT_EQ(-EOPNOTSUPP, r.rc);
	EXPECT_NE(NULL, strstr(r.error, "missing protection: cgroup-v2"));
	sbt_free(&r);
	/* ... unless a weaker sandbox is allowed explicitly. */
	run_ok(_metadata, &r, SBT_ARGV("--cgroup-parent", "/proc/aios",
				       "--allow-weak", "cgroup-v2"),
	       SBT_ARGV("/bin/echo", "weak"));
	EXPECT_STREQ("weak\n", r.out);
	sbt_free(&r);
}

/* ---- eBPF audit ----------------------------------------------------------- */

static char *audit_cli(void)
{
	static char cli[PATH_MAX];

	snprintf(cli, sizeof(cli), "%s/sandbox/aios-audit", sbt_build());
	return cli;
}

TEST(audit_trail_of_a_sandboxed_tool)
{
	char log[PATH_MAX], *text;
	struct sbres r;

	snprintf(log, sizeof(log), "%s/sandbox-test-audit-%d.log", sbt_build(),
		 getpid());
	run_ok(_metadata, &r, SBT_ARGV("--audit", log), SBT_ARGV("/bin/sh", "-c",
		"/bin/cat /etc/hostname > /scratch/copy; exit 5"));
	EXPECT_EQ(5, r.exit_code);
	sbt_free(&r);
	text = sbt_slurp(log);
	ASSERT_NE(NULL, text);
	TH_LOG("%.2000s", text);
	EXPECT_NE(NULL, strstr(text, "\"type\": \"exec\""));
	EXPECT_NE(NULL, strstr(text, "\"path\": \"/bin/sh\""));
	EXPECT_NE(NULL, strstr(text, "\"path\": \"/bin/cat\""));
	EXPECT_NE(NULL, strstr(text, "\"path\": \"/etc/hostname\", \"flags\": \"0"));
	/* O_WRONLY|O_CREAT|O_TRUNC = 01101 (octal) from the redirection. */
	EXPECT_NE(NULL, strstr(text, "\"path\": \"/scratch/copy\", \"flags\": \"01101\""));
	EXPECT_NE(NULL, strstr(text, "\"exit_code\": 5"));
	EXPECT_NE(NULL, strstr(text, "{\"type\": \"summary\", \"lost\": 0,"));
	free(text);
	unlink(log);
}

static int run_capture(const char *const *argv, char *out, size_t len)
{
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char connect_py[] =
	"import socket, errno; s = socket.socket(); "
	"print('connect:', s.connect_ex(('127.0.0.1', 9)))";

TEST(audit_records_connect_address_and_port)
{
	static char out[1 << 20];

	ASSERT_EQ(0, run_capture(SBT_ARGV(audit_cli(), "--", "/usr/bin/python3",
					  "-c", connect_py), out, sizeof(out)));
	TH_LOG("%.3000s", out);
	EXPECT_NE(NULL, strstr(out, "connect: 111"));	/* ECONNREFUSED */
	EXPECT_NE(NULL, strstr(out, "\"type\": \"connect\""));
	EXPECT_NE(NULL, strstr(out, "\"addr\": \"127.0.0.1\", \"port\": 9"));
	EXPECT_NE(NULL, strstr(out, "lost=0"));
}

TEST(bpf_lsm_denies_connect_without_access_net)
{
	static char out[1 << 20];
	char lsm[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "r");

	if (f) {
		if (!fgets(lsm, sizeof(lsm), f))
			lsm[0] = '\0';
		fclose(f);
	}
	if (!strstr(lsm, "bpf"))
		SKIP(return, "the bpf LSM is not active (%s)", lsm);
	ASSERT_EQ(0, run_capture(SBT_ARGV(audit_cli(), "--deny-net", "--",
					  "/usr/bin/python3", "-c", connect_py),
				 out, sizeof(out)));
	TH_LOG("%.3000s", out);
	EXPECT_NE(NULL, strstr(out, "connect: 1\n"));	/* EPERM */
	EXPECT_NE(NULL, strstr(out, "\"type\": \"connect_denied\""));
	EXPECT_NE(NULL, strstr(out, "denied=1"));
}

TEST_HARNESS_MAIN
