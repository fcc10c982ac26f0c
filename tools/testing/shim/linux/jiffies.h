/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: jiffies at HZ=1000 from the monotonic clock. */
#ifndef _SHIM_LINUX_JIFFIES_H
#define _SHIM_LINUX_JIFFIES_H

#include <linux/types.h>

#define HZ	1000
unsigned long shim_jiffies(void);
#define jiffies			shim_jiffies()
#define msecs_to_jiffies(ms)	((unsigned long)(ms))
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)

#endif
