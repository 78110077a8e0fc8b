#!/usr/bin/env bash
# `make cluster`: the scaled-out topology on this machine. Run inside tools/with-postgres.sh and
# tools/with-redis.sh (which start a private PostgreSQL and Redis and stop them afterwards), it
# starts a Kafka-compatible broker (tansu, in memory), two Zerolag nodes on one database and one
# Redis exporting to it, and nginx in front of them with deploy/nginx.conf, then prints the URL
# and waits; Ctrl-C stops everything. The nodes take the ZEROLAG_* variables of the environment
# (the browser tests shorten the rounds with them).
#
#   tools/cluster.sh BINARY [PORT]   (nginx on PORT, 8080 by default; the nodes on PORT+1, PORT+2;
#                                     the broker on PORT+3)
set -euo pipefail

binary=$1
port=${2:-8080}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/zerolag-cluster.XXXXXX)
pids=()
stop() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

node_a=$((port + 1))
node_b=$((port + 2))
kafka=$((port + 3))

# The broker, from its own directory (tansu reads a .env file from where it starts).
mkdir -p "$dir/kafka"
(cd "$dir/kafka" && exec tansu broker --listener-url "tcp://127.0.0.1:$kafka" \
	--advertised-listener-url "tcp://127.0.0.1:$kafka" --storage-engine memory://tansu/ \
	>"$dir/kafka.log" 2>&1) &
pids+=($!)

# nginx: the deployment file, with this machine's nodes, port and paths.
mkdir -p "$dir/nginx"
sed -e "/# zerolag-node/d" \
	-e "s|keepalive 64;|server 127.0.0.1:$node_a max_fails=1 fail_timeout=5s;\n        server 127.0.0.1:$node_b max_fails=1 fail_timeout=5s;\n        keepalive 64;|" \
	-e "s|listen 80; # zerolag-listen|listen 127.0.0.1:$port;|" \
	-e "s|/run/zerolag-nginx.pid|$dir/nginx/nginx.pid|" \
	-e "s|/var/lib/nginx/|$dir/nginx/|" \
	"$root/deploy/nginx.conf" >"$dir/nginx/nginx.conf"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx" -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf"

for node in a b; do
	node_port=$([ $node = a ] && echo "$node_a" || echo "$node_b")
	"$binary" --addr "127.0.0.1:$node_port" --data-dir "$dir/$node" \
		--database-url "$ZEROLAG_TEST_POSTGRES" --redis-url "$ZEROLAG_TEST_REDIS" \
		--redis-prefix zerolag-cluster --trusted-proxy 127.0.0.1 \
		--kafka-brokers "127.0.0.1:$kafka" --node-id "$node" \
		--site-root "${LEPTOS_SITE_ROOT:-$root/target/site}" --log "${ZEROLAG_LOG:-warn}" \
		>"$dir/node-$node.log" 2>&1 &
	pids+=($!)
done
for node_port in "$node_a" "$node_b"; do
	for _ in $(seq 1 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$node_port") 2>/dev/null; then break; fi
		sleep 0.1
	done
done
"$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)

echo "==> Zerolag cluster at http://127.0.0.1:$port (nginx -> nodes at http://127.0.0.1:$node_a and"
echo "    http://127.0.0.1:$node_b; PostgreSQL $ZEROLAG_TEST_POSTGRES, Redis $ZEROLAG_TEST_REDIS,"
echo "    Kafka 127.0.0.1:$kafka with topics zerolag.ledger, zerolag.bets, zerolag.rounds; node logs in"
echo "    $dir). Ctrl-C stops it and throws the data away."
wait
