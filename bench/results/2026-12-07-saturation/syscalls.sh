#!/usr/bin/env bash
# usage: syscalls.sh BINARY CLIENTS PHASE   (BINARY "fanout" = the uWebSockets.js fan-out): the
# system calls the server makes per second, counted by perf over 5 s of the phase
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
bin=$1; clients=$2; phase=$3
export JWT_SECRET=bench-secret-not-for-production-use
rp=6391; gp=4790
redis-server --port $rp --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning >/dev/null 2>&1 &
rpid=$!
sleep 0.5
if [[ $bin == fanout ]]; then
  (cd $ROOT/bench/peers/uws-fanout && exec env PORT=$gp REDIS_URL=redis://127.0.0.1:$rp node server.js) >/tmp/sc-gw.log 2>&1 &
else
  PORT=$gp REDIS_URL=redis://127.0.0.1:$rp LOG_LEVEL=warn $bin gateway --bind 127.0.0.1 >/tmp/sc-gw.log 2>&1 &
fi
gpid=$!
for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$gp) 2>/dev/null && break; sleep 0.1; done
$ROOT/build/release/pulseboard_loadgen --port $gp --clients $clients --threads 1 --source-octet ${OCT:-20} --redis-url redis://127.0.0.1:$rp --server-pid $gpid --drain 5 --phase $phase > /tmp/sc.json 2>/tmp/sc.lg &
lpid=$!
# wait for the phase to begin
for i in $(seq 600); do grep -qE "\] +(sat|[0-9]+/s|mix)" /tmp/sc.lg 2>/dev/null && break; sleep 0.2; done
sleep 2
perf stat -x, -e syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_read,syscalls:sys_enter_epoll_ctl -p $gpid -- sleep 5 2>&1 | awk -F, '{printf "%s %.0f/s\n",$3,$1/5}'
wait $lpid
kill $gpid $rpid; wait 2>/dev/null
python3 -c "
import json;d=json.load(open('/tmp/sc.json'))
for p in d['phases']: s=p['server']; print('%-10s p99 %5.0f cpu %.2f user %.2f fps %.0f'%(p['name'],p['latency_us']['p99']/1000,s['cpu_us_per_frame'],s['user_us_per_frame'],p['frames_per_s']))"
