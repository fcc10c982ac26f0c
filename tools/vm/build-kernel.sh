#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh FLAVOR - build (once) the test kernel FLAVOR (debug|race)
# from Debian's linux-source-6.1 and print its build directory.
#
# Kernels are cached outside the checkout, under $MASSTREE_CACHE
# (default /var/cache/masstree), keyed by the source package version, the
# compiler and a hash of the config fragments, so every clone on the machine
# shares them and a fragment change builds a new one. An interrupted build
# resumes incrementally. Concurrent callers serialise on a lock file.
set -eu

flavor=${1:?usage: build-kernel.sh debug|race}
here=$(cd "$(dirname "$0")" && pwd)
cache=${MASSTREE_CACHE:-/var/cache/masstree}
jobs=${JOBS:-$(($(nproc) + 1))}
base=$here/configs/base.config
frag=$here/configs/$flavor.config
[ -f "$frag" ] || { echo "build-kernel: no fragment $frag" >&2; exit 2; }

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (make deps)" >&2; exit 2; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$( (cat "$base" "$frag"; echo "$srcver"; gcc --version | head -1) |
	sha256sum | cut -c1-12)

mkdir -p "$cache/src" "$cache/kernels"
src=$cache/src/linux-source-$srcver
(
	flock 9
	if [ ! -f "$src/.extracted" ]; then
		echo "build-kernel: extracting $tarball" >&2
		rm -rf "$src" && mkdir -p "$src.tmp"
		tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
		mv "$src.tmp" "$src"
		touch "$src/.extracted"
	fi
) 9>"$cache/src/.lock"

out=$cache/kernels/$flavor-$srcver-$key
mkdir -p "$out"
(
	flock 9
	if [ ! -f "$out/.done" ]; then
		echo "build-kernel: building the $flavor kernel in $out (-j$jobs)" >&2
		start=$(date +%s)
		cd "$src"
		python3 tools/testing/kunit/kunit.py build --arch=x86_64 \
			--build_dir="$out" --kunitconfig="$base" \
			--kunitconfig="$frag" --jobs="$jobs" >"$out/build.log" 2>&1 || {
			tail -40 "$out/build.log" >&2
			echo "build-kernel: $flavor kernel build failed" >&2
			exit 1
		}
		echo "build-kernel: $flavor kernel built in $(($(date +%s) - start)) s" >&2
		touch "$out/.done"
	fi
) 9>"$out.lock"
echo "$out"
