// SPDX-License-Identifier: GPL-2.0
/*
 * broken_leak - two leaks the KUnit case cannot see (it passes):
 * - the case drops its only pointer to a kmalloc'd buffer: the runner's
 *   kmemleak scans while the module is loaded must report it, named;
 * - module init keeps a buffer in a global that module exit forgets to
 *   free: the scans after rmmod must report it, by address range.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

/* Allocate, fill and drop the only pointer: nothing can free it any more. */
static noinline bool broken_leak_alloc(void)
{
	u8 *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return false;
	memset(p, 0x5a, 128);
	return true;
}

/*
 * kmemleak scans task stacks, and dead frames below ours may still hold a
 * copy of the pointer (spilled by kmalloc's callees). Overwrite a few KiB of
 * the stack below this frame so no stale reference hides the leak.
 */
static noinline void broken_leak_scrub_stack(int depth)
{
	char buf[512];

	memzero_explicit(buf, sizeof(buf));
	if (depth > 0)
		broken_leak_scrub_stack(depth - 1);
	barrier_data(buf);	/* keep the frame alive: no tail call */
}

static void broken_leak_lost_buffer(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, broken_leak_alloc());
	broken_leak_scrub_stack(8);
}

static void *broken_leak_global;

/*
 * Core text, not __init, and no tail call: after rmmod the innermost
 * module frame of the backtrace still falls in the module's recorded
 * address range (freed init text may be reused by the next module).
 */
static noinline void broken_leak_keep(void)
{
	/* volatile store: the compiler must not drop an unread global */
	WRITE_ONCE(broken_leak_global, kmalloc(64, GFP_KERNEL));
}

static int __init broken_leak_init(void)
{
	broken_leak_keep();
	return 0;
}

static void __exit broken_leak_exit(void)
{
	WRITE_ONCE(broken_leak_global, NULL);	/* "forgets" kfree() */
}

module_init(broken_leak_init);
module_exit(broken_leak_exit);

static struct kunit_case broken_leak_cases[] = {
	KUNIT_CASE(broken_leak_lost_buffer),
	{}
};

static struct kunit_suite broken_leak_suite = {
	.name = "broken_leak",
	.test_cases = broken_leak_cases,
};

kunit_test_suite(broken_leak_suite);

MODULE_DESCRIPTION("mtvm self-test: a kmalloc leak");
MODULE_LICENSE("GPL");
