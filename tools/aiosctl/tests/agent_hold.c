// SPDX-License-Identifier: GPL-2.0
/*
 * agent_hold NAME [CAPS_TO_CHECK]: register an agent, optionally run one
 * capability check (to produce an audit record or a denial), print the
 * agent id on stdout and wait until signalled.  A helper for the aiosctl
 * VM scenario (tests/vm_scenario.sh).
 *
 * agent_hold --submit QUEUE NAME: register, submit one task to the queue
 * named QUEUE and print "AGENT_ID TASK_ID" (for aiosctl tasks cancel).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <aios.h>

int main(int argc, char **argv)
{
	struct aios *h = aios_new();
	uint64_t id, caps, task;
	struct aios_queue_info q;
	const char *queue = NULL;
	int ret;

	if (argc == 4 && !strcmp(argv[1], "--submit")) {
		queue = argv[2];
		argv += 2;
		argc = 2;
	}
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
	if (queue) {
		if (aios_queue_get(h, 0, queue, &q) ||
		    aios_task_submit(h, q.id, AIOS_PRIO_NORMAL, "hold", 4, 0,
				     AIOS_SUBMIT_NONBLOCK, &task)) {
			fprintf(stderr, "agent_hold: %s\n", aios_errmsg(h));
			return 1;
		}
		printf("%llu %llu\n", (unsigned long long)id,
		       (unsigned long long)task);
	} else {
		printf("%llu\n", (unsigned long long)id);
	}
	fflush(stdout);
	for (;;)
		pause();
}
