/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The symbol namespace of axas's exports, for the kernels axas builds
 * against (6.1 to 6.13+).
 */

/**
 * DOC: Symbol namespace
 *
 * axas exports its functions into the symbol namespace ``AXAS``. A VMM
 * module includes ``<axas/axas.h>`` (which includes ``<axas/compat.h>``)
 * and writes ``AXAS_IMPORT_NS();`` once, next to its MODULE_LICENSE();
 * without it modpost and the module loader refuse the module's use of
 * axas's symbols.
 *
 * %AXAS_NS is the namespace as the kernel's EXPORT_SYMBOL_NS_GPL() and
 * MODULE_IMPORT_NS() take it on the kernel being built against: the
 * string "AXAS" from 6.13 on, the bare word AXAS before.
 */
#ifndef _AXAS_COMPAT_H
#define _AXAS_COMPAT_H

#include <linux/export.h>
#include <linux/module.h>
#include <linux/version.h>

/*
 * The namespace argument of EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS()
 * became a string literal in 6.13; before, it was a bare word stringified
 * by the macro (which expands AXAS_NS first).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define AXAS_NS		"AXAS"
#else
#define AXAS_NS		AXAS
#endif

/* In a module that calls axas: import the namespace of its exports. */
#define AXAS_IMPORT_NS()	MODULE_IMPORT_NS(AXAS_NS)

#endif /* _AXAS_COMPAT_H */
