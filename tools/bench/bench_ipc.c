// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ipc - typed aios IPC against the peers an agent author would
 * otherwise pick: a Unix datagram socket pair and POSIX message queues.
 *
 * Two processes (see --pin) exchange
 * messages of 64 B and 4 KiB:
 *  - one-way latency: ping-pong, one message each way per round trip,
 *    one-way = round-trip / 2 (median of several rounds);
 *  - throughput: one process sends N messages back to back, the other
 *    receives them; messages per second over the whole transfer;
 *  - loop: one process sends to itself and receives the message back,
 *    the send + receive path without any scheduling (ns per message).
 * aios sends both TEXT and JSON payloads (validated by the kernel on
 * every send); the peers move the same bytes unvalidated.  Every receive
 * checks the length (and the first and last byte) of what arrived.
 *
 *   bench_ipc [--json PATH] [--iters N] [--rounds R] [--vm true|false]
 *             [--pin same|split|none] [--result name=value:unit]...
 *
 * --pin same (the default) runs both processes on CPU 0: a message then
 * costs a context switch, not a cross-CPU wake-up, whose price in a VM
 * is the hypervisor's rather than the transport's.
 *
 * --result adds a figure measured elsewhere (ipc.sh passes the host
 * validator's json_validate_mb_s).  Ratios are aios cost / peer cost
 * (time per message), below 1.0 = aios better.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/aios.h>

#define MAX_MSG		4096
#define MQ_DEPTH	256

enum transport { T_AIOS_TEXT, T_AIOS_JSON, T_DGRAM, T_MQ, NTRANSPORTS };

static const char *const t_names[NTRANSPORTS] = {
	"aios_text", "aios_json", "unix_dgram", "posix_mq",
};

static const char *const t_desc[NTRANSPORTS] = {
	"aios AIOS_IOC_MSG_SEND/RECV, TEXT (UTF-8 validated)",
	"aios AIOS_IOC_MSG_SEND/RECV, JSON (RFC 8259 validated)",
	"socketpair(AF_UNIX, SOCK_DGRAM) send/recv",
	"POSIX mq_send/mq_receive",
};

/* One end of a channel between the two processes. */
struct end {
	enum transport t;
	int fd;			/* aios agent file or socket */
	uint64_t peer;		/* aios: the other agent's id */
	mqd_t mq_tx, mq_rx;
	struct aios_msg_send s;
	struct aios_msg_recv r;
	char *rbuf;
};

struct result {
	char name[64];
	double value;
	char unit[16];
};

static struct result results[64];
static int nresults;

static void add_result(const char *name, double value, const char *unit)
{
	if (nresults == (int)(sizeof(results) / sizeof(results[0])))
		return;
	snprintf(results[nresults].name, sizeof(results[0].name), "%s", name);
	results[nresults].value = value;
	snprintf(results[nresults].unit, sizeof(results[0].unit), "%s", unit);
	nresults++;
}

static double find_result(const char *name)
{
	for (int i = 0; i < nresults; i++)
		if (!strcmp(results[i].name, name))
			return results[i].value;
	return 0;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_ipc: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- payloads ------------------------------------------------------------- */

static char payload_text[2][MAX_MSG];	/* [0] 64 B, [1] 4 KiB */
static char payload_json[2][MAX_MSG];
static const size_t sizes[2] = { 64, 4096 };

static void make_text(char *p, size_t len)
{
	static const char words[] =
		"the agent summarised the retrieved documents and "
		"asked the planner for the next step \xe2\x80\x94 "
		"r\xc3\xa9sum\xc3\xa9 ready \xe2\x9c\x93 ";
	size_t i = 0;

	while (i < len) {
		size_t n = sizeof(words) - 1;

		if (n > len - i)
			n = len - i;
		memcpy(p + i, words, n);
		i += n;
	}
	/* do not end inside a multi-byte character */
	for (i = len; i > 0 && ((unsigned char)p[i - 1] & 0x80); i--)
		p[i - 1] = '.';
}

/* A JSON document of exactly len bytes: records, then a padding string. */
static void make_json(char *p, size_t len)
{
	size_t n = 0, rec = 0;
	char one[160];

	n += snprintf(p, len, "{\"v\":1,\"recs\":[");
	for (;;) {
		int k = snprintf(one, sizeof(one),
				 "%s{\"id\":%zu,\"name\":\"agent-%zu\",\"score\":%zu.25,\"ok\":true,\"tags\":[\"a\",\"b\"]}",
				 rec ? "," : "", rec, rec, rec % 100);

		if (n + k + 16 > len)
			break;
		memcpy(p + n, one, k);
		n += k;
		rec++;
	}
	n += snprintf(p + n, len - n, "],\"pad\":\"");
	while (n < len - 2)
		p[n++] = 'x';
	p[n++] = '"';
	p[n++] = '}';
}

/* ---- transports --------------------------------------------------------- */

static int aios_agent(const char *name, uint64_t *id)
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
	if (!(api.features & AIOS_FEAT_IPC))
		die("aios.ko without AIOS_FEAT_IPC", ENOTSUP);
	snprintf(r.name, sizeof(r.name), "%s", name);
	if (ioctl(fd, AIOS_IOC_REGISTER, &r))
		die("AIOS_IOC_REGISTER", errno);
	*id = r.agent_id;
	return fd;
}

static void end_prepare(struct end *e, const char *payload, size_t len)
{
	memset(&e->s, 0, sizeof(e->s));
	e->s.size = sizeof(e->s);
	e->s.to = e->peer;
	e->s.type = e->t == T_AIOS_JSON ? AIOS_MSG_JSON : AIOS_MSG_TEXT;
	e->s.payload = (uint64_t)(uintptr_t)payload;
	e->s.payload_len = len;
	e->s.timeout_ms = -1;
	strcpy(e->s.intent, "inform");
	memset(&e->r, 0, sizeof(e->r));
	e->r.size = sizeof(e->r);
	e->r.timeout_ms = -1;
	e->r.payload = (uint64_t)(uintptr_t)e->rbuf;
	e->r.payload_cap = MAX_MSG;
}

static inline void xsend(struct end *e, const char *p, size_t len)
{
	switch (e->t) {
	case T_AIOS_TEXT:
	case T_AIOS_JSON:
		if (ioctl(e->fd, AIOS_IOC_MSG_SEND, &e->s))
			die("AIOS_IOC_MSG_SEND", errno);
		break;
	case T_DGRAM:
		if (send(e->fd, p, len, 0) != (ssize_t)len)
			die("send", errno);
		break;
	case T_MQ:
		if (mq_send(e->mq_tx, p, len, 0))
			die("mq_send", errno);
		break;
	default:
		break;
	}
}

static inline void xrecv(struct end *e, const char *expect, size_t len)
{
	ssize_t n;

	switch (e->t) {
	case T_AIOS_TEXT:
	case T_AIOS_JSON:
		if (ioctl(e->fd, AIOS_IOC_MSG_RECV, &e->r))
			die("AIOS_IOC_MSG_RECV", errno);
		n = e->r.payload_len;
		break;
	case T_DGRAM:
		n = recv(e->fd, e->rbuf, MAX_MSG, 0);
		break;
	case T_MQ:
		n = mq_receive(e->mq_rx, e->rbuf, MAX_MSG, NULL);
		break;
	default:
		n = -1;
		break;
	}
	if (n != (ssize_t)len || e->rbuf[0] != expect[0] ||
	    e->rbuf[len - 1] != expect[len - 1]) {
		fprintf(stderr, "bench_ipc: %s: bad message (%zd bytes)\n",
			t_names[e->t], n);
		exit(1);
	}
}

/* --pin: split (one CPU each), same (both on CPU 0) or none */
static const char *pin_mode = "same";

static void pin(int cpu)
{
	cpu_set_t set;

	if (!strcmp(pin_mode, "none"))
		return;
	if (!strcmp(pin_mode, "same"))
		cpu = 0;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Run one transport at one size in a fresh pair of processes.  Writes
 * the median one-way latency (ns) and the throughput (messages/s).
 */
static void run_pair(enum transport t, int sz, long iters, int rounds,
		     double *lat_ns, double *tput)
{
	const char *payload = (t == T_AIOS_JSON ? payload_json :
			       payload_text)[sz];
	size_t len = sizes[sz];
	int ctl[2], res[2], sv[2] = { -1, -1 };
	char qa[64], qb[64];
	struct end e = { .t = t };
	double lats[32];
	uint64_t ids[2];
	long tput_n = iters * 4;
	pid_t pid;

	if (rounds > 32)
		rounds = 32;
	if (pipe(ctl) || pipe(res))
		die("pipe", errno);
	e.rbuf = malloc(MAX_MSG);
	if (!e.rbuf)
		die("malloc", ENOMEM);

	if (t == T_DGRAM) {
		int buf = 1 << 20;

		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair", errno);
		for (int i = 0; i < 2; i++) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf,
				   sizeof(buf));
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf,
				   sizeof(buf));
		}
	}
	if (t == T_MQ) {
		struct mq_attr attr = { .mq_maxmsg = MQ_DEPTH,
					.mq_msgsize = MAX_MSG };
		mqd_t q;

		snprintf(qa, sizeof(qa), "/aios-bench-%d-a", getpid());
		snprintf(qb, sizeof(qb), "/aios-bench-%d-b", getpid());
		for (int i = 0; i < 2; i++) {
			q = mq_open(i ? qb : qa, O_CREAT | O_EXCL | O_RDWR,
				    0600, &attr);
			if (q == (mqd_t)-1 &&
			    (errno == EINVAL || errno == EMFILE)) {
				/* not privileged: msg_max and RLIMIT_MSGQUEUE */
				attr.mq_maxmsg = 10;
				q = mq_open(i ? qb : qa,
					    O_CREAT | O_EXCL | O_RDWR, 0600,
					    &attr);
			}
			if (q == (mqd_t)-1)
				die("mq_open", errno);
			mq_close(q);
		}
	}

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		/* the echo side */
		pin(1);
		if (t == T_AIOS_TEXT || t == T_AIOS_JSON) {
			e.fd = aios_agent("bench-ipc-echo", &ids[1]);
			if (write(res[1], &ids[1], 8) != 8)
				_exit(1);
			if (read(ctl[0], &e.peer, 8) != 8)
				_exit(1);
		} else if (t == T_DGRAM) {
			e.fd = sv[1];
		} else {
			e.mq_tx = mq_open(qb, O_WRONLY);
			e.mq_rx = mq_open(qa, O_RDONLY);
			if (e.mq_tx == (mqd_t)-1 || e.mq_rx == (mqd_t)-1)
				die("mq_open", errno);
		}
		end_prepare(&e, payload, len);
		for (int r = 0; r < rounds + 1; r++)
			for (long i = 0; i < iters; i++) {
				xrecv(&e, payload, len);
				xsend(&e, payload, len);
			}
		for (long i = 0; i < tput_n; i++)
			xrecv(&e, payload, len);
		if (write(res[1], "d", 1) != 1)
			_exit(1);
		_exit(0);
	}

	pin(0);
	if (t == T_AIOS_TEXT || t == T_AIOS_JSON) {
		e.fd = aios_agent("bench-ipc-ping", &ids[0]);
		if (read(res[0], &e.peer, 8) != 8)
			die("read", EIO);
		if (write(ctl[1], &ids[0], 8) != 8)
			die("write", EIO);
	} else if (t == T_DGRAM) {
		e.fd = sv[0];
	} else {
		e.mq_tx = mq_open(qa, O_WRONLY);
		e.mq_rx = mq_open(qb, O_RDONLY);
		if (e.mq_tx == (mqd_t)-1 || e.mq_rx == (mqd_t)-1)
			die("mq_open", errno);
	}
	end_prepare(&e, payload, len);

	/* round 0 warms up */
	for (int r = 0; r < rounds + 1; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			xsend(&e, payload, len);
			xrecv(&e, payload, len);
		}
		if (r)
			lats[r - 1] = (double)(now_ns() - t0) / iters / 2;
	}
	qsort(lats, rounds, sizeof(double), cmp_double);
	*lat_ns = lats[rounds / 2];

	{
		uint64_t t0 = now_ns();
		char c;

		for (long i = 0; i < tput_n; i++)
			xsend(&e, payload, len);
		if (read(res[0], &c, 1) != 1)
			die("read", EIO);
		*tput = tput_n / ((double)(now_ns() - t0) / 1e9);
	}

	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid", errno);
	if (t == T_AIOS_TEXT || t == T_AIOS_JSON)
		close(e.fd);
	if (t == T_DGRAM) {
		close(sv[0]);
		close(sv[1]);
	}
	if (t == T_MQ) {
		mq_close(e.mq_tx);
		mq_close(e.mq_rx);
		mq_unlink(qa);
		mq_unlink(qb);
	}
	close(ctl[0]);
	close(ctl[1]);
	close(res[0]);
	close(res[1]);
	free(e.rbuf);
}

/*
 * One process sends to itself and takes the message back: the cost of
 * the transport's send + receive path without any scheduling (ns per
 * message, median of the rounds).
 */
static double run_loop(enum transport t, int sz, long iters, int rounds)
{
	const char *payload = (t == T_AIOS_JSON ? payload_json :
			       payload_text)[sz];
	size_t len = sizes[sz];
	struct end tx = { .t = t }, rx = { .t = t };
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = MAX_MSG };
	double lats[32];
	int sv[2] = { -1, -1 };
	uint64_t id = 0;
	char q[64];

	if (rounds > 32)
		rounds = 32;
	rx.rbuf = malloc(MAX_MSG);
	if (!rx.rbuf)
		die("malloc", ENOMEM);
	if (t == T_AIOS_TEXT || t == T_AIOS_JSON) {
		tx.fd = aios_agent("bench-ipc-loop", &id);
		rx.fd = tx.fd;
		tx.peer = id;
	} else if (t == T_DGRAM) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			die("socketpair", errno);
		tx.fd = sv[0];
		rx.fd = sv[1];
	} else {
		snprintf(q, sizeof(q), "/aios-bench-%d-loop", getpid());
		tx.mq_tx = mq_open(q, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
		if (tx.mq_tx == (mqd_t)-1)
			die("mq_open", errno);
		rx.mq_rx = tx.mq_tx;
	}
	end_prepare(&tx, payload, len);
	end_prepare(&rx, payload, len);
	for (int r = 0; r < rounds + 1; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			xsend(&tx, payload, len);
			xrecv(&rx, payload, len);
		}
		if (r)
			lats[r - 1] = (double)(now_ns() - t0) / iters;
	}
	qsort(lats, rounds, sizeof(double), cmp_double);
	if (t == T_AIOS_TEXT || t == T_AIOS_JSON) {
		close(tx.fd);
	} else if (t == T_DGRAM) {
		close(sv[0]);
		close(sv[1]);
	} else {
		mq_close(tx.mq_tx);
		mq_unlink(q);
	}
	free(rx.rbuf);
	return lats[rounds / 2];
}

static void write_json(const char *path, const char *vm,
		       const char *ratio_names[], const double ratios[],
		       int nratios)
{
	struct utsname u;
	FILE *f = fopen(path, "w");

	if (!f)
		die(path, errno);
	uname(&u);
	fprintf(f, "{\"category\": \"ipc\", \"env\": {\"kernel\": \"%s\", "
		"\"vm\": %s, \"cpus\": %ld, \"peers\": "
		"\"socketpair(AF_UNIX, SOCK_DGRAM), POSIX mq\"},\n"
		" \"results\": [\n", u.release, vm,
		sysconf(_SC_NPROCESSORS_ONLN));
	for (int i = 0; i < nresults; i++)
		fprintf(f, "  {\"name\": \"%s\", \"value\": %.1f, "
			"\"unit\": \"%s\"}%s\n", results[i].name,
			results[i].value, results[i].unit,
			i + 1 < nresults ? "," : "");
	fprintf(f, " ],\n \"ratios\": {");
	for (int i = 0; i < nratios; i++)
		fprintf(f, "%s\"%s\": %.3f", i ? ", " : "", ratio_names[i],
			ratios[i]);
	fprintf(f, "}}\n");
	if (fclose(f))
		die(path, errno);
}

int main(int argc, char **argv)
{
	const char *json = NULL, *vm = "false";
	long iters = 5000;
	int rounds = 5;
	char name[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			iters = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--pin") && i + 1 < argc) {
			pin_mode = argv[++i];
		} else if (!strcmp(argv[i], "--vm") && i + 1 < argc) {
			vm = strcmp(argv[++i], "true") ? "false" : "true";
		} else if (!strcmp(argv[i], "--result") && i + 1 < argc) {
			char n[64], unit[16];
			double v;

			if (sscanf(argv[++i], "%63[^=]=%lf:%15s", n, &v,
				   unit) != 3) {
				fprintf(stderr, "bench_ipc: --result name=value:unit\n");
				return 2;
			}
			add_result(n, v, unit);
		} else {
			fprintf(stderr,
				"usage: bench_ipc [--json PATH] [--iters N] [--rounds R] [--vm true|false] [--pin same|split|none] [--result name=value:unit]...\n");
			return 2;
		}
	}
	if (iters < 100 || rounds < 1) {
		fprintf(stderr, "bench_ipc: --iters >= 100 and --rounds >= 1\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	{
		/* room for two MQ_DEPTH x 4 KiB queues (root may raise it) */
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
	for (int s = 0; s < 2; s++) {
		make_text(payload_text[s], sizes[s]);
		make_json(payload_json[s], sizes[s]);
	}

	printf("%-11s %-6s %12s %12s %12s   %s\n", "transport", "size",
	       "one-way ns", "msgs/s", "loop ns", "");
	for (int s = 0; s < 2; s++) {
		for (int t = 0; t < NTRANSPORTS; t++) {
			double lat, tput, loop;

			run_pair(t, s, s ? iters / 2 : iters, rounds, &lat,
				 &tput);
			loop = run_loop(t, s, iters * 2, rounds);
			printf("%-11s %-6s %12.0f %12.0f %12.0f   %s\n",
			       t_names[t], s ? "4KiB" : "64B", lat, tput, loop,
			       t_desc[t]);
			snprintf(name, sizeof(name), "%s_%s_loop_send_recv",
				 t_names[t], s ? "4k" : "64");
			add_result(name, loop, "ns");
			snprintf(name, sizeof(name), "%s_%s_oneway_latency",
				 t_names[t], s ? "4k" : "64");
			add_result(name, lat, "ns");
			snprintf(name, sizeof(name), "%s_%s_throughput",
				 t_names[t], s ? "4k" : "64");
			add_result(name, tput, "msgs/s");
		}
	}

	{
		const char *rn[] = {
			"msg64_text_vs_posix_mq",
			"msg4k_json_vs_unix_dgram",
			"msg64_text_vs_unix_dgram",
			"msg4k_json_vs_posix_mq",
			"msg64_text_throughput_vs_posix_mq",
			"msg4k_json_throughput_vs_unix_dgram",
			"msg64_text_loop_vs_posix_mq",
			"msg4k_json_loop_vs_unix_dgram",
		};
		double rv[] = {
			find_result("aios_text_64_oneway_latency") /
				find_result("posix_mq_64_oneway_latency"),
			find_result("aios_json_4k_oneway_latency") /
				find_result("unix_dgram_4k_oneway_latency"),
			find_result("aios_text_64_oneway_latency") /
				find_result("unix_dgram_64_oneway_latency"),
			find_result("aios_json_4k_oneway_latency") /
				find_result("posix_mq_4k_oneway_latency"),
			/* cost per message = 1 / throughput */
			find_result("posix_mq_64_throughput") /
				find_result("aios_text_64_throughput"),
			find_result("unix_dgram_4k_throughput") /
				find_result("aios_json_4k_throughput"),
			find_result("aios_text_64_loop_send_recv") /
				find_result("posix_mq_64_loop_send_recv"),
			find_result("aios_json_4k_loop_send_recv") /
				find_result("unix_dgram_4k_loop_send_recv"),
		};
		int n = sizeof(rv) / sizeof(rv[0]);

		printf("\nratios (aios cost / peer cost, below 1.0 = aios better)\n");
		for (int i = 0; i < n; i++)
			printf("  %-40s %.3f\n", rn[i], rv[i]);
		if (json)
			write_json(json, vm, rn, rv, n);
	}
	return 0;
}
