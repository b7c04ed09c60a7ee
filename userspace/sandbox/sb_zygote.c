// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: zygotes (see sb_zygote.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include "sb_cgroup.h"
#include "sb_landlock.h"
#include "sb_ns.h"
#include "sb_seccomp.h"
#include "sb_util.h"
#include "sb_zygote.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum { MSG_READY = 1, MSG_ERROR, MSG_RESULT };
#define REQ_MAGIC 0x41534252u	/* "ASBR" */

struct zmsg {
	uint32_t type;
	int32_t err;
	int32_t status;
	int32_t exec_errno;
	struct rusage ru;
	char text[SB_MSG_LEN];
};

struct zreq {
	uint32_t magic;
	uint32_t argc, envc, nkeep, access;
	uint32_t blob_len;
};

/* The zygote's copy of these (after clone) is private to it. */
static char req_buf[sizeof(struct zreq) + SB_BLOB_MAX];
static char *req_ptrs[SB_ARG_MAX + 2];

static const char *const default_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
	"HOME=/scratch", "TMPDIR=/tmp", "LANG=C.UTF-8", NULL,
};

/* ---- zygote side (async-signal-safe: no malloc, no stdio) ------------- */

static void zsend(int ctl, uint32_t type, int err, const char *text)
{
	struct zmsg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.err = err;
	if (text)
		sb_scat(m.text, sizeof(m.text), text);
	(void)!send(ctl, &m, sizeof(m), MSG_NOSIGNAL);
}

static void zdie(int ctl, int err, const char *text)
{
	zsend(ctl, MSG_ERROR, err, text);
	_exit(1);
}

/*
 * Zygote, after its view is built and before it reports ready: everything
 * the tool must run under, applied once here (off the call's critical
 * path) and inherited by the tool: default signal dispositions and an
 * empty mask, no_new_privs, empty bounding and ambient capability sets,
 * Landlock, seccomp, cwd /scratch.
 */
static int restrict_self(struct aios_sb *sb, bool net, const char *const *rw,
			 char *text, size_t len)
{
	sigset_t none;
	int i, rc;

	sigemptyset(&none);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (chdir("/scratch") < 0) {
		sb_scat(text, len, "chdir /scratch failed");
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		sb_scat(text, len, "no_new_privs failed");
		return -errno;
	}
	for (i = 0; i <= CAP_LAST_CAP; i++)
		(void)prctl(PR_CAPBSET_DROP, i, 0, 0, 0);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (sb->use & AIOS_SB_PROT_LANDLOCK) {
		rc = sb_landlock_apply(sb->landlock_abi, rw);
		if (rc) {
			sb_scat(text, len, "applying the Landlock rules failed");
			return rc;
		}
	}
	if (sb->use & AIOS_SB_PROT_SECCOMP) {
		rc = sb_seccomp_apply(&sb->filter[net ? 1 : 0]);
		if (rc) {
			sb_scat(text, len, "installing the seccomp filter failed");
			return rc;
		}
	}
	return 0;
}

static void tool_fail(int efd, int err)
{
	(void)!write(efd, &err, sizeof(err));
	_exit(127);
}

/* The tool process: its session, its fds, execve. */
static void tool_exec(int *fds, int nfds, char **argv, char **envp, int efd)
{
	int i;

	setsid();
	/* fds: stdin, stdout, stderr, keep...; move them out of the way. */
	for (i = 0; i < nfds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 64);

		if (fd < 0)
			tool_fail(efd, errno);
		fds[i] = fd;
	}
	if (efd < 64) {
		int fd = fcntl(efd, F_DUPFD_CLOEXEC, 64 + nfds);

		if (fd < 0)
			tool_fail(efd, errno);
		efd = fd;
	}
	for (i = 0; i < nfds; i++)
		if (dup2(fds[i], i) < 0)
			tool_fail(efd, errno);
	if (syscall(SYS_close_range, nfds, efd - 1, 0) < 0 ||
	    syscall(SYS_close_range, efd + 1, ~0U, 0) < 0)
		tool_fail(efd, errno);
	execve(argv[0], argv, envp);
	tool_fail(efd, errno);
}

static int recv_request(int ctl, struct zreq **hp, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * (3 + SB_KEEP_MAX))];
	struct iovec iov = { req_buf, sizeof(req_buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	struct zreq *h = (struct zreq *)req_buf;
	ssize_t n;

	n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	*nfds = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(c), *nfds * sizeof(int));
		}
	}
	if ((size_t)n < sizeof(*h) || h->magic != REQ_MAGIC ||
	    h->blob_len != n - sizeof(*h) || h->argc < 1 ||
	    h->argc + h->envc > SB_ARG_MAX || (mh.msg_flags & MSG_CTRUNC) ||
	    *nfds != 3 + (int)h->nkeep)
		return -2;
	*hp = h;
	return 0;
}

static int split_blob(const struct zreq *h)
{
	char *p = req_buf + sizeof(*h), *end = p + h->blob_len;
	uint32_t i, n = h->argc + h->envc;

	for (i = 0; i < n; i++) {
		char *z = memchr(p, '\0', end - p);

		if (!z)
			return -1;
		req_ptrs[i + (i >= h->argc ? 1 : 0)] = p;
		p = z + 1;
	}
	req_ptrs[h->argc] = NULL;
	req_ptrs[n + 1] = NULL;
	return 0;
}

static void zygote_run(struct aios_sb *sb, int ctl, const struct sb_view *v,
		       bool net)
{
	int fds[3 + SB_KEEP_MAX], nfds, ep[2], err = 0, status, i;
	struct zmsg m;
	struct zreq *h;
	struct rusage ru;
	char text[SB_MSG_LEN];
	char go;
	pid_t tool, w;
	ssize_t n;

	/* Nothing inherited but ctl; stdio on /dev/null. */
	if (ctl != 3) {
		if (dup2(ctl, 3) < 0)
			_exit(1);
		ctl = 3;
	}
	syscall(SYS_close_range, 4, ~0U, 0);
	i = open("/dev/null", O_RDWR);
	if (i >= 0) {
		dup2(i, 0);
		dup2(i, 1);
		dup2(i, 2);
		if (i > 3)
			close(i);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "aios-zygote", 0, 0, 0);
	if (recv(ctl, &go, 1, 0) != 1)	/* the parent wrote our id maps */
		_exit(1);
	/*
	 * Our kernel credentials are still the caller's (root for aiosd):
	 * become the mapped uid/gid.  Capabilities in the new user namespace
	 * stay (the namespace has no uid 0 for setuid to drop them for).
	 * Raw syscalls: glibc's setresuid() would try to change the ids of
	 * every thread of the process we were cloned from and wait for them.
	 */
	if (syscall(SYS_setresgid, sb->gid, sb->gid, sb->gid) < 0 ||
	    syscall(SYS_setresuid, sb->uid, sb->uid, sb->uid) < 0)
		zdie(ctl, errno, "cannot switch to the sandbox uid/gid");
	text[0] = '\0';
	err = sb_ns_enter_view(v, text, sizeof(text));
	if (err)
		zdie(ctl, -err, text);
	if (sethostname("aios-sandbox", 12) < 0 ||
	    setdomainname("aios-sandbox", 12) < 0)
		zdie(ctl, errno, "sethostname in the sandbox failed");
	err = restrict_self(sb, net, v->rw, text, sizeof(text));
	if (err)
		zdie(ctl, -err, text);
	zsend(ctl, MSG_READY, 0, NULL);

	switch (recv_request(ctl, &h, fds, &nfds)) {
	case -1:
		_exit(0);	/* discarded unused (pool shut down) */
	case -2:
		zdie(ctl, EPROTO, "malformed request to the zygote");
	}
	if (split_blob(h))
		zdie(ctl, EPROTO, "malformed argv in the request");
	if (pipe2(ep, O_CLOEXEC) < 0)
		zdie(ctl, errno, "pipe failed in the zygote");
	tool = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (tool < 0)
		zdie(ctl, errno, "fork of the tool failed");
	if (tool == 0) {
		close(ctl);
		close(ep[0]);
		tool_exec(fds, nfds, req_ptrs, h->envc ? req_ptrs + h->argc + 1 :
			  (char **)default_env, ep[1]);
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	close(ep[1]);
	memset(&m, 0, sizeof(m));
	m.type = MSG_RESULT;
	n = read(ep[0], &err, sizeof(err));
	if (n == sizeof(err))
		m.exec_errno = err;
	close(ep[0]);
	/* pid 1: reap everything until the tool itself is gone. */
	for (;;) {
		w = wait4(-1, &status, 0, &ru);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			zdie(ctl, errno, "wait4 in the zygote failed");
		if (w == tool)
			break;
	}
	m.status = status;
	m.ru = ru;
	(void)!send(ctl, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(0);	/* the kernel kills the rest of the pid namespace */
}

/* ---- parent side ------------------------------------------------------ */

static int make_rundir(struct aios_sb *sb, struct sb_zygote *z, char *msg,
		       size_t msglen)
{
	char path[300];

	snprintf(z->rundir, sizeof(z->rundir), "%s/aios-sb-XXXXXX",
		 sb->scratch_base);
	if (!mkdtemp(z->rundir))
		return sb_err(msg, msglen, errno, "cannot create a run directory "
			      "in %s: %s", sb->scratch_base, strerror(errno));
	/* The zygote (an unprivileged uid) must traverse it. */
	if (chmod(z->rundir, 0711) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/root", z->rundir);
	if (mkdir(path, 0755) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/scratch", z->rundir);
	if (mkdir(path, 0700) < 0)
		goto fail;
	if (geteuid() == 0 && chown(path, sb->uid, sb->gid) < 0)
		goto fail;
	return 0;
fail:
	snprintf(path, sizeof(path), "%s", strerror(errno));
	sb_rmtree(z->rundir);
	return sb_err(msg, msglen, errno, "cannot prepare %s: %s", z->rundir,
		      path);
}

static int wait_msg(int ctl, struct zmsg *m, int timeout_ms)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	n = recv(ctl, m, sizeof(*m), MSG_DONTWAIT);
	if (n == sizeof(*m))
		return 0;
	return n < 0 ? -errno : -EPIPE;
}

int sb_zygote_create(struct aios_sb *sb, bool net, const char *const *ro,
		     const char *const *rw, struct sb_zygote **zp,
		     char *msg, size_t msglen)
{
	struct clone_args ca;
	struct sb_zygote *z;
	struct sb_view v;
	char root[300], scratch[300];
	unsigned long seq;
	int sv[2], rc, pidfd = -1;
	struct zmsg m;
	long pid;

	z = calloc(1, sizeof(*z));
	if (!z)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	z->cgfd = -1;
	z->pidfd = -1;
	z->ctl = -1;
	z->net = net;
	z->pathless = !(ro && *ro) && !(rw && *rw);
	rc = make_rundir(sb, z, msg, msglen);
	if (rc) {
		free(z);
		return rc;
	}
	pthread_mutex_lock(&sb->pool_lock);
	seq = ++sb->seq;
	pthread_mutex_unlock(&sb->pool_lock);
	if (sb->use & AIOS_SB_PROT_CGROUP) {
		snprintf(z->cgname, sizeof(z->cgname), "run-%d-%lu", (int)getpid(),
			 seq);
		rc = sb_cg_create(sb->cg_parent, z->cgname, &z->cgid, msg, msglen);
		if (rc < 0)
			goto fail;
		z->cgfd = rc;
		/* Default limits now; a request with others rewrites them. */
		rc = sb_cg_limit(z->cgfd, SB_DEF_MEMORY, SB_DEF_PIDS, SB_DEF_CPU,
				 msg, msglen);
		if (rc)
			goto fail;
		z->memory_max = SB_DEF_MEMORY;
		z->pids_max = SB_DEF_PIDS;
		z->cpu_pct = SB_DEF_CPU;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = sb_err(msg, msglen, errno, "socketpair: %s", strerror(errno));
		goto fail;
	}
	snprintf(root, sizeof(root), "%s/root", z->rundir);
	snprintf(scratch, sizeof(scratch), "%s/scratch", z->rundir);
	v.root = root;
	v.scratch = scratch;
	v.etc = sb->etc_dir;
	v.ro = ro;
	v.rw = rw;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
		   CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_PIDFD;
	if (!net)
		ca.flags |= CLONE_NEWNET;
	if (z->cgfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = z->cgfd;
	}
	ca.pidfd = (uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		close(sv[0]);
		zygote_run(sb, sv[1], &v, net);
		_exit(1);
	}
	close(sv[1]);
	if (pid < 0) {
		rc = sb_err(msg, msglen, errno, "creating the sandbox namespaces "
			    "failed (clone3): %s", strerror(errno));
		close(sv[0]);
		goto fail;
	}
	z->pid = pid;
	z->pidfd = pidfd;
	z->ctl = sv[0];
	rc = sb_ns_write_maps(pid, sb->uid, sb->gid, msg, msglen);
	if (!rc && send(z->ctl, "g", 1, MSG_NOSIGNAL) != 1)
		rc = sb_err(msg, msglen, EPIPE, "the sandbox zygote died early");
	if (!rc) {
		rc = wait_msg(z->ctl, &m, 10000);
		if (rc)
			rc = sb_err(msg, msglen, -rc, "the sandbox zygote did not "
				    "start: %s", strerror(-rc));
		else if (m.type == MSG_ERROR)
			rc = sb_err(msg, msglen, m.err ? m.err : EIO, "%s",
				    m.text);
		else if (m.type != MSG_READY)
			rc = sb_err(msg, msglen, EPROTO, "unexpected message "
				    "from the zygote");
	}
	if (rc)
		goto fail;
	*zp = z;
	return 0;
fail:
	sb_zygote_destroy(sb, z);
	return rc;
}

int sb_zygote_start(struct sb_zygote *z, const struct aios_sb_request *rq,
		    const int fds[3], char *msg, size_t msglen)
{
	char cbuf[CMSG_SPACE(sizeof(int) * (3 + SB_KEEP_MAX))];
	struct zreq h = { .magic = REQ_MAGIC };
	const char *const *p;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *c;
	char *blob, *q;
	size_t len = 0;
	int all[3 + SB_KEEP_MAX];
	unsigned int i;
	ssize_t n;

	if (!!(rq->access & AIOS_SB_ACCESS_NET) != z->net)
		return sb_err(msg, msglen, EINVAL, "internal: request and zygote "
			      "disagree about ACCESS_NET");
	for (p = rq->argv; *p; p++, h.argc++)
		len += strlen(*p) + 1;
	for (p = rq->envp; p && *p; p++, h.envc++)
		len += strlen(*p) + 1;
	if (len > SB_BLOB_MAX || h.argc + h.envc > SB_ARG_MAX)
		return sb_err(msg, msglen, E2BIG, "argv and environment too large "
			      "(%zu bytes, %u entries; limits %d and %d)", len,
			      h.argc + h.envc, SB_BLOB_MAX, SB_ARG_MAX);
	if (rq->n_keep_fds > SB_KEEP_MAX)
		return sb_err(msg, msglen, EINVAL, "at most %d fds can be passed "
			      "in", SB_KEEP_MAX);
	blob = malloc(len ? len : 1);
	if (!blob)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	q = blob;
	for (p = rq->argv; *p; p++)
		q = stpcpy(q, *p) + 1;
	for (p = rq->envp; p && *p; p++)
		q = stpcpy(q, *p) + 1;
	h.blob_len = len;
	h.access = rq->access;
	h.nkeep = rq->n_keep_fds;
	memcpy(all, fds, 3 * sizeof(int));
	for (i = 0; i < rq->n_keep_fds; i++)
		all[3 + i] = rq->keep_fds[i];
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = blob;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (3 + h.nkeep));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (3 + h.nkeep));
	memcpy(CMSG_DATA(c), all, sizeof(int) * (3 + h.nkeep));
	n = sendmsg(z->ctl, &mh, MSG_NOSIGNAL);
	free(blob);
	if (n != (ssize_t)(sizeof(h) + len))
		return sb_err(msg, msglen, n < 0 ? errno : EIO, "sending the "
			      "request to the zygote failed: %s",
			      strerror(n < 0 ? errno : EIO));
	return 0;
}

int sb_zygote_result(struct sb_zygote *z, struct sb_zyg_result *r)
{
	struct zmsg m;
	ssize_t n;

	n = recv(z->ctl, &m, sizeof(m), MSG_DONTWAIT);
	if (n == -1 && errno == EAGAIN)
		return -EAGAIN;
	if (n != sizeof(m) || m.type != MSG_RESULT)
		return -EPIPE;
	r->status = m.status;
	r->exec_errno = m.exec_errno;
	r->ru = m.ru;
	return 0;
}

void sb_zygote_kill(struct sb_zygote *z)
{
	if (z->cgfd >= 0 && sb_cg_kill(z->cgfd) == 0)
		return;
	if (z->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, z->pidfd, SIGKILL, NULL, 0);
}

void sb_zygote_finish(struct sb_zygote *z, struct sb_cg_stats *st)
{
	if (z->ctl >= 0) {
		close(z->ctl);
		z->ctl = -1;
	}
	if (z->pid > 0)
		sb_zygote_kill(z);
	if (z->cgfd >= 0 && st)
		sb_cg_stats(z->cgfd, st);
}

void sb_zygote_destroy(struct aios_sb *sb, struct sb_zygote *z)
{
	char path[300];
	siginfo_t si;

	sb_zygote_finish(z, NULL);
	if (z->pid > 0)
		while (waitid(P_PIDFD, z->pidfd, &si, WEXITED) < 0 &&
		       errno == EINTR)
			;
	if (z->pidfd >= 0)
		close(z->pidfd);
	if (z->cgfd >= 0)
		sb_cg_destroy(z->cgfd, sb->cg_parent, z->cgname, 2000);
	if (z->rundir[0]) {
		if (z->keep_scratch) {
			snprintf(path, sizeof(path), "%s/root", z->rundir);
			rmdir(path);
		} else {
			sb_rmtree(z->rundir);
		}
	}
	free(z);
}
