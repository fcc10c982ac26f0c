// SPDX-License-Identifier: GPL-2.0
/*
 * broken_good - the control for the runner self-test: one KUnit case that
 * passes and nothing else, so a clean run must be reported as clean.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void broken_good_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static struct kunit_case broken_good_cases[] = {
	KUNIT_CASE(broken_good_passes),
	{}
};

static struct kunit_suite broken_good_suite = {
	.name = "broken_good",
	.test_cases = broken_good_cases,
};

kunit_test_suite(broken_good_suite);

MODULE_DESCRIPTION("mtvm self-test: a KUnit case that passes");
MODULE_LICENSE("GPL");
