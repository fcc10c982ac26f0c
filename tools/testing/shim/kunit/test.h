/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the subset of KUnit the suites in kunit/ use, so the same
 * test files run natively (under ASan and UBSan) and as a kernel module.
 * A failed ASSERT longjmp()s out of the case, as the kernel ends the test's
 * kthread; resources from kunit_kzalloc() are freed after each case.
 */
#ifndef _SHIM_KUNIT_TEST_H
#define _SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include <linux/types.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/module.h>

#define KUNIT_PARAM_DESC_SIZE	128

struct kunit_resource_list;

enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

struct kunit {
	const char *name;
	enum kunit_status status;
	jmp_buf *abort;
	struct kunit_resource_list *resources;
	const void *param_value;
	void *priv;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
};

struct kunit_suite {
	const char name[256];
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)			{ .run_case = fn, .name = #fn }
#define KUNIT_CASE_PARAM(fn, gen)	{ .run_case = fn, .name = #fn, \
					  .generate_params = gen }

#define KUNIT_ARRAY_PARAM(name, array, get_desc)			\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		__typeof__((array)[0]) *__next = prev ?			\
			((__typeof__(__next))prev) + 1 : (array);	\
		void (*__get_desc)(__typeof__(__next), char *) = get_desc; \
		if (__next - (array) < (long)ARRAY_SIZE(array)) {	\
			if (__get_desc)					\
				__get_desc(__next, desc);		\
			return __next;					\
		}							\
		return NULL;						\
	}

void kunit_shim_register(struct kunit_suite **suites, size_t n);

#define __SHIM_CAT2(a, b)	a##b
#define __SHIM_CAT(a, b)	__SHIM_CAT2(a, b)
#define __shim_test_suites(array, reg, ...)				\
	static struct kunit_suite *array[] = { __VA_ARGS__ };		\
	static void __attribute__((constructor)) reg(void)		\
	{								\
		kunit_shim_register(array, ARRAY_SIZE(array));		\
	}
#define kunit_test_suites(...)						\
	__shim_test_suites(__SHIM_CAT(__shim_suites_, __LINE__),	\
			   __SHIM_CAT(__shim_register_, __LINE__), __VA_ARGS__)
#define kunit_test_suite(suite)	kunit_test_suites(&suite)

void kunit_shim_explain(struct kunit *test, const char *file, int line,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kunit_shim_failed(struct kunit *test, bool assert, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kunit_shim_log(struct kunit *test, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp);
void kunit_kfree(struct kunit *test, const void *p);
void kunit_shim_skip(struct kunit *test, const char *reason);

#define kunit_kzalloc(test, size, gfp)	kunit_kmalloc(test, size, (gfp) | __GFP_ZERO)
#define kunit_kcalloc(test, n, size, gfp) kunit_kzalloc(test, (n) * (size), gfp)
#define kunit_kmalloc_array(test, n, size, gfp) kunit_kmalloc(test, (n) * (size), gfp)
#define kunit_info(test, fmt, ...)	kunit_shim_log(test, "", fmt, ##__VA_ARGS__)
#define kunit_warn(test, fmt, ...)	kunit_shim_log(test, "warning: ", fmt, ##__VA_ARGS__)
#define kunit_err(test, fmt, ...)	kunit_shim_log(test, "error: ", fmt, ##__VA_ARGS__)
#define kunit_skip(test, reason)	kunit_shim_skip(test, reason)

/* Explain what failed, add the caller's message, end the case on ASSERT. */
#define __KUNIT_CHECK(test, assert, cond, explain, ...) do {		\
	if (unlikely(!(cond))) {					\
		kunit_shim_explain(test, __FILE__, __LINE__, "%s", explain); \
		kunit_shim_failed(test, assert, __VA_ARGS__);		\
	}								\
} while (0)

#define __KUNIT_BINARY(test, assert, a, op, b, ...) do {		\
	__auto_type __a = (a);						\
	__auto_type __b = (b);						\
	if (unlikely(!(__a op __b))) {					\
		kunit_shim_explain(test, __FILE__, __LINE__,		\
			"Expected %s %s %s, but\n"			\
			"        %s == %lld (0x%llx)\n"			\
			"        %s == %lld (0x%llx)\n",			\
			#a, #op, #b,					\
			#a, (long long)__a, (unsigned long long)__a,	\
			#b, (long long)__b, (unsigned long long)__b);	\
		kunit_shim_failed(test, assert, __VA_ARGS__);		\
	}								\
} while (0)

#define __KUNIT_PTR(test, assert, a, op, b, ...) do {			\
	const void *__a = (a), *__b = (b);				\
	if (unlikely(!(__a op __b))) {					\
		kunit_shim_explain(test, __FILE__, __LINE__,		\
			"Expected %s %s %s, but\n"			\
			"        %s == %p\n        %s == %p\n",		\
			#a, #op, #b, #a, __a, #b, __b);			\
		kunit_shim_failed(test, assert, __VA_ARGS__);		\
	}								\
} while (0)

#define __NOMSG				"%s", ""

#define KUNIT_FAIL(t, fmt, ...) \
	__KUNIT_CHECK(t, false, 0, "", fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE(t, c)		__KUNIT_CHECK(t, false, c, "Expected " #c " to be true\n", __NOMSG)
#define KUNIT_EXPECT_FALSE(t, c)	__KUNIT_CHECK(t, false, !(c), "Expected " #c " to be false\n", __NOMSG)
#define KUNIT_ASSERT_TRUE(t, c)		__KUNIT_CHECK(t, true, c, "Expected " #c " to be true\n", __NOMSG)
#define KUNIT_ASSERT_FALSE(t, c)	__KUNIT_CHECK(t, true, !(c), "Expected " #c " to be false\n", __NOMSG)
#define KUNIT_EXPECT_TRUE_MSG(t, c, ...) \
	__KUNIT_CHECK(t, false, c, "Expected " #c " to be true\n", __VA_ARGS__)
#define KUNIT_EXPECT_FALSE_MSG(t, c, ...) \
	__KUNIT_CHECK(t, false, !(c), "Expected " #c " to be false\n", __VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(t, c, ...) \
	__KUNIT_CHECK(t, true, c, "Expected " #c " to be true\n", __VA_ARGS__)
#define KUNIT_ASSERT_FALSE_MSG(t, c, ...) \
	__KUNIT_CHECK(t, true, !(c), "Expected " #c " to be false\n", __VA_ARGS__)

#define KUNIT_EXPECT_EQ(t, a, b)	__KUNIT_BINARY(t, false, a, ==, b, __NOMSG)
#define KUNIT_EXPECT_NE(t, a, b)	__KUNIT_BINARY(t, false, a, !=, b, __NOMSG)
#define KUNIT_EXPECT_LT(t, a, b)	__KUNIT_BINARY(t, false, a, <, b, __NOMSG)
#define KUNIT_EXPECT_LE(t, a, b)	__KUNIT_BINARY(t, false, a, <=, b, __NOMSG)
#define KUNIT_EXPECT_GT(t, a, b)	__KUNIT_BINARY(t, false, a, >, b, __NOMSG)
#define KUNIT_EXPECT_GE(t, a, b)	__KUNIT_BINARY(t, false, a, >=, b, __NOMSG)
#define KUNIT_ASSERT_EQ(t, a, b)	__KUNIT_BINARY(t, true, a, ==, b, __NOMSG)
#define KUNIT_ASSERT_NE(t, a, b)	__KUNIT_BINARY(t, true, a, !=, b, __NOMSG)
#define KUNIT_ASSERT_LT(t, a, b)	__KUNIT_BINARY(t, true, a, <, b, __NOMSG)
#define KUNIT_ASSERT_LE(t, a, b)	__KUNIT_BINARY(t, true, a, <=, b, __NOMSG)
#define KUNIT_ASSERT_GT(t, a, b)	__KUNIT_BINARY(t, true, a, >, b, __NOMSG)
#define KUNIT_ASSERT_GE(t, a, b)	__KUNIT_BINARY(t, true, a, >=, b, __NOMSG)
#define KUNIT_EXPECT_EQ_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, ==, b, __VA_ARGS__)
#define KUNIT_EXPECT_NE_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, !=, b, __VA_ARGS__)
#define KUNIT_EXPECT_LT_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, <, b, __VA_ARGS__)
#define KUNIT_EXPECT_LE_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, <=, b, __VA_ARGS__)
#define KUNIT_EXPECT_GT_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, >, b, __VA_ARGS__)
#define KUNIT_EXPECT_GE_MSG(t, a, b, ...) __KUNIT_BINARY(t, false, a, >=, b, __VA_ARGS__)
#define KUNIT_ASSERT_EQ_MSG(t, a, b, ...) __KUNIT_BINARY(t, true, a, ==, b, __VA_ARGS__)

#define KUNIT_EXPECT_PTR_EQ(t, a, b)	__KUNIT_PTR(t, false, a, ==, b, __NOMSG)
#define KUNIT_EXPECT_PTR_NE(t, a, b)	__KUNIT_PTR(t, false, a, !=, b, __NOMSG)
#define KUNIT_ASSERT_PTR_EQ(t, a, b)	__KUNIT_PTR(t, true, a, ==, b, __NOMSG)
#define KUNIT_ASSERT_PTR_NE(t, a, b)	__KUNIT_PTR(t, true, a, !=, b, __NOMSG)
#define KUNIT_EXPECT_PTR_EQ_MSG(t, a, b, ...) __KUNIT_PTR(t, false, a, ==, b, __VA_ARGS__)
#define KUNIT_EXPECT_NULL(t, p)		KUNIT_EXPECT_PTR_EQ(t, p, NULL)
#define KUNIT_EXPECT_NOT_NULL(t, p)	KUNIT_EXPECT_PTR_NE(t, p, NULL)
#define KUNIT_ASSERT_NULL(t, p)		KUNIT_ASSERT_PTR_EQ(t, p, NULL)
#define KUNIT_ASSERT_NOT_NULL(t, p)	KUNIT_ASSERT_PTR_NE(t, p, NULL)
#define KUNIT_EXPECT_NOT_ERR_OR_NULL(t, p) \
	__KUNIT_CHECK(t, false, !IS_ERR_OR_NULL(p), "Expected " #p " is not error, null\n", __NOMSG)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(t, p) \
	__KUNIT_CHECK(t, true, !IS_ERR_OR_NULL(p), "Expected " #p " is not error, null\n", __NOMSG)
#define KUNIT_EXPECT_STREQ(t, a, b) \
	__KUNIT_CHECK(t, false, !strcmp(a, b), "Expected " #a " == " #b "\n", __NOMSG)

#endif
