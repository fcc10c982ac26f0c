// SPDX-License-Identifier: GPL-2.0
/*
 * Tree lifetime (init and destroy), the node lock wrappers every writer
 * goes through, and the node reserve that lets writers allocate before
 * they lock.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <kunit/visibility.h>
#include "reclaim.h"
#include "tree.h"

#define MASSTREE_FLAGS_ALL	(MASSTREE_FLAGS_INDEX | MASSTREE_FLAGS_LOCK_BH | \
				 MASSTREE_FLAGS_LOCK_IRQ | MASSTREE_FLAGS_ACCOUNT)

#ifdef CONFIG_LOCKDEP
/*
 * Node locks are bits in version words, invisible to lockdep. A map is
 * held from a writer's first node lock to its last, so lockdep sees
 * sleeping, lock order and irq-safety mistakes around them. One class per
 * locking context: a LOCK_BH tree's writers may run in softirq context,
 * which would be a bug for a default tree's.
 */
static struct lock_class_key masstree_node_lock_keys[3];
static struct lockdep_map masstree_node_lock_maps[3] = {
	STATIC_LOCKDEP_MAP_INIT("masstree_node_lock", &masstree_node_lock_keys[0]),
	STATIC_LOCKDEP_MAP_INIT("masstree_node_lock_bh", &masstree_node_lock_keys[1]),
	STATIC_LOCKDEP_MAP_INIT("masstree_node_lock_irq", &masstree_node_lock_keys[2]),
};

static struct lockdep_map *masstree_lockdep_map(const struct masstree *mt)
{
	if (mt->flags & MASSTREE_FLAGS_LOCK_IRQ)
		return &masstree_node_lock_maps[2];
	if (mt->flags & MASSTREE_FLAGS_LOCK_BH)
		return &masstree_node_lock_maps[1];
	return &masstree_node_lock_maps[0];
}

void masstree_lockdep_acquire(const struct masstree *mt)
{
	lock_map_acquire(masstree_lockdep_map(mt));
}

void masstree_lockdep_release(const struct masstree *mt)
{
	lock_map_release(masstree_lockdep_map(mt));
}
#endif

/**
 * masstree_lock_parent() - lock the parent of a locked node
 * @ws: the write state
 * @n: the node, locked
 *
 * A node's parent pointer changes under the parent's lock (when the
 * parent splits), so check it again once the parent is locked.
 *
 * Return: the locked parent (raw: see masstree_lock_raw()), or NULL if @n
 * is its layer's root.
 */
struct masstree_internode *masstree_lock_parent(struct masstree_write *ws,
						struct masstree_node *n)
{
	for (;;) {
		struct masstree_internode *p = READ_ONCE(n->parent);

		if (!p)
			return NULL;
		masstree_lock_raw(ws, &p->node);
		if (READ_ONCE(n->parent) == p)
			return p;
		masstree_unlock_raw(ws, &p->node);
	}
}

#if IS_ENABLED(CONFIG_KUNIT) || defined(MASSTREE_TEST_HOOKS)
/* Set by tests only (masstree_hook()); NULL otherwise. */
masstree_hook_fn masstree_test_hook;

void masstree_set_test_hook(masstree_hook_fn fn)
{
	WRITE_ONCE(masstree_test_hook, fn);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_set_test_hook);
#endif

/**
 * masstree_test_lock_leaf() - test hook: hold the lock of @key's leaf
 * @mt: the tree
 * @key: a key of at most 8 bytes (it lives in layer 0)
 * @len: its length
 *
 * Locks the leaf as a writer would, changing nothing, so a test can check
 * that writers elsewhere and lock-free readers are not held up.
 *
 * Context: disables preemption until masstree_test_unlock_leaf().
 * Return: the locked leaf.
 */
struct masstree_leaf *masstree_test_lock_leaf(struct masstree *mt,
					      const void *key, size_t len)
{
	struct masstree_key k;
	struct masstree_leaf *lf;
	u64 v;

	masstree_key_init(&k, key, len);
	rcu_read_lock();
	lf = masstree_reach_leaf(READ_ONCE(mt->root), &k, &v);
	for (;;) {
		masstree_v_lock(&lf->node.version);
		if (!lf->next || k.ikey < masstree_leaf_lowkey(lf->next))
			break;
		masstree_v_unlock(&lf->node.version);
		lf = lf->next;
	}
	rcu_read_unlock();
	return lf;
}
EXPORT_SYMBOL_IF_KUNIT(masstree_test_lock_leaf);

void masstree_test_unlock_leaf(struct masstree_leaf *lf)
{
	masstree_v_unlock(&lf->node.version);
}
EXPORT_SYMBOL_IF_KUNIT(masstree_test_unlock_leaf);

static gfp_t masstree_gfp(const struct masstree *mt, gfp_t gfp)
{
	return mt->flags & MASSTREE_FLAGS_ACCOUNT ? gfp | __GFP_ACCOUNT : gfp;
}

/* External bag data size for @bytes of suffixes, with room to grow. */
u32 masstree_ksuf_size_for(unsigned int bytes)
{
	size_t total = roundup_pow_of_two(masstree_ksuf_bytes(2 * bytes));

	return total - sizeof(struct masstree_ksuf_ext);
}

static struct masstree_ksuf *masstree_ksuf_alloc(u32 size, gfp_t gfp)
{
	struct masstree_ksuf_ext *ext = kmalloc(masstree_ksuf_bytes(size), gfp);

	if (!ext)
		return NULL;
	masstree_ksuf_init(&ext->ks, size);
	return &ext->ks;
}

static void masstree_ksuf_free(struct masstree_ksuf *ks)
{
	if (ks)
		kfree(container_of(ks, struct masstree_ksuf_ext, ks));
}

/*
 * Match each bag size in @ksuf to a distinct spare at least that big.
 * Return: the index of the first size no spare covers, or -1; @used
 * marks the spares matched so far.
 */
static int masstree_ksuf_uncovered(const struct masstree_write *ws,
				   const u32 *ksuf, bool *used)
{
	unsigned int i, j;

	memset(used, 0, MASSTREE_MAX_SPARE_KSUF * sizeof(*used));
	for (i = 0; i < MASSTREE_MAX_SPARE_KSUF; i++) {
		if (!ksuf[i])
			continue;
		for (j = 0; j < MASSTREE_MAX_SPARE_KSUF; j++)
			if (!used[j] && ws->ksuf[j] && ws->ksuf[j]->size >= ksuf[i])
				break;
		if (j == MASSTREE_MAX_SPARE_KSUF)
			return i;
		used[j] = true;
	}
	return -1;
}

/* Push leaves made by @alloc onto @list until it holds @want. */
static bool masstree_fill_leaves(struct masstree_leaf **list, unsigned int *nr,
				 unsigned int want,
				 struct masstree_leaf *(*alloc)(gfp_t gfp),
				 gfp_t gfp)
{
	while (*nr < want) {
		struct masstree_leaf *lf = alloc(gfp);

		if (!lf)
			return false;
		lf->next = *list;
		*list = lf;
		(*nr)++;
	}
	return true;
}

/* Bring the spares up to @need, allocating with @gfp. */
static bool masstree_fill(struct masstree_write *ws,
			  const struct masstree_need *need, gfp_t gfp)
{
	bool used[MASSTREE_MAX_SPARE_KSUF];
	int i, j;

	if (!masstree_fill_leaves(&ws->leaves, &ws->nr_leaves, need->leaves,
				  masstree_leaf_alloc, gfp) ||
	    !masstree_fill_leaves(&ws->ileaves, &ws->nr_ileaves, need->ileaves,
				  masstree_leaf_alloc_iksuf, gfp))
		return false;
	while (ws->nr_internodes < need->internodes) {
		struct masstree_internode *in = masstree_internode_alloc(gfp);

		if (!in)
			return false;
		in->node.parent = ws->internodes;
		ws->internodes = in;
		ws->nr_internodes++;
	}
	/* Replace an unmatched (missing or too small) spare until all match. */
	while ((i = masstree_ksuf_uncovered(ws, need->ksuf, used)) >= 0) {
		for (j = 0; used[j]; j++)
			;
		masstree_ksuf_free(ws->ksuf[j]);
		ws->ksuf[j] = masstree_ksuf_alloc(need->ksuf[i], gfp);
		if (!ws->ksuf[j])
			return false;
	}
	return true;
}

/**
 * masstree_reserve() - check the spares cover what a change needs
 * @ws: the write state
 * @need: the nodes and bags the change will take
 *
 * Nothing is allocated under node locks: when the spares fall short, the
 * caller unlocks with the tree unchanged and returns -EAGAIN, and
 * masstree_refill() allocates what is missing, as the caller's gfp allows.
 *
 * Return: true if the spares cover the need.
 */
bool masstree_reserve(struct masstree_write *ws, const struct masstree_need *need)
{
	bool used[MASSTREE_MAX_SPARE_KSUF];

	if (ws->nr_leaves >= need->leaves && ws->nr_ileaves >= need->ileaves &&
	    ws->nr_internodes >= need->internodes &&
	    ((!need->ksuf[0] && !need->ksuf[1]) ||
	     masstree_ksuf_uncovered(ws, need->ksuf, used) < 0))
		return true;
	ws->need = *need;
	return false;
}

/* No lock held: allocate what the last attempt lacked, as the caller allows. */
int masstree_refill(struct masstree_write *ws)
{
	if (!masstree_fill(ws, &ws->need, masstree_gfp(ws->mt, ws->gfp)))
		return -ENOMEM;
	return 0;
}

static struct masstree_leaf *masstree_take_from(struct masstree_write *ws,
						struct masstree_leaf **list,
						unsigned int *nr)
{
	struct masstree_leaf *lf = *list;

	*list = lf->next;
	(*nr)--;
	lf->next = NULL;
	masstree_count_bytes(ws->mt, masstree_leaf_bytes(lf));
	return lf;
}

struct masstree_leaf *masstree_take_leaf(struct masstree_write *ws)
{
	return masstree_take_from(ws, &ws->leaves, &ws->nr_leaves);
}

struct masstree_leaf *masstree_take_ileaf(struct masstree_write *ws)
{
	return masstree_take_from(ws, &ws->ileaves, &ws->nr_ileaves);
}

struct masstree_internode *masstree_take_internode(struct masstree_write *ws)
{
	struct masstree_internode *in = ws->internodes;

	ws->internodes = in->node.parent;
	ws->nr_internodes--;
	in->node.parent = NULL;
	masstree_count_bytes(ws->mt, MASSTREE_INTERNODE_BYTES);
	return in;
}

/* The smallest spare bag with at least @size bytes of data. */
struct masstree_ksuf *masstree_take_ksuf(struct masstree_write *ws, u32 size)
{
	struct masstree_ksuf *ks;
	int best = -1, j;

	for (j = 0; j < MASSTREE_MAX_SPARE_KSUF; j++)
		if (ws->ksuf[j] && ws->ksuf[j]->size >= size &&
		    (best < 0 || ws->ksuf[j]->size < ws->ksuf[best]->size))
			best = j;
	ks = ws->ksuf[best];
	ws->ksuf[best] = NULL;
	masstree_count_bytes(ws->mt, masstree_ksuf_bytes(ks->size));
	return ks;
}

/* After the last unlock: give back the unused spares, drop a replaced value. */
void masstree_write_finish(struct masstree_write *ws)
{
	unsigned int j;

	if (!ws->leaves && !ws->ileaves && !ws->internodes && !ws->ksuf[0] &&
	    !ws->ksuf[1] && !ws->released)
		return;

	while (ws->leaves) {
		struct masstree_leaf *lf = ws->leaves;

		ws->leaves = lf->next;
		masstree_leaf_free(lf);
	}
	while (ws->ileaves) {
		struct masstree_leaf *lf = ws->ileaves;

		ws->ileaves = lf->next;
		masstree_leaf_free(lf);
	}
	while (ws->internodes) {
		struct masstree_internode *in = ws->internodes;

		ws->internodes = in->node.parent;
		masstree_internode_free(in);
	}
	for (j = 0; j < MASSTREE_MAX_SPARE_KSUF; j++)
		masstree_ksuf_free(ws->ksuf[j]);
	if (ws->released)
		kref_put(ws->released, ws->mt->release);
}

/**
 * masstree_init() - initialise an empty tree
 * @mt: the tree
 * @flags: %MASSTREE_FLAGS_INDEX for u64 values (else object mode);
 *         %MASSTREE_FLAGS_LOCK_BH or %MASSTREE_FLAGS_LOCK_IRQ to make
 *         lookups safe from softirq or hardirq context;
 *         %MASSTREE_FLAGS_ACCOUNT to charge the nodes to the memcg
 * @release: object mode: called when a value's last reference goes; must
 *           free the value through RCU. NULL in index mode.
 * @gfp: allocation flags for the root leaf
 *
 * Context: may sleep if @gfp permits.
 * Return: 0, -EINVAL (unknown flags, or no release in object mode), or
 * -ENOMEM.
 */
int masstree_init(struct masstree *mt, unsigned int flags,
		  void (*release)(struct kref *ref), gfp_t gfp)
{
	struct masstree_leaf *root;
	int err;

	if (flags & ~MASSTREE_FLAGS_ALL)
		return -EINVAL;
	if (!(flags & MASSTREE_FLAGS_INDEX) == !release)
		return -EINVAL;
	mt->flags = flags;
	root = masstree_leaf_alloc(masstree_gfp(mt, gfp));
	if (!root)
		return -ENOMEM;
	err = percpu_counter_init(&mt->nr_entries, 0, gfp);
	if (err)
		goto free_root;
	err = percpu_counter_init(&mt->nr_bytes, MASSTREE_LEAF_BYTES, gfp);
	if (err)
		goto free_entries;
	err = masstree_reclaim_init(mt, gfp);
	if (err)
		goto free_bytes;
	root->node.version |= MASSTREE_V_ROOT;
	mt->root = &root->node;
	mt->release = release;
	return 0;

free_bytes:
	percpu_counter_destroy(&mt->nr_bytes);
free_entries:
	percpu_counter_destroy(&mt->nr_entries);
free_root:
	masstree_leaf_free(root);
	return err;
}
EXPORT_SYMBOL_GPL(masstree_init);

/*
 * Drop @lf's values and push its layers on the worklist @todo, whose
 * nodes are linked through their free links like a retired list.
 */
static struct masstree_node *masstree_destroy_leaf(struct masstree *mt,
						   struct masstree_leaf *lf,
						   struct masstree_node *todo)
{
	u64 perm = lf->permutation;
	unsigned int pos;

	for (pos = 0; pos < masstree_perm_size(perm); pos++) {
		unsigned int slot = masstree_perm_slot(perm, pos);
		struct masstree_node *layer;

		if (lf->klen[slot] == MASSTREE_KLEN_LAYER) {
			layer = masstree_layer_root(lf->lv[slot].layer);
			masstree_node_set_free_next(layer, todo);
			todo = layer;
		} else if (!masstree_is_index(mt)) {
			kref_put(lf->lv[slot].obj, mt->release);
		}
	}
	return todo;
}

/**
 * masstree_destroy() - free every node and drop every value reference
 * @mt: the tree
 *
 * The caller must make sure no writer runs. Lock-free readers that are
 * still finishing stay safe: nodes and bags are freed after a grace
 * period, and values through their release functions (which free through
 * RCU). The tree must be initialised again before further use.
 *
 * Context: any context its writers may run in; does not sleep. The nodes
 * are freed later, from a workqueue; module exit waits for that.
 */
void masstree_destroy(struct masstree *mt)
{
	struct masstree_node *todo, *done = NULL, *last = NULL;
	unsigned int i;

	if (!mt->root)
		return;
	/*
	 * A worklist, not recursion: 1 KiB keys nest 128 layers deep. A node
	 * moves from @todo to @done once its children and values are seen to;
	 * only the ikeys it is linked through are overwritten, and destroy
	 * never reads those.
	 */
	todo = masstree_layer_root(mt->root);
	masstree_node_set_free_next(todo, NULL);
	while (todo) {
		struct masstree_node *n = todo;

		todo = masstree_node_free_next(n);
		if (masstree_node_is_leaf(n)) {
			todo = masstree_destroy_leaf(mt, masstree_to_leaf(n), todo);
		} else {
			struct masstree_internode *in = masstree_to_internode(n);

			for (i = 0; i <= in->nkeys; i++) {
				masstree_node_set_free_next(in->child[i], todo);
				todo = in->child[i];
			}
		}
		masstree_node_set_free_next(n, done);
		done = n;
		if (!last)
			last = n;
	}
	masstree_reclaim_release(mt, done, last);
	mt->root = NULL;
	percpu_counter_destroy(&mt->nr_entries);
	percpu_counter_destroy(&mt->nr_bytes);
}
EXPORT_SYMBOL_GPL(masstree_destroy);
