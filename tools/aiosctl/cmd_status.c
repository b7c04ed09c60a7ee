// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl status
 */
#include <stdio.h>

#include "ctl.h"

static const char help_text[] =
"usage: aiosctl status\n"
"\n"
"Show the aios module's status: API version, features, live agents,\n"
"default capabilities and the audit ring (size, sequence numbers, lost\n"
"records).  Needs no privilege.\n";

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct aios_status st;
	char caps[256], feat[256];
	char *pos[1];
	int npos, ret;
	json_t *o;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 0, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
	if (aios_status(c->h, &st) < 0)
		return ctl_fail(c);
	if (c->json) {
		o = json_object();
		if (!o)
			return ctl_json_print(c, NULL);
		json_object_set_new(o, "api_version", json_integer(st.api_version));
		json_object_set_new(o, "features", ctl_json_features(st.features));
		json_object_set_new(o, "agents", json_integer(st.agents));
		json_object_set_new(o, "next_agent_id",
				    json_integer(st.next_agent_id));
		json_object_set_new(o, "default_caps",
				    ctl_json_caps(st.default_caps));
		json_object_set_new(o, "audit_ring_size",
				    json_integer(st.audit_ring_size));
		json_object_set_new(o, "audit_first_seq",
				    json_integer(st.audit_first_seq));
		json_object_set_new(o, "audit_next_seq",
				    json_integer(st.audit_next_seq));
		json_object_set_new(o, "audit_lost", json_integer(st.audit_lost));
		return ctl_json_print(c, o);
	}
	aios_features_format(st.features, feat, sizeof(feat));
	aios_caps_format(st.default_caps, caps, sizeof(caps));
	printf("api version     %u\n", st.api_version);
	printf("features        %s\n", feat);
	printf("agents          %u live, next id %llu\n", st.agents,
	       (unsigned long long)st.next_agent_id);
	printf("default caps    %s\n", caps);
	printf("audit ring      %u entries\n", st.audit_ring_size);
	if (st.audit_next_seq > st.audit_first_seq)
		printf("audit records   seq %llu..%llu held, next %llu\n",
		       (unsigned long long)st.audit_first_seq,
		       (unsigned long long)(st.audit_next_seq - 1),
		       (unsigned long long)st.audit_next_seq);
	else
		printf("audit records   none held, next %llu\n",
		       (unsigned long long)st.audit_next_seq);
	printf("audit lost      %llu\n", (unsigned long long)st.audit_lost);
	return EXIT_OK;
}
