#!/usr/bin/env bash
# Worker throughput over a stream file, with 1 and with 5 streams over one SQLite table: ROWS
# rows are written by the sqlite3 CLI (outbox triggers) before the worker starts; the worker,
# with rebuild off, streams that backlog to Redis. Printed per run: rows per second through every
# stream (each row is one published event per stream), events per second in all, and the
# worker's resident memory at the end; memory per stream is the 5-stream run's RSS minus the
# 1-stream run's, over 4.
#   bench/streams/run.sh [ROWS]   (PULSEBOARD_BIN: default build/release/pulseboard)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${1:-20000}
bin=${PULSEBOARD_BIN:-$root/build/release/pulseboard}
work=$(mktemp -d /tmp/pulseboard-bench-streams.XXXXXX)
source "$root/scripts/lib/redis.sh"
redis_start "$work/redis" >/dev/null
trap 'redis_stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

stream_file() {  # $1: streams
  for i in $(seq 1 "$1"); do
    cat <<TOML
[[stream]]
name = "s$i"
source = "events"
rooms = ["bench-$i"]
event = "event"
pipeline = '''[{"\$match": {"operationType": "insert"}},
  {"\$project": {"id": "\$fullDocument.id", "grp": "\$fullDocument.grp",
                 "v": "\$fullDocument.v", "at": "\$fullDocument.at"}}]'''
[stream.aggregate]
time = "at"
interval = "1s"
window = "5m"
[[stream.aggregate.measure]]
name = "n"
op = "count"
[[stream.aggregate.measure]]
name = "total"
op = "sum"
field = "v"
[stream.aggregate.group]
field = "grp"

TOML
  done
}

applied() {  # $1: metrics URL; the smallest rows_applied over the streams
  curl -fs "$1" | awk '/^pulseboard_worker_stream_rows_applied_total/ {v=$2; if (min=="" || v<min) min=v} END {print min+0}'
}

run() {  # $1: streams
  local n=$1 db="$work/bench-$1.db" port
  sqlite3 "$db" "CREATE TABLE events (id INTEGER PRIMARY KEY, grp TEXT, v REAL, at INTEGER);"
  stream_file "$n" >"$work/streams-$n.toml"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # The triggers exist once the worker has started; the rows are written after that, then timed.
  DATABASE_URL="sqlite://$db" REDIS_URL=$REDIS_URL LOG_LEVEL=warn WORKER_REBUILD=0 \
    "$bin" worker --no-leader-election --config "$work/streams-$n.toml" --http-port "$port" \
    --canary-interval-ms 0 &
  local pid=$!
  until curl -fs "http://127.0.0.1:$port/metrics" | grep -q rows_applied; do sleep 0.2; done
  local now_ms
  now_ms=$(date +%s%3N)
  local start=$(date +%s.%N)
  python3 - "$db" "$rows" "$now_ms" <<'PY'
import sqlite3, sys
db, rows, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db, timeout=30)
c.executemany("INSERT INTO events (id, grp, v, at) VALUES (?, ?, ?, ?)",
              ((i, f"g{i % 20}", i % 100, now - i % 60000) for i in range(1, rows + 1)))
c.commit()
PY
  until [ "$(applied "http://127.0.0.1:$port/metrics")" -ge "$rows" ]; do sleep 0.1; done
  local end=$(date +%s.%N)
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "
rows, n, secs, rss = $rows, $n, $end - $start, $rss
print(f'{n} stream(s): {rows} rows in {secs:.2f} s: {rows/secs:,.0f} rows/s, '
      f'{rows*n/secs:,.0f} events/s published; worker RSS {rss/1024:.1f} MiB')"
  echo "$rss" >"$work/rss-$n"
}

echo "pulseboard worker, $rows rows over SQLite, binary $bin"
run 1
run 5
python3 -c "print(f'memory per extra stream: {($(cat "$work/rss-5") - $(cat "$work/rss-1"))/4/1024:.1f} MiB')"
