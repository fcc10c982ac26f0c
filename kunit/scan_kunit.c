// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_scan: forward and reverse scans, through the callback and the
 * cursor, checked against a sorted reference: across layers and leaves,
 * from inclusive, exclusive and absent start keys, to end bounds and
 * counts, and while writers insert, replace and remove around keys that
 * stay put.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "tree_test.h"
#include "tree.h"

/* A set of distinct keys, sorted in memcmp order (shorter prefix first). */
struct keyset {
	unsigned int n;
	u8 **key;
	unsigned int *len;
};

static int keycmp(const void *a, unsigned int alen, const void *b,
		  unsigned int blen)
{
	int c = memcmp(a, b, min(alen, blen));

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int keyset_cmp(const struct keyset *ks, unsigned int i, unsigned int j)
{
	return keycmp(ks->key[i], ks->len[i], ks->key[j], ks->len[j]);
}

static void keyset_swap(struct keyset *ks, unsigned int i, unsigned int j)
{
	u8 *k = ks->key[i];
	unsigned int l = ks->len[i];

	ks->key[i] = ks->key[j];
	ks->len[i] = ks->len[j];
	ks->key[j] = k;
	ks->len[j] = l;
}

static void keyset_sift(struct keyset *ks, unsigned int i, unsigned int n)
{
	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && keyset_cmp(ks, c + 1, c) > 0)
			c++;
		if (keyset_cmp(ks, i, c) >= 0)
			return;
		keyset_swap(ks, i, c);
		i = c;
	}
}

/* Heap sort, then drop duplicates. */
static void keyset_sort(struct keyset *ks)
{
	unsigned int i, n = ks->n, out = 0;

	for (i = n / 2; i-- > 0;)
		keyset_sift(ks, i, n);
	for (i = n; i-- > 1;) {
		keyset_swap(ks, 0, i);
		keyset_sift(ks, 0, i);
	}
	for (i = 0; i < n; i++) {
		if (out && !keyset_cmp(ks, out - 1, i))
			continue;
		ks->key[out] = ks->key[i];
		ks->len[out++] = ks->len[i];
	}
	ks->n = out;
}

/* The first index whose key is >= (or > with @strict) the given key. */
static unsigned int keyset_lower(const struct keyset *ks, const void *key,
				 unsigned int len, bool strict)
{
	unsigned int lo = 0, hi = ks->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		int c = keycmp(ks->key[mid], ks->len[mid], key, len);

		if (c < 0 || (strict && !c))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct keyset *keyset_new(struct kunit *test, unsigned int cap)
{
	struct keyset *ks = kunit_kzalloc(test, sizeof(*ks), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ks);
	ks->key = kunit_kcalloc(test, cap, sizeof(*ks->key), GFP_KERNEL);
	ks->len = kunit_kcalloc(test, cap, sizeof(*ks->len), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ks->key);
	KUNIT_ASSERT_NOT_NULL(test, ks->len);
	return ks;
}

static void keyset_add(struct kunit *test, struct keyset *ks, const void *key,
		       unsigned int len)
{
	u8 *k = kunit_kmalloc(test, len ? len : 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	memcpy(k, key, len);
	ks->key[ks->n] = k;
	ks->len[ks->n++] = len;
}

#define LAYERED_MAX	2000

/*
 * Keys that exercise every layer path: the empty key, "a" followed by 0..
 * 24 NUL bytes, 8-, 16- and 24-byte shared prefixes with tails of 0..20
 * bytes, every prefix of a 300-byte key, 1 KiB keys differing at their
 * ends, and the get/put suites' universe.
 */
static struct keyset *layered_keys(struct kunit *test)
{
	struct keyset *ks = keyset_new(test, LAYERED_MAX);
	u8 *buf = kunit_kzalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL);
	unsigned int i, p, t, v;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	keyset_add(test, ks, "", 0);
	for (i = 1; i <= 25; i++)
		keyset_add(test, ks, "a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", i);
	for (p = 8; p <= 24; p += 8) {
		for (t = 0; t <= 20; t += 1 + t / 4) {
			for (v = 0; v < 4; v++) {
				memset(buf, 'p', p);
				memset(buf + p, "\x00\x01Z\xff"[v], t);
				keyset_add(test, ks, buf, p + t);
			}
		}
	}
	for (i = 0; i < 300; i++)
		buf[i] = i % 3 ? 'a' + i % 26 : 0;
	for (i = 0; i <= 300; i += 1 + i / 16)
		keyset_add(test, ks, buf, i);
	memset(buf, 'K', MASSTREE_MAX_KEY_LEN);
	for (i = 0; i < 20; i++) {
		buf[MASSTREE_MAX_KEY_LEN - 1 - i % 3] = 'A' + i;
		keyset_add(test, ks, buf, MASSTREE_MAX_KEY_LEN - i % 2);
	}
	for (i = 0; i < 1000; i++)
		keyset_add(test, ks, buf, tree_test_key(i, buf));
	KUNIT_ASSERT_LE(test, ks->n, LAYERED_MAX);
	keyset_sort(ks);
	return ks;
}

/* An index tree holding every key of @ks, each with its index as value. */
static struct masstree *tree_of(struct kunit *test, const struct keyset *ks)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	unsigned int i, bad = 0;

	/* Every other key first, then the rest: splits in the middle. */
	for (i = 0; i < 2 * ks->n; i++) {
		unsigned int j = i < ks->n ? i : i - ks->n;

		if ((i < ks->n) == (j & 1))
			continue;
		if (masstree_put_index(mt, ks->key[j], ks->len[j], j,
				       MASSTREE_NOEXIST, GFP_KERNEL))
			bad++;
	}
	KUNIT_ASSERT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, masstree_count(mt), (unsigned long)ks->n);
	return mt;
}

/*
 * What a callback scan saw: the values in order (index trees store each
 * key's index in the keyset), and whether each key matched its value.
 */
struct seen {
	const struct keyset *ks;
	u64 *val;
	unsigned int n;
	unsigned int cap;
	unsigned int stop_at;	/* return nonzero after this many; 0: never */
	unsigned int mismatched;
};

static int seen_fn(void *ctx, const void *key, size_t len, union masstree_value val)
{
	struct seen *s = ctx;

	if (val.index >= s->ks->n ||
	    keycmp(key, len, s->ks->key[val.index], s->ks->len[val.index]))
		s->mismatched++;
	if (s->n < s->cap)
		s->val[s->n] = val.index;
	s->n++;
	return s->stop_at && s->n >= s->stop_at;
}

static struct seen *seen_new(struct kunit *test, const struct keyset *ks,
			     unsigned int cap)
{
	struct seen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->ks = ks;
	s->cap = cap;
	s->val = kunit_kcalloc(test, cap, sizeof(*s->val), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->val);
	return s;
}

static void *keybuf(struct kunit *test)
{
	void *buf = kunit_kmalloc(test, MASSTREE_MAX_KEY_LEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	return buf;
}

/*
 * Scan @mt (holding @ks) from @start as @flags say, to @end, at most
 * @max keys, and compare with the reference: the keys of @ks from the
 * start's position on, in order. Return the number of mismatches.
 */
static unsigned int check_scan(struct masstree *mt, const struct keyset *ks,
			       struct seen *s, void *buf,
			       const void *start, unsigned int start_len,
			       const void *end, unsigned int end_len,
			       unsigned long max, unsigned int flags)
{
	struct masstree_scan_args args = {
		.start = start, .start_len = start_len,
		.end = end, .end_len = end_len,
		.max = max, .flags = flags, .buf = buf,
	};
	bool reverse = flags & MASSTREE_SCAN_REVERSE;
	bool excl = flags & MASSTREE_SCAN_EXCLUSIVE;
	unsigned int bad = 0, want = 0;
	long i, pos, got;

	if (flags & MASSTREE_SCAN_FROM_EDGE)
		pos = reverse ? (long)ks->n - 1 : 0;
	else if (!reverse)
		pos = keyset_lower(ks, start, start_len, excl);
	else
		pos = (long)keyset_lower(ks, start, start_len, !excl) - 1;
	s->n = 0;
	s->mismatched = 0;
	got = masstree_scan(mt, &args, seen_fn, s);
	for (i = pos; i >= 0 && i < ks->n && (!max || want < max);
	     i += reverse ? -1 : 1) {
		if (end) {
			int c = keycmp(ks->key[i], ks->len[i], end, end_len);

			if (reverse)
				c = -c;
			if (c > 0 || (!c && (flags & MASSTREE_SCAN_END_EXCLUSIVE)))
				break;
		}
		if (want < s->n && want < s->cap && s->val[want] != i)
			bad++;
		want++;
	}
	if (got != want || s->n != want)
		bad++;
	return bad + s->mismatched;
}

static void scan_of_an_empty_tree_visits_nothing(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct keyset *ks = keyset_new(test, 1);
	struct seen *s = seen_new(test, ks, 1);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	union masstree_value val;
	void *buf = keybuf(test);

	KUNIT_ASSERT_NOT_NULL(test, cur);
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, NULL, 0, NULL, 0, 0,
					 MASSTREE_SCAN_FROM_EDGE), 0U);
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, NULL, 0, NULL, 0, 0,
					 MASSTREE_SCAN_FROM_EDGE |
					 MASSTREE_SCAN_REVERSE), 0U);
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, "k", 1, NULL, 0, 0, 0), 0U);
	KUNIT_EXPECT_EQ(test, masstree_cursor_init(cur, mt, NULL, 0,
						   MASSTREE_SCAN_FROM_EDGE), 0);
	KUNIT_EXPECT_EQ(test, masstree_cursor_next(cur, &val), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_cursor_next(cur, &val), -ENOENT);
	tree_test_free(test, mt);
}

/* Whole scans return every key once, in order, both ways, both forms. */
static void full_scans_cross_layers_in_memcmp_order(struct kunit *test)
{
	struct keyset *ks = layered_keys(test);
	struct masstree *mt = tree_of(test, ks);
	struct seen *s = seen_new(test, ks, ks->n);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	union masstree_value val;
	void *buf = keybuf(test);
	unsigned int bad = 0, n;

	KUNIT_ASSERT_NOT_NULL(test, cur);
	KUNIT_EXPECT_TREE_VALID(test, mt);
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, NULL, 0, NULL, 0, 0,
					 MASSTREE_SCAN_FROM_EDGE), 0U);
	KUNIT_EXPECT_EQ(test, s->n, ks->n);
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, NULL, 0, NULL, 0, 0,
					 MASSTREE_SCAN_FROM_EDGE |
					 MASSTREE_SCAN_REVERSE), 0U);
	KUNIT_EXPECT_EQ(test, s->n, ks->n);
	/* The empty key is the first key: from it, inclusive, is everything. */
	KUNIT_EXPECT_EQ(test, check_scan(mt, ks, s, buf, "", 0, NULL, 0, 0, 0), 0U);
	KUNIT_EXPECT_EQ(test, s->n, ks->n);

	n = 0;
	masstree_cursor_init(cur, mt, NULL, 0, MASSTREE_SCAN_FROM_EDGE);
	masstree_cursor_for_each(cur, &val) {
		if (val.index != n ||
		    keycmp(cur->key, cur->len, ks->key[n], ks->len[n]))
			bad++;
		n++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, n, ks->n);
	masstree_cursor_init(cur, mt, NULL, 0,
			     MASSTREE_SCAN_FROM_EDGE | MASSTREE_SCAN_REVERSE);
	masstree_cursor_for_each(cur, &val) {
		n--;
		if (val.index != n ||
		    keycmp(cur->key, cur->len, ks->key[n], ks->len[n]))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, n, 0U);
	tree_test_free(test, mt);
}

/* A random key over a small alphabet: often a prefix of, or near, others. */
static unsigned int probe_key(const struct keyset *ks, u8 *buf)
{
	u32 r = get_random_u32();
	unsigned int len, i;

	if (r % 3 == 0) {	/* an existing key, maybe cut or extended */
		i = (r >> 2) % ks->n;
		len = ks->len[i];
		memcpy(buf, ks->key[i], len);
		if (r & (1U << 30) && len)
			len -= 1 + (r >> 20) % len;
		else if (r & (1U << 31) && len < MASSTREE_MAX_KEY_LEN)
			buf[len++] = "\x00\x01Z\xff"[(r >> 12) & 3];
		return len;
	}
	len = (r >> 2) % 30;
	for (i = 0; i < len; i++)
		buf[i] = "\x00\x01apZ\xff"[get_random_u32() % 6];
	return len;
}

/* Present, absent, cut and extended start keys, with counts, both ways. */
static void start_keys_inclusive_exclusive_and_absent(struct kunit *test)
{
	struct keyset *ks = layered_keys(test);
	struct masstree *mt = tree_of(test, ks);
	struct seen *s = seen_new(test, ks, 64);
	u8 *start = keybuf(test), *buf = keybuf(test);
	unsigned int i, bad = 0;

	for (i = 0; i < ks->n; i++) {
		unsigned int flags = i & 3 ? (i & 3) - 1 : MASSTREE_SCAN_EXCLUSIVE |
						       MASSTREE_SCAN_REVERSE;

		bad += check_scan(mt, ks, s, buf, ks->key[i], ks->len[i], NULL, 0,
				  1 + i % 5, flags);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	for (i = 0; i < 4000; i++) {
		unsigned int len = probe_key(ks, start);

		bad += check_scan(mt, ks, s, buf, start, len, NULL, 0, 1 + i % 40,
				  i & (MASSTREE_SCAN_REVERSE | MASSTREE_SCAN_EXCLUSIVE));
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	/* The start key may live in the buffer the scan builds keys in. */
	memcpy(buf, ks->key[7], ks->len[7]);
	bad += check_scan(mt, ks, s, buf, buf, ks->len[7], NULL, 0, 10, 0);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	tree_test_free(test, mt);
}

/* Inclusive and exclusive end keys, present or absent; counts; no limit. */
static void end_keys_and_counts_bound_the_scan(struct kunit *test)
{
	struct keyset *ks = layered_keys(test);
	struct masstree *mt = tree_of(test, ks);
	struct seen *s = seen_new(test, ks, ks->n);
	u8 *start = keybuf(test), *end = keybuf(test), *buf = keybuf(test);
	unsigned int i, bad = 0;

	for (i = 0; i < 2000; i++) {
		unsigned int slen = probe_key(ks, start), elen = probe_key(ks, end);
		unsigned int flags = i & (MASSTREE_SCAN_REVERSE |
					  MASSTREE_SCAN_EXCLUSIVE |
					  MASSTREE_SCAN_END_EXCLUSIVE);

		if (i % 7 == 0)
			flags |= MASSTREE_SCAN_FROM_EDGE;
		bad += check_scan(mt, ks, s, buf, start, slen, end, elen,
				  i % 3 ? 0 : i % 50, flags);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	/* Start equal to an inclusive end: that key alone. */
	bad += check_scan(mt, ks, s, buf, ks->key[3], ks->len[3], ks->key[3],
			  ks->len[3], 0, 0);
	KUNIT_EXPECT_EQ(test, s->n, 1U);
	bad += check_scan(mt, ks, s, buf, ks->key[3], ks->len[3], ks->key[3],
			  ks->len[3], 0, MASSTREE_SCAN_END_EXCLUSIVE);
	KUNIT_EXPECT_EQ(test, s->n, 0U);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	tree_test_free(test, mt);
}

static void callback_return_stops_the_scan(struct kunit *test)
{
	struct keyset *ks = layered_keys(test);
	struct masstree *mt = tree_of(test, ks);
	struct seen *s = seen_new(test, ks, ks->n);
	struct masstree_scan_args args = {
		.flags = MASSTREE_SCAN_FROM_EDGE, .buf = keybuf(test),
	};
	unsigned int i;

	s->stop_at = 5;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, seen_fn, s), 5L);
	KUNIT_EXPECT_EQ(test, s->n, 5U);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, s->val[i], (u64)i);
	KUNIT_EXPECT_EQ(test, s->mismatched, 0U);
	tree_test_free(test, mt);
}

/*
 * A cursor's keys, and a callback scan resumed in batches from the last
 * key it returned (exclusive), both match one full scan.
 */
static void cursor_and_batches_resume_where_they_left_off(struct kunit *test)
{
	struct keyset *ks = layered_keys(test);
	struct masstree *mt = tree_of(test, ks);
	struct seen *s = seen_new(test, ks, 16);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	struct masstree_scan_args args = { .max = 7, .buf = keybuf(test) };
	u8 *last = keybuf(test);
	unsigned int i, bad = 0, dir;
	union masstree_value val;

	KUNIT_ASSERT_NOT_NULL(test, cur);
	for (dir = 0; dir < 2; dir++) {
		unsigned int flags = dir ? MASSTREE_SCAN_REVERSE : 0;
		unsigned int n = 0, lastlen = 0;
		long got;

		args.flags = flags | MASSTREE_SCAN_FROM_EDGE;
		args.start = last;
		do {
			s->n = 0;
			got = masstree_scan(mt, &args, seen_fn, s);
			for (i = 0; i < got; i++, n++)
				if (s->val[i] != (dir ? ks->n - 1 - n : n))
					bad++;
			if (got > 0) {
				u64 li = s->val[got - 1];

				lastlen = ks->len[li];
				memcpy(last, ks->key[li], lastlen);
			}
			args.start_len = lastlen;
			args.flags = flags | MASSTREE_SCAN_EXCLUSIVE;
		} while (got == 7);
		KUNIT_EXPECT_EQ(test, n, ks->n);
		KUNIT_EXPECT_EQ(test, s->mismatched, 0U);

		/* A cursor from the middle key, inclusive. */
		i = ks->n / 2;
		KUNIT_EXPECT_EQ(test, masstree_cursor_init(cur, mt, ks->key[i],
							   ks->len[i], flags), 0);
		n = 0;
		masstree_cursor_for_each(cur, &val) {
			unsigned int want = dir ? ks->n / 2 - n : ks->n / 2 + n;

			if (val.index != want ||
			    keycmp(cur->key, cur->len, ks->key[want], ks->len[want]))
				bad++;
			n++;
		}
		KUNIT_EXPECT_EQ(test, n, dir ? ks->n / 2 + 1 : ks->n - ks->n / 2);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	tree_test_free(test, mt);
}

/* Object mode: the callback borrows, the cursor returns a reference. */
static void cursor_returns_one_reference_per_value(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, 0);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	struct test_value *tv[40];
	union masstree_value val;
	unsigned int i, n = 0, bad = 0;
	u8 key[TREE_TEST_KEY_MAX];

	KUNIT_ASSERT_NOT_NULL(test, cur);
	for (i = 0; i < ARRAY_SIZE(tv); i++) {
		tv[i] = test_value_new(i);
		KUNIT_ASSERT_NOT_NULL(test, tv[i]);
		KUNIT_ASSERT_EQ(test, masstree_put(mt, key, tree_test_key(i, key),
						   &tv[i]->ref, MASSTREE_ANY,
						   GFP_KERNEL), 0);
		test_value_put(tv[i]);	/* the tree's is the only one now */
	}
	masstree_cursor_init(cur, mt, NULL, 0, MASSTREE_SCAN_FROM_EDGE);
	masstree_cursor_for_each(cur, &val) {
		u64 id = test_value_of(val.ref);

		if (id >= ARRAY_SIZE(tv) || kref_read(val.ref) != 2 ||
		    keycmp(cur->key, cur->len, key, tree_test_key(id, key)))
			bad++;
		kref_put(val.ref, test_value_release);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, (unsigned int)ARRAY_SIZE(tv));
	KUNIT_EXPECT_EQ(test, bad, 0U);
	for (i = 0; i < ARRAY_SIZE(tv); i++)
		KUNIT_EXPECT_EQ(test, kref_read(&tv[i]->ref), 1U);
	tree_test_free(test, mt);
}

static void bad_arguments_get_clear_errnos(struct kunit *test)
{
	struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	struct keyset *ks = keyset_new(test, 1);
	struct seen *s = seen_new(test, ks, 1);
	static u8 big[MASSTREE_MAX_KEY_LEN + 1];
	struct masstree_scan_args args = { .buf = keybuf(test) };
	union masstree_value val;

	KUNIT_ASSERT_NOT_NULL(test, cur);
	KUNIT_EXPECT_EQ(test, masstree_put_index(mt, "k", 1, 1, MASSTREE_ANY,
						 GFP_KERNEL), 0);
	args.flags = 1U << 20;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, seen_fn, s), -EINVAL);
	args.flags = 0;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, NULL, s), -EINVAL);
	args.start = big;
	args.start_len = sizeof(big);
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, seen_fn, s), -E2BIG);
	/* ... unless the start key is not used. */
	args.flags = MASSTREE_SCAN_FROM_EDGE;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, seen_fn, s), 1L);
	args.buf = NULL;
	KUNIT_EXPECT_EQ(test, masstree_scan(mt, &args, seen_fn, s), -EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_cursor_init(cur, mt, big, sizeof(big), 0),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, masstree_cursor_next(cur, &val), -ENOENT);
	KUNIT_EXPECT_EQ(test, masstree_cursor_init(cur, mt, "k", 1, 1U << 9),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, masstree_cursor_next(cur, &val), -ENOENT);
	tree_test_free(test, mt);
}

/*
 * A callback scan from universe key @k to universe key @e (inclusive)
 * against the presence array: return the number of mismatches.
 */
static unsigned int check_present(struct masstree *mt, const struct keyset *ks,
				  const u8 *present, struct seen *s, u8 *buf,
				  unsigned int k, unsigned int e, unsigned int max,
				  unsigned int flags)
{
	struct masstree_scan_args args = {
		.start = ks->key[k], .start_len = ks->len[k],
		.end = ks->key[e], .end_len = ks->len[e],
		.max = max, .flags = flags, .buf = buf,
	};
	bool reverse = flags & MASSTREE_SCAN_REVERSE;
	long j = k, step = reverse ? -1 : 1;
	unsigned int want = 0, bad = 0;
	long got;

	if (flags & MASSTREE_SCAN_EXCLUSIVE)
		j += step;
	s->n = 0;
	s->mismatched = 0;
	got = masstree_scan(mt, &args, seen_fn, s);
	for (; j >= 0 && j < ks->n && want < max && (reverse ? j >= e : j <= e);
	     j += step) {
		if (!present[j])
			continue;
		if (want < got && s->val[want] != j)
			bad++;
		want++;
	}
	return bad + s->mismatched + (got != want);
}

/*
 * Random puts, removes and scans (callback or cursor, either way, from
 * present or absent keys, with counts and end keys) on a universe of keys,
 * against a sorted reference: a presence array over the sorted universe.
 */
static void differential_against_sorted_reference(struct kunit *test)
{
	unsigned int universe = 4096, seed, seeds = MASSTREE_TEST_IN_KERNEL ? 1 : 3;
	unsigned long n = MASSTREE_TEST_N(100000, 350000), i, bad = 0, scans = 0;
	unsigned long cnt;
	struct keyset *ks = keyset_new(test, universe);
	struct masstree_cursor *cur = kunit_kmalloc(test, sizeof(*cur), GFP_KERNEL);
	u8 *present = kunit_kzalloc(test, universe, GFP_KERNEL);
	u8 *buf = keybuf(test);
	struct seen *s;

	KUNIT_ASSERT_NOT_NULL(test, cur);
	KUNIT_ASSERT_NOT_NULL(test, present);
	for (i = 0; i < universe; i++)
		keyset_add(test, ks, buf, tree_test_key(i, buf));
	keyset_sort(ks);
	KUNIT_ASSERT_EQ(test, ks->n, universe);
	s = seen_new(test, ks, 32);
	for (seed = 0; seed < seeds; seed++) {
		struct masstree *mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);

		memset(present, 0, universe);
		for (i = 0; i < n; i++) {
			u32 r = get_random_u32();
			unsigned int k = (r >> 8) % universe, max = 1 + (r >> 3) % 20;
			unsigned int flags = r & (MASSTREE_SCAN_REVERSE |
						  MASSTREE_SCAN_EXCLUSIVE);
			bool reverse = flags & MASSTREE_SCAN_REVERSE;
			unsigned int want, got = 0;
			long j, step = reverse ? -1 : 1;
			union masstree_value val;
			u64 old;
			int err;

			/* Fill to about half, then churn. */
			switch ((r >> 5) % 4) {
			case 0:
				err = masstree_put_index(mt, ks->key[k], ks->len[k], k,
							 MASSTREE_ANY, GFP_KERNEL);
				bad += err != 0;
				present[k] = 1;
				continue;
			case 1:
				err = masstree_remove_index(mt, ks->key[k], ks->len[k],
							    &old);
				bad += err != (present[k] ? 0 : -ENOENT);
				present[k] = 0;
				continue;
			case 2:
				/* The callback; with an end key half the time. */
				if (r & (1U << 31)) {
					unsigned int e = (r >> 20) % universe;

					/* check_scan() needs a dense keyset: the tree. */
					bad += check_present(mt, ks, present, s, buf,
							     k, e, max, flags);
					scans++;
					continue;
				}
				break;
			default:
				break;
			}
			scans++;
			/* Reference: present keys from k on, in scan order. */
			j = k;
			if (flags & MASSTREE_SCAN_EXCLUSIVE)
				j += step;
			if ((r >> 5) % 4 == 2) {
				struct masstree_scan_args args = {
					.start = ks->key[k], .start_len = ks->len[k],
					.max = max, .flags = flags, .buf = buf,
				};

				s->n = 0;
				s->mismatched = 0;
				got = masstree_scan(mt, &args, seen_fn, s);
				for (want = 0; j >= 0 && j < universe && want < max;
				     j += step) {
					if (!present[j])
						continue;
					if (want < got && s->val[want] != j)
						bad++;
					want++;
				}
				bad += s->mismatched;
			} else {
				masstree_cursor_init(cur, mt, ks->key[k], ks->len[k],
						     flags);
				for (want = 0; j >= 0 && j < universe && want < max;
				     j += step) {
					if (!present[j])
						continue;
					if (masstree_cursor_next(cur, &val) ||
					    val.index != j ||
					    keycmp(cur->key, cur->len, ks->key[j],
						   ks->len[j]))
						bad++;
					want++;
					got++;
				}
				/* Nothing after the last present key. */
				if (j < 0 || j >= universe)
					bad += masstree_cursor_next(cur, &val) != -ENOENT;
			}
			bad += got != want;
		}
		KUNIT_EXPECT_EQ(test, bad, 0UL);
		KUNIT_EXPECT_TREE_VALID(test, mt);
		/* A full scan at the end sees exactly the reference. */
		for (i = 0, cnt = 0; i < universe; i++)
			cnt += present[i];
		KUNIT_EXPECT_EQ(test, masstree_count(mt), cnt);
		tree_test_free(test, mt);
	}
	kunit_info(test, "%lu ops, %lu scans", n * seeds, scans);
}

/*
 * Writers insert and remove odd keys (splitting leaves, making and
 * emptying layers, deleting leaves) and replace the values of even keys,
 * which stay present throughout; scanners, forward and reverse, by
 * callback and by cursor, from random start keys, check that every even
 * key after the start comes exactly once and in order, and that
 * everything returned is a key of the universe with its own value.
 */
#define SC_WRITERS	2
#define SC_SCANNERS	3

struct scan_stress {
	struct kunit *test;
	struct masstree *mt;
	struct keyset *ks;		/* the universe, sorted */
	u32 *id_of;			/* rank -> id */
	unsigned int *rank_of;		/* id -> rank */
	atomic_long_t errors;
	atomic_long_t scans;
	atomic_long_t keys;
	atomic_long_t writes;
};

struct scan_thread {
	struct scan_stress *ss;
	unsigned int n;
	u8 *buf;
	struct masstree_cursor *cur;
	/* the scan being checked */
	long expect;		/* the next stable rank due */
	long last;		/* the last rank returned, -1: none */
	bool reverse;
	unsigned long errors;
	unsigned long count;
};

static bool ss_stable(const struct scan_stress *ss, long rank)
{
	return !(ss->id_of[rank] & 1);
}

/* The first stable rank at or after @rank in scan order (or off the end). */
static long ss_next_stable(const struct scan_stress *ss, long rank, bool reverse)
{
	while (rank >= 0 && rank < ss->ks->n && !ss_stable(ss, rank))
		rank += reverse ? -1 : 1;
	return rank;
}

static void ss_check(struct scan_thread *t, const void *key, size_t len, u64 value)
{
	struct scan_stress *ss = t->ss;
	u64 id = value & 0xffffffff;
	long rank;

	if (id >= ss->ks->n) {
		t->errors++;
		return;
	}
	rank = ss->rank_of[id];
	if (keycmp(key, len, ss->ks->key[rank], ss->ks->len[rank]))
		t->errors++;
	/* Strictly in order: no key twice. */
	if (t->last >= 0 && (t->reverse ? rank >= t->last : rank <= t->last))
		t->errors++;
	/* No stable key skipped. */
	if (ss_stable(ss, rank)) {
		if (rank != t->expect)
			t->errors++;
		t->expect = ss_next_stable(ss, rank + (t->reverse ? -1 : 1),
					   t->reverse);
	} else if (t->reverse ? rank < t->expect : rank > t->expect) {
		t->errors++;
	}
	t->last = rank;
	t->count++;
}

static int ss_fn(void *ctx, const void *key, size_t len, union masstree_value val)
{
	struct scan_thread *t = ctx;

	ss_check(t, key, len, val.index);
	/* Linger inside leaves now and then: writers split them meanwhile. */
	if (!(t->count & 7))
		udelay(1);
	return 0;
}

static int ss_writer(void *arg)
{
	struct scan_thread *t = arg;
	struct scan_stress *ss = t->ss;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		u32 r = get_random_u32();
		u32 id = (r >> 4) % ss->ks->n;
		unsigned int rank = ss->rank_of[id];
		const u8 *key = ss->ks->key[rank];
		unsigned int len = ss->ks->len[rank];
		u64 old;
		int err = 0;

		if (!(id & 1))		/* stable: replace the value */
			err = masstree_put_index(ss->mt, key, len,
						 id | (u64)r << 32, MASSTREE_EXIST,
						 GFP_KERNEL);
		else if (r & 1)
			err = masstree_put_index(ss->mt, key, len, id,
						 MASSTREE_ANY, GFP_KERNEL);
		else
			masstree_remove_index(ss->mt, key, len, &old);
		if (err)
			atomic_long_inc(&ss->errors);
		if (!(++n & 63))
			cond_resched();
	}
	atomic_long_add(n, &ss->writes);
	return 0;
}

static int ss_scanner(void *arg)
{
	struct scan_thread *t = arg;
	struct scan_stress *ss = t->ss;

	while (!kthread_should_stop()) {
		u32 r = get_random_u32();
		long start = (r >> 8) % ss->ks->n;
		bool edge = !(r & 6);
		unsigned int flags = r & MASSTREE_SCAN_REVERSE;

		t->reverse = flags & MASSTREE_SCAN_REVERSE;
		if (edge) {
			flags |= MASSTREE_SCAN_FROM_EDGE;
			start = t->reverse ? ss->ks->n - 1 : 0;
		}
		t->last = -1;
		t->expect = ss_next_stable(ss, start, t->reverse);
		t->count = 0;
		if (r & 8) {
			struct masstree_scan_args args = {
				.start = ss->ks->key[start],
				.start_len = ss->ks->len[start],
				.flags = flags, .buf = t->buf,
			};

			masstree_scan(ss->mt, &args, ss_fn, t);
		} else {
			union masstree_value val;

			masstree_cursor_init(t->cur, ss->mt, ss->ks->key[start],
					     ss->ks->len[start], flags);
			masstree_cursor_for_each(t->cur, &val) {
				ss_check(t, t->cur->key, t->cur->len, val.index);
				if (!(t->count & 63))
					cond_resched();
			}
		}
		/* Every stable key to the end was seen. */
		if (t->expect >= 0 && t->expect < ss->ks->n)
			t->errors++;
		atomic_long_inc(&ss->scans);
		atomic_long_add(t->count, &ss->keys);
		cond_resched();
	}
	atomic_long_add(t->errors, &ss->errors);
	return 0;
}

static void scans_see_stable_keys_once_in_order_under_writers(struct kunit *test)
{
	struct scan_stress *ss = kunit_kzalloc(test, sizeof(*ss), GFP_KERNEL);
	struct scan_thread th[SC_WRITERS + SC_SCANNERS];
	struct task_struct *tasks[SC_WRITERS + SC_SCANNERS];
	unsigned int universe = MASSTREE_TEST_N(3000, 6000), i;
	u8 *buf = keybuf(test);
	int n;

	KUNIT_ASSERT_NOT_NULL(test, ss);
	ss->ks = keyset_new(test, universe);
	ss->id_of = kunit_kcalloc(test, universe, sizeof(*ss->id_of), GFP_KERNEL);
	ss->rank_of = kunit_kcalloc(test, universe, sizeof(*ss->rank_of), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ss->id_of);
	KUNIT_ASSERT_NOT_NULL(test, ss->rank_of);
	for (i = 0; i < universe; i++)
		keyset_add(test, ss->ks, buf, tree_test_key(i, buf));
	keyset_sort(ss->ks);
	KUNIT_ASSERT_EQ(test, ss->ks->n, universe);
	ss->mt = tree_test_new(test, MASSTREE_FLAGS_INDEX);
	for (i = 0; i < universe; i++) {
		unsigned int len = tree_test_key(i, buf);
		unsigned int rank = keyset_lower(ss->ks, buf, len, false);

		ss->id_of[rank] = i;
		ss->rank_of[i] = rank;
		if (!(i & 1))
			KUNIT_ASSERT_EQ(test, masstree_put_index(ss->mt, buf, len, i,
								 MASSTREE_NOEXIST,
								 GFP_KERNEL), 0);
	}
	for (n = 0; n < SC_WRITERS + SC_SCANNERS; n++) {
		th[n] = (struct scan_thread){ .ss = ss, .n = n };
		if (n >= SC_WRITERS) {
			th[n].buf = keybuf(test);
			th[n].cur = kunit_kmalloc(test, sizeof(*th[n].cur), GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, th[n].cur);
		}
	}
	for (n = 0; n < SC_WRITERS + SC_SCANNERS; n++) {
		tasks[n] = kthread_run(n < SC_WRITERS ? ss_writer : ss_scanner,
				       &th[n], "masstree_scan%d", n);
		if (IS_ERR(tasks[n]))
			break;
	}
	KUNIT_EXPECT_EQ(test, n, SC_WRITERS + SC_SCANNERS);
	msleep(MASSTREE_STRESS_MS);
	while (n--)
		kthread_stop(tasks[n]);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ss->errors), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&ss->scans), 0L);
	KUNIT_EXPECT_TREE_VALID(test, ss->mt);
	kunit_info(test, "%ld scans of %ld keys, %ld writes",
		   atomic_long_read(&ss->scans), atomic_long_read(&ss->keys),
		   atomic_long_read(&ss->writes));
	tree_test_free(test, ss->mt);
}

static struct kunit_case masstree_scan_cases[] = {
	KUNIT_CASE(scan_of_an_empty_tree_visits_nothing),
	KUNIT_CASE(full_scans_cross_layers_in_memcmp_order),
	KUNIT_CASE(start_keys_inclusive_exclusive_and_absent),
	KUNIT_CASE(end_keys_and_counts_bound_the_scan),
	KUNIT_CASE(callback_return_stops_the_scan),
	KUNIT_CASE(cursor_and_batches_resume_where_they_left_off),
	KUNIT_CASE(cursor_returns_one_reference_per_value),
	KUNIT_CASE(bad_arguments_get_clear_errnos),
	KUNIT_CASE(differential_against_sorted_reference),
	KUNIT_CASE(scans_see_stable_keys_once_in_order_under_writers),
	{}
};

static struct kunit_suite masstree_scan_suite = {
	.name = "masstree_scan",
	.test_cases = masstree_scan_cases,
};

kunit_test_suites(&masstree_scan_suite);
