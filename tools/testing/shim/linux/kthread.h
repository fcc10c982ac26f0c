/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: kthreads as registered RCU reader pthreads, with the
 * kernel's stop protocol (kthread_should_stop / kthread_stop).
 */
#ifndef _SHIM_LINUX_KTHREAD_H
#define _SHIM_LINUX_KTHREAD_H

#include <linux/err.h>

struct task_struct;

struct task_struct *kthread_create(int (*fn)(void *data), void *data,
				   const char *namefmt, ...);
int wake_up_process(struct task_struct *task);
struct task_struct *kthread_run(int (*fn)(void *data), void *data,
				const char *namefmt, ...);
bool kthread_should_stop(void);
int kthread_stop(struct task_struct *task);

#endif
