// SPDX-License-Identifier: GPL-2.0
/*
 * axas: guest-physical memory for hypervisors written as kernel modules.
 *
 * This file is about the module itself: the features it registers with
 * the space core, its debugfs root, and what must happen before its code
 * may go away. The layers below it: features/, core/, backend/, npt/
 * (see core/core.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include <axas/pt.h>

#include "features/features.h"

static int __init axas_init(void)
{
	int ret;

	/*
	 * In this order the hooks run: pins are invalidated before anything
	 * else hears of a reduced range, and debugfs goes last at destroy.
	 */
	axas_space_hooks_register(&axas_pin_hooks);
	axas_space_hooks_register(&axas_dirty_hooks);
	axas_space_hooks_register(&axas_snapshot_hooks);
	axas_space_hooks_register(&axas_memfile_hooks);
	axas_space_hooks_register(&axas_debugfs_hooks);
	axas_debugfs_init();
	ret = axas_memfile_init();
	if (ret)
		axas_debugfs_exit();
	return ret;
}

static void __exit axas_exit(void)
{
	axas_memfile_exit();
	axas_debugfs_exit();
	/* Table pages still waiting for their grace period call into us. */
	rcu_barrier();
	WARN(axas_pt_live_tables(), "%ld table pages leaked\n",
	     axas_pt_live_tables());
}

module_init(axas_init);
module_exit(axas_exit);

MODULE_DESCRIPTION("Guest-physical memory and nested page tables for in-kernel hypervisors");
MODULE_LICENSE("GPL");
