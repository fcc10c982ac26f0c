// SPDX-License-Identifier: GPL-2.0
/*
 * Node allocation. Nodes come from three slab caches (leaves, leaves with
 * an inline suffix bag, internodes); a node that was ever reachable by
 * readers is freed only after a grace period (reclaim.c).
 */
#include <linux/build_bug.h>
#include <linux/slab.h>
#include <kunit/visibility.h>
#include "ksuf.h"

static struct kmem_cache *masstree_leaf_cache;
static struct kmem_cache *masstree_leaf_iksuf_cache;
static struct kmem_cache *masstree_internode_cache;

static void masstree_node_layout_check(void)
{
	BUILD_BUG_ON(sizeof(struct masstree_leaf) > MASSTREE_NODE_BUDGET);
	BUILD_BUG_ON(sizeof(struct masstree_leaf) % MASSTREE_NODE_ALIGN);
	BUILD_BUG_ON(sizeof(struct masstree_internode) % MASSTREE_NODE_ALIGN);
	BUILD_BUG_ON(sizeof(struct masstree_internode) > MASSTREE_NODE_BUDGET);
	/* Readers load the version, permuter and length codes together. */
	BUILD_BUG_ON(offsetof(struct masstree_leaf, permutation) + sizeof(u64) > 64);
	BUILD_BUG_ON(offsetof(struct masstree_node, version) != 0);
	BUILD_BUG_ON(MASSTREE_LEAF_WIDTH > 15);
	BUILD_BUG_ON(MASSTREE_KLEN_LAYER > U8_MAX);
	BUILD_BUG_ON(sizeof(struct masstree_ksuf) >= MASSTREE_IKSUF_BYTES);
	/* The inline bag's u16 fields need 2-byte alignment after the leaf. */
	BUILD_BUG_ON(sizeof(struct masstree_leaf) % sizeof(u64));
	/* Readers load permuters and versions whole: 64-bit kernels only. */
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
}

int masstree_node_caches_init(void)
{
	masstree_node_layout_check();
	masstree_leaf_cache = kmem_cache_create("masstree_leaf",
						sizeof(struct masstree_leaf),
						MASSTREE_NODE_ALIGN, 0, NULL);
	masstree_leaf_iksuf_cache =
		kmem_cache_create("masstree_leaf_iksuf",
				  sizeof(struct masstree_leaf) + MASSTREE_IKSUF_BYTES,
				  MASSTREE_NODE_ALIGN, 0, NULL);
	masstree_internode_cache =
		kmem_cache_create("masstree_internode",
				  sizeof(struct masstree_internode),
				  MASSTREE_NODE_ALIGN, 0, NULL);
	if (!masstree_leaf_cache || !masstree_leaf_iksuf_cache ||
	    !masstree_internode_cache) {
		kmem_cache_destroy(masstree_internode_cache);
		kmem_cache_destroy(masstree_leaf_iksuf_cache);
		kmem_cache_destroy(masstree_leaf_cache);
		return -ENOMEM;
	}
	return 0;
}

void masstree_node_caches_exit(void)
{
	/* Bags and values freed with call_rcu() must be gone first. */
	rcu_barrier();
	kmem_cache_destroy(masstree_internode_cache);
	kmem_cache_destroy(masstree_leaf_iksuf_cache);
	kmem_cache_destroy(masstree_leaf_cache);
}

/**
 * masstree_leaf_alloc() - allocate an empty, unlocked, unlinked leaf
 * @gfp: allocation flags
 *
 * Return: the leaf, or NULL if out of memory.
 */
struct masstree_leaf *masstree_leaf_alloc(gfp_t gfp)
{
	struct masstree_leaf *lf = kmem_cache_zalloc(masstree_leaf_cache, gfp);

	if (lf) {
		lf->node.version = MASSTREE_V_LEAF;
		lf->permutation = MASSTREE_PERM_EMPTY;
	}
	return lf;
}
EXPORT_SYMBOL_IF_KUNIT(masstree_leaf_alloc);

/**
 * masstree_leaf_alloc_iksuf() - allocate an empty leaf with an inline bag
 * @gfp: allocation flags
 *
 * Return: the leaf, its ksuf pointing at its own empty bag, or NULL.
 */
struct masstree_leaf *masstree_leaf_alloc_iksuf(gfp_t gfp)
{
	struct masstree_leaf *lf = kmem_cache_zalloc(masstree_leaf_iksuf_cache, gfp);

	if (lf) {
		lf->node.version = MASSTREE_V_LEAF;
		lf->permutation = MASSTREE_PERM_EMPTY;
		lf->modstate = MASSTREE_LEAF_IKSUF;
		masstree_ksuf_init(masstree_leaf_iksuf(lf), MASSTREE_IKSUF_DATA);
		lf->ksuf = masstree_leaf_iksuf(lf);
	}
	return lf;
}
EXPORT_SYMBOL_IF_KUNIT(masstree_leaf_alloc_iksuf);

/**
 * masstree_internode_alloc() - allocate an empty, unlocked internode
 * @gfp: allocation flags
 *
 * Return: the internode, or NULL if out of memory.
 */
struct masstree_internode *masstree_internode_alloc(gfp_t gfp)
{
	return kmem_cache_zalloc(masstree_internode_cache, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_internode_alloc);

/* For nodes no reader could have reached. */
void masstree_leaf_free(struct masstree_leaf *lf)
{
	kmem_cache_free(masstree_leaf_has_iksuf(lf) ? masstree_leaf_iksuf_cache :
						      masstree_leaf_cache, lf);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_leaf_free);

void masstree_internode_free(struct masstree_internode *in)
{
	kmem_cache_free(masstree_internode_cache, in);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_internode_free);

/**
 * masstree_node_free() - free a node whose grace period has passed
 * @n: a leaf (with its external suffix bag, if any) or an internode
 */
void masstree_node_free(struct masstree_node *n)
{
	struct masstree_leaf *lf;

	if (!masstree_node_is_leaf(n)) {
		masstree_internode_free(masstree_to_internode(n));
		return;
	}
	lf = masstree_to_leaf(n);
	if (lf->ksuf && !masstree_ksuf_is_inline(lf, lf->ksuf))
		kfree(container_of(lf->ksuf, struct masstree_ksuf_ext, ks));
	masstree_leaf_free(lf);
}
