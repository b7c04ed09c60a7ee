// SPDX-License-Identifier: GPL-2.0
/*
 * GPU claims: device registration, claim/release/query, priority lines,
 * preemption with grace and revoke, "any" device, claims dying with
 * their agent, utilization, events, audit, and every bad input with its
 * errno.  The VM has no GPU: stand-in character device nodes (mknod of
 * mem minors under /tmp) are registered instead; the kernel code paths
 * are the same.  Needs root (registration is an admin operation).
 */
#include "kselftest_harness.h"
#include "gpu_test.h"

static volatile sig_atomic_t gt_usr1, gt_term;

static void gt_on_usr1(int sig)
{
	gt_usr1++;
}

static void gt_on_term(int sig)
{
	gt_term++;
}

static void gt_handlers(void)
{
	struct sigaction sa = { .sa_handler = gt_on_usr1 };

	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = gt_on_term;
	sigaction(SIGTERM, &sa, NULL);
}

FIXTURE(gpu) {
	struct aios_nl nl;
	struct gt_env env;
};

FIXTURE_SETUP(gpu)
{
	if (geteuid() != 0)
		SKIP(return, "GPU registration needs root");
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, gt_env_make(&self->env));
	gt_unregister_all(&self->nl);
}

FIXTURE_TEARDOWN(gpu)
{
	if (geteuid() != 0)
		return;
	gt_unregister_all(&self->nl);
	gt_env_remove(&self->env);
	aios_nl_close(&self->nl);
}

TEST_F(gpu, feature_bit_and_struct_sizes)
{
	struct aios_api api;
	int fd = aios_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_api(fd, &api));
	EXPECT_TRUE(api.features & AIOS_FEAT_GPU);
	EXPECT_EQ(sizeof(struct aios_gpu_claim),
		  api.struct_size[_IOC_NR(AIOS_IOC_GPU_CLAIM)]);
	EXPECT_EQ(sizeof(struct aios_gpu_release),
		  api.struct_size[_IOC_NR(AIOS_IOC_GPU_RELEASE)]);
	EXPECT_EQ(sizeof(struct aios_gpu_query),
		  api.struct_size[_IOC_NR(AIOS_IOC_GPU_QUERY)]);
	close(fd);
}

TEST_F(gpu, register_get_dump_unregister)
{
	struct gt_reg g = {
		.id = GT_ID0, .name = "gpu-a", .path = self->env.node[0],
		.grace_ms = 250, .caller_fd = -1,
	};
	struct nlattr *tb[AIOS_A_MAX + 1];
	struct aios_nlreply r;
	struct gt_dev d;
	int found = 0;

	ASSERT_EQ(0, gt_register(&self->nl, &g, NULL, 0));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(GT_ID0, d.id);
	EXPECT_STREQ("gpu-a", d.name);
	EXPECT_STREQ(self->env.node[0], d.path);
	EXPECT_EQ(1, d.major);
	EXPECT_EQ(gt_minor[0], d.minor);
	EXPECT_EQ(250, d.grace_ms);
	EXPECT_EQ(AIOS_GPU_FREE, d.state);
	EXPECT_EQ(0, d.waiters);
	EXPECT_EQ(0, d.claims);
	EXPECT_FALSE(d.present & (1U << AIOS_GPU_A_OWNER_ID));

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0 + 1, self->env.node[1], 0));
	ASSERT_EQ(0, aios_nl_xfer(&self->nl,
				  aios_nl_msg(&self->nl, AIOS_CMD_GPU_GET,
					      NLM_F_DUMP), &r));
	for (int i = 0; i < r.n; i++) {
		ASSERT_EQ(0, aios_nl_attrs(r.msgs[i], tb));
		ASSERT_EQ(0, gt_parse(tb[AIOS_A_GPU], &d));
		if (d.id == GT_ID0 || d.id == GT_ID0 + 1)
			found++;
	}
	aios_nlreply_free(&r);
	EXPECT_EQ(2, found);

	ASSERT_EQ(0, gt_unregister(&self->nl, GT_ID0, -1, NULL, 0));
	EXPECT_EQ(-ENOENT, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(-ENOENT, gt_unregister(&self->nl, GT_ID0, -1, NULL, 0));
}

TEST_F(gpu, register_bad_input)
{
	char ext[256], file[128], link[128];
	struct gt_reg g = {
		.id = GT_ID0, .name = "gpu", .path = self->env.node[0],
		.caller_fd = -1,
	};
	struct aios_nlreply r;
	struct nl_msg *m;
	struct nlattr *n;
	struct gt_reg b;
	int fd;

	snprintf(file, sizeof(file), "%s/file", self->env.dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	close(fd);

	ASSERT_EQ(0, gt_register(&self->nl, &g, NULL, 0));
	/* the same id again */
	b = g;
	b.path = self->env.node[1];
	EXPECT_EQ(-EEXIST, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("device id already registered", ext);
	/* the same device node (major:minor), reached through a symlink */
	snprintf(link, sizeof(link), "%s/link", self->env.dir);
	ASSERT_EQ(0, symlink(self->env.node[0], link));
	b = g;
	b.id = GT_ID0 + 1;
	b.path = link;
	EXPECT_EQ(-EEXIST, gt_register(&self->nl, &b, ext, sizeof(ext)));
	unlink(link);
	/* paths */
	b.path = "/nonexistent/aios-gpu";
	EXPECT_EQ(-ENOENT, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("cannot look up the device node path", ext);
	b.path = file;
	EXPECT_EQ(-ENODEV, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("path is not a character device node", ext);
	b.path = "dev/nvidia0";
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("device node path must be absolute", ext);
	/* missing and malformed attributes */
	b.path = self->env.node[1];
	b.id = 0;
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, NULL, 0));
	b.id = GT_ID0 + 1;
	b.name = NULL;
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("AIOS_GPU_A_NAME required", ext);
	b.name = "";
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, NULL, 0));
	b.name = "bad\tname";
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, NULL, 0));
	b.name = "a-name-that-is-longer-than-31-bytes";
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, NULL, 0));
	b.name = "gpu";
	b.path = NULL;
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, ext, sizeof(ext)));
	EXPECT_STREQ("AIOS_GPU_A_PATH required", ext);
	/* grace above the module's maximum (default 60000 ms) */
	b.path = self->env.node[1];
	b.grace_ms = 3600001;
	EXPECT_EQ(-EINVAL, gt_register(&self->nl, &b, NULL, 0));
	b.grace_ms = 0;
	/* no nest at all */
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl,
					aios_nl_msg(&self->nl,
						    AIOS_CMD_GPU_REGISTER, 0),
					&r));
	EXPECT_STREQ("AIOS_A_GPU nest required", r.extack);
	aios_nlreply_free(&r);
	/* an attribute register does not take (strict policy) */
	m = aios_nl_msg(&self->nl, AIOS_CMD_GPU_REGISTER, 0);
	n = nla_nest_start(m, AIOS_A_GPU);
	nla_put_u32(m, AIOS_GPU_A_ID, GT_ID0 + 1);
	nla_put_string(m, AIOS_GPU_A_NAME, "x");
	nla_put_string(m, AIOS_GPU_A_PATH, self->env.node[1]);
	nla_put_u32(m, AIOS_GPU_A_STATE, 1);
	nla_nest_end(m, n);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, m, &r));
	aios_nlreply_free(&r);
	/* none of the failures registered anything */
	EXPECT_EQ(0, gt_reg_simple(&self->nl, GT_ID0 + 1, self->env.node[1],
				   0));
}

TEST_F(gpu, register_needs_admin)
{
	char ext[256];
	pid_t pid;
	int fd;

	/* An agent without ADMIN, acting as itself: denied and audited. */
	fd = gt_agent("gt-noadmin", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, fd);
	CHILD(pid) {
		struct aios_nl nl;
		struct gt_reg g = {
			.id = GT_ID0, .name = "gpu",
			.path = self->env.node[0], .caller_fd = fd,
		};
		struct aios_denial d;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		EXPECT_EQ(-EPERM, gt_register(&nl, &g, ext, sizeof(ext)));
		EXPECT_STREQ("ADMIN required", ext);
		ASSERT_EQ(0, aios_last_denial(fd, &d));
		EXPECT_EQ(AIOS_OP_GPU_REGISTER, d.op);
		EXPECT_STREQ("ADMIN required", d.reason);
		EXPECT_EQ(AIOS_CAP_ADMIN, d.cap_required);
		g.caller_fd = -1;
		EXPECT_EQ(-EPERM, gt_register(&nl, &g, NULL, 0));
		EXPECT_EQ(-EPERM, gt_unregister(&nl, GT_ID0, -1, NULL, 0));
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
	/* the same agent once granted ADMIN may */
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_GRANT, 0, AIOS_CAP_ADMIN, NULL,
			       NULL));
	CHILD(pid) {
		struct aios_nl nl;
		struct gt_reg g = {
			.id = GT_ID0, .name = "gpu",
			.path = self->env.node[0], .caller_fd = fd,
		};

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		EXPECT_EQ(0, gt_register(&nl, &g, NULL, 0));
		EXPECT_EQ(0, gt_unregister(&nl, GT_ID0, fd, NULL, 0));
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
	close(fd);
}

TEST_F(gpu, claim_query_release)
{
	struct aios_gpu_query q;
	struct gt_dev d;
	__u64 id, h, h2;
	__u32 claimed;
	struct gt_claim c = { .device_id = GT_ID0, .timeout_ms = -1 };
	int fd;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-holder", AIOS_PRIO_NORMAL, true, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gt_claim(fd, c, &h, &claimed));
	EXPECT_NE(0, h);
	EXPECT_EQ(GT_ID0, claimed);
	ASSERT_EQ(0, gt_query(fd, h, &q));
	EXPECT_EQ(AIOS_GPU_HELD, q.state);
	EXPECT_EQ(GT_ID0, q.device_id);
	EXPECT_EQ(0, q.deadline_ns);

	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(AIOS_GPU_HELD, d.state);
	EXPECT_EQ(id, d.owner_id);
	EXPECT_EQ(getpid(), d.owner_pid);
	EXPECT_EQ(AIOS_PRIO_NORMAL, d.prio);
	EXPECT_EQ(h, d.handle);
	EXPECT_EQ(1, d.claims);
	EXPECT_NE(0, d.since_ns);

	/* the holder asking again for the same device waits like anyone */
	c.flags = AIOS_CLAIM_NONBLOCK;
	EXPECT_EQ(-EBUSY, gt_claim(fd, c, &h2, NULL));

	ASSERT_EQ(0, gt_release(fd, h));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(AIOS_GPU_FREE, d.state);
	/* released twice, or never issued */
	EXPECT_EQ(-EINVAL, gt_release(fd, h));
	EXPECT_EQ(-EINVAL, gt_release(fd, 0));
	EXPECT_EQ(-EINVAL, gt_release(fd, ~0ULL));
	EXPECT_EQ(-EINVAL, gt_query(fd, h, &q));
	/* claimed again later: a new handle */
	c.flags = 0;
	ASSERT_EQ(0, gt_claim(fd, c, &h2, NULL));
	EXPECT_NE(h, h2);
	ASSERT_EQ(0, gt_release(fd, h2));
	close(fd);
}

TEST_F(gpu, claim_bad_input_einval)
{
	struct aios_gpu_claim a;
	struct aios_gpu_release r;
	struct aios_gpu_query q;
	int fd;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-bad", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, fd);
#define BAD(field, value) do {						\
		memset(&a, 0, sizeof(a));				\
		a.size = sizeof(a);					\
		a.device_id = GT_ID0;					\
		a.timeout_ms = -1;					\
		a.field = value;					\
		EXPECT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_GPU_CLAIM, &a)); \
	} while (0)
	BAD(flags, 1U << 5);
	BAD(prio, AIOS_PRIO_LOW);	/* prio without AIOS_CLAIM_PRIO */
	BAD(signal, -1);
	BAD(signal, 65);
	BAD(grace_ms, 60001);		/* above gpu_max_grace_ms */
	BAD(timeout_ms, -2);
	BAD(reserved[1], 1);
#undef BAD
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = AIOS_CLAIM_PRIO;
	a.prio = AIOS_PRIO_LOW + 1;
	a.device_id = GT_ID0;
	EXPECT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_GPU_CLAIM, &a));

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_GPU_RELEASE, &r));
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_GPU_QUERY, &q));
	/* the device stayed free through all of that */
	EXPECT_EQ(0, gt_wait_state(&self->nl, GT_ID0, AIOS_GPU_FREE));
	close(fd);
}

TEST_F(gpu, claim_unknown_device_enoent)
{
	struct gt_claim c = { .device_id = GT_ID0 + 3, .timeout_ms = -1 };
	int fd = gt_agent("gt-unknown", AIOS_PRIO_NORMAL, true, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, gt_claim(fd, c, NULL, NULL));
	close(fd);
}

TEST_F(gpu, claim_without_access_gpu_eperm_audited)
{
	struct gt_claim c = { .device_id = GT_ID0, .timeout_ms = -1 };
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs;
	struct aios_denial d;
	struct gt_dev dev;
	__u64 id;
	int fd, n, hit = 0;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-nocap", AIOS_PRIO_NORMAL, false, &id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, gt_claim(fd, c, NULL, NULL));
	ASSERT_EQ(0, aios_last_denial(fd, &d));
	EXPECT_EQ(AIOS_OP_GPU_CLAIM, d.op);
	EXPECT_EQ(AIOS_CAP_ACCESS_GPU, d.cap_required);
	EXPECT_STREQ("ACCESS_GPU required", d.reason);
	f.op_id = d.op_id;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++)
		if (recs[i].op == AIOS_OP_GPU_CLAIM && recs[i].agent_id == id &&
		    recs[i].result == -EPERM && recs[i].object == GT_ID0)
			hit++;
	free(recs);
	EXPECT_EQ(1, hit);
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &dev, NULL, 0));
	EXPECT_EQ(AIOS_GPU_FREE, dev.state);
	close(fd);
}

TEST_F(gpu, claim_class_above_agent_eperm)
{
	struct gt_claim c = {
		.device_id = GT_ID0, .timeout_ms = -1,
		.flags = AIOS_CLAIM_PRIO, .prio = AIOS_PRIO_CRITICAL,
	};
	struct aios_denial d;
	struct gt_dev dev;
	__u64 h;
	int fd;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, gt_claim(fd, c, NULL, NULL));
	ASSERT_EQ(0, aios_last_denial(fd, &d));
	EXPECT_STREQ("claim class above the agent's", d.reason);
	/* a lower class than its own is fine */
	close(fd);
	fd = gt_agent("gt-high", AIOS_PRIO_HIGH, true, NULL);
	ASSERT_LE(0, fd);
	c.prio = AIOS_PRIO_LOW;
	ASSERT_EQ(0, gt_claim(fd, c, &h, NULL));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &dev, NULL, 0));
	EXPECT_EQ(AIOS_PRIO_LOW, dev.prio);
	EXPECT_EQ(0, gt_release(fd, h));
	close(fd);
}

TEST_F(gpu, other_agents_handle_eperm)
{
	__u64 h;
	struct aios_gpu_query q;
	struct aios_denial d;
	int a, b;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	a = gt_agent("gt-a", AIOS_PRIO_NORMAL, true, NULL);
	b = gt_agent("gt-b", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, gt_claim_dev(a, GT_ID0, &h));
	EXPECT_EQ(-EPERM, gt_release(b, h));
	ASSERT_EQ(0, aios_last_denial(b, &d));
	EXPECT_EQ(AIOS_OP_GPU_RELEASE, d.op);
	EXPECT_STREQ("claim belongs to another agent", d.reason);
	EXPECT_EQ(-EPERM, gt_query(b, h, &q));
	/* still a's */
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(a, h));
	EXPECT_EQ(0, gt_release(a, h));
	close(a);
	close(b);
}

TEST_F(gpu, unregister_claimed_ebusy)
{
	char ext[256];
	__u64 h;
	int fd;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-busy", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gt_claim_dev(fd, GT_ID0, &h));
	EXPECT_EQ(-EBUSY, gt_unregister(&self->nl, GT_ID0, -1, ext,
					sizeof(ext)));
	EXPECT_STREQ("device is claimed; release it first", ext);
	ASSERT_EQ(0, gt_release(fd, h));
	EXPECT_EQ(0, gt_unregister(&self->nl, GT_ID0, -1, NULL, 0));
	close(fd);
}

TEST_F(gpu, equal_priority_waits_or_ebusy)
{
	struct gt_claim c = {
		.device_id = GT_ID0, .timeout_ms = -1,
		.flags = AIOS_CLAIM_NONBLOCK,
	};
	struct gt_dev d;
	__u64 h, hb;
	pid_t pid;
	int a, b, p[2];

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	a = gt_agent("gt-first", AIOS_PRIO_NORMAL, true, NULL);
	b = gt_agent("gt-second", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, gt_claim_dev(a, GT_ID0, &h));
	/* equal class, non-blocking: EBUSY, nothing queued, no preemption */
	EXPECT_EQ(-EBUSY, gt_claim(b, c, NULL, NULL));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(0, d.waiters);
	EXPECT_EQ(AIOS_GPU_HELD, d.state);
	EXPECT_EQ(0, d.preemptions);
	/* bounded wait: ETIMEDOUT, and the line is empty again */
	c.flags = 0;
	c.timeout_ms = 50;
	EXPECT_EQ(-ETIMEDOUT, gt_claim(b, c, NULL, NULL));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(0, d.waiters);
	/* blocking: waits in line, gets it when the holder releases */
	ASSERT_EQ(0, pipe(p));
	CHILD(pid) {
		ASSERT_EQ(0, gt_claim_dev(b, GT_ID0, &hb));
		ASSERT_EQ(0, aios_write_u64(p[1], hb));
	}
	ASSERT_EQ(0, gt_wait_waiters(&self->nl, GT_ID0, 1));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(AIOS_GPU_HELD, d.state);	/* never preempted */
	ASSERT_EQ(0, gt_release(a, h));
	ASSERT_EQ(0, aios_read_u64(p[0], &hb));
	ASSERT_EQ(0, aios_wait(pid));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(b, hb));
	EXPECT_EQ(0, gt_release(b, hb));
	close(p[0]);
	close(p[1]);
	close(a);
	close(b);
}

/* Waiters get the device by class, then arrival, not by arrival only. */
TEST_F(gpu, line_is_priority_ordered_then_fifo)
{
	const __u32 prios[3] = { AIOS_PRIO_LOW, AIOS_PRIO_NORMAL,
				 AIOS_PRIO_NORMAL };
	int holder, fds[3], p[2];
	pid_t pids[3];
	__u64 h, order[3];

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	holder = gt_agent("gt-holder", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, gt_claim_dev(holder, GT_ID0, &h));
	ASSERT_EQ(0, pipe(p));
	for (int i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "gt-w%d", i);
		fds[i] = gt_agent(name, prios[i], true, NULL);
		ASSERT_LE(0, fds[i]);
		CHILD(pids[i]) {
			__u64 hw;

			ASSERT_EQ(0, gt_claim_dev(fds[i], GT_ID0, &hw));
			ASSERT_EQ(0, aios_write_u64(p[1], i));
			usleep(20000);
			ASSERT_EQ(0, gt_release(fds[i], hw));
		}
		/* arrival order is the order of this loop */
		ASSERT_EQ(0, gt_wait_waiters(&self->nl, GT_ID0, i + 1));
	}
	ASSERT_EQ(0, gt_release(holder, h));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, aios_read_u64(p[0], &order[i]));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, aios_wait(pids[i]));
	EXPECT_EQ(1, order[0]);		/* NORMAL, arrived second */
	EXPECT_EQ(2, order[1]);		/* NORMAL, arrived third */
	EXPECT_EQ(0, order[2]);		/* LOW, arrived first */
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(holder);
	close(p[0]);
	close(p[1]);
}

/*
 * A LOW holder ignores its preemption: it is signalled, keeps the device
 * for its grace, then the claim is revoked (and its process group gets
 * gpu_revoke_signal); the CRITICAL claimant blocks until then.
 */
TEST_F(gpu, preempt_revoke_after_grace)
{
	struct aios_gpu_query q;
	struct gt_dev d;
	__u64 hc, v, crit_id;
	pid_t pid;
	int to[2], from[2], crit;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	CHILD(pid) {
		struct gt_claim c = {
			.device_id = GT_ID0, .timeout_ms = -1,
			.signal = SIGUSR1, .grace_ms = 200,
		};
		__u64 h, go;
		int fd;

		setpgid(0, 0);
		gt_handlers();
		fd = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gt_claim(fd, c, &h, NULL));
		ASSERT_EQ(0, aios_write_u64(from[1], h));
		/* ignore the preemption; wait for the revoke */
		ASSERT_EQ(0, gt_wait_claim(fd, h, AIOS_GPU_REVOKED));
		ASSERT_EQ(0, aios_read_u64(to[0], &go));
		while (!gt_term)
			usleep(1000);
		EXPECT_EQ(1, gt_usr1);
		EXPECT_EQ(1, gt_term);
		ASSERT_EQ(0, gt_query(fd, h, &q));
		EXPECT_EQ(AIOS_GPU_REVOKED, q.state);
		EXPECT_EQ(GT_ID0, q.device_id);
		/* acknowledging a revoked claim releases the handle */
		EXPECT_EQ(0, gt_release(fd, h));
		EXPECT_EQ(-EINVAL, gt_release(fd, h));
		close(fd);
	}
	ASSERT_EQ(0, aios_read_u64(from[0], &v));
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, &crit_id);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(crit, GT_ID0, &hc));
	ASSERT_EQ(0, gt_query(crit, hc, &q));
	EXPECT_EQ(AIOS_GPU_HELD, q.state);
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(crit_id, d.owner_id);
	EXPECT_EQ(1, d.preemptions);
	EXPECT_EQ(2, d.claims);
	ASSERT_EQ(0, aios_write_u64(to[1], 1));
	ASSERT_EQ(0, aios_wait(pid));
	EXPECT_EQ(0, gt_release(crit, hc));
	close(crit);
}

/* A holder that releases within its grace hands over at once. */
TEST_F(gpu, preempt_release_within_grace_hands_over)
{
	struct gt_claim cc = { .device_id = GT_ID0, .timeout_ms = 30000 };
	struct aios_gpu_query q;
	__u64 hc, v;
	pid_t pid;
	int from[2], crit;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	ASSERT_EQ(0, pipe(from));
	CHILD(pid) {
		/* a grace far longer than the claimant's timeout */
		struct gt_claim c = {
			.device_id = GT_ID0, .timeout_ms = -1,
			.signal = SIGUSR1, .grace_ms = 60000,
		};
		__u64 h;
		int fd;

		setpgid(0, 0);
		gt_handlers();
		fd = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gt_claim(fd, c, &h, NULL));
		ASSERT_EQ(0, aios_write_u64(from[1], h));
		while (!gt_usr1)
			usleep(1000);
		/* "checkpoint", then give the device back */
		ASSERT_EQ(0, gt_query(fd, h, &q));
		EXPECT_EQ(AIOS_GPU_PREEMPTING, q.state);
		EXPECT_NE(0, q.deadline_ns);
		ASSERT_EQ(0, gt_release(fd, h));
		close(fd);
	}
	ASSERT_EQ(0, aios_read_u64(from[0], &v));
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, NULL);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim(crit, cc, &hc, NULL));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(crit, hc));
	ASSERT_EQ(0, aios_wait(pid));	/* the holder was not revoked */
	EXPECT_EQ(0, gt_release(crit, hc));
	close(crit);
}

/* NONBLOCK preemption: EINPROGRESS with a handle to poll. */
TEST_F(gpu, preempt_nonblock_einprogress_then_held)
{
	struct gt_claim c = {
		.device_id = GT_ID0, .flags = AIOS_CLAIM_NONBLOCK,
	};
	struct aios_gpu_query q;
	struct gt_dev d;
	__u64 hl, hc;
	__u32 claimed;
	int low, crit;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0],
				   60000));
	low = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, NULL);
	ASSERT_LE(0, low);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(low, GT_ID0, &hl));
	ASSERT_EQ(-EINPROGRESS, gt_claim(crit, c, &hc, &claimed));
	EXPECT_NE(0, hc);
	EXPECT_EQ(GT_ID0, claimed);
	ASSERT_EQ(0, gt_query(crit, hc, &q));
	EXPECT_EQ(AIOS_GPU_WAITING, q.state);
	ASSERT_EQ(0, gt_query(low, hl, &q));
	EXPECT_EQ(AIOS_GPU_PREEMPTING, q.state);
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_EQ(AIOS_GPU_PREEMPTING, d.state);
	EXPECT_EQ(1, d.waiters);
	EXPECT_NE(0, d.deadline_ns);
	ASSERT_EQ(0, gt_release(low, hl));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(crit, hc));
	EXPECT_EQ(0, gt_release(crit, hc));
	close(low);
	close(crit);
}

/* A claimant that gives up withdraws the preemption it started. */
TEST_F(gpu, preempt_withdrawn_when_claimant_leaves)
{
	struct gt_claim c = {
		.device_id = GT_ID0, .flags = AIOS_CLAIM_NONBLOCK,
	};
	__u64 hl, hc;
	int low, crit;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0],
				   60000));
	low = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, NULL);
	ASSERT_LE(0, low);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(low, GT_ID0, &hl));
	ASSERT_EQ(-EINPROGRESS, gt_claim(crit, c, &hc, NULL));
	EXPECT_EQ(AIOS_GPU_PREEMPTING, gt_state(low, hl));
	ASSERT_EQ(0, gt_release(crit, hc));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(low, hl));
	EXPECT_EQ(0, gt_release(low, hl));
	close(low);
	close(crit);
}

/* Claims die with their agent and the next in line gets the device. */
TEST_F(gpu, agent_exit_hands_over)
{
	pid_t pid, helper;
	int up[2], down[2], fd;
	__u64 h, v;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	CHILD(pid) {
		int hfd = gt_agent("gt-mortal", AIOS_PRIO_NORMAL, true, NULL);
		__u64 hh;

		ASSERT_LE(0, hfd);
		ASSERT_EQ(0, gt_claim_dev(hfd, GT_ID0, &hh));
		ASSERT_EQ(0, aios_write_u64(up[1], hh));
		/* wait for the parent to queue up, then exit holding it */
		ASSERT_EQ(0, aios_read_u64(down[0], &hh));
		_exit(0);
	}
	ASSERT_EQ(0, aios_read_u64(up[0], &v));
	fd = gt_agent("gt-next", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, fd);
	CHILD(helper) {
		ASSERT_EQ(0, gt_wait_waiters(&self->nl, GT_ID0, 1));
		ASSERT_EQ(0, aios_write_u64(down[1], 1));
	}
	ASSERT_EQ(0, gt_claim_dev(fd, GT_ID0, &h));
	ASSERT_EQ(0, aios_wait(helper));
	ASSERT_EQ(0, aios_wait(pid));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(fd, h));
	EXPECT_EQ(0, gt_release(fd, h));
	close(fd);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* A killed holder's claim goes too; a killed waiter's wait ends ENOLINK. */
TEST_F(gpu, killed_agents_lose_claims)
{
	int boss, holder, waiter, p[2];
	__u64 hid, wid, h, v;
	pid_t pid;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	boss = gt_agent("gt-boss", AIOS_PRIO_NORMAL, false, NULL);
	ASSERT_LE(0, boss);
	ASSERT_EQ(0, aios_caps(boss, AIOS_CAPS_GRANT, 0,
			       AIOS_CAP_KILL_AGENT | AIOS_CAP_ADMIN, NULL,
			       NULL));
	holder = gt_agent("gt-holder", AIOS_PRIO_NORMAL, true, &hid);
	waiter = gt_agent("gt-waiter", AIOS_PRIO_NORMAL, true, &wid);
	ASSERT_LE(0, holder);
	ASSERT_LE(0, waiter);
	ASSERT_EQ(0, gt_claim_dev(holder, GT_ID0, &h));
	ASSERT_EQ(0, pipe(p));
	CHILD(pid) {
		__u64 hw;

		EXPECT_EQ(-ENOLINK, gt_claim_dev(waiter, GT_ID0, &hw));
		ASSERT_EQ(0, aios_write_u64(p[1], 1));
	}
	ASSERT_EQ(0, gt_wait_waiters(&self->nl, GT_ID0, 1));
	/* SIGCONT: the processes live on, only the agents go */
	ASSERT_EQ(0, aios_kill(boss, wid, SIGCONT, 0));
	ASSERT_EQ(0, aios_read_u64(p[0], &v));
	ASSERT_EQ(0, aios_wait(pid));
	EXPECT_EQ(0, gt_wait_waiters(&self->nl, GT_ID0, 0));
	ASSERT_EQ(0, aios_kill(boss, hid, SIGCONT, 0));
	EXPECT_EQ(0, gt_wait_state(&self->nl, GT_ID0, AIOS_GPU_FREE));
	EXPECT_EQ(-ENOLINK, gt_release(holder, h));
	close(boss);
	close(holder);
	close(waiter);
	close(p[0]);
	close(p[1]);
}

/* "any": a free device first, else preempt the lowest class below. */
TEST_F(gpu, any_device)
{
	struct gt_claim any = { .device_id = AIOS_GPU_ANY, .timeout_ms = -1 };
	struct gt_claim nb = any;
	struct gt_dev d0, d1;
	__u64 ha, hb, hc, v;
	__u32 ca, cb, cc;
	int low, norm, crit, other, p[2];
	pid_t pid;

	nb.flags = AIOS_CLAIM_NONBLOCK;
	low = gt_agent("gt-low", AIOS_PRIO_LOW, true, NULL);
	ASSERT_LE(0, low);
	/* no device registered at all */
	EXPECT_EQ(-ENOENT, gt_claim(low, any, NULL, NULL));

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0],
				   60000));
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0 + 1, self->env.node[1],
				   60000));
	norm = gt_agent("gt-normal", AIOS_PRIO_NORMAL, true, NULL);
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, NULL);
	other = gt_agent("gt-other", AIOS_PRIO_LOW, true, NULL);
	ASSERT_LE(0, norm);
	ASSERT_LE(0, crit);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, gt_claim(low, any, &ha, &ca));
	ASSERT_EQ(0, gt_claim(norm, any, &hb, &cb));
	EXPECT_NE(ca, cb);
	EXPECT_TRUE(ca == GT_ID0 || ca == GT_ID0 + 1);
	EXPECT_TRUE(cb == GT_ID0 || cb == GT_ID0 + 1);
	/* all busy, nobody below LOW: EBUSY */
	EXPECT_EQ(-EBUSY, gt_claim(other, nb, NULL, NULL));
	/* CRITICAL preempts the LOW holder, not the NORMAL one */
	nb.flags = AIOS_CLAIM_NONBLOCK;
	ASSERT_EQ(-EINPROGRESS, gt_claim(crit, nb, &hc, &cc));
	EXPECT_EQ(ca, cc);
	EXPECT_EQ(AIOS_GPU_PREEMPTING, gt_state(low, ha));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(norm, hb));
	ASSERT_EQ(0, gt_release(low, ha));
	EXPECT_EQ(AIOS_GPU_HELD, gt_state(crit, hc));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d0, NULL, 0));
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0 + 1, 0, &d1, NULL, 0));
	EXPECT_EQ(AIOS_PRIO_CRITICAL, cc == GT_ID0 ? d0.prio : d1.prio);
	/* a blocking "any" waiter gets whichever device frees first */
	ASSERT_EQ(0, pipe(p));
	CHILD(pid) {
		__u64 h;
		__u32 c;

		ASSERT_EQ(0, gt_claim(other, any, &h, &c));
		ASSERT_EQ(0, aios_write_u64(p[1], c));
		ASSERT_EQ(0, gt_release(other, h));
	}
	/* whether it queued before the release or not, it gets cb */
	usleep(50000);
	ASSERT_EQ(0, gt_release(norm, hb));
	ASSERT_EQ(0, aios_read_u64(p[0], &v));
	EXPECT_EQ(cb, v);
	ASSERT_EQ(0, aios_wait(pid));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, gt_release(crit, hc));
	close(low);
	close(norm);
	close(crit);
	close(other);
}

/* A device registered while an "any" claim waits goes to that claim. */
TEST_F(gpu, any_waiter_gets_new_device)
{
	struct gt_claim any = { .device_id = AIOS_GPU_ANY, .timeout_ms = -1 };
	__u64 h, v;
	pid_t pid;
	int a, b, p[2];

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	a = gt_agent("gt-a", AIOS_PRIO_NORMAL, true, NULL);
	b = gt_agent("gt-b", AIOS_PRIO_NORMAL, true, NULL);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, gt_claim_dev(a, GT_ID0, &h));
	ASSERT_EQ(0, pipe(p));
	CHILD(pid) {
		__u64 hb;
		__u32 c;

		ASSERT_EQ(0, gt_claim(b, any, &hb, &c));
		ASSERT_EQ(0, aios_write_u64(p[1], c));
		ASSERT_EQ(0, gt_release(b, hb));
	}
	usleep(50000);
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0 + 1, self->env.node[1],
				   0));
	ASSERT_EQ(0, aios_read_u64(p[0], &v));
	EXPECT_EQ(GT_ID0 + 1, v);
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(0, gt_release(a, h));
	close(a);
	close(b);
	close(p[0]);
	close(p[1]);
}

TEST_F(gpu, utilization_per_device_and_agent)
{
	struct gt_dev d, ag;
	char ext[256];
	__u64 id, h;
	int fd;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	fd = gt_agent("gt-user", AIOS_PRIO_NORMAL, true, &id);
	ASSERT_LE(0, fd);
	/* a live agent that never claimed: zero */
	ASSERT_EQ(0, gt_get(&self->nl, 0, id, &ag, NULL, 0));
	EXPECT_EQ(id, ag.owner_id);
	EXPECT_EQ(0, ag.util_ppm);
	EXPECT_EQ(0, ag.claims);

	ASSERT_EQ(0, gt_claim_dev(fd, GT_ID0, &h));
	usleep(200000);
	/* while held, the hold in progress counts */
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_LT(0, d.util_ppm);
	ASSERT_EQ(0, gt_release(fd, h));
	usleep(100000);
	ASSERT_EQ(0, gt_get(&self->nl, GT_ID0, 0, &d, NULL, 0));
	EXPECT_LT(0, d.util_ppm);
	EXPECT_GT(1000000, d.util_ppm);	/* it was free for a while */
	EXPECT_LT(0, d.util_window_ms);
	EXPECT_GE(60000, d.util_window_ms);
	ASSERT_EQ(0, gt_get(&self->nl, 0, id, &ag, NULL, 0));
	EXPECT_LT(0, ag.util_ppm);
	EXPECT_EQ(1, ag.claims);
	/* unknown agent; both selectors at once */
	EXPECT_EQ(-ESRCH, gt_get(&self->nl, 0, ~0ULL >> 1, &ag, ext,
				 sizeof(ext)));
	EXPECT_STREQ("no such agent", ext);
	EXPECT_EQ(-EINVAL, gt_get(&self->nl, GT_ID0, id, &ag, NULL, 0));
	EXPECT_EQ(-EINVAL, gt_get(&self->nl, 0, 0, &ag, NULL, 0));
	close(fd);
}

struct gt_ev_match {
	__u32 id, state;
	__u64 owner, handle;
};

static bool gt_ev_is(struct nlattr **tb, void *arg)
{
	struct gt_ev_match *m = arg;
	struct gt_dev d;

	if (gt_parse(tb[AIOS_A_GPU], &d))
		return false;
	return d.id == m->id && d.state == m->state && d.owner_id == m->owner &&
	       d.handle == m->handle && d.major == 1 &&
	       (d.present & (1U << AIOS_GPU_A_OWNER_PID));
}

TEST_F(gpu, events_claim_preempt_release)
{
	struct gt_claim nb = {
		.device_id = GT_ID0, .flags = AIOS_CLAIM_NONBLOCK,
	};
	struct gt_ev_match m = { .id = GT_ID0 };
	struct aios_nl ev;
	__u64 lid, cid, hl, hc;
	int low, crit;

	ASSERT_EQ(0, aios_nl_open(&ev));
	ASSERT_EQ(0, aios_nl_join(&ev, AIOS_MCGRP_EVENTS));
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0],
				   60000));
	low = gt_agent("gt-low", AIOS_PRIO_LOW, true, &lid);
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, &cid);
	ASSERT_LE(0, low);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(low, GT_ID0, &hl));
	m.state = AIOS_GPU_HELD;
	m.owner = lid;
	m.handle = hl;
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_GPU_CLAIM,
					gt_ev_is, &m, 5000));
	ASSERT_EQ(-EINPROGRESS, gt_claim(crit, nb, &hc, NULL));
	m.state = AIOS_GPU_PREEMPTING;
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_GPU_PREEMPT,
					gt_ev_is, &m, 5000));
	ASSERT_EQ(0, gt_release(low, hl));
	m.state = AIOS_GPU_RELEASED;
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_GPU_RELEASE,
					gt_ev_is, &m, 5000));
	m.state = AIOS_GPU_HELD;
	m.owner = cid;
	m.handle = hc;
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_GPU_CLAIM,
					gt_ev_is, &m, 5000));
	ASSERT_EQ(0, gt_release(crit, hc));
	aios_nl_close(&ev);
	close(low);
	close(crit);
}

TEST_F(gpu, event_on_revoke)
{
	struct gt_claim c = { .device_id = GT_ID0, .grace_ms = 1 };
	struct gt_claim cc = { .device_id = GT_ID0, .timeout_ms = -1 };
	struct gt_ev_match m = { .id = GT_ID0, .state = AIOS_GPU_REVOKED };
	struct aios_nl ev;
	__u64 lid, hl, hc;
	int up[2], down[2], crit;
	pid_t pid;

	ASSERT_EQ(0, aios_nl_open(&ev));
	ASSERT_EQ(0, aios_nl_join(&ev, AIOS_MCGRP_EVENTS));
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 0));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	/* the holder is its own process group: the revoke signal hits it */
	CHILD(pid) {
		int fd;
		__u64 v;

		setpgid(0, 0);
		gt_handlers();
		fd = gt_agent("gt-low", AIOS_PRIO_LOW, true, &lid);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gt_claim(fd, c, &hl, NULL));
		ASSERT_EQ(0, aios_write_u64(up[1], lid));
		ASSERT_EQ(0, aios_write_u64(up[1], hl));
		ASSERT_EQ(0, gt_wait_claim(fd, hl, AIOS_GPU_REVOKED));
		ASSERT_EQ(0, aios_read_u64(down[0], &v));
		close(fd);
	}
	ASSERT_EQ(0, aios_read_u64(up[0], &lid));
	ASSERT_EQ(0, aios_read_u64(up[0], &hl));
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, NULL);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim(crit, cc, &hc, NULL));
	m.owner = lid;
	m.handle = hl;
	EXPECT_EQ(0, aios_nl_wait_event(&ev, AIOS_CMD_NTF_GPU_REVOKE,
					gt_ev_is, &m, 5000));
	ASSERT_EQ(0, gt_release(crit, hc));
	close(crit);
	ASSERT_EQ(0, aios_write_u64(down[1], 1));
	ASSERT_EQ(0, aios_wait(pid));
	aios_nl_close(&ev);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

TEST_F(gpu, every_op_is_audited)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs;
	struct gt_claim nb = {
		.device_id = GT_ID0, .flags = AIOS_CLAIM_NONBLOCK,
	};
	unsigned int seen_low = 0, seen_crit = 0, claims_low = 0;
	unsigned int claims_crit_ok = 0, claims_crit_inprogress = 0;
	struct aios_t_status st;
	__u64 lid, cid, hl, hc;
	int low, crit, n;

	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0],
				   60000));
	low = gt_agent("gt-low", AIOS_PRIO_LOW, true, &lid);
	crit = gt_agent("gt-critical", AIOS_PRIO_CRITICAL, true, &cid);
	ASSERT_LE(0, low);
	ASSERT_LE(0, crit);
	ASSERT_EQ(0, gt_claim_dev(low, GT_ID0, &hl));
	ASSERT_EQ(-EINPROGRESS, gt_claim(crit, nb, &hc, NULL));
	ASSERT_EQ(0, gt_release(low, hl));
	ASSERT_EQ(0, gt_release(crit, hc));
	ASSERT_EQ(0, gt_unregister(&self->nl, GT_ID0, -1, NULL, 0));

	f.seq_after = st.next_seq - 1;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		if (recs[i].object != GT_ID0)
			continue;
		if (recs[i].agent_id == lid)
			seen_low |= 1U << (recs[i].op - AIOS_OP_GPU_BASE);
		if (recs[i].op == AIOS_OP_GPU_CLAIM && recs[i].agent_id == lid)
			claims_low++;
		if (recs[i].op == AIOS_OP_GPU_CLAIM && recs[i].agent_id == cid) {
			claims_crit_ok += recs[i].result == 0;
			claims_crit_inprogress += recs[i].result == -EINPROGRESS;
		}
		if (recs[i].agent_id == cid)
			seen_crit |= 1U << (recs[i].op - AIOS_OP_GPU_BASE);
		if (recs[i].op == AIOS_OP_GPU_REGISTER ||
		    recs[i].op == AIOS_OP_GPU_UNREGISTER)
			seen_low |= 1U << (recs[i].op - AIOS_OP_GPU_BASE + 8);
	}
	free(recs);
	/* one record per claim; a deferred grant gets its own */
	EXPECT_EQ(1, claims_low);
	EXPECT_EQ(1, claims_crit_inprogress);
	EXPECT_EQ(1, claims_crit_ok);
	EXPECT_TRUE(seen_low & (1U << (AIOS_OP_GPU_CLAIM - AIOS_OP_GPU_BASE)));
	EXPECT_TRUE(seen_low & (1U << (AIOS_OP_GPU_RELEASE - AIOS_OP_GPU_BASE)));
	/* the CRITICAL claim: claim (EINPROGRESS), preempt, grant, release */
	EXPECT_TRUE(seen_crit & (1U << (AIOS_OP_GPU_CLAIM - AIOS_OP_GPU_BASE)));
	EXPECT_TRUE(seen_crit & (1U << (AIOS_OP_GPU_PREEMPT - AIOS_OP_GPU_BASE)));
	EXPECT_TRUE(seen_crit & (1U << (AIOS_OP_GPU_RELEASE - AIOS_OP_GPU_BASE)));
	EXPECT_TRUE(seen_low & (1U << (AIOS_OP_GPU_REGISTER - AIOS_OP_GPU_BASE + 8)));
	EXPECT_TRUE(seen_low & (1U << (AIOS_OP_GPU_UNREGISTER - AIOS_OP_GPU_BASE + 8)));
	close(low);
	close(crit);
}

TEST_F(gpu, dump_rejects_selectors_and_get_needs_one)
{
	struct nl_msg *m;
	struct aios_nlreply r;
	struct gt_dev d;
	char ext[256];

	m = aios_nl_msg(&self->nl, AIOS_CMD_GPU_GET, NLM_F_DUMP);
	nla_put_u64(m, AIOS_A_AGENT_ID, 1);
	EXPECT_EQ(-EINVAL, aios_nl_xfer(&self->nl, m, &r));
	aios_nlreply_free(&r);
	EXPECT_EQ(-ENOENT, gt_get(&self->nl, GT_ID0 + 3, 0, &d, ext,
				  sizeof(ext)));
	EXPECT_STREQ("no such device", ext);
}

/*
 * Many agents of mixed classes claiming, waiting, preempting, timing out,
 * releasing and dying at once on two devices: every call ends with one
 * of the documented results, and in the end both devices are free with
 * nobody in line.
 */
TEST_F(gpu, stress_mixed_claimants)
{
	const int nproc = 6, rounds = 150;
	pid_t pids[6], victim;
	struct gt_dev d;

	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0, self->env.node[0], 3));
	ASSERT_EQ(0, gt_reg_simple(&self->nl, GT_ID0 + 1, self->env.node[1],
				   3));
	for (int i = 0; i < nproc; i++) {
		CHILD(pids[i]) {
			struct gt_claim c = { .grace_ms = 2 };
			unsigned int seed = getpid();
			int fd, ret, st;
			__u64 h;

			setpgid(0, 0);
			signal(SIGTERM, SIG_IGN);	/* gpu_revoke_signal */
			fd = gt_agent("gt-stress", AIOS_PRIO_HIGH + i % 3, true,
				      NULL);
			ASSERT_LE(0, fd);
			for (int r = 0; r < rounds; r++) {
				c.device_id = rand_r(&seed) % 3 ?
					      GT_ID0 + rand_r(&seed) % 2 :
					      AIOS_GPU_ANY;
				c.flags = rand_r(&seed) % 4 ? 0 :
					  AIOS_CLAIM_NONBLOCK;
				c.timeout_ms = rand_r(&seed) % 30;
				ret = gt_claim(fd, c, &h, NULL);
				if (ret == -EBUSY || ret == -ETIMEDOUT)
					continue;
				ASSERT_TRUE(ret == 0 || ret == -EINPROGRESS)
					TH_LOG("claim: %s", strerror(-ret));
				usleep(rand_r(&seed) % 2000);
				st = gt_state(fd, h);
				ASSERT_TRUE(st == AIOS_GPU_HELD ||
					    st == AIOS_GPU_PREEMPTING ||
					    st == AIOS_GPU_REVOKED ||
					    st == AIOS_GPU_WAITING)
					TH_LOG("state %d", st);
				ASSERT_EQ(0, gt_release(fd, h));
				ASSERT_EQ(-EINVAL, gt_release(fd, h));
			}
			close(fd);
		}
	}
	/* one more that dies holding (or waiting for) a device */
	CHILD(victim) {
		__u64 h;
		int fd;

		setpgid(0, 0);
		signal(SIGTERM, SIG_IGN);
		fd = gt_agent("gt-victim", AIOS_PRIO_LOW, true, NULL);
		ASSERT_LE(0, fd);
		for (;;)
			if (!gt_claim_dev(fd, GT_ID0, &h))
				pause();
	}
	usleep(100000);
	kill(victim, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, aios_wait(victim));
	for (int i = 0; i < nproc; i++)
		EXPECT_EQ(0, aios_wait(pids[i]));
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(0, gt_wait_state(&self->nl, GT_ID0 + i,
					   AIOS_GPU_FREE));
		ASSERT_EQ(0, gt_get(&self->nl, GT_ID0 + i, 0, &d, NULL, 0));
		EXPECT_EQ(0, d.waiters);
	}
}

TEST_HARNESS_MAIN
