// SPDX-License-Identifier: GPL-2.0
/*
 * Registry stress: many processes register, spawn and die (some by
 * SIGKILL at arbitrary points) while another process dumps the agent
 * list and status in a loop.  Afterwards no agent of any of them may
 * remain and the live count is back to the baseline.
 */
#include "aios_test.h"
#include "kselftest_harness.h"

#define CHURNERS	6
#define CHURN_ROUNDS	40
#define VICTIM_ROUNDS	4
#define VICTIMS		12
#define STRESS_PREFIX	"stress-"

FIXTURE(stress) {
	struct aios_nl nl;
	struct aios_t_status base;
	bool restore;	/* the audit ring size */
};

FIXTURE_SETUP(stress)
{
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	ASSERT_EQ(0, aios_nl_status(&self->nl, &self->base));
}

FIXTURE_TEARDOWN(stress)
{
	if (self->restore)
		aios_nl_audit_config(&self->nl, self->base.ring_size, NULL, 0);
	aios_nl_close(&self->nl);
}

/* Dump until the pipe is closed; exit 0 only if every dump was sane. */
static void dumper(int stop_fd)
{
	struct aios_t_status st;
	struct aios_t_agent *all;
	struct aios_nl nl;
	long dumps = 0;
	int n;

	if (aios_nl_open(&nl))
		_exit(10);
	for (;;) {
		struct pollfd p = { .fd = stop_fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			break;
		if (aios_nl_agents(&nl, &all, &n))
			_exit(11);
		for (int i = 0; i < n; i++) {
			if (!all[i].id || !all[i].name[0] ||
			    all[i].state > AIOS_AGENT_DEAD)
				_exit(12);
			for (int j = 0; j < i; j++)
				if (all[j].id == all[i].id)
					_exit(13);	/* listed twice */
		}
		free(all);
		if (aios_nl_status(&nl, &st) ||
		    st.next_seq - st.first_seq > st.ring_size ||
		    st.lost != st.first_seq - 1)
			_exit(14);
		dumps++;
	}
	aios_nl_close(&nl);
	_exit(dumps > 0 ? 0 : 15);
}

/* Register, spawn, close, over and over. */
static void churner(void)
{
	char name[AIOS_NAME_MAX];

	snprintf(name, sizeof(name), STRESS_PREFIX "churn-%d", getpid());
	for (int i = 0; i < CHURN_ROUNDS; i++) {
		__u64 id = 0;
		int fd = aios_new_agent(name, &id);
		int cfd;

		if (fd < 0)
			_exit(20);
		cfd = aios_spawn(fd, i & 1 ? AIOS_SPAWN_CAPS : 0, name, -1, 0,
				 NULL);
		if (cfd < 0)
			_exit(21);
		if (aios_id_of(fd) != id)
			_exit(22);
		/* odd rounds: close the parent first */
		if (i & 1) {
			close(fd);
			close(cfd);
		} else {
			close(cfd);
			close(fd);
		}
	}
	_exit(0);
}

/* Register a few agents, say so, then wait to be killed. */
static void victim(int ready_fd, int nagents)
{
	char name[AIOS_NAME_MAX];

	snprintf(name, sizeof(name), STRESS_PREFIX "victim-%d", getpid());
	for (int i = 0; i < nagents; i++) {
		int fd = aios_new_agent(name, NULL);

		if (fd < 0)
			_exit(30);
		if (i == 1 && aios_spawn(fd, 0, name, -1, 0, NULL) < 0)
			_exit(31);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(32);
	close(ready_fd);
	for (;;)
		pause();
}

TEST_F_TIMEOUT(stress, concurrent_register_and_die, 300)
{
	pid_t dump_pid, churn[CHURNERS], vict[VICTIMS];
	struct aios_t_agent *all;
	struct aios_t_status st;
	int stop[2], ready[2], n;

	ASSERT_EQ(0, pipe(stop));
	dump_pid = fork();
	ASSERT_LE(0, dump_pid);
	if (dump_pid == 0) {
		close(stop[1]);
		dumper(stop[0]);
	}
	close(stop[0]);

	for (int i = 0; i < CHURNERS; i++) {
		churn[i] = fork();
		ASSERT_LE(0, churn[i]);
		if (churn[i] == 0)
			churner();
	}

	for (int round = 0; round < VICTIM_ROUNDS; round++) {
		char c;
		int nready = 0;

		ASSERT_EQ(0, pipe(ready));
		for (int i = 0; i < VICTIMS; i++) {
			vict[i] = fork();
			ASSERT_LE(0, vict[i]);
			if (vict[i] == 0) {
				close(ready[0]);
				victim(ready[1], 1 + i % 3);
			}
		}
		close(ready[1]);
		/* a third die at once, maybe mid-registration */
		for (int i = 0; i < VICTIMS; i += 3)
			kill(vict[i], SIGKILL);
		/* the rest once they are (mostly) registered */
		while (nready < VICTIMS - (VICTIMS + 2) / 3 &&
		       read(ready[0], &c, 1) == 1)
			nready++;
		for (int i = 0; i < VICTIMS; i++)
			kill(vict[i], SIGKILL);
		for (int i = 0; i < VICTIMS; i++)
			ASSERT_EQ(128 + SIGKILL, aios_wait(vict[i]));
		close(ready[0]);
	}

	for (int i = 0; i < CHURNERS; i++) {
		ASSERT_EQ(0, aios_wait(churn[i])) TH_LOG("churner %d", i);
	}
	close(stop[1]);
	ASSERT_EQ(0, aios_wait(dump_pid)) TH_LOG("dumper failed");

	/* nothing leaked */
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	ASSERT_EQ(0, aios_nl_agents(&self->nl, &all, &n));
	ASSERT_EQ(self->base.agents, n);
	for (int i = 0; i < n; i++) {
		ASSERT_NE(0, strncmp(all[i].name, STRESS_PREFIX,
				     strlen(STRESS_PREFIX)))
			TH_LOG("leaked agent %llu '%s' pid %u",
			       (unsigned long long)all[i].id, all[i].name,
			       all[i].pid);
	}
	free(all);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_LE(self->base.next_agent_id +
		  CHURNERS * CHURN_ROUNDS * 2, st.next_agent_id);
	ASSERT_EQ(st.first_seq - 1, st.lost);
}

/*
 * Admin kills over netlink racing with the agents' processes dying and
 * with a 16-entry audit ring wrapping constantly under audit dumps.  A
 * kill may find its target gone (ESRCH) but must never fail otherwise.
 */
static void netlink_killer(int stop_fd)
{
	struct aios_t_audit *recs;
	struct aios_t_agent *all;
	struct aios_nl nl;
	long kills = 0;
	int n, ret;

	if (aios_nl_open(&nl))
		_exit(40);
	for (;;) {
		struct pollfd p = { .fd = stop_fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			break;
		if (aios_nl_agents(&nl, &all, &n))
			_exit(41);
		for (int i = 0; i < n; i++) {
			if (strncmp(all[i].name, STRESS_PREFIX "victim",
				    strlen(STRESS_PREFIX "victim")))
				continue;
			ret = aios_nl_kill(&nl, -1, all[i].id, SIGKILL,
					   i & 1 ? AIOS_KILL_PGRP : 0, NULL, 0);
			if (ret && ret != -ESRCH)
				_exit(42);
			kills += !ret;
		}
		free(all);
		/* the ring wraps under us: the dump must stay consistent */
		if (aios_nl_audit(&nl, AIOS_NO_FILTER, &recs, &n, NULL, 0))
			_exit(43);
		for (int i = 1; i < n; i++)
			if (recs[i].seq <= recs[i - 1].seq)
				_exit(44);
		free(recs);
	}
	aios_nl_close(&nl);
	_exit(0);
}

TEST_F_TIMEOUT(stress, admin_kills_race_with_exit, 300)
{
	struct aios_t_status st;
	struct aios_t_agent *all;
	pid_t killer, vict[VICTIMS];
	int stop[2], n;

	if (!aios_have_sys_admin())
		SKIP(return, "killing over netlink without a caller needs CAP_SYS_ADMIN");
	self->restore = true;
	ASSERT_EQ(0, aios_nl_audit_config(&self->nl, 16, NULL, 0));
	ASSERT_EQ(0, pipe(stop));
	killer = fork();
	ASSERT_LE(0, killer);
	if (killer == 0) {
		close(stop[1]);
		netlink_killer(stop[0]);
	}
	close(stop[0]);
	for (int round = 0; round < VICTIM_ROUNDS * 2; round++) {
		int ready[2];
		char c;

		ASSERT_EQ(0, pipe(ready));
		for (int i = 0; i < VICTIMS; i++) {
			vict[i] = fork();
			ASSERT_LE(0, vict[i]);
			if (vict[i] == 0) {
				close(ready[0]);
				setpgid(0, 0);	/* PGRP kills hit only it */
				victim(ready[1], 1 + i % 3);
			}
		}
		close(ready[1]);
		/* until each one registered (and closed its end) or died */
		while (read(ready[0], &c, 1) == 1)
			;
		close(ready[0]);
		for (int i = 0; i < VICTIMS; i += 2)
			kill(vict[i], SIGKILL);
		for (int i = 0; i < VICTIMS; i++) {
			int ret = aios_wait(vict[i]);

			/* killed by us, by the killer, or done waiting */
			if (ret != 128 + SIGKILL) {
				kill(vict[i], SIGKILL);
				ASSERT_EQ(128 + SIGKILL, ret);
			}
		}
	}
	close(stop[1]);
	ASSERT_EQ(0, aios_wait(killer)) TH_LOG("netlink killer failed");
	ASSERT_EQ(0, aios_nl_audit_config(&self->nl, self->base.ring_size,
					  NULL, 0));
	self->restore = false;

	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
	ASSERT_EQ(0, aios_nl_agents(&self->nl, &all, &n));
	for (int i = 0; i < n; i++) {
		ASSERT_NE(0, strncmp(all[i].name, STRESS_PREFIX,
				     strlen(STRESS_PREFIX)));
	}
	free(all);
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(self->base.ring_size, st.ring_size);
	ASSERT_GE(st.ring_size, st.next_seq - st.first_seq);
	ASSERT_LT(self->base.lost, st.lost);	/* the small ring wrapped */
	ASSERT_EQ(st.first_seq - 1, st.lost);
}

/* Many agents in one process, closed in a different order than opened. */
TEST_F(stress, many_agents_one_process)
{
	enum { N = 256 };
	static int fds[N];
	__u64 prev = 0;
	struct aios_t_status st;

	for (int i = 0; i < N; i++) {
		__u64 id = 0;

		fds[i] = aios_new_agent(STRESS_PREFIX "many", &id);
		ASSERT_LE(0, fds[i]) {
			TH_LOG("agent %d", i);
		}
		ASSERT_LT(prev, id);
		prev = id;
	}
	ASSERT_EQ(0, aios_nl_status(&self->nl, &st));
	ASSERT_EQ(self->base.agents + N, st.agents);
	for (int i = 0; i < N; i += 2)
		close(fds[i]);
	ASSERT_EQ(self->base.agents + N / 2,
		  aios_wait_agent_count(&self->nl, self->base.agents + N / 2));
	for (int i = 1; i < N; i += 2)
		close(fds[i]);
	ASSERT_EQ(self->base.agents,
		  aios_wait_agent_count(&self->nl, self->base.agents));
}

TEST_HARNESS_MAIN
