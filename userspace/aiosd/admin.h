/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd operations side: where the configuration comes from and how it is
 * checked (SHA-256 against a recorded value), SIGHUP reload, the boot log
 * and its start-up events, and the socket operations "bootlog",
 * "config.get" and "config.reload" plus the "config", "runs" and "boot"
 * blocks of "status" (Documentation/aiosd-config.md,
 * Documentation/aiosd-protocol.md).
 */
#ifndef AIOSD_ADMIN_H
#define AIOSD_ADMIN_H

#include <jansson.h>
#include <stdbool.h>

#include "bootlog.h"
#include "config.h"
#include "memops.h"
#include "proto.h"
#include "store.h"

#ifndef AIOSD_VERSION
#define AIOSD_VERSION "0.1.0"
#endif

struct aios_runops;

/* Where a configuration comes from, re-read on every reload. */
struct admin_source {
	const char *config_path;	/* -c FILE, NULL: none */
	const char *socket;		/* -s, NULL: not given */
	const char *store_dir;		/* -d */
	bool memory_only;		/* --memory-only */
	bool recover;			/* --recover */
	const char *expect;		/* --config-sha256 HEX|@FILE, else
					 * $AIOS_CONFIG_SHA256, NULL: none */
	const char *check;		/* --config-check, else
					 * $AIOS_CONFIG_CHECK, NULL: none */
};

/* Result of loading and checking a configuration. */
struct admin_loaded {
	struct aiosd_config cfg;
	char sha256[CONFIG_SHA256_HEX];	/* "" without a config file */
	char expected[CONFIG_SHA256_HEX];	/* "" when none recorded */
	char policy[8];			/* refuse | warn | off (effective) */
	char check[200];		/* what the check found */
	bool mismatch_warned;
};

/*
 * Defaults, the config file (hashed), AIOS_* environment, command line,
 * the derived defaults (runs.dir next to store.dir, the boot log path),
 * full validation, then the SHA-256 check.  0, or -EINVAL (bad
 * configuration), -EPERM (hash mismatch under "refuse") with err set.
 */
int admin_load(const struct admin_source *src, struct admin_loaded *out,
	       char *err, size_t errlen);

struct aiosd_admin;

/*
 * The daemon's operations state over the running cfg (which reloads
 * change in place; the server reads it), the store and runs (NULL when
 * disabled, runs_why says why).  bl is taken over (closed by
 * admin_free).
 */
struct aiosd_admin *admin_new(const struct admin_source *src,
			      const struct admin_loaded *loaded,
			      struct aiosd_config *cfg, struct bootlog *bl);
void admin_set_stores(struct aiosd_admin *a, struct aios_store *st,
		      struct aios_runops *runs, const char *runs_why);
void admin_free(struct aiosd_admin *a);
struct bootlog *admin_bootlog(struct aiosd_admin *a);

/* The boot log path a configuration implies ("" = memory only). */
void admin_bootlog_path(const struct aiosd_config *c, char *out, size_t len);

/* Start-up events: the kernel module (sysfs, netlink status, GPUs). */
void admin_boot_kernel(struct aiosd_admin *a);
/* ... the runs directory. */
void admin_boot_runs(struct aiosd_admin *a);
/* ... the tool sandbox and eBPF audit status blocks (both stolen). */
void admin_boot_tools(struct aiosd_admin *a, json_t *sandbox, json_t *audit);

/*
 * SIGHUP (or "config.reload"): re-read and check the configuration; if
 * it is bad keep the running one entirely, else apply what can change at
 * run time and log, per changed key, "applied" or "needs a restart".
 * Returns the result object (caller decrefs).
 */
json_t *admin_reload(struct aiosd_admin *a, const char *why);

/* 1 if op is one of "bootlog", "config.get", "config.reload". */
int admin_owns(const char *op);
json_t *admin_handle(struct aiosd_admin *a, const struct client_id *who,
		     struct proto_req *req);
/* Add the "config", "runs" and "boot" blocks to a status reply. */
void admin_status(struct aiosd_admin *a, json_t *reply, const struct client_id *who);

#endif
