// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: a tool call through aiosd's sandbox, escapes that fail, a
 * network tool refused, and the audit trail of the call.
 *
 * aiosd loads two tool manifests: "inspect" (READ_ONLY: a shell that
 * looks around, writes its scratch directory, then tries to write /usr,
 * read /etc/shadow and open a network socket) and "fetch" (NETWORK).  An
 * agent with the default capabilities (no ACCESS_FS, no ACCESS_NET) calls
 * both through its libaios session, recording them in a run: inspect runs
 * and each escape fails inside the sandbox; fetch is refused by aiosd
 * before anything runs.  The eBPF audit events of the call land in the
 * run's ledger, and the ledger verifies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

#define TOOL_RUN	"tools-1"

static const char inspect_script[] =
	"echo \"in the sandbox: uid $(id -u), pid $$, hostname $(hostname)\"; "
	"echo \"root: $(ls / | tr '\\n' ' ')\"; "
	"echo note > /scratch/note && echo 'wrote /scratch/note'; "
	"(echo x > /usr/evil) 2>&1 | sed 's/^/escape 1: /'; "
	"(cat /etc/shadow) 2>&1 | head -n 1 | sed 's/^/escape 2: /'; "
	"python3 -c 'import socket; socket.socket()' 2>&1 | tail -n 1 | sed 's/^/escape 3: /'; "
	"exit 0";

/* What the inspect tool must show (each escape failed). */
static const char *const expected[] = {
	"wrote /scratch/note",			/* per-call writable scratch */
	"escape 1: ",				/* writing /usr ... */
	"Read-only file system",		/* ... is refused */
	"escape 2: ",				/* /etc/shadow: not readable */
	"Operation not permitted",		/* no ACCESS_NET: no socket */
};

#define NEXPECTED	(sizeof(expected) / sizeof(expected[0]))

static int write_manifest(struct demo *d, const char *dir, const char *name,
			  json_t *manifest)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	if (!manifest || json_dump_file(manifest, path, JSON_INDENT(2))) {
		json_decref(manifest);
		return fail(d, "cannot write %s", path);
	}
	json_decref(manifest);
	return 0;
}

static int write_tools(struct demo *d, const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST)
		return fail(d, "mkdir %s: %s", dir, strerror(errno));
	if (write_manifest(d, dir, "inspect",
			   json_pack("{s:s, s:s, s:s, s:[s,s,s], s:s, s:b, s:i, s:{s:i, s:i}}",
				     "name", "inspect", "type", "exec",
				     "description", "look around and try to get out",
				     "command", "/bin/sh", "-c", inspect_script,
				     "permission", "READ_ONLY", "sandboxed", 1, "max_args", 0,
				     "limits", "timeout_ms", 60000, "memory_mb", 128)) ||
	    write_manifest(d, dir, "fetch",
			   json_pack("{s:s, s:s, s:s, s:[s,s,s], s:s, s:b, s:i}",
				     "name", "fetch", "type", "exec",
				     "description", "connect to a local port",
				     "command", "/usr/bin/python3", "-c",
				     "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2)",
				     "permission", "NETWORK", "sandboxed", 1, "max_args", 1)))
		return -1;
	return 0;
}

/* The tool-using agent (uid 1000, default capabilities). */
static int run_tooluser(const char *sock)
{
	const char *who = "tooluser";
	struct aios *h = demo_agent_register(who);
	struct aios_session *s = demo_agent_session(sock, h);
	bool seen[NEXPECTED] = { false };
	json_t *r, *recs, *rec, *types;
	const char *out, *key;
	char *text, *line, *save;
	size_t i;
	int err;

	if (aios_runs_create(s, TOOL_RUN, NULL, NULL)) {
		fprintf(stderr, "%s: run: %s\n", who, aios_session_errmsg(s));
		return 60;
	}
	if (aios_tool_list(s, &text)) {
		fprintf(stderr, "%s: tool.list: %s\n", who, aios_session_errmsg(s));
		return 60;
	}
	r = json_loads(text, 0, NULL);
	free(text);
	say("%s (agent %" PRIu64 ", default caps): tool.list says its permission is %s:\n", who,
	    aios_agent_id(h), json_string_value(json_object_get(r, "permission")));
	json_array_foreach(json_object_get(r, "tools"), i, rec) {
		bool ok = json_is_true(json_object_get(rec, "callable"));

		say("  %-8s %-10s %s%s\n", json_string_value(json_object_get(rec, "name")),
		    json_string_value(json_object_get(rec, "permission")),
		    ok ? "callable" : "not callable: ",
		    ok ? "" : json_string_value(json_object_get(rec, "why")) ?: "?");
	}
	json_decref(r);
	say("%s: tool.call inspect, recorded in run %s\n", who, TOOL_RUN);
	err = aios_tool_call(s, "inspect", NULL, TOOL_RUN, NULL, 0, NULL, &text);
	if (err) {
		fprintf(stderr, "%s: inspect: %s\n", who, aios_session_errmsg(s));
		return 61;
	}
	r = json_loads(text, 0, NULL);
	free(text);
	out = json_string_value(json_object_get(r, "stdout"));
	if (!out) {
		fprintf(stderr, "%s: inspect: no text output\n", who);
		return 62;
	}
	text = strdup(out);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		say("  | %.160s%s\n", line, strlen(line) > 160 ? "..." : "");
		for (i = 0; i < NEXPECTED; i++)
			if (strstr(line, expected[i]))
				seen[i] = true;
	}
	free(text);
	say("%s: inspect exited %" JSON_INTEGER_FORMAT " after %" JSON_INTEGER_FORMAT
	    " us; eBPF audit: %" JSON_INTEGER_FORMAT " events, %" JSON_INTEGER_FORMAT " lost\n",
	    who, json_integer_value(json_object_get(r, "exit_code")),
	    json_integer_value(json_object_get(json_object_get(r, "usage"), "wall_us")),
	    json_integer_value(json_object_get(json_object_get(r, "audit"), "events")),
	    json_integer_value(json_object_get(json_object_get(r, "audit"), "lost")));
	for (i = 0; i < NEXPECTED; i++)
		if (!seen[i]) {
			fprintf(stderr, "%s: the sandbox did not show \"%s\"\n", who, expected[i]);
			return 63;
		}
	if (json_integer_value(json_object_get(r, "exit_code")) != 0 ||
	    json_integer_value(json_object_get(json_object_get(r, "audit"), "lost")) != 0)
		return 64;
	json_decref(r);

	err = aios_tool_call(s, "fetch", "[\"9\"]", TOOL_RUN, NULL, 0, NULL, &text);
	say("%s: tool.call fetch 127.0.0.1:9 -> %s: %s\n", who,
	    err ? aios_errno_name(err) : "it ran", err ? aios_session_errmsg(s) : text);
	if (err != -EPERM)
		return 65;

	/* the audit trail, as the run's ledger recorded it */
	if (aios_runs_ledger_read(s, TOOL_RUN, 1, 1000, &text)) {
		fprintf(stderr, "%s: ledger: %s\n", who, aios_session_errmsg(s));
		return 66;
	}
	r = json_loads(text, 0, NULL);
	free(text);
	recs = json_object_get(r, "records");
	types = json_object();
	json_array_foreach(recs, i, rec) {
		const char *t = json_string_value(json_object_get(rec, "type"));

		json_object_set_new(types, t, json_integer(json_integer_value(json_object_get(types, t)) + 1));
	}
	say("%s: ledger of run %s: %zu records:", who, TOOL_RUN, json_array_size(recs));
	json_object_foreach(types, key, rec)
		say(" %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(rec));
	say("\n");
	if (!json_object_get(types, "tool_denied")) {
		fprintf(stderr, "%s: the refused call is not in the ledger\n", who);
		return 67;
	}
	json_decref(types);
	json_decref(r);
	if (aios_runs_ledger_verify(s, TOOL_RUN, NULL)) {
		fprintf(stderr, "%s: %s\n", who, aios_session_errmsg(s));
		return 68;
	}
	aios_session_close(s);
	aios_close(h);
	return 0;
}

static int sandbox_steps(struct demo *d, struct demo_aiosd *a)
{
	pid_t pid;
	int status;

	step(d, "an agent calls tools through aiosd's sandbox: escapes fail, a network tool is refused, the audit trail");
	if (demo_aiosd_start(d, a))
		return -1;
	setenv("AIOS_SOCKET", a->sock, 1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (pid == 0) {
		drop_privileges();
		_exit(run_tooluser(a->sock));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "the tool-using agent misbehaved (status 0x%x)", status);
	if (aiosctl(d, "ledger verify %s", TOOL_RUN))
		return fail(d, "aiosctl ledger verify %s failed", TOOL_RUN);
	return demo_aiosd_stop(d, a);
}

int demo_sandbox(struct demo *d)
{
	struct demo_aiosd a;
	char tools[96];
	int err;

	if (demo_aiosd_init(d, &a, NULL))
		return -1;
	snprintf(tools, sizeof(tools), "%s/tools", a.dir);
	if (write_tools(d, tools))
		return -1;
	a.tools_dir = tools;
	err = sandbox_steps(d, &a);
	if (err)
		demo_aiosd_cleanup(&a);
	return err;
}
