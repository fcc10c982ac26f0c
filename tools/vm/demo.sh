#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows inside the VM: masstree.ko loaded on Debian's stock
# kernel, and masstree_example.ko, a separate module, putting and getting
# keys through its exported API. (A /dev/masstree session replaces this
# once the char device exists.)
set -e
echo "== kernel: $(uname -r)"
echo "== modules:"
grep -E '^masstree' /proc/modules
echo "== what masstree_example.ko did through the API:"
dmesg | grep -E 'masstree(_example)?:' | sed 's/^\[[ 0-9.]*\] //'
