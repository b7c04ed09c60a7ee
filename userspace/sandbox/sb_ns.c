// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: namespaces and the root view (see sb_ns.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "sb_ns.h"
#include "sb_util.h"

#define PATH_LEN 512

/* Top-level system directories bound read-only (or copied as symlinks). */
static const char *const sys_dirs[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL,
};

static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", NULL,
};

int sb_ns_write_maps(pid_t pid, uid_t uid, gid_t gid, char *msg, size_t len)
{
	char path[64], map[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	rc = sb_write_at(AT_FDCWD, path, "deny");
	if (rc && rc != -ENOENT)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned int)uid, (unsigned int)uid);
	rc = sb_write_at(AT_FDCWD, path, map);
	if (rc)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned int)gid, (unsigned int)gid);
	rc = sb_write_at(AT_FDCWD, path, map);
	if (rc)
		goto fail;
	return 0;
fail:
	return sb_err(msg, len, -rc, "user namespace: writing %s failed: %s",
		      path, strerror(-rc));
}

int sb_ns_check_path(const char *path, char *msg, size_t len)
{
	const char *p;
	int i;

	if (!path || path[0] != '/' || strlen(path) >= 200)
		return sb_err(msg, len, EINVAL, "path '%s' must be absolute and "
			      "shorter than 200 bytes", path ? path : "(null)");
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20)
			return sb_err(msg, len, EINVAL,
				      "path contains a control character");
	for (p = path; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || p[3] == '\0')
			return sb_err(msg, len, EINVAL, "path '%s' contains '..'",
				      path);
	if (!strcmp(path, "/"))
		return sb_err(msg, len, EINVAL, "the host root cannot be bound");
	for (i = 0; sys_dirs[i]; i++) {
		size_t n = strlen(sys_dirs[i]);

		if (!strncmp(path, sys_dirs[i], n) &&
		    (path[n] == '/' || path[n] == '\0'))
			return sb_err(msg, len, EINVAL, "path '%s' is inside %s, "
				      "which the sandbox already shows read-only",
				      path, sys_dirs[i]);
	}
	/*
	 * The sandbox's /tmp is its own tmpfs: a host path below /tmp may be
	 * bound into it (the directories leading to it are made in that
	 * tmpfs), but /tmp itself would expose the host's.
	 */
	if (!strcmp(path, "/tmp"))
		return sb_err(msg, len, EINVAL, "path '/tmp' is provided by the "
			      "sandbox itself; bind a directory below it");
	for (p = "/proc\0/dev\0/scratch\0/etc\0"; *p; p += strlen(p) + 1) {
		size_t n = strlen(p);

		if (!strncmp(path, p, n) && (path[n] == '/' || path[n] == '\0'))
			return sb_err(msg, len, EINVAL, "path '%s' is inside %s, "
				      "which the sandbox provides itself", path, p);
	}
	return 0;
}

/* ---- child side: everything below is async-signal-safe ---------------- */

static int fail(char *msg, size_t len, const char *what, const char *path)
{
	int e = errno;

	msg[0] = '\0';
	sb_scat(msg, len, "root view: ");
	sb_scat(msg, len, what);
	sb_scat(msg, len, " ");
	sb_scat(msg, len, path);
	sb_scat(msg, len, ": errno ");
	sb_scat_u(msg, len, (unsigned long)e);
	return -e;
}

static void join(char *dst, const char *a, const char *b)
{
	dst[0] = '\0';
	sb_scat(dst, PATH_LEN, a);
	sb_scat(dst, PATH_LEN, b);
}

/* mkdir -p of path (absolute, below root) inside the view's tmpfs. */
static int mkdirs(const char *root, const char *path, bool file)
{
	char buf[PATH_LEN];
	size_t n, i;

	join(buf, root, path);
	n = strlen(root);
	for (i = n + 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	if (file) {
		int fd = open(buf, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Keeps the flags a user namespace may not clear on a locked mount. */
static unsigned long locked_flags(const char *path)
{
	struct statfs sf;
	unsigned long f = 0;

	if (statfs(path, &sf) < 0)
		return 0;
	if (sf.f_flags & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sf.f_flags & ST_NODEV)
		f |= MS_NODEV;
	if (sf.f_flags & ST_NOATIME)
		f |= MS_NOATIME;
	if (sf.f_flags & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sf.f_flags & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Binds host path src at root+dst; read-only unless rw. */
static int bind_path(const char *root, const char *src, const char *dst, bool rw,
		bool dev, char *msg, size_t len)
{
	char target[PATH_LEN];
	unsigned long fl = MS_REMOUNT | MS_BIND | MS_NOSUID;
	struct stat st;

	if (stat(src, &st) < 0)
		return fail(msg, len, "stat", src);
	if (mkdirs(root, dst, !S_ISDIR(st.st_mode)) < 0)
		return fail(msg, len, "mkdir", dst);
	join(target, root, dst);
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(msg, len, "bind", src);
	fl |= locked_flags(target);
	if (!rw)
		fl |= MS_RDONLY;
	if (!dev)
		fl |= MS_NODEV;
	if (mount(NULL, target, NULL, fl, NULL) < 0)
		return fail(msg, len, "remount", target);
	return 0;
}

/* A host path that is a symlink (usrmerge /bin -> usr/bin) is copied. */
static int copy_or_bind(const char *root, const char *src, const char *dst,
			char *msg, size_t len)
{
	char link[PATH_LEN], target[PATH_LEN];
	struct stat st;
	ssize_t n;

	if (lstat(src, &st) < 0)
		return 0;	/* absent on this host */
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, link, sizeof(link) - 1);
		if (n < 0)
			return fail(msg, len, "readlink", src);
		link[n] = '\0';
		join(target, root, dst);
		if (symlink(link, target) < 0 && errno != EEXIST)
			return fail(msg, len, "symlink", target);
		return 0;
	}
	return bind_path(root, src, dst, false, false, msg, len);
}

static int mount_tmpfs(const char *root, const char *dst, const char *opts,
		       char *msg, size_t len)
{
	char target[PATH_LEN];

	join(target, root, dst);
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return fail(msg, len, "mkdir", target);
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return fail(msg, len, "mount tmpfs on", target);
	return 0;
}

int sb_ns_enter_view(const struct sb_view *v, char *msg, size_t len)
{
	char src[PATH_LEN], dst[PATH_LEN];
	const char *const *p;
	int rc, i;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(msg, len, "make private", "/");
	if (mount("tmpfs", v->root, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=1m,nr_inodes=4096") < 0)
		return fail(msg, len, "mount tmpfs on", v->root);
	for (i = 0; sys_dirs[i]; i++) {
		rc = copy_or_bind(v->root, sys_dirs[i], sys_dirs[i], msg, len);
		if (rc)
			return rc;
	}
	rc = bind_path(v->root, v->etc, "/etc", false, false, msg, len);
	if (rc)
		return rc;
	rc = mount_tmpfs(v->root, "/dev", "mode=0755,size=64k,nr_inodes=64",
			 msg, len);
	if (rc)
		return rc;
	for (i = 0; dev_nodes[i]; i++) {
		join(src, "/dev/", dev_nodes[i]);
		rc = bind_path(v->root, src, src, true, true, msg, len);
		if (rc)
			return rc;
	}
	join(dst, v->root, "/dev/fd");
	if (symlink("/proc/self/fd", dst) < 0)
		return fail(msg, len, "symlink", dst);
	join(dst, v->root, "/dev/stdin");
	(void)symlink("/proc/self/fd/0", dst);
	join(dst, v->root, "/dev/stdout");
	(void)symlink("/proc/self/fd/1", dst);
	join(dst, v->root, "/dev/stderr");
	(void)symlink("/proc/self/fd/2", dst);
	join(dst, v->root, "/dev");
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		  MS_NOEXEC, NULL) < 0)
		return fail(msg, len, "remount read-only", dst);
	join(dst, v->root, "/proc");
	if (mkdir(dst, 0555) < 0)
		return fail(msg, len, "mkdir", dst);
	if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail(msg, len, "mount proc on", dst);
	rc = mount_tmpfs(v->root, "/tmp", "mode=1777,size=64m", msg, len);
	if (rc)
		return rc;
	rc = bind_path(v->root, v->scratch, "/scratch", true, false, msg, len);
	if (rc)
		return rc;
	for (p = v->ro; p && *p; p++) {
		rc = bind_path(v->root, *p, *p, false, false, msg, len);
		if (rc)
			return rc;
	}
	for (p = v->rw; p && *p; p++) {
		rc = bind_path(v->root, *p, *p, true, false, msg, len);
		if (rc)
			return rc;
	}
	if (chdir(v->root) < 0)
		return fail(msg, len, "chdir", v->root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(msg, len, "pivot_root", v->root);
	if (umount2(".", MNT_DETACH) < 0)
		return fail(msg, len, "detach the old root", "/");
	if (chdir("/") < 0)
		return fail(msg, len, "chdir", "/");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		  MS_NODEV, NULL) < 0)
		return fail(msg, len, "remount read-only", "/");
	return 0;
}
