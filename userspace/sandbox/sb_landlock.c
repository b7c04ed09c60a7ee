// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: Landlock rules (see sb_landlock.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>
#include "sb_landlock.h"

/* Newer than the 6.1 uapi header. */
#define ACC_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define ACC_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */

#define ACC_FILE	(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_WRITE_FILE | \
			 LANDLOCK_ACCESS_FS_READ_FILE)
#define ACC_READ	(LANDLOCK_ACCESS_FS_EXECUTE | \
			 LANDLOCK_ACCESS_FS_READ_FILE | \
			 LANDLOCK_ACCESS_FS_READ_DIR)

int sb_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static uint64_t handled_for(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= ACC_TRUNCATE;
	if (abi >= 5)
		h |= ACC_IOCTL_DEV;
	return h;
}

static int add_path(int rfd, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int fd, rc = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int sb_landlock_apply(int abi, const char *const *rw)
{
	struct landlock_ruleset_attr ra = { 0 };
	uint64_t all = handled_for(abi);
	uint64_t file_w = ACC_FILE | (all & (ACC_TRUNCATE | ACC_IOCTL_DEV));
	int rfd, rc;

	ra.handled_access_fs = all;
	rfd = syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rfd < 0)
		return -errno;
	rc = add_path(rfd, "/", ACC_READ);
	if (!rc)
		rc = add_path(rfd, "/scratch", all);
	if (!rc)
		rc = add_path(rfd, "/tmp", all);
	if (!rc)
		rc = add_path(rfd, "/dev/null", file_w);
	for (; !rc && rw && *rw; rw++)
		rc = add_path(rfd, *rw, all);
	if (!rc && syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		rc = -errno;
	close(rfd);
	return rc;
}
