/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: the tool registry, per-agent permission checks and the
 * confirmation queue (for aiosd).
 *
 * Registry: tools from JSON manifests (aios_sb_tool.h), loaded from a
 * directory (every *.json) or added one by one; names are unique.
 *
 * Check: an agent may call a tool when the tool is registered, is in the
 * agent's allowed list (NULL list: every tool) and the agent's permission
 * level is at least the tool's.  Every refusal has a message naming why.
 *
 * Confirmation: a call of a tool marked "confirm" parks under an id until
 * someone entitled decides (aios_sb_confirm_decide) or the wait times out;
 * nothing runs unconfirmed.  Thread-safe.
 */
#ifndef AIOS_SB_REGISTRY_H
#define AIOS_SB_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aios_sb_tool.h"

struct aios_sb_registry;
struct aios_sb_confirm;

int aios_sb_registry_new(struct aios_sb_registry **rp);
/* Adds every .json file of dir; the first bad manifest fails the load. */
int aios_sb_registry_load_dir(struct aios_sb_registry *r, const char *dir,
			      char *msg, size_t msglen);
/* Takes ownership of t on success; EEXIST for a duplicate name. */
int aios_sb_registry_add(struct aios_sb_registry *r, struct aios_sb_tool *t,
			 char *msg, size_t msglen);
const struct aios_sb_tool *aios_sb_registry_find(struct aios_sb_registry *r,
						 const char *name);
/* i-th tool in name order, NULL past the end. */
const struct aios_sb_tool *aios_sb_registry_at(struct aios_sb_registry *r,
					       size_t i);
size_t aios_sb_registry_count(struct aios_sb_registry *r);
void aios_sb_registry_free(struct aios_sb_registry *r);

/* ENOENT unknown tool, EPERM not allowed / permission too low. */
int aios_sb_registry_check(struct aios_sb_registry *r, const char *tool,
			   enum aios_sb_perm level, const char *const *allowed,
			   const struct aios_sb_tool **tp, char *msg,
			   size_t msglen);

int aios_sb_confirm_new(struct aios_sb_confirm **cp);
void aios_sb_confirm_free(struct aios_sb_confirm *c);
/* Parks a call; owner is who may confirm besides an admin (e.g. a uid). */
int aios_sb_confirm_park(struct aios_sb_confirm *c, const char *summary,
			 uint64_t owner, uint64_t *id);
/* 0 confirmed, -EACCES denied, -ETIMEDOUT, -ENOENT unknown id. */
int aios_sb_confirm_wait(struct aios_sb_confirm *c, uint64_t id,
			 unsigned int timeout_ms);
/* By an admin, or by the owner given at park time (is_admin=false). */
int aios_sb_confirm_decide(struct aios_sb_confirm *c, uint64_t id, bool allow,
			   bool is_admin, uint64_t who);
/* Pending calls: writes up to n ids, returns how many are pending. */
size_t aios_sb_confirm_pending(struct aios_sb_confirm *c, uint64_t *ids,
			       size_t n);

#endif
