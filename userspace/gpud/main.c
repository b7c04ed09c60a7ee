// SPDX-License-Identifier: GPL-2.0
/*
 * aios-gpud: discover GPU device nodes, register them with aios.ko, and
 * enforce claims: only the thread group holding a device's claim may
 * open its node (a cgroup device BPF program fed from the kernel's GPU
 * events).  See Documentation/gpu.md.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <aios.h>

#include "gnl.h"
#include "policy.h"

struct gpud_opts {
	const char *dev_root;
	const char *cgroup;
	const char *pin;
	unsigned int first_id;
	unsigned int grace_ms;
	unsigned int resync_ms;
	int ready_fd;
	bool discover;
	bool enforce;
	bool json;
	bool verbose;
};

static volatile sig_atomic_t gpud_stop;

static void gpud_on_signal(int sig)
{
	gpud_stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: aios-gpud [options]            discover, register, enforce (daemon)\n"
"       aios-gpud discover [-j] [--dev-root DIR]   list GPU nodes and exit\n"
"       aios-gpud register [options]   discover and register, then exit\n"
"\n"
"options:\n"
"  --dev-root DIR    where the device nodes are (default /dev)\n"
"  --cgroup DIR      cgroup v2 directory to enforce in (default /sys/fs/cgroup)\n"
"  --pin PATH        pin the program here; a stale one there is detached\n"
"                    first (default /sys/fs/bpf/aios-gpud; \"\" = no pin)\n"
"  --first-id N      aios device id of the first discovered node (default 1)\n"
"  --grace-ms N      default grace of the devices registered (default: the\n"
"                    module's gpu_default_grace_ms)\n"
"  --no-discover     enforce what is registered, register nothing\n"
"  --resync-ms N     full resynchronisation period (default 1000)\n"
"  --ready-fd FD     write \"ready\\n\" to FD once enforcing, then close it\n"
"  -j, --json        JSON output (discover)\n"
"  -v, --verbose     log every event\n"
"  -h, --help        this text\n");
}

static int parse_uint(const char *s, unsigned int *out, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0xffffffffUL) {
		fprintf(stderr, "aios-gpud: %s: '%s' is not a number\n", what,
			s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct gpud_opts *o)
{
	enum { O_ROOT = 256, O_CG, O_PIN, O_FIRST, O_GRACE, O_NODISC,
	       O_RESYNC, O_READY };
	static const struct option lo[] = {
		{ "dev-root", required_argument, NULL, O_ROOT },
		{ "cgroup", required_argument, NULL, O_CG },
		{ "pin", required_argument, NULL, O_PIN },
		{ "first-id", required_argument, NULL, O_FIRST },
		{ "grace-ms", required_argument, NULL, O_GRACE },
		{ "no-discover", no_argument, NULL, O_NODISC },
		{ "resync-ms", required_argument, NULL, O_RESYNC },
		{ "ready-fd", required_argument, NULL, O_READY },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int v;
	int c;

	while ((c = getopt_long(argc, argv, "jvh", lo, NULL)) != -1) {
		switch (c) {
		case O_ROOT: o->dev_root = optarg; break;
		case O_CG: o->cgroup = optarg; break;
		case O_PIN: o->pin = optarg; break;
		case O_FIRST:
			if (parse_uint(optarg, &o->first_id, "--first-id"))
				return -EINVAL;
			if (!o->first_id) {
				fprintf(stderr, "aios-gpud: --first-id must be at least 1\n");
				return -EINVAL;
			}
			break;
		case O_GRACE:
			if (parse_uint(optarg, &o->grace_ms, "--grace-ms"))
				return -EINVAL;
			break;
		case O_NODISC: o->discover = false; break;
		case O_RESYNC:
			if (parse_uint(optarg, &o->resync_ms, "--resync-ms"))
				return -EINVAL;
			if (!o->resync_ms) {
				fprintf(stderr, "aios-gpud: --resync-ms must be at least 1\n");
				return -EINVAL;
			}
			break;
		case O_READY:
			if (parse_uint(optarg, &v, "--ready-fd"))
				return -EINVAL;
			o->ready_fd = v;
			break;
		case 'j': o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmd_discover(const struct gpud_opts *o)
{
	struct aios_gpu_node *f;
	char err[256];
	size_t n;

	if (aios_gpu_discover(o->dev_root, &f, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "aios-gpud: %s\n", err);
		return 1;
	}
	if (o->json) {
		printf("[");
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(f[i].name);
			printf(",\"path\":");
			json_str(f[i].path);
			printf(",\"kind\":\"%s\",\"major\":%u,\"minor\":%u}",
			       aios_gpu_node_kind_name(f[i].kind), f[i].major,
			       f[i].minor);
		}
		printf("]\n");
		free(f);
		return 0;
	}
	printf("%-12s %-11s %-9s %s\n", "NAME", "KIND", "DEV", "PATH");
	for (size_t i = 0; i < n; i++) {
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", f[i].major, f[i].minor);
		printf("%-12s %-11s %-9s %s\n", f[i].name,
		       aios_gpu_node_kind_name(f[i].kind), dev, f[i].path);
	}
	free(f);
	return 0;
}

/* Register every discovered node; already registered ones are fine. */
static int do_register(struct gnl *req, const struct gpud_opts *o)
{
	struct aios_gpu_node *f;
	char err[256];
	int ret, bad = 0;
	size_t n;

	ret = aios_gpu_discover(o->dev_root, &f, &n, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "aios-gpud: %s\n", err);
		return ret;
	}
	for (size_t i = 0; i < n; i++) {
		ret = gnl_register(req, o->first_id + i, f[i].name, f[i].path,
				   o->grace_ms, err, sizeof(err));
		if (ret == -EEXIST) {
			if (o->verbose)
				fprintf(stderr, "aios-gpud: %s: %s\n",
					f[i].path, err);
			continue;
		}
		if (ret) {
			fprintf(stderr, "aios-gpud: cannot register %s as %zu: %s%s%s\n",
				f[i].path, o->first_id + i, strerror(-ret),
				*err ? ": " : "", err);
			bad++;
			continue;
		}
		printf("aios-gpud: registered %s (%u:%u) as device %zu\n",
		       f[i].path, f[i].major, f[i].minor, o->first_id + i);
	}
	free(f);
	fflush(stdout);
	return bad ? -EIO : 0;
}

static int resync(struct gnl *req, struct gpud_policy *p, bool verbose)
{
	struct gnl_dev *devs;
	int n, ret;

	ret = gnl_dump(req, &devs, &n);
	if (ret) {
		fprintf(stderr, "aios-gpud: cannot list devices: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = gpud_policy_sync(p, devs, n);
	if (ret)
		fprintf(stderr, "aios-gpud: cannot update the maps: %s\n",
			strerror(-ret));
	else if (verbose)
		fprintf(stderr, "aios-gpud: synchronised %d device(s)\n", n);
	free(devs);
	return ret;
}

struct gpud_loop {
	struct gpud_policy *p;
	bool verbose;
	bool need_resync;
};

static const char *const gpud_ev_names[] = {
	[AIOS_CMD_NTF_GPU_CLAIM - AIOS_CMD_NTF_GPU_CLAIM] = "claim",
	[AIOS_CMD_NTF_GPU_RELEASE - AIOS_CMD_NTF_GPU_CLAIM] = "release",
	[AIOS_CMD_NTF_GPU_PREEMPT - AIOS_CMD_NTF_GPU_CLAIM] = "preempt",
	[AIOS_CMD_NTF_GPU_REVOKE - AIOS_CMD_NTF_GPU_CLAIM] = "revoke",
};

static void on_event(void *arg, uint8_t cmd, const struct gnl_dev *d)
{
	struct gpud_loop *l = arg;
	int ret;

	if (!d) {	/* a device was registered or unregistered */
		l->need_resync = true;
		return;
	}
	ret = gpud_policy_event(l->p, cmd, d);
	if (ret) {
		fprintf(stderr, "aios-gpud: map update failed: %s\n",
			strerror(-ret));
		l->need_resync = true;
	}
	if (l->verbose)
		fprintf(stderr, "aios-gpud: %s device %u (%u:%u) agent %llu pid %u\n",
			gpud_ev_names[cmd - AIOS_CMD_NTF_GPU_CLAIM], d->id,
			d->major, d->minor, (unsigned long long)d->owner_id,
			d->owner_pid);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int cmd_daemon(struct gpud_opts *o)
{
	struct sigaction sa = { .sa_handler = gpud_on_signal };
	struct gpud_loop l = { .verbose = o->verbose };
	struct gpud_policy pol;
	struct gnl req, ev;
	uint64_t next, allowed, denied;
	char err[256];
	int ret, rc = 1;

	ret = gnl_open(&req, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "aios-gpud: %s\n", err);
		return 1;
	}
	ret = gnl_open(&ev, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "aios-gpud: %s\n", err);
		goto out_req;
	}
	ret = gnl_join(&ev, AIOS_MCGRP_EVENTS);
	if (ret) {
		fprintf(stderr, "aios-gpud: cannot join \"events\": %s\n",
			strerror(-ret));
		goto out_ev;
	}
	/* registrations show in the audit group; else the resync catches them */
	if (gnl_join(&ev, AIOS_MCGRP_AUDIT))
		fprintf(stderr,
			"aios-gpud: cannot join \"audit\" (needs CAP_SYS_ADMIN); relying on the %u ms resync\n",
			o->resync_ms);

	if (o->discover && do_register(&req, o))
		fprintf(stderr, "aios-gpud: some devices were not registered\n");

	ret = gpud_policy_open(&pol, o->cgroup, o->pin, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "aios-gpud: %s\n", err);
		goto out_ev;
	}
	l.p = &pol;
	if (resync(&req, &pol, o->verbose))
		goto out_pol;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->ready_fd >= 0) {
		if (write(o->ready_fd, "ready\n", 6) != 6)
			fprintf(stderr, "aios-gpud: --ready-fd: %s\n",
				strerror(errno));
		close(o->ready_fd);
	}
	fprintf(stderr, "aios-gpud: enforcing GPU claims in %s\n", o->cgroup);

	next = now_ms() + o->resync_ms;
	while (!gpud_stop) {
		struct pollfd pfd = { .fd = ev.fd, .events = POLLIN };
		uint64_t t = now_ms();
		int wait = t >= next ? 0 : (int)(next - t);

		ret = poll(&pfd, 1, wait);
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, "aios-gpud: poll: %s\n", strerror(errno));
			goto out_pol;
		}
		if (ret > 0) {
			do {
				ret = gnl_events(&ev, on_event, &l);
			} while (ret >= 0);
			if (ret == -ENOBUFS) {
				fprintf(stderr, "aios-gpud: events lost; resynchronising\n");
				l.need_resync = true;
			} else if (ret != -EAGAIN) {
				fprintf(stderr, "aios-gpud: events: %s\n",
					strerror(-ret));
				goto out_pol;
			}
		}
		if (l.need_resync || now_ms() >= next) {
			l.need_resync = false;
			resync(&req, &pol, false);
			next = now_ms() + o->resync_ms;
		}
	}
	gpud_policy_stats(&pol, &allowed, &denied);
	fprintf(stderr,
		"aios-gpud: stopping on signal %d; opens of registered nodes: %llu allowed, %llu denied\n",
		(int)gpud_stop, (unsigned long long)allowed,
		(unsigned long long)denied);
	rc = 0;
out_pol:
	gpud_policy_close(&pol);
out_ev:
	gnl_close(&ev);
out_req:
	gnl_close(&req);
	return rc;
}

int main(int argc, char **argv)
{
	struct gpud_opts o = {
		.dev_root = "/dev",
		.cgroup = "/sys/fs/cgroup",
		.pin = "/sys/fs/bpf/aios-gpud",
		.first_id = 1,
		.resync_ms = 1000,
		.ready_fd = -1,
		.discover = true,
	};
	const char *cmd = NULL;
	struct gnl req;
	char err[256];
	int ret;

	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	if (parse_opts(argc, argv, &o))
		return 2;
	if (optind != argc) {
		fprintf(stderr, "aios-gpud: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (cmd && !strcmp(cmd, "discover"))
		return cmd_discover(&o);
	if (cmd && !strcmp(cmd, "register")) {
		ret = gnl_open(&req, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "aios-gpud: %s\n", err);
			return 1;
		}
		ret = do_register(&req, &o);
		gnl_close(&req);
		return ret ? 1 : 0;
	}
	if (cmd) {
		fprintf(stderr, "aios-gpud: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	return cmd_daemon(&o);
}
