// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd tool calls (toolops.c) with aiosd as a process: the registry from
 * tools.dir, sandboxed calls on worker threads while the event loop keeps
 * serving, replies in request order, refusals with clear errors,
 * confirmation (confirm / deny / expiry, who may decide), ledger records,
 * the event stream, callers that vanish mid-call, bad manifests.
 *
 * On the host the caller is a uid client.  With the aios module (in the
 * VM, as root) the tests with kernel agents also run: capabilities decide
 * what an agent may call (read afresh at every call), the eBPF audit's
 * events land in the run's ledger and in the stream, and `aiosctl tools
 * confirm` lets a parked agent call run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/aios.h>

#include "kselftest_harness.h"
#include "aiosd_client.h"
#include "proto.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif
#ifndef AIOSCTL_BIN
#define AIOSCTL_BIN "aiosctl"
#endif

static const char *const manifests[][2] = {
	{ "echo", "{\"name\": \"echo\", \"type\": \"exec\", \"description\": \"print\","
		  " \"command\": [\"/bin/echo\"], \"permission\": \"READ_ONLY\","
		  " \"sandboxed\": true, \"max_args\": 8,"
		  " \"limits\": {\"timeout_ms\": 10000, \"memory_mb\": 64}}" },
	{ "cat", "{\"name\": \"cat\", \"type\": \"exec\", \"command\": [\"/bin/cat\"],"
		 " \"permission\": \"READ_ONLY\", \"sandboxed\": true, \"max_args\": 0}" },
	{ "sleep", "{\"name\": \"sleep\", \"type\": \"exec\", \"command\": [\"/bin/sleep\"],"
		   " \"permission\": \"READ_ONLY\", \"sandboxed\": true, \"max_args\": 1,"
		   " \"limits\": {\"timeout_ms\": 20000}}" },
	{ "writer", "{\"name\": \"writer\", \"type\": \"exec\", \"command\":"
		    " [\"/usr/bin/touch\", \"/scratch/made-by-writer\"],"
		    " \"permission\": \"READ_WRITE\", \"sandboxed\": true, \"max_args\": 0}" },
	{ "gated", "{\"name\": \"gated\", \"type\": \"exec\", \"command\": [\"/bin/echo\","
		   " \"confirmed\"], \"permission\": \"READ_ONLY\", \"sandboxed\": true,"
		   " \"confirm\": true, \"max_args\": 0}" },
	{ "fetch", "{\"name\": \"fetch\", \"type\": \"exec\", \"command\": [\"/usr/bin/python3\", \"-c\", \"import socket,sys; s=socket.socket(); print('inet', s.connect_ex(('127.0.0.1', int(sys.argv[1]))))\"], \"permission\": \"NETWORK\", \"sandboxed\": true, \"max_args\": 1}" },
	{ "probe", "{\"name\": \"probe\", \"type\": \"exec\", \"command\": [\"/usr/bin/python3\", \"-c\", \"import socket; u=socket.socket(socket.AF_UNIX); print('unix', u.connect_ex('/run/aios-probe.sock')); exec(\\\"try: socket.socket(socket.AF_INET)\\\\nexcept OSError as e: print('inet', e.errno)\\\")\"], \"permission\": \"READ_ONLY\", \"sandboxed\": true, \"max_args\": 0}" },
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

struct daemon {
	char dir[64], sock[128], store[128], notify[128], log[128], tools[128];
	pid_t pid;
	int nfd;
};

/* Start aiosd (READY=1 on NOTIFY_SOCKET); extra: "NAME=value", NULL-terminated. */
static int start(struct daemon *d, const char *const *extra)
{
	char buf[512];
	int64_t deadline;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		setenv("NOTIFY_SOCKET", d->notify, 1);
		setenv("AIOS_DEVICE", "/nonexistent/aios", 1);
		setenv("AIOS_TOOLS_DIR", d->tools, 1);
		/* the host's cgroup v1 is no reason to skip; the VM has v2 */
		setenv("AIOS_TOOLS_ALLOW_WEAK", "cgroup-v2", 1);
		setenv("AIOS_TOOLS_CONFIRM_TIMEOUT_S", "30", 1);
		setenv("AIOS_TOOLS_POOL_SIZE", "1", 1);
		for (int i = 0; extra && extra[i]; i++)
			putenv((char *)extra[i]);
		execl(AIOSD_BIN, "aiosd", "-s", d->sock, "-d", d->store, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	deadline = now_ms() + 30000;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = d->nfd, .events = POLLIN };
		int st;

		if (poll(&p, 1, 100) == 1) {
			ssize_t n = recv(d->nfd, buf, sizeof(buf) - 1, 0);

			if (n > 0) {
				buf[n] = 0;
				if (strstr(buf, "READY=1"))
					return 0;
			}
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			return -2;
		}
	}
	return -3;
}

static int stop(struct daemon *d)
{
	int st = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return st;
}

static void dump_log(struct daemon *d)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "tail -20 %s >&2", d->log);
	if (system(cmd))
		return;
}

static struct aiosd_client *client(struct daemon *d)
{
	struct aiosd_client *c = NULL;

	if (aiosd_connect(d->sock, &c))
		return NULL;
	aiosd_set_timeout(c, 60000);
	return c;
}

static json_t *status(struct daemon *d)
{
	struct aiosd_client *c = client(d);
	json_t *st = NULL;

	if (c)
		aiosd_status(c, &st);
	aiosd_close(c);
	return st;
}

FIXTURE(tools) {
	struct daemon d;
	bool sandbox;
};

static void fixture_dirs(struct daemon *d)
{
	snprintf(d->sock, sizeof(d->sock), "%s/aiosd.sock", d->dir);
	snprintf(d->store, sizeof(d->store), "%s/store", d->dir);
	snprintf(d->notify, sizeof(d->notify), "%s/notify", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/aiosd.log", d->dir);
	snprintf(d->tools, sizeof(d->tools), "%s/tools", d->dir);
}

FIXTURE_SETUP(tools)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *st;

	strcpy(self->d.dir, "/tmp/aiosd-tools.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->d.dir));
	ASSERT_EQ(0, chmod(self->d.dir, 0755));
	fixture_dirs(&self->d);
	ASSERT_EQ(0, mkdir(self->d.tools, 0755));
	for (size_t i = 0; i < sizeof(manifests) / sizeof(manifests[0]); i++) {
		char name[80];

		snprintf(name, sizeof(name), "%s.json", manifests[i][0]);
		ASSERT_EQ(0, write_file(self->d.tools, name, manifests[i][1]));
	}
	self->d.nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->d.nfd);
	strcpy(sa.sun_path, self->d.notify);
	ASSERT_EQ(0, bind(self->d.nfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, start(&self->d, NULL)) dump_log(&self->d);
	st = status(&self->d);
	ASSERT_NE(NULL, st);
	self->sandbox = json_is_true(json_object_get(json_object_get(st, "sandbox"), "available"));
	if (!self->sandbox)
		TH_LOG("no sandbox on this host: %s",
		       json_string_value(json_object_get(json_object_get(st, "sandbox"), "detail")));
	json_decref(st);
}

FIXTURE_TEARDOWN(tools)
{
	if (self->d.pid > 0)
		stop(&self->d);
	close(self->d.nfd);
	nftw(self->d.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#define NEED_SANDBOX() do { \
	if (!self->sandbox) \
		SKIP(return, "no sandbox on this host (see status.sandbox.detail)"); \
} while (0)

static int call_tool(struct aiosd_client *c, const char *tool, const char *const *args,
		     const char *run, json_t **reply)
{
	struct aiosd_tool_call call = { .tool = tool, .args = args, .run = run };

	return aiosd_tool_call(c, &call, reply);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* ---- raw frames (pipelining, vanishing callers) ---- */

static int raw_connect(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, d->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_text(int fd, const char *s)
{
	uint8_t hdr[4];
	size_t n = strlen(s);

	proto_frame_header(hdr, (uint32_t)n);
	if (send(fd, hdr, 4, MSG_NOSIGNAL) != 4 || send(fd, s, n, MSG_NOSIGNAL) != (ssize_t)n)
		return -1;
	return 0;
}

static json_t *recv_frame(int fd, int timeout_ms)
{
	uint8_t hdr[4], *b;
	size_t got = 0, n;
	json_t *j;

	while (got < 4) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, timeout_ms) != 1)
			return NULL;
		r = recv(fd, hdr + got, 4 - got, 0);
		if (r <= 0)
			return NULL;
		got += (size_t)r;
	}
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	b = malloc(n);
	for (got = 0; b && got < n;) {
		ssize_t r = recv(fd, b + got, n - got, 0);

		if (r <= 0) {
			free(b);
			return NULL;
		}
		got += (size_t)r;
	}
	j = b ? json_loadb((char *)b, n, 0, NULL) : NULL;
	free(b);
	return j;
}

/* ---- host tests ---- */

TEST_F(tools, status_has_sandbox_and_audit_blocks)
{
	json_t *st = status(&self->d), *sb, *au;

	ASSERT_NE(NULL, st);
	sb = json_object_get(st, "sandbox");
	au = json_object_get(st, "audit");
	ASSERT_TRUE(json_is_object(sb));
	ASSERT_TRUE(json_is_object(au));
	EXPECT_EQ(7, jint(sb, "tools"));
	EXPECT_TRUE(json_is_boolean(json_object_get(json_object_get(sb, "protections"),
						    "landlock")));
	EXPECT_TRUE(json_is_array(json_object_get(sb, "missing")));
	EXPECT_TRUE(json_is_boolean(json_object_get(au, "attached")));
	if (!json_is_true(json_object_get(au, "attached")))
		EXPECT_NE(NULL, jstr(au, "detail"));	/* says why not */
	EXPECT_EQ(0, jint(au, "lost"));
	json_decref(st);
}

TEST_F(tools, list_says_what_the_caller_may_call)
{
	struct aiosd_client *c = client(&self->d);
	json_t *r = NULL, *t;
	size_t i;
	int seen = 0;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, aiosd_tool_list(c, &r)) TH_LOG("%s", aiosd_client_error(c));
	ASSERT_EQ(7, json_array_size(json_object_get(r, "tools")));
	json_array_foreach(json_object_get(r, "tools"), i, t) {
		if (!strcmp(jstr(t, "name"), "writer")) {
			EXPECT_STREQ("READ_WRITE", jstr(t, "permission"));
			/* root is an admin: everything is callable */
			if (getuid() == 0)
				EXPECT_TRUE(json_is_true(json_object_get(t, "callable")));
			seen++;
		}
		if (!strcmp(jstr(t, "name"), "echo")) {
			EXPECT_EQ(10000, jint(json_object_get(t, "limits"), "timeout_ms"));
			EXPECT_EQ(64, jint(json_object_get(t, "limits"), "memory_mb"));
			seen++;
		}
	}
	EXPECT_EQ(2, seen);
	json_decref(r);
	aiosd_close(c);
	if (getuid() != 0)
		return;
	/* an unprivileged uid: READ_ONLY, and the list says why not */
	pid_t pid = fork();

	if (pid == 0) {
		struct aiosd_client *u;
		json_t *ur = NULL, *ut;
		size_t j;
		int ok = 0;

		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(2);
		u = client(&self->d);
		if (!u || aiosd_tool_list(u, &ur))
			_exit(3);
		if (strcmp(jstr(ur, "permission"), "READ_ONLY"))
			_exit(4);
		json_array_foreach(json_object_get(ur, "tools"), j, ut)
			if (!strcmp(jstr(ut, "name"), "writer") &&
			    !json_is_true(json_object_get(ut, "callable")) &&
			    strstr(jstr(ut, "why"), "ACCESS_FS"))
				ok = 1;
		_exit(ok ? 0 : 5);
	}
	int st;

	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(tools, call_runs_in_the_sandbox_with_argv_and_stdin)
{
	static const char *const args[] = { "hello", "$(id)", ";", "world", NULL };
	struct aiosd_tool_call call = { .tool = "cat", .stdin_data = "piped\n", .stdin_len = 6 };
	struct aiosd_client *c;
	json_t *r = NULL;

	NEED_SANDBOX();
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, call_tool(c, "echo", args, NULL, &r)) TH_LOG("%s", aiosd_client_error(c));
	/* arguments are argv entries: no shell expanded anything */
	EXPECT_STREQ("hello $(id) ; world\n", jstr(r, "stdout"));
	EXPECT_TRUE(json_is_true(json_object_get(r, "exited")));
	EXPECT_EQ(0, jint(r, "exit_code"));
	EXPECT_LT(0, jint(r, "call"));
	EXPECT_TRUE(json_is_object(json_object_get(r, "usage")));
	json_decref(r);
	r = NULL;
	ASSERT_EQ(0, aiosd_tool_call(c, &call, &r)) TH_LOG("%s", aiosd_client_error(c));
	EXPECT_STREQ("piped\n", jstr(r, "stdout"));
	json_decref(r);
	aiosd_close(c);
}

TEST_F(tools, refusals_are_clear_errors)
{
	static const char *const opt[] = { "--help", NULL };
	static const char *const many[] = { "1", "2", NULL };
	struct aiosd_client *c = client(&self->d);
	json_t *r = NULL, *req;

	ASSERT_NE(NULL, c);
	EXPECT_EQ(-ENOENT, call_tool(c, "no-such-tool", NULL, NULL, &r));
	EXPECT_NE(NULL, strstr(aiosd_client_error(c), "unknown tool 'no-such-tool'"));
	json_decref(r);
	EXPECT_EQ(-ENOENT, call_tool(c, "../../bin/sh\n", NULL, NULL, &r));
	EXPECT_NE(NULL, strstr(aiosd_client_error(c), "tool names are"));
	json_decref(r);
	if (!self->sandbox) {
		EXPECT_EQ(-EOPNOTSUPP, call_tool(c, "echo", NULL, NULL, &r));
		json_decref(r);
		aiosd_close(c);
		return;
	}
	EXPECT_EQ(-EINVAL, call_tool(c, "echo", opt, NULL, &r));
	EXPECT_NE(NULL, strstr(aiosd_client_error(c), "does not accept options"));
	json_decref(r);
	EXPECT_EQ(-E2BIG, call_tool(c, "sleep", many, NULL, &r));
	json_decref(r);
	/* limits may only go down */
	req = json_pack("{s:s, s:s, s:{s:i}}", "op", "tool.call", "tool", "echo",
			"limits", "timeout_ms", 20000);
	EXPECT_EQ(-EINVAL, aiosd_call(c, req, NULL));
	EXPECT_NE(NULL, strstr(aiosd_client_error(c), "limits.timeout_ms"));
	json_decref(req);
	req = json_pack("{s:s, s:s, s:s}", "op", "tool.call", "tool", "echo", "shell", "yes");
	EXPECT_EQ(-EINVAL, aiosd_call(c, req, NULL));
	json_decref(req);
	req = json_pack("{s:s, s:s, s:[i]}", "op", "tool.call", "tool", "echo", "args", 1);
	EXPECT_EQ(-EINVAL, aiosd_call(c, req, NULL));
	json_decref(req);
	/* a run that does not exist: nothing runs */
	EXPECT_EQ(-ENOENT, call_tool(c, "echo", NULL, "no-such-run", &r));
	json_decref(r);
	/* the connection is still usable */
	ASSERT_EQ(0, call_tool(c, "echo", NULL, NULL, &r));
	json_decref(r);
	r = status(&self->d);
	/* unknown tools, option, too many args, limit: the malformed ones are not decisions */
	EXPECT_EQ(5, jint(json_object_get(r, "sandbox"), "denied"));
	json_decref(r);
	aiosd_close(c);
}

TEST_F_TIMEOUT(tools, a_running_call_does_not_block_other_clients, 60)
{
	static const char *const req =
		"{\"v\":1,\"id\":1,\"op\":\"tool.call\",\"tool\":\"sleep\",\"args\":[\"3\"]}";
	int a, b;
	json_t *r;

	NEED_SANDBOX();
	a = raw_connect(&self->d);
	b = raw_connect(&self->d);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, send_text(a, req));
	usleep(300 * 1000);
	ASSERT_EQ(0, send_text(b, "{\"v\":1,\"id\":7,\"op\":\"status\"}"));
	r = recv_frame(b, 10000);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(7, jint(r, "id"));
	EXPECT_EQ(1, jint(json_object_get(r, "sandbox"), "calls_running"));
	json_decref(r);
	/* the sleeping call has not answered: the loop answered b meanwhile */
	struct pollfd p = { .fd = a, .events = POLLIN };

	EXPECT_EQ(0, poll(&p, 1, 0));
	r = recv_frame(a, 20000);
	ASSERT_NE(NULL, r);
	EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
	EXPECT_EQ(0, jint(r, "exit_code"));
	json_decref(r);
	close(a);
	close(b);
}

TEST_F_TIMEOUT(tools, requests_behind_a_call_are_answered_in_order, 60)
{
	int a;
	json_t *r;

	NEED_SANDBOX();
	a = raw_connect(&self->d);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, send_text(a, "{\"v\":1,\"id\":1,\"op\":\"tool.call\",\"tool\":\"sleep\","
				  "\"args\":[\"1\"]}"));
	ASSERT_EQ(0, send_text(a, "{\"v\":1,\"id\":2,\"op\":\"status\"}"));
	ASSERT_EQ(0, send_text(a, "{\"v\":1,\"id\":3,\"op\":\"tool.call\",\"tool\":\"echo\","
				  "\"args\":[\"three\"]}"));
	for (int id = 1; id <= 3; id++) {
		r = recv_frame(a, 20000);
		ASSERT_NE(NULL, r);
		EXPECT_EQ(id, jint(r, "id"));
		EXPECT_TRUE(json_is_true(json_object_get(r, "ok")));
		if (id == 3)
			EXPECT_STREQ("three\n", jstr(r, "stdout"));
		json_decref(r);
	}
	close(a);
}

TEST_F_TIMEOUT(tools, a_caller_that_vanishes_mid_call_leaves_aiosd_serving, 60)
{
	struct aiosd_client *c;
	json_t *r = NULL;
	int a;

	NEED_SANDBOX();
	a = raw_connect(&self->d);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, send_text(a, "{\"v\":1,\"id\":1,\"op\":\"tool.call\",\"tool\":\"sleep\","
				  "\"args\":[\"1\"]}"));
	usleep(200 * 1000);
	close(a);
	sleep(2);	/* the call finished; its reply had nowhere to go */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, call_tool(c, "echo", NULL, NULL, &r)) TH_LOG("%s", aiosd_client_error(c));
	json_decref(r);
	r = status(&self->d);
	EXPECT_EQ(0, jint(json_object_get(r, "sandbox"), "calls_running"));
	EXPECT_LE(2, jint(json_object_get(r, "sandbox"), "calls"));
	json_decref(r);
	aiosd_close(c);
}

struct bg_call {
	struct daemon *d;
	const char *tool;
	int rc;
	json_t *reply;
	char err[256];
	pthread_t th;
};

static void *bg_main(void *arg)
{
	struct bg_call *b = arg;
	struct aiosd_client *c = client(b->d);

	b->rc = c ? call_tool(c, b->tool, NULL, NULL, &b->reply) : -ECONNREFUSED;
	if (c)
		snprintf(b->err, sizeof(b->err), "%s", aiosd_client_error(c));
	aiosd_close(c);
	return NULL;
}

/* The confirmation id of the one parked call, waiting up to 10 s. */
static uint64_t parked_id(struct daemon *d)
{
	int64_t deadline = now_ms() + 10000;
	struct aiosd_client *c = client(d);
	uint64_t id = 0;

	while (c && !id && now_ms() < deadline) {
		json_t *r = NULL;

		if (!aiosd_tool_pending(c, &r) && json_array_size(json_object_get(r, "pending")))
			id = (uint64_t)jint(json_array_get(json_object_get(r, "pending"), 0),
					    "confirmation");
		json_decref(r);
		if (!id)
			usleep(50 * 1000);
	}
	aiosd_close(c);
	return id;
}

TEST_F_TIMEOUT(tools, confirmation_parks_until_confirmed_denied_or_expired, 90)
{
	struct bg_call b = { .d = &self->d, .tool = "gated" };
	struct aiosd_client *c;
	uint64_t id;
	json_t *st;

	NEED_SANDBOX();
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	/* confirmed */
	ASSERT_EQ(0, pthread_create(&b.th, NULL, bg_main, &b));
	id = parked_id(&self->d);
	ASSERT_NE(0, id);
	st = status(&self->d);
	EXPECT_EQ(1, jint(json_object_get(st, "sandbox"), "calls_parked"));
	json_decref(st);
	if (getuid() == 0) {
		/* another uid may not decide a root caller's call */
		pid_t pid = fork();

		if (pid == 0) {
			struct aiosd_client *u;

			if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
				_exit(2);
			u = client(&self->d);
			_exit(u && aiosd_tool_confirm(u, id, true) == -EPERM ? 0 : 3);
		}
		int ws;

		ASSERT_EQ(pid, waitpid(pid, &ws, 0));
		EXPECT_EQ(0, WEXITSTATUS(ws));
	}
	EXPECT_EQ(-ENOENT, aiosd_tool_confirm(c, id + 100, true));
	ASSERT_EQ(0, aiosd_tool_confirm(c, id, true)) TH_LOG("%s", aiosd_client_error(c));
	pthread_join(b.th, NULL);
	ASSERT_EQ(0, b.rc) TH_LOG("%s", b.err);
	EXPECT_STREQ("confirmed\n", jstr(b.reply, "stdout"));
	EXPECT_EQ((long long)id, jint(b.reply, "confirmation"));
	json_decref(b.reply);
	/* deciding twice: gone */
	EXPECT_EQ(-ENOENT, aiosd_tool_confirm(c, id, true));
	/* denied */
	b.reply = NULL;
	ASSERT_EQ(0, pthread_create(&b.th, NULL, bg_main, &b));
	id = parked_id(&self->d);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, aiosd_tool_confirm(c, id, false));
	pthread_join(b.th, NULL);
	EXPECT_EQ(-EACCES, b.rc);
	EXPECT_NE(NULL, strstr(b.err, "refused by the confirmer"));
	json_decref(b.reply);
	aiosd_close(c);
}

TEST_F_TIMEOUT(tools, an_unconfirmed_call_expires_without_running, 60)
{
	static const char *const env[] = { "AIOS_TOOLS_CONFIRM_TIMEOUT_S=1", NULL };
	struct bg_call b = { .d = &self->d, .tool = "gated" };
	json_t *st;

	NEED_SANDBOX();
	stop(&self->d);
	ASSERT_EQ(0, start(&self->d, env)) dump_log(&self->d);
	ASSERT_EQ(0, pthread_create(&b.th, NULL, bg_main, &b));
	pthread_join(b.th, NULL);
	EXPECT_EQ(-ETIMEDOUT, b.rc);
	EXPECT_NE(NULL, strstr(b.err, "nobody confirmed"));
	json_decref(b.reply);
	st = status(&self->d);
	EXPECT_EQ(0, jint(json_object_get(st, "sandbox"), "calls_parked"));
	json_decref(st);
}

/* Records of run (ledger.read), as an array. */
static json_t *ledger(struct aiosd_client *c, const char *run)
{
	json_t *req = json_pack("{s:s, s:s, s:i}", "op", "ledger.read", "run", run, "limit", 1000);
	json_t *r = NULL, *recs;

	if (aiosd_call(c, req, &r)) {
		json_decref(req);
		json_decref(r);
		return NULL;
	}
	json_decref(req);
	recs = json_incref(json_object_get(r, "records"));
	json_decref(r);
	return recs;
}

static int count_type(json_t *recs, const char *type)
{
	size_t i;
	json_t *x;
	int n = 0;

	json_array_foreach(recs, i, x)
		n += !strcmp(jstr(x, "type"), type);
	return n;
}

static json_t *find_type(json_t *recs, const char *type)
{
	size_t i;
	json_t *x;

	json_array_foreach(recs, i, x)
		if (!strcmp(jstr(x, "type"), type))
			return json_object_get(x, "payload");
	return NULL;
}

static char *new_run(struct aiosd_client *c)
{
	json_t *req = json_pack("{s:s}", "op", "run.create"), *r = NULL;
	char *run = NULL;

	if (!aiosd_call(c, req, &r))
		run = strdup(jstr(r, "run"));
	json_decref(req);
	json_decref(r);
	return run;
}

TEST_F(tools, the_run_ledger_records_calls_refusals_and_results)
{
	static const char *const args[] = { "ledgered", NULL };
	static const char *const opt[] = { "-e", NULL };
	struct aiosd_client *c;
	json_t *r = NULL, *recs, *p;
	char *run;

	NEED_SANDBOX();
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	run = new_run(c);
	ASSERT_NE(NULL, run) TH_LOG("%s", aiosd_client_error(c));
	ASSERT_EQ(0, call_tool(c, "echo", args, run, &r)) TH_LOG("%s", aiosd_client_error(c));
	EXPECT_STREQ(run, jstr(json_object_get(r, "ledger"), "run"));
	json_decref(r);
	EXPECT_EQ(-EINVAL, call_tool(c, "echo", opt, run, &r));
	json_decref(r);
	EXPECT_EQ(-ENOENT, call_tool(c, "not-registered", NULL, run, &r));
	json_decref(r);
	recs = ledger(c, run);
	ASSERT_NE(NULL, recs);
	EXPECT_EQ(1, count_type(recs, "tool_call"));
	EXPECT_EQ(1, count_type(recs, "tool_result"));
	EXPECT_EQ(2, count_type(recs, "tool_denied"));
	p = find_type(recs, "tool_call");
	EXPECT_STREQ("echo", jstr(p, "tool"));
	EXPECT_STREQ("ledgered", json_string_value(json_array_get(json_object_get(p, "args"), 0)));
	p = find_type(recs, "tool_result");
	EXPECT_EQ(0, jint(p, "exit_code"));
	EXPECT_EQ(9, jint(p, "stdout_bytes"));
	/* sha256("ledgered\n"), from sha256sum */
	EXPECT_STREQ("2d64c69fa7d86b7608db6e77cb5a2b31d0b22350dc48ca7ceb0389fab8ff4501", jstr(p, "stdout_sha256"));
	p = find_type(recs, "tool_denied");
	EXPECT_STREQ("EINVAL", jstr(p, "code"));
	json_decref(recs);
	free(run);
	aiosd_close(c);
}

TEST_F_TIMEOUT(tools, subscribers_see_tool_decisions, 60)
{
	static const char *const args[] = { "x", NULL };
	struct aiosd_client *sub, *c;
	json_t *r = NULL, *ev;
	bool started = false, finished = false, denied = false;
	int64_t deadline;

	NEED_SANDBOX();
	sub = client(&self->d);
	c = client(&self->d);
	ASSERT_NE(NULL, sub);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, aiosd_audit_subscribe(sub, &r));
	EXPECT_TRUE(json_is_boolean(json_object_get(r, "attached")));
	json_decref(r);
	ASSERT_EQ(0, call_tool(c, "echo", args, NULL, &r));
	json_decref(r);
	EXPECT_EQ(-ENOENT, call_tool(c, "nothing-here", NULL, NULL, &r));
	json_decref(r);
	deadline = now_ms() + 10000;
	while (!(started && finished && denied) && now_ms() < deadline) {
		if (aiosd_next_event(sub, 500, &ev))
			continue;
		if (!strcmp(jstr(ev, "event") ?: "", "tool")) {
			started |= !strcmp(jstr(ev, "what"), "started");
			finished |= !strcmp(jstr(ev, "what"), "finished");
			denied |= !strcmp(jstr(ev, "what"), "denied") &&
				  !strcmp(jstr(ev, "tool"), "nothing-here");
		}
		json_decref(ev);
	}
	EXPECT_TRUE(started);
	EXPECT_TRUE(finished);
	EXPECT_TRUE(denied);
	r = status(&self->d);
	EXPECT_EQ(1, jint(json_object_get(r, "audit"), "subscribers"));
	json_decref(r);
	aiosd_close(sub);
	aiosd_close(c);
}

TEST_F(tools, a_bad_manifest_stops_aiosd_naming_the_file)
{
	char cmd[300];

	stop(&self->d);
	ASSERT_EQ(0, write_file(self->d.tools, "broken.json",
				"{\"name\": \"broken\", \"type\": \"exec\", \"command\": [\"/bin/true\"],"
				" \"permission\": \"ROOT\"}"));
	EXPECT_EQ(-2, start(&self->d, NULL));
	snprintf(cmd, sizeof(cmd), "grep -q 'broken.json' %s", self->d.log);
	EXPECT_EQ(0, system(cmd)) dump_log(&self->d);
}

/* ---- with the kernel module (the VM) ---- */

/* aiosctl -j audit --live --count N in the background, output to path. */
static pid_t live_start(const char *sock, const char *path, int count)
{
	char n[16];
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		snprintf(n, sizeof(n), "%d", count);
		setenv("AIOS_SOCKET", sock, 1);
		execl(AIOSCTL_BIN, "aiosctl", "-j", "audit", "--live", "--count", n, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* True once the file has needle (waits up to 20 s). */
static bool live_saw(const char *path, const char *needle)
{
	int64_t deadline = now_ms() + 20000;
	static char buf[1 << 20];

	do {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (strstr(buf, needle))
			return true;
		usleep(100 * 1000);
	} while (now_ms() < deadline);
	return false;
}


static int make_agent(const char *name, uint64_t caps, uint64_t *id)
{
	struct aios_api api = { .size = sizeof(api), .api_version = AIOS_API_VERSION };
	struct aios_register reg = { .size = sizeof(reg), .prio = AIOS_PRIO_NORMAL };
	struct aios_caps cg = { .size = sizeof(cg), .op = AIOS_CAPS_GRANT, .caps = caps };
	int fd = open("/dev/aios", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(reg.name, sizeof(reg.name), "%s", name);
	if (ioctl(fd, AIOS_IOC_API, &api) || ioctl(fd, AIOS_IOC_REGISTER, &reg) ||
	    (caps && ioctl(fd, AIOS_IOC_CAPS, &cg))) {
		close(fd);
		return -1;
	}
	*id = reg.agent_id;
	return fd;
}

static int set_caps(int fd, unsigned int op, uint64_t caps)
{
	struct aios_caps cg = { .size = sizeof(cg), .op = op, .caps = caps };

	return ioctl(fd, AIOS_IOC_CAPS, &cg);
}

struct kfix {
	struct daemon kd;
	int fs_fd, plain_fd;
	uint64_t fs_id, plain_id;
	struct aiosd_client *fs, *plain;
};

/* A second aiosd that identifies agents; two agents: with ACCESS_FS, without. */
static int kernel_setup(struct __test_metadata *_metadata, struct daemon *d, struct kfix *k)
{
	static const char *const env[] = { "AIOS_DEVICE=/dev/aios", NULL };

	memset(k, 0, sizeof(*k));
	k->fs_fd = make_agent("tools-fs", AIOS_CAP_ACCESS_FS, &k->fs_id);
	if (k->fs_fd < 0)
		return -1;
	k->plain_fd = make_agent("tools-plain", 0, &k->plain_id);
	if (k->plain_fd < 0)
		return -1;
	k->kd = *d;
	snprintf(k->kd.sock, sizeof(k->kd.sock), "%s/kernel.sock", d->dir);
	snprintf(k->kd.store, sizeof(k->kd.store), "%s/kernel-store", d->dir);
	if (start(&k->kd, env)) {
		dump_log(&k->kd);
		return -2;
	}
	k->fs = client(&k->kd);
	k->plain = client(&k->kd);
	if (!k->fs || !k->plain || aiosd_auth(k->fs, k->fs_fd) || aiosd_auth(k->plain, k->plain_fd))
		return -3;
	(void)_metadata;
	return 0;
}

static void kernel_teardown(struct kfix *k)
{
	aiosd_close(k->fs);
	aiosd_close(k->plain);
	if (k->kd.pid > 0)
		stop(&k->kd);
	if (k->fs_fd >= 0)
		close(k->fs_fd);
	if (k->plain_fd >= 0)
		close(k->plain_fd);
}

TEST_F_TIMEOUT(tools, agents_get_what_their_capabilities_allow, 120)
{
	static const char *const port[] = { "9", NULL };
	struct kfix k;
	json_t *r = NULL;
	int rc;

	NEED_SANDBOX();
	if (access("/dev/aios", F_OK))
		SKIP(return, "no aios module (/dev/aios): runs in the VM");
	rc = kernel_setup(_metadata, &self->d, &k);
	ASSERT_EQ(0, rc);
	/* ACCESS_FS: a READ_WRITE tool runs */
	ASSERT_EQ(0, call_tool(k.fs, "writer", NULL, NULL, &r)) TH_LOG("%s",
								   aiosd_client_error(k.fs));
	EXPECT_EQ(0, jint(r, "exit_code")) TH_LOG("%s", jstr(r, "stderr"));
	json_decref(r);
	/* without it: refused, saying which capability is missing */
	EXPECT_EQ(-EPERM, call_tool(k.plain, "writer", NULL, NULL, &r));
	EXPECT_NE(NULL, strstr(aiosd_client_error(k.plain), "ACCESS_FS"));
	json_decref(r);
	/* a NETWORK tool without ACCESS_NET: refused */
	EXPECT_EQ(-EPERM, call_tool(k.plain, "fetch", port, NULL, &r));
	EXPECT_NE(NULL, strstr(aiosd_client_error(k.plain), "ACCESS_NET"));
	json_decref(r);
	/* capabilities are read at every call: a revoke takes effect at once */
	ASSERT_EQ(0, set_caps(k.fs_fd, AIOS_CAPS_REVOKE, AIOS_CAP_ACCESS_FS));
	EXPECT_EQ(-EPERM, call_tool(k.fs, "writer", NULL, NULL, &r));
	json_decref(r);
	ASSERT_EQ(0, set_caps(k.fs_fd, AIOS_CAPS_GRANT, AIOS_CAP_ACCESS_FS | AIOS_CAP_ACCESS_NET));
	ASSERT_EQ(0, call_tool(k.fs, "fetch", port, NULL, &r)) TH_LOG("%s",
								     aiosd_client_error(k.fs));
	/* the tool had the network: the connect reached the stack (refused
	 * port, or unreachable if the VM's lo is down), not EPERM */
	EXPECT_EQ(0, strncmp(jstr(r, "stdout"), "inet ", 5)) TH_LOG("%s", jstr(r, "stderr"));
	EXPECT_STRNE("inet 1\n", jstr(r, "stdout"));
	json_decref(r);
	kernel_teardown(&k);
}

TEST_F_TIMEOUT(tools, ebpf_audit_goes_to_the_ledger_and_the_stream, 120)
{
	struct aiosd_client *sub, *adm;
	struct kfix k;
	json_t *r = NULL, *recs, *st, *ev, *x;
	bool unix_connect = false, exec = false, streamed = false;
	char *run;
	size_t i;
	int64_t deadline;

	NEED_SANDBOX();
	if (access("/dev/aios", F_OK))
		SKIP(return, "no aios module (/dev/aios): runs in the VM");
	ASSERT_EQ(0, kernel_setup(_metadata, &self->d, &k));
	adm = client(&k.kd);
	ASSERT_NE(NULL, adm);
	st = NULL;
	ASSERT_EQ(0, aiosd_status(adm, &st));
	if (!json_is_true(json_object_get(json_object_get(st, "audit"), "attached"))) {
		TH_LOG("audit: %s", jstr(json_object_get(st, "audit"), "detail"));
		json_decref(st);
		kernel_teardown(&k);
		aiosd_close(adm);
		SKIP(return, "the eBPF audit is not attached (needs root and BTF)");
	}
	json_decref(st);
	sub = client(&k.kd);
	ASSERT_EQ(0, aiosd_audit_subscribe(sub, &r));
	json_decref(r);
	char live_out[160];
	pid_t live = -1;

	snprintf(live_out, sizeof(live_out), "%s/live.json", self->d.dir);
	if (!access(AIOSCTL_BIN, X_OK)) {
		live = live_start(k.kd.sock, live_out, 1000000);
		usleep(500 * 1000);	/* subscribed before the call */
	}
	run = new_run(k.plain);
	ASSERT_NE(NULL, run);
	/* no ACCESS_NET: the probe's inet socket is refused inside the sandbox,
	 * its unix connect attempt is seen by the eBPF audit */
	ASSERT_EQ(0, call_tool(k.plain, "probe", NULL, run, &r)) TH_LOG("%s",
								     aiosd_client_error(k.plain));
	EXPECT_NE(NULL, strstr(jstr(r, "stdout"), "inet 1\n")) TH_LOG("%s %s", jstr(r, "stdout"),
								       jstr(r, "stderr"));
	EXPECT_LT(0, jint(json_object_get(r, "audit"), "events"));
	json_decref(r);
	recs = ledger(k.plain, run);
	ASSERT_NE(NULL, recs);
	EXPECT_LT(0, count_type(recs, "audit"));
	json_array_foreach(recs, i, x) {
		json_t *e = json_object_get(json_object_get(x, "payload"), "event");

		if (strcmp(jstr(x, "type"), "audit"))
			continue;
		if (!strcmp(jstr(e, "type"), "connect") && jint(e, "family") == 1)
			unix_connect = true;
		if (!strcmp(jstr(e, "type"), "exec") && strstr(jstr(e, "path"), "python3"))
			exec = true;
	}
	EXPECT_TRUE(unix_connect);
	EXPECT_TRUE(exec);
	json_decref(recs);
	if (live > 0) {
		/* aiosctl audit --live: aiosd's eBPF events, and the module's
		 * audit records (a capability check is audited) together */
		struct aios_caps chk = { .size = sizeof(chk), .op = AIOS_CAPS_CHECK,
					 .caps = AIOS_CAP_ACCESS_NET };

		EXPECT_EQ(-1, ioctl(k.plain_fd, AIOS_IOC_CAPS, &chk));	/* EPERM, audited */
		EXPECT_TRUE(live_saw(live_out, "\"source\":\"aiosd\""));
		EXPECT_TRUE(live_saw(live_out, "\"type\":\"connect\""));
		EXPECT_TRUE(live_saw(live_out, "\"source\":\"kernel\""));
		kill(live, SIGTERM);
		waitpid(live, NULL, 0);
	}
	deadline = now_ms() + 10000;
	while (!streamed && now_ms() < deadline) {
		if (aiosd_next_event(sub, 500, &ev))
			continue;
		streamed = !strcmp(jstr(ev, "event") ?: "", "audit") &&
			   jint(ev, "agent") == (long long)k.plain_id;
		json_decref(ev);
	}
	EXPECT_TRUE(streamed);
	st = NULL;
	ASSERT_EQ(0, aiosd_status(adm, &st));
	EXPECT_EQ(0, jint(json_object_get(st, "audit"), "lost"));
	EXPECT_LT(0, jint(json_object_get(st, "audit"), "events"));
	json_decref(st);
	free(run);
	aiosd_close(sub);
	aiosd_close(adm);
	kernel_teardown(&k);
}

struct agent_bg {
	struct aiosd_client *c;
	int rc;
	json_t *reply;
	pthread_t th;
};

static void *agent_bg_main(void *arg)
{
	struct agent_bg *b = arg;

	b->rc = call_tool(b->c, "gated", NULL, NULL, &b->reply);
	return NULL;
}

TEST_F_TIMEOUT(tools, aiosctl_confirms_a_parked_agent_call, 120)
{
	struct agent_bg b = { 0 };
	struct kfix k;
	char cmd[1024];
	uint64_t id;

	NEED_SANDBOX();
	if (access("/dev/aios", F_OK))
		SKIP(return, "no aios module (/dev/aios): runs in the VM");
	if (access(AIOSCTL_BIN, X_OK))
		SKIP(return, "no aiosctl binary at " AIOSCTL_BIN);
	ASSERT_EQ(0, kernel_setup(_metadata, &self->d, &k));
	b.c = k.plain;
	ASSERT_EQ(0, pthread_create(&b.th, NULL, agent_bg_main, &b));
	id = parked_id(&k.kd);
	ASSERT_NE(0, id);
	/* the agent itself may not decide its own call */
	EXPECT_EQ(-EPERM, aiosd_tool_confirm(k.fs, id, true));
	snprintf(cmd, sizeof(cmd), "AIOS_SOCKET=%s %s tools pending | grep -q gated && "
		 "AIOS_SOCKET=%s %s tools confirm %llu", k.kd.sock, AIOSCTL_BIN, k.kd.sock,
		 AIOSCTL_BIN, (unsigned long long)id);
	EXPECT_EQ(0, system(cmd));
	pthread_join(b.th, NULL);
	EXPECT_EQ(0, b.rc);
	EXPECT_STREQ("confirmed\n", jstr(b.reply, "stdout"));
	json_decref(b.reply);
	kernel_teardown(&k);
}

TEST_HARNESS_MAIN
