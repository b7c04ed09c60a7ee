// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl http token { add | ls | revoke }
 *
 * Bearer tokens of aios-httpd's TCP listener (Documentation/http.md).
 * aiosd keeps them (hashed, in a 0600 file) and verifies them; managing
 * them needs ADMIN.  A token is shown once, when it is added.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "table.h"

static const char *const http_cmds[] = { "token" };
static const char *const token_cmds[] = { "add", "ls", "revoke" };

static void http_help(void)
{
	fputs("usage: aiosctl http token add --agent ID | --uid UID [--note TEXT]\n"
	      "       aiosctl http token ls\n"
	      "       aiosctl http token revoke TOKEN-ID\n"
	      "Bearer tokens for aios-httpd's TCP listener (needs ADMIN).  A token\n"
	      "bound to an agent is valid while that agent lives and carries its\n"
	      "capabilities; one bound to a uid acts as that uid.  \"add\" prints\n"
	      "the token once; aiosd stores only its SHA-256.  Talks to aiosd at\n"
	      "$AIOS_SOCKET (default " AIOSD_DEFAULT_SOCKET ").\n",
	      stdout);
}

static int http_call(struct ctl *c, json_t *req, json_t **reply)
{
	struct aiosd_client *cl;
	int rc;

	(void)c;
	if (!req) {
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	rc = aiosd_connect(NULL, &cl);
	if (rc) {
		json_decref(req);
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running?\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET,
			strerror(-rc));
		return EXIT_FAIL;
	}
	rc = aiosd_call(cl, req, reply);
	json_decref(req);
	if (rc) {
		fprintf(stderr, "aiosctl: %s\n", aiosd_client_error(cl));
		if (reply) {
			json_decref(*reply);
			*reply = NULL;
		}
		aiosd_close(cl);
		return EXIT_FAIL;
	}
	aiosd_close(cl);
	return EXIT_OK;
}

static int token_add(struct ctl *c, int argc, char **argv)
{
	const char *agent = NULL, *uid = NULL, *note = NULL;
	const struct ctl_opt opts[] = {
		{ "agent", &agent, NULL }, { "uid", &uid, NULL }, { "note", &note, NULL },
	};
	uint64_t v;
	json_t *req, *r;
	int ret, npos;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 3, NULL, 0, &npos,
			    "usage: aiosctl http token add --agent ID | --uid UID [--note TEXT]\n");
	if (ret)
		return ctl_status(ret);
	if (!agent == !uid)
		return ctl_usage(c, "give exactly one of --agent ID or --uid UID");
	if (agent ? ctl_parse_id(c, agent, &v) : ctl_parse_u64(uid, &v))
		return ctl_usage(c, "bad %s \"%s\"", agent ? "agent id" : "uid", agent ? agent : uid);
	req = json_pack("{s:s, s:I}", "op", "token.add", agent ? "agent" : "uid", (json_int_t)v);
	if (req && note)
		json_object_set_new(req, "note", json_string(note));
	ret = http_call(c, req, &r);
	if (ret)
		return ret;
	if (c->json) {
		json_object_del(r, "v");
		json_object_del(r, "id");
		json_object_del(r, "ok");
		return ctl_json_print(c, r);
	}
	printf("%s\n", json_string_value(json_object_get(r, "token")));
	fprintf(stderr, "token id %s (shown once; revoke with: aiosctl http token revoke %s)\n",
		json_string_value(json_object_get(json_object_get(r, "entry"), "id")),
		json_string_value(json_object_get(json_object_get(r, "entry"), "id")));
	json_decref(r);
	return EXIT_OK;
}

static int token_ls(struct ctl *c, int argc, char **argv)
{
	json_t *r, *e;
	size_t i;
	int ret, npos;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, NULL, 0, &npos,
			    "usage: aiosctl http token ls\n");
	if (ret)
		return ctl_status(ret);
	ret = http_call(c, json_pack("{s:s}", "op", "token.list"), &r);
	if (ret)
		return ret;
	if (c->json) {
		ret = ctl_json_print(c, json_incref(json_object_get(r, "tokens")));
		json_decref(r);
		return ret;
	}
	printf("%-20s %-14s %-20s %s\n", "ID", "BOUND TO", "CREATED (ns)", "NOTE");
	json_array_foreach(json_object_get(r, "tokens"), i, e) {
		char bound[40];

		if (json_object_get(e, "agent"))
			snprintf(bound, sizeof(bound), "agent %lld",
				 (long long)json_integer_value(json_object_get(e, "agent")));
		else
			snprintf(bound, sizeof(bound), "uid %lld",
				 (long long)json_integer_value(json_object_get(e, "uid")));
		printf("%-20s %-14s %-20lld %s\n", json_string_value(json_object_get(e, "id")), bound,
		       (long long)json_integer_value(json_object_get(e, "created_ns")),
		       json_string_value(json_object_get(e, "note")) ?: "");
	}
	json_decref(r);
	return EXIT_OK;
}

static int token_revoke(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	json_t *r;
	int ret, npos;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 1, &npos,
			    "usage: aiosctl http token revoke TOKEN-ID\n");
	if (ret)
		return ctl_status(ret);
	if (npos != 1)
		return ctl_usage(c, "give the token's id (t-..., see 'aiosctl http token ls')");
	ret = ctl_confirm(c, "revoke HTTP token %s", pos[0]);
	if (ret)
		return ret;
	ret = http_call(c, json_pack("{s:s, s:s}", "op", "token.revoke", "token", pos[0]), &r);
	if (ret)
		return ret;
	json_decref(r);
	if (!c->json)
		printf("revoked %s\n", pos[0]);
	return EXIT_OK;
}

int cmd_http(struct ctl *c, int argc, char **argv)
{
	int m;

	if (argc < 2 || ctl_is_help(argv[1])) {
		http_help();
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	m = ctl_match(argv[1], http_cmds, 1);
	if (m < 0)
		return ctl_usage(c, "unknown http command \"%s\" (token)", argv[1]);
	if (argc < 3 || ctl_is_help(argv[2])) {
		http_help();
		return argc < 3 ? EXIT_USAGE : EXIT_OK;
	}
	m = ctl_match(argv[2], token_cmds, 3);
	if (m == -2)
		return ctl_usage(c, "\"%s\" is ambiguous (add, ls, revoke)", argv[2]);
	if (m < 0)
		return ctl_usage(c, "unknown token command \"%s\" (add, ls, revoke)", argv[2]);
	argc -= 2;
	argv += 2;
	switch (m) {
	case 0:
		return token_add(c, argc, argv);
	case 1:
		return token_ls(c, argc, argv);
	default:
		return token_revoke(c, argc, argv);
	}
}
