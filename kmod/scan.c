// SPDX-License-Identifier: GPL-2.0
/*
 * Scan: visit keys in order, forward or reverse, without locking.
 *
 * A scan keeps one thing between steps: a key in the caller's buffer and a
 * relation to it (enum masstree_seek): "the next key is the first one
 * greater than this", "the last one not above this", ... At each layer
 * that key becomes a bound on (slice, length rank) positions, and the scan
 * reads the leaf holding the bound: it copies the entries past the bound,
 * in scan order, to a small array under a stable version snapshot, checks
 * the snapshot, and only then hands them out. Each key handed out becomes
 * the new bound, so whatever happens next, the scan resumes exactly after
 * the last key it returned. Which change it reacts to decides where it
 * resumes:
 *  - the leaf changed while it was copied: copy again (walking right along
 *    the B-link if it split, as get.c does);
 *  - the leaf was deleted: seek the bound again from the top of the tree
 *    (layer 0; the whole layer may be gone);
 *  - forward, the leaf is done: follow its next B-link, which a split
 *    publishes before it truncates the leaf (entries the scan already
 *    returned fail the bound and are skipped);
 *  - reverse, the leaf is done: seek from the top for the last key below
 *    the leaf's low key. The prev link is not trusted: splits set it with
 *    no ordering against the new leaf's contents;
 *  - a layer entry: descend into the layer; when the layer is done, seek
 *    from the top for the first key past every key of that layer (or, in
 *    reverse, the last key not above the layer's prefix).
 *
 * A suffix entry's bytes (ksuf.h) never change while its bag lives, and a
 * bag is freed only after a grace period: the bag, offset and length read
 * under a snapshot that validates can be copied out later, with no second
 * check. That is what lets the buffer hold the bound and then, in place,
 * the keys handed out.
 *
 * Every key present for the whole scan is returned exactly once, in
 * order; keys inserted or removed meanwhile may or may not be. Scans are
 * not snapshots.
 *
 * Conventions (as in tree.h), and: @sc the scan state, @b a bound on
 * one layer's positions, @off where that layer's slice starts in the key.
 */
#include <linux/export.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include "tree.h"

/*
 * Where a scan resumes, relative to the key in its buffer: the next key
 * is the first (forward) or last (reverse) key in this relation to it.
 */
enum masstree_seek {
	MASSTREE_SEEK_GE,	/* >= key */
	MASSTREE_SEEK_GT,	/* > key */
	MASSTREE_SEEK_AFTER,	/* > every key that starts with key */
	MASSTREE_SEEK_LE,	/* <= key */
	MASSTREE_SEEK_LT,	/* < key */
	MASSTREE_SEEK_UNDER,	/* < key, or starts with key */
	MASSTREE_SEEK_DONE,	/* cursor: nothing left */
};

static bool masstree_seek_is_reverse(unsigned int seek)
{
	return seek >= MASSTREE_SEEK_LE;
}

/*
 * The key's relation to a position of one layer. DEEP: the key goes on
 * past this layer, so the position's continuing entry decides by its
 * suffix, or by the layer below.
 */
enum masstree_bound_kind {
	MASSTREE_BOUND_INCL,	/* the position itself qualifies */
	MASSTREE_BOUND_EXCL,	/* only positions strictly past it */
	MASSTREE_BOUND_DEEP,	/* (slice, continuing): ask its suffix or layer */
	MASSTREE_BOUND_ALL,	/* every position */
};

struct masstree_bound {
	u64 ikey;
	u8 rank;
	u8 kind;
};

/**
 * struct masstree_scan - one scan's state
 * @mt: the tree
 * @buf: %MASSTREE_MAX_KEY_LEN bytes: the bound key, then each key returned
 * @len: the bound key's length
 * @seek: the relation the next key has to the bound key
 * @reverse: descending order
 * @end: stop past this key, or NULL
 * @end_len: its length
 * @end_exclusive: stop at @end itself too
 * @left: keys still wanted
 * @count: keys returned
 * @emit: hands a key (@buf, @len bytes) out; nonzero stops the scan
 * @fn: masstree_scan()'s callback
 * @ctx: its argument
 * @cur: masstree_cursor_next()'s cursor
 * @val: where masstree_cursor_next() returns the value
 * @retry: the cursor found a released value: look again
 */
struct masstree_scan {
	struct masstree *mt;
	u8 *buf;
	unsigned int len;
	unsigned int seek;
	bool reverse;
	const u8 *end;
	unsigned int end_len;
	bool end_exclusive;
	unsigned long left;
	unsigned long count;
	int (*emit)(struct masstree_scan *sc, unsigned int len,
		    union masstree_leafvalue lv);
	int (*fn)(void *ctx, const void *key, size_t len,
		  union masstree_value val);
	void *ctx;
	struct masstree_cursor *cur;
	union masstree_value *val;
	bool retry;
};

/* One leaf entry as a snapshot saw it. */
struct masstree_scan_entry {
	u64 ikey;
	union masstree_leafvalue lv;
	u16 soff;
	u16 slen;
	u8 klen;
};

static int masstree_keycmp(const u8 *a, unsigned int alen, const u8 *b,
			   unsigned int blen)
{
	int c = memcmp(a, b, min(alen, blen));

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static void masstree_scan_put_slice(u8 *p, u64 ikey)
{
	__be64 word = cpu_to_be64(ikey);

	memcpy(p, &word, sizeof(word));
}

/* The bound key, as a bound on the positions of the layer at @off. */
static void masstree_scan_bound(const struct masstree_scan *sc,
				unsigned int off, struct masstree_bound *b)
{
	unsigned int rest = sc->len - off;

	b->ikey = masstree_ikey(sc->buf + off, rest);
	if (rest > MASSTREE_SLICE_LEN) {
		b->rank = MASSTREE_KLEN_SUFFIX;
		b->kind = MASSTREE_BOUND_DEEP;
		return;
	}
	b->rank = rest;
	switch (sc->seek) {
	case MASSTREE_SEEK_GE:
	case MASSTREE_SEEK_LE:
		b->kind = MASSTREE_BOUND_INCL;
		break;
	case MASSTREE_SEEK_GT:
	case MASSTREE_SEEK_LT:
		b->kind = MASSTREE_BOUND_EXCL;
		break;
	case MASSTREE_SEEK_AFTER:
		/* Only ever a whole prefix: past the slice's continuing entry. */
		b->rank = MASSTREE_KLEN_SUFFIX;
		b->kind = MASSTREE_BOUND_EXCL;
		break;
	default:	/* UNDER: a whole prefix, or the empty key */
		if (!rest) {
			b->ikey = ~0ULL;
			b->kind = MASSTREE_BOUND_ALL;
		} else {
			b->rank = MASSTREE_KLEN_SUFFIX;
			b->kind = MASSTREE_BOUND_INCL;
		}
		break;
	}
}

/*
 * Does the key ending in suffix @s (@slen bytes), in the continuing entry
 * of the bound key's slice at @off, stand in the seek relation to the
 * bound key? Both share everything up to the suffix.
 */
static bool masstree_scan_deep_wants(const struct masstree_scan *sc,
				     unsigned int off, const u8 *s,
				     unsigned int slen)
{
	const u8 *k = sc->buf + off + MASSTREE_SLICE_LEN;
	unsigned int klen = sc->len - off - MASSTREE_SLICE_LEN;
	/* Stable bytes of a bag that outlives us (see the top of the file). */
	int c = data_race(memcmp(s, k, min(slen, klen)));

	switch (sc->seek) {
	case MASSTREE_SEEK_GE:
		return c > 0 || (!c && slen >= klen);
	case MASSTREE_SEEK_GT:
		return c > 0 || (!c && slen > klen);
	case MASSTREE_SEEK_AFTER:
		return c > 0;
	case MASSTREE_SEEK_LE:
		return c < 0 || (!c && slen <= klen);
	case MASSTREE_SEEK_LT:
		return c < 0 || (!c && slen < klen);
	default:	/* UNDER */
		return c <= 0;
	}
}

static bool masstree_scan_past_end(const struct masstree_scan *sc,
				   unsigned int len)
{
	int c = masstree_keycmp(sc->buf, len, sc->end, sc->end_len);

	if (sc->reverse)
		c = -c;
	return c > 0 || (!c && sc->end_exclusive);
}

/* The leaf of @root's layer that held @ikey, with a stable version. */
static struct masstree_leaf *masstree_scan_reach(struct masstree_node *root,
						 u64 ikey, u64 *v)
{
	struct masstree_key k = { .ikey = ikey };

	return masstree_reach_leaf(root, &k, v);
}

/*
 * @lf changed since @v: take a new stable version, and if it split, walk
 * right while the next leaf starts at or below @ikey (as get.c does).
 */
static struct masstree_leaf *masstree_scan_advance(struct masstree_leaf *lf,
						   u64 ikey, u64 *v)
{
	u64 nv = masstree_v_stable(&lf->node.version);

	if (masstree_v_split_since(*v, nv) && !masstree_v_is_deleted(nv)) {
		for (;;) {
			struct masstree_leaf *next = READ_ONCE(lf->next);

			if (!next || ikey < masstree_leaf_lowkey(next))
				break;
			lf = next;
			nv = masstree_v_stable(&lf->node.version);
		}
	}
	*v = nv;
	return lf;
}

/*
 * Copy at most @max entries of @lf past @b, in scan order, from the
 * permuter snapshot @perm and the suffix bag @ks. Nothing read here is
 * trusted until the caller validates the leaf's version.
 *
 * Return: the number copied; *@deep tells whether the first one is the
 * continuing entry of a DEEP bound's slice.
 */
static unsigned int masstree_scan_copy(const struct masstree_leaf *lf, u64 perm,
				       const struct masstree_ksuf *ks,
				       const struct masstree_bound *b,
				       bool reverse, unsigned int max,
				       struct masstree_scan_entry *e, bool *deep)
{
	unsigned int size = min_t(unsigned int, masstree_perm_size(perm),
				  MASSTREE_LEAF_WIDTH);
	unsigned int pos, n;
	bool match = false;

	if (b->kind == MASSTREE_BOUND_ALL) {
		pos = reverse ? size : 0;
	} else {
		pos = masstree_leaf_search(lf, perm, b->ikey, b->rank, &match);
		/* Forward: skip an excluded match. Reverse: take an included one. */
		if (match && (b->kind == MASSTREE_BOUND_EXCL) != reverse)
			pos++;
	}
	*deep = match && b->kind == MASSTREE_BOUND_DEEP;
	for (n = 0; n < max; n++) {
		unsigned int slot;

		if (reverse) {
			if (!pos)
				break;
			slot = masstree_perm_slot(perm, --pos);
		} else {
			if (pos >= size)
				break;
			slot = masstree_perm_slot(perm, pos++);
		}
		e[n].ikey = READ_ONCE(lf->ikey[slot]);
		e[n].klen = READ_ONCE(lf->klen[slot]);
		e[n].lv.index = READ_ONCE(lf->lv[slot].index);
		if (e[n].klen == MASSTREE_KLEN_SUFFIX && ks) {
			e[n].soff = READ_ONCE(ks->off[slot]);
			e[n].slen = READ_ONCE(ks->len[slot]);
		} else {
			e[n].soff = 0;
			e[n].slen = 0;
		}
	}
	return n;
}

/*
 * Can a validated suffix entry at @off be copied out? Not if the bag was
 * dropped (see the caller), or, defensively, if it would not fit.
 */
static bool masstree_scan_suffix_ok(const struct masstree_ksuf *ks,
				    const struct masstree_scan_entry *x,
				    unsigned int off)
{
	return ks && x->soff + x->slen <= ks->size &&
	       off + MASSTREE_SLICE_LEN + x->slen <= MASSTREE_MAX_KEY_LEN;
}

/**
 * masstree_scan_walk() - hand out keys from the bound on, in order
 * @sc: the scan, its buffer holding the bound key
 *
 * Runs until the keys run out, the end bound is passed or @sc->emit asks
 * to stop. Only the layer at @off and the prefix buf[0, off) describe
 * where the walk is; every retry derives its bound again from the buffer.
 *
 * Context: rcu_read_lock() held.
 */
static void masstree_scan_walk(struct masstree_scan *sc)
{
	struct masstree_scan_entry e[MASSTREE_LEAF_WIDTH];
	const struct masstree_ksuf *ks;
	struct masstree_node *root;
	struct masstree_leaf *lf;
	struct masstree_bound b;
	unsigned int off, n, i, max;
	bool deep;
	u64 v;

top:
	root = READ_ONCE(sc->mt->root);
	off = 0;
layer:
	masstree_scan_bound(sc, off, &b);
	lf = masstree_scan_reach(root, b.ikey, &v);
	for (;;) {
		if (unlikely(masstree_v_is_deleted(v)))
			goto top;
		/* One more than wanted: a DEEP bound's entry may not qualify. */
		max = sc->left < MASSTREE_LEAF_WIDTH ? sc->left + 1 :
						       MASSTREE_LEAF_WIDTH;
		/* The bag before validation: growing it marks the leaf dirty. */
		ks = READ_ONCE(lf->ksuf);
		n = masstree_scan_copy(lf, masstree_leaf_perm(lf), ks, &b,
				       sc->reverse, max, e, &deep);
		if (unlikely(masstree_v_has_changed(&lf->node.version, v))) {
			lf = masstree_scan_advance(lf, b.ikey, &v);
			continue;
		}

		for (i = 0; i < n; i++) {
			struct masstree_scan_entry *x = &e[i];
			bool stop;
			u32 len;

			if (x->klen == MASSTREE_KLEN_LAYER) {
				if (WARN_ON_ONCE(off + 2 * MASSTREE_SLICE_LEN >
						 MASSTREE_MAX_KEY_LEN))
					return;
				/* A DEEP bound's key goes on in the layer as is. */
				if (!(deep && !i)) {
					masstree_scan_put_slice(sc->buf + off, x->ikey);
					sc->len = off + MASSTREE_SLICE_LEN;
					sc->seek = sc->reverse ? MASSTREE_SEEK_UNDER :
								 MASSTREE_SEEK_GT;
				}
				root = x->lv.layer;
				off += MASSTREE_SLICE_LEN;
				goto layer;
			}
			if (x->klen == MASSTREE_KLEN_SUFFIX) {
				const u8 *s;

				/*
				 * No bag: the leaf emptied and dropped it after
				 * our permuter (removes leave the version as it
				 * is), so the key is gone.
				 */
				if (!masstree_scan_suffix_ok(ks, x, off))
					continue;
				s = ks->data + x->soff;
				if (deep && !i &&
				    !masstree_scan_deep_wants(sc, off, s, x->slen))
					continue;
				/* Stable bytes of a bag that outlives us (above). */
				data_race(memcpy(sc->buf + off + MASSTREE_SLICE_LEN,
						 s, x->slen));
				len = off + MASSTREE_SLICE_LEN + x->slen;
			} else {
				len = off + x->klen;
			}
			masstree_scan_put_slice(sc->buf + off, x->ikey);
			if (sc->end && masstree_scan_past_end(sc, len))
				return;
			stop = sc->emit(sc, len, x->lv);
			/*
			 * Resume past this key. Past a suffix entry means past
			 * its whole slice: any other key there was inserted
			 * after the snapshot, so it was not present throughout.
			 */
			if (x->klen == MASSTREE_KLEN_SUFFIX) {
				sc->len = off + MASSTREE_SLICE_LEN;
				sc->seek = sc->reverse ? MASSTREE_SEEK_LE :
							 MASSTREE_SEEK_AFTER;
			} else {
				sc->len = len;
				sc->seek = sc->reverse ? MASSTREE_SEEK_LT :
							 MASSTREE_SEEK_GT;
			}
			if (stop)
				return;
		}

		/* The leaf is done: on to the next one in scan order. */
		if (!sc->reverse) {
			struct masstree_leaf *next = READ_ONCE(lf->next);

			/*
			 * A link read before the leaf was deleted is still a
			 * link to its successor. Pairs with the smp_wmb() in
			 * masstree_v_mark_dirty().
			 */
			smp_rmb();
			if (masstree_v_is_deleted(READ_ONCE(lf->node.version)))
				goto top;
			/*
			 * A merge may have moved the next leaf's entries in
			 * here, and unlinked it, since our snapshot: read this
			 * leaf again past what we returned.
			 */
			if (masstree_v_has_changed(&lf->node.version, v)) {
				masstree_scan_bound(sc, off, &b);
				lf = masstree_scan_advance(lf, b.ikey, &v);
				continue;
			}
			if (!next) {
				if (!off)
					return;
				/* The layer is done: past its whole prefix. */
				sc->len = off;
				sc->seek = MASSTREE_SEEK_AFTER;
				goto top;
			}
			lf = next;
			v = masstree_v_stable(&lf->node.version);
			masstree_scan_bound(sc, off, &b);
			continue;
		} else {
			bool leftmost = !READ_ONCE(lf->prev);
			u64 low = masstree_leaf_lowkey(lf);

			/* As above. */
			smp_rmb();
			if (masstree_v_is_deleted(READ_ONCE(lf->node.version)))
				goto top;
			if (leftmost) {
				if (!off)
					return;
				/* The layer is done: its prefix itself is next. */
				sc->len = off;
				sc->seek = MASSTREE_SEEK_LE;
				goto top;
			}
			/*
			 * Every key with the low key's slice lives here (splits
			 * keep a slice together), so the keys to the left are
			 * those with a lower slice: up to and under low - 1. (The
			 * low key never changes, and is never 0 for a leaf with
			 * a left neighbour.) Seeking "below low" instead would
			 * reach this same leaf again.
			 */
			masstree_scan_put_slice(sc->buf + off, low - 1);
			sc->len = off + MASSTREE_SLICE_LEN;
			sc->seek = MASSTREE_SEEK_UNDER;
			goto top;
		}
	}
}

static int masstree_scan_emit_fn(struct masstree_scan *sc, unsigned int len,
				 union masstree_leafvalue lv)
{
	union masstree_value val;

	if (masstree_is_index(sc->mt))
		val.index = lv.index;
	else
		val.ref = lv.obj;
	sc->count++;
	return sc->fn(sc->ctx, sc->buf, len, val) || !--sc->left;
}

static unsigned int masstree_scan_first_seek(unsigned int flags)
{
	bool reverse = flags & MASSTREE_SCAN_REVERSE;

	if (flags & MASSTREE_SCAN_FROM_EDGE)	/* from the empty key */
		return reverse ? MASSTREE_SEEK_UNDER : MASSTREE_SEEK_GE;
	if (flags & MASSTREE_SCAN_EXCLUSIVE)
		return reverse ? MASSTREE_SEEK_LT : MASSTREE_SEEK_GT;
	return reverse ? MASSTREE_SEEK_LE : MASSTREE_SEEK_GE;
}

#define MASSTREE_SCAN_FLAGS	(MASSTREE_SCAN_REVERSE | MASSTREE_SCAN_EXCLUSIVE | \
				 MASSTREE_SCAN_FROM_EDGE | \
				 MASSTREE_SCAN_END_EXCLUSIVE)

/**
 * masstree_scan() - visit keys in order, calling @fn under RCU
 * @mt: the tree
 * @args: where to start and stop, in which direction, and a key buffer
 * @fn: called with each key (@len bytes at @key, in @args->buf) and its
 *      value; returning nonzero stops the scan
 * @ctx: passed to @fn
 *
 * Visits the keys from @args->start (or from the first key, or with
 * %MASSTREE_SCAN_REVERSE the last, given %MASSTREE_SCAN_FROM_EDGE) in
 * memcmp() order of their bytes, a key before its extensions; or in the
 * reverse order. Every key present for the whole scan is visited exactly
 * once and in order, while writers change the tree; keys inserted or
 * removed meanwhile may or may not be. A scan is not a snapshot.
 *
 * @fn gets an object-mode value as its struct kref, without a reference of
 * its own: it stays valid until @fn returns, but may have been replaced or
 * removed already (its count may even be zero); take a reference with
 * kref_get_unless_zero() to keep it. An index-mode value is copied.
 *
 * Context: as masstree_get(). Takes and releases the RCU read lock; @fn
 * runs under it and must not sleep. Allocates nothing.
 * Return: the number of keys passed to @fn (counting the one that stopped
 * the scan), -EINVAL for bad flags, a missing @fn or buffer, or -E2BIG if
 * @args->start is longer than %MASSTREE_MAX_KEY_LEN.
 */
long masstree_scan(struct masstree *mt, const struct masstree_scan_args *args,
		   int (*fn)(void *ctx, const void *key, size_t len,
			     union masstree_value val),
		   void *ctx)
{
	struct masstree_scan sc = {
		.mt = mt,
		.buf = args->buf,
		.end = args->end,
		.end_len = args->end_len,
		.end_exclusive = args->flags & MASSTREE_SCAN_END_EXCLUSIVE,
		.left = args->max ? args->max : ~0UL,
		.emit = masstree_scan_emit_fn,
		.fn = fn,
		.ctx = ctx,
	};

	if (!fn || !args->buf || (args->flags & ~MASSTREE_SCAN_FLAGS) ||
	    (args->end_len && !args->end))
		return -EINVAL;
	if (args->end && args->end_len > MASSTREE_MAX_KEY_LEN)
		return -E2BIG;
	sc.seek = masstree_scan_first_seek(args->flags);
	sc.reverse = masstree_seek_is_reverse(sc.seek);
	if (!(args->flags & MASSTREE_SCAN_FROM_EDGE)) {
		if (args->start_len > MASSTREE_MAX_KEY_LEN)
			return -E2BIG;
		if (args->start_len)
			memmove(sc.buf, args->start, args->start_len);
		sc.len = args->start_len;
	}
	rcu_read_lock();
	masstree_scan_walk(&sc);
	rcu_read_unlock();
	return sc.count;
}
EXPORT_SYMBOL_GPL(masstree_scan);

/**
 * masstree_cursor_init() - set up a cursor for masstree_cursor_next()
 * @cur: the cursor
 * @mt: the tree
 * @key: where to start (ignored with %MASSTREE_SCAN_FROM_EDGE)
 * @len: its length, at most %MASSTREE_MAX_KEY_LEN
 * @flags: %MASSTREE_SCAN_REVERSE, %MASSTREE_SCAN_EXCLUSIVE (skip @key
 *         itself), %MASSTREE_SCAN_FROM_EDGE (start at the first key, or
 *         the last in reverse)
 *
 * Copies @key into the cursor: the caller's buffer is free again on
 * return. The cursor holds no reference and no lock: it may be dropped at
 * any point, or outlive changes to the tree (not the tree itself).
 *
 * Context: any.
 * Return: 0; -EINVAL for bad flags; -E2BIG if @len is too long (the
 * cursor then returns nothing).
 */
int masstree_cursor_init(struct masstree_cursor *cur, struct masstree *mt,
			 const void *key, size_t len, unsigned int flags)
{
	cur->mt = mt;
	cur->flags = flags;
	cur->len = 0;
	cur->state = MASSTREE_SEEK_DONE;
	if (flags & ~(MASSTREE_SCAN_REVERSE | MASSTREE_SCAN_EXCLUSIVE |
		      MASSTREE_SCAN_FROM_EDGE))
		return -EINVAL;
	if (!(flags & MASSTREE_SCAN_FROM_EDGE)) {
		if (len > MASSTREE_MAX_KEY_LEN)
			return -E2BIG;
		if (len)
			memcpy(cur->key, key, len);
		cur->len = len;
	}
	cur->state = masstree_scan_first_seek(flags);
	return 0;
}
EXPORT_SYMBOL_GPL(masstree_cursor_init);

static int masstree_cursor_emit(struct masstree_scan *sc, unsigned int len,
				union masstree_leafvalue lv)
{
	sc->cur->len = len;
	if (masstree_is_index(sc->mt)) {
		sc->val->index = lv.index;
	} else {
		/* Zero: replaced or removed since the snapshot; look again. */
		if (!kref_get_unless_zero(lv.obj)) {
			sc->retry = true;
			return 1;
		}
		sc->val->ref = lv.obj;
	}
	sc->count++;
	return 1;
}

/**
 * masstree_cursor_next() - the next key of a cursor's scan
 * @cur: the cursor, from masstree_cursor_init()
 * @val: set to the key's value: in object mode a new reference, which the
 *       caller puts with kref_put() and the tree's release function; in
 *       index mode a copy
 *
 * The key is copied to @cur->key (@cur->len bytes). Successive calls
 * return the keys in order (reverse order with %MASSTREE_SCAN_REVERSE),
 * each after the one returned before, with the guarantees of
 * masstree_scan(): every key present from masstree_cursor_init() to the
 * last call comes exactly once. Between calls the caller may sleep.
 *
 * Context: as masstree_get(). Takes and releases the RCU read lock.
 * Return: 0, or -ENOENT when no key is left (and for every later call).
 */
int masstree_cursor_next(struct masstree_cursor *cur, union masstree_value *val)
{
	struct masstree_scan sc = {
		.mt = cur->mt,
		.buf = cur->key,
		.left = 1,
		.emit = masstree_cursor_emit,
		.cur = cur,
		.val = val,
	};
	bool reverse = masstree_seek_is_reverse(cur->state);

	if (cur->state == MASSTREE_SEEK_DONE)
		return -ENOENT;
	sc.reverse = reverse;
	rcu_read_lock();
	for (;;) {
		sc.len = cur->len;
		sc.seek = cur->state;
		sc.retry = false;
		masstree_scan_walk(&sc);
		if (!sc.retry)
			break;
		/* The key in @cur->key had a released value: it again. */
		cur->state = reverse ? MASSTREE_SEEK_LE : MASSTREE_SEEK_GE;
	}
	rcu_read_unlock();
	if (!sc.count) {
		cur->state = MASSTREE_SEEK_DONE;
		return -ENOENT;
	}
	cur->state = reverse ? MASSTREE_SEEK_LT : MASSTREE_SEEK_GT;
	return 0;
}
EXPORT_SYMBOL_GPL(masstree_cursor_next);
