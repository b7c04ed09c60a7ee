// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: tool manifests (see aios_sb_tool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "aios_sb_tool.h"
#include "sb_ns.h"
#include "sb_util.h"

static const char *const perm_names[] = {
	"READ_ONLY", "READ_WRITE", "NETWORK", "ADMIN",
};

const char *aios_sb_perm_name(enum aios_sb_perm p)
{
	return (unsigned int)p < 4 ? perm_names[p] : "?";
}

void aios_sb_tool_free(struct aios_sb_tool *t)
{
	char **p;

	if (!t)
		return;
	free(t->description);
	for (p = t->command; p && *p; p++)
		free(*p);
	free(t->command);
	for (p = t->ro_paths; p && *p; p++)
		free(*p);
	free(t->ro_paths);
	for (p = t->rw_paths; p && *p; p++)
		free(*p);
	free(t->rw_paths);
	free(t);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A JSON array of non-empty strings into a NULL-terminated copy. */
static int str_array(json_t *a, const char *what, size_t max, char ***out,
		     unsigned int *n, char *msg, size_t msglen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return sb_err(msg, msglen, EINVAL, "\"%s\" must be an array of "
			      "strings", what);
	if (json_array_size(a) > max)
		return sb_err(msg, msglen, EINVAL, "\"%s\" has more than %zu "
			      "entries", what, max);
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		if (!s || !*s || !printable(s) || strlen(s) > 4096)
			return sb_err(msg, msglen, EINVAL, "\"%s\"[%zu] must be a "
				      "non-empty printable string of at most "
				      "4096 bytes", what, i);
		(*out)[i] = strdup(s);
		if (!(*out)[i])
			return sb_err(msg, msglen, ENOMEM, "out of memory");
	}
	if (n)
		*n = json_array_size(a);
	return 0;
}

static int get_uint(json_t *v, const char *what, uint64_t lo, uint64_t hi,
		    uint64_t *out, char *msg, size_t msglen)
{
	json_int_t x;

	if (!json_is_integer(v))
		return sb_err(msg, msglen, EINVAL, "\"%s\" must be an integer",
			      what);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
		return sb_err(msg, msglen, ERANGE, "\"%s\" must be within "
			      "%llu..%llu", what, (unsigned long long)lo,
			      (unsigned long long)hi);
	*out = x;
	return 0;
}

static int parse_limits(json_t *o, struct aios_sb_tool *t, char *msg,
			size_t msglen)
{
	const char *k;
	uint64_t x;
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return sb_err(msg, msglen, EINVAL, "\"limits\" must be an object");
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "memory_mb")) {
			rc = get_uint(v, k, 4, 1 << 20, &x, msg, msglen);
			t->memory_max = x << 20;
		} else if (!strcmp(k, "pids")) {
			rc = get_uint(v, k, 2, 4096, &x, msg, msglen);
			t->pids_max = x;
		} else if (!strcmp(k, "cpu_pct")) {
			rc = get_uint(v, k, 1, 6400, &x, msg, msglen);
			t->cpu_pct = x;
		} else if (!strcmp(k, "timeout_ms")) {
			rc = get_uint(v, k, 1, 3600000, &x, msg, msglen);
			t->timeout_ms = x;
		} else if (!strcmp(k, "stdout_max")) {
			rc = get_uint(v, k, 1, 256 << 20, &x, msg, msglen);
			t->stdout_max = x;
		} else if (!strcmp(k, "stderr_max")) {
			rc = get_uint(v, k, 1, 256 << 20, &x, msg, msglen);
			t->stderr_max = x;
		} else {
			rc = sb_err(msg, msglen, EINVAL, "unknown key \"limits.%s\"",
				    k);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_paths(json_t *o, struct aios_sb_tool *t, char *msg,
		       size_t msglen)
{
	const char *k;
	json_t *v;
	char ***dst;
	char **p;
	int rc;

	if (!json_is_object(o))
		return sb_err(msg, msglen, EINVAL, "\"paths\" must be an object");
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "ro"))
			dst = &t->ro_paths;
		else if (!strcmp(k, "rw"))
			dst = &t->rw_paths;
		else
			return sb_err(msg, msglen, EINVAL, "unknown key "
				      "\"paths.%s\"", k);
		rc = str_array(v, k, 32, dst, NULL, msg, msglen);
		if (rc)
			return rc;
		for (p = *dst; *p; p++) {
			rc = sb_ns_check_path(*p, msg, msglen);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int parse_bool(json_t *v, const char *k, bool *b, char *msg,
		      size_t msglen)
{
	if (!json_is_boolean(v))
		return sb_err(msg, msglen, EINVAL, "\"%s\" must be true or false",
			      k);
	*b = json_is_true(v);
	return 0;
}

static int parse_obj(json_t *root, struct aios_sb_tool *t, char *msg,
		     size_t msglen)
{
	bool seen_name = false, seen_cmd = false, seen_perm = false;
	const char *k, *s;
	uint64_t x;
	unsigned int i;
	json_t *v;
	int rc = 0;

	if (!json_is_object(root))
		return sb_err(msg, msglen, EINVAL, "a tool manifest must be a JSON "
			      "object");
	t->sandboxed = true;
	t->max_args = 16;
	json_object_foreach(root, k, v) {
		s = json_string_value(v);
		if (!strcmp(k, "name")) {
			size_t n = s ? strlen(s) : 0;

			if (!n || n > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
						   "0123456789_.-") != n)
				return sb_err(msg, msglen, EINVAL, "\"name\" must "
					      "be 1..64 characters of "
					      "[a-z0-9_.-]");
			memcpy(t->name, s, n + 1);
			seen_name = true;
		} else if (!strcmp(k, "type")) {
			if (!s || strcmp(s, "exec"))
				return sb_err(msg, msglen, EINVAL, "\"type\" must "
					      "be \"exec\"");
		} else if (!strcmp(k, "description")) {
			if (!s || strlen(s) > 1024)
				return sb_err(msg, msglen, EINVAL, "\"description\""
					      " must be a string of at most 1024 "
					      "bytes");
			free(t->description);
			t->description = strdup(s);
			if (!t->description)
				return sb_err(msg, msglen, ENOMEM, "out of memory");
		} else if (!strcmp(k, "command")) {
			rc = str_array(v, k, 64, &t->command, &t->n_command, msg,
				       msglen);
			if (rc)
				return rc;
			if (!t->n_command || t->command[0][0] != '/')
				return sb_err(msg, msglen, EINVAL, "\"command\" "
					      "must start with an absolute "
					      "program path");
			seen_cmd = true;
		} else if (!strcmp(k, "permission")) {
			for (i = 0; i < 4 && s; i++)
				if (!strcmp(s, perm_names[i]))
					break;
			if (!s || i == 4)
				return sb_err(msg, msglen, EINVAL, "\"permission\" "
					      "must be READ_ONLY, READ_WRITE, "
					      "NETWORK or ADMIN");
			t->permission = i;
			seen_perm = true;
		} else if (!strcmp(k, "sandboxed")) {
			rc = parse_bool(v, k, &t->sandboxed, msg, msglen);
		} else if (!strcmp(k, "confirm")) {
			rc = parse_bool(v, k, &t->confirm, msg, msglen);
		} else if (!strcmp(k, "allow_options")) {
			rc = parse_bool(v, k, &t->allow_options, msg, msglen);
		} else if (!strcmp(k, "max_args")) {
			rc = get_uint(v, k, 0, 256, &x, msg, msglen);
			t->max_args = x;
		} else if (!strcmp(k, "limits")) {
			rc = parse_limits(v, t, msg, msglen);
		} else if (!strcmp(k, "paths")) {
			rc = parse_paths(v, t, msg, msglen);
		} else {
			return sb_err(msg, msglen, EINVAL, "unknown key \"%s\"", k);
		}
		if (rc)
			return rc;
	}
	if (!seen_name || !seen_cmd || !seen_perm)
		return sb_err(msg, msglen, EINVAL, "missing required key \"%s\"",
			      !seen_name ? "name" : !seen_cmd ? "command" :
			      "permission");
	if (t->rw_paths && t->rw_paths[0] && t->permission == AIOS_SB_PERM_READ_ONLY)
		return sb_err(msg, msglen, EINVAL, "a READ_ONLY tool cannot have "
			      "writable paths");
	return 0;
}

int aios_sb_tool_parse(const char *json, size_t len, struct aios_sb_tool **tp,
		       char *msg, size_t msglen)
{
	struct aios_sb_tool *t;
	json_error_t je;
	json_t *root;
	int rc;

	*tp = NULL;
	if (len > 65536)
		return sb_err(msg, msglen, E2BIG, "tool manifest larger than 64 KiB");
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return sb_err(msg, msglen, EINVAL, "tool manifest: line %d column "
			      "%d: %s", je.line, je.column, je.text);
	t = calloc(1, sizeof(*t));
	if (!t) {
		json_decref(root);
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	}
	rc = parse_obj(root, t, msg, msglen);
	json_decref(root);
	if (rc) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "tool manifest: %s", msg);
		snprintf(msg, msglen, "%s", tmp);
		aios_sb_tool_free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

int aios_sb_tool_load(const char *path, struct aios_sb_tool **tp, char *msg,
		      size_t msglen)
{
	char buf[65537];
	size_t n;
	FILE *f;

	*tp = NULL;
	f = fopen(path, "re");
	if (!f)
		return sb_err(msg, msglen, errno, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return aios_sb_tool_parse(buf, n, tp, msg, msglen);
}

int aios_sb_tool_request(const struct aios_sb_tool *t, const char *const *args,
			 enum aios_sb_perm perm, struct aios_sb_request *rq,
			 char ***argvp, char *msg, size_t msglen)
{
	unsigned int n = 0, i;
	char **argv;

	*argvp = NULL;
	if (perm < t->permission)
		return sb_err(msg, msglen, EPERM, "tool %s requires permission %s, "
			      "the agent has %s", t->name,
			      aios_sb_perm_name(t->permission),
			      aios_sb_perm_name(perm));
	for (; args && args[n]; n++) {
		if (n >= t->max_args)
			return sb_err(msg, msglen, E2BIG, "tool %s takes at most %u "
				      "arguments", t->name, t->max_args);
		if (strlen(args[n]) > 4096 || !printable(args[n]))
			return sb_err(msg, msglen, EINVAL, "argument %u of tool %s "
				      "is longer than 4096 bytes or contains a "
				      "control character", n + 1, t->name);
		if (args[n][0] == '-' && !t->allow_options)
			return sb_err(msg, msglen, EINVAL, "argument %u of tool %s "
				      "starts with '-' and the tool does not "
				      "accept options", n + 1, t->name);
	}
	argv = calloc(t->n_command + n + 1, sizeof(char *));
	if (!argv)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	for (i = 0; i < t->n_command; i++)
		argv[i] = t->command[i];
	for (i = 0; i < n; i++)
		argv[t->n_command + i] = (char *)args[i];
	memset(rq, 0, sizeof(*rq));
	rq->argv = (const char *const *)argv;
	rq->access = 0;
	/* Least privilege: a NETWORK tool gets the network, not writes. */
	if (t->permission == AIOS_SB_PERM_READ_WRITE ||
	    t->permission == AIOS_SB_PERM_ADMIN)
		rq->access |= AIOS_SB_ACCESS_FS;
	if (t->permission >= AIOS_SB_PERM_NETWORK)
		rq->access |= AIOS_SB_ACCESS_NET;
	rq->ro_paths = (const char *const *)t->ro_paths;
	rq->rw_paths = (const char *const *)t->rw_paths;
	rq->memory_max = t->memory_max;
	rq->pids_max = t->pids_max;
	rq->cpu_pct = t->cpu_pct;
	rq->timeout_ms = t->timeout_ms;
	rq->stdout_max = t->stdout_max;
	rq->stderr_max = t->stderr_max;
	*argvp = argv;
	return 0;
}
