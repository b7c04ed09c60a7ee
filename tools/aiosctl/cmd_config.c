// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl config { show | check FILE | hash FILE | reload }
 *
 * aiosd's configuration (Documentation/aiosd-config.md).  check and hash
 * use aiosd's own parser (config.c, linked from the aiosd build), so a
 * file that passes here is what aiosd accepts; show and reload ask the
 * running aiosd ("config.get", "config.reload": administrators).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiosd_client.h"
#include "config.h"
#include "ctl.h"

static const char *const config_cmds[] = { "show", "check", "hash", "reload" };

static const char help_text[] =
"usage: aiosctl config show\n"
"       aiosctl config check FILE [--env]\n"
"       aiosctl config hash FILE\n"
"       aiosctl config reload\n"
"\n"
"  show    the running aiosd's effective configuration, the config file's\n"
"          path and SHA-256, the check policy and the last reload (admin)\n"
"  check   validate FILE with aiosd's parser: unknown keys, wrong types and\n"
"          out-of-range values are reported with their JSON path\n"
"          (\"$.store.fsync\"); --env applies the AIOS_* environment too\n"
"  hash    the SHA-256 of FILE in sha256sum format: record it for\n"
"          aiosd --config-sha256 @HASHFILE (aiosctl config hash F > F.sha256)\n"
"  reload  ask aiosd to reload its configuration (like SIGHUP) and show\n"
"          what was applied and what needs a restart (admin)\n"
"Exit status: 0 ok, 1 invalid file / failed, 2 usage.\n";

static int cfg_check(struct ctl *c, const char *file, bool env)
{
	struct aiosd_config cfg;
	char hex[CONFIG_SHA256_HEX] = "", err[1024];
	int r;

	config_defaults(&cfg);
	r = config_load_file_hash(&cfg, file, hex, err, sizeof(err));
	if (!r && env)
		r = config_load_env(&cfg, err, sizeof(err));
	if (!r) {
		char e2[700];

		r = config_validate(&cfg, e2, sizeof(e2));
		if (r)
			snprintf(err, sizeof(err), "%.300s: %s", file, e2);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:b, s:s}", "file", file, "ok", r == 0, "sha256", hex);

		if (o && r)
			json_object_set_new(o, "error", json_string(err));
		if (o && !r)
			json_object_set_new(o, "effective", config_to_json(&cfg));
		ctl_json_print(c, o);
	} else if (r) {
		fprintf(stderr, "aiosctl: %s\n", err);
	} else {
		printf("%s: valid (sha256 %s)\n", file, hex);
	}
	return r ? EXIT_FAIL : EXIT_OK;
}

static int cfg_hash(struct ctl *c, const char *file)
{
	char hex[CONFIG_SHA256_HEX], err[600], *buf;
	size_t len;
	int r = config_read_file(file, &buf, &len, err, sizeof(err));

	if (!r) {
		r = config_sha256_hex(buf, len, hex);
		free(buf);
		if (r)
			snprintf(err, sizeof(err), "%s: SHA-256 failed", file);
	}
	if (r) {
		fprintf(stderr, "aiosctl: %s\n", err);
		return EXIT_FAIL;
	}
	if (c->json)
		return ctl_json_print(c, json_pack("{s:s, s:s, s:I}", "file", file, "sha256", hex,
						   "bytes", (json_int_t)len));
	printf("%s  %s\n", hex, file);
	return EXIT_OK;
}

static json_t *ask(const char *op, int *rc)
{
	struct aiosd_client *cl;
	json_t *req, *reply = NULL;

	*rc = aiosd_connect(NULL, &cl);
	if (*rc) {
		fprintf(stderr, "aiosctl: cannot connect to aiosd (%s): %s; is aiosd running?\n",
			getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET,
			strerror(-*rc));
		return NULL;
	}
	req = json_pack("{s:s}", "op", op);
	*rc = aiosd_call(cl, req, &reply);
	json_decref(req);
	if (*rc)
		fprintf(stderr, "aiosctl: %s%s\n", aiosd_client_error(cl),
			*rc == -EPERM ? " (run as root)" : "");
	aiosd_close(cl);
	return reply;
}

static void print_changes(const char *title, json_t *arr)
{
	json_t *e;
	size_t i;

	if (!json_array_size(arr))
		return;
	printf("%s:\n", title);
	json_array_foreach(arr, i, e)
		printf("  %-28s %s -> %s\n", json_string_value(json_object_get(e, "key")),
		       json_string_value(json_object_get(e, "old")),
		       json_string_value(json_object_get(e, "new")));
}

static int cfg_show(struct ctl *c)
{
	json_t *r, *src, *lr;
	char *text;
	int rc;

	r = ask("config.get", &rc);
	if (rc) {
		json_decref(r);
		return EXIT_FAIL;
	}
	json_object_del(r, "ok");
	json_object_del(r, "v");
	json_object_del(r, "id");
	if (c->json)
		return ctl_json_print(c, r);
	src = json_object_get(r, "source");
	printf("file            %s\n", json_string_value(json_object_get(src, "path")) ?:
	       "(none: defaults and environment)");
	printf("sha256          %s\n", json_string_value(json_object_get(src, "sha256")) ?: "");
	printf("check           %s: %s\n", json_string_value(json_object_get(src, "check")) ?: "",
	       json_string_value(json_object_get(src, "check_result")) ?: "");
	lr = json_object_get(src, "last_reload");
	if (json_is_object(lr))
		printf("last reload     %s (%s): %s\n",
		       json_string_value(json_object_get(lr, "time")) ?: "?",
		       json_string_value(json_object_get(lr, "trigger")) ?: "?",
		       json_is_true(json_object_get(lr, "ok")) ? "ok" :
		       json_string_value(json_object_get(lr, "error")) ?: "failed");
	else
		printf("last reload     none\n");
	text = json_dumps(json_object_get(r, "config"), JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	printf("effective configuration:\n%s\n", text ? text : "?");
	free(text);
	json_decref(r);
	return EXIT_OK;
}

static int cfg_reload(struct ctl *c)
{
	json_t *r, *res;
	int rc;

	r = ask("config.reload", &rc);
	if (rc) {
		json_decref(r);
		return EXIT_FAIL;
	}
	res = json_object_get(r, "reload");
	if (c->json) {
		json_incref(res);
		json_decref(r);
		return ctl_json_print(c, res);
	}
	printf("configuration reloaded (sha256 %s)\n",
	       json_string_value(json_object_get(res, "sha256")) ?: "-");
	print_changes("applied", json_object_get(res, "applied"));
	print_changes("needs a restart of aiosd", json_object_get(res, "needs_restart"));
	if (!json_array_size(json_object_get(res, "applied")) &&
	    !json_array_size(json_object_get(res, "needs_restart")))
		printf("no changes\n");
	json_decref(r);
	return EXIT_OK;
}

int cmd_config(struct ctl *c, int argc, char **argv)
{
	bool env = false;
	const struct ctl_opt opts[] = { { "env", NULL, &env } };
	char *pos[2];
	int npos, ret, k;

	if (argc < 2) {
		fputs(help_text, stderr);
		return EXIT_USAGE;
	}
	if (ctl_is_help(argv[1])) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	k = ctl_match(argv[1], config_cmds, 4);
	if (k == -2)
		return ctl_usage(c, "config command \"%s\" is ambiguous", argv[1]);
	if (k < 0)
		return ctl_usage(c, "unknown config command \"%s\" (show, check, hash, reload)",
				 argv[1]);
	ret = ctl_parse_cmd(c, argc - 2, argv + 2, k == 1 ? opts : NULL, k == 1 ? 1 : 0, pos,
			    k == 1 || k == 2 ? 1 : 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if ((k == 1 || k == 2) && npos != 1)
		return ctl_usage(c, "config %s needs a FILE", config_cmds[k]);
	switch (k) {
	case 0:
		return cfg_show(c);
	case 1:
		return cfg_check(c, pos[0], env);
	case 2:
		return cfg_hash(c, pos[0]);
	default:
		return cfg_reload(c);
	}
}
