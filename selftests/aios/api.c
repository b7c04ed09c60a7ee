// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/aios ioctl ABI: version handshake, file state machine and the
 * argument rules every ioctl shares (size/flags/reserved handling).
 */
#include <stddef.h>
#include <sys/mman.h>

#include "aios_test.h"
#include "kselftest_harness.h"

enum file_state { ST_NEW, ST_READY, ST_AGENT };

#define MAX_RESV 8
#define PAGE	4096

struct resv {
	const char *name;
	unsigned int off, len;
};

static cpu_set_t self_mask;

/* --- valid arguments, one per ioctl -------------------------------- */

static void fill_api(void *b)
{
	((struct aios_api *)b)->api_version = AIOS_API_VERSION;
}

static void fill_register(void *b)
{
	struct aios_register *r = b;

	r->prio = AIOS_PRIO_NORMAL;
	strcpy(r->name, "api-test");
}

static void fill_spawn(void *b)
{
	struct aios_spawn *s = b;

	s->prio = AIOS_PRIO_LOW;
	strcpy(s->name, "api-child");
}

static void fill_kill(void *b)
{
	struct aios_kill *k = b;

	k->agent_id = 1ULL << 62;	/* no such agent */
	k->signal = SIGTERM;
}

static void fill_migrate(void *b)
{
	struct aios_migrate *m = b;

	sched_getaffinity(0, sizeof(self_mask), &self_mask);
	m->agent_id = 0;
	m->cpumask = (uintptr_t)&self_mask;
	m->cpumask_size = sizeof(self_mask);
}

static void fill_caps(void *b)
{
	((struct aios_caps *)b)->op = AIOS_CAPS_GET;
}

static void fill_none(void *b)
{
	(void)b;
}

FIXTURE(ioc) {
	int fd;
	char *map;	/* two pages, the second PROT_NONE */
	char buf[2 * PAGE];
};

FIXTURE_VARIANT(ioc) {
	unsigned long cmd;
	unsigned int nr;
	unsigned int ver0;
	enum file_state state;
	void (*fill)(void *);
	int valid_errno;	/* result of the valid call */
	__u32 unknown_flag;	/* lowest flag bit with no meaning */
	struct resv resv[MAX_RESV];
};

#define R(type, field) { #field, offsetof(struct type, field),		\
			 sizeof(((struct type *)0)->field) }

FIXTURE_VARIANT_ADD(ioc, api) {
	.cmd = AIOS_IOC_API, .nr = 0x00, .ver0 = AIOS_API_SIZE_VER0,
	.state = ST_NEW, .fill = fill_api, .unknown_flag = 1,
	.resv = { R(aios_api, reserved[0]), R(aios_api, reserved[1]),
		  R(aios_api, reserved[2]), R(aios_api, reserved[3]) },
};

FIXTURE_VARIANT_ADD(ioc, register) {
	.cmd = AIOS_IOC_REGISTER, .nr = 0x01,
	.ver0 = AIOS_REGISTER_SIZE_VER0, .state = ST_READY,
	.fill = fill_register, .unknown_flag = 1,
	.resv = { R(aios_register, reserved0),
		  R(aios_register, reserved[0]),
		  R(aios_register, reserved[1]) },
};

FIXTURE_VARIANT_ADD(ioc, agent_info) {
	.cmd = AIOS_IOC_AGENT_INFO, .nr = 0x02,
	.ver0 = AIOS_AGENT_INFO_SIZE_VER0, .state = ST_AGENT,
	.fill = fill_none, .unknown_flag = 1,
	.resv = { R(aios_agent_info, reserved[0]),
		  R(aios_agent_info, reserved[1]),
		  R(aios_agent_info, reserved[2]),
		  R(aios_agent_info, reserved[3]) },
};

FIXTURE_VARIANT_ADD(ioc, spawn) {
	.cmd = AIOS_IOC_SPAWN, .nr = 0x03, .ver0 = AIOS_SPAWN_SIZE_VER0,
	.state = ST_AGENT, .fill = fill_spawn, .unknown_flag = 1U << 3,
	.resv = { R(aios_spawn, reserved0), R(aios_spawn, reserved[0]),
		  R(aios_spawn, reserved[1]),
		  /* only meaningful with AIOS_SPAWN_PIDFD / _CAPS */
		  R(aios_spawn, pidfd), R(aios_spawn, caps) },
};

FIXTURE_VARIANT_ADD(ioc, kill) {
	/* a default agent lacks KILL_AGENT: a well-formed call is EPERM */
	.cmd = AIOS_IOC_KILL, .nr = 0x04, .ver0 = AIOS_KILL_SIZE_VER0,
	.state = ST_AGENT, .fill = fill_kill, .valid_errno = EPERM,
	.unknown_flag = 1U << 1,
	.resv = { R(aios_kill, reserved0), R(aios_kill, reserved[0]),
		  R(aios_kill, reserved[1]) },
};

FIXTURE_VARIANT_ADD(ioc, migrate) {
	.cmd = AIOS_IOC_MIGRATE, .nr = 0x05, .ver0 = AIOS_MIGRATE_SIZE_VER0,
	.state = ST_AGENT, .fill = fill_migrate, .unknown_flag = 1,
	.resv = { R(aios_migrate, reserved0), R(aios_migrate, reserved[0]),
		  R(aios_migrate, reserved[1]) },
};

FIXTURE_VARIANT_ADD(ioc, caps) {
	.cmd = AIOS_IOC_CAPS, .nr = 0x06, .ver0 = AIOS_CAPS_SIZE_VER0,
	.state = ST_AGENT, .fill = fill_caps, .unknown_flag = 1,
	.resv = { R(aios_caps, reserved0), R(aios_caps, reserved[0]),
		  R(aios_caps, reserved[1]) },
};

FIXTURE_VARIANT_ADD(ioc, last_denial) {
	/* a fresh agent has no denial yet */
	.cmd = AIOS_IOC_LAST_DENIAL, .nr = 0x07,
	.ver0 = AIOS_DENIAL_SIZE_VER0, .state = ST_AGENT,
	.fill = fill_none, .valid_errno = ENOENT, .unknown_flag = 1,
	.resv = { R(aios_denial, reserved[0]), R(aios_denial, reserved[1]) },
};

FIXTURE_VARIANT_ADD(ioc, noop) {
	.cmd = AIOS_IOC_NOOP, .nr = 0x08, .ver0 = AIOS_NOOP_SIZE_VER0,
	.state = ST_READY, .fill = fill_none, .unknown_flag = 1,
	.resv = { R(aios_noop, reserved[0]) },
};

FIXTURE_SETUP(ioc)
{
	struct aios_api api;

	self->fd = aios_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", AIOS_DEV_PATH,
				      strerror(-self->fd));
	if (variant->state >= ST_READY)
		ASSERT_EQ(0, aios_api(self->fd, &api));
	if (variant->state >= ST_AGENT)
		ASSERT_EQ(0, aios_register(self->fd, "api-test",
					   AIOS_PRIO_NORMAL, NULL, NULL));
	self->map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_EQ(0, mprotect(self->map + PAGE, PAGE, PROT_NONE));
}

FIXTURE_TEARDOWN(ioc)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, 2 * PAGE);
	if (self->fd >= 0)
		close(self->fd);
}

/* A valid argument of "size" bytes (zero beyond ver0) in self->buf. */
static void *valid_arg(FIXTURE_DATA(ioc) *self,
		       const FIXTURE_VARIANT(ioc) *variant, __u32 size)
{
	memset(self->buf, 0, sizeof(self->buf));
	*(__u32 *)self->buf = size;
	variant->fill(self->buf);
	return self->buf;
}

static int do_ioctl(int fd, const FIXTURE_VARIANT(ioc) *variant, void *arg)
{
	int ret = ioctl(fd, variant->cmd, arg);

	if (ret >= 0 && variant->cmd == AIOS_IOC_SPAWN)
		close(((struct aios_spawn *)arg)->fd);
	return ret < 0 ? errno : 0;
}

TEST_F(ioc, valid_exact_size)
{
	void *arg = valid_arg(self, variant, variant->ver0);

	ASSERT_EQ(variant->valid_errno, do_ioctl(self->fd, variant, arg));
	if (variant->cmd == AIOS_IOC_API) {
		struct aios_api *api = arg;

		ASSERT_EQ(AIOS_API_VERSION, api->api_version);
		ASSERT_EQ(variant->ver0, api->struct_size[variant->nr]);
	}
}

TEST_F(ioc, null_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fd, variant->cmd, NULL));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ioc, unmapped_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fd, variant->cmd, self->map + PAGE));
	ASSERT_EQ(EFAULT, errno);
}

/* "size" is readable, the rest of the struct lies in a PROT_NONE page */
TEST_F(ioc, straddling_struct_efault)
{
	char *arg = self->map + PAGE - 8;

	memset(arg, 0, 8);
	*(__u32 *)arg = variant->ver0;
	ASSERT_EQ(-1, ioctl(self->fd, variant->cmd, arg));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ioc, size_below_ver0_einval)
{
	__u32 sizes[] = { 0, 4, 8, variant->ver0 - 8, variant->ver0 - 1 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *arg = valid_arg(self, variant, sizes[i]);

		EXPECT_EQ(EINVAL, do_ioctl(self->fd, variant, arg))
			TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(ioc, size_above_page_e2big)
{
	__u32 sizes[] = { PAGE + 1, PAGE + 8, 1U << 20, 0xffffffffU };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *arg = valid_arg(self, variant, sizes[i]);

		EXPECT_EQ(E2BIG, do_ioctl(self->fd, variant, arg))
			TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(ioc, larger_struct_zero_tail_accepted)
{
	void *arg = valid_arg(self, variant, variant->ver0 + 16);

	ASSERT_EQ(variant->valid_errno, do_ioctl(self->fd, variant, arg));
}

TEST_F(ioc, page_sized_struct_zero_tail_accepted)
{
	void *arg = valid_arg(self, variant, PAGE);

	ASSERT_EQ(variant->valid_errno, do_ioctl(self->fd, variant, arg));
}

TEST_F(ioc, larger_struct_nonzero_tail_e2big)
{
	unsigned int offs[] = { 0, 7, 15, PAGE - 1 - variant->ver0 };

	for (unsigned int i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		__u32 size = offs[i] < 16 ? variant->ver0 + 16 : PAGE;
		char *arg = valid_arg(self, variant, size);

		arg[variant->ver0 + offs[i]] = 1;
		EXPECT_EQ(E2BIG, do_ioctl(self->fd, variant, arg))
			TH_LOG("size %u, non-zero byte at %u", size,
			       variant->ver0 + offs[i]);
	}
}

TEST_F(ioc, unknown_flags_einval)
{
	__u32 bad[] = { variant->unknown_flag, 1U << 31 };

	for (unsigned int i = 0; i < 2; i++) {
		void *arg = valid_arg(self, variant, variant->ver0);

		((__u32 *)arg)[1] = bad[i];
		EXPECT_EQ(EINVAL, do_ioctl(self->fd, variant, arg))
			TH_LOG("flags %#x", bad[i]);
	}
}

TEST_F(ioc, reserved_nonzero_einval)
{
	ASSERT_NE(NULL, variant->resv[0].name);
	for (int i = 0; i < MAX_RESV && variant->resv[i].name; i++) {
		const struct resv *r = &variant->resv[i];

		for (unsigned int b = 0; b < r->len; b += r->len - 1) {
			char *arg = valid_arg(self, variant, variant->ver0);

			arg[r->off + b] = 0x80;
			EXPECT_EQ(EINVAL, do_ioctl(self->fd, variant, arg))
				TH_LOG("%s byte %u non-zero", r->name, b);
			if (r->len == 1)
				break;
		}
	}
}

/* --- handshake ------------------------------------------------------ */

TEST(handshake_reports_version_features_sizes)
{
	struct aios_api api;
	int fd = aios_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_api(fd, &api));
	ASSERT_EQ(AIOS_API_VERSION, api.api_version);
	ASSERT_EQ(AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS | AIOS_FEAT_AUDIT,
		  api.features & (AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS |
				  AIOS_FEAT_AUDIT));
	ASSERT_LE(9, api.nr_ioctls);
	ASSERT_GE(AIOS_IOC_NR_MAX, api.nr_ioctls);
	ASSERT_EQ(AIOS_API_SIZE_VER0, api.struct_size[0x00]);
	ASSERT_EQ(AIOS_REGISTER_SIZE_VER0, api.struct_size[0x01]);
	ASSERT_EQ(AIOS_AGENT_INFO_SIZE_VER0, api.struct_size[0x02]);
	ASSERT_EQ(AIOS_SPAWN_SIZE_VER0, api.struct_size[0x03]);
	ASSERT_EQ(AIOS_KILL_SIZE_VER0, api.struct_size[0x04]);
	ASSERT_EQ(AIOS_MIGRATE_SIZE_VER0, api.struct_size[0x05]);
	ASSERT_EQ(AIOS_CAPS_SIZE_VER0, api.struct_size[0x06]);
	ASSERT_EQ(AIOS_DENIAL_SIZE_VER0, api.struct_size[0x07]);
	ASSERT_EQ(AIOS_NOOP_SIZE_VER0, api.struct_size[0x08]);
	/* reserved core numbers are not ioctls */
	for (int nr = 0x09; nr < 0x10; nr++) {
		ASSERT_EQ(0, api.struct_size[nr]) TH_LOG("nr %#x", nr);
	}
	/* subsystems not implemented must not report ioctls */
	if (!(api.features & AIOS_FEAT_QUEUES))
		for (int nr = 0x10; nr < 0x20; nr++)
			ASSERT_EQ(0, api.struct_size[nr]);
	if (!(api.features & AIOS_FEAT_GPU))
		for (int nr = 0x20; nr < 0x30; nr++)
			ASSERT_EQ(0, api.struct_size[nr]);
	if (!(api.features & AIOS_FEAT_IPC))
		for (int nr = 0x30; nr < 0x40; nr++)
			ASSERT_EQ(0, api.struct_size[nr]);
	close(fd);
}

TEST(version_mismatch_eprotonosupport)
{
	__u32 bad[] = { 0, AIOS_API_VERSION + 1, 0xffffffffU };

	for (unsigned int i = 0; i < 3; i++) {
		struct aios_api api = { .size = sizeof(api) };
		int fd = aios_open();

		ASSERT_LE(0, fd);
		api.api_version = bad[i];
		ASSERT_EQ(-EPROTONOSUPPORT, aios_ioctl(fd, AIOS_IOC_API, &api))
			TH_LOG("version %u", bad[i]);
		/* the kernel's version is still written back */
		ASSERT_EQ(AIOS_API_VERSION, api.api_version);
		/* and the file did not leave the NEW state */
		struct aios_noop n = { .size = sizeof(n) };

		ASSERT_EQ(-EBADFD, aios_ioctl(fd, AIOS_IOC_NOOP, &n));
		close(fd);
	}
}

TEST(second_handshake_ealready)
{
	struct aios_api api;
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EALREADY, aios_api(fd, &api));
	ASSERT_EQ(0, aios_register(fd, "hs", AIOS_PRIO_NORMAL, NULL, NULL));
	ASSERT_EQ(-EALREADY, aios_api(fd, &api));
	close(fd);
}

/* --- state machine -------------------------------------------------- */

struct any_arg {
	union {
		struct aios_register reg;
		struct aios_agent_info info;
		struct aios_spawn spawn;
		struct aios_kill kill;
		struct aios_migrate migrate;
		struct aios_caps caps;
		struct aios_denial denial;
		struct aios_noop noop;
		char raw[PAGE];
	};
};

static const struct {
	const char *name;
	unsigned long cmd;
	__u32 size;
	void (*fill)(void *);
	bool agent_only;
} non_api[] = {
	{ "REGISTER", AIOS_IOC_REGISTER, AIOS_REGISTER_SIZE_VER0,
	  fill_register, false },
	{ "AGENT_INFO", AIOS_IOC_AGENT_INFO, AIOS_AGENT_INFO_SIZE_VER0,
	  fill_none, true },
	{ "SPAWN", AIOS_IOC_SPAWN, AIOS_SPAWN_SIZE_VER0, fill_spawn, true },
	{ "KILL", AIOS_IOC_KILL, AIOS_KILL_SIZE_VER0, fill_kill, true },
	{ "MIGRATE", AIOS_IOC_MIGRATE, AIOS_MIGRATE_SIZE_VER0, fill_migrate,
	  true },
	{ "CAPS", AIOS_IOC_CAPS, AIOS_CAPS_SIZE_VER0, fill_caps, true },
	{ "LAST_DENIAL", AIOS_IOC_LAST_DENIAL, AIOS_DENIAL_SIZE_VER0,
	  fill_none, true },
	{ "NOOP", AIOS_IOC_NOOP, AIOS_NOOP_SIZE_VER0, fill_none, false },
};

static int call(int fd, int i)
{
	static struct any_arg a;

	memset(&a, 0, sizeof(a));
	*(__u32 *)&a = non_api[i].size;
	non_api[i].fill(&a);
	return aios_ioctl(fd, non_api[i].cmd, &a);
}

TEST(new_file_ebadfd)
{
	int fd = aios_open();

	ASSERT_LE(0, fd);
	for (unsigned int i = 0; i < sizeof(non_api) / sizeof(non_api[0]); i++) {
		EXPECT_EQ(-EBADFD, call(fd, i)) TH_LOG("%s", non_api[i].name);
	}
	close(fd);
}

TEST(ready_file_agent_ioctls_ebadfd)
{
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	for (unsigned int i = 0; i < sizeof(non_api) / sizeof(non_api[0]); i++) {
		if (!non_api[i].agent_only)
			continue;
		EXPECT_EQ(-EBADFD, call(fd, i)) TH_LOG("%s", non_api[i].name);
	}
	close(fd);
}

TEST(noop_in_ready_and_agent_state)
{
	struct aios_noop n = { .size = sizeof(n) };
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_ioctl(fd, AIOS_IOC_NOOP, &n));
	ASSERT_EQ(0, aios_register(fd, "noop", AIOS_PRIO_NORMAL, NULL, NULL));
	ASSERT_EQ(0, aios_ioctl(fd, AIOS_IOC_NOOP, &n));
	close(fd);
}

TEST(register_twice_ealready)
{
	__u64 id1 = 0, id2 = 0;
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_register(fd, "once", AIOS_PRIO_NORMAL, &id1, NULL));
	ASSERT_EQ(-EALREADY, aios_register(fd, "twice", AIOS_PRIO_HIGH, &id2,
					   NULL));
	/* the file is still the first agent */
	struct aios_agent_info info;

	ASSERT_EQ(0, aios_info(fd, &info));
	ASSERT_EQ(id1, info.agent_id);
	ASSERT_STREQ("once", info.name);
	close(fd);
}

/* --- dispatch ------------------------------------------------------- */

TEST(unknown_ioctl_enotty)
{
	/* reserved numbers of every subsystem range, and past the end */
	unsigned int nrs[] = { 0x09, 0x0f, 0x17, 0x1f, 0x23, 0x2f, 0x34, 0x3f,
			       0x40, 0x41, 0xff };
	struct any_arg a;
	int fds[2];

	fds[0] = aios_open();		/* NEW */
	fds[1] = aios_new_agent("enotty", NULL);	/* AGENT */
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	for (int f = 0; f < 2; f++) {
		for (unsigned int i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
			memset(&a, 0, sizeof(a));
			a.noop.size = sizeof(a.noop);
			EXPECT_EQ(-ENOTTY, aios_ioctl(fds[f],
					_IOWR(AIOS_IOC_MAGIC, nrs[i],
					      struct aios_noop), &a))
				TH_LOG("nr %#x on %s file", nrs[i],
				       f ? "agent" : "new");
		}
		/* wrong type byte, right nr */
		memset(&a, 0, sizeof(a));
		a.noop.size = sizeof(a.noop);
		EXPECT_EQ(-ENOTTY, aios_ioctl(fds[f],
				_IOW(AIOS_IOC_MAGIC + 1, 0x08, struct aios_noop),
				&a));
		EXPECT_EQ(-ENOTTY, aios_ioctl(fds[f], TCGETS, &a));
	}
	close(fds[0]);
	close(fds[1]);
}

/* The kernel dispatches on type and nr only, not on the size/direction
 * bits of the command, so a differently encoded NOOP still works. */
TEST(dispatch_ignores_size_and_direction)
{
	struct aios_noop n = { .size = sizeof(n) };
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_ioctl(fd, _IO(AIOS_IOC_MAGIC, 0x08), &n));
	ASSERT_EQ(0, aios_ioctl(fd, _IOWR(AIOS_IOC_MAGIC, 0x08, char[200]),
				&n));
	ASSERT_EQ(0, aios_ioctl(fd, _IOR(AIOS_IOC_MAGIC, 0x08, __u64), &n));
	close(fd);
}

/* Results are copied back with the caller's size: a larger struct gets
 * the kernel's struct and an untouched (still zero) tail. */
TEST(result_copied_with_min_size)
{
	struct {
		struct aios_agent_info info;
		char tail[64];
	} big;
	__u64 id = 0;
	int fd = aios_new_agent("copyback", &id);

	ASSERT_LE(0, fd);
	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, aios_ioctl(fd, AIOS_IOC_AGENT_INFO, &big));
	ASSERT_EQ(id, big.info.agent_id);
	for (unsigned int i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
	close(fd);
}

TEST_HARNESS_MAIN
