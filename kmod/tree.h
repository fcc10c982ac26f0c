/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tree's operations share: leaf and internode searches, the node
 * lock wrappers that honour the tree's locking context, node allocation
 * for writers (reserve before locking, take under the lock), and counters.
 *
 * Conventions (as in the rest of kmod/): @mt the tree, @n a node, @lf a
 * leaf, @in an internode, @v a version snapshot, @perm a permuter
 * snapshot, @k the caller's key positioned at a layer, @ws a write state.
 */
#ifndef _MASSTREE_TREE_H
#define _MASSTREE_TREE_H

#include <linux/masstree.h>
#include <linux/bottom_half.h>
#include <linux/irqflags.h>
#include <linux/compiler.h>
#include <linux/kref.h>
#include "key.h"
#include "node.h"
#include "ksuf.h"

/* Deepest internode chain a split may climb in one layer. */
#define MASSTREE_MAX_HEIGHT	24

/*
 * A leaf left with this many entries or fewer merges with a neighbour. A
 * split in mid-leaf leaves 8 in each half, so 3 removes must follow before
 * a merge; a merged leaf holds 14 entries at most, so it splits no sooner
 * than its second insert. Keys churning around one leaf thus do not make
 * it split and merge on every other operation. Merging sooner keeps a
 * shrinking tree smaller (5 rather than 4: 41 bytes a key instead of 47
 * halfway through removing 1M random keys). Tests use it to set up merges.
 */
#define MASSTREE_MERGE_BELOW	5

/* Spare suffix bags one write may need (a split's two halves). */
#define MASSTREE_MAX_SPARE_KSUF	2

/* A lock-free read of a leaf's permuter: slot reads that follow see the
 * slots as they were when the permuter was published.
 */
static inline u64 masstree_leaf_perm(const struct masstree_leaf *lf)
{
	/* Pairs with the release in masstree_leaf_publish(). */
	return smp_load_acquire(&lf->permutation);
}

static inline void masstree_leaf_publish(struct masstree_leaf *lf, u64 perm)
{
	/* Pairs with the acquire in masstree_leaf_perm(). */
	smp_store_release(&lf->permutation, perm);
}

/* The lowest ikey a non-leftmost leaf may hold: slot 0 keeps it. */
static inline u64 masstree_leaf_lowkey(const struct masstree_leaf *lf)
{
	return READ_ONCE(lf->ikey[0]);
}

/**
 * masstree_leaf_search() - find where (@ikey, @klen) sorts in a leaf
 * @lf: the leaf
 * @perm: a snapshot of its permuter
 * @ikey: slice to look for
 * @klen: its length code
 * @match: set to whether the entry at the returned position has the same
 *         slice and the same length rank
 *
 * Return: the sorted position of the first entry not below the key.
 */
static inline unsigned int masstree_leaf_search(const struct masstree_leaf *lf,
						u64 perm, u64 ikey, u8 klen,
						bool *match)
{
	unsigned int lo = 0, hi = masstree_perm_size(perm);

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		unsigned int slot = masstree_perm_slot(perm, mid);
		int c = masstree_compare(ikey, klen, READ_ONCE(lf->ikey[slot]),
					 READ_ONCE(lf->klen[slot]));

		if (c > 0) {
			lo = mid + 1;
		} else if (c < 0) {
			hi = mid;
		} else {
			*match = true;
			return mid;
		}
	}
	*match = false;
	return lo;
}

/**
 * masstree_leaf_for() - is the locked @lf the leaf for @k?
 * @lf: a leaf the caller locked after masstree_reach_leaf() found it
 * @k: the key, at @lf's layer
 * @v: the version masstree_reach_leaf() returned, or 0 if none
 *
 * Return: @lf if so; the next leaf, if a split since @v moved @k right;
 * NULL if the caller must start again from the top: @lf was deleted (its
 * layer may be gone too), or a concurrent remove made the route to it stale
 * (@k sorts below its low key).
 */
static inline struct masstree_leaf *masstree_leaf_for(struct masstree_leaf *lf,
						      const struct masstree_key *k,
						      u64 v)
{
	struct masstree_leaf *next;

	if (unlikely(masstree_v_is_deleted(lf->node.version)))
		return NULL;
	if (unlikely(masstree_leaf_prev(lf) &&
		     k->ikey < masstree_leaf_lowkey(lf)))
		return NULL;
	/* Only after a split: the next leaf is a cache miss we need not pay. */
	if (masstree_v_split_since(v, lf->node.version)) {
		next = lf->next;
		if (next && k->ikey >= masstree_leaf_lowkey(next))
			return next;
	}
	return lf;
}

/* Which child of @in covers @ikey: child i holds keys below ikey[i]. */
static inline unsigned int masstree_internode_child(const struct masstree_internode *in,
						    u64 ikey)
{
	unsigned int lo = 0, hi = READ_ONCE(in->nkeys);

	if (hi > MASSTREE_INTERNODE_WIDTH)	/* torn read: caller retries */
		hi = MASSTREE_INTERNODE_WIDTH;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (ikey < READ_ONCE(in->ikey[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Where @child hangs in @in, both locked by the caller. */
static inline unsigned int masstree_child_index(const struct masstree_internode *in,
						const struct masstree_node *child)
{
	unsigned int i;

	for (i = 0; i < in->nkeys; i++)
		if (in->child[i] == child)
			break;
	return i;
}

/**
 * struct masstree_need - what a change needs reserved before it starts
 * @leaves: plain leaves
 * @ileaves: leaves with an inline suffix bag
 * @internodes: internodes
 * @ksuf: data sizes of the external suffix bags (0: none)
 */
struct masstree_need {
	unsigned int leaves;
	unsigned int ileaves;
	unsigned int internodes;
	u32 ksuf[MASSTREE_MAX_SPARE_KSUF];
};

/**
 * struct masstree_seen - what a writer's lock-free descent read in the
 * leaf it stopped at (masstree_reach_last_layer())
 * @leaf: that leaf, or NULL if the descent did not search it
 * @v: its version when read
 * @perm: its permuter when read
 * @pos: where the key sorted in @perm
 * @match: whether an entry there has the key's slice and length code
 * @found: with @match, whether that entry is the key (its suffix too)
 *
 * If the leaf, once locked, still has @v (bar the lock bit) and @perm, its
 * live entries are the ones read: every change to a slot the permuter
 * lists bumps the version (splits, merges into the leaf, new layers, a
 * suffix bag that grows, and the first insert after a remove, which may
 * reuse a freed slot); inserts into never-used slots and removes change
 * the permuter only, so a permuter that came back (insert, then remove)
 * lists the same slots with the same contents. The writer then uses this
 * instead of searching again.
 */
struct masstree_seen {
	const struct masstree_leaf *leaf;
	u64 v;
	u64 perm;
	unsigned int pos;
	bool match;
	bool found;
};

/**
 * struct masstree_write - one write operation's state
 * @mt: the tree
 * @gfp: the caller's allocation flags
 * @nlocked: node locks held: the first disables BH or IRQs as the tree asks
 * @irqflags: saved by the first lock of a MASSTREE_FLAGS_LOCK_IRQ tree
 * @leaves: spare leaves, chained through ->next
 * @nr_leaves: how many
 * @ileaves: spare leaves with an inline suffix bag, chained through ->next
 * @nr_ileaves: how many
 * @internodes: spare internodes, chained through ->node.parent
 * @nr_internodes: how many
 * @ksuf: spare suffix bags
 * @need: what the last attempt lacked
 * @released: a value reference to drop once every lock is released
 * @up: a remove's hint: the leaf that linked the layer of its key, as
 *      seen on the way down (not locked; checked under its lock)
 * @seen: what the lock-free descent read in its last leaf
 *
 * masstree_write_init() sets every field; of @seen only @seen.leaf: the
 * others are read only while it is set.
 */
struct masstree_write {
	struct masstree *mt;
	gfp_t gfp;
	unsigned int nlocked;
	unsigned long irqflags;
	struct masstree_leaf *leaves;
	unsigned int nr_leaves;
	struct masstree_leaf *ileaves;
	unsigned int nr_ileaves;
	struct masstree_internode *internodes;
	unsigned int nr_internodes;
	struct masstree_ksuf *ksuf[MASSTREE_MAX_SPARE_KSUF];
	struct masstree_need need;
	struct kref *released;
	struct masstree_leaf *up;
	struct masstree_seen seen;
};

/*
 * Field by field: an initializer would zero the whole state with a string
 * instruction, whose start-up costs a few percent of a remove or a put.
 */
static inline void masstree_write_init(struct masstree_write *ws,
				       struct masstree *mt, gfp_t gfp)
{
	unsigned int i;

	ws->mt = mt;
	ws->gfp = gfp;
	ws->nlocked = 0;
	ws->irqflags = 0;
	ws->leaves = NULL;
	ws->nr_leaves = 0;
	ws->ileaves = NULL;
	ws->nr_ileaves = 0;
	ws->internodes = NULL;
	ws->nr_internodes = 0;
	ws->need.leaves = 0;
	ws->need.ileaves = 0;
	ws->need.internodes = 0;
	for (i = 0; i < MASSTREE_MAX_SPARE_KSUF; i++) {
		ws->ksuf[i] = NULL;
		ws->need.ksuf[i] = 0;
	}
	ws->released = NULL;
	ws->up = NULL;
	ws->seen.leaf = NULL;
}

#ifdef CONFIG_LOCKDEP
void masstree_lockdep_acquire(const struct masstree *mt);
void masstree_lockdep_release(const struct masstree *mt);
#else
static inline void masstree_lockdep_acquire(const struct masstree *mt) {}
static inline void masstree_lockdep_release(const struct masstree *mt) {}
#endif

/**
 * masstree_lock_raw() - lock a node for a write
 * @ws: the write state
 * @n: the node
 *
 * The first lock of a write disables softirqs or interrupts as the tree's
 * flags ask, so lock-free readers in those contexts can never spin on a
 * node whose writer they interrupted; under lockdep it also takes the
 * map that stands for all node locks (tree.c).
 *
 * "Raw": sparse is not told. Code that locks a chain of nodes of varying
 * length uses it and annotates what the chain means as a whole; everything
 * else uses masstree_lock() and masstree_unlock().
 */
static inline void masstree_lock_raw(struct masstree_write *ws,
				     struct masstree_node *n)
{
	if (!ws->nlocked++) {
		if (ws->mt->flags & MASSTREE_FLAGS_LOCK_IRQ)
			local_irq_save(ws->irqflags);
		else if (ws->mt->flags & MASSTREE_FLAGS_LOCK_BH)
			local_bh_disable();
		masstree_lockdep_acquire(ws->mt);
	}
	masstree_v_lock(&n->version);
}

static inline void masstree_unlock_raw(struct masstree_write *ws,
				       struct masstree_node *n)
{
	masstree_v_unlock(&n->version);
	if (!--ws->nlocked) {
		masstree_lockdep_release(ws->mt);
		if (ws->mt->flags & MASSTREE_FLAGS_LOCK_IRQ)
			local_irq_restore(ws->irqflags);
		else if (ws->mt->flags & MASSTREE_FLAGS_LOCK_BH)
			local_bh_enable();
	}
}

static inline void masstree_lock(struct masstree_write *ws,
				 struct masstree_node *n)
	__acquires(n)
{
	masstree_lock_raw(ws, n);
	__acquire(n);
}

static inline void masstree_unlock(struct masstree_write *ws,
				   struct masstree_node *n)
	__releases(n)
{
	__release(n);
	masstree_unlock_raw(ws, n);
}

struct masstree_internode *masstree_lock_parent(struct masstree_write *ws,
						struct masstree_node *n);

bool masstree_reserve(struct masstree_write *ws, const struct masstree_need *need);
struct masstree_leaf *masstree_take_leaf(struct masstree_write *ws);
struct masstree_leaf *masstree_take_ileaf(struct masstree_write *ws);
struct masstree_internode *masstree_take_internode(struct masstree_write *ws);
struct masstree_ksuf *masstree_take_ksuf(struct masstree_write *ws, u32 size);
u32 masstree_ksuf_size_for(unsigned int bytes);

struct masstree_leaf *masstree_reach_leaf(struct masstree_node *root,
					  const struct masstree_key *k, u64 *v);
struct masstree_node *masstree_layer_root(struct masstree_node *n);
struct masstree_leaf *masstree_reach_last_layer(struct masstree *mt,
						struct masstree_key *k, u64 *v,
						struct masstree_leaf **up,
						struct masstree_seen *seen);

int masstree_split_insert(struct masstree_write *ws, struct masstree_leaf *lf,
			  unsigned int pos, const struct masstree_key *k,
			  union masstree_leafvalue val)
	__releases(lf);
void masstree_leaf_assign(struct masstree_write *ws, struct masstree_leaf *lf,
			  unsigned int slot, const struct masstree_key *k,
			  union masstree_leafvalue val);
void masstree_leaf_grow_ksuf(struct masstree_write *ws, struct masstree_leaf *lf,
			     u64 perm, struct masstree_ksuf *ks);
int masstree_leaf_free_slot(const struct masstree_leaf *lf, u64 *perm, u64 ikey);
int masstree_refill(struct masstree_write *ws);
void masstree_write_finish(struct masstree_write *ws);

struct masstree_leaf *masstree_test_lock_leaf(struct masstree *mt,
					      const void *key, size_t len);
void masstree_test_unlock_leaf(struct masstree_leaf *lf);

/*
 * Test hooks: points where a test may hold a thread to force an
 * interleaving. No node lock is held at any of them; RCU may be.
 */
enum masstree_hook {
	MASSTREE_HOOK_LOOKUP_REACHED,	/* a lookup found its leaf */
	MASSTREE_HOOK_WRITE_REACHED,	/* a writer found its leaf, unlocked */
	MASSTREE_HOOK_LEAF_EMPTIED,	/* a remove emptied a leaf, unlocked */
	MASSTREE_HOOK_LAYER_EMPTIED,	/* ... and maybe its layer */
};

typedef void (*masstree_hook_fn)(enum masstree_hook hook,
				 const struct masstree_key *k);

#if IS_ENABLED(CONFIG_KUNIT) || defined(MASSTREE_TEST_HOOKS)
extern masstree_hook_fn masstree_test_hook;
void masstree_set_test_hook(masstree_hook_fn fn);

static inline void masstree_hook(enum masstree_hook hook,
				 const struct masstree_key *k)
{
	masstree_hook_fn fn = READ_ONCE(masstree_test_hook);

	if (unlikely(fn))
		fn(hook, k);
}
#else
static inline void masstree_hook(enum masstree_hook hook,
				 const struct masstree_key *k)
{
}
#endif

/*
 * The root of the layer that @slot of the locked @lf links to. A layer's
 * root that split has a parent now: point the link at the new root.
 */
static inline struct masstree_node *masstree_leaf_layer(struct masstree_leaf *lf,
							unsigned int slot)
{
	struct masstree_node *root = masstree_layer_root(lf->lv[slot].layer);

	if (root != lf->lv[slot].layer)
		WRITE_ONCE(lf->lv[slot].layer, root);
	return root;
}

/*
 * Lock @lf, which a descent for @k reached with version @v (0 if none),
 * or the leaf that holds @k now: see masstree_lock_leaf().
 */
static inline struct masstree_leaf *masstree_lock_reached(struct masstree_write *ws,
							   struct masstree_leaf *lf,
							   u64 v,
							   struct masstree_key *k)
	__acquires(lf)
{
	struct masstree_leaf *next;

	for (;;) {
		masstree_lock(ws, &lf->node);
		next = masstree_leaf_for(lf, k, v);
		if (likely(next == lf))
			return lf;
		masstree_unlock(ws, &lf->node);
		v = 0;	/* no snapshot of a given leaf: check its next too */
		if (next) {
			lf = next;
			continue;
		}
		masstree_key_reset(k);
		lf = masstree_reach_leaf(READ_ONCE(ws->mt->root), k, &v);
		masstree_hook(MASSTREE_HOOK_WRITE_REACHED, k);
	}
}

/**
 * masstree_lock_leaf() - lock the leaf that holds @k's slice in one layer
 * @ws: the write state
 * @root: the layer's root (or a node that was), to descend from; or NULL
 * @lf: with @root NULL, a leaf of that layer to start from instead
 * @k: the key, positioned at the layer
 *
 * Finds the leaf as a reader would and locks it, walking right if it split
 * meanwhile. If it was deleted (maybe with its layer), or the route to it
 * went stale, starts again from the top of the tree: @k is then back at
 * layer 0, and so is the leaf returned.
 *
 * Context: rcu_read_lock() held.
 * Return: the locked leaf.
 */
static inline struct masstree_leaf *masstree_lock_leaf(struct masstree_write *ws,
							struct masstree_node *root,
							struct masstree_leaf *lf,
							struct masstree_key *k)
	__acquires(lf)
{
	u64 v = 0;

	if (root) {
		lf = masstree_reach_leaf(root, k, &v);
		masstree_hook(MASSTREE_HOOK_WRITE_REACHED, k);
	}
	return masstree_lock_reached(ws, lf, v, k);
}

/**
 * masstree_lock_key() - lock the leaf for @k, in the deepest layer known
 * @ws: the write state
 * @k: the key, at layer 0; shifted into the returned leaf's layer
 * @up: set to the leaf that links that layer, if the descent went below
 *      layer 0 without locking (a hint: it is not locked)
 *
 * Descends through layers without locking (masstree_reach_last_layer()),
 * then locks as masstree_lock_leaf() does. The caller still checks the
 * locked leaf for a layer link made meanwhile, and goes on down. What the
 * descent read in its last leaf goes to @ws->seen, for
 * masstree_search_locked().
 *
 * Context: rcu_read_lock() held.
 * Return: the locked leaf.
 */
static inline struct masstree_leaf *masstree_lock_key(struct masstree_write *ws,
						       struct masstree_key *k,
						       struct masstree_leaf **up)
	__acquires(lf)
{
	struct masstree_leaf *lf;
	u64 v;

	lf = masstree_reach_last_layer(ws->mt, k, &v, up, &ws->seen);
	masstree_hook(MASSTREE_HOOK_WRITE_REACHED, k);
	return masstree_lock_reached(ws, lf, v, k);
}

/**
 * masstree_search_locked() - where @k sorts in the locked @lf
 * @ws: the write state
 * @lf: the leaf
 * @k: the key, positioned at @lf's layer
 * @match: set if an entry has @k's slice and length code
 * @found: set, with @match, to 1 if that entry is @k, 0 if its suffix
 *         differs, -1 if not known yet (masstree_suffix_matches() tells)
 *
 * Reuses what the lock-free descent read in @lf if nothing changed since,
 * once: a writer that goes on down a layer searches there.
 *
 * Return: the position, in @lf's permuter.
 */
static inline unsigned int masstree_search_locked(struct masstree_write *ws,
						  struct masstree_leaf *lf,
						  const struct masstree_key *k,
						  bool *match, int *found)
{
	struct masstree_seen *seen = &ws->seen;
	bool unchanged = seen->leaf == lf && seen->perm == lf->permutation &&
			 !masstree_v_changed_since(seen->v, lf->node.version);

	seen->leaf = NULL;
	if (unchanged) {
		*match = seen->match;
		*found = seen->found;
		return seen->pos;
	}
	*found = -1;
	return masstree_leaf_search(lf, lf->permutation, k->ikey,
				    masstree_key_klen(k), match);
}

/* Is @slot of the locked @lf, a suffix entry on @k's slice, @k itself? */
static inline bool masstree_suffix_matches(const struct masstree_leaf *lf,
					   unsigned int slot,
					   const struct masstree_key *k,
					   int found)
{
	if (found >= 0)
		return found;
	return masstree_ksuf_equal(lf, slot, masstree_key_suffix(k),
				   masstree_key_suffix_len(k));
}

static inline void masstree_count_bytes(struct masstree *mt, long bytes)
{
	percpu_counter_add(&mt->nr_bytes, bytes);
}

static inline bool masstree_is_index(const struct masstree *mt)
{
	return mt->flags & MASSTREE_FLAGS_INDEX;
}

#endif /* _MASSTREE_TREE_H */
