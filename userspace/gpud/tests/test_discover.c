// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery against a fake /dev tree: which nodes count as GPUs, in
 * which order, and what is skipped.  Making character device nodes
 * needs CAP_MKNOD; without it the tests are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "discover.h"

FIXTURE(tree) {
	char root[64];
	bool ok;
};

static int mk(const char *root, const char *rel, mode_t type,
	      unsigned int maj, unsigned int min)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (type == S_IFDIR)
		return mkdir(p, 0755) ? -errno : 0;
	if (type == S_IFREG) {
		int fd = open(p, O_CREAT | O_WRONLY, 0644);

		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return mknod(p, type | 0600, makedev(maj, min)) ? -errno : 0;
}

FIXTURE_SETUP(tree)
{
	snprintf(self->root, sizeof(self->root), "/tmp/gpud-dev.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	self->ok = !mk(self->root, "nvidia0", S_IFCHR, 195, 0);
	if (!self->ok)
		SKIP(return, "cannot mknod (needs CAP_MKNOD)");
	ASSERT_EQ(0, mk(self->root, "nvidia10", S_IFCHR, 195, 10));
	ASSERT_EQ(0, mk(self->root, "nvidia1", S_IFCHR, 195, 1));
	ASSERT_EQ(0, mk(self->root, "nvidiactl", S_IFCHR, 195, 255));
	ASSERT_EQ(0, mk(self->root, "nvidia-uvm", S_IFCHR, 510, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia-modeset", S_IFCHR, 195, 254));
	ASSERT_EQ(0, mk(self->root, "nvidia2", S_IFREG, 0, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia3", S_IFBLK, 8, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia04", S_IFCHR, 195, 4));
	ASSERT_EQ(0, mk(self->root, "dri", S_IFDIR, 0, 0));
	ASSERT_EQ(0, mk(self->root, "dri/card0", S_IFCHR, 226, 0));
	ASSERT_EQ(0, mk(self->root, "dri/renderD129", S_IFCHR, 226, 129));
	ASSERT_EQ(0, mk(self->root, "dri/renderD128", S_IFCHR, 226, 128));
	ASSERT_EQ(0, mk(self->root, "dri/renderDx", S_IFCHR, 226, 130));
}

FIXTURE_TEARDOWN(tree)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", self->root);
}

TEST_F(tree, finds_gpus_in_order)
{
	struct gpud_found f[16];
	char err[256] = "", path[256];
	int n = gpud_discover(self->root, f, 16, err, sizeof(err));

	ASSERT_EQ(5, n) TH_LOG("%s", err);
	EXPECT_STREQ("nvidia0", f[0].name);
	EXPECT_STREQ("nvidia1", f[1].name);
	EXPECT_STREQ("nvidia10", f[2].name);
	EXPECT_STREQ("renderD128", f[3].name);
	EXPECT_STREQ("renderD129", f[4].name);
	EXPECT_EQ(GPUD_NVIDIA, f[2].kind);
	EXPECT_EQ(10, f[2].index);
	EXPECT_EQ(195, f[2].major);
	EXPECT_EQ(10, f[2].minor);
	EXPECT_EQ(GPUD_DRM_RENDER, f[3].kind);
	EXPECT_EQ(226, f[3].major);
	EXPECT_EQ(128, f[3].minor);
	snprintf(path, sizeof(path), "%s/dri/renderD128", self->root);
	EXPECT_STREQ(path, f[3].path);
	EXPECT_EQ('/', f[0].path[0]);
}

TEST_F(tree, count_beyond_room)
{
	struct gpud_found f[2];
	char err[256];

	EXPECT_EQ(5, gpud_discover(self->root, f, 2, err, sizeof(err)));
	EXPECT_STREQ("nvidia1", f[1].name);
}

TEST_F(tree, relative_root_gives_absolute_paths)
{
	struct gpud_found f[8];
	char err[256], cwd[512];

	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(0, chdir("/tmp"));
	EXPECT_EQ(5, gpud_discover(self->root + 5, f, 8, err, sizeof(err)));
	EXPECT_EQ(0, strncmp(f[0].path, self->root, strlen(self->root)));
	ASSERT_EQ(0, chdir(cwd));
}

TEST_F(tree, no_dri_directory_is_fine)
{
	struct gpud_found f[8];
	char err[256], cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/dri'", self->root);
	ASSERT_EQ(0, system(cmd));
	EXPECT_EQ(3, gpud_discover(self->root, f, 8, err, sizeof(err)));
}

TEST_F(tree, missing_root_is_an_error)
{
	struct gpud_found f[1];
	char err[256] = "";

	EXPECT_EQ(-ENOENT, gpud_discover("/nonexistent/dev", f, 1, err,
					 sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent/dev"));
}

TEST_HARNESS_MAIN
