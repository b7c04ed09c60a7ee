// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libaiossandbox: the public API - open (protection checks, seccomp
 * filters, cgroup parent, pool), run (validation, zygote, output capture,
 * timeout, result), close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "aios_sandbox.h"
#include "aios_sb_audit.h"
#include "sb_cgroup.h"
#include "sb_etc.h"
#include "sb_health.h"
#include "sb_internal.h"
#include "sb_ns.h"
#include "sb_pool.h"
#include "sb_seccomp.h"
#include "sb_util.h"
#include "sb_zygote.h"

#define DEF_CG_PARENT	"/sys/fs/cgroup/aios-sandbox"
#define DEF_TIMEOUT_MS	30000
#define DEF_STDOUT	(1u << 20)
#define DEF_STDERR	(256u << 10)
#define GRACE_MS	2000	/* output drain after the tool ended */

/*
 * Why the calling thread's last aios_sb_run() failed: per thread, so that
 * several threads may run tools through one handle at the same time.
 */
static __thread char run_msg[SB_MSG_LEN];

const char *aios_sb_errmsg(const struct aios_sb *sb)
{
	if (!sb)
		return "no sandbox handle";
	return run_msg[0] ? run_msg : sb->msg;
}

unsigned int aios_sb_health(const struct aios_sb_config *cfg, char *buf,
			    size_t len)
{
	const char *p = cfg && cfg->cgroup_parent ? cfg->cgroup_parent :
			DEF_CG_PARENT;

	return sb_health_probe(p, NULL, buf, len);
}

static int missing_text(unsigned int missing, char *buf, size_t len)
{
	unsigned int b;
	size_t off = 0;

	buf[0] = '\0';
	for (b = 1; b <= AIOS_SB_PROT_BPF_LSM; b <<= 1)
		if (missing & b)
			off += snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", aios_sb_prot_name(b));
	return 0;
}

int aios_sb_open(const struct aios_sb_config *cfg, struct aios_sb **sbp,
		 char *msg, size_t msglen)
{
	struct aios_sb_config def = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	char health[1024], names[128], *line;
	unsigned int missing;
	struct aios_sb *sb;
	int rc;

	*sbp = NULL;
	if (!cfg)
		cfg = &def;
	if (cfg->allow_weak & ~AIOS_SB_PROT_REQUIRED)
		return sb_err(msg, msglen, EINVAL, "allow_weak has unknown bits");
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	pthread_mutex_init(&sb->pool_lock, NULL);
	pthread_cond_init(&sb->pool_cond, NULL);
	rc = snprintf(sb->cg_parent, sizeof(sb->cg_parent), "%s",
		      cfg->cgroup_parent ? cfg->cgroup_parent : DEF_CG_PARENT);
	if (rc >= (int)sizeof(sb->cg_parent) || sb->cg_parent[0] != '/') {
		rc = sb_err(msg, msglen, EINVAL, "cgroup parent must be an "
			    "absolute path shorter than %zu bytes",
			    sizeof(sb->cg_parent));
		goto fail;
	}
	rc = snprintf(sb->scratch_base, sizeof(sb->scratch_base), "%s",
		      cfg->scratch_base ? cfg->scratch_base : "/tmp");
	if (rc >= (int)sizeof(sb->scratch_base) || sb->scratch_base[0] != '/') {
		rc = sb_err(msg, msglen, EINVAL, "scratch base must be an "
			    "absolute path shorter than %zu bytes",
			    sizeof(sb->scratch_base));
		goto fail;
	}
	if (cfg->uid == (uid_t)-1)
		sb->uid = getuid() ? getuid() : 65534;
	else
		sb->uid = cfg->uid;
	if (cfg->gid == (gid_t)-1)
		sb->gid = getgid() ? getgid() : 65534;
	else
		sb->gid = cfg->gid;
	if (getuid() && (sb->uid != getuid() || sb->gid != getgid())) {
		rc = sb_err(msg, msglen, EPERM, "an unprivileged caller can only "
			    "run tools as itself (uid %u gid %u)", getuid(),
			    getgid());
		goto fail;
	}
	sb->avail = sb_health_probe(sb->cg_parent, &sb->landlock_abi, health,
				    sizeof(health));
	missing = AIOS_SB_PROT_REQUIRED & ~sb->avail;
	if (missing & ~cfg->allow_weak) {
		missing_text(missing & ~cfg->allow_weak, names, sizeof(names));
		/* Quote the health lines of what is missing. */
		line = strstr(health, aios_sb_prot_name(missing & ~cfg->allow_weak &
						       -(missing & ~cfg->allow_weak)));
		rc = sb_err(msg, msglen, EOPNOTSUPP, "refusing to run sandboxed "
			    "tools: missing protection: %s [%.*s] (allow a "
			    "weaker sandbox explicitly to run anyway)", names,
			    line ? (int)strcspn(line, "\n") : 0, line ? line : "");
		goto fail;
	}
	sb->use = sb->avail & AIOS_SB_PROT_REQUIRED;
	if (!(sb->use & AIOS_SB_PROT_USERNS) || !(sb->use & AIOS_SB_PROT_NS)) {
		rc = sb_err(msg, msglen, EOPNOTSUPP, "the sandbox cannot run "
			    "without namespaces, even in weak mode");
		goto fail;
	}
	if (sb->use & AIOS_SB_PROT_SECCOMP) {
		rc = sb_seccomp_build(false, &sb->filter[0], msg, msglen);
		if (!rc)
			rc = sb_seccomp_build(true, &sb->filter[1], msg, msglen);
		if (rc)
			goto fail;
	}
	if (sb->use & AIOS_SB_PROT_CGROUP) {
		rc = sb_cg_setup_parent(sb->cg_parent, msg, msglen);
		if (rc)
			goto fail;
	}
	rc = sb_etc_snapshot(sb->scratch_base, sb->etc_dir, sizeof(sb->etc_dir),
			     msg, msglen);
	if (rc)
		goto fail;
	sb->audit = cfg->audit;
	sb->audit_external = cfg->audit_external;
	sb->pool_size = cfg->pool_size;
	rc = sb_pool_start(sb, msg, msglen);
	if (rc)
		goto fail;
	*sbp = sb;
	return 0;
fail:
	aios_sb_close(sb);
	return rc;
}

void aios_sb_close(struct aios_sb *sb)
{
	if (!sb)
		return;
	sb_pool_stop(sb);
	if (sb->etc_dir[0])
		sb_rmtree(sb->etc_dir);
	sb_seccomp_free(&sb->filter[0]);
	sb_seccomp_free(&sb->filter[1]);
	pthread_mutex_destroy(&sb->pool_lock);
	pthread_cond_destroy(&sb->pool_cond);
	free(sb);
}

/* ---- run ---------------------------------------------------------------- */

struct capture {
	int fd;
	char *buf;
	size_t len, max;
	bool truncated;
};

static int validate(struct aios_sb *sb, const struct aios_sb_request *rq)
{
	const char *const *p;
	unsigned int i;

	(void)sb;
	if (!rq || !rq->argv || !rq->argv[0])
		return sb_err(run_msg, sizeof(run_msg), EINVAL, "no program to "
			      "run (argv is empty)");
	if (rq->argv[0][0] != '/')
		return sb_err(run_msg, sizeof(run_msg), EINVAL, "the program '%s' "
			      "must be an absolute path (there is no shell and "
			      "no PATH search)", rq->argv[0]);
	if (rq->access & ~(AIOS_SB_ACCESS_FS | AIOS_SB_ACCESS_NET))
		return sb_err(run_msg, sizeof(run_msg), EINVAL, "unknown access "
			      "bits 0x%x", rq->access);
	if (rq->rw_paths && rq->rw_paths[0] && !(rq->access & AIOS_SB_ACCESS_FS))
		return sb_err(run_msg, sizeof(run_msg), EPERM, "writable path "
			      "'%s' requires ACCESS_FS; without it only "
			      "/scratch and /tmp are writable", rq->rw_paths[0]);
	for (i = 0; i < 2; i++)
		for (p = i ? rq->rw_paths : rq->ro_paths; p && *p; p++) {
			int rc = sb_ns_check_path(*p, run_msg, sizeof(run_msg));

			if (rc)
				return rc;
			if (access(*p, F_OK) < 0)
				return sb_err(run_msg, sizeof(run_msg), errno,
					      "path '%s': %s", *p, strerror(errno));
		}
	if (rq->stdin_len && !rq->stdin_data)
		return sb_err(run_msg, sizeof(run_msg), EINVAL, "stdin_len "
			      "without stdin_data");
	for (i = 0; i < rq->n_keep_fds; i++)
		if (!rq->keep_fds || fcntl(rq->keep_fds[i], F_GETFD) < 0)
			return sb_err(run_msg, sizeof(run_msg), EBADF, "fd to pass "
				      "in #%u is not open", i);
	return 0;
}

/* Reads what is there; returns false at EOF. */
static bool capture_read(struct capture *c)
{
	char tmp[65536];
	ssize_t n;
	size_t keep;

	n = read(c->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	keep = c->len < c->max ? c->max - c->len : 0;
	if ((size_t)n > keep)
		c->truncated = true;
	else
		keep = n;
	if (keep) {
		char *b = realloc(c->buf, c->len + keep + 1);

		if (!b) {
			c->truncated = true;
			return true;
		}
		c->buf = b;
		memcpy(c->buf + c->len, tmp, keep);
		c->len += keep;
	}
	return true;
}

static int capture_finish(struct capture *c, char **out, size_t *len,
			  bool *trunc)
{
	size_t m = strlen(AIOS_SB_TRUNC_MARK);
	char *b = realloc(c->buf, c->len + m + 1);

	if (!b)
		return -ENOMEM;
	if (c->truncated) {
		memcpy(b + c->len, AIOS_SB_TRUNC_MARK, m);
		c->len += m;
	}
	b[c->len] = '\0';
	*out = b;
	*len = c->len;
	*trunc = c->truncated;
	c->buf = NULL;
	return 0;
}

static int run_loop(struct aios_sb *sb, struct sb_zygote *z,
		    const struct aios_sb_request *rq, struct capture cap[2],
		    int in_w, struct aios_sb_result *res,
		    struct sb_zyg_result *zr, bool *have)
{
	uint64_t start = sb_now_us(), deadline, grace = 0;
	const char *in = rq->stdin_data;
	size_t in_left = rq->stdin_len;
	bool open[2] = { true, true }, ctl_open = true;
	int i;

	(void)sb;
	deadline = start + (uint64_t)(rq->timeout_ms ? rq->timeout_ms :
				      DEF_TIMEOUT_MS) * 1000;
	*have = false;
	while (open[0] || open[1] || ctl_open) {
		struct pollfd p[4];
		uint64_t now = sb_now_us(), until;
		int n = 0, tmo, r;

		until = grace ? grace : deadline;
		if (now >= until) {
			if (grace)
				break;	/* something keeps the pipes open */
			res->timed_out = true;
			sb_zygote_kill(z);
			grace = now + GRACE_MS * 1000;
			continue;
		}
		tmo = (int)((until - now + 999) / 1000);
		for (i = 0; i < 2; i++)
			p[n++] = (struct pollfd){ open[i] ? cap[i].fd : -1, POLLIN, 0 };
		p[n++] = (struct pollfd){ ctl_open ? z->ctl : -1, POLLIN, 0 };
		p[n++] = (struct pollfd){ in_w, POLLOUT, 0 };
		r = poll(p, n, tmo);
		if (r < 0 && errno != EINTR)
			return sb_err(run_msg, sizeof(run_msg), errno, "poll: %s",
				      strerror(errno));
		if (r <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			/*
			 * EOF, or over the limit: closing the pipe gives the
			 * tool EPIPE/SIGPIPE instead of letting it flood.
			 */
			if (!capture_read(&cap[i]) || cap[i].truncated) {
				open[i] = false;
				close(cap[i].fd);
				cap[i].fd = -1;
			}
		}
		if (p[2].revents) {
			r = sb_zygote_result(z, zr);
			if (r == -EAGAIN)
				continue;
			if (r == 0)
				*have = true;
			ctl_open = false;
			/* The tool is done: kill whatever it left behind. */
			sb_zygote_kill(z);
			if (!grace)
				grace = sb_now_us() + GRACE_MS * 1000;
		}
		if (in_w >= 0 && p[3].revents) {
			ssize_t w = p[3].revents & POLLOUT ?
				    write(in_w, in, in_left) : -1;

			if (w > 0) {
				in += w;
				in_left -= w;
			}
			if (w < 0 || !in_left) {
				close(in_w);
				in_w = -1;
			}
		}
	}
	if (in_w >= 0)
		close(in_w);
	res->wall_us = sb_now_us() - start;
	return 0;
}

int aios_sb_run(struct aios_sb *sb, const struct aios_sb_request *rq,
		struct aios_sb_result *res)
{
	struct capture cap[2] = { { .fd = -1 }, { .fd = -1 } };
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, ip[2] = { -1, -1 };
	struct sb_zygote *z = NULL;
	struct sb_zyg_result zr;
	struct sb_cg_stats st = { 0 };
	bool have = false, audited = false;
	uint32_t pids, cpu;
	int fds[3], rc;
	uint64_t mem;

	memset(res, 0, sizeof(*res));
	if (!sb)
		return -EINVAL;
	run_msg[0] = '\0';
	rc = validate(sb, rq);
	if (rc)
		return rc;
	if (!(rq->access & AIOS_SB_ACCESS_NET) && !(rq->ro_paths && rq->ro_paths[0]) &&
	    !(rq->rw_paths && rq->rw_paths[0]))
		z = sb_pool_take(sb);
	if (z) {
		res->warm = true;
	} else {
		rc = sb_zygote_create(sb, rq->access & AIOS_SB_ACCESS_NET,
				      rq->ro_paths, rq->rw_paths, &z, run_msg,
				      sizeof(run_msg));
		if (rc)
			return rc;
	}
	res->cgroup_id = z->cgid;
	z->keep_scratch = rq->keep_scratch;
	mem = rq->memory_max ? rq->memory_max : SB_DEF_MEMORY;
	pids = rq->pids_max ? rq->pids_max : SB_DEF_PIDS;
	cpu = rq->cpu_pct ? rq->cpu_pct : SB_DEF_CPU;
	if (z->cgfd >= 0 && (mem != z->memory_max || pids != z->pids_max ||
			     cpu != z->cpu_pct)) {
		rc = sb_cg_limit(z->cgfd, mem, pids, cpu, run_msg, sizeof(run_msg));
		if (rc)
			goto out;
	}
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0 ||
	    (rq->stdin_data && pipe2(ip, O_CLOEXEC) < 0)) {
		rc = sb_err(run_msg, sizeof(run_msg), errno, "pipe: %s",
			    strerror(errno));
		goto out;
	}
	if (!rq->stdin_data) {
		ip[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (ip[0] < 0) {
			rc = sb_err(run_msg, sizeof(run_msg), errno,
				    "/dev/null: %s", strerror(errno));
			goto out;
		}
	}
	fds[0] = ip[0];
	fds[1] = op[1];
	fds[2] = ep[1];
	if (sb->audit && z->cgid) {
		unsigned int af = AIOS_AUDIT_TRACK;

		if (!(rq->access & AIOS_SB_ACCESS_NET) && aios_audit_lsm(sb->audit))
			af |= AIOS_AUDIT_DENY_NET;
		rc = aios_audit_track(sb->audit, z->cgid, af);
		if (rc) {
			sb_err(run_msg, sizeof(run_msg), -rc, "audit: cannot track "
			       "the run's cgroup: %s", strerror(-rc));
			goto out;
		}
		audited = true;
	}
	if (rq->started)
		rq->started(rq->started_arg, z->cgid);
	rc = sb_zygote_start(z, rq, fds, run_msg, sizeof(run_msg));
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	ip[0] = op[1] = ep[1] = -1;
	if (rc)
		goto out;
	if (ip[1] >= 0)
		fcntl(ip[1], F_SETFL, O_NONBLOCK);
	cap[0] = (struct capture){ .fd = op[0], .max = rq->stdout_max ?
				   rq->stdout_max : DEF_STDOUT };
	cap[1] = (struct capture){ .fd = ep[0], .max = rq->stderr_max ?
				   rq->stderr_max : DEF_STDERR };
	/*
	 * The captures own the read ends now (run_loop closes them at EOF):
	 * closing them again below would close whatever another thread got
	 * under the same number meanwhile.
	 */
	op[0] = ep[0] = -1;
	rc = run_loop(sb, z, rq, cap, ip[1], res, &zr, &have);
	ip[1] = -1;
	if (rc)
		goto out;
	if (have) {
		res->exec_errno = zr.exec_errno;
		if (WIFEXITED(zr.status)) {
			res->exited = true;
			res->exit_code = WEXITSTATUS(zr.status);
		} else if (WIFSIGNALED(zr.status)) {
			res->signal = WTERMSIG(zr.status);
		}
		res->utime_us = zr.ru.ru_utime.tv_sec * 1000000ULL +
				zr.ru.ru_utime.tv_usec;
		res->stime_us = zr.ru.ru_stime.tv_sec * 1000000ULL +
				zr.ru.ru_stime.tv_usec;
		res->maxrss_kb = zr.ru.ru_maxrss;
	} else {
		/* Killed before it could report: timeout or cgroup.kill. */
		res->signal = SIGKILL;
	}
	rc = capture_finish(&cap[0], &res->out, &res->out_len,
			    &res->out_truncated);
	if (!rc)
		rc = capture_finish(&cap[1], &res->err, &res->err_len,
				    &res->err_truncated);
	if (rc)
		sb_err(run_msg, sizeof(run_msg), ENOMEM, "out of memory");
out:
	for (int i = 0; i < 2; i++) {
		free(cap[i].buf);
		if (cap[i].fd >= 0)
			close(cap[i].fd);
	}
	if (cap[0].fd < 0 && op[0] >= 0)
		close(op[0]);
	if (cap[1].fd < 0 && ep[0] >= 0)
		close(ep[0]);
	for (int i = 0; i < 2; i++) {
		if (ip[i] >= 0)
			close(ip[i]);
	}
	if (op[1] >= 0)
		close(op[1]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (rq->keep_scratch)
		snprintf(res->scratch, sizeof(res->scratch), "%s/scratch",
			 z->rundir);
	sb_zygote_finish(z, &st);
	sb_pool_retire(sb, z);
	if (audited) {
		/* Everything the tree did is in the ring buffer by now. */
		if (!sb->audit_external)
			aios_audit_poll(sb->audit, 0);
		aios_audit_untrack(sb->audit, res->cgroup_id);
	}
	res->oom_killed = st.oom_killed;
	res->pids_limited = st.pids_limited;
	res->memory_peak = st.memory_peak;
	if (rc)
		aios_sb_result_free(res);
	return rc;
}

void aios_sb_result_free(struct aios_sb_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}
