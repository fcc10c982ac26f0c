/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a per-thread preemption count, so the harness can assert
 * that nothing sleeps while a node lock (which disables preemption) is held.
 */
#ifndef _SHIM_LINUX_PREEMPT_H
#define _SHIM_LINUX_PREEMPT_H

extern __thread int shim_preempt_count;

#define preempt_disable()	do { shim_preempt_count++; } while (0)
#define preempt_enable()	do { shim_preempt_count--; } while (0)
#define preempt_count()		(shim_preempt_count)
#define in_atomic()		(shim_preempt_count != 0)
#define in_interrupt()		0
#define local_bh_disable()	preempt_disable()
#define local_bh_enable()	preempt_enable()
#define local_irq_save(flags)	do { (flags) = 0; preempt_disable(); } while (0)
#define local_irq_restore(flags) do { (void)(flags); preempt_enable(); } while (0)

#endif
