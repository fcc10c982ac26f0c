// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's out-of-line parts that do not depend on how memory is
 * allocated, shared by the test harness and the benchmark: preemption and
 * RCU nesting counts, WARN and might_sleep(), cpu_relax(), jiffies,
 * workqueues, and module init and exit.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu_counter.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <asm/processor.h>
#include "shim_runtime.h"

__thread int shim_preempt_count;
__thread int shim_rcu_nesting;
__thread unsigned int shim_pcpu_slot;	/* slot + 1; 0: none yet */

unsigned int shim_pcpu_slot_assign(void)
{
	static unsigned int next;
	unsigned int slot = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) %
			    SHIM_PCPU_SLOTS;

	shim_pcpu_slot = slot + 1;
	return slot;
}

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

/*
 * call_rcu() with paced grace periods. liburcu's call_rcu() thread starts
 * a grace period as soon as the last one ended, and each one IPIs every
 * CPU through membarrier(): thousands a second while nodes are retired
 * nonstop. The kernel's grace periods wait for each CPU's scheduler tick
 * or context switch and IPI no busy CPU, so they last milliseconds. When
 * paced, callbacks queue here; a thread waits the minimum, takes all that
 * queued, waits for one liburcu grace period and invokes them in order.
 */
static unsigned int rcu_min_grace_us;
static pthread_mutex_t rcu_pace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rcu_pace_queued_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t rcu_pace_done_cond = PTHREAD_COND_INITIALIZER;
static struct cds_wfcq_node *rcu_pace_head;
static struct cds_wfcq_node **rcu_pace_tail = &rcu_pace_head;
/* Callbacks queued, and invoked, since the start: invoked in queue order. */
static unsigned long rcu_pace_queued;
static unsigned long rcu_pace_invoked;

static void *shim_rcu_pacer(void *unused)
{
	struct timespec gap = {
		.tv_sec = rcu_min_grace_us / 1000000,
		.tv_nsec = rcu_min_grace_us % 1000000 * 1000L,
	};

	/* Registered to run callbacks; offline while it waits. */
	rcu_register_thread();
	shim_rcu_offline();
	for (;;) {
		struct cds_wfcq_node *node;
		unsigned long taken;

		pthread_mutex_lock(&rcu_pace_lock);
		while (!rcu_pace_head)
			pthread_cond_wait(&rcu_pace_queued_cond, &rcu_pace_lock);
		pthread_mutex_unlock(&rcu_pace_lock);
		nanosleep(&gap, NULL);

		pthread_mutex_lock(&rcu_pace_lock);
		node = rcu_pace_head;
		taken = rcu_pace_queued;
		rcu_pace_head = NULL;
		rcu_pace_tail = &rcu_pace_head;
		pthread_mutex_unlock(&rcu_pace_lock);

		SHIM_URCU(synchronize_rcu)();
		shim_rcu_online(true);
		while (node) {
			struct rcu_head *head = container_of(node, struct rcu_head,
							     next);

			node = node->next;
			head->func(head);
		}
		shim_rcu_offline();

		pthread_mutex_lock(&rcu_pace_lock);
		rcu_pace_invoked = taken;
		pthread_cond_broadcast(&rcu_pace_done_cond);
		pthread_mutex_unlock(&rcu_pace_lock);
	}
	return NULL;
}

void shim_rcu_set_min_grace(unsigned int us)
{
	pthread_t thread;

	if (!us || rcu_min_grace_us)
		return;
	rcu_min_grace_us = us;
	if (pthread_create(&thread, NULL, shim_rcu_pacer, NULL)) {
		fprintf(stderr, "shim: cannot start the grace period thread\n");
		abort();
	}
	pthread_detach(thread);
}

void shim_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	if (!rcu_min_grace_us) {
		SHIM_URCU(call_rcu)(head, func);
		return;
	}
	head->func = func;
	head->next.next = NULL;
	pthread_mutex_lock(&rcu_pace_lock);
	if (!rcu_pace_head)
		pthread_cond_signal(&rcu_pace_queued_cond);
	*rcu_pace_tail = &head->next;
	rcu_pace_tail = &head->next.next;
	rcu_pace_queued++;
	pthread_mutex_unlock(&rcu_pace_lock);
}

void shim_rcu_barrier(void)
{
	bool was_online = shim_rcu_offline();
	unsigned long target;

	if (!rcu_min_grace_us) {
		SHIM_URCU(barrier)();
	} else {
		pthread_mutex_lock(&rcu_pace_lock);
		target = rcu_pace_queued;
		while (rcu_pace_invoked < target)
			pthread_cond_wait(&rcu_pace_done_cond, &rcu_pace_lock);
		pthread_mutex_unlock(&rcu_pace_lock);
	}
	shim_rcu_online(was_online);
}

/*
 * Workqueues: one worker thread each, running works in queue order. Like
 * a kernel worker it is an RCU reader thread, and may sleep.
 */
struct workqueue_struct {
	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	pthread_cond_t idle_cond;
	struct work_struct *head, *tail;
	bool running;
	bool stop;
	pthread_t thread;
};

static void *shim_worker(void *arg)
{
	struct workqueue_struct *wq = arg;

	rcu_register_thread();
	pthread_mutex_lock(&wq->lock);
	for (;;) {
		struct work_struct *w;
		bool was_online = shim_rcu_offline();

		while (!wq->head && !wq->stop)
			pthread_cond_wait(&wq->work_cond, &wq->lock);
		shim_rcu_online(was_online);
		if (!wq->head)
			break;
		w = wq->head;
		wq->head = w->next;
		if (!wq->head)
			wq->tail = NULL;
		w->pending = false;
		wq->running = true;
		pthread_mutex_unlock(&wq->lock);
		w->func(w);
		pthread_mutex_lock(&wq->lock);
		wq->running = false;
		pthread_cond_broadcast(&wq->idle_cond);
	}
	pthread_mutex_unlock(&wq->lock);
	rcu_unregister_thread();
	return NULL;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct workqueue_struct *wq = calloc(1, sizeof(*wq));

	if (!wq)
		return NULL;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->work_cond, NULL);
	pthread_cond_init(&wq->idle_cond, NULL);
	if (pthread_create(&wq->thread, NULL, shim_worker, wq)) {
		free(wq);
		return NULL;
	}
	return wq;
}

/* Append a work whose pending flag the caller set; wq->lock held. */
static void shim_wq_append(struct workqueue_struct *wq, struct work_struct *w)
{
	w->next = NULL;
	if (wq->tail)
		wq->tail->next = w;
	else
		wq->head = w;
	wq->tail = w;
	pthread_cond_signal(&wq->work_cond);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *w)
{
	bool queued;

	pthread_mutex_lock(&wq->lock);
	queued = !w->pending;
	if (queued) {
		w->pending = true;
		shim_wq_append(wq, w);
	}
	pthread_mutex_unlock(&wq->lock);
	return queued;
}

static void shim_rcu_work_cb(struct rcu_head *head)
{
	struct rcu_work *rw = container_of(head, struct rcu_work, rcu);
	struct workqueue_struct *wq = rw->wq;

	pthread_mutex_lock(&wq->lock);
	shim_wq_append(wq, &rw->work);
	pthread_mutex_unlock(&wq->lock);
}

bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rw)
{
	if (__atomic_exchange_n(&rw->work.pending, true, __ATOMIC_ACQ_REL))
		return false;
	rw->wq = wq;
	call_rcu(&rw->rcu, shim_rcu_work_cb);
	return true;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	bool was_online;

	might_sleep();
	was_online = shim_rcu_offline();
	pthread_mutex_lock(&wq->lock);
	while (wq->head || wq->running)
		pthread_cond_wait(&wq->idle_cond, &wq->lock);
	pthread_mutex_unlock(&wq->lock);
	shim_rcu_online(was_online);
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	flush_workqueue(wq);
	pthread_mutex_lock(&wq->lock);
	wq->stop = true;
	pthread_cond_signal(&wq->work_cond);
	pthread_mutex_unlock(&wq->lock);
	pthread_join(wq->thread, NULL);
	free(wq);
}
