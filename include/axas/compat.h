/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels axas builds against (6.1 to 6.13+).
 */
#ifndef _AXAS_COMPAT_H
#define _AXAS_COMPAT_H

#include <linux/export.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/version.h>

/* The namespace argument of the export macros became a string in 6.13. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define AXAS_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, "AXAS")
#define AXAS_IMPORT_NS()	MODULE_IMPORT_NS("AXAS")
#else
#define AXAS_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, AXAS)
#define AXAS_IMPORT_NS()	MODULE_IMPORT_NS(AXAS)
#endif

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

#endif /* _AXAS_COMPAT_H */
