/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between kernels (6.1 to 6.13+) that only axas.ko's own
 * files see: a VMM module never includes this.
 */
#ifndef _AXAS_COMPAT_INTERNAL_H
#define _AXAS_COMPAT_INTERNAL_H

#include <linux/mmzone.h>
#include <linux/version.h>

#include <axas/compat.h>

/* The largest buddy order: MAX_PAGE_ORDER since 6.8, MAX_ORDER (exclusive before 6.4). */
#ifndef MAX_PAGE_ORDER
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define MAX_PAGE_ORDER	MAX_ORDER
#else
#define MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif
#endif

/* Static stubs (fault injection in the KUnit suites) arrived in 6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#include <kunit/static_stub.h>
#else
#define KUNIT_STATIC_STUB_REDIRECT(real_fn_name, args...) ((void)(real_fn_name))
#endif

/* The first argument of inode_operations.setattr (idmapped mounts, 6.3). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define AXAS_SETATTR_ARGS	struct mnt_idmap *idmap, struct dentry *dentry, \
				struct iattr *attr
#else
#define AXAS_SETATTR_ARGS	struct user_namespace *mnt_userns, \
				struct dentry *dentry, struct iattr *attr
#endif

#endif /* _AXAS_COMPAT_INTERNAL_H */
