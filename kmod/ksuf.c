// SPDX-License-Identifier: GPL-2.0
/*
 * Suffix bag maintenance: sizing, copying the live suffixes into a new bag,
 * and freeing old bags after readers are done with them.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include "ksuf.h"

/* Suffix bytes the live entries of @perm use. */
unsigned int masstree_ksuf_live_bytes(const struct masstree_leaf *lf, u64 perm)
{
	unsigned int pos, total = 0;

	if (!lf->ksuf)
		return 0;
	for (pos = 0; pos < masstree_perm_size(perm); pos++) {
		unsigned int slot = masstree_perm_slot(perm, pos);

		if (lf->klen[slot] == MASSTREE_KLEN_SUFFIX)
			total += lf->ksuf->len[slot];
	}
	return total;
}

void masstree_ksuf_init(struct masstree_ksuf *ks, u32 size)
{
	memset(ks, 0, sizeof(*ks));
	ks->size = size;
}

/* Copy the suffixes of @lf's live entries (as of @perm) into the new @to. */
void masstree_ksuf_copy_live(struct masstree_ksuf *to,
			     const struct masstree_leaf *lf, u64 perm)
{
	unsigned int pos;

	for (pos = 0; pos < masstree_perm_size(perm); pos++) {
		unsigned int slot = masstree_perm_slot(perm, pos);
		unsigned int len;
		const u8 *s;

		if (lf->klen[slot] != MASSTREE_KLEN_SUFFIX)
			continue;
		s = masstree_ksuf_locked(lf, slot, &len);
		memcpy(to->data + to->used, s, len);
		to->off[slot] = to->used;
		to->len[slot] = len;
		to->used += len;
	}
}

static void masstree_ksuf_free_cb(struct rcu_head *head)
{
	kfree(container_of(head, struct masstree_ksuf_ext, rcu));
}

/*
 * @lf is done with @ks: free it after a grace period, unless it is @lf's
 * inline bag, which goes with the leaf. Not kfree_rcu(): module exit must
 * be able to wait for these.
 */
void masstree_ksuf_free_rcu(struct masstree_leaf *lf, struct masstree_ksuf *ks)
{
	if (!masstree_ksuf_is_inline(lf, ks))
		call_rcu(&container_of(ks, struct masstree_ksuf_ext, ks)->rcu,
			 masstree_ksuf_free_cb);
}
