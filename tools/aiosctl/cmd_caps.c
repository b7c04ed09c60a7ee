// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl caps show ID | grant ID CAPS | revoke ID CAPS
 */
#include <stdio.h>

#include "ctl.h"

static const char help_text[] =
"usage: aiosctl caps show ID\n"
"       aiosctl caps grant ID CAPS\n"
"       aiosctl caps revoke ID CAPS\n"
"\n"
"CAPS is a list of capability names separated by ',' (case-insensitive):\n"
"  SPAWN_AGENT KILL_AGENT ALLOC_MEMORY ACCESS_FS ACCESS_NET ACCESS_GPU\n"
"  ACCESS_IO ADMIN, or all, none, default, or a number (0x18).\n"
"grant and revoke need CAP_SYS_ADMIN; revoke also removes the capabilities\n"
"from every descendant and asks for confirmation (or --yes).\n";

static int print_caps(struct ctl *c, uint64_t id, uint64_t caps)
{
	char buf[256];
	json_t *o;

	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "id", json_integer(id));
			json_object_set_new(o, "caps", ctl_json_caps(caps));
			json_object_set_new(o, "caps_mask", json_integer(caps));
		}
		return ctl_json_print(c, o);
	}
	aios_caps_format(caps, buf, sizeof(buf));
	printf("agent %llu: %s\n", (unsigned long long)id, buf);
	return EXIT_OK;
}

int cmd_caps(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "grant", "revoke" };
	uint64_t id, caps, eff;
	char *pos[3], list[256];
	int npos, ret, k;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 3, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
	if (!npos)
		return ctl_usage(c, "caps needs a command: show, grant or revoke");
	k = ctl_match(pos[0], cmds, 3);
	if (k == -2)
		return ctl_usage(c, "caps command \"%s\" is ambiguous", pos[0]);
	if (k < 0)
		return ctl_usage(c, "unknown caps command \"%s\"", pos[0]);
	if (npos < 2 || ctl_parse_id(c, pos[1], &id))
		return ctl_usage(c, "caps %s needs an agent id (a number > 0)%s%s%s",
				 cmds[k], npos >= 2 ? ", not \"" : "",
				 npos >= 2 ? pos[1] : "", npos >= 2 ? "\"" : "");
	if (k == 0) {
		if (npos != 2)
			return ctl_usage(c, "caps show takes one agent id");
		if (aios_caps_get(c->h, id, &caps) < 0)
			return ctl_fail(c);
		return print_caps(c, id, caps);
	}
	if (npos != 3)
		return ctl_usage(c, "caps %s needs ID and CAPS", cmds[k]);
	if (aios_caps_parse(pos[2], &caps))
		return ctl_usage(c, "bad capability list \"%s\" (names: SPAWN_AGENT,KILL_AGENT,ALLOC_MEMORY,ACCESS_FS,ACCESS_NET,ACCESS_GPU,ACCESS_IO,ADMIN)",
				 pos[2]);
	if (k == 2) {
		aios_caps_format(caps, list, sizeof(list));
		ret = ctl_confirm(c, "revoke %s from agent %llu and its descendants",
				  list, (unsigned long long)id);
		if (ret)
			return ret;
		ret = aios_caps_revoke(c->h, id, caps, &eff);
	} else {
		ret = aios_caps_grant(c->h, id, caps, &eff);
	}
	if (ret < 0)
		return ctl_fail(c);
	return print_caps(c, id, eff);
}
