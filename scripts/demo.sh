#!/usr/bin/env bash
# Installs what cattop needs, builds it and the bundled demo service (a tokio
# HTTP-ish server with a deliberately blocking handler and its own load), and
# runs cattop on the demo. With no terminal (or with -b) it prints three batch
# refreshes instead of the live view. Run as root: sudo scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (cattop attaches BPF probes): sudo $0" >&2
	exit 1
fi
scripts/setup-deps.sh
make --no-print-directory
cargo=$(command -v "$HOME/.cargo/bin/cargo" || command -v cargo)
(cd tests/workloads && "$cargo" build -q -p demo-service)

tests/workloads/target/debug/demo-service --port 0 >/tmp/cattop-demo.out &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null || true' EXIT
until grep -q '^ready' /tmp/cattop-demo.out; do sleep 0.1; done
echo "demo: $(cat /tmp/cattop-demo.out)"

if [ -t 1 ] && [ "${1:-}" != "-b" ]; then
	build/cattop -p "$demo"
else
	build/cattop -p "$demo" -b -d 2 -n 3 -t 1ms
fi
