// HTTPS and WSS on every role (--tls-cert/--tls-key, docs/deploy.md#tls), with a CA and
// certificates this file makes with openssl: the real socket.io-client over wss:// and over
// https long-polling (upgrading across the gateway's loops), the orders API and the worker's
// health port over https, a certificate rotated by SIGHUP under live connections, and the
// start-up refusals.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { freePort, mintToken, mintWriteToken, nextEvent, PUBLISH_KEY, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';
import { httpsRequest, issueCert, makeCa, peerSerial, runToExit, startTlsRole } from './lib/tls.mjs';

const ca = makeCa();
const first = issueCert(ca, 'first', '0a11');
const second = issueCert(ca, 'second', '0b22');
const stranger = issueCert(ca, 'stranger', '0c33');

function connect(url, transports, opts = {}) {
  return io(url, { transports, ca: ca.ca, reconnection: false, forceNew: true, auth: { token: mintToken() }, ...opts });
}

function publishOver(gw, data, event = 'order') {
  return httpsRequest(`${gw.url}/api/v1/publish`, {
    ca: ca.ca,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISH_KEY}` },
    body: JSON.stringify({ room: 'live-metrics', event, data }),
  });
}

async function publishReaches(gw, clients, data) {
  const got = clients.map((c) => nextEvent(c, 'order', 10000));
  assert.equal((await publishOver(gw, data)).status, 202);
  for (const g of got) assert.deepEqual(await g, [data]);
}

async function metric(gw, line) {
  const text = (await httpsRequest(`${gw.url}/metrics`, { ca: ca.ca })).body;
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return Number(found?.split(' ').pop());
}

describe('a gateway serving TLS', () => {
  let gw;
  const clients = [];
  before(async () => {
    gw = await startTlsRole({ cert: first, ca: ca.ca, args: ['--threads', '4'] });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly');
  });

  it('delivers a bridge publish to socket.io-client over wss://', async () => {
    const c = connect(gw.url.replace('https:', 'wss:'), ['websocket']);
    clients.push(c);
    await nextEvent(c, 'connect', 20000);
    await publishReaches(gw, [c], { over: 'wss' });
  });

  it('delivers it over https long-polling, and to clients that upgrade to wss on other loops', async () => {
    const polling = connect(gw.url, ['polling']);
    clients.push(polling);
    await nextEvent(polling, 'connect', 20000);
    assert.equal(polling.io.engine.transport.name, 'polling');
    // Eight sessions opened by polling land on the four loops in turn; their upgrade requests
    // arrive on new connections, most of them on another loop than their session's.
    const upgrading = Array.from({ length: 8 }, () => connect(gw.url, ['polling', 'websocket']));
    clients.push(...upgrading);
    await waitFor(() => upgrading.every((c) => c.connected && c.io.engine.transport.name === 'websocket'),
      { timeoutMs: 30000, what: 'eight clients upgraded to websocket' });
    await publishReaches(gw, [polling, ...upgrading], { over: 'https' });
  });

  it('is not reachable over plain http', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${gw.port}/healthz`));
  });
});

describe('a certificate rotated by SIGHUP', () => {
  let gw, dir, live;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulseboard-tls-rotate-'));
    const files = { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') };
    copyFileSync(first.cert, files.cert);
    copyFileSync(first.key, files.key);
    gw = await startTlsRole({ cert: files, ca: ca.ca, args: ['--threads', '2'] });
    gw.files = files;
    live = [connect(gw.url, ['websocket']), connect(gw.url, ['polling'])];
    await Promise.all(live.map((c) => nextEvent(c, 'connect', 20000)));
  });
  after(async () => {
    for (const c of live ?? []) c.disconnect();
    await gw?.stop();
  });

  it('keeps open wss and polling clients receiving while new connections get the new certificate', async () => {
    assert.equal(await peerSerial(gw.port, ca.ca), first.serial);
    let dropped = null;
    for (const c of live) c.on('disconnect', (why) => (dropped = why));
    copyFileSync(second.cert, gw.files.cert);
    copyFileSync(second.key, gw.files.key);
    gw.child.kill('SIGHUP');
    await waitFor(async () => (await peerSerial(gw.port, ca.ca)) === second.serial,
      { timeoutMs: 20000, what: 'the new certificate on new connections' });
    await publishReaches(gw, live, { after: 'reload' });
    assert.equal(dropped, null, 'no client was disconnected by the reload');
    assert.equal(await metric(gw, 'pulseboard_tls_reloads_total{result="ok"}'), 1);
  });

  it('keeps the current certificate when the new files do not load', async () => {
    writeFileSync(gw.files.cert, 'not a certificate\n');
    gw.child.kill('SIGHUP');
    await waitFor(async () => (await metric(gw, 'pulseboard_tls_reloads_total{result="failed"}')) === 1,
      { timeoutMs: 20000, what: 'the failed reload counted' });
    assert.equal(await peerSerial(gw.port, ca.ca), second.serial);
    assert.match(gw.stderr(), /TLS reload failed, keeping the current certificate: cannot load the TLS certificate/);
    await publishReaches(gw, live, { after: 'failed reload' });
  });
});

describe('the orders API and the worker health port over https', () => {
  let dir, api, worker, redis;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulseboard-tls-data-'));
    const DATABASE_URL = `sqlite://${path.join(dir, 'orders.db')}`;
    api = await startTlsRole({ role: 'api', cert: first, ca: ca.ca, env: { DATABASE_URL } });
    redis = await startRedis();
    worker = await startTlsRole({
      role: 'worker', cert: first, ca: ca.ca, portFlag: '--http-port',
      env: { DATABASE_URL, REDIS_URL: redis.url, WORKER_STATE_DIR: dir },
    });
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await redis?.stop();
  });

  it('takes an order POSTed over https', async () => {
    const res = await httpsRequest(`${api.url}/api/v1/orders`, {
      ca: ca.ca,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${mintWriteToken()}` },
      body: JSON.stringify({ amount: 42.5, category: 'books', status: 'completed' }),
    });
    assert.equal(res.status, 201, res.body);
    assert.equal(JSON.parse(res.body).amount, 42.5);
  });

  it('answers /readyz and /metrics on the worker port over https', async () => {
    await waitFor(async () => (await httpsRequest(`${worker.url}/readyz`, { ca: ca.ca })).status === 200,
      { timeoutMs: 30000, what: 'worker ready' });
    const metrics = await httpsRequest(`${worker.url}/metrics`, { ca: ca.ca });
    assert.match(metrics.body, /pulseboard_tls_handshake_failures_total\{reason="timeout"\} 0/);
  });

  it('is refused by a client that trusts another CA', async () => {
    const other = makeCa();
    await assert.rejects(httpsRequest(`${worker.url}/healthz`, { ca: other.ca }), /self.signed|unable to verify|signature/i);
  });
});

describe('TLS files that do not load', () => {
  const cases = [
    ['a missing certificate', () => ['--tls-cert', '/nonexistent/tls.crt', '--tls-key', first.key], /cannot read the TLS certificate file \/nonexistent\/tls\.crt/],
    ['a key of another certificate', () => ['--tls-cert', first.cert, '--tls-key', stranger.key], /TLS key .*stranger\.key does not match the certificate .*first\.crt/],
    ['a certificate without its key', () => ['--tls-cert', first.cert], /--tls-cert \(TLS_CERT\) and --tls-key \(TLS_KEY\) go together/],
  ];
  for (const [what, args, message] of cases) {
    it(`stop the gateway at start-up: ${what}`, async () => {
      const port = await freePort();
      const { code, output } = await runToExit(['gateway', '--port', String(port), ...args()]);
      assert.notEqual(code, 0);
      assert.match(output, message);
    });
  }
});
