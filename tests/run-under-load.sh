#!/usr/bin/env bash
# Runs the unit and integration tests the way `make test` does, but with a
# CPU hog on every core: one busy loop per CPU at normal priority, so the
# workloads, cattop and the tests are preempted as on a busy production
# host or a shared CI machine. The suite must pass like this.
#
#   tests/run-under-load.sh [-k NAME] [-U] [-H HOGS] [CATTOP]
#
#   -k NAME  run only the integration tests whose name contains NAME
#   -U       skip the unit tests
#   -H HOGS  how many busy loops (default: one per CPU, `nproc`)
#   CATTOP   the binary under test (default build/san/cattop); the unit
#            tests are those built next to it (DIR/tests/test_*)
#
# The hogs are killed when the script ends, however it ends.
set -u
cd "$(dirname "$0")/.." || exit 1

filter=() unit=1 hogs_wanted=$(nproc)
while getopts "k:UH:h" opt; do
	case $opt in
	k) filter=(-k "$OPTARG") ;;
	U) unit=0 ;;
	H) hogs_wanted=$OPTARG ;;
	*)
		sed -n '2,/^set -u/{/^#/s/^# \{0,1\}//p}' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
cattop=${1:-build/san/cattop}
if [ ! -x "$cattop" ]; then
	echo "run-under-load: no cattop binary at $cattop (make SAN=1 first)" >&2
	exit 2
fi

hogs=()
stop_hogs() {
	[ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}" 2>/dev/null
	wait "${hogs[@]}" 2>/dev/null
	hogs=()
}
trap stop_hogs EXIT
# An interrupted run still goes through the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if ! [[ $hogs_wanted =~ ^[0-9]+$ ]]; then
	echo "run-under-load: -H wants a number of busy loops, not '$hogs_wanted'" >&2
	exit 2
fi
for _ in $(seq "$hogs_wanted"); do
	(while :; do :; done) &
	hogs+=($!)
done
echo "run-under-load: $hogs_wanted CPU hogs on $(nproc) CPUs (pids ${hogs[*]}), load $(cut -d' ' -f1-3 /proc/loadavg)"

rc=0
if [ "$unit" -eq 1 ]; then
	tests/run-unit.sh "$(dirname "$cattop")" || rc=1
fi
python3 tests/integration/run.py --cattop "$cattop" "${filter[@]}" || rc=1
echo "run-under-load: done, load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
