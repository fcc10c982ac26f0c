/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys as the tree sees them: a sequence of 8-byte slices.
 *
 * Each trie layer indexes one slice. A slice is read big-endian into a u64
 * (an "ikey"), zero-padded when the key ends inside it, so comparing ikeys
 * as integers gives memcmp() order. Zero padding makes "a" and "a\0" share
 * an ikey, so every entry also carries a length code (its "klen"):
 *
 *   0..8                  the key ends in this slice, after that many bytes;
 *   MASSTREE_KLEN_SUFFIX  the key continues: the rest is a suffix stored
 *                         beside the entry;
 *   MASSTREE_KLEN_LAYER   the key continues into a deeper layer (a B+tree
 *                         of its own for every key sharing this slice).
 *
 * Within one ikey, entries sort by klen 0..8 and then the one entry that
 * continues (suffix or layer: at most one of them exists per ikey).
 *
 * Conventions: @k is a key cursor, @ikey a slice, @klen a length code.
 */
#ifndef _MASSTREE_KEY_H
#define _MASSTREE_KEY_H

#include <linux/types.h>
#include <linux/string.h>
#include <asm/byteorder.h>

#define MASSTREE_SLICE_LEN	8
#define MASSTREE_KLEN_SUFFIX	9
#define MASSTREE_KLEN_LAYER	10

/**
 * struct masstree_key - a caller's key, positioned at one layer
 * @data: the whole key
 * @len: the whole key's length
 * @off: where the current slice starts: 8 times the layer depth
 * @ikey: the current slice, big-endian, zero-padded
 */
struct masstree_key {
	const u8 *data;
	unsigned int len;
	unsigned int off;
	u64 ikey;
};

/**
 * masstree_ikey() - read the slice starting at @s
 * @s: start of the slice
 * @len: bytes left in the key from @s (may exceed 8)
 *
 * Never reads past @s + @len: a short tail is assembled byte by byte.
 *
 * Return: the slice as a big-endian integer, zero-padded.
 */
static inline u64 masstree_ikey(const u8 *s, size_t len)
{
	u64 ikey = 0;
	unsigned int i;
	__be64 word;

	if (len >= MASSTREE_SLICE_LEN) {
		memcpy(&word, s, sizeof(word));	/* one unaligned load */
		return be64_to_cpu(word);
	}
	for (i = 0; i < len; i++)
		ikey |= (u64)s[i] << (8 * (MASSTREE_SLICE_LEN - 1 - i));
	return ikey;
}

/* Bytes of the key from the start of the current slice to its end. */
static inline unsigned int masstree_key_rest(const struct masstree_key *k)
{
	return k->len - k->off;
}

static inline void masstree_key_init(struct masstree_key *k, const void *data,
				     unsigned int len)
{
	k->data = data;
	k->len = len;
	k->off = 0;
	k->ikey = masstree_ikey(k->data, len);
}

/* Back to layer 0, to start a descent again from the top. */
static inline void masstree_key_reset(struct masstree_key *k)
{
	k->off = 0;
	k->ikey = masstree_ikey(k->data, k->len);
}

/* Does the key continue past the current slice? */
static inline bool masstree_key_has_suffix(const struct masstree_key *k)
{
	return masstree_key_rest(k) > MASSTREE_SLICE_LEN;
}

/* The length code this key gets in the current layer. */
static inline u8 masstree_key_klen(const struct masstree_key *k)
{
	unsigned int rest = masstree_key_rest(k);

	return rest > MASSTREE_SLICE_LEN ? MASSTREE_KLEN_SUFFIX : rest;
}

/* The bytes after the current slice: only meaningful with a suffix. */
static inline const u8 *masstree_key_suffix(const struct masstree_key *k)
{
	return k->data + k->off + MASSTREE_SLICE_LEN;
}

static inline unsigned int masstree_key_suffix_len(const struct masstree_key *k)
{
	return masstree_key_rest(k) - MASSTREE_SLICE_LEN;
}

/* Move down one layer. Only valid when masstree_key_has_suffix(). */
static inline void masstree_key_shift(struct masstree_key *k)
{
	k->off += MASSTREE_SLICE_LEN;
	k->ikey = masstree_ikey(k->data + k->off, masstree_key_rest(k));
}

/* Move back up one layer. Only valid below layer 0. */
static inline void masstree_key_unshift(struct masstree_key *k)
{
	k->off -= MASSTREE_SLICE_LEN;
	k->ikey = masstree_ikey(k->data + k->off, masstree_key_rest(k));
}

/* Sort rank of a length code: a layer link sorts where its suffix would. */
static inline unsigned int masstree_klen_rank(u8 klen)
{
	return klen < MASSTREE_KLEN_SUFFIX ? klen : MASSTREE_KLEN_SUFFIX;
}

static inline bool masstree_klen_continues(u8 klen)
{
	return klen >= MASSTREE_KLEN_SUFFIX;
}

/**
 * masstree_compare() - order two entries of one layer
 * @ikey_a: first entry's slice
 * @klen_a: first entry's length code
 * @ikey_b: second entry's slice
 * @klen_b: second entry's length code
 *
 * Two continuing entries with equal slices compare equal: their order is
 * decided by their suffixes, or one layer down.
 *
 * Return: negative, zero or positive as a sorts before, with or after b.
 */
static inline int masstree_compare(u64 ikey_a, u8 klen_a, u64 ikey_b, u8 klen_b)
{
	if (ikey_a != ikey_b)
		return ikey_a < ikey_b ? -1 : 1;
	return (int)masstree_klen_rank(klen_a) - (int)masstree_klen_rank(klen_b);
}

#endif /* _MASSTREE_KEY_H */
