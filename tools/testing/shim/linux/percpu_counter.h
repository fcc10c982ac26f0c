/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a per-CPU counter is one atomic here. */
#ifndef _SHIM_LINUX_PERCPU_COUNTER_H
#define _SHIM_LINUX_PERCPU_COUNTER_H

#include <linux/types.h>
#include <linux/gfp.h>

struct percpu_counter {
	s64 count;
};

static inline int percpu_counter_init(struct percpu_counter *fbc, s64 amount,
				      gfp_t gfp)
{
	fbc->count = amount;
	return 0;
}

static inline void percpu_counter_destroy(struct percpu_counter *fbc)
{
}

static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	__atomic_add_fetch(&fbc->count, amount, __ATOMIC_RELAXED);
}

static inline void percpu_counter_inc(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, 1);
}

static inline void percpu_counter_dec(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, -1);
}

static inline s64 percpu_counter_sum_positive(struct percpu_counter *fbc)
{
	s64 v = __atomic_load_n(&fbc->count, __ATOMIC_RELAXED);

	return v < 0 ? 0 : v;
}

#endif
