#!/usr/bin/env bash
# usage: threads.sh BINARY CLIENTS PHASE   (BINARY "fanout" = the uWebSockets.js fan-out): each
# server thread's user and system CPU over 5 s of the phase, in % of one core
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
bin=$1; clients=$2; phase=$3
export JWT_SECRET=bench-secret-not-for-production-use
rp=6392; gp=4791
redis-server --port $rp --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning >/dev/null 2>&1 &
rpid=$!
sleep 0.5
if [[ $bin == fanout ]]; then
  (cd $ROOT/bench/peers/uws-fanout && exec env PORT=$gp REDIS_URL=redis://127.0.0.1:$rp node server.js) >/tmp/thr-gw.log 2>&1 &
else
  PORT=$gp REDIS_URL=redis://127.0.0.1:$rp LOG_LEVEL=warn $bin gateway --bind 127.0.0.1 >/tmp/thr-gw.log 2>&1 &
fi
gpid=$!
for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$gp) 2>/dev/null && break; sleep 0.1; done
$ROOT/build/release/pulseboard_loadgen --port $gp --clients $clients --threads 1 --source-octet ${OCT:-21} --redis-url redis://127.0.0.1:$rp --server-pid $gpid --drain 5 --phase $phase > /tmp/thr.json 2>/tmp/thr.lg &
lpid=$!
for i in $(seq 600); do grep -qE "\] +(sat|[0-9]+/s|mix)" /tmp/thr.lg 2>/dev/null && break; sleep 0.2; done
sleep 2
snap() { for t in /proc/$gpid/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '{print $14, $15}' $t/stat)"; done; }
snap > /tmp/thr.a; sleep 5; snap > /tmp/thr.b
join <(sort /tmp/thr.a) <(sort /tmp/thr.b) | awk '{u=$6-$3; s=$7-$4; if (u+s>0) printf "%-8s %-16s user %5.1f%% sys %5.1f%%\n",$1,$2,u/5,s/5}'
wait $lpid
kill $gpid $rpid; wait 2>/dev/null
