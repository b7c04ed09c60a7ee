// SPDX-License-Identifier: GPL-2.0
/*
 * Agent registry: register/unregister, ids, names, agent info, spawn,
 * kill, migrate and cleanup when an agent's process dies.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "aios_test.h"
#include "kselftest_harness.h"

#define NO_AGENT	(1ULL << 62)

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* A child process that just waits to be signalled.  pgrp: 0 = keep the
 * caller's process group, -1 = lead a new one, else join that one. */
static pid_t sleeper(pid_t pgrp)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (pgrp)
			setpgid(0, pgrp < 0 ? 0 : pgrp);
		for (;;)
			pause();
	}
	if (pid > 0 && pgrp)
		setpgid(pid, pgrp < 0 ? pid : pgrp);
	return pid;
}

static bool alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The caller's last denial must be exactly this. */
static void expect_denial(struct __test_metadata *_metadata, int fd,
			  __u32 op, __u64 cap, const char *reason)
{
	struct aios_denial d;

	ASSERT_EQ(0, aios_last_denial(fd, &d));
	EXPECT_EQ(op, d.op);
	EXPECT_EQ(-EPERM, d.error);
	EXPECT_EQ(cap, d.cap_required);
	EXPECT_STREQ(reason, d.reason);
	EXPECT_NE(0, d.op_id);
	EXPECT_NE(0, d.audit_seq);
}

/*
 * An agent holding KILL_AGENT.  Only an admin can grant it, so this
 * needs CAP_SYS_ADMIN; without it the test is skipped.
 */
#define KILLER(fd, id) do {						\
	if (!aios_have_sys_admin())					\
		SKIP(return, "granting KILL_AGENT needs CAP_SYS_ADMIN"); \
	(fd) = aios_new_agent("killer", &(id));				\
	ASSERT_LE(0, (fd));						\
	ASSERT_EQ(0, aios_caps((fd), AIOS_CAPS_GRANT, 0,		\
			       AIOS_CAP_KILL_AGENT, NULL, NULL));	\
} while (0)

FIXTURE(ag) {
	struct aios_nl nl;
	struct aios_t_status base;
};

FIXTURE_SETUP(ag)
{
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
}

FIXTURE_TEARDOWN(ag)
{
	aios_nl_close(&self->nl);
}

/* --- register ------------------------------------------------------- */

TEST_F(ag, register_info_and_dump)
{
	struct aios_agent_info info;
	struct aios_t_agent a;
	__u64 id = 0, caps = 0, before, after;
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	before = aios_boottime_ns();
	ASSERT_EQ(0, aios_register(fd, "reg-test", AIOS_PRIO_HIGH, &id, &caps));
	after = aios_boottime_ns();
	ASSERT_NE(0, id);
	ASSERT_EQ(self->base.default_caps, caps);

	ASSERT_EQ(0, aios_info(fd, &info));
	EXPECT_EQ(id, info.agent_id);
	EXPECT_EQ(0, info.parent_id);
	EXPECT_EQ(caps, info.caps);
	EXPECT_EQ(AIOS_PRIO_HIGH, info.prio);
	EXPECT_EQ(AIOS_AGENT_LIVE, info.state);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_LE(before, info.created_ns);
	EXPECT_GE(after, info.created_ns);
	EXPECT_STREQ("reg-test", info.name);

	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, id, &a));
	EXPECT_EQ(0, a.parent_id);
	EXPECT_EQ(caps, a.caps);
	EXPECT_EQ(AIOS_PRIO_HIGH, a.prio);
	EXPECT_EQ(AIOS_AGENT_LIVE, a.state);
	EXPECT_EQ(getpid(), a.pid);
	EXPECT_EQ(geteuid(), a.uid);
	EXPECT_EQ(info.created_ns, a.created_ns);
	EXPECT_STREQ("reg-test", a.name);
	EXPECT_EQ(self->base.agents + 1,
		  aios_wait_agent_count(&self->nl, self->base.agents + 1));

	/* closing the only reference unregisters it */
	close(fd);
	EXPECT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	EXPECT_EQ(0, aios_nl_agent_in_dump(&self->nl, id, NULL));
}

TEST_F(ag, ids_increase_and_are_never_reused)
{
	struct aios_t_status st;
	__u64 prev = 0, id = 0;

	for (int i = 0; i < 8; i++) {
		int fd = aios_new_agent("ids", &id);

		ASSERT_LE(0, fd);
		ASSERT_LT(prev, id);
		ASSERT_LE(self->base.next_agent_id, id);
		prev = id;
		close(fd);
	}
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_LT(prev, st.next_agent_id);
}

TEST_F(ag, register_name_validation)
{
	static const char *const bad[] = {
		"", "\x01" "ctl", "new\nline", "tab\there", "del\x7f", "\x1b[0m",
	};
	struct aios_register r;
	struct aios_agent_info info;
	char longest[AIOS_NAME_MAX];
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, aios_register(fd, bad[i], AIOS_PRIO_NORMAL,
						 NULL, NULL)) {
			TH_LOG("name #%u accepted", i);
		}
	}
	/* not NUL-terminated within AIOS_NAME_MAX */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.prio = AIOS_PRIO_NORMAL;
	memset(r.name, 'x', sizeof(r.name));
	EXPECT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_REGISTER, &r));

	/* the failures left the file READY; the longest name is fine */
	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	ASSERT_EQ(0, aios_register(fd, longest, AIOS_PRIO_NORMAL, NULL, NULL));
	ASSERT_EQ(0, aios_info(fd, &info));
	ASSERT_STREQ(longest, info.name);
	close(fd);
}

TEST_F(ag, register_prio_validation)
{
	__u32 bad[] = { AIOS_PRIO_LOW + 1, 0x7fffffff, 0xffffffff };

	for (unsigned int i = 0; i < 3; i++) {
		int fd = aios_open_ready();

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, aios_register(fd, "prio", bad[i], NULL,
						 NULL)) {
			TH_LOG("prio %u accepted", bad[i]);
		}
		close(fd);
	}
	for (__u32 p = AIOS_PRIO_CRITICAL; p <= AIOS_PRIO_LOW; p++) {
		struct aios_agent_info info;
		struct aios_t_agent a;
		__u64 id = 0;
		int fd = aios_open_ready();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, aios_register(fd, "prio", p, &id, NULL));
		ASSERT_EQ(0, aios_info(fd, &info));
		EXPECT_EQ(p, info.prio);
		ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, id, &a));
		EXPECT_EQ(p, a.prio);
		close(fd);
	}
}

/* The agent stays while any reference to its file exists. */
TEST_F(ag, agent_lives_while_file_is_referenced)
{
	__u64 id = 0;
	int fd = aios_new_agent("dup", &id);
	int fd2;

	ASSERT_LE(0, fd);
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	close(fd);
	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, id, NULL));
	ASSERT_EQ(id, aios_id_of(fd2));
	close(fd2);
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, id, NULL));
}

/* --- spawn ---------------------------------------------------------- */

TEST_F(ag, spawn_without_pidfd)
{
	struct aios_agent_info info;
	struct aios_api api;
	struct aios_noop noop = { .size = sizeof(noop) };
	struct aios_t_agent a;
	__u64 pid_id = 0, cid = 0;
	int fd = aios_new_agent("parent", &pid_id);
	int cfd;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, 0, "child", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_LT(pid_id, cid);
	ASSERT_EQ(0, aios_info(cfd, &info));
	EXPECT_EQ(cid, info.agent_id);
	EXPECT_EQ(pid_id, info.parent_id);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(self->base.default_caps, info.caps);
	EXPECT_EQ(AIOS_PRIO_NORMAL, info.prio);
	EXPECT_STREQ("child", info.name);
	/* no AIOS_SPAWN_CLOEXEC: inherited across exec */
	EXPECT_EQ(0, fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	/* the new file is an agent file, already past the handshake */
	EXPECT_EQ(-EALREADY, aios_api(cfd, &api));
	EXPECT_EQ(0, aios_ioctl(cfd, AIOS_IOC_NOOP, &noop));

	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, cid, &a));
	EXPECT_EQ(pid_id, a.parent_id);
	EXPECT_STREQ("child", a.name);
	close(cfd);
	close(fd);
}

TEST_F(ag, spawn_cloexec)
{
	__u64 id;
	int fd = aios_new_agent("parent", &id);
	int cfd;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, AIOS_SPAWN_CLOEXEC, "child", -1, 0, NULL);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	close(cfd);
	close(fd);
}

TEST_F(ag, spawn_with_pidfd)
{
	struct aios_agent_info info;
	struct aios_t_agent a;
	__u64 id = 0, cid = 0;
	int fd = aios_new_agent("parent", &id);
	pid_t pid = sleeper(0);
	int pidfd, cfd;

	ASSERT_LE(0, fd);
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "worker", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_info(cfd, &info));
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(id, info.parent_id);
	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, cid, &a));
	EXPECT_EQ(pid, a.pid);
	close(cfd);
	close(pidfd);
	reap(pid);
	close(fd);
}

TEST_F(ag, spawn_bad_pidfd)
{
	int fd = aios_new_agent("parent", NULL);
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, nullfd);
	/* not an open fd */
	ASSERT_EQ(-EBADF, aios_spawn(fd, AIOS_SPAWN_PIDFD, "c", 999, 0, NULL));
	ASSERT_EQ(-EBADF, aios_spawn(fd, AIOS_SPAWN_PIDFD, "c", -1, 0, NULL));
	/* an fd that is not a pidfd (EBADF, like pidfd_send_signal()) */
	ASSERT_EQ(-EBADF, aios_spawn(fd, AIOS_SPAWN_PIDFD, "c", nullfd, 0,
				      NULL));
	ASSERT_EQ(self->base.agents + 1,
		  aios_wait_agent_count(&self->nl, self->base.agents + 1));
	close(nullfd);
	close(fd);
}

TEST_F(ag, spawn_bad_args)
{
	int fd = aios_new_agent("parent", NULL);
	struct aios_spawn s;

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EINVAL, aios_spawn(fd, 0, "", -1, 0, NULL));
	ASSERT_EQ(-EINVAL, aios_spawn(fd, 0, "bad\x01", -1, 0, NULL));
	ASSERT_EQ(-EINVAL, aios_spawn(fd, AIOS_SPAWN_CAPS, "c", -1,
				      AIOS_CAP_ALL + 1, NULL));
	ASSERT_EQ(-EINVAL, aios_spawn(fd, AIOS_SPAWN_CAPS, "c", -1,
				      1ULL << 63, NULL));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.prio = AIOS_PRIO_LOW + 1;
	strcpy(s.name, "c");
	ASSERT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_SPAWN, &s));
	memset(s.name, 'x', sizeof(s.name));
	s.prio = AIOS_PRIO_LOW;
	ASSERT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_SPAWN, &s));
	close(fd);
}

TEST_F(ag, spawn_caps_subset_of_parent)
{
	struct aios_agent_info info;
	__u64 pcaps = 0, extra;
	int fd = aios_open_ready();
	int cfd;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_register(fd, "parent", AIOS_PRIO_NORMAL, NULL,
				   &pcaps));
	ASSERT_NE(AIOS_CAP_ALL, pcaps);

	/* explicit subset */
	cfd = aios_spawn(fd, AIOS_SPAWN_CAPS, "sub", -1,
			 pcaps & AIOS_CAP_SPAWN_AGENT, NULL);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_info(cfd, &info));
	EXPECT_EQ(pcaps & AIOS_CAP_SPAWN_AGENT, info.caps);
	close(cfd);

	/* empty set */
	cfd = aios_spawn(fd, AIOS_SPAWN_CAPS, "none", -1, 0, NULL);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_info(cfd, &info));
	EXPECT_EQ(0, info.caps);
	close(cfd);

	/* one bit more than the parent: refused even for root */
	extra = __builtin_ctzll(~pcaps & AIOS_CAP_ALL);
	extra = 1ULL << extra;
	ASSERT_EQ(-EPERM, aios_spawn(fd, AIOS_SPAWN_CAPS, "more", -1,
				     pcaps | extra, NULL));
	expect_denial(_metadata, fd, AIOS_OP_SPAWN, extra,
		      "child capabilities exceed parent's");
	EXPECT_EQ(self->base.agents + 1,
		  aios_wait_agent_count(&self->nl, self->base.agents + 1));
	close(fd);
}

TEST_F(ag, spawn_needs_spawn_agent)
{
	__u64 cid = 0;
	int fd = aios_new_agent("parent", NULL);
	int cfd, gfd;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, AIOS_SPAWN_CAPS, "nocaps", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	gfd = aios_spawn(cfd, 0, "grandchild", -1, 0, NULL);
	ASSERT_EQ(-EPERM, gfd);
	expect_denial(_metadata, cfd, AIOS_OP_SPAWN, AIOS_CAP_SPAWN_AGENT,
		      "SPAWN_AGENT required");
	close(cfd);
	close(fd);
}

/* --- kill ----------------------------------------------------------- */

TEST_F(ag, kill_needs_kill_agent)
{
	struct aios_agent_info info;
	__u64 cid = 0;
	int fd = aios_new_agent("nokill", NULL);
	int cfd;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, 0, "victim", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	/* CAP_SYS_ADMIN does not stand in for the KILL_AGENT capability */
	ASSERT_EQ(-EPERM, aios_kill(fd, cid, SIGTERM, 0));
	expect_denial(_metadata, fd, AIOS_OP_KILL, AIOS_CAP_KILL_AGENT,
		      "KILL_AGENT required");
	ASSERT_EQ(0, aios_info(cfd, &info));
	ASSERT_EQ(AIOS_AGENT_LIVE, info.state);
	close(cfd);
	close(fd);
}

TEST_F(ag, kill_descendant_sigkill_and_orphan_file)
{
	struct aios_agent_info info;
	struct aios_register reg = { .size = sizeof(reg) };
	struct aios_spawn sp = { .size = sizeof(sp) };
	struct aios_kill k = { .size = sizeof(k) };
	struct aios_migrate mg = { .size = sizeof(mg) };
	struct aios_caps cp = { .size = sizeof(cp) };
	struct aios_denial dn = { .size = sizeof(dn) };
	__u64 kid = 0, cid = 0;
	pid_t pid;
	int fd, pidfd, cfd;

	KILLER(fd, kid);
	pid = sleeper(-1);
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "victim", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);

	ASSERT_EQ(0, aios_kill(fd, cid, 0, 0));
	ASSERT_EQ(128 + SIGKILL, aios_wait(pid));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, cid, NULL));

	/* the orphan: AGENT_INFO still works, everything else ENOLINK */
	ASSERT_EQ(0, aios_info(cfd, &info));
	EXPECT_EQ(cid, info.agent_id);
	EXPECT_EQ(AIOS_AGENT_DEAD, info.state);
	strcpy(reg.name, "again");
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_REGISTER, &reg));
	strcpy(sp.name, "x");
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_SPAWN, &sp));
	k.agent_id = cid;
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_KILL, &k));
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_MIGRATE, &mg));
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_CAPS, &cp));
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_LAST_DENIAL, &dn));
	/* "every ioctl but AGENT_INFO", so the handshake and NOOP too */
	struct aios_api api = { .size = sizeof(api),
				.api_version = AIOS_API_VERSION };
	struct aios_noop noop = { .size = sizeof(noop) };

	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_API, &api));
	EXPECT_EQ(-ENOLINK, aios_ioctl(cfd, AIOS_IOC_NOOP, &noop));
	/* the killed agent is gone: killing it again is ESRCH */
	EXPECT_EQ(-ESRCH, aios_kill(fd, cid, 0, 0));
	close(cfd);
	close(pidfd);
	close(fd);
}

TEST_F(ag, kill_delivers_requested_signal)
{
	__u64 kid = 0, cid = 0;
	pid_t pid;
	int fd, pidfd, cfd;

	KILLER(fd, kid);
	pid = sleeper(-1);
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "victim", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_kill(fd, cid, SIGTERM, 0));
	ASSERT_EQ(128 + SIGTERM, aios_wait(pid));
	close(cfd);
	close(pidfd);
	close(fd);
}

TEST_F(ag, kill_pgrp_signals_whole_group)
{
	__u64 kid = 0, cid = 0;
	pid_t x, y;
	int fd, pidfd, cfd;

	KILLER(fd, kid);
	/* without PGRP only the agent's process is signalled */
	x = sleeper(-1);
	ASSERT_LT(0, x);
	y = sleeper(x);
	ASSERT_LT(0, y);
	pidfd = pidfd_open(x);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "leader", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_kill(fd, cid, SIGTERM, 0));
	ASSERT_EQ(128 + SIGTERM, aios_wait(x));
	usleep(50000);
	ASSERT_TRUE(alive(y));
	reap(y);
	close(cfd);
	close(pidfd);

	/* with PGRP every process of the group is */
	x = sleeper(-1);
	ASSERT_LT(0, x);
	y = sleeper(x);
	ASSERT_LT(0, y);
	pidfd = pidfd_open(x);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "leader", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_kill(fd, cid, SIGTERM, AIOS_KILL_PGRP));
	ASSERT_EQ(128 + SIGTERM, aios_wait(x));
	ASSERT_EQ(128 + SIGTERM, aios_wait(y));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, cid, NULL));
	close(cfd);
	close(pidfd);
	close(fd);
}

TEST_F(ag, kill_bad_target_and_signal)
{
	__u64 kid = 0, cid = 0;
	struct aios_agent_info info;
	int fd, cfd;

	KILLER(fd, kid);
	ASSERT_EQ(-ESRCH, aios_kill(fd, NO_AGENT, SIGTERM, 0));
	cfd = aios_spawn(fd, 0, "target", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(-EINVAL, aios_kill(fd, cid, 64, 0));
	ASSERT_EQ(-EINVAL, aios_kill(fd, cid, -1, 0));
	ASSERT_EQ(-EINVAL, aios_kill(fd, cid, 1 << 30, 0));
	/* nothing happened to the target */
	ASSERT_EQ(0, aios_info(cfd, &info));
	ASSERT_EQ(AIOS_AGENT_LIVE, info.state);
	close(cfd);
	close(fd);
}

TEST_F(ag, kill_self)
{
	struct aios_agent_info info;
	__u64 kid = 0;
	int fd;

	KILLER(fd, kid);
	signal(SIGUSR1, SIG_IGN);
	ASSERT_EQ(0, aios_kill(fd, kid, SIGUSR1, 0));
	ASSERT_EQ(0, aios_info(fd, &info));
	ASSERT_EQ(AIOS_AGENT_DEAD, info.state);
	ASSERT_EQ(-ENOLINK, aios_caps(fd, AIOS_CAPS_GET, 0, 0, NULL, NULL));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, kid, NULL));
	close(fd);
}

/*
 * A non-admin agent with KILL_AGENT may only kill its descendants.
 * Runs the caller as uid 1000; root grants it KILL_AGENT.
 */
TEST_F(ag, kill_non_descendant_eperm)
{
	int to_parent[2], to_child[2];
	__u64 aid = 0, go = 0;
	pid_t pid;
	int rfd;

	if (!aios_have_sys_admin())
		SKIP(return, "granting KILL_AGENT needs CAP_SYS_ADMIN");
	rfd = aios_new_agent("root-agent", NULL);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	CHILD(pid) {
		__u64 id = 0, bid = 0, cid = 0, gid = 0;
		int afd, bfd, cfd, gfd;

		ASSERT_EQ(0, aios_drop_privs());
		afd = aios_new_agent("a", &id);
		ASSERT_LE(0, afd);
		ASSERT_EQ(0, aios_write_u64(to_parent[1], id));
		ASSERT_EQ(0, aios_read_u64(to_child[0], &go));
		ASSERT_EQ(AIOS_CAP_KILL_AGENT,
			  aios_caps_of(afd, 0) & AIOS_CAP_KILL_AGENT);
		/* an unrelated agent of the same user */
		bfd = aios_new_agent("b", &bid);
		ASSERT_LE(0, bfd);
		ASSERT_EQ(-EPERM, aios_kill(afd, bid, SIGTERM, 0));
		expect_denial(_metadata, afd, AIOS_OP_KILL, 0,
			      "target is not a descendant");
		/* a child may not kill its parent either */
		cfd = aios_spawn(afd, AIOS_SPAWN_CAPS, "c", -1,
				 AIOS_CAP_KILL_AGENT | AIOS_CAP_SPAWN_AGENT,
				 &cid);
		ASSERT_LE(0, cfd);
		ASSERT_EQ(-EPERM, aios_kill(cfd, id, SIGTERM, 0));
		expect_denial(_metadata, cfd, AIOS_OP_KILL, 0,
			      "target is not a descendant");
		/* a grandchild is a descendant */
		gfd = aios_spawn(cfd, AIOS_SPAWN_CAPS, "g", -1, 0, &gid);
		ASSERT_LE(0, gfd);
		signal(SIGUSR1, SIG_IGN);
		ASSERT_EQ(0, aios_kill(afd, gid, SIGUSR1, 0));
		ASSERT_EQ(-ENOLINK, aios_caps(gfd, AIOS_CAPS_GET, 0, 0, NULL,
					      NULL));
		struct aios_agent_info info;

		ASSERT_EQ(0, aios_info(bfd, &info));
		ASSERT_EQ(AIOS_AGENT_LIVE, info.state);
	}
	ASSERT_LT(0, pid);
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &aid));
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_GRANT, aid, AIOS_CAP_KILL_AGENT,
			       NULL, NULL));
	ASSERT_EQ(0, aios_write_u64(to_child[1], 1));
	ASSERT_EQ(0, aios_wait(pid));
	close(rfd);
}

/* An agent holding ADMIN (and KILL_AGENT) may kill any agent. */
TEST_F(ag, kill_by_admin_agent_any_target)
{
	int to_parent[2], to_child[2];
	__u64 aid = 0, go = 0, vid = 0;
	pid_t pid, victim;
	int rfd, vfd;

	if (!aios_have_sys_admin())
		SKIP(return, "granting ADMIN needs CAP_SYS_ADMIN");
	rfd = aios_new_agent("root-agent", NULL);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	/* the victim: an unrelated agent in another process */
	victim = fork();
	ASSERT_LE(0, victim);
	if (victim == 0) {
		/* the same user as the killer, so the signal may be sent */
		close(to_parent[0]);
		if (aios_drop_privs())
			_exit(1);
		vfd = aios_new_agent("victim", &vid);
		if (vfd < 0)
			_exit(1);
		aios_write_u64(to_parent[1], vid);
		close(to_parent[1]);
		for (;;)
			pause();
	}
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &vid));
	ASSERT_NE(0, vid);
	CHILD(pid) {
		__u64 id = 0;
		int afd;

		ASSERT_EQ(0, aios_drop_privs());
		afd = aios_new_agent("admin", &id);
		ASSERT_LE(0, afd);
		ASSERT_EQ(0, aios_write_u64(to_parent[1], id));
		ASSERT_EQ(0, aios_read_u64(to_child[0], &go));
		ASSERT_EQ(0, aios_read_u64(to_child[0], &vid));
		ASSERT_EQ(0, aios_kill(afd, vid, 0, 0));
	}
	ASSERT_LT(0, pid);
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &aid));
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_GRANT, aid,
			       AIOS_CAP_KILL_AGENT | AIOS_CAP_ADMIN, NULL,
			       NULL));
	ASSERT_EQ(0, aios_write_u64(to_child[1], 1));
	ASSERT_EQ(0, aios_write_u64(to_child[1], vid));
	ASSERT_EQ(0, aios_wait(pid));
	ASSERT_EQ(128 + SIGKILL, aios_wait(victim));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, vid, NULL));
	close(rfd);
}

/* --- migrate -------------------------------------------------------- */

static int last_cpu(const cpu_set_t *set)
{
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, set))
			return c;
	return -1;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

TEST_F(ag, migrate_self_all_threads)
{
	cpu_set_t orig, want, got;
	struct aios_t_agent a;
	pthread_t th;
	__u64 id = 0;
	int fd, cpu;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(orig), &orig));
	cpu = last_cpu(&orig);
	ASSERT_LE(0, cpu);
	CPU_ZERO(&want);
	CPU_SET(cpu, &want);
	fd = aios_new_agent("migrant", &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, idle_thread, NULL));

	ASSERT_EQ(0, aios_migrate(fd, 0, &want, sizeof(want)));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(got), &got));
	ASSERT_TRUE(CPU_EQUAL(&want, &got));
	ASSERT_EQ(0, pthread_getaffinity_np(th, sizeof(got), &got));
	ASSERT_TRUE(CPU_EQUAL(&want, &got));

	/* reported as the agent's cpus */
	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, id, &a));
	ASSERT_NE(0, a.present & (1U << AIOS_AGENT_A_CPUS));
	ASSERT_LT(cpu / 8, a.cpus_len);
	ASSERT_EQ(0, a.cpus_len % 8);
	for (int c = 0; c < a.cpus_len * 8 && c < 1024; c++) {
		bool set = (a.cpus[c / 64] >> (c % 64)) & 1;

		ASSERT_EQ(c == cpu, set) TH_LOG("cpu %d", c);
	}
	/* and a mask with an offline cpu too is intersected */
	CPU_SET(CPU_SETSIZE - 1, &want);
	ASSERT_EQ(0, aios_migrate(fd, 0, &want, sizeof(want)));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(got), &got));
	ASSERT_TRUE(CPU_ISSET(cpu, &got));
	ASSERT_EQ(1, CPU_COUNT(&got));
	pthread_cancel(th);
	pthread_join(th, NULL);
	close(fd);
}

TEST_F(ag, migrate_bad_masks)
{
	__u64 words[128 + 2];
	cpu_set_t cur;
	int fd = aios_new_agent("migrant", NULL);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	memset(words, 0, sizeof(words));
	memcpy(words, &cur, sizeof(cur));
	/* size not a multiple of 8, or above 1024 */
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 7));
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 12));
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 1032));
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 0xfffffff8U));
	/* empty mask, and a mask of only impossible cpus */
	memset(words, 0, sizeof(words));
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 8));
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 1024));
	words[127] = 1ULL << 63;	/* cpu 8191 */
	ASSERT_EQ(-EINVAL, aios_migrate(fd, 0, words, 1024));
	/* bad pointer */
	ASSERT_EQ(-EFAULT, aios_migrate(fd, 0, NULL, 8));
	ASSERT_EQ(-EFAULT, aios_migrate(fd, 0, (void *)8, 8));
	/* unknown agent */
	memcpy(words, &cur, sizeof(cur));
	ASSERT_EQ(-ESRCH, aios_migrate(fd, NO_AGENT, words, sizeof(cur)));
	/* the affinity is unchanged */
	cpu_set_t after;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(after), &after));
	ASSERT_TRUE(CPU_EQUAL(&cur, &after));
	close(fd);
}

TEST_F(ag, migrate_descendant)
{
	cpu_set_t cur, want, got;
	struct aios_t_agent a;
	__u64 cid = 0;
	pid_t pid;
	int fd, pidfd, cfd, cpu;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	cpu = last_cpu(&cur);
	CPU_ZERO(&want);
	CPU_SET(cpu, &want);
	fd = aios_new_agent("parent", NULL);
	ASSERT_LE(0, fd);
	pid = sleeper(0);
	ASSERT_LT(0, pid);
	pidfd = pidfd_open(pid);
	ASSERT_LE(0, pidfd);
	cfd = aios_spawn(fd, AIOS_SPAWN_PIDFD, "worker", pidfd, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, aios_migrate(fd, cid, &want, sizeof(want)));
	ASSERT_EQ(0, sched_getaffinity(pid, sizeof(got), &got));
	ASSERT_TRUE(CPU_EQUAL(&want, &got));
	/* the caller itself did not move */
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(got), &got));
	ASSERT_TRUE(CPU_EQUAL(&cur, &got));
	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, cid, &a));
	ASSERT_LT(cpu / 8, a.cpus_len);
	ASSERT_EQ(1ULL << (cpu % 64), a.cpus[cpu / 64]);
	close(cfd);
	close(pidfd);
	reap(pid);
	close(fd);
}

static void migrate_other(struct __test_metadata *_metadata, bool admin)
{
	cpu_set_t cur;
	__u64 bid = 0;
	int afd, bfd, ret;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	afd = aios_new_agent("a", NULL);
	bfd = aios_new_agent("b", &bid);
	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);
	ret = aios_migrate(afd, bid, &cur, sizeof(cur));
	if (admin) {
		ASSERT_EQ(0, ret);
	} else {
		ASSERT_EQ(-EPERM, ret);
		expect_denial(_metadata, afd, AIOS_OP_MIGRATE, 0,
			      "target is not a descendant");
	}
	close(bfd);
	close(afd);
}

TEST_F(ag, migrate_non_descendant)
{
	pid_t pid;

	if (!aios_have_sys_admin()) {
		migrate_other(_metadata, false);
		return;
	}
	/* root is admin; an unprivileged process is not */
	migrate_other(_metadata, true);
	CHILD(pid) {
		ASSERT_EQ(0, aios_drop_privs());
		migrate_other(_metadata, false);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/* --- cleanup when the process dies ---------------------------------- */

TEST_F(ag, sigkilled_agent_is_cleaned_up)
{
	struct aios_t_agent a;
	int to_parent[2];
	__u64 id = 0, cid = 0, probe_id;
	pid_t pid;
	int probe;

	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 myid = 0, kid = 0;
		int fd = aios_new_agent("doomed", &myid);

		if (fd < 0 || aios_spawn(fd, 0, "doomed-child", -1, 0,
					 &kid) < 0)
			_exit(1);
		aios_write_u64(to_parent[1], myid);
		aios_write_u64(to_parent[1], kid);
		for (;;)
			pause();
	}
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &id));
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &cid));
	ASSERT_EQ(1, aios_nl_agent_in_dump(&self->nl, id, &a));
	ASSERT_EQ(pid, a.pid);
	ASSERT_EQ(self->base.agents + 2,
		  aios_wait_agent_count(&self->nl, self->base.agents + 2));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, aios_wait(pid));
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, id, NULL));
	ASSERT_EQ(0, aios_nl_agent_in_dump(&self->nl, cid, NULL));
	ASSERT_EQ(-ESRCH, aios_nl_agent_get(&self->nl, id, &a));

	/* its capabilities are gone with it */
	probe = aios_new_agent("probe", &probe_id);
	ASSERT_LE(0, probe);
	ASSERT_EQ(-ESRCH, aios_caps(probe, AIOS_CAPS_GET, id, 0, NULL, NULL));
	ASSERT_EQ(-ESRCH, aios_caps(probe, AIOS_CAPS_GET, cid, 0, NULL, NULL));
	close(probe);

	/* and the removal was audited (reading all records needs admin) */
	if (aios_have_sys_admin()) {
		struct aios_t_audit_filter f = AIOS_NO_FILTER;
		struct aios_t_audit *recs;
		int n, unreg = 0;

		f.seq_after = self->base.next_seq - 1;
		ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
		for (int i = 0; i < n; i++) {
			if (recs[i].op == AIOS_OP_UNREGISTER &&
			    recs[i].object == id) {
				unreg++;
				ASSERT_EQ(0, recs[i].result);
			}
		}
		free(recs);
		ASSERT_EQ(1, unreg);
	} else {
		TH_LOG("audit part needs CAP_SYS_ADMIN; not checked");
	}
}

TEST_HARNESS_MAIN
