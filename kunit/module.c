// SPDX-License-Identifier: GPL-2.0
/*
 * masstree_kunit.ko: the KUnit suites in kunit/. They run when the module
 * loads; the same files also build into the userspace harness.
 */
#include <linux/module.h>
#include "masstree_test.h"

unsigned int masstree_kunit_scale = 1;
module_param_named(scale, masstree_kunit_scale, uint, 0444);
MODULE_PARM_DESC(scale, "Multiply test sizes and stress durations by this");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for masstree");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
