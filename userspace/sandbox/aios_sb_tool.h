/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: tool manifests.  A tool is a JSON object:
 *
 *   { "name": "grep",                       [a-z0-9_.-], 1..64 bytes
 *     "type": "exec",                       only "exec"
 *     "description": "search text",
 *     "command": ["/usr/bin/grep", "-n", "--"],  fixed argv prefix
 *     "permission": "READ_ONLY",            READ_ONLY READ_WRITE NETWORK ADMIN
 *     "sandboxed": true,
 *     "confirm": false,                     write actions need confirmation
 *     "allow_options": false,               caller args may start with '-'
 *     "max_args": 16,
 *     "limits": { "memory_mb": 128, "pids": 32, "cpu_pct": 100,
 *                 "timeout_ms": 10000, "stdout_max": 65536,
 *                 "stderr_max": 65536 },
 *     "paths": { "ro": ["/srv/data"], "rw": ["/srv/out"] } }
 *
 * Unknown keys, wrong types and out-of-range values are errors.  Caller
 * arguments are appended to "command" as argv entries: there is no shell.
 */
#ifndef AIOS_SB_TOOL_H
#define AIOS_SB_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aios_sandbox.h"

enum aios_sb_perm {
	AIOS_SB_PERM_READ_ONLY = 0,
	AIOS_SB_PERM_READ_WRITE,
	AIOS_SB_PERM_NETWORK,
	AIOS_SB_PERM_ADMIN,
};

struct aios_sb_tool {
	char name[65];
	char *description;
	char **command;			/* NULL-terminated */
	unsigned int n_command;
	enum aios_sb_perm permission;
	bool sandboxed, confirm, allow_options;
	unsigned int max_args;
	uint64_t memory_max;
	uint32_t pids_max, cpu_pct, timeout_ms;
	size_t stdout_max, stderr_max;
	char **ro_paths, **rw_paths;	/* NULL-terminated, may be empty */
};

int aios_sb_tool_parse(const char *json, size_t len, struct aios_sb_tool **tp,
		       char *msg, size_t msglen);
int aios_sb_tool_load(const char *path, struct aios_sb_tool **tp, char *msg,
		      size_t msglen);
void aios_sb_tool_free(struct aios_sb_tool *t);
const char *aios_sb_perm_name(enum aios_sb_perm p);
/*
 * Builds a request for a call with args (NULL-terminated) by an agent whose
 * permission level is perm: *argvp (free with free()) holds command + args.
 * Checks the permission, the argument count, options and control bytes.
 */
int aios_sb_tool_request(const struct aios_sb_tool *t, const char *const *args,
			 enum aios_sb_perm perm, struct aios_sb_request *rq,
			 char ***argvp, char *msg, size_t msglen);

#endif
