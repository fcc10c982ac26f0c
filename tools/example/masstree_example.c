// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_example.ko: another module using masstree's exported API, as
 * any in-kernel user would. On load it indexes the words of a text (index
 * mode), looks some up, lists them in order with a scan and backwards with
 * a cursor, removes some; then stores byte-string objects (object mode)
 * and times 100k puts, gets and removes; everything it finds goes to the
 * kernel log.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/masstree.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *text = "the quick brown fox jumps over the lazy dog while the cat sleeps";
module_param(text, charp, 0444);
MODULE_PARM_DESC(text, "Words to index: each maps to its first position");

static unsigned int keys = 100000;
module_param(keys, uint, 0444);
MODULE_PARM_DESC(keys, "How many keys the timed run puts and gets");

struct example_value {
	struct kref ref;
	struct rcu_head rcu;
	size_t len;
	char bytes[];
};

static void example_value_release(struct kref *ref)
{
	kfree_rcu(container_of(ref, struct example_value, ref), rcu);
}

struct example_list {
	char line[160];
	size_t used;
};

/* Scan callback: runs under RCU, must not sleep. */
static int example_list_word(void *ctx, const void *key, size_t len,
			     union masstree_value val)
{
	struct example_list *l = ctx;

	l->used += scnprintf(l->line + l->used, sizeof(l->line) - l->used,
			     " %.*s", (int)len, (const char *)key);
	return 0;
}

/* Every word in order (a scan), the last three backwards (a cursor). */
static int example_list(struct masstree *words, const char *what)
{
	struct masstree_scan_args args = { .flags = MASSTREE_SCAN_FROM_EDGE };
	struct masstree_cursor *cur;
	struct example_list l = {};
	union masstree_value val;
	unsigned int n = 0;
	long visited;

	cur = kmalloc(sizeof(*cur), GFP_KERNEL);
	args.buf = kmalloc(MASSTREE_MAX_KEY_LEN, GFP_KERNEL);
	if (!cur || !args.buf) {
		kfree(cur);
		kfree(args.buf);
		return -ENOMEM;
	}
	visited = masstree_scan(words, &args, example_list_word, &l);
	pr_info("masstree_example: %s, %ld in order:%s\n", what, visited, l.line);
	l.used = 0;
	masstree_cursor_init(cur, words, NULL, 0,
			     MASSTREE_SCAN_FROM_EDGE | MASSTREE_SCAN_REVERSE);
	masstree_cursor_for_each(cur, &val) {
		/* A cursor may sleep between keys; this one just stops at 3. */
		example_list_word(&l, cur->key, cur->len, val);
		if (++n == 3)
			break;
	}
	pr_info("masstree_example: last three, backwards:%s\n", l.line);
	kfree(args.buf);
	kfree(cur);
	return 0;
}

static int example_words(void)
{
	static const char *const probes[] = { "fox", "cat", "dog", "wolf", "th" };
	struct masstree words;
	unsigned int pos = 0, i;
	char *copy, *p, *word;
	int err;

	err = masstree_init(&words, MASSTREE_FLAGS_INDEX, NULL, GFP_KERNEL);
	if (err)
		return err;
	copy = kstrdup(text, GFP_KERNEL);
	if (!copy) {
		masstree_destroy(&words);
		return -ENOMEM;
	}
	for (p = copy; (word = strsep(&p, " ")); pos++) {
		err = masstree_put_index(&words, word, strlen(word), pos,
					 MASSTREE_NOEXIST, GFP_KERNEL);
		if (err && err != -EEXIST)
			break;
		err = 0;
	}
	pr_info("masstree_example: indexed %u words, %lu distinct, %lu bytes\n",
		pos, masstree_count(&words), masstree_bytes(&words));
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		u64 first;

		if (!masstree_get_index(&words, probes[i], strlen(probes[i]), &first))
			pr_info("masstree_example: '%s' first at word %llu\n",
				probes[i], first);
		else
			pr_info("masstree_example: '%s' not in the text\n", probes[i]);
	}
	if (!err)
		err = example_list(&words, "distinct words");
	/* Remove the words shorter than four letters. */
	for (p = copy, i = 0; i < pos; i++, p += strlen(p) + 1)
		if (strlen(p) < 4)
			masstree_remove_index(&words, p, strlen(p), NULL);
	if (!err)
		err = example_list(&words, "without short words");
	kfree(copy);
	masstree_destroy(&words);
	return err;
}

static struct example_value *example_value_new(u32 n)
{
	struct example_value *ev = kmalloc(sizeof(*ev) + 16, GFP_KERNEL);

	if (ev) {
		kref_init(&ev->ref);
		ev->len = scnprintf(ev->bytes, 16, "value-%u", n);
	}
	return ev;
}

static int example_timed(void)
{
	struct masstree objects;
	ktime_t start, put_ns, get_ns;
	unsigned int i, found = 0;
	char key[24];
	int err;

	err = masstree_init(&objects, 0, example_value_release, GFP_KERNEL);
	if (err)
		return err;
	start = ktime_get();
	for (i = 0; i < keys && !err; i++) {
		struct example_value *ev = example_value_new(i);

		if (!ev) {
			err = -ENOMEM;
			break;
		}
		err = masstree_put(&objects, key,
				   scnprintf(key, sizeof(key), "user:%u", i * 7919),
				   &ev->ref, MASSTREE_ANY, GFP_KERNEL);
		kref_put(&ev->ref, example_value_release);
		cond_resched();
	}
	put_ns = ktime_sub(ktime_get(), start);
	start = ktime_get();
	for (i = 0; i < keys && !err; i++) {
		struct kref *ref;

		ref = masstree_get(&objects, key,
				   scnprintf(key, sizeof(key), "user:%u", i * 7919));
		if (ref) {
			found++;
			kref_put(ref, example_value_release);
		}
	}
	get_ns = ktime_sub(ktime_get(), start);
	if (!err)
		pr_info("masstree_example: %u puts in %lld us, %u/%u gets found in %lld us, %lu bytes (%lu per key)\n",
			keys, ktime_to_us(put_ns), found, keys, ktime_to_us(get_ns),
			masstree_bytes(&objects),
			masstree_bytes(&objects) / max(masstree_count(&objects), 1UL));
	start = ktime_get();
	for (i = 0, found = 0; i < keys && !err; i++) {
		if (!masstree_remove(&objects, key,
				     scnprintf(key, sizeof(key), "user:%u", i * 7919),
				     NULL))
			found++;
		cond_resched();
	}
	if (!err)
		pr_info("masstree_example: %u/%u removes in %lld us, %lu keys and %lu bytes left\n",
			found, keys, ktime_to_us(ktime_sub(ktime_get(), start)),
			masstree_count(&objects), masstree_bytes(&objects));
	masstree_destroy(&objects);
	return err;
}

static int __init masstree_example_init(void)
{
	int err = example_words();

	return err ? err : example_timed();
}

static void __exit masstree_example_exit(void)
{
	/* Values and nodes were freed through RCU: wait for them. */
	rcu_barrier();
}

module_init(masstree_example_init);
module_exit(masstree_example_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An example user of masstree's in-kernel API");
