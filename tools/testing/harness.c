// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace harness: runs the KUnit suites of kunit/ natively, and
 * implements the shim's out-of-line parts (slab, kthreads, completions,
 * the sleep and warning checks).
 *
 * After every case it checks that no WARN fired, no RCU read section or
 * node lock was left held, and at the end, after rcu_barrier(), that every
 * allocation was freed. It prints KUnit-style results and a closing line
 * "N passed, N failed".
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <asm/processor.h>
#include <kunit/test.h>
#include "harness.h"
#include "shim_runtime.h"

unsigned int harness_scale = 1;

static long live_allocations;
static long live_bytes;
static __thread unsigned int fail_nth;
static __thread long nonblocking_budget = -1;

/* -- allocation ------------------------------------------------------- */

void harness_fail_nth(unsigned int n)
{
	fail_nth = n;
}

void harness_nonblocking_budget(long budget)
{
	nonblocking_budget = budget;
}

long harness_live_allocations(void)
{
	return __atomic_load_n(&live_allocations, __ATOMIC_RELAXED);
}

long harness_live_bytes(void)
{
	return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}

static bool should_fail(gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	if (fail_nth && --fail_nth == 0)
		return true;
	if (!gfpflags_allow_blocking(gfp) && nonblocking_budget >= 0) {
		if (!nonblocking_budget)
			return true;
		nonblocking_budget--;
	}
	return false;
}

/* Every allocation carries its size in front, for ksize() and accounting. */
struct alloc_header {
	size_t size;
	size_t pad;	/* keeps the payload 16-byte aligned */
};

static void *shim_alloc(size_t size, size_t align, gfp_t gfp)
{
	struct alloc_header *h;
	size_t hdr = align > sizeof(*h) ? align : sizeof(*h);
	char *p;

	if (should_fail(gfp))
		return NULL;
	if (posix_memalign((void **)&p, align < 16 ? 16 : align, hdr + size))
		return NULL;
	h = (struct alloc_header *)(p + hdr) - 1;
	h->size = size;
	h->pad = hdr;
	if (gfp & __GFP_ZERO)
		memset(p + hdr, 0, size);
	else
		memset(p + hdr, 0xa5, size);	/* uninitialised is not zero */
	__atomic_add_fetch(&live_allocations, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&live_bytes, size, __ATOMIC_RELAXED);
	return p + hdr;
}

static void shim_free(const void *p)
{
	struct alloc_header *h;

	if (!p)
		return;
	h = (struct alloc_header *)p - 1;
	__atomic_sub_fetch(&live_allocations, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&live_bytes, h->size, __ATOMIC_RELAXED);
	memset((void *)p, 0x6b, h->size);	/* POISON_FREE */
	free((char *)p - h->pad);
}

size_t ksize(const void *p)
{
	return ((const struct alloc_header *)p - 1)->size;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, 16, gfp);
}

void kfree(const void *p)
{
	shim_free(p);
}

void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	void *n = kmalloc(size, gfp);

	if (n && p) {
		memcpy(n, p, min(size, ksize(p)));
		kfree(p);
	}
	return n;
}

struct kmem_cache {
	const char *name;
	unsigned int size;
	unsigned int align;
	long objects;
};

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->name = name;
	c->align = align;
	if (flags & SLAB_HWCACHE_ALIGN && c->align < 64)
		c->align = 64;
	if (!c->align)
		c->align = 8;
	c->size = (size + c->align - 1) / c->align * c->align;
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return;
	if (c->objects)
		fprintf(stderr, "BUG: %s %s: %ld objects remaining\n",
			__func__, c->name, c->objects), abort();
	free(c);
}

unsigned int kmem_cache_size(struct kmem_cache *c)
{
	return c->size;
}

void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	void *p = shim_alloc(c->size, c->align, gfp);

	if (p)
		__atomic_add_fetch(&c->objects, 1, __ATOMIC_RELAXED);
	return p;
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&c->objects, 1, __ATOMIC_RELAXED);
	shim_free(p);
}

/* -- time, randomness, threads -------------------------------------- */

u32 get_random_u32(void)
{
	static __thread u64 state;

	if (!state)
		state = (u64)pthread_self() ^ shim_jiffies() ^ 0x9e3779b97f4a7c15ULL;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state >> 16;
}

void init_completion(struct completion *c)
{
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->done = 0;
}

void complete(struct completion *c)
{
	pthread_mutex_lock(&c->lock);
	c->done++;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void complete_all(struct completion *c)
{
	pthread_mutex_lock(&c->lock);
	c->done = ~0U / 2;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

unsigned long wait_for_completion_timeout(struct completion *c,
					  unsigned long timeout)
{
	unsigned long end = shim_jiffies() + timeout;
	struct timespec ts;
	unsigned long ret = 0;

	might_sleep();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout / 1000;
	ts.tv_nsec += (timeout % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->done &&
	       pthread_cond_timedwait(&c->cond, &c->lock, &ts) == 0)
		;
	if (c->done) {
		c->done--;
		ret = time_after(end, shim_jiffies()) ? end - shim_jiffies() : 1;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void wait_for_completion(struct completion *c)
{
	might_sleep();
	pthread_mutex_lock(&c->lock);
	while (!c->done)
		pthread_cond_wait(&c->cond, &c->lock);
	c->done--;
	pthread_mutex_unlock(&c->lock);
}

struct task_struct {
	pthread_t thread;
	int (*fn)(void *data);
	void *data;
	int ret;
	bool should_stop;
};

static __thread struct task_struct *current_task;

static void *kthread_main(void *arg)
{
	struct task_struct *t = arg;

	current_task = t;
	rcu_register_thread();
	t->ret = t->fn(t->data);
	rcu_unregister_thread();
	return NULL;
}

/* Like the kernel's: may sleep; the thread runs once woken. */
struct task_struct *kthread_create(int (*fn)(void *data), void *data,
				   const char *namefmt, ...)
{
	struct task_struct *t;

	might_sleep();
	t = calloc(1, sizeof(*t));
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->fn = fn;
	t->data = data;
	return t;
}

int wake_up_process(struct task_struct *t)
{
	if (pthread_create(&t->thread, NULL, kthread_main, t))
		abort();
	return 1;
}

struct task_struct *kthread_run(int (*fn)(void *data), void *data,
				const char *namefmt, ...)
{
	struct task_struct *t = kthread_create(fn, data, namefmt);

	if (!IS_ERR(t))
		wake_up_process(t);
	return t;
}

bool kthread_should_stop(void)
{
	return current_task &&
	       __atomic_load_n(&current_task->should_stop, __ATOMIC_ACQUIRE);
}

int kthread_stop(struct task_struct *t)
{
	int ret;

	__atomic_store_n(&t->should_stop, true, __ATOMIC_RELEASE);
	pthread_join(t->thread, NULL);
	ret = t->ret;
	free(t);
	return ret;
}

/* -- the KUnit runner ------------------------------------------------- */

struct kunit_resource_list {
	struct kunit_resource_list *next;
	void *p;
};

#define MAX_SUITES 64
static struct kunit_suite *suites[MAX_SUITES];
static size_t nr_suites;
static unsigned int passed, failed;

void kunit_shim_register(struct kunit_suite **s, size_t n)
{
	while (n--) {
		if (nr_suites == MAX_SUITES)
			abort();
		suites[nr_suites++] = *s++;
	}
}

void kunit_shim_log(struct kunit *test, const char *level, const char *fmt, ...)
{
	va_list ap;

	printf("    # %s: %s", test->name, level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void kunit_shim_explain(struct kunit *test, const char *file, int line,
			const char *fmt, ...)
{
	va_list ap;

	printf("    # %s: failed at %s:%d\n    ", test->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void kunit_shim_failed(struct kunit *test, bool assert, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	test->status = KUNIT_FAILURE;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (msg[0])
		printf("        %s\n", msg);
	fflush(stdout);
	if (assert)
		longjmp(*test->abort, 1);
}

void kunit_shim_skip(struct kunit *test, const char *reason)
{
	test->status = KUNIT_SKIPPED;
	printf("    # %s: skipped: %s\n", test->name, reason);
	longjmp(*test->abort, 1);
}

void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	struct kunit_resource_list *r = malloc(sizeof(*r));
	void *p = kmalloc(size, gfp);

	if (!r || !p) {
		free(r);
		kfree(p);
		return NULL;
	}
	r->p = p;
	r->next = test->resources;
	test->resources = r;
	return p;
}

void kunit_kfree(struct kunit *test, const void *p)
{
	struct kunit_resource_list **rp;

	for (rp = &test->resources; *rp; rp = &(*rp)->next) {
		if ((*rp)->p == p) {
			struct kunit_resource_list *r = *rp;

			*rp = r->next;
			kfree(r->p);
			free(r);
			return;
		}
	}
}

static void report(unsigned int index, const char *name, const char *indent,
		   bool ok, bool skipped)
{
	printf("%s%s %u - %s%s\n", indent, ok ? "ok" : "not ok", index, name,
	       skipped ? " # SKIP" : "");
	if (!skipped) {
		if (ok)
			passed++;
		else
			failed++;
	}
	fflush(stdout);
}

/* Runs one case (one parameter of it), then checks the harness invariants. */
static bool run_one(struct kunit_suite *suite, struct kunit_case *c,
		    const void *param, bool *skipped)
{
	struct kunit test = { .name = c->name, .param_value = param };
	long warned = shim_warnings();
	jmp_buf abort_env;

	test.abort = &abort_env;
	if (!setjmp(abort_env)) {
		if (suite->init && suite->init(&test))
			test.status = KUNIT_FAILURE;
		else
			c->run_case(&test);
	}
	if (suite->exit)
		suite->exit(&test);
	while (test.resources)
		kunit_kfree(&test, test.resources->p);
	if (shim_preempt_count || shim_rcu_nesting) {
		printf("    # %s: left a node lock or RCU read section held\n",
		       c->name);
		shim_preempt_count = shim_rcu_nesting = 0;
		test.status = KUNIT_FAILURE;
	}
	if (shim_warnings() != warned) {
		printf("    # %s: raised a WARN\n", c->name);
		test.status = KUNIT_FAILURE;
	}
	fail_nth = 0;
	nonblocking_budget = -1;
	*skipped = test.status == KUNIT_SKIPPED;
	return test.status != KUNIT_FAILURE;
}

static bool run_case(struct kunit_suite *suite, struct kunit_case *c)
{
	char desc[KUNIT_PARAM_DESC_SIZE];
	const void *param = NULL;
	unsigned int n = 0;
	bool ok = true, skipped;

	if (!c->generate_params) {
		ok = run_one(suite, c, NULL, &skipped);
		return ok;
	}
	printf("    # Subtest: %s\n", c->name);
	while ((desc[0] = 0, param = c->generate_params(param, desc))) {
		bool one = run_one(suite, c, param, &skipped);

		report(++n, desc[0] ? desc : c->name, "        ", one, skipped);
		ok &= one;
	}
	return ok;
}

int main(int argc, char **argv)
{
	const char *filter = "*";
	unsigned int s, suite_failed_before;
	int opt;

	while ((opt = getopt(argc, argv, "s:f:")) != -1) {
		if (opt == 's')
			harness_scale = strtoul(optarg, NULL, 0);
		else if (opt == 'f')
			filter = optarg;
		else {
			fprintf(stderr, "usage: %s [-s scale] [-f suite-glob]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rcu_register_thread();
	if (shim_module_init()) {
		printf("module init failed\n0 passed, 1 failed\n");
		return 1;
	}
	for (s = 0; s < nr_suites; s++) {
		struct kunit_suite *suite = suites[s];
		struct kunit_case *c;
		unsigned int n = 0;

		if (fnmatch(filter, suite->name, 0))
			continue;
		printf("    # Subtest: %s\n", suite->name);
		suite_failed_before = failed;
		if (suite->suite_init && suite->suite_init(suite)) {
			report(s + 1, suite->name, "", false, false);
			continue;
		}
		for (c = suite->test_cases; c->run_case; c++) {
			bool skipped = false;
			bool ok = run_case(suite, c);

			if (c->generate_params)
				printf("    %s %u - %s\n", ok ? "ok" : "not ok",
				       ++n, c->name);
			else
				report(++n, c->name, "    ", ok, skipped);
		}
		if (suite->suite_exit)
			suite->suite_exit(suite);
		printf("%s %u - %s\n", failed == suite_failed_before ? "ok" : "not ok",
		       s + 1, suite->name);
	}
	/* Module exit waits for RCU itself; the leak check then sees all. */
	shim_module_exit();
	rcu_barrier();
	if (harness_live_allocations()) {
		printf("# leak check: %ld allocations (%ld bytes) never freed\n",
		       harness_live_allocations(), harness_live_bytes());
		report(nr_suites + 1, "no_leaks", "", false, false);
	} else {
		report(nr_suites + 1, "no_leaks", "", true, false);
	}
	rcu_unregister_thread();
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
