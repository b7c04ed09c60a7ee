// SPDX-License-Identifier: GPL-2.0
/*
 * aios-httpd against a real aiosd (no kernel module: identity by uid).
 * Each test starts aiosd on a temporary state directory and socket, and
 * aios-httpd on a temporary Unix socket and a TCP port on 127.0.0.1, then
 * talks HTTP to it with a plain-socket client (httpc.h).
 */
#define _GNU_SOURCE
#include "daemons.h"

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"

#ifndef AIOSD_BIN
#error AIOSD_BIN
#endif

#define MAX_BODY 65536

FIXTURE(http) {
	char dir[128];
	char asock[200], hsock[200], www[200];
	int port;
	pid_t aiosd, httpd;
};

/* Start aios-httpd with extra options (NULL-terminated). */
static bool start_httpd(FIXTURE_DATA(http) *self, const char *const *extra)
{
	char port[16], log[256], body[16];
	char *argv[40];
	int n = 0;

	snprintf(port, sizeof(port), "127.0.0.1:%d", self->port);
	snprintf(log, sizeof(log), "%s/httpd.log", self->dir);
	snprintf(body, sizeof(body), "%d", MAX_BODY);
	argv[n++] = HTTPD_BIN;
	argv[n++] = "-s";
	argv[n++] = self->hsock;
	argv[n++] = "-l";
	argv[n++] = port;
	argv[n++] = "-a";
	argv[n++] = self->asock;
	argv[n++] = "-w";
	argv[n++] = self->www;
	argv[n++] = "--openapi";
	argv[n++] = HTTPD_SRC "/openapi.json";
	argv[n++] = "--max-body";
	argv[n++] = body;
	argv[n++] = "--max-pack";
	argv[n++] = body;
	argv[n++] = "--allow-origin";
	argv[n++] = "http://panel.test";
	for (int i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	self->httpd = spawn(argv, NULL, log);
	return wait_for(self->hsock, 0) && wait_for(NULL, self->port);
}

FIXTURE_SETUP(http)
{
	char store[200], tokens[240], log[240], envt[300], envd[] = "AIOS_DEVICE=/nonexistent/aios";
	char *aargv[] = { AIOSD_BIN, "-s", self->asock, "-d", store, NULL };
	char *env[] = { envd, envt, "AIOS_FSYNC=never", "AIOS_RUNS_FSYNC=none", NULL };
	struct rlimit rl;

	snprintf(self->dir, sizeof(self->dir), "/tmp/aios-http-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	chmod(self->dir, 0755);	/* tests act as another uid too */
	snprintf(self->asock, sizeof(self->asock), "%s/aiosd.sock", self->dir);
	snprintf(self->hsock, sizeof(self->hsock), "%s/http.sock", self->dir);
	snprintf(self->www, sizeof(self->www), "%s/www", self->dir);
	snprintf(store, sizeof(store), "%s/state/store", self->dir);
	snprintf(tokens, sizeof(tokens), "%s/state/http-tokens", self->dir);
	snprintf(envt, sizeof(envt), "AIOS_HTTP_TOKENS=%s", tokens);
	snprintf(log, sizeof(log), "%s/aiosd.log", self->dir);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/state", self->dir);
		mkdir(p, 0700);
		mkdir(self->www, 0755);
		snprintf(p, sizeof(p), "%s/sub", self->www);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/index.html", self->www);
		write_file(p, "<!doctype html><title>aios</title>\n");
		snprintf(p, sizeof(p), "%s/app.js", self->www);
		write_file(p, "export const x = 1;\n");
		snprintf(p, sizeof(p), "%s/style.css", self->www);
		write_file(p, "body{}\n");
		snprintf(p, sizeof(p), "%s/sub/index.html", self->www);
		write_file(p, "<p>sub</p>\n");
		snprintf(p, sizeof(p), "%s/.secret", self->www);
		write_file(p, "hidden\n");
		snprintf(p, sizeof(p), "%s/secret.txt", self->dir);
		write_file(p, "outside the www directory\n");
		snprintf(p, sizeof(p), "%s/link.txt", self->www);
		if (symlink("../secret.txt", p))
			TH_LOG("symlink: %s", strerror(errno));
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	self->port = free_port();
	ASSERT_LT(0, self->port);
	self->aiosd = spawn(aargv, env, log);
	ASSERT_TRUE(wait_for(self->asock, 0));
	ASSERT_TRUE(start_httpd(self, NULL));
}

/* Start aiosd again on the same state (after stop(&self->aiosd)). */
static bool restart_aiosd(FIXTURE_DATA(http) *self)
{
	char store[200], log[240], envt[300], envd[] = "AIOS_DEVICE=/nonexistent/aios";
	char *aargv[] = { AIOSD_BIN, "-s", self->asock, "-d", store, NULL };
	char *env[] = { envd, envt, "AIOS_FSYNC=never", "AIOS_RUNS_FSYNC=none", NULL };

	snprintf(store, sizeof(store), "%s/state/store", self->dir);
	snprintf(envt, sizeof(envt), "AIOS_HTTP_TOKENS=%s/state/http-tokens", self->dir);
	snprintf(log, sizeof(log), "%s/aiosd.log", self->dir);
	self->aiosd = spawn(aargv, env, log);
	return wait_for(self->asock, 0);
}

FIXTURE_TEARDOWN(http)
{
	char cmd[300];

	stop(&self->httpd);
	stop(&self->aiosd);
	if (getenv("AIOS_HTTP_TEST_KEEP")) {
		TH_LOG("kept %s", self->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* ---- helpers ---- */

static int U(FIXTURE_DATA(http) *self, const char *method, const char *path, const char *ctype,
	     const char *body, struct hresp *r)
{
	return hc_request(hc_unix(self->hsock), method, path, NULL, ctype, body,
			  body ? strlen(body) : 0, r);
}

static int T(FIXTURE_DATA(http) *self, const char *token, const char *method, const char *path,
	     const char *ctype, const char *body, struct hresp *r)
{
	char auth[400] = "";

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	return hc_request(hc_tcp(self->port), method, path, auth, ctype, body,
			  body ? strlen(body) : 0, r);
}

static json_t *jbody(const struct hresp *r)
{
	return json_loadb(r->body, r->blen, 0, NULL);
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* A request to aiosd itself (as the test process). */
static json_t *aiosd_op(FIXTURE_DATA(http) *self, json_t *req)
{
	return aiosd_call_raw(self->asock, req);
}

/* A bearer token bound to uid (the test must be an aiosd admin: root). */
static char *uid_token(FIXTURE_DATA(http) *self, int uid, char *id, size_t idlen)
{
	json_t *r = aiosd_op(self, json_pack("{s:s, s:i}", "op", "token.add", "uid", uid));
	char *t = NULL;

	if (r && json_is_true(json_object_get(r, "ok"))) {
		t = strdup(jstr(r, "token"));
		if (id)
			snprintf(id, idlen, "%s", jstr(json_object_get(r, "entry"), "id"));
	}
	json_decref(r);
	return t;
}

/* Create a run over the Unix listener; returns its id (static buffer). */
static const char *mkrun(FIXTURE_DATA(http) *self)
{
	static char id[80];
	struct hresp r;
	json_t *j;

	id[0] = 0;
	if (U(self, "POST", "/v1/runs", "application/json",
	      "{\"objective\":\"write the report\",\"acceptance_criteria\":[\"has a title\"],"
	      "\"constraints\":[\"no network\"]}", &r) || r.status != 201) {
		hresp_free(&r);
		return id;
	}
	j = jbody(&r);
	snprintf(id, sizeof(id), "%s", jstr(j, "run"));
	json_decref(j);
	hresp_free(&r);
	return id;
}

/* ---- tests ---- */

TEST_F(http, openapi_matches_routes)
{
	json_error_t je;
	json_t *doc = json_load_file(HTTPD_SRC "/openapi.json", 0, &je), *paths, *ops;
	char line[512], seen[64][160];
	int nseen = 0, nroutes = 0;
	const char *path, *method;
	FILE *p;
	struct hresp r;

	ASSERT_NE(NULL, doc) TH_LOG("openapi.json: %s", je.text);
	ASSERT_STREQ("3.1.0", jstr(doc, "openapi"));
	paths = json_object_get(doc, "paths");
	p = popen(HTTPD_BIN " --routes", "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		char m[16], u[400];

		ASSERT_EQ(2, sscanf(line, "%15s %399s", m, u));
		for (char *c = m; *c; c++)
			*c = (char)(*c - 'A' + 'a');
		/* every route is documented */
		ASSERT_NE(NULL, json_object_get(json_object_get(paths, u), m))
			TH_LOG("route %s %s is not in openapi.json", m, u);
		nroutes++;
	}
	ASSERT_EQ(0, pclose(p));
	/* and every documented operation is a route */
	json_object_foreach(paths, path, ops) {
		json_t *o;

		json_object_foreach(ops, method, o) {
			char m[16];

			snprintf(m, sizeof(m), "%s", method);
			for (char *c = m; *c; c++)
				*c = (char)(*c - 'a' + 'A');
			snprintf(seen[nseen++ % 64], 160, "%s %s", m, path);
		}
	}
	ASSERT_EQ(nroutes, nseen);
	/* served as is */
	ASSERT_EQ(0, U(self, "GET", "/v1/openapi.json", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	{
		json_t *served = jbody(&r);

		ASSERT_TRUE(json_equal(doc, served));
		json_decref(served);
	}
	hresp_free(&r);
	json_decref(doc);
}

TEST_F(http, health_probes)
{
	struct hresp r;
	json_t *j;

	ASSERT_EQ(0, U(self, "GET", "/health/live", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/health/ready", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, NULL, "GET", "/health", NULL, NULL, &r));	/* no token needed */
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("application/health+json", hc_header(&r, "Content-Type"));
	j = jbody(&r);
	ASSERT_STREQ("warn", jstr(j, "status"));	/* no kernel module on the host */
	ASSERT_STREQ("pass", jstr(json_object_get(json_object_get(j, "checks"), "aiosd"), "status"));
	json_decref(j);
	hresp_free(&r);
	/* aiosd gone: not ready, failing, but alive */
	stop(&self->aiosd);
	ASSERT_EQ(0, U(self, "GET", "/health/ready", NULL, NULL, &r));
	ASSERT_EQ(503, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/health", NULL, NULL, &r));
	ASSERT_EQ(503, r.status);
	j = jbody(&r);
	ASSERT_STREQ("fail", jstr(j, "status"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/health/live", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(503, r.status);
	ASSERT_STREQ("application/problem+json", hc_header(&r, "Content-Type"));
	hresp_free(&r);
}

TEST_F(http, runs_working_set_and_ledger)
{
	char path[300], body[400];
	const char *id = mkrun(self);
	struct hresp r;
	json_t *j;

	ASSERT_NE(0, id[0]);
	/* listed, shown */
	ASSERT_EQ(0, U(self, "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, id));
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	/* the working set holds the objective, seq 1 */
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("\"1\"", hc_header(&r, "ETag"));
	j = jbody(&r);
	ASSERT_EQ(1, jint(j, "seq"));
	ASSERT_STREQ("write the report", jstr(json_object_get(j, "doc"), "goal"));
	ASSERT_STREQ("has a title", json_string_value(json_array_get(json_object_get(
		json_object_get(json_object_get(j, "doc"), "vars"), "acceptance_criteria"), 0)));
	json_decref(j);
	hresp_free(&r);
	/* merge patch at the right seq */
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"expected_seq\":1,\"patch\":{\"step\":2,\"notes\":[\"started\"]}}", &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_EQ(2, jint(j, "seq"));
	json_decref(j);
	hresp_free(&r);
	/* stale: 409 with the current seq, nothing changed */
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"expected_seq\":1,\"patch\":{\"step\":9}}", &r));
	ASSERT_EQ(409, r.status);
	ASSERT_STREQ("application/problem+json", hc_header(&r, "Content-Type"));
	j = jbody(&r);
	ASSERT_EQ(2, jint(j, "current_seq"));
	ASSERT_EQ(409, jint(j, "status"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"expected_seq\":1,\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":1}}", &r));
	ASSERT_EQ(409, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	j = jbody(&r);
	ASSERT_EQ(2, jint(json_object_get(j, "doc"), "step"));
	json_decref(j);
	hresp_free(&r);
	/* whole document, then context items */
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"expected_seq\":2,\"doc\":{\"goal\":\"g\",\"status\":\"active\",\"step\":3,"
		       "\"context\":{\"max_items\":2,\"max_bytes\":1000,\"items\":[]}}}", &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"expected_seq\":3,\"items\":[{\"id\":\"a\",\"role\":\"user\",\"text\":\"x\"},"
		       "{\"id\":\"b\",\"role\":\"user\",\"text\":\"y\"},{\"id\":\"c\",\"role\":\"user\",\"text\":\"z\"}]}",
		       &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_STREQ("a", json_string_value(json_array_get(json_object_get(j, "evicted"), 0)));
	json_decref(j);
	hresp_free(&r);
	/* PATCH: a merge patch based on the seq in If-Match */
	{
		struct hresp pr;

		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "PATCH", path, "If-Match: \"4\"\r\n",
					"application/merge-patch+json", "{\"step\":7}", 10, &pr));
		ASSERT_EQ(200, pr.status) TH_LOG("%s", pr.body);
		ASSERT_STREQ("\"5\"", hc_header(&pr, "ETag"));
		hresp_free(&pr);
		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "PATCH", path, "If-Match: \"4\"\r\n",
					"application/merge-patch+json", "{\"step\":8}", 10, &pr));
		ASSERT_EQ(409, pr.status);
		j = jbody(&pr);
		ASSERT_EQ(5, jint(j, "current_seq"));
		json_decref(j);
		hresp_free(&pr);
		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "PATCH", path, NULL,
					"application/merge-patch+json", "{\"step\":8}", 10, &pr));
		ASSERT_EQ(428, pr.status);
		hresp_free(&pr);
		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "PATCH", path, "If-Match: \"5\"\r\n",
					"application/merge-patch+json", "{\"status\":\"boss\"}", 17, &pr));
		ASSERT_EQ(400, pr.status);
		j = jbody(&pr);
		ASSERT_STREQ("$.status", jstr(j, "path"));
		json_decref(j);
		hresp_free(&pr);
	}
	/* steps and the ledger */
	snprintf(path, sizeof(path), "/v1/runs/%s/steps", id);
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"payload\":{\"tool\":\"grep\",\"ok\":true}}", &r));
	ASSERT_EQ(201, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"type\":\"tool_call\",\"payload\":\"ls\"}", &r));
	ASSERT_EQ(201, r.status);
	j = jbody(&r);
	{
		long long last = jint(j, "seq");

		json_decref(j);
		hresp_free(&r);
		snprintf(path, sizeof(path), "/v1/runs/%s/ledger?after=%lld", id, last - 1);
		ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
		ASSERT_EQ(200, r.status);
		j = jbody(&r);
		ASSERT_EQ(1, json_array_size(json_object_get(j, "records")));
		ASSERT_STREQ("tool_call", jstr(json_array_get(json_object_get(j, "records"), 0), "type"));
		json_decref(j);
		hresp_free(&r);
	}
	snprintf(path, sizeof(path), "/v1/runs/%s/ledger?after=x", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ledger/verify", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_TRUE(json_is_true(json_object_get(j, "intact")));
	json_decref(j);
	hresp_free(&r);
	/* a JSON path in validation errors from aiosd */
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", id);
	snprintf(body, sizeof(body), "{\"expected_seq\":5,\"doc\":{\"goal\":\"g\",\"status\":\"boss\",\"step\":1}}");
	ASSERT_EQ(0, U(self, "POST", path, "application/json", body, &r));
	ASSERT_EQ(400, r.status);
	j = jbody(&r);
	ASSERT_STREQ("$.doc.status", jstr(j, "path"));
	json_decref(j);
	hresp_free(&r);
}

TEST_F(http, milestones_memory_and_packs)
{
	const char *id0 = mkrun(self);
	char id[80], path[300], body[300], prop[80];
	struct hresp r;
	json_t *j;
	char *pack;
	size_t packlen;

	snprintf(id, sizeof(id), "%s", id0);
	ASSERT_NE(0, id[0]);
	snprintf(path, sizeof(path), "/v1/runs/%s/milestones", id);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", "{\"name\":\"m1\",\"note\":\"first\"}", &r));
	ASSERT_EQ(201, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", "{\"name\":\"m1\"}", &r));
	ASSERT_EQ(409, r.status);		/* episodes are immutable */
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/episodes", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, "\"m1\""));
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/episodes/m1", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/episodes/nope", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	hresp_free(&r);
	/* propose, see it staged, commit at the milestone, find it */
	snprintf(path, sizeof(path), "/v1/runs/%s/ltm/proposals", id);
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"facts\":[{\"text\":\"The build needs libmicrohttpd\",\"scope\":\"project/aios\","
		       "\"tags\":[\"build\"]}]}", &r));
	ASSERT_EQ(201, r.status);
	j = jbody(&r);
	snprintf(prop, sizeof(prop), "%s", jstr(j, "proposal"));
	json_decref(j);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ltm?status=proposed", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, prop));
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ltm/commit", id);
	snprintf(body, sizeof(body), "{\"proposal\":\"%s\",\"episode\":\"nope\"}", prop);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", body, &r));
	ASSERT_EQ(404, r.status);		/* no such milestone */
	hresp_free(&r);
	snprintf(body, sizeof(body), "{\"proposal\":\"%s\",\"episode\":\"m1\"}", prop);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", body, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ltm?q=libmicrohttpd&top_k=5&scope=project", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_EQ(1, json_array_size(json_object_get(j, "results")));
	json_decref(j);
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ltm", id);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(400, r.status);		/* q is required */
	hresp_free(&r);
	/* export: a gzip download */
	snprintf(path, sizeof(path), "/v1/runs/%s/pack", id);
	ASSERT_EQ(0, U(self, "POST", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("application/gzip", hc_header(&r, "Content-Type"));
	ASSERT_NE(NULL, strstr(hc_header(&r, "Content-Disposition"), "attachment"));
	ASSERT_LT(20, r.blen);
	ASSERT_EQ(0x1f, (unsigned char)r.body[0]);
	ASSERT_EQ(0x8b, (unsigned char)r.body[1]);
	pack = r.body;
	packlen = r.blen;
	r.body = NULL;
	hresp_free(&r);
	/* import under another id, then the same id again: 409 */
	ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "POST", "/v1/packs?as=copy1", NULL,
				"application/gzip", pack, packlen, &r));
	ASSERT_EQ(201, r.status) TH_LOG("%s", r.body);
	ASSERT_STREQ("/v1/runs/copy1", hc_header(&r, "Location"));
	hresp_free(&r);
	ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "POST", "/v1/packs?as=copy1", NULL,
				"application/gzip", pack, packlen, &r));
	ASSERT_EQ(409, r.status);
	hresp_free(&r);
	/* the copy resumes: its working set and memory are there */
	ASSERT_EQ(0, U(self, "GET", "/v1/runs/copy1/ltm?q=libmicrohttpd", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, "libmicrohttpd"));
	hresp_free(&r);
	/* a damaged pack is refused and writes nothing */
	pack[packlen / 2] ^= 0x55;
	ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "POST", "/v1/packs?as=copy2", NULL,
				"application/gzip", pack, packlen, &r));
	ASSERT_LE(400, r.status);
	ASSERT_GT(500, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/runs/copy2", NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	hresp_free(&r);
	free(pack);
}

/* A tar.gz in memory with one entry named name. */
static size_t evil_pack(const char *name, char *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	static const char data[] = "{\"format\":\"aios-resume-pack\"}";
	size_t used = 0;

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, cap, &used);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, sizeof(data) - 1);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_write_header(a, e);
	archive_write_data(a, data, sizeof(data) - 1);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

TEST_F(http, pack_upload_refuses_traversal)
{
	static const char *const names[] = { "../../evil.json", "/tmp/evil.json", "MANIFEST.json" };
	char buf[8192], p[300];
	struct hresp r;
	struct stat sb;

	for (int i = 0; i < 3; i++) {
		size_t n = evil_pack(names[i], buf, sizeof(buf));

		ASSERT_LT(0, n);
		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "POST", "/v1/packs?as=evil", NULL,
					"application/gzip", buf, n, &r));
		ASSERT_EQ(400, r.status) TH_LOG("%s: %s", names[i], r.body);
		hresp_free(&r);
	}
	snprintf(p, sizeof(p), "%s/evil.json", self->dir);
	ASSERT_NE(0, stat(p, &sb));
	ASSERT_NE(0, stat("/tmp/evil.json", &sb));
	ASSERT_EQ(0, U(self, "GET", "/v1/runs/evil", NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	hresp_free(&r);
	/* not gzip at all */
	ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "POST", "/v1/packs", NULL,
				"application/gzip", "hello", 5, &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
}

TEST_F(http, request_validation)
{
	char *big, *deep;
	const char *id = mkrun(self);
	char path[200];
	struct hresp r;
	json_t *j;
	size_t n;

	ASSERT_NE(0, id[0]);
	/* malformed JSON: 400 with where */
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json", "{\"objective\": \"x\",}", &r));
	ASSERT_EQ(400, r.status);
	ASSERT_STREQ("application/problem+json", hc_header(&r, "Content-Type"));
	j = jbody(&r);
	ASSERT_STREQ("Malformed JSON", jstr(j, "title"));
	ASSERT_EQ(1, jint(j, "line"));
	ASSERT_LT(0, jint(j, "position"));
	ASSERT_STREQ("$", jstr(j, "path"));
	json_decref(j);
	hresp_free(&r);
	/* wrong types and unknown fields: the JSON path */
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json", "{\"objective\": 7}", &r));
	ASSERT_EQ(400, r.status);
	j = jbody(&r);
	ASSERT_STREQ("$.objective", jstr(j, "path"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json",
		       "{\"objective\": \"x\", \"acceptance_criteria\": [\"a\", 3]}", &r));
	ASSERT_EQ(400, r.status);
	j = jbody(&r);
	ASSERT_STREQ("$.acceptance_criteria[1]", jstr(j, "path"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json", "{\"objective\":\"x\",\"bogus\":1}", &r));
	ASSERT_EQ(400, r.status);
	j = jbody(&r);
	ASSERT_STREQ("$.bogus", jstr(j, "path"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json", "[1]", &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
	/* duplicate keys are refused */
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json",
		       "{\"objective\":\"x\",\"objective\":\"y\"}", &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
	/* deeply nested JSON */
	deep = malloc(4096);
	n = (size_t)sprintf(deep, "{\"expected_seq\":1,\"patch\":{\"vars\":{\"v\":");
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	for (int i = 0; i < 100; i++)
		deep[n++] = ']';
	strcpy(deep + n, "}}}");
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", id);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", deep, &r));
	ASSERT_EQ(400, r.status);
	ASSERT_NE(NULL, strstr(r.body, "nested"));
	hresp_free(&r);
	free(deep);
	/* oversized: announced by Content-Length, and streamed chunked */
	big = malloc(MAX_BODY + 100);
	memset(big, ' ', MAX_BODY + 99);
	big[0] = '{';
	big[MAX_BODY + 98] = '}';
	big[MAX_BODY + 99] = 0;
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json", big, &r));
	ASSERT_EQ(413, r.status);
	hresp_free(&r);
	{
		int fd = hc_unix(self->hsock);
		char hdr[] = "POST /v1/runs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
		char chunk[64], *raw;
		long got;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, hc_send_all(fd, hdr, strlen(hdr)));
		for (int i = 0; i < 4; i++) {
			snprintf(chunk, sizeof(chunk), "%x\r\n", MAX_BODY / 2);
			hc_send_all(fd, chunk, strlen(chunk));
			hc_send_all(fd, big, MAX_BODY / 2);
			hc_send_all(fd, "\r\n", 2);
		}
		hc_send_all(fd, "0\r\n\r\n", 5);
		got = hc_read_all(fd, &raw, 10000);
		close(fd);
		ASSERT_LT(0, got);
		ASSERT_EQ(0, hc_parse(raw, (size_t)got, &r));
		ASSERT_EQ(413, r.status);
		hresp_free(&r);
		free(raw);
	}
	free(big);
	/* content types */
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "text/plain", "{\"objective\":\"x\"}", &r));
	ASSERT_EQ(415, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", NULL, "{\"objective\":\"x\"}", &r));
	ASSERT_EQ(415, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/packs", "application/json", "{}", &r));
	ASSERT_EQ(415, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "POST", "/v1/runs", "application/json; charset=utf-8",
		       "{\"objective\":\"charset is fine\"}", &r));
	ASSERT_EQ(201, r.status);
	hresp_free(&r);
	/* 404 and 405 */
	ASSERT_EQ(0, U(self, "GET", "/v1/nothing", NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	ASSERT_STREQ("application/problem+json", hc_header(&r, "Content-Type"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/runs/r-0000000000000000/ws", NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "DELETE", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(405, r.status);
	ASSERT_STREQ("POST, GET", hc_header(&r, "Allow"));
	hresp_free(&r);
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", id);
	ASSERT_EQ(0, U(self, "DELETE", path, NULL, NULL, &r));
	ASSERT_EQ(405, r.status);
	ASSERT_STREQ("GET, POST, PATCH", hc_header(&r, "Allow"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/runs/bad%20id/ws", NULL, NULL, &r));
	ASSERT_EQ(404, r.status);
	hresp_free(&r);
}

TEST_F(http, tcp_needs_a_valid_token)
{
	char tid[64], path[200], body[200];
	const char *id0 = mkrun(self);
	char runid[80];
	struct hresp r;
	json_t *j;
	char *tok;

	snprintf(runid, sizeof(runid), "%s", id0);
	if (geteuid() != 0)
		SKIP(return, "creating tokens needs an aiosd admin (run as root)");
	/* no token, a malformed one, an unknown one */
	ASSERT_EQ(0, T(self, NULL, "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(401, r.status);
	ASSERT_NE(NULL, hc_header(&r, "WWW-Authenticate"));
	hresp_free(&r);
	ASSERT_EQ(0, T(self, "a b", "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(401, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, "aios_0123456789", "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(401, r.status);
	hresp_free(&r);
	/* the token file is 0600 and holds no token in clear */
	tok = uid_token(self, 1000, tid, sizeof(tid));
	ASSERT_NE(NULL, tok);
	{
		char p[300], *txt;
		struct stat sb;
		FILE *f;

		snprintf(p, sizeof(p), "%s/state/http-tokens", self->dir);
		ASSERT_EQ(0, stat(p, &sb));
		ASSERT_EQ(0600, sb.st_mode & 0777);
		f = fopen(p, "r");
		ASSERT_NE(NULL, f);
		txt = calloc(1, 65536);
		fread(txt, 1, 65535, f);
		fclose(f);
		ASSERT_EQ(NULL, strstr(txt, tok + 5));
		free(txt);
	}
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_EQ(1000, jint(json_object_get(j, "identity"), "uid"));
	ASSERT_TRUE(json_is_false(json_object_get(json_object_get(j, "identity"), "admin")));
	json_decref(j);
	hresp_free(&r);
	/* another principal's run: refused, and not listed */
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", runid);
	ASSERT_EQ(0, T(self, tok, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(403, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, tok, "POST", path, "application/json",
		       "{\"expected_seq\":1,\"patch\":{\"step\":5}}", &r));
	ASSERT_EQ(403, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(NULL, strstr(r.body, runid));
	hresp_free(&r);
	/* its own run works */
	ASSERT_EQ(0, T(self, tok, "POST", "/v1/runs", "application/json", "{\"objective\":\"mine\"}", &r));
	ASSERT_EQ(201, r.status);
	hresp_free(&r);
	/* the audit ring needs ADMIN or an agent */
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/audit", NULL, NULL, &r));
	ASSERT_EQ(403, r.status);
	hresp_free(&r);
	/* Origin: a foreign one is refused, the allowed one passes; no CORS */
	{
		char hdr[600];

		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nOrigin: http://evil.test\r\n", tok);
		ASSERT_EQ(0, hc_request(hc_tcp(self->port), "GET", "/v1/whoami", hdr, NULL, NULL, 0, &r));
		ASSERT_EQ(403, r.status);
		hresp_free(&r);
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nOrigin: http://panel.test\r\n", tok);
		ASSERT_EQ(0, hc_request(hc_tcp(self->port), "GET", "/v1/whoami", hdr, NULL, NULL, 0, &r));
		ASSERT_EQ(200, r.status);
		ASSERT_EQ(NULL, hc_header(&r, "Access-Control-Allow-Origin"));
		ASSERT_EQ(NULL, hc_header(&r, "Set-Cookie"));
		hresp_free(&r);
		/* same origin over a loopback name: allowed without configuration;
		 * another name (DNS rebinding) is not */
		/* (httpc sends "Host: localhost") */
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nOrigin: http://localhost\r\n", tok);
		ASSERT_EQ(0, hc_request(hc_tcp(self->port), "GET", "/v1/whoami", hdr, NULL, NULL, 0, &r));
		ASSERT_EQ(200, r.status);
		hresp_free(&r);
		{
			int fd = hc_tcp(self->port);
			char raw[700], *resp;
			long n;

			ASSERT_LE(0, fd);
			snprintf(raw, sizeof(raw), "GET /v1/whoami HTTP/1.1\r\nHost: evil.test:%d\r\n"
				 "Origin: http://evil.test:%d\r\nAuthorization: Bearer %s\r\n"
				 "Connection: close\r\n\r\n", self->port, self->port, tok);
			ASSERT_EQ(0, hc_send_all(fd, raw, strlen(raw)));
			n = hc_read_all(fd, &resp, 10000);
			close(fd);
			ASSERT_LT(0, n);
			ASSERT_EQ(0, hc_parse(resp, (size_t)n, &r));
			ASSERT_EQ(403, r.status);
			hresp_free(&r);
			free(resp);
		}
		ASSERT_EQ(0, hc_request(hc_tcp(self->port), "OPTIONS", "/v1/runs",
					"Origin: http://panel.test\r\nAccess-Control-Request-Method: POST\r\n",
					NULL, NULL, 0, &r));
		ASSERT_EQ(403, r.status);
		ASSERT_EQ(NULL, hc_header(&r, "Access-Control-Allow-Origin"));
		hresp_free(&r);
	}
	/* revoked: refused once the pooled connection expires (5 s) */
	{
		json_t *rv = aiosd_op(self, json_pack("{s:s, s:s}", "op", "token.revoke", "token", tid));

		ASSERT_TRUE(json_is_true(json_object_get(rv, "ok")));
		json_decref(rv);
	}
	msleep(5500);
	snprintf(body, sizeof(body), "/v1/whoami");
	ASSERT_EQ(0, T(self, tok, "GET", body, NULL, NULL, &r));
	ASSERT_EQ(401, r.status);
	hresp_free(&r);
	free(tok);
}

/* Send {"v":1,"op":"auth"} with fd attached on a new aiosd connection. */
static json_t *auth_with_fd(const char *sock, int passfd)
{
	static const char msg[] = "{\"v\":1,\"op\":\"auth\"}";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char frame[4 + sizeof(msg) - 1], hdr[4], *body;
	struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	uint32_t n = sizeof(msg) - 1, len;
	json_t *r = NULL;
	int fd = hc_unix(sock);

	if (fd < 0)
		return NULL;
	frame[0] = 0;
	frame[1] = 0;
	frame[2] = (char)(n >> 8);
	frame[3] = (char)n;
	memcpy(frame + 4, msg, n);
	memset(&cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(frame) &&
	    recv(fd, hdr, 4, MSG_WAITALL) == 4) {
		len = (uint32_t)(uint8_t)hdr[2] << 8 | (uint8_t)hdr[3];
		body = malloc(len);
		if (body && recv(fd, body, len, MSG_WAITALL) == (ssize_t)len)
			r = json_loadb(body, len, 0, NULL);
		free(body);
	}
	close(fd);
	return r;
}

TEST_F(http, aiosd_verifies_passed_sockets)
{
	int sp[2], toroot;
	json_t *r;

	/*
	 * A client socket connected to a server (here aiosd itself, root):
	 * its SO_PEERCRED are the server's.  Passing it must not make the
	 * sender that server.
	 */
	toroot = hc_unix(self->asock);
	ASSERT_LE(0, toroot);
	r = auth_with_fd(self->asock, toroot);
	ASSERT_NE(NULL, r);
	ASSERT_TRUE(json_is_false(json_object_get(r, "ok")));
	ASSERT_STREQ("EBADF", jstr(json_object_get(r, "error"), "code"));
	json_decref(r);
	close(toroot);
	/* nor an unnamed socketpair */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	r = auth_with_fd(self->asock, sp[0]);
	ASSERT_NE(NULL, r);
	ASSERT_TRUE(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	close(sp[0]);
	close(sp[1]);
	/* a file that is not a socket still means "kernel agent" (no module here) */
	{
		int f = open("/dev/null", O_RDONLY);

		r = auth_with_fd(self->asock, f);
		ASSERT_NE(NULL, r);
		ASSERT_STREQ("ENODEV", jstr(json_object_get(r, "error"), "code"));
		json_decref(r);
		close(f);
	}
	/* an unknown token; a token that is not a string */
	r = aiosd_op(self, json_pack("{s:s, s:s}", "op", "auth", "token", "aios_nope"));
	ASSERT_STREQ("EACCES", jstr(json_object_get(r, "error"), "code"));
	json_decref(r);
	r = aiosd_op(self, json_pack("{s:s, s:i}", "op", "auth", "token", 5));
	ASSERT_STREQ("EINVAL", jstr(json_object_get(r, "error"), "code"));
	json_decref(r);
	/* token management: exactly one binding; ADMIN only */
	r = aiosd_op(self, json_pack("{s:s, s:i, s:i}", "op", "token.add", "uid", 5, "agent", 3));
	ASSERT_STREQ(geteuid() ? "EPERM" : "EINVAL", jstr(json_object_get(r, "error"), "code"));
	json_decref(r);
	if (geteuid() == 0) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
				_exit(3);
			r = aiosd_op(self, json_pack("{s:s, s:i}", "op", "token.add", "uid", 1000));
			_exit(r && !strcmp(jstr(json_object_get(r, "error"), "code"), "EPERM") ? 0 : 4);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_EQ(0, WEXITSTATUS(st));
		r = aiosd_op(self, json_pack("{s:s, s:s}", "op", "token.revoke", "token", "t-nothing"));
		ASSERT_STREQ("ENOENT", jstr(json_object_get(r, "error"), "code"));
		json_decref(r);
	}
}

TEST_F(http, token_file_must_be_private)
{
	char p[300], *tok, *log;
	struct hresp r;
	json_t *j;
	FILE *f;

	if (geteuid() != 0)
		SKIP(return, "creating tokens needs an aiosd admin (run as root)");
	tok = uid_token(self, 0, NULL, 0);
	ASSERT_NE(NULL, tok);
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	/* tokens survive a restart of aiosd; the pooled connection to the
	 * old one is noticed and replaced (no 502) */
	stop(&self->aiosd);
	ASSERT_TRUE(restart_aiosd(self));
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_TRUE(json_is_true(json_object_get(json_object_get(j, "identity"), "admin")));
	json_decref(j);
	hresp_free(&r);
	/* a token file others may read is not used */
	stop(&self->aiosd);
	snprintf(p, sizeof(p), "%s/state/http-tokens", self->dir);
	ASSERT_EQ(0, chmod(p, 0644));
	ASSERT_TRUE(restart_aiosd(self));
	msleep(5500);	/* the pooled connection expires */
	ASSERT_EQ(0, T(self, tok, "GET", "/v1/whoami", NULL, NULL, &r));
	ASSERT_EQ(401, r.status);
	ASSERT_NE(NULL, strstr(r.body, "disabled"));
	hresp_free(&r);
	snprintf(p, sizeof(p), "%s/aiosd.log", self->dir);
	f = fopen(p, "r");
	ASSERT_NE(NULL, f);
	log = calloc(1, 1 << 20);
	fread(log, 1, (1 << 20) - 1, f);
	fclose(f);
	ASSERT_NE(NULL, strstr(log, "must not be readable by group or others"));
	free(log);
	free(tok);
}

TEST_F(http, system_endpoints)
{
	struct hresp r;
	json_t *j;

	ASSERT_EQ(0, U(self, "GET", "/v1/whoami", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_EQ((long long)geteuid(), jint(json_object_get(j, "identity"), "uid"));
	ASSERT_STREQ("unix", jstr(j, "listener"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/memory", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	j = jbody(&r);
	ASSERT_NE(NULL, json_object_get(j, "own"));
	if (geteuid() == 0)
		ASSERT_NE(NULL, json_object_get(json_object_get(j, "store"), "capacity_bytes"));
	json_decref(j);
	hresp_free(&r);
	/* kernel state without the module: 503 with a reason */
	ASSERT_EQ(0, U(self, "GET", "/v1/agents", NULL, NULL, &r));
	ASSERT_EQ(503, r.status);
	ASSERT_NE(NULL, strstr(r.body, "module"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/audit?after=0&op=kill", NULL, NULL, &r));
	ASSERT_EQ(geteuid() == 0 ? 503 : 403, r.status);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/audit?op=nosuchop", NULL, NULL, &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
	/* the boot log aiosd keeps */
	ASSERT_EQ(0, U(self, "GET", "/v1/bootlog", NULL, NULL, &r));
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/v1/bootlog?list=maybe", NULL, NULL, &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
}

TEST_F(http, events_stream)
{
	int fd = hc_unix(self->hsock);
	static const char req[] = "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096] = "";
	size_t len = 0;
	struct hresp r;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hc_send_all(fd, req, sizeof(req) - 1));
	for (int i = 0; i < 50 && !strstr(buf, "event: hello"); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	close(fd);
	ASSERT_NE(NULL, strstr(buf, "200 OK"));
	ASSERT_NE(NULL, strstr(buf, "text/event-stream"));
	ASSERT_NE(NULL, strstr(buf, "event: hello"));
	ASSERT_NE(NULL, strstr(buf, "\"kernel\":false"));
	ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "GET", "/v1/events",
				"Last-Event-ID: yesterday\r\n", NULL, NULL, 0, &r));
	ASSERT_EQ(400, r.status);
	hresp_free(&r);
}

TEST_F(http, streams_count_against_the_principal_limit)
{
	static const char *const opts[] = { "--per-principal", "3", NULL };
	static const char req[] = "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
	int fds[3];
	struct hresp r;

	stop(&self->httpd);
	ASSERT_TRUE(start_httpd(self, opts));
	for (int i = 0; i < 3; i++) {
		char buf[512];

		fds[i] = hc_unix(self->hsock);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, hc_send_all(fds[i], req, sizeof(req) - 1));
		ASSERT_LT(0, recv(fds[i], buf, sizeof(buf), 0));	/* the stream started */
	}
	ASSERT_EQ(0, U(self, "GET", "/v1/runs", NULL, NULL, &r));
	ASSERT_EQ(429, r.status);
	ASSERT_STREQ("1", hc_header(&r, "Retry-After"));
	hresp_free(&r);
	close(fds[0]);
	/* the server notices the closed stream at its next keepalive (15 s) */
	for (int i = 0; i < 200; i++) {
		ASSERT_EQ(0, U(self, "GET", "/v1/runs", NULL, NULL, &r));
		if (r.status == 200)
			break;
		hresp_free(&r);
		msleep(100);
	}
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	close(fds[1]);
	close(fds[2]);
}

TEST_F(http, static_files)
{
	static const char *const bad[] = {
		"/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/link.txt",
		"/.secret", "/sub//index.html", "/./index.html", "/nonexistent.js", "/..%2fsecret.txt",
	};
	struct hresp r;

	ASSERT_EQ(0, U(self, "GET", "/", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("text/html; charset=utf-8", hc_header(&r, "Content-Type"));
	ASSERT_NE(NULL, strstr(hc_header(&r, "Content-Security-Policy"), "default-src 'self'"));
	ASSERT_NE(NULL, strstr(r.body, "<title>aios</title>"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/app.js", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("text/javascript; charset=utf-8", hc_header(&r, "Content-Type"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/style.css", NULL, NULL, &r));
	ASSERT_STREQ("text/css; charset=utf-8", hc_header(&r, "Content-Type"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/sub/", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_NE(NULL, strstr(r.body, "sub"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", "/sub", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, U(self, "GET", bad[i], NULL, NULL, &r));
		ASSERT_EQ(404, r.status) TH_LOG("%s", bad[i]);
		ASSERT_EQ(NULL, strstr(r.body, "outside the www"));
		hresp_free(&r);
	}
	ASSERT_EQ(0, U(self, "POST", "/index.html", "application/json", "{}", &r));
	ASSERT_EQ(405, r.status);
	hresp_free(&r);
	/* static files need no token on TCP; the API does */
	ASSERT_EQ(0, T(self, NULL, "GET", "/", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
}

TEST_F(http, slow_and_oversized_clients_are_dropped)
{
	static const char *const opts[] = { "--timeout", "2", NULL };
	int fd;
	char *raw;
	long n;
	struct hresp r;

	stop(&self->httpd);
	ASSERT_TRUE(start_httpd(self, opts));
	/* slowloris: half a request head, then silence */
	fd = hc_tcp(self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hc_send_all(fd, "GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Slow: ", 40));
	n = hc_read_all(fd, &raw, 10000);	/* returns at EOF: the server closed */
	close(fd);
	ASSERT_LE(0, n);
	{
		struct pollfd p = { .fd = -1 };

		(void)p;
	}
	free(raw);
	/* confirm it was the server: a silent connection is closed */
	fd = hc_unix(self->hsock);
	ASSERT_LE(0, fd);
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c;

		ASSERT_EQ(1, poll(&p, 1, 8000));
		ASSERT_EQ(0, recv(fd, &c, 1, 0));
	}
	close(fd);
	/* a request head over the limit */
	{
		char *hdr = malloc(70000);

		memset(hdr, 'a', 69990);
		memcpy(hdr, "X-Big: ", 7);
		strcpy(hdr + 69990, "\r\n");
		ASSERT_EQ(0, hc_request(hc_unix(self->hsock), "GET", "/v1/runs", hdr, NULL, NULL, 0, &r));
		ASSERT_TRUE(r.status == 431 || r.status == 413) TH_LOG("status %d", r.status);
		hresp_free(&r);
		free(hdr);
	}
	/* the server still serves */
	ASSERT_EQ(0, U(self, "GET", "/health/live", NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	hresp_free(&r);
}

/*
 * The working set's hot paths pass text through (the client's document to
 * aiosd, aiosd's reply to the client) instead of re-encoding it: a large
 * document with escapes, written with odd spacing and key order, reads
 * back equal, with the seq in the body and the ETag, and the envelope of
 * aiosd's reply ("v", "id", "ok") never leaks out.
 */
TEST_F(http, working_set_text_passes_through)
{
	const char *id = mkrun(self);
	char path[300];
	json_t *doc, *notes, *j;
	struct hresp r;
	char *body, *text;
	size_t n;

	ASSERT_NE(0, id[0]);
	snprintf(path, sizeof(path), "/v1/runs/%s/ws", id);
	notes = json_array();
	for (int i = 0; i < 100; i++) {
		char note[400];

		snprintf(note, sizeof(note), "note %d: \"quoted\", back\\slash, \xc3\xa9, tab\t, "
			 "braces {[}] and 300 more bytes %0300d", i, i);
		json_array_append_new(notes, json_string(note));
	}
	doc = json_pack("{s:o, s:s, s:s, s:i, s:{s:[i, f, n, b]}}", "notes", notes,
			"status", "active", "goal", "pass through", "step", 3,
			"vars", "k", 1, 2.5, 0);
	ASSERT_NE(NULL, doc);
	text = json_dumps(doc, JSON_INDENT(3));
	ASSERT_NE(NULL, text);
	n = strlen(text) + 100;
	ASSERT_LT(16384, (long)n);	/* more than one read of aiosd's reply */
	body = malloc(n);
	ASSERT_NE(NULL, body);
	/* "doc" first, spaces and newlines around everything */
	snprintf(body, n, " {\n \"doc\" :\n %s ,\n \"expected_seq\" : 1 }\n", text);
	free(text);
	ASSERT_EQ(0, U(self, "POST", path, "application/json", body, &r));
	free(body);
	ASSERT_EQ(200, r.status) TH_LOG("%s", r.body);
	ASSERT_STREQ("{\"seq\":2}\n", r.body);
	ASSERT_STREQ("\"2\"", hc_header(&r, "ETag"));
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	ASSERT_EQ(200, r.status);
	ASSERT_STREQ("application/json", hc_header(&r, "Content-Type"));
	ASSERT_STREQ("\"2\"", hc_header(&r, "ETag"));
	j = jbody(&r);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %.200s", r.body);
	ASSERT_EQ(2, json_object_size(j));
	ASSERT_EQ(2, jint(j, "seq"));
	ASSERT_TRUE(json_equal(doc, json_object_get(j, "doc")));
	json_decref(j);
	hresp_free(&r);
	/* a failure of the document is still a problem with the body's path */
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"doc\": {\"goal\": \"g\", \"status\": \"active\", \"step\": \"x\"},"
		       " \"expected_seq\": 2}", &r));
	ASSERT_EQ(400, r.status);
	j = jbody(&r);
	ASSERT_STREQ("$.doc.step", jstr(j, "path"));
	ASSERT_STREQ("EINVAL", jstr(j, "code"));
	json_decref(j);
	hresp_free(&r);
	/* and a stale seq a 409 with the current one, the document unchanged */
	ASSERT_EQ(0, U(self, "POST", path, "application/json",
		       "{\"doc\": {\"goal\": \"g\", \"status\": \"active\", \"step\": 1}, \"expected_seq\": 1}",
		       &r));
	ASSERT_EQ(409, r.status);
	j = jbody(&r);
	ASSERT_EQ(2, jint(j, "current_seq"));
	json_decref(j);
	hresp_free(&r);
	ASSERT_EQ(0, U(self, "GET", path, NULL, NULL, &r));
	j = jbody(&r);
	ASSERT_TRUE(json_equal(doc, json_object_get(j, "doc")));
	json_decref(j);
	hresp_free(&r);
	json_decref(doc);
}

static long rss_kb(pid_t pid)
{
	char p[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST_F(http, thousand_concurrent_clients)
{
	enum { N = 1000 };
	const char *id = mkrun(self);
	static int fds[N];
	char req[300];
	long before, after;
	int ok = 0;

	ASSERT_NE(0, id[0]);
	snprintf(req, sizeof(req), "GET /v1/runs/%s/ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", id);
	before = rss_kb(self->httpd);
	ASSERT_LT(0, before);
	/* all connected at once, all with a request in flight */
	for (int i = 0; i < N; i++) {
		fds[i] = hc_unix(self->hsock);
		ASSERT_LE(0, fds[i]) TH_LOG("connection %d: %s", i, strerror(-fds[i]));
	}
	for (int i = 0; i < N; i++)
		ASSERT_EQ(0, hc_send_all(fds[i], req, strlen(req)));
	for (int i = 0; i < N; i++) {
		struct hresp r;
		char *raw;
		long n = hc_read_all(fds[i], &raw, 60000);

		close(fds[i]);
		if (n > 0 && !hc_parse(raw, (size_t)n, &r)) {
			ok += r.status == 200;
			if (r.status != 200 && i - ok < 3)
				TH_LOG("client %d: %d %s", i, r.status, r.body);
			hresp_free(&r);
		} else if (i - ok < 3) {
			TH_LOG("client %d: no response (%ld bytes)", i, n);
		}
		free(raw);
	}
	after = rss_kb(self->httpd);
	ASSERT_EQ(N, ok);
	TH_LOG("aios-httpd RSS %ld kB before, %ld kB after %d concurrent clients", before, after, N);
	/* bounded: well under 64 KiB per connection (ASan keeps freed
	 * memory in its quarantine: 256 KiB there) */
#ifdef AIOS_SAN
	ASSERT_LT(after - before, 256 * 1024);
#else
	ASSERT_LT(after - before, 64 * 1024);
#endif
}

TEST_HARNESS_MAIN
