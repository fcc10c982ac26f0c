/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SHIM_LINUX_ERRNO_H
#define _SHIM_LINUX_ERRNO_H

/* glibc reaches the uapi errno values through this very name. */
#include_next <linux/errno.h>
#include <errno.h>

#endif
