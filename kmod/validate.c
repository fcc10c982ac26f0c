// SPDX-License-Identifier: GPL-2.0
/*
 * The tree validator. One layer at a time, depth-first with an explicit
 * stack (1 KiB keys nest 128 layers: no recursion), checking each node
 * against the slice range its parents give it, each leaf against its
 * neighbours on the B-link list, and the counters against what it found.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <kunit/visibility.h>
#include "tree.h"
#include "validate.h"

struct masstree_vframe {
	struct masstree_node *n;
	u64 lo;			/* every slice in the subtree is >= lo */
	u64 hi;			/* ... and < hi, unless unbounded */
	bool bounded;
	unsigned int depth;
};

struct masstree_vstate {
	struct masstree *mt;
	struct masstree_vframe *stack;
	unsigned int nstack, stack_size;
	struct masstree_node **layers;	/* layer roots still to walk */
	unsigned int nlayers, layers_size;
	unsigned long entries, bytes;
	struct masstree_leaf *prev_leaf;
	int leaf_depth;
};

static bool masstree_grow(void **array, unsigned int *size, size_t elem)
{
	unsigned int n = *size ? 2 * *size : 64;
	void *p = krealloc(*array, n * elem, GFP_KERNEL);

	if (!p)
		return false;
	*array = p;
	*size = n;
	return true;
}

static int masstree_vpush(struct masstree_vstate *vs, struct masstree_vframe f)
{
	if (vs->nstack == vs->stack_size &&
	    !masstree_grow((void **)&vs->stack, &vs->stack_size, sizeof(f)))
		return -ENOMEM;
	vs->stack[vs->nstack++] = f;
	return 0;
}

static int masstree_vlayer(struct masstree_vstate *vs, struct masstree_node *root)
{
	if (vs->nlayers == vs->layers_size &&
	    !masstree_grow((void **)&vs->layers, &vs->layers_size, sizeof(root)))
		return -ENOMEM;
	vs->layers[vs->nlayers++] = root;
	return 0;
}

static int masstree_check_version(struct masstree_node *n, bool leaf, bool root)
{
	u64 v = READ_ONCE(n->version);

	if (v & (MASSTREE_V_LOCKED | MASSTREE_V_DIRTY | MASSTREE_V_DELETED))
		return MASSTREE_BAD_VERSION;
	if (masstree_v_is_leaf(v) != leaf)
		return MASSTREE_BAD_VERSION;
	if (masstree_v_is_root(v) != root)
		return root ? MASSTREE_BAD_LAYER : MASSTREE_BAD_VERSION;
	return MASSTREE_VALID;
}

static int masstree_check_leaf(struct masstree_vstate *vs,
			       const struct masstree_vframe *f)
{
	struct masstree_leaf *lf = masstree_to_leaf(f->n);
	u64 perm = lf->permutation;
	unsigned int pos, size = masstree_perm_size(perm);
	int err;

	err = masstree_check_version(f->n, true, f->depth == 0);
	if (err)
		return err;
	if (!masstree_perm_is_valid(perm))
		return MASSTREE_BAD_PERM;
	if (vs->leaf_depth < 0)
		vs->leaf_depth = f->depth;
	else if (vs->leaf_depth != f->depth)
		return MASSTREE_BAD_DEPTH;
	/* The B-link list visits leaves in the tree's order. */
	if (lf->prev != vs->prev_leaf ||
	    (vs->prev_leaf && vs->prev_leaf->next != lf))
		return MASSTREE_BAD_LINK;
	if (lf->prev && lf->ikey[0] != f->lo)
		return MASSTREE_BAD_LOWKEY;
	vs->prev_leaf = lf;
	vs->bytes += masstree_leaf_bytes(lf);
	if (lf->ksuf && !masstree_ksuf_is_inline(lf, lf->ksuf))
		vs->bytes += masstree_ksuf_bytes(lf->ksuf->size);

	for (pos = 0; pos < size; pos++) {
		unsigned int slot = masstree_perm_slot(perm, pos);
		u8 klen = lf->klen[slot];
		u64 ikey = lf->ikey[slot];

		if (klen > MASSTREE_KLEN_LAYER)
			return MASSTREE_BAD_KLEN;
		if (ikey < f->lo || (f->bounded && ikey >= f->hi))
			return MASSTREE_BAD_BOUNDS;
		if (pos) {
			unsigned int prev = masstree_perm_slot(perm, pos - 1);

			if (masstree_compare(lf->ikey[prev], lf->klen[prev],
					     ikey, klen) >= 0)
				return MASSTREE_BAD_ORDER;
		}
		if (klen == MASSTREE_KLEN_SUFFIX) {
			const struct masstree_ksuf *ks = lf->ksuf;

			if (!ks || ks->off[slot] + ks->len[slot] > ks->used ||
			    !ks->len[slot])
				return MASSTREE_BAD_KLEN;
		}
		if (klen == MASSTREE_KLEN_LAYER) {
			struct masstree_node *root = lf->lv[slot].layer;

			if (!root)
				return MASSTREE_BAD_KLEN;
			root = masstree_layer_root(root);
			if (root->parent)
				return MASSTREE_BAD_LAYER;
			err = masstree_vlayer(vs, root);
			if (err)
				return MASSTREE_VALIDATE_NOMEM;
		} else {
			vs->entries++;
		}
	}
	return MASSTREE_VALID;
}

static int masstree_check_internode(struct masstree_vstate *vs,
				    const struct masstree_vframe *f)
{
	struct masstree_internode *in = masstree_to_internode(f->n);
	int i, err;

	err = masstree_check_version(f->n, false, f->depth == 0);
	if (err)
		return err;
	if (in->nkeys > MASSTREE_INTERNODE_WIDTH)
		return MASSTREE_BAD_ORDER;
	vs->bytes += MASSTREE_INTERNODE_BYTES;
	for (i = 0; i < in->nkeys; i++) {
		if (i && in->ikey[i - 1] >= in->ikey[i])
			return MASSTREE_BAD_ORDER;
		if (in->ikey[i] < f->lo || (f->bounded && in->ikey[i] >= f->hi))
			return MASSTREE_BAD_BOUNDS;
	}
	/* Push right to left, so children are checked left to right. */
	for (i = in->nkeys; i >= 0; i--) {
		struct masstree_vframe c = {
			.n = in->child[i],
			.lo = i ? in->ikey[i - 1] : f->lo,
			.hi = i < in->nkeys ? in->ikey[i] : f->hi,
			.bounded = i < in->nkeys || f->bounded,
			.depth = f->depth + 1,
		};

		if (!c.n || c.n->parent != in)
			return MASSTREE_BAD_PARENT;
		if (masstree_vpush(vs, c))
			return MASSTREE_VALIDATE_NOMEM;
	}
	return MASSTREE_VALID;
}

static int masstree_check_layer(struct masstree_vstate *vs,
				struct masstree_node *root)
{
	struct masstree_vframe top = { .n = root };
	int err;

	vs->prev_leaf = NULL;
	vs->leaf_depth = -1;
	vs->nstack = 0;
	if (masstree_vpush(vs, top))
		return MASSTREE_VALIDATE_NOMEM;
	while (vs->nstack) {
		struct masstree_vframe f = vs->stack[--vs->nstack];

		if (masstree_node_is_leaf(f.n))
			err = masstree_check_leaf(vs, &f);
		else
			err = masstree_check_internode(vs, &f);
		if (err)
			return err;
	}
	return vs->prev_leaf->next ? MASSTREE_BAD_LINK : MASSTREE_VALID;
}

/**
 * masstree_validate() - check every invariant of a tree
 * @mt: the tree; no writer may run meanwhile
 *
 * Context: process context; may sleep (allocates its walk stack).
 * Return: MASSTREE_VALID (0) or the first broken invariant found.
 */
int masstree_validate(struct masstree *mt)
{
	struct masstree_vstate vs = { .mt = mt };
	int err;

	err = masstree_vlayer(&vs, masstree_layer_root(mt->root));
	if (err)
		return MASSTREE_VALIDATE_NOMEM;
	if (mt->root->parent)
		err = MASSTREE_BAD_LAYER;
	while (!err && vs.nlayers)
		err = masstree_check_layer(&vs, vs.layers[--vs.nlayers]);
	if (!err && vs.entries != masstree_count(mt))
		err = MASSTREE_BAD_COUNT;
	if (!err && vs.bytes != masstree_bytes(mt))
		err = MASSTREE_BAD_BYTES;
	kfree(vs.stack);
	kfree(vs.layers);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(masstree_validate);

const char *masstree_invalid_name(int code)
{
	static const char *const names[] = {
		[MASSTREE_VALID] = "valid",
		[MASSTREE_BAD_VERSION] = "bad version word",
		[MASSTREE_BAD_PERM] = "bad permuter",
		[MASSTREE_BAD_KLEN] = "bad length code or suffix",
		[MASSTREE_BAD_ORDER] = "keys out of order",
		[MASSTREE_BAD_BOUNDS] = "key outside parent bounds",
		[MASSTREE_BAD_LOWKEY] = "slot 0 is not the low slice",
		[MASSTREE_BAD_PARENT] = "child's parent pointer wrong",
		[MASSTREE_BAD_LINK] = "B-link list inconsistent",
		[MASSTREE_BAD_DEPTH] = "leaves at different depths",
		[MASSTREE_BAD_LAYER] = "bad layer root",
		[MASSTREE_BAD_COUNT] = "entry count wrong",
		[MASSTREE_BAD_BYTES] = "byte count wrong",
		[MASSTREE_VALIDATE_NOMEM] = "validator out of memory",
	};

	if (code < 0 || code >= (int)ARRAY_SIZE(names))
		return "unknown";
	return names[code];
}
EXPORT_SYMBOL_IF_KUNIT(masstree_invalid_name);
