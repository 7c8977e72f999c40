// The HTTP edge of a gateway under attack (docs/security.md, docs/gateway.md):
// - idle connections from one address are held to --max-connections-per-address at accept
//   time, so a gateway with few descriptors keeps serving other addresses;
// - HEAD answers are headers only on every route, so a kept-alive connection stays in step;
// - a Transfer-Encoding other than `chunked` alone (or beside Content-Length) is a 400 and the
//   connection closes, so a body is never read as the next request;
// - every request of a kept-alive connection has the same 30 s to arrive;
// - X-Forwarded-For on several field lines is one list;
// - a large static file is read from disk once, not on every request.
// Raw sockets where the bytes on the wire are the point.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PUBLISH_KEY, SECRET, binary, freePort, inheritedEnv, startPulseboard, waitFor } from './lib/gateway.mjs';
import { metricValue, metricsText, percentile, rejections, startHealthyClient } from './lib/healthy_client.mjs';
import { pollingHandshake } from './lib/raw_engineio.mjs';

// Writes `text` on a new connection and collects what comes back until the server closes the
// connection or `timeoutMs` passes.
function exchange(port, text, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closed: false });
    }, timeoutMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    socket.write(text);
  });
}

const statusLines = (data) => data.match(/^HTTP\/1\.[01] \d{3}/gm) ?? [];

function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

// A gateway whose open-file limit is set by the shell that execs it (only it is limited).
async function startLimitedGateway(fdLimit, args = []) {
  const port = await freePort();
  const child = spawn('sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, binary, 'gateway', '--port', String(port), ...args], {
    env: { ...inheritedEnv(), JWT_SECRET: SECRET, PUBLISH_API_KEY: PUBLISH_KEY, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: 'gateway up' });
  return {
    url,
    port,
    child,
    exited: () => exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function timedHealthz(url) {
  const start = performance.now();
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    return { ok: res.ok, ms: performance.now() - start };
  } catch {
    return { ok: false, ms: performance.now() - start };
  }
}

describe('an idle-connection flood from one address', { timeout: 150000 }, () => {
  const FD_LIMIT = 256;
  const FLOOD = 300;
  let gw;
  const flood = [];
  before(async () => {
    gw = await startLimitedGateway(FD_LIMIT);
  });
  after(async () => {
    for (const s of flood) s.destroy();
    await gw?.stop();
  });

  it('is held to the per-address cap while another address is served', async (t) => {
    const healthy = await startHealthyClient(gw);
    const fdsBefore = fdCount(gw.child.pid);
    let settled = 0;
    let closedByServer = 0;
    for (let i = 0; i < FLOOD; i++) {
      const s = net.connect({ host: '127.0.0.1', port: gw.port, localAddress: '127.0.0.2' });
      s.once('connect', () => (settled += 1));
      s.once('error', () => (settled += 1));
      s.on('close', () => (closedByServer += 1));
      s.resume(); // flowing, so the gateway's close is seen
      flood.push(s);
    }
    // The kernel completes every handshake (the listen backlog), accepted or not.
    await waitFor(() => settled >= FLOOD, { what: 'the flood to connect', timeoutMs: 30000 });
    const checks = [];
    for (let i = 0; i < 5; i++) checks.push(await timedHealthz(gw.url));
    const r = await healthy.stop().catch((e) => ({ error: e.message }));
    const fdsDuring = fdCount(gw.child.pid);
    const m = await metricsText(gw).catch(() => '');
    const cap = metricValue(m, 'pulseboard_http_connections_per_address_max');
    t.diagnostic(
      `flood of ${FLOOD} from 127.0.0.2 at ulimit -n ${FD_LIMIT}: fds ${fdsBefore} → ${fdsDuring}; ` +
        `${closedByServer} closed by the gateway; /healthz from 127.0.0.1 ` +
        `${checks.map((c) => (c.ok ? `${c.ms.toFixed(1)} ms` : 'timeout')).join(', ')}; ` +
        `healthy client ${r.error ?? `${r.received}/${r.sent} ticks, p50 ${r.p50} ms, p99 ${r.p99} ms`}`,
    );
    assert.ok(checks.every((c) => c.ok), '/healthz answered every time during the flood');
    assert.equal(r.error, undefined);
    assert.equal(r.received, r.sent);
    assert.equal(r.disconnected, null);
    // The cap's worth of connections is held and every other one closed at once.
    assert.ok(cap > 0 && cap < FLOOD, `cap ${cap}`);
    await waitFor(() => closedByServer >= FLOOD - cap, { what: `${FLOOD - cap} refused connections closed` });
    const m2 = await metricsText(gw);
    assert.equal(metricValue(m2, 'pulseboard_http_connections_busiest_address'), cap);
    assert.equal(rejections(m2, 'address_connection_limit'), FLOOD - cap);
    assert.ok(fdsDuring < FD_LIMIT - 16, `${fdsDuring} descriptors in use`);
    assert.equal(gw.exited(), null);
  });
});

describe('HEAD', { timeout: 60000 }, () => {
  let gw;
  let tmp;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-head-'));
    mkdirSync(path.join(tmp, 'assets'));
    writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><p>dashboard</p>');
    writeFileSync(path.join(tmp, 'assets', 'app-abc123.js'), 'console.log("app")');
    gw = await startPulseboard({ args: ['--static-dir', tmp] });
  });
  after(async () => {
    await gw?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('answers with the headers alone on every route, so the next response is read in step', async () => {
    const routes = [
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/v1/publish', // 405
      '/socket.io/?EIO=4&transport=polling', // Engine.IO refuses the method
      '/api/v1/nothing', // 404
      '/',
      '/assets/app-abc123.js',
    ];
    for (const route of routes) {
      const get = await exchange(gw.port, `GET ${route} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
      const { data } = await exchange(
        gw.port,
        `HEAD ${route} HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      const end = data.indexOf('\r\n\r\n');
      const head = data.slice(0, end);
      assert.match(head, /^HTTP\/1\.1 \d{3}/, route);
      const length = head.match(/^content-length: (\d+)$/im);
      assert.ok(length, `${route}: HEAD carries Content-Length`);
      if (!route.startsWith('/metrics') && !route.startsWith('/socket.io')) {
        // (A GET of these differs by itself: fresh counters, a handshake where HEAD is refused.)
        const getLength = get.data.match(/^content-length: (\d+)$/im);
        assert.equal(length[1], getLength[1], `${route}: the length a GET gets`);
        assert.equal(head.split('\r\n')[0], get.data.split('\r\n')[0], `${route}: the status a GET gets`);
      }
      // Right after the HEAD answer's header comes the next response, not a body.
      assert.ok(data.slice(end + 4).startsWith('HTTP/1.1 200'), `${route}: after HEAD came ${JSON.stringify(data.slice(end + 4, end + 40))}`);
      assert.equal(statusLines(data).length, 2, route);
    }
  });
});

describe('Transfer-Encoding', { timeout: 60000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw?.stop());

  const body = JSON.stringify({ room: 'live-metrics', event: 'tick', data: 1 });
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const post = (version, framing, payload) =>
    `POST /api/v1/publish HTTP/${version}\r\nHost: t\r\nAuthorization: Bearer ${PUBLISH_KEY}\r\n` +
    `Content-Type: application/json\r\n${framing}\r\n${payload}`;

  it('accepts chunked alone', async () => {
    const { data } = await exchange(gw.port, post('1.1', 'Transfer-Encoding: chunked\r\nConnection: close\r\n', chunked));
    assert.deepEqual(statusLines(data), ['HTTP/1.1 202']);
  });

  it('answers any other coding list, or one beside Content-Length, with 400 and closes', async () => {
    // What follows the header would be the next request if the body were taken to be empty.
    const smuggled = 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n';
    const cases = [
      ['1.1', 'Transfer-Encoding: chunked, identity\r\n', chunked + smuggled],
      ['1.1', 'Transfer-Encoding: gzip\r\n', smuggled],
      ['1.1', 'Transfer-Encoding: identity\r\n', smuggled],
      ['1.1', 'Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', chunked + smuggled],
      ['1.1', `Transfer-Encoding: identity\r\nContent-Length: ${body.length}\r\n`, body + smuggled],
      ['1.1', `Transfer-Encoding: chunked\r\nContent-Length: ${chunked.length}\r\n`, chunked + smuggled],
      ['1.1', `Content-Length: ${chunked.length}\r\nTransfer-Encoding: chunked\r\n`, chunked + smuggled],
      ['1.0', 'Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n', chunked + smuggled],
    ];
    for (const [version, framing, payload] of cases) {
      const { data, closed } = await exchange(gw.port, post(version, framing, payload));
      const what = `HTTP/${version} ${JSON.stringify(framing)}`;
      assert.deepEqual(statusLines(data), ['HTTP/1.1 400'], `${what}: ${data}`);
      assert.ok(closed, `${what}: the connection closes`);
    }
    assert.ok(rejections(await metricsText(gw), 'malformed_http_request') >= 4);
  });
});

describe('request timeouts', { timeout: 120000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw?.stop());

  // How long the gateway keeps a connection open after `text` with nothing more arriving.
  function closesAfter(text) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: gw.port });
      let since = performance.now();
      let answered = false;
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(Infinity);
      }, 60000);
      socket.on('data', () => {
        answered = true;
        since = performance.now();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ seconds: (performance.now() - since) / 1000, answered });
      });
      socket.write(text);
    });
  }

  it('gives the first request and every kept-alive one after it the same 30 s', async (t) => {
    const [first, kept] = await Promise.all([closesAfter(''), closesAfter('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n')]);
    t.diagnostic(`closed ${first.seconds?.toFixed(1)} s after connecting, ${kept.seconds?.toFixed(1)} s after a kept-alive answer`);
    assert.ok(kept.answered);
    for (const waited of [first, kept]) {
      assert.notEqual(waited, Infinity, 'the gateway closed the idle connection');
      assert.ok(waited.seconds > 25 && waited.seconds < 45, `closed after ${waited.seconds} s`);
    }
  });
});

describe('X-Forwarded-For on several field lines', { timeout: 60000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({ args: ['--trusted-proxies', '127.0.0.1', '--max-sessions-per-address', '2', '--handshake-rate', '0'] });
  });
  after(async () => gw?.stop());

  it('is read as one list: a forged first line does not make a new client', async () => {
    // The client writes a different address each time; the proxy appends its own line with
    // the address it saw, which is the same every time.
    const statuses = [];
    for (let i = 1; i <= 10; i++) {
      const r = await pollingHandshake(gw.url, { headers: { 'x-forwarded-for': [`203.0.113.${i}`, '198.51.100.7'] } });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429, 429, 429, 429, 429]);
    assert.equal(rejections(await metricsText(gw), 'address_session_limit'), 8);
  });
});

describe('a large static file', { timeout: 90000 }, () => {
  const SIZE = 5 * 1024 * 1024 + 300 * 1024;
  let gw;
  let tmp;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-big-'));
    mkdirSync(path.join(tmp, 'assets'));
    writeFileSync(path.join(tmp, 'index.html'), '<!doctype html>');
    const big = path.join(tmp, 'assets', 'vendor-abc123.js');
    writeFileSync(big, Buffer.alloc(SIZE, 'x'));
    const hourAgo = new Date(Date.now() - 3600 * 1000); // a deployed build, not one being written
    utimesSync(big, hourAgo, hourAgo);
    gw = await startPulseboard({ args: ['--static-dir', tmp] });
  });
  after(async () => {
    await gw?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // Bytes the gateway has read through read() and friends, disk and sockets alike.
  const readChars = () => Number(readFileSync(`/proc/${gw.child.pid}/io`, 'utf8').match(/^rchar: (\d+)$/m)[1]);

  it('is read from disk once, not on every request or revalidation', async (t) => {
    const url = `${gw.url}/assets/vendor-abc123.js`;
    const first = await fetch(url);
    const etag = first.headers.get('etag');
    assert.equal((await first.arrayBuffer()).byteLength, SIZE);
    // A file changed in the last two seconds is read on every request (its file times cannot
    // yet tell a same-size rewrite apart; docs/gateway.md): wait for it to be kept.
    await waitFor(
      async () => {
        const start = readChars();
        await (await fetch(url)).arrayBuffer();
        return readChars() - start < SIZE;
      },
      { what: 'the asset to be kept in memory', timeoutMs: 15000, intervalMs: 250 },
    );
    const before = readChars();
    const times = { 200: [], 304: [] };
    for (let i = 0; i < 20; i++) {
      for (const headers of [{}, { 'if-none-match': etag }]) {
        const start = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        times[res.status]?.push(performance.now() - start);
        assert.equal(res.headers.get('etag'), etag);
      }
    }
    const read = readChars() - before;
    t.diagnostic(
      `${(SIZE / 1048576).toFixed(1)} MiB asset: GET p50 ${percentile(times[200], 50).toFixed(1)} ms, ` +
        `304 p50 ${percentile(times[304], 50).toFixed(1)} ms; ${(read / 1048576).toFixed(1)} MiB read for 40 requests`,
    );
    assert.equal(times[200].length, 20);
    assert.equal(times[304].length, 20);
    assert.ok(read < SIZE, `${read} bytes read for 40 requests of a ${SIZE}-byte file`);
  });
});
