// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl events [--audit] [--count N]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char help_text[] =
"usage: aiosctl events [--audit] [--count N]\n"
"\n"
"Print live events as they happen, one line (or, with -j, one JSON object)\n"
"per event: agent_new, agent_del, caps.  --audit also subscribes to the\n"
"\"audit\" group (every audit record; needs CAP_SYS_ADMIN).  --count N\n"
"exits after N events; otherwise runs until interrupted.  If the kernel\n"
"drops events because the reader is too slow, a \"lost\" event says so.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *type_name(const struct aios_event *e)
{
	switch (e->type) {
	case AIOS_EVENT_AGENT_NEW:
		return "agent_new";
	case AIOS_EVENT_AGENT_DEL:
		return "agent_del";
	case AIOS_EVENT_CAPS:
		return "caps";
	case AIOS_EVENT_AUDIT:
		return "audit";
	case AIOS_EVENT_LOST:
		return "lost";
	}
	/* notifications of other subsystems, not decoded here */
	switch (e->cmd) {
	case AIOS_CMD_NTF_QUEUE_NEW:
		return "queue_new";
	case AIOS_CMD_NTF_QUEUE_DEL:
		return "queue_del";
	case AIOS_CMD_NTF_TASK_FAILED:
		return "task_failed";
	case AIOS_CMD_NTF_MSG_REJECTED:
		return "msg_rejected";
	case AIOS_CMD_NTF_GPU_CLAIM:
		return "gpu_claim";
	case AIOS_CMD_NTF_GPU_RELEASE:
		return "gpu_release";
	case AIOS_CMD_NTF_GPU_PREEMPT:
		return "gpu_preempt";
	case AIOS_CMD_NTF_GPU_REVOKE:
		return "gpu_revoke";
	}
	return "other";
}

static int print_json(struct ctl *c, const struct aios_event *e)
{
	const char *r;
	json_t *o = json_object();

	if (!o)
		return ctl_json_print(c, NULL);
	json_object_set_new(o, "event", json_string(type_name(e)));
	switch (e->type) {
	case AIOS_EVENT_AGENT_NEW:
	case AIOS_EVENT_AGENT_DEL:
	case AIOS_EVENT_CAPS:
		json_object_set_new(o, "agent", ctl_json_agent(&e->agent));
		if (e->has_reason) {
			r = aios_exit_reason_name(e->reason);
			json_object_set_new(o, "reason", r ? json_string(r) :
					    json_integer(e->reason));
		}
		break;
	case AIOS_EVENT_AUDIT:
		json_object_set_new(o, "audit", ctl_json_audit(&e->audit));
		break;
	case AIOS_EVENT_GPU_CLAIM:
	case AIOS_EVENT_GPU_RELEASE:
	case AIOS_EVENT_GPU_PREEMPT:
	case AIOS_EVENT_GPU_REVOKE:
		json_object_set_new(o, "gpu", json_integer(e->gpu.id));
		json_object_set_new(o, "state",
				    json_string(aios_gpu_state_name(e->gpu.state) ?: "?"));
		json_object_set_new(o, "agent", json_integer(e->gpu.owner_id));
		json_object_set_new(o, "pid", json_integer(e->gpu.owner_pid));
		json_object_set_new(o, "handle", json_integer(e->gpu.handle));
		if (e->gpu.deadline_ns)
			json_object_set_new(o, "deadline_ns",
					    json_integer(e->gpu.deadline_ns));
		break;
	case AIOS_EVENT_OTHER:
		json_object_set_new(o, "cmd", json_integer(e->cmd));
		break;
	}
	return ctl_json_print(c, o);
}

static void print_line(const struct aios_event *e)
{
	const struct aios_agent *a = &e->agent;
	const struct aios_audit_rec *r = &e->audit;
	char caps[256], res[32], tm[32];
	const char *s;

	switch (e->type) {
	case AIOS_EVENT_AGENT_NEW:
	case AIOS_EVENT_AGENT_DEL:
	case AIOS_EVENT_CAPS:
		aios_caps_format(a->caps, caps, sizeof(caps));
		s = aios_prio_name(a->prio);
		printf("%s id=%llu parent=%llu name=%s prio=%s pid=%d uid=%u caps=%s",
		       type_name(e), (unsigned long long)a->id,
		       (unsigned long long)a->parent_id, a->name, s ? s : "?",
		       a->pid, a->uid, caps);
		if (e->has_reason) {
			s = aios_exit_reason_name(e->reason);
			if (s)
				printf(" reason=%s", s);
			else
				printf(" reason=%u", e->reason);
		}
		printf("\n");
		break;
	case AIOS_EVENT_AUDIT:
		ctl_fmt_result(res, sizeof(res), r->result);
		ctl_fmt_ns(tm, sizeof(tm), r->time_ns);
		if (r->cap)
			aios_caps_format(r->cap, caps, sizeof(caps));
		else
			snprintf(caps, sizeof(caps), "-");
		s = aios_op_name(r->op);
		printf("audit seq=%llu time=%s op_id=%llu agent=%llu op=%s object=%llu result=%s cap=%s\n",
		       (unsigned long long)r->seq, tm,
		       (unsigned long long)r->op_id,
		       (unsigned long long)r->agent_id, s ? s : "?",
		       (unsigned long long)r->object, res, caps);
		break;
	case AIOS_EVENT_LOST:
		printf("lost: the kernel dropped events (reader too slow)\n");
		break;
	case AIOS_EVENT_GPU_CLAIM:
	case AIOS_EVENT_GPU_RELEASE:
	case AIOS_EVENT_GPU_PREEMPT:
	case AIOS_EVENT_GPU_REVOKE:
		s = aios_prio_name(e->gpu.prio);
		printf("%s gpu=%u name=%s agent=%llu pid=%d prio=%s handle=%llu state=%s",
		       type_name(e), e->gpu.id, e->gpu.name,
		       (unsigned long long)e->gpu.owner_id, e->gpu.owner_pid,
		       s ? s : "?", (unsigned long long)e->gpu.handle,
		       aios_gpu_state_name(e->gpu.state) ?: "?");
		if (e->gpu.deadline_ns) {
			ctl_fmt_ns(tm, sizeof(tm), e->gpu.deadline_ns);
			printf(" deadline=%s", tm);
		}
		printf("\n");
		break;
	default:
		printf("%s cmd=0x%x\n", type_name(e), e->cmd);
		break;
	}
}

int cmd_events(struct ctl *c, int argc, char **argv)
{
	const char *count = NULL;
	bool audit = false;
	const struct ctl_opt opts[] = {
		{ "audit", NULL, &audit },
		{ "count", &count, NULL },
	};
	struct aios_events *ev;
	struct aios_event e;
	struct sigaction sa;
	uint64_t max = 0, seen = 0;
	char *pos[1];
	int npos, ret;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 2, pos, 0, &npos,
			    help_text);
	if (ret)
		return ctl_status(ret);
	if (count && (ctl_parse_u64(count, &max) || !max))
		return ctl_usage(c, "bad count \"%s\" (a number > 0)", count);
	if (aios_events_open(c->h, AIOS_EVENTS_GROUP_EVENTS |
			     (audit ? AIOS_EVENTS_GROUP_AUDIT : 0), &ev) < 0)
		return ctl_fail(c);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = EXIT_OK;
	while (!stop && (!max || seen < max)) {
		int r = aios_events_next(ev, &e, -1);

		if (r == -EINTR || r == 0)
			continue;
		if (r < 0) {
			fprintf(stderr, "aiosctl: %s\n", aios_events_errmsg(ev));
			ret = EXIT_FAIL;
			break;
		}
		if (c->json)
			print_json(c, &e);
		else
			print_line(&e);
		seen++;
	}
	aios_events_close(ev);
	return ret;
}
