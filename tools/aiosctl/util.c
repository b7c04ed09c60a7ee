// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl: argument, confirmation and output helpers.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int ctl_match(const char *word, const char *const *words, int n)
{
	size_t len = strlen(word);
	int i, found = -1;

	if (!len)
		return -1;
	for (i = 0; i < n; i++) {
		if (!strcmp(word, words[i]))
			return i;	/* exact match wins */
		if (!strncmp(word, words[i], len)) {
			if (found >= 0)
				return -2;
			found = i;
		}
	}
	return found;
}

bool ctl_is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

int ctl_usage(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fputs("aiosctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c && c->object)
		fprintf(stderr, "\nTry 'aiosctl %s help'.\n", c->object);
	else
		fputs("\nTry 'aiosctl help'.\n", stderr);
	return EXIT_USAGE;
}

int ctl_fail(struct ctl *c)
{
	const char *m = aios_errmsg(c->h);

	fprintf(stderr, "aiosctl: %s\n", *m ? m : "operation failed");
	return EXIT_FAIL;
}

int ctl_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int ctl_parse_id(struct ctl *c, const char *s, uint64_t *id)
{
	(void)c;
	if (ctl_parse_u64(s, id) || !*id)
		return -EINVAL;
	return 0;
}

int ctl_confirm(struct ctl *c, const char *fmt, ...)
{
	char q[256], line[64];
	va_list ap;
	size_t n;

	if (c->yes)
		return EXIT_OK;
	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"aiosctl: refusing to %s without confirmation: stdin is not a terminal; pass --yes to confirm\n",
			q);
		return EXIT_USAGE;
	}
	fprintf(stderr, "%c%s? [y/N] ", toupper((unsigned char)q[0]), q + 1);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (!strcasecmp(line, "y") || !strcasecmp(line, "yes"))
		return EXIT_OK;
	fprintf(stderr, "aiosctl: not confirmed, nothing done\n");
	return EXIT_FAIL;
}

int ctl_json_print(struct ctl *c, json_t *v)
{
	size_t flags = JSON_PRESERVE_ORDER |
		       (c->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	char *s;

	if (!v) {
		fprintf(stderr, "aiosctl: out of memory building JSON\n");
		return EXIT_FAIL;
	}
	s = json_dumps(v, flags);
	json_decref(v);
	if (!s) {
		fprintf(stderr, "aiosctl: out of memory printing JSON\n");
		return EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return EXIT_OK;
}

static json_t *bits_array(uint64_t v, const char *(*name)(uint64_t))
{
	json_t *a = json_array();
	char hex[24];
	int i;

	if (!a)
		return NULL;
	for (i = 0; i < 64; i++) {
		const char *n;

		if (!(v & (1ULL << i)))
			continue;
		n = name(1ULL << i);
		if (!n) {
			snprintf(hex, sizeof(hex), "0x%llx", 1ULL << i);
			n = hex;
		}
		json_array_append_new(a, json_string(n));
	}
	return a;
}

json_t *ctl_json_caps(uint64_t caps)
{
	return bits_array(caps, aios_cap_name);
}

json_t *ctl_json_features(uint64_t features)
{
	return bits_array(features, aios_feature_name);
}

json_t *ctl_json_agent(const struct aios_agent *a)
{
	json_t *o = json_object();
	const char *s;
	char cpus[4096];

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "parent_id", json_integer(a->parent_id));
	json_object_set_new(o, "name", json_string(a->name));
	s = aios_prio_name(a->prio);
	json_object_set_new(o, "prio", s ? json_string(s) : json_integer(a->prio));
	s = aios_state_name(a->state);
	json_object_set_new(o, "state", s ? json_string(s) : json_integer(a->state));
	json_object_set_new(o, "pid", json_integer(a->pid));
	json_object_set_new(o, "uid", json_integer(a->uid));
	json_object_set_new(o, "caps", ctl_json_caps(a->caps));
	json_object_set_new(o, "caps_mask", json_integer(a->caps));
	json_object_set_new(o, "created_ns", json_integer(a->created_ns));
	if (a->has_cpus && aios_cpulist_format(&a->cpus, cpus, sizeof(cpus)) >= 0)
		json_object_set_new(o, "cpus", json_string(cpus));
	return o;
}

json_t *ctl_json_audit(const struct aios_audit_rec *r)
{
	json_t *o = json_object();
	const char *s;

	if (!o)
		return NULL;
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "op_id", json_integer(r->op_id));
	json_object_set_new(o, "agent_id", json_integer(r->agent_id));
	s = aios_op_name(r->op);
	json_object_set_new(o, "op", s ? json_string(s) : json_integer(r->op));
	json_object_set_new(o, "object", json_integer(r->object));
	json_object_set_new(o, "result", json_integer(r->result));
	s = r->result ? aios_errno_name(r->result) : NULL;
	if (s)
		json_object_set_new(o, "error", json_string(s));
	json_object_set_new(o, "cap", ctl_json_caps(r->cap));
	json_object_set_new(o, "time_ns", json_integer(r->time_ns));
	return o;
}

void ctl_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%llu.%06llu", (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns % 1000000000ULL / 1000));
}

void ctl_fmt_result(char *buf, size_t len, int result)
{
	const char *n = aios_errno_name(result);

	if (!result)
		snprintf(buf, len, "ok");
	else if (n)
		snprintf(buf, len, "-%s", n);
	else
		snprintf(buf, len, "%d", result);
}

/* "option "--a" is ambiguous: --after, --agent" */
static int opt_ambiguous(struct ctl *c, const char *arg, const char *name,
			 const char *const *names, int n)
{
	size_t o = 0, len = strlen(name);
	char list[512];
	int k;

	list[0] = '\0';
	for (k = 0; k < n && o + 1 < sizeof(list); k++)
		if (!strncmp(names[k], name, len))
			o += snprintf(list + o, sizeof(list) - o, "%s--%s",
				      o ? ", " : "", names[k]);
	return ctl_usage(c, "option \"%s\" is ambiguous: %s", arg, list);
}

int ctl_parse_opts(struct ctl *c, int argc, char **argv,
		   const struct ctl_opt *opts, int nopts,
		   char **pos, int maxpos, int *npos)
{
	const char *names[32];
	const char *arg, *eq;
	char name[64];
	size_t n;
	int i, k;

	*npos = 0;
	if (nopts > 32) {
		fprintf(stderr, "aiosctl: internal error: %d options (at most 32)\n", nopts);
		return EXIT_FAIL;
	}
	for (k = 0; k < nopts; k++)
		names[k] = opts[k].name;
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (ctl_is_help(arg))
			return CTL_HELP;
		/* the global options are accepted after the object too */
		if (!strcmp(arg, "-y") || !strcmp(arg, "--yes")) {
			c->yes = true;
			continue;
		}
		if (!strcmp(arg, "-j") || !strcmp(arg, "--json")) {
			c->json = true;
			continue;
		}
		if (!strcmp(arg, "-p") || !strcmp(arg, "--pretty")) {
			c->pretty = c->json = true;	/* -p: pretty JSON */
			continue;
		}
		if (strncmp(arg, "--", 2) || !arg[2]) {
			if (*npos >= maxpos)
				return ctl_usage(c, "unexpected argument \"%s\"",
						 arg);
			pos[(*npos)++] = argv[i];
			continue;
		}
		eq = strchr(arg + 2, '=');
		n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (n >= sizeof(name))
			return ctl_usage(c, "unknown option \"%s\"", arg);
		memcpy(name, arg + 2, n);
		name[n] = '\0';
		k = ctl_match(name, names, nopts);
		if (k == -2)
			return opt_ambiguous(c, arg, name, names, nopts);
		if (k < 0)
			return ctl_usage(c, "unknown option \"%s\"", arg);
		if (opts[k].flag) {
			if (eq)
				return ctl_usage(c, "option --%s takes no value",
						 opts[k].name);
			*opts[k].flag = true;
		} else if (eq) {
			*opts[k].value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return ctl_usage(c, "option --%s needs a value",
						 opts[k].name);
			*opts[k].value = argv[++i];
		}
	}
	return 0;
}

int ctl_parse_cmd(struct ctl *c, int argc, char **argv,
		  const struct ctl_opt *opts, int nopts,
		  char **pos, int maxpos, int *npos, const char *help)
{
	int ret = ctl_parse_opts(c, argc, argv, opts, nopts, pos, maxpos,
				 npos);

	if (ret == CTL_HELP)
		fputs(help, stdout);
	return ret;
}
