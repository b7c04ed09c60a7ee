// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl ipc send | recv | stats | policy
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "table.h"

#define PAYLOAD_MAX	(16u << 20)

static const char help_text[] =
"usage: aiosctl ipc send [--fd N] [--type T] [--intent I] [--corr N]\n"
"                        [--timeout MS] [--nonblock] (ID | --group NAME) PAYLOAD|-\n"
"       aiosctl ipc recv [--fd N] [--from ID] [--intent I] [--timeout MS]\n"
"                        [--peek] [--nonblock] [--count N]\n"
"       aiosctl ipc stats [ID]\n"
"       aiosctl ipc policy ID (--allow ID[,ID...] | --clear)\n"
"\n"
"send     send a typed message to agent ID (or every member of a group).\n"
"         T: text (default), number, json or binary; the kernel rejects a\n"
"         payload that does not match its type and says where.  PAYLOAD '-'\n"
"         reads it from standard input.  The sender is the agent whose\n"
"         /dev/aios descriptor is N (inherited from the caller), or else a\n"
"         transient agent named \"aiosctl\".  --timeout: how long to wait\n"
"         when the mailbox is full (default -1: forever).\n"
"recv     take the oldest matching message of the agent whose /dev/aios\n"
"         descriptor is N (--peek: leave it queued), --count messages\n"
"         (default 1).  Without --fd, listen as a new agent \"aiosctl\" whose\n"
"         id is printed first (\"listening as agent ID\").  --timeout\n"
"         defaults to -1 (wait forever); --nonblock fails at once when no\n"
"         message is there.\n"
"stats    mailbox statistics of every agent, or of agent ID.\n"
"policy   restrict agent ID to sending only to the listed agents (at most\n"
"         256), or lift the restriction with --clear.  Needs CAP_SYS_ADMIN\n"
"         (acts as a transient agent \"aiosctl\"); the change is audited.\n";

/* The agent to act as: an inherited descriptor, or a transient agent. */
static struct aios *agent_handle(struct ctl *c, const char *fd_arg)
{
	struct aios *h;
	uint64_t fd;
	int dfd;

	h = aios_new();
	if (!h) {
		fprintf(stderr, "aiosctl: out of memory\n");
		return NULL;
	}
	if (fd_arg) {
		if (ctl_parse_u64(fd_arg, &fd) || fd > 1u << 20) {
			ctl_usage(c, "bad descriptor \"%s\"", fd_arg);
			goto err;
		}
		dfd = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
		if (dfd < 0) {
			fprintf(stderr, "aiosctl: descriptor %d: %s\n", (int)fd,
				strerror(errno));
			goto err;
		}
		if (aios_adopt_fd(h, dfd) < 0 || !aios_agent_id(h)) {
			fprintf(stderr, "aiosctl: descriptor %d: %s\n", (int)fd,
				aios_agent_id(h) ? aios_errmsg(h) :
				"not a registered /dev/aios agent");
			goto err;
		}
		return h;
	}
	if (aios_open(h) < 0 || aios_register(h, "aiosctl", AIOS_PRIO_NORMAL,
					      NULL) < 0) {
		fprintf(stderr, "aiosctl: %s\n", aios_errmsg(h));
		goto err;
	}
	return h;
err:
	aios_close(h);
	return NULL;
}

static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= PAYLOAD_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = read(0, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (!r)
			break;
		n += r;
	}
	*len = n;
	return buf;
}

static int parse_timeout(struct ctl *c, const char *s, int32_t *ms)
{
	char *end;
	long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < -1 || v > INT32_MAX)
		return ctl_usage(c, "bad timeout \"%s\" (milliseconds, -1: forever)",
				 s);
	*ms = (int32_t)v;
	return 0;
}

static int ipc_send(struct ctl *c, int argc, char **argv)
{
	const char *fd = NULL, *type_s = NULL, *intent = "inform", *corr = NULL;
	const char *timeout = NULL, *group = NULL;
	bool nonblock = false;
	struct ctl_opt opts[] = {
		{ "fd", &fd, NULL }, { "type", &type_s, NULL },
		{ "intent", &intent, NULL }, { "corr", &corr, NULL },
		{ "timeout", &timeout, NULL }, { "group", &group, NULL },
		{ "nonblock", NULL, &nonblock },
	};
	struct aios_send_opts o = { .sz = sizeof(o), .timeout_ms = -1 };
	uint32_t type = AIOS_MSG_TEXT, off = 0;
	char *pos[2], *payload, *buf = NULL;
	uint64_t to = 0, msg_id = 0;
	int npos, ret, delivered = 1;
	struct aios *h;
	size_t len;
	json_t *j;

	ret = ctl_parse_cmd(c, argc, argv, opts, 7, pos, 2, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (npos != (group ? 1 : 2))
		return ctl_usage(c, group ? "ipc send --group NAME takes one PAYLOAD" :
				 "ipc send needs ID and PAYLOAD");
	if (!group && ctl_parse_id(c, pos[0], &to))
		return ctl_usage(c, "bad agent id \"%s\"", pos[0]);
	if (type_s && aios_msg_type_parse(type_s, &type))
		return ctl_usage(c, "unknown message type \"%s\" (text, number, json, binary)",
				 type_s);
	if (corr && ctl_parse_u64(corr, &o.correlation_id))
		return ctl_usage(c, "bad correlation id \"%s\"", corr);
	if (parse_timeout(c, timeout, &o.timeout_ms))
		return EXIT_USAGE;
	if (nonblock)
		o.flags |= AIOS_SEND_NONBLOCK;
	payload = pos[npos - 1];
	if (!strcmp(payload, "-")) {
		buf = read_stdin(&len);
		if (!buf) {
			fprintf(stderr, "aiosctl: reading the payload from standard input: %s\n",
				strerror(errno ? errno : ENOMEM));
			return EXIT_FAIL;
		}
		payload = buf;
	} else {
		len = strlen(payload);
	}

	h = agent_handle(c, fd);
	if (!h) {
		free(buf);
		return EXIT_FAIL;
	}
	if (group)
		ret = delivered = aios_msg_send_group(h, group, type, intent,
						      payload, len, &o,
						      &msg_id, &off);
	else
		ret = aios_msg_send(h, to, type, intent, payload, len, &o,
				    &msg_id, &off);
	free(buf);
	if (ret < 0) {
		fprintf(stderr, "aiosctl: %s\n", aios_errmsg(h));
		aios_close(h);
		return EXIT_FAIL;
	}
	if (c->json) {
		j = json_object();
		if (j) {
			json_object_set_new(j, "msg_id", json_integer(msg_id));
			json_object_set_new(j, "from",
					    json_integer(aios_agent_id(h)));
			json_object_set_new(j, "delivered",
					    json_integer(delivered));
		}
		aios_close(h);
		return ctl_json_print(c, j);
	}
	printf("message %llu from agent %llu delivered to %d receiver%s\n",
	       (unsigned long long)msg_id,
	       (unsigned long long)aios_agent_id(h), delivered,
	       delivered == 1 ? "" : "s");
	aios_close(h);
	return EXIT_OK;
}

/* Payload as a JSON string when it is text-like, else hex. */
static json_t *json_payload(uint32_t type, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	json_t *v;
	char *h;

	if (type != AIOS_MSG_BINARY)
		return json_stringn(p, len);
	h = malloc(len * 2 + 1);
	if (!h)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		h[2 * i] = hex[(unsigned char)p[i] >> 4];
		h[2 * i + 1] = hex[(unsigned char)p[i] & 15];
	}
	h[len * 2] = '\0';
	v = json_string(h);
	free(h);
	return v;
}

static int print_message(struct ctl *c, const struct aios_message *m,
			 const char *buf)
{
	const char *tname = aios_msg_type_name(m->type);
	char ts[32];
	json_t *j;

	if (c->json) {
		j = json_object();
		if (j) {
			json_object_set_new(j, "msg_id", json_integer(m->id));
			json_object_set_new(j, "from", json_integer(m->from));
			json_object_set_new(j, "intent", json_string(m->intent));
			json_object_set_new(j, "type",
					    json_string(tname ? tname : "?"));
			json_object_set_new(j, "correlation_id",
					    json_integer(m->correlation_id));
			json_object_set_new(j, "sent_ns",
					    json_integer(m->sent_ns));
			json_object_set_new(j, "len", json_integer(m->len));
			json_object_set_new(j, "payload",
					    json_payload(m->type, buf, m->len));
		}
		return ctl_json_print(c, j);
	}
	ctl_fmt_ns(ts, sizeof(ts), m->sent_ns);
	printf("message %llu from agent %llu intent %s type %s correlation %llu sent %s len %u\n",
	       (unsigned long long)m->id, (unsigned long long)m->from,
	       m->intent, tname ? tname : "?",
	       (unsigned long long)m->correlation_id, ts, m->len);
	if (m->type == AIOS_MSG_BINARY) {
		for (uint32_t i = 0; i < m->len; i++)
			printf("%02x%s", (unsigned char)buf[i],
			       (i + 1) % 32 && i + 1 < m->len ? "" : "\n");
	} else {
		fwrite(buf, 1, m->len, stdout);
		putchar('\n');
	}
	fflush(stdout);
	return EXIT_OK;
}

static int ipc_recv(struct ctl *c, int argc, char **argv)
{
	const char *fd = NULL, *from = NULL, *intent = NULL, *timeout = NULL;
	const char *count_s = NULL;
	bool peek = false, nonblock = false;
	struct ctl_opt opts[] = {
		{ "fd", &fd, NULL }, { "from", &from, NULL },
		{ "intent", &intent, NULL }, { "timeout", &timeout, NULL },
		{ "peek", NULL, &peek }, { "nonblock", NULL, &nonblock },
		{ "count", &count_s, NULL },
	};
	struct aios_recv_opts o = { .sz = sizeof(o), .timeout_ms = -1 };
	struct aios_message m;
	uint64_t count = 1;
	char *pos[1], *buf;
	struct aios *h;
	int npos, ret;

	ret = ctl_parse_cmd(c, argc, argv, opts, 7, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (from && ctl_parse_id(c, from, &o.from))
		return ctl_usage(c, "bad agent id \"%s\"", from);
	if (count_s && (ctl_parse_u64(count_s, &count) || !count))
		return ctl_usage(c, "bad count \"%s\" (a number > 0)", count_s);
	if (parse_timeout(c, timeout, &o.timeout_ms))
		return EXIT_USAGE;
	o.intent = intent;
	o.flags = (peek ? AIOS_RECV_PEEK : 0) |
		  (nonblock ? AIOS_RECV_NONBLOCK : 0);
	h = agent_handle(c, fd);
	if (!h)
		return EXIT_FAIL;
	if (!fd) {
		printf("listening as agent %llu\n",
		       (unsigned long long)aios_agent_id(h));
		fflush(stdout);
	}
	buf = malloc(PAYLOAD_MAX);
	if (!buf) {
		aios_close(h);
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	ret = EXIT_OK;
	for (uint64_t i = 0; i < count && ret == EXIT_OK; i++) {
		if (aios_msg_recv(h, &o, &m, buf, PAYLOAD_MAX) < 0) {
			fprintf(stderr, "aiosctl: %s\n", aios_errmsg(h));
			ret = EXIT_FAIL;
			break;
		}
		ret = print_message(c, &m, buf);
	}
	free(buf);
	aios_close(h);
	return ret;
}

static json_t *json_mbox(const struct aios_mbox_stats *s)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "agent_id", json_integer(s->agent_id));
	json_object_set_new(o, "count", json_integer(s->count));
	json_object_set_new(o, "max_count", json_integer(s->max_count));
	json_object_set_new(o, "bytes", json_integer(s->bytes));
	json_object_set_new(o, "max_bytes", json_integer(s->max_bytes));
	json_object_set_new(o, "received", json_integer(s->received));
	json_object_set_new(o, "taken", json_integer(s->taken));
	json_object_set_new(o, "full", json_integer(s->full));
	json_object_set_new(o, "rejected", json_integer(s->rejected));
	json_object_set_new(o, "sent", json_integer(s->sent));
	return o;
}

static int ipc_stats(struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {
		"AGENT", "COUNT", "BYTES", "RECEIVED", "TAKEN", "FULL",
		"REJECTED", "SENT",
	};
	struct aios_mbox_stats *v = NULL, one;
	char cell[8][32];
	const char *cells[8];
	struct table *t;
	char *pos[1];
	int npos, ret;
	uint64_t id;
	size_t n, i;
	json_t *arr;

	ret = ctl_parse_cmd(c, argc, argv, NULL, 0, pos, 1, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (npos) {
		if (ctl_parse_id(c, pos[0], &id))
			return ctl_usage(c, "bad agent id \"%s\"", pos[0]);
		if (aios_mbox_get(c->h, id, &one) < 0)
			return ctl_fail(c);
		if (c->json)
			return ctl_json_print(c, json_mbox(&one));
		v = &one;
		n = 1;
	} else if (aios_mboxes(c->h, &v, &n) < 0) {
		return ctl_fail(c);
	}
	if (c->json) {
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_mbox(&v[i]));
		free(v);
		return ctl_json_print(c, arr);
	}
	t = table_new(8, head);
	for (i = 0; t && i < n; i++) {
		snprintf(cell[0], 32, "%llu", (unsigned long long)v[i].agent_id);
		snprintf(cell[1], 32, "%u/%u", v[i].count, v[i].max_count);
		snprintf(cell[2], 32, "%llu/%llu",
			 (unsigned long long)v[i].bytes,
			 (unsigned long long)v[i].max_bytes);
		snprintf(cell[3], 32, "%llu", (unsigned long long)v[i].received);
		snprintf(cell[4], 32, "%llu", (unsigned long long)v[i].taken);
		snprintf(cell[5], 32, "%llu", (unsigned long long)v[i].full);
		snprintf(cell[6], 32, "%llu", (unsigned long long)v[i].rejected);
		snprintf(cell[7], 32, "%llu", (unsigned long long)v[i].sent);
		for (int k = 0; k < 8; k++)
			cells[k] = cell[k];
		if (table_row(t, cells)) {
			table_free(t);
			t = NULL;
		}
	}
	if (v != &one)
		free(v);
	return table_finish(t, true);
}

/* ipc policy ID (--allow LIST | --clear) */
static int ipc_policy(struct ctl *c, int argc, char **argv)
{
	const char *allow = NULL;
	bool clear = false;
	const struct ctl_opt opts[] = {
		{ "allow", &allow, NULL },
		{ "clear", NULL, &clear },
	};
	uint64_t id, ids[256];
	char *pos[1], *dup, *tok, *save;
	struct aios *h;
	size_t n = 0, i;
	int npos, ret;
	json_t *o, *arr;

	ret = ctl_parse_cmd(c, argc, argv, opts, 2, pos, 1, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (npos != 1)
		return ctl_usage(c, "ipc policy needs one agent ID");
	if (ctl_parse_id(c, pos[0], &id))
		return ctl_usage(c, "bad agent id \"%s\"", pos[0]);
	if (!allow == !clear)
		return ctl_usage(c, "ipc policy needs --allow ID[,ID...] or --clear");
	if (allow) {
		dup = strdup(allow);
		if (!dup) {
			fprintf(stderr, "aiosctl: out of memory\n");
			return EXIT_FAIL;
		}
		for (tok = strtok_r(dup, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (n == 256 || ctl_parse_id(c, tok, &ids[n])) {
				ret = ctl_usage(c, n == 256 ?
						"--allow: at most 256 agents" :
						"--allow: bad agent id \"%s\"", tok);
				free(dup);
				return ret;
			}
			n++;
		}
		free(dup);
		if (!n)
			return ctl_usage(c, "--allow needs at least one agent id");
	}
	h = agent_handle(c, NULL);
	if (!h)
		return EXIT_FAIL;
	ret = clear ? aios_msg_policy_clear(h, id) :
		      aios_msg_policy_set(h, id, ids, n);
	if (ret < 0) {
		fprintf(stderr, "aiosctl: %s\n", aios_errmsg(h));
		aios_close(h);
		return EXIT_FAIL;
	}
	aios_close(h);
	if (c->json) {
		o = json_object();
		arr = clear ? json_null() : json_array();
		for (i = 0; arr && !clear && i < n; i++)
			json_array_append_new(arr, json_integer(ids[i]));
		if (o) {
			json_object_set_new(o, "agent", json_integer(id));
			json_object_set_new(o, "restricted", json_boolean(!clear));
			json_object_set_new(o, "allow", arr);
		} else {
			json_decref(arr);
		}
		return ctl_json_print(c, o);
	}
	if (clear)
		printf("agent %llu may send to anyone\n", (unsigned long long)id);
	else
		printf("agent %llu may send only to %s\n", (unsigned long long)id, allow);
	return EXIT_OK;
}

int cmd_ipc(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "send", "recv", "stats", "policy" };
	int k;

	if (argc < 2 || ctl_is_help(argv[1])) {
		fputs(help_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	k = ctl_match(argv[1], cmds, 4);
	if (k == -2)
		return ctl_usage(c, "ipc command \"%s\" is ambiguous", argv[1]);
	if (k < 0)
		return ctl_usage(c, "unknown ipc command \"%s\" (send, recv, stats, policy)",
				 argv[1]);
	/* options and words follow the command word */
	switch (k) {
	case 0:
		return ipc_send(c, argc - 2, argv + 2);
	case 1:
		return ipc_recv(c, argc - 2, argv + 2);
	case 3:
		return ipc_policy(c, argc - 2, argv + 2);
	default:
		return ipc_stats(c, argc - 2, argv + 2);
	}
}
