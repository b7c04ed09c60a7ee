// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: a tool in the sandbox, blocked escapes, and the eBPF audit.
 *
 * Runs userspace/sandbox/demo.sh (the sandbox's own narrated script),
 * shows its output and checks that each protection behaved: the tool's
 * scratch write worked, writing /usr and opening a network socket without
 * ACCESS_NET were refused, the audit lost nothing, and the BPF LSM refused
 * a connect of an agent process outside any sandbox.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static const char *const expected[] = {
	"wrote /scratch/note",			/* per-run writable scratch */
	"Read-only file system",		/* the root view is read-only */
	"Operation not permitted",		/* no ACCESS_NET: no socket */
	"\"lost\": 0",				/* the audit lost no event */
	"connect -> EPERM",			/* BPF LSM outside a sandbox */
};

#define NEXPECTED	(sizeof(expected) / sizeof(expected[0]))

int demo_sandbox(struct demo *d)
{
	bool seen[NEXPECTED] = { false };
	char line[1024];
	size_t i;
	FILE *p;
	int rc;

	step(d, "a tool runs in the sandbox; escapes and a network call are refused; the audit trail");
	fflush(stdout);
	p = popen("userspace/sandbox/demo.sh 2>&1", "r");
	if (!p)
		return fail(d, "cannot run userspace/sandbox/demo.sh");
	while (fgets(line, sizeof(line), p)) {
		/* the full open trail is long: show the script's summary lines */
		if (strlen(line) > 200)
			line[200] = '\0', strcat(line, "...\n");
		fputs(line, stdout);
		for (i = 0; i < NEXPECTED; i++)
			if (strstr(line, expected[i]))
				seen[i] = true;
	}
	rc = pclose(p);
	if (rc)
		return fail(d, "the sandbox demo script failed (status 0x%x)", rc);
	for (i = 0; i < NEXPECTED; i++)
		if (!seen[i])
			return fail(d, "the sandbox did not show \"%s\"", expected[i]);
	return 0;
}
