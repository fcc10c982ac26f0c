/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: RCU from liburcu (memb flavour). Every thread that reads
 * must be registered; the harness's thread helpers do that. A per-thread
 * nesting count lets might_sleep() catch sleeping inside a read section.
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#include <urcu.h>
#include <urcu/rcuhlist.h>
#include <linux/compiler.h>

extern __thread int shim_rcu_nesting;

void shim_might_sleep(const char *file, int line);

static inline void shim_rcu_read_lock(void)
{
	shim_rcu_nesting++;
	urcu_memb_read_lock();
}

static inline void shim_rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
	shim_rcu_nesting--;
}

#undef rcu_read_lock
#undef rcu_read_unlock
#undef rcu_dereference
#undef rcu_assign_pointer
#undef synchronize_rcu
#undef rcu_barrier
#define rcu_read_lock()			shim_rcu_read_lock()
#define rcu_read_unlock()		shim_rcu_read_unlock()
#define rcu_read_lock_held()		(shim_rcu_nesting > 0)
#define rcu_dereference(p)		__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_dereference_check(p, c)	rcu_dereference(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_dereference_raw(p)		rcu_dereference(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define synchronize_rcu() do {						\
	shim_might_sleep(__FILE__, __LINE__);				\
	urcu_memb_synchronize_rcu();					\
} while (0)
#define rcu_barrier() do {						\
	shim_might_sleep(__FILE__, __LINE__);				\
	urcu_memb_barrier();						\
} while (0)

#endif
