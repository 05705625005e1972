#!/bin/sh
# Run each host unit-test binary; print one closing line with the totals.
passed=0; failed=0
for t in "$@"; do
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "unit: $t FAILED"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
