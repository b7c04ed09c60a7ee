// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libaiossandbox: seccomp deny-list.
 *
 * Every listed syscall fails with EPERM (not a kill: a tool that probes for
 * a feature gets an error it can report).  Foreign architectures (i386 and
 * x32 on x86-64) are killed by libseccomp's architecture check, so the
 * list cannot be bypassed through another syscall table.  clone/clone3:
 * clone with any CLONE_NEW* flag fails with EPERM; clone3 fails with ENOSYS
 * (its flags live in memory a filter cannot read) and the C library falls
 * back to clone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include "sb_seccomp.h"
#include "sb_util.h"

const char *const sb_seccomp_denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "bpf", "perf_event_open", "keyctl", "add_key",
	"request_key", "userfaultfd", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "open_by_handle_at", "name_to_handle_at",
	"unshare", "setns", "reboot", "swapon", "swapoff", "acct", "quotactl",
	"quotactl_fd", "lookup_dcookie", "syslog", "iopl", "ioperm",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"vhangup", "uselib", "personality", "fanotify_init", "kcmp",
	"pidfd_getfd", "landlock_create_ruleset", "nfsservctl",
	NULL,
};

static const unsigned long ns_bits[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
	CLONE_NEWNET, CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */,
};

static int add_rules(scmp_filter_ctx ctx, bool net)
{
	unsigned int i;
	int rc, nr;

	for (i = 0; sb_seccomp_denied[i]; i++) {
		nr = seccomp_syscall_resolve_name(sb_seccomp_denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc)
			return rc;
	}
	/* clone with any namespace flag; rules for one syscall are OR-ed. */
	for (i = 0; i < sizeof(ns_bits) / sizeof(ns_bits[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone),
				      1, SCMP_A0(SCMP_CMP_MASKED_EQ, ns_bits[i],
						 ns_bits[i]));
		if (rc)
			return rc;
	}
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc)
		return rc;
	/* Faking terminal input into the caller's terminal. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (rc)
		return rc;
	if (!net) {
		/* Without ACCESS_NET only local (AF_UNIX) sockets. */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket),
				      1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		if (rc)
			return rc;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(socketpair), 1,
				      SCMP_A0(SCMP_CMP_NE, AF_UNIX));
		if (rc)
			return rc;
	}
	return 0;
}

int sb_seccomp_build(bool net, struct sock_fprog *prog, char *msg,
		     size_t msglen)
{
	scmp_filter_ctx ctx;
	void *buf = NULL;
	off_t size;
	int rc, fd = -1;

	memset(prog, 0, sizeof(*prog));
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return sb_err(msg, msglen, ENOMEM, "seccomp_init failed");
	/* Any architecture but the native one kills the process (x32, i386). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!rc)
		rc = add_rules(ctx, net);
	if (rc) {
		seccomp_release(ctx);
		return sb_err(msg, msglen, -rc,
			      "building the seccomp filter failed: %s",
			      strerror(-rc));
	}
	fd = memfd_create("aios-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter)) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc(size);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, size, 0) != size) {
		rc = -EIO;
		goto out;
	}
	prog->filter = buf;
	prog->len = size / sizeof(struct sock_filter);
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (rc)
		return sb_err(msg, msglen, -rc,
			      "exporting the seccomp filter failed: %s",
			      strerror(-rc));
	return 0;
}

void sb_seccomp_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int sb_seccomp_apply(const struct sock_fprog *prog)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}
