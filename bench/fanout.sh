#!/usr/bin/env bash
# Side-by-side fan-out: Zerolag, then npm `ws`, then socket.io, repeated ROUNDS times (A B C A B C),
# each server pinned to core 0 and the load generator (`bench fanout`) to core 1. Prints the
# versions and one result line per run. Usage: bench/fanout.sh CLIENTS SECONDS ROUNDS [--strict]
# (`make bench-fanout`; `make bench-smoke` runs it with a few clients for a couple of seconds and
# --strict, which fails on a lost tick).
set -euo pipefail

clients=${1:-2000}
seconds=${2:-20}
rounds=${3:-2}
strict=${4:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/target/release/bench"
server_core=0
client_core=1
[ "$(nproc)" -lt 2 ] && client_core=0

data=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 100); do curl -sf "http://$1/" -o /dev/null && return 0; sleep 0.1; done
  echo "server at $1 did not come up" >&2; return 1
}

run() {
  local peer=$1 addr=$2
  shift 2
  taskset -c "$server_core" "$@" &
  pid=$!
  wait_for "$addr"
  taskset -c "$client_core" "$bench" fanout --peer "$peer" --addr "$addr" --pid "$pid" \
    --clients "$clients" --seconds "$seconds" $strict
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "fan-out: $clients clients, $seconds s per run, $rounds rounds; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "zerolag $(git -C "$root" rev-parse --short HEAD), node $(node --version)," \
  "ws $(node -p "require('$root/bench/peers/node_modules/ws/package.json').version")," \
  "socket.io $(node -p "require('$root/bench/peers/node_modules/socket.io/package.json').version")"
# The load generator opens thousands of connections from four addresses: lift the per-address cap.
export ZEROLAG_WS_CONNECTIONS_PER_IP=1000000
# The benchmarks are bots: the risk engine alerts but does not suspend them.
export ZEROLAG_RISK_SUSPENSIONS=false
for _ in $(seq 1 "$rounds"); do
  rm -rf "$data"/*
  # Short betting windows and pauses so a crash round (and its 15 ticks a second) runs most
  # of the time.
  ZEROLAG_CRASH_BETTING_MS=300 ZEROLAG_CRASH_INTERMISSION_MS=300 \
    run zerolag 127.0.0.1:3998 "$root/target/release/zerolag" --addr 127.0.0.1:3998 \
    --data-dir "$data" --log warn
  run ws 127.0.0.1:4001 node "$root/bench/peers/broadcast.js" ws 4001
  run socketio 127.0.0.1:4002 node "$root/bench/peers/broadcast.js" socketio 4002
done
