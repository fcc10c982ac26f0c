#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# record.sh RESULT_FILE LOG_FILE COMMAND... - run COMMAND, show and log its
# output, and record its closing "N passed, N failed" line as
# "<passed> <failed>" in RESULT_FILE. A command that exits non-zero without
# reporting a failure records one more failure, so a crash never passes.
set -u

result=$1
log=$2
shift 2
mkdir -p "$(dirname "$result")" "$(dirname "$log")"
rm -f "$result"
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
passed=0
failed=0
if [ -n "$line" ]; then
	passed=${line%% passed*}
	failed=${line#*, }
	failed=${failed%% failed}
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "$passed $failed" >"$result"
exit "$status"
