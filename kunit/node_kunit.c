// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_node: node layouts, allocation and deferred freeing.
 */
#include <linux/rcupdate.h>
#include "masstree_test.h"
#include "ksuf.h"
#include "reclaim.h"

static void new_leaf_is_empty_unlocked_and_unlinked(struct kunit *test)
{
	struct masstree_leaf *lf = masstree_leaf_alloc(GFP_KERNEL);
	u64 v;

	KUNIT_ASSERT_NOT_NULL(test, lf);
	v = masstree_v_stable(&lf->node.version);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_leaf(v));
	KUNIT_EXPECT_FALSE(test, masstree_v_is_locked(v));
	KUNIT_EXPECT_FALSE(test, masstree_v_is_deleted(v));
	KUNIT_EXPECT_TRUE(test, masstree_node_is_leaf(&lf->node));
	KUNIT_EXPECT_EQ(test, lf->permutation, MASSTREE_PERM_EMPTY);
	KUNIT_EXPECT_NULL(test, lf->next);
	KUNIT_EXPECT_NULL(test, lf->prev);
	KUNIT_EXPECT_NULL(test, lf->node.parent);
	KUNIT_EXPECT_NULL(test, lf->ksuf);
	masstree_leaf_free(lf);
}

static void new_internode_is_empty(struct kunit *test)
{
	struct masstree_internode *in = masstree_internode_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_EXPECT_FALSE(test, masstree_node_is_leaf(&in->node));
	KUNIT_EXPECT_EQ(test, in->nkeys, 0);
	KUNIT_EXPECT_NULL(test, in->child[0]);
	KUNIT_EXPECT_NULL(test, in->node.parent);
	masstree_internode_free(in);
}

/* Either kind is reached through the shared header and converted back. */
static void header_converts_back_to_its_node(struct kunit *test)
{
	struct masstree_leaf *lf = masstree_leaf_alloc(GFP_KERNEL);
	struct masstree_internode *in = masstree_internode_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, lf);
	KUNIT_ASSERT_NOT_NULL(test, in);
	in->child[0] = &lf->node;
	lf->node.parent = in;
	KUNIT_EXPECT_PTR_EQ(test, masstree_to_leaf(in->child[0]), lf);
	KUNIT_EXPECT_PTR_EQ(test, masstree_to_internode(&in->node), in);
	masstree_leaf_free(lf);
	masstree_internode_free(in);
}

/*
 * A reader inside rcu_read_lock() may keep reading retired nodes: KASAN
 * (or ASan) reports it if the free came early. The second retire finds the
 * first batch's work queued, so it also covers the pending list.
 */
static void retired_nodes_wait_for_readers(struct kunit *test)
{
	struct masstree_leaf *lf = masstree_leaf_alloc(GFP_KERNEL);
	struct masstree_leaf *big = masstree_leaf_alloc_iksuf(GFP_KERNEL);
	struct masstree_internode *in = masstree_internode_alloc(GFP_KERNEL);
	struct masstree mt;
	u64 seen;

	KUNIT_ASSERT_NOT_NULL(test, lf);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_EQ(test, masstree_init(&mt, MASSTREE_FLAGS_INDEX, NULL,
					    GFP_KERNEL), 0);
	lf->ikey[0] = 42;
	rcu_read_lock();
	masstree_node_set_free_next(&lf->node, &in->node);
	masstree_retire(&mt, &lf->node, &in->node);
	masstree_retire(&mt, &big->node, &big->node);
	seen = READ_ONCE(lf->permutation) + READ_ONCE(in->node.version) +
	       READ_ONCE(big->ksuf->size) + READ_ONCE(lf->ikey[0]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, seen, MASSTREE_PERM_EMPTY + MASSTREE_IKSUF_DATA + 42);
	masstree_destroy(&mt);
	masstree_reclaim_flush();
}

/* Walk n until the injected failure misses: every n gives NULL or a leaf. */
static void leaf_alloc_failure_returns_null(struct kunit *test)
{
	unsigned int n;
	bool failed = false;

	for (n = 1; n < 8; n++) {
		struct masstree_leaf *lf;

		if (!masstree_test_fail_nth(n))
			kunit_skip(test, "no fault injection in this kernel");
		lf = masstree_leaf_alloc(GFP_NOWAIT | __GFP_NOWARN);
		masstree_test_fail_nth(0);
		if (!lf) {
			failed = true;
			continue;
		}
		masstree_leaf_free(lf);
		break;
	}
	KUNIT_EXPECT_TRUE(test, failed);
	KUNIT_EXPECT_LT(test, n, 8U);
}

static struct kunit_case masstree_node_cases[] = {
	KUNIT_CASE(new_leaf_is_empty_unlocked_and_unlinked),
	KUNIT_CASE(new_internode_is_empty),
	KUNIT_CASE(header_converts_back_to_its_node),
	KUNIT_CASE(retired_nodes_wait_for_readers),
	KUNIT_CASE(leaf_alloc_failure_returns_null),
	{}
};

static struct kunit_suite masstree_node_suite = {
	.name = "masstree_node",
	.test_cases = masstree_node_cases,
};

kunit_test_suites(&masstree_node_suite);
