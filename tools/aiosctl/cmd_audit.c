// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl audit [show] [--op OP] [--after SEQ] [--agent ID] [--limit N]
 * aiosctl audit config --ring-size N
 */
#include <stdio.h>
#include <stdlib.h>

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
"records that no longer fit are counted as lost.  Both need CAP_SYS_ADMIN.\n";

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

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "config" };
	static const char *const head[] = {
		"SEQ", "TIME", "OPID", "AGENT", "OP", "OBJECT", "RESULT", "CAP",
	};
	const char *op = NULL, *after = NULL, *agent = NULL, *limit = NULL;
	const struct ctl_opt opts[] = {
		{ "op", &op, NULL }, { "after", &after, NULL },
		{ "agent", &agent, NULL }, { "limit", &limit, NULL },
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
	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 4, pos, 0, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
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
