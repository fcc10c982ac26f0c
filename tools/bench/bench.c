// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace throughput benchmark of the tree core (kmod/), built natively
 * with optimisation against the shim headers of tools/testing/shim.
 *
 * Workloads (README.md has the details):
 *   rw1    masstree-beta's mttest rw1: decimal keys of random 31-bit
 *          integers from its generator and seeds, values their x + 1 as
 *          decimal strings in kref'd blobs (object mode); puts, then the
 *          same keys as gets in shuffled order.
 *   rand8  random 8-byte big-endian keys, index mode; puts, shuffled gets.
 *   url    "https://example.com/users/<n>/posts/<m>", index mode; puts in
 *          random order, gets in another.
 *
 * rand8 then scans: forward and reverse scans of 1, 10, 100 and 1000 keys
 * from random keys of the tree, through masstree_scan(); figures in keys/s.
 * Index workloads then churn the full tree: remove a batch of keys, put
 * back the batch removed CHURN_LAG batches before, and so on, timing the
 * removes and the puts apart; both run on the same, nearly full tree.
 * Last, every workload removes all its keys.
 *
 * With T threads, each thread puts its own 1/T of the keys into one shared
 * tree concurrently, then gets them; figures are aggregate. Every get is
 * checked. Results go to stdout as a table and to a CSV file.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/align.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/masstree.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <asm/byteorder.h>
#include "reclaim.h"
#include "validate.h"
#include "runtime.h"

#define BENCH_MAX_THREADS	16
#define BENCH_MAX_REPS		15
#define RW1_FIRST_SEED		31949	/* mttest's kvtest_first_seed */
#define URL_KEY_MAX		64
/* Keys each scan measurement visits in all (split among threads). */
#define SCAN_KEYS		(1U << 19)
#define SCAN_MIN_SCANS		1000
/* Churn: keys one step removes or puts back; steps a key stays out. */
#define CHURN_BATCH		1024
#define CHURN_LAG		16

/* -- random numbers ----------------------------------------------------- */

/*
 * mttest's kvrandom_lcg_nr: the Numerical Recipes LCG, stepped twice per
 * draw of kvrandom_lcg_nr_simple, two of which make one 31-bit output.
 */
struct lcg_nr {
	u32 seed;
};

static inline u32 lcg_nr_simple(struct lcg_nr *r)
{
	r->seed = r->seed * 1664525U + 1013904223U;
	r->seed = r->seed * 1664525U + 1013904223U;
	return r->seed;
}

static inline u32 lcg_nr(struct lcg_nr *r)
{
	u32 x0 = lcg_nr_simple(r);
	u32 x1 = lcg_nr_simple(r);

	return (x0 >> 15) | ((x1 & 0x7ffe) << 16);
}

/* splitmix64: the generator of the binary and URL workloads. */
static inline u64 splitmix64(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), by multiply-high. */
static inline u32 splitmix_below(u64 *s, u32 n)
{
	return ((splitmix64(s) >> 32) * n) >> 32;
}

static void shuffle_u32(u32 *a, u32 n, u64 seed)
{
	u32 i;

	for (i = n; i > 1; i--) {
		u32 j = splitmix_below(&seed, i);
		u32 t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* As mttest's quick_istr: the decimal digits of @x, ending at @end. */
static inline char *utoa_back(u64 x, char *end)
{
	do {
		*--end = '0' + x % 10;
		x /= 10;
	} while (x);
	return end;
}

/* Decimal digits of @x at @buf (not terminated); returns the length. */
static unsigned int utoa(u64 x, char *buf)
{
	char tmp[20];
	char *p = utoa_back(x, tmp + sizeof(tmp));
	unsigned int len = tmp + sizeof(tmp) - p;

	memcpy(buf, p, len);
	return len;
}

/* -c: time by each thread's CPU time, not the wall clock (see README). */
static bool cpu_time;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* -- object-mode values ------------------------------------------------- */

/* A value as rw1 stores it: the decimal string of x + 1. */
struct bench_value {
	struct kref ref;
	struct rcu_head rcu;
	unsigned int len;
	char bytes[];
};

static void bench_value_free(struct rcu_head *head)
{
	kfree(container_of(head, struct bench_value, rcu));
}

/*
 * Values go as kfree_rcu() frees them in the kernel: batched per thread,
 * one grace period per batch. (liburcu's call_rcu() per object costs
 * several times what the kernel's does.)
 */
#define BENCH_FREE_BATCH	64

struct bench_free_batch {
	struct rcu_head rcu;
	unsigned int n;
	void *obj[BENCH_FREE_BATCH];
};

static __thread struct bench_free_batch *free_batch;

static void bench_free_batch_cb(struct rcu_head *head)
{
	struct bench_free_batch *b = container_of(head, struct bench_free_batch, rcu);
	unsigned int i;

	for (i = 0; i < b->n; i++)
		kfree(b->obj[i]);
	free(b);
}

/* Hand this thread's batch to RCU; before it ends, or waits for RCU. */
static void bench_values_flush(void)
{
	if (free_batch)
		call_rcu(&free_batch->rcu, bench_free_batch_cb);
	free_batch = NULL;
}

static void bench_value_release(struct kref *ref)
{
	struct bench_value *bv = container_of(ref, struct bench_value, ref);

	if (!free_batch) {
		free_batch = malloc(sizeof(*free_batch));
		if (!free_batch) {
			call_rcu(&bv->rcu, bench_value_free);
			return;
		}
		free_batch->n = 0;
	}
	free_batch->obj[free_batch->n++] = bv;
	if (free_batch->n == BENCH_FREE_BATCH)
		bench_values_flush();
}

static struct bench_value *bench_value_new(u64 x)
{
	char buf[20];
	char *digits = utoa_back(x, buf + sizeof(buf));
	unsigned int len = buf + sizeof(buf) - digits;
	struct bench_value *bv = kmalloc(sizeof(*bv) + len, GFP_KERNEL);

	if (bv) {
		kref_init(&bv->ref);
		bv->len = len;
		memcpy(bv->bytes, digits, len);
	}
	return bv;
}

/* -- runs --------------------------------------------------------------- */

/*
 * Index workloads run from op streams: per thread and phase, records of
 * { u32 id, u8 len, key bytes } in the order the ops happen, so the
 * benchmark reads its keys sequentially and the cache misses measured are
 * the tree's own.
 */
#define OP_HDR	5

/**
 * struct share - what one thread does, built untimed, reused by every
 * repetition of a measurement
 * @n: keys it puts and gets
 * @seed: rw1: its mttest seed
 * @rw1_gets: rw1: the integers it gets, in order
 * @puts: index workloads: its put stream
 * @gets: index workloads: its get stream
 */
struct share {
	u32 n;
	u32 seed;
	u32 *rw1_gets;
	u8 *puts;
	u8 *gets;
};

struct plan {
	unsigned int threads;
	u32 nkeys;
	struct share share[BENCH_MAX_THREADS];
};

struct run;

/* One scan measurement: scans of @len keys, forward or reverse. */
struct scan_conf {
	const char *op;
	unsigned int len;
	bool reverse;
};

static const struct scan_conf scan_confs[] = {
	{ "scan1", 1, false }, { "scan10", 10, false },
	{ "scan100", 100, false }, { "scan1000", 1000, false },
	{ "rscan1", 1, true }, { "rscan10", 10, true },
	{ "rscan100", 100, true }, { "rscan1000", 1000, true },
};

#define NR_SCAN_CONFS	ARRAY_SIZE(scan_confs)

/**
 * struct worker - one benchmark thread
 * @run: the measurement it belongs to
 * @sh: its share of the work
 * @thread: the pthread
 * @put_ns: start and end of its put phase
 * @get_ns: start and end of its get phase
 * @rm_ns: start and end of its remove phase
 * @churn_ns: index workloads: time its churn spent removing, and putting
 * @scan_ns: start and end of each scan measurement
 * @scan_keys: keys each scan measurement visited
 * @scan_buf: the key buffer of its scans
 * @errors: failed puts, and gets that missed or returned a wrong value
 */
struct worker {
	struct run *run;
	const struct share *sh;
	pthread_t thread;
	u64 put_ns[2];
	u64 get_ns[2];
	u64 rm_ns[2];
	u64 churn_ns[2];
	u64 scan_ns[NR_SCAN_CONFS][2];
	u64 scan_keys[NR_SCAN_CONFS];
	u8 scan_buf[MASSTREE_MAX_KEY_LEN];
	unsigned long errors;
};

/* The keys of an index workload, generated once, shared by its runs. */
struct keyset {
	u32 n;
	u8 *data;
	u32 *off;
	u8 *len;
	u32 *put_order;
};

struct workload {
	const char *name;
	const char *structure;
	bool index;
	int (*generate)(struct keyset *ks, u32 n);
	void (*put)(struct worker *w);
	void (*get)(struct worker *w);
	void (*remove)(struct worker *w);
	bool scan;
};

/*
 * The tree sits alone at the start of a cache-aligned run, as it would in
 * a kzalloc()ed object: where it falls across cache lines changes how its
 * fields share them, and with that the multi-threaded figures.
 */
struct run {
	struct masstree mt;
	const struct workload *wl;
	unsigned int threads;
	pthread_barrier_t barrier;
	struct worker workers[BENCH_MAX_THREADS];
	bool validate;
	int valid;
	unsigned long count;
	unsigned long bytes;
	unsigned long left_count;
	unsigned long left_bytes;
	unsigned long new_bytes;
	int left_valid;
};

struct result {
	double put_mops;
	double get_mops;
	double rm_mops;
	double churn_rm_mops;
	double churn_put_mops;
	double scan_mops[NR_SCAN_CONFS];
	double bytes_per_key;
	unsigned long left_bytes;
	unsigned long new_bytes;
	unsigned long count;
	unsigned long errors;
	int valid;
};

/* As mttest's kvtest_rw1puts_seed(): generate, format and put. */
static void rw1_put(struct worker *w)
{
	struct masstree *mt = &w->run->mt;
	struct lcg_nr rnd = { .seed = w->sh->seed };
	char buf[20];
	u32 i;

	for (i = 0; i < w->sh->n; i++) {
		s32 x = (s32)lcg_nr(&rnd);
		char *key = utoa_back(x, buf + sizeof(buf));
		unsigned int len = buf + sizeof(buf) - key;
		struct bench_value *bv = bench_value_new((u64)x + 1);

		if (!bv || masstree_put(mt, key, len, &bv->ref, MASSTREE_ANY,
					GFP_KERNEL))
			w->errors++;
		if (bv)
			kref_put(&bv->ref, bench_value_release);
	}
}

/* As mttest's get_check(): format key and expected value, get, compare. */
static void rw1_get(struct worker *w)
{
	struct masstree *mt = &w->run->mt;
	char kbuf[20], vbuf[20];
	u32 i;

	for (i = 0; i < w->sh->n; i++) {
		u32 x = w->sh->rw1_gets[i];
		char *key = utoa_back(x, kbuf + sizeof(kbuf));
		char *val = utoa_back((u64)x + 1, vbuf + sizeof(vbuf));
		unsigned int len = kbuf + sizeof(kbuf) - key;
		unsigned int vlen = vbuf + sizeof(vbuf) - val;
		struct kref *ref = masstree_get(mt, key, len);
		struct bench_value *bv;

		if (!ref) {
			w->errors++;
			continue;
		}
		bv = container_of(ref, struct bench_value, ref);
		if (bv->len != vlen || memcmp(bv->bytes, val, vlen))
			w->errors++;
		kref_put(ref, bench_value_release);
	}
}

/* Remove the thread's keys in get order (rw1 keys may repeat: absent is fine). */
static void rw1_remove(struct worker *w)
{
	struct masstree *mt = &w->run->mt;
	char kbuf[20];
	u32 i;

	for (i = 0; i < w->sh->n; i++) {
		u32 x = w->sh->rw1_gets[i];
		char *key = utoa_back(x, kbuf + sizeof(kbuf));
		int err = masstree_remove(mt, key, kbuf + sizeof(kbuf) - key, NULL);

		if (err && err != -ENOENT)
			w->errors++;
	}
}

/* rw1's gets: the thread's own keys again, shuffled as mttest does. */
static u32 *rw1_get_order(u32 seed, u32 n)
{
	u32 *a = malloc(sizeof(*a) * (n ? n : 1));
	struct lcg_nr rnd = { .seed = seed };
	u32 i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		a[i] = lcg_nr(&rnd);
	for (i = 0; i < n; i++) {
		u32 j = lcg_nr(&rnd) % n;
		u32 t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	return a;
}

/* Put @n keys of an op stream from @p, with @flags; returns what follows. */
static const u8 *index_put_ops(struct worker *w, const u8 *p, u32 n,
			       unsigned int flags)
{
	struct masstree *mt = &w->run->mt;
	u32 i, id;

	for (i = 0; i < n; i++) {
		memcpy(&id, p, sizeof(id));
		if (masstree_put_index(mt, p + OP_HDR, p[4], id, flags,
				       GFP_KERNEL))
			w->errors++;
		p += OP_HDR + p[4];
	}
	return p;
}

/* Get (or remove) @n keys of an op stream from @p, checking every value. */
static inline const u8 *index_get_ops(struct worker *w, const u8 *p, u32 n,
				      bool remove)
{
	struct masstree *mt = &w->run->mt;
	u32 i, id;
	u64 v;

	for (i = 0; i < n; i++) {
		int err;

		memcpy(&id, p, sizeof(id));
		err = remove ? masstree_remove_index(mt, p + OP_HDR, p[4], &v) :
			       masstree_get_index(mt, p + OP_HDR, p[4], &v);
		if (err || v != id)
			w->errors++;
		p += OP_HDR + p[4];
	}
	return p;
}

static void index_put(struct worker *w)
{
	index_put_ops(w, w->sh->puts, w->sh->n, MASSTREE_ANY);
}

static void index_get(struct worker *w)
{
	index_get_ops(w, w->sh->gets, w->sh->n, false);
}

static void index_remove(struct worker *w)
{
	index_get_ops(w, w->sh->gets, w->sh->n, true);
}

/*
 * Remove the thread's keys a batch at a time, in get order, and put each
 * batch back CHURN_LAG batches later: the lines the removes touched have
 * left the core's caches by then, so the puts find the tree as cold as
 * the removes did. At most CHURN_LAG + 1 batches a thread are out at once.
 */
static void index_churn(struct worker *w)
{
	const u8 *rm_p = w->sh->gets, *put_p = w->sh->gets;
	u32 removed = 0, back = 0, n = w->sh->n, batch;
	u64 t;

	w->churn_ns[0] = w->churn_ns[1] = 0;
	while (back < n) {
		if (removed < n) {
			batch = min(n - removed, (u32)CHURN_BATCH);
			t = now_ns();
			rm_p = index_get_ops(w, rm_p, batch, true);
			w->churn_ns[0] += now_ns() - t;
			removed += batch;
		}
		if (removed == n || removed - back > CHURN_LAG * CHURN_BATCH) {
			batch = min(removed - back, (u32)CHURN_BATCH);
			t = now_ns();
			put_p = index_put_ops(w, put_p, batch,
					      MASSTREE_NOEXIST);
			w->churn_ns[1] += now_ns() - t;
			back += batch;
		}
	}
}

/* Scans see keys in order: check it, and that index values are ids. */
struct scan_check {
	u64 prev;
	u64 keys;
	bool reverse;
	unsigned long errors;
};

static int bench_scan_fn(void *ctx, const void *key, size_t len,
			 union masstree_value val)
{
	struct scan_check *sc = ctx;
	__be64 k;
	u64 x;

	memcpy(&k, key, sizeof(k));
	x = be64_to_cpu(k);
	if (len != 8 || (sc->keys && (sc->reverse ? x >= sc->prev : x <= sc->prev)))
		sc->errors++;
	sc->prev = x;
	sc->keys++;
	return 0;
}

/*
 * Scans of @conf's length from the keys of the thread's get stream, in
 * its order, until the thread's share of SCAN_KEYS keys (at least its
 * share of SCAN_MIN_SCANS scans) is done.
 */
static void index_scan(struct worker *w, unsigned int c, unsigned int threads)
{
	const struct scan_conf *conf = &scan_confs[c];
	struct masstree *mt = &w->run->mt;
	struct masstree_scan_args args = {
		.max = conf->len,
		.flags = conf->reverse ? MASSTREE_SCAN_REVERSE : 0,
		.buf = w->scan_buf,
	};
	u32 scans = max(SCAN_KEYS / conf->len, SCAN_MIN_SCANS) / threads;
	const u8 *p = w->sh->gets;
	u64 keys = 0;
	u32 i, j = 0;

	for (i = 0; i < scans; i++) {
		struct scan_check sc = { .reverse = conf->reverse };
		long got;

		if (j++ == w->sh->n) {
			p = w->sh->gets;
			j = 1;
		}
		args.start = p + OP_HDR;
		args.start_len = p[4];
		p += OP_HDR + p[4];
		got = masstree_scan(mt, &args, bench_scan_fn, &sc);
		if (got <= 0 || got > conf->len || got != sc.keys || sc.errors)
			w->errors++;
		keys += sc.keys;
	}
	w->scan_keys[c] = keys;
}

/* An op stream of keys @ids[0..n) of @ks. */
static u8 *op_stream(const struct keyset *ks, const u32 *ids, u32 n)
{
	size_t bytes = 1;
	u32 i;
	u8 *buf, *p;

	for (i = 0; i < n; i++)
		bytes += OP_HDR + ks->len[ids[i]];
	buf = malloc(bytes);
	if (!buf)
		return NULL;
	for (p = buf, i = 0; i < n; i++) {
		u32 id = ids[i];

		memcpy(p, &id, sizeof(id));
		p[4] = ks->len[id];
		memcpy(p + OP_HDR, ks->data + ks->off[id], ks->len[id]);
		p += OP_HDR + ks->len[id];
	}
	return buf;
}

static int keyset_alloc(struct keyset *ks, u32 n, size_t bytes)
{
	ks->n = n;
	ks->data = malloc(bytes);
	ks->off = malloc(sizeof(*ks->off) * n);
	ks->len = malloc(sizeof(*ks->len) * n);
	ks->put_order = malloc(sizeof(*ks->put_order) * n);
	return ks->data && ks->off && ks->len && ks->put_order ? 0 : -1;
}

static void keyset_free(struct keyset *ks)
{
	free(ks->data);
	free(ks->off);
	free(ks->len);
	free(ks->put_order);
}

/* Random 8-byte keys, big-endian, put in the order drawn. */
static int rand8_generate(struct keyset *ks, u32 n)
{
	u64 seed = 0x6d617373ULL;	/* "mass" */
	u32 i;

	if (keyset_alloc(ks, n, (size_t)n * 8))
		return -1;
	for (i = 0; i < n; i++) {
		__be64 k = cpu_to_be64(splitmix64(&seed));

		memcpy(ks->data + (size_t)i * 8, &k, 8);
		ks->off[i] = i * 8;
		ks->len[i] = 8;
		ks->put_order[i] = i;
	}
	return 0;
}

/*
 * Key i is https://example.com/users/<i / 16>/posts/<m> with m drawn from
 * [0, 16000) and congruent to i mod 16, so keys are distinct and each user
 * has 16 posts. Puts go in a random order.
 */
static int url_generate(struct keyset *ks, u32 n)
{
	static const char prefix[] = "https://example.com/users/";
	u64 seed = 0x75726cULL;		/* "url" */
	size_t used = 0;
	u32 i;

	if (keyset_alloc(ks, n, (size_t)n * URL_KEY_MAX))
		return -1;
	for (i = 0; i < n; i++) {
		char *p = (char *)ks->data + used;
		u32 m = splitmix_below(&seed, 1000) * 16 + i % 16;
		unsigned int len = sizeof(prefix) - 1;

		memcpy(p, prefix, len);
		len += utoa(i / 16, p + len);
		memcpy(p + len, "/posts/", 7);
		len += 7;
		len += utoa(m, p + len);
		ks->off[i] = used;
		ks->len[i] = len;
		ks->put_order[i] = i;
		used += len;
	}
	shuffle_u32(ks->put_order, n, seed);
	return 0;
}

static const struct workload workloads[] = {
	{ "rw1", "masstree", false, NULL, rw1_put, rw1_get, rw1_remove },
	{ "rand8", "masstree-index", true, rand8_generate, index_put, index_get,
	  index_remove, true },
	{ "url", "masstree-index", true, url_generate, index_put, index_get,
	  index_remove },
};

static void plan_free(struct plan *pl)
{
	unsigned int t;

	for (t = 0; t < pl->threads; t++) {
		free(pl->share[t].rw1_gets);
		free(pl->share[t].puts);
		free(pl->share[t].gets);
	}
}

/* Untimed: split the work among @threads threads. */
static int plan_make(struct plan *pl, const struct workload *wl,
		     const struct keyset *ks, u32 nkeys, unsigned int threads)
{
	unsigned int t;

	memset(pl, 0, sizeof(*pl));
	pl->threads = threads;
	pl->nkeys = nkeys;
	for (t = 0; t < threads; t++) {
		struct share *sh = &pl->share[t];
		u32 lo = (u64)nkeys * t / threads;
		u32 hi = (u64)nkeys * (t + 1) / threads;
		u32 *ids;

		sh->n = hi - lo;
		if (!wl->index) {
			sh->seed = RW1_FIRST_SEED + t;
			sh->rw1_gets = rw1_get_order(sh->seed, sh->n);
			if (!sh->rw1_gets)
				goto nomem;
			continue;
		}
		sh->puts = op_stream(ks, ks->put_order + lo, sh->n);
		ids = malloc(sizeof(*ids) * (sh->n ? sh->n : 1));
		if (!ids || !sh->puts)
			goto nomem;
		memcpy(ids, ks->put_order + lo, sizeof(*ids) * sh->n);
		shuffle_u32(ids, sh->n, 0x676574ULL + t);	/* "get" */
		sh->gets = op_stream(ks, ids, sh->n);
		free(ids);
		if (!sh->gets)
			goto nomem;
	}
	return 0;
nomem:
	plan_free(pl);
	return -1;
}

/*
 * The runtime's RCU is QSBR (see the shim's rcupdate.h): a thread that
 * waits for the others goes offline, or no grace period could end.
 */
static void bench_wait(pthread_barrier_t *barrier)
{
	bool was_online = shim_rcu_offline();

	pthread_barrier_wait(barrier);
	shim_rcu_online(was_online);
}

static void bench_join(pthread_t thread)
{
	bool was_online = shim_rcu_offline();

	pthread_join(thread, NULL);
	shim_rcu_online(was_online);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	unsigned int c;

	rcu_register_thread();
	bench_wait(&r->barrier);
	w->put_ns[0] = now_ns();
	r->wl->put(w);
	w->put_ns[1] = now_ns();
	bench_wait(&r->barrier);	/* puts done */
	bench_wait(&r->barrier);	/* tree measured */
	w->get_ns[0] = now_ns();
	r->wl->get(w);
	w->get_ns[1] = now_ns();
	for (c = 0; r->wl->scan && c < NR_SCAN_CONFS; c++) {
		bench_wait(&r->barrier);
		w->scan_ns[c][0] = now_ns();
		index_scan(w, c, r->threads);
		w->scan_ns[c][1] = now_ns();
	}
	if (r->wl->index) {
		bench_wait(&r->barrier);
		index_churn(w);
	}
	bench_wait(&r->barrier);	/* removes may start */
	w->rm_ns[0] = now_ns();
	r->wl->remove(w);
	w->rm_ns[1] = now_ns();
	bench_values_flush();
	rcu_unregister_thread();
	return NULL;
}

/*
 * Operations per microsecond over the span from the first thread's start
 * to the last one's end; with -c, over the longest thread's CPU time.
 */
enum phase { PHASE_PUT, PHASE_GET, PHASE_REMOVE };

static double phase_mops(const struct run *r, enum phase phase)
{
	u64 start = ~0ULL, end = 0, span = 0, ops = 0;
	unsigned int t;

	for (t = 0; t < r->threads; t++) {
		const struct worker *w = &r->workers[t];
		const u64 *ns = phase == PHASE_PUT ? w->put_ns :
				phase == PHASE_GET ? w->get_ns : w->rm_ns;

		start = min(start, ns[0]);
		end = max(end, ns[1]);
		span = max(span, ns[1] - ns[0]);
		ops += w->sh->n;
	}
	if (!cpu_time)
		span = end > start ? end - start : 0;
	return span ? (double)ops * 1000.0 / span : 0;
}

/*
 * Operations per microsecond of one half of the churn (0: removes, 1:
 * puts): each thread's ops over the time it spent in that half, which is
 * wall-clock time, or CPU time with -c, as the thread ran it in steps.
 */
static double churn_mops(const struct run *r, unsigned int half)
{
	u64 span = 0, ops = 0;
	unsigned int t;

	for (t = 0; t < r->threads; t++) {
		span = max(span, r->workers[t].churn_ns[half]);
		ops += r->workers[t].sh->n;
	}
	return span ? (double)ops * 1000.0 / span : 0;
}

/* Keys per microsecond of scan measurement @c, as phase_mops(). */
static double scan_mops(const struct run *r, unsigned int c)
{
	u64 start = ~0ULL, end = 0, span = 0, keys = 0;
	unsigned int t;

	for (t = 0; t < r->threads; t++) {
		const struct worker *w = &r->workers[t];

		start = min(start, w->scan_ns[c][0]);
		end = max(end, w->scan_ns[c][1]);
		span = max(span, w->scan_ns[c][1] - w->scan_ns[c][0]);
		keys += w->scan_keys[c];
	}
	if (!cpu_time)
		span = end > start ? end - start : 0;
	return span ? (double)keys * 1000.0 / span : 0;
}

/* One measurement: a fresh tree, the plan's threads putting then getting. */
static int run_once(const struct workload *wl, const struct plan *pl,
		    bool validate, struct result *res)
{
	struct run *r = aligned_alloc(64, ALIGN(sizeof(*r), 64));
	unsigned int t;
	int err = -1;

	if (!r)
		return -1;
	memset(r, 0, sizeof(*r));
	r->wl = wl;
	r->threads = pl->threads;
	r->validate = validate;
	if (masstree_init(&r->mt, wl->index ? MASSTREE_FLAGS_INDEX : 0,
			  wl->index ? NULL : bench_value_release, GFP_KERNEL))
		goto out_free;
	r->new_bytes = masstree_bytes(&r->mt);
	pthread_barrier_init(&r->barrier, NULL, r->threads + 1);
	for (t = 0; t < r->threads; t++) {
		r->workers[t].run = r;
		r->workers[t].sh = &pl->share[t];
		if (pthread_create(&r->workers[t].thread, NULL, worker_main,
				   &r->workers[t])) {
			fprintf(stderr, "bench: cannot create threads\n");
			exit(1);
		}
	}

	bench_wait(&r->barrier);	/* go */
	bench_wait(&r->barrier);	/* puts done */
	r->count = masstree_count(&r->mt);
	r->bytes = masstree_bytes(&r->mt);
	r->valid = r->validate ? masstree_validate(&r->mt) : 0;
	bench_wait(&r->barrier);	/* gets may start */
	for (t = 0; wl->scan && t < NR_SCAN_CONFS; t++)
		bench_wait(&r->barrier);	/* each scan measurement */
	if (wl->index)
		bench_wait(&r->barrier);	/* churn */
	bench_wait(&r->barrier);	/* removes may start */
	for (t = 0; t < r->threads; t++)
		bench_join(r->workers[t].thread);
	/* Removed emptied leaves and layers are freed after a grace period. */
	masstree_reclaim_flush();
	r->left_count = masstree_count(&r->mt);
	r->left_bytes = masstree_bytes(&r->mt);
	r->left_valid = r->validate ? masstree_validate(&r->mt) : 0;

	memset(res, 0, sizeof(*res));
	res->put_mops = phase_mops(r, PHASE_PUT);
	res->get_mops = phase_mops(r, PHASE_GET);
	res->rm_mops = phase_mops(r, PHASE_REMOVE);
	res->churn_rm_mops = churn_mops(r, 0);
	res->churn_put_mops = churn_mops(r, 1);
	res->left_bytes = r->left_bytes;
	res->new_bytes = r->new_bytes;
	for (t = 0; wl->scan && t < NR_SCAN_CONFS; t++)
		res->scan_mops[t] = scan_mops(r, t);
	res->count = r->count;
	res->bytes_per_key = r->count ? (double)r->bytes / r->count : 0;
	res->valid = r->valid ? r->valid : r->left_valid;
	if (r->left_count)
		res->errors++;
	for (t = 0; t < r->threads; t++)
		res->errors += r->workers[t].errors;
	/* Untimed: free the tree and, through RCU, the values. */
	masstree_destroy(&r->mt);
	bench_values_flush();
	masstree_reclaim_flush();
	pthread_barrier_destroy(&r->barrier);
	err = 0;
out_free:
	free(r);
	return err;
}

/* -- output ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int mkdir_p(const char *path)
{
	char buf[4096];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0777);
		*p = '/';
	}
	return 0;
}

static void csv_row(FILE *csv, const struct workload *wl, const char *op,
		    unsigned int threads, u32 nkeys, double mops,
		    const double *bytes_per_key)
{
	if (!csv)
		return;
	fprintf(csv, "%s,%s,%s,%u,%u,%.4f,%.1f,", wl->structure, wl->name, op,
		threads, nkeys, mops, mops > 0 ? threads * 1000.0 / mops : 0);
	if (bytes_per_key)
		fprintf(csv, "%.2f", *bytes_per_key);
	fprintf(csv, "\n");
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n keys] [-w rw1,rand8,url] [-t 1,2] [-r reps] [-o csv] [-g us] [-s] [-c]\n"
		"  -n  keys per workload, split among the threads (default 1000000)\n"
		"  -w  workloads to run (default all)\n"
		"  -t  thread counts (default 1,2)\n"
		"  -r  repetitions; the median is reported (default 3)\n"
		"  -o  CSV output (default build/bench/userspace.csv; '-' for none)\n"
		"  -g  shortest grace period, in microseconds (default 1000; 0: liburcu's)\n"
		"  -s  skip validating every tree after its puts (untimed)\n"
		"  -c  time by thread CPU time instead of the wall clock\n",
		prog);
	exit(2);
}

static unsigned int parse_list(const char *s, unsigned int *out,
			       unsigned int max)
{
	unsigned int n = 0;

	while (*s && n < max) {
		char *end;

		out[n++] = strtoul(s, &end, 0);
		if (*end != ',' && *end)
			return 0;
		s = *end ? end + 1 : end;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *csv_path = "build/bench/userspace.csv";
	const char *wanted = "rw1,rand8,url";
	unsigned int threads[BENCH_MAX_THREADS] = { 1, 2 };
	unsigned int nthreads = 2, reps = 3, i, t, rep;
	bool validate = true;
	unsigned long failures = 0;
	unsigned int min_grace_us = 1000;
	u32 nkeys = 1000000;
	FILE *csv = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:w:t:r:o:g:sch")) != -1) {
		switch (opt) {
		case 'n':
			nkeys = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			wanted = optarg;
			break;
		case 't':
			nthreads = parse_list(optarg, threads, BENCH_MAX_THREADS);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			csv_path = optarg;
			break;
		case 'g':
			min_grace_us = strtoul(optarg, NULL, 0);
			break;
		case 's':
			validate = false;
			break;
		case 'c':
			cpu_time = true;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (!nkeys || !nthreads || !reps || reps > BENCH_MAX_REPS)
		print_usage(argv[0]);
	for (t = 0; t < nthreads; t++)
		if (!threads[t] || threads[t] > BENCH_MAX_THREADS)
			print_usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	shim_rcu_set_min_grace(min_grace_us);
	rcu_register_thread();
	if (shim_module_init()) {
		fprintf(stderr, "bench: module init failed\n");
		return 1;
	}
	if (strcmp(csv_path, "-")) {
		mkdir_p(csv_path);
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 1;
		}
		fprintf(csv, "structure,workload,op,threads,keys,mops,ns_per_op,bytes_per_key\n");
	}

	printf("%-15s %-6s %3s %8s | %9s %8s | %9s %8s | %8s\n",
	       "structure", "work", "thr", "keys", "put Mops", "ns/op",
	       "get Mops", "ns/op", "B/key");
	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *wl = &workloads[i];
		struct keyset ks = {};

		if (!strstr(wanted, wl->name))
			continue;
		if (wl->generate && wl->generate(&ks, nkeys)) {
			fprintf(stderr, "bench: out of memory\n");
			return 1;
		}
		for (t = 0; t < nthreads; t++) {
			double put[BENCH_MAX_REPS], get[BENCH_MAX_REPS];
			double rm[BENCH_MAX_REPS], rm_per_put[BENCH_MAX_REPS], left;
			double churn_rm[BENCH_MAX_REPS], churn_put[BENCH_MAX_REPS];
			double churn_ratio[BENCH_MAX_REPS];
			double scan[NR_SCAN_CONFS][BENCH_MAX_REPS];
			unsigned int c;
			double put_mops, get_mops;
			struct result res;
			struct plan pl;

			if (plan_make(&pl, wl, &ks, nkeys, threads[t])) {
				fprintf(stderr, "bench: out of memory\n");
				return 1;
			}
			for (rep = 0; rep < reps; rep++) {
				if (run_once(wl, &pl, validate, &res)) {
					fprintf(stderr, "bench: masstree_init failed\n");
					return 1;
				}
				put[rep] = res.put_mops;
				get[rep] = res.get_mops;
				rm[rep] = res.rm_mops;
				churn_rm[rep] = res.churn_rm_mops;
				churn_put[rep] = res.churn_put_mops;
				churn_ratio[rep] = churn_put[rep] > 0 ?
					churn_rm[rep] / churn_put[rep] : 0;
				for (c = 0; c < NR_SCAN_CONFS; c++)
					scan[c][rep] = res.scan_mops[c];
				if (res.left_bytes != res.new_bytes) {
					fprintf(stderr,
						"bench: %s: emptied tree holds %lu bytes, a new one %lu\n",
						wl->name, res.left_bytes, res.new_bytes);
					failures++;
				}
				if (res.errors || res.valid ||
				    (wl->index && res.count != nkeys)) {
					fprintf(stderr,
						"bench: %s, %u threads: %lu errors, %lu keys of %u, validator: %s\n",
						wl->name, threads[t], res.errors,
						res.count, nkeys,
						masstree_invalid_name(res.valid));
					failures++;
				}
			}
			/* Paired in each repetition: less noise than two medians. */
			for (rep = 0; rep < reps; rep++)
				rm_per_put[rep] = put[rep] > 0 ? rm[rep] / put[rep] : 0;
			put_mops = median(put, reps);
			get_mops = median(get, reps);
			printf("%-15s %-6s %3u %8u | %9.3f %8.1f | %9.3f %8.1f | %8.2f\n",
			       wl->structure, wl->name, threads[t], nkeys,
			       put_mops, threads[t] * 1000.0 / put_mops,
			       get_mops, threads[t] * 1000.0 / get_mops,
			       res.bytes_per_key);
			csv_row(csv, wl, "put", threads[t], nkeys, put_mops,
				&res.bytes_per_key);
			csv_row(csv, wl, "get", threads[t], nkeys, get_mops, NULL);
			/* Remove rows: bytes per key the emptied tree still holds. */
			left = (double)res.left_bytes / nkeys;
			printf("%-15s %-6s %3u %8u | remove %7.3f Mops/s %6.1f ns/op, %.2fx put | emptied: %lu bytes (new tree: %lu)\n",
			       wl->structure, wl->name, threads[t], nkeys,
			       median(rm, reps),
			       threads[t] * 1000.0 / median(rm, reps),
			       median(rm_per_put, reps),
			       res.left_bytes, res.new_bytes);
			csv_row(csv, wl, "remove", threads[t], nkeys, median(rm, reps),
				&left);
			if (wl->index) {
				double crm = median(churn_rm, reps);
				double cput = median(churn_put, reps);

				printf("%-15s %-6s %3u %8u | churn: remove %7.3f Mops/s %6.1f ns/op, put %7.3f Mops/s %6.1f ns/op, remove %.2fx put\n",
				       wl->structure, wl->name, threads[t], nkeys,
				       crm, threads[t] * 1000.0 / crm,
				       cput, threads[t] * 1000.0 / cput,
				       median(churn_ratio, reps));
				csv_row(csv, wl, "churn-remove", threads[t], nkeys,
					crm, NULL);
				csv_row(csv, wl, "churn-put", threads[t], nkeys,
					cput, NULL);
			}
			for (c = 0; wl->scan && c < NR_SCAN_CONFS / 2; c++) {
				const unsigned int rc = c + NR_SCAN_CONFS / 2;
				double fwd = median(scan[c], reps);
				double rev = median(scan[rc], reps);

				printf("%-15s %-6s %3u %8u |   scan %4u: %7.2f Mkeys/s %6.1f ns/key | reverse: %7.2f Mkeys/s %6.1f ns/key\n",
				       wl->structure, wl->name, threads[t], nkeys,
				       scan_confs[c].len, fwd,
				       threads[t] * 1000.0 / fwd, rev,
				       threads[t] * 1000.0 / rev);
				csv_row(csv, wl, scan_confs[c].op, threads[t],
					nkeys, fwd, NULL);
				csv_row(csv, wl, scan_confs[rc].op, threads[t],
					nkeys, rev, NULL);
			}
			plan_free(&pl);
		}
		keyset_free(&ks);
	}
	if (csv)
		fclose(csv);
	shim_module_exit();
	rcu_unregister_thread();
	if (shim_warnings())
		fprintf(stderr, "bench: %ld WARNs raised\n", shim_warnings());
	if (failures || shim_warnings()) {
		fprintf(stderr, "bench: FAILED (%lu bad runs)\n", failures);
		return 1;
	}
	if (csv)
		printf("CSV: %s\n", csv_path);
	return 0;
}
