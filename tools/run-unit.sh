#!/bin/sh
# Run each host test binary under a timeout (UNIT_TIMEOUT seconds, default
# 120), so a deadlock fails instead of hanging; print one closing line with
# the totals.
limit=${UNIT_TIMEOUT:-120}
passed=0; failed=0
for t in "$@"; do
	timeout -k 5 "$limit" "$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "unit: $t TIMED OUT after $limit s"
		else
			echo "unit: $t FAILED"
		fi
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
