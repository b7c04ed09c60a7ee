// SPDX-License-Identifier: GPL-2.0
/*
 * GPU enforcement: aios-gpud's cgroup device program, attached to a test
 * cgroup, lets only the claim holder's process open a registered node,
 * denies everybody else in that cgroup with EPERM, and flips when the
 * claim is preempted or released.  Also: aios-gpud discovery and
 * registration against a fake /dev tree.  Needs root, cgroup2 at
 * /sys/fs/cgroup and $BUILD/bin/aios-gpud (AIOS_GPUD overrides).
 *
 * gpud applies the kernel's events asynchronously, so a check that
 * follows a claim change polls (up to 10 s) for the new verdict; what is
 * asserted is the verdict, never the time it took.
 */
#include <libgen.h>
#include <limits.h>

#include "kselftest_harness.h"
#include "gpu_test.h"

#define CG_ROOT		"/sys/fs/cgroup"

/* Locate aios-gpud next to this test's build directory. */
static int gb_find_gpud(char *out, size_t len)
{
	const char *env = getenv("AIOS_GPUD");
	char exe[PATH_MAX], *d;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	d = dirname(exe);			/* BUILD[/san]/selftests/aios */
	for (int up = 0; up < 4; up++) {
		d = dirname(d);
		snprintf(out, len, "%s/bin/aios-gpud", d);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int gb_join(const char *cg)
{
	char p[PATH_MAX], buf[32];
	int fd, n, ret = 0;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	fd = open(p, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* open(O_RDONLY): 0 or -errno. */
static int gb_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Poll until open() of @path gives @want (0 or -errno); returns the last. */
static int gb_wait_open(const char *path, int want)
{
	int got = 1;

	for (int i = 0; i < 1000; i++) {
		got = gb_open(path);
		if (got == want)
			break;
		usleep(10000);
	}
	return got;
}

FIXTURE(bpf) {
	struct aios_nl nl;
	struct gt_env env;
	char cg[96];
	char gpud[PATH_MAX];
	pid_t gpud_pid;
};

FIXTURE_SETUP(bpf)
{
	int ready[2];
	char buf[8], fdarg[16];
	struct pollfd p;

	self->gpud_pid = 0;
	self->cg[0] = '\0';
	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, gb_find_gpud(self->gpud, sizeof(self->gpud)))
		TH_LOG("aios-gpud not built (make -C userspace/gpud), or set AIOS_GPUD");
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, gt_env_make(&self->env));
	gt_unregister_all(&self->nl);
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 100));

	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/aios-gpu-test.%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));

	ASSERT_EQ(0, pipe(ready));
	snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
	self->gpud_pid = fork();
	ASSERT_LE(0, self->gpud_pid);
	if (!self->gpud_pid) {
		close(ready[0]);
		execl(self->gpud, "aios-gpud", "--no-discover", "--cgroup",
		      self->cg, "--pin", "", "--resync-ms", "200",
		      "--ready-fd", fdarg, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	p.fd = ready[0];
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 20000)) TH_LOG("aios-gpud did not start");
	ASSERT_EQ(6, read(ready[0], buf, sizeof(buf)))
		TH_LOG("aios-gpud exited before it was ready");
	close(ready[0]);
}

FIXTURE_TEARDOWN(bpf)
{
	if (self->gpud_pid > 0) {
		kill(self->gpud_pid, SIGTERM);
		EXPECT_EQ(0, aios_wait(self->gpud_pid));
	}
	if (geteuid() != 0)
		return;
	gb_join(CG_ROOT);
	gt_unregister_all(&self->nl);
	if (self->cg[0])
		rmdir(self->cg);
	gt_env_remove(&self->env);
	aios_nl_close(&self->nl);
}

TEST_F(bpf, only_the_holder_opens)
{
	int up[2], down[2];
	pid_t holder, other;
	__u64 v;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	CHILD(holder) {
		int fd;
		__u64 h;

		ASSERT_EQ(0, gb_join(self->cg));
		fd = gt_agent("gb-holder", AIOS_PRIO_NORMAL, true, NULL);
		ASSERT_LE(0, fd);
		/* registered and free: nobody in the cgroup may open it */
		EXPECT_EQ(-EPERM, gb_open(self->env.node[0]));
		ASSERT_EQ(0, gt_claim_dev(fd, GT_ID0, &h));
		EXPECT_EQ(0, gb_wait_open(self->env.node[0], 0));
		ASSERT_EQ(0, aios_write_u64(up[1], 1));
		ASSERT_EQ(0, aios_read_u64(down[0], &h));
		close(fd);
	}
	ASSERT_EQ(0, aios_read_u64(up[0], &v));
	CHILD(other) {
		int fd;

		ASSERT_EQ(0, gb_join(self->cg));
		fd = gt_agent("gb-other", AIOS_PRIO_NORMAL, true, NULL);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EPERM, gb_open(self->env.node[0]));
		/* a node not registered is none of aios's business */
		EXPECT_EQ(0, gb_open(self->env.node[1]));
		EXPECT_EQ(0, gb_open("/dev/null"));
		close(fd);
	}
	ASSERT_EQ(0, aios_wait(other));
	/* outside the cgroup nothing is enforced */
	EXPECT_EQ(0, gb_open(self->env.node[0]));
	ASSERT_EQ(0, aios_write_u64(down[1], 1));
	ASSERT_EQ(0, aios_wait(holder));
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/*
 * LOW holds and has the node open; CRITICAL preempts; after the revoke
 * the new holder may open, the old one may not, and the descriptor the
 * old holder opened before the revoke still works (what enforcement by
 * open() cannot take back).
 */
TEST_F(bpf, flips_after_preemption)
{
	int up[2], down[2], crit;
	pid_t low;
	__u64 v, hc;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	CHILD(low) {
		struct gt_claim c = {
			.device_id = GT_ID0, .timeout_ms = -1,
			.signal = SIGCONT, .grace_ms = 100,
		};
		char b;
		__u64 h;
		int fd, dev;

		setpgid(0, 0);
		signal(SIGTERM, SIG_IGN);	/* gpu_revoke_signal */
		ASSERT_EQ(0, gb_join(self->cg));
		fd = gt_agent("gb-low", AIOS_PRIO_LOW, true, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gt_claim(fd, c, &h, NULL));
		ASSERT_EQ(0, gb_wait_open(self->env.node[0], 0));
		dev = open(self->env.node[0], O_RDONLY);
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, aios_write_u64(up[1], 1));
		ASSERT_EQ(0, gt_wait_claim(fd, h, AIOS_GPU_REVOKED));
		EXPECT_EQ(-EPERM, gb_wait_open(self->env.node[0], -EPERM));
		/* opened before the revoke: still readable */
		EXPECT_EQ(1, read(dev, &b, 1));
		close(dev);
		ASSERT_EQ(0, aios_write_u64(up[1], 2));
		ASSERT_EQ(0, aios_read_u64(down[0], &h));
		close(fd);
	}
	ASSERT_EQ(0, aios_read_u64(up[0], &v));
	ASSERT_EQ(0, gb_join(self->cg));
	crit = gt_agent("gb-critical", AIOS_PRIO_CRITICAL, true, NULL);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(crit, GT_ID0, &hc));
	EXPECT_EQ(0, gb_wait_open(self->env.node[0], 0));
	ASSERT_EQ(0, aios_read_u64(up[0], &v));
	EXPECT_EQ(2, v);
	/* and back: released, the new holder is shut out as well */
	ASSERT_EQ(0, gt_release(crit, hc));
	EXPECT_EQ(-EPERM, gb_wait_open(self->env.node[0], -EPERM));
	ASSERT_EQ(0, aios_write_u64(down[1], 1));
	ASSERT_EQ(0, aios_wait(low));
	close(crit);
	/* leave the test cgroup so that it can be removed */
	ASSERT_EQ(0, gb_join(CG_ROOT));
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

TEST_F(bpf, agent_exit_withdraws_access_and_unregister_lifts_it)
{
	char ext[256];
	pid_t pid;
	int fd;
	__u64 h;

	ASSERT_EQ(0, gb_join(self->cg));
	fd = gt_agent("gb-self", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gt_claim_dev(fd, GT_ID0, &h));
	EXPECT_EQ(0, gb_wait_open(self->env.node[0], 0));
	close(fd);		/* the agent goes, and its claim with it */
	EXPECT_EQ(-EPERM, gb_wait_open(self->env.node[0], -EPERM));
	ASSERT_EQ(0, gt_unregister(&self->nl, GT_ID0, -1, ext, sizeof(ext)));
	EXPECT_EQ(0, gb_wait_open(self->env.node[0], 0));
	/* another process of the cgroup too */
	CHILD(pid) {
		EXPECT_EQ(0, gb_open(self->env.node[0]));
	}
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(0, gb_join(CG_ROOT));
}

/* aios-gpud discover/register against a fake /dev tree. */
TEST_F(bpf, discovery_of_a_fake_dev_tree)
{
	char root[128], p[256], cmd[PATH_MAX + 256], line[512];
	const char *nodes[] = { "nvidia0", "nvidia1", "nvidiactl",
				"dri/renderD128", "dri/card0" };
	const unsigned int mn[][2] = { { 195, 0 }, { 195, 1 }, { 195, 255 },
				       { 226, 128 }, { 226, 0 } };
	struct gt_dev d;
	FILE *f;
	int found = 0;

	snprintf(root, sizeof(root), "%s/dev", self->env.dir);
	ASSERT_EQ(0, mkdir(root, 0755));
	snprintf(p, sizeof(p), "%s/dri", root);
	ASSERT_EQ(0, mkdir(p, 0755));
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, nodes[i]);
		ASSERT_EQ(0, mknod(p, S_IFCHR | 0600,
				   makedev(mn[i][0], mn[i][1])));
	}
	snprintf(cmd, sizeof(cmd), "%s discover -j --dev-root %s", self->gpud,
		 root);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found += !!strstr(line, "\"name\":\"nvidia0\"") +
			 !!strstr(line, "\"name\":\"nvidia1\"") +
			 !!strstr(line, "\"name\":\"renderD128\"") +
			 !!strstr(line, "nvidiactl") + !!strstr(line, "card0");
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(3, found);

	snprintf(cmd, sizeof(cmd),
		 "%s register --dev-root %s --first-id %d --grace-ms 50 >/dev/null",
		 self->gpud, root, GT_ID0 + 1);
	EXPECT_EQ(0, system(cmd));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0 + 1, 0, &d, NULL, 0));
	EXPECT_STREQ("nvidia0", d.name);
	EXPECT_EQ(195, d.major);
	EXPECT_EQ(0, d.minor);
	EXPECT_EQ(50, d.grace_ms);
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0 + 3, 0, &d, NULL, 0));
	EXPECT_STREQ("renderD128", d.name);
	EXPECT_EQ(226, d.major);
	/* a second run finds them registered already and succeeds */
	EXPECT_EQ(0, system(cmd));
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, nodes[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/dri", root);
	rmdir(p);
	rmdir(root);
}

TEST_HARNESS_MAIN
