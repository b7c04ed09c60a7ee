// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: GPU claims, preemption with grace, and enforcement.
 *
 * The VM has no GPU, so a stand-in character device node plays "gpu0".
 * aios-gpud enforces claims with a cgroup device program on a demo
 * cgroup: a LOW agent holds the device, a CRITICAL agent's claim preempts
 * it (the holder gets its signal, checkpoints within the grace period and
 * releases), and a process that holds no claim is refused opening the
 * node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

#define GPU_DIR		"/tmp/aios-demo-gpu"
#define GPU_NODE	GPU_DIR "/gpu0"
#define GPU_CG		"/sys/fs/cgroup/aios-demo"
#define GPU_ID		1
#define GRACE_MS	800

static volatile sig_atomic_t preempted;

static void on_usr1(int sig)
{
	(void)sig;
	preempted = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move the calling process into the demo cgroup (as root). */
static int join_cgroup(void)
{
	char buf[32];
	int fd = open(GPU_CG "/cgroup.procs", O_WRONLY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	int ok = fd >= 0 && write(fd, buf, n) == n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

struct gchild {
	pid_t pid;
	int to, from;
};

static void gsend(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(50);
}

static char gwait(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(51);
	return c;
}

static struct aios *gpu_agent(const char *name, unsigned int prio, int from)
{
	struct aios *h = aios_new();
	char line[32];

	if (!h || aios_open(h) || aios_register(h, name, prio, NULL)) {
		fprintf(stderr, "%s: %s\n", name, h ? aios_errmsg(h) : "ENOMEM");
		_exit(52);
	}
	snprintf(line, sizeof(line), "%" PRIu64 "\n", aios_agent_id(h));
	gsend(from, line);
	return h;
}

static int open_node(void)
{
	int fd = open(GPU_NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Open as a claim holder: aios-gpud applies the kernel's claim event
 * asynchronously, so give it a moment (bounded) to catch up.
 */
static int open_node_as_holder(void)
{
	int i, err = open_node();

	for (i = 0; err == -EPERM && i < 100; i++) {
		usleep(10 * 1000);
		err = open_node();
	}
	return err;
}

/* The LOW holder: claims, uses the device, checkpoints when preempted. */
static int run_trainer(int to, int from)
{
	struct aios_gpu_claim_opts o = {
		.sz = sizeof(o), .device_id = GPU_ID, .signal = SIGUSR1,
		.grace_ms = GRACE_MS, .timeout_ms = 2000,
	};
	struct aios *h = gpu_agent("trainer", AIOS_PRIO_LOW, from);
	uint64_t handle, t0;
	uint32_t dev;
	int err;

	signal(SIGUSR1, on_usr1);
	gwait(to);			/* ACCESS_GPU granted */
	err = aios_gpu_claim(h, &o, &handle, &dev);
	if (err) {
		fprintf(stderr, "trainer: claim: %s\n", aios_errmsg(h));
		return 53;
	}
	err = open_node_as_holder();
	say("trainer (low): holds gpu0 (claim %" PRIu64 "); open(%s) -> %s\n",
	    handle, GPU_NODE, err ? strerror(-err) : "ok");
	if (err)
		return 54;
	gsend(from, "h");
	t0 = now_ms();
	while (!preempted && now_ms() - t0 < 20000)
		usleep(1000);
	if (!preempted) {
		fprintf(stderr, "trainer: never told to give the device up\n");
		return 55;
	}
	say("trainer: SIGUSR1 - preempted; checkpointing step 1200 within the %d ms grace\n",
	    GRACE_MS);
	usleep(200 * 1000);	/* "write the checkpoint" */
	err = aios_gpu_release(h, handle);
	say("trainer: checkpoint written, claim released -> %s\n",
	    err ? aios_errmsg(h) : "ok");
	aios_close(h);
	return err ? 56 : 0;
}

/* The CRITICAL claimant: preempts the holder and waits for the device. */
static int run_inference(int to, int from)
{
	struct aios_gpu_claim_opts o = {
		.sz = sizeof(o), .device_id = GPU_ID, .timeout_ms = 10000,
	};
	struct aios *h = gpu_agent("inference", AIOS_PRIO_CRITICAL, from);
	uint64_t handle, t0;
	uint32_t dev;
	int err;

	gwait(to);			/* ACCESS_GPU granted and trainer holding */
	t0 = now_ms();
	err = aios_gpu_claim(h, &o, &handle, &dev);
	if (err) {
		fprintf(stderr, "inference: claim: %s\n", aios_errmsg(h));
		return 57;
	}
	say("inference (critical): got gpu0 after %" PRIu64 " ms (grace %d ms, the holder released early)\n",
	    now_ms() - t0, GRACE_MS);
	err = open_node_as_holder();
	say("inference: open(%s) -> %s\n", GPU_NODE, err ? strerror(-err) : "ok");
	if (err)
		return 58;
	gsend(from, "g");
	gwait(to);
	aios_gpu_release(h, handle);
	aios_close(h);
	return 0;
}

static int start(struct demo *d, struct gchild *c, int (*fn)(int, int))
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		if (join_cgroup())
			_exit(59);
		drop_privileges();
		_exit(fn(down[0], up[1]));
	}
	close(down[0]);
	close(up[1]);
	c->to = down[1];
	c->from = up[0];
	return 0;
}

static int read_id(struct demo *d, struct gchild *c, uint64_t *id)
{
	char line[32];
	ssize_t n = read(c->from, line, sizeof(line) - 1);

	if (n <= 0)
		return fail(d, "agent process %d ended early", c->pid);
	line[n] = '\0';
	*id = strtoull(line, NULL, 10);
	return 0;
}

static int expect(struct demo *d, struct gchild *c, char want)
{
	char got;

	if (read(c->from, &got, 1) != 1 || got != want)
		return fail(d, "agent process %d ended early", c->pid);
	return 0;
}

static int reap(struct demo *d, struct gchild *c, const char *name)
{
	int status;

	if (waitpid(c->pid, &status, 0) != c->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return fail(d, "agent %s misbehaved (status 0x%x)", name, status);
	close(c->to);
	close(c->from);
	return 0;
}

/* A process in the cgroup that holds no claim tries to open the node. */
static int outsider_open(struct demo *d)
{
	int status, err;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (join_cgroup())
			_exit(59);
		drop_privileges();
		err = open_node();
		say("outsider (no claim, pid %d): open(%s) -> %s\n",
		    (int)getpid(), GPU_NODE, err ? strerror(-err) : "ok");
		_exit(err == -EPERM ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return fail(d, "a process without a claim could open the device node");
	return 0;
}

static int start_gpud(struct demo *d, pid_t *pid)
{
	char gpud[512], fdarg[16], c;
	const char *slash = strrchr(d->aiosd, '/');
	int p[2];

	snprintf(gpud, sizeof(gpud), "%.*saios-gpud",
		 slash ? (int)(slash - d->aiosd + 1) : 0, d->aiosd);
	if (pipe(p))
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	*pid = fork();
	if (*pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (*pid == 0) {
		close(p[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		execl(gpud, "aios-gpud", "--no-discover", "--cgroup", GPU_CG,
		      "--pin", "", "--ready-fd", fdarg, (char *)NULL);
		perror("demo: exec aios-gpud");
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		return fail(d, "aios-gpud did not start enforcing");
	}
	close(p[0]);
	say("aios-gpud: cgroup device program attached to %s\n", GPU_CG);
	return 0;
}

static int gpu_steps(struct demo *d, pid_t *gpud)
{
	struct gchild tr, inf;
	uint64_t tr_id, inf_id;

	step(d, "GPU: a LOW agent holds gpu0; a process without a claim is refused");
	if (mkdir(GPU_DIR, 0755) && errno != EEXIST)
		return fail(d, "mkdir: %s", strerror(errno));
	unlink(GPU_NODE);
	/* the stand-in for a GPU: a node of the memory driver ("full") */
	if (mknod(GPU_NODE, S_IFCHR | 0666, makedev(1, 7)) ||
	    chmod(GPU_NODE, 0666))
		return fail(d, "mknod %s: %s", GPU_NODE, strerror(errno));
	if (mkdir(GPU_CG, 0755) && errno != EEXIST)
		return fail(d, "mkdir %s: %s", GPU_CG, strerror(errno));
	if (aiosctl(d, "gpu register %d gpu0 %s --grace-ms %d", GPU_ID,
		    GPU_NODE, GRACE_MS))
		return fail(d, "aiosctl gpu register failed");
	if (start_gpud(d, gpud))
		return -1;
	if (start(d, &tr, run_trainer) || read_id(d, &tr, &tr_id) ||
	    start(d, &inf, run_inference) || read_id(d, &inf, &inf_id))
		return -1;
	if (aiosctl(d, "--yes caps grant %" PRIu64 " ACCESS_GPU", tr_id) ||
	    aiosctl(d, "--yes caps grant %" PRIu64 " ACCESS_GPU", inf_id))
		return fail(d, "granting ACCESS_GPU failed");
	if (write(tr.to, "g", 1) != 1 || expect(d, &tr, 'h'))
		return -1;
	usleep(100 * 1000);	/* let aios-gpud apply the claim event */
	if (outsider_open(d))
		return -1;
	if (aiosctl(d, "gpu list"))
		return fail(d, "aiosctl gpu list failed");

	step(d, "GPU: a CRITICAL claim preempts it; the holder checkpoints within the grace");
	if (write(inf.to, "g", 1) != 1 || expect(d, &inf, 'g'))
		return -1;
	if (reap(d, &tr, "trainer"))
		return -1;
	if (outsider_open(d))
		return -1;
	if (aiosctl(d, "gpu list"))
		return fail(d, "aiosctl gpu list failed");
	if (write(inf.to, "g", 1) != 1 || reap(d, &inf, "inference"))
		return -1;
	return 0;
}

int demo_gpu(struct demo *d)
{
	pid_t gpud = -1;
	int err = gpu_steps(d, &gpud);

	if (gpud > 0) {
		kill(gpud, SIGTERM);
		waitpid(gpud, NULL, 0);
	}
	if (!err && aios_gpu_unregister(d->admin, GPU_ID))
		err = fail(d, "unregister gpu0: %s", aios_errmsg(d->admin));
	rmdir(GPU_CG);
	return err;
}
