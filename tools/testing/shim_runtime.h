/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shim's out-of-line parts that the test harness and the benchmark
 * share (shim_runtime.c): module init and exit, and the WARN count.
 */
#ifndef _MASSTREE_SHIM_RUNTIME_H
#define _MASSTREE_SHIM_RUNTIME_H

/* Runs the core's module_init() function (creates the node caches). */
int shim_module_init(void);

/* Runs its module_exit() function (waits for RCU, destroys the caches). */
void shim_module_exit(void);

/* WARN()s raised so far, by any thread. */
long shim_warnings(void);

#endif
