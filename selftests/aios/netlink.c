// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "aios": status, agent get/dump, strict
 * attribute validation with extack messages, permission rules, kill and
 * migrate over netlink, and the "events" multicast group.
 */
#include "aios_test.h"
#include "kselftest_harness.h"

#define NO_AGENT	(1ULL << 62)

FIXTURE(nl) {
	struct aios_nl nl;
	struct aios_t_status base;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
}

FIXTURE_TEARDOWN(nl)
{
	aios_nl_close(&self->nl);
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			pause();
	return pid;
}

/* Send m and expect an error with a non-empty extack message. */
#define EXPECT_NL_ERR(nl, m, err) do {					\
	struct aios_nlreply __r;					\
	int __ret = aios_nl_xfer((nl), (m), &__r);			\
	EXPECT_EQ((err), __ret);					\
	EXPECT_NE(0, __r.extack[0]) {					\
		TH_LOG("no extack message (%s:%d)", __FILE__, __LINE__);\
	}								\
	aios_nlreply_free(&__r);					\
} while (0)

static int xfer_simple(struct aios_nl *nl, struct nl_msg *m)
{
	struct aios_nlreply r;
	int ret = aios_nl_xfer(nl, m, &r);

	aios_nlreply_free(&r);
	return ret;
}

/* --- basic commands ------------------------------------------------- */

TEST_F(nl, family_and_groups_resolve)
{
	ASSERT_LT(0, self->nl.family);
	ASSERT_LE(0, genl_ctrl_resolve_grp(self->nl.sk, AIOS_GENL_NAME,
					   AIOS_MCGRP_EVENTS));
	ASSERT_LE(0, genl_ctrl_resolve_grp(self->nl.sk, AIOS_GENL_NAME,
					   AIOS_MCGRP_AUDIT));
}

TEST_F(nl, status_reports_everything)
{
	const unsigned int all = (1U << (AIOS_STATUS_A_MAX + 1)) - 4;
	struct aios_t_status st;
	struct aios_api api;
	__u64 id = 0;
	int fd = aios_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_api(fd, &api));
	ASSERT_EQ(all, self->base.present & all);
	ASSERT_EQ(AIOS_API_VERSION, self->base.api_version);
	ASSERT_EQ(api.features, self->base.features);
	ASSERT_EQ(0, aios_register(fd, "status", AIOS_PRIO_NORMAL, &id, NULL));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(self->base.agents + 1, st.agents);
	ASSERT_LT(id, st.next_agent_id);
	ASSERT_LE(self->base.next_agent_id, id);
	close(fd);
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
}

TEST_F(nl, agent_get_and_dump)
{
	struct aios_t_agent *all, a;
	__u64 ids[3] = { 0 };
	const char *names[3] = { "dump-a", "dump-b", "dump-c" };
	int fds[3], n, found = 0;
	struct aios_t_status st;

	for (int i = 0; i < 3; i++) {
		fds[i] = aios_new_agent(names[i], &ids[i]);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, aios_nl_agent_get(&self->nl, ids[1], &a));
	EXPECT_EQ(ids[1], a.id);
	EXPECT_STREQ("dump-b", a.name);
	EXPECT_EQ(getpid(), a.pid);
	EXPECT_EQ(geteuid(), a.uid);
	EXPECT_EQ(self->base.default_caps, a.caps);
	EXPECT_EQ(AIOS_AGENT_LIVE, a.state);
	EXPECT_EQ(AIOS_PRIO_NORMAL, a.prio);
	EXPECT_NE(0, a.created_ns);

	ASSERT_EQ(0, aios_nl_agents(&self->nl, &all, &n));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(st.agents, n);
	for (int i = 0; i < n; i++) {
		ASSERT_NE(0, all[i].id);
		for (int j = 0; j < 3; j++) {
			if (all[i].id != ids[j])
				continue;
			found++;
			EXPECT_STREQ(names[j], all[i].name);
		}
	}
	free(all);
	ASSERT_EQ(3, found);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

TEST_F(nl, agent_get_unknown_esrch)
{
	struct aios_t_agent a;

	ASSERT_EQ(-ESRCH, aios_nl_agent_get(&self->nl, NO_AGENT, &a));
}

/* --- strict validation ---------------------------------------------- */

TEST_F(nl, unknown_attribute_einval)
{
	struct nl_msg *m;

	m = aios_nl_msg(&self->nl, AIOS_CMD_STATUS_GET, 0);
	nla_put_u32(m, AIOS_A_MAX + 1, 1);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);

	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, 1);
	nla_put_u32(m, 200, 1);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);

	/* dumps are validated too */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, NLM_F_DUMP);
	nla_put_u32(m, AIOS_A_MAX + 1, 1);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);

	/* AIOS_A_UNSPEC is not an attribute either */
	m = aios_nl_msg(&self->nl, AIOS_CMD_CAPS_GET, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, 1);
	nla_put_u32(m, AIOS_A_UNSPEC, 1);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
}

TEST_F(nl, wrong_type_or_length_einval)
{
	__u64 id = 0;
	int fd = aios_new_agent("strict", &id);
	struct nl_msg *m;
	char twelve[12] = { 0 };

	ASSERT_LE(0, fd);
	/* u64 attribute sent as u32 */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, 0);
	nla_put_u32(m, AIOS_A_AGENT_ID, (__u32)id);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	/* u64 attribute with trailing bytes */
	memcpy(twelve, &id, sizeof(id));
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, 0);
	nla_put(m, AIOS_A_AGENT_ID, sizeof(twelve), twelve);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	/* u32 attribute sent as u64 */
	m = aios_nl_msg(&self->nl, AIOS_CMD_CAPS_GET, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, id);
	nla_put_u64(m, AIOS_A_CALLER_FD, fd);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	/* u64 filter of a dump sent as u16 */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AUDIT_GET, NLM_F_DUMP);
	nla_put_u32(m, AIOS_A_CALLER_FD, fd);
	nla_put_u16(m, AIOS_A_SEQ_AFTER, 1);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	/* empty attribute */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, 0);
	nla_put(m, AIOS_A_AGENT_ID, 0, NULL);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	close(fd);
}

TEST_F(nl, missing_required_attribute_einval)
{
	struct nl_msg *m;

	/* AGENT_GET "do" needs an agent id (anyone may ask) */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_GET, 0);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);

	if (!aios_have_sys_admin())
		SKIP(return, "the rest reach validation only as admin");
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_KILL, 0);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_MIGRATE, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, NO_AGENT);	/* no cpumask */
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	m = aios_nl_msg(&self->nl, AIOS_CMD_CAPS_GRANT, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, NO_AGENT);	/* no caps */
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	m = aios_nl_msg(&self->nl, AIOS_CMD_CAPS_REVOKE, 0);
	nla_put_u64(m, AIOS_A_CAPS, AIOS_CAP_ACCESS_FS);	/* no id */
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	m = aios_nl_msg(&self->nl, AIOS_CMD_AUDIT_CONFIG, 0);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	/* wrong length on an admin-only command */
	m = aios_nl_msg(&self->nl, AIOS_CMD_AUDIT_CONFIG, 0);
	nla_put_u64(m, AIOS_A_RING_SIZE, 16);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
}

TEST_F(nl, unknown_command_eopnotsupp)
{
	__u8 cmds[] = { AIOS_CMD_UNSPEC, AIOS_CMD_AUDIT_CONFIG + 1,
			AIOS_CMD_QUEUE_BASE + 0xf, AIOS_CMD_GPU_BASE + 0xf,
			AIOS_CMD_IPC_BASE + 0xf,
			AIOS_CMD_NTF_AGENT_NEW, AIOS_CMD_NTF_AUDIT, 0xff };

	for (unsigned int i = 0; i < sizeof(cmds); i++) {
		EXPECT_EQ(-EOPNOTSUPP,
			  xfer_simple(&self->nl,
				      aios_nl_msg(&self->nl, cmds[i], 0))) {
			TH_LOG("cmd %#x", cmds[i]);
		}
	}
}

/* --- permissions ---------------------------------------------------- */

static void unprivileged_paths(struct __test_metadata *_metadata,
			       struct aios_nl *nl, __u64 other_id)
{
	cpu_set_t cur;
	struct aios_t_agent a;
	struct nl_msg *m;
	char ext[256];
	__u64 eff = 0;

	/* open to anyone */
	ASSERT_EQ(0, aios_nl_agent_get(nl, other_id, &a));
	ASSERT_EQ(0, aios_nl_caps(nl, AIOS_CMD_CAPS_GET, -1, other_id, 0,
				  &eff, NULL, 0));
	/* GENL_ADMIN_PERM */
	ASSERT_EQ(-EPERM, aios_nl_audit_config(nl, 16, NULL, 0));
	/* admin or an ADMIN agent */
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_caps(nl, AIOS_CMD_CAPS_GRANT, -1, other_id,
				       AIOS_CAP_ACCESS_FS, NULL, ext,
				       sizeof(ext)));
	ASSERT_STREQ("ADMIN required", ext);
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_caps(nl, AIOS_CMD_CAPS_REVOKE, -1, other_id,
				       AIOS_CAP_SPAWN_AGENT, NULL, ext,
				       sizeof(ext)));
	ASSERT_STREQ("ADMIN required", ext);
	/* kill / migrate without a caller agent need CAP_SYS_ADMIN */
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_kill(nl, -1, other_id, SIGTERM, 0, ext,
				       sizeof(ext)));
	ASSERT_NE(0, ext[0]);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	m = aios_nl_msg(nl, AIOS_CMD_AGENT_MIGRATE, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, other_id);
	nla_put(m, AIOS_A_CPUMASK, sizeof(cur), &cur);
	EXPECT_NL_ERR(nl, m, -EPERM);
	/* the audit ring without a caller agent */
	struct aios_t_audit *recs;
	int n;

	ASSERT_EQ(-EPERM, aios_nl_audit(nl, AIOS_NO_FILTER, &recs, &n, NULL,
					0));
	/* and the victim is untouched */
	ASSERT_EQ(0, aios_nl_agent_get(nl, other_id, &a));
	ASSERT_EQ(AIOS_AGENT_LIVE, a.state);
}

TEST_F(nl, admin_only_commands_refuse_unprivileged)
{
	__u64 vid = 0;
	int vfd = aios_new_agent("victim", &vid);
	pid_t pid;

	ASSERT_LE(0, vfd);
	if (!aios_have_sys_admin()) {
		unprivileged_paths(_metadata, &self->nl, vid);
		close(vfd);
		return;
	}
	CHILD(pid) {
		struct aios_nl nl;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		unprivileged_paths(_metadata, &nl, vid);
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
	close(vfd);
}

/* A caller agent without KILL_AGENT is refused with the reason. */
TEST_F(nl, kill_with_caller_fd_needs_capability)
{
	char ext[256] = "";
	__u64 cid = 0;
	int fd = aios_new_agent("nl-caller", NULL);
	int cfd;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, 0, "child", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(-EPERM, aios_nl_kill(&self->nl, fd, cid, SIGTERM, 0, ext,
				       sizeof(ext)));
	ASSERT_STREQ("KILL_AGENT required", ext);
	struct aios_denial d;

	ASSERT_EQ(0, aios_last_denial(fd, &d));
	ASSERT_EQ(AIOS_OP_KILL, d.op);
	ASSERT_STREQ("KILL_AGENT required", d.reason);
	/* a caller fd that is not an aios agent file is rejected */
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, nullfd);
	ext[0] = 0;
	ASSERT_EQ(-EINVAL, aios_nl_kill(&self->nl, nullfd, cid, SIGTERM, 0,
					ext, sizeof(ext)));
	ASSERT_NE(0, ext[0]);
	/* and one that is not open at all */
	ext[0] = 0;
	ASSERT_EQ(-EBADF, aios_nl_kill(&self->nl, 9999, cid, SIGTERM, 0,
				       ext, sizeof(ext)));
	ASSERT_NE(0, ext[0]);
	close(nullfd);
	close(cfd);
	close(fd);
}

/* --- kill and migrate over netlink (as root) ------------------------ */

struct want_agent {
	__u64 id;
	__u32 reason;
	bool has_reason;
	struct aios_t_agent a;
};

static bool match_agent(struct nlattr **tb, void *arg)
{
	struct want_agent *w = arg;
	struct aios_t_agent a;

	if (aios_parse_agent(tb[AIOS_A_AGENT], &a) || a.id != w->id)
		return false;
	w->a = a;
	w->has_reason = tb[AIOS_A_REASON] != NULL;
	if (w->has_reason)
		w->reason = nla_get_u32(tb[AIOS_A_REASON]);
	return true;
}

TEST_F(nl, kill_as_sys_admin)
{
	struct want_agent w = { 0 };
	struct aios_nl mc;
	char ext[256];
	__u64 cid = 0;
	pid_t pid;
	int fd, pidfd, cfd;

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, aios_nl_open(&mc));
	ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_EVENTS));
	fd = aios_new_agent("parent", NULL);
	ASSERT_LE(0, fd);
	pid = sleeper();
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "nl-victim", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);

	/* signal outside 0..63 is EINVAL, as for the ioctl */
	EXPECT_EQ(-EINVAL, aios_nl_kill(&self->nl, -1, cid, 64, 0, ext,
					sizeof(ext)));
	EXPECT_EQ(-EINVAL, aios_nl_kill(&self->nl, -1, cid, SIGTERM, 1U << 5,
					ext, sizeof(ext)));
	ASSERT_EQ(-ESRCH, aios_nl_kill(&self->nl, -1, NO_AGENT, SIGTERM, 0,
				       NULL, 0));
	ASSERT_EQ(0, aios_nl_kill(&self->nl, -1, cid, SIGTERM, 0, ext,
				  sizeof(ext)));
	ASSERT_EQ(128 + SIGTERM, aios_wait(pid));
	w.id = cid;
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AGENT_DEL,
					match_agent, &w, 5000));
	ASSERT_TRUE(w.has_reason);
	ASSERT_EQ(AIOS_EXIT_KILLED, w.reason);
	struct aios_agent_info info;

	ASSERT_EQ(0, aios_info(cfd, &info));
	ASSERT_EQ(AIOS_AGENT_DEAD, info.state);
	close(cfd);
	close(pidfd);
	close(fd);
	aios_nl_close(&mc);
}

TEST_F(nl, migrate_as_sys_admin)
{
	cpu_set_t cur, want, got;
	struct aios_t_agent a;
	struct nl_msg *m;
	__u64 cid = 0;
	pid_t pid;
	int fd, pidfd, cfd, cpu = -1;

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cur))
			cpu = c;
	CPU_ZERO(&want);
	CPU_SET(cpu, &want);
	fd = aios_new_agent("parent", NULL);
	ASSERT_LE(0, fd);
	pid = sleeper();
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "nl-migrant", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);

	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_MIGRATE, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, cid);
	nla_put(m, AIOS_A_CPUMASK, 7, &want);
	EXPECT_NL_ERR(&self->nl, m, -EINVAL);
	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_MIGRATE, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, NO_AGENT);
	nla_put(m, AIOS_A_CPUMASK, sizeof(want), &want);
	ASSERT_EQ(-ESRCH, xfer_simple(&self->nl, m));

	m = aios_nl_msg(&self->nl, AIOS_CMD_AGENT_MIGRATE, 0);
	nla_put_u64(m, AIOS_A_AGENT_ID, cid);
	nla_put(m, AIOS_A_CPUMASK, 8, &want);
	ASSERT_EQ(0, xfer_simple(&self->nl, m));
	ASSERT_EQ(0, sched_getaffinity(pid, sizeof(got), &got));
	ASSERT_TRUE(CPU_EQUAL(&want, &got));
	ASSERT_EQ(0, aios_nl_agent_get(&self->nl, cid, &a));
	ASSERT_LT(cpu / 8, a.cpus_len);
	ASSERT_EQ(1ULL << (cpu % 64), a.cpus[cpu / 64]);
	close(cfd);
	close(pidfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

/* --- events group --------------------------------------------------- */

TEST_F(nl, events_agent_new_and_del)
{
	struct want_agent w = { 0 };
	struct aios_nl mc;
	int fd;

	ASSERT_EQ(0, aios_nl_open(&mc));
	ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_EVENTS));
	fd = aios_new_agent("evented", &w.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AGENT_NEW,
					match_agent, &w, 5000));
	EXPECT_STREQ("evented", w.a.name);
	EXPECT_EQ(getpid(), w.a.pid);
	EXPECT_EQ(self->base.default_caps, w.a.caps);
	close(fd);
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AGENT_DEL,
					match_agent, &w, 5000));
	ASSERT_TRUE(w.has_reason);
	ASSERT_EQ(AIOS_EXIT_CLOSED, w.reason);
	aios_nl_close(&mc);
}

TEST_F(nl, events_for_spawned_and_sigkilled)
{
	struct want_agent w = { 0 };
	struct aios_nl mc;
	int to_parent[2];
	__u64 cid = 0;
	pid_t pid;

	ASSERT_EQ(0, aios_nl_open(&mc));
	ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_EVENTS));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = aios_new_agent("doomed", NULL);

		if (fd < 0 || aios_spawn(fd, 0, "doomed-child", -1, 0,
					 &cid) < 0)
			_exit(1);
		aios_write_u64(to_parent[1], cid);
		for (;;)
			pause();
	}
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &cid));
	w.id = cid;
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AGENT_NEW,
					match_agent, &w, 5000));
	EXPECT_STREQ("doomed-child", w.a.name);
	EXPECT_NE(0, w.a.parent_id);
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, aios_wait(pid));
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AGENT_DEL,
					match_agent, &w, 5000));
	ASSERT_TRUE(w.has_reason);
	ASSERT_EQ(AIOS_EXIT_CLOSED, w.reason);
	aios_nl_close(&mc);
}

/* Grant and revoke are announced on "events" with the new caps. */
TEST_F(nl, events_caps_change)
{
	struct want_agent w = { 0 };
	struct aios_nl mc;
	int fd;

	if (!aios_have_sys_admin())
		SKIP(return, "granting needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, aios_nl_open(&mc));
	ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_EVENTS));
	fd = aios_new_agent("caps-evented", &w.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GRANT, -1, w.id,
				  AIOS_CAP_ACCESS_GPU, NULL, NULL, 0));
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_CAPS, match_agent,
					&w, 5000));
	ASSERT_EQ(self->base.default_caps | AIOS_CAP_ACCESS_GPU, w.a.caps);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_REVOKE, 0, AIOS_CAP_ACCESS_GPU |
			       AIOS_CAP_SPAWN_AGENT, NULL, NULL));
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_CAPS, match_agent,
					&w, 5000));
	ASSERT_EQ(self->base.default_caps & ~AIOS_CAP_SPAWN_AGENT, w.a.caps);
	close(fd);
	aios_nl_close(&mc);
}

/* A caller agent with KILL_AGENT kills its descendant over netlink. */
TEST_F(nl, kill_with_caller_fd)
{
	struct aios_agent_info info;
	__u64 cid = 0;
	int fd, cfd;

	if (!aios_have_sys_admin())
		SKIP(return, "granting KILL_AGENT needs CAP_SYS_ADMIN");
	fd = aios_new_agent("nl-killer", NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_GRANT, 0, AIOS_CAP_KILL_AGENT,
			       NULL, NULL));
	cfd = aios_spawn(fd, 0, "nl-child", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	signal(SIGUSR1, SIG_IGN);
	ASSERT_EQ(0, aios_nl_kill(&self->nl, fd, cid, SIGUSR1, 0, NULL, 0));
	ASSERT_EQ(-ENOLINK, aios_caps(cfd, AIOS_CAPS_GET, 0, 0, NULL, NULL));
	ASSERT_EQ(0, aios_info(cfd, &info));
	ASSERT_EQ(cid, info.agent_id);
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, cid, NULL));
	close(cfd);
	close(fd);
}

TEST_HARNESS_MAIN
