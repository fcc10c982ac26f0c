/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node version word: a node's lock, its dirty bits and its change
 * counters, in one u64 that readers use like a seqcount.
 *
 *   bit 0      LOCKED     a writer owns the node
 *   bit 1      INSERTING  the locked writer is changing entries
 *   bit 2      SPLITTING  the locked writer is moving entries out (split)
 *   bit 3      DELETED    the node left the tree; readers retry elsewhere
 *   bit 4      ROOT       the node is the root of its layer
 *   bit 5      LEAF       the node is a leaf (fixed for its lifetime)
 *   bits 8-31  vinsert    bumped by every unlock that was INSERTING
 *   bits 32-63 vsplit     bumped by every unlock that was SPLITTING
 *
 * A vinsert overflow carries into vsplit, which readers then treat as a
 * split: conservative, never wrong. The counters cannot come back to a
 * value a reader saw until 2^56 inserts later.
 *
 * Reader protocol: v = masstree_v_stable(); read the node;
 * masstree_v_has_changed(v) tells whether what was read may be torn.
 * Writer protocol: masstree_v_lock(); masstree_v_mark_insert() (or
 * _mark_split()) before the first change; masstree_v_unlock().
 *
 * The lock is held with preemption disabled, as a spinlock is: a holder is
 * never preempted by a task spinning on it. The lock holder must not sleep.
 *
 * Conventions: @vp points at a version word, @v is a snapshot of one.
 */
#ifndef _MASSTREE_NODEVERSION_H
#define _MASSTREE_NODEVERSION_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <linux/preempt.h>
#include <asm/barrier.h>
#include <asm/processor.h>

#define MASSTREE_V_LOCKED	BIT_ULL(0)
#define MASSTREE_V_INSERTING	BIT_ULL(1)
#define MASSTREE_V_SPLITTING	BIT_ULL(2)
#define MASSTREE_V_DELETED	BIT_ULL(3)
#define MASSTREE_V_ROOT		BIT_ULL(4)
#define MASSTREE_V_LEAF		BIT_ULL(5)
#define MASSTREE_V_VINSERT_SHIFT	8
#define MASSTREE_V_VSPLIT_SHIFT		32
#define MASSTREE_V_VINSERT_ONE	BIT_ULL(MASSTREE_V_VINSERT_SHIFT)
#define MASSTREE_V_VSPLIT_ONE	BIT_ULL(MASSTREE_V_VSPLIT_SHIFT)
#define MASSTREE_V_VINSERT	GENMASK_ULL(MASSTREE_V_VSPLIT_SHIFT - 1, \
					    MASSTREE_V_VINSERT_SHIFT)
#define MASSTREE_V_VSPLIT	GENMASK_ULL(63, MASSTREE_V_VSPLIT_SHIFT)
#define MASSTREE_V_DIRTY	(MASSTREE_V_INSERTING | MASSTREE_V_SPLITTING)
/* Changes after which a reader cannot trust its position in the tree. */
#define MASSTREE_V_SPLIT_CLASS	(MASSTREE_V_VSPLIT | MASSTREE_V_DELETED | \
				 MASSTREE_V_ROOT | MASSTREE_V_LEAF)

static inline u64 masstree_v_read(const u64 *vp)
{
	return READ_ONCE(*vp);
}

/**
 * masstree_v_stable() - wait until no writer is changing the node
 * @vp: the node's version word
 *
 * Context: any; spins while a writer is in the middle of a change.
 * Return: a version snapshot with no dirty bit set. Reads of the node that
 * follow are ordered after it.
 */
static inline u64 masstree_v_stable(const u64 *vp)
{
	u64 v;

	for (;;) {
		v = READ_ONCE(*vp);
		if (!(v & MASSTREE_V_DIRTY))
			break;
		cpu_relax();
	}
	/* Pairs with the release in masstree_v_unlock(). */
	smp_rmb();
	return v;
}

/* Did anything but the lock bit change since @v? */
static inline bool masstree_v_changed_since(u64 v, u64 now)
{
	return (v ^ now) & ~MASSTREE_V_LOCKED;
}

/* Did the node split, move or die since @v? */
static inline bool masstree_v_split_since(u64 v, u64 now)
{
	return (v ^ now) & MASSTREE_V_SPLIT_CLASS;
}

/**
 * masstree_v_has_changed() - validate reads made since a stable snapshot
 * @vp: the node's version word
 * @v: the snapshot from masstree_v_stable()
 *
 * Return: true if a writer changed (or is changing) the node since @v, so
 * the reads may be inconsistent and must be retried.
 */
static inline bool masstree_v_has_changed(const u64 *vp, u64 v)
{
	/*
	 * Pairs with the smp_wmb() in masstree_v_mark_dirty(): a reader that
	 * saw any of a writer's changes sees its dirty bit or a newer version.
	 */
	smp_rmb();
	return masstree_v_changed_since(v, READ_ONCE(*vp));
}

static inline bool masstree_v_has_split(const u64 *vp, u64 v)
{
	/* As in masstree_v_has_changed(). */
	smp_rmb();
	return masstree_v_split_since(v, READ_ONCE(*vp));
}

static inline bool masstree_v_is_locked(u64 v)
{
	return v & MASSTREE_V_LOCKED;
}

static inline bool masstree_v_is_deleted(u64 v)
{
	return v & MASSTREE_V_DELETED;
}

static inline bool masstree_v_is_root(u64 v)
{
	return v & MASSTREE_V_ROOT;
}

static inline bool masstree_v_is_leaf(u64 v)
{
	return v & MASSTREE_V_LEAF;
}

/**
 * masstree_v_trylock() - take the node lock if it is free
 * @vp: the node's version word
 *
 * Context: any; disables preemption on success.
 * Return: true with the lock held, false (preemption unchanged) if busy.
 */
static inline bool masstree_v_trylock(u64 *vp)
{
	u64 v;

	preempt_disable();
	v = READ_ONCE(*vp);
	if (!(v & MASSTREE_V_LOCKED) &&
	    try_cmpxchg_acquire(vp, &v, v | MASSTREE_V_LOCKED))
		return true;
	preempt_enable();
	return false;
}

/**
 * masstree_v_lock() - take the node lock, spinning while another writer has it
 * @vp: the node's version word
 *
 * Context: any context that cannot interrupt a holder of this lock on the
 * same CPU. Disables preemption until masstree_v_unlock().
 * Return: the version with the lock bit set.
 */
static inline u64 masstree_v_lock(u64 *vp)
{
	u64 v;

	preempt_disable();
	for (;;) {
		v = READ_ONCE(*vp);
		if (!(v & MASSTREE_V_LOCKED) &&
		    try_cmpxchg_acquire(vp, &v, v | MASSTREE_V_LOCKED))
			return v | MASSTREE_V_LOCKED;
		cpu_relax();
	}
}

/* Set flag bits of a node we hold locked: nobody else writes the word. */
static inline void masstree_v_set_locked(u64 *vp, u64 bits)
{
	u64 v = READ_ONCE(*vp);

	WARN_ON_ONCE(!(v & MASSTREE_V_LOCKED));
	WRITE_ONCE(*vp, v | bits);
}

static inline void masstree_v_clear_locked(u64 *vp, u64 bits)
{
	u64 v = READ_ONCE(*vp);

	WARN_ON_ONCE(!(v & MASSTREE_V_LOCKED));
	WRITE_ONCE(*vp, v & ~bits);
}

/* Tell readers the node is changing: they spin in stable() or retry. */
static inline void masstree_v_mark_dirty(u64 *vp, u64 bits)
{
	masstree_v_set_locked(vp, bits);
	/* Pairs with the smp_rmb() in masstree_v_has_changed(). */
	smp_wmb();
}

static inline void masstree_v_mark_insert(u64 *vp)
{
	masstree_v_mark_dirty(vp, MASSTREE_V_INSERTING);
}

static inline void masstree_v_mark_split(u64 *vp)
{
	masstree_v_mark_dirty(vp, MASSTREE_V_SPLITTING);
}

/* The node leaves the tree: readers that reach it must go elsewhere. */
static inline void masstree_v_mark_deleted(u64 *vp)
{
	masstree_v_mark_dirty(vp, MASSTREE_V_DELETED | MASSTREE_V_SPLITTING);
}

static inline void masstree_v_mark_root(u64 *vp)
{
	masstree_v_set_locked(vp, MASSTREE_V_ROOT);
}

/* A root bit flip is itself a split-class change: no dirty bit needed. */
static inline void masstree_v_mark_nonroot(u64 *vp)
{
	masstree_v_clear_locked(vp, MASSTREE_V_ROOT);
}

/**
 * masstree_v_unlocked_value() - the version an unlock of @v publishes
 * @v: a locked version
 *
 * Return: @v with its counters bumped for the dirty bits set, and the lock
 * and dirty bits clear.
 */
static inline u64 masstree_v_unlocked_value(u64 v)
{
	if (v & MASSTREE_V_INSERTING)
		v += MASSTREE_V_VINSERT_ONE;
	if (v & MASSTREE_V_SPLITTING)
		v += MASSTREE_V_VSPLIT_ONE;
	return v & ~(MASSTREE_V_LOCKED | MASSTREE_V_DIRTY);
}

/**
 * masstree_v_unlock() - publish the changes and release the node lock
 * @vp: the node's version word, locked by the caller
 *
 * Context: re-enables preemption.
 */
static inline void masstree_v_unlock(u64 *vp)
{
	u64 v = READ_ONCE(*vp);

	WARN_ON_ONCE(!(v & MASSTREE_V_LOCKED));
	/* Orders the node's changes before the new version is seen. */
	smp_store_release(vp, masstree_v_unlocked_value(v));
	preempt_enable();
}

#endif /* _MASSTREE_NODEVERSION_H */
