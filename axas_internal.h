/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the files of axas.ko, not part of its API. */
#ifndef _AXAS_INTERNAL_H
#define _AXAS_INTERNAL_H

struct dentry;

extern struct dentry *axas_debugfs_root;

#endif /* _AXAS_INTERNAL_H */
