// SPDX-License-Identifier: GPL-2.0
/*
 * Splits. A full leaf splits into itself and a new right sibling; the
 * sibling's first slice goes up into the parent, which may split in turn,
 * up to a new root.
 *
 * Before anything changes, the chain of nodes that will change is locked
 * bottom-up (a child's lock is held while its parent's is taken; no writer
 * ever takes them the other way round) and every node the split needs is
 * reserved, so a split either happens whole or, on -EAGAIN, not at all.
 * New nodes are locked before they become reachable, so no other writer
 * changes them until the split is complete. (Those locks, and the chain's,
 * vary in number: they are taken raw, and sparse checks only that the
 * split releases the leaf it was given.)
 *
 * What readers see, in order:
 *  1. the right leaf, filled, is linked into the B-link list: readers in
 *     the left leaf still find every key there;
 *  2. the parents learn about it, dirty while they change (readers of a
 *     split internode start again from the layer root);
 *  3. the left leaf is marked splitting and truncated: readers that were
 *     in it see a split and walk right along the B-link.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include "tree.h"

/* The leaf's entries in order, with the new key at @pos. */
struct masstree_split {
	struct masstree_leaf *lf;
	u64 perm;
	unsigned int count;
	unsigned int pos;
	const struct masstree_key *k;
};

static u64 masstree_split_ikey(const struct masstree_split *sp, unsigned int i)
{
	if (i == sp->pos)
		return sp->k->ikey;
	return sp->lf->ikey[masstree_perm_slot(sp->perm, i - (i > sp->pos))];
}

/*
 * How many entries stay left. Sequential inserts (at the end of the last
 * leaf, or the start of the first) leave the old leaf full; otherwise
 * split in the middle. Entries with equal slices stay together: the
 * parents separate leaves by slice alone.
 */
static unsigned int masstree_split_point(const struct masstree_split *sp)
{
	unsigned int n = sp->count, mid, d;

	if (sp->pos == n - 1 && !sp->lf->next)
		mid = n - 1;
	else if (sp->pos == 0 && !masstree_leaf_prev(sp->lf))
		mid = 1;
	else
		mid = (n + 1) / 2;
	/* At most 10 entries share a slice, so a boundary exists. */
	for (d = 0; d < n; d++) {
		if (mid + d < n && masstree_split_ikey(sp, mid + d - 1) !=
				   masstree_split_ikey(sp, mid + d))
			return mid + d;
		if (d < mid && masstree_split_ikey(sp, mid - d - 1) !=
			       masstree_split_ikey(sp, mid - d))
			return mid - d;
	}
	WARN_ON_ONCE(1);
	return mid;
}

/* Suffix bytes of merged entries [from, to). */
static unsigned int masstree_split_ksuf_bytes(const struct masstree_split *sp,
					      unsigned int from, unsigned int to)
{
	unsigned int i, bytes = 0;

	for (i = from; i < to; i++) {
		unsigned int slot, len;

		if (i == sp->pos) {
			if (masstree_key_has_suffix(sp->k))
				bytes += masstree_key_suffix_len(sp->k);
			continue;
		}
		slot = masstree_perm_slot(sp->perm, i - (i > sp->pos));
		if (sp->lf->klen[slot] == MASSTREE_KLEN_SUFFIX) {
			masstree_ksuf_locked(sp->lf, slot, &len);
			bytes += len;
		}
	}
	return bytes;
}

/* Fill the new right leaf @nr with merged entries [mid, count). */
static void masstree_split_fill(struct masstree_write *ws,
				const struct masstree_split *sp,
				unsigned int mid, struct masstree_leaf *nr,
				union masstree_leafvalue val)
{
	struct masstree_leaf *lf = sp->lf;
	unsigned int i, to = 0;

	for (i = mid; i < sp->count; i++, to++) {
		unsigned int from, len;

		if (i == sp->pos) {
			if (!masstree_is_index(ws->mt))
				kref_get(val.obj);
			masstree_leaf_assign(ws, nr, to, sp->k, val);
			continue;
		}
		from = masstree_perm_slot(sp->perm, i - (i > sp->pos));
		nr->ikey[to] = lf->ikey[from];
		nr->klen[to] = lf->klen[from];
		nr->lv[to] = lf->lv[from];
		if (lf->klen[from] == MASSTREE_KLEN_SUFFIX) {
			const u8 *s = masstree_ksuf_locked(lf, from, &len);

			masstree_ksuf_append(nr, to, s, len);
		}
	}
	nr->permutation = masstree_perm_sorted(to);
}

/* Room in @in: put @key and @right just after @left. */
static void masstree_internode_insert(struct masstree_internode *in,
				      struct masstree_node *left, u64 key,
				      struct masstree_node *right)
{
	unsigned int i = masstree_child_index(in, left), j;

	masstree_v_mark_insert(&in->node.version);
	for (j = in->nkeys; j > i; j--) {
		WRITE_ONCE(in->ikey[j], in->ikey[j - 1]);
		WRITE_ONCE(in->child[j + 1], in->child[j]);
	}
	WRITE_ONCE(in->ikey[i], key);
	/* The new child's contents before the pointer (readers: READ_ONCE()). */
	smp_store_release(&in->child[i + 1], right);
	WRITE_ONCE(in->nkeys, in->nkeys + 1);
}

/*
 * @in is full: put @key and @right after @left and move the upper half to
 * the new, locked @ir. Inserting at the very end (sequential inserts)
 * leaves @in full and starts @ir with just @right.
 *
 * Return: the slice that separates @in from @ir, for their parent.
 */
static u64 masstree_internode_split(struct masstree_internode *in,
				    struct masstree_internode *ir,
				    struct masstree_node *left, u64 key,
				    struct masstree_node *right)
{
	u64 keys[MASSTREE_INTERNODE_WIDTH + 1];
	struct masstree_node *children[MASSTREE_INTERNODE_WIDTH + 2];
	unsigned int n = MASSTREE_INTERNODE_WIDTH, i, j, keep;

	i = masstree_child_index(in, left);
	for (j = 0; j <= n; j++) {
		keys[j] = j < i ? in->ikey[j] : j == i ? key : in->ikey[j - 1];
		children[j + 1] = j < i ? in->child[j + 1] :
				  j == i ? right : in->child[j];
	}
	children[0] = in->child[0];
	keep = i == n ? n : (n + 1) / 2;

	masstree_v_mark_split(&in->node.version);
	ir->node.parent = in->node.parent;
	ir->nkeys = n - keep;
	for (j = keep + 1; j <= n; j++)
		ir->ikey[j - keep - 1] = keys[j];
	for (j = keep + 1; j <= n + 1; j++) {
		ir->child[j - keep - 1] = children[j];
		WRITE_ONCE(children[j]->parent, ir);
	}
	for (j = i; j < keep; j++)
		WRITE_ONCE(in->ikey[j], keys[j]);
	for (j = i + 1; j <= keep; j++) {
		WRITE_ONCE(in->child[j], children[j]);
		WRITE_ONCE(children[j]->parent, in);
	}
	WRITE_ONCE(in->nkeys, keep);
	return keys[keep];
}

/* @left was its layer's root and split: a new root holds both halves. */
static void masstree_grow_root(struct masstree_write *ws,
			       struct masstree_internode *root,
			       struct masstree_node *left, u64 key,
			       struct masstree_node *right, bool layer0)
{
	root->node.version |= MASSTREE_V_ROOT;
	root->nkeys = 1;
	root->ikey[0] = key;
	root->child[0] = left;
	root->child[1] = right;
	WRITE_ONCE(right->parent, root);
	/* Readers that reach @left while it was root spin, then climb. */
	masstree_v_mark_split(&left->version);
	/* The root's contents before readers can climb to it. */
	smp_store_release(&left->parent, root);
	masstree_v_mark_nonroot(&left->version);
	if (layer0)	/* as for the parent pointer */
		smp_store_release(&ws->mt->root, &root->node);
}

/*
 * Internodes a split of @lf (locked) will take, as its unlocked ancestors
 * look now: one per full ancestor, one more for a new root.
 */
static unsigned int masstree_split_internodes_guess(const struct masstree_leaf *lf)
{
	const struct masstree_internode *p = READ_ONCE(lf->node.parent);
	unsigned int guess = 0;

	while (p && READ_ONCE(p->nkeys) == MASSTREE_INTERNODE_WIDTH &&
	       guess < MASSTREE_MAX_HEIGHT) {
		guess++;
		p = READ_ONCE(p->node.parent);
	}
	return guess + !p;
}

/**
 * masstree_split_insert() - insert into a leaf that has no usable slot
 * @ws: the write state
 * @lf: the leaf, locked
 * @pos: the new key's sorted position
 * @k: the key, at @lf's layer
 * @val: its value
 *
 * Context: rcu_read_lock() held. Unlocks @lf and everything it locked.
 * Return: 0, or -EAGAIN if the nodes it needs are not reserved yet
 * (nothing changed).
 */
int masstree_split_insert(struct masstree_write *ws, struct masstree_leaf *lf,
			  unsigned int pos, const struct masstree_key *k,
			  union masstree_leafvalue val)
	__releases(lf)
{
	struct masstree_internode *chain[MASSTREE_MAX_HEIGHT];
	struct masstree_node *fresh[MASSTREE_MAX_HEIGHT + 1];
	struct masstree_need need = {};
	struct masstree_split sp = {
		.lf = lf, .perm = lf->permutation, .pos = pos, .k = k,
	};
	struct masstree_node *n = &lf->node, *left, *right;
	unsigned int height = 0, full = 0, nfresh = 0, mid, keep, i;
	struct masstree_leaf *nr;
	bool new_root, new_left;
	u64 perm, key;
	int slot;

	/* 1. Decide the split and what it needs. */
	sp.count = masstree_perm_size(sp.perm) + 1;
	mid = masstree_split_point(&sp);
	new_left = pos < mid;
	keep = new_left ? mid - 1 : mid;
	i = masstree_split_ksuf_bytes(&sp, mid, sp.count);
	if (i && i <= MASSTREE_IKSUF_DATA) {
		need.ileaves = 1;	/* the right half's suffixes fit inline */
	} else {
		need.leaves = 1;
		if (i)
			need.ksuf[0] = masstree_ksuf_size_for(i);
	}
	if (new_left && masstree_key_has_suffix(k) &&
	    !masstree_ksuf_fits(lf, masstree_key_suffix_len(k)))
		need.ksuf[1] = masstree_ksuf_size_for(masstree_split_ksuf_bytes(&sp, 0, mid));
	/*
	 * Short of nodes? Then give up before locking any ancestor, asking
	 * for as many internodes as the full ancestors seen without locks
	 * suggest, so that the retry most likely has them all.
	 */
	need.internodes = masstree_split_internodes_guess(lf);
	if (!masstree_reserve(ws, &need)) {
		masstree_unlock(ws, &lf->node);
		return -EAGAIN;
	}

	/* 2. Lock the chain of ancestors that will change, and check again. */
	for (;;) {
		struct masstree_internode *p = masstree_lock_parent(ws, n);

		new_root = !p;
		if (!p)
			break;
		chain[height++] = p;
		if (p->nkeys < MASSTREE_INTERNODE_WIDTH)
			break;
		full++;
		if (WARN_ON_ONCE(height == MASSTREE_MAX_HEIGHT))
			break;
		n = &p->node;
	}
	need.internodes = full + new_root;
	if (!masstree_reserve(ws, &need)) {
		while (height)
			masstree_unlock_raw(ws, &chain[--height]->node);
		masstree_unlock(ws, &lf->node);
		return -EAGAIN;
	}

	/* 3. Fill the right leaf and link it in. */
	nr = need.ileaves ? masstree_take_ileaf(ws) : masstree_take_leaf(ws);
	masstree_lock_raw(ws, &nr->node);
	fresh[nfresh++] = &nr->node;
	if (need.ksuf[0])
		nr->ksuf = masstree_take_ksuf(ws, need.ksuf[0]);
	masstree_split_fill(ws, &sp, mid, nr, val);
	nr->node.parent = height ? chain[0] : NULL;
	nr->prev = lf;
	nr->next = lf->next;
	if (lf->next) {
		/* The filled leaf before any link to it (readers: READ_ONCE()). */
		smp_store_release(&lf->next->prev, nr);
	}
	/* The filled leaf before the B-link to it (readers: READ_ONCE()). */
	smp_store_release(&lf->next, nr);

	/* 4. Tell the parents, splitting full ones, growing a root if needed. */
	left = &lf->node;
	right = &nr->node;
	key = nr->ikey[0];
	for (i = 0; i < height; i++) {
		struct masstree_internode *p = chain[i], *ir;

		if (p->nkeys < MASSTREE_INTERNODE_WIDTH) {
			masstree_internode_insert(p, left, key, right);
			break;
		}
		ir = masstree_take_internode(ws);
		masstree_lock_raw(ws, &ir->node);
		fresh[nfresh++] = &ir->node;
		key = masstree_internode_split(p, ir, left, key, right);
		left = &p->node;
		right = &ir->node;
	}
	if (new_root)
		masstree_grow_root(ws, masstree_take_internode(ws), left, key,
				   right, k->off == 0);

	/* 5. Truncate the left leaf; the new key may belong there. */
	masstree_v_mark_split(&lf->node.version);
	perm = (sp.perm & ~MASSTREE_PERM_MASK) | keep;
	if (new_left) {
		slot = masstree_leaf_free_slot(lf, &perm, k->ikey);
		if (need.ksuf[1]) {
			masstree_leaf_grow_ksuf(ws, lf, perm,
						masstree_take_ksuf(ws, need.ksuf[1]));
		}
		if (!masstree_is_index(ws->mt))
			kref_get(val.obj);
		masstree_leaf_assign(ws, lf, slot, k, val);
		perm = masstree_perm_insert_from_back(perm, pos);
	}
	lf->modstate &= ~MASSTREE_LEAF_REMOVING;
	masstree_leaf_publish(lf, perm);
	percpu_counter_inc(&ws->mt->nr_entries);

	/* 6. Unlock: new nodes, the leaf, then its ancestors. */
	while (nfresh)
		masstree_unlock_raw(ws, fresh[--nfresh]);
	masstree_unlock(ws, &lf->node);
	for (i = 0; i < height; i++)
		masstree_unlock_raw(ws, &chain[i]->node);
	return 0;
}
