// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred freeing. Each tree has a struct masstree_reclaim with two lists
 * of retired nodes, linked through the nodes themselves
 * (masstree_node_set_free_next()):
 *
 *  - @batch: nodes retired before the grace period that @rwork waits for
 *    began. Once the work runs, readers that could have seen them are gone:
 *    it frees them.
 *  - @pending: nodes retired while @rwork was already waiting. They wait
 *    for a grace period of their own: the work moves them to @batch and
 *    queues itself again.
 *
 * The work runs in process context on our own workqueue, so freeing a
 * whole tree can cond_resched(), and module exit can wait for it:
 * queue_rcu_work() is call_rcu() then queue_work(), so exit repeats
 * rcu_barrier() and flush_workqueue() while any tree's work is in flight.
 *
 * masstree_reclaim_release() hands over the last nodes of a destroyed tree;
 * the work frees the struct itself after them.
 */
#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include "node.h"
#include "reclaim.h"

/**
 * struct masstree_reclaim - a tree's retired nodes
 * @lock: protects the lists and flags; taken with interrupts off, as
 *        writers of a %MASSTREE_FLAGS_LOCK_IRQ tree retire nodes from any
 *        context
 * @batch: nodes the queued work frees, first and last
 * @batch_last: see @batch
 * @pending: nodes retired since the work was queued
 * @pending_last: see @pending
 * @queued: @rwork is queued or running
 * @released: the tree was destroyed: free this struct when done
 * @rwork: the work, queued a grace period late
 */
struct masstree_reclaim {
	spinlock_t lock;
	struct masstree_node *batch;
	struct masstree_node *batch_last;
	struct masstree_node *pending;
	struct masstree_node *pending_last;
	bool queued;
	bool released;
	struct rcu_work rwork;
};

static struct workqueue_struct *masstree_wq;
/* Works queued or running, over all trees: module exit waits for zero. */
static atomic_t masstree_reclaim_inflight = ATOMIC_INIT(0);

static void masstree_free_list(struct masstree_node *n)
{
	unsigned int freed = 0;

	while (n) {
		struct masstree_node *next = masstree_node_free_next(n);

		masstree_node_free(n);
		n = next;
		if (++freed % 1024 == 0)
			cond_resched();
	}
}

/* Start a grace period for what is pending; the lock is held. */
static void masstree_reclaim_queue(struct masstree_reclaim *rc)
{
	rc->batch = rc->pending;
	rc->batch_last = rc->pending_last;
	rc->pending = NULL;
	rc->pending_last = NULL;
	rc->queued = true;
	atomic_inc(&masstree_reclaim_inflight);
	queue_rcu_work(masstree_wq, &rc->rwork);
}

static void masstree_reclaim_work(struct work_struct *work)
{
	struct masstree_reclaim *rc =
		container_of(to_rcu_work(work), struct masstree_reclaim, rwork);
	struct masstree_node *batch;
	bool done;

	spin_lock_irq(&rc->lock);
	batch = rc->batch;
	rc->batch = NULL;
	rc->batch_last = NULL;
	spin_unlock_irq(&rc->lock);

	masstree_free_list(batch);

	spin_lock_irq(&rc->lock);
	if (rc->pending) {
		masstree_reclaim_queue(rc);
		done = false;
	} else {
		rc->queued = false;
		done = rc->released;
	}
	spin_unlock_irq(&rc->lock);
	if (done)
		kfree(rc);
	/* Last: module exit may tear the workqueue down once this drops. */
	atomic_dec(&masstree_reclaim_inflight);
}

/**
 * masstree_reclaim_init() - give @mt its retired-node lists
 * @mt: the tree being initialised
 * @gfp: allocation flags
 *
 * Return: 0 or -ENOMEM.
 */
int masstree_reclaim_init(struct masstree *mt, gfp_t gfp)
{
	struct masstree_reclaim *rc = kzalloc(sizeof(*rc), gfp);

	if (!rc)
		return -ENOMEM;
	spin_lock_init(&rc->lock);
	INIT_RCU_WORK(&rc->rwork, masstree_reclaim_work);
	mt->reclaim = rc;
	return 0;
}

static void masstree_reclaim_add(struct masstree_reclaim *rc,
				 struct masstree_node *first,
				 struct masstree_node *last, bool release)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	if (first) {
		masstree_node_set_free_next(last, rc->pending);
		if (!rc->pending)
			rc->pending_last = last;
		rc->pending = first;
	}
	rc->released |= release;
	if (!rc->queued && (rc->pending || release))
		masstree_reclaim_queue(rc);
	spin_unlock_irqrestore(&rc->lock, flags);
}

/**
 * masstree_retire() - free nodes once readers cannot see them any more
 * @mt: their tree
 * @first: the first node of a list linked with masstree_node_set_free_next()
 * @last: its last node (its link is overwritten)
 *
 * The nodes must be unreachable for readers that start from now on, and
 * marked deleted, so readers still inside them retry.
 *
 * Context: any; does not sleep.
 */
void masstree_retire(struct masstree *mt, struct masstree_node *first,
		     struct masstree_node *last)
{
	masstree_reclaim_add(mt->reclaim, first, last, false);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_retire);

/**
 * masstree_reclaim_release() - hand over a destroyed tree's last nodes
 * @mt: the tree, which must not be used again until initialised
 * @first: as for masstree_retire(), or NULL
 * @last: as for masstree_retire()
 *
 * Frees the nodes, then the reclaim state itself, after a grace period.
 *
 * Context: any; does not sleep.
 */
void masstree_reclaim_release(struct masstree *mt, struct masstree_node *first,
			      struct masstree_node *last)
{
	masstree_reclaim_add(mt->reclaim, first, last, true);
	mt->reclaim = NULL;
}

/*
 * Wait for every tree's frees, and every call_rcu() callback queued so
 * far. A work may queue itself again, through call_rcu(): repeat the
 * barrier and the flush until none is in flight.
 */
void masstree_reclaim_flush(void)
{
	do {
		rcu_barrier();
		flush_workqueue(masstree_wq);
	} while (atomic_read(&masstree_reclaim_inflight));
}
EXPORT_SYMBOL_IF_KUNIT(masstree_reclaim_flush);

int masstree_reclaim_module_init(void)
{
	masstree_wq = alloc_workqueue("masstree", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return masstree_wq ? 0 : -ENOMEM;
}

void masstree_reclaim_module_exit(void)
{
	masstree_reclaim_flush();
	destroy_workqueue(masstree_wq);
}
