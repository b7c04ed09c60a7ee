// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd - the aios userspace daemon: memory store over a Unix socket.
 *
 * aiosd [-c CONFIG] [-s SOCKET] [-d STORE_DIR] [--memory-only] [--recover]
 *       [--config-sha256 HEX|@FILE] [--config-check refuse|warn|off]
 *
 * Settings: built-in defaults < CONFIG (JSON) < AIOS_* environment <
 * command line (Documentation/aiosd-config.md).  The config file's
 * SHA-256 is logged and checked against a recorded value.  Runs in the
 * foreground; with NOTIFY_SOCKET set (systemd Type=notify) it reports
 * READY=1 once the socket accepts connections.  SIGHUP reloads the
 * configuration; start-up events go to the boot log (admin.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "bootlog.h"
#include "config.h"
#include "server.h"
#include "runops.h"
#include "store.h"

/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET ('@' = abstract). */
static int sd_notify_raw(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd, r;

	if (!path || !*path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0 ?
		-errno : 0;
	close(fd);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: aiosd [-c CONFIG] [-s SOCKET] [-d STORE_DIR] [--memory-only] [--recover]\n"
		"             [--config-sha256 HEX|@FILE] [--config-check refuse|warn|off]\n"
		"  -c, --config FILE   JSON configuration (Documentation/aiosd-config.md)\n"
		"  -s, --socket PATH   Unix socket (default /run/aios/aiosd.sock)\n"
		"  -d, --store-dir DIR store snapshot and log directory\n"
		"      --memory-only   keep the store in memory only (no durability)\n"
		"      --recover       start from the last good record of a damaged store\n"
		"      --config-sha256 HEX|@FILE\n"
		"                      the recorded SHA-256 of CONFIG (or a file holding it,\n"
		"                      sha256sum format); also $AIOS_CONFIG_SHA256\n"
		"      --config-check refuse|warn|off\n"
		"                      on a mismatch: refuse to start (default when a hash\n"
		"                      is recorded), warn, or do not compare; also\n"
		"                      $AIOS_CONFIG_CHECK (the stricter of this and the\n"
		"                      file's config_check applies)\n"
		"Environment overrides (every key has one): AIOS_SOCKET, AIOS_STORE_DIR,\n"
		"AIOS_RUNS_DIR, AIOS_RUNS_FSYNC, AIOS_MODELS, AIOS_MAX_SIZE_MB, AIOS_K_THRESHOLD,\n"
		"AIOS_FSYNC (always|batched|never), AIOS_FSYNC_INTERVAL_MS, AIOS_LOG_LEVEL, ...\n"
		"SIGHUP reloads the configuration (what cannot change at run time is\n"
		"reported as needing a restart).\n");
}

/* The operations state, for the notify hook: boot log events when the
 * server starts serving and when it stops. */
static struct aiosd_admin *the_admin;
static const struct aiosd_config *the_cfg;

static int notify(const char *state)
{
	struct bootlog *bl = admin_bootlog(the_admin);

	if (bl && !strncmp(state, "READY=1", 7)) {
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o", the_cfg->socket_mode);
		bootlog_event(bl, 2, "aiosd", "serving",
			      json_pack("{s:s, s:s, s:i}", "socket", the_cfg->socket,
					"socket_mode", mode, "pid", (int)getpid()),
			      "serving %s (protocol %d)", the_cfg->socket, AIOSD_PROTO_VERSION);
		bootlog_sync(bl);
	} else if (bl && !strncmp(state, "STOPPING=1", 10)) {
		bootlog_event(bl, 2, "aiosd", "stopping", NULL, "shutting down");
	}
	return sd_notify_raw(state);
}

/* Boot log of a start that is refused before the daemon state exists. */
static void boot_refused(const struct admin_loaded *l, const char *cfile, const char *why)
{
	char path[600];
	struct bootlog *bl = NULL;
	char err[600];

	admin_bootlog_path(&l->cfg, path, sizeof(path));
	if (!path[0])
		return;
	if (bootlog_open(path, l->cfg.bootlog_boots, &bl, err, sizeof(err)) || !bl) {
		bootlog_close(bl);
		return;
	}
	bootlog_event(bl, 2, "aiosd", "start",
		      json_pack("{s:s, s:i, s:i}", "version", AIOSD_VERSION,
				"protocol", AIOSD_PROTO_VERSION, "pid", (int)getpid()),
		      "aiosd %s starting", AIOSD_VERSION);
	bootlog_event(bl, 0, "aiosd", "refused",
		      json_pack("{s:s?, s:s, s:s, s:s}", "config", cfile, "sha256", l->sha256,
				"recorded_sha256", l->expected, "error", why),
		      "%s", why);
	bootlog_close(bl);
}

static void mkdir_parents(const char *path)
{
	char p[600];

	snprintf(p, sizeof(p), "%s", path);
	for (char *q = p + 1; (q = strchr(q, '/')); q++) {
		*q = 0;
		mkdir(p, 0755);
		*q = '/';
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "store-dir", required_argument, NULL, 'd' },
		{ "memory-only", no_argument, NULL, 'm' },
		{ "recover", no_argument, NULL, 'r' },
		{ "config-sha256", required_argument, NULL, 'H' },
		{ "config-check", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct admin_loaded loaded;
	static struct aiosd_config cfg;
	struct admin_source src = { 0 };
	struct aios_store_config sc;
	struct aios_store_open_report rep;
	struct server_info info = { .notify = notify };
	struct aios_store *st;
	struct aios_runops *runs = NULL;
	struct aiosd_admin *adm;
	struct bootlog *bl = NULL;
	char err[1024], blpath[600];
	json_t *envs;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:s:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			src.config_path = optarg;
			break;
		case 's':
			src.socket = optarg;
			break;
		case 'd':
			src.store_dir = optarg;
			break;
		case 'm':
			src.memory_only = true;
			break;
		case 'r':
			src.recover = true;
			break;
		case 'H':
			src.expect = optarg;
			break;
		case 'C':
			src.check = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!src.expect && getenv("AIOS_CONFIG_SHA256") && *getenv("AIOS_CONFIG_SHA256"))
		src.expect = getenv("AIOS_CONFIG_SHA256");
	if (!src.check && getenv("AIOS_CONFIG_CHECK") && *getenv("AIOS_CONFIG_CHECK"))
		src.check = getenv("AIOS_CONFIG_CHECK");
	r = admin_load(&src, &loaded, err, sizeof(err));
	if (r) {
		fprintf(stderr, "aiosd: error: configuration: %s\n", err);
		if (r == -EPERM) {
			fprintf(stderr, "aiosd: error: refusing to start\n");
			boot_refused(&loaded, src.config_path, err);
		}
		sd_notify_raw("STATUS=configuration refused");
		return 1;
	}
	cfg = loaded.cfg;
	the_cfg = &cfg;
	aiosd_log_level = cfg.log_level;
	if (src.config_path)
		aiosd_log(loaded.mismatch_warned ? 1 : 2, "configuration %s: sha256 %s, check %s: %s",
			  src.config_path, loaded.sha256, loaded.policy, loaded.check);
	if (cfg.store_dir[0])
		/* the parents of the store directory (not the dir itself:
		 * the store creates it with mode 0700) */
		mkdir_parents(cfg.store_dir);
	admin_bootlog_path(&cfg, blpath, sizeof(blpath));
	if (blpath[0])
		mkdir_parents(blpath);
	if (bootlog_open(blpath, cfg.bootlog_boots, &bl, err, sizeof(err)))
		aiosd_log(1, "boot log: %s; keeping this boot's events in memory only", err);
	if (!bl) {
		aiosd_log(0, "out of memory");
		return 1;
	}
	adm = admin_new(&src, &loaded, &cfg, bl);
	if (!adm) {
		bootlog_close(bl);
		aiosd_log(0, "out of memory");
		return 1;
	}
	the_admin = adm;
	info.admin = adm;
	bootlog_event(bl, 2, "aiosd", "start",
		      json_pack("{s:s, s:i, s:i, s:i}", "version", AIOSD_VERSION,
				"protocol", AIOSD_PROTO_VERSION, "pid", (int)getpid(),
				"uid", (int)getuid()),
		      "aiosd %s starting (boot %llu)", AIOSD_VERSION,
		      (unsigned long long)bootlog_boot_id(bl));
	envs = json_array();
	for (size_t i = 0; i < config_nkeys(); i++)
		if (config_key_env(i) && getenv(config_key_env(i)))
			json_array_append_new(envs, json_string(config_key_env(i)));
	bootlog_event(bl, loaded.mismatch_warned ? 1 : 2, "aiosd", "config",
		      json_pack("{s:s?, s:s, s:s, s:s, s:s, s:o, s:o}", "path", src.config_path,
				"sha256", loaded.sha256, "recorded_sha256", loaded.expected,
				"check", loaded.policy, "check_result", loaded.check,
				"env_overrides", envs, "effective", config_to_json(&cfg)),
		      "configuration %s%s%s: %s", src.config_path ? src.config_path : "(none: defaults)",
		      loaded.sha256[0] ? " sha256 " : "", loaded.sha256, loaded.check);
	config_store(&cfg, &sc);
	r = aios_store_open(&sc, &st, &rep, err, sizeof(err));
	if (r) {
		aiosd_log(0, "cannot open the memory store: %s", err);
		bootlog_event(bl, 0, "aiosd", "store", json_pack("{s:s, s:s}", "dir", cfg.store_dir,
								 "error", err),
			      "cannot open the memory store: %s", err);
		bootlog_event(bl, 0, "aiosd", "refused", NULL, "the memory store did not open");
		sd_notify_raw("STATUS=cannot open the memory store");
		admin_free(adm);
		return 1;
	}
	aiosd_log(2, "memory store: %s (max %llu MiB, k_threshold %.2f, fsync %s)",
		  cfg.store_dir[0] ? rep.message : "in memory only, nothing survives a restart",
		  (unsigned long long)cfg.max_size_mb, cfg.k_threshold,
		  config_fsync_name(cfg.fsync));
	{
		struct aios_store_stats ss;

		aios_store_stats(st, &ss);
		bootlog_event(bl, rep.dropped_bytes ? 1 : 2, "aiosd", "store",
			      json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
					"dir", cfg.store_dir, "snapshot_loaded", rep.snapshot_loaded,
					"snapshot_items", (json_int_t)rep.snapshot_items,
					"snapshot_seq", (json_int_t)rep.snapshot_seq,
					"log_records", (json_int_t)rep.log_records,
					"torn_bytes", (json_int_t)rep.torn_bytes,
					"dropped_bytes", (json_int_t)rep.dropped_bytes,
					"evicted", (json_int_t)rep.evicted,
					"items", (json_int_t)ss.items,
					"agents", (json_int_t)ss.agents),
			      "memory store: %s",
			      cfg.store_dir[0] ? rep.message : "in memory only");
	}
	info.load_report = cfg.store_dir[0] ? rep.message : "in memory only";
	if (!cfg.runs_dir[0])
		info.runs_why = "no runs.dir and no store directory (memory-only)";
	if (cfg.runs_dir[0]) {
		struct aios_runops_opts ro = {
			.state_dir = cfg.runs_dir,
			.models_path = cfg.models[0] ? cfg.models : NULL,
			.deferred_sync = 1,
			.max_inline_pack = cfg.max_message / 2,
		};
		struct aios_rerr re = { 0 };
		static char why[600];

		/* config.c accepts only the names the ledger knows */
		aios_fsync_policy_parse(cfg.runs_fsync, &ro.policy);
		if (aios_runops_open(&ro, &runs, &re)) {
			snprintf(why, sizeof(why), "%s", re.msg);
			info.runs_why = why;
			aiosd_log(1, "runs and contexts disabled: %s", re.msg);
		} else {
			aiosd_log(2, "runs and contexts in %s (fsync %s)", cfg.runs_dir,
				  cfg.runs_fsync);
		}
	}
	info.runs = runs;
	admin_set_stores(adm, st, runs, info.runs_why);
	admin_boot_runs(adm);
	admin_boot_kernel(adm);
	r = server_run(&cfg, st, &info);
	if (r)
		bootlog_event(bl, 0, "aiosd", "refused", json_pack("{s:s, s:i}", "socket", cfg.socket,
								   "errno", -r),
			      "the server did not start (socket %s): %s", cfg.socket, strerror(-r));
	aios_runops_close(runs);
	if (cfg.store_dir[0] && !r) {
		struct aios_store_stats s;

		aios_store_stats(st, &s);
		if (s.log_bytes > 16 && aios_store_snapshot(st))
			aiosd_log(1, "snapshot at shutdown: %s", aios_store_errmsg(st));
	}
	aios_store_close(st);
	aiosd_log(2, "stopped");
	bootlog_event(bl, 2, "aiosd", "stopped", NULL, "stopped%s", r ? " after an error" : "");
	the_admin = NULL;
	admin_free(adm);
	return r ? 1 : 0;
}
