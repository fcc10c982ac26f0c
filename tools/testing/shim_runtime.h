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

/*
 * Make every grace period that call_rcu() waits for last at least @us
 * microseconds, as the kernel's last at least about a scheduler tick. 0,
 * the default, leaves call_rcu() to liburcu, which starts the next grace
 * period as soon as one ends. Call it before the first call_rcu().
 */
void shim_rcu_set_min_grace(unsigned int us);

/* WARN()s raised so far, by any thread. */
long shim_warnings(void);

#endif
