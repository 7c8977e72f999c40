# shellcheck shell=bash
# A throwaway PostgreSQL 15 for tests, on a free loopback port, in a temp dir.
#   source scripts/lib/postgres.sh
#   pg_start      # exports PULSEBOARD_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/pulseboard
#   ...
#   pg_stop       # stops the server and removes its data directory
# Logical replication is on (wal_level=logical, replication slots and WAL senders) for the
# worker's change source; local TCP connections on 127.0.0.1 are trusted, replication included.
# postgres refuses to run as root, so the server runs as the `postgres` user when we are root.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port nothing listens on now (the kernel picks it).
_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  if [ -n "${PG_TEST_DIR:-}" ]; then
    echo "pg_start: already running in $PG_TEST_DIR" >&2
    return 1
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/pulseboard-pg.XXXXXX)
  PG_TEST_PORT=$(_pg_free_port)
  export PG_TEST_DIR PG_TEST_PORT
  chmod 755 "$PG_TEST_DIR"
  mkdir -p "$PG_TEST_DIR/data"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_TEST_DIR"

  if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust \
      --encoding=UTF8 --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1; then
    echo "pg_start: initdb failed:" >&2
    cat "$PG_TEST_DIR/initdb.log" >&2
    pg_stop
    return 1
  fi
  cat >"$PG_TEST_DIR/data/pg_hba.conf" <<HBA
local all         all               trust
host  all         all 127.0.0.1/32  trust
host  replication all 127.0.0.1/32  trust
HBA
  # Socket dir in the temp dir: /var/run/postgresql may not exist or be writable.
  if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 \
      -o "-p $PG_TEST_PORT -h 127.0.0.1 -k $PG_TEST_DIR/data -c wal_level=logical \
          -c max_replication_slots=10 -c max_wal_senders=10 -c fsync=off" \
      start >/dev/null; then
    echo "pg_start: server did not start:" >&2
    cat "$PG_TEST_DIR/server.log" >&2
    pg_stop
    return 1
  fi

  local deadline=$((SECONDS + 30))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_TEST_PORT"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "pg_start: not ready after 30 s" >&2
      pg_stop
      return 1
    fi
    sleep 0.1
  done
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres pulseboard || { pg_stop; return 1; }
  export PULSEBOARD_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_TEST_PORT/pulseboard"
  echo "pg_start: $PULSEBOARD_DATABASE_URL"
}

pg_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  if [ -f "$PG_TEST_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR PG_TEST_PORT PULSEBOARD_DATABASE_URL
}
