#!/usr/bin/env bash
# Runs the libFuzzer harnesses built by `make fuzz` over their seed corpora
# (tests/fuzz/corpus/TARGET) and fails if any of them finds a crash, leak,
# UB or timeout. `make test` runs it for a few seconds per target; longer
# runs keep what they find with -k.
#
#   tests/run-fuzz.sh [-t SECONDS] [-o DIR] [-k] [-a LIBFUZZER_ARG]... [TARGET]...
#
#   -t SECONDS  fuzzing time per target (default 15)
#   -o DIR      where the fuzz_TARGET binaries are (default build/fuzz)
#   -k          keep the working corpus in DIR/work/TARGET and reuse it next
#               time (default: a fresh one per run, deleted afterwards)
#   -a ARG      extra libFuzzer argument, e.g. -a -jobs=2 (repeatable)
#   TARGET      config, demangle, elf_symbols, dwarf_index (default: all)
#
# New inputs never go into tests/fuzz/corpus by themselves: to add what a
# long run found, merge the inputs that reach new code into the seeds (keep
# the corpus small: skip large files),
#   DIR/fuzz_TARGET -merge=1 -use_counters=0 tests/fuzz/corpus/TARGET DIR/work/TARGET
# A crash leaves its input in DIR/artifacts/ and the log in DIR/logs/.
set -u
cd "$(dirname "$0")/.." || exit 1

secs=15 out=build/fuzz keep=0 extra=()
while getopts "t:o:ka:h" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	k) keep=1 ;;
	a) extra+=("$OPTARG") ;;
	*)
		sed -n '2,/^set -u/{/^#/s/^# \{0,1\}//p}' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config demangle elf_symbols dwarf_index)

mkdir -p "$out/logs" "$out/artifacts"
failed=0
for t in "${targets[@]}"; do
	bin=$out/fuzz_$t seeds=tests/fuzz/corpus/$t log=$out/logs/$t.log
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "fuzz: $t: no $bin or no $seeds (run make fuzz)" >&2
		failed=$((failed + 1))
		continue
	fi
	if [ $keep -eq 1 ]; then
		work=$out/work/$t
	else
		work=$out/run/$t
		rm -rf "$work"
	fi
	mkdir -p "$work"
	args=(-max_total_time="$secs" -timeout=10 -print_final_stats=1
		-artifact_prefix="$out/artifacts/$t-")
	[ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
	# New inputs go to the first directory; the seeds are only read. No
	# stdin: a mutated DWARF can name /dev/stdin as a file for libdw to read.
	"$bin" "${args[@]}" "${extra[@]}" "$work" "$seeds" </dev/null >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t FAILED (exit $rc), log $log:" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' \
			"$log" | head -n 20 >&2
		failed=$((failed + 1))
	else
		printf '  %-8s %s: %s execs in %ss (%s/s), corpus %s, no crash\n' FUZZ "$t" \
			"${execs:-?}" "$secs" "${rate:-?}" "${corp:-?}"
	fi
	[ $keep -eq 1 ] || rm -rf "$work"
done
[ $failed -eq 0 ]
