/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SHIM_LINUX_KREF_H
#define _SHIM_LINUX_KREF_H

#include <linux/atomic.h>
#include <linux/bug.h>

struct kref {
	atomic_t refcount;
};

#define KREF_INIT(n)	{ .refcount = ATOMIC_INIT(n) }

static inline void kref_init(struct kref *kref)
{
	atomic_set(&kref->refcount, 1);
}

static inline unsigned int kref_read(const struct kref *kref)
{
	return atomic_read(&kref->refcount);
}

/* As refcount_t: taking a reference on a dead object is a bug. */
static inline void kref_get(struct kref *kref)
{
	WARN_ON(__atomic_fetch_add(&kref->refcount.counter, 1,
				   __ATOMIC_RELAXED) <= 0);
}

static inline int kref_put(struct kref *kref, void (*release)(struct kref *))
{
	int old = __atomic_fetch_sub(&kref->refcount.counter, 1,
				     __ATOMIC_RELEASE);

	WARN_ON(old <= 0);
	if (old == 1) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		release(kref);
		return 1;
	}
	return 0;
}

static inline int __must_check kref_get_unless_zero(struct kref *kref)
{
	int old = atomic_read(&kref->refcount);

	do {
		if (!old)
			return 0;
	} while (!__atomic_compare_exchange_n(&kref->refcount.counter, &old,
					      old + 1, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return 1;
}

#endif
