// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_regress: masstree-beta's concurrency bugs as deterministic
 * interleavings. A test holds one thread at a hook (tree.h: a point where
 * it holds no node lock), changes the tree under it, then lets it go and
 * checks the outcome:
 *  - #35: an insert whose leaf split, then emptied, lands where lookups go;
 *  - #40: an insert whose leaf was deleted with a redirect of its parent's
 *    low bound is not made unreachable;
 *  - #41: a layer's clean-up and an insert into that layer do not
 *    deadlock, and the insert survives;
 *  - #36: forward and reverse scans over an emptied layer still linked
 *    in its parent end, and see the keys around it;
 *  - #37: every retry path unlocks (the validator finds no node locked);
 *  - #43: emptied layers leave nothing behind (the bytes of a new tree).
 * A lookup held across a remove and a re-insert shows that readers holding
 * old state stay safe (KASAN, ASan), and a scan whose leaf takes in its
 * right sibling's keys mid-scan still returns them.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "tree_test.h"
#include "tree.h"

/* The one thread a test holds: the first to reach @hook with @key. */
static struct {
	enum masstree_hook hook;
	const void *key;
	unsigned int len;
	unsigned int off;	/* only at this depth of the key or deeper */
	int state;	/* 0 idle, 1 armed, 2 held, 3 let go */
} held;

static void regress_hook(enum masstree_hook hook, const struct masstree_key *k)
{
	if (hook != held.hook || k->len != held.len || k->off < held.off ||
	    memcmp(k->data, held.key, held.len))
		return;
	if (cmpxchg(&held.state, 1, 2) != 1)
		return;
	/* May be inside rcu_read_lock(): spin, do not sleep. */
	while (smp_load_acquire(&held.state) == 2)
		cpu_relax();
}

enum regress_op { OP_PUT, OP_REMOVE, OP_GET };

struct regress_call {
	struct masstree *mt;
	enum regress_op op;
	const void *key;
	unsigned int len;
	unsigned int off;	/* hold at this key depth or deeper */
	u64 value;
	struct kref *ref;
	int err;
	struct completion done;
};

static int regress_thread(void *arg)
{
	struct regress_call *c = arg;

	switch (c->op) {
	case OP_PUT:
		c->err = masstree_put_index(c->mt, c->key, c->len, c->value,
					    MASSTREE_ANY, GFP_KERNEL);
		break;
	case OP_REMOVE:
		c->err = masstree_remove_index(c->mt, c->key, c->len, &c->value);
		break;
	case OP_GET:
		c->ref = masstree_get(c->mt, c->key, c->len);
		break;
	}
	complete(&c->done);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* Start @c in a thread and wait until the hook holds it. */
static struct task_struct *regress_start_held(struct kunit *test,
					      struct regress_call *c,
					      enum masstree_hook hook)
{
	struct task_struct *task;
	unsigned long deadline = jiffies + 10 * HZ;

	init_completion(&c->done);
	held.hook = hook;
	held.key = c->key;
	held.len = c->len;
	held.off = c->off;
	WRITE_ONCE(held.state, 1);
	masstree_set_test_hook(regress_hook);
	task = kthread_run(regress_thread, c, "mt_regress");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	while (READ_ONCE(held.state) != 2 && time_before(jiffies, deadline))
		usleep_range(500, 1000);
	KUNIT_EXPECT_EQ(test, READ_ONCE(held.state), 2);
	return task;
}

/* Let the held thread go and wait for its call to return. */
static void regress_finish(struct kunit *test, struct regress_call *c,
			   struct task_struct *task)
{
	/* What we changed before the held thread sees it may go on. */
	smp_store_release(&held.state, 3);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&c->done, 10 * HZ), 0UL);
	kthread_stop(task);
	masstree_set_test_hook(NULL);
}

static int put_u64(struct masstree *mt, u64 key, u64 value)
{
	u8 buf[8];

	test_put_be64(key, buf);
	return masstree_put_index(mt, buf, sizeof(buf), value, MASSTREE_ANY,
				  GFP_KERNEL);
}

static int get_u64(struct masstree *mt, u64 key, u64 *value)
{
	u8 buf[8];

	test_put_be64(key, buf);
	return masstree_get_index(mt, buf, sizeof(buf), value);
}

static int remove_u64(struct masstree *mt, u64 key)
{
	u8 buf[8];

	test_put_be64(key, buf);
	return masstree_remove_index(mt, buf, sizeof(buf), NULL);
}

/*
 * Sequential keys 0, 16, ..., 15984: full leaves, 16 to an internode, a
 * root above. Return the internode that is the root's second child.
 */
static struct masstree_internode *fill_sequential(struct kunit *test,
						  struct masstree *mt)
{
	struct masstree_internode *root;
	u64 i;

	for (i = 0; i < 1000; i++)
		KUNIT_ASSERT_EQ(test, put_u64(mt, i * 16, i), 0);
	KUNIT_ASSERT_FALSE(test, masstree_node_is_leaf(mt->root));
	root = masstree_to_internode(mt->root);
	KUNIT_ASSERT_FALSE(test, masstree_node_is_leaf(root->child[1]));
	return masstree_to_internode(root->child[1]);
}

/*
 * #40. Leaf L is child 0 of a parent that is not leftmost: emptying it
 * deletes it and raises the parent's low bound in the root (a redirect).
 * An insert of a key in L's range, held after it found L, must retry and
 * land in L's left neighbour, where lookups now go.
 */
static void insert_survives_delete_and_redirect(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct regress_call c = { .mt = mt, .op = OP_PUT, .value = 777 };
	struct masstree_internode *root, *pa;
	struct masstree_leaf *lf, *left;
	struct task_struct *task;
	u8 key[8];
	u64 i, low, value;

	pa = fill_sequential(test, mt);
	root = masstree_to_internode(mt->root);
	lf = masstree_to_leaf(pa->child[0]);
	left = lf->prev;
	low = lf->ikey[0];
	KUNIT_ASSERT_EQ(test, root->ikey[0], low);

	test_put_be64(low + 1, key);
	c.key = key;
	c.len = sizeof(key);
	task = regress_start_held(test, &c, MASSTREE_HOOK_WRITE_REACHED);
	for (i = 0; i < MASSTREE_LEAF_WIDTH; i++)
		KUNIT_EXPECT_EQ(test, remove_u64(mt, low + i * 16), 0);
	/* L is gone, the root's separator rose to L's right neighbour. */
	KUNIT_EXPECT_TRUE(test, masstree_v_is_deleted(READ_ONCE(lf->node.version)));
	KUNIT_EXPECT_EQ(test, root->ikey[0], low + 15 * 16);
	KUNIT_EXPECT_PTR_EQ(test, left->next, masstree_to_leaf(pa->child[0]));
	regress_finish(test, &c, task);

	KUNIT_EXPECT_EQ(test, c.err, 0);
	KUNIT_EXPECT_EQ(test, get_u64(mt, low + 1, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 777ULL);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * The rule that keeps #40 away once leaves merge: a leaf left with few
 * keys moves them only into a sibling under the same parent. As child 0
 * it keeps them even when its left neighbour, under another parent, has
 * room (moving them would need a redirect, and a lookup that read the
 * root before it and the parent after would miss them); it takes in its
 * right sibling's keys instead, once both fit in one leaf.
 */
static void few_keys_merge_only_under_the_same_parent(struct kunit *test)
{
	const unsigned int few = MASSTREE_MERGE_BELOW;
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree_internode *pa;
	struct masstree_leaf *lf, *second, *left;
	u64 i, low, low2, value;

	pa = fill_sequential(test, mt);
	lf = masstree_to_leaf(pa->child[0]);
	second = masstree_to_leaf(pa->child[1]);
	left = lf->prev;
	low = lf->ikey[0];
	low2 = second->ikey[0];
	KUNIT_ASSERT_EQ(test, masstree_perm_size(lf->permutation),
			(u64)MASSTREE_LEAF_WIDTH);
	/* Room in the left neighbour, under another parent. */
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, remove_u64(mt, low - 16 - i * 16), 0);
	/* Child 0 down to few keys: its full right sibling cannot take them. */
	for (i = few; i < MASSTREE_LEAF_WIDTH; i++)
		KUNIT_EXPECT_EQ(test, remove_u64(mt, low + i * 16), 0);
	KUNIT_EXPECT_FALSE(test, masstree_v_is_deleted(READ_ONCE(lf->node.version)));
	KUNIT_EXPECT_EQ(test, masstree_perm_size(lf->permutation), (u64)few);
	KUNIT_EXPECT_EQ(test, masstree_perm_size(left->permutation),
			(u64)MASSTREE_LEAF_WIDTH - 8);
	/* Child 1 down to one key too many to merge. */
	for (i = few + 1; i < MASSTREE_LEAF_WIDTH; i++)
		KUNIT_EXPECT_EQ(test, remove_u64(mt, low2 + i * 16), 0);
	KUNIT_EXPECT_FALSE(test, masstree_v_is_deleted(READ_ONCE(second->node.version)));
	/* One more remove from child 0: it takes in child 1. */
	KUNIT_EXPECT_EQ(test, remove_u64(mt, low + (few - 1) * 16), 0);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_deleted(READ_ONCE(second->node.version)));
	KUNIT_EXPECT_EQ(test, masstree_perm_size(lf->permutation), 2ULL * few);
	KUNIT_EXPECT_EQ(test, masstree_perm_size(left->permutation),
			(u64)MASSTREE_LEAF_WIDTH - 8);
	for (i = 0; i < few - 1; i++) {
		KUNIT_EXPECT_EQ(test, get_u64(mt, low + i * 16, &value), 0);
		KUNIT_EXPECT_EQ(test, value, (low + i * 16) / 16);
	}
	for (i = 0; i <= few; i++) {
		KUNIT_EXPECT_EQ(test, get_u64(mt, low2 + i * 16, &value), 0);
		KUNIT_EXPECT_EQ(test, value, (low2 + i * 16) / 16);
	}
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/* A forward scan that, at @trigger, removes @victim from under itself. */
struct merge_scan {
	struct masstree *mt;
	u64 trigger;
	u64 victim;
	u64 seen[16];
	unsigned int n;
};

static int merge_scan_fn(void *ctx, const void *key, size_t len,
			 union masstree_value val)
{
	struct merge_scan *ms = ctx;
	u64 k = test_get_be64(key);

	if (ms->n < ARRAY_SIZE(ms->seen))
		ms->seen[ms->n++] = k;
	if (k == ms->trigger)
		WARN_ON(remove_u64(ms->mt, ms->victim));
	return 0;
}

/*
 * A forward scan has read leaf L (child 0) and is handing out its keys
 * when L's right sibling, left with MASSTREE_MERGE_BELOW, merges them into
 * L and is unlinked. The keys now sit in L past the scan's snapshot, and
 * L's next link skips the sibling: the scan must read L again before it
 * moves on.
 */
static void scan_sees_keys_merged_into_its_leaf(struct kunit *test)
{
	const unsigned int l_keeps = MASSTREE_MERGE_BELOW + 2;
	const unsigned int merged = MASSTREE_MERGE_BELOW;
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree_scan_args args = {
		.max = l_keeps + merged + 1,
		.buf = kunit_kzalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL),
	};
	struct merge_scan ms = { .mt = mt };
	struct masstree_internode *pa;
	struct masstree_leaf *lf, *second;
	u8 start[8];
	u64 i, low, low2;

	KUNIT_ASSERT_NOT_NULL(test, args.buf);
	BUILD_BUG_ON(l_keeps + merged + 1 > ARRAY_SIZE(ms.seen));
	pa = fill_sequential(test, mt);
	lf = masstree_to_leaf(pa->child[0]);
	second = masstree_to_leaf(pa->child[1]);
	low = lf->ikey[0];
	low2 = second->ikey[0];
	/* Too many to merge in either: L, then its sibling one key above. */
	for (i = l_keeps; i < MASSTREE_LEAF_WIDTH; i++)
		KUNIT_ASSERT_EQ(test, remove_u64(mt, low + i * 16), 0);
	for (i = merged + 1; i < MASSTREE_LEAF_WIDTH; i++)
		KUNIT_ASSERT_EQ(test, remove_u64(mt, low2 + i * 16), 0);
	KUNIT_ASSERT_FALSE(test, masstree_v_is_deleted(READ_ONCE(second->node.version)));

	test_put_be64(low, start);
	args.start = start;
	args.start_len = sizeof(start);
	ms.trigger = low + (l_keeps - 1) * 16;
	ms.victim = low2 + merged * 16;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, merge_scan_fn, &ms),
			(long)args.max);
	KUNIT_EXPECT_TRUE(test, masstree_v_is_deleted(READ_ONCE(second->node.version)));
	KUNIT_ASSERT_EQ(test, ms.n, (unsigned int)args.max);
	for (i = 0; i < l_keeps; i++)
		KUNIT_EXPECT_EQ(test, ms.seen[i], low + i * 16);
	/* The sibling's merged keys were there throughout: each comes once. */
	for (i = 0; i < merged; i++)
		KUNIT_EXPECT_EQ(test, ms.seen[l_keeps + i], low2 + i * 16);
	KUNIT_EXPECT_EQ(test, ms.seen[l_keeps + merged],
			low2 + MASSTREE_LEAF_WIDTH * 16);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * #35. An insert held after it found the only leaf; meanwhile the leaf
 * splits, its key's range moves right, and the left (leftmost) leaf
 * empties. Then the opposite: the right leaf empties and is deleted, and
 * the range comes back. Either way the insert lands where lookups go.
 */
static void insert_survives_split_then_emptied_leaf(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct regress_call c = { .mt = mt, .op = OP_PUT, .value = 145 };
	struct task_struct *task;
	u8 key[8];
	u64 i, value;
	int round;

	for (round = 0; round < 2; round++) {
		for (i = 1; i <= 15; i++)
			KUNIT_ASSERT_EQ(test, put_u64(mt, i * 10, i), 0);
		test_put_be64(145 + round, key);
		c.key = key;
		c.len = sizeof(key);
		c.value = 145 + round;
		task = regress_start_held(test, &c, MASSTREE_HOOK_WRITE_REACHED);
		/* A key in the middle: the leaf splits at 80. */
		KUNIT_EXPECT_EQ(test, put_u64(mt, 75, 75), 0);
		KUNIT_EXPECT_FALSE(test, masstree_node_is_leaf(mt->root));
		if (!round) {
			for (i = 1; i <= 7; i++)
				KUNIT_EXPECT_EQ(test, remove_u64(mt, i * 10), 0);
			KUNIT_EXPECT_EQ(test, remove_u64(mt, 75), 0);
		} else {
			for (i = 8; i <= 15; i++)
				KUNIT_EXPECT_EQ(test, remove_u64(mt, i * 10), 0);
		}
		regress_finish(test, &c, task);
		KUNIT_EXPECT_EQ(test, c.err, 0);
		KUNIT_EXPECT_EQ(test, get_u64(mt, 145 + round, &value), 0);
		KUNIT_EXPECT_EQ(test, value, 145ULL + round);
		KUNIT_EXPECT_TREE_VALID(test, mt);
		/* Empty it again: one root leaf, as new. */
		for (i = 1; i <= 16; i++)
			remove_u64(mt, i * 10);
		remove_u64(mt, 75);
		remove_u64(mt, 145 + round);
		KUNIT_EXPECT_EQ(test, masstree_count(mt), 0UL);
		KUNIT_EXPECT_TRUE(test, masstree_node_is_leaf(mt->root));
		KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());
	}
	tree_test_free(test, mt);
}

/* Scans over the held state: count the keys, remember the last. */
struct regress_scan {
	unsigned long keys;
	u8 last[16];
	size_t last_len;
};

static int regress_scan_fn(void *ctx, const void *key, size_t len,
			   union masstree_value val)
{
	struct regress_scan *rs = ctx;

	rs->keys++;
	rs->last_len = min(len, sizeof(rs->last));
	memcpy(rs->last, key, rs->last_len);
	return 0;
}

/* #36: scans in both directions over an empty, still linked layer end. */
static void scan_past_empty_layer(struct kunit *test, struct masstree *mt,
				  unsigned int flags)
{
	struct masstree_scan_args args = {
		.flags = MASSTREE_SCAN_FROM_EDGE | flags,
		.buf = kunit_kzalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL),
	};
	struct regress_scan rs = {};

	KUNIT_ASSERT_NOT_NULL(test, args.buf);
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, regress_scan_fn, &rs), 1L);
	KUNIT_EXPECT_EQ(test, rs.keys, 1UL);
	KUNIT_EXPECT_EQ(test, rs.last_len, (size_t)3);
	KUNIT_EXPECT_EQ(test, memcmp(rs.last, "zzz", 3), 0);
}

/*
 * #41. The remove that empties a layer is held before it cleans the layer
 * up; an insert into that layer completes meanwhile (no deadlock), and
 * the clean-up, let go, sees the layer in use and leaves it. Then the
 * layer empties for good and goes (#43: back to a new tree's bytes).
 */
static void layer_cleanup_and_insert_do_not_deadlock(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct regress_call c = { .mt = mt, .op = OP_REMOVE,
				  .key = "ppppppppb", .len = 9 };
	struct task_struct *task;
	unsigned long with_layer;
	u64 value;

	KUNIT_ASSERT_EQ(test, masstree_put_index(mt, "ppppppppa", 9, 1,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, masstree_put_index(mt, "ppppppppb", 9, 2,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, masstree_put_index(mt, "zzz", 3, 3,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	with_layer = masstree_bytes(mt);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, "ppppppppa", 9, NULL), 0);

	task = regress_start_held(test, &c, MASSTREE_HOOK_LAYER_EMPTIED);
	/* The layer is empty but still linked: lookups and inserts use it. */
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "ppppppppb", 9, &value),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "ppppppppc", 9, 4,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	regress_finish(test, &c, task);
	KUNIT_EXPECT_EQ(test, c.err, 0);
	KUNIT_EXPECT_EQ(test, c.value, 2ULL);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "ppppppppc", 9, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 4ULL);
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), with_layer);
	KUNIT_EXPECT_TREE_VALID(test, mt);

	/* Held again with nothing in the way: this time the layer goes. */
	c.key = "ppppppppc";
	task = regress_start_held(test, &c, MASSTREE_HOOK_LAYER_EMPTIED);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "zzz", 3, &value), 0);
	scan_past_empty_layer(test, mt, 0);
	scan_past_empty_layer(test, mt, MASSTREE_SCAN_REVERSE);
	regress_finish(test, &c, task);
	KUNIT_EXPECT_EQ(test, c.err, 0);
	KUNIT_EXPECT_LT(test, masstree_bytes(mt), with_layer);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, "zzz", 3, NULL), 0);
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * A writer held inside a layer that then empties and is cleaned up finds
 * its leaf deleted, and must start again from the top (the layer root it
 * came from is gone too), creating a new layer.
 */
static void writer_in_a_deleted_layer_restarts_from_the_top(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct regress_call c = { .mt = mt, .op = OP_PUT, .key = "qqqqqqqqzz",
				  .len = 10, .value = 9 };
	struct task_struct *task;
	u64 value;

	KUNIT_ASSERT_EQ(test, masstree_put_index(mt, "qqqqqqqqa", 9, 1,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, masstree_put_index(mt, "qqqqqqqqb", 9, 2,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	/* Held once it reached the layer's leaf. */
	c.off = 8;
	task = regress_start_held(test, &c, MASSTREE_HOOK_WRITE_REACHED);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, "qqqqqqqqa", 9, NULL), 0);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, "qqqqqqqqb", 9, NULL), 0);
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());
	regress_finish(test, &c, task);
	KUNIT_EXPECT_EQ(test, c.err, 0);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "qqqqqqqqzz", 10, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 9ULL);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * A lookup held after it found its leaf, while its key is removed (the
 * value freed after a grace period) and put again in the reused slot:
 * it must not touch freed memory, and finds the new value.
 */
static void lookup_across_remove_and_reinsert(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, 0);
	struct regress_call c = { .mt = mt, .op = OP_GET, .key = "k", .len = 1 };
	struct test_value *v1 = test_value_new(1), *v2 = test_value_new(2);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, v1);
	KUNIT_ASSERT_NOT_NULL(test, v2);
	KUNIT_ASSERT_EQ(test, masstree_put(mt, "k", 1, &v1->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, masstree_put(mt, "j", 1, &v1->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	test_value_put(v1);
	task = regress_start_held(test, &c, MASSTREE_HOOK_LOOKUP_REACHED);
	KUNIT_EXPECT_EQ(test, masstree_remove(mt, "k", 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, masstree_remove(mt, "j", 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "k", 1, &v2->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	test_value_put(v2);
	regress_finish(test, &c, task);
	KUNIT_ASSERT_NOT_NULL(test, c.ref);
	KUNIT_EXPECT_EQ(test, test_value_of(c.ref), 2ULL);
	kref_put(c.ref, test_value_release);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

static struct kunit_case masstree_regress_cases[] = {
	KUNIT_CASE(insert_survives_delete_and_redirect),
	KUNIT_CASE(few_keys_merge_only_under_the_same_parent),
	KUNIT_CASE(scan_sees_keys_merged_into_its_leaf),
	KUNIT_CASE(insert_survives_split_then_emptied_leaf),
	KUNIT_CASE(layer_cleanup_and_insert_do_not_deadlock),
	KUNIT_CASE(writer_in_a_deleted_layer_restarts_from_the_top),
	KUNIT_CASE(lookup_across_remove_and_reinsert),
	{}
};

static struct kunit_suite masstree_regress_suite = {
	.name = "masstree_regress",
	.test_cases = masstree_regress_cases,
};

kunit_test_suites(&masstree_regress_suite);
