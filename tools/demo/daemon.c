// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: a private aiosd per scenario part (its own state directory
 * and socket), and the agent side of a session with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

int demo_aiosd_init(struct demo *d, struct demo_aiosd *a, const char *tools_dir)
{
	memset(a, 0, sizeof(*a));
	a->pid = -1;
	a->tools_dir = tools_dir;
	strcpy(a->dir, "/tmp/aios-demo-XXXXXX");
	if (!mkdtemp(a->dir))
		return fail(d, "mkdtemp: %s", strerror(errno));
	if (chmod(a->dir, 0755))
		return fail(d, "chmod %s: %s", a->dir, strerror(errno));
	snprintf(a->sock, sizeof(a->sock), "%s/aiosd.sock", a->dir);
	return 0;
}

int demo_aiosd_start(struct demo *d, struct demo_aiosd *a)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char store[96];
	int i;

	snprintf(store, sizeof(store), "%s/store", a->dir);
	fflush(stdout);
	a->pid = fork();
	if (a->pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (a->pid == 0) {
		setenv("AIOS_FSYNC", "always", 1);
		setenv("AIOS_RUNS_FSYNC", "always", 1);
		setenv("AIOS_SOCKET_MODE", "0666", 1);
		setenv("AIOS_LOG_LEVEL", "error", 1);
		if (a->tools_dir)
			setenv("AIOS_TOOLS_DIR", a->tools_dir, 1);
		else
			setenv("AIOS_TOOLS_DIR", "/nonexistent", 1);
		execl(d->aiosd, "aiosd", "-s", a->sock, "-d", store, (char *)NULL);
		perror("demo: exec aiosd");
		_exit(127);
	}
	/* up to 60 s: aiosd starts slowly in a TCG VM */
	for (i = 0; i < 1200; i++) {
		struct aios_session *s = aios_session_new();
		int err = s ? aios_session_connect(s, a->sock) : -ENOMEM;

		aios_session_close(s);
		if (!err)
			return 0;
		if (waitpid(a->pid, NULL, WNOHANG) == a->pid) {
			a->pid = -1;
			return fail(d, "aiosd exited at start");
		}
		nanosleep(&ts, NULL);
	}
	return fail(d, "aiosd did not start serving %s", a->sock);
}

int demo_aiosd_stop(struct demo *d, struct demo_aiosd *a)
{
	int status;

	if (a->pid <= 0)
		return 0;
	if (kill(a->pid, SIGTERM))
		return fail(d, "kill aiosd: %s", strerror(errno));
	if (waitpid(a->pid, &status, 0) != a->pid)
		return fail(d, "waitpid aiosd: %s", strerror(errno));
	a->pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "aiosd did not shut down cleanly (0x%x)", status);
	return 0;
}

void demo_aiosd_cleanup(struct demo_aiosd *a)
{
	if (a->pid > 0 && waitpid(a->pid, NULL, WNOHANG) == 0) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, NULL, 0);
	}
	a->pid = -1;
}

struct aios *demo_agent_register(const char *name)
{
	struct aios *h = aios_new();

	if (!h || aios_open(h) || aios_register(h, name, AIOS_PRIO_NORMAL, NULL)) {
		fprintf(stderr, "%s: %s\n", name, h ? aios_errmsg(h) : "out of memory");
		_exit(82);
	}
	return h;
}

struct aios_session *demo_agent_session(const char *sock, struct aios *h)
{
	struct aios_session *s;

	if (aios_session_open(h, sock, &s)) {
		fprintf(stderr, "agent %llu: aiosd session: %s\n",
			(unsigned long long)aios_agent_id(h), aios_session_errmsg(s));
		_exit(80);
	}
	return s;
}

struct aios_session *demo_admin_session(struct demo *d, const char *sock)
{
	struct aios_session *s;

	if (aios_session_open(NULL, sock, &s)) {
		fail(d, "aiosd session: %s", aios_session_errmsg(s));
		aios_session_close(s);
		return NULL;
	}
	return s;
}
