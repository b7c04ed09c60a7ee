/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-demo: shared state and narration helpers of the demo steps.
 */
#ifndef AIOS_DEMO_H
#define AIOS_DEMO_H

#include <aios.h>
#include <sys/types.h>

#define DEMO_UID	1000	/* agents run unprivileged */

struct demo {
	const char *aiosctl;	/* path of the aiosctl binary */
	const char *aiosd;	/* path of the aiosd binary */
	struct aios *admin;	/* netlink handle of the administrator */
	struct aios_events *ev;	/* "events" subscription */
	int steps;
};

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start the next numbered step and print its title. */
void step(struct demo *d, const char *title);
/* Name the step that misbehaved on stderr; returns -1. */
int fail(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Show and run "aiosctl ARGS"; returns its exit status. */
int aiosctl(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* setresuid/setresgid to DEMO_UID or _exit(). */
void drop_privileges(void);

/* A private aiosd (daemon.c): state directory, socket, process. */
struct demo_aiosd {
	char dir[64];		/* state directory (store/, runs/, contexts/) */
	char sock[96];		/* its socket */
	const char *tools_dir;	/* tool manifests, NULL: no tools */
	pid_t pid;		/* -1: not running */
};

int demo_aiosd_init(struct demo *d, struct demo_aiosd *a, const char *tools_dir);
int demo_aiosd_start(struct demo *d, struct demo_aiosd *a);
/* SIGTERM and check the clean exit. */
int demo_aiosd_stop(struct demo *d, struct demo_aiosd *a);
/* SIGKILL a still running aiosd (error paths). */
void demo_aiosd_cleanup(struct demo_aiosd *a);
/* In an agent process: register / open a session as that agent, or _exit. */
struct aios *demo_agent_register(const char *name);
struct aios_session *demo_agent_session(const char *sock, struct aios *h);
/* The administrator's session (uid 0); NULL after fail(). */
struct aios_session *demo_admin_session(struct demo *d, const char *sock);

/* The memory-store steps (memory.c). */
int demo_memory(struct demo *d);
/* The task queue steps (queue.c). */
int demo_queues(struct demo *d);
/* The typed IPC step (ipc.c). */
int demo_ipc(struct demo *d);
/* The GPU claim steps (gpu.c). */
int demo_gpu(struct demo *d);
/* The sandbox step (sandbox.c). */
int demo_sandbox(struct demo *d);
/* The run steps: ledger, episode, LTM, kill, resume pack (runs.c). */
int demo_runs(struct demo *d);

#endif
