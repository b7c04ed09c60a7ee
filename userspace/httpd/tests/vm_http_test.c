// SPDX-License-Identifier: GPL-2.0
/*
 * aios-httpd with the kernel module (run as root in the test VM by
 * "make check": tools/vm/run -- build/httpd/tests/vm_http_test).  A real
 * aiosd on /dev/aios and aios-httpd on a temporary Unix socket and a TCP
 * port; agents are registered by this process with libaios:
 *  - /v1/agents lists them with their capabilities;
 *  - a token bound to an agent acts as that agent (its runs, its audit
 *    records only) and stops working when the agent goes away;
 *  - /v1/audit shows a denied capability check; a plain uid gets 403;
 *  - /v1/events streams agent_new/agent_del and resumes with
 *    Last-Event-ID.
 */
#define _GNU_SOURCE
#include "daemons.h"

#include <aios.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

FIXTURE(vm) {
	char dir[128], asock[200], hsock[200];
	int port;
	pid_t aiosd, httpd;
	bool skip;
};

/* the 6.1 harness runs the test body after a SKIP in the setup */
#define NEED_KERNEL() do { \
	if (self->skip) \
		SKIP(return, "needs root and the aios module (run through tools/vm/run)"); \
} while (0)

FIXTURE_SETUP(vm)
{
	char store[200], tokens[240], alog[240], hlog[240], envt[300], listen[40];
	char *aargv[] = { AIOSD_BIN, "-s", self->asock, "-d", store, NULL };
	char *env[] = { envt, "AIOS_FSYNC=never", "AIOS_RUNS_FSYNC=none", NULL };
	char *hargv[] = { HTTPD_BIN, "-s", self->hsock, "-l", listen, "-a", self->asock, NULL };

	if (access("/dev/aios", F_OK) || geteuid() != 0) {
		self->skip = true;
		return;
	}
	snprintf(self->dir, sizeof(self->dir), "/tmp/aios-vmhttp-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	chmod(self->dir, 0755);
	snprintf(self->asock, sizeof(self->asock), "%s/aiosd.sock", self->dir);
	snprintf(self->hsock, sizeof(self->hsock), "%s/http.sock", self->dir);
	snprintf(store, sizeof(store), "%s/state/store", self->dir);
	snprintf(tokens, sizeof(tokens), "%s/state/http-tokens", self->dir);
	snprintf(envt, sizeof(envt), "AIOS_HTTP_TOKENS=%s", tokens);
	snprintf(alog, sizeof(alog), "%s/aiosd.log", self->dir);
	snprintf(hlog, sizeof(hlog), "%s/httpd.log", self->dir);
	self->port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", self->port);
	self->aiosd = spawn(aargv, env, alog);
	ASSERT_TRUE(wait_for(self->asock, 0));
	self->httpd = spawn(hargv, NULL, hlog);
	ASSERT_TRUE(wait_for(self->hsock, 0));
	ASSERT_TRUE(wait_for(NULL, self->port));
}

FIXTURE_TEARDOWN(vm)
{
	char cmd[700];

	stop(&self->httpd);
	stop(&self->aiosd);
	if (!self->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "tail -n 5 '%s/aiosd.log' '%s/httpd.log' >&2; rm -rf '%s'", self->dir, self->dir, self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

static int U(FIXTURE_DATA(vm) *self, const char *path, struct hresp *r)
{
	return hc_request(hc_unix(self->hsock), "GET", path, NULL, NULL, NULL, 0, r);
}

static int T(FIXTURE_DATA(vm) *self, const char *tok, const char *method, const char *path,
	     const char *body, struct hresp *r)
{
	char auth[300];

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", tok);
	return hc_request(hc_tcp(self->port), method, path, auth, body ? "application/json" : NULL,
			  body, body ? strlen(body) : 0, r);
}

static json_t *jbody(const struct hresp *r)
{
	return json_loadb(r->body, r->blen, 0, NULL);
}

static struct aios *agent(const char *name, uint64_t *id)
{
	struct aios *h = aios_new();

	if (!h || aios_open(h) || aios_register(h, name, AIOS_PRIO_NORMAL, id)) {
		fprintf(stderr, "register %s: %s\n", name, h ? aios_errmsg(h) : "ENOMEM");
		aios_close(h);
		return NULL;
	}
	return h;
}

static char *agent_token(FIXTURE_DATA(vm) *self, uint64_t id)
{
	json_t *r = aiosd_call_raw(self->asock, json_pack("{s:s, s:I}", "op", "token.add",
							  "agent", (json_int_t)id));
	char *t = NULL;

	if (r && json_is_true(json_object_get(r, "ok")))
		t = strdup(json_string_value(json_object_get(r, "token")));
	else if (r)
		fprintf(stderr, "token.add: %s\n", json_dumps(r, 0));
	json_decref(r);
	return t;
}

TEST_F(vm, agents_with_caps_and_agent_tokens)
{
	uint64_t id = 0, caps = 0;
	struct aios *h = NULL;
	struct hresp r;
	json_t *j, *a;
	size_t i;
	bool found = false;
	char *tok, path[200];

	NEED_KERNEL();
	h = agent("http-vm-a", &id);
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, aios_caps_get(h, 0, &caps));
	ASSERT_EQ(0, U(self, "/v1/agents", &r));
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	j = jbody(&r);
	json_array_foreach(json_object_get(j, "agents"), i, a) {
		if ((uint64_t)json_integer_value(json_object_get(a, "id")) != id)
			continue;
		found = true;
		ASSERT_STREQ("http-vm-a", json_string_value(json_object_get(a, "name")));
		ASSERT_EQ((long long)caps, json_integer_value(json_object_get(a, "caps")));
		ASSERT_EQ((size_t)__builtin_popcountll(caps),
			  json_array_size(json_object_get(a, "cap_names")));
	}
	ASSERT_TRUE(found);
	json_decref(j);
	hresp_free(&r);
	/* queues and GPUs come from the kernel too */
	ASSERT_EQ(0, U(self, "/v1/queues", &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "/v1/gpus", &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "/health", &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, "\"kernel\":{\"status\":\"pass\""));
	hresp_free(&r);
	/* a token bound to the agent acts as the agent */
	tok = agent_token(self, id);
	ASSERT_NE(NULL, tok);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, &r));
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	j = jbody(&r);
	ASSERT_STREQ("agent", json_string_value(json_object_get(json_object_get(j, "identity"), "kind")));
	ASSERT_EQ((long long)id, json_integer_value(json_object_get(json_object_get(j, "identity"), "agent")));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, tok, "POST", "/v1/runs", "{\"objective\":\"agent run\"}", &r));
	ASSERT_EQ(201, r.status);
	j = jbody(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", json_string_value(json_object_get(j, "run")));
	json_decref(j);
	hresp_free(&r);
	/* root (ADMIN) sees the agent's run; the agent owns it */
	ASSERT_EQ(0, U(self, path, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	/* the agent goes away: its token stops working (pool entries live 5 s) */
	aios_close(h);
	msleep(5500);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, &r));
	ASSERT_EQ(401, r.status) TH_LOG("%s", r.body);
	hresp_free(&r);
	free(tok);
}

TEST_F(vm, audit_with_the_principals_rights)
{
	uint64_t id = 0;
	struct aios *h = NULL;
	struct hresp r;
	json_t *j, *rec;
	size_t i;
	bool denial = false;
	char *tok;
	pid_t pid;
	int st;

	NEED_KERNEL();
	h = agent("http-vm-audit", &id);
	ASSERT_NE(NULL, h);
	/* a denied check: ADMIN is not in the default capabilities */
	ASSERT_EQ(-EPERM, aios_caps_check(h, AIOS_CAP_ADMIN));
	/* root: everything, filtered by op */
	ASSERT_EQ(0, U(self, "/v1/audit?op=cap_check", &r));
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	j = jbody(&r);
	json_array_foreach(json_object_get(j, "records"), i, rec) {
		ASSERT_STREQ("cap_check", json_string_value(json_object_get(rec, "op")));
		if ((uint64_t)json_integer_value(json_object_get(rec, "agent")) == id &&
		    json_integer_value(json_object_get(rec, "result")) == -EPERM)
			denial = true;
	}
	ASSERT_TRUE(denial);
	ASSERT_LT(0, json_integer_value(json_object_get(j, "next_seq")));
	json_decref(j);
	hresp_free(&r);
	/* the agent's token: its own records only */
	tok = agent_token(self, id);
	ASSERT_NE(NULL, tok);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/audit", NULL, &r));
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	j = jbody(&r);
	ASSERT_LT(0, json_array_size(json_object_get(j, "records")));
	json_array_foreach(json_object_get(j, "records"), i, rec)
		ASSERT_EQ((long long)id, json_integer_value(json_object_get(rec, "agent")));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/audit?agent=1", NULL, &r));
	ASSERT_EQ(id == 1 ? 200 : 403, r.status);
	hresp_free(&r);
	free(tok);
	/* an unprivileged uid on the Unix socket: 403 */
	pid = fork();
	if (pid == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		if (U(self, "/v1/audit", &r))
			_exit(4);
		_exit(r.status == 403 ? 0 : 5);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	aios_close(h);
}

/* Read the stream until needle shows up (or 10 s); returns the text. */
static char *read_until(int fd, const char *needle)
{
	size_t cap = 65536, len = 0;
	char *buf = calloc(1, cap);

	for (int i = 0; buf && i < 100 && !strstr(buf, needle); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	return buf;
}

TEST_F(vm, events_resume_with_last_event_id)
{
	static const char req[] = "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
	char needle[80], hdr[200], *txt, *p;
	unsigned long long first;
	struct aios *h = NULL;
	uint64_t id = 0;
	int fd;

	NEED_KERNEL();

	fd = hc_unix(self->hsock);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hc_send_all(fd, req, sizeof(req) - 1));
	txt = read_until(fd, "\"kernel\":true");
	ASSERT_NE(NULL, strstr(txt, "\"kernel\":true")) TH_LOG("%s", txt);
	free(txt);
	h = agent("http-vm-ev", &id);
	ASSERT_NE(NULL, h);
	snprintf(needle, sizeof(needle), "\"id\":%llu,", (unsigned long long)id);
	txt = read_until(fd, needle);
	ASSERT_NE(NULL, strstr(txt, "agent_new")) TH_LOG("%s", txt);
	/* the id of the agent_new event */
	p = strstr(txt, "id: ");
	ASSERT_NE(NULL, p);
	first = strtoull(p + 4, NULL, 10);
	free(txt);
	close(fd);
	/* missed while disconnected: the agent leaves */
	aios_close(h);
	msleep(500);
	snprintf(hdr, sizeof(hdr), "GET /v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: %llu\r\n\r\n",
		 first);
	fd = hc_unix(self->hsock);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hc_send_all(fd, hdr, strlen(hdr)));
	txt = read_until(fd, "agent_del");
	ASSERT_NE(NULL, strstr(txt, "agent_del")) TH_LOG("%s", txt);
	ASSERT_NE(NULL, strstr(txt, needle));
	/* resumed after the event it had seen */
	p = strstr(txt, "id: ");
	ASSERT_NE(NULL, p);
	ASSERT_LT(first, strtoull(p + 4, NULL, 10));
	free(txt);
	close(fd);
}

TEST_HARNESS_MAIN
