/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deferred freeing of nodes that readers may still be looking at.
 *
 * A writer that unlinks a node retires it; the node is freed from a
 * workqueue once a grace period has passed since it was retired. Retired
 * nodes are batched per tree, so a tree waits for one grace period at a time
 * and nodes need no rcu_head of their own.
 */
#ifndef _MASSTREE_RECLAIM_H
#define _MASSTREE_RECLAIM_H

#include <linux/gfp.h>
#include <linux/masstree.h>

struct masstree_node;

int masstree_reclaim_init(struct masstree *mt, gfp_t gfp);
void masstree_retire(struct masstree *mt, struct masstree_node *first,
		     struct masstree_node *last);
void masstree_reclaim_release(struct masstree *mt, struct masstree_node *first,
			      struct masstree_node *last);
void masstree_reclaim_flush(void);
int masstree_reclaim_module_init(void);
void masstree_reclaim_module_exit(void);

#endif /* _MASSTREE_RECLAIM_H */
