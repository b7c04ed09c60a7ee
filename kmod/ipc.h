/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios: typed agent IPC (ipc.c), the interface to the rest of the
 * module: ioctl handlers, poll, netlink commands and the subsystem row.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _AIOS_IPC_H
#define _AIOS_IPC_H

#include <linux/types.h>
#include <net/genetlink.h>

#include "aios.h"

/*
 * The subsystem row: init/exit, agent_release (the mailbox dies, its
 * senders get EPIPE), file_release (the mailbox is freed) and poll
 * (AIOS_POLL_MSG | EPOLLIN while a message waits).
 */
extern const struct aios_subsys aios_ipc_subsys;

/*
 * ioctl handlers.  @ctx has the caller agent (a live one); @arg is the
 * kernel copy of the argument and is validated here.  *copy_on_error is
 * set when the result must be copied back although the call failed
 * (err_offset of a rejected send, payload_len of a too small buffer).
 */
int aios_ipc_ioc_send(struct aios_ctx *ctx, struct aios_msg_send *arg,
		      bool *copy_on_error);
int aios_ipc_ioc_recv(struct aios_ctx *ctx, struct aios_msg_recv *arg,
		      bool *copy_on_error);
int aios_ipc_ioc_group(struct aios_ctx *ctx, struct aios_msg_group *arg);
int aios_ipc_ioc_policy(struct aios_ctx *ctx, struct aios_msg_policy *arg);

/* AIOS_CMD_MBOX_GET: do (AIOS_A_AGENT_ID) and dump (every agent). */
extern const struct nla_policy aios_ipc_nl_mbox_policy[AIOS_A_MAX + 1];
int aios_ipc_nl_mbox_get(struct sk_buff *skb, struct genl_info *info);
int aios_ipc_nl_mbox_start(struct netlink_callback *cb);
int aios_ipc_nl_mbox_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _AIOS_IPC_H */
