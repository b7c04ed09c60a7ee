// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl memory { put | get | ls | rm | stats }
 *
 * The trie memory store of aiosd (Documentation/aiosd-protocol.md).  The
 * caller's namespace is decided by aiosd, never by us: our peer uid, or
 * the agent whose /dev/aios descriptor we pass with --agent-fd.  An
 * administrator may name another namespace with --agent ID or --uid UID.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "table.h"

struct memopts {
	const char *agent;	/* admin: another agent's namespace */
	const char *uid;	/* admin: another uid's namespace */
	const char *agent_fd;	/* authenticate as this agent */
	const char *limit;
	const char *prefix;
	bool keys_only;
	bool all;
};

static const char *const memory_cmds[] = { "put", "get", "ls", "rm", "stats" };

static void memory_help(void)
{
	fputs("usage: aiosctl memory put KEY VALUE [SCOPE]\n"
	      "       aiosctl memory get KEY [SCOPE]\n"
	      "       aiosctl memory ls [PREFIX] [--limit N] [--keys-only] [SCOPE]\n"
	      "       aiosctl memory rm KEY [SCOPE]\n"
	      "       aiosctl memory rm --prefix PREFIX [SCOPE]    (asks, or --yes)\n"
	      "       aiosctl memory stats [--all] [SCOPE]\n"
	      "SCOPE := [--agent-fd FD] [--agent ID | --uid UID]\n"
	      "  --agent-fd FD  act as the agent whose /dev/aios descriptor FD\n"
	      "                 this process inherited (aiosd asks the kernel)\n"
	      "  --agent ID, --uid UID\n"
	      "                 an administrator acting on another namespace\n"
	      "Without a scope the namespace is the one of your uid.  Talks to\n"
	      "aiosd at $AIOS_SOCKET (default " AIOSD_DEFAULT_SOCKET ").\n",
	      stdout);
}

/* Connect and authenticate as --agent-fd when given. */
static int mem_connect(struct ctl *c, const struct memopts *o,
		       struct aiosd_client **out)
{
	struct aiosd_client *cl;
	uint64_t fd;
	int rc;

	if (o->agent_fd && (ctl_parse_u64(o->agent_fd, &fd) || fd > INT32_MAX))
		return ctl_usage(c, "bad descriptor \"%s\"", o->agent_fd);
	rc = aiosd_connect(NULL, &cl);
	if (rc) {
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running?\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") :
			AIOSD_DEFAULT_SOCKET, strerror(-rc));
		return EXIT_FAIL;
	}
	if (o->agent_fd) {
		rc = aiosd_auth(cl, (int)fd);
		if (rc) {
			fprintf(stderr, "aiosctl: authenticating with descriptor %llu: %s\n",
				(unsigned long long)fd, aiosd_client_error(cl));
			aiosd_close(cl);
			return EXIT_FAIL;
		}
	}
	*out = cl;
	return EXIT_OK;
}

/* A request object with the scope fields of o. */
static int mem_request(struct ctl *c, const struct memopts *o, const char *op,
		       json_t **out)
{
	json_t *req = json_pack("{s:s}", "op", op);
	uint64_t v;

	if (!req)
		return EXIT_FAIL;
	if (o->agent && o->uid) {
		json_decref(req);
		return ctl_usage(c, "--agent and --uid exclude each other");
	}
	if (o->agent) {
		if (ctl_parse_id(c, o->agent, &v)) {
			json_decref(req);
			return EXIT_USAGE;
		}
		json_object_set_new(req, "agent", json_integer((json_int_t)v));
	}
	if (o->uid) {
		if (ctl_parse_u64(o->uid, &v) || v > UINT32_MAX) {
			json_decref(req);
			return ctl_usage(c, "bad uid \"%s\"", o->uid);
		}
		json_object_set_new(req, "uid", json_integer((json_int_t)v));
	}
	*out = req;
	return EXIT_OK;
}

/* Send req (stolen) and return the reply in *reply, or print the error. */
static int mem_call(struct aiosd_client *cl, json_t *req, json_t **reply)
{
	int rc = aiosd_call(cl, req, reply);

	json_decref(req);
	if (rc) {
		fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(cl));
		json_decref(*reply);
		*reply = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* A byte-string field of a reply: "x" or "x_b64" (printed as such). */
static void print_bytes(json_t *obj, const char *name)
{
	char b64[64];
	json_t *v = json_object_get(obj, name);

	if (json_is_string(v)) {
		fwrite(json_string_value(v), 1, json_string_length(v), stdout);
		return;
	}
	snprintf(b64, sizeof(b64), "%s_b64", name);
	v = json_object_get(obj, b64);
	printf("base64:%s", json_is_string(v) ? json_string_value(v) : "");
}

static int mem_put(struct ctl *c, struct aiosd_client *cl,
		   const struct memopts *o, char **pos)
{
	json_t *req, *reply;
	int ret = mem_request(c, o, "memory.put", &req);

	if (ret)
		return ret;
	json_object_set_new(req, "key", json_string(pos[0]));
	json_object_set_new(req, "value", json_string(pos[1]));
	ret = mem_call(cl, req, &reply);
	if (ret)
		return ret;
	if (c->json)
		return ctl_json_print(c, reply);
	printf("stored %s (%lld evicted)\n", pos[0],
	       (long long)json_integer_value(json_object_get(reply, "evicted")));
	json_decref(reply);
	return EXIT_OK;
}

static int mem_get(struct ctl *c, struct aiosd_client *cl,
		   const struct memopts *o, char **pos)
{
	json_t *req, *reply;
	int ret = mem_request(c, o, "memory.get", &req);

	if (ret)
		return ret;
	json_object_set_new(req, "key", json_string(pos[0]));
	ret = mem_call(cl, req, &reply);
	if (ret)
		return ret;
	if (c->json)
		return ctl_json_print(c, reply);
	print_bytes(reply, "value");
	putchar('\n');
	json_decref(reply);
	return EXIT_OK;
}

static int mem_ls(struct ctl *c, struct aiosd_client *cl,
		  const struct memopts *o, char **pos, int npos)
{
	json_t *all = json_array(), *cursor = NULL;
	uint64_t limit = 0, shown = 0;
	int ret = EXIT_OK;

	if (o->limit && (ctl_parse_u64(o->limit, &limit) || !limit)) {
		json_decref(all);
		return ctl_usage(c, "bad limit \"%s\"", o->limit);
	}
	for (;;) {
		json_t *req, *reply, *items, *it;
		size_t i;

		ret = mem_request(c, o, "memory.list", &req);
		if (ret)
			break;
		if (npos)
			json_object_set_new(req, "prefix", json_string(pos[0]));
		json_object_set_new(req, "values", json_boolean(!o->keys_only));
		if (limit && limit - shown < 1000)
			json_object_set_new(req, "limit",
					    json_integer((json_int_t)(limit - shown)));
		else
			json_object_set_new(req, "limit", json_integer(1000));
		if (cursor)
			json_object_set(req, "cursor_b64", cursor);
		ret = mem_call(cl, req, &reply);
		if (ret)
			break;
		items = json_object_get(reply, "items");
		json_array_foreach(items, i, it) {
			if (c->json) {
				json_array_append(all, it);
			} else {
				print_bytes(it, "key");
				if (!o->keys_only) {
					fputs("\t", stdout);
					print_bytes(it, "value");
				}
				putchar('\n');
			}
			shown++;
		}
		json_decref(cursor);
		cursor = NULL;
		if (json_is_true(json_object_get(reply, "more")) &&
		    (!limit || shown < limit))
			cursor = json_incref(json_object_get(reply, "cursor_b64"));
		json_decref(reply);
		if (!cursor)
			break;
	}
	json_decref(cursor);
	if (ret) {
		json_decref(all);
		return ret;
	}
	if (c->json)
		return ctl_json_print(c, all);
	json_decref(all);
	return EXIT_OK;
}

static int mem_rm(struct ctl *c, struct aiosd_client *cl,
		  const struct memopts *o, char **pos, int npos)
{
	json_t *req, *reply;
	int ret;

	if (o->prefix) {
		/* confirmed (ctl_confirm) in cmd_memory before connecting */
		ret = mem_request(c, o, "memory.delete_prefix", &req);
		if (ret)
			return ret;
		json_object_set_new(req, "prefix", json_string(o->prefix));
	} else {
		if (npos != 1)
			return ctl_usage(c, "rm needs a KEY (or --prefix PREFIX)");
		ret = mem_request(c, o, "memory.delete", &req);
		if (ret)
			return ret;
		json_object_set_new(req, "key", json_string(pos[0]));
	}
	ret = mem_call(cl, req, &reply);
	if (ret)
		return ret;
	if (c->json)
		return ctl_json_print(c, reply);
	if (o->prefix)
		printf("deleted %lld keys\n",
		       (long long)json_integer_value(json_object_get(reply, "deleted")));
	else
		printf("deleted %s\n", pos[0]);
	json_decref(reply);
	return EXIT_OK;
}

static int mem_stats(struct ctl *c, struct aiosd_client *cl,
		     const struct memopts *o)
{
	static const char *const fields[] = {
		"agents", "items", "raw_key_bytes", "stored_key_bytes",
		"value_bytes", "overhead_bytes", "mem_bytes", "capacity_bytes",
		"threshold_bytes", "evictions", "hits", "misses", "hit_rate",
		"compression_ratio",
	};
	json_t *req, *reply, *st;
	size_t i;
	int ret = mem_request(c, o, "memory.stats", &req);

	if (ret)
		return ret;
	if (o->all)
		json_object_set_new(req, "all", json_true());
	ret = mem_call(cl, req, &reply);
	if (ret)
		return ret;
	st = json_object_get(reply, "stats");
	if (c->json) {
		json_incref(st);
		json_decref(reply);
		return ctl_json_print(c, st);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *v = json_object_get(st, fields[i]);

		if (json_is_integer(v))
			printf("%-18s %lld\n", fields[i],
			       (long long)json_integer_value(v));
		else if (json_is_real(v))
			printf("%-18s %.3f\n", fields[i], json_real_value(v));
	}
	json_decref(reply);
	return EXIT_OK;
}

int cmd_memory(struct ctl *c, int argc, char **argv)
{
	struct memopts o = { 0 };
	const struct ctl_opt opts[] = {
		{ "agent", &o.agent, NULL },
		{ "uid", &o.uid, NULL },
		{ "agent-fd", &o.agent_fd, NULL },
		{ "limit", &o.limit, NULL },
		{ "prefix", &o.prefix, NULL },
		{ "keys-only", NULL, &o.keys_only },
		{ "all", NULL, &o.all },
	};
	static const int want[] = { 2, 1, -1, -1, 0 };	/* positional words */
	struct aiosd_client *cl = NULL;
	char *pos[2];
	int cmd, npos, ret;

	if (argc < 2 || ctl_is_help(argv[1])) {
		memory_help();
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	cmd = ctl_match(argv[1], memory_cmds, 5);
	if (cmd < 0)
		return ctl_usage(c, "%s memory command \"%s\"",
				 cmd == -2 ? "ambiguous" : "unknown", argv[1]);
	ret = ctl_parse_opts(c, argc - 2, argv + 2, opts,
			     sizeof(opts) / sizeof(opts[0]), pos, 2, &npos);
	if (ret == CTL_HELP) {
		memory_help();
		return EXIT_OK;
	}
	if (ret)
		return ret;
	if (want[cmd] >= 0 && npos != want[cmd])
		return ctl_usage(c, "memory %s takes %d argument%s",
				 memory_cmds[cmd], want[cmd],
				 want[cmd] == 1 ? "" : "s");
	if (cmd == 2 && npos > 1)
		return ctl_usage(c, "memory ls takes at most one PREFIX");
	if (cmd == 3 && o.prefix) {	/* delete-by-prefix: high risk */
		if (npos)
			return ctl_usage(c, "rm takes a KEY or --prefix, not both");
		ret = ctl_confirm(c, "delete every key starting with \"%s\"",
				  o.prefix);
		if (ret)
			return ret;
	}
	ret = mem_connect(c, &o, &cl);
	if (ret)
		return ret;
	switch (cmd) {
	case 0:
		ret = mem_put(c, cl, &o, pos);
		break;
	case 1:
		ret = mem_get(c, cl, &o, pos);
		break;
	case 2:
		ret = mem_ls(c, cl, &o, pos, npos);
		break;
	case 3:
		ret = mem_rm(c, cl, &o, pos, npos);
		break;
	default:
		ret = mem_stats(c, cl, &o);
		break;
	}
	aiosd_close(cl);
	return ret;
}
