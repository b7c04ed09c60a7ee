/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosctl: shared state, argument helpers and output helpers.
 *
 * Exit codes: 0 success, 1 the operation failed (or was declined),
 * 2 usage error (bad syntax, bad value, missing confirmation).
 */
#ifndef AIOSCTL_CTL_H
#define AIOSCTL_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <aios.h>

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct ctl {
	bool json;
	bool pretty;
	bool yes;
	struct aios *h;
	const char *object;	/* full name of the object being run */
};

/* Unique-prefix match of word in words[0..n); -1 no match, -2 ambiguous. */
int ctl_match(const char *word, const char *const *words, int n);
/* True when arg is "help", "-h" or "--help". */
bool ctl_is_help(const char *arg);

/*
 * Command grammar (grammar.c).  ctl_expand: argv[0] is the object's full
 * name; rewrites the abbreviated command word(s) after it to their full
 * names and consumes -j/-p/-y standing before them (*argc shrinks).
 * Returns 0, or EXIT_USAGE after a message listing the candidates.
 */
int ctl_expand(struct ctl *c, int *argc, char **argv);
/* ctl_match with a usage message ("unknown WHAT", "WHAT ... is ambiguous:
 * candidates"); the index, or -1 after the message. */
int ctl_lookup(struct ctl *c, const char *what, const char *word,
	       const char *const *words, int n);
/* One line per object and command ("caps grant"): aiosctl help --commands. */
void ctl_print_commands(FILE *f, const char *const *objects, int n);

/* Print "aiosctl: <msg>" and a hint to stderr; returns EXIT_USAGE. */
int ctl_usage(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "aiosctl: <aios_errmsg>" to stderr; returns EXIT_FAIL. */
int ctl_fail(struct ctl *c);

/* An option of a command: "--name VALUE", "--name=VALUE" or "--name". */
struct ctl_opt {
	const char *name;	/* without the dashes */
	const char **value;	/* set for options taking a value */
	bool *flag;		/* set for flags */
};

#define CTL_HELP	(-1)

/*
 * Split args into options (abbreviations allowed) and at most maxpos
 * positional words (into pos, count in *npos).  Returns 0, CTL_HELP when
 * a help word was given, or EXIT_USAGE after printing why.
 */
int ctl_parse_opts(struct ctl *c, int argc, char **argv,
		   const struct ctl_opt *opts, int nopts,
		   char **pos, int maxpos, int *npos);

/*
 * ctl_parse_opts for a command with help text: on a help word prints help
 * to stdout and returns CTL_HELP.  Returns 0 to go on; anything else ends
 * the command with exit status ctl_status(ret).
 */
int ctl_parse_cmd(struct ctl *c, int argc, char **argv,
		  const struct ctl_opt *opts, int nopts,
		  char **pos, int maxpos, int *npos, const char *help);

/* Exit status for a non-zero ctl_parse_cmd result (EXIT_OK after help). */
static inline int ctl_status(int ret)
{
	return ret == CTL_HELP ? EXIT_OK : ret;
}

/* Agent id (decimal, > 0). */
int ctl_parse_id(struct ctl *c, const char *s, uint64_t *id);
/* Unsigned decimal number (0 allowed). */
int ctl_parse_u64(const char *s, uint64_t *v);

/*
 * Ask "<question> [y/N]" on a terminal.  Returns EXIT_OK when confirmed
 * (or --yes), EXIT_FAIL when declined, EXIT_USAGE when stdin is not a
 * terminal and --yes was not given.
 */
int ctl_confirm(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a JSON value (compact, or indented with -p) and a newline; steals v. */
int ctl_json_print(struct ctl *c, json_t *v);
/* JSON array of names for capability / feature bits. */
json_t *ctl_json_caps(uint64_t caps);
json_t *ctl_json_features(uint64_t features);
json_t *ctl_json_agent(const struct aios_agent *a);
json_t *ctl_json_audit(const struct aios_audit_rec *r);

/* "12.345678" seconds from nanoseconds. */
void ctl_fmt_ns(char *buf, size_t len, uint64_t ns);
/* "0" or "-EPERM" for a result. */
void ctl_fmt_result(char *buf, size_t len, int result);

/* Objects. argv[0] is the object word itself. */
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_agents(struct ctl *c, int argc, char **argv);
int cmd_caps(struct ctl *c, int argc, char **argv);
int cmd_kill(struct ctl *c, int argc, char **argv);
int cmd_migrate(struct ctl *c, int argc, char **argv);
int cmd_audit(struct ctl *c, int argc, char **argv);
int cmd_events(struct ctl *c, int argc, char **argv);
int cmd_ipc(struct ctl *c, int argc, char **argv);
int cmd_gpu(struct ctl *c, int argc, char **argv);
int cmd_queues(struct ctl *c, int argc, char **argv);
int cmd_tasks(struct ctl *c, int argc, char **argv);
int cmd_memory(struct ctl *c, int argc, char **argv);
int cmd_run(struct ctl *c, int argc, char **argv);
int cmd_ledger(struct ctl *c, int argc, char **argv);
int cmd_episode(struct ctl *c, int argc, char **argv);
int cmd_ltm(struct ctl *c, int argc, char **argv);
int cmd_pack(struct ctl *c, int argc, char **argv);
int cmd_context(struct ctl *c, int argc, char **argv);
/* benchmark suite and live view (cmd_bench.c, cmd_top.c) */
int cmd_bench(struct ctl *c, int argc, char **argv);
int cmd_top(struct ctl *c, int argc, char **argv);
/* operations (cmd_health.c, cmd_bootlog.c, cmd_config.c) */
int cmd_health(struct ctl *c, int argc, char **argv);
int cmd_bootlog(struct ctl *c, int argc, char **argv);
int cmd_config(struct ctl *c, int argc, char **argv);
/* sandboxed tool calls through aiosd (cmd_tools.c) */
int cmd_tools(struct ctl *c, int argc, char **argv);
/* aios-httpd bearer tokens (cmd_http.c) */
int cmd_http(struct ctl *c, int argc, char **argv);

#endif /* AIOSCTL_CTL_H */
