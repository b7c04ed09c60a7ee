// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: the memory store of aiosd.
 *
 * An agent stores its conversation in aiosd's trie, lists it by prefix;
 * another agent cannot see it (its namespace is its own, and naming the
 * first agent's namespace is refused); aiosd restarts and the data is
 * back.  Identity comes from each agent's /dev/aios descriptor, passed to
 * aiosd over SCM_RIGHTS: aiosd asks the kernel whose it is.
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

#include "aiosd_client.h"
#include "demo.h"

#define CONV_PREFIX	"session-1:"

static const char *const conversation[] = {
	"{\"role\":\"system\",\"content\":\"You write unit tests.\"}",
	"{\"role\":\"user\",\"content\":\"Test the parser.\"}",
	"{\"role\":\"assistant\",\"content\":\"Added 12 cases.\"}",
};

#define NMSG	(sizeof(conversation) / sizeof(conversation[0]))

struct memdemo {
	char dir[64];		/* state directory */
	char sock[96];		/* aiosd's socket */
	pid_t aiosd;
};

static int start_aiosd(struct demo *d, struct memdemo *m)
{
	char store[96];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	snprintf(store, sizeof(store), "%s/store", m->dir);
	fflush(stdout);
	m->aiosd = fork();
	if (m->aiosd < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (m->aiosd == 0) {
		setenv("AIOS_FSYNC", "always", 1);
		setenv("AIOS_SOCKET_MODE", "0666", 1);
		setenv("AIOS_LOG_LEVEL", "warn", 1);
		execl(d->aiosd, "aiosd", "-s", m->sock, "-d", store,
		      (char *)NULL);
		perror("demo: exec aiosd");
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		struct aiosd_client *c;

		if (!aiosd_connect(m->sock, &c)) {
			aiosd_close(c);
			return 0;
		}
		if (waitpid(m->aiosd, NULL, WNOHANG) == m->aiosd)
			return fail(d, "aiosd exited at start");
		nanosleep(&ts, NULL);
	}
	return fail(d, "aiosd did not start serving %s", m->sock);
}

static int stop_aiosd(struct demo *d, struct memdemo *m)
{
	int status;

	if (kill(m->aiosd, SIGTERM))
		return fail(d, "kill aiosd: %s", strerror(errno));
	if (waitpid(m->aiosd, &status, 0) != m->aiosd)
		return fail(d, "waitpid aiosd: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "aiosd did not shut down cleanly (0x%x)", status);
	return 0;
}

/* A registered agent connected to aiosd as itself; exits on error. */
static struct aiosd_client *agent_connect(const char *sock, struct aios *h)
{
	struct aiosd_client *c;

	if (aiosd_connect(sock, &c)) {
		fprintf(stderr, "agent: connect %s failed\n", sock);
		_exit(80);
	}
	if (aiosd_auth(c, aios_fd(h))) {
		fprintf(stderr, "agent: auth: %s\n", aiosd_client_error(c));
		_exit(81);
	}
	return c;
}

static struct aios *agent_register(const char *name)
{
	struct aios *h = aios_new();

	if (!h || aios_open(h) || aios_register(h, name, AIOS_PRIO_NORMAL, NULL)) {
		fprintf(stderr, "%s: %s\n", name, h ? aios_errmsg(h) : "ENOMEM");
		_exit(82);
	}
	return h;
}

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

/* Number of keys under CONV_PREFIX in the caller's namespace. */
static long count_conversation(struct aiosd_client *c)
{
	char *cursor = NULL;
	int n = 0;
	long r = aiosd_mem_list(c, CONV_PREFIX, strlen(CONV_PREFIX), &cursor,
				100, false, count_item, &n);

	free(cursor);
	return r < 0 ? r : n;
}

/*
 * The scribe agent: stores the conversation, reports its id, waits for
 * aiosd's restart, then reads everything back.
 */
static int run_scribe(const char *sock, int to, int from)
{
	struct aios *h = agent_register("scribe");
	struct aiosd_client *c = agent_connect(sock, h);
	char key[64], line[64], go;
	void *val;
	size_t vlen, i;
	long n;

	for (i = 0; i < NMSG; i++) {
		snprintf(key, sizeof(key), CONV_PREFIX "msg-%04zu", i + 1);
		if (aiosd_mem_put(c, key, strlen(key), conversation[i],
				  strlen(conversation[i]), NULL)) {
			fprintf(stderr, "scribe: put: %s\n", aiosd_client_error(c));
			return 83;
		}
	}
	n = count_conversation(c);
	say("scribe (agent %" PRIu64 "): stored %zu messages, %ld listed under \"%s\"\n",
	    aios_agent_id(h), NMSG, n, CONV_PREFIX);
	if (n != (long)NMSG)
		return 84;
	aiosd_close(c);
	snprintf(line, sizeof(line), "%" PRIu64 "\n", aios_agent_id(h));
	if (write(from, line, strlen(line)) < 0 || read(to, &go, 1) != 1)
		return 85;

	/* aiosd has restarted: connect again, as the same agent. */
	c = agent_connect(sock, h);
	n = count_conversation(c);
	if (aiosd_mem_get(c, CONV_PREFIX "msg-0002", strlen(CONV_PREFIX "msg-0002"),
			  &val, &vlen)) {
		fprintf(stderr, "scribe: get after restart: %s\n", aiosd_client_error(c));
		return 86;
	}
	say("scribe: after the restart %ld messages are back; msg-0002 = %.*s\n",
	    n, (int)vlen, (char *)val);
	if (n != (long)NMSG || vlen != strlen(conversation[1]) ||
	    memcmp(val, conversation[1], vlen))
		return 87;
	free(val);
	aiosd_close(c);
	aios_close(h);
	return 0;
}

/* The snoop agent: tries to read the scribe's conversation. */
static int run_snoop(const char *sock, uint64_t scribe)
{
	struct aios *h = agent_register("snoop");
	struct aiosd_client *c = agent_connect(sock, h);
	const char *key = CONV_PREFIX "msg-0001";
	json_t *req, *reply = NULL;
	void *val;
	size_t vlen;
	int err;

	err = aiosd_mem_get(c, key, strlen(key), &val, &vlen);
	say("snoop (agent %" PRIu64 "): get %s -> %s (%s)\n", aios_agent_id(h),
	    key, err ? aios_errno_name(err) : "found", err ?
	    aiosd_client_error(c) : "a leak");
	if (err != -ENOENT)
		return 88;
	req = json_pack("{s:s, s:s, s:I}", "op", "memory.get", "key", key,
			"agent", (json_int_t)scribe);
	err = aiosd_call(c, req, &reply);
	json_decref(req);
	json_decref(reply);
	say("snoop: get %s in agent %" PRIu64 "'s namespace -> %s (%s)\n", key,
	    scribe, err ? aios_errno_name(err) : "found",
	    err ? aiosd_client_error(c) : "a leak");
	if (err != -EPERM)
		return 89;
	aiosd_close(c);
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

static int memory_steps(struct demo *d, struct memdemo *m)
{
	int to[2], from[2];
	char line[64];
	uint64_t scribe;
	pid_t sp, np;
	ssize_t n;

	step(d, "an agent stores its conversation in aiosd's memory store");
	if (start_aiosd(d, m))
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
	scribe = strtoull(line, NULL, 10);
	if (aiosctl(d, "memory ls %s --agent %" PRIu64, CONV_PREFIX, scribe))
		return fail(d, "aiosctl memory ls failed");

	step(d, "another agent cannot read it");
	fflush(stdout);
	np = fork();
	if (np < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (np == 0) {
		drop_privileges();
		_exit(run_snoop(m->sock, scribe));
	}
	if (wait_child(d, np, "snoop"))
		return -1;

	step(d, "aiosd restarts; the acknowledged writes are back");
	if (stop_aiosd(d, m) || start_aiosd(d, m))
		return -1;
	if (write(to[1], "g", 1) != 1)
		return fail(d, "the scribe agent is gone");
	if (wait_child(d, sp, "scribe"))
		return -1;
	close(to[1]);
	close(from[0]);
	if (aiosctl(d, "memory stats --agent %" PRIu64, scribe))
		return fail(d, "aiosctl memory stats failed");
	return stop_aiosd(d, m);
}

int demo_memory(struct demo *d)
{
	struct memdemo m = { .aiosd = -1 };
	int err;

	strcpy(m.dir, "/tmp/aios-demo-XXXXXX");
	if (!mkdtemp(m.dir))
		return fail(d, "mkdtemp: %s", strerror(errno));
	if (chmod(m.dir, 0755))
		return fail(d, "chmod %s: %s", m.dir, strerror(errno));
	snprintf(m.sock, sizeof(m.sock), "%s/aiosd.sock", m.dir);
	setenv("AIOS_SOCKET", m.sock, 1);
	err = memory_steps(d, &m);
	if (err && m.aiosd > 0 && waitpid(m.aiosd, NULL, WNOHANG) == 0) {
		kill(m.aiosd, SIGKILL);
		waitpid(m.aiosd, NULL, 0);
	}
	return err;
}
