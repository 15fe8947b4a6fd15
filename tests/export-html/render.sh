#!/bin/sh
# Render an HTML timeline page to PNG with headless Chromium, and check that
# its script ran without errors (the page sets <body data-status="ok">, or
# "empty" / "nodata" / "error: ..."), with the console on stderr.
#
#   render.sh [PAGE.html [OUT.png [WIDTH,HEIGHT]]]
#
# Without PAGE, builds the sample (make_sample.py) into out/ first. Needs
# Debian's chromium (apt-get install -y chromium); run as root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
page=${1:-}
out=${2:-$here/out/timeline.png}
size=${3:-1600,900}
if [ -z "$page" ]; then
	python3 "$here/make_sample.py" >/dev/null
	page=$here/out/page.html
fi
page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
mkdir -p "$(dirname "$out")"
command -v chromium >/dev/null || { echo "render.sh: chromium is not installed (apt-get install -y chromium)" >&2; exit 2; }
prof=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$prof" "$log"' EXIT
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
--disable-background-networking --disable-component-update --disable-sync \
--hide-scrollbars --user-data-dir=$prof --window-size=$size --virtual-time-budget=15000"
# shellcheck disable=SC2086
chromium $flags --enable-logging=stderr --v=0 --dump-dom "file://$page" 2>"$log" |
	grep -o '<body[^>]*>' >"$log.body" || true
status=$(sed -n 's/.*data-status="\([^"]*\)".*/\1/p' "$log.body")
loadms=$(sed -n 's/.*data-load-ms="\([^"]*\)".*/\1/p' "$log.body")
rm -f "$log.body"
grep -E 'CONSOLE|Uncaught' "$log" >&2 || true
# shellcheck disable=SC2086
chromium $flags --screenshot="$out" "file://$page" >/dev/null 2>&1
echo "$out: status=${status:-none} load=${loadms:-?}ms"
case "$status" in ok | empty | nodata) exit 0 ;; *) exit 1 ;; esac
