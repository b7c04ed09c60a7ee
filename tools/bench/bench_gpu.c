// SPDX-License-Identifier: GPL-2.0
/*
 * bench_gpu - GPU claim costs and preemption timing, on a stand-in
 * device node (mknod of /dev/full's 1:7 under /tmp; the VM has no GPU,
 * the kernel path is the same).
 *
 *  claim_release_rtt_us   AIOS_IOC_GPU_CLAIM + AIOS_IOC_GPU_RELEASE of a
 *                         free device, per pair (median of rounds)
 *  flock_rtt_us           flock(LOCK_EX) + flock(LOCK_UN) on the device
 *                         node: what a user would otherwise use
 *  preempt_notify_p50/p99 from just before a CRITICAL claim's ioctl to
 *                         the LOW holder's sigwaitinfo() returning its
 *                         chosen signal (CLOCK_MONOTONIC, both processes)
 *  revoke_error_p50/p99   (time the CRITICAL claimant's blocking claim
 *                         returns) - (the holder's grace deadline, as the
 *                         kernel reports it in AIOS_GPU_A_DEADLINE_NS of
 *                         the PREEMPT event): how late the claimant got
 *                         the device
 *  revoke_kernel_error_*  (time of the kernel's AIOS_OP_GPU_REVOKE audit
 *                         record) - (that deadline): how late the revoke
 *                         itself was
 *
 *   bench_gpu [--json PATH] [--vm true|false] [--iters N] [--rounds R]
 *             [--preempts M] [--revokes K] [--grace-ms G]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/aios.h>

#define DEV_ID	9901

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_gpu: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- agents and claims ------------------------------------------------- */

static int agent(const char *name, uint32_t prio)
{
	struct aios_api api = { .size = sizeof(api),
				.api_version = AIOS_API_VERSION };
	struct aios_register r = { .size = sizeof(r), .prio = prio };
	struct aios_caps c = { .size = sizeof(c), .op = AIOS_CAPS_GRANT,
			       .caps = AIOS_CAP_ACCESS_GPU };
	int fd = open("/dev/aios", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/aios", errno);
	snprintf(r.name, sizeof(r.name), "%s", name);
	if (ioctl(fd, AIOS_IOC_API, &api) || ioctl(fd, AIOS_IOC_REGISTER, &r) ||
	    ioctl(fd, AIOS_IOC_CAPS, &c))
		die("agent setup (needs root and aios.ko with GPU support)",
		    errno);
	return fd;
}

static int claim(int fd, uint32_t flags, int sig, uint32_t grace,
		 uint64_t *handle)
{
	struct aios_gpu_claim c = {
		.size = sizeof(c), .flags = flags, .device_id = DEV_ID,
		.signal = sig, .grace_ms = grace, .timeout_ms = -1,
	};
	int ret = ioctl(fd, AIOS_IOC_GPU_CLAIM, &c) ? -errno : 0;

	*handle = c.handle;
	return ret;
}

static int release(int fd, uint64_t handle)
{
	struct aios_gpu_release r = { .size = sizeof(r), .handle = handle };

	return ioctl(fd, AIOS_IOC_GPU_RELEASE, &r) ? -errno : 0;
}

static int cstate(int fd, uint64_t handle)
{
	struct aios_gpu_query q = { .size = sizeof(q), .handle = handle };

	return ioctl(fd, AIOS_IOC_GPU_QUERY, &q) ? -errno : (int)q.state;
}

/* ---- netlink: register the stand-in, read the device's state ----------- */

static struct nl_sock *sk;
static int family;

static int nl_do(uint8_t cmd, int flags, uint32_t id, const char *path,
		 struct nl_msg **reply)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *nest;
	struct nlmsghdr *h;
	static char buf[65536];
	int len, ret;

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
		    AIOS_GENL_VERSION);
	nest = nla_nest_start(m, AIOS_A_GPU);
	nla_put_u32(m, AIOS_GPU_A_ID, id);
	if (path) {
		nla_put_string(m, AIOS_GPU_A_NAME, "bench");
		nla_put_string(m, AIOS_GPU_A_PATH, path);
		nla_put_u32(m, AIOS_GPU_A_GRACE_MS, 1000);
	}
	nla_nest_end(m, nest);
	ret = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (ret < 0)
		return -EIO;
	for (;;) {
		len = recv(nl_socket_get_fd(sk), buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)nlmsg_data(h))->error;
			if (reply && h->nlmsg_type >= NLMSG_MIN_TYPE) {
				*reply = nlmsg_convert(h);
			}
		}
	}
}

/* A socket on the "events" group: the PREEMPT event carries the deadline. */
static struct nl_sock *ev;

static void events_open(void)
{
	int grp;

	ev = nl_socket_alloc();
	if (!ev || genl_connect(ev))
		die("netlink events socket", EIO);
	grp = genl_ctrl_resolve_grp(ev, AIOS_GENL_NAME, AIOS_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(ev, grp))
		die("join the events group", EIO);
	nl_socket_set_buffer_size(ev, 1 << 20, 0);
}

/* Wait for AIOS_CMD_NTF_GPU_PREEMPT of our device; its deadline. */
static uint64_t preempt_deadline(void)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *t[AIOS_GPU_A_MAX + 1];
	static char buf[65536];
	struct nlmsghdr *h;
	int len;

	for (;;) {
		len = recv(nl_socket_get_fd(ev), buf, sizeof(buf), 0);
		if (len < 0)
			die("events", errno);
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type < NLMSG_MIN_TYPE ||
			    ((struct genlmsghdr *)nlmsg_data(h))->cmd !=
			    AIOS_CMD_NTF_GPU_PREEMPT)
				continue;
			if (genlmsg_parse(h, 0, tb, AIOS_A_MAX, NULL) ||
			    !tb[AIOS_A_GPU] ||
			    nla_parse_nested(t, AIOS_GPU_A_MAX, tb[AIOS_A_GPU],
					     NULL) ||
			    !t[AIOS_GPU_A_ID] || !t[AIOS_GPU_A_DEADLINE_NS] ||
			    nla_get_u32(t[AIOS_GPU_A_ID]) != DEV_ID)
				continue;
			return nla_get_u64(t[AIOS_GPU_A_DEADLINE_NS]);
		}
	}
}

/*
 * The kernel's own revoke times: the AIOS_OP_GPU_REVOKE audit records of
 * our device (CLOCK_BOOTTIME, which equals CLOCK_MONOTONIC on a machine
 * that never suspended), the last n of them, oldest first.  Returns how
 * many were found.
 */
static int revoke_times(uint64_t *t, int n)
{
	struct nlattr *tb[AIOS_A_MAX + 1], *a[AIOS_AUDIT_A_MAX + 1];
	struct nl_msg *m = nlmsg_alloc();
	static char buf[65536];
	struct nlmsghdr *h;
	int len, found = 0;

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
		    AIOS_CMD_AUDIT_GET, AIOS_GENL_VERSION);
	if (nl_send_auto(sk, m) < 0)
		die("audit dump", EIO);
	nlmsg_free(m);
	for (;;) {
		len = recv(nl_socket_get_fd(sk), buf, sizeof(buf), 0);
		if (len < 0)
			die("audit dump", errno);
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				die("audit dump",
				    -((struct nlmsgerr *)nlmsg_data(h))->error);
			if (h->nlmsg_type < NLMSG_MIN_TYPE ||
			    genlmsg_parse(h, 0, tb, AIOS_A_MAX, NULL) ||
			    !tb[AIOS_A_AUDIT] ||
			    nla_parse_nested(a, AIOS_AUDIT_A_MAX,
					     tb[AIOS_A_AUDIT], NULL) ||
			    !a[AIOS_AUDIT_A_OP] || !a[AIOS_AUDIT_A_OBJECT] ||
			    !a[AIOS_AUDIT_A_TIME_NS] ||
			    nla_get_u32(a[AIOS_AUDIT_A_OP]) !=
			    AIOS_OP_GPU_REVOKE ||
			    nla_get_u64(a[AIOS_AUDIT_A_OBJECT]) != DEV_ID)
				continue;
			if (found == n) {	/* keep the last n */
				memmove(t, t + 1, (n - 1) * sizeof(*t));
				found--;
			}
			t[found++] = nla_get_u64(a[AIOS_AUDIT_A_TIME_NS]);
		}
	}
}

/* ---- statistics ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, int n, int p)
{
	int i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (n * p + 99) / 100 - 1;
	return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the measurements ------------------------------------------------------ */

static double bench_claim_release(int fd, long iters)
{
	uint64_t h, t0 = now_ns();
	int ret;

	for (long i = 0; i < iters; i++) {
		ret = claim(fd, AIOS_CLAIM_NONBLOCK, 0, 0, &h);
		if (!ret)
			ret = release(fd, h);
		if (ret)
			die("claim/release", -ret);
	}
	return (now_ns() - t0) / 1e3 / iters;
}

static double bench_flock(const char *path, long iters)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t t0;

	if (fd < 0)
		die("open the stand-in node", errno);
	t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (flock(fd, LOCK_EX) || flock(fd, LOCK_UN))
			die("flock", errno);
	t0 = now_ns() - t0;
	close(fd);
	return t0 / 1e3 / iters;
}

/*
 * The holder: claim LOW (blocking: it waits while the CRITICAL claimant
 * holds), tell the parent, take the signal, report when it came, give
 * the device back at once.  Repeat.
 */
static void notify_holder(int n, int up, int down)
{
	sigset_t set;
	uint64_t h, t, go;
	int fd = agent("bench-low", AIOS_PRIO_LOW);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < n; i++) {
		if (claim(fd, 0, SIGUSR1, 60000, &h))
			_exit(2);
		if (write(up, &h, sizeof(h)) != sizeof(h))
			_exit(3);
		if (sigwaitinfo(&set, NULL) != SIGUSR1)
			_exit(4);
		t = now_ns();
		if (write(up, &t, sizeof(t)) != sizeof(t) || release(fd, h))
			_exit(5);
		if (read(down, &go, sizeof(go)) != sizeof(go))
			_exit(6);
	}
	_exit(0);
}

static void bench_notify(int n, uint64_t *lat)
{
	int up[2], down[2], crit = agent("bench-critical", AIOS_PRIO_CRITICAL);
	uint64_t h, v, t0;
	pid_t pid;
	int ret, st;

	if (pipe(up) || pipe(down))
		die("pipe", errno);
	pid = fork();
	if (!pid)
		notify_holder(n, up[1], down[0]);
	for (int i = 0; i < n; i++) {
		if (read(up[0], &v, sizeof(v)) != sizeof(v))
			die("holder", EPIPE);
		t0 = now_ns();
		ret = claim(crit, 0, 0, 0, &h);	/* returns once handed over */
		if (ret)
			die("critical claim", -ret);
		if (read(up[0], &v, sizeof(v)) != sizeof(v))
			die("holder", EPIPE);
		lat[i] = v - t0;
		if (release(crit, h))
			die("release", errno);
		if (write(down[1], &v, sizeof(v)) != sizeof(v))
			die("pipe", errno);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("notify holder", EIO);
	close(crit);
}

/* The holder of the revoke measurement ignores its preemption. */
static void revoke_holder(int n, uint32_t grace, int up)
{
	int fd = agent("bench-stubborn", AIOS_PRIO_LOW);
	uint64_t h;

	signal(SIGTERM, SIG_IGN);	/* gpu_revoke_signal, sent to the pgrp */
	for (int i = 0; i < n; i++) {
		if (claim(fd, 0, 0, grace, &h))
			_exit(2);
		if (write(up, &h, sizeof(h)) != sizeof(h))
			_exit(3);
		while (cstate(fd, h) != AIOS_GPU_REVOKED)
			usleep(1000);
		if (release(fd, h))
			_exit(4);
	}
	_exit(0);
}

struct crit_arg {
	int fd;
	uint64_t handle, t_ret;
	int ret;
};

static void *crit_claim(void *p)
{
	struct crit_arg *a = p;

	a->ret = claim(a->fd, 0, 0, 0, &a->handle);
	a->t_ret = now_ns();
	return NULL;
}

static void bench_revoke(int n, uint32_t grace, int64_t *err_ns,
			 uint64_t *deadlines)
{
	int up[2], crit = agent("bench-critical", AIOS_PRIO_CRITICAL);
	struct crit_arg a = { .fd = crit };
	uint64_t v, deadline;
	pthread_t th;
	pid_t pid;
	int st;

	if (pipe(up))
		die("pipe", errno);
	events_open();
	pid = fork();
	if (!pid) {
		setpgid(0, 0);
		revoke_holder(n, grace, up[1]);
	}
	for (int i = 0; i < n; i++) {
		if (read(up[0], &v, sizeof(v)) != sizeof(v))
			die("holder", EPIPE);
		if (pthread_create(&th, NULL, crit_claim, &a))
			die("pthread_create", EAGAIN);
		deadline = preempt_deadline();
		deadlines[i] = deadline;
		pthread_join(th, NULL);
		if (a.ret)
			die("critical claim", -a.ret);
		err_ns[i] = (int64_t)(a.t_ret - deadline);
		if (release(crit, a.handle))
			die("release", errno);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("revoke holder", EIO);
	close(crit);
}

/* "model name" of the first CPU (the VM's accelerator shows there). */
static void cpu_model(char *buf, size_t len)
{
	char line[256], *p;
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		p = strchr(line, ':');
		if (p) {
			p += 1 + (p[1] == ' ');
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
		}
		break;
	}
	fclose(f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	fputc('"', f);
}

static long num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_gpu: bad %s \"%s\" (%ld..%ld)\n", what, s,
			lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *json = NULL, *vm = "false";
	long iters = 20000, rounds = 5, npre = 200, nrev = 100, grace = 50;
	double rtt[16], fl[16], rtt_med, fl_med;
	char dir[] = "/tmp/aios-bench-gpu.XXXXXX", path[64];
	uint64_t *lat, lat50, lat99;
	int64_t *rerr;
	uint64_t *rerr_abs, *deadlines, *ktimes, *kerr, k50 = 0, k99 = 0;
	int nk;
	int64_t rev50, rev99, revmax;
	struct utsname u;
	char model[128];
	int fd, ret;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench_gpu [--json PATH] [--vm true|false] [--iters N] [--rounds R] [--preempts M] [--revokes K] [--grace-ms G]\n");
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench_gpu: %s needs a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--json"))
			json = argv[++i];
		else if (!strcmp(argv[i], "--vm"))
			vm = argv[++i];
		else if (!strcmp(argv[i], "--iters"))
			iters = num(argv[++i], "--iters", 1, 100000000);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = num(argv[++i], "--rounds", 1, 16);
		else if (!strcmp(argv[i], "--preempts"))
			npre = num(argv[++i], "--preempts", 1, 100000);
		else if (!strcmp(argv[i], "--revokes"))
			nrev = num(argv[++i], "--revokes", 1, 10000);
		else if (!strcmp(argv[i], "--grace-ms"))
			grace = num(argv[++i], "--grace-ms", 1, 60000);
		else {
			fprintf(stderr, "bench_gpu: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (strcmp(vm, "true") && strcmp(vm, "false")) {
		fprintf(stderr, "bench_gpu: --vm takes true or false\n");
		return 2;
	}

	if (!mkdtemp(dir))
		die("mkdtemp", errno);
	snprintf(path, sizeof(path), "%s/gpu0", dir);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 7)))
		die("mknod (needs root)", errno);
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk))
		die("netlink", EIO);
	family = genl_ctrl_resolve(sk, AIOS_GENL_NAME);
	if (family < 0)
		die("aios netlink family (is aios.ko loaded?)", ENOENT);
	nl_do(AIOS_CMD_GPU_UNREGISTER, 0, DEV_ID, NULL, NULL);
	ret = nl_do(AIOS_CMD_GPU_REGISTER, 0, DEV_ID, path, NULL);
	if (ret)
		die("register the stand-in device", -ret);

	fd = agent("bench-rtt", AIOS_PRIO_NORMAL);
	bench_claim_release(fd, iters / 10 + 1);	/* warm up */
	bench_flock(path, iters / 10 + 1);
	for (int r = 0; r < rounds; r++) {
		rtt[r] = bench_claim_release(fd, iters);
		fl[r] = bench_flock(path, iters);
	}
	close(fd);
	qsort(rtt, rounds, sizeof(double), cmp_dbl);
	qsort(fl, rounds, sizeof(double), cmp_dbl);
	rtt_med = rtt[rounds / 2];
	fl_med = fl[rounds / 2];

	lat = calloc(npre, sizeof(*lat));
	rerr = calloc(nrev, sizeof(*rerr));
	rerr_abs = calloc(nrev, sizeof(*rerr_abs));
	deadlines = calloc(nrev, sizeof(*deadlines));
	ktimes = calloc(nrev, sizeof(*ktimes));
	kerr = calloc(nrev, sizeof(*kerr));
	if (!lat || !rerr || !rerr_abs || !deadlines || !ktimes || !kerr)
		die("calloc", ENOMEM);
	bench_notify(npre, lat);
	lat50 = pct(lat, npre, 50);
	lat99 = pct(lat, npre, 99);
	bench_revoke(nrev, grace, rerr, deadlines);
	nk = revoke_times(ktimes, nrev);
	if (nk != nrev)
		die("the audit ring lost revoke records", ENODATA);
	{
		/* audit times are CLOCK_BOOTTIME: remove any suspend offset */
		struct timespec b, mo;
		uint64_t off;

		clock_gettime(CLOCK_BOOTTIME, &b);
		clock_gettime(CLOCK_MONOTONIC, &mo);
		off = (b.tv_sec - mo.tv_sec) * 1000000000ULL +
		      (b.tv_nsec - mo.tv_nsec);
		off = off < 1000000 ? 0 : off;	/* < 1 ms: reading skew */
		for (int i = 0; i < nrev; i++)
			ktimes[i] -= off;
	}
	for (int i = 0; i < nrev; i++) {
		if (ktimes[i] < deadlines[i])
			die("the kernel revoked before the deadline", EPROTO);
		kerr[i] = ktimes[i] - deadlines[i];
	}
	k50 = pct(kerr, nrev, 50);
	k99 = pct(kerr, nrev, 99);
	/* signed errors: sort by value; p99 of the lateness */
	for (int i = 0; i < nrev; i++)
		rerr_abs[i] = rerr[i] < 0 ? 0 : rerr[i];
	qsort(rerr, nrev, sizeof(*rerr), cmp_u64);
	revmax = rerr[nrev - 1];
	rev50 = pct(rerr_abs, nrev, 50);
	rev99 = pct(rerr_abs, nrev, 99);
	for (int i = 0; i < nrev; i++)
		if (rerr[i] < 0)
			die("a claim was granted before the grace deadline",
			    EPROTO);

	nl_do(AIOS_CMD_GPU_UNREGISTER, 0, DEV_ID, NULL, NULL);
	unlink(path);
	rmdir(dir);
	uname(&u);
	cpu_model(model, sizeof(model));

	printf("gpu: kernel %s%s, cpu %s; %ld claim/release pairs x %ld rounds, %ld preemptions, %ld revokes (grace %ld ms)\n",
	       u.release, strcmp(vm, "true") ? "" : " (VM)", model, iters,
	       rounds,
	       npre, nrev, grace);
	printf("%-26s %12s\n", "measure", "value");
	printf("%-26s %9.3f us  (claim + release, median of rounds)\n",
	       "claim_release_rtt", rtt_med);
	printf("%-26s %9.3f us  (flock LOCK_EX + LOCK_UN on the node)\n",
	       "flock_rtt", fl_med);
	printf("%-26s %9.1f us\n", "preempt_notify_p50", lat50 / 1e3);
	printf("%-26s %9.1f us\n", "preempt_notify_p99", lat99 / 1e3);
	printf("%-26s %9.3f ms\n", "revoke_error_p50", rev50 / 1e6);
	printf("%-26s %9.3f ms  (max %.3f ms)\n", "revoke_error_p99",
	       rev99 / 1e6, revmax / 1e6);
	printf("%-26s %9.3f ms  (the kernel's revoke, from its audit record)\n",
	       "revoke_kernel_error_p50", k50 / 1e6);
	printf("%-26s %9.3f ms\n", "revoke_kernel_error_p99", k99 / 1e6);
	printf("ratio claim_release_vs_flock  %.3f  (aios claim+release / flock pair)\n",
	       rtt_med / fl_med);
	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f)
		die(json, errno);
	fprintf(f, "{\"category\": \"gpu\", \"env\": {\"kernel\": ");
	json_str(f, u.release);
	fprintf(f, ", \"vm\": %s, \"cpu\": ", vm);
	json_str(f, model);
	fprintf(f, ", \"device\": \"stand-in char device 1:7 (no GPU)\", \"iterations\": %ld, \"rounds\": %ld, \"preemptions\": %ld, \"revokes\": %ld, \"grace_ms\": %ld, \"clock\": \"CLOCK_MONOTONIC\"},\n",
		iters, rounds, npre, nrev, grace);
	fprintf(f, " \"results\": [\n");
	fprintf(f, "  {\"name\": \"claim_release_rtt_us\", \"value\": %.3f, \"unit\": \"us\"},\n", rtt_med);
	fprintf(f, "  {\"name\": \"flock_rtt_us\", \"value\": %.3f, \"unit\": \"us\"},\n", fl_med);
	fprintf(f, "  {\"name\": \"preempt_notify_p50_us\", \"value\": %.1f, \"unit\": \"us\"},\n", lat50 / 1e3);
	fprintf(f, "  {\"name\": \"preempt_notify_p99_us\", \"value\": %.1f, \"unit\": \"us\"},\n", lat99 / 1e3);
	fprintf(f, "  {\"name\": \"revoke_error_p50_ms\", \"value\": %.3f, \"unit\": \"ms\"},\n", rev50 / 1e6);
	fprintf(f, "  {\"name\": \"revoke_error_p99_ms\", \"value\": %.3f, \"unit\": \"ms\"},\n", rev99 / 1e6);
	fprintf(f, "  {\"name\": \"revoke_error_max_ms\", \"value\": %.3f, \"unit\": \"ms\"},\n", revmax / 1e6);
	fprintf(f, "  {\"name\": \"revoke_kernel_error_p50_ms\", \"value\": %.3f, \"unit\": \"ms\"},\n", k50 / 1e6);
	fprintf(f, "  {\"name\": \"revoke_kernel_error_p99_ms\", \"value\": %.3f, \"unit\": \"ms\"}\n", k99 / 1e6);
	fprintf(f, " ],\n \"ratios\": {\"claim_release_vs_flock\": %.4f}}\n",
		rtt_med / fl_med);
	if (fclose(f))
		die(json, errno);
	printf("wrote %s\n", json);
	return 0;
}
