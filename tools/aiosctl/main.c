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
"  agents [list | show ID]          list agents, or show one\n"
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
"  ipc policy ID (--allow IDS|--clear)  whom agent ID may send to (admin)\n"
"  gpu [list|status|claim|release|register|unregister|discover]\n"
"                                   GPU devices and claims ('gpu help')\n"
"  queues [list | show QUEUE]       task queues with statistics\n"
"  queues create NAME --algo A ...  create a queue ('queues help')\n"
"  queues destroy QUEUE [--force]   destroy a queue (asks for confirmation)\n"
"  tasks [list] [--queue QUEUE]     tasks not yet collected\n"
"  tasks cancel TASK                cancel a task (asks for confirmation)\n"
"  memory put|get|ls|rm|stats       aiosd's memory store ('memory help');\n"
"                                   rm --prefix asks for confirmation\n"
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
"  -p, --pretty   JSON output, indented (implies -j)\n"
"  -y, --yes      confirm high-risk actions without asking (needed when\n"
"                 stdin is not a terminal): kill, caps revoke, queues destroy,\n"
"                 tasks cancel, gpu unregister, memory rm --prefix,\n"
"                 context delete, ltm discard\n"
"  -h, --help     this text; 'aiosctl OBJECT help' describes an object,\n"
"                 'aiosctl help --commands' lists every command\n"
"\n"
"Objects and commands may be abbreviated to any unambiguous prefix\n"
"('aiosctl ag l' is 'aiosctl agents list'); -j, -p, -y may also follow\n"
"the object.  Administrative commands need CAP_SYS_ADMIN (run as root).\n"
"Exit status: 0 success, 1 operation failed or not confirmed, 2 usage error\n"
"(also a high-risk action without --yes when stdin is not a terminal);\n"
"health: 0 healthy, 1 not; ledger verify: 1 when the ledger is damaged.\n";

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
	return ctl_lookup(c, "object", word, names, NOBJ);
}

/* aiosctl help --commands: every OBJECT [COMMAND] (grammar.c) */
static int print_commands(void)
{
	const char *names[NOBJ];
	int i, n = 0;

	for (i = 0; i < NOBJ; i++)
		if (objects[i].run)
			names[n++] = objects[i].name;
	ctl_print_commands(stdout, names, n);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	char *help_argv[5];
	int i, o, ret, n, k;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			c.json = true;
		} else if (!strcmp(argv[i], "-p") ||
			   !strcmp(argv[i], "--pretty")) {
			c.pretty = c.json = true;	/* -p: pretty JSON */
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
		if (!strcmp(argv[i + 1], "--commands"))
			return print_commands();
		o = find_object(&c, argv[i + 1]);
		if (o < 0)
			return EXIT_USAGE;
		if (!objects[o].run) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		/* help OBJECT [COMMAND [SUBCOMMAND]] */
		help_argv[0] = (char *)objects[o].name;
		n = 1;
		for (k = i + 2; k < argc && n < 3; k++)
			help_argv[n++] = argv[k];
		help_argv[n++] = "help";
		help_argv[n] = NULL;
		c.object = objects[o].name;
		if (ctl_expand(&c, &n, help_argv))
			return EXIT_USAGE;
		return objects[o].run(&c, n, help_argv);
	}
	c.object = objects[o].name;
	/* full command words, global options after the object (grammar.c) */
	argc -= i;
	argv[i] = (char *)objects[o].name;
	if (ctl_expand(&c, &argc, argv + i))
		return EXIT_USAGE;
	argc += i;
	c.h = aios_new();
	if (!c.h) {
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	ret = objects[o].run(&c, argc - i, argv + i);
	aios_close(c.h);
	return ret;
}
