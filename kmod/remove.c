// SPDX-License-Identifier: GPL-2.0
/*
 * Remove, and the reclamation of what removes leave empty.
 *
 * Removing an entry only rewrites its leaf's permuter (one store); readers
 * holding the old permuter still read the old slot, whose value stays
 * valid until a grace period has passed (values are freed through RCU, and
 * an insert that reuses the slot first bumps the leaf's version). What a
 * remove leaves empty is reclaimed at once, by the remover, in one of
 * three ways:
 *
 * 1. An empty leaf that is not its layer's leftmost is deleted, and so is
 *    one left with a few entries (MASSTREE_MERGE_BELOW) whose left
 *    neighbour, under the same parent, can take them without allocating.
 *    The entries move there first, published by one permuter store, and
 *    are in both leaves until the deletion ends (lookups find either copy;
 *    scans resume past the last key they returned, so they skip the
 *    second). A leaf that a remove leaves with few entries as child 0 of
 *    its parent takes in its right sibling's instead, and the sibling is
 *    deleted. Only an empty leaf is deleted as child 0 of its parent (see
 *    the redirect below: a stale route past it may only miss keys that
 *    were absent).
 *    Locks, in the global order every writer follows (upper layers before
 *    lower ones; within a layer, leaves left to right, then internodes
 *    bottom-up): its left neighbour, the leaf, then as many ancestors as
 *    change. A leaf's @next and its right neighbour's @prev are written
 *    only under the leaf's lock, so holding the left neighbour and the leaf
 *    freezes both links around it. Then:
 *     - the parent drops the leaf: if it is child i > 0, the separator
 *       below it goes and its keys now route to child i - 1, its left
 *       neighbour; if it is child 0, the parent's low bound rises to its
 *       first separator, which is written into the ancestor that held the
 *       old bound (masstree-beta's "redirect"), and the parent shifts down.
 *       An internode left with no child at all is dropped from its own
 *       parent the same way, and deleted with the leaf;
 *     - the B-link list skips the leaf;
 *     - the leaf, and any dropped internode, is marked deleted, unlocked
 *       and retired (freed after a grace period, reclaim.c).
 *    Every changed internode is dirty while it changes, so a reader inside
 *    it retries it; a reader that reaches a deleted leaf starts again from
 *    the top of the tree. The one stale route left is a descent that read
 *    an ancestor before a redirect and its parent after: it lands right of
 *    the leaf that now owns the key. For a reader that key was absent when
 *    the leaf emptied, so any answer it gets is one the key had during the
 *    lookup. A writer must not insert there: masstree_leaf_for() sends it
 *    back to the top when its key sorts below the leaf's low key.
 *    This is the interleaving of masstree-beta's #40 (an insert made
 *    unreachable by a delete and redirect): here the redirect and the
 *    parent change happen under the locks of both, and writers check the
 *    low key of the leaf they lock, so the insert lands in the leaf that
 *    readers will search.
 *
 * 2. An internode left with few children (MASSTREE_IMERGE_BELOW) after a
 *    leaf goes merges with its sibling under the same parent, when both
 *    fit in one node: the right one's children move to the end of the
 *    left one, with the separator between them, and the parent drops the
 *    right one, which is deleted (masstree_merge_internode()). Locks: the
 *    two siblings left to right, then the parent; no other writer holds
 *    two internodes of one level, and everyone climbs bottom-up. The
 *    children keep their ranges, so a reader that went through the right
 *    one before it was deleted is still on a right route. One that reads
 *    it after finds it deleted, and a deleted internode no longer sees its
 *    children split (their separators now go to the left one), so
 *    masstree_reach_leaf() descends again from the layer's root; writers
 *    check the bounds of the leaf they lock anyway. A scan whose leaf took
 *    in its right neighbour's entries reads the leaf again before it
 *    follows the next link (scan.c). A child whose parent pointer moves is found
 *    again by masstree_lock_parent(), which checks it under the lock.
 *    An internode with a single child and no sibling to merge with stays:
 *    collapsing it would move a subtree up while writers climb through
 *    it. It goes when that child goes, or when its layer empties. So
 *    memory stays proportional to the live leaves. The one exception is
 *    a layer's root: left with one child, it hands the layer over to that
 *    child (masstree_collapse_root()) when the child's lock is free and,
 *    for a deeper layer, the lock of the leaf that links it. That lock is
 *    out of order (upper layers come first), so it is only tried: nothing
 *    waits. Under it the link is checked, then pointed at the child. A
 *    reader that took the old link reaches the old root, marked deleted,
 *    and starts again from the top.
 *
 * 3. A layer whose every key is gone (its leftmost leaf empty and alone,
 *    under a chain of single-child internodes) collapses. Layer 0 shrinks
 *    back to its leftmost leaf as the root. A deeper layer is unlinked
 *    from the leaf of the layer above and retired whole; that leaf may
 *    empty in turn. Because upper layers are locked first, the remover lets
 *    go of everything and starts again from the top for this (a writer
 *    that meanwhile reaches the doomed layer either makes it non-empty
 *    first, and the collapse is called off, or finds it deleted and
 *    restarts from the top too). So removing every key returns the tree
 *    to one empty root leaf: the initial footprint, leftmost leaves
 *    included (masstree-beta leaks those: its #43).
 *
 * Nothing here allocates, so a remove cannot fail for want of memory, and
 * nothing runs from RCU callbacks: retired nodes are freed from a
 * workqueue (reclaim.c).
 */
#include <linux/export.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/prefetch.h>
#include <linux/rcupdate.h>
#include "reclaim.h"
#include "tree.h"

/* An internode left with this many children or fewer merges with a sibling. */
#define MASSTREE_IMERGE_BELOW	5

/* Nodes one remove retires, linked through their free links. */
struct masstree_retired {
	struct masstree_node *first;
	struct masstree_node *last;
};

/* Mark @n deleted (it is locked) and queue it; its bytes leave the count. */
static void masstree_retire_node(struct masstree_write *ws,
				 struct masstree_retired *rt,
				 struct masstree_node *n)
{
	long bytes = MASSTREE_INTERNODE_BYTES;

	if (masstree_node_is_leaf(n)) {
		struct masstree_leaf *lf = masstree_to_leaf(n);

		bytes = masstree_leaf_bytes(lf);
		if (lf->ksuf && !masstree_ksuf_is_inline(lf, lf->ksuf))
			bytes += masstree_ksuf_bytes(lf->ksuf->size);
	}
	masstree_count_bytes(ws->mt, -bytes);
	masstree_v_mark_deleted(&n->version);
	masstree_node_set_free_next(n, rt->first);
	rt->first = n;
	if (!rt->last)
		rt->last = n;
}

static void masstree_retired_flush(struct masstree_write *ws,
				   struct masstree_retired *rt)
{
	if (rt->first)
		masstree_retire(ws->mt, rt->first, rt->last);
}

/*
 * @lf, locked, has no entries left: give back its external suffix bag
 * now (a reader still holding the old permuter finds no bag and no match,
 * an answer the key had: it is gone).
 */
static void masstree_leaf_drop_ksuf(struct masstree_write *ws,
				    struct masstree_leaf *lf)
{
	struct masstree_ksuf *ks = lf->ksuf;

	if (!ks || masstree_ksuf_is_inline(lf, ks))
		return;
	WRITE_ONCE(lf->ksuf, NULL);
	masstree_count_bytes(ws->mt, -(long)masstree_ksuf_bytes(ks->size));
	masstree_ksuf_free_rcu(lf, ks);
}

/* Drop child @i > 0 and the separator below it: its keys go left. */
static void masstree_internode_drop(struct masstree_internode *in,
				    unsigned int i)
{
	unsigned int j;

	masstree_v_mark_insert(&in->node.version);
	for (j = i; j < in->nkeys; j++) {
		WRITE_ONCE(in->ikey[j - 1], in->ikey[j]);
		WRITE_ONCE(in->child[j], in->child[j + 1]);
	}
	WRITE_ONCE(in->nkeys, in->nkeys - 1);
}

/* Drop child 0: the first separator becomes the low bound. */
static void masstree_internode_drop_first(struct masstree_internode *in)
{
	unsigned int j;

	masstree_v_mark_insert(&in->node.version);
	for (j = 0; j < in->nkeys; j++)
		WRITE_ONCE(in->child[j], in->child[j + 1]);
	for (j = 1; j < in->nkeys; j++)
		WRITE_ONCE(in->ikey[j - 1], in->ikey[j]);
	WRITE_ONCE(in->nkeys, in->nkeys - 1);
}

/*
 * Where @root, a deeper layer's root, is linked from: @lf's slot whose
 * link leads to it (a link may still name an old root below it), or -1.
 */
static int masstree_link_slot(struct masstree_leaf *lf,
			      struct masstree_node *root)
{
	u64 perm = lf->permutation;
	unsigned int pos, slot;

	for (pos = 0; pos < masstree_perm_size(perm); pos++) {
		slot = masstree_perm_slot(perm, pos);
		if (lf->klen[slot] == MASSTREE_KLEN_LAYER &&
		    masstree_layer_root(lf->lv[slot].layer) == root)
			return slot;
	}
	return -1;
}

/*
 * A layer's root @root, locked, was left with one child: make the child
 * the root, if the locks it takes are free without waiting (the lock order
 * is bottom-up within a layer and top-down across layers; a writer
 * holding the child, or the leaf that links a deeper layer, may be waiting
 * for a lock we hold). Layer 0's root is the tree's root pointer. A deeper
 * layer's is the link in the leaf of the layer above: the remove's hint
 * @ws->up, if it still links this layer. The old root still leads readers
 * that start from it to the child, until it is marked deleted: then they
 * start again from the top. A writer climbing from the child finds its
 * parent pointer gone and sees a root.
 */
static void masstree_collapse_root(struct masstree_write *ws,
				   struct masstree_internode *root,
				   struct masstree_node *held,
				   struct masstree_retired *rt)
{
	struct masstree_node *child = root->child[0];
	struct masstree_leaf *linker = NULL;
	bool mine = child == held;
	int slot = -1;

	if (READ_ONCE(ws->mt->root) != &root->node) {
		linker = ws->up;
		if (!linker || !masstree_v_trylock(&linker->node.version))
			return;
		ws->nlocked++;
		if (!masstree_v_is_deleted(linker->node.version))
			slot = masstree_link_slot(linker, &root->node);
		if (slot < 0)
			goto unlock_linker;
	}
	if (!mine) {
		if (!masstree_v_trylock(&child->version))
			goto unlock_linker;
		ws->nlocked++;
	}
	masstree_v_mark_root(&child->version);
	WRITE_ONCE(child->parent, NULL);
	if (linker)	/* release: the root bit before readers start from it */
		smp_store_release(&linker->lv[slot].layer, child);
	else		/* the same, for the tree's root */
		smp_store_release(&ws->mt->root, child);
	masstree_retire_node(ws, rt, &root->node);
	if (!mine)
		masstree_unlock_raw(ws, child);
unlock_linker:
	if (linker)
		masstree_unlock_raw(ws, &linker->node);
}

/*
 * Take @n (locked, leaving the tree) out of its ancestors, locking them
 * bottom-up as far as they change; they are pushed on @chain for the
 * caller to unlock. Internodes left childless go with it. @held is the
 * other node the caller holds locked (the left neighbour).
 *
 * Return: the internode that lost a child, or NULL.
 */
static struct masstree_internode *
masstree_unhook(struct masstree_write *ws, struct masstree_node *n,
		struct masstree_node *held, struct masstree_internode **chain,
		unsigned int *height, struct masstree_retired *rt)
{
	struct masstree_internode *pa, *c, *a;
	unsigned int i;

	for (;;) {
		pa = masstree_lock_parent(ws, n);
		/* Only the leftmost path reaches the root alone: never here. */
		if (WARN_ON_ONCE(!pa))
			return NULL;
		chain[(*height)++] = pa;
		if (pa->nkeys)
			break;
		masstree_retire_node(ws, rt, &pa->node);
		n = &pa->node;
	}
	i = masstree_child_index(pa, n);
	if (i) {
		masstree_internode_drop(pa, i);
		if (!pa->nkeys && !READ_ONCE(pa->node.parent))
			masstree_collapse_root(ws, pa, held, rt);
		return pa;
	}
	/* Child 0: raise @pa's low bound where it is kept, above. */
	for (c = pa;; c = a) {
		a = masstree_lock_parent(ws, &c->node);
		if (WARN_ON_ONCE(!a))
			return NULL;
		chain[(*height)++] = a;
		i = masstree_child_index(a, &c->node);
		if (i) {
			masstree_v_mark_insert(&a->node.version);
			WRITE_ONCE(a->ikey[i - 1], pa->ikey[0]);
			break;
		}
	}
	masstree_internode_drop_first(pa);
	return pa;
}

static unsigned int masstree_nr_children(const struct masstree_internode *in)
{
	return min_t(unsigned int, READ_ONCE(in->nkeys),
		     MASSTREE_INTERNODE_WIDTH) + 1;
}

/* Where @child hangs in @in, read without its lock: a guess, or -1. */
static int masstree_child_index_guess(const struct masstree_internode *in,
				      const struct masstree_node *child)
{
	unsigned int i, n = masstree_nr_children(in);

	for (i = 0; i < n; i++)
		if (READ_ONCE(in->child[i]) == child)
			return i;
	return -1;
}

/* Is one of the siblings @l and @r small, and do both fit in one node? */
static bool masstree_internodes_merge(const struct masstree_internode *l,
				      const struct masstree_internode *r)
{
	unsigned int nl = masstree_nr_children(l), nr = masstree_nr_children(r);

	return min(nl, nr) <= MASSTREE_IMERGE_BELOW &&
	       nl + nr <= MASSTREE_INTERNODE_WIDTH + 1;
}

/*
 * Move the children of @r, the locked right sibling of the locked @l under
 * the locked @pa (child @i > 0 there), to the end of @l, and drop @r from
 * @pa. @r's children keep their ranges, so a reader that reaches one
 * through @r before it is marked deleted is still on a right route; one
 * that reads @r after finds it deleted and starts again (reach_leaf).
 */
static void masstree_internode_merge(struct masstree_write *ws,
				     struct masstree_internode *l,
				     struct masstree_internode *r,
				     struct masstree_internode *pa,
				     unsigned int i, struct masstree_retired *rt)
{
	unsigned int nl = l->nkeys, nr = r->nkeys, j;

	masstree_v_mark_insert(&l->node.version);
	/* @r's low bound separates @l's last child from @r's first. */
	WRITE_ONCE(l->ikey[nl], pa->ikey[i - 1]);
	for (j = 0; j < nr; j++)
		WRITE_ONCE(l->ikey[nl + 1 + j], r->ikey[j]);
	for (j = 0; j <= nr; j++) {
		WRITE_ONCE(l->child[nl + 1 + j], r->child[j]);
		/* Under @r's lock, as lock_parent() expects: it checks again. */
		WRITE_ONCE(r->child[j]->parent, l);
	}
	WRITE_ONCE(l->nkeys, nl + nr + 1);
	masstree_internode_drop(pa, i);
	/* Last: its free link overwrites a key. */
	masstree_retire_node(ws, rt, &r->node);
}

/*
 * @x lost a child and no lock is held: if it has few children left, merge
 * it with a sibling under the same parent (it into its left one, or its
 * right one into it if it is the first child), when they fit in one node.
 * Locks, in the writers' order: the two siblings left to right (no other
 * writer holds two internodes of one level), then their parent.
 *
 * Return: the parent, if it lost a child and may merge in turn; or NULL.
 */
static struct masstree_internode *
masstree_merge_internode(struct masstree_write *ws, struct masstree_internode *x)
{
	struct masstree_internode *pa = READ_ONCE(x->node.parent), *l, *r, *lp;
	struct masstree_retired rt = {};
	struct masstree_node *sib;
	int i;

	if (!pa || masstree_nr_children(x) > MASSTREE_IMERGE_BELOW)
		return NULL;
	i = masstree_child_index_guess(pa, &x->node);
	if (i < 0 || (!i && masstree_nr_children(pa) < 2))
		return NULL;
	sib = READ_ONCE(pa->child[i ? i - 1 : 1]);
	/* A shift under way may show a child twice: never lock @x twice. */
	if (!sib || sib == &x->node)
		return NULL;
	l = i ? masstree_to_internode(sib) : x;
	r = i ? x : masstree_to_internode(sib);
	if (!masstree_internodes_merge(l, r))
		return NULL;

	masstree_lock_raw(ws, &l->node);
	masstree_lock_raw(ws, &r->node);
	lp = NULL;
	if (masstree_v_is_deleted(l->node.version) ||
	    masstree_v_is_deleted(r->node.version))
		goto unlock;
	lp = masstree_lock_parent(ws, &r->node);
	if (!lp || READ_ONCE(l->node.parent) != lp)
		goto unlock;
	i = masstree_child_index(lp, &r->node);
	if (!i || lp->child[i - 1] != &l->node ||
	    !masstree_internodes_merge(l, r))
		goto unlock;
	masstree_internode_merge(ws, l, r, lp, i, &rt);
	pa = lp;
	if (!lp->nkeys && !READ_ONCE(lp->node.parent)) {
		masstree_collapse_root(ws, lp, &l->node, &rt);
		pa = NULL;
	}
	masstree_unlock_raw(ws, &r->node);
	masstree_unlock_raw(ws, &l->node);
	masstree_unlock_raw(ws, &lp->node);
	masstree_retired_flush(ws, &rt);
	return pa;

unlock:
	if (lp)
		masstree_unlock_raw(ws, &lp->node);
	masstree_unlock_raw(ws, &r->node);
	masstree_unlock_raw(ws, &l->node);
	return NULL;
}

/*
 * Can the locked @p take the entries of the locked @lf (its right
 * neighbour), as of @lperm? Nothing may be allocated: their suffixes must
 * fit @p's bag as it is. One slot stays free (@p's slot 0 may be reserved
 * for its low key).
 */
static bool masstree_merge_fits(const struct masstree_leaf *p,
				const struct masstree_leaf *lf, u64 lperm)
{
	unsigned int n = masstree_perm_size(lperm), bytes;

	if (!n)
		return true;
	if (masstree_perm_size(p->permutation) + n > MASSTREE_LEAF_WIDTH - 1)
		return false;
	bytes = masstree_ksuf_live_bytes(lf, lperm);
	return !bytes || masstree_ksuf_fits(p, bytes);
}

/*
 * Append @lf's entries to @p, both locked: they all sort after @p's. One
 * permuter store publishes them; until @lf is deleted they are in both,
 * which lookups do not mind and scans skip (they resume past the last key
 * they returned).
 */
static void masstree_merge_entries(struct masstree_leaf *p,
				   const struct masstree_leaf *lf)
{
	u64 lperm = lf->permutation, perm = p->permutation;
	unsigned int pos, n = masstree_perm_size(lperm);

	if (!n)
		return;
	/* Slots a remove freed may be reused: readers of them must retry. */
	masstree_v_mark_insert(&p->node.version);
	p->modstate &= ~MASSTREE_LEAF_REMOVING;
	for (pos = 0; pos < n; pos++) {
		unsigned int from = masstree_perm_slot(lperm, pos), len;
		int slot = masstree_leaf_free_slot(p, &perm, lf->ikey[from]);

		WRITE_ONCE(p->ikey[slot], lf->ikey[from]);
		WRITE_ONCE(p->klen[slot], lf->klen[from]);
		WRITE_ONCE(p->lv[slot].index, lf->lv[from].index);
		if (lf->klen[from] == MASSTREE_KLEN_SUFFIX) {
			const u8 *suffix = masstree_ksuf_locked(lf, from, &len);

			masstree_ksuf_append(p, slot, suffix, len);
		}
		perm = masstree_perm_insert_from_back(perm, masstree_perm_size(perm));
	}
	masstree_leaf_publish(p, perm);
}

/*
 * Delete @lf, unlocked, which a remove just emptied or left with few
 * entries, or whose left neighbour a remove left so: its entries, if any,
 * move to its left neighbour. Nothing happens if meanwhile it was deleted, or
 * no longer fits there. It is not its layer's leftmost leaf.
 *
 * Return: true if the leaf to its left is now alone and empty in its
 * layer, so the layer may collapse.
 */
static bool masstree_delete_leaf(struct masstree_write *ws,
				 struct masstree_leaf *lf)
{
	struct masstree_internode *chain[2 * MASSTREE_MAX_HEIGHT], *shrunk;
	struct masstree_retired rt = {};
	struct masstree_leaf *p, *next;
	unsigned int height = 0;
	bool lonely;

	/* The left neighbour first: it owns the links around @lf. */
	for (;;) {
		p = READ_ONCE(lf->prev);
		if (!p)
			return false;
		masstree_lock_raw(ws, &p->node);
		if (!masstree_v_is_deleted(p->node.version) &&
		    READ_ONCE(p->next) == lf)
			break;
		masstree_unlock_raw(ws, &p->node);
		if (masstree_v_is_deleted(READ_ONCE(lf->node.version)))
			return false;
		cpu_relax();
	}
	masstree_lock_raw(ws, &lf->node);
	if (masstree_v_is_deleted(lf->node.version) ||
	    !masstree_merge_fits(p, lf, lf->permutation)) {
		masstree_unlock_raw(ws, &lf->node);
		masstree_unlock_raw(ws, &p->node);
		return false;
	}

	if (masstree_perm_size(lf->permutation)) {
		struct masstree_internode *pa = masstree_lock_parent(ws, &lf->node);
		unsigned int i = pa ? masstree_child_index(pa, &lf->node) : 0;

		/*
		 * Entries move only to a sibling under the same parent: a
		 * redirect would leave a stale route (an ancestor read before
		 * it, the parent after) that misses them in @p.
		 */
		if (!i) {
			if (pa)
				masstree_unlock_raw(ws, &pa->node);
			masstree_unlock_raw(ws, &lf->node);
			masstree_unlock_raw(ws, &p->node);
			return false;
		}
		chain[height++] = pa;
		masstree_merge_entries(p, lf);
		masstree_internode_drop(pa, i);
		if (!pa->nkeys && !READ_ONCE(pa->node.parent))
			masstree_collapse_root(ws, pa, &p->node, &rt);
		shrunk = pa;
	} else {
		shrunk = masstree_unhook(ws, &lf->node, &p->node, chain,
					 &height, &rt);
	}
	next = lf->next;
	WRITE_ONCE(p->next, next);
	if (next)
		WRITE_ONCE(next->prev, p);
	masstree_retire_node(ws, &rt, &lf->node);
	lonely = !masstree_leaf_prev(p) && !next &&
		 !masstree_perm_size(p->permutation);

	masstree_unlock_raw(ws, &lf->node);
	masstree_unlock_raw(ws, &p->node);
	while (height)
		masstree_unlock_raw(ws, &chain[--height]->node);
	masstree_retired_flush(ws, &rt);
	while (shrunk)
		shrunk = masstree_merge_internode(ws, shrunk);
	return lonely;
}

/*
 * @lf, locked, just lost its last entry: unlock it and reclaim it.
 *
 * Return: true if its layer may now be empty.
 */
static bool masstree_leaf_emptied(struct masstree_write *ws,
				  struct masstree_leaf *lf,
				  const struct masstree_key *k)
	__releases(lf)
{
	struct masstree_leaf *prev = masstree_leaf_prev(lf);
	bool leftmost = !prev, alone = !lf->next;

	/* Deleting it writes both neighbours' links: start fetching them. */
	if (!leftmost) {
		prefetchw(prev);
		prefetchw(&prev->next);
		if (!alone)
			prefetchw(&lf->next->prev);
	}
	masstree_unlock(ws, &lf->node);
	masstree_hook(MASSTREE_HOOK_LEAF_EMPTIED, k);
	if (leftmost)
		return alone;
	return masstree_delete_leaf(ws, lf);
}

/* Lock the chain of single-child internodes above @lf up to its root. */
static bool masstree_lock_trivial_chain(struct masstree_write *ws,
					struct masstree_leaf *lf,
					struct masstree_internode **chain,
					unsigned int *height)
{
	struct masstree_node *n = &lf->node;

	for (;;) {
		struct masstree_internode *pa = masstree_lock_parent(ws, n);

		if (!pa)
			return true;
		chain[(*height)++] = pa;
		if (pa->nkeys || *height == MASSTREE_MAX_HEIGHT)
			return false;
		n = &pa->node;
	}
}

/* Is @lf, locked, its layer's only leaf, and empty? */
static bool masstree_leaf_is_lonely(const struct masstree_leaf *lf)
{
	return !masstree_v_is_deleted(lf->node.version) && !masstree_leaf_prev(lf) &&
	       !lf->next && !masstree_perm_size(lf->permutation);
}

/* Layer 0 is empty: make its leftmost leaf the root again. */
static void masstree_collapse_top(struct masstree_write *ws)
{
	struct masstree_internode *chain[MASSTREE_MAX_HEIGHT];
	struct masstree_retired rt = {};
	struct masstree_key kmin;
	struct masstree_leaf *lf;
	unsigned int height = 0;
	u64 v;

	masstree_key_init(&kmin, "", 0);
	lf = masstree_reach_leaf(READ_ONCE(ws->mt->root), &kmin, &v);
	masstree_lock_raw(ws, &lf->node);
	if (!masstree_leaf_is_lonely(lf) || !READ_ONCE(lf->node.parent))
		goto unlock;
	if (!masstree_lock_trivial_chain(ws, lf, chain, &height))
		goto unlock;
	masstree_v_mark_root(&lf->node.version);
	WRITE_ONCE(lf->node.parent, NULL);
	/* Readers that start from the old root still descend to @lf. */
	smp_store_release(&ws->mt->root, &lf->node);
	while (height) {
		masstree_retire_node(ws, &rt, &chain[--height]->node);
		masstree_unlock_raw(ws, &chain[height]->node);
	}
unlock:
	while (height)
		masstree_unlock_raw(ws, &chain[--height]->node);
	masstree_unlock_raw(ws, &lf->node);
	masstree_retired_flush(ws, &rt);
}

/*
 * The layer at depth @depth of @k's path may be empty: lock the leaf that
 * links it (from @hint, a leaf of the layer above seen on the way down, if
 * any: masstree_leaf_for() sends us to the top when it was deleted or no
 * longer holds the link), then the layer, and unlink and retire the layer
 * if it is.
 *
 * Return: true if the linking leaf's own layer may now be empty.
 */
static bool masstree_collapse_layer(struct masstree_write *ws,
				    struct masstree_key *k, unsigned int depth,
				    struct masstree_leaf *hint)
{
	struct masstree_internode *chain[MASSTREE_MAX_HEIGHT];
	struct masstree_retired rt = {};
	struct masstree_node *root, *n;
	struct masstree_leaf *lf, *lm;
	unsigned int pos, slot, height = 0;
	bool match, emptied = false;
	u64 perm;

	masstree_key_reset(k);
	if (hint) {
		while (k->off / MASSTREE_SLICE_LEN + 1 < depth)
			masstree_key_shift(k);
		lf = masstree_lock_leaf(ws, NULL, hint, k);
	} else {
		lf = masstree_lock_leaf(ws, READ_ONCE(ws->mt->root), NULL, k);
	}
	for (;;) {
		pos = masstree_leaf_search(lf, lf->permutation, k->ikey,
					   MASSTREE_KLEN_SUFFIX, &match);
		slot = masstree_perm_slot(lf->permutation, pos);
		if (!match || lf->klen[slot] != MASSTREE_KLEN_LAYER) {
			masstree_unlock(ws, &lf->node);
			return false;	/* someone else collapsed it */
		}
		root = masstree_leaf_layer(lf, slot);
		if (k->off / MASSTREE_SLICE_LEN + 1 == depth)
			break;
		masstree_unlock(ws, &lf->node);
		masstree_key_shift(k);
		lf = masstree_lock_leaf(ws, root, NULL, k);
	}

	/* @lf links the layer: lock its leftmost leaf, then what is above. */
	for (n = root; !masstree_node_is_leaf(n);)
		n = READ_ONCE(masstree_to_internode(n)->child[0]);
	lm = masstree_to_leaf(n);
	masstree_lock_raw(ws, &lm->node);
	if (!masstree_leaf_is_lonely(lm) ||
	    !masstree_lock_trivial_chain(ws, lm, chain, &height) ||
	    masstree_layer_root(&lm->node) != root)
		goto unlock;

	perm = masstree_perm_remove(lf->permutation, pos);
	lf->modstate |= MASSTREE_LEAF_REMOVING;
	masstree_leaf_publish(lf, perm);
	masstree_retire_node(ws, &rt, &lm->node);
	while (height) {
		masstree_retire_node(ws, &rt, &chain[--height]->node);
		masstree_unlock_raw(ws, &chain[height]->node);
	}
	masstree_unlock_raw(ws, &lm->node);
	masstree_retired_flush(ws, &rt);
	if (masstree_perm_size(perm))
		goto unlock_linker;
	/* The linking leaf emptied too. */
	masstree_leaf_drop_ksuf(ws, lf);
	if (!masstree_leaf_prev(lf)) {
		emptied = !lf->next;
		goto unlock_linker;
	}
	masstree_unlock(ws, &lf->node);
	return masstree_delete_leaf(ws, lf);

unlock:
	while (height)
		masstree_unlock_raw(ws, &chain[--height]->node);
	masstree_unlock_raw(ws, &lm->node);
unlock_linker:
	masstree_unlock(ws, &lf->node);
	return emptied;
}

/*
 * The neighbour the locked @lf would share one leaf with, under the same
 * parent: its left one, or, as child 0 (which cannot move its entries
 * left, see masstree_delete_leaf()), its right one; NULL if none. Sets
 * @takes_in for the right one. A hint, read from the parent we just
 * descended through: the parent may change, masstree_delete_leaf() checks.
 */
static struct masstree_leaf *masstree_merge_partner(struct masstree_leaf *lf,
						    bool *takes_in)
{
	const struct masstree_internode *pa = READ_ONCE(lf->node.parent);

	if (!pa)
		return NULL;
	*takes_in = READ_ONCE(pa->child[0]) == &lf->node;
	if (!*takes_in)
		return masstree_leaf_prev(lf);
	if (lf->next && READ_ONCE(pa->child[1]) == &lf->next->node)
		return lf->next;
	return NULL;
}

/*
 * @lf, locked, has few entries left (@perm): which leaf to delete so that
 * they share one leaf with its merge partner, if that seems to have room
 * (checked again under the locks). Without merges, random removes would
 * leave most leaves nearly empty and the tree as big as at its largest;
 * that makes every descent miss more.
 *
 * Return: @lf (it merges into its left neighbour), its right neighbour
 * (that one merges into @lf), or NULL.
 */
static struct masstree_leaf *masstree_merge_victim(struct masstree_leaf *lf,
						   u64 perm)
{
	unsigned int n = masstree_perm_size(perm);
	struct masstree_leaf *partner;
	bool takes_in;

	if (n > MASSTREE_MERGE_BELOW)
		return NULL;
	partner = masstree_merge_partner(lf, &takes_in);
	if (!partner || masstree_perm_size(READ_ONCE(partner->permutation)) + n >=
			MASSTREE_LEAF_WIDTH)
		return NULL;
	return takes_in ? partner : lf;
}

/*
 * A remove that leaves @lf, locked, with few entries reads its merge
 * partner's permuter: start that cache miss before the leaf search.
 */
static void masstree_merge_prefetch(struct masstree_leaf *lf)
{
	struct masstree_leaf *partner;
	bool takes_in;

	if (masstree_perm_size(lf->permutation) > MASSTREE_MERGE_BELOW + 1)
		return;
	partner = masstree_merge_partner(lf, &takes_in);
	if (partner)
		prefetch(&partner->permutation);
}

/**
 * masstree_remove_leaf() - one attempt at removing @k
 * @ws: the write state
 * @k: the key, at layer 0; shifted as the remove descends layers
 * @old: set to the removed value
 * @empty_depth: set to the depth of a layer the remove may have emptied
 *
 * Sets @ws->up to the leaf that linked the last layer it descended into.
 *
 * Context: rcu_read_lock() held; no node lock held.
 * Return: 0 or -ENOENT.
 */
static int masstree_remove_leaf(struct masstree_write *ws,
				struct masstree_key *k,
				union masstree_leafvalue *old, int *empty_depth)
{
	struct masstree_node *root;
	struct masstree_leaf *lf;
	unsigned int pos, slot;
	bool match;
	int found;
	u8 klen;
	u64 perm;

	/*
	 * Set on entering each layer: when the key's leaf is below layer 0,
	 * the last one set links that leaf's layer.
	 */
	lf = masstree_lock_key(ws, k, &ws->up);
layer:
	masstree_merge_prefetch(lf);
	pos = masstree_search_locked(ws, lf, k, &match, &found);
	if (!match)
		goto absent;
	slot = masstree_perm_slot(lf->permutation, pos);
	klen = lf->klen[slot];
	if (klen == MASSTREE_KLEN_LAYER) {
		root = masstree_leaf_layer(lf, slot);
		ws->up = lf;
		masstree_unlock(ws, &lf->node);
		masstree_key_shift(k);
		lf = masstree_lock_leaf(ws, root, NULL, k);
		goto layer;
	}
	if (klen == MASSTREE_KLEN_SUFFIX &&
	    !masstree_suffix_matches(lf, slot, k, found))
		goto absent;

	*old = lf->lv[slot];
	perm = masstree_perm_remove(lf->permutation, pos);
	lf->modstate |= MASSTREE_LEAF_REMOVING;
	masstree_leaf_publish(lf, perm);
	percpu_counter_dec(&ws->mt->nr_entries);
	if (masstree_perm_size(perm)) {
		struct masstree_leaf *victim = masstree_merge_victim(lf, perm);

		masstree_unlock(ws, &lf->node);
		/* A remover that emptied the other leaf meanwhile left it to us. */
		if (victim && masstree_delete_leaf(ws, victim))
			*empty_depth = k->off / MASSTREE_SLICE_LEN;
		return 0;
	}
	masstree_leaf_drop_ksuf(ws, lf);
	if (masstree_leaf_emptied(ws, lf, k))
		*empty_depth = k->off / MASSTREE_SLICE_LEN;
	return 0;

absent:
	masstree_unlock(ws, &lf->node);
	return -ENOENT;
}

static int masstree_remove_entry(struct masstree *mt, const void *key,
				 size_t len, union masstree_leafvalue *old)
{
	struct masstree_write ws;
	struct masstree_key k;
	int depth = -1, err;

	if (len > MASSTREE_MAX_KEY_LEN)
		return -E2BIG;
	masstree_write_init(&ws, mt, 0);
	masstree_key_init(&k, key, len);
	rcu_read_lock();
	err = masstree_remove_leaf(&ws, &k, old, &depth);
	if (depth >= 0)
		masstree_hook(MASSTREE_HOOK_LAYER_EMPTIED, &k);
	/* Collapse emptied layers bottom-up; each may empty the one above. */
	/* The first starts from the leaf that linked the layer, the rest from the top. */
	while (depth > 0 && masstree_collapse_layer(&ws, &k, depth, ws.up)) {
		depth--;
		ws.up = NULL;
	}
	if (!depth)
		masstree_collapse_top(&ws);
	rcu_read_unlock();
	return err;
}

/**
 * masstree_remove() - remove a key from an object-mode tree
 * @mt: the tree
 * @key: the key, any bytes
 * @len: its length
 * @old: if not NULL, set to the removed value's reference, which passes to
 *       the caller (put it with kref_put() and the tree's release
 *       function); if NULL, the tree drops it
 *
 * Lock-free readers that found the key before it went may still return
 * the old value: its release function frees it through RCU. Leaves, and
 * layers, that the remove empties are freed after a grace period.
 *
 * Context: as masstree_put(); never allocates, never sleeps.
 * Return: 0; -ENOENT (key absent); -E2BIG (key longer than
 * %MASSTREE_MAX_KEY_LEN); -EINVAL (an index-mode tree).
 */
int masstree_remove(struct masstree *mt, const void *key, size_t len,
		    struct kref **old)
{
	union masstree_leafvalue lv;
	int err;

	if (masstree_is_index(mt))
		return -EINVAL;
	err = masstree_remove_entry(mt, key, len, &lv);
	if (err)
		return err;
	if (old)
		*old = lv.obj;
	else
		kref_put(lv.obj, mt->release);
	return 0;
}
EXPORT_SYMBOL_GPL(masstree_remove);

/**
 * masstree_remove_index() - remove a key from an index-mode tree
 * @mt: the tree, made with %MASSTREE_FLAGS_INDEX
 * @key: the key, any bytes
 * @len: its length
 * @old: if not NULL, set to the removed value
 *
 * Context: as masstree_remove().
 * Return: as masstree_remove(); -EINVAL for an object-mode tree.
 */
int masstree_remove_index(struct masstree *mt, const void *key, size_t len,
			  u64 *old)
{
	union masstree_leafvalue lv;
	int err;

	if (!masstree_is_index(mt))
		return -EINVAL;
	err = masstree_remove_entry(mt, key, len, &lv);
	if (!err && old)
		*old = lv.index;
	return err;
}
EXPORT_SYMBOL_GPL(masstree_remove_index);
