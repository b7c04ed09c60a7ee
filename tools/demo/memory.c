// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: the memory store of aiosd.
 *
 * An agent stores its conversation in aiosd's trie, lists it by prefix
 * and snapshots it as a context (checked against a model's window);
 * another agent cannot see it (its namespace is its own, and naming the
 * first agent's namespace is refused); aiosd restarts and the data and
 * the snapshot are back.  The agents use libaios sessions: identity comes
 * from each agent's /dev/aios descriptor, passed to aiosd over
 * SCM_RIGHTS; aiosd asks the kernel whose it is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "demo.h"

#define CONV_PREFIX	"session-1:"

static const char *const conversation[] = {
	"{\"role\":\"system\",\"content\":\"You write unit tests.\"}",
	"{\"role\":\"user\",\"content\":\"Test the parser.\"}",
	"{\"role\":\"assistant\",\"content\":\"Added 12 cases.\"}",
};

#define NMSG	(sizeof(conversation) / sizeof(conversation[0]))
#define MODEL	"llama-3.1-8b"

static int count_item(void *arg, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(int *)arg)++;
	return 0;
}

/* Number of keys under CONV_PREFIX in the caller's namespace (pages of 2). */
static long count_conversation(struct aios_session *s)
{
	char *cursor = NULL;
	int n = 0;

	do {
		long r = aios_memory_list(s, CONV_PREFIX, strlen(CONV_PREFIX), &cursor,
					  2, false, count_item, &n);

		if (r < 0) {
			free(cursor);
			return r;
		}
	} while (cursor);
	return n;
}

/* The conversation as a JSON array of messages (for a context snapshot). */
static char *conversation_json(void)
{
	json_t *a = json_array();
	char *text;
	size_t i;

	for (i = 0; a && i < NMSG; i++)
		json_array_append_new(a, json_loads(conversation[i], 0, NULL));
	text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

/*
 * The scribe agent: stores the conversation, snapshots it as a context
 * for MODEL, reports "<agent id> <snapshot id>", waits for aiosd's
 * restart, then reads everything back.
 */
static int run_scribe(const char *sock, int to, int from)
{
	struct aios *h = demo_agent_register("scribe");
	struct aios_session *s = demo_agent_session(sock, h);
	char key[64], line[128], go, *conv = conversation_json(), *snap = NULL, *text;
	uint64_t tokens = 0, window = 0, tokens2;
	json_t *restored;
	bool fits = false;
	void *val;
	size_t vlen, i;
	long n;

	for (i = 0; i < NMSG; i++) {
		snprintf(key, sizeof(key), CONV_PREFIX "msg-%04zu", i + 1);
		if (aios_memory_put(s, key, strlen(key), conversation[i],
				    strlen(conversation[i]), NULL)) {
			fprintf(stderr, "scribe: put: %s\n", aios_session_errmsg(s));
			return 83;
		}
	}
	n = count_conversation(s);
	say("scribe (agent %" PRIu64 "): stored %zu messages, %ld listed under \"%s\" (pages of 2)\n",
	    aios_agent_id(h), NMSG, n, CONV_PREFIX);
	if (n != (long)NMSG)
		return 84;
	if (!conv || aios_context_create(s, conv, MODEL, 0, &snap, &tokens) ||
	    aios_context_check(s, conv, MODEL, 0, NULL, &window, &fits)) {
		fprintf(stderr, "scribe: context: %s\n", aios_session_errmsg(s));
		return 84;
	}
	say("scribe: context snapshot %s: %zu messages, %" PRIu64 " tokens; %s window %" PRIu64
	    " tokens: %s\n", snap, NMSG, tokens, MODEL, window, fits ? "fits" : "too long");
	if (!fits || !tokens)
		return 84;
	aios_session_close(s);
	snprintf(line, sizeof(line), "%" PRIu64 " %s\n", aios_agent_id(h), snap);
	if (write(from, line, strlen(line)) < 0 || read(to, &go, 1) != 1)
		return 85;

	/* aiosd has restarted: connect again, as the same agent. */
	s = demo_agent_session(sock, h);
	n = count_conversation(s);
	if (aios_memory_get(s, CONV_PREFIX "msg-0002", strlen(CONV_PREFIX "msg-0002"),
			    &val, &vlen)) {
		fprintf(stderr, "scribe: get after restart: %s\n", aios_session_errmsg(s));
		return 86;
	}
	say("scribe: after the restart %ld messages are back; msg-0002 = %.*s\n",
	    n, (int)vlen, (char *)val);
	if (n != (long)NMSG || vlen != strlen(conversation[1]) ||
	    memcmp(val, conversation[1], vlen))
		return 87;
	free(val);
	if (aios_context_restore(s, snap, &text)) {
		fprintf(stderr, "scribe: restore %s: %s\n", snap, aios_session_errmsg(s));
		return 86;
	}
	restored = json_loads(text, 0, NULL);
	free(text);
	tokens2 = (uint64_t)json_integer_value(json_object_get(restored, "tokens"));
	text = json_dumps(json_object_get(restored, "messages"), JSON_COMPACT);
	say("scribe: context snapshot %s restored: %zu messages, %" PRIu64 " tokens, model %s\n",
	    snap, json_array_size(json_object_get(restored, "messages")), tokens2,
	    json_string_value(json_object_get(restored, "model")));
	{
		json_t *a = json_loads(conv, 0, NULL), *b = json_loads(text ? text : "null", 0, NULL);
		bool same = a && b && json_equal(a, b);

		json_decref(a);
		json_decref(b);
		if (!same || tokens2 != tokens)
			return 87;
	}
	free(text);
	json_decref(restored);
	free(conv);
	free(snap);
	aios_session_close(s);
	aios_close(h);
	return 0;
}

/* The snoop agent: tries to read the scribe's conversation and snapshot. */
static int run_snoop(const char *sock, uint64_t scribe, const char *snap)
{
	struct aios *h = demo_agent_register("snoop");
	struct aios_session *s = demo_agent_session(sock, h);
	const char *key = CONV_PREFIX "msg-0001";
	char req[256], *text = NULL;
	void *val;
	size_t vlen;
	int err;

	err = aios_memory_get(s, key, strlen(key), &val, &vlen);
	say("snoop (agent %" PRIu64 "): get %s -> %s (%s)\n", aios_agent_id(h),
	    key, err ? aios_errno_name(err) : "found", err ?
	    aios_session_errmsg(s) : "a leak");
	if (err != -ENOENT)
		return 88;
	snprintf(req, sizeof(req), "{\"op\":\"memory.get\",\"key\":\"%s\",\"agent\":%" PRIu64 "}",
		 key, scribe);
	err = aios_session_call(s, req, NULL);
	say("snoop: get %s in agent %" PRIu64 "'s namespace -> %s (%s)\n", key,
	    scribe, err ? aios_errno_name(err) : "found",
	    err ? aios_session_errmsg(s) : "a leak");
	if (err != -EPERM)
		return 89;
	err = aios_context_restore(s, snap, &text);
	say("snoop: restore context %s -> %s\n", snap, err ? aios_errno_name(err) : "a leak");
	free(text);
	if (err != -ENOENT)
		return 89;
	aios_session_close(s);
	aios_close(h);
	return 0;
}
static int wait_child(struct demo *d, pid_t pid, const char *name)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return fail(d, "waitpid %s: %s", name, strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "agent %s misbehaved (status 0x%x)", name, status);
	return 0;
}

static int memory_steps(struct demo *d, struct demo_aiosd *m)
{
	int to[2], from[2];
	char line[128], snap[80];
	uint64_t scribe;
	pid_t sp, np;
	ssize_t n;

	step(d, "an agent stores its conversation in aiosd's memory store and snapshots it as a context");
	if (demo_aiosd_start(d, m))
		return -1;
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	sp = fork();
	if (sp < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (sp == 0) {
		close(to[1]);
		close(from[0]);
		drop_privileges();
		_exit(run_scribe(m->sock, to[0], from[1]));
	}
	close(to[0]);
	close(from[1]);
	n = read(from[0], line, sizeof(line) - 1);
	if (n <= 0)
		return fail(d, "the scribe agent ended before storing");
	line[n] = '\0';
	if (sscanf(line, "%" SCNu64 " %79s", &scribe, snap) != 2)
		return fail(d, "the scribe agent reported \"%s\"", line);
	if (aiosctl(d, "memory ls %s --agent %" PRIu64, CONV_PREFIX, scribe))
		return fail(d, "aiosctl memory ls failed");

	step(d, "another agent cannot read it");
	fflush(stdout);
	np = fork();
	if (np < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (np == 0) {
		drop_privileges();
		_exit(run_snoop(m->sock, scribe, snap));
	}
	if (wait_child(d, np, "snoop"))
		return -1;

	step(d, "aiosd restarts; the acknowledged writes and the context snapshot are back");
	if (demo_aiosd_stop(d, m) || demo_aiosd_start(d, m))
		return -1;
	if (write(to[1], "g", 1) != 1)
		return fail(d, "the scribe agent is gone");
	if (wait_child(d, sp, "scribe"))
		return -1;
	close(to[1]);
	close(from[0]);
	if (aiosctl(d, "memory stats --agent %" PRIu64, scribe))
		return fail(d, "aiosctl memory stats failed");
	return demo_aiosd_stop(d, m);
}

int demo_memory(struct demo *d)
{
	struct demo_aiosd m;
	int err;

	if (demo_aiosd_init(d, &m, NULL))
		return -1;
	setenv("AIOS_SOCKET", m.sock, 1);	/* for aiosctl */
	err = memory_steps(d, &m);
	if (err)
		demo_aiosd_cleanup(&m);
	return err;
}
