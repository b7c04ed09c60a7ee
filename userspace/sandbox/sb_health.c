// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: protection detection (see sb_health.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "aios_sandbox.h"
#include "sb_cgroup.h"
#include "sb_health.h"
#include "sb_landlock.h"
#include "sb_util.h"

static const char *const prot_names[] = {
	"user-namespaces", "namespaces", "landlock", "seccomp", "cgroup-v2",
	"bpf-lsm",
};

const char *aios_sb_prot_name(unsigned int prot)
{
	unsigned int i;

	for (i = 0; i < sizeof(prot_names) / sizeof(prot_names[0]); i++)
		if (prot == (1u << i))
			return prot_names[i];
	return "unknown";
}

/* 0 ok, 1 user namespace failed, 2 other namespaces failed; *err errno. */
static int probe_ns(int *err)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		*err = errno;
		return 1;
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(64 | (errno & 63));
		if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
			    CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP) < 0)
			_exit(128 | (errno & 63));
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		*err = EIO;
		return 1;
	}
	status = WEXITSTATUS(status);
	*err = status & 0x3f;
	return status >> 6;
}

static int line(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int line(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf || *off >= len)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
	return 0;
}

static int in_chroot(void)
{
	struct stat a, b;

	if (stat("/", &a) < 0 || stat("/proc/1/root/", &b) < 0)
		return -1;
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

unsigned int sb_health_probe(const char *cg_parent, int *landlock_abi,
			     char *buf, size_t len)
{
	unsigned int have = 0;
	char msg[256];
	size_t off = 0;
	int r, err = 0, abi;
	char lsm[256];

	if (buf && len)
		buf[0] = '\0';
	r = probe_ns(&err);
	if (r == 0) {
		have |= AIOS_SB_PROT_USERNS | AIOS_SB_PROT_NS;
		line(buf, len, &off, "user-namespaces: yes\nnamespaces: yes "
		     "(mount pid net ipc uts cgroup)\n");
	} else if (r == 1) {
		line(buf, len, &off, "user-namespaces: NO (unshare(CLONE_NEWUSER): "
		     "%s%s)\nnamespaces: NO (needs user namespaces)\n",
		     strerror(err), in_chroot() == 1 ? "; this process is "
		     "chrooted and the kernel refuses user namespaces to "
		     "chrooted processes" : "; check "
		     "/proc/sys/user/max_user_namespaces and "
		     "kernel.unprivileged_userns_clone");
	} else {
		have |= AIOS_SB_PROT_USERNS;
		line(buf, len, &off, "user-namespaces: yes\nnamespaces: NO "
		     "(unshare of mount/pid/net/ipc/uts/cgroup: %s)\n",
		     strerror(err));
	}
	abi = sb_landlock_abi();
	if (landlock_abi)
		*landlock_abi = abi;
	if (abi > 0) {
		have |= AIOS_SB_PROT_LANDLOCK;
		line(buf, len, &off, "landlock: yes (ABI %d)\n", abi);
	} else {
		line(buf, len, &off, "landlock: NO (landlock_create_ruleset: "
		     "not supported or not enabled; boot with lsm=landlock,...)\n");
	}
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0) {
		have |= AIOS_SB_PROT_SECCOMP;
		line(buf, len, &off, "seccomp: yes (filter, architecture checked)\n");
	} else {
		line(buf, len, &off, "seccomp: NO (%s)\n", strerror(errno));
	}
	if (sb_cg_check(cg_parent, msg, sizeof(msg)) == 0) {
		have |= AIOS_SB_PROT_CGROUP;
		line(buf, len, &off, "cgroup-v2: yes (memory pids cpu under %s)\n",
		     cg_parent);
	} else {
		line(buf, len, &off, "cgroup-v2: NO (%s)\n", msg);
	}
	if (sb_read_at(AT_FDCWD, "/sys/kernel/security/lsm", lsm, sizeof(lsm)) > 0) {
		if (strstr(lsm, "bpf")) {
			have |= AIOS_SB_PROT_BPF_LSM;
			line(buf, len, &off, "bpf-lsm: yes (active LSMs: %s)", lsm);
		} else {
			line(buf, len, &off, "bpf-lsm: NO (active LSMs: %s; boot "
			     "with lsm=...,bpf)\n", lsm);
		}
	} else {
		line(buf, len, &off, "bpf-lsm: NO (/sys/kernel/security/lsm "
		     "unreadable: securityfs not mounted?)\n");
	}
	return have;
}
