/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Masstree: a concurrent ordered map from binary keys to values, built as a
 * trie of B+trees over 8-byte key slices (Mao, Kohler, Morris, EuroSys 2012).
 *
 * Readers never lock and never write shared memory; writers lock single
 * nodes. Nodes, key suffixes and replaced values are freed through RCU.
 *
 * A tree stores values in one of two modes, chosen at masstree_init():
 *
 *  - object mode: values are objects that embed a struct kref. The tree
 *    holds one reference per stored value; masstree_get() returns a new
 *    one. The release function given at init must free through RCU
 *    (kfree_rcu() or call_rcu()): lock-free readers may still be looking.
 *  - index mode (%MASSTREE_FLAGS_INDEX): values are u64s stored inline.
 */
#ifndef _LINUX_MASSTREE_H
#define _LINUX_MASSTREE_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/percpu_counter.h>

/*
 * Longest key the tree accepts, in bytes. Longer keys get -E2BIG. Keys may
 * be any binary string from 0 bytes up to this length, NUL bytes included.
 */
#define MASSTREE_MAX_KEY_LEN	1024

/* masstree_init() flags */
#define MASSTREE_FLAGS_INDEX	(1U << 0) /* u64 values, stored inline */
#define MASSTREE_FLAGS_LOCK_BH	(1U << 1) /* writers disable softirqs */
#define MASSTREE_FLAGS_LOCK_IRQ	(1U << 2) /* writers disable interrupts */
#define MASSTREE_FLAGS_ACCOUNT	(1U << 3) /* charge nodes to the memcg */

/* masstree_put() flags, as bpf(2)'s map updates */
#define MASSTREE_ANY		0	/* insert or replace */
#define MASSTREE_NOEXIST	1	/* insert only: -EEXIST if present */
#define MASSTREE_EXIST		2	/* replace only: -ENOENT if absent */

struct masstree_node;
struct masstree_reclaim;

/**
 * struct masstree - a masstree; embed it anywhere
 * @root: the root of layer 0 (may lag behind a root split: readers climb)
 * @flags: MASSTREE_FLAGS_*
 * @release: object mode: frees a value whose last reference went
 * @nr_entries: keys in the tree (per-CPU: every insert changes it)
 * @nr_bytes: bytes held by nodes and key suffixes
 * @reclaim: nodes waiting for a grace period before they are freed
 */
struct masstree {
	struct masstree_node *root;
	unsigned int flags;
	void (*release)(struct kref *ref);
	struct percpu_counter nr_entries;
	struct percpu_counter nr_bytes;
	struct masstree_reclaim *reclaim;
};

int masstree_init(struct masstree *mt, unsigned int flags,
		  void (*release)(struct kref *ref), gfp_t gfp);
void masstree_destroy(struct masstree *mt);

int masstree_put(struct masstree *mt, const void *key, size_t len,
		 struct kref *value, unsigned int flags, gfp_t gfp);
struct kref *masstree_get(struct masstree *mt, const void *key, size_t len);

int masstree_put_index(struct masstree *mt, const void *key, size_t len,
		       u64 value, unsigned int flags, gfp_t gfp);
int masstree_get_index(struct masstree *mt, const void *key, size_t len,
		       u64 *value);

int masstree_remove(struct masstree *mt, const void *key, size_t len,
		    struct kref **old);
int masstree_remove_index(struct masstree *mt, const void *key, size_t len,
			  u64 *old);

/**
 * masstree_count() - number of keys in the tree
 * @mt: the tree
 *
 * Context: any. Sums per-CPU counts: exact when no writer runs, otherwise
 * a value the count had during the call.
 * Return: the number of keys.
 */
static inline unsigned long masstree_count(struct masstree *mt)
{
	return percpu_counter_sum_positive(&mt->nr_entries);
}

/**
 * masstree_bytes() - memory the tree holds
 * @mt: the tree
 *
 * Context: any. Counts nodes and key suffix storage (not the values);
 * exact when no writer runs.
 * Return: the number of bytes.
 */
static inline unsigned long masstree_bytes(struct masstree *mt)
{
	return percpu_counter_sum_positive(&mt->nr_bytes);
}

/* Scan */

/* Scan flags: masstree_scan_args.flags and masstree_cursor_init() */
#define MASSTREE_SCAN_REVERSE	(1U << 0) /* descending key order */
#define MASSTREE_SCAN_EXCLUSIVE	(1U << 1) /* skip the start key itself */
#define MASSTREE_SCAN_FROM_EDGE	(1U << 2) /* no start key: first (last) key on */
#define MASSTREE_SCAN_END_EXCLUSIVE (1U << 3) /* stop before the end key */

/**
 * union masstree_value - a value as a scan reports it
 * @ref: object mode: the value's kref
 * @index: index mode: the value
 */
union masstree_value {
	struct kref *ref;
	u64 index;
};

/**
 * struct masstree_scan_args - what masstree_scan() visits
 * @start: the key to start from (any bytes; ignored with
 *         %MASSTREE_SCAN_FROM_EDGE)
 * @start_len: its length, at most %MASSTREE_MAX_KEY_LEN
 * @end: the key to stop at, or NULL to run to the last (first) key. The
 *       bound is inclusive unless %MASSTREE_SCAN_END_EXCLUSIVE: a forward
 *       scan stops after keys greater than @end, a reverse one after keys
 *       less than @end.
 * @end_len: its length
 * @max: stop after this many keys; 0 for no limit
 * @flags: MASSTREE_SCAN_*
 * @buf: %MASSTREE_MAX_KEY_LEN bytes in which the scan builds each key it
 *       passes to the callback (not on the stack: keys reach 1 KiB). May
 *       be @start; must not overlap @end.
 */
struct masstree_scan_args {
	const void *start;
	size_t start_len;
	const void *end;
	size_t end_len;
	unsigned long max;
	unsigned int flags;
	void *buf;
};

long masstree_scan(struct masstree *mt, const struct masstree_scan_args *args,
		   int (*fn)(void *ctx, const void *key, size_t len,
			     union masstree_value val),
		   void *ctx);

/**
 * struct masstree_cursor - a scan that can sleep between keys
 * @mt: the tree
 * @flags: MASSTREE_SCAN_* as given to masstree_cursor_init()
 * @state: where the next step starts (private to scan.c)
 * @len: length of @key
 * @key: the start key after masstree_cursor_init(), then the last key
 *       masstree_cursor_next() returned
 *
 * About 1 KiB: allocate it, or embed it, rather than put it on the stack.
 */
struct masstree_cursor {
	struct masstree *mt;
	unsigned int flags;
	unsigned int state;
	unsigned int len;
	u8 key[MASSTREE_MAX_KEY_LEN];
};

int masstree_cursor_init(struct masstree_cursor *cur, struct masstree *mt,
			 const void *key, size_t len, unsigned int flags);
int masstree_cursor_next(struct masstree_cursor *cur, union masstree_value *val);

/**
 * masstree_cursor_for_each() - iterate over the keys a cursor has left
 * @cur: a cursor set up by masstree_cursor_init()
 * @val: a union masstree_value pointer, set to each key's value
 *
 * The body sees each key in @cur->key (@cur->len bytes) and, in object
 * mode, owns a reference on @val->ref that it must put. The body may
 * sleep; the loop ends when the keys run out.
 */
#define masstree_cursor_for_each(cur, val) \
	for (; !masstree_cursor_next(cur, val);)

#endif /* _LINUX_MASSTREE_H */
