/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: the warm pool.  A background thread keeps pool_size
 * zygotes of the default profile (no network, no extra paths) ready; a run
 * takes one (never returned: zygotes are used once) and the thread makes a
 * replacement.
 */
#ifndef SB_POOL_H
#define SB_POOL_H

#include "sb_zygote.h"

int sb_pool_start(struct aios_sb *sb, char *msg, size_t msglen);
void sb_pool_stop(struct aios_sb *sb);
/* A ready zygote, or NULL when the pool is empty (or disabled). */
struct sb_zygote *sb_pool_take(struct aios_sb *sb);
/*
 * Hands a used zygote (after sb_zygote_finish) to the thread for cleanup,
 * off the caller's path, and lets the pool refill.
 */
void sb_pool_retire(struct aios_sb *sb, struct sb_zygote *z);

#endif
