// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libaios against the real module: run inside the VM as root
 * (tools/vm/run -- build/lib/vmtests/vm_libaios).  Not part of the host
 * "check" target: it needs aios.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aios.h"
#include "kselftest_harness.h"

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* A child process that waits to be signalled. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

/* A child process that registers its own agent and reports the id. */
static pid_t foreign_agent(uint64_t *id)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		struct aios *h = aios_new();
		uint64_t x = 0;

		close(p[0]);
		if (h && !aios_open(h))
			aios_register(h, "foreign", AIOS_PRIO_LOW, &x);
		if (write(p[1], &x, sizeof(x)) != sizeof(x))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], id, sizeof(*id)) != sizeof(*id))
		*id = 0;
	close(p[0]);
	return pid;
}

/* Wait up to 5 s for an event matching type and agent id (0: any). */
static int wait_event(struct aios_events *ev, int type, uint64_t id,
		      struct aios_event *out)
{
	int i, r;

	for (i = 0; i < 50; i++) {
		r = aios_events_next(ev, out, 100);
		if (r < 0)
			return r;
		if (r == 1 && out->type == type &&
		    (!id || (type == AIOS_EVENT_AUDIT ? out->audit.agent_id :
			     out->agent.id) == id))
			return 1;
	}
	return 0;
}

FIXTURE(agent) {
	struct aios *h;
	struct aios *admin;	/* netlink only, judged by CAP_SYS_ADMIN */
	uint64_t id;
};

FIXTURE_SETUP(agent)
{
	self->h = aios_new();
	self->admin = aios_new();
	ASSERT_NE(NULL, self->h);
	ASSERT_NE(NULL, self->admin);
	ASSERT_EQ(0, aios_open(self->h)) TH_LOG("%s", aios_errmsg(self->h));
	ASSERT_EQ(0, aios_register(self->h, "vmtest", AIOS_PRIO_NORMAL,
				   &self->id)) TH_LOG("%s", aios_errmsg(self->h));
	ASSERT_LT(0, self->id);
}

FIXTURE_TEARDOWN(agent)
{
	aios_close(self->h);
	aios_close(self->admin);
}

TEST(handshake_reports_version_and_features)
{
	struct aios *h = aios_new();

	ASSERT_EQ(0, aios_open(h)) TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(AIOS_API_VERSION, aios_api_version(h));
	EXPECT_EQ(AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS | AIOS_FEAT_AUDIT,
		  aios_features(h) & (AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS |
				      AIOS_FEAT_AUDIT));
	EXPECT_EQ(sizeof(struct aios_caps),
		  aios_ioctl_size(h, _IOC_NR(AIOS_IOC_CAPS)));
	EXPECT_LE(0, aios_fd(h));
	EXPECT_EQ(0, aios_agent_id(h));
	EXPECT_EQ(-EALREADY, aios_open(h));
	aios_close(h);
}

TEST_F(agent, register_twice_fails)
{
	EXPECT_EQ(-EALREADY, aios_register(self->h, "again", 0, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "register"));
	EXPECT_EQ(self->id, aios_agent_id(self->h));
}

TEST_F(agent, agent_info_matches_registration)
{
	struct aios_agent a;

	ASSERT_EQ(0, aios_agent_info(self->h, &a));
	EXPECT_EQ(self->id, a.id);
	EXPECT_EQ(0, a.parent_id);
	EXPECT_STREQ("vmtest", a.name);
	EXPECT_EQ(AIOS_PRIO_NORMAL, a.prio);
	EXPECT_EQ(AIOS_CAP_DEFAULT, a.caps);
	EXPECT_EQ(AIOS_AGENT_LIVE, a.state);
	EXPECT_EQ(getpid(), a.pid);
	EXPECT_EQ(getuid(), a.uid);
}

TEST_F(agent, denied_check_carries_kernel_reason_and_audit)
{
	struct aios_audit_filter f = { .flags = AIOS_AUDIT_F_OP_ID };
	struct aios_audit_rec *v = NULL;
	struct aios_denial d;
	size_t n;

	EXPECT_EQ(-ENOENT, aios_last_denial(self->h, &d));
	EXPECT_EQ(-EPERM, aios_caps_check(self->h, AIOS_CAP_ACCESS_NET));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "ACCESS_NET required"))
		TH_LOG("%s", aios_errmsg(self->h));
	ASSERT_EQ(0, aios_last_denial(self->h, &d));
	EXPECT_STREQ("ACCESS_NET required", d.reason);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, d.op);
	EXPECT_EQ(-EPERM, d.error);
	EXPECT_EQ(AIOS_CAP_ACCESS_NET, d.cap_required);
	f.op_id = d.op_id;
	ASSERT_EQ(1, aios_audit_read(self->admin, &f, &v, &n))
		TH_LOG("%s", aios_errmsg(self->admin));
	EXPECT_EQ(d.audit_seq, v[0].seq);
	EXPECT_EQ(self->id, v[0].agent_id);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, v[0].op);
	EXPECT_EQ(-EPERM, v[0].result);
	EXPECT_EQ(AIOS_CAP_ACCESS_NET, v[0].cap);
	free(v);
}

TEST_F(agent, allowed_check)
{
	EXPECT_EQ(0, aios_caps_check(self->h, AIOS_CAP_SPAWN_AGENT |
				     AIOS_CAP_ALLOC_MEMORY));
	EXPECT_STREQ("", aios_errmsg(self->h));
}

TEST_F(agent, spawn_grant_kill_lifecycle)
{
	struct aios_spawn_opts o = {
		.sz = sizeof(o), .name = "child", .prio = AIOS_PRIO_LOW,
		.set_caps = true, .caps = AIOS_CAP_ALLOC_MEMORY,
	};
	struct aios *child = NULL;
	struct aios_agent a;
	uint64_t eff = 0, caps;
	pid_t pid = sleeper();
	int st;

	ASSERT_LT(0, pid);
	o.pidfd = pidfd_open_(pid);
	ASSERT_LE(0, o.pidfd);
	ASSERT_EQ(0, aios_spawn(self->h, &o, &child))
		TH_LOG("%s", aios_errmsg(self->h));
	close(o.pidfd);
	ASSERT_EQ(0, aios_agent_info(child, &a));
	EXPECT_EQ(self->id, a.parent_id);
	EXPECT_EQ(pid, a.pid);
	EXPECT_EQ(AIOS_CAP_ALLOC_MEMORY, a.caps);
	EXPECT_STREQ("child", a.name);

	EXPECT_EQ(-EPERM, aios_kill(self->h, a.id, SIGTERM, 0));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "KILL_AGENT required"))
		TH_LOG("%s", aios_errmsg(self->h));

	ASSERT_EQ(0, aios_caps_grant(self->admin, self->id,
				     AIOS_CAP_KILL_AGENT, &eff))
		TH_LOG("%s", aios_errmsg(self->admin));
	EXPECT_EQ(AIOS_CAP_DEFAULT | AIOS_CAP_KILL_AGENT, eff);
	ASSERT_EQ(0, aios_caps_get(self->h, 0, &caps));
	EXPECT_EQ(eff, caps);

	ASSERT_EQ(0, aios_kill(self->h, a.id, SIGTERM, 0))
		TH_LOG("%s", aios_errmsg(self->h));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTERM, WTERMSIG(st));
	EXPECT_EQ(-ENOLINK, aios_caps_get(child, 0, &caps));
	EXPECT_NE(NULL, strstr(aios_errmsg(child), "killed"));
	ASSERT_EQ(0, aios_agent_info(child, &a));
	EXPECT_EQ(AIOS_AGENT_DEAD, a.state);
	EXPECT_EQ(-ESRCH, aios_kill(self->h, a.id, 0, 0));
	aios_close(child);
}

TEST_F(agent, spawn_with_more_caps_than_parent_is_denied)
{
	struct aios_spawn_opts o = {
		.sz = sizeof(o), .name = "greedy", .pidfd = -1,
		.set_caps = true, .caps = AIOS_CAP_ADMIN,
	};
	struct aios *child = NULL;

	EXPECT_EQ(-EPERM, aios_spawn(self->h, &o, &child));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h),
			       "child capabilities exceed parent's"))
		TH_LOG("%s", aios_errmsg(self->h));
	EXPECT_EQ(NULL, child);
}

TEST_F(agent, spawned_fd_can_be_adopted)
{
	struct aios_spawn_opts o = {
		.sz = sizeof(o), .name = "adoptee", .pidfd = -1,
		.cloexec = true,
	};
	struct aios *c = aios_new();
	uint64_t id = 0;
	int fd;

	fd = aios_spawn_fd(self->h, &o, &id);
	ASSERT_LE(0, fd) TH_LOG("%s", aios_errmsg(self->h));
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, aios_adopt_fd(c, fd)) TH_LOG("%s", aios_errmsg(c));
	EXPECT_EQ(id, aios_agent_id(c));
	EXPECT_EQ(0, aios_caps_check(c, AIOS_CAP_SPAWN_AGENT));
	aios_close(c);
}

TEST_F(agent, migrate_self_sets_affinity)
{
	struct aios_agent a;
	cpu_set_t set, got;

	ASSERT_EQ(1, aios_cpulist_parse("0", &set));
	ASSERT_EQ(0, aios_migrate(self->h, 0, &set))
		TH_LOG("%s", aios_errmsg(self->h));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(got), &got));
	EXPECT_EQ(1, CPU_COUNT(&got));
	EXPECT_TRUE(CPU_ISSET(0, &got));
	ASSERT_EQ(0, aios_agent_get(self->admin, self->id, &a))
		TH_LOG("%s", aios_errmsg(self->admin));
	ASSERT_TRUE(a.has_cpus);
	EXPECT_TRUE(CPU_EQUAL(&set, &a.cpus));
	/* a CPU outside the machine leaves an empty set */
	ASSERT_EQ(1, aios_cpulist_parse("1000", &set));
	EXPECT_EQ(-EINVAL, aios_migrate(self->h, 0, &set));
}

TEST_F(agent, agents_list_and_status)
{
	struct aios_agent *v = NULL;
	struct aios_status st;
	size_t n, i;
	bool found = false;

	ASSERT_LE(1, aios_agents(self->admin, &v, &n))
		TH_LOG("%s", aios_errmsg(self->admin));
	for (i = 0; i < n; i++)
		if (v[i].id == self->id) {
			found = true;
			EXPECT_STREQ("vmtest", v[i].name);
			EXPECT_EQ(getpid(), v[i].pid);
		}
	EXPECT_TRUE(found);
	ASSERT_EQ(0, aios_status(self->admin, &st));
	EXPECT_EQ(n, st.agents);
	EXPECT_LT(self->id, st.next_agent_id);
	EXPECT_EQ(AIOS_CAP_DEFAULT, st.default_caps);
	EXPECT_EQ(st.audit_first_seq - 1, st.audit_lost);
	free(v);
}

TEST_F(agent, events_report_agent_new_and_del)
{
	struct aios_events *ev = NULL;
	struct aios_event e;
	struct aios *other = aios_new();
	uint64_t id;

	ASSERT_EQ(0, aios_events_open(self->admin, AIOS_EVENTS_GROUP_EVENTS,
				      &ev)) TH_LOG("%s", aios_errmsg(self->admin));
	EXPECT_LE(0, aios_events_fd(ev));
	EXPECT_EQ(0, aios_events_next(ev, &e, 0));
	ASSERT_EQ(0, aios_open(other));
	ASSERT_EQ(0, aios_register(other, "ephemeral", AIOS_PRIO_HIGH, &id));
	ASSERT_EQ(1, wait_event(ev, AIOS_EVENT_AGENT_NEW, id, &e))
		TH_LOG("%s", aios_events_errmsg(ev));
	EXPECT_STREQ("ephemeral", e.agent.name);
	EXPECT_EQ(AIOS_PRIO_HIGH, e.agent.prio);
	aios_close(other);
	ASSERT_EQ(1, wait_event(ev, AIOS_EVENT_AGENT_DEL, id, &e));
	EXPECT_TRUE(e.has_reason);
	EXPECT_EQ(AIOS_EXIT_CLOSED, e.reason);
	aios_events_close(ev);
}

TEST_F(agent, audit_group_delivers_records)
{
	struct aios_events *ev = NULL;
	struct aios_event e;

	ASSERT_EQ(0, aios_events_open(self->admin, AIOS_EVENTS_GROUP_AUDIT,
				      &ev)) TH_LOG("%s", aios_errmsg(self->admin));
	ASSERT_EQ(-EPERM, aios_caps_check(self->h, AIOS_CAP_ACCESS_GPU));
	ASSERT_EQ(1, wait_event(ev, AIOS_EVENT_AUDIT, self->id, &e));
	EXPECT_EQ(AIOS_OP_CAP_CHECK, e.audit.op);
	EXPECT_EQ(-EPERM, e.audit.result);
	EXPECT_EQ(AIOS_CAP_ACCESS_GPU, e.audit.cap);
	aios_events_close(ev);
}

TEST_F(agent, slow_reader_is_told_events_were_lost)
{
	struct aios_events *ev = NULL;
	struct aios_event e;
	int small = 2048, i, r, lost = 0, audits = 0;

	ASSERT_EQ(0, aios_events_open(self->admin, AIOS_EVENTS_GROUP_AUDIT,
				      &ev)) TH_LOG("%s", aios_errmsg(self->admin));
	ASSERT_EQ(0, setsockopt(aios_events_fd(ev), SOL_SOCKET, SO_RCVBUF,
				&small, sizeof(small)));
	for (i = 0; i < 2000; i++)
		aios_caps_check(self->h, AIOS_CAP_SPAWN_AGENT);
	while ((r = aios_events_next(ev, &e, 200)) == 1) {
		if (e.type == AIOS_EVENT_LOST)
			lost++;
		else if (e.type == AIOS_EVENT_AUDIT)
			audits++;
	}
	EXPECT_EQ(0, r) TH_LOG("%s", aios_events_errmsg(ev));
	EXPECT_LE(1, lost);
	EXPECT_LT(audits, 2000);
	/* the subscription keeps working after an overrun */
	ASSERT_EQ(-EPERM, aios_caps_check(self->h, AIOS_CAP_ACCESS_FS));
	ASSERT_EQ(1, wait_event(ev, AIOS_EVENT_AUDIT, self->id, &e));
	aios_events_close(ev);
}

TEST(fresh_descriptor_is_adopted_with_handshake)
{
	struct aios *h = aios_new();
	int fd = open("/dev/aios", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_adopt_fd(h, fd)) TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(AIOS_API_VERSION, aios_api_version(h));
	EXPECT_NE(0, aios_features(h));
	EXPECT_EQ(0, aios_agent_id(h));
	EXPECT_EQ(0, aios_noop(h));
	EXPECT_EQ(-EBADFD, aios_caps_check(h, AIOS_CAP_SPAWN_AGENT));
	ASSERT_EQ(0, aios_register(h, "adopted", AIOS_PRIO_LOW, NULL));
	EXPECT_EQ(0, aios_caps_check(h, AIOS_CAP_SPAWN_AGENT));
	aios_close(h);
}

TEST(netlink_with_caller_fd_acts_as_the_agent)
{
	struct aios *h = aios_new(), *admin = aios_new();
	uint64_t caps = 0, other_id = 0, id = 0;
	struct aios_agent a;
	pid_t pid;
	int st;

	ASSERT_EQ(0, aios_open(h));
	ASSERT_EQ(0, aios_register(h, "nl-agent", AIOS_PRIO_NORMAL, &id));
	ASSERT_EQ(0, aios_set_via(h, AIOS_VIA_NETLINK));
	ASSERT_EQ(0, aios_caps_get(h, 0, &caps)) TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(AIOS_CAP_DEFAULT, caps);
	/* the agent's capabilities count even for a root sender */
	EXPECT_EQ(-EPERM, aios_kill(h, 999999, SIGTERM, 0));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "KILL_AGENT required"))
		TH_LOG("%s", aios_errmsg(h));
	ASSERT_EQ(0, aios_caps_grant(admin, id, AIOS_CAP_KILL_AGENT, NULL))
		TH_LOG("%s", aios_errmsg(admin));

	/* without CAP_SYS_ADMIN the agent is judged by its own rights */
	ASSERT_EQ(0, setresgid(1000, 1000, 1000));
	ASSERT_EQ(0, setresuid(1000, 1000, 1000));
	pid = foreign_agent(&other_id);
	ASSERT_LT(0, pid);
	ASSERT_LT(0, other_id);
	EXPECT_EQ(-EPERM, aios_kill(h, other_id, SIGTERM, 0));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "not a descendant"))
		TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(-EPERM, aios_caps_grant(h, id, AIOS_CAP_ADMIN, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "ADMIN required"))
		TH_LOG("%s", aios_errmsg(h));
	/* the foreign agent goes away with its process */
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(-ESRCH, aios_agent_get(admin, other_id, &a));
	EXPECT_NE(NULL, strstr(aios_errmsg(admin), "no such agent"))
		TH_LOG("%s", aios_errmsg(admin));
	aios_close(h);
	aios_close(admin);
}

TEST_F(agent, revoke_reaches_descendants)
{
	struct aios_spawn_opts o = {
		.sz = sizeof(o), .name = "heir", .pidfd = -1,
	};
	struct aios *child = NULL;
	uint64_t eff = 0, caps = 0;

	ASSERT_EQ(0, aios_spawn(self->h, &o, &child));
	ASSERT_EQ(0, aios_caps_revoke(self->admin, self->id,
				      AIOS_CAP_ALLOC_MEMORY, &eff))
		TH_LOG("%s", aios_errmsg(self->admin));
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, eff);
	ASSERT_EQ(0, aios_caps_get(self->admin, aios_agent_id(child), &caps));
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, caps);
	aios_close(child);
}

TEST_F(agent, audit_filters_and_limit)
{
	struct aios_audit_filter f = { .flags = AIOS_AUDIT_F_AGENT };
	struct aios_audit_rec *v = NULL;
	size_t n, i, all;
	uint64_t last;

	for (i = 0; i < 3; i++)
		aios_caps_check(self->h, AIOS_CAP_SPAWN_AGENT);
	f.agent_id = self->id;
	ASSERT_LE(4, aios_audit_read(self->admin, &f, &v, &all));
	for (i = 0; i < all; i++)
		EXPECT_EQ(self->id, v[i].agent_id);
	for (i = 1; i < all; i++)
		EXPECT_LT(v[i - 1].seq, v[i].seq);
	last = v[all - 1].seq;
	free(v);
	f.limit = 2;
	ASSERT_EQ(2, aios_audit_read(self->admin, &f, &v, &n));
	EXPECT_EQ(last, v[1].seq);
	EXPECT_LT(v[0].seq, v[1].seq);
	free(v);
	f.limit = 0;
	f.flags |= AIOS_AUDIT_F_SEQ_AFTER;
	f.seq_after = last;
	EXPECT_EQ(0, aios_audit_read(self->admin, &f, &v, &n));
	free(v);
	/* a non-admin agent sees its own records only */
	ASSERT_EQ(0, aios_set_via(self->h, AIOS_VIA_NETLINK));
	ASSERT_LE(1, aios_audit_read(self->h, NULL, &v, &n))
		TH_LOG("%s", aios_errmsg(self->h));
	free(v);
}

TEST(audit_ring_resize_counts_lost_records)
{
	struct aios *h = aios_new();
	struct aios_status before, after;

	ASSERT_EQ(0, aios_status(h, &before)) TH_LOG("%s", aios_errmsg(h));
	ASSERT_EQ(0, aios_audit_config(h, 16)) TH_LOG("%s", aios_errmsg(h));
	ASSERT_EQ(0, aios_status(h, &after));
	EXPECT_EQ(16, after.audit_ring_size);
	EXPECT_EQ(after.audit_first_seq - 1, after.audit_lost);
	EXPECT_LE(after.audit_next_seq - after.audit_first_seq, 16);
	ASSERT_EQ(0, aios_audit_config(h, before.audit_ring_size));
	aios_close(h);
}

TEST(unprivileged_user_is_refused_admin_operations)
{
	struct aios_audit_rec *v = NULL;
	struct aios_events *ev = NULL;
	struct aios_status st;
	struct aios *h;
	size_t n;

	ASSERT_EQ(0, setresgid(1000, 1000, 1000));
	ASSERT_EQ(0, setresuid(1000, 1000, 1000));
	h = aios_new();
	ASSERT_EQ(0, aios_status(h, &st)) TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(-EPERM, aios_caps_grant(h, 1, AIOS_CAP_ADMIN, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "ADMIN required"))
		TH_LOG("%s", aios_errmsg(h));
	EXPECT_EQ(-EPERM, aios_audit_read(h, NULL, &v, &n));
	EXPECT_EQ(-EPERM, aios_audit_config(h, 64));
	EXPECT_EQ(-EPERM, aios_events_open(h, AIOS_EVENTS_GROUP_AUDIT, &ev));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "CAP_SYS_ADMIN"));
	ASSERT_EQ(0, aios_events_open(h, AIOS_EVENTS_GROUP_EVENTS, &ev))
		TH_LOG("%s", aios_errmsg(h));
	aios_events_close(ev);
	/* a fresh agent of an unprivileged user works as usual */
	ASSERT_EQ(0, aios_open(h)) TH_LOG("%s", aios_errmsg(h));
	ASSERT_EQ(0, aios_register(h, "user-agent", AIOS_PRIO_LOW, NULL));
	EXPECT_EQ(-EPERM, aios_caps_grant(h, aios_agent_id(h), AIOS_CAP_ADMIN,
					  NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(h), "ADMIN required"))
		TH_LOG("%s", aios_errmsg(h));
	aios_close(h);
}

TEST_HARNESS_MAIN
