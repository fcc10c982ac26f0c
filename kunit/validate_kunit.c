// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_validate: the validator catches every kind of corruption it
 * claims to. Each case breaks one invariant of a valid tree, expects the
 * matching verdict, mends it and expects the tree valid again.
 */
#include "tree_test.h"
#include "tree.h"

/* A tree with internodes, many leaves and layers: universe keys 0..1999. */
static struct masstree *corruptible_tree(struct kunit *test)
{
	struct masstree *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	u8 key[TREE_TEST_KEY_MAX];
	u64 id;

	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, masstree_init(mt, MASSTREE_FLAGS_INDEX, NULL,
					    GFP_KERNEL), 0);
	for (id = 0; id < 2000; id++)
		KUNIT_ASSERT_EQ(test, masstree_put_index(mt, key,
							 tree_test_key(id, key),
							 id, MASSTREE_ANY,
							 GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, masstree_validate(mt), (int)MASSTREE_VALID);
	KUNIT_ASSERT_FALSE(test, masstree_node_is_leaf(mt->root));
	return mt;
}

/* The second leaf of layer 0: not leftmost, has a next, and a parent. */
static struct masstree_leaf *second_leaf(struct masstree *mt)
{
	struct masstree_node *n = masstree_layer_root(mt->root);

	while (!masstree_node_is_leaf(n))
		n = masstree_to_internode(n)->child[0];
	return masstree_to_leaf(n)->next;
}

/* A slot of layer 0 that links to a deeper layer. */
static struct masstree_leaf *leaf_with_layer(struct masstree *mt,
					     unsigned int *slot)
{
	struct masstree_leaf *lf = second_leaf(mt)->prev;

	for (; lf; lf = lf->next) {
		for (*slot = 0; *slot < MASSTREE_LEAF_WIDTH; (*slot)++)
			if (lf->klen[*slot] == MASSTREE_KLEN_LAYER &&
			    masstree_perm_position_of(lf->permutation, *slot) <
			    masstree_perm_size(lf->permutation))
				return lf;
	}
	return NULL;
}

#define EXPECT_VERDICT(test, mt, code) \
	KUNIT_EXPECT_STREQ(test, masstree_invalid_name(masstree_validate(mt)), \
			   masstree_invalid_name(code))

static void catches_a_bad_permuter(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	u64 perm = lf->permutation;

	/* One slot twice, another never. */
	lf->permutation = (perm & ~0xf0ULL) | (perm & 0xf00) >> 4;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_PERM);
	lf->permutation = perm;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_keys_out_of_order_in_a_leaf(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	u64 perm = lf->permutation;

	lf->permutation = masstree_perm_swap(perm, 1, 2);
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_ORDER);
	lf->permutation = perm;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_key_beyond_its_parents_bounds(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	unsigned int last = masstree_perm_slot(lf->permutation,
			masstree_perm_size(lf->permutation) - 1);
	u64 ikey = lf->ikey[last];

	lf->ikey[last] = lf->next->ikey[0];	/* the next leaf's range */
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_BOUNDS);
	lf->ikey[last] = ikey;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_wrong_low_slice(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	u64 ikey = lf->ikey[0];

	lf->ikey[0] = ikey - 1;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_LOWKEY);
	lf->ikey[0] = ikey;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_wrong_parent_pointer(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	struct masstree_internode *parent = lf->node.parent;

	lf->node.parent = NULL;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_PARENT);
	lf->node.parent = parent;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_broken_b_link(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	struct masstree_leaf *next = lf->next;

	lf->next = next->next;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_LINK);
	lf->next = next;
	next->prev = NULL;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_LINK);
	next->prev = lf;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_layer_root_that_is_not_a_root(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	unsigned int slot;
	struct masstree_leaf *lf = leaf_with_layer(mt, &slot);
	struct masstree_node *root;

	KUNIT_ASSERT_NOT_NULL(test, lf);
	root = lf->lv[slot].layer;
	root->version &= ~MASSTREE_V_ROOT;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_LAYER);
	root->version |= MASSTREE_V_ROOT;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_bad_length_code(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);
	unsigned int slot = masstree_perm_slot(lf->permutation, 0);
	u8 klen = lf->klen[slot];

	lf->klen[slot] = MASSTREE_KLEN_LAYER + 1;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_KLEN);
	lf->klen[slot] = klen;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_a_node_left_locked(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);
	struct masstree_leaf *lf = second_leaf(mt);

	lf->node.version |= MASSTREE_V_LOCKED;
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_VERSION);
	lf->node.version &= ~MASSTREE_V_LOCKED;
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static void catches_wrong_counters(struct kunit *test)
{
	struct masstree *mt = corruptible_tree(test);

	percpu_counter_add(&mt->nr_entries, 1);
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_COUNT);
	percpu_counter_add(&mt->nr_entries, -1);
	percpu_counter_add(&mt->nr_bytes, 64);
	EXPECT_VERDICT(test, mt, MASSTREE_BAD_BYTES);
	percpu_counter_add(&mt->nr_bytes, -64);
	EXPECT_VERDICT(test, mt, MASSTREE_VALID);
	masstree_destroy(mt);
}

static struct kunit_case masstree_validate_cases[] = {
	KUNIT_CASE(catches_a_bad_permuter),
	KUNIT_CASE(catches_keys_out_of_order_in_a_leaf),
	KUNIT_CASE(catches_a_key_beyond_its_parents_bounds),
	KUNIT_CASE(catches_a_wrong_low_slice),
	KUNIT_CASE(catches_a_wrong_parent_pointer),
	KUNIT_CASE(catches_a_broken_b_link),
	KUNIT_CASE(catches_a_layer_root_that_is_not_a_root),
	KUNIT_CASE(catches_a_bad_length_code),
	KUNIT_CASE(catches_a_node_left_locked),
	KUNIT_CASE(catches_wrong_counters),
	{}
};

static struct kunit_suite masstree_validate_suite = {
	.name = "masstree_validate",
	.test_cases = masstree_validate_cases,
};

kunit_test_suites(&masstree_validate_suite);
