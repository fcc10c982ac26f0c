// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_harness: the userspace harness's own promises, so the suites
 * that lean on them can trust them: failure injection and the
 * allocation count.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <kunit/test.h>
#include "harness.h"
#include "reclaim.h"

static void fail_nth_fails_exactly_that_allocation(struct kunit *test)
{
	void *a, *b, *c;

	harness_fail_nth(2);
	a = kmalloc(8, GFP_KERNEL);
	b = kmalloc(8, GFP_KERNEL);
	c = kmalloc(8, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_NULL(test, b);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kfree(a);
	kfree(c);
}

static void nonblocking_budget_fails_only_nonblocking_allocations(struct kunit *test)
{
	void *atomic, *nowait, *kernel, *spent;

	harness_nonblocking_budget(1);
	atomic = kmalloc(8, GFP_ATOMIC);
	nowait = kmalloc(8, GFP_NOWAIT);
	kernel = kmalloc(8, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, atomic);
	KUNIT_EXPECT_NULL(test, nowait);
	KUNIT_EXPECT_NOT_NULL(test, kernel);
	harness_nonblocking_budget(-1);
	spent = kmalloc(8, GFP_NOWAIT);
	KUNIT_EXPECT_NOT_NULL(test, spent);
	kfree(atomic);
	kfree(kernel);
	kfree(spent);
}

static void live_count_follows_kmalloc_and_slab(struct kunit *test)
{
	struct kmem_cache *cache = kmem_cache_create("harness_test", 40, 0, 0, NULL);
	long before;
	void *p, *q;

	KUNIT_ASSERT_NOT_NULL(test, cache);
	/* Earlier suites' deferred frees must not happen while we count. */
	masstree_reclaim_flush();
	before = harness_live_allocations();
	p = kmalloc(100, GFP_KERNEL);
	q = kmem_cache_alloc(cache, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, harness_live_allocations(), before + 2);
	kfree(p);
	kmem_cache_free(cache, q);
	KUNIT_EXPECT_EQ(test, harness_live_allocations(), before);
	kmem_cache_destroy(cache);
}

static struct kunit_case masstree_harness_cases[] = {
	KUNIT_CASE(fail_nth_fails_exactly_that_allocation),
	KUNIT_CASE(nonblocking_budget_fails_only_nonblocking_allocations),
	KUNIT_CASE(live_count_follows_kmalloc_and_slab),
	{}
};

static struct kunit_suite masstree_harness_suite = {
	.name = "masstree_harness",
	.test_cases = masstree_harness_cases,
};

kunit_test_suites(&masstree_harness_suite);
