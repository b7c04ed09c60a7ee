// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aios-sandbox - run one tool in the aios sandbox (libaiossandbox).
 *
 *   aios-sandbox [OPTIONS] -- PROGRAM [ARG...]
 *   aios-sandbox [OPTIONS] --manifest FILE [--perm LEVEL] [-- ARG...]
 *   aios-sandbox --health
 *
 * The tool's captured stdout/stderr are copied to ours; the exit status is
 * the tool's (128+N for signal N), 124 on timeout, 125 when the sandbox
 * could not run it, 126 when the program could not be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aios_sandbox.h"
#include "aios_sb_audit.h"
#include "aios_sb_tool.h"

#define MAX_PATHS 32

static void usage(FILE *f)
{
	fprintf(f,
"usage: aios-sandbox [OPTIONS] -- PROGRAM [ARG...]\n"
"       aios-sandbox [OPTIONS] --manifest FILE [--perm LEVEL] [-- ARG...]\n"
"       aios-sandbox --health [--cgroup-parent DIR]\n"
"Runs PROGRAM (an absolute path; no shell) in fresh namespaces under\n"
"Landlock, seccomp and cgroup v2 limits.\n"
"  --net                 ACCESS_NET: keep the host network\n"
"  --fs                  ACCESS_FS: allow --rw paths\n"
"  --ro PATH, --rw PATH  bind a host path read-only / writable\n"
"  --memory BYTES[kmg] --pids N --cpu PCT --timeout MS\n"
"  --stdout-max N --stderr-max N   capture limits (bytes)\n"
"  --stdin STRING        data for the tool's stdin (default /dev/null)\n"
"  --keep-fd N           pass fd N in (as 3, 4, ...)\n"
"  --keep-scratch        leave the scratch directory and print its path\n"
"  --allow-weak LIST     run without these protections (comma-separated:\n"
"                        landlock,seccomp,cgroup-v2)\n"
"  --cgroup-parent DIR --scratch-base DIR --uid N --gid N\n"
"  --pool N              warm pool size (with --repeat)\n"
"  --repeat N            run N times (benchmarks), print timing\n"
"  --result FILE         write the result as key=value lines\n"
"  --manifest FILE       run a tool from its JSON manifest; --perm LEVEL is\n"
"                        the caller's permission (default READ_ONLY)\n"
"  --audit FILE          eBPF audit of the tool: one JSON event per line to\n"
"                        FILE ('-': stderr); with the BPF LSM active, inet\n"
"                        connects are refused without --net\n"
"  -q, --quiet           do not copy the tool's output\n"
"  --health              list the available protections\n");
}

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': x <<= 10; end++; break;
	case 'm': case 'M': x <<= 20; end++; break;
	case 'g': case 'G': x <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*v = x;
	return 0;
}

static unsigned int parse_weak(const char *s)
{
	unsigned int w = 0, b;
	char *copy = strdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (b = 1; b <= AIOS_SB_PROT_BPF_LSM; b <<= 1)
			if (!strcmp(tok, aios_sb_prot_name(b)))
				break;
		if (b > AIOS_SB_PROT_BPF_LSM || !(b & AIOS_SB_PROT_REQUIRED)) {
			fprintf(stderr, "aios-sandbox: --allow-weak: unknown "
				"protection '%s'\n", tok);
			exit(2);
		}
		w |= b;
	}
	free(copy);
	return w;
}

static int audit_line(void *ctx, const struct aios_audit_event *e)
{
	char line[2048];

	aios_audit_format(e, line, sizeof(line));
	fprintf(ctx, "%s\n", line);
	return 0;
}

static void write_result(const char *path, const struct aios_sb_result *r,
			 int rc, const char *msg)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		fprintf(stderr, "aios-sandbox: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "rc=%d\n", rc);
	if (rc)
		fprintf(f, "error=%s\n", msg);
	fprintf(f, "exited=%d\nexit_code=%d\nsignal=%d\ntimed_out=%d\n"
		"oom_killed=%d\npids_limited=%d\nexec_errno=%d\nwarm=%d\n"
		"stdout_len=%zu\nstdout_truncated=%d\nstderr_len=%zu\n"
		"stderr_truncated=%d\nutime_us=%llu\nstime_us=%llu\n"
		"maxrss_kb=%llu\nmemory_peak=%llu\nwall_us=%llu\ncgroup_id=%llu\n"
		"scratch=%s\n",
		r->exited, r->exit_code, r->signal, r->timed_out, r->oom_killed,
		r->pids_limited, r->exec_errno, r->warm, r->out_len,
		r->out_truncated, r->err_len, r->err_truncated,
		(unsigned long long)r->utime_us, (unsigned long long)r->stime_us,
		(unsigned long long)r->maxrss_kb,
		(unsigned long long)r->memory_peak,
		(unsigned long long)r->wall_us, (unsigned long long)r->cgroup_id,
		r->scratch);
	fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "net", no_argument, NULL, 'n' },
		{ "fs", no_argument, NULL, 'f' },
		{ "ro", required_argument, NULL, 'R' },
		{ "rw", required_argument, NULL, 'W' },
		{ "memory", required_argument, NULL, 'm' },
		{ "pids", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stdout-max", required_argument, NULL, 'O' },
		{ "stderr-max", required_argument, NULL, 'E' },
		{ "stdin", required_argument, NULL, 'i' },
		{ "keep-fd", required_argument, NULL, 'k' },
		{ "keep-scratch", no_argument, NULL, 'K' },
		{ "allow-weak", required_argument, NULL, 'w' },
		{ "cgroup-parent", required_argument, NULL, 'G' },
		{ "scratch-base", required_argument, NULL, 'S' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "pool", required_argument, NULL, 'P' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "result", required_argument, NULL, 'x' },
		{ "manifest", required_argument, NULL, 'M' },
		{ "perm", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "health", no_argument, NULL, 'H' },
		{ "audit", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct aios_sb_config cfg = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	struct aios_sb_request rq = { 0 };
	struct aios_sb_result res;
	const char *ro[MAX_PATHS + 1] = { 0 }, *rw[MAX_PATHS + 1] = { 0 };
	int keep[16], nro = 0, nrw = 0, nkeep = 0, rc, c, status;
	const char *result_path = NULL, *manifest = NULL, *stdin_s = NULL;
	const char *audit_path = NULL;
	struct aios_audit *audit = NULL;
	FILE *audit_f = NULL;
	enum aios_sb_perm perm = AIOS_SB_PERM_READ_ONLY;
	struct aios_sb_tool *tool = NULL;
	char msg[512], health[2048], **targv = NULL;
	unsigned long repeat = 1, i;
	bool quiet = false, do_health = false;
	struct aios_sb *sb;
	uint64_t v;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': rq.access |= AIOS_SB_ACCESS_NET; break;
		case 'f': rq.access |= AIOS_SB_ACCESS_FS; break;
		case 'R':
			if (nro == MAX_PATHS)
				goto bad;
			ro[nro++] = optarg;
			break;
		case 'W':
			if (nrw == MAX_PATHS)
				goto bad;
			rw[nrw++] = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &v))
				goto bad;
			rq.memory_max = v;
			break;
		case 'p': case 'c': case 't': case 'O': case 'E': case 'P':
		case 'r': case 'k': case 'u': case 'g':
			if (parse_size(optarg, &v) || v > 0xffffffffULL)
				goto bad;
			if (c == 'p') rq.pids_max = v;
			else if (c == 'c') rq.cpu_pct = v;
			else if (c == 't') rq.timeout_ms = v;
			else if (c == 'O') rq.stdout_max = v;
			else if (c == 'E') rq.stderr_max = v;
			else if (c == 'P') cfg.pool_size = v;
			else if (c == 'r') repeat = v;
			else if (c == 'u') cfg.uid = v;
			else if (c == 'g') cfg.gid = v;
			else if (nkeep < 16) keep[nkeep++] = v;
			else goto bad;
			break;
		case 'i': stdin_s = optarg; break;
		case 'K': rq.keep_scratch = true; break;
		case 'w': cfg.allow_weak = parse_weak(optarg); break;
		case 'G': cfg.cgroup_parent = optarg; break;
		case 'S': cfg.scratch_base = optarg; break;
		case 'x': result_path = optarg; break;
		case 'M': manifest = optarg; break;
		case 'L':
			for (perm = 0; perm <= AIOS_SB_PERM_ADMIN; perm++)
				if (!strcmp(optarg, aios_sb_perm_name(perm)))
					break;
			if (perm > AIOS_SB_PERM_ADMIN)
				goto bad;
			break;
		case 'q': quiet = true; break;
		case 'H': do_health = true; break;
		case 'A': audit_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			goto bad;
		}
	}
	if (do_health) {
		unsigned int have = aios_sb_health(&cfg, health, sizeof(health));

		fputs(health, stdout);
		if (health[0] && health[strlen(health) - 1] != '\n')
			putchar('\n');
		return (have & AIOS_SB_PROT_REQUIRED) == AIOS_SB_PROT_REQUIRED ? 0 : 1;
	}
	if (manifest) {
		rc = aios_sb_tool_load(manifest, &tool, msg, sizeof(msg));
		if (!rc)
			rc = aios_sb_tool_request(tool, (const char *const *)argv +
						  optind, perm, &rq, &targv, msg,
						  sizeof(msg));
		if (rc) {
			fprintf(stderr, "aios-sandbox: %s\n", msg);
			if (result_path) {
				memset(&res, 0, sizeof(res));
				write_result(result_path, &res, rc, msg);
			}
			aios_sb_tool_free(tool);
			return 125;
		}
		if (!tool->sandboxed) {
			fprintf(stderr, "aios-sandbox: tool %s is not sandboxed; "
				"aios-sandbox only runs sandboxed tools\n",
				tool->name);
			return 125;
		}
	} else {
		if (optind >= argc)
			goto bad;
		rq.argv = (const char *const *)argv + optind;
		rq.ro_paths = ro;
		rq.rw_paths = rw;
	}
	if (stdin_s) {
		rq.stdin_data = stdin_s;
		rq.stdin_len = strlen(stdin_s);
	}
	rq.keep_fds = keep;
	rq.n_keep_fds = nkeep;

	if (audit_path) {
		bool lsm = aios_sb_health(&cfg, NULL, 0) & AIOS_SB_PROT_BPF_LSM;

		audit_f = strcmp(audit_path, "-") ? fopen(audit_path, "we") : stderr;
		if (!audit_f) {
			fprintf(stderr, "aios-sandbox: %s: %s\n", audit_path,
				strerror(errno));
			return 125;
		}
		rc = aios_audit_open(&audit, lsm ? AIOS_AUDIT_OPEN_LSM : 0, 0,
				     audit_line, audit_f, msg, sizeof(msg));
		if (rc) {
			fprintf(stderr, "aios-sandbox: %s\n", msg);
			return 125;
		}
		cfg.audit = audit;
	}
	rc = aios_sb_open(&cfg, &sb, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "aios-sandbox: %s\n", msg);
		if (result_path) {
			memset(&res, 0, sizeof(res));
			write_result(result_path, &res, rc, msg);
		}
		return 125;
	}
	status = 0;
	for (i = 0; i < repeat; i++) {
		if (cfg.pool_size)
			aios_sb_pool_wait(sb, 5000);
		rc = aios_sb_run(sb, &rq, &res);
		if (rc) {
			fprintf(stderr, "aios-sandbox: %s\n", aios_sb_errmsg(sb));
			if (result_path) {
				memset(&res, 0, sizeof(res));
				write_result(result_path, &res, rc, aios_sb_errmsg(sb));
			}
			status = 125;
			break;
		}
		if (!quiet) {
			fwrite(res.out, 1, res.out_len, stdout);
			fflush(stdout);
			fwrite(res.err, 1, res.err_len, stderr);
		}
		if (result_path)
			write_result(result_path, &res, 0, "");
		if (repeat > 1)
			printf("run %lu: %llu us%s\n", i, (unsigned long long)res.wall_us,
			       res.warm ? " (warm)" : "");
		if (res.scratch[0])
			fprintf(stderr, "aios-sandbox: scratch kept in %s\n",
				res.scratch);
		if (res.timed_out)
			status = 124;
		else if (res.exec_errno) {
			fprintf(stderr, "aios-sandbox: cannot execute %s: %s\n",
				rq.argv[0], strerror(res.exec_errno));
			status = 126;
		} else if (res.exited)
			status = res.exit_code;
		else
			status = 128 + res.signal;
		aios_sb_result_free(&res);
	}
	aios_sb_close(sb);
	if (audit) {
		fprintf(audit_f, "{\"type\": \"summary\", \"lost\": %llu, "
			"\"lsm\": %s}\n", (unsigned long long)aios_audit_lost(audit),
			aios_audit_lsm(audit) ? "true" : "false");
		aios_audit_close(audit);
		if (audit_f != stderr)
			fclose(audit_f);
	}
	free(targv);
	aios_sb_tool_free(tool);
	return status;
bad:
	usage(stderr);
	return 2;
}
