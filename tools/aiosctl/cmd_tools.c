// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl tools list|call|pending|confirm|deny - sandboxed tool calls
 * through aiosd (Documentation/aiosd-protocol.md, "Tools and audit").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "table.h"

#define STDIN_MAX	(1u << 20)

static const char help_text[] =
"usage: aiosctl tools list [--agent-fd FD]\n"
"       aiosctl tools call [--run RUN] [--stdin FILE|-] [--timeout MS]\n"
"                          [--agent-fd FD] TOOL [ARG...] [-- ARG...]\n"
"       aiosctl tools pending\n"
"       aiosctl tools confirm ID\n"
"       aiosctl tools deny ID\n"
"\n"
"list     the registered tools, their permission and limits, and whether\n"
"         this caller may call each (and if not, why)\n"
"call     run TOOL in aiosd's sandbox with ARGs appended to its command\n"
"         (argv, no shell; everything after -- is passed as is).  Prints\n"
"         the tool's stdout and stderr; the exit status is 0 when the\n"
"         tool exited 0.  A tool marked \"confirm\" waits until someone\n"
"         runs 'aiosctl tools confirm ID' (see 'tools pending').\n"
"  --run RUN     record the call, its audit events and result in RUN's ledger\n"
"  --stdin FILE  the tool's stdin (- for this stdin; at most 1 MiB)\n"
"  --timeout MS  a lower wall-clock limit than the tool's own\n"
"  --agent-fd FD call as the agent whose /dev/aios descriptor FD this\n"
"                process inherited (its capabilities decide what it may call)\n"
"pending  calls waiting for confirmation that you may see\n"
"confirm  let the parked call ID run (an admin, or the caller's owner)\n"
"deny     refuse it; the caller gets EACCES\n"
"Talks to aiosd at $AIOS_SOCKET (default " AIOSD_DEFAULT_SOCKET ").\n";

static int tools_connect(struct ctl *c, const char *agent_fd, struct aiosd_client **out)
{
	struct aiosd_client *cl;
	uint64_t fd = 0;
	int rc;

	if (agent_fd && (ctl_parse_u64(agent_fd, &fd) || fd > INT32_MAX))
		return ctl_usage(c, "bad descriptor \"%s\"", agent_fd);
	rc = aiosd_connect(NULL, &cl);
	if (rc) {
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running?\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET,
			strerror(-rc));
		return EXIT_FAIL;
	}
	if (agent_fd) {
		rc = aiosd_auth(cl, (int)fd);
		if (rc) {
			fprintf(stderr, "aiosctl: authenticating with descriptor %llu: %s\n",
				(unsigned long long)fd, aiosd_client_error(cl));
			aiosd_close(cl);
			return EXIT_FAIL;
		}
	}
	*out = cl;
	return EXIT_OK;
}

static int fail_reply(struct aiosd_client *cl, json_t *reply)
{
	fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(cl));
	json_decref(reply);
	aiosd_close(cl);
	return EXIT_FAIL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int tools_list(struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {
		"NAME", "PERMISSION", "CONFIRM", "CALLABLE", "COMMAND", "DESCRIPTION",
	};
	const char *agent_fd = NULL;
	const struct ctl_opt opts[] = { { "agent-fd", &agent_fd, NULL } };
	struct aiosd_client *cl;
	json_t *reply = NULL, *tool;
	struct table *t;
	char *pos[1];
	size_t i;
	int npos, ret;

	ret = ctl_parse_cmd(c, argc, argv, opts, 1, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	ret = tools_connect(c, agent_fd, &cl);
	if (ret)
		return ret;
	if (aiosd_tool_list(cl, &reply))
		return fail_reply(cl, reply);
	aiosd_close(cl);
	if (c->json)
		return ctl_json_print(c, reply);
	printf("caller permission %s, access [", str(reply, "permission"));
	json_array_foreach(json_object_get(reply, "access"), i, tool)
		printf("%s%s", i ? " " : "", json_string_value(tool));
	printf("]\n");
	t = table_new(6, head);
	json_array_foreach(json_object_get(reply, "tools"), i, tool) {
		char cmd[256] = "";
		size_t off = 0, j;
		json_t *w;
		const char *cells[6];

		json_array_foreach(json_object_get(tool, "command"), j, w)
			off += (size_t)snprintf(cmd + off, off < sizeof(cmd) ? sizeof(cmd) - off : 0,
						"%s%s", j ? " " : "", json_string_value(w));
		cells[0] = str(tool, "name");
		cells[1] = str(tool, "permission");
		cells[2] = json_is_true(json_object_get(tool, "confirm")) ? "yes" : "no";
		cells[3] = json_is_true(json_object_get(tool, "callable")) ? "yes" : str(tool, "why");
		cells[4] = cmd;
		cells[5] = str(tool, "description");
		if (t && table_row(t, cells)) {
			table_free(t);
			t = NULL;
		}
	}
	json_decref(reply);
	return table_finish(t, true);
}

static int read_stdin(struct ctl *c, const char *path, char **buf, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t n = 0;
	char *b;

	if (fd < 0) {
		fprintf(stderr, "aiosctl: %s: %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	b = malloc(STDIN_MAX + 1);
	if (!b)
		return EXIT_FAIL;
	for (;;) {
		ssize_t r = read(fd, b + n, STDIN_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "aiosctl: reading %s: %s\n", path, strerror(errno));
			goto bad;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > STDIN_MAX) {
			ctl_usage(c, "--stdin: more than %u bytes", STDIN_MAX);
			goto bad;
		}
	}
	if (fd)
		close(fd);
	*buf = b;
	*len = n;
	return EXIT_OK;
bad:
	if (fd)
		close(fd);
	free(b);
	return n > STDIN_MAX ? EXIT_USAGE : EXIT_FAIL;
}

/* A byte-string reply field ("x" or "x_b64") written to f. */
static void write_bytes(json_t *r, const char *name, FILE *f)
{
	const char *s = json_string_value(json_object_get(r, name));

	if (s) {
		fputs(s, f);
		return;
	}
	if (json_object_get(r, "stdout_b64") || json_object_get(r, "stderr_b64"))
		fprintf(f, "[aiosctl: %s is binary; use -j to get it base64-encoded]\n", name);
}

static int tools_call(struct ctl *c, int argc, char **argv)
{
	const char *run = NULL, *in = NULL, *timeout = NULL, *agent_fd = NULL;
	const struct ctl_opt opts[] = {
		{ "run", &run, NULL }, { "stdin", &in, NULL },
		{ "timeout", &timeout, NULL }, { "agent-fd", &agent_fd, NULL },
	};
	struct aiosd_tool_call call = { 0 };
	struct aiosd_client *cl;
	json_t *reply = NULL, *limits = NULL;
	char **pos, **args;
	char *inbuf = NULL;
	int npos, ret, dash, nargs = 0, rc;
	uint64_t ms;

	for (dash = 0; dash < argc && strcmp(argv[dash], "--"); dash++)
		;
	pos = calloc((size_t)argc + 1, sizeof(char *));
	args = calloc((size_t)argc + 1, sizeof(char *));
	if (!pos || !args) {
		free(pos);
		free(args);
		return EXIT_FAIL;
	}
	ret = ctl_parse_cmd(c, dash, argv, opts, 4, pos, argc, &npos, help_text);
	if (ret)
		goto out;
	if (npos < 1) {
		ret = ctl_usage(c, "tools call needs a TOOL name");
		goto out;
	}
	for (int i = 1; i < npos; i++)
		args[nargs++] = pos[i];
	for (int i = dash + 1; i < argc; i++)
		args[nargs++] = argv[i];
	if (timeout) {
		if (ctl_parse_u64(timeout, &ms) || !ms || ms > INT32_MAX) {
			ret = ctl_usage(c, "bad timeout \"%s\" (milliseconds)", timeout);
			goto out;
		}
		limits = json_pack("{s:I}", "timeout_ms", (json_int_t)ms);
	}
	if (in) {
		ret = read_stdin(c, in, &inbuf, &call.stdin_len);
		if (ret)
			goto out;
		call.stdin_data = inbuf;
	}
	ret = tools_connect(c, agent_fd, &cl);
	if (ret)
		goto out;
	call.tool = pos[0];
	call.args = (const char *const *)args;
	call.run = run;
	call.limits = limits;
	rc = aiosd_tool_call(cl, &call, &reply);
	if (rc) {
		ret = fail_reply(cl, reply);
		goto out;
	}
	aiosd_close(cl);
	rc = (int)json_integer_value(json_object_get(reply, "exit_code"));
	ret = json_is_true(json_object_get(reply, "exited")) && !rc ? EXIT_OK : EXIT_FAIL;
	if (c->json) {
		ctl_json_print(c, reply);
		goto out;
	}
	write_bytes(reply, "stdout", stdout);
	fflush(stdout);
	write_bytes(reply, "stderr", stderr);
	if (json_is_true(json_object_get(reply, "timed_out")))
		fprintf(stderr, "aiosctl: tool %s timed out and was killed\n", call.tool);
	else if (!json_is_true(json_object_get(reply, "exited")))
		fprintf(stderr, "aiosctl: tool %s was killed by signal %lld%s\n", call.tool,
			json_integer_value(json_object_get(reply, "signal")),
			json_is_true(json_object_get(reply, "oom_killed")) ? " (out of memory)" : "");
	else if (rc)
		fprintf(stderr, "aiosctl: tool %s exited with status %d\n", call.tool, rc);
	json_decref(reply);
out:
	json_decref(limits);
	free(inbuf);
	free(pos);
	free(args);
	return ctl_status(ret);
}

static int tools_pending(struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {
		"ID", "CALL", "TOOL", "AGENT", "UID", "RUN", "EXPIRES", "ARGS",
	};
	struct aiosd_client *cl;
	json_t *reply = NULL, *p;
	struct table *t;
	char *pos[1];
	size_t i;
	int npos, ret;

	ret = ctl_parse_cmd(c, argc, argv, NULL, 0, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	ret = tools_connect(c, NULL, &cl);
	if (ret)
		return ret;
	if (aiosd_tool_pending(cl, &reply))
		return fail_reply(cl, reply);
	aiosd_close(cl);
	if (c->json)
		return ctl_json_print(c, reply);
	t = table_new(8, head);
	json_array_foreach(json_object_get(reply, "pending"), i, p) {
		char id[24], call[24], agent[24], uid[24], exp[32], args[512] = "";
		const char *cells[8];
		size_t off = 0, j;
		json_t *a;

		snprintf(id, sizeof(id), "%lld",
			 json_integer_value(json_object_get(p, "confirmation")));
		snprintf(call, sizeof(call), "%lld", json_integer_value(json_object_get(p, "call")));
		snprintf(agent, sizeof(agent), "%lld", json_integer_value(json_object_get(p, "agent")));
		snprintf(uid, sizeof(uid), "%lld", json_integer_value(json_object_get(p, "uid")));
		snprintf(exp, sizeof(exp), "%llds",
			 json_integer_value(json_object_get(p, "expires_in_ms")) / 1000);
		json_array_foreach(json_object_get(p, "args"), j, a)
			off += (size_t)snprintf(args + off, off < sizeof(args) ? sizeof(args) - off : 0,
						"%s%s", j ? " " : "", json_string_value(a));
		cells[0] = id;
		cells[1] = call;
		cells[2] = str(p, "tool");
		cells[3] = agent;
		cells[4] = uid;
		cells[5] = str(p, "run")[0] ? str(p, "run") : "-";
		cells[6] = exp;
		cells[7] = args;
		if (t && table_row(t, cells)) {
			table_free(t);
			t = NULL;
		}
	}
	json_decref(reply);
	return table_finish(t, true);
}

static int tools_decide(struct ctl *c, int argc, char **argv, bool allow)
{
	struct aiosd_client *cl;
	char *pos[1];
	uint64_t id;
	int npos, ret;

	ret = ctl_parse_cmd(c, argc, argv, NULL, 0, pos, 1, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (npos != 1 || ctl_parse_u64(pos[0], &id) || !id)
		return ctl_usage(c, "tools %s needs a confirmation ID (see 'aiosctl tools pending')",
				 allow ? "confirm" : "deny");
	ret = tools_connect(c, NULL, &cl);
	if (ret)
		return ret;
	if (aiosd_tool_confirm(cl, id, allow))
		return fail_reply(cl, NULL);
	aiosd_close(cl);
	if (c->json)
		return ctl_json_print(c, json_pack("{s:I, s:b}", "confirmation", (json_int_t)id,
						   "allowed", allow));
	printf("tool call %llu %s\n", (unsigned long long)id, allow ? "confirmed" : "refused");
	return EXIT_OK;
}

int cmd_tools(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "list", "call", "pending", "confirm", "deny" };
	int k;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && ctl_is_help(argv[1])) {
			fputs(help_text, stdout);
			return EXIT_OK;
		}
		return tools_list(c, argc - 1, argv + 1);
	}
	if (ctl_is_help(argv[1])) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	k = ctl_match(argv[1], cmds, 5);
	if (k == -2)
		return ctl_usage(c, "tools command \"%s\" is ambiguous", argv[1]);
	if (k < 0)
		return ctl_usage(c, "unknown tools command \"%s\"", argv[1]);
	switch (k) {
	case 0:
		return tools_list(c, argc - 2, argv + 2);
	case 1:
		return tools_call(c, argc - 2, argv + 2);
	case 2:
		return tools_pending(c, argc - 2, argv + 2);
	default:
		return tools_decide(c, argc - 2, argv + 2, k == 3);
	}
}
