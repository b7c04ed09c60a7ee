// SPDX-License-Identifier: GPL-2.0
/*
 * Audit ring: record fields, filters, visibility rules, overflow
 * accounting (lost == first_seq - 1), ring resizing and the "audit"
 * multicast group.
 */
#include "aios_test.h"
#include "kselftest_harness.h"

FIXTURE(audit) {
	struct aios_nl nl;
	struct aios_t_status base;
	bool restore;
};

FIXTURE_SETUP(audit)
{
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
	ASSERT_NE(0, self->base.ring_size);
}

FIXTURE_TEARDOWN(audit)
{
	if (self->restore)
		aios_nl_audit_config(&self->nl, self->base.ring_size, NULL, 0);
	aios_nl_close(&self->nl);
}

static bool admin(void)
{
	return aios_have_sys_admin();
}

/* One CHECK of held bits: exactly one audit record; returns its op id. */
static __u64 check_op(int fd)
{
	__u64 op_id = 0;

	if (aios_caps(fd, AIOS_CAPS_CHECK, 0, AIOS_CAP_SPAWN_AGENT, NULL,
		      &op_id))
		return 0;
	return op_id;
}

static void check_status_invariants(struct __test_metadata *_metadata,
				    const struct aios_t_status *st)
{
	ASSERT_LE(1, st->first_seq);
	ASSERT_LE(st->first_seq, st->next_seq);
	ASSERT_GE(st->ring_size, st->next_seq - st->first_seq);
	ASSERT_EQ(st->first_seq - 1, st->lost);
}

TEST_F(audit, status_invariants)
{
	ASSERT_EQ(0, self->base.ring_size & (self->base.ring_size - 1));
	ASSERT_LE(16, self->base.ring_size);
	check_status_invariants(_metadata, &self->base);
}

TEST_F(audit, record_has_documented_fields)
{
	struct aios_t_audit *recs = NULL;
	struct aios_t_status st;
	__u64 id = 0, op_id, before, after;
	int fd = aios_new_agent("audited", &id);
	int n;

	ASSERT_LE(0, fd);
	before = aios_boottime_ns();
	op_id = check_op(fd);
	after = aios_boottime_ns();
	ASSERT_NE(0, op_id);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));

	struct aios_t_audit_filter f = AIOS_NO_FILTER;

	f.op_id = op_id;
	f.caller_fd = admin() ? -1 : fd;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(1, n);
	EXPECT_EQ(AIOS_AUDIT_ALL_FIELDS, recs[0].present & AIOS_AUDIT_ALL_FIELDS);
	EXPECT_LE(self->base.next_seq, recs[0].seq);
	EXPECT_GT(st.next_seq, recs[0].seq);
	EXPECT_EQ(op_id, recs[0].op_id);
	EXPECT_EQ(id, recs[0].agent_id);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, recs[0].op);
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, recs[0].object);
	EXPECT_EQ(0, recs[0].result);
	EXPECT_LE(before, recs[0].time_ns);
	EXPECT_GE(after, recs[0].time_ns);
	free(recs);
	close(fd);
}

TEST_F(audit, register_and_unregister_recorded)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	__u64 id = 0;
	int fd = aios_new_agent("lifecycle", &id);
	int n, reg = 0, unreg = 0;

	ASSERT_LE(0, fd);
	f.seq_after = self->base.next_seq - 1;
	f.caller_fd = fd;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		if (recs[i].op != AIOS_OP_REGISTER || recs[i].object != id)
			continue;
		reg++;
		EXPECT_EQ(id, recs[i].agent_id);
		EXPECT_EQ(0, recs[i].result);
	}
	free(recs);
	ASSERT_EQ(1, reg);
	close(fd);
	if (!admin())
		SKIP(return, "UNREGISTER of a gone agent is visible to admin only");
	f.caller_fd = -1;
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++)
		if (recs[i].op == AIOS_OP_UNREGISTER && recs[i].object == id)
			unreg++;
	free(recs);
	ASSERT_EQ(1, unreg);
}

TEST_F(audit, seq_after_filter_and_order)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	__u64 ops[4], after_seq;
	int fd = aios_new_agent("seq", NULL);
	int n, seen = 0;

	ASSERT_LE(0, fd);
	ops[0] = check_op(fd);
	ASSERT_NE(0, ops[0]);
	/* the seq of the first op: everything after it */
	f.op_id = ops[0];
	f.caller_fd = admin() ? -1 : fd;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(1, n);
	after_seq = recs[0].seq;
	free(recs);
	for (int i = 1; i < 4; i++) {
		ops[i] = check_op(fd);
		ASSERT_LT(ops[i - 1], ops[i]);
	}
	f.op_id = 0;
	f.seq_after = after_seq;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_LE(3, n);
	for (int i = 0; i < n; i++) {
		ASSERT_LT(after_seq, recs[i].seq);
		if (i)
			ASSERT_LT(recs[i - 1].seq, recs[i].seq);
		ASSERT_NE(ops[0], recs[i].op_id);
		for (int j = 1; j < 4; j++)
			seen += recs[i].op_id == ops[j];
	}
	ASSERT_EQ(3, seen);
	free(recs);
	close(fd);
}

TEST_F(audit, agent_filter)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	__u64 aid = 0, bid = 0, aop, bop;
	int afd = aios_new_agent("a", &aid);
	int bfd = aios_new_agent("b", &bid);
	int n, seen = 0;

	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);
	aop = check_op(afd);
	bop = check_op(bfd);
	ASSERT_NE(0, aop);
	ASSERT_NE(0, bop);
	f.agent_id = aid;
	f.caller_fd = admin() ? -1 : afd;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(aid, recs[i].agent_id);
		ASSERT_NE(bop, recs[i].op_id);
		seen += recs[i].op_id == aop;
	}
	ASSERT_EQ(1, seen);
	free(recs);
	close(bfd);
	close(afd);
}

static void own_records_only(struct __test_metadata *_metadata,
			     struct aios_nl *nl)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	__u64 aid = 0, aop, bop;
	int afd = aios_new_agent("mine", &aid);
	int bfd = aios_new_agent("not-mine", NULL);
	char ext[256];
	int n, seen = 0;

	ASSERT_LE(0, afd);
	ASSERT_LE(0, bfd);
	aop = check_op(afd);
	bop = check_op(bfd);
	ASSERT_NE(0, aop);
	ASSERT_NE(0, bop);
	f.caller_fd = afd;
	ASSERT_EQ(0, aios_nl_audit(nl, f, &recs, &n, NULL, 0));
	ASSERT_LE(1, n);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(aid, recs[i].agent_id);
		ASSERT_NE(bop, recs[i].op_id);
		seen += recs[i].op_id == aop;
	}
	ASSERT_EQ(1, seen);
	free(recs);
	/* filtering on another agent's op id finds nothing */
	f.op_id = bop;
	ASSERT_EQ(0, aios_nl_audit(nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(0, n);
	free(recs);
	/* without a caller agent a non-admin may not read the ring */
	f = AIOS_NO_FILTER;
	ASSERT_EQ(-EPERM, aios_nl_audit(nl, f, &recs, &n, ext, sizeof(ext)));
	ASSERT_NE(0, ext[0]);
	close(bfd);
	close(afd);
}

TEST_F(audit, non_admin_sees_only_own_records)
{
	pid_t pid;

	if (!admin()) {
		own_records_only(_metadata, &self->nl);
		return;
	}
	CHILD(pid) {
		struct aios_nl nl;

		ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		own_records_only(_metadata, &nl);
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/*
 * Shrink the ring to 16 entries, write more than 16 records and check
 * the exact accounting: the ring holds the newest 16, lost ==
 * first_seq - 1, and a dump returns exactly [first_seq, next_seq).
 */
TEST_F(audit, overflow_accounting_is_exact)
{
	const int nrec = 40;
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	struct aios_t_status s1, s2, s3;
	__u64 ops[40];
	char ext[256];
	int fd, n, cfg = 0;

	if (!admin())
		SKIP(return, "AUDIT_CONFIG needs CAP_SYS_ADMIN");
	fd = aios_new_agent("flood", NULL);
	ASSERT_LE(0, fd);
	self->restore = true;
	ASSERT_EQ(0, aios_nl_audit_config(&self->nl, 16, ext, sizeof(ext)))
		TH_LOG("extack: %s", ext);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &s1));
	ASSERT_EQ(16, s1.ring_size);
	check_status_invariants(_metadata, &s1);
	/* the resize itself is audited */
	f.seq_after = self->base.next_seq - 1;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		if (recs[i].op != AIOS_OP_AUDIT_CONFIG)
			continue;
		cfg++;
		EXPECT_EQ(16, recs[i].object);
		EXPECT_EQ(0, recs[i].result);
		EXPECT_EQ(0, recs[i].agent_id);
	}
	free(recs);
	ASSERT_EQ(1, cfg);

	for (int i = 0; i < nrec; i++) {
		ops[i] = check_op(fd);
		ASSERT_NE(0, ops[i]);
	}
	ASSERT_EQ(0, aios_nl_status(&self->nl, &s2));
	ASSERT_EQ(s1.next_seq + nrec, s2.next_seq);
	ASSERT_EQ(16, s2.next_seq - s2.first_seq);
	ASSERT_EQ(s2.first_seq - 1, s2.lost);
	ASSERT_LT(s1.lost, s2.lost);

	f = AIOS_NO_FILTER;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(16, n);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(s2.first_seq + i, recs[i].seq);
		ASSERT_EQ(ops[nrec - 16 + i], recs[i].op_id);
	}
	free(recs);

	/* an overwritten record is gone for good */
	f.op_id = ops[0];
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(0, n);
	free(recs);

	/* growing keeps what is held and the loss count */
	ASSERT_EQ(0, aios_nl_audit_config(&self->nl, self->base.ring_size,
					  NULL, 0));
	self->restore = false;
	ASSERT_EQ(0, aios_nl_status(&self->nl, &s3));
	ASSERT_EQ(self->base.ring_size, s3.ring_size);
	ASSERT_EQ(s2.next_seq + 1, s3.next_seq);	/* the config record */
	/* the config record may have been written before the resize */
	ASSERT_LE(s2.first_seq, s3.first_seq);
	ASSERT_GE(s2.first_seq + 1, s3.first_seq);
	ASSERT_EQ(s3.first_seq - 1, s3.lost);
	check_status_invariants(_metadata, &s3);
	close(fd);
}

TEST_F(audit, config_rejects_bad_sizes)
{
	__u32 bad[] = { 0, 1, 8, 15, 17, 24, 3000, 1U << 21, 0xffffffffU };
	struct aios_t_status st;
	char ext[256];

	if (!admin())
		SKIP(return, "AUDIT_CONFIG needs CAP_SYS_ADMIN");
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ext[0] = 0;
		EXPECT_EQ(-EINVAL, aios_nl_audit_config(&self->nl, bad[i], ext,
							sizeof(ext))) {
			TH_LOG("ring size %u", bad[i]);
		}
		EXPECT_NE(0, ext[0]) {
			TH_LOG("no extack for ring size %u", bad[i]);
		}
	}
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(self->base.ring_size, st.ring_size);
}

TEST_F(audit, config_needs_sys_admin)
{
	pid_t pid;

	CHILD(pid) {
		struct aios_nl nl;
		int fd;

		if (admin())
			ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&nl));
		ASSERT_EQ(-EPERM, aios_nl_audit_config(&nl, 16, NULL, 0));
		/* not even with an agent as caller */
		fd = aios_new_agent("cfg", NULL);
		ASSERT_LE(0, fd);
		struct nl_msg *m = aios_nl_msg(&nl, AIOS_CMD_AUDIT_CONFIG, 0);
		struct aios_nlreply r;

		ASSERT_NE(NULL, m);
		nla_put_u32(m, AIOS_A_RING_SIZE, 16);
		nla_put_u32(m, AIOS_A_CALLER_FD, fd);
		ASSERT_EQ(-EPERM, aios_nl_xfer(&nl, m, &r));
		aios_nlreply_free(&r);
		aios_nl_close(&nl);
	}
	ASSERT_EQ(0, aios_wait(pid));
	struct aios_t_status st;

	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(self->base.ring_size, st.ring_size);
}

struct want_audit {
	__u64 op_id, agent_id;
	struct aios_t_audit rec;
};

static bool match_audit(struct nlattr **tb, void *arg)
{
	struct want_audit *w = arg;
	struct aios_t_audit a;

	if (aios_parse_audit(tb[AIOS_A_AUDIT], &a) || a.op_id != w->op_id)
		return false;
	w->rec = a;
	return true;
}

TEST_F(audit, multicast_audit_group)
{
	struct aios_nl mc;
	struct want_audit w = { 0 };
	int fd;

	if (!admin())
		SKIP(return, "the audit group needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, aios_nl_open(&mc));
	ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_AUDIT));
	fd = aios_new_agent("mc", &w.agent_id);
	ASSERT_LE(0, fd);
	w.op_id = check_op(fd);
	ASSERT_NE(0, w.op_id);
	ASSERT_EQ(0, aios_nl_wait_event(&mc, AIOS_CMD_NTF_AUDIT, match_audit,
					&w, 5000));
	EXPECT_EQ(AIOS_AUDIT_ALL_FIELDS, w.rec.present & AIOS_AUDIT_ALL_FIELDS);
	EXPECT_EQ(w.agent_id, w.rec.agent_id);
	EXPECT_EQ(AIOS_OP_CAP_CHECK, w.rec.op);
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, w.rec.object);
	EXPECT_EQ(0, w.rec.result);
	EXPECT_LE(self->base.next_seq, w.rec.seq);
	close(fd);
	aios_nl_close(&mc);
}

TEST_F(audit, multicast_audit_group_needs_sys_admin)
{
	pid_t pid;

	CHILD(pid) {
		struct aios_nl mc;

		if (admin())
			ASSERT_EQ(0, aios_drop_privs());
		ASSERT_EQ(0, aios_nl_open(&mc));
		ASSERT_EQ(-EPERM, aios_nl_join(&mc, AIOS_MCGRP_AUDIT));
		/* the events group is open to everyone */
		ASSERT_EQ(0, aios_nl_join(&mc, AIOS_MCGRP_EVENTS));
		aios_nl_close(&mc);
	}
	ASSERT_EQ(0, aios_wait(pid));
}

/* SPAWN and MIGRATE are audited, with the documented objects. */
TEST_F(audit, spawn_and_migrate_recorded)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	cpu_set_t cur;
	__u64 id = 0, cid = 0;
	int fd = aios_new_agent("auditor", &id);
	int cfd, n, spawn = 0, migrate = 0;

	ASSERT_LE(0, fd);
	cfd = aios_spawn(fd, 0, "audited-child", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cur), &cur));
	ASSERT_EQ(0, aios_migrate(fd, 0, &cur, sizeof(cur)));
	ASSERT_EQ(0, aios_migrate(fd, cid, &cur, sizeof(cur)));

	f.seq_after = self->base.next_seq - 1;
	f.caller_fd = admin() ? -1 : fd;
	f.agent_id = id;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(id, recs[i].agent_id);
		if (recs[i].op == AIOS_OP_SPAWN) {
			spawn++;
			EXPECT_EQ(cid, recs[i].object);
			EXPECT_EQ(0, recs[i].result);
		}
		if (recs[i].op == AIOS_OP_MIGRATE) {
			/* self first, then the child */
			EXPECT_EQ(migrate ? cid : id, recs[i].object);
			EXPECT_EQ(0, recs[i].result);
			migrate++;
		}
	}
	free(recs);
	ASSERT_EQ(1, spawn);
	ASSERT_EQ(2, migrate);
	close(cfd);
	close(fd);
}

/*
 * All records one syscall writes share its op id: a KILL also
 * unregisters its target, and both records carry the same op id.
 */
TEST_F(audit, one_syscall_shares_op_id)
{
	struct aios_t_audit_filter f = AIOS_NO_FILTER;
	struct aios_t_audit *recs = NULL;
	__u64 kid = 0, cid = 0, op_id = 0;
	int fd, cfd, n, unreg = 0;

	if (!admin())
		SKIP(return, "granting KILL_AGENT needs CAP_SYS_ADMIN");
	fd = aios_new_agent("killer", &kid);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aios_caps(fd, AIOS_CAPS_GRANT, 0, AIOS_CAP_KILL_AGENT,
			       NULL, NULL));
	cfd = aios_spawn(fd, 0, "victim", -1, 0, &cid);
	ASSERT_LE(0, cfd);
	signal(SIGUSR1, SIG_IGN);	/* the victim's process is ours */
	ASSERT_EQ(0, aios_kill(fd, cid, SIGUSR1, 0));

	f.seq_after = self->base.next_seq - 1;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	for (int i = 0; i < n; i++) {
		if (recs[i].op == AIOS_OP_KILL && recs[i].object == cid) {
			ASSERT_EQ(0, op_id);
			op_id = recs[i].op_id;
			EXPECT_EQ(kid, recs[i].agent_id);
			EXPECT_EQ(0, recs[i].result);
		}
	}
	free(recs);
	ASSERT_NE(0, op_id);
	f = AIOS_NO_FILTER;
	f.op_id = op_id;
	ASSERT_EQ(0, aios_nl_audit(&self->nl, f, &recs, &n, NULL, 0));
	ASSERT_EQ(2, n);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(op_id, recs[i].op_id);
		if (recs[i].op == AIOS_OP_UNREGISTER) {
			unreg++;
			EXPECT_EQ(cid, recs[i].object);
		}
	}
	free(recs);
	ASSERT_EQ(1, unreg);
	close(cfd);
	close(fd);
}

TEST_HARNESS_MAIN
