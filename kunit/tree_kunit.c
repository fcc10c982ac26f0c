// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_get_put: insert, replace and lock-free lookup through the
 * public API, checked against a plain reference map and the validator.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "tree_test.h"
#include "tree.h"

atomic_long_t test_values_live = ATOMIC_LONG_INIT(0);

/*
 * Key @id of a universe built to exercise every layer path: 8-byte binary
 * keys with NUL bytes, decimal strings (1-20 bytes, mostly suffixes),
 * URL-like keys with long shared prefixes, and keys sharing 18 bytes then
 * mostly zero bytes (deep layers). Distinct ids give distinct keys.
 */
unsigned int tree_test_key(u64 id, u8 *buf)
{
	static const char url[] = "https://example.com/users/";
	static const char deep[] = "layer/layer/layer/";
	unsigned int len;

	switch (id % 4) {
	case 0:
		test_put_be64(id, buf);
		return 8;
	case 1:
		return snprintf((char *)buf, TREE_TEST_KEY_MAX, "%llu",
				(unsigned long long)id);
	case 2:
		return snprintf((char *)buf, TREE_TEST_KEY_MAX, "%s%llu/posts/%llu", url,
				(unsigned long long)id / 16,
				(unsigned long long)id % 16);
	default:
		len = sizeof(deep) - 1;
		memcpy(buf, deep, len);
		test_put_be64(id, buf + len);
		return len + 8;
	}
}

struct masstree *tree_test_new(struct kunit *test, unsigned int flags)
{
	struct masstree *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mt);
	KUNIT_ASSERT_EQ(test, masstree_init(mt, flags,
					    flags & MASSTREE_FLAGS_INDEX ?
					    NULL : test_value_release,
					    GFP_KERNEL), 0);
	return mt;
}

/* Destroy, wait for RCU and the deferred frees, check every value went. */
void tree_test_free(struct kunit *test, struct masstree *mt)
{
	masstree_destroy(mt);
	masstree_reclaim_flush();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&test_values_live), 0L);
}

/* What a new, empty tree takes: what every emptied tree must come back to. */
unsigned long tree_test_new_bytes(void)
{
	struct masstree mt;
	unsigned long bytes;

	if (masstree_init(&mt, MASSTREE_FLAGS_INDEX, NULL, GFP_KERNEL))
		return 0;
	bytes = masstree_bytes(&mt);
	masstree_destroy(&mt);
	return bytes;
}

int tree_test_put(struct masstree *mt, u64 id, u64 value, unsigned int flags)
{
	u8 key[TREE_TEST_KEY_MAX];

	return masstree_put_index(mt, key, tree_test_key(id, key), value,
				  flags, GFP_KERNEL);
}

int tree_test_get(struct masstree *mt, u64 id, u64 *value)
{
	u8 key[TREE_TEST_KEY_MAX];

	return masstree_get_index(mt, key, tree_test_key(id, key), value);
}

static void put_then_get_returns_the_value(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 value = 0;

	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "hello", 5, 42,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "hello", 5, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 42ULL);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "hell", 4, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "hello!", 6, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "", 0, 7, MASSTREE_ANY,
						 GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, NULL, 0, &value), 0);
	KUNIT_EXPECT_EQ(test, value, 7ULL);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), 2UL);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

static void empty_tree_finds_nothing(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 value;

	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "", 0, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, "a", 1, &value), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), 0UL);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/* NOEXIST and EXIST as bpf(2) defines them; a refused put changes nothing. */
static void put_flags_insert_only_and_replace_only(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 value = 0;
	u64 id;

	for (id = 0; id < 8; id++) {
		KUNIT_EXPECT_EQ(test, tree_test_put(mt, id, id, MASSTREE_EXIST), -ENOENT);
		KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), -ENOENT);
		KUNIT_EXPECT_EQ(test, tree_test_put(mt, id, id, MASSTREE_NOEXIST), 0);
		KUNIT_EXPECT_EQ(test, tree_test_put(mt, id, 100, MASSTREE_NOEXIST), -EEXIST);
		KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), 0);
		KUNIT_EXPECT_EQ(test, value, id);
		KUNIT_EXPECT_EQ(test, tree_test_put(mt, id, 200 + id, MASSTREE_EXIST), 0);
		KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), 0);
		KUNIT_EXPECT_EQ(test, value, 200 + id);
		KUNIT_EXPECT_EQ(test, tree_test_put(mt, id, 300 + id, MASSTREE_ANY), 0);
		KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), 0);
		KUNIT_EXPECT_EQ(test, value, 300 + id);
	}
	/* Same slice, another suffix: absent, so EXIST refuses it too. */
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "https://example.com/x", 21,
						 1, MASSTREE_EXIST, GFP_KERNEL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), 8UL);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

static void bad_input_gets_a_clear_errno(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree *obj = tree_test_new(test, 0);
	struct masstree other;
	static u8 big[MASSTREE_MAX_KEY_LEN + 1];
	struct kref ref;
	u64 value;

	kref_init(&ref);
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, big, sizeof(big), 1,
						 MASSTREE_ANY, GFP_KERNEL), -E2BIG);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, big, sizeof(big), &value),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "k", 1, 1, 3, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_put(obj, "k", 1, NULL, MASSTREE_ANY,
					   GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "k", 1, &ref, MASSTREE_ANY,
					   GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_put_index(obj, "k", 1, 1, MASSTREE_ANY,
						 GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_get_index(obj, "k", 1, &value), -EINVAL);
	KUNIT_EXPECT_NULL(test, masstree_get(mt, "k", 1));
	KUNIT_EXPECT_NULL(test, masstree_get(obj, big, sizeof(big)));
	KUNIT_EXPECT_EQ(test, masstree_init(&other, 1U << 20, NULL, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_init(&other, 0, NULL, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_init(&other, MASSTREE_FLAGS_INDEX,
					    test_value_release, GFP_KERNEL),
			-EINVAL);
	/* The longest key is fine. */
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, big, sizeof(big) - 1, 5,
						 MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, masstree_get_index(mt, big, sizeof(big) - 1, &value), 0);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), 1UL);
	KUNIT_EXPECT_EQ(test, masstree_count(obj), 0UL);
	KUNIT_EXPECT_EQ(test, kref_read(&ref), 1U);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
	tree_test_free(test, obj);
}

/* Insert @n 8-byte keys in the order @order gives; check all, then absents. */
static void insert_in_order(struct kunit *test, u64 (*order)(u64 i, u64 n))
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u64 n = MASSTREE_TEST_N(100000, 1000000), i, value;
	unsigned long bad = 0;
	u8 key[8];

	for (i = 0; i < n; i++) {
		u64 id = order(i, n);

		test_put_be64(2 * id, key);
		if (masstree_put_index(mt, key, 8, id, MASSTREE_NOEXIST, GFP_KERNEL))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)n);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < n; i++) {
		test_put_be64(2 * i, key);
		if (masstree_get_index(mt, key, 8, &value) || value != i)
			bad++;
		test_put_be64(2 * i + 1, key);
		if (masstree_get_index(mt, key, 8, &value) != -ENOENT)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	kunit_info(test, "%llu keys, %lu bytes per key", (unsigned long long)n,
		   masstree_bytes(mt) / (unsigned long)n);
	tree_test_free(test, mt);
}

u64 tree_test_ascending(u64 i, u64 n)
{
	return i;
}

u64 tree_test_descending(u64 i, u64 n)
{
	return n - 1 - i;
}

/* A fixed pseudo-random permutation of 0..n-1: a full-period LCG walk. */
u64 tree_test_shuffled(u64 i, u64 n)
{
	u64 x = i;

	do {
		x = (x * 6364136223846793005ULL + 1442695040888963407ULL) &
		    (roundup_pow_of_two(n) - 1);
	} while (x >= n);
	return x;
}

static void ascending_inserts_are_all_found(struct kunit *test)
{
	insert_in_order(test, tree_test_ascending);
}

static void descending_inserts_are_all_found(struct kunit *test)
{
	insert_in_order(test, tree_test_descending);
}

static void random_inserts_are_all_found(struct kunit *test)
{
	insert_in_order(test, tree_test_shuffled);
}

/* Insert every key of @keys; check each is found and validate. */
static void insert_all(struct kunit *test, struct masstree *mt,
		       const u8 *const *keys, const unsigned int *lens,
		       unsigned int n)
{
	unsigned int i, bad = 0;
	u64 value;

	for (i = 0; i < n; i++)
		if (masstree_put_index(mt, keys[i], lens[i], i, MASSTREE_NOEXIST,
				       GFP_KERNEL))
			bad++;
	for (i = 0; i < n; i++)
		if (masstree_get_index(mt, keys[i], lens[i], &value) || value != i)
			bad++;
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)n);
	KUNIT_EXPECT_TREE_VALID(test, mt);
}

/* Every prefix of one 1 KiB key: 1025 keys nesting 128 layers. */
static void every_prefix_of_a_long_key(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	unsigned int n = MASSTREE_MAX_KEY_LEN + 1, i;
	const u8 **keys = kunit_kcalloc(test, n, sizeof(*keys), GFP_KERNEL);
	unsigned int *lens = kunit_kcalloc(test, n, sizeof(*lens), GFP_KERNEL);
	u8 *key = kunit_kmalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, keys);
	KUNIT_ASSERT_NOT_NULL(test, lens);
	KUNIT_ASSERT_NOT_NULL(test, key);
	for (i = 0; i < MASSTREE_MAX_KEY_LEN; i++)
		key[i] = i % 3 ? 'a' + i % 26 : 0;
	/* Longest first, then shortest, so layers form both ways. */
	for (i = 0; i < n; i++) {
		keys[i] = key;
		lens[i] = i % 2 ? i / 2 : MASSTREE_MAX_KEY_LEN - i / 2;
	}
	insert_all(test, mt, keys, lens, n);
	tree_test_free(test, mt);
}

/* "a", "a\0", "a\0\0", ...: one slice, then layers of zero slices. */
static void trailing_nul_bytes_are_distinct_keys(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	static const u8 key[40] = "a";
	const u8 *keys[40];
	unsigned int lens[40], i;

	for (i = 0; i < 40; i++) {
		keys[i] = key;
		lens[i] = 40 - i;
	}
	insert_all(test, mt, keys, lens, 40);
	tree_test_free(test, mt);
}

/* 0..64-byte tails after 8-, 16- and 24-byte shared prefixes. */
static void keys_sharing_prefixes_of_whole_slices(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	unsigned int n = 3 * 65 * 4, i = 0, p, tail, v;
	const u8 **keys = kunit_kcalloc(test, n, sizeof(*keys), GFP_KERNEL);
	unsigned int *lens = kunit_kcalloc(test, n, sizeof(*lens), GFP_KERNEL);
	u8 *bytes = kunit_kzalloc(test, n * 88, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, keys);
	KUNIT_ASSERT_NOT_NULL(test, lens);
	KUNIT_ASSERT_NOT_NULL(test, bytes);
	for (p = 8; p <= 24; p += 8) {
		for (tail = 0; tail <= 64; tail++) {
			for (v = 0; v < 4; v++, i++) {
				u8 *k = bytes + i * 88;

				memset(k, 'p', p);
				memset(k + p, "\x00\x01Z\xff"[v], tail);
				keys[i] = k;
				lens[i] = p + tail;
			}
		}
	}
	/* Tail 0 repeats the bare prefix four times: keep only one of them. */
	for (i = 0; i < n; i++) {
		unsigned int j;

		for (j = 0; j < i; j++)
			if (lens[j] == lens[i] && !memcmp(keys[j], keys[i], lens[i]))
				break;
		if (j < i)
			lens[i] = MASSTREE_MAX_KEY_LEN + 1;	/* marker: skip */
	}
	for (i = 0, p = 0; i < n; i++)
		if (lens[i] <= MASSTREE_MAX_KEY_LEN) {
			keys[p] = keys[i];
			lens[p++] = lens[i];
		}
	insert_all(test, mt, keys, lens, p);
	tree_test_free(test, mt);
}

/* Random binary keys over a tiny alphabet: many shared prefixes. */
static void random_binary_keys(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	unsigned int n = MASSTREE_TEST_N(3000, 30000), i, j, added = 0, bad = 0;
	u8 *bytes = kunit_kzalloc(test, n * 32, GFP_KERNEL);
	unsigned int *lens = kunit_kcalloc(test, n, sizeof(*lens), GFP_KERNEL);
	u64 value;

	KUNIT_ASSERT_NOT_NULL(test, bytes);
	KUNIT_ASSERT_NOT_NULL(test, lens);
	for (i = 0; i < n; i++) {
		u8 *k = bytes + i * 32;
		int err;

		lens[i] = get_random_u32() % 33;
		for (j = 0; j < lens[i]; j++)
			k[j] = "\x00\x01\xff"[get_random_u32() % 3];
		err = masstree_put_index(mt, k, lens[i], i, MASSTREE_NOEXIST,
					 GFP_KERNEL);
		if (!err)
			added++;
		else if (err != -EEXIST)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)added);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < n; i++) {
		u8 *k = bytes + i * 32;

		/* The first insert of each distinct key won. */
		if (masstree_get_index(mt, k, lens[i], &value) ||
		    lens[value] != lens[i] || memcmp(bytes + value * 32, k, lens[i]))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	tree_test_free(test, mt);
}

/* 1 KiB keys differing only near their ends. */
static void kilobyte_keys(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	u8 *key = kunit_kzalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL);
	unsigned int i, n = 300, bad = 0;
	u64 value;

	KUNIT_ASSERT_NOT_NULL(test, key);
	memset(key, 'K', MASSTREE_MAX_KEY_LEN);
	for (i = 0; i < n; i++) {
		key[MASSTREE_MAX_KEY_LEN - 2 - i % 5] = i >> 8;
		key[MASSTREE_MAX_KEY_LEN - 1 - i % 5] = i;
		if (masstree_put_index(mt, key, MASSTREE_MAX_KEY_LEN, i,
				       MASSTREE_ANY, GFP_KERNEL))
			bad++;
		if (masstree_get_index(mt, key, MASSTREE_MAX_KEY_LEN, &value) ||
		    value != i)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * Random puts, replaces, flagged puts and gets on a universe of keys,
 * against a reference map: an array indexed by key id.
 */
static void differential_against_reference_map(struct kunit *test)
{
	unsigned int universe = 4096, seed, seeds = MASSTREE_TEST_IN_KERNEL ? 1 : 3;
	unsigned long n = MASSTREE_TEST_N(100000, 1000000), i, bad = 0;
	u64 *ref = kunit_kcalloc(test, universe, sizeof(*ref), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ref);
	for (seed = 0; seed < seeds; seed++) {
		struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
		unsigned long present = 0;

		memset(ref, 0, universe * sizeof(*ref));	/* 0: absent */
		for (i = 0; i < n; i++) {
			u32 r = get_random_u32();
			u64 id = (r >> 4) % universe, value, v = i + 1;
			int err, want;

			switch (r & 3) {
			case 0:
				err = tree_test_get(mt, id, &value);
				if (err != (ref[id] ? 0 : -ENOENT) ||
				    (!err && value != ref[id]))
					bad++;
				continue;
			case 1:
				err = tree_test_put(mt, id, v, MASSTREE_ANY);
				want = 0;
				break;
			case 2:
				err = tree_test_put(mt, id, v, MASSTREE_NOEXIST);
				want = ref[id] ? -EEXIST : 0;
				break;
			default:
				err = tree_test_put(mt, id, v, MASSTREE_EXIST);
				want = ref[id] ? 0 : -ENOENT;
				break;
			}
			if (err != want)
				bad++;
			if (!err) {
				present += !ref[id];
				ref[id] = v;
			}
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_EQ(test, masstree_count(mt), present);
		KUNIT_EXPECT_TREE_VALID(test, mt);
		for (i = 0; i < universe; i++) {
			u64 value;
			int err = tree_test_get(mt, i, &value);

			if (err != (ref[i] ? 0 : -ENOENT) || (!err && value != ref[i]))
				bad++;
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		tree_test_free(test, mt);
	}
}

/* The tree holds one reference per stored value, exactly. */
static void object_mode_counts_references_exactly(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, 0);
	struct test_value *a = test_value_new(1), *b = test_value_new(2);
	struct kref *got;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "key", 3, &a->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&a->ref), 2U);
	got = masstree_get(mt, "key", 3);
	KUNIT_EXPECT_PTR_EQ(test, got, &a->ref);
	KUNIT_EXPECT_EQ(test, kref_read(&a->ref), 3U);
	test_value_put(a);
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "key", 3, &b->ref, MASSTREE_NOEXIST,
					   GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, kref_read(&b->ref), 1U);
	/* Replace: the tree drops a and holds b. */
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "key", 3, &b->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&a->ref), 1U);
	KUNIT_EXPECT_EQ(test, kref_read(&b->ref), 2U);
	/* The same value under a second key: two references. */
	KUNIT_EXPECT_EQ(test, masstree_put(mt, "key2", 4, &b->ref, MASSTREE_ANY,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&b->ref), 3U);
	got = masstree_get(mt, "key2", 4);
	KUNIT_EXPECT_EQ(test, test_value_of(got), 2ULL);
	test_value_put(container_of(got, struct test_value, ref));
	test_value_put(a);
	test_value_put(b);
	KUNIT_EXPECT_EQ(test, kref_read(&b->ref), 2U);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);	/* drops b's last two references */
}

/*
 * Make the n-th allocation fail, for n = 1, 2, ... until a put gets
 * through: every put either succeeds or fails with -ENOMEM leaving the
 * tree as it was. The puts need splits, new layers and bigger bags.
 */
static void out_of_memory_leaves_the_tree_unchanged(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	unsigned int failures = 0, id, n;
	u64 value;

	for (id = 0; id < 400; id++) {
		for (n = 1; n < 16; n++) {
			unsigned long count = masstree_count(mt);
			unsigned long bytes = masstree_bytes(mt);
			int err;

			if (!masstree_test_fail_nth(n))
				kunit_skip(test, "no fault injection");
			err = tree_test_put(mt, id, id, MASSTREE_ANY);
			masstree_test_fail_nth(0);
			if (!err)
				break;
			KUNIT_EXPECT_EQ(test, err, -ENOMEM);
			KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), -ENOENT);
			KUNIT_EXPECT_EQ(test, masstree_count(mt), count);
			KUNIT_EXPECT_EQ(test, masstree_bytes(mt), bytes);
			failures++;
		}
		KUNIT_EXPECT_EQ(test, tree_test_get(mt, id, &value), 0);
	}
	KUNIT_EXPECT_GT(test, failures, 0U);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	tree_test_free(test, mt);
}

/*
 * A split's right leaf keeps small suffixes inline (no second allocation);
 * when they outgrow the inline bag they move to an external one, which
 * the validator accounts for.
 */
static void suffixes_start_inline_and_move_out_when_they_grow(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree_leaf *right;
	struct masstree_node *root;
	unsigned int i, bad = 0;
	char key[64];
	u64 value;

	/* 16 keys of one slice each plus a 4-byte suffix: one split. */
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, masstree_put_index(mt, key,
				snprintf(key, sizeof(key), "key:%04u-abc", i),
				i, MASSTREE_ANY, GFP_KERNEL), 0);
	root = masstree_layer_root(mt->root);
	KUNIT_ASSERT_FALSE(test, masstree_node_is_leaf(root));
	right = masstree_to_leaf(masstree_to_internode(root)->child[1]);
	KUNIT_ASSERT_TRUE(test, masstree_leaf_has_iksuf(right));
	KUNIT_EXPECT_TRUE(test, masstree_ksuf_is_inline(right, right->ksuf));
	KUNIT_EXPECT_TREE_VALID(test, mt);
	/* New slices with long suffixes in the right leaf: no longer inline. */
	for (i = 16; i < 23; i++)
		KUNIT_EXPECT_EQ(test, masstree_put_index(mt, key,
				snprintf(key, sizeof(key), "key:%04u-%040u", i, i),
				i, MASSTREE_ANY, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, masstree_ksuf_is_inline(right, right->ksuf));
	KUNIT_EXPECT_TREE_VALID(test, mt);
	for (i = 0; i < 23; i++)
		if (masstree_get_index(mt, key, i < 16 ?
				       snprintf(key, sizeof(key), "key:%04u-abc", i) :
				       snprintf(key, sizeof(key), "key:%04u-%040u", i, i),
				       &value) || value != i)
			bad++;
	KUNIT_EXPECT_EQ(test, bad, 0U);
	tree_test_free(test, mt);
}

/*
 * A reader still inside rcu_read_lock() when the tree is destroyed keeps
 * reading valid nodes and values until it leaves: destroy frees through
 * RCU (KASAN or ASan would see an early free), and every value is
 * released once the grace period ends.
 */
static void destroy_waits_for_readers_still_inside(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, 0);
	struct test_value *tv = test_value_new(7);
	struct masstree_leaf *lf;
	struct kref *ref;
	u64 seen;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, tv);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, masstree_put(mt, &i, sizeof(i), &tv->ref,
						   MASSTREE_ANY, GFP_KERNEL), 0);
	test_value_put(tv);
	rcu_read_lock();
	lf = masstree_to_leaf(masstree_to_internode(masstree_layer_root(mt->root))->child[0]);
	ref = READ_ONCE(lf->lv[masstree_perm_slot(lf->permutation, 0)].obj);
	masstree_destroy(mt);
	/* Still inside: the leaf and the value must still be there. */
	seen = READ_ONCE(lf->ikey[0]) + test_value_of(ref) + kref_read(ref);
	rcu_read_unlock();
	KUNIT_EXPECT_NE(test, seen, 0ULL);
	masstree_reclaim_flush();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&test_values_live), 0L);
}

static struct kunit_case masstree_get_put_cases[] = {
	KUNIT_CASE(put_then_get_returns_the_value),
	KUNIT_CASE(empty_tree_finds_nothing),
	KUNIT_CASE(put_flags_insert_only_and_replace_only),
	KUNIT_CASE(bad_input_gets_a_clear_errno),
	KUNIT_CASE(ascending_inserts_are_all_found),
	KUNIT_CASE(descending_inserts_are_all_found),
	KUNIT_CASE(random_inserts_are_all_found),
	KUNIT_CASE(every_prefix_of_a_long_key),
	KUNIT_CASE(trailing_nul_bytes_are_distinct_keys),
	KUNIT_CASE(keys_sharing_prefixes_of_whole_slices),
	KUNIT_CASE(random_binary_keys),
	KUNIT_CASE(kilobyte_keys),
	KUNIT_CASE(differential_against_reference_map),
	KUNIT_CASE(object_mode_counts_references_exactly),
	KUNIT_CASE(out_of_memory_leaves_the_tree_unchanged),
	KUNIT_CASE(suffixes_start_inline_and_move_out_when_they_grow),
	KUNIT_CASE(destroy_waits_for_readers_still_inside),
	{}
};

static struct kunit_suite masstree_get_put_suite = {
	.name = "masstree_get_put",
	.test_cases = masstree_get_put_cases,
};

kunit_test_suites(&masstree_get_put_suite);
