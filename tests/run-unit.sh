#!/usr/bin/env bash
# Runs every unit-test binary in OUTPUT/tests and adds up their
# "N passed, N failed" lines into one. A sanitizer report (ASan, UBSan,
# LeakSanitizer) fails the run even when the test's own checks pass: UBSan
# stops at the first report, and the output is scanned for any.
set -u
out=${1:?usage: run-unit.sh OUTPUT}
# Ours first, so options the caller set win.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=66${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
sanitizer_report='runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY: UndefinedBehaviorSanitizer'
passed=0 failed=0 broken=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for t in "$out"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log" >&2
	line=$(tail -n 1 "$log")
	# "N passed, N failed", perhaps after the test's name and a colon
	if [[ $line =~ ^([A-Za-z0-9_]+:\ )?([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[2]))
		failed=$((failed + BASH_REMATCH[3]))
	else
		echo "unit: $(basename "$t") printed no count line" >&2
		broken=$((broken + 1))
	fi
	if [ "$rc" -ne 0 ]; then
		echo "unit: $(basename "$t") exited $rc" >&2
		broken=$((broken + 1))
	elif grep -qE "$sanitizer_report" "$log"; then
		echo "unit: $(basename "$t"): sanitizer report" >&2
		broken=$((broken + 1))
	fi
done
echo "unit: $passed passed, $failed failed, $broken broken"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
