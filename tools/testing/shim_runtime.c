// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's out-of-line parts that do not depend on how memory is
 * allocated, shared by the test harness and the benchmark: preemption and
 * RCU nesting counts, WARN and might_sleep(), cpu_relax(), jiffies, and
 * module init and exit.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <asm/processor.h>
#include "shim_runtime.h"

__thread int shim_preempt_count;
__thread int shim_rcu_nesting;

static long warnings;

void shim_warn(const char *file, int line, const char *cond)
{
	__atomic_add_fetch(&warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "WARNING at %s:%d: %s\n", file, line, cond);
}

long shim_warnings(void)
{
	return __atomic_load_n(&warnings, __ATOMIC_RELAXED);
}

/* Sleeping under rcu_read_lock() or a node lock is a bug: stop there. */
void shim_might_sleep(const char *file, int line)
{
	if (shim_preempt_count || shim_rcu_nesting) {
		fprintf(stderr,
			"BUG: sleeping function called from invalid context at %s:%d (preempt_count %d, rcu nesting %d)\n",
			file, line, shim_preempt_count, shim_rcu_nesting);
		abort();
	}
}

/*
 * A userspace lock holder can be preempted (the kernel's cannot, it
 * disables preemption): yield now and then so it can run again.
 */
void cpu_relax(void)
{
	static __thread unsigned int spins;

	__builtin_ia32_pause();
	if (++spins % 64 == 0)
		sched_yield();
}

unsigned long shim_jiffies(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000UL + ts.tv_nsec / 1000000;
}

static int (*module_init_fn)(void);
static void (*module_exit_fn)(void);

void shim_register_module(int (*init)(void), void (*exit)(void))
{
	if (init)
		module_init_fn = init;
	if (exit)
		module_exit_fn = exit;
}

int shim_module_init(void)
{
	return module_init_fn ? module_init_fn() : 0;
}

void shim_module_exit(void)
{
	if (module_exit_fn)
		module_exit_fn();
}
