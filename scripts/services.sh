#!/usr/bin/env bash
# Project-local PostgreSQL 15 and Redis under .run/, listening on Unix sockets only,
# so several checkouts can run side by side. Skipped when DATABASE_URL / REDIS_URL are set.
#   scripts/services.sh start|stop|status
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/.run"
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR="$RUN/pg"
REDIS_DIR="$RUN/redis"

apt_install() {
    # Installs the named Debian packages when any is missing.
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "Need root to install ${missing[*]} (or set DATABASE_URL/REDIS_URL)." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    [ -n "${DATABASE_URL:-}" ] && { echo "PostgreSQL: using DATABASE_URL"; return 0; }
    apt_install postgresql
    mkdir -p "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DIR"
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        echo "PostgreSQL: already running in $PG_DIR"
    else
        rm -f "$PG_DIR/data/postmaster.pid"
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
            -o "-c listen_addresses='' -k $PG_DIR -c max_connections=300 -c shared_buffers=256MB \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                -c max_locks_per_transaction=256 -c jit=off" >/dev/null
        echo "PostgreSQL: started in $PG_DIR"
    fi
    for db in oms; do
        as_postgres "$PG_BIN/../bin/psql" -h "$PG_DIR" -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
            || as_postgres "$PG_BIN/../bin/psql" -h "$PG_DIR" -U postgres -d postgres -qc "CREATE DATABASE $db"
    done
}

pg_stop() {
    [ -f "$PG_DIR/data/PG_VERSION" ] || return 0
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 && echo "PostgreSQL: stopped" || true
}

redis_start() {
    [ -n "${REDIS_URL:-}" ] && { echo "Redis: using REDIS_URL"; return 0; }
    apt_install redis-server
    mkdir -p "$REDIS_DIR"
    if redis-cli -s "$REDIS_DIR/redis.sock" ping >/dev/null 2>&1; then
        echo "Redis: already running in $REDIS_DIR"
        return 0
    fi
    redis-server --port 0 --unixsocket "$REDIS_DIR/redis.sock" --unixsocketperm 700 \
        --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
        --daemonize yes --appendonly no --save ''
    for _ in $(seq 50); do
        redis-cli -s "$REDIS_DIR/redis.sock" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "Redis: started in $REDIS_DIR"
}

redis_stop() {
    if [ -S "$REDIS_DIR/redis.sock" ]; then
        redis-cli -s "$REDIS_DIR/redis.sock" shutdown nosave >/dev/null 2>&1 && echo "Redis: stopped" || true
    fi
}

case "${1:-start}" in
    start) apt_install gettext; pg_start; redis_start ;;
    stop) redis_stop; pg_stop ;;
    status)
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status || true
        redis-cli -s "$REDIS_DIR/redis.sock" ping || true ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
