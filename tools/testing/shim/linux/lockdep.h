/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: no lockdep; the harness checks sleeping under locks. */
#ifndef _SHIM_LINUX_LOCKDEP_H
#define _SHIM_LINUX_LOCKDEP_H

struct lockdep_map { int unused; };
struct lock_class_key { int unused; };

#define lock_map_acquire(m)		do { } while (0)
#define lock_map_release(m)		do { } while (0)
#define lockdep_init_map(m, n, k, s)	do { } while (0)
#define lockdep_assert_held(l)		do { } while (0)

#endif
