// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_nodeversion: the node lock, dirty bits, change counters and
 * their wrap, and a concurrent check that readers never accept torn data.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/preempt.h>
#include "masstree_test.h"
#include "nodeversion.h"

static void lock_sets_the_bit_and_disables_preemption(struct kunit *test)
{
	u64 version = MASSTREE_V_LEAF;
	int before = preempt_count();
	u64 locked = masstree_v_lock(&version);

	KUNIT_EXPECT_TRUE(test, masstree_v_is_locked(locked));
	KUNIT_EXPECT_EQ(test, version, locked);
	KUNIT_EXPECT_GT(test, preempt_count(), before);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_EQ(test, preempt_count(), before);
	KUNIT_EXPECT_EQ(test, version, (u64)MASSTREE_V_LEAF);
}

static void trylock_fails_while_locked(struct kunit *test)
{
	u64 version = 0;
	int before = preempt_count();

	KUNIT_EXPECT_TRUE(test, masstree_v_trylock(&version));
	KUNIT_EXPECT_FALSE(test, masstree_v_trylock(&version));
	masstree_v_unlock(&version);
	KUNIT_EXPECT_EQ(test, preempt_count(), before);
	KUNIT_EXPECT_TRUE(test, masstree_v_trylock(&version));
	masstree_v_unlock(&version);
}

/* Taking and dropping the lock without marking anything is not a change. */
static void clean_unlock_is_not_a_change(struct kunit *test)
{
	u64 version = MASSTREE_V_ROOT;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	KUNIT_EXPECT_FALSE(test, masstree_v_has_changed(&version, v));
	masstree_v_unlock(&version);
	KUNIT_EXPECT_FALSE(test, masstree_v_has_changed(&version, v));
}

static void insert_bumps_vinsert_only(struct kunit *test)
{
	u64 version = MASSTREE_V_LEAF;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_insert(&version);
	KUNIT_EXPECT_TRUE(test, masstree_v_has_changed(&version, v));
	masstree_v_unlock(&version);
	KUNIT_EXPECT_TRUE(test, masstree_v_has_changed(&version, v));
	KUNIT_EXPECT_FALSE(test, masstree_v_has_split(&version, v));
	KUNIT_EXPECT_EQ(test, version, v + MASSTREE_V_VINSERT_ONE);
}

static void split_bumps_vsplit(struct kunit *test)
{
	u64 version = MASSTREE_V_LEAF;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_split(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
	KUNIT_EXPECT_EQ(test, version, v + MASSTREE_V_VSPLIT_ONE);
}

static void insert_and_split_in_one_section_bump_both(struct kunit *test)
{
	u64 version = 0;

	masstree_v_lock(&version);
	masstree_v_mark_insert(&version);
	masstree_v_mark_split(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_EQ(test, version,
			MASSTREE_V_VINSERT_ONE + MASSTREE_V_VSPLIT_ONE);
}

/* A vinsert overflow carries into vsplit: readers see a split, never ABA. */
static void vinsert_wrap_carries_into_vsplit(struct kunit *test)
{
	u64 version = MASSTREE_V_VINSERT | MASSTREE_V_LEAF;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_insert(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_EQ(test, version & MASSTREE_V_VINSERT, 0ULL);
	KUNIT_EXPECT_EQ(test, version & MASSTREE_V_VSPLIT, MASSTREE_V_VSPLIT_ONE);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_leaf(version));
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
}

static void vsplit_wrap_is_still_a_change(struct kunit *test)
{
	u64 version = MASSTREE_V_VSPLIT | MASSTREE_V_ROOT;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_split(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_EQ(test, version, (u64)MASSTREE_V_ROOT);
	KUNIT_EXPECT_TRUE(test, masstree_v_has_changed(&version, v));
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
}

static void deleted_marks_split_and_sticks(struct kunit *test)
{
	u64 version = MASSTREE_V_LEAF;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_deleted(&version);
	KUNIT_EXPECT_TRUE(test, version & MASSTREE_V_DIRTY);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_deleted(version));
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
	KUNIT_EXPECT_FALSE(test, version & MASSTREE_V_DIRTY);
}

static void root_flips_are_split_class_changes(struct kunit *test)
{
	u64 version = 0;
	u64 v = masstree_v_stable(&version);

	masstree_v_lock(&version);
	masstree_v_mark_root(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_root(version));
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
	v = masstree_v_stable(&version);
	masstree_v_lock(&version);
	masstree_v_mark_nonroot(&version);
	masstree_v_unlock(&version);
	KUNIT_EXPECT_FALSE(test, masstree_v_is_root(version));
	KUNIT_EXPECT_TRUE(test, masstree_v_has_split(&version, v));
}

/*
 * The concurrent check: writers keep a == b and count their sections under
 * the node lock; readers read a and b optimistically and must never accept
 * a pair that differs. The count proves the lock excludes writers.
 */
struct version_race {
	u64 version;
	u64 a;
	u64 b;
	unsigned long sections;		/* only written under the lock */
	atomic_long_t accepted;
	atomic_long_t retried;
	atomic_long_t torn;
};

static int version_race_writer(void *arg)
{
	struct version_race *r = arg;
	unsigned long mine = 0;

	while (!kthread_should_stop()) {
		masstree_v_lock(&r->version);
		masstree_v_mark_insert(&r->version);
		WRITE_ONCE(r->a, r->a + 1);
		/* Widen the window in which a is ahead of b. */
		cpu_relax();
		WRITE_ONCE(r->b, r->b + 1);
		r->sections++;
		if (!(mine & 63))
			masstree_v_mark_split(&r->version);
		masstree_v_unlock(&r->version);
		mine++;
		if (!(mine & 255))
			cond_resched();
	}
	return mine;
}

static int version_race_reader(void *arg)
{
	struct version_race *r = arg;
	unsigned long accepted = 0, retried = 0, torn = 0;

	while (!kthread_should_stop()) {
		u64 v = masstree_v_stable(&r->version);
		u64 a = READ_ONCE(r->a);
		u64 b = READ_ONCE(r->b);

		if (masstree_v_has_changed(&r->version, v)) {
			retried++;
			continue;
		}
		accepted++;
		if (a != b)
			torn++;
		if (!(accepted & 255))
			cond_resched();
	}
	atomic_long_add(accepted, &r->accepted);
	atomic_long_add(retried, &r->retried);
	atomic_long_add(torn, &r->torn);
	return 0;
}

static void readers_never_accept_torn_writes(struct kunit *test)
{
	struct version_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct task_struct *threads[4];
	unsigned long total = 0;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < 4; i++) {
		threads[i] = kthread_run(i < 2 ? version_race_writer :
					 version_race_reader, r,
					 "masstree_vrace%d", i);
		if (IS_ERR(threads[i]))
			break;
	}
	msleep(MASSTREE_STRESS_MS);
	KUNIT_EXPECT_EQ(test, i, 4);
	while (i--) {
		int ret = kthread_stop(threads[i]);

		if (i < 2)
			total += ret;
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->torn), 0L);
	KUNIT_EXPECT_EQ(test, r->sections, total);
	KUNIT_EXPECT_EQ(test, r->a, r->b);
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->accepted), 0L);
	KUNIT_EXPECT_FALSE(test, masstree_v_is_locked(r->version));
	kunit_info(test, "%lu writes, %ld reads accepted, %ld retried",
		   total, atomic_long_read(&r->accepted),
		   atomic_long_read(&r->retried));
}

static struct kunit_case masstree_nodeversion_cases[] = {
	KUNIT_CASE(lock_sets_the_bit_and_disables_preemption),
	KUNIT_CASE(trylock_fails_while_locked),
	KUNIT_CASE(clean_unlock_is_not_a_change),
	KUNIT_CASE(insert_bumps_vinsert_only),
	KUNIT_CASE(split_bumps_vsplit),
	KUNIT_CASE(insert_and_split_in_one_section_bump_both),
	KUNIT_CASE(vinsert_wrap_carries_into_vsplit),
	KUNIT_CASE(vsplit_wrap_is_still_a_change),
	KUNIT_CASE(deleted_marks_split_and_sticks),
	KUNIT_CASE(root_flips_are_split_class_changes),
	KUNIT_CASE(readers_never_accept_torn_writes),
	{}
};

static struct kunit_suite masstree_nodeversion_suite = {
	.name = "masstree_nodeversion",
	.test_cases = masstree_nodeversion_cases,
};

kunit_test_suites(&masstree_nodeversion_suite);
