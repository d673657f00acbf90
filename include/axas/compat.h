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
/**
 * DOC: API version
 *
 * %AXAS_API_VERSION is the version of the API the installed headers
 * declare: an integer raised with every change a VMM may have to follow
 * (a renamed flag, a new errno, a changed signature), each listed with
 * what a caller must do in Documentation/changes.rst. A VMM that builds
 * against several versions tests it at compile time::
 *
 *	#if AXAS_API_VERSION < 2
 *	#error "needs axas 0.2.0 or later"
 *	#endif
 *
 * The package version (dkms.conf, the install path
 * ``/usr/src/axas-<version>``) moves with it.
 */
#ifndef _AXAS_COMPAT_H
#define _AXAS_COMPAT_H

#define AXAS_API_VERSION	2

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
