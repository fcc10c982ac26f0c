/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Masstree: a concurrent ordered map from binary keys to values, built as a
 * trie of B+trees over 8-byte key slices (Mao, Kohler, Morris, EuroSys 2012).
 *
 * Readers never lock and never write shared memory; writers lock single
 * nodes. Nodes and values are freed through RCU.
 */
#ifndef _LINUX_MASSTREE_H
#define _LINUX_MASSTREE_H

/*
 * Longest key the tree accepts, in bytes. Longer keys get -E2BIG. Keys may
 * be any binary string from 0 bytes up to this length, NUL bytes included.
 */
#define MASSTREE_MAX_KEY_LEN	1024

#endif /* _LINUX_MASSTREE_H */
