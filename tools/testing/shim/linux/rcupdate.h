/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: RCU from liburcu. Every thread that reads must be
 * registered; the harness's thread helpers do that. A per-thread nesting
 * count lets might_sleep() catch sleeping inside a read section.
 *
 * The tests use the memb flavour: a thread is quiescent whenever it is
 * outside a read section, as in the kernel. The benchmark defines
 * SHIM_RCU_QSBR for the QSBR flavour, which costs readers what the
 * kernel's RCU costs them: nothing, where memb's grace periods IPI every
 * CPU and wake the waiter from rcu_read_unlock(). A QSBR thread reports a
 * quiescent state at each outermost rcu_read_unlock() (a compare, unless a
 * grace period waits for it), which keeps memb's meaning, and goes offline
 * while it blocks (shim_rcu_offline()).
 *
 * call_rcu() and rcu_barrier() go through the shim's runtime, which can
 * pace grace periods as the kernel's are (shim_rcu_set_min_grace()).
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#ifdef SHIM_RCU_QSBR
#include <urcu-qsbr.h>
#define SHIM_URCU(fn)	urcu_qsbr_##fn
#else
#include <urcu.h>
#define SHIM_URCU(fn)	urcu_memb_##fn
#endif
#include <urcu/rcuhlist.h>
#include <linux/compiler.h>

extern __thread int shim_rcu_nesting;

void shim_might_sleep(const char *file, int line);

static inline void shim_rcu_read_lock(void)
{
	shim_rcu_nesting++;
	SHIM_URCU(read_lock)();
}

static inline void shim_rcu_read_unlock(void)
{
	SHIM_URCU(read_unlock)();
#ifdef SHIM_RCU_QSBR
	if (shim_rcu_nesting == 1)
		urcu_qsbr_quiescent_state();
#endif
	shim_rcu_nesting--;
}

/*
 * Around a wait that may block for long, so that a QSBR thread does not
 * hold grace periods up: returns whether to go online again after it.
 */
static inline bool shim_rcu_offline(void)
{
#ifdef SHIM_RCU_QSBR
	if (urcu_qsbr_read_ongoing()) {
		urcu_qsbr_thread_offline();
		return true;
	}
#endif
	return false;
}

static inline void shim_rcu_online(bool was_online)
{
#ifdef SHIM_RCU_QSBR
	if (was_online)
		urcu_qsbr_thread_online();
#endif
}

#undef rcu_read_lock
#undef rcu_read_unlock
#undef rcu_dereference
#undef rcu_assign_pointer
#undef synchronize_rcu
#undef rcu_barrier
#undef call_rcu
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
	SHIM_URCU(synchronize_rcu)();					\
} while (0)
#define rcu_barrier() do {						\
	shim_might_sleep(__FILE__, __LINE__);				\
	shim_rcu_barrier();						\
} while (0)
#define call_rcu(head, func)		shim_call_rcu(head, func)

void shim_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void shim_rcu_barrier(void);

#endif
