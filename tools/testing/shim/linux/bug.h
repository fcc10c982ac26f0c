/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a WARN prints and is counted (the harness fails a test
 * that warned); a BUG aborts.
 */
#ifndef _SHIM_LINUX_BUG_H
#define _SHIM_LINUX_BUG_H

#include <stdio.h>
#include <stdlib.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>

void shim_warn(const char *file, int line, const char *cond);

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__c);							\
})
#define WARN_ON_ONCE(cond)	WARN_ON(cond)
#define WARN(cond, fmt, ...)	WARN_ON(cond)
#define BUG_ON(cond) do {						\
	if (unlikely(cond)) {						\
		fprintf(stderr, "BUG at %s:%d: %s\n", __FILE__,		\
			__LINE__, #cond);				\
		abort();						\
	}								\
} while (0)
#define BUG()			BUG_ON(1)

#endif
