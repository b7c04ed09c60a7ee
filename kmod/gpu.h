/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios: GPU devices and claims (gpu.c), the interface to the rest of
 * the module.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _AIOS_GPU_H
#define _AIOS_GPU_H

#include <linux/types.h>
#include <net/genetlink.h>

#include "aios.h"

/* ioctl handlers; @ctx has the caller agent, @arg is validated here. */
int aios_gpu_ioc_claim(struct aios_ctx *ctx, struct aios_gpu_claim *arg,
		       bool *copy_on_error);
int aios_gpu_ioc_release(struct aios_ctx *ctx, struct aios_gpu_release *arg);
int aios_gpu_ioc_query(struct aios_ctx *ctx, struct aios_gpu_query *arg);

/* Generic netlink commands and their strict policies. */
extern const struct nla_policy aios_gpu_nl_register_policy[AIOS_A_MAX + 1];
extern const struct nla_policy aios_gpu_nl_unregister_policy[AIOS_A_MAX + 1];
extern const struct nla_policy aios_gpu_nl_get_policy[AIOS_A_MAX + 1];

int aios_gpu_nl_register(struct sk_buff *skb, struct genl_info *info);
int aios_gpu_nl_unregister(struct sk_buff *skb, struct genl_info *info);
int aios_gpu_nl_get(struct sk_buff *skb, struct genl_info *info);
int aios_gpu_nl_get_start(struct netlink_callback *cb);
int aios_gpu_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _AIOS_GPU_H */
