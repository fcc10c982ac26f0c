// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue: sets up what every tree shares (the node caches and the
 * reclaim workqueue) and waits, at exit, for everything the trees left to
 * RCU and to the workqueue.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/printk.h>
#include "node.h"
#include "reclaim.h"

static int __init masstree_module_init(void)
{
	int err = masstree_node_caches_init();

	if (err)
		return err;
	err = masstree_reclaim_module_init();
	if (err) {
		masstree_node_caches_exit();
		return err;
	}
	pr_info("masstree: ready (leaf %zu B, internode %zu B)\n",
		sizeof(struct masstree_leaf), sizeof(struct masstree_internode));
	return 0;
}

static void __exit masstree_module_exit(void)
{
	masstree_reclaim_module_exit();
	masstree_node_caches_exit();
}

module_init(masstree_module_init);
module_exit(masstree_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Masstree: a concurrent trie of B+trees for binary keys");
MODULE_AUTHOR("The masstree for Linux developers");
