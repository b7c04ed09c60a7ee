// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl - administer aios: agents, capabilities, audit, events; runs,
 * ledgers, episodes, long-term memory, resume packs and contexts (aiosd).
 *
 *   aiosctl [-j|--json] [-p|--pretty] [-y|--yes] OBJECT [COMMAND] [ARGS]
 *
 * Objects and commands may be abbreviated to any unambiguous prefix.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char usage_text[] =
"usage: aiosctl [OPTIONS] OBJECT [COMMAND] [ARGS]\n"
"\n"
"OBJECT := { status | agents | caps | kill | migrate | audit | events | ipc | gpu |\n"
"            queues | tasks | memory | run | ledger | episode | ltm | pack |\n"
"            context | top | bench | tools | health | bootlog | config | help }\n"
"\n"
"  status                           module status (version, agents, audit ring)\n"
"  agents [show [ID]]               list agents, or show one\n"
"  caps show ID                     capabilities of an agent\n"
"  caps grant ID CAPS               grant capabilities (CAPS: ACCESS_NET,ACCESS_FS)\n"
"  caps revoke ID CAPS              revoke capabilities (asks for confirmation)\n"
"  kill ID [--signal SIG] [--pgrp]  signal and remove an agent (asks for confirmation)\n"
"  migrate ID CPULIST               set an agent's CPU affinity (CPULIST: 0-3,6)\n"
"  audit [--op OP] [--after SEQ] [--agent ID] [--limit N]\n"
"                                   read the audit ring\n"
"  audit config --ring-size N       resize the audit ring (power of two)\n"
"  events [--audit] [--count N]     print live events, one per line\n"
"  ipc send [--type T] [--intent I] (ID | --group G) PAYLOAD\n"
"                                   send a typed message (T: text, number, json, binary)\n"
"  ipc recv [--fd N] [--from ID] [--intent I] [--count N]\n"
"                                   receive messages (a new agent without --fd)\n"
"  ipc stats [ID]                   mailbox statistics\n"
"  gpu [list|status|claim|release|register|unregister|discover]\n"
"                                   GPU devices and claims ('gpu help')\n"
"  queues [show [QUEUE]]            task queues with statistics\n"
"  queues create NAME --algo A ...  create a queue ('queues help')\n"
"  queues destroy QUEUE [--force]   destroy a queue (asks for confirmation)\n"
"  tasks [--queue QUEUE]            tasks not yet collected\n"
"  memory put|get|ls|rm|stats       aiosd's memory store ('memory help')\n"
"  run create|list|show|workset|put|push    runs and their working sets\n"
"  ledger append|show|verify        a run's hash-chained ledger\n"
"  episode create|list|show         immutable milestone checkpoints\n"
"  ltm propose|commit|discard|proposals|search   long-term memory\n"
"  pack export|import               resume packs\n"
"  context create|list|restore|delete|check|truncate|models|budget|expire\n"
"                                   conversation snapshots and token budgets\n"
"  top [-d SECONDS] [-n N]          live view: agents, queues, GPU claims, events/s\n"
"  tools list|call|pending|confirm|deny\n"
"                                   sandboxed tool calls through aiosd ('tools help')\n"
"  audit --live                     kernel audit records and aiosd's eBPF events, live\n"
"  bench --list|--all|--category NAME [-j FILE]\n"
"                                   benchmark suite against peers ('bench help')\n"
"  http token add|ls|revoke         bearer tokens of aios-httpd ('http help')\n"
"  health [--live|--ready|--full] [--no-module]\n"
"                                   probes with timings; exit 0 ok, 1 not ok\n"
"  bootlog [--list|--boot N] [--file PATH]\n"
"                                   aiosd's and the module's start-up events\n"
"  config show|check FILE|hash FILE|reload\n"
"                                   aiosd's configuration ('config help')\n"
"\n"
"OPTIONS:\n"
"  -j, --json     JSON output (one document; events: one object per line)\n"
"  -p, --pretty   indent JSON output\n"
"  -y, --yes      confirm high-risk actions (kill, revoke) without asking\n"
"  -h, --help     this text; 'aiosctl OBJECT help' describes an object\n"
"\n"
"Administrative commands need CAP_SYS_ADMIN (run as root).\n"
"Exit status: 0 success, 1 operation failed or not confirmed, 2 usage error.\n";

struct object {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct object objects[] = {
	{ "status", cmd_status },
	{ "agents", cmd_agents },
	{ "caps", cmd_caps },
	{ "kill", cmd_kill },
	{ "migrate", cmd_migrate },
	{ "audit", cmd_audit },
	{ "events", cmd_events },
	{ "ipc", cmd_ipc },
	{ "gpu", cmd_gpu },
	{ "queues", cmd_queues },
	{ "tasks", cmd_tasks },
	{ "memory", cmd_memory },
	{ "run", cmd_run },
	{ "ledger", cmd_ledger },
	{ "episode", cmd_episode },
	{ "ltm", cmd_ltm },
	{ "pack", cmd_pack },
	{ "context", cmd_context },
	{ "bench", cmd_bench },
	{ "top", cmd_top },
	{ "tools", cmd_tools },
	{ "http", cmd_http },	/* aios-httpd tokens (cmd_http.c) */
	/* operations (cmd_health.c, cmd_bootlog.c, cmd_config.c) */
	{ "health", cmd_health },
	{ "bootlog", cmd_bootlog },
	{ "config", cmd_config },
	{ "help", NULL },
};

#define NOBJ ((int)(sizeof(objects) / sizeof(objects[0])))

static int find_object(struct ctl *c, const char *word)
{
	const char *names[NOBJ];
	int i;

	for (i = 0; i < NOBJ; i++)
		names[i] = objects[i].name;
	i = ctl_match(word, names, NOBJ);
	if (i == -2)
		ctl_usage(c, "object \"%s\" is ambiguous", word);
	else if (i < 0)
		ctl_usage(c, "unknown object \"%s\"", word);
	return i < 0 ? -1 : i;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	char *help_argv[2];
	int i, o, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			c.json = true;
		} else if (!strcmp(argv[i], "-p") ||
			   !strcmp(argv[i], "--pretty")) {
			c.pretty = true;
		} else if (!strcmp(argv[i], "-y") || !strcmp(argv[i], "--yes")) {
			c.yes = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			return ctl_usage(&c, "unknown option \"%s\"", argv[i]);
		}
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	o = find_object(&c, argv[i]);
	if (o < 0)
		return EXIT_USAGE;
	if (!objects[o].run) {		/* help [OBJECT] */
		if (i + 1 >= argc) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		o = find_object(&c, argv[i + 1]);
		if (o < 0)
			return EXIT_USAGE;
		if (!objects[o].run) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		help_argv[0] = (char *)objects[o].name;
		help_argv[1] = "help";
		c.object = objects[o].name;
		return objects[o].run(&c, 2, help_argv);
	}
	c.object = objects[o].name;
	c.h = aios_new();
	if (!c.h) {
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	ret = objects[o].run(&c, argc - i, argv + i);
	aios_close(c.h);
	return ret;
}
