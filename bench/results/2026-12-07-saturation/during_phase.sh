#!/usr/bin/env bash
# usage: during_phase.sh MODE BINARY CLIENTS PHASE   (BINARY "fanout" = the uWebSockets.js fan-out)
# Starts Redis and the server, runs the load generator with one PHASE, and over 5 s of that phase
# measures the server by MODE:
#   syscalls  the system calls it makes per second (perf stat on the syscalls:sys_enter_* tracepoints)
#   threads   each of its threads' user and system CPU, in % of one core (threads with none omitted)
# then prints the phase's figures from the load generator.
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
mode=$1; bin=$2; clients=$3; phase=$4
export JWT_SECRET=bench-secret-not-for-production-use
rp=6391; gp=4790; work=$(mktemp -d)
redis-server --port $rp --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning >/dev/null 2>&1 &
rpid=$!
sleep 0.5
if [[ $bin == fanout ]]; then
  (cd $ROOT/bench/peers/uws-fanout && exec env PORT=$gp REDIS_URL=redis://127.0.0.1:$rp node server.js) >$work/server.log 2>&1 &
else
  PORT=$gp REDIS_URL=redis://127.0.0.1:$rp LOG_LEVEL=warn $bin gateway --bind 127.0.0.1 >$work/server.log 2>&1 &
fi
gpid=$!
for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$gp) 2>/dev/null && break; sleep 0.1; done
$ROOT/build/release/pulseboard_loadgen --port $gp --clients $clients --threads 1 --source-octet ${OCT:-20} \
  --redis-url redis://127.0.0.1:$rp --server-pid $gpid --drain 5 --phase $phase >$work/lg.json 2>$work/lg.log &
lpid=$!
# wait for the phase to begin (its progress lines name it), then 2 s more
for i in $(seq 600); do grep -qE "\] +(sat|[0-9]+/s|mix)" $work/lg.log 2>/dev/null && break; sleep 0.2; done
sleep 2
if [[ $mode == syscalls ]]; then
  perf stat -x, -e syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_read,syscalls:sys_enter_epoll_ctl \
    -p $gpid -- sleep 5 2>&1 | awk -F, '{printf "%s %.0f/s\n",$3,$1/5}'
else
  # utime and stime in clock ticks (100 per second): ticks over 5 s ÷ 5 = % of one core
  snap() { for t in /proc/$gpid/task/*; do echo "$(basename $t) $(tr ' ' _ <$t/comm) $(awk '{print $14, $15}' $t/stat)"; done; }
  snap >$work/a; sleep 5; snap >$work/b
  join <(sort $work/a) <(sort $work/b) |
    awk '{u=$6-$3; s=$7-$4; if (u+s>0) printf "%-8s %-16s user %5.1f%% sys %5.1f%%\n",$1,$2,u/5,s/5}'
fi
wait $lpid
kill $gpid $rpid; wait 2>/dev/null
python3 -c "
import json;d=json.load(open('$work/lg.json'))
for p in d['phases']: s=p['server']; print('%-10s p99 %5.0f cpu %.2f user %.2f fps %.0f'%(p['name'],p['latency_us']['p99']/1000,s['cpu_us_per_frame'],s['user_us_per_frame'],p['frames_per_s']))"
rm -rf $work
