/* SPDX-License-Identifier: GPL-2.0 */
/* aiosd event loop: the Unix socket, connections, identity, dispatch. */
#ifndef AIOSD_SERVER_H
#define AIOSD_SERVER_H

#include "config.h"
#include "store.h"

struct aios_runops;
struct aiosd_admin;

struct server_info {
	const char *load_report;	/* what opening the store did */
	int (*notify)(const char *state);	/* sd_notify, may be NULL */
	struct aios_runops *runs;	/* runs and contexts; NULL = disabled */
	const char *runs_why;		/* why disabled */
	struct aiosd_admin *admin;	/* reload, boot log (admin.c); may be NULL */
};

/*
 * Serve until SIGTERM or SIGINT.  Returns 0 after a clean shutdown, or a
 * negative errno if the socket could not be set up (message on stderr).
 */
int server_run(const struct aiosd_config *cfg, struct aios_store *st,
	       const struct server_info *info);

/* Log a line to stderr if level <= the configured level. */
void aiosd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int aiosd_log_level;

#endif
