// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl gpu [list | status | claim | release | register | unregister |
 *              discover]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl gpu [list]\n"
"       aiosctl gpu status ID | --agent AGENT_ID\n"
"       aiosctl gpu register ID NAME PATH [--grace-ms MS]\n"
"       aiosctl gpu unregister ID\n"
"       aiosctl gpu discover [--dev-root DIR] [--register] [--first-id N]\n"
"                            [--grace-ms MS]\n"
"       aiosctl gpu claim ID|any [--prio CLASS] [--signal SIG]\n"
"                    [--grace-ms MS] [--timeout MS] [--nonblock]\n"
"                    [--name NAME] [--fd FD] [-- CMD [ARGS...]]\n"
"       aiosctl gpu release HANDLE --fd FD\n"
"\n"
"list shows every registered device (state, holder, class, waiters,\n"
"utilization over the last minute); status one device, or one agent's\n"
"device time.  register/unregister need CAP_SYS_ADMIN (unregister asks for\n"
"confirmation, or --yes).  discover lists NVIDIA (nvidiaN) and DRM render\n"
"(dri/renderDN) nodes, and registers them with --register (ids from\n"
"--first-id, default 1; already registered ones are skipped).\n"
"\n"
"claim makes this process an agent (--name, default \"aiosctl-gpu\"; or\n"
"uses the agent file descriptor FD it inherited with --fd), claims the\n"
"device and, with a command, runs it in this process so that it holds the\n"
"claim (only the holder's process may open the device node where\n"
"aios-gpud enforces claims); the claim ends when the command exits.\n"
"Without a command it prints the handle and, without --fd, holds the\n"
"claim until interrupted.  A new agent gets ACCESS_GPU when the caller is\n"
"root (CAP_SYS_ADMIN); an inherited one needs it already.  A command that\n"
"is not the terminal's foreground job runs in a process group of its own:\n"
"when it keeps the device past its grace, that group gets the module's\n"
"gpu_revoke_signal (SIGTERM by default).  release gives back a claim of\n"
"the agent FD.\n";

static json_t *gpu_json(const struct aios_gpu *g)
{
	const char *st = aios_gpu_state_name(g->state);
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(g->id));
	json_object_set_new(o, "name", json_string(g->name));
	json_object_set_new(o, "path", json_string(g->path));
	json_object_set_new(o, "major", json_integer(g->major));
	json_object_set_new(o, "minor", json_integer(g->minor));
	json_object_set_new(o, "grace_ms", json_integer(g->grace_ms));
	json_object_set_new(o, "state", json_string(st ? st : "?"));
	json_object_set_new(o, "waiters", json_integer(g->waiters));
	if (g->owner_id) {
		json_object_set_new(o, "owner", json_integer(g->owner_id));
		json_object_set_new(o, "owner_pid", json_integer(g->owner_pid));
		json_object_set_new(o, "prio",
				    json_string(aios_prio_name(g->prio) ?: "?"));
		json_object_set_new(o, "handle", json_integer(g->handle));
		json_object_set_new(o, "since_ns", json_integer(g->since_ns));
		if (g->deadline_ns)
			json_object_set_new(o, "deadline_ns",
					    json_integer(g->deadline_ns));
	}
	json_object_set_new(o, "util_ppm", json_integer(g->util_ppm));
	json_object_set_new(o, "util_window_ms",
			    json_integer(g->util_window_ms));
	json_object_set_new(o, "claims", json_integer(g->claims));
	json_object_set_new(o, "preemptions", json_integer(g->preemptions));
	return o;
}

static int gpu_row(struct table *t, const struct aios_gpu *g)
{
	char id[16], dev[24], owner[24], pid[16], util[16], wait[16];
	const char *st = aios_gpu_state_name(g->state);
	const char *cells[10];

	snprintf(id, sizeof(id), "%u", g->id);
	snprintf(dev, sizeof(dev), "%u:%u", g->major, g->minor);
	if (g->owner_id) {
		snprintf(owner, sizeof(owner), "%llu",
			 (unsigned long long)g->owner_id);
		snprintf(pid, sizeof(pid), "%d", g->owner_pid);
	} else {
		snprintf(owner, sizeof(owner), "-");
		snprintf(pid, sizeof(pid), "-");
	}
	snprintf(util, sizeof(util), "%.1f%%", g->util_ppm / 10000.0);
	snprintf(wait, sizeof(wait), "%u", g->waiters);
	cells[0] = id;
	cells[1] = g->name;
	cells[2] = dev;
	cells[3] = st ? st : "?";
	cells[4] = owner;
	cells[5] = pid;
	cells[6] = g->owner_id ? (aios_prio_name(g->prio) ?: "?") : "-";
	cells[7] = wait;
	cells[8] = util;
	cells[9] = g->path;
	return table_row(t, cells);
}

static int print_gpus(struct ctl *c, const struct aios_gpu *v, size_t n,
		      bool one)
{
	static const char *const head[] = {
		"ID", "NAME", "DEV", "STATE", "OWNER", "PID", "PRIO",
		"WAITERS", "UTIL", "PATH",
	};
	struct table *t;
	json_t *arr;
	size_t i;

	if (c->json) {
		if (one)
			return ctl_json_print(c, gpu_json(&v[0]));
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, gpu_json(&v[i]));
		return ctl_json_print(c, arr);
	}
	t = table_new(10, head);
	for (i = 0; t && i < n; i++)
		if (gpu_row(t, &v[i]))
			break;
	return table_finish(t, i == n);
}

static int parse_u32(struct ctl *c, const char *s, const char *what,
		     uint32_t *out)
{
	uint64_t v;

	if (ctl_parse_u64(s, &v) || v > UINT32_MAX)
		return ctl_usage(c, "%s must be a number, not \"%s\"", what, s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_signal(const char *s, int *sig)
{
	const char *abbrev;
	uint64_t v;

	if (!ctl_parse_u64(s, &v)) {
		if (v > 63)
			return -1;
		*sig = (int)v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < 64; i++) {
		abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s)) {
			*sig = i;
			return 0;
		}
	}
	return -1;
}

static int gpu_list(struct ctl *c)
{
	struct aios_gpu *v;
	size_t n;
	int ret;

	if (aios_gpu_list(c->h, &v, &n) < 0)
		return ctl_fail(c);
	ret = print_gpus(c, v, n, false);
	free(v);
	return ret;
}

static int gpu_status(struct ctl *c, char **pos, int npos, const char *agent)
{
	struct aios_gpu_usage u;
	struct aios_gpu g;
	uint64_t aid;
	uint32_t id = 0;
	json_t *o;

	if (agent) {
		if (npos != 1)
			return ctl_usage(c, "gpu status takes a device id or --agent, not both");
		if (ctl_parse_id(c, agent, &aid))
			return ctl_usage(c, "bad agent id \"%s\"", agent);
		if (aios_gpu_usage(c->h, aid, &u) < 0)
			return ctl_fail(c);
		if (c->json) {
			o = json_object();
			if (o) {
				json_object_set_new(o, "agent",
						    json_integer(u.agent_id));
				json_object_set_new(o, "util_ppm",
						    json_integer(u.util_ppm));
				json_object_set_new(o, "util_window_ms",
						    json_integer(u.util_window_ms));
				json_object_set_new(o, "claims",
						    json_integer(u.claims));
			}
			return ctl_json_print(c, o);
		}
		printf("agent %llu: %.1f%% device time over the last %.1f s, %llu claim(s) granted\n",
		       (unsigned long long)u.agent_id, u.util_ppm / 10000.0,
		       u.util_window_ms / 1000.0,
		       (unsigned long long)u.claims);
		return EXIT_OK;
	}
	if (npos != 2)
		return ctl_usage(c, "gpu status needs a device id (or --agent ID)");
	if (parse_u32(c, pos[1], "the device id", &id))
		return EXIT_USAGE;
	if (aios_gpu_get(c->h, id, &g) < 0)
		return ctl_fail(c);
	return print_gpus(c, &g, 1, true);
}

static int gpu_register(struct ctl *c, char **pos, int npos, const char *grace)
{
	uint32_t id = 0, g = 0;

	if (npos != 4)
		return ctl_usage(c, "gpu register needs ID NAME PATH");
	if (parse_u32(c, pos[1], "the device id", &id) ||
	    (grace && parse_u32(c, grace, "--grace-ms", &g)))
		return EXIT_USAGE;
	if (aios_gpu_register(c->h, id, pos[2], pos[3], g) < 0)
		return ctl_fail(c);
	if (c->json)
		return ctl_json_print(c, json_pack("{s:i, s:s, s:s, s:b}", "id", (int)id,
						   "name", pos[2], "path", pos[3],
						   "registered", 1));
	printf("registered %s as GPU %u\n", pos[3], id);
	return EXIT_OK;
}

static int gpu_unregister(struct ctl *c, char **pos, int npos)
{
	uint32_t id = 0;
	int ret;

	if (npos != 2)
		return ctl_usage(c, "gpu unregister needs a device id");
	if (parse_u32(c, pos[1], "the device id", &id))
		return EXIT_USAGE;
	ret = ctl_confirm(c, "unregister GPU %u (its node becomes unrestricted)",
			  id);
	if (ret)
		return ret;
	if (aios_gpu_unregister(c->h, id) < 0)
		return ctl_fail(c);
	if (c->json)
		return ctl_json_print(c, json_pack("{s:i, s:b}", "id", (int)id,
						   "unregistered", 1));
	printf("GPU %u unregistered\n", id);
	return EXIT_OK;
}

static int gpu_discover(struct ctl *c, const char *root, bool reg,
			const char *first, const char *grace)
{
	struct aios_gpu_node *v;
	uint32_t id = 1, g = 0;
	char err[256];
	json_t *arr, *o;
	size_t n, i;
	int ret, rc = EXIT_OK;

	if ((first && parse_u32(c, first, "--first-id", &id)) ||
	    (grace && parse_u32(c, grace, "--grace-ms", &g)))
		return EXIT_USAGE;
	if (!id)
		return ctl_usage(c, "--first-id must be at least 1");
	if (aios_gpu_discover(root, &v, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "aiosctl: %s\n", err);
		return EXIT_FAIL;
	}
	for (i = 0; reg && i < n; i++) {
		ret = aios_gpu_register(c->h, id + i, v[i].name, v[i].path, g);
		if (ret == -EEXIST)
			continue;
		if (ret < 0) {
			ctl_fail(c);
			rc = EXIT_FAIL;
		}
	}
	if (c->json) {
		arr = json_array();
		for (i = 0; arr && i < n; i++) {
			o = json_object();
			if (!o)
				break;
			json_object_set_new(o, "name", json_string(v[i].name));
			json_object_set_new(o, "path", json_string(v[i].path));
			json_object_set_new(o, "kind",
					    json_string(aios_gpu_node_kind_name(v[i].kind)));
			json_object_set_new(o, "major", json_integer(v[i].major));
			json_object_set_new(o, "minor", json_integer(v[i].minor));
			if (reg)
				json_object_set_new(o, "id",
						    json_integer(id + i));
			json_array_append_new(arr, o);
		}
		free(v);
		ret = ctl_json_print(c, arr);
		return rc ? rc : ret;
	}
	printf("%-12s %-11s %-9s %s\n", "NAME", "KIND", "DEV", "PATH");
	for (i = 0; i < n; i++) {
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", v[i].major, v[i].minor);
		printf("%-12s %-11s %-9s %s\n", v[i].name,
		       aios_gpu_node_kind_name(v[i].kind), dev, v[i].path);
	}
	free(v);
	return rc;
}

struct claim_args {
	const char *prio, *sig, *grace, *timeout, *name, *fd;
	bool nonblock;
};

/* The agent to act as: the inherited --fd, or a new one of class prio. */
static int agent_handle(struct ctl *c, const struct claim_args *a,
			unsigned int prio)
{
	uint64_t fd;

	if (a->fd) {
		if (ctl_parse_u64(a->fd, &fd) || fd > 1 << 20)
			return ctl_usage(c, "bad --fd \"%s\"", a->fd);
		if (aios_adopt_fd(c->h, (int)fd) < 0)
			return ctl_fail(c);
		if (!aios_agent_id(c->h)) {
			fprintf(stderr, "aiosctl: descriptor %s is not a registered agent\n",
				a->fd);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (aios_open(c->h) < 0 ||
	    aios_register(c->h, a->name ? a->name : "aiosctl-gpu", prio,
			  NULL) < 0)
		return ctl_fail(c);
	/*
	 * A new agent has the default capabilities; an admin caller gives
	 * it ACCESS_GPU, anyone else gets the claim's "ACCESS_GPU required".
	 */
	aios_caps_grant(c->h, aios_agent_id(c->h), AIOS_CAP_ACCESS_GPU, NULL);
	return EXIT_OK;
}

static volatile sig_atomic_t gpu_stop;

static void on_stop(int sig)
{
	gpu_stop = sig;
}

static int gpu_claim(struct ctl *c, char **pos, int npos,
		     const struct claim_args *a, char **cmd)
{
	struct aios_gpu_claim_opts o = {
		.sz = sizeof(o), .timeout_ms = -1,
	};
	uint64_t handle = 0, t;
	unsigned int prio = AIOS_PRIO_NORMAL;
	uint32_t dev = 0, state;
	json_t *j;
	int ret;

	if (npos != 2)
		return ctl_usage(c, "gpu claim needs a device id or \"any\"");
	if (strcmp(pos[1], "any") &&
	    parse_u32(c, pos[1], "the device id", &o.device_id))
		return EXIT_USAGE;
	if (a->prio) {
		if (aios_prio_parse(a->prio, &prio))
			return ctl_usage(c, "bad --prio \"%s\" (critical, high, normal, low)",
					 a->prio);
		/* with --fd the claim's class; else the new agent's */
		o.set_prio = a->fd != NULL;
		o.prio = prio;
	}
	if (a->sig && parse_signal(a->sig, &o.signal))
		return ctl_usage(c, "bad --signal \"%s\"", a->sig);
	if (a->grace && parse_u32(c, a->grace, "--grace-ms", &o.grace_ms))
		return EXIT_USAGE;
	if (a->timeout) {
		if (ctl_parse_u64(a->timeout, &t) || t > INT32_MAX)
			return ctl_usage(c, "bad --timeout \"%s\"", a->timeout);
		o.timeout_ms = (int)t;
	}
	o.nonblock = a->nonblock;
	ret = agent_handle(c, a, prio);
	if (ret)
		return ret;
	ret = aios_gpu_claim(c->h, &o, &handle, &dev);
	if (ret < 0 && ret != -EINPROGRESS)
		return ctl_fail(c);
	if (aios_gpu_query(c->h, handle, &state, NULL, NULL) < 0)
		return ctl_fail(c);
	if (c->json) {
		j = json_object();
		if (j) {
			json_object_set_new(j, "agent",
					    json_integer(aios_agent_id(c->h)));
			json_object_set_new(j, "handle", json_integer(handle));
			json_object_set_new(j, "device", json_integer(dev));
			json_object_set_new(j, "state",
					    json_string(aios_gpu_state_name(state)));
		}
		ctl_json_print(c, j);
	} else {
		printf("agent %llu: claim %llu of GPU %u: %s\n",
		       (unsigned long long)aios_agent_id(c->h),
		       (unsigned long long)handle, dev,
		       aios_gpu_state_name(state));
	}
	fflush(stdout);
	if (cmd && cmd[0]) {
		/*
		 * A holder that ignores its preemption gets its process group
		 * signalled (gpu_revoke_signal): unless this is the terminal's
		 * foreground job, give the command a group of its own so that
		 * the signal does not reach whoever started it.
		 */
		if (getpgrp() != getpid() && tcgetpgrp(STDIN_FILENO) != getpgrp())
			setpgid(0, 0);
		/* the agent's file stays open across exec: the command holds */
		if (fcntl(aios_fd(c->h), F_SETFD, 0)) {
			fprintf(stderr, "aiosctl: cannot keep the agent open across exec: %s\n",
				strerror(errno));
			return EXIT_FAIL;
		}
		execvp(cmd[0], cmd);
		fprintf(stderr, "aiosctl: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		return EXIT_FAIL;
	}
	if (a->fd)
		return EXIT_OK;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	while (!gpu_stop)
		pause();
	aios_gpu_release(c->h, handle);
	return EXIT_OK;
}

static int gpu_release(struct ctl *c, char **pos, int npos,
		       const struct claim_args *a)
{
	uint64_t handle;
	int ret;

	if (npos != 2 || ctl_parse_u64(pos[1], &handle))
		return ctl_usage(c, "gpu release needs a claim handle");
	if (!a->fd)
		return ctl_usage(c, "gpu release needs --fd FD, the agent that holds the claim");
	ret = agent_handle(c, a, AIOS_PRIO_NORMAL);
	if (ret)
		return ret;
	if (aios_gpu_release(c->h, handle) < 0)
		return ctl_fail(c);
	return EXIT_OK;
}

int cmd_gpu(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = {
		"list", "status", "register", "unregister", "discover",
		"claim", "release",
	};
	const char *agent = NULL, *grace = NULL, *root = NULL, *first = NULL;
	struct claim_args a = { 0 };
	bool reg = false;
	const struct ctl_opt opts[] = {
		{ "agent", &agent, NULL },
		{ "grace-ms", &grace, NULL },
		{ "dev-root", &root, NULL },
		{ "first-id", &first, NULL },
		{ "register", NULL, &reg },
		{ "prio", &a.prio, NULL },
		{ "signal", &a.sig, NULL },
		{ "timeout", &a.timeout, NULL },
		{ "nonblock", NULL, &a.nonblock },
		{ "name", &a.name, NULL },
		{ "fd", &a.fd, NULL },
	};
	char **cmd = NULL;
	char *pos[4];
	int npos, ret, k, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = argv + i + 1;
			argc = i;
			break;
		}
	}
	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts,
			    (int)(sizeof(opts) / sizeof(opts[0])), pos, 4,
			    &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (!npos)
		return gpu_list(c);
	k = ctl_match(pos[0], cmds, 7);
	if (k == -2)
		return ctl_usage(c, "gpu command \"%s\" is ambiguous", pos[0]);
	if (k < 0)
		return ctl_usage(c, "unknown gpu command \"%s\"", pos[0]);
	if (cmd && k != 5)
		return ctl_usage(c, "only gpu claim runs a command");
	a.grace = grace;
	grace = k == 5 ? NULL : grace;
	switch (k) {
	case 0:
		return npos == 1 ? gpu_list(c) :
				   ctl_usage(c, "gpu list takes no argument");
	case 1:
		return gpu_status(c, pos, npos, agent);
	case 2:
		return gpu_register(c, pos, npos, grace);
	case 3:
		return gpu_unregister(c, pos, npos);
	case 4:
		if (npos != 1)
			return ctl_usage(c, "gpu discover takes no argument");
		return gpu_discover(c, root, reg, first, grace);
	case 5:
		return gpu_claim(c, pos, npos, &a, cmd);
	default:
		return gpu_release(c, pos, npos, &a);
	}
}
