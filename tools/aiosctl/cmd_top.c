// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl top [-d SECONDS] [-n ITERATIONS]
 *
 * A refreshing view of agents, task queues, GPU claims and the events per
 * second seen on the netlink "events" multicast group.  On a terminal each
 * refresh redraws the screen (ANSI); otherwise (a pipe, a file) the frames
 * are printed one after another; with -j each frame is one JSON object on
 * a line of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl top [-d SECONDS] [-n ITERATIONS]\n"
"\n"
"Show the live agents, the task queues (depth, running, completions per\n"
"minute, wait and run latency p50/p99), the GPU devices and their claims,\n"
"and the events per second on the \"events\" multicast group (agent_new,\n"
"agent_del, caps, queue_*, task_failed, msg_rejected, gpu_*), refreshed\n"
"every SECONDS (default 1; 0.1 to 3600).  Each refresh shows the state at\n"
"that moment and the events of the interval before it, so the first one\n"
"comes after SECONDS.  -n stops after ITERATIONS refreshes (default: until\n"
"interrupted).  On a terminal the screen is redrawn; on a pipe or file\n"
"the frames follow one another; with -j (aiosctl -j top) each frame is\n"
"one JSON object per line.  Needs no privilege.\n"
"  -d, --delay SECONDS       time between refreshes\n"
"  -n, --iterations N        number of refreshes (N > 0)\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Event kinds counted per interval. */
static const struct {
	int cmd;
	const char *name;
} kinds[] = {
	{ AIOS_CMD_NTF_AGENT_NEW, "agent_new" },
	{ AIOS_CMD_NTF_AGENT_DEL, "agent_del" },
	{ AIOS_CMD_NTF_CAPS, "caps" },
	{ AIOS_CMD_NTF_QUEUE_NEW, "queue_new" },
	{ AIOS_CMD_NTF_QUEUE_DEL, "queue_del" },
	{ AIOS_CMD_NTF_TASK_FAILED, "task_failed" },
	{ AIOS_CMD_NTF_MSG_REJECTED, "msg_rejected" },
	{ AIOS_CMD_NTF_GPU_CLAIM, "gpu_claim" },
	{ AIOS_CMD_NTF_GPU_RELEASE, "gpu_release" },
	{ AIOS_CMD_NTF_GPU_PREEMPT, "gpu_preempt" },
	{ AIOS_CMD_NTF_GPU_REVOKE, "gpu_revoke" },
	{ -1, "other" },
};

#define NKINDS	((int)(sizeof(kinds) / sizeof(kinds[0])))

struct top {
	struct ctl *c;
	struct aios_events *ev;
	double delay;		/* seconds */
	uint64_t iterations;	/* 0: until interrupted */
	bool tty;
	uint64_t frame;
	uint64_t count[NKINDS];
	uint64_t total, lost;	/* lost: overrun notices in the interval */
	double elapsed;		/* length of the interval, seconds */
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void count_event(struct top *t, const struct aios_event *e)
{
	int i;

	if (e->type == AIOS_EVENT_LOST) {
		t->lost++;
		return;
	}
	for (i = 0; i < NKINDS - 1 && kinds[i].cmd != e->cmd; i++)
		;
	t->count[i]++;
	t->total++;
}

/*
 * Collect events until the interval ends.  0, or a negative errno when the
 * subscription failed (the message is printed).
 */
static int collect(struct top *t)
{
	double start = now_s(CLOCK_MONOTONIC), left;
	struct aios_event e;
	struct pollfd p = { .fd = aios_events_fd(t->ev), .events = POLLIN };
	int ret;

	memset(t->count, 0, sizeof(t->count));
	t->total = t->lost = 0;
	while (!stop && (left = start + t->delay - now_s(CLOCK_MONOTONIC)) > 0) {
		ret = poll(&p, 1, (int)ceil(left * 1000));
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, "aiosctl: poll: %s\n", strerror(errno));
			return -errno;
		}
		if (ret <= 0)
			continue;
		while ((ret = aios_events_next(t->ev, &e, 0)) > 0)
			count_event(t, &e);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "aiosctl: events: %s\n",
				aios_events_errmsg(t->ev));
			return ret;
		}
	}
	t->elapsed = now_s(CLOCK_MONOTONIC) - start;
	return 0;
}

static void fmt_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

/* Microseconds as "850us", "12.3ms", "4.20s". */
static void fmt_us(char *buf, size_t len, uint64_t us)
{
	if (us < 1000)
		snprintf(buf, len, "%lluus", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(buf, len, "%.1fms", us / 1000.0);
	else
		snprintf(buf, len, "%.2fs", us / 1e6);
}

struct snapshot {
	struct aios_status st;
	struct aios_agent *agents;
	size_t nagents;
	struct aios_queue_info *queues;
	size_t nqueues;
	struct aios_gpu *gpus;
	size_t ngpus;
};

static void snapshot_free(struct snapshot *s)
{
	free(s->agents);
	free(s->queues);
	free(s->gpus);
	memset(s, 0, sizeof(*s));
}

static int snapshot_take(struct top *t, struct snapshot *s)
{
	struct aios *h = t->c->h;

	memset(s, 0, sizeof(*s));
	if (aios_status(h, &s->st) < 0 ||
	    aios_agents(h, &s->agents, &s->nagents) < 0 ||
	    ((s->st.features & AIOS_FEAT_QUEUES) &&
	     aios_queues(h, &s->queues, &s->nqueues) < 0) ||
	    ((s->st.features & AIOS_FEAT_GPU) &&
	     aios_gpu_list(h, &s->gpus, &s->ngpus) < 0)) {
		snapshot_free(s);
		return ctl_fail(t->c);
	}
	return 0;
}

static json_t *frame_json(struct top *t, const struct snapshot *s)
{
	json_t *o = json_object(), *a, *x, *by;
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	size_t i;
	int k;

	if (!o)
		return NULL;
	json_object_set_new(o, "frame", json_integer(t->frame));
	json_object_set_new(o, "time", json_integer((json_int_t)time(NULL)));
	json_object_set_new(o, "interval_s", json_real(t->elapsed));
	a = json_array();
	for (i = 0; a && i < s->nagents; i++)
		json_array_append_new(a, ctl_json_agent(&s->agents[i]));
	json_object_set_new(o, "agents", a ? a : json_null());
	a = json_array();
	for (i = 0; a && i < s->nqueues; i++) {
		const struct aios_queue_info *q = &s->queues[i];

		x = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "id", (json_int_t)q->id, "name", q->name,
			      "algo", aios_algo_name(q->algo) ?: "?",
			      "depth", (json_int_t)q->depth,
			      "running", (json_int_t)q->running,
			      "per_min", (json_int_t)q->per_min,
			      "completed", (json_int_t)q->completed,
			      "failed", (json_int_t)q->failed,
			      "wait_p50_us", (json_int_t)q->wait_p50_us,
			      "wait_p99_us", (json_int_t)q->wait_p99_us,
			      "run_p50_us", (json_int_t)q->run_p50_us,
			      "run_p99_us", (json_int_t)q->run_p99_us);
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "queues", a ? a : json_null());
	a = json_array();
	for (i = 0; a && i < s->ngpus; i++) {
		const struct aios_gpu *g = &s->gpus[i];

		x = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)g->id,
			      "name", g->name,
			      "state", aios_gpu_state_name(g->state) ?: "?",
			      "waiters", (json_int_t)g->waiters,
			      "util_ppm", (json_int_t)g->util_ppm);
		if (x && g->owner_id) {
			json_object_set_new(x, "owner", json_integer(g->owner_id));
			json_object_set_new(x, "owner_pid", json_integer(g->owner_pid));
			json_object_set_new(x, "prio",
					    json_string(aios_prio_name(g->prio) ?: "?"));
			json_object_set_new(x, "held_ms",
					    json_integer(g->since_ns && mono > g->since_ns ?
							 (mono - g->since_ns) / 1000000 : 0));
		}
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "gpus", a ? a : json_null());
	by = json_object();
	for (k = 0; by && k < NKINDS; k++)
		if (t->count[k])
			json_object_set_new(by, kinds[k].name,
					    json_integer(t->count[k]));
	json_object_set_new(o, "events", json_pack("{s:I, s:f, s:o, s:I}",
			    "count", (json_int_t)t->total, "per_s",
			    t->elapsed > 0 ? t->total / t->elapsed : 0.0,
			    "by_type", by ? by : json_object(),
			    "overruns", (json_int_t)t->lost));
	json_object_set_new(o, "audit_next_seq", json_integer(s->st.audit_next_seq));
	json_object_set_new(o, "audit_lost", json_integer(s->st.audit_lost));
	return o;
}

static bool print_agents(FILE *f, const struct snapshot *s, size_t max)
{
	static const char *const head[] = { "ID", "PARENT", "NAME", "PRIO",
		"PID", "UID", "AGE", "CAPS" };
	uint64_t boot = now_ns(CLOCK_BOOTTIME);
	char id[24], par[24], pid[16], uid[16], age[24], caps[256];
	struct table *tb = table_new(8, head);
	bool ok = tb;
	size_t i;

	fprintf(f, "AGENTS\n");
	for (i = 0; ok && i < s->nagents && i < max; i++) {
		const struct aios_agent *a = &s->agents[i];
		const char *row[8] = { id, par, a->name, aios_prio_name(a->prio) ?: "?",
				       pid, uid, age, caps };

		snprintf(id, sizeof(id), "%llu", (unsigned long long)a->id);
		if (a->parent_id)
			snprintf(par, sizeof(par), "%llu", (unsigned long long)a->parent_id);
		else
			snprintf(par, sizeof(par), "-");
		snprintf(pid, sizeof(pid), "%d", a->pid);
		snprintf(uid, sizeof(uid), "%u", a->uid);
		fmt_age(age, sizeof(age), boot > a->created_ns ? boot - a->created_ns : 0);
		aios_caps_format(a->caps, caps, sizeof(caps));
		ok = !table_row(tb, row);
	}
	if (ok && s->nagents)
		table_print(tb, f);
	else if (ok)
		fprintf(f, "  (none)\n");
	if (s->nagents > max)
		fprintf(f, "  ... %zu more\n", s->nagents - max);
	table_free(tb);
	return ok;
}

static bool print_queues(FILE *f, const struct snapshot *s)
{
	static const char *const head[] = { "ID", "NAME", "ALGO", "DEPTH",
		"RUNNING", "DONE/MIN", "FAILED", "WAIT_P50", "WAIT_P99",
		"RUN_P50", "RUN_P99" };
	char id[16], depth[16], run[16], pm[24], failed[24];
	char w50[24], w99[24], r50[24], r99[24];
	struct table *tb = table_new(11, head);
	bool ok = tb;
	size_t i;

	fprintf(f, "QUEUES\n");
	for (i = 0; ok && i < s->nqueues; i++) {
		const struct aios_queue_info *q = &s->queues[i];
		const char *row[11] = { id, q->name, aios_algo_name(q->algo) ?: "?",
			depth, run, pm, failed, w50, w99, r50, r99 };

		snprintf(id, sizeof(id), "%u", q->id);
		snprintf(depth, sizeof(depth), "%u", q->depth);
		snprintf(run, sizeof(run), "%u", q->running);
		snprintf(pm, sizeof(pm), "%llu", (unsigned long long)q->per_min);
		snprintf(failed, sizeof(failed), "%llu", (unsigned long long)q->failed);
		fmt_us(w50, sizeof(w50), q->wait_p50_us);
		fmt_us(w99, sizeof(w99), q->wait_p99_us);
		fmt_us(r50, sizeof(r50), q->run_p50_us);
		fmt_us(r99, sizeof(r99), q->run_p99_us);
		ok = !table_row(tb, row);
	}
	if (ok && s->nqueues)
		table_print(tb, f);
	else if (ok)
		fprintf(f, "  (none)\n");
	table_free(tb);
	return ok;
}

static bool print_gpus(FILE *f, const struct snapshot *s)
{
	static const char *const head[] = { "ID", "NAME", "STATE", "AGENT",
		"PID", "PRIO", "HELD", "WAITERS", "UTIL" };
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	char id[16], agent[24], pid[16], held[24], waiters[16], util[16];
	struct table *tb = table_new(9, head);
	bool ok = tb;
	size_t i;

	fprintf(f, "GPU CLAIMS\n");
	for (i = 0; ok && i < s->ngpus; i++) {
		const struct aios_gpu *g = &s->gpus[i];
		const char *row[9] = { id, g->name, aios_gpu_state_name(g->state) ?: "?",
			agent, pid, g->owner_id ? aios_prio_name(g->prio) ?: "?" : "-",
			held, waiters, util };

		snprintf(id, sizeof(id), "%u", g->id);
		if (g->owner_id) {
			snprintf(agent, sizeof(agent), "%llu", (unsigned long long)g->owner_id);
			snprintf(pid, sizeof(pid), "%d", g->owner_pid);
			fmt_age(held, sizeof(held), g->since_ns && mono > g->since_ns ?
				mono - g->since_ns : 0);
		} else {
			snprintf(agent, sizeof(agent), "-");
			snprintf(pid, sizeof(pid), "-");
			snprintf(held, sizeof(held), "-");
		}
		snprintf(waiters, sizeof(waiters), "%u", g->waiters);
		snprintf(util, sizeof(util), "%.1f%%", g->util_ppm / 10000.0);
		ok = !table_row(tb, row);
	}
	if (ok && s->ngpus)
		table_print(tb, f);
	else if (ok)
		fprintf(f, "  (none)\n");
	table_free(tb);
	return ok;
}

static int print_frame(struct top *t, const struct snapshot *s)
{
	unsigned int depth = 0, running = 0, held = 0;
	struct winsize ws;
	size_t i, len = 0, max = (size_t)-1;
	char when[32], *buf = NULL;
	const char *sep;
	time_t now = time(NULL);
	FILE *f;
	bool ok;
	int k;

	if (t->c->json)
		return ctl_json_print(t->c, frame_json(t, s));
	for (i = 0; i < s->nqueues; i++) {
		depth += s->queues[i].depth;
		running += s->queues[i].running;
	}
	for (i = 0; i < s->ngpus; i++)
		held += !!s->gpus[i].owner_id;
	/* on a terminal, as many agents as fit below the other sections */
	if (t->tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row) {
		size_t fixed = 12 + s->nqueues + s->ngpus;

		max = ws.ws_row > fixed + 3 ? ws.ws_row - fixed : 3;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	fprintf(f, "aios top - %s, every %.1fs", when, t->delay);
	if (t->iterations)
		fprintf(f, ", refresh %llu/%llu", (unsigned long long)t->frame,
			(unsigned long long)t->iterations);
	fprintf(f, "\nagents %zu, queues %zu (depth %u, running %u), gpus %zu (%u held), audit seq %llu (lost %llu)\n",
		s->nagents, s->nqueues, depth, running, s->ngpus, held,
		(unsigned long long)s->st.audit_next_seq,
		(unsigned long long)s->st.audit_lost);
	fprintf(f, "events %.1f/s", t->elapsed > 0 ? t->total / t->elapsed : 0.0);
	for (k = 0, sep = ":"; k < NKINDS; k++) {
		if (!t->count[k])
			continue;
		fprintf(f, "%s %s %.1f/s", sep, kinds[k].name,
			t->count[k] / t->elapsed);
		sep = ",";
	}
	if (t->lost)
		fprintf(f, " (the kernel dropped events %llu times: reader too slow)",
			(unsigned long long)t->lost);
	fprintf(f, "\n\n");
	ok = print_agents(f, s, max);
	fprintf(f, "\n");
	ok = print_queues(f, s) && ok;
	fprintf(f, "\n");
	ok = print_gpus(f, s) && ok;
	if (fclose(f) || !ok) {
		free(buf);
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	if (t->tty)
		fputs("\033[H\033[2J", stdout);
	else if (t->frame > 1)
		fputs("\n", stdout);
	fwrite(buf, 1, len, stdout);
	free(buf);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

int cmd_top(struct ctl *c, int argc, char **argv)
{
	const char *delay = NULL, *iters = NULL;
	const struct ctl_opt opts[] = {
		{ "delay", &delay, NULL },
		{ "iterations", &iters, NULL },
	};
	struct top t = { .c = c, .delay = 1.0 };
	struct snapshot s;
	struct sigaction sa;
	char *args[64], *pos[1], *end;
	int i, nargs = 0, npos, ret;

	/* the short options of top(1): -d SECONDS, -n ITERATIONS */
	for (i = 1; i < argc && nargs < 63; i++) {
		if (!strcmp(argv[i], "-d"))
			args[nargs++] = "--delay";
		else if (!strcmp(argv[i], "-n"))
			args[nargs++] = "--iterations";
		else
			args[nargs++] = argv[i];
	}
	if (i < argc)
		return ctl_usage(c, "too many arguments");
	ret = ctl_parse_cmd(c, nargs, args, opts, 2, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (delay) {
		errno = 0;
		t.delay = strtod(delay, &end);
		if (errno || end == delay || *end || !(t.delay >= 0.1 && t.delay <= 3600))
			return ctl_usage(c, "bad delay \"%s\" (seconds, 0.1 to 3600)", delay);
	}
	if (iters && (ctl_parse_u64(iters, &t.iterations) || !t.iterations))
		return ctl_usage(c, "bad iteration count \"%s\" (a number > 0)", iters);
	t.tty = !c->json && isatty(STDOUT_FILENO);

	/* fail early, with the library's message, when the module is absent */
	if (aios_status(c->h, &s.st) < 0)
		return ctl_fail(c);
	if (aios_events_open(c->h, AIOS_EVENTS_GROUP_EVENTS, &t.ev) < 0)
		return ctl_fail(c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: end the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = EXIT_OK;
	while (!stop && (!t.iterations || t.frame < t.iterations)) {
		if (collect(&t) < 0) {
			ret = EXIT_FAIL;
			break;
		}
		if (stop)
			break;
		ret = snapshot_take(&t, &s);
		if (ret)
			break;
		t.frame++;
		ret = print_frame(&t, &s);
		snapshot_free(&s);
		if (ret)
			break;
	}
	aios_events_close(t.ev);
	return ret;
}
