/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the kernel's atomics on GCC builtins. */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H

#include <linux/types.h>
#include <asm/barrier.h>

#define __shim_cmpxchg(p, o, n, order) ({				\
	__typeof__(*(p)) __old = (o);					\
	__atomic_compare_exchange_n(p, &__old, n, false, order,		\
				    __ATOMIC_RELAXED);			\
	__old;								\
})
#define cmpxchg(p, o, n)	 __shim_cmpxchg(p, o, n, __ATOMIC_SEQ_CST)
#define cmpxchg_acquire(p, o, n) __shim_cmpxchg(p, o, n, __ATOMIC_ACQUIRE)
#define cmpxchg_release(p, o, n) __shim_cmpxchg(p, o, n, __ATOMIC_RELEASE)
#define try_cmpxchg(p, op, n) \
	__atomic_compare_exchange_n(p, op, n, false, __ATOMIC_SEQ_CST, \
				    __ATOMIC_RELAXED)
#define try_cmpxchg_acquire(p, op, n) \
	__atomic_compare_exchange_n(p, op, n, false, __ATOMIC_ACQUIRE, \
				    __ATOMIC_RELAXED)
#define xchg(p, v)		__atomic_exchange_n(p, v, __ATOMIC_SEQ_CST)

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }
#define atomic_read(v)		__atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_set(v, i)	__atomic_store_n(&(v)->counter, i, __ATOMIC_RELAXED)
#define atomic_add(i, v)	((void)__atomic_add_fetch(&(v)->counter, i, __ATOMIC_RELAXED))
#define atomic_sub(i, v)	((void)__atomic_sub_fetch(&(v)->counter, i, __ATOMIC_RELAXED))
#define atomic_inc(v)		atomic_add(1, v)
#define atomic_dec(v)		atomic_sub(1, v)
#define atomic_inc_return(v)	__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_dec_return(v)	__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_long_read	atomic_read
#define atomic_long_set		atomic_set
#define atomic_long_add		atomic_add
#define atomic_long_sub		atomic_sub
#define atomic_long_inc		atomic_inc
#define atomic_long_dec		atomic_dec
#define atomic_long_inc_return	atomic_inc_return
#define atomic_long_dec_return	atomic_dec_return

#endif
