#!/usr/bin/env bash
# Installs everything cattop needs to build, test and run its demo on Debian 12.
# libbpf >= 1.3 (uprobe_multi links) and bpftool come from bookworm-backports,
# since bookworm's own libbpf is 1.1.2.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: run as root (apt-get install)" >&2
	exit 1
fi

backports=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$backports"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true   # a third-party source failing must not stop us
apt-get install -y -qq -t bookworm-backports libbpf-dev bpftool libelf-dev libdw-dev >/dev/null
apt-get install -y -qq \
	clang llvm libclang-rt-14-dev make pkg-config gcc libc6-dev linux-libc-dev \
	libiberty-dev libcapstone-dev libncurses-dev libinih-dev libjansson-dev \
	cargo rustc tmux jq binutils valgrind libcap2-bin util-linux \
	groff-base man-db bsdextrautils \
	librust-tokio-dev librust-async-std-dev librust-smol-dev librust-futures-dev \
	librust-libc-dev librust-tracing-dev librust-hyper-dev \
	librust-unicode-ident-dev \
	libmicrohttpd-dev prometheus \
	>/dev/null
# tests/workloads-tokio-1.53 (tokio 1.53 with rt-multi-thread, macros, time,
# sync) takes tokio, tokio-macros, syn 2, quote, proc-macro2,
# pin-project-lite from shared/vendor-tokio and only unicode-ident (above)
# from Debian: no parking_lot & co. (the "full" feature is not used).
# libmicrohttpd-dev: the metrics endpoint (--listen). prometheus: the real
# server test_metrics.py starts itself on loopback (its own config and
# storage in a temporary directory); the package's own service is not used.
# groff-base, man-db, bsdextrautils (col): make install-test renders the man
# page. `make deb` also needs debhelper and dpkg-dev (not installed here: the
# package build is not part of make test).
echo "setup-deps: done"
