// SPDX-License-Identifier: GPL-2.0
/*
 * axas: guest-physical memory for hypervisors written as kernel modules.
 *
 * This file is about the module itself: its debugfs root and what must
 * happen before its code may go away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include <axas/pt.h>

#include "axas_internal.h"

struct dentry *axas_debugfs_root;

/*
 * Exact: table pages freed before the read have left their grace period.
 * Without the barrier a reader right after a space's destruction (the
 * harness, after its modules ran) counts pages still waiting for it.
 */
static int axas_live_tables_get(void *data, u64 *val)
{
	rcu_barrier();
	*val = axas_pt_live_tables();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(axas_live_tables_fops, axas_live_tables_get, NULL,
			 "%llu\n");

static int __init axas_init(void)
{
	axas_debugfs_root = debugfs_create_dir("axas", NULL);
	debugfs_create_file_unsafe("live_tables", 0444, axas_debugfs_root,
				   NULL, &axas_live_tables_fops);
	return 0;
}

static void __exit axas_exit(void)
{
	debugfs_remove_recursive(axas_debugfs_root);
	/* Table pages still waiting for their grace period call into us. */
	rcu_barrier();
	WARN(axas_pt_live_tables(), "%ld table pages leaked\n",
	     axas_pt_live_tables());
}

module_init(axas_init);
module_exit(axas_exit);

MODULE_DESCRIPTION("Guest-physical memory and nested page tables for in-kernel hypervisors");
MODULE_LICENSE("GPL");
