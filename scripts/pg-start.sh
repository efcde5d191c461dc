#!/usr/bin/env bash
# pg-start.sh starts a throw-away PostgreSQL cluster for the store tests and prints the
# line that points them at it:
#
#   eval "$(scripts/pg-start.sh)"            # temp dir, first free port from 55432
#   eval "$(scripts/pg-start.sh DIR [PORT])" # given dir (created if missing) and port
#   scripts/pg-start.sh --stop DIR           # stop a cluster started in DIR
#   scripts/pg-start.sh --restart DIR        # pg_ctl restart -m fast (chaos tests)
#
# stdout carries only `export FOUREYES_TEST_POSTGRES_DSN=...`; progress goes to stderr.
# The cluster listens on 127.0.0.1 only, trusts local connections (it is a test fixture,
# never a deployment) and keeps fsync on so durability tests mean something. PostgreSQL
# refuses to run as root, so as root the server runs as the postgres user (or a
# foureyes-pg user created for it).
set -euo pipefail

log() { echo "pg-start: $*" >&2; }

find_bindir() {
	local d
	for d in "${PG_BINDIR:-}" /usr/lib/postgresql/*/bin; do
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			echo "$d"
			return 0
		fi
	done
	command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
	return 1
}

BINDIR=$(find_bindir || true)
if [[ -z "$BINDIR" ]]; then
	log "PostgreSQL binaries not found; installing"
	apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
	BINDIR=$(find_bindir)
fi

# as_pg runs a command as the unprivileged cluster owner when we are root.
RUN_USER=""
if [[ $(id -u) -eq 0 ]]; then
	if id postgres >/dev/null 2>&1; then
		RUN_USER=postgres
	else
		id foureyes-pg >/dev/null 2>&1 || useradd --system --no-create-home foureyes-pg
		RUN_USER=foureyes-pg
	fi
fi
as_pg() {
	if [[ -n "$RUN_USER" ]]; then
		runuser -u "$RUN_USER" -- "$@"
	else
		"$@"
	fi
}

if [[ "${1:-}" == "--stop" ]]; then
	[[ -n "${2:-}" ]] || { log "usage: $0 --stop DIR"; exit 2; }
	as_pg "$BINDIR/pg_ctl" -D "$2/data" -m fast stop >&2
	exit 0
fi

if [[ "${1:-}" == "--restart" ]]; then
	[[ -n "${2:-}" ]] || { log "usage: $0 --restart DIR"; exit 2; }
	as_pg "$BINDIR/pg_ctl" -D "$2/data" -l "$2/server.log" -m fast -w -t 60 restart >&2
	exit 0
fi

DIR=${1:-}
if [[ -z "$DIR" ]]; then
	DIR=$(mktemp -d /tmp/foureyes-pg.XXXXXX)
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[[ -n "$RUN_USER" ]] && chown "$RUN_USER" "$DIR"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${2:-}
if [[ -z "$PORT" ]]; then
	PORT=55432
	while port_busy "$PORT"; do PORT=$((PORT + 1)); done
elif port_busy "$PORT"; then
	log "port $PORT is in use"
	exit 1
fi

if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
	log "initdb in $DIR/data"
	as_pg "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; exit 1; }
fi

log "starting on 127.0.0.1:$PORT (log $DIR/server.log)"
as_pg "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
	-o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300" \
	start >&2 || { cat "$DIR/server.log" >&2; exit 1; }

DB=foureyes_test
if ! as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" postgres | grep -q 1; then
	as_pg "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
fi

log "stop with: $0 --stop $DIR"
echo "export FOUREYES_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
