/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The permuter: the sorted order of a leaf's slots, in one u64.
 *
 * Bits 0-3 hold the number of live entries; bits 4+4i-7+4i hold the slot
 * at sorted position i. Positions below the size are live, in key order;
 * positions from the size up are free slots, and the next insert takes the
 * slot at the last position (the "back"). A leaf publishes an insert or a
 * remove with one store of its permuter, so a reader that loaded the old
 * permuter still sees a consistent leaf: slots stay untouched until reused.
 *
 * Conventions: @perm is a permuter value, @pos a sorted position, @slot a
 * slot index.
 */
#ifndef _MASSTREE_PERMUTER_H
#define _MASSTREE_PERMUTER_H

#include <linux/types.h>

#define MASSTREE_PERM_WIDTH	15
#define MASSTREE_PERM_BITS	4
#define MASSTREE_PERM_MASK	0xfULL

/* Size 0; position i holds slot 14 - i, so the first insert uses slot 0. */
#define MASSTREE_PERM_EMPTY	0x0123456789abcde0ULL

/* Mask of the low @nbits bits, for 0 < @nbits <= 64. */
static inline u64 masstree_perm_low_bits(unsigned int nbits)
{
	return ~0ULL >> (64 - nbits);
}

static inline unsigned int masstree_perm_size(u64 perm)
{
	return perm & MASSTREE_PERM_MASK;
}

static inline unsigned int masstree_perm_slot(u64 perm, unsigned int pos)
{
	return (perm >> (MASSTREE_PERM_BITS * (pos + 1))) & MASSTREE_PERM_MASK;
}

/* The free slot the next insert will take. Only valid below full size. */
static inline unsigned int masstree_perm_back(u64 perm)
{
	return masstree_perm_slot(perm, MASSTREE_PERM_WIDTH - 1);
}

/**
 * masstree_perm_sorted() - a permuter whose first @n slots are live in order
 * @n: number of live entries, 0..15
 *
 * Live positions hold slots 0..n-1; the back holds slot n. Used to build
 * a leaf whose entries were copied into slots 0..n-1.
 *
 * Return: the permuter.
 */
static inline u64 masstree_perm_sorted(unsigned int n)
{
	u64 perm = n;
	unsigned int pos;

	for (pos = 0; pos < MASSTREE_PERM_WIDTH; pos++) {
		u64 slot = pos < n ? pos : MASSTREE_PERM_WIDTH - 1 + n - pos;

		perm |= slot << (MASSTREE_PERM_BITS * (pos + 1));
	}
	return perm;
}

/**
 * masstree_perm_insert_from_back() - make the back slot live at @pos
 * @perm: permuter with fewer than 15 live entries
 * @pos: sorted position for the new entry, 0..size
 *
 * Live entries at @pos and above move up one position.
 *
 * Return: the new permuter.
 */
static inline u64 masstree_perm_insert_from_back(u64 perm, unsigned int pos)
{
	unsigned int shift = MASSTREE_PERM_BITS * (pos + 1);
	u64 below = perm & masstree_perm_low_bits(shift);
	u64 slot = masstree_perm_back(perm);

	/* Shifting the upper positions up drops the old back off the top. */
	return (below + 1) | (slot << shift) | ((perm & ~below) << MASSTREE_PERM_BITS);
}

/**
 * masstree_perm_remove() - free the entry at @pos
 * @perm: permuter with at least @pos + 1 live entries
 * @pos: sorted position of the entry to remove
 *
 * Live entries above @pos move down one position; the freed slot lands just
 * past the live entries, so it is reused last: a reader that still holds the
 * old permuter can read the removed entry for as long as possible.
 *
 * Return: the new permuter.
 */
static inline u64 masstree_perm_remove(u64 perm, unsigned int pos)
{
	unsigned int size = masstree_perm_size(perm);
	unsigned int lo = MASSTREE_PERM_BITS * (pos + 1);
	unsigned int hi = MASSTREE_PERM_BITS * (size + 1);
	u64 region = masstree_perm_low_bits(hi) & ~masstree_perm_low_bits(lo);
	u64 slot = masstree_perm_slot(perm, pos);
	u64 rotated;

	rotated = ((perm & region) >> MASSTREE_PERM_BITS) & region;
	rotated |= slot << (hi - MASSTREE_PERM_BITS);
	return ((perm & ~region) - 1) | rotated;
}

/**
 * masstree_perm_remove_to_back() - free the entry at @pos for immediate reuse
 * @perm: permuter with at least @pos + 1 live entries
 * @pos: sorted position of the entry to remove
 *
 * Like masstree_perm_remove(), but the freed slot becomes the back, so the
 * next insert takes it again (used to undo an insert nobody could see).
 *
 * Return: the new permuter.
 */
static inline u64 masstree_perm_remove_to_back(u64 perm, unsigned int pos)
{
	unsigned int lo = MASSTREE_PERM_BITS * (pos + 1);
	u64 region = ~masstree_perm_low_bits(lo);
	u64 slot = masstree_perm_slot(perm, pos);

	return ((perm & ~region) - 1) |
	       (((perm & region) >> MASSTREE_PERM_BITS) & region) |
	       (slot << (MASSTREE_PERM_BITS * MASSTREE_PERM_WIDTH));
}

/**
 * masstree_perm_swap() - exchange the slots at two positions
 * @perm: permuter
 * @a: a position
 * @b: another position
 *
 * Used to pick which free slot the next insert takes.
 *
 * Return: the new permuter.
 */
static inline u64 masstree_perm_swap(u64 perm, unsigned int a, unsigned int b)
{
	unsigned int sa = MASSTREE_PERM_BITS * (a + 1);
	unsigned int sb = MASSTREE_PERM_BITS * (b + 1);
	u64 x = ((perm >> sa) ^ (perm >> sb)) & MASSTREE_PERM_MASK;

	return perm ^ (x << sa) ^ (x << sb);
}

/**
 * masstree_perm_position_of() - find the sorted position of a slot
 * @perm: permuter
 * @slot: slot index, 0..14
 *
 * Return: the position, live (below the size) or free (from the size up).
 */
static inline unsigned int masstree_perm_position_of(u64 perm, unsigned int slot)
{
	unsigned int pos;

	for (pos = 0; pos < MASSTREE_PERM_WIDTH - 1; pos++)
		if (masstree_perm_slot(perm, pos) == slot)
			break;
	return pos;
}

/**
 * masstree_perm_is_valid() - check that @perm is a permutation of 0..14
 * @perm: permuter
 *
 * Return: true if every slot appears exactly once and the size fits.
 */
static inline bool masstree_perm_is_valid(u64 perm)
{
	unsigned int seen = 0, pos;

	if (masstree_perm_size(perm) > MASSTREE_PERM_WIDTH)
		return false;
	for (pos = 0; pos < MASSTREE_PERM_WIDTH; pos++)
		seen |= 1U << masstree_perm_slot(perm, pos);
	return seen == (1U << MASSTREE_PERM_WIDTH) - 1;
}

#endif /* _MASSTREE_PERMUTER_H */
