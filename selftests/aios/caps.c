// SPDX-License-Identifier: GPL-2.0
/*
 * Capabilities: defaults, GET/CHECK/GRANT/REVOKE over ioctl and netlink,
 * denial reasons (AIOS_IOC_LAST_DENIAL) and their audit records, admin
 * rules and revocation down the spawn tree.
 */
#include "aios_test.h"
#include "kselftest_harness.h"

#define NO_AGENT	(1ULL << 62)

FIXTURE(caps) {
	struct aios_nl nl;
	struct aios_t_status base;
};

FIXTURE_SETUP(caps)
{
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
}

FIXTURE_TEARDOWN(caps)
{
	aios_nl_close(&self->nl);
}

static void expect_denial(struct __test_metadata *_metadata, int fd,
			  __u32 op, __u64 cap, const char *reason,
			  struct aios_denial *out)
{
	struct aios_denial d;

	ASSERT_EQ(0, aios_last_denial(fd, &d));
	EXPECT_EQ(op, d.op);
	EXPECT_EQ(-EPERM, d.error);
	EXPECT_EQ(cap, d.cap_required);
	EXPECT_STREQ(reason, d.reason);
	EXPECT_NE(0, d.op_id);
	EXPECT_NE(0, d.audit_seq);
	if (out)
		*out = d;
}

/* Records with this op id, read as admin or (caller_fd) as that agent. */
static int audit_by_op(struct aios_nl *nl, __u64 op_id, int caller_fd,
		       struct aios_t_audit **recs)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	int n = 0, ret;

	f.op_id = op_id;
	f.caller_fd = caller_fd;
	ret = aios_nl_audit(nl, f, recs, &n, NULL, 0);
	return ret ? ret : n;
}

TEST_F(caps, default_caps)
{
	__u64 id = 0, caps = 0, eff = 0;
	int fd = aios_open_ready();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_register(fd, "defaults", AIOS_PRIO_NORMAL, &id,
				   &caps));
	/* the module is loaded without parameters in the test VM */
	EXPECT_EQ(AIOS_CAP_DEFAULT, self->base.default_caps);
	ASSERT_EQ(self->base.default_caps, caps);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_GET, 0, 0, &eff, NULL));
	ASSERT_EQ(caps, eff);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_GET, id, 0, &eff, NULL));
	ASSERT_EQ(caps, eff);
	ASSERT_EQ(0, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GET, -1, id, 0,
				  &eff, NULL, 0));
	ASSERT_EQ(caps, eff);
	close(fd);
}

TEST_F(caps, get_other_agent_and_unknown)
{
	__u64 bid = 0, eff = 0;
	int afd = aios_new_agent("a", NULL);
	int bfd = aios_open_ready();
	char ext[256];

	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, aios_register(bfd, "b", AIOS_PRIO_LOW, &bid, NULL));
	/* anyone may read another agent's capabilities */
	ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_GET, bid, 0, &eff, NULL));
	ASSERT_EQ(self->base.default_caps, eff);
	ASSERT_EQ(-ESRCH, aios_caps(afd, AIOS_CAPS_GET, NO_AGENT, 0, &eff,
				    NULL));
	ASSERT_EQ(-ESRCH, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GET, -1,
				       NO_AGENT, 0, NULL, ext, sizeof(ext)));
	ASSERT_NE(0, ext[0]);
	close(bfd);
	close(afd);
}

TEST_F(caps, bad_op_and_bits_einval)
{
	struct aios_caps c = { .size = sizeof(c) };
	int fd = aios_new_agent("bad", NULL);

	ASSERT_LE(0, fd);
	c.op = AIOS_CAPS_REVOKE + 1;
	ASSERT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_CAPS, &c));
	c.op = 0xffffffff;
	ASSERT_EQ(-EINVAL, aios_ioctl(fd, AIOS_IOC_CAPS, &c));
	ASSERT_EQ(-EINVAL, aios_caps(fd, AIOS_CAPS_CHECK, 0,
				     AIOS_CAP_ALL + 1, NULL, NULL));
	ASSERT_EQ(-EINVAL, aios_caps(fd, AIOS_CAPS_CHECK, 0, 1ULL << 63,
				     NULL, NULL));
	if (aios_have_sys_admin()) {
		ASSERT_EQ(-EINVAL, aios_caps(fd, AIOS_CAPS_GRANT, 0,
					     1ULL << 8, NULL, NULL));
		ASSERT_EQ(-EINVAL, aios_caps(fd, AIOS_CAPS_REVOKE, 0,
					     1ULL << 40, NULL, NULL));
		ASSERT_EQ(-ESRCH, aios_caps(fd, AIOS_CAPS_GRANT, NO_AGENT,
					    AIOS_CAP_ACCESS_FS, NULL, NULL));
		/* netlink: bits outside AIOS_CAP_ALL fail validation */
		char ext[256] = "";

		ASSERT_EQ(-EINVAL, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GRANT,
						-1, aios_id_of(fd), 1ULL << 8,
						NULL, ext, sizeof(ext)));
		ASSERT_NE(0, ext[0]);
		ASSERT_EQ(-ESRCH, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GRANT,
					       -1, NO_AGENT, AIOS_CAP_ACCESS_FS,
					       NULL, NULL, 0));
	}
	ASSERT_EQ(self->base.default_caps, aios_caps_of(fd, 0));
	close(fd);
}

TEST_F(caps, last_denial_enoent_until_denied)
{
	struct aios_denial d;
	int fd = aios_new_agent("clean", NULL);
	int other = aios_new_agent("other", NULL);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	ASSERT_EQ(-ENOENT, aios_last_denial(fd, &d));
	ASSERT_EQ(-EPERM, aios_caps(fd, AIOS_CAPS_CHECK, 0, AIOS_CAP_ADMIN,
				    NULL, NULL));
	ASSERT_EQ(0, aios_last_denial(fd, &d));
	/* denials are per agent */
	ASSERT_EQ(-ENOENT, aios_last_denial(other, &d));
	close(other);
	close(fd);
}

/*
 * A missing capability: EPERM, the precise reason via LAST_DENIAL, and
 * exactly that denial in the audit ring under the same op id.
 */
TEST_F(caps, denial_reason_is_audited)
{
	struct aios_t_audit *recs = NULL;
	struct aios_denial d;
	__u64 aid = 0, cid = 0, before, after;
	int afd = aios_new_agent("denied", &aid);
	int cfd, n, found = 0;

	ASSERT_LE(0, afd);
	cfd = aios_spawn(afd, 0, "victim", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	before = aios_boottime_ns();
	ASSERT_EQ(-EPERM, aios_kill(afd, cid, SIGTERM, 0));
	after = aios_boottime_ns();
	expect_denial(_metadata, afd, AIOS_OP_KILL, AIOS_CAP_KILL_AGENT,
		      "KILL_AGENT required", &d);
	EXPECT_LE(before, d.time_ns);
	EXPECT_GE(after, d.time_ns);
	/* a failed ioctl copies nothing back: no op id in the struct */

	/* admin reads the ring directly, anyone else as the agent */
	n = audit_by_op(&self->nl, d.op_id,
			aios_have_sys_admin() ? -1 : afd, &recs);
	ASSERT_LE(1, n);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(d.op_id, recs[i].op_id);
		if (recs[i].seq != d.audit_seq)
			continue;
		found++;
		EXPECT_EQ(AIOS_OP_KILL, recs[i].op);
		EXPECT_EQ(aid, recs[i].agent_id);
		EXPECT_EQ(cid, recs[i].object);
		EXPECT_EQ(-EPERM, recs[i].result);
		EXPECT_EQ(AIOS_CAP_KILL_AGENT, recs[i].cap);
		EXPECT_LE(before, recs[i].time_ns);
		EXPECT_GE(after, recs[i].time_ns);
	}
	ASSERT_EQ(1, found);
	free(recs);

	/* a later denial replaces it */
	ASSERT_EQ(-EPERM, aios_caps(afd, AIOS_CAPS_CHECK, 0,
				    AIOS_CAP_ACCESS_GPU, NULL, NULL));
	struct aios_denial d2;

	expect_denial(_metadata, afd, AIOS_OP_CAP_CHECK, AIOS_CAP_ACCESS_GPU,
		      "ACCESS_GPU required", &d2);
	ASSERT_LT(d.op_id, d2.op_id);
	ASSERT_LT(d.audit_seq, d2.audit_seq);
	close(cfd);
	close(afd);
}

TEST_F(caps, check_held_and_missing)
{
	struct aios_t_audit *recs = NULL;
	__u64 id = 0, eff = 0, op1 = 0, op2 = 0;
	int fd = aios_new_agent("checker", &id);
	int caller = aios_have_sys_admin() ? -1 : fd;
	struct aios_denial d;
	int n;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_CHECK, 0,
			       self->base.default_caps, &eff, &op1));
	ASSERT_NE(0, op1);
	ASSERT_EQ(self->base.default_caps, eff);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_CHECK, 0, 0, NULL, NULL));

	/* CAP_SYS_ADMIN is not an aios capability: CHECK is about bits */
	ASSERT_EQ(-EPERM, aios_caps(fd, AIOS_CAPS_CHECK, 0, AIOS_CAP_ADMIN,
				    NULL, NULL));
	/* a failed ioctl copies nothing back; the op id is in the denial */
	expect_denial(_metadata, fd, AIOS_OP_CAP_CHECK, AIOS_CAP_ADMIN,
		      "ADMIN required", &d);
	op2 = d.op_id;
	ASSERT_LT(op1, op2);

	/* both checks are audited, with the checked bits as object */
	n = audit_by_op(&self->nl, op1, caller, &recs);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, recs[0].op);
	EXPECT_EQ(self->base.default_caps, recs[0].object);
	EXPECT_EQ(0, recs[0].result);
	EXPECT_EQ(id, recs[0].agent_id);
	free(recs);
	n = audit_by_op(&self->nl, op2, caller, &recs);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, recs[0].op);
	EXPECT_EQ(AIOS_CAP_ADMIN, recs[0].object);
	EXPECT_EQ(-EPERM, recs[0].result);
	EXPECT_EQ(AIOS_CAP_ADMIN, recs[0].cap);
	EXPECT_EQ(d.audit_seq, recs[0].seq);
	free(recs);
	close(fd);
}

/* Grant and revoke by root (CAP_SYS_ADMIN) over ioctl and netlink. */
TEST_F(caps, grant_revoke_as_root)
{
	struct aios_t_audit *recs = NULL;
	struct aios_agent_info info;
	__u64 bid = 0, eff = 0, op_id = 0;
	int afd, bfd, n;

	if (!aios_have_sys_admin())
		SKIP(return, "needs CAP_SYS_ADMIN");
	afd = aios_new_agent("root-a", NULL);
	bfd = aios_new_agent("b", &bid);
	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);

	ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_GRANT, bid, AIOS_CAP_ACCESS_NET,
			       &eff, &op_id));
	ASSERT_EQ(self->base.default_caps | AIOS_CAP_ACCESS_NET, eff);
	ASSERT_EQ(0, aios_info(bfd, &info));
	ASSERT_EQ(eff, info.caps);
	n = audit_by_op(&self->nl, op_id, -1, &recs);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AIOS_OP_CAP_GRANT, recs[0].op);
	EXPECT_EQ(bid, recs[0].object);
	EXPECT_EQ(0, recs[0].result);
	free(recs);

	ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_REVOKE, bid,
			       AIOS_CAP_ACCESS_NET | AIOS_CAP_SPAWN_AGENT,
			       &eff, &op_id));
	ASSERT_EQ(self->base.default_caps &
		  ~(AIOS_CAP_ACCESS_NET | AIOS_CAP_SPAWN_AGENT), eff);
	n = audit_by_op(&self->nl, op_id, -1, &recs);
	ASSERT_EQ(1, n);
	EXPECT_EQ(AIOS_OP_CAP_REVOKE, recs[0].op);
	EXPECT_EQ(bid, recs[0].object);
	free(recs);

	/* netlink without a caller fd: judged by CAP_SYS_ADMIN */
	ASSERT_EQ(0, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_GRANT, -1, bid,
				  AIOS_CAP_ACCESS_IO | AIOS_CAP_ADMIN, NULL,
				  NULL, 0));
	ASSERT_EQ((self->base.default_caps & ~AIOS_CAP_SPAWN_AGENT) |
		  AIOS_CAP_ACCESS_IO | AIOS_CAP_ADMIN, aios_caps_of(bfd, 0));
	ASSERT_EQ(0, aios_nl_caps(&self->nl, AIOS_CMD_CAPS_REVOKE, -1, bid,
				  AIOS_CAP_ALL, NULL, NULL, 0));
	ASSERT_EQ(0, aios_caps_of(bfd, 0));
	/* grant to self (agent id 0) */
	ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_GRANT, 0, AIOS_CAP_ACCESS_FS,
			       &eff, NULL));
	ASSERT_EQ(self->base.default_caps | AIOS_CAP_ACCESS_FS, eff);
	close(bfd);
	close(afd);
}

/* What an unprivileged caller gets for GRANT/REVOKE. */
static void refused(struct __test_metadata *_metadata, struct aios_nl *nl,
		    __u64 default_caps)
{
	char ext[256];
	__u64 bid = 0;
	int afd = aios_new_agent("plain-a", NULL);
	int bfd = aios_new_agent("plain-b", &bid);

	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(-EPERM, aios_caps(afd, AIOS_CAPS_GRANT, bid,
				    AIOS_CAP_ACCESS_NET, NULL, NULL));
	expect_denial(_metadata, afd, AIOS_OP_CAP_GRANT, AIOS_CAP_ADMIN,
		      "ADMIN required", NULL);
	ASSERT_EQ(-EPERM, aios_caps(afd, AIOS_CAPS_GRANT, 0, AIOS_CAP_ADMIN,
				    NULL, NULL));
	ASSERT_EQ(-EPERM, aios_caps(afd, AIOS_CAPS_REVOKE, bid,
				    AIOS_CAP_SPAWN_AGENT, NULL, NULL));
	expect_denial(_metadata, afd, AIOS_OP_CAP_REVOKE, AIOS_CAP_ADMIN,
		      "ADMIN required", NULL);

	/* netlink, without and with a caller agent */
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_caps(nl, AIOS_CMD_CAPS_GRANT, -1, bid,
				       AIOS_CAP_ACCESS_NET, NULL, ext,
				       sizeof(ext)));
	ASSERT_STREQ("ADMIN required", ext);
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_caps(nl, AIOS_CMD_CAPS_GRANT, afd, bid,
				       AIOS_CAP_ACCESS_NET, NULL, ext,
				       sizeof(ext)));
	ASSERT_STREQ("ADMIN required", ext);
	ext[0] = 0;
	ASSERT_EQ(-EPERM, aios_nl_caps(nl, AIOS_CMD_CAPS_REVOKE, afd, bid,
				       AIOS_CAP_SPAWN_AGENT, NULL, ext,
				       sizeof(ext)));
	ASSERT_STREQ("ADMIN required", ext);
	/* nothing changed */
	ASSERT_EQ(default_caps, aios_caps_of(afd, bid));
	ASSERT_EQ(default_caps, aios_caps_of(afd, 0));
	close(bfd);
	close(afd);
}

TEST_F(caps, grant_revoke_refused_for_non_admin)
{
	pid_t pid;

	if (!aios_have_sys_admin()) {
		refused(_metadata, &self->nl, self->base.default_caps);
		return;
	}
	CHILD(pid) {
		struct aios_nl nl;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		refused(_metadata, &nl, self->base.default_caps);
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/* A netlink denial without a caller agent is audited with agent id 0. */
TEST_F(caps, netlink_denial_audited_as_agent_zero)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	struct aios_t_status st;
	__u64 bid = 0;
	int bfd, n, found = 0;
	pid_t pid;

	if (!aios_have_sys_admin())
		SKIP(return, "reading other agents' audit records needs admin");
	bfd = aios_new_agent("target", &bid);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	CHILD(pid) {
		struct aios_nl nl;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		ASSERT_EQ(-EPERM, aios_nl_caps(&nl, AIOS_CMD_CAPS_GRANT, -1,
					       bid, AIOS_CAP_ACCESS_FS, NULL,
					       NULL, 0));
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
	f.seq_after = st.next_seq - 1;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		if (recs[i].op != AIOS_OP_CAP_GRANT || recs[i].object != bid)
			continue;
		found++;
		EXPECT_EQ(0, recs[i].agent_id);
		EXPECT_EQ(-EPERM, recs[i].result);
		EXPECT_EQ(AIOS_CAP_ADMIN, recs[i].cap);
	}
	free(recs);
	ASSERT_EQ(1, found);
	close(bfd);
}

/*
 * An agent holding ADMIN may grant and revoke without CAP_SYS_ADMIN,
 * over ioctl and over netlink with AIOS_A_CALLER_FD; the same netlink
 * request without the caller fd is refused.
 */
TEST_F(caps, admin_agent_grants_without_sys_admin)
{
	int to_parent[2], to_child[2];
	__u64 aid = 0, go = 0;
	int rfd;
	pid_t pid;

	if (!aios_have_sys_admin())
		SKIP(return, "granting ADMIN needs CAP_SYS_ADMIN");
	rfd = aios_new_agent("root-agent", NULL);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	CHILD(pid) {
		struct aios_nl nl;
		char ext[256];
		__u64 id = 0, bid = 0, eff = 0;
		int afd, bfd;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		afd = aios_new_agent("admin-agent", &id);
		bfd = aios_new_agent("b", &bid);
		ASSERT_LE(0, afd);
		ASSERT_LE(0, bfd);
		ASSERT_EQ(0, aios_write_u64(to_parent[1], id));
		ASSERT_EQ(0, aios_read_u64(to_child[0], &go));

		ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_GRANT, bid,
				       AIOS_CAP_ACCESS_NET, &eff, NULL));
		ASSERT_EQ(AIOS_CAP_ACCESS_NET, eff & AIOS_CAP_ACCESS_NET);
		ASSERT_EQ(0, aios_nl_caps(&nl, AIOS_CMD_CAPS_GRANT, afd, bid,
					  AIOS_CAP_ACCESS_IO, NULL, NULL, 0));
		ASSERT_EQ(self->base.default_caps | AIOS_CAP_ACCESS_NET |
			  AIOS_CAP_ACCESS_IO, aios_caps_of(bfd, 0));
		ASSERT_EQ(-EPERM, aios_nl_caps(&nl, AIOS_CMD_CAPS_GRANT, -1,
					       bid, AIOS_CAP_ACCESS_FS, NULL,
					       ext, sizeof(ext)));
		ASSERT_STREQ("ADMIN required", ext);
		ASSERT_EQ(0, aios_nl_caps(&nl, AIOS_CMD_CAPS_REVOKE, afd, bid,
					  AIOS_CAP_ACCESS_NET, NULL, NULL, 0));
		ASSERT_EQ(0, aios_caps(afd, AIOS_CAPS_REVOKE, bid,
				       AIOS_CAP_ACCESS_IO, NULL, NULL));
		ASSERT_EQ(self->base.default_caps, aios_caps_of(bfd, 0));
		aios_nl_close(&nl);
	}
	ASSERT_LT(0, pid);
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(0, aios_read_u64(to_parent[0], &aid));
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_GRANT, aid, AIOS_CAP_ADMIN,
			       NULL, NULL));
	ASSERT_EQ(0, aios_write_u64(to_child[1], 1));
	ASSERT_EQ(0, aios_wait(pid));
	close(rfd);
}

TEST_F(caps, revoke_propagates_to_descendants)
{
	const __u64 net = AIOS_CAP_ACCESS_NET, io = AIOS_CAP_ACCESS_IO;
	__u64 aid = 0, cid = 0, gid = 0;
	int rfd, afd, cfd, gfd;

	if (!aios_have_sys_admin())
		SKIP(return, "granting needs CAP_SYS_ADMIN");
	rfd = aios_new_agent("root-agent", NULL);
	afd = aios_new_agent("a", &aid);
	ASSERT_LE(0, rfd);
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_GRANT, aid, net | io, NULL,
			       NULL));
	cfd = aios_spawn(afd, AIOS_SPAWN_CAPS, "c", -1,
			 AIOS_CAP_SPAWN_AGENT | net | io, &cid);
	ASSERT_LE(0, cfd);
	gfd = aios_spawn(cfd, AIOS_SPAWN_CAPS, "g", -1, net, &gid);
	ASSERT_LE(0, gfd);

	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_REVOKE, aid, net, NULL, NULL));
	EXPECT_EQ(0, aios_caps_of(rfd, aid) & net);
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT | io, aios_caps_of(rfd, cid));
	EXPECT_EQ(0, aios_caps_of(rfd, gid));

	/* a grant to the parent does not flow down */
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_GRANT, aid, net, NULL, NULL));
	EXPECT_EQ(net, aios_caps_of(rfd, aid) & net);
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT | io, aios_caps_of(rfd, cid));
	EXPECT_EQ(0, aios_caps_of(rfd, gid));

	/* revoking from the middle leaves the parent alone */
	ASSERT_EQ(0, aios_caps(rfd, AIOS_CAPS_REVOKE, cid, io, NULL, NULL));
	EXPECT_EQ(io, aios_caps_of(rfd, aid) & io);
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, aios_caps_of(rfd, cid));
	close(gfd);
	close(cfd);
	close(afd);
	close(rfd);
}

/*
 * Root of a child user namespace holds CAP_SYS_ADMIN there, but that
 * must not make it an aios admin (else unshare -U would escalate).
 */
TEST_F(caps, userns_root_is_not_admin)
{
	pid_t pid;

	CHILD(pid) {
		struct aios_nl nl;
		char ext[256];
		__u64 bid = 0;
		int afd, bfd;

		/* root creates it as root: inside it keeps no capability
		 * in the initial user namespace.  unshare() fails inside a
		 * chroot (as in tools/vm/run) or when user namespaces are
		 * disabled; then the test is skipped. */
		if (unshare(CLONE_NEWUSER)) {
			TH_LOG("unshare(CLONE_NEWUSER): %m");
			_exit(4);	/* no user namespace for us */
		}
		ASSERT_TRUE(aios_have_sys_admin());
		afd = aios_new_agent("userns-a", NULL);
		bfd = aios_new_agent("userns-b", &bid);
		ASSERT_LE(0, afd);
		ASSERT_LE(0, bfd);
		ASSERT_EQ(-EPERM, aios_caps(afd, AIOS_CAPS_GRANT, bid,
					    AIOS_CAP_ADMIN, NULL, NULL));
		expect_denial(_metadata, afd, AIOS_OP_CAP_GRANT,
			      AIOS_CAP_ADMIN, "ADMIN required", NULL);
		ASSERT_EQ(0, aios_nl_open(&nl));
		ASSERT_EQ(-EPERM, aios_nl_caps(&nl, AIOS_CMD_CAPS_GRANT, -1,
					       bid, AIOS_CAP_ADMIN, NULL, ext,
					       sizeof(ext)));
		ASSERT_EQ(-EPERM, aios_nl_audit_config(&nl, 16, NULL, 0));
		ASSERT_EQ(self->base.default_caps, aios_caps_of(afd, bid));
		aios_nl_close(&nl);
	}
	ASSERT_LT(0, pid);
	int st = aios_wait(pid);

	if (st == 4)
		SKIP(return, "cannot create a user namespace here (chroot or disabled)");
	ASSERT_EQ(0, st);
}

TEST_HARNESS_MAIN
