// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD fault injector for durability_test: makes pwrite() and
 * fdatasync() fail on the files whose path ends in $AIOS_FAULT_MATCH
 * (default "/ledger.log") while the control file $AIOS_FAULT_CTL says so.
 * The control file is re-read on every matching call, so a test arms and
 * disarms faults in a running aiosd by rewriting it:
 *
 *   (missing or empty)   no faults
 *   "pwrite ERRNO"       pwrite fails with ERRNO, nothing written
 *   "pwrite_short ERRNO" pwrite writes half of a buffer over 16 bytes
 *                        (a short write), fails with ERRNO below that
 *   "fdatasync ERRNO"    fdatasync fails with ERRNO (nothing synced)
 *
 * Every other call goes to the next definition (libc, or the sanitizer's
 * interceptor).  This is the real daemon and the real file system; only
 * the errors a full or failing disk would give are injected.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { F_NONE, F_PWRITE, F_PWRITE_SHORT, F_FDATASYNC };

static int fault_for(int fd, int *err)
{
	const char *ctl = getenv("AIOS_FAULT_CTL");
	const char *match = getenv("AIOS_FAULT_MATCH");
	char link[64], target[4096], buf[64], what[32];
	size_t ml, tl;
	ssize_t n;
	int cfd, saved = errno, kind = F_NONE;

	if (!ctl)
		return F_NONE;
	if (!match)
		match = "/ledger.log";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		goto out;
	target[n] = 0;
	ml = strlen(match);
	tl = (size_t)n;
	if (tl < ml || strcmp(target + tl - ml, match))
		goto out;
	cfd = open(ctl, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		goto out;
	n = read(cfd, buf, sizeof(buf) - 1);
	close(cfd);
	if (n <= 0)
		goto out;
	buf[n] = 0;
	if (sscanf(buf, "%31s %d", what, err) != 2 || *err <= 0)
		goto out;
	if (!strcmp(what, "pwrite"))
		kind = F_PWRITE;
	else if (!strcmp(what, "pwrite_short"))
		kind = F_PWRITE_SHORT;
	else if (!strcmp(what, "fdatasync"))
		kind = F_FDATASYNC;
out:
	errno = saved;
	return kind;
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*sync_fn)(int);

static ssize_t do_pwrite(const char *sym, int fd, const void *buf, size_t len,
			 off_t off)
{
	pwrite_fn next = (pwrite_fn)dlsym(RTLD_NEXT, sym);
	int err = 0, kind = fault_for(fd, &err);

	if (kind == F_PWRITE || (kind == F_PWRITE_SHORT && len <= 16)) {
		errno = err;
		return -1;
	}
	if (kind == F_PWRITE_SHORT)
		len /= 2;
	return next(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return do_pwrite("pwrite", fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return do_pwrite("pwrite64", fd, buf, len, off);
}

int fdatasync(int fd)
{
	sync_fn next = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
	int err = 0;

	if (fault_for(fd, &err) == F_FDATASYNC) {
		errno = err;
		return -1;
	}
	return next(fd);
}
