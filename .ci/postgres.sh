#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server on 127.0.0.1 for the store and workflow tests.
#   .ci/postgres.sh start   → installs Debian's postgresql if missing, starts it, prints the URL to use
#   .ci/postgres.sh stop    → stops it and removes its data folder
set -euo pipefail
PORT="${EVIDEX_PG_PORT:-54329}"
DATA="${EVIDEX_PG_DATA:-/tmp/evidex-pg-$PORT}"
URL="postgresql+psycopg://evidex:evidex@127.0.0.1:$PORT/evidex_test"

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] && echo "$dir"
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    if [ -z "$(pg_bin)" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "error: PostgreSQL is not installed; run as root or 'apt-get install postgresql'" >&2
            exit 1
        fi
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    BIN=$(pg_bin)
    if [ -f "$DATA/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        echo "$URL"
        exit 0
    fi
    rm -rf "$DATA"
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    PWFILE=$(mktemp)
    echo evidex >"$PWFILE"
    chmod 644 "$PWFILE"
    as_postgres "$BIN/initdb" -D "$DATA" -U evidex --pwfile="$PWFILE" -A scram-sha-256 >/dev/null
    rm -f "$PWFILE"
    as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c max_connections=50" start >/dev/null
    PGPASSWORD=evidex "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U evidex evidex_test
    echo "$URL"
    ;;
stop)
    BIN=$(pg_bin || true)
    if [ -n "$BIN" ] && [ -d "$DATA" ]; then
        as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DATA"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
