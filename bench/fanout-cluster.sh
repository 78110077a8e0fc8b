#!/usr/bin/env bash
# Fan-out through Redis next to in-process: crash ticks to CLIENTS WebSocket clients of one node,
# first when that node drives the game itself (in-process, SQLite), then when another node drives
# it and the ticks reach this one through Redis (two nodes on a private PostgreSQL and Redis).
# The measured node is pinned to core 0; the load generator, the driving node, PostgreSQL and
# Redis share core 1. Run inside tools/with-postgres.sh and tools/with-redis.sh
# (`make bench-fanout-cluster`). Usage: bench/fanout-cluster.sh CLIENTS SECONDS ROUNDS
set -euo pipefail

clients=${1:-2000}
seconds=${2:-20}
rounds=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/target/release/bench"
zerolag="$root/target/release/zerolag"
data=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
export ZEROLAG_CRASH_BETTING_MS=300 ZEROLAG_CRASH_INTERMISSION_MS=300
# The load generator opens thousands of connections from four addresses: lift the per-address cap.
export ZEROLAG_WS_CONNECTIONS_PER_IP=1000000
# The benchmarks are bots: the risk engine alerts but does not suspend them.
export ZEROLAG_RISK_SUSPENSIONS=false

wait_for() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0; sleep 0.1; done
  echo "server at $1 did not come up" >&2; return 1
}

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

echo "fan-out, in-process and through Redis: $clients clients, $seconds s per run, $rounds rounds; $(date -u +%Y-%m-%dT%H:%MZ), zerolag $(git -C "$root" rev-parse --short HEAD)"
for round in $(seq 1 "$rounds"); do
  echo "-- in-process (one node drives the game and serves the clients)"
  taskset -c 0 "$zerolag" --addr 127.0.0.1:3991 --data-dir "$data/single-$round" --log warn &
  pids+=($!)
  wait_for 127.0.0.1:3991
  taskset -c 1 "$bench" fanout --addr 127.0.0.1:3991 --pid "${pids[0]}" --clients "$clients" --seconds "$seconds"
  stop_all

  echo "-- through Redis (node A drives the game; the clients are on node B)"
  db="$ZEROLAG_TEST_POSTGRES"
  prefix="fanout-$round"
  taskset -c 1 "$zerolag" --addr 127.0.0.1:3992 --database-url "$db" --redis-url "$ZEROLAG_TEST_REDIS" \
    --redis-prefix "$prefix" --data-dir "$data/a" --log warn &
  pids+=($!)
  wait_for 127.0.0.1:3992
  sleep 1 # A takes the game's lease first
  taskset -c 0 "$zerolag" --addr 127.0.0.1:3993 --database-url "$db" --redis-url "$ZEROLAG_TEST_REDIS" \
    --redis-prefix "$prefix" --data-dir "$data/b" --log warn &
  pids+=($!)
  wait_for 127.0.0.1:3993
  taskset -c 1 "$bench" fanout --addr 127.0.0.1:3993 --pid "${pids[1]}" --clients "$clients" --seconds "$seconds"
  stop_all
done
