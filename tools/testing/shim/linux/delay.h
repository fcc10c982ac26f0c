/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SHIM_LINUX_DELAY_H
#define _SHIM_LINUX_DELAY_H

#include <unistd.h>
#include <linux/kernel.h>

#define msleep(ms)	do { might_sleep(); usleep((ms) * 1000); } while (0)
#define udelay(us)	usleep(us)
#define usleep_range(min, max) do { might_sleep(); usleep(min); } while (0)

#endif
