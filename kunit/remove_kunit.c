// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_remove: remove through the public API, the reclamation of the
 * leaves, internodes and layers removes empty (down to the initial
 * footprint), and removes racing inserts, lookups and each other.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "tree_test.h"
#include "tree.h"

static bool masstree_root_is_leaf(struct masstree *mt)
{
	return masstree_node_is_leaf(mt->root);
}

static int rm_remove(struct masstree *mt, u64 id, u64 *value)
{
	u8 key[TREE_TEST_KEY_MAX];

	return masstree_remove_index(mt, key, tree_test_key(id, key), value);
}

/* An empty tree is one root leaf again: bytes as new, nothing else. */
#define KUNIT_EXPECT_TREE_AS_NEW(test, mt) do {				\
	KUNIT_EXPECT_TREE_VALID(test, mt);				\
	KUNIT_EXPECT_EQ(test, masstree_count(mt), 0UL);			\
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());\
	KUNIT_EXPECT_TRUE(test, masstree_root_is_leaf(mt));		\
} while (0)

static void remove_returns_the_value_once(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree *obj = tree_test_new(test, 0);
	struct test_value *tv = test_value_new(5);
	u8 big[MASSTREE_MAX_KEY_LEN + 1] = {};
	struct kref *ref;
	u64 value;

	KUNIT_ASSERT_NOT_NULL(test, tv);
	KUNIT_EXPECT_EQ(test, tree_test_put(mt, 7, 70, MASSTREE_ANY), 0);
	KUNIT_EXPECT_EQ(test, rm_remove(mt, 7, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 70ULL);
	KUNIT_EXPECT_EQ(test, tree_test_get(mt, 7, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, rm_remove(mt, 7, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, rm_remove(mt, 8, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, big, sizeof(big), NULL),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, masstree_remove(mt, "a", 1, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(obj, "a", 1, NULL), -EINVAL);
	KUNIT_EXPECT_TREE_AS_NEW(test, mt);

	/* Object mode: the tree's reference passes to the caller, or goes. */
	KUNIT_EXPECT_EQ(test, masstree_put(obj, "a", 1, &tv->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, masstree_put(obj, "b", 1, &tv->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&tv->ref), 3U);
	KUNIT_EXPECT_EQ(test, masstree_remove(obj, "a", 1, &ref), 0);
	KUNIT_EXPECT_PTR_EQ(test, ref, &tv->ref);
	KUNIT_EXPECT_EQ(test, kref_read(&tv->ref), 3U);
	kref_put(ref, test_value_release);
	KUNIT_EXPECT_EQ(test, masstree_remove(obj, "b", 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&tv->ref), 1U);
	KUNIT_EXPECT_NULL(test, masstree_get(obj, "a", 1));
	KUNIT_EXPECT_TREE_AS_NEW(test, obj);
	test_value_put(tv);
	tree_test_free(test, mt);
	tree_test_free(test, obj);
}

/*
 * Fill with keys of every layer shape, then remove them all in @order,
 * checking the tree and the keys still in it along the way; twice, so the
 * tree emptied back to its initial footprint works as new.
 */
static void remove_all_in_order(struct kunit *test, u64 (*order)(u64 i, u64 n))
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 n = MASSTREE_TEST_IN_KERNEL ? 16384 : 131072, i, j, value;
	u8 *removed = kunit_kzalloc(test, n, GFP_KERNEL);
	unsigned long bad = 0;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, removed);
	for (round = 0; round < 2; round++) {
		memset(removed, 0, n);
		for (i = 0; i < n; i++)
			bad += tree_test_put(mt, i, i + 1, MASSTREE_ANY) != 0;
		KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)n);
		for (i = 0; i < n; i++) {
			u64 id = order(i, n);

			if (removed[id] || rm_remove(mt, id, &value) || value != id + 1)
				bad++;
			removed[id] = 1;
			if ((i + 1) % (n / 8))
				continue;
			KUNIT_EXPECT_TREE_VALID(test, mt);
			KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)(n - i - 1));
			/* What is left is all there; what went is gone. */
			for (j = 0; j < n; j += 7)
				bad += tree_test_get(mt, j, &value) != (removed[j] ? -ENOENT : 0);
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_TREE_AS_NEW(test, mt);
	}
	tree_test_free(test, mt);
}

static void remove_ascending_to_empty(struct kunit *test)
{
	remove_all_in_order(test, tree_test_ascending);
}

static void remove_descending_to_empty(struct kunit *test)
{
	remove_all_in_order(test, tree_test_descending);
}

static void remove_random_to_empty(struct kunit *test)
{
	remove_all_in_order(test, tree_test_shuffled);
}

/* Every prefix of a long key, removed shortest first then longest first. */
static void remove_layers_back_to_one_leaf(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	static u8 key[300];
	unsigned int len, round;
	unsigned long bad = 0;

	for (len = 0; len < sizeof(key); len++)
		key[len] = len % 3 ? 'x' : 0;
	for (round = 0; round < 2; round++) {
		for (len = 0; len < sizeof(key); len++)
			bad += masstree_put_index(mt, key, len, len, MASSTREE_ANY,
						  GFP_KERNEL) != 0;
		KUNIT_EXPECT_TREE_VALID(test, mt);
		for (len = 0; len < sizeof(key); len++) {
			unsigned int l = round ? sizeof(key) - 1 - len : len;
			u64 value;

			if (masstree_remove_index(mt, key, l, &value) || value != l)
				bad++;
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_TREE_AS_NEW(test, mt);
	}
	tree_test_free(test, mt);
}

/*
 * Keys 0..15 as 8-byte big-endian keys, put in order: a root over a full
 * leftmost leaf and a leaf holding key 15.
 */
static void rm_fill_two_leaves(struct kunit *test, struct masstree *mt)
{
	u8 key[8];
	u64 i;

	for (i = 0; i <= MASSTREE_LEAF_WIDTH; i++) {
		test_put_be64(i, key);
		KUNIT_ASSERT_EQ(test, masstree_put_index(mt, key, 8, i,
							 MASSTREE_ANY, GFP_KERNEL), 0);
	}
	KUNIT_ASSERT_FALSE(test, masstree_root_is_leaf(mt));
}

/*
 * Layer 0's root, left with one child, hands the root to it: a tree shrunk
 * back to one leaf's worth of keys is one leaf, not a leaf under a root.
 */
static void root_with_one_child_collapses(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u8 key[8];
	u64 i, value;

	rm_fill_two_leaves(test, mt);
	test_put_be64(MASSTREE_LEAF_WIDTH, key);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, key, 8, &value), 0);
	KUNIT_EXPECT_TRUE(test, masstree_root_is_leaf(mt));
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)MASSTREE_LEAF_WIDTH);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < MASSTREE_LEAF_WIDTH; i++) {
		test_put_be64(i, key);
		KUNIT_EXPECT_EQ(test, masstree_get_index(mt, key, 8, &value), 0);
		KUNIT_EXPECT_EQ(test, value, i);
	}
	/* And it grows again from there. */
	for (i = 100; i < 1100; i++) {
		test_put_be64(i, key);
		KUNIT_EXPECT_EQ(test, masstree_put_index(mt, key, 8, i,
							 MASSTREE_ANY, GFP_KERNEL), 0);
	}
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * A leaf that is child 0 of its parent cannot merge left: left with few
 * keys, it takes in its right sibling's. Removing from the leftmost of
 * rm_fill_two_leaves() must not leave two near-empty leaves under a root.
 */
static void child0_leaf_takes_in_its_right_sibling(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u8 key[8];
	u64 i, value;

	rm_fill_two_leaves(test, mt);
	for (i = 0; i < MASSTREE_LEAF_WIDTH - 1; i++) {
		test_put_be64(i, key);
		KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, key, 8, NULL), 0);
	}
	KUNIT_EXPECT_TRUE(test, masstree_root_is_leaf(mt));
	KUNIT_EXPECT_EQ(test, masstree_bytes(mt), tree_test_new_bytes());
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = MASSTREE_LEAF_WIDTH - 1; i <= MASSTREE_LEAF_WIDTH; i++) {
		test_put_be64(i, key);
		KUNIT_EXPECT_EQ(test, masstree_get_index(mt, key, 8, &value), 0);
		KUNIT_EXPECT_EQ(test, value, i);
	}
	tree_test_free(test, mt);
}

/* Key @i of layer 1: an 8-byte prefix every key shares, then @i. */
static unsigned int rm_layer1_key(u64 i, u8 *key)
{
	memcpy(key, "sublayer", 8);
	test_put_be64(i, key + 8);
	return 16;
}

/*
 * The root of the layer that layer 0's only entry links to. Under
 * rcu_read_lock() it may race the link's change, which leaves layer 0 as it
 * is: either root will do.
 */
static struct masstree_node *rm_layer1_root(struct masstree *mt)
{
	struct masstree_leaf *lf = masstree_to_leaf(READ_ONCE(mt->root));
	u64 perm = READ_ONCE(lf->permutation);
	unsigned int slot = masstree_perm_slot(perm, 0);

	if (masstree_perm_size(perm) != 1 ||
	    READ_ONCE(lf->klen[slot]) != MASSTREE_KLEN_LAYER)
		return NULL;
	return masstree_layer_root(READ_ONCE(lf->lv[slot].layer));
}

/*
 * So does a deeper layer's root, through the link in the layer above:
 * a thinned layer is not left one internode deeper than it needs.
 */
static void layer_root_with_one_child_collapses(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree_node *root;
	unsigned long bytes;
	u8 key[16];
	u64 i, value;

	for (i = 0; i <= MASSTREE_LEAF_WIDTH; i++)
		KUNIT_ASSERT_EQ(test, masstree_put_index(mt, key, rm_layer1_key(i, key),
							 i, MASSTREE_ANY, GFP_KERNEL), 0);
	root = rm_layer1_root(mt);
	KUNIT_ASSERT_NOT_NULL(test, root);
	KUNIT_EXPECT_FALSE(test, masstree_node_is_leaf(root));
	bytes = masstree_bytes(mt);
	KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, key,
						    rm_layer1_key(MASSTREE_LEAF_WIDTH, key),
						    &value), 0);
	root = rm_layer1_root(mt);
	KUNIT_ASSERT_NOT_NULL(test, root);
	KUNIT_EXPECT_TRUE(test, masstree_node_is_leaf(root));
	KUNIT_EXPECT_TRUE(test, masstree_v_is_root(root->version));
	/* The emptied leaf and the old root went. */
	KUNIT_EXPECT_EQ(test, bytes - masstree_bytes(mt),
			tree_test_new_bytes() + MASSTREE_INTERNODE_BYTES);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < MASSTREE_LEAF_WIDTH; i++) {
		KUNIT_EXPECT_EQ(test, masstree_get_index(mt, key, rm_layer1_key(i, key),
							 &value), 0);
		KUNIT_EXPECT_EQ(test, value, i);
	}
	/* It grows again from there, and empties back to one leaf. */
	for (i = 100; i < 1100; i++)
		KUNIT_EXPECT_EQ(test, masstree_put_index(mt, key, rm_layer1_key(i, key),
							 i, MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < 1100; i++)
		if (i < MASSTREE_LEAF_WIDTH || i >= 100)
			KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, key,
								    rm_layer1_key(i, key),
								    NULL), 0);
	KUNIT_EXPECT_TREE_AS_NEW(test, mt);
	tree_test_free(test, mt);
}

/* Key @id of the thinning tests: one layer of scattered 8-byte keys. */
static void rm_scattered_key(u64 id, u8 *key)
{
	test_put_be64(id * 0x9e3779b97f4a7c15ULL, key);
}

/*
 * Put @n scattered keys (value: the id) in random order, then remove all
 * but one in @keep, in random order.
 */
static void rm_fill_then_thin(struct kunit *test, struct masstree *mt, u64 n,
			      u64 keep, unsigned long *full)
{
	u64 i, id;
	u8 key[8];

	for (i = 0; i < n; i++) {
		id = tree_test_shuffled(i, n);
		rm_scattered_key(id, key);
		KUNIT_ASSERT_EQ(test, masstree_put_index(mt, key, 8, id,
							 MASSTREE_ANY, GFP_KERNEL), 0);
	}
	*full = masstree_bytes(mt) / n;
	for (i = 0; i < n; i++) {
		id = tree_test_shuffled(i, n);
		if (!(id % keep))
			continue;
		rm_scattered_key(id, key);
		KUNIT_EXPECT_EQ(test, masstree_remove_index(mt, key, 8, NULL), 0);
	}
}

/* The tree is valid and holds exactly the keys rm_fill_then_thin() kept. */
static void rm_expect_kept(struct kunit *test, struct masstree *mt, u64 n,
			   u64 keep)
{
	u64 id, value;
	u8 key[8];

	KUNIT_EXPECT_TREE_VALID(test, mt);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)((n + keep - 1) / keep));
	for (id = 0; id < n; id += keep) {
		rm_scattered_key(id, key);
		KUNIT_EXPECT_EQ(test, masstree_get_index(mt, key, 8, &value), 0);
		KUNIT_EXPECT_EQ(test, value, id);
	}
}

/*
 * Leaves left with few keys merge into their left neighbours: removing
 * most keys in random order leaves a tree sized for what remains, not for
 * what it once held.
 */
static void random_removes_keep_memory_proportional(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 n = MASSTREE_TEST_IN_KERNEL ? 16384 : 131072;
	unsigned long full, left;

	rm_fill_then_thin(test, mt, n, 10, &full);
	left = masstree_bytes(mt) / masstree_count(mt);
	kunit_info(test, "%lu bytes per key full, %lu with a tenth left", full, left);
	KUNIT_EXPECT_LT(test, left, 3 * full);
	rm_expect_kept(test, mt, n, 10);
	tree_test_free(test, mt);
}

/* Count layer 0's leaves and internodes; no writer may run. */
static void rm_count_nodes(struct masstree_node *n, unsigned long *leaves,
			   unsigned long *internodes)
{
	struct masstree_internode *in;
	unsigned int i;

	if (masstree_node_is_leaf(n)) {
		(*leaves)++;
		return;
	}
	(*internodes)++;
	in = masstree_to_internode(n);
	for (i = 0; i <= in->nkeys; i++)
		rm_count_nodes(in->child[i], leaves, internodes);
}

/*
 * Internodes merge as their leaves go: with most keys removed at random,
 * each level-1 internode would otherwise keep one leaf or two, and the
 * internodes would outnumber the leaves.
 */
static void internodes_merge_as_leaves_go(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 n = MASSTREE_TEST_IN_KERNEL ? 32768 : 131072;
	unsigned long full, leaves = 0, internodes = 0;

	rm_fill_then_thin(test, mt, n, 32, &full);
	rcu_read_lock();
	rm_count_nodes(READ_ONCE(mt->root), &leaves, &internodes);
	rcu_read_unlock();
	kunit_info(test, "%lu keys left in %lu leaves under %lu internodes",
		   masstree_count(mt), leaves, internodes);
	/* Merged, internodes hold 6 children or more on average. */
	KUNIT_EXPECT_LE(test, internodes * 4, leaves);
	rm_expect_kept(test, mt, n, 32);
	tree_test_free(test, mt);
}

/* Random get / put / remove against a plain array, then empty it. */
static void differential_with_removes(struct kunit *test)
{
	unsigned int universe = 8192, seed, seeds = MASSTREE_TEST_IN_KERNEL ? 1 : 3;
	unsigned long n = MASSTREE_TEST_N(100000, 1000000), i, bad = 0;
	u64 *ref = kunit_kcalloc(test, universe, sizeof(*ref), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ref);
	for (seed = 0; seed < seeds; seed++) {
		struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
		/* Skewed toward removes half the time: trees grow and shrink. */
		unsigned int phase_bias = 0;

		memset(ref, 0, universe * sizeof(*ref));
		for (i = 0; i < n; i++) {
			u32 r = get_random_u32();
			u64 id = (r >> 8) % universe, value, v = i + 1;
			int err;

			if (!(i % 50000))
				phase_bias = get_random_u32() % 3;
			switch (r & 7) {
			case 0:
			case 1:
				err = tree_test_get(mt, id, &value);
				bad += err != (ref[id] ? 0 : -ENOENT) ||
				       (!err && value != ref[id]);
				break;
			case 2:
			case 3:
			case 4:
				if (phase_bias == 2)
					goto remove;
				err = tree_test_put(mt, id, v, MASSTREE_ANY);
				bad += err != 0;
				ref[id] = v;
				break;
			default:
remove:
				err = rm_remove(mt, id, &value);
				bad += err != (ref[id] ? 0 : -ENOENT) ||
				       (!err && value != ref[id]);
				ref[id] = 0;
				break;
			}
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_TREE_VALID(test, mt);
		for (i = 0; i < universe; i++) {
			u64 value;
			int err = rm_remove(mt, i, &value);

			bad += err != (ref[i] ? 0 : -ENOENT) ||
			       (!err && value != ref[i]);
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_TREE_AS_NEW(test, mt);
		tree_test_free(test, mt);
	}
}

/*
 * Concurrency. Stable keys (id % 8 == 0) are put first and never change;
 * each writer owns one other residue class and either chases itself
 * (masstree-beta's wd1: insert ahead, remove behind) or churns a small
 * dense range (splitremove1: the same leaves and layers split, empty and
 * go again). Readers check every stable key is always found.
 */
#define RM_WRITERS	4
#define RM_READERS	2

struct rm_stress {
	struct masstree *mt;
	unsigned long deadline;
	u64 stable;
	bool churn;
	u64 ahead[RM_WRITERS];
	atomic_long_t errors;
	atomic_long_t ops;
};

struct rm_thread {
	struct rm_stress *s;
	unsigned int w;
};

static u64 rm_writer_id(unsigned int w, u64 j)
{
	return j * 8 + w + 1;
}

static int rm_writer(void *arg)
{
	struct rm_thread *t = arg;
	struct rm_stress *s = t->s;
	unsigned long ops = 0;
	u64 ahead = 0, behind = 0, value;

	while (!time_after(jiffies, s->deadline)) {
		u64 j;

		if (s->churn) {
			j = get_random_u32() % 512;
			if (get_random_u32() & 1) {
				if (tree_test_put(s->mt, rm_writer_id(t->w, j), j, MASSTREE_ANY))
					atomic_long_inc(&s->errors);
			} else {
				rm_remove(s->mt, rm_writer_id(t->w, j), NULL);
			}
		} else if (ahead - behind < 2000 && (get_random_u32() & 1)) {
			j = ahead++;
			if (tree_test_put(s->mt, rm_writer_id(t->w, j), j, MASSTREE_ANY))
				atomic_long_inc(&s->errors);
		} else if (behind < ahead) {
			j = behind++;
			if (rm_remove(s->mt, rm_writer_id(t->w, j), &value) ||
			    value != j)
				atomic_long_inc(&s->errors);
		}
		if (!(++ops & 63))
			cond_resched();
	}
	atomic_long_add(ops, &s->ops);
	s->ahead[t->w] = s->churn ? 512 : ahead;
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static int rm_reader(void *arg)
{
	struct rm_thread *t = arg;
	struct rm_stress *s = t->s;
	unsigned long reads = 0;
	u64 value;

	while (!kthread_should_stop()) {
		u64 id = (get_random_u32() % s->stable) * 8;

		if (tree_test_get(s->mt, id, &value) || value != id + 1)
			atomic_long_inc(&s->errors);
		/* Keys of writers come and go: any answer, but no crash. */
		tree_test_get(s->mt, rm_writer_id(get_random_u32() % RM_WRITERS,
					   get_random_u32() % 4096), &value);
		if (!(++reads & 255))
			cond_resched();
	}
	return 0;
}

static void run_remove_stress(struct kunit *test, bool churn)
{
	struct rm_stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct rm_thread th[RM_WRITERS + RM_READERS];
	struct task_struct *tasks[RM_WRITERS + RM_READERS];
	unsigned long bad = 0;
	u64 i, value;
	int n;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	s->stable = MASSTREE_TEST_N(2000, 20000);
	s->churn = churn;
	for (i = 0; i < s->stable; i++)
		KUNIT_ASSERT_EQ(test, tree_test_put(s->mt, i * 8, i * 8 + 1, MASSTREE_ANY), 0);
	/* Create every thread before any runs: no sleeping under a lock. */
	for (n = 0; n < RM_WRITERS + RM_READERS; n++) {
		th[n].s = s;
		th[n].w = n;
		tasks[n] = kthread_create(n < RM_WRITERS ? rm_writer : rm_reader,
					  &th[n], "mt_rm%d", n);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[n]));
	}
	s->deadline = jiffies + msecs_to_jiffies(MASSTREE_STRESS_MS);
	for (n = 0; n < RM_WRITERS + RM_READERS; n++)
		wake_up_process(tasks[n]);
	while (!time_after(jiffies, s->deadline + HZ / 10))
		msleep(50);
	for (n = 0; n < RM_WRITERS + RM_READERS; n++)
		kthread_stop(tasks[n]);
	kunit_info(test, "%ld writer ops", atomic_long_read(&s->ops));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->errors), 0L);
	KUNIT_EXPECT_TREE_VALID(test, s->mt);

	/* Empty it: the writers' leftovers, then the stable keys. */
	for (n = 0; n < RM_WRITERS; n++)
		for (i = 0; i < s->ahead[n]; i++)
			rm_remove(s->mt, rm_writer_id(n, i), NULL);
	for (i = 0; i < s->stable; i++)
		if (rm_remove(s->mt, i * 8, &value) || value != i * 8 + 1)
			bad++;
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	KUNIT_EXPECT_TREE_AS_NEW(test, s->mt);
	tree_test_free(test, s->mt);
}

static void writers_chase_removers_readers_see_stable_keys(struct kunit *test)
{
	run_remove_stress(test, false);
}

static void leaves_and_layers_split_and_empty_under_readers(struct kunit *test)
{
	run_remove_stress(test, true);
}

/*
 * Layer 1's root splits and collapses back while readers and scans run:
 * two writers each fill a run of keys past the stable ones and empty it
 * again, so the layer keeps growing an internode root and handing the
 * layer back to its one child. Readers check the stable keys; a scanner
 * checks the layer's keys come in order, each stable one once.
 */
#define LR_STABLE	8
#define LR_RUN		24
/* Writers' keys, past every stable key. */
#define LR_WRITER_KEYS	2000

struct lr_stress {
	struct masstree *mt;
	unsigned long deadline;
	atomic_long_t errors;
	atomic_long_t collapses;
	atomic_t writers_started;
	atomic_t writers_left;
};

static u64 lr_stable_key(unsigned int i)
{
	return 1000 + 2 * i;
}

static int lr_writer(void *arg)
{
	struct lr_stress *s = arg;
	u64 base = LR_WRITER_KEYS + 100 * atomic_inc_return(&s->writers_started);
	u8 key[16];
	u64 j, value;

	while (!time_after(jiffies, s->deadline)) {
		for (j = 0; j < LR_RUN; j++)
			if (masstree_put_index(s->mt, key, rm_layer1_key(base + j, key),
					       base + j, MASSTREE_ANY, GFP_KERNEL))
				atomic_long_inc(&s->errors);
		for (j = 0; j < LR_RUN; j++)
			if (masstree_remove_index(s->mt, key, rm_layer1_key(base + j, key),
						  &value) || value != base + j)
				atomic_long_inc(&s->errors);
		cond_resched();
	}
	atomic_dec(&s->writers_left);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static int lr_reader(void *arg)
{
	struct lr_stress *s = arg;
	bool was_leaf = true;
	unsigned int n = 0;
	u8 key[16];
	u64 value;

	while (!kthread_should_stop()) {
		unsigned int i = get_random_u32() % LR_STABLE;
		struct masstree_node *root;
		bool leaf;

		if (masstree_get_index(s->mt, key, rm_layer1_key(lr_stable_key(i), key),
				       &value) || value != lr_stable_key(i))
			atomic_long_inc(&s->errors);
		rcu_read_lock();
		root = rm_layer1_root(s->mt);
		leaf = root && masstree_node_is_leaf(root);
		rcu_read_unlock();
		if (leaf && !was_leaf)
			atomic_long_inc(&s->collapses);
		was_leaf = leaf;
		if (!(++n & 255))
			cond_resched();
	}
	return 0;
}

struct lr_scan {
	u64 prev;
	unsigned int keys;
	unsigned int stable_seen;
	bool bad;
};

static int lr_scan_fn(void *ctx, const void *key, size_t len,
		      union masstree_value val)
{
	struct lr_scan *sc = ctx;
	u64 x = test_get_be64((const u8 *)key + 8);

	if (len != 16 || memcmp(key, "sublayer", 8) || (sc->keys && x <= sc->prev) ||
	    val.index != x)
		sc->bad = true;
	if (x < LR_WRITER_KEYS)
		sc->stable_seen++;
	sc->prev = x;
	sc->keys++;
	return 0;
}

static int lr_scanner(void *arg)
{
	struct lr_stress *s = arg;
	u8 buf[MASSTREE_MAX_KEY_LEN];
	struct masstree_scan_args args = {
		.flags = MASSTREE_SCAN_FROM_EDGE,
		.buf = buf,
	};

	while (!kthread_should_stop()) {
		struct lr_scan sc = {};

		masstree_scan(s->mt, &args, lr_scan_fn, &sc);
		if (sc.bad || sc.stable_seen != LR_STABLE)
			atomic_long_inc(&s->errors);
		cond_resched();
	}
	return 0;
}

static int (*const lr_threads[])(void *) = {
	lr_writer, lr_writer, lr_reader, lr_scanner,
};

static void layer_roots_collapse_under_readers_and_scans(struct kunit *test)
{
	struct lr_stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *tasks[ARRAY_SIZE(lr_threads)];
	unsigned int i;
	u8 key[16];

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	for (i = 0; i < LR_STABLE; i++)
		KUNIT_ASSERT_EQ(test, masstree_put_index(s->mt, key,
							 rm_layer1_key(lr_stable_key(i), key),
							 lr_stable_key(i), MASSTREE_ANY,
							 GFP_KERNEL), 0);
	atomic_set(&s->writers_left, 2);
	for (i = 0; i < ARRAY_SIZE(lr_threads); i++) {
		tasks[i] = kthread_create(lr_threads[i], s, "mt_lr%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}
	s->deadline = jiffies + msecs_to_jiffies(MASSTREE_STRESS_MS);
	for (i = 0; i < ARRAY_SIZE(lr_threads); i++)
		wake_up_process(tasks[i]);
	while (atomic_read(&s->writers_left))
		msleep(20);
	for (i = 0; i < ARRAY_SIZE(lr_threads); i++)
		kthread_stop(tasks[i]);
	kunit_info(test, "layer 1's root went back to a leaf %ld times",
		   atomic_long_read(&s->collapses));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->errors), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->collapses), 0L);
	KUNIT_EXPECT_EQ(test, masstree_count(s->mt), (unsigned long)LR_STABLE);
	KUNIT_EXPECT_TREE_VALID(test, s->mt);
	for (i = 0; i < LR_STABLE; i++)
		KUNIT_EXPECT_EQ(test, masstree_remove_index(s->mt, key,
							    rm_layer1_key(lr_stable_key(i), key),
							    NULL), 0);
	KUNIT_EXPECT_TREE_AS_NEW(test, s->mt);
	tree_test_free(test, s->mt);
}

static struct kunit_case masstree_remove_cases[] = {
	KUNIT_CASE(remove_returns_the_value_once),
	KUNIT_CASE(remove_ascending_to_empty),
	KUNIT_CASE(remove_descending_to_empty),
	KUNIT_CASE(remove_random_to_empty),
	KUNIT_CASE(remove_layers_back_to_one_leaf),
	KUNIT_CASE(root_with_one_child_collapses),
	KUNIT_CASE(child0_leaf_takes_in_its_right_sibling),
	KUNIT_CASE(layer_root_with_one_child_collapses),
	KUNIT_CASE(random_removes_keep_memory_proportional),
	KUNIT_CASE(internodes_merge_as_leaves_go),
	KUNIT_CASE(differential_with_removes),
	KUNIT_CASE(writers_chase_removers_readers_see_stable_keys),
	KUNIT_CASE(leaves_and_layers_split_and_empty_under_readers),
	KUNIT_CASE(layer_roots_collapse_under_readers_and_scans),
	{}
};

static struct kunit_suite masstree_remove_suite = {
	.name = "masstree_remove",
	.test_cases = masstree_remove_cases,
};

kunit_test_suites(&masstree_remove_suite);
