// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl agents [show [ID]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl agents [list]\n"
"       aiosctl agents show ID\n"
"\n"
"List every live agent (id, parent, name, priority, state, pid, uid, CPUs,\n"
"capabilities), or show the agent ID.  Needs no privilege.\n";

static int agent_row(struct table *t, const struct aios_agent *a)
{
	char id[24], parent[24], pid[16], uid[16], caps[256], cpus[256];
	const char *prio = aios_prio_name(a->prio);
	const char *state = aios_state_name(a->state);
	const char *cells[9];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)a->id);
	if (a->parent_id)
		snprintf(parent, sizeof(parent), "%llu",
			 (unsigned long long)a->parent_id);
	else
		snprintf(parent, sizeof(parent), "-");
	snprintf(pid, sizeof(pid), "%d", a->pid);
	snprintf(uid, sizeof(uid), "%u", a->uid);
	aios_caps_format(a->caps, caps, sizeof(caps));
	if (!a->has_cpus || aios_cpulist_format(&a->cpus, cpus, sizeof(cpus)) < 0)
		snprintf(cpus, sizeof(cpus), "-");
	cells[0] = id;
	cells[1] = parent;
	cells[2] = a->name;
	cells[3] = prio ? prio : "?";
	cells[4] = state ? state : "?";
	cells[5] = pid;
	cells[6] = uid;
	cells[7] = cpus;
	cells[8] = caps;
	return table_row(t, cells);
}

static int print_agents(struct ctl *c, const struct aios_agent *v, size_t n,
			bool one)
{
	static const char *const head[] = {
		"ID", "PARENT", "NAME", "PRIO", "STATE", "PID", "UID", "CPUS",
		"CAPS",
	};
	struct table *t;
	json_t *arr;
	size_t i;

	if (c->json) {
		if (one)
			return ctl_json_print(c, ctl_json_agent(&v[0]));
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, ctl_json_agent(&v[i]));
		return ctl_json_print(c, arr);
	}
	t = table_new(9, head);
	if (!t)
		goto nomem;
	for (i = 0; i < n; i++)
		if (agent_row(t, &v[i]))
			goto nomem;
	return table_finish(t, true);
nomem:
	return table_finish(t, false);
}

int cmd_agents(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "list" };
	struct aios_agent *v = NULL, one;
	char *pos[2];
	int npos, ret, k;
	uint64_t id;
	size_t n;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 2, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
	if (npos) {
		k = ctl_match(pos[0], cmds, 2);
		if (k < 0)
			return ctl_usage(c, "unknown agents command \"%s\"",
					 pos[0]);
		if (npos == 2) {
			if (k != 0 || ctl_parse_id(c, pos[1], &id))
				return ctl_usage(c, "bad agent id \"%s\"", pos[1]);
			if (aios_agent_get(c->h, id, &one) < 0)
				return ctl_fail(c);
			return print_agents(c, &one, 1, true);
		}
	}
	if (aios_agents(c->h, &v, &n) < 0)
		return ctl_fail(c);
	ret = print_agents(c, v, n, false);
	free(v);
	return ret;
}
