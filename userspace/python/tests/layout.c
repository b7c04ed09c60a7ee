// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Print sizeof/alignof and every field offset and size of the libaios structs the
 * Python binding mirrors, as "struct size align" and "struct.field offset size"
 * lines; test_host.py compares them with the ctypes declarations.
 */
#include <stddef.h>
#include <stdio.h>

#include <aios.h>

#define S(t) printf("%s %zu %zu\n", #t, sizeof(struct t), _Alignof(struct t))
#define F(t, f) printf("%s.%s %zu %zu\n", #t, #f, offsetof(struct t, f), \
			   sizeof(((struct t *)0)->f))

int main(void)
{
	S(aios_agent);
	F(aios_agent, id); F(aios_agent, parent_id); F(aios_agent, caps);
	F(aios_agent, created_ns); F(aios_agent, prio); F(aios_agent, state);
	F(aios_agent, pid); F(aios_agent, uid); F(aios_agent, name);
	F(aios_agent, cpus); F(aios_agent, has_cpus); F(aios_agent, present);
	S(aios_spawn_opts);
	F(aios_spawn_opts, sz); F(aios_spawn_opts, name); F(aios_spawn_opts, prio);
	F(aios_spawn_opts, pidfd); F(aios_spawn_opts, set_caps);
	F(aios_spawn_opts, caps); F(aios_spawn_opts, cloexec);
	S(aios_denial);
	F(aios_denial, size); F(aios_denial, flags); F(aios_denial, op_id);
	F(aios_denial, audit_seq); F(aios_denial, cap_required); F(aios_denial, op);
	F(aios_denial, error); F(aios_denial, time_ns); F(aios_denial, reason);
	F(aios_denial, reserved);
	S(aios_status);
	F(aios_status, api_version); F(aios_status, features); F(aios_status, agents);
	F(aios_status, next_agent_id); F(aios_status, default_caps);
	F(aios_status, audit_ring_size); F(aios_status, audit_next_seq);
	F(aios_status, audit_first_seq); F(aios_status, audit_lost);
	F(aios_status, present);
	S(aios_audit_rec);
	F(aios_audit_rec, seq); F(aios_audit_rec, op_id); F(aios_audit_rec, agent_id);
	F(aios_audit_rec, op); F(aios_audit_rec, result); F(aios_audit_rec, object);
	F(aios_audit_rec, time_ns); F(aios_audit_rec, cap); F(aios_audit_rec, present);
	S(aios_audit_filter);
	F(aios_audit_filter, flags); F(aios_audit_filter, op_id);
	F(aios_audit_filter, seq_after); F(aios_audit_filter, agent_id);
	F(aios_audit_filter, limit);
	S(aios_event);
	F(aios_event, type); F(aios_event, cmd); F(aios_event, agent);
	F(aios_event, has_reason); F(aios_event, reason); F(aios_event, audit);
	F(aios_event, gpu);
	S(aios_queue_cfg);
	F(aios_queue_cfg, sz); F(aios_queue_cfg, name);
	F(aios_queue_cfg, algo); F(aios_queue_cfg, set);
	F(aios_queue_cfg, max_concurrent); F(aios_queue_cfg, slice_ms);
	F(aios_queue_cfg, max_payload); F(aios_queue_cfg, max_depth);
	F(aios_queue_cfg, max_retries); F(aios_queue_cfg, aging_ms);
	S(aios_queue_info);
	F(aios_queue_info, id); F(aios_queue_info, algo);
	F(aios_queue_info, max_concurrent); F(aios_queue_info, slice_ms);
	F(aios_queue_info, max_payload); F(aios_queue_info, max_depth);
	F(aios_queue_info, max_retries); F(aios_queue_info, aging_ms);
	F(aios_queue_info, depth); F(aios_queue_info, running);
	F(aios_queue_info, submitted); F(aios_queue_info, completed);
	F(aios_queue_info, failed); F(aios_queue_info, cancelled);
	F(aios_queue_info, requeued); F(aios_queue_info, yielded);
	F(aios_queue_info, per_min); F(aios_queue_info, wait_p50_us);
	F(aios_queue_info, wait_p99_us); F(aios_queue_info, run_p50_us);
	F(aios_queue_info, run_p99_us); F(aios_queue_info, kmem_bytes);
	F(aios_queue_info, name); F(aios_queue_info, present);
	S(aios_task_info);
	F(aios_task_info, id); F(aios_task_info, submitter_id);
	F(aios_task_info, worker_id); F(aios_task_info, submit_ns);
	F(aios_task_info, context_ref); F(aios_task_info, queue_id);
	F(aios_task_info, prio); F(aios_task_info, state);
	F(aios_task_info, fail); F(aios_task_info, progress);
	F(aios_task_info, runs); F(aios_task_info, retries);
	F(aios_task_info, payload_len); F(aios_task_info, error);
	F(aios_task_info, present);
	S(aios_fetched);
	F(aios_fetched, task_id); F(aios_fetched, submitter_id);
	F(aios_fetched, context_ref); F(aios_fetched, slice_ns);
	F(aios_fetched, queue_id); F(aios_fetched, prio);
	F(aios_fetched, runs); F(aios_fetched, len);
	S(aios_task_result);
	F(aios_task_result, state); F(aios_task_result, fail);
	F(aios_task_result, error); F(aios_task_result, progress);
	F(aios_task_result, runs); F(aios_task_result, len);
	S(aios_gpu);
	F(aios_gpu, id); F(aios_gpu, major); F(aios_gpu, minor);
	F(aios_gpu, grace_ms); F(aios_gpu, state); F(aios_gpu, waiters);
	F(aios_gpu, owner_id); F(aios_gpu, owner_pid); F(aios_gpu, prio);
	F(aios_gpu, handle); F(aios_gpu, since_ns); F(aios_gpu, deadline_ns);
	F(aios_gpu, util_ppm); F(aios_gpu, util_window_ms);
	F(aios_gpu, claims); F(aios_gpu, preemptions); F(aios_gpu, name);
	F(aios_gpu, path); F(aios_gpu, present);
	S(aios_gpu_claim_opts);
	F(aios_gpu_claim_opts, sz); F(aios_gpu_claim_opts, device_id);
	F(aios_gpu_claim_opts, nonblock); F(aios_gpu_claim_opts, set_prio);
	F(aios_gpu_claim_opts, prio); F(aios_gpu_claim_opts, signal);
	F(aios_gpu_claim_opts, grace_ms); F(aios_gpu_claim_opts, timeout_ms);
	S(aios_gpu_usage);
	F(aios_gpu_usage, agent_id); F(aios_gpu_usage, util_ppm);
	F(aios_gpu_usage, util_window_ms); F(aios_gpu_usage, claims);
	S(aios_gpu_node);
	F(aios_gpu_node, kind); F(aios_gpu_node, index);
	F(aios_gpu_node, major); F(aios_gpu_node, minor);
	F(aios_gpu_node, name); F(aios_gpu_node, path);
	S(aios_message);
	F(aios_message, id); F(aios_message, from);
	F(aios_message, correlation_id); F(aios_message, sent_ns);
	F(aios_message, type); F(aios_message, len); F(aios_message, intent);
	S(aios_send_opts);
	F(aios_send_opts, sz); F(aios_send_opts, flags);
	F(aios_send_opts, timeout_ms); F(aios_send_opts, correlation_id);
	S(aios_recv_opts);
	F(aios_recv_opts, sz); F(aios_recv_opts, flags);
	F(aios_recv_opts, timeout_ms); F(aios_recv_opts, from);
	F(aios_recv_opts, intent);
	S(aios_mbox_stats);
	F(aios_mbox_stats, agent_id); F(aios_mbox_stats, count);
	F(aios_mbox_stats, max_count); F(aios_mbox_stats, bytes);
	F(aios_mbox_stats, max_bytes); F(aios_mbox_stats, received);
	F(aios_mbox_stats, taken); F(aios_mbox_stats, full);
	F(aios_mbox_stats, rejected); F(aios_mbox_stats, sent);
	F(aios_mbox_stats, present);
	return 0;
}
