/* SPDX-License-Identifier: GPL-2.0 */
/* aiosd "memory.*" operations over the store (protocol in
 * Documentation/aiosd-protocol.md). */
#ifndef AIOSD_MEMOPS_H
#define AIOSD_MEMOPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

/* Who is asking: established by the server, never by the request. */
struct client_id {
	bool agent;		/* proved a kernel agent with its /dev/aios fd */
	uint64_t agent_id;
	uint64_t caps;
	uint32_t uid;		/* SO_PEERCRED */
	int32_t pid;
	bool admin;
};

/* Store namespace of uid-only clients: never collides with agent ids,
 * which count up from 1. */
#define AIOSD_UID_NS	(1ull << 63)

static inline uint64_t client_ns(const struct client_id *c)
{
	return c->agent ? c->agent_id : AIOSD_UID_NS | c->uid;
}

/* Handle req if its op starts with "memory."; NULL otherwise. */
json_t *memops_handle(struct aios_store *st, const struct client_id *who,
		      struct proto_req *req, uint32_t max_message);

/* The store statistics as a JSON object. */
json_t *memops_stats_json(const struct aios_store_stats *s);

#endif
