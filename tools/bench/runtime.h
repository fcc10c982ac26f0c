/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark's runtime (runtime.c) offers beyond the shim's
 * kernel interfaces: module init and exit, and its counters.
 */
#ifndef _MASSTREE_BENCH_RUNTIME_H
#define _MASSTREE_BENCH_RUNTIME_H

/* Runs the core's module_init() function (creates the node caches). */
int bench_module_init(void);

/* Runs its module_exit() function (waits for RCU, destroys the caches). */
void bench_module_exit(void);

/* WARN()s raised so far, by any thread. */
long bench_warnings(void);

/* kmalloc()s and slab objects allocated so far. */
long bench_allocations(void);

#endif
