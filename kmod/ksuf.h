/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key suffix bags: where a leaf keeps the bytes of its keys past the
 * current slice, for entries whose klen is MASSTREE_KLEN_SUFFIX.
 *
 * A bag belongs to one leaf. Each slot has an offset and a length into the
 * bag's bytes; new suffixes are appended. Leaves created for keys with
 * suffixes start with a small bag inline, right after the leaf in the same
 * allocation; a bag that outgrows it, or a leaf without one, gets an
 * external bag of its own (struct masstree_ksuf_ext). A slot's bytes are written before
 * the slot is published (the leaf's permuter store), and never change while
 * the slot is live. When a bag runs out of room, the writer builds a bigger
 * one holding the live suffixes, publishes it and frees the old one after a
 * grace period, so a reader holding the old bag keeps reading valid bytes.
 *
 * Conventions: @ks is a bag, @lf its leaf, @slot a leaf slot.
 */
#ifndef _MASSTREE_KSUF_H
#define _MASSTREE_KSUF_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include "node.h"

/**
 * struct masstree_ksuf - a leaf's suffix bag
 * @size: bytes in @data
 * @used: bytes of @data handed out
 * @off: per slot, where its suffix starts in @data
 * @len: per slot, its suffix length
 * @data: the suffix bytes
 */
struct masstree_ksuf {
	u16 size;
	u16 used;
	u16 off[MASSTREE_LEAF_WIDTH];
	u16 len[MASSTREE_LEAF_WIDTH];
	u8 data[];
};

/**
 * struct masstree_ksuf_ext - a bag allocated on its own
 * @rcu: frees it after a grace period, once a bigger bag replaced it
 * @ks: the bag
 */
struct masstree_ksuf_ext {
	struct rcu_head rcu;
	struct masstree_ksuf ks;
};

/* Data bytes of an inline bag. */
#define MASSTREE_IKSUF_DATA	(MASSTREE_IKSUF_BYTES - sizeof(struct masstree_ksuf))

/* Bytes an external bag with @size data bytes occupies. */
static inline size_t masstree_ksuf_bytes(u32 size)
{
	return sizeof(struct masstree_ksuf_ext) + size;
}

/* The inline bag of a leaf allocated with one. */
static inline struct masstree_ksuf *masstree_leaf_iksuf(struct masstree_leaf *lf)
{
	return (struct masstree_ksuf *)(lf + 1);
}

static inline bool masstree_ksuf_is_inline(const struct masstree_leaf *lf,
					   const struct masstree_ksuf *ks)
{
	return masstree_leaf_has_iksuf(lf) &&
	       ks == (const struct masstree_ksuf *)(lf + 1);
}

/**
 * masstree_ksuf_equal() - does @slot's suffix equal @s?
 * @lf: the leaf
 * @slot: a slot whose klen is MASSTREE_KLEN_SUFFIX
 * @s: the suffix to compare
 * @len: its length
 *
 * Lock-free: a racing writer can make the answer wrong but never the read
 * unsafe (offsets are bounded by the bag's size); callers validate the
 * leaf version afterwards.
 *
 * Return: true if equal.
 */
static inline bool masstree_ksuf_equal(const struct masstree_leaf *lf,
				       unsigned int slot, const u8 *s,
				       unsigned int len)
{
	const struct masstree_ksuf *ks = READ_ONCE(lf->ksuf);
	unsigned int off;

	if (!ks || READ_ONCE(ks->len[slot]) != len)
		return false;
	off = READ_ONCE(ks->off[slot]);
	if (off + len > ks->size)
		return false;
	/* Only a stale reader can race with an append; it fails validation. */
	return !data_race(memcmp(ks->data + off, s, len));
}

/* The suffix of a live slot, for a writer holding the leaf's lock. */
static inline const u8 *masstree_ksuf_locked(const struct masstree_leaf *lf,
					     unsigned int slot,
					     unsigned int *len)
{
	*len = lf->ksuf->len[slot];
	return lf->ksuf->data + lf->ksuf->off[slot];
}

/* Can @lf's bag take @len more bytes without being replaced? */
static inline bool masstree_ksuf_fits(const struct masstree_leaf *lf,
				      unsigned int len)
{
	return lf->ksuf && lf->ksuf->used + len <= lf->ksuf->size;
}

/* Append @s as @slot's suffix; the caller made sure it fits. */
static inline void masstree_ksuf_append(struct masstree_leaf *lf,
					unsigned int slot, const u8 *s,
					unsigned int len)
{
	struct masstree_ksuf *ks = lf->ksuf;

	memcpy(ks->data + ks->used, s, len);
	WRITE_ONCE(ks->off[slot], ks->used);
	WRITE_ONCE(ks->len[slot], len);
	ks->used += len;
}

unsigned int masstree_ksuf_live_bytes(const struct masstree_leaf *lf, u64 perm);
void masstree_ksuf_init(struct masstree_ksuf *ks, u32 size);
void masstree_ksuf_copy_live(struct masstree_ksuf *to,
			     const struct masstree_leaf *lf, u64 perm);
void masstree_ksuf_free_rcu(struct masstree_leaf *lf, struct masstree_ksuf *ks);

#endif /* _MASSTREE_KSUF_H */
