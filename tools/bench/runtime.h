/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark's runtime (runtime.c) offers beyond the shim's
 * kernel interfaces: its allocation count (the rest is in
 * tools/testing/shim_runtime.h).
 */
#ifndef _MASSTREE_BENCH_RUNTIME_H
#define _MASSTREE_BENCH_RUNTIME_H

#include "../testing/shim_runtime.h"

/* kmalloc()s and slab objects allocated so far. */
long bench_allocations(void);

#endif
