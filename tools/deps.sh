#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install with apt, on Debian bookworm, exactly the packages the
# make targets need, and only those missing. Waits for the dpkg lock
# rather than failing when another apt runs.
set -eu

packages="
	gcc make libc6-dev perl python3 rsync
	bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
	linux-source-6.1 linux-headers-amd64
	qemu-system-x86 busybox-static
	liburcu-dev sparse dwarves
"

missing=
for p in $packages; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -n "$missing" ] || exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
lock="-o DPkg::Lock::Timeout=900"
echo "deps: installing$missing" >&2
# 'apt-get update' takes the lists lock, which Lock::Timeout does not cover.
tries=0
until $sudo apt-get $lock -q update; do
	tries=$((tries + 1))
	[ $tries -lt 30 ] || exit 1
	echo "deps: apt-get update failed (lock held?), retrying" >&2
	sleep 10
done
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get $lock -q install -y \
	--no-install-recommends $missing
