#!/usr/bin/env bash
# usage: ab3.sh runs clients name:bin... -- phases...   (bin "fanout" = the uWS fan-out)
runs=$1; clients=$2; shift 2
specs=(); while [[ $1 != -- ]]; do specs+=("$1"); shift; done; shift
export JWT_SECRET=bench-secret-not-for-production-use
rp=6394
redis-server --port $rp --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning >/dev/null 2>&1 &
rpid=$!
sleep 0.5
octet=${OCTET0:-60}
for r in $(seq $runs); do
  for spec in "${specs[@]}"; do
    name=${spec%%:*}; bin=${spec#*:}
    gp=$((4700+octet))
    if [[ $bin == fanout ]]; then
      (cd /work/main/bench/peers/uws-fanout && exec env PORT=$gp REDIS_URL=redis://127.0.0.1:$rp node server.js) >/tmp/ab-gw.log 2>&1 &
    else
      PORT=$gp REDIS_URL=redis://127.0.0.1:$rp LOG_LEVEL=warn $bin gateway --bind 127.0.0.1 >/tmp/ab-gw.log 2>&1 &
    fi
    gpid=$!
    for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$gp) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    octet=$((octet+1))
    /work/main/build/release/pulseboard_loadgen --port $gp --clients $clients --threads 1 --source-octet $octet --redis-url redis://127.0.0.1:$rp --server-pid $gpid --drain 10 "$@" > /tmp/ab-$name-$r.json 2>/dev/null
    kill $gpid; wait $gpid 2>/dev/null
    python3 -c "
import json;d=json.load(open('/tmp/ab-$name-$r.json'))
for p in d['phases']: s=p['server']; print('%-8s r$r %-10s p99 %5.0f cpu %.2f user %.2f lg %.2f fps %.0f'%('$name',p['name'],p['latency_us']['p99']/1000,s['cpu_us_per_frame'],s['user_us_per_frame'],p['loadgen_cpu_us_per_frame'],p['frames_per_s']))"
  done
done
kill $rpid; wait
