#!/usr/bin/env bash
# Runs a command beside a private Redis server on a free port, in a temporary directory, without
# persistence; started here and stopped when the command ends, whatever its outcome. The command
# finds it at $ZEROLAG_TEST_REDIS. Tests stop and start it again through
# $ZEROLAG_TEST_REDIS_RESTART (a script that restarts it on the same port, emptied, as a Redis
# that lost its memory would come back).
#
#   tools/with-redis.sh cargo test -p engine
#
# `make tools-redis` installs Debian's redis-server when it is missing.
set -euo pipefail

if ! command -v redis-server >/dev/null; then
	echo "Redis is not installed: run \`make tools-redis\` (Debian's redis-server package)." >&2
	exit 1
fi

dir=$(mktemp -d /tmp/zerolag-redis.XXXXXX)
cat >"$dir/start" <<SCRIPT
#!/usr/bin/env bash
exec redis-server --port "\$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
	--logfile "$dir/redis.log" --pidfile "$dir/redis.pid" --daemonize yes
SCRIPT
cat >"$dir/stop" <<SCRIPT
#!/usr/bin/env bash
[ -f "$dir/redis.pid" ] && kill "\$(cat "$dir/redis.pid")" 2>/dev/null || true
for _ in \$(seq 1 100); do [ -f "$dir/redis.pid" ] || exit 0; sleep 0.05; done
SCRIPT
chmod +x "$dir/start" "$dir/stop"
stop() {
	"$dir/stop"
	rm -rf "$dir"
}
trap stop EXIT

# A free port: one nothing answers on (a race with another program shows as Redis not
# answering, and another port is tried).
started=""
for _ in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 30000))
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
	"$dir/start" "$port"
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then started=yes; break; fi
		sleep 0.05
	done
	[ -n "$started" ] && break
done
if [ -z "$started" ]; then
	echo "Redis did not start; its log:" >&2
	cat "$dir/redis.log" >&2 || true
	exit 1
fi

cat >"$dir/restart" <<SCRIPT
#!/usr/bin/env bash
"$dir/stop" && "$dir/start" $port
for _ in \$(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && exit 0; sleep 0.05; done
exit 1
SCRIPT
chmod +x "$dir/restart"

export ZEROLAG_TEST_REDIS="redis://127.0.0.1:$port"
export ZEROLAG_TEST_REDIS_RESTART="$dir/restart"
"$@"
