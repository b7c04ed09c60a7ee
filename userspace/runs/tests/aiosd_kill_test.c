// SPDX-License-Identifier: GPL-2.0
/*
 * kill -9 of aiosd during group-committed ledger appends: 8 clients
 * append to one run over the socket and note every acknowledged seq;
 * aiosd is killed with SIGKILL at random moments and restarted; every
 * acknowledged record must be in the ledger afterwards, intact, and the
 * chain must verify.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "aiosd_client.h"
#include "ledger.h"
#include "testutil.h"

#ifndef AIOSD_BIN
#define AIOSD_BIN "aiosd"
#endif

enum { CLIENTS = 8, MAXACK = 1 << 17 };

struct shared {
	char sock[300];
	atomic_int stop;
	pthread_mutex_t mu;
	size_t nack;
	struct { uint64_t seq; uint32_t tid, n; } ack[MAXACK];
};

static pid_t start_daemon(const char *dir, const char *sock)
{
	char store[300], state[300];
	pid_t pid;

	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		setenv("AIOS_RUNS_DIR", state, 1);
		execl(AIOSD_BIN, "aiosd", "-s", sock, "-d", store, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static struct aiosd_client *connect_retry(const char *sock)
{
	struct aiosd_client *c;

	for (int i = 0; i < 500; i++) {
		if (!aiosd_connect(sock, &c))
			return c;
		usleep(10000);
	}
	return NULL;
}

struct targ {
	struct shared *s;
	unsigned int tid;
	unsigned int n;
};

static void *client(void *p)
{
	struct targ *a = p;
	struct aiosd_client *c = connect_retry(a->s->sock);

	while (c && !atomic_load(&a->s->stop)) {
		json_t *req = json_pack("{s:s, s:s, s:s, s:{s:i, s:i}}", "op", "ledger.append",
					"run", "k", "type", "step", "payload",
					"tid", (int)a->tid, "n", (int)a->n);
		json_t *rep = NULL;
		int rc = aiosd_call(c, req, &rep);

		json_decref(req);
		if (rc) {
			json_decref(rep);
			break;	/* daemon gone */
		}
		pthread_mutex_lock(&a->s->mu);
		if (a->s->nack < MAXACK) {
			a->s->ack[a->s->nack].seq = (uint64_t)json_integer_value(json_object_get(rep, "seq"));
			a->s->ack[a->s->nack].tid = a->tid;
			a->s->ack[a->s->nack].n = a->n;
			a->s->nack++;
		}
		pthread_mutex_unlock(&a->s->mu);
		json_decref(rep);
		a->n++;
	}
	if (c)
		aiosd_close(c);
	return NULL;
}

TEST(acknowledged_appends_survive_kill9)
{
	static struct shared s;
	char dir[256], ledger[400];
	struct aiosd_client *c;
	json_t *rep = NULL, *req;
	unsigned int seed = (unsigned int)time(NULL);
	struct targ args[CLIENTS];
	pid_t pid;
	int rc, st;

	make_scratch(dir, sizeof(dir));
	snprintf(s.sock, sizeof(s.sock), "%s/aiosd.sock", dir);
	pthread_mutex_init(&s.mu, NULL);
	pid = start_daemon(dir, s.sock);
	ASSERT_LT(0, pid);
	c = connect_retry(s.sock);
	ASSERT_NE(NULL, c);
	req = json_pack("{s:s, s:s, s:s}", "op", "run.create", "run", "k", "fsync", "group");
	rc = aiosd_call(c, req, &rep);
	json_decref(req);
	json_decref(rep);
	aiosd_close(c);
	ASSERT_EQ(0, rc);
	TH_LOG("seed %u", seed);
	srand(seed);
	for (unsigned int i = 0; i < CLIENTS; i++)
		args[i] = (struct targ){ &s, i, 0 };
	for (int round = 0; round < 4; round++) {
		pthread_t th[CLIENTS];
		struct timespec ts = { 0, (30 + rand() % 300) * 1000000L };

		atomic_store(&s.stop, 0);
		if (round) {
			pid = start_daemon(dir, s.sock);
			ASSERT_LT(0, pid);
		}
		for (unsigned int i = 0; i < CLIENTS; i++)
			pthread_create(&th[i], NULL, client, &args[i]);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st));
		atomic_store(&s.stop, 1);
		for (unsigned int i = 0; i < CLIENTS; i++)
			pthread_join(th[i], NULL);
	}
	TH_LOG("%zu acknowledged appends over 4 kills", s.nack);
	ASSERT_LT(0, s.nack);

	/* the ledger itself, read directly: every acknowledged record */
	snprintf(ledger, sizeof(ledger), "%s/state/runs/k/ledger.log", dir);
	{
		struct aios_ledger_opts o = { .policy = AIOS_LEDGER_FSYNC_NONE };
		struct aios_ledger_recovery recv;
		struct aios_ledger *l;
		struct aios_rerr e;

		ASSERT_EQ(0, aios_ledger_open(ledger, &o, &l, &recv, &e)) {
			TH_LOG("%s", e.msg);
		}
		for (size_t i = 0; i < s.nack; i++) {
			struct aios_ledger_rec r;
			json_t *p;

			ASSERT_LE(s.ack[i].seq, recv.records);
			ASSERT_EQ(0, aios_ledger_read(l, s.ack[i].seq, &r, &e));
			p = json_loadb((char *)r.payload, r.payload_len, 0, NULL);
			ASSERT_EQ(s.ack[i].tid, json_integer_value(json_object_get(p, "tid")));
			ASSERT_EQ(s.ack[i].n, json_integer_value(json_object_get(p, "n")));
			json_decref(p);
			aios_ledger_rec_free(&r);
		}
		aios_ledger_close(l);
	}
	/* and the whole chain verifies */
	{
		struct aios_ledger_verify v;
		struct aios_rerr e;

		ASSERT_EQ(0, aios_ledger_verify_file(ledger, &v, &e)) {
			TH_LOG("%s", e.msg);
		}
		ASSERT_LE(s.nack, v.records);
	}
	rm_scratch(dir);
}

TEST_HARNESS_MAIN
