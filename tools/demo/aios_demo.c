// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: the narrated scenario behind "make demo".
 *
 * Runs as root inside the test VM (or on a host with aios.ko loaded).  The
 * orchestrating process is the administrator; the agents are forked
 * children that drop to an unprivileged uid, so every capability decision
 * is made by aios and not by root's CAP_SYS_ADMIN.  Each step checks what
 * it shows; the first step that misbehaves is named and the program exits
 * non-zero.  The last line is "demo: OK (N steps)".
 *
 * Copyright (C) 2026 The aios authors
 */
#define _GNU_SOURCE
#include <aios.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

/* A forked agent process and the two pipes we talk to it through. */
struct child {
	pid_t pid;
	int to;			/* parent -> child */
	int from;		/* child -> parent */
};

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void step(struct demo *d, const char *title)
{
	d->steps++;
	say("\n== step %d: %s\n", d->steps, title);
}

int fail(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "demo: FAILED at step %d: ", d->steps);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Run "aiosctl ARGS..." and show its output; returns its exit status. */
int aiosctl(struct demo *d, const char *fmt, ...)
{
	char args[512], cmd[PATH_MAX + 600];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", d->aiosctl, args);
	say("$ aiosctl %s\n", args);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	return WEXITSTATUS(rc);
}

/* ---- child side ---------------------------------------------------- */

static void child_send(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	if (write(fd, buf, n) != n)
		_exit(90);
}

/* Block until the parent writes one byte; its value is the command. */
static char child_wait(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(91);
	return c;
}

void drop_privileges(void)
{
	if (setresgid(DEMO_UID, DEMO_UID, DEMO_UID) ||
	    setresuid(DEMO_UID, DEMO_UID, DEMO_UID)) {
		perror("demo: setresuid");
		_exit(92);
	}
}

/* A plain agent: registers, reports its id, waits to be told to exit. */
static int run_idle_agent(int to, int from, const char *name,
			  unsigned int prio)
{
	struct aios *h = aios_new();
	uint64_t id;
	int err;

	if (!h)
		return 93;
	err = aios_open(h);
	if (!err)
		err = aios_register(h, name, prio, &id);
	if (err) {
		fprintf(stderr, "%s: %s\n", name, aios_errmsg(h));
		return 94;
	}
	child_send(from, "%" PRIu64, id);
	child_wait(to);
	aios_close(h);
	return 0;
}

/*
 * The "coder" agent: forks a helper process and registers it as a child
 * agent (SPAWN_AGENT with its pidfd), tries to kill it without KILL_AGENT
 * (denied, with the kernel's reason), waits for the admin's grant, then
 * kills it.
 */
static int run_coder(int to, int from)
{
	struct aios_spawn_opts so = {
		.sz = sizeof(so), .name = "coder.helper",
		.prio = AIOS_PRIO_LOW, .cloexec = true,
	};
	struct aios_denial den;
	struct aios *h = aios_new();
	uint64_t id, helper;
	int fd, err, status;
	pid_t worker;

	if (!h)
		return 93;
	err = aios_open(h);
	if (!err)
		err = aios_register(h, "coder", AIOS_PRIO_NORMAL, &id);
	if (err) {
		fprintf(stderr, "coder: %s\n", aios_errmsg(h));
		return 94;
	}
	worker = fork();
	if (worker < 0)
		return 95;
	if (worker == 0) {
		/* The helper's process: idle until a signal ends it. */
		for (;;)
			pause();
	}
	so.pidfd = syscall(SYS_pidfd_open, worker, 0);
	if (so.pidfd < 0) {
		perror("coder: pidfd_open");
		return 95;
	}
	fd = aios_spawn_fd(h, &so, &helper);
	close(so.pidfd);
	if (fd < 0) {
		fprintf(stderr, "coder: spawn: %s\n", aios_errmsg(h));
		return 95;
	}
	child_send(from, "%" PRIu64 " %" PRIu64, id, helper);

	/* First attempt: coder lacks KILL_AGENT. */
	child_wait(to);
	err = aios_kill(h, helper, SIGTERM, 0);
	if (err != -EPERM) {
		fprintf(stderr, "coder: kill without KILL_AGENT gave %d, not -EPERM\n",
			err);
		return 96;
	}
	say("coder: kill of agent %" PRIu64 " denied: %s\n", helper,
	    aios_errmsg(h));
	if (aios_last_denial(h, &den)) {
		fprintf(stderr, "coder: last denial: %s\n", aios_errmsg(h));
		return 97;
	}
	say("coder: AIOS_IOC_LAST_DENIAL: op=%s op_id=%llu reason=\"%s\"\n",
	    aios_op_name(den.op) ? aios_op_name(den.op) : "?",
	    (unsigned long long)den.op_id, den.reason);
	child_send(from, "%llu %s", (unsigned long long)den.op_id, den.reason);

	/* Second attempt, after the administrator's grant. */
	child_wait(to);
	err = aios_kill(h, helper, SIGTERM, 0);
	if (err) {
		fprintf(stderr, "coder: kill after grant: %s\n", aios_errmsg(h));
		return 98;
	}
	if (waitpid(worker, &status, 0) != worker || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGTERM) {
		fprintf(stderr, "coder: helper process did not die of SIGTERM\n");
		return 99;
	}
	say("coder: killed agent %" PRIu64 " (coder.helper); its process %d got SIGTERM\n",
	    helper, (int)worker);
	child_send(from, "killed");
	child_wait(to);
	close(fd);
	aios_close(h);
	return 0;
}

enum child_kind { KIND_IDLE, KIND_CODER };

static int start_child(struct demo *d, struct child *c, enum child_kind kind,
		       const char *name, unsigned int prio)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		drop_privileges();
		if (kind == KIND_CODER)
			_exit(run_coder(down[0], up[1]));
		_exit(run_idle_agent(down[0], up[1], name, prio));
	}
	close(down[0]);
	close(up[1]);
	c->to = down[1];
	c->from = up[0];
	return 0;
}

/* Read one line the child sent; fails if the child died first. */
static int child_line(struct demo *d, struct child *c, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(c->from, buf + n, 1);

		if (r <= 0)
			return fail(d, "agent process %d ended unexpectedly",
				    c->pid);
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

static int child_go(struct demo *d, struct child *c)
{
	if (write(c->to, "g", 1) != 1)
		return fail(d, "agent process %d is gone", c->pid);
	return 0;
}

static int child_reap(struct demo *d, struct child *c, const char *name)
{
	int status;

	if (waitpid(c->pid, &status, 0) != c->pid)
		return fail(d, "waitpid %s: %s", name, strerror(errno));
	close(c->to);
	close(c->from);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "agent %s exited with status 0x%x", name, status);
	return 0;
}

/* Is agent id in the registry? 1 yes, 0 no, <0 error. */
static int agent_present(struct demo *d, uint64_t id)
{
	struct aios_agent a;
	int err = aios_agent_get(d->admin, id, &a);

	if (!err)
		return a.state == AIOS_AGENT_LIVE;
	if (err == -ESRCH || err == -ENOENT)
		return 0;
	return fail(d, "agent get %" PRIu64 ": %s", id, aios_errmsg(d->admin));
}

/* Wait (bounded) for the AGENT_DEL event of agent id. */
static int await_del_event(struct demo *d, uint64_t id, uint32_t *reason)
{
	struct aios_event e;
	int i, r;

	for (i = 0; i < 200; i++) {
		r = aios_events_next(d->ev, &e, 50);
		if (r < 0)
			return fail(d, "events: %s", aios_events_errmsg(d->ev));
		if (r == 1 && e.type == AIOS_EVENT_AGENT_DEL &&
		    e.agent.id == id) {
			*reason = e.has_reason ? e.reason : UINT32_MAX;
			return 0;
		}
	}
	return fail(d, "no AGENT_DEL event for agent %" PRIu64, id);
}

static int scenario(struct demo *d)
{
	struct child planner, coder, tester;
	struct aios_status st;
	char line[256], reason[160];
	uint64_t planner_id, coder_id, helper_id, tester_id;
	unsigned long long op_id;
	uint64_t caps;
	uint32_t why;
	char *end;

	step(d, "the module answers: version, features, audit ring");
	if (aios_status(d->admin, &st))
		return fail(d, "status: %s", aios_errmsg(d->admin));
	if (st.api_version != AIOS_API_VERSION)
		return fail(d, "kernel speaks API %u, demo was built for %u",
			    st.api_version, AIOS_API_VERSION);
	if (aiosctl(d, "status"))
		return fail(d, "aiosctl status failed");

	step(d, "three agents register with different priorities");
	if (start_child(d, &planner, KIND_IDLE, "planner", AIOS_PRIO_CRITICAL) ||
	    child_line(d, &planner, line, sizeof(line)))
		return -1;
	planner_id = strtoull(line, NULL, 10);
	if (start_child(d, &coder, KIND_CODER, "coder", AIOS_PRIO_NORMAL) ||
	    child_line(d, &coder, line, sizeof(line)))
		return -1;
	coder_id = strtoull(line, &end, 10);
	helper_id = strtoull(end, NULL, 10);
	if (start_child(d, &tester, KIND_IDLE, "tester", AIOS_PRIO_LOW) ||
	    child_line(d, &tester, line, sizeof(line)))
		return -1;
	tester_id = strtoull(line, NULL, 10);
	say("registered planner=%" PRIu64 " coder=%" PRIu64
	    " (spawned coder.helper=%" PRIu64 ") tester=%" PRIu64 "\n",
	    planner_id, coder_id, helper_id, tester_id);
	if (!planner_id || !coder_id || !helper_id || !tester_id ||
	    planner_id == coder_id || coder_id == tester_id)
		return fail(d, "agent ids are not distinct and non-zero");
	if (aios_caps_get(d->admin, coder_id, &caps))
		return fail(d, "caps get: %s", aios_errmsg(d->admin));
	if (caps != st.default_caps)
		return fail(d, "coder has caps 0x%" PRIx64 ", default is 0x%" PRIx64,
			    caps, st.default_caps);
	if (aiosctl(d, "agents"))
		return fail(d, "aiosctl agents failed");

	step(d, "a denied operation and its reason");
	if (child_go(d, &coder) || child_line(d, &coder, line, sizeof(line)))
		return -1;
	if (sscanf(line, "%llu %159[^\n]", &op_id, reason) != 2)
		return fail(d, "coder reported \"%s\"", line);
	if (!strstr(reason, "KILL_AGENT"))
		return fail(d, "denial reason \"%s\" does not name KILL_AGENT",
			    reason);
	if (agent_present(d, helper_id) != 1)
		return fail(d, "the denied kill removed agent %" PRIu64,
			    helper_id);
	if (aiosctl(d, "audit --op %llu", op_id))
		return fail(d, "aiosctl audit --op failed");

	step(d, "the administrator grants KILL_AGENT; the kill now succeeds");
	if (aiosctl(d, "--yes caps grant %" PRIu64 " KILL_AGENT", coder_id))
		return fail(d, "aiosctl caps grant failed");
	if (aios_caps_get(d->admin, coder_id, &caps) ||
	    !(caps & AIOS_CAP_KILL_AGENT))
		return fail(d, "grant did not give coder KILL_AGENT");
	if (child_go(d, &coder) || child_line(d, &coder, line, sizeof(line)))
		return -1;
	if (strcmp(line, "killed"))
		return fail(d, "coder reported \"%s\"", line);
	if (await_del_event(d, helper_id, &why))
		return -1;
	say("event: agent %" PRIu64 " removed (%s)\n", helper_id,
	    aios_exit_reason_name(why) ? aios_exit_reason_name(why) : "?");
	if (why != AIOS_EXIT_KILLED)
		return fail(d, "helper's exit reason is %u, not killed", why);
	if (aiosctl(d, "caps show %" PRIu64, coder_id))
		return fail(d, "aiosctl caps show failed");

	step(d, "an agent process is SIGKILLed: aios cleans up after it");
	if (kill(tester.pid, SIGKILL))
		return fail(d, "kill tester: %s", strerror(errno));
	waitpid(tester.pid, NULL, 0);
	close(tester.to);
	close(tester.from);
	if (await_del_event(d, tester_id, &why))
		return -1;
	say("event: agent %" PRIu64 " (tester) removed (%s)\n", tester_id,
	    aios_exit_reason_name(why) ? aios_exit_reason_name(why) : "?");
	if (agent_present(d, tester_id) != 0)
		return fail(d, "agent %" PRIu64 " is still registered",
			    tester_id);
	if (aiosctl(d, "agents"))
		return fail(d, "aiosctl agents failed");

	step(d, "the remaining agents exit; the registry is empty again");
	if (child_go(d, &coder) || child_reap(d, &coder, "coder") ||
	    child_go(d, &planner) || child_reap(d, &planner, "planner"))
		return -1;
	if (agent_present(d, coder_id) != 0 || agent_present(d, planner_id) != 0)
		return fail(d, "agents outlived their processes");

	if (demo_queues(d) || demo_gpu(d) || demo_ipc(d) || demo_memory(d) ||
	    demo_runs(d) || demo_sandbox(d))
		return -1;

	step(d, "the system after the scenario, and the audit trail");
	unsetenv("AIOS_SOCKET");	/* the demo's aiosd instances are gone */
	if (aiosctl(d, "status"))
		return fail(d, "aiosctl status failed");
	if (aiosctl(d, "audit --limit 16"))
		return fail(d, "aiosctl audit failed");
	return 0;
}

int main(int argc, char **argv)
{
	struct demo d = {
		.aiosctl = argc > 1 ? argv[1] : "aiosctl",
		.aiosd = argc > 2 ? argv[2] : "aiosd",
	};
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "demo: must run as root (it plays the administrator)\n");
		return 2;
	}
	say("aios demo: agents, capabilities, queues, GPUs, messages, memory, runs, tools and the audit trail\n");
	d.admin = aios_new();
	if (!d.admin)
		return 1;
	err = aios_events_open(d.admin, AIOS_EVENTS_GROUP_EVENTS, &d.ev);
	if (err) {
		fprintf(stderr, "demo: events: %s\n", aios_errmsg(d.admin));
		return 1;
	}
	err = scenario(&d);
	aios_events_close(d.ev);
	aios_close(d.admin);
	if (err)
		return 1;
	say("\ndemo: OK (%d steps)\n", d.steps);
	return 0;
}
