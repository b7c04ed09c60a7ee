// SPDX-License-Identifier: GPL-2.0
/*
 * aios: an operating-system layer for LLM agents - module entry points.
 *
 * Copyright (C) 2026 The aios authors
 */

#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "aios.h"
#include "ipc.h"

u64 aios_default_caps = AIOS_CAP_DEFAULT;
unsigned int aios_audit_ring_size = 4096;

module_param_named(default_caps, aios_default_caps, ullong, 0444);
MODULE_PARM_DESC(default_caps,
		 "capabilities of newly registered agents (default SPAWN_AGENT|ALLOC_MEMORY = 0x5)");
module_param_named(audit_ring_size, aios_audit_ring_size, uint, 0444);
MODULE_PARM_DESC(audit_ring_size,
		 "initial audit ring entries, a power of two in 16..1048576 (default 4096)");

/* Subsystems in init order; exit and agent release run in reverse. */
static const struct aios_subsys *const aios_subsystems[] = {
	&aios_audit_subsys,
	&aios_agent_subsys,
	&aios_netlink_subsys,
	&aios_queue_subsys,
	&aios_gpu_subsys,
	&aios_ipc_subsys,
};

void aios_subsys_agent_release(struct aios_agent *a,
			       enum aios_exit_reason why)
{
	int i;

	for (i = ARRAY_SIZE(aios_subsystems) - 1; i >= 0; i--)
		if (aios_subsystems[i]->agent_release)
			aios_subsystems[i]->agent_release(a, why);
}

void aios_subsys_file_release(struct aios_agent *a)
{
	int i;

	for (i = ARRAY_SIZE(aios_subsystems) - 1; i >= 0; i--)
		if (aios_subsystems[i]->file_release)
			aios_subsystems[i]->file_release(a);
}

__poll_t aios_subsys_poll(struct aios_agent *a, struct file *file,
			  poll_table *pt)
{
	__poll_t mask = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(aios_subsystems); i++)
		if (aios_subsystems[i]->poll)
			mask |= aios_subsystems[i]->poll(a, file, pt);
	return mask;
}

static struct miscdevice aios_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = AIOS_DEVICE_NAME,
	.fops = &aios_fops,
	.mode = 0666,
};

static void aios_subsys_exit(int n)
{
	while (n-- > 0)
		if (aios_subsystems[n]->exit)
			aios_subsystems[n]->exit();
}

static int __init aios_init(void)
{
	int i, ret;

	if (aios_default_caps & ~AIOS_CAP_ALL) {
		pr_err("aios: default_caps 0x%llx has bits outside 0x%llx\n",
		       aios_default_caps, AIOS_CAP_ALL);
		return -EINVAL;
	}
	if (!aios_audit_size_valid(aios_audit_ring_size)) {
		pr_err("aios: audit_ring_size %u is not a power of two in 16..1048576\n",
		       aios_audit_ring_size);
		return -EINVAL;
	}
	ret = aios_ioctl_table_check();
	if (ret)
		return ret;

	for (i = 0; i < ARRAY_SIZE(aios_subsystems); i++) {
		ret = aios_subsystems[i]->init ? aios_subsystems[i]->init() : 0;
		if (ret) {
			pr_err("aios: %s init failed: %d\n",
			       aios_subsystems[i]->name, ret);
			goto err_subsys;
		}
	}
	ret = misc_register(&aios_misc);
	if (ret) {
		pr_err("aios: cannot register /dev/%s: %d\n",
		       AIOS_DEVICE_NAME, ret);
		goto err_subsys;
	}
	return 0;

err_subsys:
	aios_subsys_exit(i);
	return ret;
}

static void __exit aios_exit(void)
{
	misc_deregister(&aios_misc);
	aios_subsys_exit(ARRAY_SIZE(aios_subsystems));
}

module_init(aios_init);
module_exit(aios_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The aios authors");
MODULE_DESCRIPTION("aios: agent identity, capabilities and audit for LLM agents");
MODULE_VERSION("1");
