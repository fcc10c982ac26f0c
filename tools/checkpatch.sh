#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.sh FILE... - run the kernel's checkpatch.pl (from Debian's
# linux-source-6.1, unpacked once into the shared cache) on each file, one
# result per file; then scripts/kernel-doc over the module's sources and
# headers, one result; then "N passed, N failed".
set -u

cache=${MASSTREE_CACHE:-/var/cache/masstree}/checkpatch
cp=$cache/linux-source-6.1/scripts/checkpatch.pl
if [ ! -f "$cp" ]; then
	mkdir -p "$cache"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$cache" \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/kernel-doc || exit 1
fi
pass=0
fail=0
for f in "$@"; do
	if out=$(perl "$cp" --no-tree --terse --show-types -f "$f" 2>&1) &&
	   ! echo "$out" | grep -qE '(ERROR|WARNING|CHECK):'; then
		pass=$((pass + 1))
	else
		echo "$out"
		echo "not ok - checkpatch $f"
		fail=$((fail + 1))
	fi
done
top=$(cd "$(dirname "$0")/.." && pwd)
kdoc=$(perl "$cache/linux-source-6.1/scripts/kernel-doc" -none \
	"$top"/kmod/*.[ch] "$top"/include/linux/*.h 2>&1)
if [ -z "$kdoc" ]; then
	pass=$((pass + 1))
else
	echo "$kdoc"
	echo "not ok - kernel-doc"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
