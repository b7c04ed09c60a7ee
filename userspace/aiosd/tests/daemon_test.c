// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd as a process, on the host, in peer-uid identity mode (the device
 * is pointed at a path that does not exist): memory operations over the
 * socket, isolation between uids, kill -9 durability with fsync=always,
 * malformed / oversized / silent / half-sent clients, 1,000 concurrent
 * clients, a bounded-time fuzz of random and mutated messages, clean
 * SIGTERM shutdown, sd_notify readiness.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/aios.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "aiosd_client.h"
#include "proto.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif

static uint64_t rs = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
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

struct daemon {
	char dir[64], sock[128], store[128], notify[128], log[128];
	pid_t pid;
	int nfd;
};

/* Start aiosd; waits for READY=1 on NOTIFY_SOCKET.  extra: "NAME=value"
 * environment entries, NULL-terminated. */
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
		setenv("AIOS_FSYNC", "always", 1);
		setenv("AIOS_IDLE_TIMEOUT_S", "3", 1);
		setenv("AIOS_MESSAGE_TIMEOUT_S", "2", 1);
		setenv("AIOS_VALUE_MAX", "65536", 1);
		setenv("AIOS_MAX_MESSAGE", "262144", 1);
		setenv("AIOS_MAX_SIZE_MB", "64", 1);
		for (int i = 0; extra && extra[i]; i++)
			putenv((char *)extra[i]);
		execl(AIOSD_BIN, "aiosd", "-s", d->sock, "-d", d->store, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	deadline = now_ms() + 15000;
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
			return -2;	/* exited */
		}
	}
	return -3;
}

static int stop(struct daemon *d, int sig)
{
	int st = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return st;
}

static bool alive(struct daemon *d)
{
	int st;

	return d->pid > 0 && waitpid(d->pid, &st, WNOHANG) == 0;
}

static void dump_log(struct daemon *d)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "tail -5 %s >&2", d->log);
	if (system(cmd))
		return;
}

FIXTURE(aiosd) {
	struct daemon d;
};

FIXTURE_SETUP(aiosd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(self->d.dir, "/tmp/aiosd-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->d.dir));
	ASSERT_EQ(0, chmod(self->d.dir, 0755));
	snprintf(self->d.sock, sizeof(self->d.sock), "%s/aiosd.sock", self->d.dir);
	snprintf(self->d.store, sizeof(self->d.store), "%s/store", self->d.dir);
	snprintf(self->d.notify, sizeof(self->d.notify), "%s/notify", self->d.dir);
	snprintf(self->d.log, sizeof(self->d.log), "%s/aiosd.log", self->d.dir);
	self->d.nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->d.nfd);
	strcpy(sa.sun_path, self->d.notify);
	ASSERT_EQ(0, bind(self->d.nfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, start(&self->d, NULL)) dump_log(&self->d);
}

FIXTURE_TEARDOWN(aiosd)
{
	if (self->d.pid > 0)
		stop(&self->d, SIGTERM);
	close(self->d.nfd);
	nftw(self->d.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct aiosd_client *client(struct daemon *d)
{
	struct aiosd_client *c = NULL;

	if (aiosd_connect(d->sock, &c))
		return NULL;
	return c;
}

/* ---- raw protocol helpers ---- */

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

static int send_frame(int fd, const void *p, size_t n)
{
	uint8_t hdr[4];

	proto_frame_header(hdr, (uint32_t)n);
	if (send(fd, hdr, 4, MSG_NOSIGNAL) != 4)
		return -1;
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int send_text(int fd, const char *s)
{
	return send_frame(fd, s, strlen(s));
}

static int recv_n(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	while (n) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		r = recv(fd, p, n, 0);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Next reply as JSON, or NULL (closed / timeout). */
static json_t *recv_reply(int fd, int timeout_ms)
{
	uint8_t hdr[4], *b;
	uint32_t n;
	json_t *j;

	if (recv_n(fd, hdr, 4, timeout_ms))
		return NULL;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	b = malloc(n);
	if (!b || recv_n(fd, b, n, timeout_ms)) {
		free(b);
		return NULL;
	}
	j = json_loadb((char *)b, n, 0, NULL);
	free(b);
	return j;
}

static const char *err_code(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), "code"));
}

/* Has the server closed fd?  (EOF within timeout_ms) */
static bool closed_by_server(int fd, int timeout_ms)
{
	uint8_t b[256];
	int64_t end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (poll(&pf, 1, 100) == 1) {
			ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN))
				return true;
		}
	}
	return false;
}

static bool status_ok(struct daemon *d)
{
	struct aiosd_client *c = client(d);
	json_t *st = NULL;
	int err = c ? aiosd_status(c, &st) : -1;

	json_decref(st);
	aiosd_close(c);
	return err == 0;
}

/* ---- tests ---- */

TEST_F(aiosd, status_reports_peer_uid_identity_without_the_module)
{
	struct aiosd_client *c = client(&self->d);
	json_t *st = NULL, *id;
	int fd;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, aiosd_status(c, &st));
	ASSERT_FALSE(json_is_true(json_object_get(st, "kernel")));
	ASSERT_STREQ("peer uid only", json_string_value(json_object_get(st, "identity_mode")));
	id = json_object_get(st, "identity");
	ASSERT_STREQ("uid", json_string_value(json_object_get(id, "kind")));
	ASSERT_EQ(getuid(), json_integer_value(json_object_get(id, "uid")));
	ASSERT_EQ(getuid() == 0, json_is_true(json_object_get(id, "admin")));
	ASSERT_EQ(1, json_integer_value(json_object_get(st, "protocol")));
	json_decref(st);
	/* proving an agent identity needs the module: a clear refusal */
	fd = open("/dev/null", O_RDWR);
	ASSERT_EQ(-ENODEV, aiosd_auth(c, fd));
	ASSERT_NE(NULL, strstr(aiosd_client_error(c), "peer uid only"));
	close(fd);
	aiosd_close(c);
}

static int collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	json_t *arr = arg;

	(void)val;
	(void)vlen;
	json_array_append_new(arr, json_stringn(key, klen));
	return 0;
}

TEST_F(aiosd, memory_operations_round_trip)
{
	struct aiosd_client *c = client(&self->d);
	json_t *keys = json_array(), *stats = NULL;
	char key[64], *cursor = NULL, big[70000];
	void *v;
	size_t vl;
	uint64_t n;
	int pages = 0;

	ASSERT_NE(NULL, c);
	for (int i = 0; i < 250; i++) {
		snprintf(key, sizeof(key), "agent-001:session-0001:msg-%08d", i);
		ASSERT_EQ(0, aiosd_mem_put(c, key, strlen(key), key, 10, NULL));
	}
	ASSERT_EQ(0, aiosd_mem_put(c, "\x00\xff\x01", 3, "\x00\x00", 2, NULL));
	ASSERT_EQ(0, aiosd_mem_get(c, "\x00\xff\x01", 3, &v, &vl));
	ASSERT_EQ(2, vl);
	ASSERT_EQ(0, memcmp(v, "\x00\x00", 2));
	free(v);
	ASSERT_EQ(0, aiosd_mem_get(c, key, strlen(key), &v, &vl));
	ASSERT_EQ(10, vl);
	ASSERT_EQ(0, memcmp(v, key, 10));
	free(v);
	do {
		long got = aiosd_mem_list(c, "agent-001:", 10, &cursor, 100, true, collect, keys);

		ASSERT_LE(0, got) TH_LOG("%s", aiosd_client_error(c));
		pages++;
	} while (cursor);
	ASSERT_EQ(3, pages);
	ASSERT_EQ(250, json_array_size(keys));
	ASSERT_STREQ("agent-001:session-0001:msg-00000000",
		     json_string_value(json_array_get(keys, 0)));
	ASSERT_STREQ("agent-001:session-0001:msg-00000249",
		     json_string_value(json_array_get(keys, 249)));
	ASSERT_EQ(0, aiosd_mem_delete(c, key, strlen(key)));
	ASSERT_EQ(-ENOENT, aiosd_mem_get(c, key, strlen(key), &v, &vl));
	ASSERT_NE(NULL, strstr(aiosd_client_error(c), "no such key"));
	ASSERT_EQ(-ENOENT, aiosd_mem_delete(c, key, strlen(key)));
	ASSERT_EQ(0, aiosd_mem_delete_prefix(c, "agent-001:session-0001:msg-000001", 33, &n));
	ASSERT_EQ(100, n);
	ASSERT_EQ(0, aiosd_mem_stats(c, false, &stats));
	ASSERT_EQ(150, json_integer_value(json_object_get(stats, "items")));
	ASSERT_LT(1.0, json_real_value(json_object_get(stats, "compression_ratio")));
	json_decref(stats);
	/* bad input: clear errors, nothing changes */
	ASSERT_EQ(-EINVAL, aiosd_mem_put(c, "", 0, "v", 1, NULL));
	memset(big, 'k', sizeof(big));
	ASSERT_EQ(-ENAMETOOLONG, aiosd_mem_put(c, big, 1025, "v", 1, NULL));
	ASSERT_EQ(-EFBIG, aiosd_mem_put(c, "k", 1, big, 65537, NULL));
	ASSERT_NE(NULL, strstr(aiosd_client_error(c), "65536"));
	if (getuid() != 0) {
		json_t *req = json_pack("{s:s, s:s, s:i}", "op", "memory.get", "key", "x",
					"agent", 1);

		ASSERT_EQ(-EPERM, aiosd_call(c, req, NULL));
		json_decref(req);
		ASSERT_EQ(-EPERM, aiosd_mem_stats(c, true, NULL));
	}
	json_decref(keys);
	aiosd_close(c);
}

/* Child body for the isolation test: exit 0 when every check holds. */
static int as_uid(struct daemon *d, uid_t uid, int role)
{
	struct aiosd_client *c;
	json_t *req;
	void *v;
	size_t vl;
	uint64_t n = 99;
	char *cursor = NULL;

	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return 10;
	c = client(d);
	if (!c)
		return 11;
	switch (role) {
	case 0:		/* A writes its secret */
		return aiosd_mem_put(c, "a:s:1", 5, "secret-A", 8, NULL) ? 12 : 0;
	case 1:		/* B sees nothing of A's, cannot reach it */
		if (aiosd_mem_get(c, "a:s:1", 5, &v, &vl) != -ENOENT)
			return 20;
		if (aiosd_mem_list(c, "", 0, &cursor, 100, true, NULL, NULL) != 0)
			return 21;
		if (aiosd_mem_delete_prefix(c, "", 0, &n) || n != 0)
			return 22;
		if (aiosd_mem_delete(c, "a:s:1", 5) != -ENOENT)
			return 23;
		req = json_pack("{s:s, s:s, s:i}", "op", "memory.get", "key", "a:s:1", "uid", 1000);
		if (aiosd_call(c, req, NULL) != -EPERM)
			return 24;
		json_decref(req);
		if (aiosd_mem_stats(c, true, NULL) != -EPERM)
			return 25;
		return aiosd_mem_put(c, "a:s:1", 5, "B", 1, NULL) ? 26 : 0;
	default:	/* A still has its own value */
		if (aiosd_mem_get(c, "a:s:1", 5, &v, &vl) || vl != 8 || memcmp(v, "secret-A", 8))
			return 30;
		return 0;
	}
}

static int run_as(struct daemon *d, uid_t uid, int role)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(as_uid(d, uid, role));
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

TEST_F(aiosd, uids_are_isolated_and_only_admin_crosses)
{
	struct aiosd_client *c;
	json_t *req, *rep = NULL;

	if (getuid() != 0)
		SKIP(return, "needs root to run clients as other uids");
	ASSERT_EQ(0, run_as(&self->d, 1000, 0));
	ASSERT_EQ(0, run_as(&self->d, 1001, 1));
	ASSERT_EQ(0, run_as(&self->d, 1000, 2));
	/* root is admin: may name the namespace */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	req = json_pack("{s:s, s:s, s:i}", "op", "memory.get", "key", "a:s:1", "uid", 1001);
	ASSERT_EQ(0, aiosd_call(c, req, &rep));
	ASSERT_STREQ("B", json_string_value(json_object_get(rep, "value")));
	json_decref(rep);
	json_decref(req);
	{
		json_t *stats = NULL;

		ASSERT_EQ(0, aiosd_mem_stats(c, true, &stats));
		ASSERT_EQ(2, json_integer_value(json_object_get(stats, "items")));
		ASSERT_EQ(2, json_integer_value(json_object_get(stats, "agents")));
		json_decref(stats);
	}
	aiosd_close(c);
}

TEST_F_TIMEOUT(aiosd, kill_9_loses_no_acknowledged_write, 120)
{
	long total = 0;

	for (int round = 0; round < 5; round++) {
		int pfd[2];
		long last = -1, idx;
		pid_t w;

		ASSERT_EQ(0, pipe(pfd));
		w = fork();
		if (w == 0) {
			struct aiosd_client *c = client(&self->d);
			char key[32], val[64];

			close(pfd[0]);
			if (!c)
				_exit(1);
			for (long i = 0;; i++) {
				snprintf(key, sizeof(key), "k-%d-%06ld", round, i);
				snprintf(val, sizeof(val), "value %d %ld", round, i);
				if (aiosd_mem_put(c, key, strlen(key), val, strlen(val), NULL))
					_exit(0);	/* daemon gone */
				if (write(pfd[1], &i, sizeof(i)) != sizeof(i))
					_exit(2);
			}
		}
		close(pfd[1]);
		usleep((useconds_t)(50000 + rnd() % 250000));
		ASSERT_EQ(SIGKILL, WTERMSIG(stop(&self->d, SIGKILL)));
		while (read(pfd[0], &idx, sizeof(idx)) == sizeof(idx))
			last = idx;
		close(pfd[0]);
		waitpid(w, NULL, 0);
		ASSERT_EQ(0, start(&self->d, NULL)) dump_log(&self->d);
		{
			struct aiosd_client *c = client(&self->d);
			char key[32], val[64];

			ASSERT_NE(NULL, c);
			for (long i = 0; i <= last; i++) {
				void *v;
				size_t vl;

				snprintf(key, sizeof(key), "k-%d-%06ld", round, i);
				snprintf(val, sizeof(val), "value %d %ld", round, i);
				ASSERT_EQ(0, aiosd_mem_get(c, key, strlen(key), &v, &vl))
					TH_LOG("round %d: acknowledged key %ld of %ld lost", round, i, last);
				ASSERT_EQ(strlen(val), vl);
				ASSERT_EQ(0, memcmp(v, val, vl));
				free(v);
			}
			aiosd_close(c);
		}
		total += last + 1;
	}
	ASSERT_LT(10, total);
}

TEST_F(aiosd, malformed_requests_get_errors_and_the_connection_goes_on)
{
	int fd = raw_connect(&self->d);
	json_t *r;
	uint8_t hdr[4];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_text(fd, "{\"v\":1,\"op\":"));
	r = recv_reply(fd, 5000);
	ASSERT_NE(NULL, r);
	ASSERT_STREQ("EINVAL", err_code(r));
	json_decref(r);
	ASSERT_EQ(0, send_text(fd, "{\"v\":1,\"id\":\"x\",\"op\":\"memory.frobnicate\"}"));
	r = recv_reply(fd, 5000);
	ASSERT_STREQ("EOPNOTSUPP", err_code(r));
	ASSERT_STREQ("x", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	ASSERT_EQ(0, send_text(fd, "{\"v\":1,\"op\":\"memory.get\",\"key\":\"k\",\"colour\":1}"));
	r = recv_reply(fd, 5000);
	ASSERT_STREQ("EINVAL", err_code(r));
	json_decref(r);
	ASSERT_EQ(0, send_text(fd, "{\"v\":9,\"op\":\"status\"}"));
	r = recv_reply(fd, 5000);
	ASSERT_STREQ("EPROTONOSUPPORT", err_code(r));
	json_decref(r);
	ASSERT_EQ(0, send_text(fd, "{\"v\":1,\"op\":\"memory.put\",\"key_b64\":\"!!\",\"value\":\"v\"}"));
	r = recv_reply(fd, 5000);
	ASSERT_STREQ("EINVAL", err_code(r));
	json_decref(r);
	/* still serving on the same connection */
	ASSERT_EQ(0, send_text(fd, "{\"v\":1,\"op\":\"status\"}"));
	r = recv_reply(fd, 5000);
	ASSERT_TRUE(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* an oversized frame cannot be skipped safely: error, then close */
	proto_frame_header(hdr, 262145);
	ASSERT_EQ(4, send(fd, hdr, 4, MSG_NOSIGNAL));
	r = recv_reply(fd, 5000);
	ASSERT_STREQ("EMSGSIZE", err_code(r));
	json_decref(r);
	ASSERT_TRUE(closed_by_server(fd, 5000));
	close(fd);
	ASSERT_TRUE(status_ok(&self->d));
}

TEST_F_TIMEOUT(aiosd, silent_and_half_sent_clients_are_dropped, 60)
{
	int silent = raw_connect(&self->d), half = raw_connect(&self->d), gone;
	uint8_t hdr[4];

	ASSERT_LE(0, silent);
	ASSERT_LE(0, half);
	proto_frame_header(hdr, 100);
	ASSERT_EQ(4, send(half, hdr, 4, MSG_NOSIGNAL));
	ASSERT_EQ(10, send(half, "{\"v\":1,\"op", 10, MSG_NOSIGNAL));
	/* a client that hangs up mid-message does no harm */
	gone = raw_connect(&self->d);
	ASSERT_EQ(4, send(gone, hdr, 4, MSG_NOSIGNAL));
	close(gone);
	ASSERT_TRUE(status_ok(&self->d));
	ASSERT_TRUE(closed_by_server(half, 8000));	/* message timeout 2 s */
	ASSERT_TRUE(closed_by_server(silent, 10000));	/* idle timeout 3 s */
	ASSERT_TRUE(status_ok(&self->d));
	close(silent);
	close(half);
}

TEST_F_TIMEOUT(aiosd, a_thousand_concurrent_clients, 120)
{
	enum { N = 1000 };
	static int fds[N];
	struct rlimit rl;
	char msg[160];

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < N + 64) {
		rl.rlim_cur = rl.rlim_max < N + 64 ? rl.rlim_max : N + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < N + 64)
		SKIP(return, "RLIMIT_NOFILE too low for 1000 clients");
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect(&self->d);
		ASSERT_LE(0, fds[i]) TH_LOG("client %d: %s", i, strerror(errno));
	}
	for (int i = 0; i < N; i++) {
		snprintf(msg, sizeof(msg),
			 "{\"v\":1,\"id\":%d,\"op\":\"memory.put\",\"key\":\"client-%04d\",\"value\":\"v%d\"}",
			 i, i, i);
		ASSERT_EQ(0, send_text(fds[i], msg));
	}
	for (int i = 0; i < N; i++) {
		json_t *r = recv_reply(fds[i], 10000);

		ASSERT_NE(NULL, r) TH_LOG("client %d got no reply", i);
		ASSERT_TRUE(json_is_true(json_object_get(r, "ok")));
		ASSERT_EQ(i, json_integer_value(json_object_get(r, "id")));
		json_decref(r);
	}
	for (int i = 0; i < N; i++) {
		snprintf(msg, sizeof(msg), "{\"v\":1,\"op\":\"memory.get\",\"key\":\"client-%04d\"}",
			 (i + 1) % N);
		ASSERT_EQ(0, send_text(fds[i], msg));
	}
	for (int i = 0; i < N; i++) {
		json_t *r = recv_reply(fds[i], 10000);
		char want[16];

		snprintf(want, sizeof(want), "v%d", (i + 1) % N);
		ASSERT_NE(NULL, r);
		ASSERT_STREQ(want, json_string_value(json_object_get(r, "value")));
		json_decref(r);
		close(fds[i]);
	}
	ASSERT_TRUE(alive(&self->d));
}

static const char *const seeds[] = {
	"{\"v\":1,\"id\":1,\"op\":\"memory.put\",\"key\":\"a:b:c\",\"value\":\"hello\"}",
	"{\"v\":1,\"op\":\"memory.get\",\"key_b64\":\"YTpiOmM=\"}",
	"{\"v\":1,\"op\":\"memory.list\",\"prefix\":\"a:\",\"limit\":3,\"values\":false}",
	"{\"v\":1,\"op\":\"memory.list\",\"prefix\":\"\",\"cursor_b64\":\"YTpi\"}",
	"{\"v\":1,\"op\":\"memory.delete_prefix\",\"prefix\":\"zz\"}",
	"{\"v\":1,\"op\":\"memory.stats\",\"all\":false}",
	"{\"v\":1,\"op\":\"status\"}",
	"{\"v\":1,\"op\":\"memory.delete\",\"key\":\"a:b:c\"}",
	"{\"v\":1,\"op\":\"memory.put\",\"key\":\"n\",\"value_b64\":\"AAECAwQF\",\"uid\":5}",
};

TEST_F_TIMEOUT(aiosd, fuzz_random_and_mutated_messages, 120)
{
	int64_t end = now_ms() + 8000;
	long frames = 0, conns = 0;
	uint8_t buf[1200];

	while (now_ms() < end) {
		int fd = raw_connect(&self->d);

		ASSERT_LE(0, fd) TH_LOG("daemon stopped accepting after %ld frames", frames);
		conns++;
		for (int k = 0; k < 20; k++) {
			size_t n;
			uint64_t how = rnd() % 10;

			if (how < 6) {
				const char *s = seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))];

				n = strlen(s);
				memcpy(buf, s, n);
				for (int m = 0, muts = 1 + (int)(rnd() % 4); m < muts; m++) {
					size_t at = rnd() % n;

					switch (rnd() % 4) {
					case 0:
						buf[at] ^= (uint8_t)(1u << (rnd() % 8));
						break;
					case 1:
						buf[at] = (uint8_t)rnd();
						break;
					case 2:
						n = at + 1;	/* truncate */
						break;
					default:
						buf[at] = "{}[]\":,\\0123456789"[rnd() % 19];
						break;
					}
				}
			} else if (how < 9) {
				n = 1 + rnd() % 300;
				for (size_t i = 0; i < n; i++)
					buf[i] = (uint8_t)rnd();
			} else {
				/* raw bytes without a proper frame: bad lengths */
				n = 4 + rnd() % 8;
				for (size_t i = 0; i < n; i++)
					buf[i] = (uint8_t)rnd();
				if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
					break;
				frames++;
				continue;
			}
			if (send_frame(fd, buf, n))
				break;
			frames++;
			/* drain replies without waiting long */
			{
				json_t *r = recv_reply(fd, 50);

				json_decref(r);
			}
		}
		close(fd);
		if (conns % 20 == 0) {
			ASSERT_TRUE(alive(&self->d)) dump_log(&self->d);
			ASSERT_TRUE(status_ok(&self->d))
				TH_LOG("no status after %ld frames", frames);
		}
	}
	ASSERT_TRUE(alive(&self->d)) dump_log(&self->d);
	ASSERT_TRUE(status_ok(&self->d));
	/* time-bounded; on a slow (emulated, sanitized) machine fewer
	 * frames fit, but the fuzz must have run */
	ASSERT_LT(200, frames) TH_LOG("only %ld frames on %ld connections", frames, conns);
}

TEST_F(aiosd, sigterm_shuts_down_cleanly_and_data_survives)
{
	struct aiosd_client *c = client(&self->d);
	char p[200];
	void *v;
	size_t vl;
	int st;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, aiosd_mem_put(c, "conv:1", 6, "hello", 5, NULL));
	aiosd_close(c);
	st = stop(&self->d, SIGTERM);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_NE(0, access(self->d.sock, F_OK));
	snprintf(p, sizeof(p), "%s/store.snap", self->d.store);
	ASSERT_EQ(0, access(p, F_OK));
	ASSERT_EQ(0, start(&self->d, NULL));
	c = client(&self->d);
	ASSERT_EQ(0, aiosd_mem_get(c, "conv:1", 6, &v, &vl));
	ASSERT_EQ(5, vl);
	free(v);
	aiosd_close(c);
}

TEST_F(aiosd, second_instance_and_bad_config_refuse_to_start)
{
	static const char *const bad[] = { "AIOS_FSYNC=sometimes", NULL };
	struct daemon other = self->d;
	char log[4096] = "";
	int fd;

	ASSERT_EQ(-2, start(&other, NULL));	/* exits: socket in use */
	ASSERT_TRUE(alive(&self->d));
	ASSERT_TRUE(status_ok(&self->d));
	snprintf(other.sock, sizeof(other.sock), "%s/other.sock", self->d.dir);
	snprintf(other.store, sizeof(other.store), "%s/other-store", self->d.dir);
	ASSERT_EQ(-2, start(&other, bad));
	fd = open(self->d.log, O_RDONLY);
	ASSERT_LT(0, read(fd, log, sizeof(log) - 1));
	close(fd);
	ASSERT_NE(NULL, strstr(log, "already serving"));
	ASSERT_NE(NULL, strstr(log, "AIOS_FSYNC"));
}

TEST_F_TIMEOUT(aiosd, pipelined_requests_past_the_output_limit_all_get_answers, 120)
{
	enum { N = 400 };
	int fd = raw_connect(&self->d);
	static char big[60100];
	char msg[128];

	ASSERT_LE(0, fd);
	/* a 60,000-byte value, then N gets sent before reading anything:
	 * 24 MB of replies, three times the per-connection output limit */
	snprintf(big, sizeof(big), "{\"v\":1,\"op\":\"memory.put\",\"key\":\"big\",\"value\":\"");
	memset(big + strlen(big), 'x', 60000);
	strcat(big, "\"}");
	ASSERT_EQ(0, send_text(fd, big));
	/* all requests in one write (as a pipelining client would; many
	 * small writes would fill the socket's buffer accounting while
	 * this client is not reading) */
	{
		static uint8_t out[N * 80];
		size_t used = 0;

		for (int i = 0; i < N; i++) {
			int l = snprintf(msg, sizeof(msg),
					 "{\"v\":1,\"id\":%d,\"op\":\"memory.get\",\"key\":\"big\"}", i);

			proto_frame_header(out + used, (uint32_t)l);
			memcpy(out + used + 4, msg, (size_t)l);
			used += 4 + (size_t)l;
		}
		ASSERT_EQ((ssize_t)used, send(fd, out, used, MSG_NOSIGNAL));
	}
	{
		json_t *r = recv_reply(fd, 10000);

		ASSERT_TRUE(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
	}
	for (int i = 0; i < N; i++) {
		json_t *r = recv_reply(fd, 10000);

		ASSERT_NE(NULL, r) TH_LOG("reply %d of %d never came", i, N);
		ASSERT_EQ(i, json_integer_value(json_object_get(r, "id")));
		ASSERT_EQ(60000, json_string_length(json_object_get(r, "value")));
		json_decref(r);
	}
	close(fd);
	ASSERT_TRUE(status_ok(&self->d));
}

/* Open /dev/aios and make the file an agent; -1 without the module. */
static int make_agent(const char *name, uint64_t *id)
{
	struct aios_api api = { .size = sizeof(api), .api_version = AIOS_API_VERSION };
	struct aios_register reg = { .size = sizeof(reg), .prio = AIOS_PRIO_NORMAL };
	int fd = open("/dev/aios", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, AIOS_IOC_API, &api)) {
		close(fd);
		return -1;
	}
	if (!name)
		return fd;	/* READY, not an agent */
	snprintf(reg.name, sizeof(reg.name), "%s", name);
	if (ioctl(fd, AIOS_IOC_REGISTER, &reg)) {
		close(fd);
		return -1;
	}
	*id = reg.agent_id;
	return fd;
}

TEST_F(aiosd, agents_authenticate_with_their_aios_fd)
{
	static const char *const env[] = { "AIOS_DEVICE=/dev/aios", NULL };
	struct daemon kd = self->d;
	struct aiosd_client *a, *b, *adm;
	uint64_t ida = 0, idb = 0, dummy;
	int fa, fb, fready, fnull;
	json_t *st = NULL, *req, *rep = NULL;
	void *v;
	size_t vl;

	fa = make_agent("store-test-a", &ida);
	if (fa < 0)
		SKIP(return, "no aios module (/dev/aios): runs in the VM");
	fb = make_agent("store-test-b", &idb);
	fready = make_agent(NULL, &dummy);
	ASSERT_LE(0, fb);
	ASSERT_LE(0, fready);
	snprintf(kd.sock, sizeof(kd.sock), "%s/kernel.sock", self->d.dir);
	snprintf(kd.store, sizeof(kd.store), "%s/kernel-store", self->d.dir);
	ASSERT_EQ(0, start(&kd, env)) dump_log(&kd);

	a = client(&kd);
	b = client(&kd);
	adm = client(&kd);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, adm);
	ASSERT_EQ(0, aiosd_status(adm, &st));
	ASSERT_TRUE(json_is_true(json_object_get(st, "kernel")));
	json_decref(st);

	/* wrong descriptors are refused with the reason */
	fnull = open("/dev/null", O_RDWR);
	ASSERT_EQ(-EBADF, aiosd_auth(a, fnull));
	close(fnull);
	ASSERT_EQ(-EBADFD, aiosd_auth(a, fready));
	ASSERT_NE(NULL, strstr(aiosd_client_error(a), "not a registered agent"));
	req = json_pack("{s:s}", "op", "auth");
	ASSERT_EQ(-EBADF, aiosd_call(a, req, NULL));	/* no descriptor */
	json_decref(req);

	ASSERT_EQ(0, aiosd_auth(a, fa)) TH_LOG("%s", aiosd_client_error(a));
	ASSERT_EQ(-EALREADY, aiosd_auth(a, fa));
	ASSERT_EQ(0, aiosd_auth(b, fb)) TH_LOG("%s", aiosd_client_error(b));
	ASSERT_EQ(0, aiosd_status(a, &st));
	ASSERT_STREQ("agent", json_string_value(json_object_get(json_object_get(st, "identity"),
								"kind")));
	ASSERT_EQ(ida, json_integer_value(json_object_get(json_object_get(st, "identity"),
							  "agent")));
	json_decref(st);

	ASSERT_EQ(0, aiosd_mem_put(a, "conv:1", 6, "from A", 6, NULL));
	ASSERT_EQ(-ENOENT, aiosd_mem_get(b, "conv:1", 6, &v, &vl));
	ASSERT_EQ(0, aiosd_mem_put(b, "conv:1", 6, "from B", 6, NULL));
	ASSERT_EQ(0, aiosd_mem_get(a, "conv:1", 6, &v, &vl));
	ASSERT_EQ(0, memcmp(v, "from A", 6));
	free(v);
	/* the same process without auth is its uid, not either agent */
	ASSERT_EQ(-ENOENT, aiosd_mem_get(adm, "conv:1", 6, &v, &vl));
	if (getuid() == 0) {
		req = json_pack("{s:s, s:s, s:I}", "op", "memory.get", "key", "conv:1",
				"agent", (json_int_t)idb);
		ASSERT_EQ(0, aiosd_call(adm, req, &rep));
		ASSERT_STREQ("from B", json_string_value(json_object_get(rep, "value")));
		json_decref(rep);
		json_decref(req);
	}
	aiosd_close(a);
	aiosd_close(b);
	aiosd_close(adm);
	ASSERT_EQ(0, WEXITSTATUS(stop(&kd, SIGTERM)));
	close(fa);
	close(fb);
	close(fready);
}

TEST_HARNESS_MAIN
