// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of aiosctl health, bootlog and config against a real aiosd
 * started by the test (no kernel module on the host: the module checks
 * fail, which --live reports as NOT OK unless --no-module).  Exit
 * statuses are what systemd and Kubernetes probes rely on: 0 ok, 1 not
 * ok, 2 usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef AIOSCTL_BIN
#define AIOSCTL_BIN "aiosctl"
#endif
#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif

struct run {
	int status;
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

static void run(struct run *r, ...)
{
	char *argv[32];
	int po[2], pe[2], i = 0, st;
	size_t lo = 0, le = 0;
	bool oo = true, eo = true;
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
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(AIOSCTL_BIN, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while (oo || eo) {
		struct pollfd p[2] = { { .fd = oo ? po[0] : -1, .events = POLLIN },
				       { .fd = eo ? pe[0] : -1, .events = POLLIN } };

		if (poll(p, 2, 30000) <= 0)
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

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The check named name in health's JSON output. */
static json_t *check_of(json_t *doc, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")), name))
			return c;
	return NULL;
}

FIXTURE(ops) {
	char dir[64], sock[128], store[128], conf[160], bootlog[160], notify[128];
	pid_t pid;
	int nfd;
};

FIXTURE_SETUP(ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[256];
	int64_t deadline;
	bool ready = false;

	strcpy(self->dir, "/tmp/aiosctl-ops.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->sock, sizeof(self->sock), "%s/aiosd.sock", self->dir);
	snprintf(self->store, sizeof(self->store), "%s/state/store", self->dir);
	snprintf(self->conf, sizeof(self->conf), "%s/aiosd.json", self->dir);
	snprintf(self->bootlog, sizeof(self->bootlog), "%s/state/bootlog.jsonl", self->dir);
	snprintf(self->notify, sizeof(self->notify), "%s/notify", self->dir);
	ASSERT_EQ(0, write_file(self->conf, "{\"max_clients\":100,\"store\":{\"max_size_mb\":16}}\n"));
	self->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->nfd);
	strcpy(sa.sun_path, self->notify);
	ASSERT_EQ(0, bind(self->nfd, (struct sockaddr *)&sa, sizeof(sa)));
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", self->notify, 1);
		setenv("AIOS_DEVICE", "/nonexistent/aios", 1);
		execl(AIOSD_BIN, "aiosd", "-c", self->conf, "-s", self->sock, "-d", self->store,
		      (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + 20000;
	while (!ready && now_ms() < deadline) {
		struct pollfd p = { .fd = self->nfd, .events = POLLIN };

		if (poll(&p, 1, 100) == 1) {
			ssize_t n = recv(self->nfd, buf, sizeof(buf) - 1, 0);

			buf[n > 0 ? n : 0] = 0;
			ready = strstr(buf, "READY=1") != NULL;
		}
	}
	ASSERT_TRUE(ready);
	setenv("AIOS_SOCKET", self->sock, 1);
}

FIXTURE_TEARDOWN(ops)
{
	if (self->pid > 0) {
		kill(self->pid, SIGTERM);
		waitpid(self->pid, NULL, 0);
	}
	close(self->nfd);
	nftw(self->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_F(ops, health_live_needs_the_module_unless_told)
{
	struct run r;
	json_t *doc, *c;

	run(&r, "health", "--live", NULL);
	ASSERT_EQ(1, r.status) TH_LOG("%s%s", r.out, r.err);
	ASSERT_NE(NULL, strstr(r.out, "aios health (live): NOT OK"));
	ASSERT_NE(NULL, strstr(r.out, "module.device"));
	run(&r, "health", "--live", "--no-module", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s%s", r.out, r.err);
	run(&r, "-j", "health", "--live", NULL);
	ASSERT_EQ(1, r.status);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_NE(NULL, doc);
	ASSERT_TRUE(json_is_false(json_object_get(doc, "ok")));
	c = check_of(doc, "module.netlink");
	ASSERT_STREQ("fail", json_string_value(json_object_get(c, "state")));
	ASSERT_TRUE(json_is_true(json_object_get(c, "required")));
	c = check_of(doc, "aiosd");
	ASSERT_STREQ("ok", json_string_value(json_object_get(c, "state")));
	json_decref(doc);
}

TEST_F(ops, health_ready_and_full_report_each_check_with_timing)
{
	static const char *const full[] = { "module.device", "module.netlink", "aiosd", "queues",
		"gpu_table", "store", "runs", "bpf_audit", "audit_ring", "agents", "memory",
		"bootlog", "config", "sandbox" };
	struct run r;
	json_t *doc, *c;

	run(&r, "-j", "health", "--no-module", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s%s", r.out, r.err);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_STREQ("ready", json_string_value(json_object_get(doc, "mode")));
	ASSERT_STREQ("ok", json_string_value(json_object_get(check_of(doc, "store"), "state")));
	ASSERT_STREQ("ok", json_string_value(json_object_get(check_of(doc, "runs"), "state")));
	ASSERT_EQ(NULL, check_of(doc, "memory"));	/* a full check only */
	json_decref(doc);
	run(&r, "-j", "health", "--full", "--no-module", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s%s", r.out, r.err);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_NE(NULL, doc);
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		c = check_of(doc, full[i]);
		ASSERT_NE(NULL, c) TH_LOG("no check %s", full[i]);
		ASSERT_TRUE(json_is_number(json_object_get(c, "ms")));
		ASSERT_LE(0, json_number_value(json_object_get(c, "ms")));
	}
	/* root sees the configuration with its hash */
	if (getuid() == 0)
		ASSERT_NE(NULL, strstr(json_string_value(json_object_get(check_of(doc, "config"),
									  "detail")), "sha256"));
	json_decref(doc);
	run(&r, "health", "--full", "--no-module", NULL);
	ASSERT_EQ(0, r.status);
	ASSERT_NE(NULL, strstr(r.out, "aios health (full): OK"));
	ASSERT_NE(NULL, strstr(r.out, "CHECK"));
}

TEST_F(ops, health_without_aiosd_is_not_ok_and_usage_is_2)
{
	struct run r;
	char bad[200];

	snprintf(bad, sizeof(bad), "%s/none.sock", self->dir);
	setenv("AIOS_SOCKET", bad, 1);
	run(&r, "health", "--live", "--no-module", NULL);
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.out, "is aiosd running?"));
	run(&r, "health", "--ready", "--no-module", NULL);
	ASSERT_EQ(1, r.status);
	setenv("AIOS_SOCKET", self->sock, 1);
	run(&r, "health", "--live", "--full", NULL);
	ASSERT_EQ(2, r.status);
	run(&r, "health", "--timeout", "0", NULL);
	ASSERT_EQ(2, r.status);
	run(&r, "health", "extra", NULL);
	ASSERT_EQ(2, r.status);
	run(&r, "health", "--help", NULL);
	ASSERT_EQ(0, r.status);
	ASSERT_NE(NULL, strstr(r.out, "Exit"));
}

TEST_F(ops, bootlog_from_aiosd_and_from_the_file)
{
	struct run r;
	json_t *doc;

	run(&r, "bootlog", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_NE(NULL, strstr(r.out, "boot 1"));
	ASSERT_NE(NULL, strstr(r.out, "serving"));
	ASSERT_NE(NULL, strstr(r.out, "module"));
	run(&r, "-j", "bootlog", "--list", NULL);
	ASSERT_EQ(0, r.status);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_EQ(1, json_array_size(json_object_get(doc, "boots")));
	ASSERT_EQ(1, json_integer_value(json_object_get(doc, "current_boot")));
	json_decref(doc);
	run(&r, "bootlog", "--boot", "5", NULL);
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.err, "boot 5"));
	/* the file, without aiosd, with details */
	run(&r, "-j", "bootlog", "--file", self->bootlog, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_NE(NULL, json_object_get(json_array_get(json_object_get(doc, "events"), 0),
					"detail"));
	json_decref(doc);
	run(&r, "bootlog", "--file", "/nonexistent/bootlog.jsonl", NULL);
	ASSERT_EQ(1, r.status);
	run(&r, "bootlog", "--list", "--boot", "1", NULL);
	ASSERT_EQ(2, r.status);
}

TEST_F(ops, config_check_hash_show_reload)
{
	char bad[200], cmd[300], line[200] = "";
	struct run r;
	json_t *doc;
	FILE *p;

	run(&r, "config", "check", self->conf, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_NE(NULL, strstr(r.out, "valid"));
	snprintf(bad, sizeof(bad), "%s/bad.json", self->dir);
	ASSERT_EQ(0, write_file(bad, "{\"store\":{\"fsync\":\"always\",\"dirr\":\"/x\"}}"));
	run(&r, "config", "check", bad, NULL);
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.err, "$.store.dirr: unknown config key")) TH_LOG("%s", r.err);
	ASSERT_EQ(0, write_file(bad, "{\"max_clients\":\"many\"}"));
	run(&r, "-j", "config", "check", bad, NULL);
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.out, "$.max_clients: expected an integer, got a string"));
	run(&r, "config", "check", NULL);
	ASSERT_EQ(2, r.status);
	/* hash prints what sha256sum prints */
	run(&r, "config", "hash", self->conf, NULL);
	ASSERT_EQ(0, r.status);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", self->conf);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, fgets(line, sizeof(line), p));
	pclose(p);
	ASSERT_STREQ(line, r.out);
	if (getuid() != 0)
		return;
	run(&r, "-j", "config", "show", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	doc = json_loads(r.out, 0, NULL);
	ASSERT_EQ(100, json_integer_value(json_object_get(json_object_get(doc, "config"),
							  "max_clients")));
	json_decref(doc);
	ASSERT_EQ(0, write_file(self->conf, "{\"max_clients\":90,\"store\":{\"max_size_mb\":16,"
				"\"key_max\":100}}\n"));
	run(&r, "config", "reload", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_NE(NULL, strstr(r.out, "max_clients"));
	ASSERT_NE(NULL, strstr(r.out, "needs a restart of aiosd:\n  store.key_max"));
	ASSERT_EQ(0, write_file(self->conf, "{\"max_clients\":0}\n"));
	run(&r, "config", "reload", NULL);
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.err, "$.max_clients"));
}

TEST_HARNESS_MAIN
