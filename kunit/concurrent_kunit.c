// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_concurrent: writers and lock-free readers at once. Readers
 * check what must hold whatever the interleaving; every case ends with a
 * full validation. Bounded in time (MASSTREE_STRESS_MS) and in size.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "tree_test.h"
#include "tree.h"

#define NR_WRITERS	4
#define NR_READERS	2

struct stress {
	struct kunit *test;
	struct masstree *mt;
	unsigned long per_writer;	/* keys each writer inserts */
	unsigned long deadline;		/* jiffies */
	bool overlap;			/* all writers insert the same keys */
	unsigned long inserted[NR_WRITERS];	/* high-water marks */
	atomic_long_t errors;
	atomic_long_t reads;
	atomic_t writers_done;
};

/* Writer @w's @j-th key: disjoint ids, in one of two orders. */
static u64 stress_id(const struct stress *s, unsigned int w, unsigned long j)
{
	unsigned long n = s->per_writer;

	if (w & 1)	/* odd writers go in a scrambled order */
		j = (j * 7919) % n;	/* 7919 is prime and n is a multiple of 1000 */
	return s->overlap ? j : j * NR_WRITERS + w;
}

struct stress_thread {
	struct stress *s;
	unsigned int w;
};

static int stress_writer(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	u8 key[TREE_TEST_KEY_MAX];
	unsigned long j;

	for (j = 0; j < s->per_writer && !kthread_should_stop(); j++) {
		u64 id = stress_id(s, t->w, j);
		int err = masstree_put_index(s->mt, key, tree_test_key(id, key),
					     id * NR_WRITERS + t->w,
					     MASSTREE_ANY, GFP_KERNEL);

		if (err)
			atomic_long_inc(&s->errors);
		/* Publish: keys 0..j are in. Pairs with the reader's acquire. */
		smp_store_release(&s->inserted[t->w], j + 1);
		if (time_after(jiffies, s->deadline))
			break;
		if (!(j & 63))
			cond_resched();
	}
	atomic_inc(&s->writers_done);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

/* Every key a writer had inserted before we looked must be found. */
static int stress_reader(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	u8 key[TREE_TEST_KEY_MAX];
	unsigned long reads = 0;

	while (!kthread_should_stop()) {
		unsigned int w = get_random_u32() % NR_WRITERS;
		/* Pairs with the writer's release: keys below hw are in. */
		unsigned long hw = smp_load_acquire(&s->inserted[w]);
		u64 id, value;

		if (!hw) {
			cond_resched();
			continue;
		}
		id = stress_id(s, w, get_random_u32() % hw);
		if (masstree_get_index(s->mt, key, tree_test_key(id, key), &value) ||
		    value / NR_WRITERS != id)
			atomic_long_inc(&s->errors);
		if (!(++reads & 255))
			cond_resched();
	}
	atomic_long_add(reads, &s->reads);
	return 0;
}

static void run_stress(struct kunit *test, bool overlap)
{
	struct stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct stress_thread th[NR_WRITERS + NR_READERS];
	struct task_struct *tasks[NR_WRITERS + NR_READERS];
	unsigned long i, total = 0, bad = 0;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->mt = kunit_kzalloc(test, sizeof(*s->mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->mt);
	KUNIT_ASSERT_EQ(test, masstree_init(s->mt, MASSTREE_FLAGS_INDEX, NULL,
					    GFP_KERNEL), 0);
	s->per_writer = MASSTREE_TEST_N(20000, 250000);
	s->overlap = overlap;
	s->deadline = jiffies + msecs_to_jiffies(10 * MASSTREE_STRESS_MS);
	for (n = 0; n < NR_WRITERS + NR_READERS; n++) {
		th[n].s = s;
		th[n].w = n;
		tasks[n] = kthread_run(n < NR_WRITERS ? stress_writer : stress_reader,
				       &th[n], "masstree_stress%d", n);
		if (IS_ERR(tasks[n]))
			break;
	}
	KUNIT_EXPECT_EQ(test, n, NR_WRITERS + NR_READERS);
	while (atomic_read(&s->writers_done) < min(n, NR_WRITERS))
		msleep(20);
	while (n--)
		kthread_stop(tasks[n]);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->errors), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->reads), 0L);
	KUNIT_EXPECT_TREE_VALID(test, s->mt);
	/* Everything the writers say they inserted is there. */
	for (n = 0; n < NR_WRITERS; n++) {
		for (i = 0; i < s->inserted[n]; i++) {
			u8 key[TREE_TEST_KEY_MAX];
			u64 id = stress_id(s, n, i), value;

			if (masstree_get_index(s->mt, key, tree_test_key(id, key),
					       &value) || value / NR_WRITERS != id)
				bad++;
		}
		total += s->inserted[n];
	}
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	if (!overlap)
		KUNIT_EXPECT_EQ(test, masstree_count(s->mt), total);
	kunit_info(test, "%lu puts, %ld checked gets", total,
		   atomic_long_read(&s->reads));
	masstree_destroy(s->mt);
	masstree_reclaim_flush();
}

static void writers_on_disjoint_keys_and_checking_readers(struct kunit *test)
{
	run_stress(test, false);
}

static void writers_on_the_same_keys_and_checking_readers(struct kunit *test)
{
	run_stress(test, true);
}

/*
 * masstree-beta's "same": every thread replaces the values of 10 hot keys
 * (object mode); readers must always find each key, with a value made
 * for it, even while its value is being replaced and released.
 */
#define HOT_KEYS	10

struct hot {
	struct masstree *mt;
	atomic_long_t errors;
	atomic_long_t ops;
};

static int hot_writer(void *arg)
{
	struct hot *h = arg;
	u64 seq = 0;

	while (!kthread_should_stop()) {
		u64 id = get_random_u32() % HOT_KEYS;
		struct test_value *tv = test_value_new(id << 32 | (seq++ & 0xffffffff));
		u8 key[TREE_TEST_KEY_MAX];

		if (!tv) {
			atomic_long_inc(&h->errors);
			break;
		}
		if (masstree_put(h->mt, key, tree_test_key(id, key), &tv->ref,
				 MASSTREE_EXIST, GFP_KERNEL))
			atomic_long_inc(&h->errors);
		test_value_put(tv);
		atomic_long_inc(&h->ops);
		if (!(seq & 63))
			cond_resched();
	}
	return 0;
}

static int hot_reader(void *arg)
{
	struct hot *h = arg;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		u64 id = get_random_u32() % HOT_KEYS;
		u8 key[TREE_TEST_KEY_MAX];
		struct kref *ref = masstree_get(h->mt, key, tree_test_key(id, key));

		if (!ref || test_value_of(ref) >> 32 != id)
			atomic_long_inc(&h->errors);
		if (ref)
			test_value_put(container_of(ref, struct test_value, ref));
		if (!(++n & 63))
			cond_resched();
	}
	return 0;
}

static void same_hot_keys_replaced_by_every_thread(struct kunit *test)
{
	struct hot *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct task_struct *tasks[NR_WRITERS + NR_READERS];
	u64 id;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, h);
	h->mt = kunit_kzalloc(test, sizeof(*h->mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h->mt);
	KUNIT_ASSERT_EQ(test, masstree_init(h->mt, 0, test_value_release,
					    GFP_KERNEL), 0);
	for (id = 0; id < HOT_KEYS; id++) {
		struct test_value *tv = test_value_new(id << 32);
		u8 key[TREE_TEST_KEY_MAX];

		KUNIT_ASSERT_NOT_NULL(test, tv);
		KUNIT_EXPECT_EQ(test, masstree_put(h->mt, key, tree_test_key(id, key),
						   &tv->ref, MASSTREE_NOEXIST,
						   GFP_KERNEL), 0);
		test_value_put(tv);
	}
	for (n = 0; n < NR_WRITERS + NR_READERS; n++) {
		tasks[n] = kthread_run(n < NR_WRITERS ? hot_writer : hot_reader,
				       h, "masstree_hot%d", n);
		if (IS_ERR(tasks[n]))
			break;
	}
	KUNIT_EXPECT_EQ(test, n, NR_WRITERS + NR_READERS);
	msleep(MASSTREE_STRESS_MS);
	while (n--)
		kthread_stop(tasks[n]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&h->errors), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&h->ops), 0L);
	KUNIT_EXPECT_EQ(test, masstree_count(h->mt), (unsigned long)HOT_KEYS);
	KUNIT_EXPECT_TREE_VALID(test, h->mt);
	kunit_info(test, "%ld replaces", atomic_long_read(&h->ops));
	masstree_destroy(h->mt);
	masstree_reclaim_flush();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&test_values_live), 0L);
}

/*
 * With one leaf held locked, a put into another leaf and a get of the
 * locked leaf's keys both complete: writers lock single nodes, readers
 * none. A tree-wide writer lock fails this.
 */
struct held_leaf {
	struct masstree *mt;
	u64 far_key, near_key;
	int put_err, get_err;
	atomic_t done;
};

static int held_leaf_worker(void *arg)
{
	struct held_leaf *hl = arg;
	u8 key[8];
	u64 value;

	test_put_be64(hl->far_key, key);
	hl->put_err = masstree_put_index(hl->mt, key, 8, 1, MASSTREE_ANY,
					 GFP_KERNEL);
	test_put_be64(hl->near_key, key);
	hl->get_err = masstree_get_index(hl->mt, key, 8, &value);
	/* Pairs with the test's smp_rmb(): results before done. */
	smp_wmb();
	atomic_set(&hl->done, 1);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static void a_locked_leaf_holds_up_no_other_writer_or_reader(struct kunit *test)
{
	struct held_leaf *hl = kunit_kzalloc(test, sizeof(*hl), GFP_KERNEL);
	struct masstree_leaf *lf;
	struct task_struct *task;
	unsigned long end;
	bool done = false;
	u8 key[8];
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, hl);
	hl->mt = kunit_kzalloc(test, sizeof(*hl->mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hl->mt);
	KUNIT_ASSERT_EQ(test, masstree_init(hl->mt, MASSTREE_FLAGS_INDEX, NULL,
					    GFP_KERNEL), 0);
	/* Keys 0, 10, ..., 990: many leaves; 5 and 995 are free to insert. */
	for (i = 0; i < 100; i++) {
		test_put_be64(i * 10, key);
		KUNIT_ASSERT_EQ(test, masstree_put_index(hl->mt, key, 8, i,
							 MASSTREE_ANY,
							 GFP_KERNEL), 0);
	}
	hl->near_key = 10;
	hl->far_key = 995;
	/* Created now, woken under the lock: creating a thread may sleep. */
	task = kthread_create(held_leaf_worker, hl, "masstree_held");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	test_put_be64(hl->near_key, key);
	lf = masstree_test_lock_leaf(hl->mt, key, 8);
	wake_up_process(task);
	/* Spin, not sleep: we hold a node lock, as a writer would. */
	end = jiffies + msecs_to_jiffies(5000);
	while (!(done = atomic_read(&hl->done)) && time_before(jiffies, end))
		cpu_relax();
	/* Pairs with the worker's smp_wmb(). */
	smp_rmb();
	masstree_test_unlock_leaf(lf);
	kthread_stop(task);
	KUNIT_EXPECT_TRUE_MSG(test, done, "put or get waited for another leaf's lock");
	KUNIT_EXPECT_EQ(test, hl->put_err, 0);
	KUNIT_EXPECT_EQ(test, hl->get_err, 0);
	KUNIT_EXPECT_TREE_VALID(test, hl->mt);
	masstree_destroy(hl->mt);
	masstree_reclaim_flush();
}

#ifdef __KERNEL__
#include <linux/hrtimer.h>
#include <linux/timer.h>

/*
 * Lookups from softirq (a timer) and hardirq (an hrtimer) context while
 * process-context writers split the leaves they read: safe because the
 * tree's flags make writers disable BH or IRQs while they hold a node.
 * (Kernel only: userspace has no interrupt context to test.)
 */
struct irq_reader {
	struct masstree *mt;
	struct timer_list timer;
	struct hrtimer hrtimer;
	unsigned long hits;	/* only touched by the callbacks */
	unsigned long misses;
	bool stop;
};

#define IRQ_READER_KEYS	1000

static void irq_reader_lookups(struct irq_reader *r)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		u64 id = get_random_u32() % IRQ_READER_KEYS, value;
		u8 key[8];

		test_put_be64(2 * id, key);
		if (masstree_get_index(r->mt, key, 8, &value) || value != id)
			r->misses++;
		else
			r->hits++;
	}
}

static void softirq_reader(struct timer_list *t)
{
	struct irq_reader *r = from_timer(r, t, timer);

	irq_reader_lookups(r);
	if (!READ_ONCE(r->stop))
		mod_timer(&r->timer, jiffies + 1);
}

static enum hrtimer_restart hardirq_reader(struct hrtimer *t)
{
	struct irq_reader *r = container_of(t, struct irq_reader, hrtimer);

	irq_reader_lookups(r);
	if (READ_ONCE(r->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(250 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void lookups_from_interrupts(struct kunit *test, unsigned int flags)
{
	struct irq_reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned long end, odd;
	u8 key[8];
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->mt = kunit_kzalloc(test, sizeof(*r->mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->mt);
	KUNIT_ASSERT_EQ(test, masstree_init(r->mt, MASSTREE_FLAGS_INDEX | flags,
					    NULL, GFP_KERNEL), 0);
	for (i = 0; i < IRQ_READER_KEYS; i++) {
		test_put_be64(2 * i, key);
		KUNIT_ASSERT_EQ(test, masstree_put_index(r->mt, key, 8, i,
							 MASSTREE_ANY,
							 GFP_KERNEL), 0);
	}
	if (flags & MASSTREE_FLAGS_LOCK_IRQ) {
		hrtimer_init(&r->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		r->hrtimer.function = hardirq_reader;
		hrtimer_start(&r->hrtimer, ns_to_ktime(250 * NSEC_PER_USEC), HRTIMER_MODE_REL);
	} else {
		timer_setup(&r->timer, softirq_reader, 0);
		mod_timer(&r->timer, jiffies + 1);
	}
	/* Odd keys land between the readers' keys: their leaves split. */
	end = jiffies + msecs_to_jiffies(MASSTREE_STRESS_MS);
	for (odd = 0; time_before(jiffies, end); odd++) {
		test_put_be64(2 * (get_random_u32() % IRQ_READER_KEYS) + 1, key);
		KUNIT_EXPECT_EQ(test, masstree_put_index(r->mt, key, 8, odd,
							 MASSTREE_ANY,
							 GFP_KERNEL), 0);
		if (!(odd & 63))
			cond_resched();
	}
	WRITE_ONCE(r->stop, true);
	if (flags & MASSTREE_FLAGS_LOCK_IRQ)
		hrtimer_cancel(&r->hrtimer);
	else
		del_timer_sync(&r->timer);
	KUNIT_EXPECT_EQ(test, r->misses, 0UL);
	KUNIT_EXPECT_GT(test, r->hits, 0UL);
	KUNIT_EXPECT_TREE_VALID(test, r->mt);
	kunit_info(test, "%lu lookups from interrupts, %lu puts", r->hits, odd);
	masstree_destroy(r->mt);
	masstree_reclaim_flush();
}

static void lookups_from_softirq_with_lock_bh(struct kunit *test)
{
	lookups_from_interrupts(test, MASSTREE_FLAGS_LOCK_BH);
}

static void lookups_from_hardirq_with_lock_irq(struct kunit *test)
{
	lookups_from_interrupts(test, MASSTREE_FLAGS_LOCK_IRQ);
}
#endif

static struct kunit_case masstree_concurrent_cases[] = {
	KUNIT_CASE(writers_on_disjoint_keys_and_checking_readers),
	KUNIT_CASE(writers_on_the_same_keys_and_checking_readers),
	KUNIT_CASE(same_hot_keys_replaced_by_every_thread),
	KUNIT_CASE(a_locked_leaf_holds_up_no_other_writer_or_reader),
#ifdef __KERNEL__
	KUNIT_CASE(lookups_from_softirq_with_lock_bh),
	KUNIT_CASE(lookups_from_hardirq_with_lock_irq),
#endif
	{}
};

static struct kunit_suite masstree_concurrent_suite = {
	.name = "masstree_concurrent",
	.test_cases = masstree_concurrent_cases,
};

kunit_test_suites(&masstree_concurrent_suite);
