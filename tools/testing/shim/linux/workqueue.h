/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a workqueue is one worker thread (an RCU reader, like a
 * kernel worker) running works in order; queue_rcu_work() is call_rcu()
 * then queue_work(), as in the kernel.
 */
#ifndef _SHIM_LINUX_WORKQUEUE_H
#define _SHIM_LINUX_WORKQUEUE_H

#include <stdbool.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	struct work_struct *next;
	bool pending;
};

struct workqueue_struct;

struct rcu_work {
	struct work_struct work;
	struct rcu_head rcu;
	struct workqueue_struct *wq;
};

#define WQ_UNBOUND		(1 << 1)
#define WQ_MEM_RECLAIM		(1 << 3)

#define INIT_WORK(w, f)		do { (w)->func = (f); (w)->next = NULL; \
				     (w)->pending = false; } while (0)
#define INIT_RCU_WORK(rw, f)	INIT_WORK(&(rw)->work, f)

static inline struct rcu_work *to_rcu_work(struct work_struct *work)
{
	return container_of(work, struct rcu_work, work);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...);
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rwork);
void flush_workqueue(struct workqueue_struct *wq);
void destroy_workqueue(struct workqueue_struct *wq);

#endif
