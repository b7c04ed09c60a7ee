// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl queues [show [QUEUE]]
 * aiosctl queues create NAME --algo ALGO [--concurrent N] [--slice-ms N]
 *                           [--max-payload N] [--max-depth N]
 *                           [--retries N] [--aging-ms N]
 * aiosctl queues destroy QUEUE [--force]
 * aiosctl tasks [list] [--queue QUEUE]
 * aiosctl tasks cancel TASK [--fd FD]
 *
 * QUEUE is an id (a number) or a name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "table.h"

static const char queues_help[] =
"usage: aiosctl queues [list]\n"
"       aiosctl queues show QUEUE\n"
"       aiosctl queues create NAME --algo fifo|round_robin|priority\n"
"                      [--concurrent N] [--slice-ms N] [--max-payload BYTES]\n"
"                      [--max-depth N] [--retries N] [--aging-ms N]\n"
"       aiosctl queues destroy QUEUE [--force]\n"
"\n"
"List the task scheduler queues with their statistics (depth, running,\n"
"completed, failed, cancelled, requeued, tasks in the last minute, wait\n"
"and run latency p50/p99, kernel memory), show one QUEUE (an id or a\n"
"name), create or destroy one.  create and destroy need ADMIN or\n"
"CAP_SYS_ADMIN; destroy asks for confirmation (or --yes).  A queue with\n"
"queued or running tasks is only destroyed with --force, which fails every\n"
"one of them.\n";

static const char tasks_help[] =
"usage: aiosctl tasks [list] [--queue QUEUE]\n"
"       aiosctl tasks cancel TASK [--fd FD]\n"
"\n"
"list (the default) shows the tasks not yet collected by their submitters\n"
"(all queues, or the QUEUE given by id or name).  Needs no privilege.\n"
"cancel removes a queued task, or marks a running one cancelled so that\n"
"its worker's completion is discarded; its submitter sees the state\n"
"\"cancelled\".  It acts as a new agent \"aiosctl\" (any task as root,\n"
"CAP_SYS_ADMIN), or as the agent whose /dev/aios descriptor FD this\n"
"process inherited (its own tasks).  Asks for confirmation (or --yes).\n";

/* QUEUE argument: a number is an id, anything else a name. */
static void parse_qref(const char *s, uint32_t *id, const char **name)
{
	uint64_t v;

	*id = 0;
	*name = s;
	if (!ctl_parse_u64(s, &v) && v && v <= UINT32_MAX) {
		*id = (uint32_t)v;
		*name = NULL;
	}
}

static json_t *json_queue(const struct aios_queue_info *q)
{
	json_t *o = json_object();
	const char *algo = aios_algo_name(q->algo);

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(q->id));
	json_object_set_new(o, "name", json_string(q->name));
	json_object_set_new(o, "algo", algo ? json_string(algo) :
			    json_integer(q->algo));
	json_object_set_new(o, "max_concurrent", json_integer(q->max_concurrent));
	json_object_set_new(o, "slice_ms", json_integer(q->slice_ms));
	json_object_set_new(o, "max_payload", json_integer(q->max_payload));
	json_object_set_new(o, "max_depth", json_integer(q->max_depth));
	json_object_set_new(o, "max_retries", json_integer(q->max_retries));
	json_object_set_new(o, "aging_ms", json_integer(q->aging_ms));
	json_object_set_new(o, "depth", json_integer(q->depth));
	json_object_set_new(o, "running", json_integer(q->running));
	json_object_set_new(o, "submitted", json_integer(q->submitted));
	json_object_set_new(o, "completed", json_integer(q->completed));
	json_object_set_new(o, "failed", json_integer(q->failed));
	json_object_set_new(o, "cancelled", json_integer(q->cancelled));
	json_object_set_new(o, "requeued", json_integer(q->requeued));
	json_object_set_new(o, "yielded", json_integer(q->yielded));
	json_object_set_new(o, "per_min", json_integer(q->per_min));
	json_object_set_new(o, "wait_p50_us", json_integer(q->wait_p50_us));
	json_object_set_new(o, "wait_p99_us", json_integer(q->wait_p99_us));
	json_object_set_new(o, "run_p50_us", json_integer(q->run_p50_us));
	json_object_set_new(o, "run_p99_us", json_integer(q->run_p99_us));
	json_object_set_new(o, "kmem_bytes", json_integer(q->kmem_bytes));
	return o;
}

static int print_queues(struct ctl *c, const struct aios_queue_info *v,
			size_t n, bool one)
{
	static const char *const head[] = {
		"ID", "NAME", "ALGO", "CONC", "DEPTH", "RUN", "DONE", "FAILED",
		"CANCEL", "REQUEUE", "PER_MIN", "WAIT_P50/P99_US",
		"RUN_P50/P99_US", "KMEM",
	};
	char cell[14][48];
	const char *cells[14];
	struct table *t;
	json_t *arr;
	size_t i;
	int k;

	if (c->json) {
		if (one)
			return ctl_json_print(c, json_queue(&v[0]));
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_queue(&v[i]));
		return ctl_json_print(c, arr);
	}
	t = table_new(14, head);
	if (!t)
		goto nomem;
	for (i = 0; i < n; i++) {
		const struct aios_queue_info *q = &v[i];
		const char *algo = aios_algo_name(q->algo);

		snprintf(cell[0], 48, "%u", q->id);
		snprintf(cell[1], 48, "%s", q->name);
		snprintf(cell[2], 48, "%s", algo ? algo : "?");
		snprintf(cell[3], 48, "%u", q->max_concurrent);
		snprintf(cell[4], 48, "%u/%u", q->depth, q->max_depth);
		snprintf(cell[5], 48, "%u", q->running);
		snprintf(cell[6], 48, "%llu", (unsigned long long)q->completed);
		snprintf(cell[7], 48, "%llu", (unsigned long long)q->failed);
		snprintf(cell[8], 48, "%llu", (unsigned long long)q->cancelled);
		snprintf(cell[9], 48, "%llu", (unsigned long long)q->requeued);
		snprintf(cell[10], 48, "%llu", (unsigned long long)q->per_min);
		snprintf(cell[11], 48, "%llu/%llu",
			 (unsigned long long)q->wait_p50_us,
			 (unsigned long long)q->wait_p99_us);
		snprintf(cell[12], 48, "%llu/%llu",
			 (unsigned long long)q->run_p50_us,
			 (unsigned long long)q->run_p99_us);
		snprintf(cell[13], 48, "%llu", (unsigned long long)q->kmem_bytes);
		for (k = 0; k < 14; k++)
			cells[k] = cell[k];
		if (table_row(t, cells))
			goto nomem;
	}
	return table_finish(t, true);
nomem:
	return table_finish(t, false);
}

/* A u32 option value: 0 set, EXIT_USAGE printed otherwise. */
static int opt_u32(struct ctl *c, const char *opt, const char *s,
		   uint32_t *v, unsigned int *set, unsigned int bit)
{
	uint64_t x;

	if (!s)
		return 0;
	if (ctl_parse_u64(s, &x) || x > UINT32_MAX)
		return ctl_usage(c, "bad --%s \"%s\" (a number)", opt, s);
	*v = (uint32_t)x;
	*set |= bit;
	return 0;
}

static int queues_create(struct ctl *c, const char *name, char **opts_argv,
			 int opts_argc)
{
	const char *algo = NULL, *conc = NULL, *slice = NULL, *payload = NULL;
	const char *depth = NULL, *retries = NULL, *aging = NULL;
	const struct ctl_opt opts[] = {
		{ "algo", &algo, NULL },
		{ "concurrent", &conc, NULL },
		{ "slice-ms", &slice, NULL },
		{ "max-payload", &payload, NULL },
		{ "max-depth", &depth, NULL },
		{ "retries", &retries, NULL },
		{ "aging-ms", &aging, NULL },
	};
	struct aios_queue_cfg cfg = { .sz = sizeof(cfg), .name = name };
	struct aios_queue_info q;
	char *pos[1];
	uint32_t id;
	int npos, ret;

	ret = ctl_parse_cmd(c, opts_argc, opts_argv, opts, 7, pos, 0, &npos,
			    queues_help);
	if (ret)
		return ctl_status(ret);
	if (!algo)
		return ctl_usage(c, "queues create needs --algo fifo|round_robin|priority");
	if (aios_algo_parse(algo, &cfg.algo))
		return ctl_usage(c, "unknown algorithm \"%s\" (fifo, round_robin or rr, priority)",
				 algo);
	if (opt_u32(c, "concurrent", conc, &cfg.max_concurrent, &cfg.set,
		    AIOS_QCFG_MAX_CONCURRENT) ||
	    opt_u32(c, "slice-ms", slice, &cfg.slice_ms, &cfg.set,
		    AIOS_QCFG_SLICE_MS) ||
	    opt_u32(c, "max-payload", payload, &cfg.max_payload, &cfg.set,
		    AIOS_QCFG_MAX_PAYLOAD) ||
	    opt_u32(c, "max-depth", depth, &cfg.max_depth, &cfg.set,
		    AIOS_QCFG_MAX_DEPTH) ||
	    opt_u32(c, "retries", retries, &cfg.max_retries, &cfg.set,
		    AIOS_QCFG_MAX_RETRIES) ||
	    opt_u32(c, "aging-ms", aging, &cfg.aging_ms, &cfg.set,
		    AIOS_QCFG_AGING_MS))
		return EXIT_USAGE;
	if (aios_queue_create(c->h, &cfg, &id) < 0)
		return ctl_fail(c);
	if (aios_queue_get(c->h, id, NULL, &q) < 0)
		return ctl_fail(c);
	if (c->json)
		return ctl_json_print(c, json_queue(&q));
	printf("queue %u \"%s\" created (%s)\n", id, q.name,
	       aios_algo_name(q.algo) ?: "?");
	return EXIT_OK;
}

static int queues_destroy(struct ctl *c, const char *ref, char **opts_argv,
			  int opts_argc)
{
	bool force = false;
	const struct ctl_opt opts[] = {
		{ "force", NULL, &force },
	};
	const char *name;
	char *pos[1];
	uint32_t id;
	int npos, ret;
	json_t *o;

	ret = ctl_parse_cmd(c, opts_argc, opts_argv, opts, 1, pos, 0, &npos,
			    queues_help);
	if (ret)
		return ctl_status(ret);
	parse_qref(ref, &id, &name);
	ret = ctl_confirm(c, "destroy queue %s%s", ref,
			  force ? " and fail every queued or running task" : "");
	if (ret)
		return ret;
	if (aios_queue_destroy(c->h, id, name, force) < 0)
		return ctl_fail(c);
	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "queue", json_string(ref));
			json_object_set_new(o, "destroyed", json_true());
			json_object_set_new(o, "forced", json_boolean(force));
		}
		return ctl_json_print(c, o);
	}
	printf("queue %s destroyed%s\n", ref, force ? " (forced)" : "");
	return EXIT_OK;
}

int cmd_queues(struct ctl *c, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "list", "create", "destroy" };
	struct aios_queue_info *v = NULL, one;
	const char *name;
	char *pos[2];
	uint32_t id;
	int npos, ret, k;
	size_t n;

	/* create/destroy take options after their positional word. */
	if (argc >= 3 && !ctl_is_help(argv[1]) && !ctl_is_help(argv[2])) {
		k = ctl_match(argv[1], cmds, 4);
		if (k == 2)
			return queues_create(c, argv[2], argv + 3, argc - 3);
		if (k == 3)
			return queues_destroy(c, argv[2], argv + 3, argc - 3);
	}
	ret = ctl_parse_cmd(c, argc - 1, argv + 1, NULL, 0, pos, 2, &npos,
			    queues_help);
	if (ret)
		return ctl_status(ret);
	if (npos) {
		k = ctl_match(pos[0], cmds, 4);
		if (k < 0)
			return ctl_usage(c, "unknown queues command \"%s\"", pos[0]);
		if (k >= 2)
			return ctl_usage(c, "queues %s needs a queue name", cmds[k]);
		if (npos == 2) {
			parse_qref(pos[1], &id, &name);
			if (aios_queue_get(c->h, id, name, &one) < 0)
				return ctl_fail(c);
			return print_queues(c, &one, 1, true);
		}
	}
	if (aios_queues(c->h, &v, &n) < 0)
		return ctl_fail(c);
	ret = print_queues(c, v, n, false);
	free(v);
	return ret;
}

static json_t *json_task(const struct aios_task_info *t)
{
	json_t *o = json_object();
	const char *state = aios_task_state_name(t->state);
	const char *fail = aios_task_fail_name(t->fail);
	const char *prio = aios_prio_name(t->prio);

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(t->id));
	json_object_set_new(o, "queue", json_integer(t->queue_id));
	json_object_set_new(o, "submitter", json_integer(t->submitter_id));
	json_object_set_new(o, "worker", json_integer(t->worker_id));
	json_object_set_new(o, "prio", prio ? json_string(prio) :
			    json_integer(t->prio));
	json_object_set_new(o, "state", state ? json_string(state) :
			    json_integer(t->state));
	json_object_set_new(o, "fail", fail ? json_string(fail) :
			    json_integer(t->fail));
	json_object_set_new(o, "error", json_integer(t->error));
	json_object_set_new(o, "progress", json_integer(t->progress));
	json_object_set_new(o, "runs", json_integer(t->runs));
	json_object_set_new(o, "retries", json_integer(t->retries));
	json_object_set_new(o, "payload_len", json_integer(t->payload_len));
	json_object_set_new(o, "submit_ns", json_integer(t->submit_ns));
	json_object_set_new(o, "context_ref", json_integer(t->context_ref));
	return o;
}

/* tasks cancel TASK [--fd FD] */
static int tasks_cancel(struct ctl *c, int argc, char **argv)
{
	const char *fd_arg = NULL;
	const struct ctl_opt opts[] = {
		{ "fd", &fd_arg, NULL },
	};
	uint64_t task, fd;
	char *pos[1];
	int npos, ret;
	json_t *o;

	ret = ctl_parse_cmd(c, argc, argv, opts, 1, pos, 1, &npos, tasks_help);
	if (ret)
		return ctl_status(ret);
	if (npos != 1)
		return ctl_usage(c, "tasks cancel needs one TASK id");
	if (ctl_parse_id(c, pos[0], &task))
		return ctl_usage(c, "bad task id \"%s\" (a number > 0)", pos[0]);
	if (fd_arg && (ctl_parse_u64(fd_arg, &fd) || fd > INT32_MAX))
		return ctl_usage(c, "bad --fd \"%s\"", fd_arg);
	ret = ctl_confirm(c, "cancel task %llu", (unsigned long long)task);
	if (ret)
		return ret;
	if (fd_arg) {
		if (aios_adopt_fd(c->h, (int)fd) < 0)
			return ctl_fail(c);
		if (!aios_agent_id(c->h)) {
			fprintf(stderr, "aiosctl: descriptor %s is not a registered agent\n",
				fd_arg);
			return EXIT_FAIL;
		}
	} else if (aios_open(c->h) < 0 ||
		   aios_register(c->h, "aiosctl", AIOS_PRIO_NORMAL, NULL) < 0) {
		return ctl_fail(c);
	}
	if (aios_task_cancel(c->h, task) < 0)
		return ctl_fail(c);
	if (c->json) {
		o = json_object();
		if (o) {
			json_object_set_new(o, "task", json_integer(task));
			json_object_set_new(o, "cancelled", json_true());
		}
		return ctl_json_print(c, o);
	}
	printf("task %llu cancelled\n", (unsigned long long)task);
	return EXIT_OK;
}

int cmd_tasks(struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {
		"ID", "QUEUE", "SUBMITTER", "WORKER", "PRIO", "STATE", "FAIL",
		"ERROR", "PROGRESS", "RUNS", "RETRIES", "BYTES",
	};
	const char *qarg = NULL, *name;
	const struct ctl_opt opts[] = {
		{ "queue", &qarg, NULL },
	};
	struct aios_task_info *v = NULL;
	struct aios_queue_info q;
	char cell[12][32], err[32];
	const char *cells[12];
	struct table *t;
	uint32_t qid = 0;
	json_t *arr;
	char *pos[1];
	int npos, ret, k;
	size_t n, i;

	/* the command word is already in full (ctl_expand) */
	if (argc >= 2 && !strcmp(argv[1], "cancel"))
		return tasks_cancel(c, argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		argc--;
		argv++;
	}
	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 1, pos, 0, &npos,
			    tasks_help);
	if (ret)
		return ctl_status(ret);
	if (qarg) {
		parse_qref(qarg, &qid, &name);
		if (!qid) {
			if (aios_queue_get(c->h, 0, name, &q) < 0)
				return ctl_fail(c);
			qid = q.id;
		}
	}
	if (aios_tasks(c->h, qid, &v, &n) < 0)
		return ctl_fail(c);
	if (c->json) {
		arr = json_array();
		for (i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_task(&v[i]));
		free(v);
		return ctl_json_print(c, arr);
	}
	t = table_new(12, head);
	for (i = 0; t && i < n; i++) {
		const struct aios_task_info *x = &v[i];

		snprintf(cell[0], 32, "%llu", (unsigned long long)x->id);
		snprintf(cell[1], 32, "%u", x->queue_id);
		snprintf(cell[2], 32, "%llu", (unsigned long long)x->submitter_id);
		if (x->worker_id)
			snprintf(cell[3], 32, "%llu",
				 (unsigned long long)x->worker_id);
		else
			snprintf(cell[3], 32, "-");
		snprintf(cell[4], 32, "%s", aios_prio_name(x->prio) ?: "?");
		snprintf(cell[5], 32, "%s", aios_task_state_name(x->state) ?: "?");
		snprintf(cell[6], 32, "%s", x->fail ?
			 aios_task_fail_name(x->fail) ?: "?" : "-");
		ctl_fmt_result(err, sizeof(err), x->error);
		snprintf(cell[7], 32, "%s", err);
		snprintf(cell[8], 32, "%u%%", x->progress);
		snprintf(cell[9], 32, "%u", x->runs);
		snprintf(cell[10], 32, "%u", x->retries);
		snprintf(cell[11], 32, "%u", x->payload_len);
		for (k = 0; k < 12; k++)
			cells[k] = cell[k];
		if (table_row(t, cells)) {
			table_free(t);
			t = NULL;
		}
	}
	free(v);
	return table_finish(t, true);
}
