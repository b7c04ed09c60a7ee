// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests of libaios' aiosd sessions: the memory store, contexts and
 * runs (working set, ledger, episodes, long-term memory, resume packs)
 * against a real aiosd that each test starts in a temporary directory.
 * Without the kernel module aiosd identifies clients by uid; agent
 * authentication is tested in the VM (tests/vm_session.c).
 */
#define _GNU_SOURCE
#include <aios.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif

struct daemon {
	char dir[64];
	char sock[128];
	pid_t pid;
};

/* Tool manifests: a read-only echo and a tool that needs ACCESS_FS. */
static int write_tools(const char *dir)
{
	static const char *const tools[][2] = {
		{ "echo", "{\"name\": \"echo\", \"type\": \"exec\", \"description\": \"print\", "
			  "\"command\": [\"/bin/echo\"], \"permission\": \"READ_ONLY\", "
			  "\"sandboxed\": true, \"max_args\": 8}" },
		{ "writer", "{\"name\": \"writer\", \"type\": \"exec\", "
			    "\"command\": [\"/usr/bin/touch\", \"/scratch/made-by-writer\"], "
			    "\"permission\": \"READ_WRITE\", \"sandboxed\": true, \"max_args\": 0}" },
	};
	char path[160];
	size_t i;

	snprintf(path, sizeof(path), "%s/tools", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/tools/%s.json", dir, tools[i][0]);
		f = fopen(path, "w");
		if (!f || fputs(tools[i][1], f) < 0 || fclose(f))
			return -1;
	}
	return 0;
}

static int start_aiosd(struct daemon *d)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char store[128];
	int i;

	snprintf(store, sizeof(store), "%s/store", d->dir);
	if (write_tools(d->dir))
		return -EIO;
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0 && !getenv("TEST_VERBOSE"))
			dup2(null, 2);
		setenv("AIOS_DEVICE", "/nonexistent/aios", 1);
		setenv("AIOS_FSYNC", "always", 1);
		setenv("AIOS_RUNS_FSYNC", "always", 1);
		setenv("AIOS_LOG_LEVEL", "warn", 1);
		unsetenv("AIOS_RUNS_DIR");
		snprintf(store, sizeof(store), "%s/tools", d->dir);
		setenv("AIOS_TOOLS_DIR", store, 1);
		snprintf(store, sizeof(store), "%s/store", d->dir);
		unsetenv("AIOS_STORE_DIR");
		execl(getenv("AIOSD") ?: AIOSD_BIN, "aiosd", "-s", d->sock, "-d", store,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 3000; i++) {
		struct aios_session *s = aios_session_new();
		int err = aios_session_connect(s, d->sock);

		aios_session_close(s);
		if (!err)
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
			return -ECHILD;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static void stop_aiosd(struct daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
		d->pid = -1;
	}
}

FIXTURE(aiosd) {
	struct daemon d;
	struct aios_session *s;
};

FIXTURE_SETUP(aiosd)
{
	int err;

	strcpy(self->d.dir, "/tmp/aios-session-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->d.dir));
	snprintf(self->d.sock, sizeof(self->d.sock), "%s/aiosd.sock", self->d.dir);
	err = start_aiosd(&self->d);
	ASSERT_EQ(0, err) TH_LOG("aiosd (%s) did not start: %s", getenv("AIOSD") ?: AIOSD_BIN,
				 strerror(-err));
	ASSERT_EQ(0, aios_session_open(NULL, self->d.sock, &self->s))
		TH_LOG("%s", aios_session_errmsg(self->s));
}

FIXTURE_TEARDOWN(aiosd)
{
	char cmd[128];

	aios_session_close(self->s);
	stop_aiosd(&self->d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->d.dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->d.dir);
}

/* Parse JSON text returned by the library (and free it). */
static json_t *J(char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

	free(text);
	return j;
}

static int jint(json_t *o, const char *k)
{
	return (int)json_integer_value(json_object_get(o, k));
}

/* ---- session ------------------------------------------------------- */

TEST(connect_to_missing_socket_says_what_to_do)
{
	struct aios_session *s = NULL;
	int err = aios_session_open(NULL, "/nonexistent/aiosd.sock", &s);

	ASSERT_EQ(-ENOENT, err);
	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, strstr(aios_session_errmsg(s), "is aiosd running"));
	ASSERT_EQ(-ENOTCONN, aios_memory_put(s, "k", 1, "v", 1, NULL));
	aios_session_close(s);
}

TEST(auth_without_a_device_is_refused_locally)
{
	struct aios_session *s = aios_session_new();
	struct aios *h = aios_new();

	ASSERT_EQ(-EBADF, aios_session_auth(s, h));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(s), "/dev/aios"));
	aios_close(h);
	aios_session_close(s);
}

TEST_F(aiosd, status_reports_uid_identity_without_the_module)
{
	json_t *st;

	ASSERT_EQ(0, aios_session_agent(self->s));
	st = J(({ char *t = NULL; ASSERT_EQ(0, aios_session_status(self->s, &t)); t; }));
	ASSERT_NE(NULL, st);
	ASSERT_TRUE(json_is_false(json_object_get(st, "kernel")));
	ASSERT_STREQ("uid", json_string_value(json_object_get(json_object_get(st, "identity"), "kind")));
	ASSERT_EQ((int)getuid(), jint(json_object_get(st, "identity"), "uid"));
	json_decref(st);
}

TEST_F(aiosd, generic_call_and_its_errors)
{
	char *rep = NULL;
	json_t *e;

	ASSERT_EQ(-EINVAL, aios_session_call(self->s, "{\"op\":", &rep));
	ASSERT_EQ(NULL, rep);
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "not valid JSON"));
	ASSERT_EQ(-EINVAL, aios_session_call(self->s, "{\"key\":\"x\"}", &rep));
	ASSERT_EQ(-EOPNOTSUPP, aios_session_call(self->s, "{\"op\":\"no.such.op\"}", &rep));
	ASSERT_NE(NULL, rep);
	ASSERT_NE(NULL, strstr(rep, "\"ok\":false"));
	free(rep);
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "no.such.op"));
	e = json_loads(aios_session_error_json(self->s), 0, NULL);
	ASSERT_STREQ("EOPNOTSUPP", json_string_value(json_object_get(e, "code")));
	json_decref(e);
	/* the connection is still usable, and a success clears the error */
	ASSERT_EQ(0, aios_session_call(self->s, "{\"op\":\"status\",\"v\":7}", &rep));
	ASSERT_NE(NULL, strstr(rep, "\"ok\":true"));
	free(rep);
	ASSERT_EQ(NULL, aios_session_error_json(self->s));
}

TEST_F(aiosd, aiosd_going_away_disconnects_the_session)
{
	stop_aiosd(&self->d);
	ASSERT_EQ(-ECONNRESET, aios_memory_put(self->s, "k", 1, "v", 1, NULL));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "closed the connection"));
	ASSERT_EQ(-ENOTCONN, aios_memory_put(self->s, "k", 1, "v", 1, NULL));
	ASSERT_EQ(-EBADF, aios_session_fd(self->s));
}

/* ---- memory store ---------------------------------------------------- */

TEST_F(aiosd, memory_put_get_delete_binary)
{
	static const char key[] = "bin\0key", val[] = "\0\1\2\377value";
	uint64_t evicted = 99;
	void *v;
	size_t n;

	ASSERT_EQ(0, aios_memory_put(self->s, key, sizeof(key), val, sizeof(val), &evicted));
	ASSERT_EQ(0, evicted);
	ASSERT_EQ(0, aios_memory_get(self->s, key, sizeof(key), &v, &n));
	ASSERT_EQ(sizeof(val), n);
	ASSERT_EQ(0, memcmp(v, val, n));
	free(v);
	/* the key's NUL matters */
	ASSERT_EQ(-ENOENT, aios_memory_get(self->s, "bin", 3, &v, &n));
	ASSERT_EQ(NULL, v);
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "memory.get"));
	ASSERT_EQ(0, aios_memory_delete(self->s, key, sizeof(key)));
	ASSERT_EQ(-ENOENT, aios_memory_delete(self->s, key, sizeof(key)));
	ASSERT_EQ(-ENOENT, aios_memory_get(self->s, key, sizeof(key), &v, &n));
}

TEST_F(aiosd, memory_bad_input)
{
	void *v;
	size_t n;

	ASSERT_EQ(-EINVAL, aios_memory_put(self->s, "", 0, "v", 1, NULL));
	ASSERT_EQ(-EINVAL, aios_memory_put(self->s, NULL, 3, "v", 1, NULL));
	ASSERT_EQ(-EINVAL, aios_memory_get(self->s, NULL, 2, &v, &n));
	ASSERT_EQ(-EINVAL, aios_memory_list(self->s, "", 0, NULL, 0, true, NULL, NULL));
}

struct collect {
	char keys[64][32];
	int n;
	int stop_at;
};

static int collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct collect *c = arg;

	if (c->n == c->stop_at)
		return 42;
	if (klen >= sizeof(c->keys[0]) || c->n >= 64 || (val && vlen != 3))
		return -EPROTO;
	memcpy(c->keys[c->n], key, klen);
	c->keys[c->n][klen] = 0;
	c->n++;
	return 0;
}

TEST_F(aiosd, memory_list_pages_with_a_cursor_and_delete_prefix)
{
	struct collect c = { .stop_at = -1 };
	char key[32], *cursor = NULL, *stats;
	uint64_t deleted = 0;
	int i, pages = 0;
	long r;
	json_t *st;

	for (i = 24; i >= 0; i--) {
		snprintf(key, sizeof(key), "s1:msg-%03d", i);
		ASSERT_EQ(0, aios_memory_put(self->s, key, strlen(key), "abc", 3, NULL));
	}
	ASSERT_EQ(0, aios_memory_put(self->s, "s2:other", 8, "abc", 3, NULL));
	do {
		r = aios_memory_list(self->s, "s1:", 3, &cursor, 10, true, collect, &c);
		ASSERT_GE(r, 0) TH_LOG("%s", aios_session_errmsg(self->s));
		pages++;
	} while (cursor);
	ASSERT_EQ(3, pages);
	ASSERT_EQ(25, c.n);
	for (i = 0; i < 25; i++) {
		snprintf(key, sizeof(key), "s1:msg-%03d", i);
		ASSERT_STREQ(key, c.keys[i]);	/* in order, each once */
	}
	/* a callback's non-zero value stops the walk and is returned */
	c.n = 0;
	c.stop_at = 2;
	ASSERT_EQ(42, aios_memory_list(self->s, "", 0, &cursor, 0, false, collect, &c));
	free(cursor);

	ASSERT_EQ(0, aios_memory_delete_prefix(self->s, "s1:", 3, &deleted));
	ASSERT_EQ(25, deleted);
	ASSERT_EQ(0, aios_memory_stats(self->s, false, &stats));
	st = J(stats);
	ASSERT_EQ(1, jint(st, "items"));
	json_decref(st);
	/* store-wide statistics need admin: root in the namespace is one */
	if (getuid() != 0) {
		ASSERT_EQ(-EPERM, aios_memory_stats(self->s, true, &stats));
	}
}

TEST_F(aiosd, memory_survives_an_aiosd_restart)
{
	void *v;
	size_t n;

	ASSERT_EQ(0, aios_memory_put(self->s, "conv:1", 6, "hello", 5, NULL));
	stop_aiosd(&self->d);
	ASSERT_EQ(0, start_aiosd(&self->d));
	aios_session_close(self->s);
	ASSERT_EQ(0, aios_session_open(NULL, self->d.sock, &self->s));
	ASSERT_EQ(0, aios_memory_get(self->s, "conv:1", 6, &v, &n));
	ASSERT_EQ(5, n);
	ASSERT_STREQ("hello", (char *)v);
	free(v);
}

/* ---- contexts ---------------------------------------------------------- */

#define CONV "[{\"role\":\"system\",\"content\":\"You are terse.\"}," \
	     "{\"role\":\"user\",\"content\":\"one two three four five six seven eight\"}," \
	     "{\"role\":\"assistant\",\"content\":\"nine ten eleven twelve thirteen\"}," \
	     "{\"role\":\"user\",\"content\":\"and the last question?\"}]"

TEST_F(aiosd, context_snapshots_persist_and_are_listed)
{
	char *id = NULL, *text;
	uint64_t tokens = 0;
	json_t *snap, *list;

	ASSERT_EQ(0, aios_context_create(self->s, CONV, "gpt-4o", 0, &id, &tokens));
	ASSERT_GT(tokens, 10);
	ASSERT_EQ(0, strncmp(id, "c-", 2));
	stop_aiosd(&self->d);
	ASSERT_EQ(0, start_aiosd(&self->d));
	aios_session_close(self->s);
	ASSERT_EQ(0, aios_session_open(NULL, self->d.sock, &self->s));
	ASSERT_EQ(0, aios_context_restore(self->s, id, &text));
	snap = J(text);
	ASSERT_EQ(4, json_array_size(json_object_get(snap, "messages")));
	ASSERT_STREQ("gpt-4o", json_string_value(json_object_get(snap, "model")));
	ASSERT_EQ((int)tokens, jint(snap, "tokens"));
	json_decref(snap);
	ASSERT_EQ(0, aios_context_list(self->s, &text));
	list = J(text);
	ASSERT_EQ(1, json_array_size(list));
	json_decref(list);
	ASSERT_EQ(0, aios_context_delete(self->s, id));
	ASSERT_EQ(-ENOENT, aios_context_restore(self->s, id, &text));
	ASSERT_EQ(NULL, text);
	free(id);
}

TEST_F(aiosd, context_bad_messages_name_the_json_path)
{
	char *id;

	ASSERT_EQ(-EINVAL, aios_context_create(self->s, "{\"role\":1}", NULL, 0, &id, NULL));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "must be an array"));
	ASSERT_EQ(-EINVAL, aios_context_create(self->s,
		"[{\"role\":\"boss\",\"content\":\"x\"}]", NULL, 0, &id, NULL));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "[0]"))
		TH_LOG("%s", aios_session_errmsg(self->s));
	ASSERT_EQ(-ENOENT, aios_context_check(self->s, CONV, "no-such-model", 0, NULL, NULL, NULL));
	ASSERT_EQ(-EINVAL, aios_context_check(self->s, CONV, NULL, 0, NULL, NULL, NULL));
}

TEST_F(aiosd, context_models_check_and_truncate)
{
	uint64_t tokens, window, rem, lim, used;
	json_t *models, *t;
	char *text;
	bool fits;

	ASSERT_EQ(0, aios_context_models(self->s, &text));
	models = J(text);
	ASSERT_EQ(8192, jint(models, "gpt-4"));
	json_decref(models);
	ASSERT_EQ(0, aios_context_check(self->s, CONV, "llama-3.1-8b", 0, &tokens, &window, &fits));
	ASSERT_EQ(131072, window);
	ASSERT_TRUE(fits);
	ASSERT_EQ(0, aios_context_check(self->s, CONV, NULL, 10, &tokens, &window, &fits));
	ASSERT_FALSE(fits);

	/* keep the system prompt and the last message only */
	ASSERT_EQ(0, aios_context_truncate(self->s, CONV, NULL, 1000, 1, 0, &text));
	t = J(text);
	ASSERT_EQ(2, json_array_size(json_object_get(t, "messages")));
	ASSERT_EQ(2, json_array_size(json_object_get(t, "dropped")));
	ASSERT_EQ(1, json_integer_value(json_array_get(json_object_get(t, "dropped"), 0)));
	ASSERT_LT(jint(t, "tokens_after"), jint(t, "tokens_before"));
	json_decref(t);

	ASSERT_EQ(0, aios_context_budget_set(self->s, "chat-1", 100));
	ASSERT_EQ(0, aios_context_budget_charge(self->s, "chat-1", 60, &rem));
	ASSERT_EQ(40, rem);
	ASSERT_EQ(-EDQUOT, aios_context_budget_charge(self->s, "chat-1", 41, &rem));
	ASSERT_EQ(0, aios_context_budget_get(self->s, "chat-1", &lim, &used, &rem));
	ASSERT_EQ(100, lim);
	ASSERT_EQ(60, used);	/* the refused charge changed nothing */
	ASSERT_EQ(-EINVAL, aios_context_budget_set(self->s, "", 10));
}

/* ---- runs -------------------------------------------------------------- */

#define DOC(step) "{\"goal\":\"summarise the repo\",\"status\":\"active\",\"step\":" #step "}"

TEST_F(aiosd, workset_optimistic_locking_reports_the_current_seq)
{
	char *run = NULL, *doc;
	uint64_t seq = 0;
	json_t *d, *e;

	ASSERT_EQ(0, aios_runs_create(self->s, "job-1", NULL, &run));
	ASSERT_STREQ("job-1", run);
	ASSERT_EQ(-EEXIST, aios_runs_create(self->s, "job-1", NULL, NULL));
	ASSERT_EQ(0, aios_runs_workset_get(self->s, run, &seq, &doc));
	ASSERT_EQ(0, seq);
	free(doc);
	ASSERT_EQ(0, aios_runs_workset_put(self->s, run, 0, DOC(1), &seq));
	ASSERT_EQ(1, seq);
	ASSERT_EQ(0, aios_runs_workset_put(self->s, run, 1, DOC(2), &seq));
	ASSERT_EQ(2, seq);
	/* a writer still at seq 1 loses and learns the current seq */
	seq = 0;
	ASSERT_EQ(-ESTALE, aios_runs_workset_put(self->s, run, 1, DOC(9), &seq));
	ASSERT_EQ(2, seq);
	e = json_loads(aios_session_error_json(self->s), 0, NULL);
	ASSERT_EQ(2, jint(e, "current_seq"));
	json_decref(e);
	ASSERT_EQ(0, aios_runs_workset_get(self->s, run, &seq, &doc));
	d = J(doc);
	ASSERT_EQ(2, jint(d, "step"));
	json_decref(d);

	/* schema violations name the JSON path; bad JSON never leaves */
	ASSERT_EQ(-EINVAL, aios_runs_workset_put(self->s, run, 2,
		"{\"goal\":\"g\",\"status\":\"sleeping\",\"step\":1}", &seq));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "$.status"))
		TH_LOG("%s", aios_session_errmsg(self->s));
	ASSERT_EQ(-EINVAL, aios_runs_workset_put(self->s, run, 2, "{not json", &seq));
	ASSERT_EQ(-EINVAL, aios_runs_workset_put(self->s, NULL, 2, DOC(3), &seq));
	ASSERT_EQ(-ENOENT, aios_runs_workset_put(self->s, "job-404", 0, DOC(3), &seq));
	free(run);
}

TEST_F(aiosd, workset_push_evicts_deterministically)
{
	char *ev = NULL;
	uint64_t seq;

	ASSERT_EQ(0, aios_runs_create(self->s, "ctx", NULL, NULL));
	ASSERT_EQ(0, aios_runs_workset_put(self->s, "ctx", 0,
		"{\"goal\":\"g\",\"status\":\"active\",\"step\":0,\"context\":"
		"{\"max_items\":2,\"max_bytes\":1000,\"items\":[]}}", &seq));
	ASSERT_EQ(0, aios_runs_workset_push(self->s, "ctx", seq,
		"[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\"},"
		"{\"id\":\"b\",\"role\":\"user\",\"text\":\"y\",\"priority\":1},"
		"{\"id\":\"c\",\"role\":\"user\",\"text\":\"z\"}]", &seq, &ev));
	ASSERT_EQ(2, seq);
	ASSERT_STREQ("[\"b\"]", ev);	/* lowest priority first */
	free(ev);
	ASSERT_EQ(-ESTALE, aios_runs_workset_push(self->s, "ctx", 1, "[]", &seq, &ev));
	ASSERT_EQ(2, seq);
}

static char *ledger_path(struct daemon *d, const char *run)
{
	char *p;

	if (asprintf(&p, "%s/runs/%s/ledger.log", d->dir, run) < 0)
		return NULL;
	return p;
}

TEST_F(aiosd, ledger_appends_chain_and_verify_finds_tampering)
{
	char payload[64], *text, *path;
	uint64_t seq, prev = 0;
	json_t *r, *recs;
	int i, fd;
	off_t size;

	ASSERT_EQ(0, aios_runs_create(self->s, "led", "always", NULL));
	for (i = 0; i < 5; i++) {
		snprintf(payload, sizeof(payload), "{\"step\":%d,\"tool\":\"grep\"}", i);
		ASSERT_EQ(0, aios_runs_ledger_append(self->s, "led", "step", payload, &seq));
		ASSERT_GT(seq, prev);
		prev = seq;
	}
	ASSERT_EQ(-EINVAL, aios_runs_ledger_append(self->s, "led", "step", "{bad", &seq));
	ASSERT_EQ(-EINVAL, aios_runs_ledger_append(self->s, "led", "", NULL, &seq));
	ASSERT_EQ(0, aios_runs_ledger_read(self->s, "led", 1, 100, &text));
	r = J(text);
	recs = json_object_get(r, "records");
	ASSERT_EQ(5, json_array_size(recs));
	ASSERT_EQ(3, jint(json_object_get(json_array_get(recs, 3), "payload"), "step"));
	ASSERT_EQ(64, strlen(json_string_value(json_object_get(json_array_get(recs, 0), "hash"))));
	json_decref(r);
	ASSERT_EQ(0, aios_runs_ledger_verify(self->s, "led", &text));
	r = J(text);
	ASSERT_TRUE(json_is_true(json_object_get(r, "intact")));
	ASSERT_EQ(5, jint(r, "records"));
	json_decref(r);

	/* flip one payload byte of record 3 on disk */
	path = ledger_path(&self->d, "led");
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);
	size = lseek(fd, 0, SEEK_END);
	ASSERT_GT(size, 0);
	{
		char *buf = malloc(size), *hit;

		ASSERT_EQ(size, pread(fd, buf, size, 0));
		hit = memmem(buf, size, "\"step\":2", 8);
		ASSERT_NE(NULL, hit);
		hit[7] = '7';
		ASSERT_EQ(1, pwrite(fd, hit + 7, 1, hit + 7 - buf));
		free(buf);
	}
	close(fd);
	free(path);
	ASSERT_EQ(-EBADMSG, aios_runs_ledger_verify(self->s, "led", &text));
	r = J(text);
	ASSERT_TRUE(json_is_false(json_object_get(r, "intact")));
	ASSERT_EQ(3, jint(r, "bad_seq"));
	json_decref(r);
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "record 3"))
		TH_LOG("%s", aios_session_errmsg(self->s));
}

TEST_F(aiosd, ltm_commits_only_at_a_milestone)
{
	char *prop = NULL, *text;
	uint64_t n = 0, seq;
	json_t *ep, *res;

	ASSERT_EQ(0, aios_runs_create(self->s, "mem", NULL, NULL));
	ASSERT_EQ(0, aios_runs_workset_put(self->s, "mem", 0, DOC(1), &seq));
	ASSERT_EQ(0, aios_runs_ltm_propose(self->s, "mem",
		"[{\"text\":\"The parser lives in src/parse.c\",\"scope\":\"project/demo\",\"tags\":[\"code\"]}]",
		&prop));
	ASSERT_EQ(0, strncmp(prop, "p-", 2));
	/* staged facts are not searchable */
	ASSERT_EQ(0, aios_runs_ltm_search(self->s, "mem", "parser", NULL, 0, &text));
	ASSERT_STREQ("[]", text);
	free(text);
	ASSERT_EQ(-ENOENT, aios_runs_ltm_commit(self->s, "mem", prop, "no-episode", &n));
	ASSERT_EQ(0, aios_runs_episode_create(self->s, "mem", "m1", "parser found", &text));
	ep = J(text);
	ASSERT_STREQ("m1", json_string_value(json_object_get(ep, "name")));
	ASSERT_EQ(64, strlen(json_string_value(json_object_get(ep, "sha256"))));
	ASSERT_EQ(1, jint(ep, "workset_seq"));
	json_decref(ep);
	ASSERT_EQ(-EEXIST, aios_runs_episode_create(self->s, "mem", "m1", NULL, &text));
	ASSERT_EQ(0, aios_runs_ltm_commit(self->s, "mem", prop, "m1", &n));
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, aios_runs_ltm_search(self->s, "mem", "parser", "project", 5, &text));
	res = J(text);
	ASSERT_EQ(1, json_array_size(res));
	ASSERT_GT(jint(json_array_get(res, 0), "score"), 0);
	json_decref(res);
	ASSERT_EQ(0, aios_runs_ltm_search(self->s, "mem", "parser", "other", 5, &text));
	ASSERT_STREQ("[]", text);
	free(text);
	/* a discarded proposal is gone */
	free(prop);
	ASSERT_EQ(0, aios_runs_ltm_propose(self->s, "mem",
		"[{\"text\":\"tentative\",\"scope\":\"project/demo\"}]", &prop));
	ASSERT_EQ(0, aios_runs_ltm_proposals(self->s, "mem", &text));
	ASSERT_NE(NULL, strstr(text, prop));
	free(text);
	ASSERT_EQ(0, aios_runs_ltm_discard(self->s, "mem", prop));
	ASSERT_EQ(-ENOENT, aios_runs_ltm_commit(self->s, "mem", prop, "m1", &n));
	ASSERT_EQ(0, aios_runs_episode_list(self->s, "mem", &text));
	res = J(text);
	ASSERT_EQ(1, json_array_size(res));
	json_decref(res);
	ASSERT_EQ(0, aios_runs_episode_show(self->s, "mem", "m1", &text));
	ASSERT_NE(NULL, strstr(text, "parser found"));
	free(text);
	free(prop);
}

TEST_F(aiosd, pack_round_trip_resumes_the_run)
{
	char *man = NULL, *id = NULL, *text;
	uint64_t seq, wseq;
	size_t len;
	void *pack;
	json_t *m, *v;
	int i;

	ASSERT_EQ(0, aios_runs_create(self->s, "src", NULL, NULL));
	ASSERT_EQ(0, aios_runs_workset_put(self->s, "src", 0, DOC(1), &wseq));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, aios_runs_ledger_append(self->s, "src", "step", "{\"n\":1}", &seq));
	ASSERT_EQ(0, aios_runs_pack_export(self->s, "src", &pack, &len, &man));
	ASSERT_GT(len, 100);
	ASSERT_EQ(0x1f, ((unsigned char *)pack)[0]);	/* gzip */
	m = J(man);
	ASSERT_STREQ("aios-resume-pack", json_string_value(json_object_get(m, "format")));
	ASSERT_EQ((int)seq, jint(json_object_get(m, "ledger"), "records"));
	json_decref(m);

	ASSERT_EQ(-EEXIST, aios_runs_pack_import(self->s, pack, len, NULL, &id, NULL));
	ASSERT_EQ(0, aios_runs_pack_import(self->s, pack, len, "dst", &id, &man));
	ASSERT_STREQ("dst", id);
	free(man);
	ASSERT_EQ(0, aios_runs_ledger_verify(self->s, "dst", &text));
	v = J(text);
	ASSERT_EQ((int)seq, jint(v, "records"));
	json_decref(v);
	/* it resumes: the ledger continues its chain, the working set its seq */
	ASSERT_EQ(0, aios_runs_ledger_append(self->s, "dst", "step", "{\"n\":2}", &wseq));
	ASSERT_EQ(seq + 1, wseq);
	ASSERT_EQ(0, aios_runs_workset_get(self->s, "dst", &wseq, &text));
	free(text);
	ASSERT_EQ(1, wseq);
	ASSERT_EQ(0, aios_runs_ledger_verify(self->s, "dst", NULL));

	/* a damaged pack is refused and nothing is written */
	((unsigned char *)pack)[len / 2] ^= 0x40;
	ASSERT_NE(0, aios_runs_pack_import(self->s, pack, len, "bad", &id, NULL));
	ASSERT_EQ(NULL, id);
	ASSERT_EQ(-ENOENT, aios_runs_show(self->s, "bad", &text));
	ASSERT_EQ(-EINVAL, aios_runs_pack_import(self->s, NULL, 0, NULL, &id, NULL));
	free(pack);
	ASSERT_EQ(0, aios_runs_list(self->s, &text));
	m = J(text);
	ASSERT_EQ(2, json_array_size(m));
	json_decref(m);
}

/* ---- tools ------------------------------------------------------------ */

TEST_F(aiosd, tool_list_and_calls)
{
	json_t *l, *tools, *t, *r;
	char *text;
	size_t i;
	int err, seen = 0;

	ASSERT_EQ(0, aios_tool_list(self->s, &text));
	l = J(text);
	tools = json_object_get(l, "tools");
	json_array_foreach(tools, i, t) {
		if (!strcmp(json_string_value(json_object_get(t, "name")), "echo")) {
			seen = 1;
			ASSERT_STREQ("READ_ONLY", json_string_value(json_object_get(t, "permission")));
		}
	}
	ASSERT_EQ(1, seen);
	json_decref(l);
	ASSERT_EQ(-EINVAL, aios_tool_call(self->s, "", NULL, NULL, NULL, 0, NULL, &text));
	ASSERT_EQ(-EINVAL, aios_tool_call(self->s, "echo", "{\"a\":1}", NULL, NULL, 0, NULL, &text));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "must be an array"));
	ASSERT_EQ(0, aios_tool_pending(self->s, &text));
	ASSERT_STREQ("[]", text);
	free(text);
	ASSERT_EQ(-ENOENT, aios_tool_confirm(self->s, 424242, true));
	err = aios_tool_call(self->s, "echo", "[\"hello\", \"sandbox\"]", NULL, NULL, 0, NULL, &text);
	if (err == -EOPNOTSUPP) {
		/* hosts without cgroup v2 etc.: refused, naming what is missing */
		ASSERT_NE(NULL, strstr(aios_session_errmsg(self->s), "missing protection"))
			TH_LOG("%s", aios_session_errmsg(self->s));
		return;
	}
	ASSERT_EQ(0, err) TH_LOG("%s", aios_session_errmsg(self->s));
	r = J(text);
	ASSERT_EQ(0, jint(r, "exit_code"));
	ASSERT_STREQ("hello sandbox\n", json_string_value(json_object_get(r, "stdout")));
	json_decref(r);
	ASSERT_EQ(-ENOENT, aios_tool_call(self->s, "no-such-tool", NULL, NULL, NULL, 0, NULL, &text));
	ASSERT_EQ(-ENOENT, aios_tool_call(self->s, "echo", "[\"x\"]", "no-such-run", NULL, 0, NULL, &text));
}

TEST_HARNESS_MAIN
