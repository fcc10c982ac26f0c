#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernel.sh - print the path of Debian's stock kernel image that
# matches the installed headers (linux-headers-6.1.0-NN-amd64), fetching it
# once into $MASSTREE_CACHE/stock (default /var/cache/masstree/stock).
#
# The package is downloaded with `apt-get download` and unpacked with
# `dpkg-deb` (only its ./boot): nothing is installed on the host. Concurrent callers
# serialise on a lock file. Override the release with KREL=6.1.0-NN-amd64.
set -eu

cache=${MASSTREE_CACHE:-/var/cache/masstree}/stock
if [ -z "${KREL:-}" ]; then
	# newest installed headers flavour, e.g. 6.1.0-56-amd64
	KREL=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -1)
fi
[ -n "$KREL" ] || {
	echo "stock-kernel: no /usr/src/linux-headers-*-amd64 (make deps)" >&2
	exit 2
}

dir=$cache/$KREL
img=$dir/boot/vmlinuz-$KREL
mkdir -p "$cache"
(
	flock 9
	[ -f "$dir/.done" ] && [ -f "$img" ] && exit 0
	tmp=$(mktemp -d "$cache/.dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	ok=
	# The signed image is the usual package; the -unsigned one has the
	# same kernel and is a fallback when the signed one is unavailable.
	# A fresh machine may have no package lists yet: update once, retry.
	for try in 1 2; do
		if [ $try = 2 ]; then
			apt-get update -qq >&2 || true
		fi
		for pkg in "linux-image-$KREL" "linux-image-$KREL-unsigned"; do
			if (cd "$tmp" && apt-get -o APT::Sandbox::User=root \
				download "$pkg" >&2); then
				ok=$pkg
				break 2
			fi
			echo "stock-kernel: apt-get download $pkg failed" >&2
		done
	done
	[ -n "$ok" ] || {
		echo "stock-kernel: could not download linux-image-$KREL" \
			"(not in the configured archives?)" >&2
		exit 1
	}
	rm -rf "$dir"
	mkdir -p "$tmp/x"
	# Only ./boot (vmlinuz, config, System.map): the image's ~400 MB of
	# modules are not needed to boot with an initramfs.
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" ./boot
	[ -f "$tmp/x/boot/vmlinuz-$KREL" ] || {
		echo "stock-kernel: $ok holds no boot/vmlinuz-$KREL" >&2
		exit 1
	}
	mv "$tmp/x" "$dir"
	touch "$dir/.done"
	echo "stock-kernel: unpacked $ok into $dir" >&2
) 9>"$cache/.lock"
echo "$img"
