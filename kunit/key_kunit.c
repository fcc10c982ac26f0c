// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_key: slices, length codes and layer shifts of binary keys.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include "masstree_test.h"
#include "key.h"

/* The reference order: memcmp() on the common prefix, then shorter first. */
static int reference_compare(const u8 *a, unsigned int alen,
			     const u8 *b, unsigned int blen)
{
	int c = memcmp(a, b, min(alen, blen));

	if (c)
		return c < 0 ? -1 : 1;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* Compare two keys the way the tree does: slice by slice, layer by layer. */
static int layered_compare(const u8 *a, unsigned int alen,
			   const u8 *b, unsigned int blen)
{
	struct masstree_key ka, kb;
	int c;

	masstree_key_init(&ka, a, alen);
	masstree_key_init(&kb, b, blen);
	for (;;) {
		c = masstree_compare(ka.ikey, masstree_key_klen(&ka),
				     kb.ikey, masstree_key_klen(&kb));
		if (c)
			return c < 0 ? -1 : 1;
		if (!masstree_key_has_suffix(&ka))
			return 0;
		masstree_key_shift(&ka);
		masstree_key_shift(&kb);
	}
}

static void ikey_is_big_endian_and_zero_padded(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, masstree_ikey((const u8 *)"abcdefgh", 8),
			0x6162636465666768ULL);
	KUNIT_EXPECT_EQ(test, masstree_ikey((const u8 *)"abcdefghij", 10),
			0x6162636465666768ULL);
	KUNIT_EXPECT_EQ(test, masstree_ikey((const u8 *)"ab", 2),
			0x6162000000000000ULL);
	KUNIT_EXPECT_EQ(test, masstree_ikey((const u8 *)"\xff", 1),
			0xff00000000000000ULL);
	KUNIT_EXPECT_EQ(test, masstree_ikey(NULL, 0), 0ULL);
}

/* Each key sits at the very end of its own allocation: KASAN sees overreads. */
static void ikey_never_reads_past_the_key(struct kunit *test)
{
	unsigned int len, i;

	for (len = 0; len <= 2 * MASSTREE_SLICE_LEN + 1; len++) {
		u8 *buf = kmalloc(len ? len : 1, GFP_KERNEL);
		struct masstree_key k;
		u64 expect = 0;

		KUNIT_ASSERT_NOT_NULL(test, buf);
		for (i = 0; i < len; i++)
			buf[i] = 0x41 + i;
		for (i = 0; i < MASSTREE_SLICE_LEN; i++)
			expect = expect << 8 | (i < len ? 0x41 + i : 0);
		masstree_key_init(&k, buf, len);
		KUNIT_EXPECT_EQ_MSG(test, k.ikey, expect, "len %u", len);
		while (masstree_key_has_suffix(&k))
			masstree_key_shift(&k);
		KUNIT_EXPECT_LE(test, masstree_key_rest(&k), MASSTREE_SLICE_LEN);
		kfree(buf);
	}
}

static void klen_codes_lengths_up_to_a_slice(struct kunit *test)
{
	static const u8 key[20];
	struct masstree_key k;
	unsigned int len;

	for (len = 0; len <= MASSTREE_SLICE_LEN; len++) {
		masstree_key_init(&k, key, len);
		KUNIT_EXPECT_EQ(test, masstree_key_klen(&k), len);
		KUNIT_EXPECT_FALSE(test, masstree_key_has_suffix(&k));
	}
	for (; len < sizeof(key); len++) {
		masstree_key_init(&k, key, len);
		KUNIT_EXPECT_EQ(test, masstree_key_klen(&k), MASSTREE_KLEN_SUFFIX);
		KUNIT_EXPECT_TRUE(test, masstree_key_has_suffix(&k));
		KUNIT_EXPECT_EQ(test, masstree_key_suffix_len(&k),
				len - MASSTREE_SLICE_LEN);
	}
	KUNIT_EXPECT_TRUE(test, masstree_klen_continues(MASSTREE_KLEN_SUFFIX));
	KUNIT_EXPECT_TRUE(test, masstree_klen_continues(MASSTREE_KLEN_LAYER));
	KUNIT_EXPECT_FALSE(test, masstree_klen_continues(MASSTREE_SLICE_LEN));
}

static void shift_walks_slices_and_unshift_returns(struct kunit *test)
{
	static const u8 key[] = "0123456789abcdefXYZ";	/* 19 bytes */
	struct masstree_key k;

	masstree_key_init(&k, key, 19);
	KUNIT_EXPECT_EQ(test, k.ikey, masstree_ikey(key, 8));
	KUNIT_EXPECT_PTR_EQ(test, masstree_key_suffix(&k), key + 8);
	masstree_key_shift(&k);
	KUNIT_EXPECT_EQ(test, k.off, 8U);
	KUNIT_EXPECT_EQ(test, k.ikey, masstree_ikey((const u8 *)"89abcdef", 8));
	KUNIT_EXPECT_EQ(test, masstree_key_klen(&k), MASSTREE_KLEN_SUFFIX);
	masstree_key_shift(&k);
	KUNIT_EXPECT_EQ(test, k.ikey, 0x58595a0000000000ULL);
	KUNIT_EXPECT_EQ(test, masstree_key_klen(&k), 3);
	masstree_key_unshift(&k);
	masstree_key_unshift(&k);
	KUNIT_EXPECT_EQ(test, k.off, 0U);
	KUNIT_EXPECT_EQ(test, k.ikey, masstree_ikey(key, 8));
}

/* "a", "a\0" and "a\0\0" share a slice yet are three ordered keys. */
static void trailing_nul_bytes_make_distinct_keys(struct kunit *test)
{
	static const u8 key[16] = "a";
	unsigned int i, j;

	for (i = 1; i < sizeof(key); i++) {
		for (j = 1; j < sizeof(key); j++) {
			int expect = i == j ? 0 : i < j ? -1 : 1;

			KUNIT_EXPECT_EQ_MSG(test, layered_compare(key, i, key, j),
					    expect, "lengths %u and %u", i, j);
		}
	}
	KUNIT_EXPECT_LT(test, masstree_compare(masstree_ikey(key, 1), 1,
					       masstree_ikey(key, 2), 2), 0);
}

static void layer_link_sorts_like_a_suffix(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, masstree_compare(5, MASSTREE_KLEN_LAYER,
					       5, MASSTREE_KLEN_SUFFIX), 0);
	KUNIT_EXPECT_GT(test, masstree_compare(5, MASSTREE_KLEN_LAYER, 5, 8), 0);
	KUNIT_EXPECT_LT(test, masstree_compare(4, MASSTREE_KLEN_LAYER, 5, 0), 0);
}

/* Bytes that stress signedness and padding: 0x00, 0x01, 0x7f, 0x80, 0xff. */
static void random_key(u8 *buf, unsigned int *len, unsigned int max)
{
	static const u8 alphabet[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	unsigned int i;

	*len = get_random_u32() % (max + 1);
	for (i = 0; i < *len; i++)
		buf[i] = alphabet[get_random_u32() % ARRAY_SIZE(alphabet)];
}

static void layered_compare_matches_memcmp_order(struct kunit *test)
{
	unsigned int n = MASSTREE_TEST_N(20000, 1000000), i, alen, blen;
	u8 a[3 * MASSTREE_SLICE_LEN], b[3 * MASSTREE_SLICE_LEN];

	for (i = 0; i < n; i++) {
		int got, expect;

		random_key(a, &alen, sizeof(a));
		/* Half the pairs share a prefix, so deep slices get compared. */
		if (i & 1) {
			memcpy(b, a, sizeof(b));
			blen = get_random_u32() % (sizeof(b) + 1);
		} else {
			random_key(b, &blen, sizeof(b));
		}
		got = layered_compare(a, alen, b, blen);
		expect = reference_compare(a, alen, b, blen);

		if (got != expect) {
			KUNIT_EXPECT_EQ_MSG(test, got, expect,
					    "keys of %u and %u bytes (pair %u)",
					    alen, blen, i);
			return;
		}
	}
}

static struct kunit_case masstree_key_cases[] = {
	KUNIT_CASE(ikey_is_big_endian_and_zero_padded),
	KUNIT_CASE(ikey_never_reads_past_the_key),
	KUNIT_CASE(klen_codes_lengths_up_to_a_slice),
	KUNIT_CASE(shift_walks_slices_and_unshift_returns),
	KUNIT_CASE(trailing_nul_bytes_make_distinct_keys),
	KUNIT_CASE(layer_link_sorts_like_a_suffix),
	KUNIT_CASE(layered_compare_matches_memcmp_order),
	{}
};

static struct kunit_suite masstree_key_suite = {
	.name = "masstree_key",
	.test_cases = masstree_key_cases,
};

kunit_test_suites(&masstree_key_suite);
