// SPDX-License-Identifier: GPL-2.0
/*
 * Module glue: sets up what every tree shares (the node caches) and waits,
 * at exit, for everything the trees left to RCU.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/printk.h>
#include "node.h"

static int __init masstree_init(void)
{
	int err = masstree_node_caches_init();

	if (err)
		return err;
	pr_info("masstree: ready (leaf %zu B, internode %zu B)\n",
		sizeof(struct masstree_leaf), sizeof(struct masstree_internode));
	return 0;
}

static void __exit masstree_exit(void)
{
	masstree_node_caches_exit();
}

module_init(masstree_init);
module_exit(masstree_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Masstree: a concurrent trie of B+trees for binary keys");
MODULE_AUTHOR("The masstree for Linux developers");
