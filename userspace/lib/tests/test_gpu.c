// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests of the GPU part of libaios: decoding device nests and GPU
 * events from hand-built buffers, state names, and discovery of GPU
 * nodes in a fake /dev tree (making device nodes needs CAP_MKNOD; those
 * tests are skipped without it).  No kernel involved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "attr.h"
#include "kselftest_harness.h"

struct mb {
	unsigned char d[4096] __attribute__((aligned(8)));
	size_t len;
};

static void put(struct mb *b, int type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(b->d + b->len);

	a->nla_len = NLA_HDRLEN + len;
	a->nla_type = type;
	if (len)
		memcpy(b->d + b->len + NLA_HDRLEN, data, len);
	memset(b->d + b->len + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(a->nla_len) - a->nla_len);
	b->len += NLA_ALIGN(a->nla_len);
}

static void put_u32(struct mb *b, int type, uint32_t v)
{
	put(b, type, &v, sizeof(v));
}

static void put_u64(struct mb *b, int type, uint64_t v)
{
	put(b, type, &v, sizeof(v));
}

/* A GPU event message (cmd) with one AIOS_A_GPU nest. */
static void gpu_msg(struct mb *b, uint8_t cmd, bool with_id)
{
	struct nlmsghdr *h = (struct nlmsghdr *)b->d;
	struct genlmsghdr *g;
	size_t nest;

	memset(b, 0, sizeof(*b));
	h->nlmsg_type = 0x20;
	g = (struct genlmsghdr *)(b->d + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = AIOS_GENL_VERSION;
	b->len = NLMSG_HDRLEN + GENL_HDRLEN;
	nest = b->len;
	put(b, AIOS_A_GPU | NLA_F_NESTED, NULL, 0);
	if (with_id)
		put_u32(b, AIOS_GPU_A_ID, 7);
	put(b, AIOS_GPU_A_NAME, "nvidia0", 8);
	put(b, AIOS_GPU_A_PATH, "/dev/nvidia0", 13);
	put_u32(b, AIOS_GPU_A_MAJOR, 195);
	put_u32(b, AIOS_GPU_A_MINOR, 0);
	put_u32(b, AIOS_GPU_A_STATE, AIOS_GPU_PREEMPTING);
	put_u64(b, AIOS_GPU_A_OWNER_ID, 42);
	put_u32(b, AIOS_GPU_A_OWNER_PID, 4242);
	put_u32(b, AIOS_GPU_A_PRIO, AIOS_PRIO_LOW);
	put_u64(b, AIOS_GPU_A_HANDLE, 9);
	put_u64(b, AIOS_GPU_A_DEADLINE_NS, 123456789);
	put_u32(b, 250, 1);	/* a newer kernel's attribute: skipped */
	((struct nlattr *)(b->d + nest))->nla_len = b->len - nest;
	h->nlmsg_len = b->len;
}

TEST(gpu_event_decodes)
{
	struct aios_event e;
	struct mb b;
	char detail[AIOSI_DETAIL_MAX] = "";

	gpu_msg(&b, AIOS_CMD_NTF_GPU_PREEMPT, true);
	ASSERT_EQ(0, aiosi_decode_event((struct nlmsghdr *)b.d, &e, detail,
					sizeof(detail))) TH_LOG("%s", detail);
	EXPECT_EQ(AIOS_EVENT_GPU_PREEMPT, e.type);
	EXPECT_EQ(7, e.gpu.id);
	EXPECT_STREQ("nvidia0", e.gpu.name);
	EXPECT_STREQ("/dev/nvidia0", e.gpu.path);
	EXPECT_EQ(195, e.gpu.major);
	EXPECT_EQ(AIOS_GPU_PREEMPTING, e.gpu.state);
	EXPECT_EQ(42, e.gpu.owner_id);
	EXPECT_EQ(4242, e.gpu.owner_pid);
	EXPECT_EQ(AIOS_PRIO_LOW, e.gpu.prio);
	EXPECT_EQ(9, e.gpu.handle);
	EXPECT_EQ(123456789, e.gpu.deadline_ns);
	EXPECT_TRUE(e.gpu.present & (1u << AIOS_GPU_A_DEADLINE_NS));
	EXPECT_FALSE(e.gpu.present & (1u << AIOS_GPU_A_UTIL_PPM));
}

TEST(gpu_event_with_owner_but_no_id_decodes)
{
	struct aios_event e;
	struct mb b;
	char detail[AIOSI_DETAIL_MAX] = "";

	gpu_msg(&b, AIOS_CMD_NTF_GPU_CLAIM, false);
	/* an owner id alone (per-agent usage) is enough */
	EXPECT_EQ(0, aiosi_decode_event((struct nlmsghdr *)b.d, &e, detail,
					sizeof(detail)));
	EXPECT_EQ(0, e.gpu.id);
	EXPECT_EQ(42, e.gpu.owner_id);
}

TEST(gpu_nest_bad_length_is_malformed)
{
	struct aios_gpu g;
	struct mb b;
	char detail[AIOSI_DETAIL_MAX] = "";
	uint16_t short_id = 7;

	memset(&b, 0, sizeof(b));
	put(&b, AIOS_A_GPU | NLA_F_NESTED, NULL, 0);
	put(&b, AIOS_GPU_A_ID, &short_id, sizeof(short_id));
	((struct nlattr *)b.d)->nla_len = b.len;
	EXPECT_EQ(-EBADMSG, aiosi_decode_gpu((struct nlattr *)b.d, &g, detail,
					     sizeof(detail)));
	EXPECT_NE(NULL, strstr(detail, "expected 4"));
}

TEST(gpu_state_names)
{
	EXPECT_STREQ("free", aios_gpu_state_name(AIOS_GPU_FREE));
	EXPECT_STREQ("held", aios_gpu_state_name(AIOS_GPU_HELD));
	EXPECT_STREQ("preempting", aios_gpu_state_name(AIOS_GPU_PREEMPTING));
	EXPECT_STREQ("revoked", aios_gpu_state_name(AIOS_GPU_REVOKED));
	EXPECT_STREQ("released", aios_gpu_state_name(AIOS_GPU_RELEASED));
	EXPECT_STREQ("waiting", aios_gpu_state_name(AIOS_GPU_WAITING));
	EXPECT_EQ(NULL, aios_gpu_state_name(99));
	EXPECT_STREQ("nvidia", aios_gpu_node_kind_name(AIOS_GPU_NODE_NVIDIA));
	EXPECT_EQ(NULL, aios_gpu_node_kind_name(5));
}

FIXTURE(tree) {
	char root[64];
};

static int mk(const char *root, const char *rel, mode_t type,
	      unsigned int maj, unsigned int min)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (type == S_IFDIR)
		return mkdir(p, 0755) ? -errno : 0;
	if (type == S_IFREG) {
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return mknod(p, type | 0600, makedev(maj, min)) ? -errno : 0;
}

FIXTURE_SETUP(tree)
{
	snprintf(self->root, sizeof(self->root), "/tmp/aios-gpu-dev.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	if (mk(self->root, "nvidia0", S_IFCHR, 195, 0))
		SKIP(return, "cannot mknod (needs CAP_MKNOD)");
	ASSERT_EQ(0, mk(self->root, "nvidia10", S_IFCHR, 195, 10));
	ASSERT_EQ(0, mk(self->root, "nvidia1", S_IFCHR, 195, 1));
	ASSERT_EQ(0, mk(self->root, "nvidiactl", S_IFCHR, 195, 255));
	ASSERT_EQ(0, mk(self->root, "nvidia-uvm", S_IFCHR, 510, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia2", S_IFREG, 0, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia3", S_IFBLK, 8, 0));
	ASSERT_EQ(0, mk(self->root, "nvidia04", S_IFCHR, 195, 4));
	ASSERT_EQ(0, mk(self->root, "dri", S_IFDIR, 0, 0));
	ASSERT_EQ(0, mk(self->root, "dri/card0", S_IFCHR, 226, 0));
	ASSERT_EQ(0, mk(self->root, "dri/renderD129", S_IFCHR, 226, 129));
	ASSERT_EQ(0, mk(self->root, "dri/renderD128", S_IFCHR, 226, 128));
}

FIXTURE_TEARDOWN(tree)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", self->root);
}

TEST_F(tree, discovers_nvidia_then_render_nodes_in_order)
{
	struct aios_gpu_node *v;
	char err[256] = "", path[256];
	size_t n;

	ASSERT_EQ(5, aios_gpu_discover(self->root, &v, &n, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(5, n);
	EXPECT_STREQ("nvidia0", v[0].name);
	EXPECT_STREQ("nvidia1", v[1].name);
	EXPECT_STREQ("nvidia10", v[2].name);
	EXPECT_STREQ("renderD128", v[3].name);
	EXPECT_STREQ("renderD129", v[4].name);
	EXPECT_EQ(AIOS_GPU_NODE_NVIDIA, v[2].kind);
	EXPECT_EQ(10, v[2].index);
	EXPECT_EQ(195, v[2].major);
	EXPECT_EQ(10, v[2].minor);
	EXPECT_EQ(AIOS_GPU_NODE_DRM_RENDER, v[3].kind);
	EXPECT_EQ(226, v[3].major);
	EXPECT_EQ(128, v[3].minor);
	snprintf(path, sizeof(path), "%s/dri/renderD128", self->root);
	EXPECT_STREQ(path, v[3].path);
	free(v);
}

TEST_F(tree, relative_root_and_no_dri)
{
	struct aios_gpu_node *v;
	char err[256], cwd[512], cmd[160];
	size_t n;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/dri'", self->root);
	ASSERT_EQ(0, system(cmd));
	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(0, chdir("/tmp"));
	EXPECT_EQ(3, aios_gpu_discover(self->root + 5, &v, &n, err,
				       sizeof(err)));
	ASSERT_EQ(0, chdir(cwd));
	EXPECT_EQ(0, strncmp(v[0].path, self->root, strlen(self->root)));
	free(v);
}

TEST(discover_missing_root)
{
	struct aios_gpu_node *v;
	char err[256] = "";
	size_t n;

	EXPECT_EQ(-ENOENT, aios_gpu_discover("/nonexistent/dev", &v, &n, err,
					     sizeof(err)));
	EXPECT_EQ(NULL, v);
	EXPECT_NE(NULL, strstr(err, "/nonexistent/dev"));
}

TEST_HARNESS_MAIN
