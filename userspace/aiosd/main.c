// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd - the aios userspace daemon: memory store over a Unix socket.
 *
 * aiosd [-c CONFIG] [-s SOCKET] [-d STORE_DIR] [--memory-only] [--recover]
 *
 * Settings: built-in defaults < CONFIG (JSON) < AIOS_* environment <
 * command line.  Runs in the foreground; with NOTIFY_SOCKET set (systemd
 * Type=notify) it reports READY=1 once the socket accepts connections.
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

#include "config.h"
#include "server.h"
#include "runops.h"
#include "store.h"

/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET ('@' = abstract). */
static int notify(const char *state)
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
		"  -c, --config FILE   JSON configuration (see Documentation/aiosd-protocol.md)\n"
		"  -s, --socket PATH   Unix socket (default /run/aios/aiosd.sock)\n"
		"  -d, --store-dir DIR store snapshot and log directory\n"
		"      --memory-only   keep the store in memory only (no durability)\n"
		"      --recover       start from the last good record of a damaged store\n"
		"Environment overrides: AIOS_SOCKET, AIOS_STORE_DIR, AIOS_RUNS_DIR, AIOS_RUNS_FSYNC,\n"
		"AIOS_MODELS, AIOS_MAX_SIZE_MB,\n"
		"AIOS_K_THRESHOLD, AIOS_FSYNC (always|batched|never), AIOS_FSYNC_INTERVAL_MS, ...\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "store-dir", required_argument, NULL, 'd' },
		{ "memory-only", no_argument, NULL, 'm' },
		{ "recover", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct aiosd_config cfg;
	struct aios_store_config sc;
	struct aios_store_open_report rep;
	struct server_info info = { .notify = notify };
	struct aios_store *st;
	struct aios_runops *runs = NULL;
	const char *cfile = NULL, *sock = NULL, *dir = NULL;
	bool memonly = false, recover = false;
	char err[1024];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:s:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfile = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm':
			memonly = true;
			break;
		case 'r':
			recover = true;
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
	config_defaults(&cfg);
	if (cfile && config_load_file(&cfg, cfile, err, sizeof(err))) {
		fprintf(stderr, "aiosd: %s\n", err);
		return 1;
	}
	if (config_load_env(&cfg, err, sizeof(err))) {
		fprintf(stderr, "aiosd: %s\n", err);
		return 1;
	}
	if (sock && snprintf(cfg.socket, sizeof(cfg.socket), "%s", sock) >= (int)sizeof(cfg.socket)) {
		fprintf(stderr, "aiosd: socket path too long\n");
		return 1;
	}
	if (dir && snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s", dir) >=
		   (int)sizeof(cfg.store_dir)) {
		fprintf(stderr, "aiosd: store directory path too long\n");
		return 1;
	}
	if (memonly)
		cfg.store_dir[0] = 0;
	if (recover)
		cfg.recover = true;
	if (config_validate(&cfg, err, sizeof(err))) {
		fprintf(stderr, "aiosd: configuration: %s\n", err);
		return 1;
	}
	aiosd_log_level = cfg.log_level;
	if (cfg.store_dir[0]) {
		/* create the parents of the store directory (not the dir
		 * itself: the store does that with mode 0700) */
		char p[sizeof(cfg.store_dir)];

		snprintf(p, sizeof(p), "%s", cfg.store_dir);
		for (char *q = p + 1; (q = strchr(q, '/')); q++) {
			*q = 0;
			mkdir(p, 0755);
			*q = '/';
		}
	}
	config_store(&cfg, &sc);
	r = aios_store_open(&sc, &st, &rep, err, sizeof(err));
	if (r) {
		aiosd_log(0, "cannot open the memory store: %s", err);
		notify("STATUS=cannot open the memory store");
		return 1;
	}
	aiosd_log(2, "memory store: %s (max %llu MiB, k_threshold %.2f, fsync %s)",
		  cfg.store_dir[0] ? rep.message : "in memory only, nothing survives a restart",
		  (unsigned long long)cfg.max_size_mb, cfg.k_threshold,
		  config_fsync_name(cfg.fsync));
	info.load_report = cfg.store_dir[0] ? rep.message : "in memory only";
	/* by default runs live next to the store: /var/lib/aios/{store,runs} */
	if (!cfg.runs_dir[0] && cfg.store_dir[0]) {
		char *slash;

		snprintf(cfg.runs_dir, sizeof(cfg.runs_dir), "%s", cfg.store_dir);
		slash = strrchr(cfg.runs_dir, '/');
		if (slash && slash != cfg.runs_dir)
			*slash = 0;
		else
			cfg.runs_dir[0] = 0;
	}
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

		if (aios_fsync_policy_parse(cfg.runs_fsync, &ro.policy)) {
			aiosd_log(0, "configuration: runs.fsync must be always, group or none, not \"%s\"",
				  cfg.runs_fsync);
			aios_store_close(st);
			return 1;
		}
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
	r = server_run(&cfg, st, &info);
	aios_runops_close(runs);
	if (cfg.store_dir[0] && !r) {
		struct aios_store_stats s;

		aios_store_stats(st, &s);
		if (s.log_bytes > 16 && aios_store_snapshot(st))
			aiosd_log(1, "snapshot at shutdown: %s", aios_store_errmsg(st));
	}
	aios_store_close(st);
	aiosd_log(2, "stopped");
	return r ? 1 : 0;
}
