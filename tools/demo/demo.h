/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-demo: shared state and narration helpers of the demo steps.
 */
#ifndef AIOS_DEMO_H
#define AIOS_DEMO_H

#include <aios.h>

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

#endif
