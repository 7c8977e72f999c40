#!/bin/bash
# usage: storm-probe.sh OUTDIR  — runs the storm stage alone and samples Redis and the gateway
out=$1; mkdir -p "$out"
cd /work/main
SERVERS=" " SKIP_SETUP=1 SKIP_BUILD=1 SKIP_DB=1 SKIP_CLUSTER=1 SKIP_MIX=1 STORM_SERVERS=pulseboard OUT=$out bench/run >"$out/bench.log" 2>&1 &
bp=$!
rport=
while kill -0 $bp 2>/dev/null; do
  if [[ -z $rport ]]; then
    rport=$(pgrep -a redis-server | grep -v 6379 | grep -o '127.0.0.1:[0-9]*' | head -1 | cut -d: -f2)
    if [[ -n $rport ]]; then
      redis-cli -p $rport config set slowlog-log-slower-than 5000 >/dev/null
      redis-cli -p $rport config set latency-monitor-threshold 50 >/dev/null
    fi
  fi
  if [[ -n $rport ]]; then
    gport=$(ss -ltnp 2>/dev/null | grep '"pulseboard"' | grep -o '127.0.0.1:[0-9]*' | head -1 | cut -d: -f2)
    m=""
    [[ -n $gport ]] && m=$(curl -s -m 1 http://127.0.0.1:$gport/metrics | grep -E '^pulseboard_(recoveries|connections_open|sessions)' | tr '\n' ' ')
    echo "$(date +%T.%N | cut -c1-12) ops=$(redis-cli -p $rport info stats | grep instantaneous_ops | cut -d: -f2 | tr -d '\r') clients=$(redis-cli -p $rport info clients | grep ^connected_clients | cut -d: -f2 | tr -d '\r') $m" >>"$out/probe.log"
  fi
  [[ -n $rport ]] && { redis-cli -p $rport slowlog get 30 >"$out/slowlog.tmp" 2>/dev/null && mv "$out/slowlog.tmp" "$out/slowlog.txt"; redis-cli -p $rport latency latest >"$out/latency.txt" 2>/dev/null; redis-cli -p $rport info commandstats >"$out/cs.tmp" 2>/dev/null && [[ -s $out/cs.tmp ]] && cp "$out/cs.tmp" "$out/commandstats.txt"; }
  sleep 0.25
done
echo done
