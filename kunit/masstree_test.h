/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the suites need that differs between the kernel (KUnit under QEMU)
 * and the userspace harness: how big to make a test, how long a stress
 * case runs, and how to make the next allocation fail.
 */
#ifndef _MASSTREE_TEST_H
#define _MASSTREE_TEST_H

#include <kunit/test.h>

#ifdef __KERNEL__
#include <linux/sched.h>

extern unsigned int masstree_kunit_scale;
#define masstree_test_scale()		masstree_kunit_scale
#define MASSTREE_TEST_IN_KERNEL		1

/*
 * The @n-th fault-injection site from now in this task fails. With
 * kmemleak on, one allocation may count as two sites, so callers walk n.
 */
static inline bool masstree_test_fail_nth(unsigned int n)
{
#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = n;
	return true;
#else
	return false;
#endif
}
#else
#include "../tools/testing/harness.h"

#define masstree_test_scale()		harness_scale
#define MASSTREE_TEST_IN_KERNEL		0

static inline bool masstree_test_fail_nth(unsigned int n)
{
	harness_fail_nth(n);
	return true;
}
#endif

/* A size for a test: @kernel under KUnit, @user natively, times the scale. */
#define MASSTREE_TEST_N(kernel, user) \
	((MASSTREE_TEST_IN_KERNEL ? (kernel) : (user)) * masstree_test_scale())

/* How long a stress case runs, in ms: well under the 120 s hung-task limit. */
#define MASSTREE_STRESS_MS	MASSTREE_TEST_N(2000, 500)

#endif /* _MASSTREE_TEST_H */
