// SPDX-License-Identifier: GPL-2.0
/*
 * Insert and replace. A writer finds the leaf as a reader does, locks it,
 * and then either replaces a value in place (one store), inserts into a
 * free slot (published by one store of the permuter), turns a slot into a
 * new layer when two keys share a whole slice, or splits (split.c).
 *
 * Nothing is allocated under a node lock: when a write finds it needs
 * nodes or a bigger suffix bag that it has not reserved, it unlocks with
 * the tree unchanged, allocates with the caller's gfp and starts again
 * (-EAGAIN between masstree_write_leaf() and masstree_write()). The spares
 * a write did not use are freed when it ends.
 */
#include <linux/export.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include "tree.h"

/* Write @k's entry into the free @slot; its suffix must fit the bag. */
void masstree_leaf_assign(struct masstree_write *ws, struct masstree_leaf *lf,
			  unsigned int slot, const struct masstree_key *k,
			  union masstree_leafvalue val)
{
	WRITE_ONCE(lf->ikey[slot], k->ikey);
	WRITE_ONCE(lf->klen[slot], masstree_key_klen(k));
	WRITE_ONCE(lf->lv[slot].index, val.index);
	if (masstree_key_has_suffix(k))
		masstree_ksuf_append(lf, slot, masstree_key_suffix(k),
				     masstree_key_suffix_len(k));
}

/*
 * Give @lf a bag with room for @extra more bytes, keeping the suffixes of
 * @perm's live entries. The caller has the leaf dirty (readers holding
 * the old bag finish with it; it is freed after a grace period).
 */
void masstree_leaf_grow_ksuf(struct masstree_write *ws, struct masstree_leaf *lf,
			     u64 perm, struct masstree_ksuf *ks)
{
	struct masstree_ksuf *old = lf->ksuf;

	masstree_ksuf_copy_live(ks, lf, perm);
	/* The bag's bytes before its pointer: readers load it with READ_ONCE(). */
	smp_store_release(&lf->ksuf, ks);
	if (!old)
		return;
	if (!masstree_ksuf_is_inline(lf, old))
		masstree_count_bytes(ws->mt, -(long)masstree_ksuf_bytes(old->size));
	masstree_ksuf_free_rcu(lf, old);
}

/* Size of the bag @lf needs to add @extra bytes to @perm's live suffixes. */
static u32 masstree_leaf_ksuf_need(const struct masstree_leaf *lf, u64 perm,
				   unsigned int extra)
{
	if (!extra || masstree_ksuf_fits(lf, extra))
		return 0;
	return masstree_ksuf_size_for(masstree_ksuf_live_bytes(lf, perm) + extra);
}

/*
 * A free slot for a new entry with slice @ikey, made the permuter's back;
 * or -1 if the leaf must split. Slot 0 of a leaf that is not leftmost holds
 * its lowest slice for walkers of the B-link, so only that slice reuses it.
 */
int masstree_leaf_free_slot(const struct masstree_leaf *lf, u64 *perm, u64 ikey)
{
	unsigned int size = masstree_perm_size(*perm);

	if (size == MASSTREE_LEAF_WIDTH)
		return -1;
	if (masstree_perm_back(*perm) == 0 && masstree_leaf_prev(lf) &&
	    ikey != lf->ikey[0]) {
		if (size + 1 == MASSTREE_LEAF_WIDTH)
			return -1;
		*perm = masstree_perm_swap(*perm, size, MASSTREE_LEAF_WIDTH - 1);
	}
	return masstree_perm_back(*perm);
}

/* Insert @k at sorted position @pos of the locked @lf; unlocks it. */
static int masstree_leaf_insert(struct masstree_write *ws,
				struct masstree_leaf *lf, unsigned int pos,
				const struct masstree_key *k,
				union masstree_leafvalue val)
	__releases(lf)
{
	unsigned int extra = masstree_key_has_suffix(k) ?
			     masstree_key_suffix_len(k) : 0;
	u64 perm = lf->permutation;
	struct masstree_need need = {};
	int slot = masstree_leaf_free_slot(lf, &perm, k->ikey);

	if (slot < 0)
		return masstree_split_insert(ws, lf, pos, k, val);
	need.ksuf[0] = masstree_leaf_ksuf_need(lf, perm, extra);
	if (!masstree_reserve(ws, &need)) {
		masstree_unlock(ws, &lf->node);
		return -EAGAIN;
	}
	/*
	 * A reader holding a permuter from before a remove may still read a
	 * freed slot: bump the version before reusing one (and before the
	 * bag moves, which drops removed suffixes).
	 */
	if ((lf->modstate & MASSTREE_LEAF_REMOVING) || need.ksuf[0]) {
		masstree_v_mark_insert(&lf->node.version);
		lf->modstate &= ~MASSTREE_LEAF_REMOVING;
	}
	if (need.ksuf[0])
		masstree_leaf_grow_ksuf(ws, lf, perm,
					masstree_take_ksuf(ws, need.ksuf[0]));
	if (!(ws->mt->flags & MASSTREE_FLAGS_INDEX))
		kref_get(val.obj);
	masstree_leaf_assign(ws, lf, slot, k, val);
	masstree_leaf_publish(lf, masstree_perm_insert_from_back(perm, pos));
	percpu_counter_inc(&ws->mt->nr_entries);
	masstree_unlock(ws, &lf->node);
	return 0;
}

/*
 * @slot of the locked @lf holds a key that shares @k's slice and continues
 * past it with another suffix: move both keys into a new layer (a chain of
 * one-entry layers while they keep sharing whole slices). Unlocks @lf.
 */
static int masstree_new_layer(struct masstree_write *ws,
			      struct masstree_leaf *lf, unsigned int slot,
			      const struct masstree_key *k,
			      union masstree_leafvalue val)
	__releases(lf)
{
	struct masstree_key a, b, walk;
	struct masstree_node *top = NULL, **link = &top;
	struct masstree_leaf *bottom;
	struct masstree_need need = {};
	unsigned int depth = 1, alen, bytes = 0, first;
	const u8 *asuf;

	/* The existing key's rest, and the new key's, one layer down. */
	asuf = masstree_ksuf_locked(lf, slot, &alen);
	masstree_key_init(&a, asuf, alen);
	b = *k;
	masstree_key_shift(&b);
	b.data += b.off;
	b.len -= b.off;
	b.off = 0;
	walk = a;
	while (a.ikey == b.ikey && masstree_key_has_suffix(&a) &&
	       masstree_key_has_suffix(&b)) {
		masstree_key_shift(&a);
		masstree_key_shift(&b);
		depth++;
	}
	if (masstree_key_has_suffix(&a))
		bytes += masstree_key_suffix_len(&a);
	if (masstree_key_has_suffix(&b))
		bytes += masstree_key_suffix_len(&b);
	/* Twigs have no suffixes; the bottom leaf's fit inline, if small. */
	need.leaves = depth - 1;
	if (bytes && bytes <= MASSTREE_IKSUF_DATA) {
		need.ileaves = 1;
	} else {
		need.leaves++;
		if (bytes)
			need.ksuf[0] = masstree_ksuf_size_for(bytes);
	}
	if (!masstree_reserve(ws, &need)) {
		masstree_unlock(ws, &lf->node);
		return -EAGAIN;
	}

	/* The twig: one-entry layer roots down to the shared slices' end. */
	while (--depth) {
		struct masstree_leaf *twig = masstree_take_leaf(ws);

		twig->node.version |= MASSTREE_V_ROOT;
		twig->ikey[0] = walk.ikey;
		twig->klen[0] = MASSTREE_KLEN_LAYER;
		twig->permutation = masstree_perm_sorted(1);
		*link = &twig->node;
		link = &twig->lv[0].layer;
		masstree_key_shift(&walk);
	}
	bottom = need.ileaves ? masstree_take_ileaf(ws) : masstree_take_leaf(ws);
	bottom->node.version |= MASSTREE_V_ROOT;
	if (need.ksuf[0])
		bottom->ksuf = masstree_take_ksuf(ws, need.ksuf[0]);
	first = masstree_compare(a.ikey, masstree_key_klen(&a), b.ikey,
				 masstree_key_klen(&b)) > 0;
	masstree_leaf_assign(ws, bottom, first, &a, lf->lv[slot]);
	if (!(ws->mt->flags & MASSTREE_FLAGS_INDEX))
		kref_get(val.obj);
	masstree_leaf_assign(ws, bottom, !first, &b, val);
	/* Slot 0 holds whichever sorts first. */
	bottom->permutation = masstree_perm_sorted(2);
	*link = &bottom->node;

	/* Two stores readers must see together: keep them out meanwhile. */
	masstree_v_mark_insert(&lf->node.version);
	/* The new layer's nodes before the link (readers: READ_ONCE()). */
	smp_store_release(&lf->lv[slot].layer, top);
	WRITE_ONCE(lf->klen[slot], MASSTREE_KLEN_LAYER);
	percpu_counter_inc(&ws->mt->nr_entries);
	masstree_unlock(ws, &lf->node);
	return 0;
}

/**
 * masstree_write_leaf() - one attempt at inserting or replacing @k
 * @ws: the write state
 * @k: the key, at layer 0; shifted as the write descends layers
 * @val: the value
 * @flags: MASSTREE_ANY, MASSTREE_NOEXIST or MASSTREE_EXIST
 *
 * Context: rcu_read_lock() held; no node lock held.
 * Return: 0, -EEXIST, -ENOENT, or -EAGAIN when it needs nodes it has not
 * reserved (nothing changed, no lock held).
 */
static int masstree_write_leaf(struct masstree_write *ws,
			       struct masstree_key *k,
			       union masstree_leafvalue val,
			       unsigned int flags)
{
	struct masstree_node *root;
	struct masstree_leaf *lf, *up;
	unsigned int pos, slot;
	bool match;
	int found;
	u8 klen;

	lf = masstree_lock_key(ws, k, &up);
layer:
	pos = masstree_search_locked(ws, lf, k, &match, &found);
	if (!match) {
		if (flags == MASSTREE_EXIST) {
			masstree_unlock(ws, &lf->node);
			return -ENOENT;
		}
		return masstree_leaf_insert(ws, lf, pos, k, val);
	}

	slot = masstree_perm_slot(lf->permutation, pos);
	klen = lf->klen[slot];
	if (klen == MASSTREE_KLEN_LAYER) {
		root = masstree_leaf_layer(lf, slot);
		masstree_unlock(ws, &lf->node);
		masstree_key_shift(k);
		lf = masstree_lock_leaf(ws, root, NULL, k);
		goto layer;
	}
	if (klen == MASSTREE_KLEN_SUFFIX &&
	    !masstree_suffix_matches(lf, slot, k, found)) {
		if (flags == MASSTREE_EXIST) {
			masstree_unlock(ws, &lf->node);
			return -ENOENT;
		}
		return masstree_new_layer(ws, lf, slot, k, val);
	}

	/* Present: replace the value in one store. */
	if (flags == MASSTREE_NOEXIST) {
		masstree_unlock(ws, &lf->node);
		return -EEXIST;
	}
	if (!masstree_is_index(ws->mt)) {
		kref_get(val.obj);
		ws->released = lf->lv[slot].obj;
		/* Our reference before the pointer: readers kref_get() at once. */
		smp_store_release(&lf->lv[slot].obj, val.obj);
	} else {
		WRITE_ONCE(lf->lv[slot].index, val.index);
	}
	masstree_unlock(ws, &lf->node);
	return 0;
}

static int masstree_write(struct masstree *mt, const void *key, size_t len,
			  union masstree_leafvalue val, unsigned int flags,
			  gfp_t gfp)
{
	struct masstree_write ws;
	struct masstree_key k;
	int err;

	if (len > MASSTREE_MAX_KEY_LEN)
		return -E2BIG;
	if (flags > MASSTREE_EXIST)
		return -EINVAL;
	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	masstree_write_init(&ws, mt, gfp);
	for (;;) {
		masstree_key_init(&k, key, len);
		rcu_read_lock();
		err = masstree_write_leaf(&ws, &k, val, flags);
		rcu_read_unlock();
		if (err != -EAGAIN)
			break;
		err = masstree_refill(&ws);
		if (err)
			break;
	}
	masstree_write_finish(&ws);
	return err;
}

/**
 * masstree_put() - insert or replace a key in an object-mode tree
 * @mt: the tree
 * @key: the key, any bytes
 * @len: its length, at most %MASSTREE_MAX_KEY_LEN
 * @value: the value's kref; the tree takes a reference of its own
 * @flags: %MASSTREE_ANY, %MASSTREE_NOEXIST (insert only) or
 *         %MASSTREE_EXIST (replace only)
 * @gfp: allocation flags for the nodes the insert may need
 *
 * A replaced value's reference is dropped with the tree's release
 * function once the new value is visible; lock-free readers may still be
 * looking at it, which is why release functions must free through RCU.
 *
 * Context: process context by default; softirq context if @mt was made
 * with %MASSTREE_FLAGS_LOCK_BH, any context with %MASSTREE_FLAGS_LOCK_IRQ.
 * Takes and releases node locks and the RCU read lock. May sleep if @gfp
 * permits; never sleeps while holding a node lock.
 * Return: 0; -EEXIST (%MASSTREE_NOEXIST, key present); -ENOENT
 * (%MASSTREE_EXIST, key absent); -E2BIG (key too long); -EINVAL (bad
 * flags, NULL value, or an index-mode tree); -ENOMEM. On error the tree
 * is unchanged.
 */
int masstree_put(struct masstree *mt, const void *key, size_t len,
		 struct kref *value, unsigned int flags, gfp_t gfp)
{
	union masstree_leafvalue val = { .obj = value };

	if (!value || masstree_is_index(mt))
		return -EINVAL;
	return masstree_write(mt, key, len, val, flags, gfp);
}
EXPORT_SYMBOL_GPL(masstree_put);

/**
 * masstree_put_index() - insert or replace a key in an index-mode tree
 * @mt: the tree, made with %MASSTREE_FLAGS_INDEX
 * @key: the key, any bytes
 * @len: its length, at most %MASSTREE_MAX_KEY_LEN
 * @value: the value, stored inline
 * @flags: as for masstree_put()
 * @gfp: allocation flags for the nodes the insert may need
 *
 * Context: as masstree_put().
 * Return: as masstree_put(); -EINVAL for an object-mode tree.
 */
int masstree_put_index(struct masstree *mt, const void *key, size_t len,
		       u64 value, unsigned int flags, gfp_t gfp)
{
	union masstree_leafvalue val = { .index = value };

	if (!masstree_is_index(mt))
		return -EINVAL;
	return masstree_write(mt, key, len, val, flags, gfp);
}
EXPORT_SYMBOL_GPL(masstree_put_index);
