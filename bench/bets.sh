#!/usr/bin/env bash
# Dice bets over real WebSockets at a fixed rate against a fresh release server pinned to core 0,
# the players (`bench bets`) on core 1. Usage: bench/bets.sh PLAYERS RATE SECONDS
# (`make bench-bets`; `make bench-smoke` runs it with a few players for two seconds).
set -euo pipefail

players=${1:-200}
rate=${2:-1000}
seconds=${3:-20}
addr=127.0.0.1:3997
root=$(cd "$(dirname "$0")/.." && pwd)
client_core=1
[ "$(nproc)" -lt 2 ] && client_core=0

data=$(mktemp -d)
taskset -c 0 "$root/target/release/zerolag" --addr "$addr" --data-dir "$data" --log warn &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://$addr/healthz" >/dev/null; do sleep 0.1; done
taskset -c "$client_core" "$root/target/release/bench" bets --addr "$addr" --pid "$server" \
  --players "$players" --rate "$rate" --seconds "$seconds"
