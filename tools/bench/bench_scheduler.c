// SPDX-License-Identifier: GPL-2.0
/*
 * bench_scheduler - aios task queues against the IPC a user would
 * otherwise build a work queue from.
 *
 *  rtt:        one submitter and one worker process; a 64-byte request,
 *              a 64-byte reply.  aios: TASK_SUBMIT -> TASK_FETCH ->
 *              TASK_COMPLETE -> TASK_WAIT returns.  Peers between the
 *              same two processes: POSIX message queues (a request and
 *              a reply queue), a Unix SOCK_SEQPACKET socketpair and a
 *              pipe pair.  Rounds of the four are interleaved.
 *  throughput: one submitter and two worker processes, at most WINDOW
 *              tasks in flight; aios (max_concurrent 2) against POSIX
 *              message queues.
 *  kmem:       kernel memory a queued task holds beyond its payload
 *              (queue statistic AIOS_QUEUE_A_KMEM_BYTES over N tasks).
 *  low wait:   PRIORITY queue, default aging, 2 workers kept saturated
 *              with CRITICAL tasks; the worst wait of LOW tasks submitted
 *              into that load, next to the documented bound.
 *
 * Every ratio is aios cost / peer cost (time per operation); below 1.0
 * aios is better.
 *
 *   bench_scheduler [--json PATH] [--iters N] [--tasks N] [--rtt-cpu CPU]
 *                   [--vm true|false]
 *
 * --rtt-cpu pins both round-trip processes to one CPU for all four
 * mechanisms alike (scheduler.sh does so in the VM: with TCG, a wake-up
 * across virtual CPUs costs milliseconds on a loaded host and would
 * measure the emulator instead of the mechanisms).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <linux/aios.h>

#define MSG		64
#define WINDOW		128
#define ROUNDS		5

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_scheduler: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- aios plumbing ------------------------------------------------------ */

static int agent_open(const char *name)
{
	struct aios_api api = { .size = sizeof(api),
				.api_version = AIOS_API_VERSION };
	struct aios_register r = { .size = sizeof(r),
				   .prio = AIOS_PRIO_NORMAL };
	int fd = open("/dev/aios", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/aios", errno);
	if (ioctl(fd, AIOS_IOC_API, &api))
		die("AIOS_IOC_API", errno);
	if (!(api.features & AIOS_FEAT_QUEUES)) {
		fprintf(stderr, "bench_scheduler: this aios.ko has no task queues (AIOS_FEAT_QUEUES)\n");
		exit(1);
	}
	snprintf(r.name, sizeof(r.name), "%s", name);
	if (ioctl(fd, AIOS_IOC_REGISTER, &r))
		die("AIOS_IOC_REGISTER", errno);
	return fd;
}

static struct nl_sock *nl;
static int family;

static void nl_setup(void)
{
	nl = nl_socket_alloc();
	if (!nl || genl_connect(nl))
		die("generic netlink", EIO);
	family = genl_ctrl_resolve(nl, AIOS_GENL_NAME);
	if (family < 0)
		die("resolve family aios", ENOENT);
}

struct qreply {
	uint32_t id;
	uint64_t kmem, depth;
};

static int qreply_cb(struct nl_msg *m, void *arg)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *q[AIOS_QUEUE_A_MAX + 1];
	struct qreply *r = arg;

	if (genlmsg_parse(nlmsg_hdr(m), 0, tb, AIOS_A_MAX, NULL) ||
	    !tb[AIOS_A_QUEUE] ||
	    nla_parse_nested(q, AIOS_QUEUE_A_MAX, tb[AIOS_A_QUEUE], NULL))
		return NL_SKIP;
	if (q[AIOS_QUEUE_A_ID])
		r->id = nla_get_u32(q[AIOS_QUEUE_A_ID]);
	if (q[AIOS_QUEUE_A_KMEM_BYTES])
		r->kmem = nla_get_u64(q[AIOS_QUEUE_A_KMEM_BYTES]);
	if (q[AIOS_QUEUE_A_DEPTH])
		r->depth = nla_get_u32(q[AIOS_QUEUE_A_DEPTH]);
	return NL_OK;
}

static int ack_cb(struct nl_msg *m, void *arg)
{
	(void)m;
	*(bool *)arg = true;
	return NL_STOP;
}

/*
 * Send one request and read until its ACK: a reply and the ACK arrive
 * as separate datagrams, so nl_send_sync() (one read) would leave the
 * ACK behind for the next request.
 */
static int nl_do(uint8_t cmd, void (*fill)(struct nl_msg *, const void *),
		 const void *arg, struct qreply *r)
{
	struct nl_msg *m = nlmsg_alloc();
	bool acked = false;
	int ret;

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
			       cmd, AIOS_GENL_VERSION))
		die("netlink message", ENOMEM);
	fill(m, arg);
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, qreply_cb, r);
	nl_socket_modify_cb(nl, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &acked);
	ret = nl_send_auto(nl, m);
	nlmsg_free(m);
	while (ret >= 0 && !acked)
		ret = nl_recvmsgs_default(nl);
	if (ret < 0)
		fprintf(stderr, "bench_scheduler: netlink command %u: %s\n", cmd,
			nl_geterror(ret));
	return ret < 0 ? -EIO : 0;
}

struct qspec {
	const char *name;
	uint32_t algo, conc, depth;
};

static void fill_create(struct nl_msg *m, const void *arg)
{
	const struct qspec *s = arg;
	struct nlattr *n = nla_nest_start(m, AIOS_A_QUEUE);

	nla_put_string(m, AIOS_QUEUE_A_NAME, s->name);
	nla_put_u32(m, AIOS_QUEUE_A_ALGO, s->algo);
	nla_put_u32(m, AIOS_QUEUE_A_MAX_CONCURRENT, s->conc);
	nla_put_u32(m, AIOS_QUEUE_A_MAX_DEPTH, s->depth);
	nla_nest_end(m, n);
}

static void fill_ref(struct nl_msg *m, const void *arg)
{
	struct nlattr *n;

	nla_put_u32(m, AIOS_A_FLAGS, AIOS_DESTROY_FORCE);
	n = nla_nest_start(m, AIOS_A_QUEUE);
	nla_put_u32(m, AIOS_QUEUE_A_ID, *(const uint32_t *)arg);
	nla_nest_end(m, n);
}

static void fill_get(struct nl_msg *m, const void *arg)
{
	struct nlattr *n = nla_nest_start(m, AIOS_A_QUEUE);

	nla_put_u32(m, AIOS_QUEUE_A_ID, *(const uint32_t *)arg);
	nla_nest_end(m, n);
}

static uint32_t queue_create(const char *tag, uint32_t algo, uint32_t conc,
			     uint32_t depth)
{
	char name[AIOS_QUEUE_NAME_MAX];
	struct qspec s = { name, algo, conc, depth };
	struct qreply r = { 0 };

	snprintf(name, sizeof(name), "bench-%s-%d", tag, getpid());
	if (nl_do(AIOS_CMD_QUEUE_CREATE, fill_create, &s, &r) || !r.id)
		die(name, EIO);
	return r.id;
}

static void queue_destroy(uint32_t id)
{
	struct qreply r = { 0 };

	nl_do(AIOS_CMD_QUEUE_DESTROY, fill_ref, &id, &r);
}

static struct qreply queue_get(uint32_t id)
{
	struct qreply r = { 0 };

	if (nl_do(AIOS_CMD_QUEUE_GET, fill_get, &id, &r))
		die("AIOS_CMD_QUEUE_GET", EIO);
	return r;
}

static uint64_t a_submit(int fd, uint32_t q, uint32_t prio, const void *p,
			 uint32_t len)
{
	struct aios_task_submit s = {
		.size = sizeof(s), .queue_id = q, .prio = prio,
		.payload = (uintptr_t)p, .payload_len = len,
	};

	if (ioctl(fd, AIOS_IOC_TASK_SUBMIT, &s))
		die("AIOS_IOC_TASK_SUBMIT", errno);
	return s.task_id;
}

/* Returns 0, or -errno (EIDRM when the queue went away). */
static int a_fetch(int fd, uint32_t q, void *buf, uint32_t cap,
		   struct aios_task_fetch *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->queue_id = q;
	f->timeout_ms = -1;
	f->payload = (uintptr_t)buf;
	f->payload_cap = cap;
	return ioctl(fd, AIOS_IOC_TASK_FETCH, f) ? -errno : 0;
}

static void a_complete(int fd, uint64_t id, const void *res, uint32_t len)
{
	struct aios_task_complete c = {
		.size = sizeof(c), .task_id = id, .result = (uintptr_t)res,
		.result_len = len,
	};

	if (ioctl(fd, AIOS_IOC_TASK_COMPLETE, &c))
		die("AIOS_IOC_TASK_COMPLETE", errno);
}

static void a_wait(int fd, uint64_t id, void *res, uint32_t cap)
{
	struct aios_task_wait w = {
		.size = sizeof(w), .task_id = id, .timeout_ms = -1,
		.result = (uintptr_t)res, .result_cap = cap,
	};

	if (ioctl(fd, AIOS_IOC_TASK_WAIT, &w))
		die("AIOS_IOC_TASK_WAIT", errno);
	if (w.state != AIOS_TASK_DONE)
		die("task did not complete", EPROTO);
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;	/* us */
}

/* ---- round trip ------------------------------------------------------------- */

enum { M_AIOS, M_MQ, M_SEQPACKET, M_PIPE, NMECH };

static const char *const mech_name[NMECH] = {
	"aios", "posix_mq", "unix_seqpacket", "pipe",
};

struct peers {
	uint32_t q;
	mqd_t req, resp;
	int sp[2];
	int p_req[2], p_resp[2];
	int agent;			/* submitter's agent fd */
};

static void mq_names(char *req, char *resp, size_t len, const char *tag)
{
	snprintf(req, len, "/aios-bench-%s-req-%d", tag, getpid());
	snprintf(resp, len, "/aios-bench-%s-resp-%d", tag, getpid());
}

static mqd_t mq_make(const char *name, long maxmsg)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = MSG };
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);

	if (q == (mqd_t)-1)
		die("mq_open", errno);
	return q;
}

/* The worker side of one round for mechanism m. */
static void serve(struct peers *p, int m, int n, int agent)
{
	char buf[MSG], res[MSG];
	struct aios_task_fetch f;

	memset(res, 'r', sizeof(res));
	for (int i = 0; i < n; i++) {
		switch (m) {
		case M_AIOS:
			if (a_fetch(agent, p->q, buf, sizeof(buf), &f))
				die("AIOS_IOC_TASK_FETCH", errno);
			a_complete(agent, f.task_id, res, sizeof(res));
			break;
		case M_MQ:
			if (mq_receive(p->req, buf, MSG, NULL) != MSG ||
			    mq_send(p->resp, res, MSG, 0))
				die("mq worker", errno);
			break;
		case M_SEQPACKET:
			if (recv(p->sp[1], buf, MSG, 0) != MSG ||
			    send(p->sp[1], res, MSG, 0) != MSG)
				die("seqpacket worker", errno);
			break;
		default:
			if (read(p->p_req[0], buf, MSG) != MSG ||
			    write(p->p_resp[1], res, MSG) != MSG)
				die("pipe worker", errno);
			break;
		}
	}
}

static uint64_t one_rtt(struct peers *p, int m)
{
	char req[MSG], res[MSG];
	uint64_t t0, id;

	memset(req, 'q', sizeof(req));
	t0 = now_ns();
	switch (m) {
	case M_AIOS:
		id = a_submit(p->agent, p->q, AIOS_PRIO_NORMAL, req, MSG);
		a_wait(p->agent, id, res, sizeof(res));
		break;
	case M_MQ:
		if (mq_send(p->req, req, MSG, 0) ||
		    mq_receive(p->resp, res, MSG, NULL) != MSG)
			die("mq submitter", errno);
		break;
	case M_SEQPACKET:
		if (send(p->sp[0], req, MSG, 0) != MSG ||
		    recv(p->sp[0], res, MSG, 0) != MSG)
			die("seqpacket submitter", errno);
		break;
	default:
		if (write(p->p_req[1], req, MSG) != MSG ||
		    read(p->p_resp[0], res, MSG) != MSG)
			die("pipe submitter", errno);
		break;
	}
	return now_ns() - t0;
}

struct rtt_result {
	double p50, p99, mean;
};

static void bench_rtt(int iters, int cpu, struct rtt_result *out)
{
	char rq[64], rs[64];
	struct peers p;
	uint64_t *lat[NMECH];
	int per = iters / ROUNDS, warm = per / 10 + 1;
	cpu_set_t old, one;
	pid_t pid;

	/* Optionally both processes on one CPU, for every mechanism alike. */
	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_getaffinity(0, sizeof(old), &old) ||
		    sched_setaffinity(0, sizeof(one), &one))
			die("sched_setaffinity", errno);
	}

	mq_names(rq, rs, sizeof(rq), "rtt");
	p.q = queue_create("rtt", AIOS_ALGO_FIFO, 1, 1024);
	p.req = mq_make(rq, 10);
	p.resp = mq_make(rs, 10);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p.sp) ||
	    pipe(p.p_req) || pipe(p.p_resp))
		die("socketpair/pipe", errno);

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		int agent = agent_open("bench-worker");

		for (int r = 0; r < ROUNDS; r++)
			for (int m = 0; m < NMECH; m++)
				serve(&p, m, per + (r ? 0 : warm), agent);
		_exit(0);
	}
	p.agent = agent_open("bench-submitter");
	for (int m = 0; m < NMECH; m++) {
		lat[m] = calloc(per * ROUNDS, sizeof(uint64_t));
		if (!lat[m])
			die("calloc", ENOMEM);
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int m = 0; m < NMECH; m++) {
			if (!r)
				for (int i = 0; i < warm; i++)
					one_rtt(&p, m);
			for (int i = 0; i < per; i++)
				lat[m][r * per + i] = one_rtt(&p, m);
		}
	}
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid", errno);
	for (int m = 0; m < NMECH; m++) {
		double sum = 0;

		for (int i = 0; i < per * ROUNDS; i++)
			sum += (double)lat[m][i];
		out[m].mean = sum / (per * ROUNDS) / 1000.0;
		out[m].p50 = pct(lat[m], per * ROUNDS, 50);
		out[m].p99 = pct(lat[m], per * ROUNDS, 99);
		free(lat[m]);
	}
	close(p.agent);
	queue_destroy(p.q);
	mq_close(p.req);
	mq_close(p.resp);
	mq_unlink(rq);
	mq_unlink(rs);
	close(p.sp[0]);
	close(p.sp[1]);
	if (cpu >= 0 && sched_setaffinity(0, sizeof(old), &old))
		die("sched_setaffinity", errno);
}

/* ---- throughput: 1 submitter, 2 workers ------------------------------------------ */

static double tput_aios(int tasks)
{
	uint64_t *ids = calloc(tasks, sizeof(*ids));
	char req[MSG], res[MSG];
	uint32_t q = queue_create("tput", AIOS_ALGO_FIFO, 2, 1024);
	pid_t w[2];
	uint64_t t0, t;
	int fd, done = 0;

	if (!ids)
		die("calloc", ENOMEM);
	memset(req, 'q', sizeof(req));
	for (int i = 0; i < 2; i++) {
		w[i] = fork();
		if (!w[i]) {
			struct aios_task_fetch f;
			int agent = agent_open("bench-tput-worker");
			char buf[MSG];

			memset(res, 'r', sizeof(res));
			while (!a_fetch(agent, q, buf, sizeof(buf), &f))
				a_complete(agent, f.task_id, res, sizeof(res));
			_exit(0);	/* EIDRM: the queue was destroyed */
		}
	}
	fd = agent_open("bench-tput-submitter");
	t0 = now_ns();
	for (int i = 0; i < tasks; i++) {
		if (i - done >= WINDOW)
			a_wait(fd, ids[done++], res, sizeof(res));
		ids[i] = a_submit(fd, q, AIOS_PRIO_NORMAL, req, MSG);
	}
	while (done < tasks)
		a_wait(fd, ids[done++], res, sizeof(res));
	t = now_ns() - t0;
	queue_destroy(q);
	for (int i = 0; i < 2; i++)
		waitpid(w[i], NULL, 0);
	close(fd);
	free(ids);
	return tasks / ((double)t / 1e9);
}

static double tput_mq(int tasks)
{
	char rq[64], rs[64], req[MSG], res[MSG];
	mqd_t qreq, qresp;
	uint64_t t0, t;
	pid_t w[2];
	int done = 0;

	mq_names(rq, rs, sizeof(rq), "tput");
	qreq = mq_make(rq, WINDOW);
	qresp = mq_make(rs, WINDOW);
	memset(req, 'q', sizeof(req));
	for (int i = 0; i < 2; i++) {
		w[i] = fork();
		if (!w[i]) {
			char buf[MSG];

			memset(res, 'r', sizeof(res));
			for (;;) {
				if (mq_receive(qreq, buf, MSG, NULL) != MSG)
					die("mq worker", errno);
				if (buf[0] == 'x')
					_exit(0);
				if (mq_send(qresp, res, MSG, 0))
					die("mq worker", errno);
			}
		}
	}
	t0 = now_ns();
	for (int i = 0; i < tasks; i++) {
		if (i - done >= WINDOW) {
			if (mq_receive(qresp, res, MSG, NULL) != MSG)
				die("mq submitter", errno);
			done++;
		}
		if (mq_send(qreq, req, MSG, 0))
			die("mq submitter", errno);
	}
	for (; done < tasks; done++)
		if (mq_receive(qresp, res, MSG, NULL) != MSG)
			die("mq submitter", errno);
	t = now_ns() - t0;
	req[0] = 'x';
	for (int i = 0; i < 2; i++)
		mq_send(qreq, req, MSG, 0);
	for (int i = 0; i < 2; i++)
		waitpid(w[i], NULL, 0);
	mq_close(qreq);
	mq_close(qresp);
	mq_unlink(rq);
	mq_unlink(rs);
	return tasks / ((double)t / 1e9);
}

/* ---- kernel memory per queued task ------------------------------------------------ */

static double kmem_per_task(int n)
{
	uint32_t q = queue_create("kmem", AIOS_ALGO_FIFO, 1, 1024);
	int fd = agent_open("bench-kmem");
	char req[MSG];
	struct qreply r;

	if (n > 1024)
		n = 1024;
	memset(req, 'k', sizeof(req));
	for (int i = 0; i < n; i++)
		a_submit(fd, q, AIOS_PRIO_NORMAL, req, MSG);
	r = queue_get(q);
	if (r.depth != (uint64_t)n)
		die("kmem: unexpected depth", EPROTO);
	close(fd);		/* cancels and frees them */
	queue_destroy(q);
	return (double)r.kmem / n - MSG;
}

/* ---- LOW wait under a saturating CRITICAL load -------------------------------------- */

struct low_shared {
	uint64_t max_wait_ns;	/* longest LOW wait seen */
	uint64_t max_cycle_ns;	/* longest fetch-to-fetch time of a worker */
	uint32_t lows;
};

static void atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t m = __atomic_load_n(p, __ATOMIC_SEQ_CST);

	while (v > m && !__atomic_compare_exchange_n(p, &m, v, false,
						     __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST))
		;
}

/* Submit a LOW task stamped with the time of the attempt that succeeds. */
static void submit_low(int fd, uint32_t q)
{
	struct aios_task_submit s = {
		.size = sizeof(s), .flags = AIOS_SUBMIT_NONBLOCK,
		.queue_id = q, .prio = AIOS_PRIO_LOW,
	};
	uint64_t stamp;

	s.payload = (uintptr_t)&stamp;
	s.payload_len = sizeof(stamp);
	for (;;) {
		stamp = now_ns();
		if (!ioctl(fd, AIOS_IOC_TASK_SUBMIT, &s))
			return;
		if (errno != EAGAIN)
			die("AIOS_IOC_TASK_SUBMIT", errno);
	}
}

#define LOW_WORK_US	1000
#define LOW_DEPTH	64

static double low_max_wait(double seconds, double *bound_ms)
{
	struct low_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t q = queue_create("low", AIOS_ALGO_PRIORITY, 2, LOW_DEPTH);
	uint64_t stamp, end, next_low;
	pid_t w[2];
	int fd, lows = 0;

	if (sh == MAP_FAILED)
		die("mmap", errno);
	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < 2; i++) {
		w[i] = fork();
		if (!w[i]) {
			struct aios_task_fetch f;
			int agent = agent_open("bench-low-worker");
			uint64_t p, t, last = 0;

			while (!a_fetch(agent, q, &p, sizeof(p), &f)) {
				t = now_ns();
				if (last)
					atomic_max(&sh->max_cycle_ns, t - last);
				last = t;
				if (f.prio == AIOS_PRIO_LOW) {
					atomic_max(&sh->max_wait_ns, t - p);
					__atomic_add_fetch(&sh->lows, 1,
							   __ATOMIC_SEQ_CST);
				}
				while (now_ns() - t < LOW_WORK_US * 1000ULL)
					;	/* the "work" */
				a_complete(agent, f.task_id, NULL, 0);
			}
			_exit(0);
		}
	}
	fd = agent_open("bench-low-submitter");
	end = now_ns() + (uint64_t)(seconds * 1e9);
	next_low = now_ns() + 50000000ULL;
	/*
	 * Keep the queue full of CRITICAL tasks (submit blocks at max
	 * depth); every 200 ms put a LOW task into that load.  Results are
	 * not collected: closing the agent frees them.
	 */
	while ((stamp = now_ns()) < end) {
		if (stamp >= next_low) {
			submit_low(fd, q);
			next_low = stamp + 200000000ULL;
			lows++;
		} else {
			a_submit(fd, q, AIOS_PRIO_CRITICAL, &stamp,
				 sizeof(stamp));
		}
	}
	/* Let the last LOW tasks through before tearing down. */
	while (__atomic_load_n(&sh->lows, __ATOMIC_SEQ_CST) < (uint32_t)lows)
		usleep(10000);
	close(fd);
	queue_destroy(q);
	for (int i = 0; i < 2; i++)
		waitpid(w[i], NULL, 0);
	/*
	 * Documentation/queues.md: wait <= 3 * aging_ms + ceil((D + 1) / C)
	 * * S, with D <= max_depth - 1 tasks queued ahead, C = max_concurrent
	 * and S the longest time a worker needs per task (measured: the
	 * longest fetch-to-fetch cycle).
	 */
	*bound_ms = 3 * 100.0 + (LOW_DEPTH + 1) / 2 *
		    ((double)sh->max_cycle_ns / 1e6);
	return (double)sh->max_wait_ns / 1e6;
}

/* ---- output ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct rtt_result rtt[NMECH];
	const char *json = NULL, *vm = "false", *only;
	double tp_aios, tp_mq, kmem, low, bound;
	int iters = 10000, tasks = 10000, rtt_cpu = -1;
	struct utsname u;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
			tasks = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--vm") && i + 1 < argc)
			vm = argv[++i];
		else if (!strcmp(argv[i], "--rtt-cpu") && i + 1 < argc)
			rtt_cpu = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--json PATH] [--iters N] [--tasks N] [--rtt-cpu CPU] [--vm true|false]\n",
				argv[0]);
			return 2;
		}
	}
	if (iters < ROUNDS * 10 || tasks < WINDOW) {
		fprintf(stderr, "bench_scheduler: --iters >= %d, --tasks >= %d\n",
			ROUNDS * 10, WINDOW);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	nl_setup();

	/* AIOS_BENCH_SCHED_ONLY=tput_aios etc. runs one part (profiling). */
	only = getenv("AIOS_BENCH_SCHED_ONLY");
	if (only) {
		if (!strcmp(only, "tput_aios"))
			printf("%.0f tasks/s\n", tput_aios(tasks));
		else if (!strcmp(only, "tput_mq"))
			printf("%.0f tasks/s\n", tput_mq(tasks));
		else if (!strcmp(only, "rtt")) {
			bench_rtt(iters, rtt_cpu, rtt);
			for (int m = 0; m < NMECH; m++)
				printf("%-16s p50 %8.2f p99 %8.2f us\n",
				       mech_name[m], rtt[m].p50, rtt[m].p99);
		}
		else
			return 2;
		return 0;
	}
	bench_rtt(iters, rtt_cpu, rtt);
	tp_aios = tput_aios(tasks);
	tp_mq = tput_mq(tasks);
	kmem = kmem_per_task(1000);
	low = low_max_wait(3.0, &bound);

	printf("%-34s %12s %12s %12s\n", "round trip (64 B in, 64 B out)",
	       "p50 us", "p99 us", "mean us");
	for (int m = 0; m < NMECH; m++)
		printf("%-34s %12.2f %12.2f %12.2f\n", mech_name[m], rtt[m].p50,
		       rtt[m].p99, rtt[m].mean);
	printf("%-34s %12s\n", "throughput, 1 submitter 2 workers", "tasks/s");
	printf("%-34s %12.0f\n", "aios", tp_aios);
	printf("%-34s %12.0f\n", "posix_mq", tp_mq);
	printf("%-34s %12.0f\n", "kmem bytes per queued task", kmem);
	printf("%-34s %12.1f  (bound %.1f ms)\n", "LOW max wait ms (CRITICAL load)",
	       low, bound);
	printf("ratios (aios/peer, below 1 = aios better): rtt_p50_vs_posix_mq %.3f rtt_p99_vs_posix_mq %.3f rtt_p50_vs_unix_seqpacket %.3f rtt_p50_vs_pipe %.3f throughput_2w_vs_posix_mq %.3f\n",
	       rtt[M_AIOS].p50 / rtt[M_MQ].p50, rtt[M_AIOS].p99 / rtt[M_MQ].p99,
	       rtt[M_AIOS].p50 / rtt[M_SEQPACKET].p50,
	       rtt[M_AIOS].p50 / rtt[M_PIPE].p50, tp_mq / tp_aios);

	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f)
		die(json, errno);
	uname(&u);
	fprintf(f, "{\"category\": \"scheduler\", \"env\": {\"kernel\": \"%s\", \"vm\": %s, \"cpus\": %ld, \"rtt_iters\": %d, \"rtt_cpu\": %d, \"tasks\": %d, \"window\": %d},\n",
		u.release, vm, sysconf(_SC_NPROCESSORS_ONLN), iters, rtt_cpu,
		tasks, WINDOW);
	fprintf(f, " \"results\": [\n");
	for (int m = 0; m < NMECH; m++)
		fprintf(f, "  {\"name\": \"rtt_p50_%s\", \"value\": %.3f, \"unit\": \"us\"},\n"
			"  {\"name\": \"rtt_p99_%s\", \"value\": %.3f, \"unit\": \"us\"},\n",
			mech_name[m], rtt[m].p50, mech_name[m], rtt[m].p99);
	fprintf(f, "  {\"name\": \"throughput_2w_aios\", \"value\": %.1f, \"unit\": \"tasks/s\"},\n", tp_aios);
	fprintf(f, "  {\"name\": \"throughput_2w_posix_mq\", \"value\": %.1f, \"unit\": \"tasks/s\"},\n", tp_mq);
	fprintf(f, "  {\"name\": \"kmem_bytes_per_task\", \"value\": %.1f, \"unit\": \"bytes beyond the payload\"},\n", kmem);
	fprintf(f, "  {\"name\": \"low_max_wait_ms\", \"value\": %.2f, \"unit\": \"ms\"},\n", low);
	fprintf(f, "  {\"name\": \"low_wait_bound_ms\", \"value\": %.2f, \"unit\": \"ms\"}\n", bound);
	fprintf(f, " ],\n \"ratios\": {\"rtt_p50_vs_posix_mq\": %.4f, \"rtt_p99_vs_posix_mq\": %.4f, \"rtt_p50_vs_unix_seqpacket\": %.4f, \"rtt_p50_vs_pipe\": %.4f, \"throughput_2w_vs_posix_mq\": %.4f}}\n",
		rtt[M_AIOS].p50 / rtt[M_MQ].p50, rtt[M_AIOS].p99 / rtt[M_MQ].p99,
		rtt[M_AIOS].p50 / rtt[M_SEQPACKET].p50,
		rtt[M_AIOS].p50 / rtt[M_PIPE].p50, tp_mq / tp_aios);
	fclose(f);
	return 0;
}
