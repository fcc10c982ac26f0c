// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_permuter: the one-word sorted order of a leaf's slots, checked
 * against a plain array that does the same job the obvious way.
 */
#include <linux/random.h>
#include <linux/string.h>
#include "masstree_test.h"
#include "permuter.h"

/* The model: position i holds slot[i]; the first @size positions are live. */
struct perm_model {
	u8 slot[MASSTREE_PERM_WIDTH];
	unsigned int size;
};

static void model_empty(struct perm_model *m)
{
	unsigned int i;

	for (i = 0; i < MASSTREE_PERM_WIDTH; i++)
		m->slot[i] = MASSTREE_PERM_WIDTH - 1 - i;
	m->size = 0;
}

static void model_insert_from_back(struct perm_model *m, unsigned int pos)
{
	u8 back = m->slot[MASSTREE_PERM_WIDTH - 1];

	memmove(m->slot + pos + 1, m->slot + pos, MASSTREE_PERM_WIDTH - 1 - pos);
	m->slot[pos] = back;
	m->size++;
}

static void model_remove(struct perm_model *m, unsigned int pos, bool to_back)
{
	unsigned int end = to_back ? MASSTREE_PERM_WIDTH : m->size;
	u8 gone = m->slot[pos];

	memmove(m->slot + pos, m->slot + pos + 1, end - 1 - pos);
	m->slot[end - 1] = gone;
	m->size--;
}

static bool model_matches(const struct perm_model *m, u64 perm)
{
	unsigned int i;

	if (masstree_perm_size(perm) != m->size || !masstree_perm_is_valid(perm))
		return false;
	for (i = 0; i < MASSTREE_PERM_WIDTH; i++)
		if (masstree_perm_slot(perm, i) != m->slot[i])
			return false;
	return true;
}

static void empty_permuter_has_every_slot_free(struct kunit *test)
{
	struct perm_model m;

	model_empty(&m);
	KUNIT_EXPECT_TRUE(test, model_matches(&m, MASSTREE_PERM_EMPTY));
	KUNIT_EXPECT_EQ(test, masstree_perm_back(MASSTREE_PERM_EMPTY), 0U);
}

static void sorted_permuter_lists_first_slots_in_order(struct kunit *test)
{
	unsigned int n, pos;

	for (n = 0; n <= MASSTREE_PERM_WIDTH; n++) {
		u64 perm = masstree_perm_sorted(n);

		KUNIT_EXPECT_TRUE(test, masstree_perm_is_valid(perm));
		KUNIT_EXPECT_EQ(test, masstree_perm_size(perm), n);
		for (pos = 0; pos < n; pos++)
			KUNIT_EXPECT_EQ(test, masstree_perm_slot(perm, pos), pos);
		if (n < MASSTREE_PERM_WIDTH)
			KUNIT_EXPECT_EQ(test, masstree_perm_back(perm), n);
	}
}

static void fifteen_inserts_fill_the_leaf(struct kunit *test)
{
	u64 perm = MASSTREE_PERM_EMPTY;
	unsigned int i;

	for (i = 0; i < MASSTREE_PERM_WIDTH; i++)
		perm = masstree_perm_insert_from_back(perm, 0);
	KUNIT_EXPECT_EQ(test, masstree_perm_size(perm), MASSTREE_PERM_WIDTH);
	KUNIT_EXPECT_TRUE(test, masstree_perm_is_valid(perm));
	/* Inserting at the front each time leaves the last slot used first. */
	KUNIT_EXPECT_EQ(test, masstree_perm_slot(perm, 0), 14U);
	KUNIT_EXPECT_EQ(test, masstree_perm_slot(perm, 14), 0U);
}

/* Every sequence of up to @depth operations from @perm, against the model. */
static unsigned long explore(struct kunit *test, u64 perm, struct perm_model *m,
			     unsigned int depth)
{
	unsigned long checked = 1;
	unsigned int pos;

	if (!model_matches(m, perm)) {
		KUNIT_FAIL(test, "permuter %016llx differs from the model",
			   (unsigned long long)perm);
		return checked;
	}
	if (!depth || READ_ONCE(test->status) == KUNIT_FAILURE)
		return checked;
	for (pos = 0; m->size < MASSTREE_PERM_WIDTH && pos <= m->size; pos++) {
		struct perm_model next = *m;

		model_insert_from_back(&next, pos);
		checked += explore(test, masstree_perm_insert_from_back(perm, pos),
				   &next, depth - 1);
	}
	for (pos = 0; pos < m->size; pos++) {
		struct perm_model next = *m, back = *m;

		model_remove(&next, pos, false);
		checked += explore(test, masstree_perm_remove(perm, pos),
				   &next, depth - 1);
		model_remove(&back, pos, true);
		checked += explore(test, masstree_perm_remove_to_back(perm, pos),
				   &back, depth - 1);
	}
	return checked;
}

static void every_short_sequence_matches_the_model(struct kunit *test)
{
	unsigned int depth = MASSTREE_TEST_IN_KERNEL ? 5 : 7;
	struct perm_model m;
	unsigned long checked;

	model_empty(&m);
	checked = explore(test, MASSTREE_PERM_EMPTY, &m, depth);
	kunit_info(test, "%lu permuter states checked", checked);
}

/* From full and near-full leaves too, where the shifts touch the top bits. */
static void every_operation_on_large_leaves_matches_the_model(struct kunit *test)
{
	unsigned int size, round;

	for (size = 10; size <= MASSTREE_PERM_WIDTH; size++) {
		for (round = 0; round < 8; round++) {
			u64 perm = MASSTREE_PERM_EMPTY;
			struct perm_model m;

			model_empty(&m);
			while (m.size < size) {
				unsigned int pos = get_random_u32() % (m.size + 1);

				perm = masstree_perm_insert_from_back(perm, pos);
				model_insert_from_back(&m, pos);
			}
			explore(test, perm, &m, 2);
		}
	}
}

static void random_walk_matches_the_model(struct kunit *test)
{
	unsigned long n = MASSTREE_TEST_N(100000, 2000000), i;
	u64 perm = MASSTREE_PERM_EMPTY;
	struct perm_model m;

	model_empty(&m);
	for (i = 0; i < n; i++) {
		u32 r = get_random_u32();
		bool insert = m.size == 0 ||
			      (m.size < MASSTREE_PERM_WIDTH && (r & 1));

		if (insert) {
			unsigned int pos = (r >> 2) % (m.size + 1);

			perm = masstree_perm_insert_from_back(perm, pos);
			model_insert_from_back(&m, pos);
		} else {
			unsigned int pos = (r >> 2) % m.size;
			bool to_back = r & 2;

			perm = to_back ? masstree_perm_remove_to_back(perm, pos) :
					 masstree_perm_remove(perm, pos);
			model_remove(&m, pos, to_back);
		}
		if (!model_matches(&m, perm)) {
			KUNIT_FAIL(test, "step %lu: permuter %016llx differs",
				   i, (unsigned long long)perm);
			return;
		}
	}
}

static void position_of_finds_every_slot(struct kunit *test)
{
	u64 perm = masstree_perm_sorted(7);
	unsigned int slot;

	perm = masstree_perm_remove(perm, 3);
	for (slot = 0; slot < MASSTREE_PERM_WIDTH; slot++)
		KUNIT_EXPECT_EQ(test, masstree_perm_slot(perm,
				masstree_perm_position_of(perm, slot)), slot);
}

static void removed_slot_is_reused_last(struct kunit *test)
{
	u64 perm = masstree_perm_sorted(3);
	unsigned int gone = masstree_perm_slot(perm, 1);

	perm = masstree_perm_remove(perm, 1);
	KUNIT_EXPECT_EQ(test, masstree_perm_slot(perm, 2), gone);
	KUNIT_EXPECT_NE(test, masstree_perm_back(perm), gone);
	perm = masstree_perm_insert_from_back(perm, 0);
	perm = masstree_perm_remove_to_back(perm, 0);
	KUNIT_EXPECT_EQ(test, masstree_perm_back(perm), 3U);
}

static void invalid_permuters_are_rejected(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, masstree_perm_is_valid(0));
	/* Slot 13 twice, slot 14 missing. */
	KUNIT_EXPECT_FALSE(test, masstree_perm_is_valid((MASSTREE_PERM_EMPTY & ~0xf0ULL) | 0xd0));
	/* Slot 15 does not exist. */
	KUNIT_EXPECT_FALSE(test, masstree_perm_is_valid(MASSTREE_PERM_EMPTY ^ 0x10));
	KUNIT_EXPECT_TRUE(test, masstree_perm_is_valid(MASSTREE_PERM_EMPTY | 0xf));
}

static struct kunit_case masstree_permuter_cases[] = {
	KUNIT_CASE(empty_permuter_has_every_slot_free),
	KUNIT_CASE(sorted_permuter_lists_first_slots_in_order),
	KUNIT_CASE(fifteen_inserts_fill_the_leaf),
	KUNIT_CASE(every_short_sequence_matches_the_model),
	KUNIT_CASE(every_operation_on_large_leaves_matches_the_model),
	KUNIT_CASE(random_walk_matches_the_model),
	KUNIT_CASE(position_of_finds_every_slot),
	KUNIT_CASE(removed_slot_is_reused_last),
	KUNIT_CASE(invalid_permuters_are_rejected),
	{}
};

static struct kunit_suite masstree_permuter_suite = {
	.name = "masstree_permuter",
	.test_cases = masstree_permuter_cases,
};

kunit_test_suites(&masstree_permuter_suite);
