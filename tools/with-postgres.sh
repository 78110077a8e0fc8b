#!/usr/bin/env bash
# Runs a command beside a private PostgreSQL server: a fresh cluster in a temporary directory on
# a free port, started here and stopped when the command ends, whatever its outcome. The command
# finds it at $ZEROLAG_TEST_POSTGRES (its maintenance database; tests create their own), and
# can stop and start it with $ZEROLAG_TEST_POSTGRES_CONTROL stop|start.
#
#   tools/with-postgres.sh cargo test -p engine
#   tools/with-postgres.sh --durable CMD   # fsync on, as in production (benchmarks)
#
# Tests run with fsync off: a test server's data never outlives the run, and the durability
# of commits is PostgreSQL's, not what the tests check.
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user that
# Debian's package creates. `make tools-postgres` installs the package when it is missing.
set -euo pipefail

settings="-c fsync=off -c full_page_writes=off"
if [ "${1:-}" = --durable ]; then
	settings="-c fsync=on -c synchronous_commit=on"
	shift
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
	echo "PostgreSQL is not installed: run \`make tools-postgres\` (Debian's postgresql package)." >&2
	exit 1
fi

dir=$(mktemp -d /tmp/zerolag-postgres.XXXXXX)
as_postgres=()
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$dir"
	as_postgres=(runuser -u postgres --)
fi
stop() {
	"${as_postgres[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT

"${as_postgres[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log"

# A free port: one nothing answers on, and that the server then binds (a race with another
# program is caught by the start failing, and another port is tried).
started=""
for _ in 1 2 3 4 5 6 7 8; do
	port=$((20000 + RANDOM % 30000))
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
	if "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -o \
		"-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=500 $settings" \
		start >/dev/null; then
		started=yes
		break
	fi
done
if [ -z "$started" ]; then
	echo "PostgreSQL did not start; its log:" >&2
	cat "$dir/postgres.log" >&2 || true
	exit 1
fi

# Tests stop and start the server through this script (`stop` or `start`; the data stays).
cat >"$dir/control" <<SCRIPT
#!/usr/bin/env bash
case "\$1" in
	stop) ${as_postgres[*]} "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
	start) ${as_postgres[*]} "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -o \
		"-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=500 $settings" start >/dev/null ;;
	*) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
SCRIPT
chmod +x "$dir/control"

export ZEROLAG_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export ZEROLAG_TEST_POSTGRES_CONTROL="$dir/control"
"$@"
