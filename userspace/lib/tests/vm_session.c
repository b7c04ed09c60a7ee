// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libaios sessions as kernel agents, against aios.ko and a real aiosd
 * (run in the VM as root: tools/vm/run -- build/lib/vmtests/vm_session).
 * aiosd runs as root; each test drops to uid 1000 (keeping root as the
 * saved uid to stop aiosd afterwards) so that nothing is decided by
 * root's privileges.  An agent proves who it is by passing its /dev/aios
 * descriptor; its memory and runs are invisible to other agents.
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

/* Tool manifests: a read-only echo and a tool that needs ACCESS_FS. */
static int write_tools(const char *dir)
{
	static const char *const tools[][2] = {
		{ "echo", "{\"name\": \"echo\", \"type\": \"exec\", \"command\": [\"/bin/echo\"], "
			  "\"permission\": \"READ_ONLY\", \"sandboxed\": true, \"max_args\": 8}" },
		{ "writer", "{\"name\": \"writer\", \"type\": \"exec\", "
			    "\"command\": [\"/usr/bin/touch\", \"/scratch/made-by-writer\"], "
			    "\"permission\": \"READ_WRITE\", \"sandboxed\": true, \"max_args\": 0}" },
		{ "gated", "{\"name\": \"gated\", \"type\": \"exec\", \"command\": [\"/bin/echo\", \"confirmed\"], "
			   "\"permission\": \"READ_ONLY\", \"sandboxed\": true, \"confirm\": true, \"max_args\": 0}" },
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

FIXTURE(agents) {
	char dir[64];
	char sock[128];
	pid_t aiosd;
};

FIXTURE_SETUP(agents)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char store[128];
	int i, ok = 0;

	if (access("/dev/aios", R_OK | W_OK))
		SKIP(return, "/dev/aios is not available (run this in the VM)");
	strcpy(self->dir, "/tmp/aios-vm-session-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(self->sock, sizeof(self->sock), "%s/aiosd.sock", self->dir);
	ASSERT_EQ(0, write_tools(self->dir));
	snprintf(store, sizeof(store), "%s/tools", self->dir);
	setenv("AIOS_TOOLS_DIR", store, 1);
	snprintf(store, sizeof(store), "%s/store", self->dir);
	self->aiosd = fork();
	ASSERT_GE(self->aiosd, 0);
	if (self->aiosd == 0) {
		setenv("AIOS_SOCKET_MODE", "0666", 1);
		setenv("AIOS_LOG_LEVEL", "warn", 1);
		execl(getenv("AIOSD") ?: AIOSD_BIN, "aiosd", "-s", self->sock, "-d", store,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 3000 && !ok; i++) {
		ok = !access(self->sock, F_OK);
		if (!ok)
			nanosleep(&ts, NULL);
	}
	ASSERT_TRUE(ok) TH_LOG("aiosd did not create %s", self->sock);
	/* unprivileged from here on; root stays the saved uid */
	ASSERT_EQ(0, setresgid(1000, 1000, 0));
	ASSERT_EQ(0, setresuid(1000, 1000, 0));
}

FIXTURE_TEARDOWN(agents)
{
	char cmd[128];

	if (setresuid(0, 0, 0) || setresgid(0, 0, 0))
		TH_LOG("cannot regain root to stop aiosd");
	if (self->aiosd > 0) {
		kill(self->aiosd, SIGTERM);
		waitpid(self->aiosd, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static struct aios *agent(struct __test_metadata *_metadata, const char *name)
{
	struct aios *h = aios_new();

	EXPECT_NE(NULL, h);
	EXPECT_EQ(0, aios_open(h)) TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(0, aios_register(h, name, AIOS_PRIO_NORMAL, NULL)) TH_LOG("%s", aios_errmsg(h));
	return h;
}

TEST_F(agents, a_session_acts_as_its_agent)
{
	struct aios *h = agent(_metadata, "vm-session");
	struct aios_session *s;
	json_t *st;
	char *text;

	ASSERT_EQ(0, aios_session_open(h, self->sock, &s)) TH_LOG("%s", aios_session_errmsg(s));
	ASSERT_NE(0, aios_agent_id(h));
	ASSERT_EQ(aios_agent_id(h), aios_session_agent(s));
	ASSERT_EQ(0, aios_session_status(s, &text));
	st = json_loads(text, 0, NULL);
	free(text);
	ASSERT_TRUE(json_is_true(json_object_get(st, "kernel")));
	ASSERT_STREQ("agent", json_string_value(json_object_get(json_object_get(st, "identity"), "kind")));
	ASSERT_EQ(aios_agent_id(h), (uint64_t)json_integer_value(
		json_object_get(json_object_get(st, "identity"), "agent")));
	json_decref(st);
	/* a connection authenticates once */
	ASSERT_EQ(-EALREADY, aios_session_auth(s, h));
	aios_session_close(s);
	aios_close(h);
}

TEST_F(agents, a_handle_that_is_not_an_agent_is_refused)
{
	struct aios_session *s = aios_session_new();
	struct aios *h = aios_new();

	ASSERT_EQ(0, aios_open(h)) TH_LOG("%s", aios_errmsg(h));
	ASSERT_EQ(0, aios_session_connect(s, self->sock));
	ASSERT_EQ(-EBADFD, aios_session_auth(s, h)) TH_LOG("%s", aios_session_errmsg(s));
	ASSERT_EQ(0, aios_session_agent(s));
	/* the connection stays usable with identity by uid */
	ASSERT_EQ(0, aios_memory_put(s, "k", 1, "v", 1, NULL));
	aios_session_close(s);
	aios_close(h);
}

TEST_F(agents, agents_cannot_see_each_others_memory_or_runs)
{
	struct aios *ha = agent(_metadata, "vm-alice"), *hb = agent(_metadata, "vm-bob");
	struct aios_session *a, *b;
	char req[256], *rep = NULL, *text;
	uint64_t seq;
	void *v;
	size_t n;

	ASSERT_EQ(0, aios_session_open(ha, self->sock, &a)) TH_LOG("%s", aios_session_errmsg(a));
	ASSERT_EQ(0, aios_session_open(hb, self->sock, &b)) TH_LOG("%s", aios_session_errmsg(b));
	ASSERT_EQ(0, aios_memory_put(a, "secret", 6, "42", 2, NULL));
	ASSERT_EQ(0, aios_runs_create(a, "alice-run", NULL, NULL));
	ASSERT_EQ(0, aios_runs_ledger_append(a, "alice-run", "step", "{\"n\":1}", &seq));

	ASSERT_EQ(-ENOENT, aios_memory_get(b, "secret", 6, &v, &n));
	snprintf(req, sizeof(req), "{\"op\":\"memory.get\",\"key\":\"secret\",\"agent\":%llu}",
		 (unsigned long long)aios_agent_id(ha));
	ASSERT_EQ(-EPERM, aios_session_call(b, req, &rep));
	free(rep);
	ASSERT_EQ(-EPERM, aios_runs_show(b, "alice-run", &text));
	ASSERT_EQ(-EPERM, aios_runs_ledger_append(b, "alice-run", "step", NULL, &seq));
	ASSERT_EQ(0, aios_runs_list(b, &text));
	ASSERT_STREQ("[]", text);
	free(text);

	ASSERT_EQ(0, aios_memory_get(a, "secret", 6, &v, &n));
	ASSERT_STREQ("42", (char *)v);
	free(v);
	ASSERT_EQ(0, aios_runs_ledger_verify(a, "alice-run", NULL));
	aios_session_close(a);
	aios_session_close(b);
	aios_close(ha);
	aios_close(hb);
}

TEST_F(agents, an_agent_calls_a_sandboxed_tool_into_its_run)
{
	struct aios *h = agent(_metadata, "vm-tooluser");
	struct aios_session *s;
	char *text;
	json_t *r, *recs, *rec;
	size_t i;
	int tool_recs = 0;

	ASSERT_EQ(0, aios_session_open(h, self->sock, &s)) TH_LOG("%s", aios_session_errmsg(s));
	ASSERT_EQ(0, aios_runs_create(s, "tool-run", NULL, NULL));
	ASSERT_EQ(0, aios_tool_call(s, "echo", "[\"from\", \"the\", \"sandbox\"]", "tool-run",
				    NULL, 0, NULL, &text)) TH_LOG("%s", aios_session_errmsg(s));
	r = json_loads(text, 0, NULL);
	free(text);
	ASSERT_EQ(0, json_integer_value(json_object_get(r, "exit_code")));
	ASSERT_STREQ("from the sandbox\n", json_string_value(json_object_get(r, "stdout")));
	ASSERT_STREQ("tool-run", json_string_value(json_object_get(json_object_get(r, "ledger"), "run")));
	json_decref(r);
	ASSERT_EQ(0, aios_runs_ledger_read(s, "tool-run", 1, 1000, &text));
	r = json_loads(text, 0, NULL);
	free(text);
	recs = json_object_get(r, "records");
	json_array_foreach(recs, i, rec)
		if (!strncmp(json_string_value(json_object_get(rec, "type")), "tool", 4))
			tool_recs++;
	ASSERT_GE(tool_recs, 1);
	json_decref(r);
	ASSERT_EQ(0, aios_runs_ledger_verify(s, "tool-run", NULL));

	/* default capabilities: no ACCESS_FS, so no READ_WRITE tool */
	ASSERT_EQ(-EPERM, aios_tool_call(s, "writer", NULL, "tool-run", NULL, 0, NULL, &text));
	ASSERT_NE(NULL, strstr(aios_session_errmsg(s), "ACCESS_FS")) TH_LOG("%s", aios_session_errmsg(s));
	aios_session_close(s);
	aios_close(h);
}

/* A call of a "confirm" tool waits until its owner (same uid, not an agent) allows it. */
TEST_F(agents, a_parked_call_runs_once_its_owner_confirms)
{
	struct aios_session *owner = aios_session_new();
	json_t *p = NULL;
	char *text = NULL;
	int i, status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct aios *h = aios_new();
		struct aios_session *s;
		json_t *r;
		int ok;

		if (aios_open(h) || aios_register(h, "vm-gated", AIOS_PRIO_NORMAL, NULL) ||
		    aios_session_open(h, self->sock, &s))
			_exit(10);
		if (aios_tool_call(s, "gated", NULL, NULL, NULL, 0, NULL, &text))
			_exit(11);
		r = json_loads(text, 0, NULL);
		ok = !strcmp(json_string_value(json_object_get(r, "stdout")) ?: "", "confirmed\n") &&
		     json_integer_value(json_object_get(r, "confirmation")) > 0;
		_exit(ok ? 0 : 12);
	}
	ASSERT_EQ(0, aios_session_connect(owner, self->sock));
	for (i = 0; i < 600; i++) {	/* up to 60 s */
		ASSERT_EQ(0, aios_tool_pending(owner, &text)) TH_LOG("%s", aios_session_errmsg(owner));
		p = json_loads(text, 0, NULL);
		free(text);
		if (json_array_size(p))
			break;
		json_decref(p);
		p = NULL;
		usleep(100 * 1000);
	}
	ASSERT_NE(NULL, p) TH_LOG("the call was never parked");
	ASSERT_STREQ("gated", json_string_value(json_object_get(json_array_get(p, 0), "tool")));
	ASSERT_EQ(-ENOENT, aios_tool_confirm(owner, 999999, true));
	ASSERT_EQ(0, aios_tool_confirm(owner, (uint64_t)json_integer_value(
		json_object_get(json_array_get(p, 0), "confirmation")), true))
		TH_LOG("%s", aios_session_errmsg(owner));
	json_decref(p);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	aios_session_close(owner);
}

TEST_HARNESS_MAIN
