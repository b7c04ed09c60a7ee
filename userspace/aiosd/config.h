/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd configuration: built-in defaults, then a JSON file, then AIOS_*
 * environment variables, then command-line options.  Unknown keys, wrong
 * types and out-of-range values are errors that name the key by its JSON
 * path ("$.store.fsync").  Documentation/aiosd-config.md lists every key;
 * Documentation/aiosd.config.schema.json is the same as a JSON Schema.
 *
 * Shared with aiosctl ("aiosctl config check|hash"): no daemon state here.
 */
#ifndef AIOSD_CONFIG_H
#define AIOSD_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define CONFIG_SHA256_HEX	65	/* 64 hex digits and a NUL */
#define CONFIG_MAX_FILE		(1u << 20)	/* bytes of a config file */

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
	/* tools and the eBPF audit (toolops.c) */
	char tools_dir[512];		/* tool manifests (*.json) */
	char tools_policy[512];		/* per-agent policy JSON, "" = none */
	uint32_t tools_pool_size;	/* warm sandboxes */
	uint32_t tools_max_calls;	/* running + parked calls */
	uint32_t tools_confirm_timeout_s;
	bool tools_owner_confirm;	/* the caller's owner may confirm */
	char tools_allow_weak[128];	/* protections that may be missing */
	char tools_cgroup[256];		/* sandbox cgroup parent, "" = auto */
	uint32_t tools_audit_ledger_max;	/* audit records per call */
	char audit_ebpf[8];		/* auto | on | off */
	char audit_lsm[8];		/* auto | on | off */
	char config_check[8];		/* refuse | warn | off; "" = not set */
	char bootlog[512];		/* boot log file; "" = state dir default */
	uint32_t bootlog_boots;		/* boots kept in the boot log */
	char http_tokens[512];		/* HTTP front tokens file (tokens.c);
					 * "" = store.dir/../http-tokens */
};

/* How a changed key takes effect on SIGHUP. */
enum config_apply {
	CONFIG_RUNTIME,		/* applied by a reload */
	CONFIG_RESTART,		/* needs a restart of aiosd */
};

void config_defaults(struct aiosd_config *c);

/* Read a config file (at most CONFIG_MAX_FILE bytes) into a malloc'd
 * buffer.  0 or -errno with err set ("PATH: why"). */
int config_read_file(const char *path, char **buf, size_t *len, char *err,
		     size_t errlen);
/* Lower-case hex SHA-256 of buf[0..len) into hex[CONFIG_SHA256_HEX]. */
int config_sha256_hex(const void *buf, size_t len, char *hex);
/*
 * Parse a JSON configuration over c; origin names it in errors.  0 or
 * -EINVAL with err set: "ORIGIN: $.path: problem" (or "ORIGIN:LINE:COL:
 * problem" for JSON syntax).
 */
int config_load_buf(struct aiosd_config *c, const char *buf, size_t len,
		    const char *origin, char *err, size_t errlen);
/*
 * config_read_file + config_load_buf; sha256 (optional, CONFIG_SHA256_HEX
 * bytes) gets the hash of exactly the bytes that were parsed.
 */
int config_load_file_hash(struct aiosd_config *c, const char *path,
			  char *sha256, char *err, size_t errlen);
int config_load_file(struct aiosd_config *c, const char *path, char *err,
		     size_t errlen);
/* Apply AIOS_* environment variables.  0 or -EINVAL with err set. */
int config_load_env(struct aiosd_config *c, char *err, size_t errlen);
/* Cross-field checks.  0 or -EINVAL with err set ("$.key: why"). */
int config_validate(const struct aiosd_config *c, char *err, size_t errlen);
/* The store settings derived from c (dir points into c). */
void config_store(const struct aiosd_config *c, struct aios_store_config *sc);
const char *config_fsync_name(enum aios_fsync f);
const char *config_level_name(int level);

/* The effective configuration in the file's shape (every key). */
json_t *config_to_json(const struct aiosd_config *c);

/* The keys, for reload diffs: index 0 .. config_nkeys() - 1. */
size_t config_nkeys(void);
const char *config_key_name(size_t i);	/* "store.fsync" */
const char *config_key_env(size_t i);	/* "AIOS_FSYNC" */
enum config_apply config_key_apply(size_t i);
bool config_key_equal(const struct aiosd_config *a,
		      const struct aiosd_config *b, size_t i);
/* Copy key i's value from src to dst. */
void config_key_copy(struct aiosd_config *dst, const struct aiosd_config *src,
		     size_t i);
/* Key i's value as JSON. */
json_t *config_key_json(const struct aiosd_config *c, size_t i);

#endif
