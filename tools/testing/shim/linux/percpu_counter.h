/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: per-CPU counters as the kernel keeps them, one slot per
 * thread (threads past SHIM_PCPU_SLOTS share), each on its own cache line,
 * folded into the shared count once it reaches the batch. A single shared
 * atomic would bounce its line between the threads on every insert and
 * remove, which the kernel's counters do not.
 */
#ifndef _SHIM_LINUX_PERCPU_COUNTER_H
#define _SHIM_LINUX_PERCPU_COUNTER_H

#include <errno.h>
#include <stdlib.h>
#include <linux/types.h>
#include <linux/gfp.h>

#define SHIM_PCPU_SLOTS		16
#define SHIM_PCPU_BATCH		32

struct shim_pcpu_slot {
	s64 v;
} __attribute__((aligned(64)));

struct percpu_counter {
	s64 count;
	struct shim_pcpu_slot *slots;
};

extern __thread unsigned int shim_pcpu_slot;
unsigned int shim_pcpu_slot_assign(void);

static inline unsigned int shim_this_pcpu_slot(void)
{
	return shim_pcpu_slot ? shim_pcpu_slot - 1 : shim_pcpu_slot_assign();
}

static inline int percpu_counter_init(struct percpu_counter *fbc, s64 amount,
				      gfp_t gfp)
{
	fbc->count = amount;
	fbc->slots = aligned_alloc(64, SHIM_PCPU_SLOTS * sizeof(*fbc->slots));
	if (!fbc->slots)
		return -ENOMEM;
	__builtin_memset(fbc->slots, 0, SHIM_PCPU_SLOTS * sizeof(*fbc->slots));
	return 0;
}

static inline void percpu_counter_destroy(struct percpu_counter *fbc)
{
	free(fbc->slots);
	fbc->slots = NULL;
}

static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	struct shim_pcpu_slot *s = &fbc->slots[shim_this_pcpu_slot()];
	s64 v = __atomic_add_fetch(&s->v, amount, __ATOMIC_RELAXED);

	if (v >= SHIM_PCPU_BATCH || v <= -SHIM_PCPU_BATCH)
		__atomic_add_fetch(&fbc->count,
				   __atomic_exchange_n(&s->v, 0, __ATOMIC_RELAXED),
				   __ATOMIC_RELAXED);
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
	unsigned int i;

	for (i = 0; i < SHIM_PCPU_SLOTS; i++)
		v += __atomic_load_n(&fbc->slots[i].v, __ATOMIC_RELAXED);
	return v < 0 ? 0 : v;
}

#endif
