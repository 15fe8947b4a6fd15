#!/usr/bin/env bash
# cattop as an installed tool (issue #16): `make install` / `make uninstall`
# into a temporary DESTDIR, the man page (renders without warnings, documents
# every option of `cattop --help`) and the bash completion, driven through
# COMP_WORDS / COMP_CWORD without a terminal.
#
# usage: tests/install/test_install.sh [CATTOP]   (default build/cattop)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cattop=$(realpath "${1:-$repo/build/cattop}")
output=$(dirname "$cattop") # the Makefile's OUTPUT (build or build/san)
man_page=$repo/doc/cattop.1
completion=$repo/completion/cattop.bash
tmp=$(mktemp -d /tmp/cattop-install-test.XXXXXX)
pids=()
cleanup()
{
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
checks=0
ok()
{
	checks=$((checks + 1))
}
fail()
{
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}
check()
{
	local what=$1
	shift
	if "$@"; then ok; else fail "$what"; fi
}

help_text=$("$cattop" --help)

# ------------------------------------------------------------- install ---
make_install()
{
	make -s --no-print-directory -C "$repo" OUTPUT="$output" "$@" >"$tmp/make.log" 2>&1 ||
		{
			cat "$tmp/make.log" >&2
			return 1
		}
}

dest=$tmp/dest
check "make install DESTDIR" make_install install DESTDIR="$dest"
for f in usr/local/bin/cattop usr/local/share/man/man1/cattop.1 \
	usr/local/share/bash-completion/completions/cattop \
	usr/local/share/doc/cattop/cattop.ini usr/local/share/doc/cattop/README.md; do
	check "installed $f" test -f "$dest/$f"
done
check "bin/cattop is executable" test -x "$dest/usr/local/bin/cattop"
check "man page mode 644" test "$(stat -c %a "$dest/usr/local/share/man/man1/cattop.1")" = 644
version=$("$dest/usr/local/bin/cattop" --version)
check "installed cattop --version ($version)" [ "${version%% *}" = cattop ]
check "installed example config is the built-in one" \
	cmp -s "$repo/config/cattop.ini" "$dest/usr/local/share/doc/cattop/cattop.ini"
check "make uninstall DESTDIR" make_install uninstall DESTDIR="$dest"
left=$(find "$dest" -type f)
check "uninstall leaves no file (left: $left)" [ -z "$left" ]

rm -rf "$dest" # uninstall leaves the directories, as usual
check "make install PREFIX=/usr" make_install install DESTDIR="$dest" PREFIX=/usr
check "PREFIX=/usr: usr/bin/cattop" test -x "$dest/usr/bin/cattop"
check "PREFIX=/usr: man1/cattop.1" test -f "$dest/usr/share/man/man1/cattop.1"
check "PREFIX=/usr: nothing under usr/local" test ! -e "$dest/usr/local"
make_install uninstall DESTDIR="$dest" PREFIX=/usr

# ------------------------------------------------------------ man page ---
# groff's own warnings (all of them: -ww), then man-db's rendering.
warnings=$(groff -man -ww -z "$man_page" 2>&1)
check "groff -man -ww: no warnings ($warnings)" [ -z "$warnings" ]
if command -v man >/dev/null; then
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man_page" 2>&1 >/dev/null)
	check "man --warnings -l: no warnings ($warnings)" [ -z "$warnings" ]
	rendered=$(LC_ALL=C MANWIDTH=80 man -l "$man_page" 2>/dev/null | col -bx)
else
	rendered=$(groff -man -Tascii -P-cbou "$man_page" 2>/dev/null)
fi
check "lexgrog reads the NAME section" bash -c "! command -v lexgrog >/dev/null ||
	lexgrog '$man_page' >/dev/null"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS "LIVE VIEW KEYS" "EXIT STATUS" \
	ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
	check "man page section $section" grep -qx "$section" <<<"$rendered"
done

# Every option of --help, long and short, is in the man page (so they cannot
# drift apart); so are the subcommands and the sort keys.
mapfile -t long_opts < <(grep -oE -- '(^|[ ,])--[a-z][a-z-]+' <<<"$help_text" |
	sed 's/^[ ,]*//' | sort -u)
mapfile -t short_opts < <(grep -oE -- '^ +-[a-zA-Z],' <<<"$help_text" | tr -d ' ,' | sort -u)
check "--help lists long options (${#long_opts[@]})" [ "${#long_opts[@]}" -ge 20 ]
check "--help lists short options (${#short_opts[@]})" [ "${#short_opts[@]}" -ge 10 ]
for opt in "${long_opts[@]}" "${short_opts[@]}"; do
	check "man page documents $opt" grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" <<<"$rendered"
done
for word in record replay export; do
	check "man page synopsis: cattop $word" grep -q "cattop $word" <<<"$rendered"
done
sort_keys=$(grep -A1 -- '--sort KEY' <<<"$help_text" | sed 's/.*KEY//; s/(default)//' |
	tr -s ', ' '\n' | grep -vE '^(order|tasks|by|or|)$')
for key in $sort_keys; do
	check "man page sort key $key" grep -qF -- "$key" <<<"$rendered"
done
# The function keys of the bottom bar (src/ui/function_bar.c).
for fkey in F1 F3 F4 F5 F6 F10; do
	check "man page key $fkey" grep -qw -- "$fkey" <<<"$rendered"
done

# ---------------------------------------------------------- completion ---
check "completion: bash -n" bash -n "$completion"
# Runs the completion of the words given (the last one is completed) in a
# fresh bash, one candidate a line in $reply.
complete_words()
{
	reply=$(COMPLETION="$completion" bash -c '
		source "$COMPLETION"
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_cattop
		printf "%s\n" "${COMPREPLY[@]}"' _ cattop "$@")
}
has()
{
	grep -qxF -- "$1" <<<"$reply"
}
lacks()
{
	! has "$1"
}
has_all()
{
	local w
	for w in "$@"; do has "$w" || return 1; done
}

complete_words ""
check "subcommands" has_all record replay export
complete_words rec
check "rec -> record" [ "$reply" = record ]
complete_words --
check "long options" has_all --pid --batch --sort --runtime --scope --snapshot --no-cache
# Every long option of --help is offered in some mode.
all_opts=$reply
for mode in record replay export; do
	complete_words "$mode" --
	all_opts+=$'\n'$reply
done
for opt in "${long_opts[@]}"; do
	check "completion offers $opt" grep -qxF -- "$opt" <<<"$all_opts"
done
complete_words export x.rec --
check "export options" has_all --format --output
check "export: no --pid" lacks --pid
complete_words -s ""
check "-s keys" has_all longest idle busy busy% polls slow inflight state id name
complete_words --sort=bu
check "--sort=bu (one word)" has_all --sort=busy --sort=busy%
complete_words --sort = in
check "--sort = in (split at =)" [ "$reply" = inflight ]
complete_words --scope ""
check "--scope" [ "$(tr '\n' ' ' <<<"$reply")" = "app all " ]
complete_words export x.rec --format ""
check "--format" has_all chrome folded html
complete_words --runtime ""
# Every runtime profile of the built-in config, and one of a -c file.
for rt in auto $(sed -n 's/^\[runtime \(.*\)\]$/\1/p' "$repo/config/cattop.ini"); do
	check "--runtime $rt" has "$rt"
done
printf '[runtime my-rt]\ndetect = my_rt::*\n' >"$tmp/my.ini"
complete_words -c "$tmp/my.ini" --runtime my
check "--runtime from -c FILE" [ "$reply" = my-rt ]
touch "$tmp/trace.rec" "$tmp/trace.json"
for opt in -c --config --snapshot --debug-file; do
	complete_words "$opt" "$tmp/trace.r"
	check "$opt completes files" [ "$reply" = "$tmp/trace.rec" ]
done
complete_words record -p 1 -o "$tmp/trace.j"
check "record -o completes files" [ "$reply" = "$tmp/trace.json" ]
complete_words --snapshot ""
check "--snapshot offers - (stdout)" has -
complete_words replay "$tmp/tr"
check "replay FILE" has_all "$tmp/trace.rec" "$tmp/trace.json"
complete_words replay "$tmp/trace.rec" ""
check "replay takes one FILE" [ -z "$reply" ]
complete_words -d ""
check "-d: no candidates" [ -z "$reply" ]
complete_words -- ech
check "-- COMMAND completes commands" has echo

# -p: PIDs, the async Rust ones first (here: a process named like a tokio
# worker thread), no kernel threads.
cp "$(command -v sleep)" "$tmp/tokio-runtime-worker"
sleep 60 &
plain=$!
pids+=("$plain")
"$tmp/tokio-runtime-worker" 60 &
rusty=$!
pids+=("$rusty")
complete_words -p ""
check "-p lists a plain process" has "$plain"
check "-p lists the runtime-like one" has "$rusty"
check "-p: runtime-like PIDs first" \
	[ "$(grep -nxF "$rusty" <<<"$reply" | cut -d: -f1)" -lt \
	"$(grep -nxF "$plain" <<<"$reply" | cut -d: -f1)" ]
check "-p: no kernel thread (kthreadd, pid 2)" lacks 2
complete_words --pid "$plain"
check "--pid PREFIX" has "$plain"

echo "install test: $((checks - failures))/$checks checks passed"
[ "$failures" -eq 0 ]
