// SPDX-License-Identifier: GPL-2.0
/*
 * agent_hold NAME [CAPS_TO_CHECK]: register an agent, optionally run one
 * capability check (to produce an audit record or a denial), print the
 * agent id on stdout and wait until signalled.  A helper for the aiosctl
 * VM scenario (tests/vm_scenario.sh).
 */
#include <stdio.h>
#include <unistd.h>

#include <aios.h>

int main(int argc, char **argv)
{
	struct aios *h = aios_new();
	uint64_t id, caps;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: agent_hold NAME [CAPS_TO_CHECK]\n");
		return 2;
	}
	if (!h || aios_open(h) || aios_register(h, argv[1], AIOS_PRIO_NORMAL,
						 &id)) {
		fprintf(stderr, "agent_hold: %s\n", aios_errmsg(h));
		return 1;
	}
	if (argc == 3) {
		if (aios_caps_parse(argv[2], &caps)) {
			fprintf(stderr, "agent_hold: bad caps \"%s\"\n", argv[2]);
			return 2;
		}
		ret = aios_caps_check(h, caps);
		if (ret)
			fprintf(stderr, "agent_hold: %s\n", aios_errmsg(h));
	}
	printf("%llu\n", (unsigned long long)id);
	fflush(stdout);
	for (;;)
		pause();
}
