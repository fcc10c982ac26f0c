// SPDX-License-Identifier: GPL-2.0
/*
 * broken_race - two kthreads increment a shared counter with plain,
 * unlocked accesses for about 1.5 s. KCSAN (race kernel only) reports the
 * data race; the case itself passes, so only the console scan catches it.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

static unsigned long broken_race_counter;

static int broken_race_thread(void *arg)
{
	while (!kthread_should_stop()) {
		broken_race_counter++;	/* the data race */
		cond_resched();
	}
	return 0;
}

static void broken_race_plain_counter(struct kunit *test)
{
	struct task_struct *t[2];
	int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		t[i] = kthread_run(broken_race_thread, NULL, "broken_race/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	msleep(1500);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		kthread_stop(t[i]);
	KUNIT_EXPECT_GT(test, broken_race_counter, 0UL);
}

static struct kunit_case broken_race_cases[] = {
	KUNIT_CASE(broken_race_plain_counter),
	{}
};

static struct kunit_suite broken_race_suite = {
	.name = "broken_race",
	.test_cases = broken_race_cases,
};

kunit_test_suite(broken_race_suite);

MODULE_DESCRIPTION("mtvm self-test: a data race between two kthreads");
MODULE_LICENSE("GPL");
