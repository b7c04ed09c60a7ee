// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl bootlog [--list | --boot N] [--file PATH]
 *
 * aiosd's boot log (Documentation/aiosd-config.md, "Boot log"): the
 * timestamped start-up events of aiosd and the kernel module, one boot id
 * per start.  From aiosd's "bootlog" operation, or with --file straight
 * from the JSONL file (when aiosd does not start, which is when the boot
 * log matters most); the same reader as aiosd's (bootlog.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosd_client.h"
#include "bootlog.h"
#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl bootlog [--list | --boot N] [--file PATH]\n"
"\n"
"Without options: the events of aiosd's current boot (time, level,\n"
"source, event, message).\n"
"  --list       the boots kept (id, start time, events, errors, outcome)\n"
"  --boot N     the events of boot N\n"
"  --file PATH  read the boot log file directly instead of asking aiosd\n"
"               (default location: <state dir>/bootlog.jsonl, e.g.\n"
"               /var/lib/aios/bootlog.jsonl); the last boot by default\n"
"With -j the events are printed as JSON, with their \"detail\" objects\n"
"(aiosd gives details to administrators only).\n";

static int print_boots(struct ctl *c, json_t *boots, json_t *extra)
{
	static const char *const head[] = { "BOOT", "STARTED", "PID", "EVENTS", "ERRORS",
					     "WARNINGS", "OUTCOME", "LAST EVENT" };
	struct table *t;
	json_t *b;
	size_t i;
	bool ok;

	if (c->json) {
		json_t *o = extra ? json_incref(extra) : json_object();

		json_object_set(o, "boots", boots);
		return ctl_json_print(c, o);
	}
	t = table_new(8, head);
	ok = t != NULL;
	json_array_foreach(boots, i, b) {
		char id[24], pid[24], ev[24], er[24], wa[24];
		const char *cells[8] = { id, json_string_value(json_object_get(b, "started")) ?: "?",
					 pid, ev, er, wa,
					 json_string_value(json_object_get(b, "outcome")) ?: "?",
					 json_string_value(json_object_get(b, "last_event")) ?: "" };

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(b, "boot")));
		snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(json_object_get(b, "pid")));
		snprintf(ev, sizeof(ev), "%lld", (long long)json_integer_value(json_object_get(b, "events")));
		snprintf(er, sizeof(er), "%lld", (long long)json_integer_value(json_object_get(b, "errors")));
		snprintf(wa, sizeof(wa), "%lld", (long long)json_integer_value(json_object_get(b, "warnings")));
		if (ok && table_row(t, cells))
			ok = false;
	}
	return table_finish(t, ok);
}

static int print_events(struct ctl *c, uint64_t boot, json_t *events, json_t *extra)
{
	static const char *const head[] = { "TIME", "LEVEL", "SOURCE", "EVENT", "MESSAGE" };
	struct table *t;
	json_t *e;
	size_t i;
	bool ok;

	if (c->json) {
		json_t *o = extra ? json_incref(extra) : json_object();

		json_object_set_new(o, "boot", json_integer((json_int_t)boot));
		json_object_set(o, "events", events);
		return ctl_json_print(c, o);
	}
	printf("boot %llu\n", (unsigned long long)boot);
	t = table_new(5, head);
	ok = t != NULL;
	json_array_foreach(events, i, e) {
		const char *cells[5] = {
			json_string_value(json_object_get(e, "time")) ?: "?",
			json_string_value(json_object_get(e, "level")) ?: "?",
			json_string_value(json_object_get(e, "source")) ?: "?",
			json_string_value(json_object_get(e, "event")) ?: "?",
			json_string_value(json_object_get(e, "message")) ?: "",
		};

		if (ok && table_row(t, cells))
			ok = false;
	}
	return table_finish(t, ok);
}

static int from_file(struct ctl *c, const char *path, bool list, uint64_t boot)
{
	json_t *boots = NULL, *events = NULL;
	unsigned int damaged = 0;
	char err[700];
	int rc, ret;

	rc = bootlog_read(path, list ? 0 : boot ? boot : UINT64_MAX, list ? &boots : NULL,
			  list ? NULL : &events, &damaged, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "aiosctl: %s\n", err);
		return EXIT_FAIL;
	}
	if (damaged)
		fprintf(stderr, "aiosctl: warning: %s: %u damaged lines skipped\n", path, damaged);
	if (list) {
		ret = print_boots(c, boots, NULL);
		json_decref(boots);
		return ret;
	}
	ret = print_events(c, (uint64_t)json_integer_value(json_object_get(json_array_get(events, 0),
									   "boot")), events, NULL);
	json_decref(events);
	return ret;
}

int cmd_bootlog(struct ctl *c, int argc, char **argv)
{
	const char *boot_s = NULL, *file = NULL;
	bool list = false;
	const struct ctl_opt opts[] = {
		{ "list", NULL, &list }, { "boot", &boot_s, NULL }, { "file", &file, NULL },
	};
	struct aiosd_client *cl;
	json_t *req, *reply = NULL;
	uint64_t boot = 0;
	char *pos[1];
	int npos, ret, rc;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 3, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (boot_s && ctl_parse_id(c, boot_s, &boot))
		return ctl_usage(c, "bad boot id \"%s\"", boot_s);
	if (list && boot_s)
		return ctl_usage(c, "--list and --boot exclude each other");
	if (file)
		return from_file(c, file, list, boot);
	rc = aiosd_connect(NULL, &cl);
	if (rc) {
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running? (--file PATH reads the boot log without it)\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET,
			strerror(-rc));
		return EXIT_FAIL;
	}
	req = json_pack("{s:s}", "op", "bootlog");
	if (req && list)
		json_object_set_new(req, "list", json_true());
	if (req && boot)
		json_object_set_new(req, "boot", json_integer((json_int_t)boot));
	rc = aiosd_call(cl, req, &reply);
	json_decref(req);
	if (rc) {
		fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(cl));
		json_decref(reply);
		aiosd_close(cl);
		return EXIT_FAIL;
	}
	aiosd_close(cl);
	json_object_del(reply, "ok");
	json_object_del(reply, "v");
	json_object_del(reply, "id");
	if (list)
		ret = print_boots(c, json_object_get(reply, "boots"), reply);
	else
		ret = print_events(c, (uint64_t)json_integer_value(json_object_get(reply, "boot")),
				   json_object_get(reply, "events"), reply);
	json_decref(reply);
	return ret;
}
