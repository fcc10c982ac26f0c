/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: cpu_relax() yields now and then, so a thread spinning on
 * a node lock cannot starve a preempted holder on a 2-core machine (the
 * kernel avoids that by disabling preemption while a node lock is held).
 */
#ifndef _SHIM_ASM_PROCESSOR_H
#define _SHIM_ASM_PROCESSOR_H

void cpu_relax(void);

#endif
