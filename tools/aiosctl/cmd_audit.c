// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl audit [show] [--op OP] [--after SEQ] [--agent ID] [--limit N]
 * aiosctl audit config --ring-size N
 * aiosctl audit --live [--count N] [--no-kernel] [--no-ebpf] [--agent-fd FD]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl audit [show] [--op OPID] [--after SEQ] [--agent ID] [--limit N]\n"
"       aiosctl audit config --ring-size N\n"
"\n"
"show (the default) prints the records of the audit ring, oldest first:\n"
"  --op OPID     only records of operation id OPID (one syscall)\n"
"  --after SEQ   only records with a sequence number above SEQ\n"
"  --agent ID    only records of agent ID (0: non-agent callers)\n"
"  --limit N     only the newest N records\n"
"config resizes the ring to N entries (a power of two, 16..1048576);\n"
"records that no longer fit are counted as lost.  Both need CAP_SYS_ADMIN.\n"
"\n"
"       aiosctl audit --live [--count N] [--no-kernel] [--no-ebpf] [--agent-fd FD]\n"
"--live prints, as they happen, the kernel module's audit records\n"
"(multicast group \"audit\", needs CAP_SYS_ADMIN) and aiosd's events:\n"
"eBPF records of sandboxed tool calls (exec, open, connect, exit) and\n"
"tool decisions (denied, parked, confirmed, ...).  aiosd shows an admin\n"
"everything, others the events of their own calls (--agent-fd: act as\n"
"that agent).  One line per event, or one JSON object per line with -j.\n"
"  --count N     stop after N events\n"
"  --no-kernel   only aiosd's events;  --no-ebpf  only the kernel's\n";

static int audit_row(struct table *t, const struct aios_audit_rec *r)
{
	char seq[24], opid[24], agent[24], object[24], res[32], caps[256],
	     tm[32], opbuf[16];
	const char *op = aios_op_name(r->op);
	const char *cells[8];

	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
	snprintf(opid, sizeof(opid), "%llu", (unsigned long long)r->op_id);
	snprintf(agent, sizeof(agent), "%llu", (unsigned long long)r->agent_id);
	if (r->op == AIOS_OP_CAP_CHECK)
		snprintf(object, sizeof(object), "0x%llx",
			 (unsigned long long)r->object);
	else
		snprintf(object, sizeof(object), "%llu",
			 (unsigned long long)r->object);
	if (!op) {
		snprintf(opbuf, sizeof(opbuf), "op%u", r->op);
		op = opbuf;
	}
	ctl_fmt_result(res, sizeof(res), r->result);
	if (r->cap)
		aios_caps_format(r->cap, caps, sizeof(caps));
	else
		snprintf(caps, sizeof(caps), "-");
	ctl_fmt_ns(tm, sizeof(tm), r->time_ns);
	cells[0] = seq;
	cells[1] = tm;
	cells[2] = opid;
	cells[3] = agent;
	cells[4] = op;
	cells[5] = object;
	cells[6] = res;
	cells[7] = caps;
	return table_row(t, cells);
}

static int audit_config(struct ctl *c, int argc, char **argv)
{
	const char *size = NULL;
	const struct ctl_opt opts[] = { { "ring-size", &size, NULL } };
	struct aios_status st;
	char *pos[1];
	uint64_t n;
	int npos, ret;
	json_t *o;

	ret = ctl_parse_cmd(c, argc, argv, opts, 1, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (!size)
		return ctl_usage(c, "audit config needs --ring-size N");
	if (ctl_parse_u64(size, &n) || n < 16 || n > 1048576 || (n & (n - 1)))
		return ctl_usage(c, "bad ring size \"%s\": a power of two in 16..1048576",
				 size);
	if (aios_audit_config(c->h, (uint32_t)n) < 0 ||
	    aios_status(c->h, &st) < 0)
		return ctl_fail(c);
	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "audit_ring_size",
					    json_integer(st.audit_ring_size));
			json_object_set_new(o, "audit_lost",
					    json_integer(st.audit_lost));
		}
		return ctl_json_print(c, o);
	}
	printf("audit ring: %u entries, %llu records lost so far\n",
	       st.audit_ring_size, (unsigned long long)st.audit_lost);
	return EXIT_OK;
}

static volatile sig_atomic_t live_stop;

static void live_signal(int sig)
{
	(void)sig;
	live_stop = 1;
}

static void live_kernel(struct ctl *c, const struct aios_audit_rec *r)
{
	const char *op = aios_op_name(r->op);
	char res[32], tm[32];

	if (c->json) {
		json_t *o = json_pack("{s:s, s:o}", "source", "kernel", "record",
				      ctl_json_audit(r));

		ctl_json_print(c, o);
		return;
	}
	ctl_fmt_result(res, sizeof(res), r->result);
	ctl_fmt_ns(tm, sizeof(tm), r->time_ns);
	printf("kernel  %s seq=%llu opid=%llu agent=%llu op=%s object=%llu result=%s\n", tm,
	       (unsigned long long)r->seq, (unsigned long long)r->op_id,
	       (unsigned long long)r->agent_id, op ? op : "?",
	       (unsigned long long)r->object, res);
}

static void live_aiosd(struct ctl *c, json_t *ev)
{
	const char *kind = json_string_value(json_object_get(ev, "event"));
	json_t *a = json_object_get(ev, "audit");

	if (c->json) {
		json_object_del(ev, "v");
		json_object_set_new(ev, "source", json_string("aiosd"));
		ctl_json_print(c, json_incref(ev));
		return;
	}
	if (!kind) {
		return;		/* a late reply, not an event */
	} else if (!strcmp(kind, "lost")) {
		printf("aiosd   LOST %lld events (this client was too slow)\n",
		       json_integer_value(json_object_get(ev, "count")));
	} else if (!strcmp(kind, "audit")) {
		const char *type = json_string_value(json_object_get(a, "type"));
		char what[600];

		type = type ? type : "?";
		if (!strcmp(type, "open"))
			snprintf(what, sizeof(what), "path=%s flags=%s",
				 json_string_value(json_object_get(a, "path")),
				 json_string_value(json_object_get(a, "flags")));
		else if (!strcmp(type, "exec"))
			snprintf(what, sizeof(what), "path=%s",
				 json_string_value(json_object_get(a, "path")));
		else if (!strncmp(type, "connect", 7))
			snprintf(what, sizeof(what), "family=%lld addr=%s port=%lld",
				 json_integer_value(json_object_get(a, "family")),
				 json_string_value(json_object_get(a, "addr")),
				 json_integer_value(json_object_get(a, "port")));
		else if (!strcmp(type, "exit"))
			snprintf(what, sizeof(what), "exit_code=%lld signal=%lld",
				 json_integer_value(json_object_get(a, "exit_code")),
				 json_integer_value(json_object_get(a, "signal")));
		else
			what[0] = 0;
		printf("ebpf    call=%lld tool=%s agent=%lld pid=%lld comm=%s %s %s\n",
		       json_integer_value(json_object_get(ev, "call")),
		       json_string_value(json_object_get(ev, "tool")) ?: "-",
		       json_integer_value(json_object_get(ev, "agent")),
		       json_integer_value(json_object_get(a, "pid")),
		       json_string_value(json_object_get(a, "comm")) ?: "?", type, what);
	} else {
		printf("tool    %s call=%lld tool=%s agent=%lld uid=%lld%s%s\n",
		       json_string_value(json_object_get(ev, "what")) ?: "?",
		       json_integer_value(json_object_get(ev, "call")),
		       json_string_value(json_object_get(ev, "tool")) ?: "-",
		       json_integer_value(json_object_get(ev, "agent")),
		       json_integer_value(json_object_get(ev, "uid")),
		       json_object_get(ev, "detail") ? ": " : "",
		       json_string_value(json_object_get(ev, "detail")) ?: "");
	}
	fflush(stdout);
}

static int audit_live(struct ctl *c, const char *count, bool no_kernel, bool no_ebpf,
		      const char *agent_fd)
{
	struct aios_events *kev = NULL;
	struct aiosd_client *cl = NULL;
	struct sigaction sa;
	uint64_t max = 0, seen = 0, fd;
	json_t *reply = NULL;
	int ret = EXIT_OK, rc;

	if (count && (ctl_parse_u64(count, &max) || !max))
		return ctl_usage(c, "bad count \"%s\"", count);
	if (agent_fd && (ctl_parse_u64(agent_fd, &fd) || fd > INT32_MAX))
		return ctl_usage(c, "bad descriptor \"%s\"", agent_fd);
	if (no_kernel && no_ebpf)
		return ctl_usage(c, "--no-kernel and --no-ebpf leave nothing to show");
	if (!no_kernel && aios_events_open(c->h, AIOS_EVENTS_GROUP_AUDIT, &kev) < 0) {
		fprintf(stderr, "aiosctl: kernel audit records not shown: %s\n",
			aios_errmsg(c->h));
		kev = NULL;
	}
	if (!no_ebpf) {
		rc = aiosd_connect(NULL, &cl);
		if (!rc && agent_fd)
			rc = aiosd_auth(cl, (int)fd);
		if (!rc)
			rc = aiosd_audit_subscribe(cl, &reply);
		if (rc) {
			fprintf(stderr, "aiosctl: aiosd events not shown: %s\n",
				cl ? aiosd_client_error(cl) : strerror(-rc));
			aiosd_close(cl);
			cl = NULL;
		} else if (!json_is_true(json_object_get(reply, "attached"))) {
			fprintf(stderr, "aiosctl: aiosd's eBPF audit is not attached (%s); "
				"showing tool decisions only\n",
				json_string_value(json_object_get(reply, "detail")) ?: "?");
		}
		json_decref(reply);
	}
	if (!kev && !cl)
		return EXIT_FAIL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = live_signal;	/* no SA_RESTART: interrupt the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!live_stop && (!max || seen < max)) {
		struct pollfd p[2] = {
			{ .fd = kev ? aios_events_fd(kev) : -1, .events = POLLIN },
			{ .fd = cl ? aiosd_client_fd(cl) : -1, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = EXIT_FAIL;
			break;
		}
		if (p[0].revents) {
			struct aios_event e;

			rc = aios_events_next(kev, &e, 0);
			if (rc < 0 && rc != -EINTR) {
				fprintf(stderr, "aiosctl: %s\n", aios_events_errmsg(kev));
				ret = EXIT_FAIL;
				break;
			}
			if (rc > 0 && e.type == AIOS_EVENT_AUDIT) {
				live_kernel(c, &e.audit);
				seen++;
			} else if (rc > 0 && e.type == AIOS_EVENT_LOST) {
				printf("kernel  LOST events (socket overrun)\n");
			}
		}
		if (p[1].revents && (!max || seen < max)) {
			json_t *ev;

			rc = aiosd_next_event(cl, 0, &ev);
			if (rc && rc != -EAGAIN) {
				fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(cl));
				ret = EXIT_FAIL;
				break;
			}
			if (!rc) {
				live_aiosd(c, ev);
				json_decref(ev);
				seen++;
			}
		}
		fflush(stdout);
	}
	aios_events_close(kev);
	aiosd_close(cl);
	return ret;
}

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "config" };
	static const char *const head[] = {
		"SEQ", "TIME", "OPID", "AGENT", "OP", "OBJECT", "RESULT", "CAP",
	};
	const char *op = NULL, *after = NULL, *agent = NULL, *limit = NULL;
	const char *count = NULL, *agent_fd = NULL;
	bool live = false, no_kernel = false, no_ebpf = false;
	const struct ctl_opt opts[] = {
		{ "op", &op, NULL }, { "after", &after, NULL },
		{ "agent", &agent, NULL }, { "limit", &limit, NULL },
		{ "live", NULL, &live }, { "count", &count, NULL },
		{ "no-kernel", NULL, &no_kernel }, { "no-ebpf", NULL, &no_ebpf },
		{ "agent-fd", &agent_fd, NULL },
	};
	struct aios_audit_filter f = { 0 };
	struct aios_audit_rec *v = NULL;
	struct table *t;
	uint64_t x;
	char *pos[1];
	int npos, ret, k;
	json_t *arr;
	size_t n, i;

	if (argc > 1 && argv[1][0] != '-') {
		k = ctl_match(argv[1], cmds, 2);
		if (k == -2)
			return ctl_usage(c, "audit command \"%s\" is ambiguous",
					 argv[1]);
		if (k < 0 && !ctl_is_help(argv[1]))
			return ctl_usage(c, "unknown audit command \"%s\"",
					 argv[1]);
		if (k == 1)
			return audit_config(c, argc - 2, argv + 2);
		if (k == 0) {
			argc--;
			argv++;
		}
	}
	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 9, pos, 0, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
	if (live)
		return audit_live(c, count, no_kernel, no_ebpf, agent_fd);
	if (count || no_kernel || no_ebpf || agent_fd)
		return ctl_usage(c, "--count, --no-kernel, --no-ebpf and --agent-fd go with --live");
	if (op) {
		if (ctl_parse_u64(op, &f.op_id) || !f.op_id)
			return ctl_usage(c, "bad operation id \"%s\"", op);
		f.flags |= AIOS_AUDIT_F_OP_ID;
	}
	if (after) {
		if (ctl_parse_u64(after, &f.seq_after))
			return ctl_usage(c, "bad sequence number \"%s\"", after);
		f.flags |= AIOS_AUDIT_F_SEQ_AFTER;
	}
	if (agent) {
		if (ctl_parse_u64(agent, &f.agent_id))
			return ctl_usage(c, "bad agent id \"%s\"", agent);
		f.flags |= AIOS_AUDIT_F_AGENT;
	}
	if (limit) {
		if (ctl_parse_u64(limit, &x) || !x || x > 1048576)
			return ctl_usage(c, "bad limit \"%s\" (1..1048576)", limit);
		f.limit = x;
	}
	if (aios_audit_read(c->h, &f, &v, &n) < 0)
		return ctl_fail(c);
	if (c->json) {
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, ctl_json_audit(&v[i]));
		free(v);
		return ctl_json_print(c, arr);
	}
	t = table_new(8, head);
	for (i = 0; t && i < n; i++)
		if (audit_row(t, &v[i])) {
			table_free(t);
			t = NULL;
		}
	free(v);
	return table_finish(t, true);
}
