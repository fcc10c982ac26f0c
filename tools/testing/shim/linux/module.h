/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: module metadata and exports mean nothing here. */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H

#include <linux/kernel.h>

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_AUTHOR(x)
#define MODULE_IMPORT_NS(x)
/* The harness runs module init before the suites and exit after them. */
void shim_register_module(int (*init)(void), void (*exit)(void));
#define module_init(fn)							\
	static void __attribute__((constructor)) __shim_module_init(void) \
	{								\
		shim_register_module(fn, NULL);				\
	}
#define module_exit(fn)							\
	static void __attribute__((constructor)) __shim_module_exit(void) \
	{								\
		shim_register_module(NULL, fn);				\
	}
#define module_param(name, type, perm)
#define MODULE_PARM_DESC(name, desc)
#define __init
#define __exit

#endif
