// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's out-of-line parts for the benchmark: what the tree core
 * links against, with nothing that would distort timing. Unlike the test
 * harness (tools/testing/harness.c) it does no poisoning, no failure
 * injection and no per-allocation header: kmalloc() is malloc(), a slab
 * cache is aligned_alloc() of its rounded size. Allocations are counted
 * (one relaxed atomic add each). The rest of the shim's runtime is shared
 * with the harness (tools/testing/shim_runtime.c).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/align.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <asm/processor.h>
#include "runtime.h"

static long allocations;

long bench_allocations(void)
{
	return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}

static void *bench_alloc(size_t size, size_t align, gfp_t gfp)
{
	void *p;

	/*
	 * Not malloc() and a memset() on __GFP_ZERO: the compiler merges
	 * those into calloc(), which glibc serves without its thread cache.
	 */
	if (align > 16)
		p = aligned_alloc(align, ALIGN(size, align));
	else if (gfp & __GFP_ZERO)
		p = calloc(1, size);
	else
		p = malloc(size);
	if (!p)
		return NULL;
	if (align > 16 && gfp & __GFP_ZERO)
		memset(p, 0, size);
	__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return p;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return bench_alloc(size, 16, gfp);
}

void kfree(const void *p)
{
	free((void *)p);
}

size_t ksize(const void *p)
{
	return malloc_usable_size((void *)p);
}

void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	void *n = realloc((void *)p, size);

	if (n && !p)
		__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return n;
}

/*
 * Slab caches as the kernel's SLUB serves them: objects carved from 2 MiB
 * chunks (transparent huge pages where the system allows, as the kernel's
 * direct map is mapped with huge pages), a per-thread free list and bump
 * region in front, and a shared list of batches behind it. No locking on
 * the fast paths. BENCH_SLAB=malloc in the environment turns it off:
 * every object is then an aligned_alloc().
 */
#define SLAB_CHUNK		(2UL << 20)
#define SLAB_BATCH		256
#define SLAB_MAX_CACHES		8

struct kmem_cache {
	const char *name;
	unsigned int size;
	unsigned int align;
	unsigned int id;
	pthread_mutex_t lock;
	void *batches;		/* free objects: batches chained by word 1 */
};

/* One thread's objects of one cache. Free objects chain through word 0. */
struct slab_local {
	void *free;
	unsigned int nfree;
	char *bump;
	char *end;
};

static struct kmem_cache *slab_caches[SLAB_MAX_CACHES];
static unsigned int slab_nr_caches;
static bool slab_use_malloc;
static pthread_key_t slab_key;
static __thread struct slab_local slab_local[SLAB_MAX_CACHES];

/* Give a batch of free objects to the cache's shared list. */
static void slab_push_batch(struct kmem_cache *c, void *head)
{
	pthread_mutex_lock(&c->lock);
	((void **)head)[1] = c->batches;
	c->batches = head;
	pthread_mutex_unlock(&c->lock);
}

/* At thread exit: what the thread holds goes back to the caches. */
static void slab_thread_exit(void *unused)
{
	unsigned int i;

	for (i = 0; i < slab_nr_caches; i++) {
		struct kmem_cache *c = slab_caches[i];
		struct slab_local *l = &slab_local[i];

		while (l->bump && l->bump + c->size <= l->end) {
			*(void **)l->bump = l->free;
			l->free = l->bump;
			l->bump += c->size;
		}
		if (l->free)
			slab_push_batch(c, l->free);
		memset(l, 0, sizeof(*l));
	}
}

static void slab_setup(void)
{
	const char *env = getenv("BENCH_SLAB");

	slab_use_malloc = env && !strcmp(env, "malloc");
	pthread_key_create(&slab_key, slab_thread_exit);
}

static void *slab_refill(struct kmem_cache *c, struct slab_local *l)
{
	void *p;

	pthread_setspecific(slab_key, &slab_key);
	pthread_mutex_lock(&c->lock);
	p = c->batches;
	if (p)
		c->batches = ((void **)p)[1];
	pthread_mutex_unlock(&c->lock);
	if (p) {
		l->free = *(void **)p;
		l->nfree = SLAB_BATCH - 1;	/* an estimate is enough */
		return p;
	}
	if (!l->bump || l->bump + c->size > l->end) {
		char *chunk = aligned_alloc(SLAB_CHUNK, SLAB_CHUNK);

		if (!chunk)
			return NULL;
		madvise(chunk, SLAB_CHUNK, MADV_HUGEPAGE);
		l->bump = chunk;
		l->end = chunk + SLAB_CHUNK;
	}
	p = l->bump;
	l->bump += c->size;
	return p;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct kmem_cache *c;

	pthread_once(&once, slab_setup);
	if (slab_nr_caches == SLAB_MAX_CACHES)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = name;
	c->align = align;
	if (flags & SLAB_HWCACHE_ALIGN && c->align < 64)
		c->align = 64;
	if (c->align < 16)
		c->align = 16;
	c->size = ALIGN(size, c->align);
	pthread_mutex_init(&c->lock, NULL);
	c->id = slab_nr_caches;
	slab_caches[slab_nr_caches++] = c;
	return c;
}

/* Chunks are not given back: the benchmark's caches live until it exits. */
void kmem_cache_destroy(struct kmem_cache *c)
{
}

unsigned int kmem_cache_size(struct kmem_cache *c)
{
	return c->size;
}

void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	struct slab_local *l = &slab_local[c->id];
	void *p;

	if (slab_use_malloc)
		return bench_alloc(c->size, c->align, gfp);
	p = l->free;
	if (likely(p)) {
		l->free = *(void **)p;
		l->nfree--;
	} else {
		p = slab_refill(c, l);
		if (!p)
			return NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(p, 0, c->size);
	__atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
	return p;
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	struct slab_local *l = &slab_local[c->id];

	if (slab_use_malloc || !p) {
		free(p);
		return;
	}
	*(void **)p = l->free;
	l->free = p;
	if (++l->nfree >= 2 * SLAB_BATCH) {
		/* Keep SLAB_BATCH; the rest, a whole chain, goes shared. */
		void **q = p;
		unsigned int i;

		pthread_setspecific(slab_key, &slab_key);
		for (i = 1; i < SLAB_BATCH; i++)
			q = *q;
		slab_push_batch(c, *q);
		*q = NULL;
		l->nfree = SLAB_BATCH;
	}
}

/* Deterministic per thread: the benchmark's runs repeat exactly. */
u32 get_random_u32(void)
{
	static __thread u64 state = 0x9e3779b97f4a7c15ULL;

	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state >> 16;
}
