/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: compiler helpers and the marked accesses. */
#ifndef _SHIM_LINUX_COMPILER_H
#define _SHIM_LINUX_COMPILER_H

#include <linux/types.h>

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define __must_check		__attribute__((warn_unused_result))
#undef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#define noinline		__attribute__((noinline))
#define __maybe_unused		__attribute__((unused))
#define __used			__attribute__((used))
#define __aligned(x)		__attribute__((aligned(x)))
#define __packed		__attribute__((packed))
#define barrier()		__asm__ __volatile__("" ::: "memory")
#define fallthrough		__attribute__((__fallthrough__))

/* sparse annotations */
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __cond_acquires(x)
#define __acquire(x)		((void)0)
#define __release(x)		((void)0)
#define __rcu
#define __user
#define __force

/* Relaxed atomic accesses, so sanitizers see them as intended races. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define data_race(expr)		(expr)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif
