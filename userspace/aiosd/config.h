/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd configuration: built-in defaults, then a JSON file, then AIOS_*
 * environment variables, then command-line options.  Unknown keys and
 * out-of-range values are errors that name the key.
 */
#ifndef AIOSD_CONFIG_H
#define AIOSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct aiosd_config {
	char socket[108];
	unsigned int socket_mode;	/* permission bits of the socket */
	char device[256];		/* "/dev/aios" */
	char store_dir[512];		/* "" = memory only */
	uint64_t max_size_mb;		/* 0 = unbounded */
	double k_threshold;
	uint32_t key_max, value_max;
	enum aios_fsync fsync;
	uint32_t fsync_interval_ms;
	uint64_t snapshot_log_mb;	/* snapshot when the log is bigger */
	uint32_t snapshot_interval_s;	/* and at least this often (0: never) */
	uint32_t evict_samples;
	bool recover;
	uint32_t max_message;		/* bytes of one frame's JSON */
	uint32_t max_clients;
	uint32_t idle_timeout_s;	/* close connections silent this long */
	uint32_t message_timeout_s;	/* ... or stuck mid-message this long */
	int log_level;			/* 0 err, 1 warn, 2 info, 3 debug */
	char runs_dir[512];		/* runs/ and contexts/; "" = store.dir/.. */
	char runs_fsync[16];		/* always | group | none */
	char models[512];		/* model table JSON, "" = built-in */
};

void config_defaults(struct aiosd_config *c);
/* Load a JSON file over c.  0 or -errno with err set. */
int config_load_file(struct aiosd_config *c, const char *path, char *err,
		     size_t errlen);
/* Apply AIOS_* environment variables.  0 or -EINVAL with err set. */
int config_load_env(struct aiosd_config *c, char *err, size_t errlen);
/* Cross-field checks.  0 or -EINVAL with err set. */
int config_validate(const struct aiosd_config *c, char *err, size_t errlen);
/* The store settings derived from c (dir points into c). */
void config_store(const struct aiosd_config *c, struct aios_store_config *sc);
const char *config_fsync_name(enum aios_fsync f);

#endif
