#!/usr/bin/env bash
# Runs every unit-test binary in OUTPUT/tests and adds up their
# "N passed, N failed" lines into one.
set -u
out=${1:?usage: run-unit.sh OUTPUT}
passed=0 failed=0 broken=0
for t in "$out"/tests/test_*; do
	[ -x "$t" ] || continue
	line=$("$t" 2>&1 | tee -a /dev/stderr | tail -n 1) # -a: never truncate a log
	rc=${PIPESTATUS[0]}
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	fi
	if [ "$rc" -ne 0 ]; then
		echo "unit: $(basename "$t") exited $rc" >&2
		broken=$((broken + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
