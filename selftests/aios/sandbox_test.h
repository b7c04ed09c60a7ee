/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the sandbox selftests (sandbox.c, sandbox_escape.c): run a
 * tool through the aios-sandbox CLI (BUILD/sandbox/aios-sandbox, found
 * from this binary's own path BUILD/selftests/aios/NAME) and parse the
 * key=value result it writes with --result.
 */
#ifndef SANDBOX_TEST_H
#define SANDBOX_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct sbres {
	int status;		/* the CLI's exit status (-1: killed) */
	int rc;			/* library return code (0: the tool ran) */
	char error[512];	/* its message when rc != 0 */
	int exited, exit_code, signal, timed_out, oom_killed, pids_limited;
	int exec_errno, warm, stdout_truncated, stderr_truncated;
	long stdout_len, stderr_len;
	unsigned long long wall_us, cgroup_id;
	char scratch[300];
	char *out, *err;	/* what the CLI copied to its stdout/stderr */
};

/* BUILD directory: three levels above this executable. */
static inline const char *sbt_build(void)
{
	static char build[1024];
	char exe[PATH_MAX];
	ssize_t n;

	if (build[0])
		return build;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "build";
	exe[n] = '\0';
	snprintf(build, sizeof(build), "%s", dirname(dirname(dirname(exe))));
	return build;
}

static inline const char *sbt_cli(void)
{
	static char cli[PATH_MAX];

	snprintf(cli, sizeof(cli), "%s/sandbox/aios-sandbox", sbt_build());
	return cli;
}

/* The directory of this test binary (bound read-only for escape tools). */
static inline const char *sbt_selfdir(void)
{
	static char dir[1024];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return ".";
	dir[n] = '\0';
	*strrchr(dir, '/') = '\0';
	return dir;
}

static inline char *sbt_slurp(const char *path)
{
	struct stat st;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return strdup("");
	}
	b = calloc(1, st.st_size + 1);
	if (b && read(fd, b, st.st_size) < 0)
		b[0] = '\0';
	close(fd);
	return b;
}

static inline void sbt_free(struct sbres *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static inline void sbt_parse(struct sbres *r, char *text)
{
	char *line, *save = NULL, *v;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
#define INT(k) else if (!strcmp(line, #k)) r->k = atoi(v)
		if (!strcmp(line, "error"))
			snprintf(r->error, sizeof(r->error), "%s", v);
		else if (!strcmp(line, "scratch"))
			snprintf(r->scratch, sizeof(r->scratch), "%s", v);
		else if (!strcmp(line, "stdout_len"))
			r->stdout_len = atol(v);
		else if (!strcmp(line, "stderr_len"))
			r->stderr_len = atol(v);
		else if (!strcmp(line, "wall_us"))
			r->wall_us = strtoull(v, NULL, 10);
		else if (!strcmp(line, "cgroup_id"))
			r->cgroup_id = strtoull(v, NULL, 10);
		INT(rc); INT(exited); INT(exit_code); INT(signal);
		INT(timed_out); INT(oom_killed); INT(pids_limited);
		INT(exec_errno); INT(warm); INT(stdout_truncated);
		INT(stderr_truncated);
#undef INT
	}
}

/*
 * Runs aios-sandbox OPTS... --result F -- ARGV... (argv NULL when OPTS
 * already name the tool, e.g. --manifest).  Returns 0 when the CLI ran
 * (whatever its status), -errno otherwise.
 */
static inline int sbt_run(struct sbres *r, const char *const *opts,
			  const char *const *argv)
{
	char dir[] = "/tmp/sbt-XXXXXX", res[64], out[64], err[64], *text;
	const char *av[128];
	int n = 0, status, fd;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->rc = -1;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(res, sizeof(res), "%s/result", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	av[n++] = sbt_cli();
	for (; opts && *opts && n < 100; opts++)
		av[n++] = *opts;
	av[n++] = "--result";
	av[n++] = res;
	if (argv) {
		av[n++] = "--";
		for (; *argv && n < 127; argv++)
			av[n++] = *argv;
	}
	av[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(av[0], (char *const *)av);
		_exit(121);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	text = sbt_slurp(res);
	if (text)
		sbt_parse(r, text);
	free(text);
	r->out = sbt_slurp(out);
	r->err = sbt_slurp(err);
	unlink(res);
	unlink(out);
	unlink(err);
	rmdir(dir);
	return 0;
}

#define SBT_ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define SBT_NOOPTS ((const char *const[]){ NULL })

#endif
