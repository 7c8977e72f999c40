// Bytes on the wire per dashboard, and the gateway's CPU, with WebSocket permessage-deflate on
// and off (docs/benchmarks.md, "WebSocket compression"). Starts `pulseboard demo` once per mode
// with the order feed at --rate, connects `clients` official socket.io-client dashboards through
// a counting TCP tap, and after a warm-up counts for `seconds`: server→client bytes per
// dashboard per second, the events and their decoded payload bytes (the same in both modes),
// and the gateway's CPU seconds per second (utime + stime from /proc).
//   node bench/wire/dashboard_bytes.mjs [--bin build/release/pulseboard] [--rate 10]
//        [--clients 1] [--seconds 30] [--warmup 5] [--modes off,on] [--extra="<demo flags>"]
// Needs tests/interop's node_modules (npm ci there).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../../tests/interop/package.json', import.meta.url));
const { io } = require('socket.io-client');

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string', default: 'build/release/pulseboard' },
    rate: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'off,on' }, // --ws-deflate values, one run each
    extra: { type: 'string', default: '' }, // more demo flags, e.g. --extra="--ws-deflate-min-bytes 128"
  },
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  return port;
}

function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

// A TCP tap that counts what the gateway sends to its clients.
async function startTap(targetPort) {
  const tap = { bytes: 0 };
  const server = net.createServer((down) => {
    const up = net.connect({ host: '127.0.0.1', port: targetPort });
    up.on('data', (d) => (tap.bytes += d.length));
    for (const s of [down, up]) s.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  tap.port = server.address().port;
  tap.close = () => server.close();
  return tap;
}

async function waitHealthy(url) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error('the demo did not start');
}

async function measure(deflate) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-wire-'));
  const child = spawn(opt.bin, ['demo', '--port', String(port), '--rate', opt.rate,
    '--database', `sqlite:${dir}/demo.db`, '--ws-deflate', deflate, ...opt.extra.split(' ').filter(Boolean)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url);
    const { token } = await (await fetch(`${url}/api/v1/dev-token`)).json();
    const tap = await startTap(port);
    const stats = { events: 0, payloadBytes: 0, byEvent: {} };
    const clients = [];
    for (let i = 0; i < Number(opt.clients); i++) {
      const c = io(`http://127.0.0.1:${tap.port}`, { transports: ['websocket'], auth: { token } });
      c.onAny((event, ...args) => {
        const bytes = Buffer.byteLength(JSON.stringify([event, ...args]));
        stats.events += 1;
        stats.payloadBytes += bytes;
        const e = (stats.byEvent[event] ??= { count: 0, bytes: 0 });
        e.count += 1;
        e.bytes += bytes;
      });
      clients.push(c);
    }
    await sleep(Number(opt.warmup) * 1000);
    const start = { bytes: tap.bytes, cpu: cpuSeconds(child.pid), events: stats.events, payload: stats.payloadBytes, t: Date.now() };
    await sleep(Number(opt.seconds) * 1000);
    const secs = (Date.now() - start.t) / 1000;
    const n = clients.length;
    const result = {
      deflate,
      extra: opt.extra,
      clients: n,
      bytesPerDashboardPerSecond: Math.round((tap.bytes - start.bytes) / n / secs),
      eventsPerDashboardPerSecond: +((stats.events - start.events) / n / secs).toFixed(2),
      decodedBytesPerDashboardPerSecond: Math.round((stats.payloadBytes - start.payload) / n / secs),
      gatewayCpuPercent: +((100 * (cpuSeconds(child.pid) - start.cpu)) / secs).toFixed(1),
    };
    if (process.env.VERBOSE) console.error(deflate, JSON.stringify(stats.byEvent));
    for (const c of clients) c.disconnect();
    tap.close();
    return result;
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const mode of opt.modes.split(',')) results.push(await measure(mode));
console.table(results);
console.log(JSON.stringify(results));
process.exit(0);
