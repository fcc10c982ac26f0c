// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's out-of-line parts for the benchmark: what the tree core
 * links against, with nothing that would distort timing. Unlike the test
 * harness (tools/testing/harness.c) it does no poisoning, no failure
 * injection and no per-allocation header: slab caches and small kmalloc()s
 * are served as SLUB serves them (below), larger kmalloc()s by malloc().
 * Allocations are counted (one relaxed atomic add each). The rest of the
 * shim's runtime is shared with the harness (tools/testing/shim_runtime.c).
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
#define SLAB_MAX_CACHES		32
/* Address space for every chunk, so kfree() can tell slab objects apart. */
#define SLAB_REGION		(32UL << 30)
#define SLAB_NR_CHUNKS		(SLAB_REGION / SLAB_CHUNK)
/* kmalloc() sizes served by the kmalloc-<size> caches, as SLUB's. */
#define KMALLOC_MAX_CACHE_SIZE	8192

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
static bool slab_ready;
static char *slab_region;
static unsigned long slab_region_used;
static u8 slab_chunk_cache[SLAB_NR_CHUNKS];
static const unsigned int kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
static struct kmem_cache *kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)];
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

static struct kmem_cache *slab_cache_new(const char *name, unsigned int size,
					 unsigned int align, unsigned int flags);

static void slab_setup(void)
{
	const char *env = getenv("BENCH_SLAB");
	unsigned int i;
	char *p;

	slab_use_malloc = env && !strcmp(env, "malloc");
	pthread_key_create(&slab_key, slab_thread_exit);
	if (slab_use_malloc)
		return;
	p = mmap(NULL, SLAB_REGION + SLAB_CHUNK, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		slab_use_malloc = true;
		return;
	}
	slab_region = (char *)ALIGN((unsigned long)p, SLAB_CHUNK);
	for (i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		kmalloc_caches[i] = slab_cache_new("kmalloc", kmalloc_sizes[i],
						   16, 0);
}

static void slab_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, slab_setup);
	__atomic_store_n(&slab_ready, true, __ATOMIC_RELEASE);
}

/* A new chunk for @c, carved from the region. */
static char *slab_chunk_new(struct kmem_cache *c)
{
	unsigned long off = __atomic_fetch_add(&slab_region_used, SLAB_CHUNK,
					       __ATOMIC_RELAXED);

	if (off >= SLAB_REGION)
		return NULL;
	slab_chunk_cache[off / SLAB_CHUNK] = c->id;
	madvise(slab_region + off, SLAB_CHUNK, MADV_HUGEPAGE);
	return slab_region + off;
}

/* The cache of a slab object, or NULL for memory from malloc(). */
static struct kmem_cache *slab_cache_of(const void *p)
{
	unsigned long off = (const char *)p - slab_region;

	if (!slab_region || (const char *)p < slab_region || off >= SLAB_REGION)
		return NULL;
	return slab_caches[slab_chunk_cache[off / SLAB_CHUNK]];
}

static void *slab_refill(struct kmem_cache *c, struct slab_local *l)
{
	static __thread bool registered;
	void *p = NULL;

	if (!registered) {
		pthread_setspecific(slab_key, &slab_key);
		registered = true;
	}
	/* A peek first: while a thread only allocates, no lock per object. */
	if (__atomic_load_n(&c->batches, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&c->lock);
		p = c->batches;
		if (p)
			c->batches = ((void **)p)[1];
		pthread_mutex_unlock(&c->lock);
	}
	if (p) {
		l->free = *(void **)p;
		l->nfree = SLAB_BATCH - 1;	/* an estimate is enough */
		return p;
	}
	if (!l->bump || l->bump + c->size > l->end) {
		char *chunk = slab_chunk_new(c);

		if (!chunk)
			return NULL;
		l->bump = chunk;
		l->end = chunk + SLAB_CHUNK;
	}
	p = l->bump;
	l->bump += c->size;
	return p;
}

static struct kmem_cache *slab_cache_new(const char *name, unsigned int size,
					 unsigned int align, unsigned int flags)
{
	struct kmem_cache *c;

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

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	slab_init();
	return slab_cache_new(name, size, align, flags);
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

/*
 * kmalloc() as SLUB serves it: small sizes from kmalloc-<size> caches (the
 * slab caches above), larger ones from malloc().
 */
void *kmalloc(size_t size, gfp_t gfp)
{
	/* kmalloc_sizes[] index of sizes up to 192, by 8-byte steps: SLUB's */
	static const u8 small[24] = {
		0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
		6, 6, 6, 6, 6, 6, 6, 6,
	};
	unsigned int i;

	if (unlikely(!__atomic_load_n(&slab_ready, __ATOMIC_ACQUIRE)))
		slab_init();
	if (slab_use_malloc || size > KMALLOC_MAX_CACHE_SIZE)
		return bench_alloc(size, 16, gfp);
	if (size <= 192)
		i = small[size ? (size - 1) / 8 : 0];
	else
		i = 63 - __builtin_clzl(size - 1);	/* 256: index 7 */
	return kmem_cache_alloc(kmalloc_caches[i], gfp);
}

void kfree(const void *p)
{
	struct kmem_cache *c = slab_cache_of(p);

	if (c)
		kmem_cache_free(c, (void *)p);
	else
		free((void *)p);
}

size_t ksize(const void *p)
{
	struct kmem_cache *c = slab_cache_of(p);

	return c ? c->size : malloc_usable_size((void *)p);
}

void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	size_t old = p ? ksize(p) : 0;
	void *n;

	if (p && size <= old)
		return (void *)p;
	n = kmalloc(size, gfp);
	if (n && p) {
		memcpy(n, p, old);
		kfree(p);
	}
	return n;
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
