// SPDX-License-Identifier: GPL-2.0
/*
 * Lock-free lookup. Readers run under rcu_read_lock(), never write shared
 * memory and never block; they may spin while a writer has a node dirty.
 *
 * A reader descends from a layer root to a leaf, validating each step with
 * the node versions (masstree_reach_leaf()), reads the leaf under a version
 * snapshot and re-reads when the snapshot changed. Which change it reacts
 * to decides where it retries:
 *  - an insert or remove in the leaf: read the same leaf again;
 *  - a split: keys moved right, so follow the B-link (masstree_advance());
 *  - a deleted leaf: start again from the top (its layer may be gone);
 *  - an internode split during the descent: start again from the root.
 */
#include <linux/export.h>
#include <linux/rcupdate.h>
#include <linux/errno.h>
#include <kunit/visibility.h>
#include "tree.h"

/* The current root of @n's layer: a root that split has a parent now. */
struct masstree_node *masstree_layer_root(struct masstree_node *n)
{
	for (;;) {
		struct masstree_internode *p;

		if (masstree_v_is_root(READ_ONCE(n->version)))
			return n;
		p = READ_ONCE(n->parent);
		if (!p)
			return n;
		n = &p->node;
	}
}
EXPORT_SYMBOL_IF_KUNIT(masstree_layer_root);

/**
 * masstree_reach_leaf() - descend from a layer root to the leaf for @k
 * @root: the layer's root, or a node that was its root
 * @k: the key, positioned at this layer
 * @v: set to a stable version of the returned leaf, with the deleted bit
 *     set if the layer's root was deleted on the way
 *
 * Context: rcu_read_lock() held.
 * Return: the leaf whose range held @k when @v was taken, unless @v says
 * deleted: then the caller starts again from the top of the tree.
 */
struct masstree_leaf *masstree_reach_leaf(struct masstree_node *root,
					  const struct masstree_key *k, u64 *v)
{
	struct masstree_leaf *lf;
	struct masstree_node *n;
	u64 nv, stale;

retry:
	n = masstree_layer_root(root);
	masstree_prefetch_node(n);
	nv = masstree_v_stable(&n->version);
	/*
	 * It was the root when we looked, but split before it was stable:
	 * its keys may have moved to a sibling only the new root leads to.
	 */
	if (unlikely(!masstree_v_is_root(nv))) {
		root = n;
		goto retry;
	}
	/*
	 * A deleted internode no longer sees its children split: its route
	 * may be stale. Below a live root it was merged into its left
	 * sibling: descend again from the root. A deleted root was replaced
	 * (layer 0) or went with its layer: go on down, but hand back a
	 * deleted version, which sends the caller to the top of the tree.
	 */
	stale = nv & MASSTREE_V_DELETED;
	while (!masstree_v_is_leaf(nv)) {
		struct masstree_internode *in = masstree_to_internode(n);
		struct masstree_node *child;
		u64 cv;

		if (unlikely(masstree_v_is_deleted(nv)) && !stale)
			goto retry;
		child = READ_ONCE(in->child[masstree_internode_child(in, k->ikey)]);
		if (unlikely(!child))
			goto retry;
		masstree_prefetch_node(child);
		cv = masstree_v_stable(&child->version);
		if (likely(!masstree_v_has_changed(&n->version, nv))) {
			n = child;
			nv = cv;
			continue;
		}
		/* The internode changed under us: re-read it, unless it split. */
		cv = masstree_v_stable(&n->version);
		if (masstree_v_split_since(nv, cv))
			goto retry;
		nv = cv;
	}
	*v = nv | stale;
	lf = masstree_to_leaf(n);
	/*
	 * An inline bag lies past the node's lines: fetch it alongside. The
	 * IKSUF bit never changes; writers flip others in the same byte.
	 */
	if (data_race(lf->modstate) & MASSTREE_LEAF_IKSUF) {
		prefetch(lf + 1);
		prefetch((const char *)(lf + 1) + L1_CACHE_BYTES);
	}
	return lf;
}

/*
 * @lf changed since @v: take a new stable version, and if it split, walk
 * right while the next leaf starts at or below @k.
 */
static struct masstree_leaf *masstree_advance(struct masstree_leaf *lf,
					      const struct masstree_key *k,
					      u64 *v)
{
	u64 nv = masstree_v_stable(&lf->node.version);

	if (masstree_v_split_since(*v, nv) && !masstree_v_is_deleted(nv)) {
		for (;;) {
			struct masstree_leaf *next = READ_ONCE(lf->next);

			if (!next || k->ikey < masstree_leaf_lowkey(next))
				break;
			lf = next;
			nv = masstree_v_stable(&lf->node.version);
		}
	}
	*v = nv;
	return lf;
}

/*
 * Read @k's entry in @lf, reached with version *@v, under a stable
 * snapshot, walking right after a split. Suffixes are compared inside the
 * snapshot: a bag may be replaced under us.
 *
 * Return: the leaf read, with *@v its snapshot, *@found whether it holds
 * the key, and *@klen and *@lv its entry; NULL if the leaf was deleted
 * (maybe with its layer: only the top of the tree is sure). If @seen is
 * not NULL, it gets the leaf's permuter and where the key sorts in it.
 */
static __always_inline struct masstree_leaf *
masstree_read_entry(struct masstree_leaf *lf, const struct masstree_key *k,
		    u64 *v, bool *found, u8 *klen, union masstree_leafvalue *lv,
		    struct masstree_seen *seen)
{
	for (;;) {
		unsigned int pos, slot;
		bool match;
		u64 perm;

		if (unlikely(masstree_v_is_deleted(*v)))
			return NULL;
		*found = false;
		perm = masstree_leaf_perm(lf);
		pos = masstree_leaf_search(lf, perm, k->ikey,
					   masstree_key_klen(k), &match);
		if (match) {
			slot = masstree_perm_slot(perm, pos);
			*klen = READ_ONCE(lf->klen[slot]);
			lv->index = READ_ONCE(lf->lv[slot].index);
			*found = *klen != MASSTREE_KLEN_SUFFIX ||
				 masstree_ksuf_equal(lf, slot,
						     masstree_key_suffix(k),
						     masstree_key_suffix_len(k));
		}
		if (likely(!masstree_v_has_changed(&lf->node.version, *v))) {
			if (seen) {
				seen->perm = perm;
				seen->pos = pos;
				seen->match = match;
				seen->found = *found;
			}
			return lf;
		}
		lf = masstree_advance(lf, k, v);
	}
}

/**
 * masstree_reach_last_layer() - descend layers as a reader does, for a writer
 * @mt: the tree
 * @k: the key, at layer 0; shifted into the layer of the returned leaf
 * @v: set to a stable version of the returned leaf
 * @up: set to the leaf that links the returned leaf's layer (NULL: layer 0)
 * @seen: set to what was read in the returned leaf, if it was searched
 *
 * Follows layer links without locking, so writers do not bounce the lines
 * of the upper layers' leaves, which every key below them shares. Stops
 * at the leaf where @k's slice is no layer link, or where the link needs
 * repointing at a layer root that split (which takes the leaf's lock). A
 * link made after @v shows once the writer holds the leaf's lock; it goes
 * on down from there. A key that ends in the layer's slice stops at its
 * leaf without reading it (@seen->leaf stays NULL).
 *
 * Context: rcu_read_lock() held.
 * Return: the leaf whose range held @k's slice when @v was taken.
 */
struct masstree_leaf *masstree_reach_last_layer(struct masstree *mt,
						struct masstree_key *k, u64 *v,
						struct masstree_leaf **up,
						struct masstree_seen *seen)
{
	/* Read only if found, which gcc cannot tell: initialised for it. */
	union masstree_leafvalue lv = { .index = 0 };
	struct masstree_node *root;
	struct masstree_leaf *lf;
	bool found;
	u8 klen = 0;

top:
	root = READ_ONCE(mt->root);
	masstree_key_reset(k);
	*up = NULL;
	seen->leaf = NULL;
layer:
	lf = masstree_reach_leaf(root, k, v);
	/*
	 * A key that ends in this layer's slice is never a layer link here:
	 * its leaf is the last, and the writer searches it under the lock.
	 */
	if (!masstree_key_has_suffix(k)) {
		if (unlikely(masstree_v_is_deleted(*v)))
			goto top;
		return lf;
	}
	lf = masstree_read_entry(lf, k, v, &found, &klen, &lv, seen);
	if (!lf)
		goto top;
	if (!found || klen != MASSTREE_KLEN_LAYER ||
	    !masstree_v_is_root(READ_ONCE(lv.layer->version))) {
		seen->leaf = lf;
		seen->v = *v;
		return lf;
	}
	*up = lf;
	root = lv.layer;
	masstree_key_shift(k);
	goto layer;
}

/**
 * masstree_lookup() - find @k's value without locking
 * @mt: the tree
 * @k: the key, at layer 0; shifted as the lookup descends layers
 * @val: set to the value if found
 *
 * Context: rcu_read_lock() held.
 * Return: true if the key was present at some instant during the call.
 */
static bool masstree_lookup(struct masstree *mt, struct masstree_key *k,
			    union masstree_leafvalue *val)
{
	union masstree_leafvalue lv;
	struct masstree_node *root;
	struct masstree_leaf *lf;
	bool found;
	u8 klen;
	u64 v;

top:
	root = READ_ONCE(mt->root);
	masstree_key_reset(k);
layer:
	lf = masstree_reach_leaf(root, k, &v);
	masstree_hook(MASSTREE_HOOK_LOOKUP_REACHED, k);
	if (!masstree_read_entry(lf, k, &v, &found, &klen, &lv, NULL))
		goto top;
	if (!found)
		return false;
	if (klen == MASSTREE_KLEN_LAYER) {
		root = lv.layer;
		masstree_key_shift(k);
		goto layer;
	}
	*val = lv;
	return true;
}

/**
 * masstree_get() - look up a key in an object-mode tree
 * @mt: the tree
 * @key: the key, any bytes
 * @len: its length
 *
 * Takes a new reference on the value; put it with kref_put() and the
 * tree's release function. If the value is replaced or removed while the
 * lookup runs, the lookup returns the old or the new value, never
 * "absent" for a key that was present throughout.
 *
 * Context: any context in which no writer of @mt can be interrupted on the
 * same CPU: process context by default, softirq context for a tree made
 * with %MASSTREE_FLAGS_LOCK_BH, any context with %MASSTREE_FLAGS_LOCK_IRQ.
 * Takes and releases the RCU read lock; never sleeps.
 * Return: the value's kref, or NULL if the key is absent (keys longer than
 * %MASSTREE_MAX_KEY_LEN never are present), or if @mt is an index tree.
 */
struct kref *masstree_get(struct masstree *mt, const void *key, size_t len)
{
	union masstree_leafvalue lv;
	struct masstree_key k;
	struct kref *ref;

	if (len > MASSTREE_MAX_KEY_LEN || masstree_is_index(mt))
		return NULL;
	rcu_read_lock();
	do {
		masstree_key_init(&k, key, len);
		if (!masstree_lookup(mt, &k, &lv)) {
			lv.obj = NULL;
			break;
		}
		ref = lv.obj;
		/* Zero: replaced or removed since we read it; look again. */
	} while (!kref_get_unless_zero(ref));
	rcu_read_unlock();
	return lv.obj;
}
EXPORT_SYMBOL_GPL(masstree_get);

/**
 * masstree_get_index() - look up a key in an index-mode tree
 * @mt: the tree, made with %MASSTREE_FLAGS_INDEX
 * @key: the key, any bytes
 * @len: its length
 * @value: set to the key's value if present
 *
 * Context: as masstree_get().
 * Return: 0, -ENOENT if the key is absent, -E2BIG if @len exceeds
 * %MASSTREE_MAX_KEY_LEN, -EINVAL if @mt is an object-mode tree.
 */
int masstree_get_index(struct masstree *mt, const void *key, size_t len,
		       u64 *value)
{
	union masstree_leafvalue lv;
	struct masstree_key k;
	bool found;

	if (len > MASSTREE_MAX_KEY_LEN)
		return -E2BIG;
	if (!masstree_is_index(mt))
		return -EINVAL;
	masstree_key_init(&k, key, len);
	rcu_read_lock();
	found = masstree_lookup(mt, &k, &lv);
	rcu_read_unlock();
	if (!found)
		return -ENOENT;
	*value = lv.index;
	return 0;
}
EXPORT_SYMBOL_GPL(masstree_get_index);
