/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tree validator: walks every layer and checks every structural
 * invariant. For tests; it assumes no writer runs while it walks.
 */
#ifndef _MASSTREE_VALIDATE_H
#define _MASSTREE_VALIDATE_H

#include <linux/masstree.h>

enum masstree_invalid {
	MASSTREE_VALID = 0,
	MASSTREE_BAD_VERSION,	/* locked, dirty, deleted, or wrong kind bits */
	MASSTREE_BAD_PERM,	/* a permuter that is not a permutation */
	MASSTREE_BAD_KLEN,	/* an unknown length code or missing suffix */
	MASSTREE_BAD_ORDER,	/* keys out of order within a node */
	MASSTREE_BAD_BOUNDS,	/* a key outside its parent's separators */
	MASSTREE_BAD_LOWKEY,	/* slot 0 does not hold the leaf's low slice */
	MASSTREE_BAD_PARENT,	/* a child that does not point back up */
	MASSTREE_BAD_LINK,	/* B-link list out of step with the tree */
	MASSTREE_BAD_DEPTH,	/* leaves at different depths in one layer */
	MASSTREE_BAD_LAYER,	/* a layer root that is not a root */
	MASSTREE_BAD_COUNT,	/* entry counter differs from the entries */
	MASSTREE_BAD_BYTES,	/* byte counter differs from the nodes */
	MASSTREE_VALIDATE_NOMEM, /* the validator itself ran out of memory */
};

int masstree_validate(struct masstree *mt);
const char *masstree_invalid_name(int code);

#endif /* _MASSTREE_VALIDATE_H */
