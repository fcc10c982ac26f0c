/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Controls the userspace harness offers tests beyond the kernel's own
 * interfaces: deterministic allocation failure and the allocation count.
 */
#ifndef _MASSTREE_HARNESS_H
#define _MASSTREE_HARNESS_H

#include <linux/types.h>

/*
 * The @n-th allocation from now in this thread fails (1 = the next one);
 * 0 turns it off. Like the kernel's /proc/self/fail-nth.
 */
void harness_fail_nth(unsigned int n);

/*
 * Non-blocking allocations (no __GFP_DIRECT_RECLAIM) in this thread fail
 * once @budget more of them succeeded; -1 (the default) never fails them.
 */
void harness_nonblocking_budget(long budget);

/* Live allocations: kmalloc()s and slab objects not yet freed. */
long harness_live_allocations(void);

/* Bytes in the live allocations. */
long harness_live_bytes(void);

/* Size factor for tests: 1 by default, raised with -s. */
extern unsigned int harness_scale;

#endif
