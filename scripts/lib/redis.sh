# shellcheck shell=bash
# Throw-away Redis servers on loopback for tests. Source this file, then:
#   redis_start <dir>          one server; exports REDIS_PORT, REDIS_PID, REDIS_URL
#   redis_stop
#   redis_cluster_start <dir>  3 masters, no replicas; exports REDIS_CLUSTER_PORTS (space
#                              separated), REDIS_CLUSTER_PIDS, REDIS_CLUSTER_URL (first node)
#   redis_cluster_stop
# Nothing persists: --save '' --appendonly no. Ports are chosen at run time; readiness is
# polled with a deadline, never slept for.

_redis_deadline_s=${REDIS_START_DEADLINE_S:-10}

# A loopback TCP port that nothing listens on right now (a later bind may still race; the
# start functions retry with another port if the server does not come up).
_redis_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# _redis_wait_ping <port> <pid>: PONG before the deadline, and the process still alive.
_redis_wait_ping() {
  local port=$1 pid=$2 end=$((SECONDS + _redis_deadline_s))
  while ((SECONDS < end)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then return 0; fi
    sleep 0.05
  done
  return 1
}

# _redis_spawn <dir> <port> [extra redis-server args...]: prints the pid.
_redis_spawn() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
    --daemonize no --logfile "$dir/redis.log" "$@" >/dev/null 2>&1 &
  echo $!
}

redis_start() {
  local dir=${1:?redis_start <dir>} port pid
  for _ in 1 2 3; do
    port=$(_redis_free_port) || break
    pid=$(_redis_spawn "$dir" "$port")
    if _redis_wait_ping "$port" "$pid"; then
      export REDIS_PORT=$port REDIS_PID=$pid REDIS_URL="redis://127.0.0.1:$port"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "redis_start: no redis-server answered PING (see $dir/redis.log)" >&2
  return 1
}

redis_stop() {
  if [[ -n ${REDIS_PID:-} ]]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  unset REDIS_PORT REDIS_PID REDIS_URL
}

redis_cluster_start() {
  local dir=${1:?redis_cluster_start <dir>} port pid i ports=() pids=() nodes=()
  local attempt started
  for i in 1 2 3; do
    # A port found free may be taken before the node binds it (or its bus port, port+10000):
    # another port is tried, as redis_start does.
    started=0
    for attempt in 1 2 3; do
      port=$(_redis_free_port) || return 1
      # The cluster bus listens on port+10000, which must be free too.
      while ((port > 55000)) || ss -Hltn "sport = :$((port + 10000))" | grep -q .; do
        port=$(_redis_free_port) || return 1
      done
      rm -rf "$dir/node$i"
      pid=$(_redis_spawn "$dir/node$i" "$port" --cluster-enabled yes \
        --cluster-config-file "$dir/node$i/nodes.conf" --cluster-node-timeout 2000)
      if _redis_wait_ping "$port" "$pid"; then
        started=1
        break
      fi
      echo "redis_cluster_start: node $i on port $port did not start (attempt $attempt):" >&2
      tail -3 "$dir/node$i/redis.log" >&2 2>/dev/null
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
    if ((!started)); then
      kill "${pids[@]}" 2>/dev/null || true
      return 1
    fi
    ports+=("$port")
    pids+=("$pid")
    nodes+=("127.0.0.1:$port")
  done
  if ! redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
    >"$dir/create.log" 2>&1; then
    echo "redis_cluster_start: cluster create failed (see $dir/create.log)" >&2
    kill "${pids[@]}" 2>/dev/null || true
    return 1
  fi
  local end=$((SECONDS + _redis_deadline_s)) p ok
  while ((SECONDS < end)); do
    ok=1
    for p in "${ports[@]}"; do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
    done
    if ((ok)); then
      export REDIS_CLUSTER_PORTS="${ports[*]}" REDIS_CLUSTER_PIDS="${pids[*]}"
      export REDIS_CLUSTER_URL="redis://127.0.0.1:${ports[0]}"
      return 0
    fi
    sleep 0.1
  done
  echo "redis_cluster_start: cluster_state never became ok" >&2
  kill "${pids[@]}" 2>/dev/null || true
  return 1
}

redis_cluster_stop() {
  local pid
  for pid in ${REDIS_CLUSTER_PIDS:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  unset REDIS_CLUSTER_PORTS REDIS_CLUSTER_PIDS REDIS_CLUSTER_URL
}

# redis_tls_start <dir>: one server that speaks only TLS (--port 0), its certificate for
# 127.0.0.1 and localhost signed by a throw-away CA made here with openssl. Exports
# REDIS_TLS_PORT, REDIS_TLS_PID, REDIS_TLS_URL (rediss://127.0.0.1:<port>), REDIS_TLS_CA (the CA
# that signed it), REDIS_TLS_OTHER_CA (a CA that did not), and REDIS_TLS_CLIENT_CERT and
# REDIS_TLS_CLIENT_KEY: the server requires a client certificate signed by its CA. Returns 2 when
# redis-server was built without TLS.
redis_tls_start() {
  local dir=${1:?redis_tls_start <dir>} port pid
  if ! _redis_has_tls; then
    echo "redis_tls_start: this redis-server was built without TLS" >&2
    return 2
  fi
  mkdir -p "$dir"
  _redis_tls_certs "$dir" || return 1
  for _ in 1 2 3; do
    port=$(_redis_free_port) || break
    pid=$(_redis_spawn "$dir" 0 --tls-port "$port" --tls-cert-file "$dir/server.crt" \
      --tls-key-file "$dir/server.key" --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients yes)
    if _redis_wait_tls_ping "$dir" "$port" "$pid"; then
      export REDIS_TLS_PORT=$port REDIS_TLS_PID=$pid REDIS_TLS_URL="rediss://127.0.0.1:$port"
      export REDIS_TLS_CA="$dir/ca.crt" REDIS_TLS_OTHER_CA="$dir/other-ca.crt"
      export REDIS_TLS_CLIENT_CERT="$dir/client.crt" REDIS_TLS_CLIENT_KEY="$dir/client.key"
      return 0
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  echo "redis_tls_start: no TLS redis-server answered PING (see $dir/redis.log)" >&2
  return 1
}

redis_tls_stop() {
  if [[ -n ${REDIS_TLS_PID:-} ]]; then
    kill "$REDIS_TLS_PID" 2>/dev/null
    wait "$REDIS_TLS_PID" 2>/dev/null
  fi
  unset REDIS_TLS_PORT REDIS_TLS_PID REDIS_TLS_URL REDIS_TLS_CA REDIS_TLS_OTHER_CA \
    REDIS_TLS_CLIENT_CERT REDIS_TLS_CLIENT_KEY
}

# A redis-server without TLS refuses the tls-* directives while reading its arguments (and one
# with TLS stops at once too, on the missing files).
_redis_has_tls() {
  ! timeout 10 redis-server --port 0 --tls-port 1 --tls-cert-file /nonexistent \
    --tls-key-file /nonexistent --save '' 2>&1 | grep -q 'Bad directive'
}

# The CA, a second unrelated CA, the server's key and certificate (SAN 127.0.0.1, ::1,
# localhost) and a client's, all short-lived and valid from now; kept when <dir> has them, so
# that a TLS server and a TLS cluster started in one <dir> trust the same CA.
_redis_tls_certs() {
  local dir=$1 ca
  [[ -s $dir/client.crt ]] && return 0
  for ca in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pulseboard test $ca" \
      -keyout "$dir/$ca.key" -out "$dir/$ca.crt" >/dev/null 2>&1 || return 1
  done
  printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$dir/server.ext"
  printf 'extendedKeyUsage=clientAuth\n' >"$dir/client.ext"
  _redis_tls_sign "$dir" server localhost && _redis_tls_sign "$dir" client pulseboard
}

# _redis_tls_sign <dir> <name> <common name>: <name>.key and <name>.crt signed by ca.crt with
# the extensions in <name>.ext.
_redis_tls_sign() {
  local dir=$1 name=$2 cn=$3
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" >/dev/null 2>&1 &&
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -CAcreateserial -days 2 -extfile "$dir/$name.ext" -out "$dir/$name.crt" >/dev/null 2>&1
}

_redis_wait_tls_ping() {
  local dir=$1 port=$2 pid=$3 end=$((SECONDS + _redis_deadline_s))
  while ((SECONDS < end)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ $(redis-cli --tls --cacert "$dir/ca.crt" --cert "$dir/client.crt" \
      --key "$dir/client.key" -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# redis_tls_cluster_start <dir>: 3 masters that speak only TLS, to clients and on the cluster
# bus, with the certificates redis_tls_start makes (the same ones when given its <dir>). Exports REDIS_TLS_CLUSTER_URL
# (rediss://, first node), REDIS_TLS_CLUSTER_PIDS, and the REDIS_TLS_CA/... file variables.
redis_tls_cluster_start() {
  local dir=${1:?redis_tls_cluster_start <dir>} port pid i pids=() nodes=()
  mkdir -p "$dir"
  _redis_tls_certs "$dir" || return 1
  local tls=(--tls-cert-file "$dir/server.crt" --tls-key-file "$dir/server.key"
    --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients yes --tls-cluster yes)
  local cli=(--tls --cacert "$dir/ca.crt" --cert "$dir/client.crt" --key "$dir/client.key")
  for i in 1 2 3; do
    port=$(_redis_free_port) || return 1
    while ((port > 55000)) || ss -Hltn "sport = :$((port + 10000))" | grep -q .; do
      port=$(_redis_free_port) || return 1
    done
    pid=$(_redis_spawn "$dir/node$i" 0 --tls-port "$port" "${tls[@]}" --cluster-enabled yes \
      --cluster-config-file "$dir/node$i/nodes.conf" --cluster-node-timeout 2000)
    pids+=("$pid")
    nodes+=("127.0.0.1:$port")
    if ! _redis_wait_tls_ping "$dir" "$port" "$pid"; then
      echo "redis_tls_cluster_start: node $i did not start (see $dir/node$i/redis.log)" >&2
      kill "${pids[@]}" 2>/dev/null
      return 1
    fi
  done
  if ! redis-cli "${cli[@]}" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes \
    >"$dir/create.log" 2>&1; then
    echo "redis_tls_cluster_start: cluster create failed (see $dir/create.log)" >&2
    kill "${pids[@]}" 2>/dev/null
    return 1
  fi
  local end=$((SECONDS + _redis_deadline_s)) node ok
  while ((SECONDS < end)); do
    ok=1
    for node in "${nodes[@]}"; do
      redis-cli "${cli[@]}" -p "${node#*:}" cluster info 2>/dev/null |
        grep -q 'cluster_state:ok' || ok=0
    done
    if ((ok)); then
      export REDIS_TLS_CLUSTER_PIDS="${pids[*]}" REDIS_TLS_CLUSTER_URL="rediss://${nodes[0]}"
      export REDIS_TLS_CA="$dir/ca.crt" REDIS_TLS_OTHER_CA="$dir/other-ca.crt"
      export REDIS_TLS_CLIENT_CERT="$dir/client.crt" REDIS_TLS_CLIENT_KEY="$dir/client.key"
      return 0
    fi
    sleep 0.1
  done
  echo "redis_tls_cluster_start: cluster_state never became ok" >&2
  kill "${pids[@]}" 2>/dev/null
  return 1
}

redis_tls_cluster_stop() {
  local pid
  for pid in ${REDIS_TLS_CLUSTER_PIDS:-}; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  unset REDIS_TLS_CLUSTER_PIDS REDIS_TLS_CLUSTER_URL
}
