// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: cgroup v2 (see sb_cgroup.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "sb_cgroup.h"
#include "sb_util.h"

static const char *const controllers[] = { "memory", "pids", "cpu" };

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w))) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static int parent_dir(const char *path, char *buf, size_t len)
{
	char *s;

	if (snprintf(buf, len, "%s", path) >= (int)len)
		return -ENAMETOOLONG;
	s = strrchr(buf, '/');
	if (!s || s == buf)
		return -EINVAL;
	*s = '\0';
	return 0;
}

int sb_cg_check(const char *parent, char *msg, size_t msglen)
{
	char dir[256], file[300], buf[512];
	struct statfs sf;
	unsigned int i;
	const char *at = parent;

	if (statfs(parent, &sf) < 0) {
		if (errno != ENOENT || parent_dir(parent, dir, sizeof(dir)) ||
		    statfs(dir, &sf) < 0)
			return sb_err(msg, msglen, ENOENT,
				      "cgroup v2: %s does not exist", parent);
		at = dir;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC)
		return sb_err(msg, msglen, EOPNOTSUPP,
			      "cgroup v2: %s is not on a cgroup2 file system "
			      "(cgroup v1 or hybrid hierarchy)", at);
	snprintf(file, sizeof(file), "%s/cgroup.controllers", at);
	if (sb_read_at(AT_FDCWD, file, buf, sizeof(buf)) < 0)
		return sb_err(msg, msglen, EOPNOTSUPP,
			      "cgroup v2: cannot read %s", file);
	for (i = 0; i < 3; i++)
		if (!has_word(buf, controllers[i]))
			return sb_err(msg, msglen, EOPNOTSUPP,
				      "cgroup v2: controller '%s' is not "
				      "available in %s", controllers[i], at);
	return 0;
}

static int enable_controllers(const char *dir, char *msg, size_t msglen)
{
	char path[300], buf[512];
	unsigned int i;
	int rc;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (sb_read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	for (i = 0; i < 3; i++) {
		char w[32];

		if (has_word(buf, controllers[i]))
			continue;
		snprintf(w, sizeof(w), "+%s", controllers[i]);
		rc = sb_write_at(AT_FDCWD, path, w);
		if (rc)
			return sb_err(msg, msglen, -rc,
				      "cgroup v2: cannot enable %s in %s: %s",
				      controllers[i], path, strerror(-rc));
	}
	return 0;
}

int sb_cg_setup_parent(const char *parent, char *msg, size_t msglen)
{
	char up[256];
	int rc;

	rc = sb_cg_check(parent, msg, msglen);
	if (rc)
		return rc;
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return sb_err(msg, msglen, errno, "cgroup v2: cannot create %s: %s",
			      parent, strerror(errno));
	if (parent_dir(parent, up, sizeof(up)) == 0) {
		char path[300], buf[512];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", parent);
		if (sb_read_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 ||
		    !has_word(buf, "memory") || !has_word(buf, "pids") ||
		    !has_word(buf, "cpu")) {
			rc = enable_controllers(up, msg, msglen);
			if (rc)
				return rc;
		}
	}
	return enable_controllers(parent, msg, msglen);
}

int sb_cg_create(const char *parent, const char *name, uint64_t *id,
		 char *msg, size_t msglen)
{
	char path[512];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (mkdir(path, 0755) < 0)
		return sb_err(msg, msglen, errno, "cgroup v2: cannot create %s: %s",
			      path, strerror(errno));
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		rmdir(path);
		return sb_err(msg, msglen, e, "cgroup v2: cannot open %s: %s",
			      path, strerror(e));
	}
	*id = st.st_ino;	/* the cgroup id on cgroup2 (kernfs node id) */
	return fd;
}

int sb_cg_limit(int cgfd, uint64_t memory_max, uint32_t pids_max,
		uint32_t cpu_pct, char *msg, size_t msglen)
{
	char v[64];
	int rc;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)memory_max);
	rc = sb_write_at(cgfd, "memory.max", v);
	if (!rc)	/* the limit is the limit: no swapping around it */
		(void)sb_write_at(cgfd, "memory.swap.max", "0");
	if (!rc) {
		snprintf(v, sizeof(v), "%u", pids_max);
		rc = sb_write_at(cgfd, "pids.max", v);
	}
	if (!rc) {
		snprintf(v, sizeof(v), "%u 100000", cpu_pct * 1000);
		rc = sb_write_at(cgfd, "cpu.max", v);
	}
	if (rc)
		return sb_err(msg, msglen, -rc, "cgroup v2: setting limits "
			      "failed: %s", strerror(-rc));
	return 0;
}

int sb_cg_kill(int cgfd)
{
	return sb_write_at(cgfd, "cgroup.kill", "1");
}

void sb_cg_stats(int cgfd, struct sb_cg_stats *st)
{
	char buf[1024];

	memset(st, 0, sizeof(*st));
	if (sb_read_at(cgfd, "memory.events", buf, sizeof(buf)) > 0)
		st->oom_killed = sb_keyed_u64(buf, "oom_kill") > 0;
	if (sb_read_at(cgfd, "pids.events", buf, sizeof(buf)) > 0)
		st->pids_limited = sb_keyed_u64(buf, "max") > 0;
	if (sb_read_at(cgfd, "memory.peak", buf, sizeof(buf)) > 0)
		st->memory_peak = strtoull(buf, NULL, 10);
}

int sb_cg_destroy(int cgfd, const char *parent, const char *name,
		  unsigned int timeout_ms)
{
	uint64_t end = sb_now_us() + (uint64_t)timeout_ms * 1000;
	char path[512], buf[256];
	int efd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	efd = openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			break;
		if (errno != EBUSY || sb_now_us() >= end) {
			rc = -errno;
			break;
		}
		(void)sb_cg_kill(cgfd);
		if (efd >= 0) {
			struct pollfd p = { .fd = efd, .events = POLLPRI };

			ssize_t n = pread(efd, buf, sizeof(buf) - 1, 0);

			buf[n > 0 ? n : 0] = '\0';
			if (strstr(buf, "populated 1"))
				poll(&p, 1, 10);
			else
				usleep(200);
		} else {
			usleep(1000);
		}
	}
	if (efd >= 0)
		close(efd);
	close(cgfd);
	return rc;
}
