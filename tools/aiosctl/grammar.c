// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl: the command words of every object, resolved in one place.
 *
 *   aiosctl [OPTIONS] OBJECT [COMMAND [SUBCOMMAND]] [ARGS]
 *
 * Like iproute2, an object or command may be abbreviated to any prefix
 * that names only one of them ("aiosctl ag l" is "aiosctl agents list");
 * an ambiguous prefix is a usage error that lists the candidates.  The
 * global options -j, -p and -y may also stand between the object and its
 * command.  ctl_expand() rewrites the command words to their full names
 * before the object's handler (cmd_*.c) parses the rest, so every handler
 * sees the same canonical words.  The table below is also what
 * "aiosctl help --commands" prints and what the grammar tests iterate.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

struct word {
	const char *name;
	const char *alias_of;		/* an alias: resolves to this name */
	const struct word *sub;		/* words of a second level, or NULL */
};

#define W(n)		{ n, NULL, NULL }
#define ALIAS(n, to)	{ n, to, NULL }
#define END		{ NULL, NULL, NULL }

static const struct word agents_w[] = { W("list"), W("show"), ALIAS("ls", "list"), END };
static const struct word caps_w[] = { W("show"), W("grant"), W("revoke"), END };
static const struct word audit_w[] = { W("show"), W("config"), END };
static const struct word ipc_w[] = { W("send"), W("recv"), W("stats"), W("policy"), END };
static const struct word gpu_w[] = {
	W("list"), W("status"), W("register"), W("unregister"), W("discover"),
	W("claim"), W("release"), ALIAS("ls", "list"), END
};
static const struct word queues_w[] = {
	W("list"), W("show"), W("create"), W("destroy"), ALIAS("ls", "list"),
	ALIAS("delete", "destroy"), END
};
static const struct word tasks_w[] = { W("list"), W("cancel"), ALIAS("ls", "list"), END };
static const struct word memory_w[] = {
	W("put"), W("get"), W("ls"), W("rm"), W("stats"), ALIAS("list", "ls"),
	ALIAS("delete", "rm"), END
};
static const struct word run_w[] = {
	W("create"), W("list"), W("show"), W("workset"), W("put"), W("push"),
	ALIAS("ls", "list"), END
};
static const struct word ledger_w[] = { W("append"), W("show"), W("verify"), END };
static const struct word episode_w[] = {
	W("create"), W("list"), W("show"), ALIAS("ls", "list"), END
};
static const struct word ltm_w[] = {
	W("propose"), W("commit"), W("discard"), W("proposals"), W("search"), END
};
static const struct word pack_w[] = { W("export"), W("import"), END };
static const struct word context_w[] = {
	W("create"), W("list"), W("restore"), W("delete"), W("check"),
	W("truncate"), W("models"), W("budget"), W("expire"),
	ALIAS("ls", "list"), END
};
static const struct word tools_w[] = {
	W("list"), W("call"), W("pending"), W("confirm"), W("deny"),
	ALIAS("ls", "list"), END
};
static const struct word token_w[] = {
	W("add"), W("ls"), W("revoke"), ALIAS("list", "ls"), END
};
static const struct word http_w[] = { { "token", NULL, token_w }, END };
static const struct word config_w[] = {
	W("show"), W("check"), W("hash"), W("reload"), END
};

static const struct {
	const char *object;
	const struct word *words;
} grammar[] = {
	{ "agents", agents_w },
	{ "caps", caps_w },
	{ "audit", audit_w },
	{ "ipc", ipc_w },
	{ "gpu", gpu_w },
	{ "queues", queues_w },
	{ "tasks", tasks_w },
	{ "memory", memory_w },
	{ "run", run_w },
	{ "ledger", ledger_w },
	{ "episode", episode_w },
	{ "ltm", ltm_w },
	{ "pack", pack_w },
	{ "context", context_w },
	{ "tools", tools_w },
	{ "http", http_w },
	{ "config", config_w },
};

#define NGRAMMAR ((int)(sizeof(grammar) / sizeof(grammar[0])))

static const struct word *object_words(const char *object)
{
	int i;

	for (i = 0; object && i < NGRAMMAR; i++)
		if (!strcmp(grammar[i].object, object))
			return grammar[i].words;
	return NULL;
}

static const struct word *by_name(const struct word *words, const char *name)
{
	for (; words->name; words++)
		if (!strcmp(words->name, name))
			return words;
	return NULL;
}

/*
 * The candidates for buf: every command ("a, b, c"), or with prefix the
 * commands it abbreviates, aliases as "ls (list)" when only they match.
 */
static void names(char *buf, size_t len, const struct word *words,
		  const char *prefix)
{
	size_t o = 0, plen = prefix ? strlen(prefix) : 0;
	const struct word *w;

	buf[0] = '\0';
	for (w = words; w->name; w++) {
		if (w->alias_of || (prefix && strncmp(w->name, prefix, plen)))
			continue;
		if (o + 1 >= len)
			break;
		o += snprintf(buf + o, len - o, "%s%s",
			      o ? ", " : "", w->name);
	}
	for (w = words; prefix && w->name; w++) {
		if (!w->alias_of || strncmp(w->name, prefix, plen) ||
		    !strncmp(w->alias_of, prefix, plen))
			continue;
		if (o + 1 >= len)
			break;
		o += snprintf(buf + o, len - o, "%s%s (%s)",
			      o ? ", " : "", w->name, w->alias_of);
	}
}

/*
 * Resolve word among words: the exact name, or a prefix of exactly one
 * canonical command (aliases count as their target).  NULL after a usage
 * message naming the word and the candidates.
 */
static const struct word *resolve(struct ctl *c, const char *what,
				  const char *word, const struct word *words)
{
	const struct word *w, *found = NULL;
	size_t len = strlen(word);
	char list[512];

	for (w = words; w->name; w++)
		if (!strcmp(w->name, word))
			return w->alias_of ? by_name(words, w->alias_of) : w;
	for (w = words; len && w->name; w++) {
		const struct word *t;

		if (strncmp(w->name, word, len))
			continue;
		t = w->alias_of ? by_name(words, w->alias_of) : w;
		if (found && found != t) {
			names(list, sizeof(list), words, word);
			ctl_usage(c, "%s \"%s\" is ambiguous: %s", what, word, list);
			return NULL;
		}
		found = t;
	}
	if (!found) {
		names(list, sizeof(list), words, NULL);
		ctl_usage(c, "unknown %s \"%s\" (commands: %s)", what, word, list);
	}
	return found;
}

static bool global_flag(struct ctl *c, const char *a)
{
	if (!strcmp(a, "-j") || !strcmp(a, "--json"))
		c->json = true;
	else if (!strcmp(a, "-p") || !strcmp(a, "--pretty"))
		c->pretty = c->json = true;	/* -p: pretty JSON */
	else if (!strcmp(a, "-y") || !strcmp(a, "--yes"))
		c->yes = true;
	else
		return false;
	return true;
}

/* Consume global flags from argv[at..]; returns the new argc. */
static int eat_flags(struct ctl *c, int argc, char **argv, int at)
{
	while (at < argc && global_flag(c, argv[at])) {
		memmove(argv + at, argv + at + 1, (argc - at) * sizeof(*argv));
		argc--;
	}
	return argc;
}

int ctl_expand(struct ctl *c, int *argcp, char **argv)
{
	const struct word *words = object_words(argv[0]), *w;
	char what[96];
	int argc = *argcp, at = 1;

	if (!words)
		return 0;
	while (words) {
		argc = eat_flags(c, argc, argv, at);
		*argcp = argc;
		/* no command (the object's default), an option, or help */
		if (at >= argc || argv[at][0] == '-' || ctl_is_help(argv[at]))
			return 0;
		if (at == 1)
			snprintf(what, sizeof(what), "%s command", argv[0]);
		else
			snprintf(what, sizeof(what), "%s %s command", argv[0],
				 argv[at - 1]);
		w = resolve(c, what, argv[at], words);
		if (!w)
			return EXIT_USAGE;
		argv[at] = (char *)w->name;
		words = w->sub;
		at++;
	}
	return 0;
}

int ctl_lookup(struct ctl *c, const char *what, const char *word,
	       const char *const *words, int n)
{
	char list[512];
	size_t o = 0, len = strlen(word);
	int i, k = ctl_match(word, words, n);

	if (k >= 0)
		return k;
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (k == -2 && strncmp(words[i], word, len))
			continue;
		if (o + 1 >= sizeof(list))
			break;
		o += snprintf(list + o, sizeof(list) - o,
			      "%s%s", o ? ", " : "", words[i]);
	}
	if (k == -2)
		ctl_usage(c, "%s \"%s\" is ambiguous: %s", what, word, list);
	else
		ctl_usage(c, "unknown %s \"%s\" (one of: %s)", what, word, list);
	return -1;
}

static void print_words(FILE *f, const char *prefix, const struct word *words)
{
	char line[128];

	for (; words->name; words++) {
		if (words->alias_of)
			continue;
		snprintf(line, sizeof(line), "%s %s", prefix, words->name);
		if (words->sub)
			print_words(f, line, words->sub);
		else
			fprintf(f, "%s\n", line);
	}
}

void ctl_print_commands(FILE *f, const char *const *objects, int n)
{
	const struct word *words;
	int i;

	for (i = 0; i < n; i++) {
		words = object_words(objects[i]);
		if (words)
			print_words(f, objects[i], words);
		else
			fprintf(f, "%s\n", objects[i]);
	}
}
