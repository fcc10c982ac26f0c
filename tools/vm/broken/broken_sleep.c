// SPDX-License-Identifier: GPL-2.0
/*
 * broken_sleep - a GFP_KERNEL allocation (which may sleep) under a spinlock.
 * DEBUG_ATOMIC_SLEEP reports "sleeping function called from invalid context"
 * even when the allocation does not actually sleep; the case still passes.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(broken_sleep_lock);

static void broken_sleep_alloc_under_spinlock(struct kunit *test)
{
	void *p;

	spin_lock(&broken_sleep_lock);
	p = kmalloc(64, GFP_KERNEL);	/* wrong: may sleep in atomic context */
	spin_unlock(&broken_sleep_lock);
	KUNIT_EXPECT_NOT_NULL(test, p);
	kfree(p);
}

static struct kunit_case broken_sleep_cases[] = {
	KUNIT_CASE(broken_sleep_alloc_under_spinlock),
	{}
};

static struct kunit_suite broken_sleep_suite = {
	.name = "broken_sleep",
	.test_cases = broken_sleep_cases,
};

kunit_test_suite(broken_sleep_suite);

MODULE_DESCRIPTION("mtvm self-test: sleeping allocation under a spinlock");
MODULE_LICENSE("GPL");
