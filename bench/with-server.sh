#!/usr/bin/env bash
# Runs one `bench` mode against a fresh release server (a new database) pinned to core 0, the
# bench itself on core 1. In the arguments, {addr} and {pid} stand for the server's address and
# process id, and {server-fn} for the path of a server function of this build.
# Usage: bench/with-server.sh bets --addr {addr} --pid {pid} --players 200 --rate 1000
# (`make bench-idle`, `make bench-bets`, `make bench-http`, and `make bench-smoke` with small numbers),
# or with `--run COMMAND ARGS...` to run another program than the bench binary the same way
# (`make bench-interactive`).
set -euo pipefail

addr=127.0.0.1:3997
root=$(cd "$(dirname "$0")/.." && pwd)
client_core=1
[ "$(nproc)" -lt 2 ] && client_core=0
# The pages' crash history call; its path carries a hash that changes between builds.
server_fn=$(grep -aoh '/api/get_crash_history[0-9]*' "$root"/target/site/pkg/zerolag*.wasm | head -1)

# The load generator opens thousands of connections from four addresses: lift the per-address cap.
export ZEROLAG_WS_CONNECTIONS_PER_IP=1000000
# The benchmarks are bots: the risk engine alerts but does not suspend them.
export ZEROLAG_RISK_SUSPENSIONS=false
data=$(mktemp -d)
taskset -c 0 "$root/target/release/zerolag" --addr "$addr" --data-dir "$data" --log warn &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://$addr/healthz" >/dev/null; do sleep 0.1; done
args=()
for arg in "$@"; do
  arg=${arg//\{addr\}/$addr}
  arg=${arg//\{pid\}/$server}
  args+=("${arg//\{server-fn\}/$server_fn}")
done
if [ "${args[0]}" = "--run" ]; then
  taskset -c "$client_core" "${args[@]:1}"
else
  taskset -c "$client_core" "$root/target/release/bench" "${args[@]}"
fi
