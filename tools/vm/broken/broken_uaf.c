// SPDX-License-Identifier: GPL-2.0
/*
 * broken_uaf - a use-after-free in a kthread the test spawns. KASAN reports
 * it, but the report is raised outside the KUnit case's thread, so the case
 * itself still passes: only the runner's console scan can catch it.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

struct broken_uaf_ctx {
	int *victim;
	int seen;
	struct completion done;
};

static int broken_uaf_reader(void *arg)
{
	struct broken_uaf_ctx *ctx = arg;

	ctx->seen = READ_ONCE(*ctx->victim);	/* reads freed memory */
	complete(&ctx->done);
	return 0;
}

static void broken_uaf_kthread_read(struct kunit *test)
{
	struct broken_uaf_ctx ctx = {};
	struct task_struct *t;

	ctx.victim = kmalloc_array(16, sizeof(*ctx.victim), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx.victim);
	ctx.victim[0] = 42;
	kfree(ctx.victim);
	init_completion(&ctx.done);

	t = kthread_run(broken_uaf_reader, &ctx, "broken_uaf");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/* ctx lives on our stack: the reader must be done before we return */
	wait_for_completion(&ctx.done);
}

static struct kunit_case broken_uaf_cases[] = {
	KUNIT_CASE(broken_uaf_kthread_read),
	{}
};

static struct kunit_suite broken_uaf_suite = {
	.name = "broken_uaf",
	.test_cases = broken_uaf_cases,
};

kunit_test_suite(broken_uaf_suite);

MODULE_DESCRIPTION("mtvm self-test: use-after-free in a kthread");
MODULE_LICENSE("GPL");
