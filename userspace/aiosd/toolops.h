/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd tool calls and eBPF audit (Documentation/aiosd-protocol.md, "Tools
 * and audit"): the tool registry, per-caller permissions, confirmation,
 * sandboxed runs on worker threads, and the audit stream.
 *
 * Everything here runs in aiosd's event-loop thread except the body of a
 * call (confirmation wait + aios_sb_run), which runs on a thread of its
 * own.  A finished call is handed back through an eventfd that the loop
 * watches (toolops_fds); the loop then calls toolops_process(), which
 * writes the ledger records and delivers the reply through the host's
 * reply() callback by connection id - the connection may be gone by then.
 */
#ifndef AIOSD_TOOLOPS_H
#define AIOSD_TOOLOPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"

struct toolops;
struct aios_runops;

/* What the server lends toolops. */
struct toolops_host {
	void *ctx;
	/*
	 * Deferred reply for the request a connection is waiting on; takes
	 * msg.  False when the connection no longer exists (msg is freed).
	 */
	bool (*reply)(void *ctx, uint64_t conn_id, json_t *msg);
	/*
	 * Pushes an event frame to a subscribed connection; takes msg.
	 * False when it was dropped (the connection's output queue is full).
	 */
	bool (*push)(void *ctx, uint64_t conn_id, json_t *msg);
};

/* The caller of a request (from the server's connection state). */
struct toolops_caller {
	uint64_t conn_id;	/* unique per connection, never reused */
	bool agent;
	uint64_t agent_id;
	uint64_t caps;		/* at auth time; refreshed from the kernel */
	uint32_t uid;
	int32_t pid;
	bool admin;
	bool *subscribed;	/* set while the connection gets audit events */
	bool *deferred;		/* set when the reply will come later */
};

/*
 * Loads the registry, opens the sandbox and the eBPF audit as configured.
 * Missing pieces are reported in status, not errors; only settings that
 * demand something impossible (audit.ebpf = on without the privilege, a
 * bad manifest or policy) fail, with msg set.
 */
int toolops_open(const struct aiosd_config *cfg, struct aios_runops *runs,
		 const struct toolops_host *host, struct toolops **out,
		 char *msg, size_t msglen);
/* Refuses parked calls, waits for running ones, frees everything. */
void toolops_close(struct toolops *t);

bool toolops_owns(const char *op);
/*
 * Handles a tool.* / audit.* request.  Returns the reply, or NULL with
 * *who->deferred set when the reply comes later through host->reply.
 */
json_t *toolops_handle(struct toolops *t, const struct toolops_caller *who,
		       struct proto_req *req);

/* Descriptors the event loop must watch (EPOLLIN); -1 when unused. */
void toolops_fds(struct toolops *t, int *done_fd, int *audit_fd);
/* Handles finished calls and pending audit events. */
void toolops_process(struct toolops *t);
/* Longest the loop may sleep before toolops_process (-1: no limit). */
int toolops_timeout_ms(struct toolops *t);
/* A connection closed: forget its subscription. */
void toolops_conn_closed(struct toolops *t, uint64_t conn_id);

/* "sandbox" and "audit" blocks of the status reply (new references). */
json_t *toolops_status_sandbox(struct toolops *t);
json_t *toolops_status_audit(struct toolops *t);

#endif
