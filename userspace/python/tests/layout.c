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
	return 0;
}
