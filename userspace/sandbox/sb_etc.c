// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: the /etc snapshot (see sb_etc.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sb_etc.h"
#include "sb_util.h"

static const char *const etc_entries[] = {
	"passwd", "group", "hosts", "host.conf", "nsswitch.conf", "resolv.conf",
	"gai.conf", "services", "protocols", "ld.so.cache", "ld.so.conf",
	"ld.so.conf.d", "localtime", "timezone", "ssl", "ca-certificates",
	"alternatives", "os-release", "mime.types", "bash.bashrc", "profile",
	"inputrc", "magic", "python3", NULL,
};

/* nftw has no context argument: dest_lock protects dest_root. */
static pthread_mutex_t dest_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *dest_root;

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in, out, rc = 0;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0755);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	close(out);
	return rc;
}

static int copy_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	char dst[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	(void)ftw;
	/* path is /etc/...; keep only what everyone may read. */
	if (snprintf(dst, sizeof(dst), "%s%s", dest_root, path + 4) >=
	    (int)sizeof(dst))
		return FTW_SKIP_SUBTREE;
	switch (flag) {
	case FTW_D:
		if ((st->st_mode & 0005) != 0005)
			return FTW_SKIP_SUBTREE;
		mkdir(dst, 0755);
		return FTW_CONTINUE;
	case FTW_F:
		if (!S_ISREG(st->st_mode) || !(st->st_mode & 0004))
			return 0;
		(void)copy_file(path, dst, st->st_mode);
		return FTW_CONTINUE;
	case FTW_SL:
	case FTW_SLN:
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			(void)!symlink(link, dst);
		}
		return FTW_CONTINUE;
	default:
		return FTW_CONTINUE;
	}
}

int sb_etc_snapshot(const char *base, char *dir, size_t len, char *msg,
		    size_t msglen)
{
	char src[64];
	int i;

	if (snprintf(dir, len, "%s/aios-sb-etc-XXXXXX", base) >= (int)len)
		return sb_err(msg, msglen, ENAMETOOLONG, "scratch base too long");
	if (!mkdtemp(dir))
		return sb_err(msg, msglen, errno, "cannot create %s: %s", dir,
			      strerror(errno));
	if (chmod(dir, 0755) < 0)
		goto fail;
	pthread_mutex_lock(&dest_lock);
	dest_root = dir;
	for (i = 0; etc_entries[i]; i++) {
		snprintf(src, sizeof(src), "/etc/%s", etc_entries[i]);
		/* Missing entries are fine; walk errors are skipped entries. */
		nftw(src, copy_one, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	}
	dest_root = NULL;
	pthread_mutex_unlock(&dest_lock);
	return 0;
fail:
	i = errno;
	sb_rmtree(dir);
	return sb_err(msg, msglen, i, "cannot prepare %s: %s", dir, strerror(i));
}
