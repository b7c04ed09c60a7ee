// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fsutil.h"

int aios_read_file(const char *path, size_t max, char **buf, size_t *len,
		   struct aios_rerr *e)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return aios_rerr_set(e, errno, "cannot open %s: %s", path,
				     strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return aios_rerr_set(e, EINVAL, "%s is not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return aios_rerr_set(e, EFBIG, "%s is %lld bytes, limit %zu",
				     path, (long long)st.st_size, max);
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return aios_rerr_set(e, ENOMEM, "out of memory reading %s", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			free(b);
			close(fd);
			return aios_rerr_set(e, err, "read %s: %s", path,
					     strerror(err));
		}
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	if (len)
		*len = got;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int aios_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void dir_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(out, outlen, ".");
		return;
	}
	snprintf(out, outlen, "%.*s", (int)(slash - path), path);
	if (!out[0])
		snprintf(out, outlen, "/");
}

int aios_write_file_atomic(const char *path, const void *buf, size_t len,
			   mode_t mode, struct aios_rerr *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return aios_rerr_set(e, ENAMETOOLONG, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return aios_rerr_set(e, errno, "cannot create %s: %s", tmp,
				     strerror(errno));
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return aios_rerr_set(e, rc, "cannot write %s: %s", path,
				     strerror(-rc));
	}
	dir_of(path, dir, sizeof(dir));
	rc = aios_fsync_dir(dir);
	if (rc)
		return aios_rerr_set(e, rc, "cannot sync directory %s: %s", dir,
				     strerror(-rc));
	return 0;
}

int aios_write_file_replace(const char *path, const void *buf, size_t len,
			    mode_t mode, struct aios_rerr *e)
{
	char alt[PATH_MAX];
	struct stat st;
	int fd, rc = 0;

	if (snprintf(alt, sizeof(alt), "%s.alt", path) >= (int)sizeof(alt))
		return aios_rerr_set(e, ENAMETOOLONG, "path too long: %s", path);
	/*
	 * Rewrite the previous version (kept under .alt) in place, then swap
	 * the two names in one step: no inode is created or freed per
	 * change, which on ext4 costs ~30x the whole write (a replacing
	 * rename also forces the new file's blocks to be allocated).
	 */
	fd = open(alt, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return aios_rerr_set(e, errno, "cannot create %s: %s", alt,
				     strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	if (!rc)
		rc = write_all(fd, buf, len);
	if (!rc && ftruncate(fd, (off_t)len) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && renameat2(AT_FDCWD, alt, AT_FDCWD, path, RENAME_EXCHANGE) < 0) {
		/* path missing, or no exchange here: a plain rename */
		if (errno != ENOENT && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP)
			rc = -errno;
		else if (rename(alt, path) < 0)
			rc = -errno;
	}
	if (rc)
		return aios_rerr_set(e, -rc, "cannot write %s: %s", path,
				     strerror(-rc));
	return 0;
}

int aios_write_file_excl(const char *path, const void *buf, size_t len,
			 mode_t mode, struct aios_rerr *e)
{
	char dir[PATH_MAX];
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return aios_rerr_set(e, EEXIST, "%s already exists", path);
		return aios_rerr_set(e, errno, "cannot create %s: %s", path,
				     strerror(errno));
	}
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc) {
		unlink(path);
		return aios_rerr_set(e, rc, "cannot write %s: %s", path,
				     strerror(-rc));
	}
	dir_of(path, dir, sizeof(dir));
	rc = aios_fsync_dir(dir);
	if (rc)
		return aios_rerr_set(e, rc, "cannot sync directory %s: %s", dir,
				     strerror(-rc));
	return 0;
}

int aios_mkdir_p(const char *path, struct aios_rerr *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return aios_rerr_set(e, ENAMETOOLONG, "bad directory path");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;

			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return aios_rerr_set(e, errno,
						     "cannot create directory %s: %s",
						     buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int rm_at(int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rm_at(dirfd(d), de->d_name);
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		return -errno;
	return 0;
}

int aios_rm_tree(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

void aios_sha256(const void *buf, size_t len, unsigned char out[AIOS_SHA256_LEN])
{
	unsigned int n = AIOS_SHA256_LEN;

	EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

void aios_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int aios_unhex(const char *in, unsigned char *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void aios_sha256_hex(const void *buf, size_t len, char out[AIOS_SHA256_HEX])
{
	unsigned char h[AIOS_SHA256_LEN];

	aios_sha256(buf, len, h);
	aios_hex(h, sizeof(h), out);
}

int aios_id_valid(const char *id, const char *what, struct aios_rerr *e)
{
	size_t n;

	if (!id)
		return aios_rerr_set(e, EINVAL, "%s is missing", what);
	n = strlen(id);
	if (n == 0 || n > AIOS_ID_MAX)
		return aios_rerr_set(e, EINVAL,
				     "%s must be 1..%d characters long", what,
				     AIOS_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return aios_rerr_set(e, EINVAL,
					     "%s \"%.64s\" is invalid: use letters, digits, '-' and '_' (starting with a letter or digit)",
					     what, id);
	}
	return 0;
}

int aios_id_random(const char *prefix, char *out, size_t outlen)
{
	unsigned char r[8];
	char hex[17];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	aios_hex(r, sizeof(r), hex);
	if (snprintf(out, outlen, "%s%s", prefix, hex) >= (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

uint64_t aios_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
