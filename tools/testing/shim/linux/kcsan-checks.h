/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SHIM_LINUX_KCSAN_CHECKS_H
#define _SHIM_LINUX_KCSAN_CHECKS_H

#define ASSERT_EXCLUSIVE_WRITER(var)		do { } while (0)
#define ASSERT_EXCLUSIVE_ACCESS(var)		do { } while (0)
#define ASSERT_EXCLUSIVE_BITS(var, mask)	do { } while (0)

#endif
