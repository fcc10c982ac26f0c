// SPDX-License-Identifier: GPL-2.0
/*
 * broken_fail - a KUnit case that fails: the runner must report the failed
 * case and exit non-zero.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void broken_fail_expect(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 2);
}

static struct kunit_case broken_fail_cases[] = {
	KUNIT_CASE(broken_fail_expect),
	{}
};

static struct kunit_suite broken_fail_suite = {
	.name = "broken_fail",
	.test_cases = broken_fail_cases,
};

kunit_test_suite(broken_fail_suite);

MODULE_DESCRIPTION("mtvm self-test: a failing KUnit case");
MODULE_LICENSE("GPL");
