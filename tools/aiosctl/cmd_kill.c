// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl kill ID [--signal SIG] [--pgrp]
 * aiosctl migrate ID CPULIST
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char kill_help[] =
"usage: aiosctl kill ID [--signal SIG] [--pgrp]\n"
"\n"
"Signal the process of agent ID (default SIGKILL) and remove the agent.\n"
"SIG is a number (1..63) or a name (TERM, SIGTERM).  With --pgrp the\n"
"agent's process group is signalled.  Needs CAP_SYS_ADMIN; asks for\n"
"confirmation (or --yes).\n";

static const char migrate_help[] =
"usage: aiosctl migrate ID CPULIST\n"
"\n"
"Set the CPU affinity of every thread of agent ID.  CPULIST is like\n"
"\"0-3,6\" (ranges, single CPUs, optional stride \"0-7:2\").  The set is\n"
"intersected with the agent's cpuset.  Needs CAP_SYS_ADMIN.\n";

static int parse_signal(const char *s, int *sig)
{
	uint64_t v;
	const char *abbrev;
	int i;

	if (!ctl_parse_u64(s, &v)) {
		if (v < 1 || v > 63)
			return -1;
		*sig = (int)v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 1; i < 64; i++) {
		abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s)) {
			*sig = i;
			return 0;
		}
	}
	return -1;
}

int cmd_kill(struct ctl *c, int argc, char **argv)
{
	const char *sigarg = NULL;
	bool pgrp = false;
	const struct ctl_opt opts[] = {
		{ "signal", &sigarg, NULL },
		{ "pgrp", NULL, &pgrp },
	};
	int npos, ret, sig = SIGKILL;
	char *pos[1];
	uint64_t id;
	json_t *o;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 2, pos, 1, &npos,
			    kill_help);
	if (ret)
		return ctl_status(ret);
	if (npos != 1 || ctl_parse_id(c, pos[0], &id))
		return ctl_usage(c, "kill needs one agent id (a number > 0)");
	if (sigarg && parse_signal(sigarg, &sig))
		return ctl_usage(c, "bad signal \"%s\" (a number 1..63 or a name like TERM)",
				 sigarg);
	ret = ctl_confirm(c, "kill agent %llu with SIG%s%s",
			  (unsigned long long)id, sigabbrev_np(sig) ?: "?",
			  pgrp ? " (whole process group)" : "");
	if (ret)
		return ret;
	if (aios_kill(c->h, id, sig, pgrp ? AIOS_KILL_PGRP : 0) < 0)
		return ctl_fail(c);
	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "id", json_integer(id));
			json_object_set_new(o, "killed", json_true());
			json_object_set_new(o, "signal", json_integer(sig));
			json_object_set_new(o, "pgrp", json_boolean(pgrp));
		}
		return ctl_json_print(c, o);
	}
	printf("agent %llu killed (SIG%s%s)\n", (unsigned long long)id,
	       sigabbrev_np(sig) ?: "?", pgrp ? ", process group" : "");
	return EXIT_OK;
}

int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	char *pos[2], list[4096];
	cpu_set_t set;
	uint64_t id;
	int npos, ret, n;
	json_t *o;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 2, &npos,
			    migrate_help);
	if (ret)
		return ctl_status(ret);
	if (npos != 2)
		return ctl_usage(c, "migrate needs ID and CPULIST");
	if (ctl_parse_id(c, pos[0], &id))
		return ctl_usage(c, "bad agent id \"%s\"", pos[0]);
	n = aios_cpulist_parse(pos[1], &set);
	if (n < 0)
		return ctl_usage(c, "bad CPU list \"%s\" (%s; example: 0-3,6)",
				 pos[1], n == -ERANGE ? "CPU number too large" :
				 "syntax error");
	if (aios_migrate(c->h, id, &set) < 0)
		return ctl_fail(c);
	aios_cpulist_format(&set, list, sizeof(list));
	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "id", json_integer(id));
			json_object_set_new(o, "cpus", json_string(list));
		}
		return ctl_json_print(c, o);
	}
	printf("agent %llu migrated to CPUs %s\n", (unsigned long long)id, list);
	return EXIT_OK;
}
