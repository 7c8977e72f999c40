# shellcheck shell=bash
# A throwaway PostgreSQL 15 for tests, on a free loopback port, in a temp dir.
#   source scripts/lib/postgres.sh
#   pg_start      # exports PULSEBOARD_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/pulseboard
#   ...
#   pg_stop       # stops the server and removes its data directory
# Logical replication is on (wal_level=logical, replication slots and WAL senders) for the
# worker's change source; local TCP connections on 127.0.0.1 are trusted, replication included.
# postgres refuses to run as root, so the server runs as the `postgres` user when we are root.
#
# pg_start --tls: TLS only (ssl=on, hostssl lines: a connection without TLS is refused), with a
# server certificate for 127.0.0.1 and localhost signed by a throw-away CA made here. Also
# exports PG_TLS_CA (that CA) and PG_TLS_OTHER_CA (one that signed nothing).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port nothing listens on now (the kernel picks it).
_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  local tls=0 host=host ssl_opts=""
  [ "${1:-}" = "--tls" ] && tls=1 host=hostssl
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
$host all         all 127.0.0.1/32  trust
$host replication all 127.0.0.1/32  trust
HBA
  if ((tls)); then
    _pg_tls_certs "$PG_TEST_DIR/tls" || { pg_stop; return 1; }
    ssl_opts="-c ssl=on -c ssl_cert_file=$PG_TEST_DIR/tls/server.crt \
      -c ssl_key_file=$PG_TEST_DIR/tls/server.key"
  fi
  # Socket dir in the temp dir: /var/run/postgresql may not exist or be writable.
  if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 \
      -o "-p $PG_TEST_PORT -h 127.0.0.1 -k $PG_TEST_DIR/data -c wal_level=logical \
          -c max_replication_slots=10 -c max_wal_senders=10 -c fsync=off $ssl_opts" \
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
  local ssl_url=""
  ((tls)) && ssl_url="?sslmode=verify-full&sslrootcert=$PG_TEST_DIR/tls/ca.crt"
  "$PG_BIN/createdb" --maintenance-db="postgresql://postgres@127.0.0.1:$PG_TEST_PORT/postgres$ssl_url" \
    pulseboard ||
    { pg_stop; return 1; }
  export PULSEBOARD_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_TEST_PORT/pulseboard$ssl_url"
  if ((tls)); then
    export PG_TLS_CA="$PG_TEST_DIR/tls/ca.crt" PG_TLS_OTHER_CA="$PG_TEST_DIR/tls/other-ca.crt"
  fi
  echo "pg_start: $PULSEBOARD_DATABASE_URL"
}

# The CA, a second CA, and the server's key and certificate (SAN 127.0.0.1, localhost), owned
# by the server's user with the key private (postgres refuses a key others can read).
_pg_tls_certs() {
  local dir=$1 ca
  mkdir -p "$dir"
  for ca in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pulseboard test pg $ca" \
      -keyout "$dir/$ca.key" -out "$dir/$ca.crt" >/dev/null 2>&1 || return 1
  done
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/server.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" \
    -out "$dir/server.csr" >/dev/null 2>&1 &&
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1 ||
    return 1
  chmod 600 "$dir/server.key"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  chmod 644 "$dir"/*.crt
  return 0
}

pg_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  if [ -f "$PG_TEST_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR PG_TEST_PORT PULSEBOARD_DATABASE_URL PG_TLS_CA PG_TLS_OTHER_CA
}
