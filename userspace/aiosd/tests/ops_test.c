// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd's operations side as a process on the host (no kernel module:
 * the device points at a path that does not exist): SIGHUP reload that
 * applies run-time keys and reports restart-only ones, a bad reload that
 * keeps the running configuration, the config SHA-256 check (refuse,
 * warn, @FILE, on reload), the boot log across starts (ids, outcome,
 * bound on the number of boots, non-admin view), config.get, and the
 * runs block of "status".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
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
#include "aiosd_client.h"
#include "config.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif

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

struct daemon {
	char dir[64], sock[128], store[128], notify[128], log[128], conf[128], hashf[128];
	pid_t pid;
	int nfd;
	int status;	/* exit status when it exited during start */
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int file_hash(const char *path, char *hex)
{
	char err[256], *buf;
	size_t len;
	int r = config_read_file(path, &buf, &len, err, sizeof(err));

	if (r)
		return r;
	r = config_sha256_hex(buf, len, hex);
	free(buf);
	return r;
}

/* Start aiosd -c conf plus args; 0 when READY=1, -2 when it exited. */
static int start(struct daemon *d, const char *const *args)
{
	const char *argv[16] = { "aiosd", "-c", d->conf, "-s", d->sock, "-d", d->store };
	char buf[512];
	int64_t deadline;
	int na = 7;
	pid_t pid;

	for (int i = 0; args && args[i] && na < 15; i++)
		argv[na++] = args[i];
	argv[na] = NULL;
	pid = fork();
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
		unsetenv("AIOS_CONFIG_SHA256");
		unsetenv("AIOS_CONFIG_CHECK");
		execv(AIOSD_BIN, (char **)argv);
		_exit(127);
	}
	d->pid = pid;
	deadline = now_ms() + 20000;
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
			d->status = st;
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

static bool log_has(struct daemon *d, const char *needle)
{
	char *buf;
	size_t len;
	char err[128];
	bool r;

	if (config_read_file(d->log, &buf, &len, err, sizeof(err)))
		return false;
	r = strstr(buf, needle) != NULL;
	free(buf);
	return r;
}

static json_t *call(struct daemon *d, json_t *req, int *rc)
{
	struct aiosd_client *c = NULL;
	json_t *reply = NULL;

	*rc = aiosd_connect(d->sock, &c);
	if (*rc) {
		json_decref(req);
		return NULL;
	}
	*rc = aiosd_call(c, req, &reply);
	json_decref(req);
	aiosd_close(c);
	return reply;
}

static json_t *status(struct daemon *d)
{
	int rc;
	json_t *r = call(d, json_pack("{s:s}", "op", "status"), &rc);

	if (rc) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* Wait until "status" reports n reloads; returns the status reply. */
static json_t *wait_reloads(struct daemon *d, int n)
{
	int64_t deadline = now_ms() + 10000;

	while (now_ms() < deadline) {
		json_t *s = status(d);
		json_t *cfg = s ? json_object_get(s, "config") : NULL;

		if (cfg && json_integer_value(json_object_get(cfg, "reloads")) >= n)
			return s;
		json_decref(s);
		usleep(50000);
	}
	return NULL;
}

/* Is key in the array of {"key": ...} objects? */
static bool has_key(json_t *arr, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "key")) ?: "", key))
			return true;
	return false;
}

FIXTURE(ops) {
	struct daemon d;
};

FIXTURE_SETUP(ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(self->d.dir, "/tmp/aiosd-ops.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->d.dir));
	ASSERT_EQ(0, chmod(self->d.dir, 0755));
	snprintf(self->d.sock, sizeof(self->d.sock), "%s/aiosd.sock", self->d.dir);
	snprintf(self->d.store, sizeof(self->d.store), "%s/state/store", self->d.dir);
	snprintf(self->d.notify, sizeof(self->d.notify), "%s/notify", self->d.dir);
	snprintf(self->d.log, sizeof(self->d.log), "%s/aiosd.log", self->d.dir);
	snprintf(self->d.conf, sizeof(self->d.conf), "%s/aiosd.json", self->d.dir);
	snprintf(self->d.hashf, sizeof(self->d.hashf), "%s/aiosd.json.sha256", self->d.dir);
	self->d.nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->d.nfd);
	strcpy(sa.sun_path, self->d.notify);
	ASSERT_EQ(0, bind(self->d.nfd, (struct sockaddr *)&sa, sizeof(sa)));
}

FIXTURE_TEARDOWN(ops)
{
	if (self->d.pid > 0)
		stop(&self->d);
	close(self->d.nfd);
	nftw(self->d.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_F(ops, sighup_applies_runtime_keys_and_names_restart_ones)
{
	struct daemon *d = &self->d;
	struct aiosd_client *c[3] = { 0 };
	json_t *s, *lr, *r;
	int rc;

	ASSERT_EQ(0, write_file(d->conf, "{\"log_level\":\"info\",\"max_clients\":100,"
				"\"store\":{\"max_size_mb\":64,\"fsync\":\"always\"},"
				"\"runs\":{\"fsync\":\"group\"}}"));
	ASSERT_EQ(0, start(d, NULL));
	/* the socket and runs.dir cannot change at run time; the rest can */
	ASSERT_EQ(0, write_file(d->conf, "{\"log_level\":\"debug\",\"max_clients\":2,"
				"\"store\":{\"key_max\":512,\"max_size_mb\":8,\"fsync\":\"batched\",\"evict_samples\":7},"
				"\"runs\":{\"fsync\":\"none\",\"dir\":\"/tmp/other-runs\"}}"));
	ASSERT_EQ(0, kill(d->pid, SIGHUP));
	s = wait_reloads(d, 1);
	ASSERT_NE(NULL, s);
	lr = json_object_get(json_object_get(s, "config"), "last_reload");
	ASSERT_TRUE(json_is_true(json_object_get(lr, "ok")));
	ASSERT_STREQ("SIGHUP", json_string_value(json_object_get(lr, "trigger")));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "log_level"));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "max_clients"));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "store.max_size_mb"));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "store.fsync"));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "store.evict_samples"));
	ASSERT_TRUE(has_key(json_object_get(lr, "applied"), "runs.fsync"));
	ASSERT_TRUE(has_key(json_object_get(lr, "needs_restart"), "store.key_max"));
	ASSERT_TRUE(has_key(json_object_get(lr, "needs_restart"), "runs.dir"));
	ASSERT_FALSE(has_key(json_object_get(lr, "applied"), "store.key_max"));
	/* the new capacity is in force, the socket is the old one */
	ASSERT_EQ(8 << 20, json_integer_value(json_object_get(json_object_get(s, "store"),
								"capacity_bytes")));
	ASSERT_STREQ("batched", json_string_value(json_object_get(json_object_get(s, "store"),
								  "fsync")));
	json_decref(s);
	r = call(d, json_pack("{s:s}", "op", "config.get"), &rc);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(1024, json_integer_value(json_object_get(json_object_get(
		json_object_get(r, "config"), "store"), "key_max")));
	ASSERT_EQ(2, json_integer_value(json_object_get(json_object_get(r, "config"),
							"max_clients")));
	ASSERT_STREQ("none", json_string_value(json_object_get(json_object_get(
		json_object_get(r, "config"), "runs"), "fsync")));
	json_decref(r);
	ASSERT_TRUE(log_has(d, "store.max_size_mb 64 -> 8: applied"));
	ASSERT_TRUE(log_has(d, "store.key_max 1024 -> 512: needs a restart"));
	/* max_clients 2 is enforced: the third connection is turned away */
	ASSERT_EQ(0, aiosd_connect(d->sock, &c[0]));
	ASSERT_EQ(0, aiosd_connect(d->sock, &c[1]));
	ASSERT_EQ(0, aiosd_status(c[0], &s));
	json_decref(s);
	ASSERT_EQ(0, aiosd_status(c[1], &s));
	json_decref(s);
	ASSERT_EQ(0, aiosd_connect(d->sock, &c[2]));
	ASSERT_EQ(-EBUSY, aiosd_status(c[2], &s));
	for (int i = 0; i < 3; i++)
		aiosd_close(c[i]);
}

TEST_F(ops, bad_reload_keeps_the_running_config)
{
	struct daemon *d = &self->d;
	json_t *s, *lr, *r;
	int rc;

	ASSERT_EQ(0, write_file(d->conf, "{\"max_clients\":50,\"store\":{\"max_size_mb\":32}}"));
	ASSERT_EQ(0, start(d, NULL));
	/* one bad key among good changes: nothing is applied */
	ASSERT_EQ(0, write_file(d->conf, "{\"max_clients\":7,\"store\":{\"max_size_mb\":16,"
				"\"fsync\":\"sometimes\"}}"));
	ASSERT_EQ(0, kill(d->pid, SIGHUP));
	s = wait_reloads(d, 1);
	ASSERT_NE(NULL, s);
	lr = json_object_get(json_object_get(s, "config"), "last_reload");
	ASSERT_FALSE(json_is_true(json_object_get(lr, "ok")));
	ASSERT_NE(NULL, strstr(json_string_value(json_object_get(lr, "error")), "$.store.fsync"))
		TH_LOG("%s", json_string_value(json_object_get(lr, "error")));
	ASSERT_EQ(32 << 20, json_integer_value(json_object_get(json_object_get(s, "store"),
								 "capacity_bytes")));
	json_decref(s);
	ASSERT_TRUE(log_has(d, "NOT reloaded"));
	/* an unknown key is named with its path too */
	ASSERT_EQ(0, write_file(d->conf, "{\"store\":{\"max_size_mb\":16,\"snapshot\":{\"x\":1}}}"));
	r = call(d, json_pack("{s:s}", "op", "config.reload"), &rc);
	ASSERT_EQ(-EINVAL, rc);
	ASSERT_NE(NULL, strstr(json_string_value(json_object_get(json_object_get(r, "error"),
								 "message")), "$.store.snapshot"));
	json_decref(r);
	r = call(d, json_pack("{s:s}", "op", "config.get"), &rc);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(50, json_integer_value(json_object_get(json_object_get(r, "config"),
							 "max_clients")));
	ASSERT_EQ(32, json_integer_value(json_object_get(json_object_get(
		json_object_get(r, "config"), "store"), "max_size_mb")));
	json_decref(r);
	/* a good file afterwards is applied */
	ASSERT_EQ(0, write_file(d->conf, "{\"max_clients\":60,\"store\":{\"max_size_mb\":32}}"));
	r = call(d, json_pack("{s:s}", "op", "config.reload"), &rc);
	ASSERT_EQ(0, rc);
	ASSERT_TRUE(has_key(json_object_get(json_object_get(r, "reload"), "applied"),
			    "max_clients"));
	json_decref(r);
}

TEST_F(ops, config_hash_refuse_warn_and_file)
{
	struct daemon *d = &self->d;
	const char *wrong[] = { "--config-sha256",
		"0000000000000000000000000000000000000000000000000000000000000000", NULL };
	const char *warn[] = { "--config-sha256",
		"0000000000000000000000000000000000000000000000000000000000000000",
		"--config-check", "warn", NULL };
	char hex[CONFIG_SHA256_HEX], line[200], arg[160];
	const char *right[] = { "--config-sha256", hex, NULL };
	const char *fromfile[] = { "--config-sha256", arg, NULL };
	json_t *s, *cfg;

	ASSERT_EQ(0, write_file(d->conf, "{\"max_clients\":10}\n"));
	ASSERT_EQ(0, file_hash(d->conf, hex));
	/* refuse (the default with a recorded hash): exit 1, a precise message */
	ASSERT_EQ(-2, start(d, wrong));
	ASSERT_TRUE(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1);
	ASSERT_TRUE(log_has(d, "does not match the recorded"));
	ASSERT_TRUE(log_has(d, hex));
	/* warn: starts, says so */
	ASSERT_EQ(0, start(d, warn));
	s = status(d);
	cfg = json_object_get(s, "config");
	ASSERT_STREQ("warn", json_string_value(json_object_get(cfg, "check")));
	ASSERT_NE(NULL, strstr(json_string_value(json_object_get(cfg, "check_result")), "MISMATCH"));
	ASSERT_STREQ(hex, json_string_value(json_object_get(cfg, "sha256")));
	json_decref(s);
	stop(d);
	/* the right hash, given directly and as @FILE (sha256sum format) */
	ASSERT_EQ(0, start(d, right));
	stop(d);
	snprintf(line, sizeof(line), "%s  %s\n", hex, d->conf);
	ASSERT_EQ(0, write_file(d->hashf, line));
	snprintf(arg, sizeof(arg), "@%s", d->hashf);
	ASSERT_EQ(0, start(d, fromfile));
	s = status(d);
	ASSERT_STREQ("matches the recorded SHA-256",
		     json_string_value(json_object_get(json_object_get(s, "config"), "check_result")));
	json_decref(s);
	/* SIGHUP with a changed file but the old recorded hash: refused */
	ASSERT_EQ(0, write_file(d->conf, "{\"max_clients\":11}\n"));
	ASSERT_EQ(0, kill(d->pid, SIGHUP));
	s = wait_reloads(d, 1);
	ASSERT_NE(NULL, s);
	cfg = json_object_get(json_object_get(s, "config"), "last_reload");
	ASSERT_FALSE(json_is_true(json_object_get(cfg, "ok")));
	ASSERT_NE(NULL, strstr(json_string_value(json_object_get(cfg, "error")), "SHA-256"));
	json_decref(s);
	/* record the new hash, reload again: applied */
	ASSERT_EQ(0, file_hash(d->conf, hex));
	snprintf(line, sizeof(line), "%s  %s\n", hex, d->conf);
	ASSERT_EQ(0, write_file(d->hashf, line));
	ASSERT_EQ(0, kill(d->pid, SIGHUP));
	s = wait_reloads(d, 2);
	ASSERT_NE(NULL, s);
	cfg = json_object_get(json_object_get(s, "config"), "last_reload");
	ASSERT_TRUE(json_is_true(json_object_get(cfg, "ok")));
	ASSERT_TRUE(has_key(json_object_get(cfg, "applied"), "max_clients"));
	json_decref(s);
}

TEST_F(ops, config_check_from_file_cannot_be_met_without_hash)
{
	struct daemon *d = &self->d;

	ASSERT_EQ(0, write_file(d->conf, "{\"config_check\":\"refuse\"}"));
	ASSERT_EQ(-2, start(d, NULL));
	ASSERT_TRUE(log_has(d, "no SHA-256 is recorded"));
}

static json_t *bootlog_req(struct daemon *d, json_t *req, int *rc)
{
	return call(d, req, rc);
}

TEST_F(ops, bootlog_persists_across_starts_and_is_bounded)
{
	struct daemon *d = &self->d;
	const char *names[] = { "start", "config", "store", "runs", "module", "gpus", "serving" };
	json_t *r, *boots, *events, *e;
	size_t i;
	int rc, st;

	ASSERT_EQ(0, write_file(d->conf, "{\"bootlog_boots\":2}"));
	ASSERT_EQ(0, start(d, NULL));
	ASSERT_EQ(0, stop(d));
	ASSERT_EQ(0, start(d, NULL));
	r = bootlog_req(d, json_pack("{s:s, s:b}", "op", "bootlog", "list", 1), &rc);
	ASSERT_EQ(0, rc);
	boots = json_object_get(r, "boots");
	ASSERT_EQ(2, json_array_size(boots));
	ASSERT_EQ(1, json_integer_value(json_object_get(json_array_get(boots, 0), "boot")));
	ASSERT_STREQ("stopped", json_string_value(json_object_get(json_array_get(boots, 0),
								  "last_event")));
	ASSERT_STREQ("served", json_string_value(json_object_get(json_array_get(boots, 1),
								 "outcome")));
	ASSERT_EQ(2, json_integer_value(json_object_get(r, "current_boot")));
	json_decref(r);
	/* this boot's events, in order, with timestamps */
	r = bootlog_req(d, json_pack("{s:s}", "op", "bootlog"), &rc);
	ASSERT_EQ(0, rc);
	events = json_object_get(r, "events");
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		bool found = false;

		json_array_foreach(events, i, e)
			if (!strcmp(json_string_value(json_object_get(e, "event")), names[k]))
				found = true;
		ASSERT_TRUE(found) TH_LOG("event %s missing", names[k]);
	}
	e = json_array_get(events, 0);
	ASSERT_EQ(2, json_integer_value(json_object_get(e, "boot")));
	ASSERT_EQ(24, strlen(json_string_value(json_object_get(e, "time"))));
	json_array_foreach(events, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "event")), "module")) {
			/* no module on this host: said so, at warning level */
			ASSERT_STREQ("warn", json_string_value(json_object_get(e, "level")));
			ASSERT_STREQ("kernel", json_string_value(json_object_get(e, "source")));
		} else if (!strcmp(json_string_value(json_object_get(e, "event")), "config")) {
			ASSERT_EQ(64, strlen(json_string_value(json_object_get(
				json_object_get(e, "detail"), "sha256"))));
		}
	json_decref(r);
	/* boot 1 is still readable; an unknown boot is ENOENT */
	r = bootlog_req(d, json_pack("{s:s, s:i}", "op", "bootlog", "boot", 1), &rc);
	ASSERT_EQ(0, rc);
	ASSERT_STREQ("stopped", json_string_value(json_object_get(
		json_array_get(json_object_get(r, "events"),
			       json_array_size(json_object_get(r, "events")) - 1), "event")));
	json_decref(r);
	r = bootlog_req(d, json_pack("{s:s, s:i}", "op", "bootlog", "boot", 9), &rc);
	ASSERT_EQ(-ENOENT, rc);
	json_decref(r);
	/* a third start keeps only the last two boots */
	ASSERT_EQ(0, stop(d));
	ASSERT_EQ(0, start(d, NULL));
	r = bootlog_req(d, json_pack("{s:s, s:b}", "op", "bootlog", "list", 1), &rc);
	ASSERT_EQ(0, rc);
	boots = json_object_get(r, "boots");
	ASSERT_EQ(2, json_array_size(boots));
	ASSERT_EQ(2, json_integer_value(json_object_get(json_array_get(boots, 0), "boot")));
	ASSERT_EQ(3, json_integer_value(json_object_get(json_array_get(boots, 1), "boot")));
	json_decref(r);
	/* another uid reads the events without their details */
	if (getuid() == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			json_t *x;
			int c;

			if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
				_exit(10);
			x = call(d, json_pack("{s:s}", "op", "bootlog"), &c);
			if (c || !json_array_size(json_object_get(x, "events")))
				_exit(11);
			if (json_object_get(json_array_get(json_object_get(x, "events"), 0), "detail"))
				_exit(12);
			if (json_object_get(x, "path"))
				_exit(13);
			json_decref(x);
			x = call(d, json_pack("{s:s}", "op", "config.get"), &c);
			_exit(c == -EPERM ? 0 : 14);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_EQ(0, WEXITSTATUS(st));
	}
}

TEST_F(ops, status_reports_runs_and_boot)
{
	struct daemon *d = &self->d;
	json_t *s, *runs;

	ASSERT_EQ(0, write_file(d->conf, "{\"runs\":{\"fsync\":\"always\"}}"));
	ASSERT_EQ(0, start(d, NULL));
	s = status(d);
	ASSERT_NE(NULL, s);
	runs = json_object_get(s, "runs");
	ASSERT_TRUE(json_is_true(json_object_get(runs, "enabled")));
	ASSERT_STREQ("always", json_string_value(json_object_get(runs, "fsync")));
	ASSERT_EQ(0, json_integer_value(json_object_get(runs, "runs")));
	ASSERT_NE(NULL, strstr(json_string_value(json_object_get(runs, "dir")), "/state"));
	ASSERT_EQ(1, json_integer_value(json_object_get(json_object_get(s, "boot"), "id")));
	json_decref(s);
}

TEST_HARNESS_MAIN
