/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the tree suites share: a key universe to draw keys from, a value
 * type for object-mode trees that counts its live instances, and tree
 * set-up that checks the result.
 */
#ifndef _MASSTREE_TREE_TEST_H
#define _MASSTREE_TREE_TEST_H

#include <linux/masstree.h>
#include <linux/kref.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#include "masstree_test.h"
#include "reclaim.h"
#include "validate.h"

/* A value for object-mode trees: knows its number, counts live copies. */
struct test_value {
	struct kref ref;
	struct rcu_head rcu;
	u64 n;
};

extern atomic_long_t test_values_live;

static inline void test_value_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct test_value, rcu));
	atomic_long_dec(&test_values_live);
}

static inline void test_value_release(struct kref *ref)
{
	call_rcu(&container_of(ref, struct test_value, ref)->rcu,
		 test_value_free_rcu);
}

static inline struct test_value *test_value_new(u64 n)
{
	struct test_value *tv = kmalloc(sizeof(*tv), GFP_KERNEL);

	if (tv) {
		kref_init(&tv->ref);
		tv->n = n;
		atomic_long_inc(&test_values_live);
	}
	return tv;
}

static inline void test_value_put(struct test_value *tv)
{
	kref_put(&tv->ref, test_value_release);
}

static inline u64 test_value_of(struct kref *ref)
{
	return container_of(ref, struct test_value, ref)->n;
}

/* Store @v big-endian at @p: the byte order of keys that sort as integers. */
static inline void test_put_be64(u64 v, u8 *p)
{
	__be64 w = cpu_to_be64(v);

	memcpy(p, &w, sizeof(w));
}

/* The integer test_put_be64() stored at @p. */
static inline u64 test_get_be64(const void *p)
{
	__be64 w;

	memcpy(&w, p, sizeof(w));
	return be64_to_cpu(w);
}

/* Keys that stress layers: see tree_test_key(). */
#define TREE_TEST_KEY_MAX	80

unsigned int tree_test_key(u64 id, u8 *buf);

/* A new tree (object mode with test values unless @flags say index). */
struct masstree *tree_test_new(struct kunit *test, unsigned int flags);
void tree_test_free(struct kunit *test, struct masstree *mt);
unsigned long tree_test_new_bytes(void);

/* Index mode: put and get the key tree_test_key() makes of @id. */
int tree_test_put(struct masstree *mt, u64 id, u64 value, unsigned int flags);
int tree_test_get(struct masstree *mt, u64 id, u64 *value);

/* Orders of 0..n-1 to insert or remove in: position @i's id. */
u64 tree_test_ascending(u64 i, u64 n);
u64 tree_test_descending(u64 i, u64 n);
u64 tree_test_shuffled(u64 i, u64 n);

/* Fail the test with the validator's verdict unless the tree is valid. */
#define KUNIT_EXPECT_TREE_VALID(test, mt) do {				\
	int __err = masstree_validate(mt);				\
	KUNIT_EXPECT_EQ_MSG(test, __err, 0, "tree invalid: %s",		\
			    masstree_invalid_name(__err));		\
} while (0)

#endif /* _MASSTREE_TREE_TEST_H */
