/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node layouts. Both kinds start with the same header, so a pointer to
 * either can be followed before knowing which it is: the LEAF bit of the
 * version word tells, and it never changes for a node's lifetime.
 *
 * A leaf holds up to 15 entries in slots, in no particular order: its
 * permuter gives the sorted order. An internode holds up to 15 slices
 * and 16 children: child[i] holds the keys below ikey[i], child[i + 1]
 * those from ikey[i] up. Leaves of one layer are doubly linked in key order
 * (the B-link), so a reader that lands left of a concurrent split walks
 * right to find its key.
 *
 * Conventions: @n is a node of either kind, @lf a leaf, @in an internode.
 */
#ifndef _MASSTREE_NODE_H
#define _MASSTREE_NODE_H

#include <linux/types.h>
#include <linux/align.h>
#include <linux/cache.h>
#include <linux/rcupdate.h>
#include <linux/gfp.h>
#include <linux/prefetch.h>
#include "key.h"
#include "nodeversion.h"
#include "permuter.h"

#define MASSTREE_LEAF_WIDTH		MASSTREE_PERM_WIDTH
#define MASSTREE_INTERNODE_WIDTH	15
/* Every node fits in this many cache lines (the paper's best trade-off). */
#define MASSTREE_NODE_MAX_LINES		5
#define MASSTREE_NODE_BUDGET		(MASSTREE_NODE_MAX_LINES * 64)

struct masstree_internode;
struct masstree_ksuf;

/**
 * struct masstree_node - the header every node starts with
 * @version: lock, dirty bits and change counters (nodeversion.h)
 * @parent: the internode above, or NULL for a layer's root. Written under
 *          the parent's lock.
 */
struct masstree_node {
	u64 version;
	struct masstree_internode *parent;
};

/**
 * union masstree_leafvalue - what a leaf slot holds
 * @obj: object mode: a value that embeds a kref
 * @index: index mode: the value itself
 * @layer: the root of the next layer, when the slot's klen is a layer link
 */
union masstree_leafvalue {
	void *obj;
	u64 index;
	struct masstree_node *layer;
};

/**
 * struct masstree_leaf - a border node: 15 entries of one layer
 * @node: version and parent
 * @klen: each slot's length code (key.h)
 * @modstate: MASSTREE_LEAF_REMOVING when the leaf's last change was a
 *            remove, so reusing a freed slot bumps the version (a reader
 *            may still read that slot); MASSTREE_LEAF_IKSUF when the leaf
 *            was allocated with an inline suffix bag after it
 * @permutation: the sorted order of the live slots (permuter.h)
 * @ikey: each slot's slice
 * @lv: each slot's value or layer link
 * @next: the leaf to the right in this layer, or NULL
 * @prev: the leaf to the left in this layer, or NULL for the leftmost
 * @ksuf: the key suffixes of slots whose klen is MASSTREE_KLEN_SUFFIX
 *
 * No rcu_head: a retired node waits for its grace period on a list linked
 * through its ikeys (masstree_node_set_free_next()), 16 bytes a node saved.
 */
struct masstree_leaf {
	struct masstree_node node;
	u8 klen[MASSTREE_LEAF_WIDTH];
	u8 modstate;
	u64 permutation;
	u64 ikey[MASSTREE_LEAF_WIDTH];
	union masstree_leafvalue lv[MASSTREE_LEAF_WIDTH];
	struct masstree_leaf *next;
	struct masstree_leaf *prev;
	struct masstree_ksuf *ksuf;
};

/**
 * struct masstree_internode - an interior node: 15 slices, 16 children
 * @node: version and parent
 * @nkeys: number of live slices; children 0..nkeys are live
 * @ikey: the separating slices, sorted
 * @child: the subtrees between them
 */
struct masstree_internode {
	struct masstree_node node;
	u8 nkeys;
	u64 ikey[MASSTREE_INTERNODE_WIDTH];
	struct masstree_node *child[MASSTREE_INTERNODE_WIDTH + 1];
};

/* leaf->modstate bits; only writers, under the leaf's lock, use them */
#define MASSTREE_LEAF_REMOVING	0x01
#define MASSTREE_LEAF_IKSUF	0x80

/*
 * Leaves made for keys with suffixes carry this many bytes after them for
 * an inline suffix bag (ksuf.h): no second allocation, no second miss.
 */
#define MASSTREE_IKSUF_BYTES	128

/*
 * Memory a node takes. The caches pack nodes 16-byte aligned rather than
 * on cache lines: a 304-byte leaf padded to 320 costs 5% more memory per
 * key, and the prefetch below hides the extra line a node may straddle.
 */
#define MASSTREE_LEAF_BYTES	sizeof(struct masstree_leaf)
#define MASSTREE_LEAF_IKSUF_BYTES \
	(sizeof(struct masstree_leaf) + MASSTREE_IKSUF_BYTES)
#define MASSTREE_INTERNODE_BYTES sizeof(struct masstree_internode)
#define MASSTREE_NODE_ALIGN	16

/*
 * Fetch all of a node's lines at once: a search touches most of them, and
 * one miss at a time is what makes a descent slow.
 */
static inline void masstree_prefetch_node(const struct masstree_node *n)
{
	const char *p = (const char *)n;
	unsigned int off;

	for (off = L1_CACHE_BYTES; off < MASSTREE_NODE_BUDGET; off += L1_CACHE_BYTES)
		prefetch(p + off);
	/* The line a leaf that starts late in its first line ends in. */
	prefetch(p + sizeof(struct masstree_leaf) - 1);
}

/*
 * A leaf's prev link is written under its left neighbour's lock (which
 * owns the links between them), so even the holder of @lf's lock reads it
 * racily. Whether it is NULL is stable: a leftmost leaf stays leftmost.
 */
static inline struct masstree_leaf *masstree_leaf_prev(const struct masstree_leaf *lf)
{
	return READ_ONCE(lf->prev);
}

static inline bool masstree_leaf_has_iksuf(const struct masstree_leaf *lf)
{
	return lf->modstate & MASSTREE_LEAF_IKSUF;
}

static inline unsigned int masstree_leaf_bytes(const struct masstree_leaf *lf)
{
	return masstree_leaf_has_iksuf(lf) ? MASSTREE_LEAF_IKSUF_BYTES :
					     MASSTREE_LEAF_BYTES;
}

static inline bool masstree_node_is_leaf(const struct masstree_node *n)
{
	return masstree_v_is_leaf(READ_ONCE(n->version));
}

static inline struct masstree_leaf *masstree_to_leaf(struct masstree_node *n)
{
	return container_of(n, struct masstree_leaf, node);
}

static inline struct masstree_internode *
masstree_to_internode(struct masstree_node *n)
{
	return container_of(n, struct masstree_internode, node);
}

/*
 * A retired node is linked to the next one waiting for the same grace
 * period through ikey[1]. Readers may still be looking at the node, but
 * only compare its ikeys, and it was marked deleted before it was retired,
 * so whatever they find there fails validation (or its tree is being
 * destroyed, and their answer is moot, only safe). Not ikey[0]: that is a
 * leaf's low key, which readers walking the B-link trust without
 * validating.
 */
static inline u64 *masstree_node_free_link(struct masstree_node *n)
{
	if (masstree_node_is_leaf(n))
		return &masstree_to_leaf(n)->ikey[1];
	return &masstree_to_internode(n)->ikey[1];
}

static inline void masstree_node_set_free_next(struct masstree_node *n,
					       struct masstree_node *next)
{
	WRITE_ONCE(*masstree_node_free_link(n), (unsigned long)next);
}

static inline struct masstree_node *
masstree_node_free_next(const struct masstree_node *n)
{
	return (struct masstree_node *)(unsigned long)
		READ_ONCE(*masstree_node_free_link((struct masstree_node *)n));
}

int masstree_node_caches_init(void);
void masstree_node_caches_exit(void);
struct masstree_leaf *masstree_leaf_alloc(gfp_t gfp);
struct masstree_leaf *masstree_leaf_alloc_iksuf(gfp_t gfp);
struct masstree_internode *masstree_internode_alloc(gfp_t gfp);
void masstree_leaf_free(struct masstree_leaf *lf);
void masstree_internode_free(struct masstree_internode *in);
void masstree_node_free(struct masstree_node *n);

#endif /* _MASSTREE_NODE_H */
