#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-summary.sh RESULTS_DIR TARGET... - add up what every check target
# recorded in RESULTS_DIR/<target>*.result ("<passed> <failed>" each) and
# print the closing line "N passed, N failed". A target that recorded
# nothing crashed before it could: it counts as one failure.
set -eu

dir=$1
shift
total_pass=0
total_fail=0
for t in "$@"; do
	pass=0
	fail=0
	found=
	for f in "$dir/$t".result "$dir/$t"-*.result; do
		[ -f "$f" ] || continue
		found=1
		read -r p q <"$f" || true
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${q:-1}))
	done
	[ -n "$found" ] || fail=1
	printf '  %-14s %5d passed, %d failed\n' "$t" "$pass" "$fail"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
