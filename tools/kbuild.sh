#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KDIR OUTDIR [make args...] - build the modules against the
# kernel in KDIR, in OUTDIR, so builds for several kernels (stock headers,
# the debug and race test kernels) never share object files. The sources
# are mirrored into OUTDIR with their timestamps, so rebuilds are
# incremental.
set -eu

kdir=${1:?usage: kbuild.sh KDIR OUTDIR [make args]}
out=$(realpath -m "${2:?usage: kbuild.sh KDIR OUTDIR [make args]}")
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)

[ -f "$kdir/Makefile" ] || { echo "kbuild: no kernel build tree at $kdir" >&2; exit 2; }
mkdir -p "$out"
rsync -a --delete --include='*/' --include='*.[ch]' --include=Kbuild \
	--exclude='*' "$top/Kbuild" "$top/kmod" "$top/include" "$top/kunit" "$out/"
mkdir -p "$out/tools"
rsync -a --delete "$top/tools/example" "$out/tools/"
exec make -C "$kdir" M="$out" "$@" modules
