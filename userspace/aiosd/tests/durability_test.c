// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd durability through the daemon (host, peer-uid identity):
 *  - ledger write and sync failures (ENOSPC, a short write then EIO, a
 *    failing fdatasync) injected into the running daemon with an
 *    LD_PRELOAD shim (tests/faultshim.c): the append fails, nothing
 *    undurable is acknowledged, the ledger stays consistent and aiosd
 *    keeps serving;
 *  - a damaged store log or snapshot: aiosd refuses to start naming the
 *    file and the offset, and starts from the last good point with
 *    --recover, keeping the damaged bytes;
 *  - a torn ledger tail is cut on restart; a damaged ledger record is
 *    named by ledger.verify and refused by appends while other runs go on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include "fsutil.h"
#include "ledger.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif
#ifndef FAULTSHIM
#define FAULTSHIM "faultshim.so"
#endif

struct daemon {
	char dir[64], sock[128], store[128], state[128], notify[128], log[128],
	     fault[128];
	pid_t pid;
	int nfd;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start aiosd and wait for READY=1: 0, -2 if it exited (refused). */
static int start(struct daemon *d, int shim, int recover)
{
	char buf[256];
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
		setenv("AIOS_RUNS_DIR", d->state, 1);
		if (shim) {
			const char *a = getenv("ASAN_OPTIONS");
			char opts[512];

			/* the shim is preloaded ahead of a sanitizer runtime */
			snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
				 a ? a : "", a && *a ? ":" : "");
			setenv("ASAN_OPTIONS", opts, 1);
			setenv("LD_PRELOAD", FAULTSHIM, 1);
			setenv("AIOS_FAULT_CTL", d->fault, 1);
		}
		if (recover)
			execl(AIOSD_BIN, "aiosd", "-s", d->sock, "-d", d->store, "--recover",
			      (char *)NULL);
		else
			execl(AIOSD_BIN, "aiosd", "-s", d->sock, "-d", d->store, (char *)NULL);
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
			return -2;
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

static bool log_has(struct daemon *d, const char *s)
{
	char *text;
	size_t len;
	bool has;

	if (aios_read_file(d->log, 1 << 22, &text, &len, NULL))
		return false;
	has = memmem(text, len, s, strlen(s)) != NULL;
	if (!has)
		fprintf(stderr, "# log of aiosd lacks \"%s\":\n%s\n", s, text);
	free(text);
	return has;
}

static void arm(struct daemon *d, const char *what)
{
	int fd = open(d->fault, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		abort();
	close(fd);
}

static void disarm(struct daemon *d)
{
	unlink(d->fault);
}

FIXTURE(dur) {
	struct daemon d;
};

FIXTURE_SETUP(dur)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *t = getenv("TMPDIR");

	snprintf(self->d.dir, sizeof(self->d.dir), "%s/aiosd-dur.XXXXXX",
		 t && *t && strlen(t) < 30 ? t : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->d.dir));
	snprintf(self->d.sock, sizeof(self->d.sock), "%s/aiosd.sock", self->d.dir);
	snprintf(self->d.store, sizeof(self->d.store), "%s/store", self->d.dir);
	snprintf(self->d.state, sizeof(self->d.state), "%s/state", self->d.dir);
	snprintf(self->d.notify, sizeof(self->d.notify), "%s/notify", self->d.dir);
	snprintf(self->d.log, sizeof(self->d.log), "%s/aiosd.log", self->d.dir);
	snprintf(self->d.fault, sizeof(self->d.fault), "%s/fault", self->d.dir);
	self->d.nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->d.nfd);
	strcpy(sa.sun_path, self->d.notify);
	ASSERT_EQ(0, bind(self->d.nfd, (struct sockaddr *)&sa, sizeof(sa)));
}

FIXTURE_TEARDOWN(dur)
{
	if (self->d.pid > 0)
		stop(&self->d, SIGTERM);
	close(self->d.nfd);
	aios_rm_tree(self->d.dir);
}

static struct aiosd_client *client(struct daemon *d)
{
	struct aiosd_client *c = NULL;

	if (aiosd_connect(d->sock, &c))
		return NULL;
	aiosd_set_timeout(c, 20000);
	return c;
}

/* Send a request given as JSON text; *reply (may be NULL) as aiosd_call. */
static int req(struct aiosd_client *c, const char *text, json_t **reply)
{
	json_t *r = json_loads(text, 0, NULL), *rep = NULL;
	int rc;

	if (!r)
		abort();
	rc = aiosd_call(c, r, &rep);
	json_decref(r);
	if (reply)
		*reply = rep;
	else
		json_decref(rep);
	return rc;
}

static const char *err_msg(json_t *rep)
{
	const char *m = json_string_value(json_object_get(json_object_get(rep, "error"),
							  "message"));

	return m ? m : "";
}

static int append(struct aiosd_client *c, const char *run, int n, uint64_t *seq,
		  json_t **reply)
{
	char text[200];
	json_t *rep = NULL;
	int rc;

	snprintf(text, sizeof(text),
		 "{\"op\":\"ledger.append\",\"run\":\"%s\",\"type\":\"step\",\"payload\":{\"n\":%d}}",
		 run, n);
	rc = req(c, text, &rep);
	if (!rc && seq)
		*seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
	if (reply)
		*reply = rep;
	else
		json_decref(rep);
	return rc;
}

/* The "n" of every record of run, in order; returns the record count. */
static int payload_ns(struct aiosd_client *c, const char *run, int *ns, int max)
{
	char text[160];
	json_t *rep = NULL, *recs;
	int n;

	snprintf(text, sizeof(text), "{\"op\":\"ledger.read\",\"run\":\"%s\",\"from\":1}", run);
	if (req(c, text, &rep)) {
		json_decref(rep);
		return -1;
	}
	recs = json_object_get(rep, "records");
	n = (int)json_array_size(recs);
	for (int i = 0; i < n && i < max; i++)
		ns[i] = (int)json_integer_value(json_object_get(json_object_get(
			json_array_get(recs, (size_t)i), "payload"), "n"));
	json_decref(rep);
	return n;
}

static json_t *verify(struct aiosd_client *c, const char *run)
{
	char text[160];
	json_t *rep = NULL;

	snprintf(text, sizeof(text), "{\"op\":\"ledger.verify\",\"run\":\"%s\"}", run);
	if (req(c, text, &rep)) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}


/* Send frames in one write (one event-loop round); collect what comes
 * back until EOF or timeout: the number of "ok":true replies. */
static int pipelined_oks(struct daemon *d, const char *const *msgs, int n, bool *eof)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), oks = 0;
	static uint8_t buf[65536];
	size_t len = 0, off = 0;
	int64_t end = now_ms() + 10000;

	*eof = false;
	strcpy(sa.sun_path, d->sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	for (int i = 0; i < n; i++) {
		uint32_t l = (uint32_t)strlen(msgs[i]);

		buf[len++] = (uint8_t)(l >> 24);
		buf[len++] = (uint8_t)(l >> 16);
		buf[len++] = (uint8_t)(l >> 8);
		buf[len++] = (uint8_t)l;
		memcpy(buf + len, msgs[i], l);
		len += l;
	}
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	len = 0;
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 200) != 1)
			continue;
		r = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (r <= 0) {
			*eof = true;
			break;
		}
		len += (size_t)r;
	}
	while (off + 4 <= len) {
		uint32_t l = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
			     (uint32_t)buf[off + 2] << 8 | buf[off + 3];
		json_t *j;

		if (off + 4 + l > len)
			break;
		j = json_loadb((char *)buf + off + 4, l, 0, NULL);
		oks += json_is_true(json_object_get(j, "ok"));
		json_decref(j);
		off += 4 + l;
	}
	close(fd);
	return oks;
}

TEST_F_TIMEOUT(dur, ledger_faults_are_never_acknowledged, 120)
{
	struct aiosd_client *c;
	json_t *rep = NULL;
	uint64_t seq = 0;
	int ns[16], rc;

	if (access(FAULTSHIM, R_OK))
		SKIP(return, "fault shim %s not built", FAULTSHIM);
	ASSERT_EQ(0, start(&self->d, 1, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, req(c, "{\"op\":\"run.create\",\"run\":\"f\",\"fsync\":\"group\"}", NULL));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, append(c, "f", i, &seq, NULL));
		ASSERT_EQ(i + 1, seq);
	}

	/* disk full: the append fails with ENOSPC and says why */
	arm(&self->d, "pwrite 28");
	ASSERT_EQ(-ENOSPC, append(c, "f", 100, NULL, &rep));
	ASSERT_NE(NULL, strstr(err_msg(rep), "not appended")) TH_LOG("%s", err_msg(rep));
	json_decref(rep);
	/* a short write, then EIO: the half record is cut off again */
	arm(&self->d, "pwrite_short 5");
	ASSERT_EQ(-EIO, append(c, "f", 101, NULL, &rep));
	ASSERT_NE(NULL, strstr(err_msg(rep), "ledger")) TH_LOG("%s", err_msg(rep));
	json_decref(rep);
	/* the same connection is still served */
	disarm(&self->d);
	ASSERT_EQ(0, aiosd_mem_put(c, "still", 5, "here", 4, NULL));

	/* the round's fdatasync fails: the append is not acknowledged (the
	 * reply, already written as a success, is never sent: the
	 * connection is closed instead) */
	arm(&self->d, "fdatasync 5");
	rc = append(c, "f", 102, &seq, &rep);
	ASSERT_NE(0, rc) TH_LOG("an append whose sync failed was acknowledged as seq %llu",
				(unsigned long long)seq);
	ASSERT_FALSE(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	aiosd_close(c);
	/* every later round fails too while the disk does */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_NE(0, append(c, "f", 103, NULL, NULL));
	aiosd_close(c);
	/* an append and an episode in one round: the episode's own sync
	 * fails and takes the append's record with it; the append's reply,
	 * already queued as a success, is withdrawn too */
	{
		static const char *const two[] = {
			"{\"v\":1,\"id\":1,\"op\":\"ledger.append\",\"run\":\"f\",\"type\":\"step\",\"payload\":{\"n\":104}}",
			"{\"v\":1,\"id\":2,\"op\":\"episode.create\",\"run\":\"f\",\"name\":\"m1\"}",
		};
		bool eof;

		ASSERT_EQ(0, pipelined_oks(&self->d, two, 2, &eof));
		ASSERT_TRUE(eof);
	}
	disarm(&self->d);
	ASSERT_TRUE(alive(&self->d));
	ASSERT_TRUE(log_has(&self->d, "sync failed"));

	/* consistent: the failed ones left nothing, the seq goes on */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, append(c, "f", 3, &seq, NULL));
	ASSERT_EQ(4, seq);
	ASSERT_EQ(4, payload_ns(c, "f", ns, 16));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(i, ns[i]);
	rep = verify(c, "f");
	ASSERT_NE(NULL, rep);
	ASSERT_TRUE(json_is_true(json_object_get(rep, "intact"))) TH_LOG("%s",
		json_string_value(json_object_get(rep, "error")));
	ASSERT_EQ(4, json_integer_value(json_object_get(rep, "records")));
	json_decref(rep);
	{
		void *v;
		size_t vl;

		ASSERT_EQ(0, aiosd_mem_get(c, "still", 5, &v, &vl));
		free(v);
	}
	aiosd_close(c);

	/* and after kill -9 and a restart without faults: the same */
	ASSERT_EQ(SIGKILL, WTERMSIG(stop(&self->d, SIGKILL)));
	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(4, payload_ns(c, "f", ns, 16));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(i, ns[i]);
	ASSERT_EQ(0, append(c, "f", 4, &seq, NULL));
	ASSERT_EQ(5, seq);
	aiosd_close(c);
}

static int flip_byte(const char *path, size_t at_num, size_t at_den, uint8_t mask,
		     size_t *len_out)
{
	char *b;
	size_t len;
	int fd, ok;

	if (aios_read_file(path, 1 << 26, &b, &len, NULL))
		return -1;
	b[len * at_num / at_den] ^= (char)mask;
	fd = open(path, O_WRONLY | O_TRUNC);
	ok = fd >= 0 && write(fd, b, len) == (ssize_t)len;
	if (fd >= 0)
		close(fd);
	free(b);
	*len_out = len;
	return ok ? 0 : -1;
}

static off_t size_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : sb.st_size;
}

/* keys key-000 .. key-(n-1): how many are there, all with the right
 * value, and are they exactly a prefix 0..k-1? */
static int count_prefix(struct aiosd_client *c, int n, bool *is_prefix)
{
	int found = 0, first_missing = -1;

	*is_prefix = true;
	for (int i = 0; i < n; i++) {
		char k[16], want[32];
		void *v;
		size_t vl;

		snprintf(k, sizeof(k), "key-%03d", i);
		snprintf(want, sizeof(want), "value of key %d", i);
		if (aiosd_mem_get(c, k, strlen(k), &v, &vl)) {
			if (first_missing < 0)
				first_missing = i;
			continue;
		}
		if (vl != strlen(want) || memcmp(v, want, vl))
			*is_prefix = false;
		free(v);
		found++;
		if (first_missing >= 0)
			*is_prefix = false;
	}
	return found;
}

static void put_keys(struct __test_metadata *_metadata, struct daemon *d, int n)
{
	struct aiosd_client *c = client(d);

	ASSERT_NE(NULL, c);
	for (int i = 0; i < n; i++) {
		char k[16], v[32];

		snprintf(k, sizeof(k), "key-%03d", i);
		snprintf(v, sizeof(v), "value of key %d", i);
		ASSERT_EQ(0, aiosd_mem_put(c, k, strlen(k), v, strlen(v), NULL));
	}
	aiosd_close(c);
}

TEST_F_TIMEOUT(dur, damaged_store_log_refused_then_recovered_when_told, 120)
{
	char path[200], corrupt[220];
	struct aiosd_client *c;
	bool prefix;
	size_t len;
	int n;

	ASSERT_EQ(0, start(&self->d, 0, 0));
	put_keys(_metadata, &self->d, 40);
	/* kill -9: the writes are only in the log */
	ASSERT_EQ(SIGKILL, WTERMSIG(stop(&self->d, SIGKILL)));
	snprintf(path, sizeof(path), "%s/store.log", self->d.store);
	ASSERT_EQ(0, flip_byte(path, 1, 2, 0x55, &len));

	ASSERT_EQ(-2, start(&self->d, 0, 0));
	ASSERT_TRUE(log_has(&self->d, "cannot open the memory store"));
	ASSERT_TRUE(log_has(&self->d, "store.log"));
	ASSERT_TRUE(log_has(&self->d, "offset"));
	ASSERT_EQ((off_t)len, size_of(path));	/* refusing changed nothing */

	ASSERT_EQ(0, start(&self->d, 0, 1));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	n = count_prefix(c, 40, &prefix);
	ASSERT_TRUE(prefix);
	ASSERT_LT(5, n);
	ASSERT_GT(40, n);
	/* the rest is kept aside, not silently lost */
	snprintf(corrupt, sizeof(corrupt), "%s.corrupt.1", path);
	ASSERT_LT(0, size_of(corrupt));
	ASSERT_TRUE(log_has(&self->d, "store.log.corrupt.1"));
	ASSERT_EQ(0, aiosd_mem_put(c, "after", 5, "x", 1, NULL));
	aiosd_close(c);
	/* and the recovered store opens normally from now on */
	ASSERT_EQ(0, WEXITSTATUS(stop(&self->d, SIGTERM)));
	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(n, count_prefix(c, 40, &prefix));
	aiosd_close(c);
}

TEST_F_TIMEOUT(dur, damaged_store_snapshot_refused_then_recovered_when_told, 120)
{
	char path[200], corrupt[220];
	struct aiosd_client *c;
	bool prefix;
	size_t len;
	int n;

	ASSERT_EQ(0, start(&self->d, 0, 0));
	put_keys(_metadata, &self->d, 200);
	/* SIGTERM writes a snapshot */
	ASSERT_EQ(0, WEXITSTATUS(stop(&self->d, SIGTERM)));
	snprintf(path, sizeof(path), "%s/store.snap", self->d.store);
	ASSERT_LT(0, size_of(path));
	ASSERT_EQ(0, flip_byte(path, 1, 2, 0x01, &len));

	ASSERT_EQ(-2, start(&self->d, 0, 0));
	ASSERT_TRUE(log_has(&self->d, "store.snap: damaged at byte offset"));
	ASSERT_EQ((off_t)len, size_of(path));

	ASSERT_EQ(0, start(&self->d, 0, 1));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	n = count_prefix(c, 200, &prefix);
	ASSERT_LT(0, n);
	ASSERT_GT(200, n);
	snprintf(corrupt, sizeof(corrupt), "%s.corrupt.1", path);
	ASSERT_LT(0, size_of(corrupt));
	aiosd_close(c);
}

TEST_F_TIMEOUT(dur, torn_and_damaged_ledgers_through_aiosd, 120)
{
	char path[300];
	struct aios_ledger_verify v;
	struct aiosd_client *c;
	json_t *rep = NULL;
	uint64_t seq = 0;
	int ns[16];

	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, req(c, "{\"op\":\"run.create\",\"run\":\"a\"}", NULL));
	ASSERT_EQ(0, req(c, "{\"op\":\"run.create\",\"run\":\"b\"}", NULL));
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, append(c, "a", 10 + i, NULL, NULL));
	ASSERT_EQ(0, append(c, "b", 0, NULL, NULL));
	aiosd_close(c);
	ASSERT_EQ(SIGKILL, WTERMSIG(stop(&self->d, SIGKILL)));

	/* a torn last record (cut 7 bytes before its end, no zeros after) */
	snprintf(path, sizeof(path), "%s/runs/a/ledger.log", self->d.state);
	ASSERT_EQ(0, aios_ledger_verify_file(path, &v, NULL));
	ASSERT_EQ(5, v.records);
	ASSERT_EQ(0, truncate(path, (off_t)v.bytes - 7));
	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(4, payload_ns(c, "a", ns, 16));
	ASSERT_EQ(0, append(c, "a", 14, &seq, NULL));
	ASSERT_EQ(5, seq);
	rep = verify(c, "a");
	ASSERT_TRUE(json_is_true(json_object_get(rep, "intact")));
	json_decref(rep);
	aiosd_close(c);
	ASSERT_EQ(0, WEXITSTATUS(stop(&self->d, SIGTERM)));

	/* one flipped bit inside record 2: named, refused, others go on */
	{
		char *b;
		size_t len;
		char *p;

		ASSERT_EQ(0, aios_read_file(path, 1 << 24, &b, &len, NULL));
		p = memmem(b, len, "\"n\":11", 6);
		ASSERT_NE(NULL, p);
		p[5] ^= 0x01;
		ASSERT_EQ(0, truncate(path, 0));
		{
			int fd = open(path, O_WRONLY);

			ASSERT_EQ((ssize_t)len, write(fd, b, len));
			close(fd);
		}
		free(b);
	}
	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	rep = verify(c, "a");
	ASSERT_NE(NULL, rep);
	ASSERT_TRUE(json_is_false(json_object_get(rep, "intact")));
	ASSERT_EQ(2, json_integer_value(json_object_get(rep, "bad_seq")));
	json_decref(rep);
	ASSERT_EQ(-EBADMSG, append(c, "a", 99, NULL, &rep));
	ASSERT_EQ(2, json_integer_value(json_object_get(json_object_get(rep, "error"), "bad_seq")))
		TH_LOG("%s", err_msg(rep));
	json_decref(rep);
	ASSERT_EQ(0, append(c, "b", 1, &seq, NULL));
	ASSERT_EQ(2, seq);
	ASSERT_EQ(0, aiosd_mem_put(c, "k", 1, "v", 1, NULL));
	aiosd_close(c);
	/* refusing touched nothing: still the same damage, same length */
	ASSERT_EQ(-EBADMSG, aios_ledger_verify_file(path, &v, NULL));
	ASSERT_EQ(2, v.bad_seq);
}

/* A working-set change whose ledger record cannot be made durable is not
 * acknowledged and is taken back - in the running daemon and after a
 * kill -9 and restart (whatever the working-set file held meanwhile). */
TEST_F_TIMEOUT(dur, workset_change_under_a_sync_fault_is_taken_back, 120)
{
	struct aiosd_client *c;
	json_t *rep = NULL;
	int rc;

	if (access(FAULTSHIM, R_OK))
		SKIP(return, "fault shim %s not built", FAULTSHIM);
	ASSERT_EQ(0, start(&self->d, 1, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, req(c, "{\"op\":\"run.create\",\"run\":\"w\",\"fsync\":\"group\"}", NULL));
	ASSERT_EQ(0, req(c, "{\"op\":\"workset.put\",\"run\":\"w\",\"expected_seq\":0,"
			 "\"doc\":{\"goal\":\"first\",\"status\":\"active\",\"step\":1}}", NULL));
	arm(&self->d, "fdatasync 5");
	rc = req(c, "{\"op\":\"workset.put\",\"run\":\"w\",\"expected_seq\":1,"
		 "\"doc\":{\"goal\":\"second\",\"status\":\"active\",\"step\":2}}", &rep);
	ASSERT_NE(0, rc) TH_LOG("a working-set change whose record was not durable was acknowledged");
	ASSERT_FALSE(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	aiosd_close(c);
	disarm(&self->d);

	for (int restart = 0; restart < 2; restart++) {
		c = client(&self->d);
		ASSERT_NE(NULL, c);
		ASSERT_EQ(0, req(c, "{\"op\":\"workset.get\",\"run\":\"w\"}", &rep));
		ASSERT_EQ(1, json_integer_value(json_object_get(rep, "seq")))
			TH_LOG("restart %d", restart);
		ASSERT_STREQ("first", json_string_value(json_object_get(json_object_get(rep, "doc"),
									 "goal")));
		json_decref(rep);
		rep = verify(c, "w");
		ASSERT_TRUE(json_is_true(json_object_get(rep, "intact")));
		json_decref(rep);
		aiosd_close(c);
		if (!restart) {
			ASSERT_EQ(SIGKILL, WTERMSIG(stop(&self->d, SIGKILL)));
			ASSERT_EQ(0, start(&self->d, 0, 0));
		}
	}
	/* the same change goes through now */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, req(c, "{\"op\":\"workset.put\",\"run\":\"w\",\"expected_seq\":1,"
			 "\"doc\":{\"goal\":\"second\",\"status\":\"active\",\"step\":2}}", NULL));
	aiosd_close(c);
}

/* ---- fuzzing the run and context operations --------------------------- */

static const char *const run_seeds[] = {
	"{\"v\":1,\"id\":1,\"op\":\"run.create\",\"run\":\"z\",\"fsync\":\"group\"}",
	"{\"v\":1,\"op\":\"run.show\",\"run\":\"fz\"}",
	"{\"v\":1,\"op\":\"run.list\"}",
	"{\"v\":1,\"op\":\"workset.get\",\"run\":\"fz\"}",
	"{\"v\":1,\"op\":\"workset.put\",\"run\":\"fz\",\"expected_seq\":1,\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":2,\"vars\":{\"a\":[1,{\"b\":null}]},\"context\":{\"max_items\":3,\"max_bytes\":500,\"items\":[]}}}",
	"{\"v\":1,\"op\":\"workset.push\",\"run\":\"fz\",\"expected_seq\":1,\"items\":[{\"id\":\"i1\",\"role\":\"user\",\"text\":\"t\",\"priority\":3,\"pinned\":false}]}",
	"{\"v\":1,\"op\":\"ledger.append\",\"run\":\"fz\",\"type\":\"step\",\"payload\":{\"n\":1,\"s\":\"x\"}}",
	"{\"v\":1,\"op\":\"ledger.read\",\"run\":\"fz\",\"from\":1,\"limit\":5}",
	"{\"v\":1,\"op\":\"ledger.verify\",\"run\":\"fz\"}",
	"{\"v\":1,\"op\":\"episode.create\",\"run\":\"fz\",\"name\":\"e1\",\"note\":\"n\"}",
	"{\"v\":1,\"op\":\"episode.list\",\"run\":\"fz\"}",
	"{\"v\":1,\"op\":\"episode.show\",\"run\":\"fz\",\"name\":\"m0\"}",
	"{\"v\":1,\"op\":\"ltm.propose\",\"run\":\"fz\",\"facts\":[{\"text\":\"a fact\",\"scope\":\"s/t\",\"tags\":[\"x\"]}]}",
	"{\"v\":1,\"op\":\"ltm.commit\",\"run\":\"fz\",\"proposal\":\"p-0000000000000000\",\"episode\":\"m0\"}",
	"{\"v\":1,\"op\":\"ltm.search\",\"run\":\"fz\",\"query\":\"fact\",\"scope\":\"s\",\"limit\":3}",
	"{\"v\":1,\"op\":\"ltm.proposals\",\"run\":\"fz\"}",
	"{\"v\":1,\"op\":\"pack.import\",\"as\":\"q\",\"data_b64\":\"H4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAB4GyQAAQAKAAA=\"}",
	"{\"v\":1,\"op\":\"context.create\",\"model\":\"gpt-4\",\"ttl_s\":5,\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"u\",\"name\":\"n\"}]}",
	"{\"v\":1,\"op\":\"context.list\"}",
	"{\"v\":1,\"op\":\"context.truncate\",\"budget\":12,\"keep_last\":1,\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"one two\"}]}",
	"{\"v\":1,\"op\":\"context.check\",\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
	"{\"v\":1,\"op\":\"context.budget_set\",\"session\":\"s1\",\"limit\":100}",
	"{\"v\":1,\"op\":\"context.budget_charge\",\"session\":\"s1\",\"tokens\":7}",
	"{\"v\":1,\"op\":\"context.models\"}",
};

static uint64_t fz = 0x853c49e6748fea9bull;

static uint64_t fz_rand(void)
{
	fz ^= fz << 13;
	fz ^= fz >> 7;
	fz ^= fz << 17;
	return fz;
}

static int send_all(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* One reply (any), or -1 on EOF / nothing within timeout_ms. */
static int one_reply(int fd, int timeout_ms, long *oks)
{
	static uint8_t buf[1 << 20];
	size_t have = 0, want = 4;
	int64_t end = now_ms() + timeout_ms;

	while (have < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (now_ms() > end || poll(&p, 1, 100) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		r = recv(fd, buf + have, want - have, 0);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		if (have == 4 && want == 4) {
			want = 4 + ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
				    (uint32_t)buf[2] << 8 | buf[3]);
			if (want > sizeof(buf))
				return -1;
		}
	}
	*oks += memmem(buf + 4, want - 4, "\"ok\":true", 9) != NULL;
	return 0;
}

TEST_F_TIMEOUT(dur, fuzz_run_and_context_operations, 300)
{
	enum { FRAMES = 1200 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct aiosd_client *c;
	long frames = 0, replies = 0, oks = 0;
	uint8_t buf[1200];
	int fd = -1;

	ASSERT_EQ(0, start(&self->d, 0, 0));
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, req(c, "{\"op\":\"run.create\",\"run\":\"fz\"}", NULL));
	ASSERT_EQ(0, req(c, "{\"op\":\"workset.put\",\"run\":\"fz\",\"expected_seq\":0,"
			 "\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":1}}", NULL));
	ASSERT_EQ(0, req(c, "{\"op\":\"episode.create\",\"run\":\"fz\",\"name\":\"m0\"}", NULL));
	aiosd_close(c);
	strcpy(sa.sun_path, self->d.sock);

	while (frames < FRAMES) {
		const char *seed = run_seeds[fz_rand() % (sizeof(run_seeds) / sizeof(run_seeds[0]))];
		size_t n = strlen(seed);
		uint8_t hdr[4];

		if (fd < 0) {
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ASSERT_LE(0, fd);
			ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
				TH_LOG("aiosd stopped accepting after %ld frames", frames);
		}
		memcpy(buf, seed, n);
		if (fz_rand() % 8) {
			for (int m = 0, muts = 1 + (int)(fz_rand() % 4); m < muts; m++) {
				size_t at = fz_rand() % n;

				switch (fz_rand() % 5) {
				case 0:
					buf[at] ^= (uint8_t)(1u << (fz_rand() % 8));
					break;
				case 1:
					buf[at] = (uint8_t)fz_rand();
					break;
				case 2:
					n = at + 1;
					break;
				case 3:
					/* a big number where a small one was */
					if (buf[at] >= '0' && buf[at] <= '9' && n + 20 < sizeof(buf)) {
						memmove(buf + at + 19, buf + at, n - at);
						memcpy(buf + at, "9999999999999999999", 19);
						n += 19;
					}
					break;
				default:
					buf[at] = "{}[]\":,\\-.0123456789eE"[fz_rand() % 23];
					break;
				}
			}
		}
		hdr[0] = (uint8_t)(n >> 24);
		hdr[1] = (uint8_t)(n >> 16);
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		frames++;
		if (send_all(fd, hdr, 4) || send_all(fd, buf, n) || one_reply(fd, 15000, &oks)) {
			/* every frame of a valid length gets a reply */
			ASSERT_TRUE(alive(&self->d)) TH_LOG("aiosd died at frame %ld: %.*s",
							    frames, (int)n, buf);
			ASSERT_TRUE(0) TH_LOG("no reply to frame %ld: %.*s", frames, (int)n, buf);
		}
		replies++;
		if (frames % 50 == 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	ASSERT_TRUE(alive(&self->d));
	ASSERT_EQ(FRAMES, replies);
	TH_LOG("%ld frames, %ld answered with success", frames, oks);
	ASSERT_LT(FRAMES / 20, oks);	/* the fuzz reached the operations */
	/* the fuzzed run is still whole */
	c = client(&self->d);
	ASSERT_NE(NULL, c);
	{
		json_t *rep = verify(c, "fz");

		ASSERT_NE(NULL, rep);
		ASSERT_TRUE(json_is_true(json_object_get(rep, "intact"))) TH_LOG("%s",
			json_string_value(json_object_get(rep, "error")));
		json_decref(rep);
	}
	aiosd_close(c);
}

TEST_HARNESS_MAIN
