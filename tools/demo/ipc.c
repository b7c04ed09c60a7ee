// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: typed agent IPC.
 *
 * Two agents exchange typed messages (a JSON request, a TEXT reply that
 * carries the request's id as correlation id); a malformed JSON message is
 * rejected by the kernel with the byte offset and what was expected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

static struct aios *ipc_agent(const char *name)
{
	struct aios *h = aios_new();

	if (!h || aios_open(h) || aios_register(h, name, AIOS_PRIO_NORMAL, NULL)) {
		fprintf(stderr, "%s: %s\n", name, h ? aios_errmsg(h) : "ENOMEM");
		_exit(60);
	}
	return h;
}

static int exchange(void)
{
	static const char request[] =
		"{\"op\":\"review\",\"files\":[\"parser.c\",\"lexer.c\"],\"depth\":2}";
	static const char broken[] = "{\"op\":\"review\",\"files\":[\"parser.c\",]}";
	struct aios *a = ipc_agent("reviewer"), *b = ipc_agent("author");
	struct aios_recv_opts ro = { .sz = sizeof(ro), .timeout_ms = 1000 };
	struct aios_message m;
	uint64_t req_id;
	uint32_t off = 0;
	char buf[256];
	int err;

	err = aios_msg_send(b, aios_agent_id(a), AIOS_MSG_JSON, "request",
			    request, strlen(request), NULL, &req_id, NULL);
	if (err) {
		fprintf(stderr, "author: send: %s\n", aios_errmsg(b));
		return 61;
	}
	say("author (agent %" PRIu64 ") -> reviewer: intent=request type=json %s\n",
	    aios_agent_id(b), request);
	err = aios_msg_recv(a, &ro, &m, buf, sizeof(buf) - 1);
	if (err || m.from != aios_agent_id(b) || m.type != AIOS_MSG_JSON ||
	    strcmp(m.intent, "request")) {
		fprintf(stderr, "reviewer: recv: %s\n", aios_errmsg(a));
		return 62;
	}
	buf[m.len] = '\0';
	say("reviewer received message %" PRIu64 " from agent %" PRIu64
	    " (stamped by the kernel), %s, %u bytes\n", m.id, m.from,
	    aios_msg_type_name(m.type), m.len);

	{
		struct aios_send_opts so = { .sz = sizeof(so), .timeout_ms = 1000,
					     .correlation_id = m.id };
		static const char reply[] = "2 findings in parser.c";

		err = aios_msg_send(a, m.from, AIOS_MSG_TEXT, "result", reply,
				    strlen(reply), &so, NULL, NULL);
		if (err) {
			fprintf(stderr, "reviewer: reply: %s\n", aios_errmsg(a));
			return 63;
		}
	}
	err = aios_msg_recv(b, &ro, &m, buf, sizeof(buf) - 1);
	if (err || m.correlation_id != req_id || m.type != AIOS_MSG_TEXT) {
		fprintf(stderr, "author: reply: %s\n", aios_errmsg(b));
		return 64;
	}
	buf[m.len] = '\0';
	say("author received the reply (intent=%s, text, correlation id %" PRIu64
	    "): \"%s\"\n", m.intent, m.correlation_id, buf);

	err = aios_msg_send(b, aios_agent_id(a), AIOS_MSG_JSON, "request",
			    broken, strlen(broken), NULL, NULL, &off);
	say("author -> reviewer: malformed JSON %s\n", broken);
	say("  rejected: %s (%s)\n", err ? aios_errno_name(err) : "accepted!",
	    aios_errmsg(b));
	if (err != -EINVAL || off != strlen(broken) - 2)
		return 65;
	ro.flags = AIOS_RECV_NONBLOCK;
	if (aios_msg_recv(a, &ro, &m, buf, sizeof(buf)) != -EAGAIN) {
		fprintf(stderr, "reviewer: the rejected message was delivered\n");
		return 66;
	}
	aios_close(a);
	aios_close(b);
	return 0;
}

int demo_ipc(struct demo *d)
{
	int status;
	pid_t pid;

	step(d, "two agents exchange typed messages; malformed JSON is rejected");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (pid == 0) {
		drop_privileges();
		_exit(exchange());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return fail(d, "the messaging agents misbehaved (status 0x%x)",
			    status);
	return 0;
}
