#!/usr/bin/env bash
# The bash -c scripts below expand their "$0" themselves.
# shellcheck disable=SC2016
# Checks the .deb that `make deb` built (build/deb/cattop_*.deb): its files,
# its dependencies, and that the packaged cattop runs. Not part of `make
# test` (the package build takes ~2 min); `make deb-test` runs both.
#
# usage: tests/install/test_deb.sh [DEB]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
deb=${1:-$(find "$repo/build/deb" -maxdepth 1 -name 'cattop_*.deb' 2>/dev/null | head -1)}
[ -f "$deb" ] || {
	echo "test_deb: no package: run make deb first" >&2
	exit 1
}
tmp=$(mktemp -d /tmp/cattop-deb-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
check()
{
	local what=$1
	shift
	if ! "$@"; then
		echo "FAIL: $what" >&2
		failures=$((failures + 1))
	fi
}

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/bin/cattop ./usr/share/man/man1/cattop.1.gz \
	./usr/share/bash-completion/completions/cattop ./usr/share/doc/cattop/cattop.ini \
	./usr/share/doc/cattop/copyright; do
	check "package has $f" grep -qxF "$f" <<<"$contents"
done
# the exporter's systemd template (dh_installsystemd: /lib or /usr/lib)
check "package has cattop@.service" grep -qE '^\./(usr/)?lib/systemd/system/cattop@\.service$' \
	<<<"$contents"
check "nothing under /usr/local" bash -c '! grep -q "^./usr/local" <<<"$0"' "$contents"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libbpf1 libelf1 libdw1 libncursesw6 libinih1 libjansson4 libcapstone4 \
	libmicrohttpd12; do
	check "Depends on $lib ($depends)" grep -q "$lib" <<<"$depends"
done
dpkg-deb -x "$deb" "$tmp/root"
version=$("$tmp/root/usr/bin/cattop" --version)
check "packaged cattop --version ($version)" [ "$version" = "cattop $(dpkg-deb -f "$deb" Version)" ]
check "packaged man page renders without warnings" bash -c \
	'[ -z "$(zcat "$0" | groff -man -ww -z 2>&1)" ]' "$tmp/root/usr/share/man/man1/cattop.1.gz"
check "packaged binary is stripped (debug info in -dbgsym)" bash -c \
	'! readelf -S "$0" | grep -q "\.debug_info"' "$tmp/root/usr/bin/cattop"
check "packaged binary is PIE with full RELRO" bash -c \
	'readelf -h "$0" | grep -q "DYN" && readelf -d "$0" | grep -q "BIND_NOW\|FLAGS.*NOW"' \
	"$tmp/root/usr/bin/cattop"
echo "deb test: $(basename "$deb"): $([ "$failures" -eq 0 ] && echo ok || echo "$failures failed")"
[ "$failures" -eq 0 ]
