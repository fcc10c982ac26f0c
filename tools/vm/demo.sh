#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows inside the VM, with masstree.ko loaded on Debian's
# stock kernel. (Grows into a /dev/masstree session with the char device.)
set -e
echo "== kernel: $(uname -r)"
echo "== module:"
grep '^masstree ' /proc/modules
echo "== its node caches:"
grep -E '^(# name|masstree_)' /proc/slabinfo
echo "== its messages:"
dmesg | grep -i masstree
