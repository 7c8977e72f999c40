// TLS handshakes that never finish (docs/security.md): from 127.0.0.2, connections that open
// TCP and stay silent, and connections that send the first bytes of a ClientHello and stop.
// Each is closed when the TLS handshake timeout passes, counted on /metrics, and those past the
// per-address cap are refused at accept, while a wss client on 127.0.0.1 keeps receiving every
// publish.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { mintToken, nextEvent, PUBLISH_KEY, waitFor } from './lib/gateway.mjs';
import { httpsRequest, issueCert, makeCa, startTlsRole } from './lib/tls.mjs';

const ca = makeCa();
const cert = issueCert(ca, 'gateway', '1234');
const CAP = 8;
const ATTACKERS = 20;

async function metricsText(gw) {
  return (await httpsRequest(`${gw.url}/metrics`, { ca: ca.ca })).body;
}
function sample(text, line) {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return Number(found?.split(' ').pop());
}

// A TCP connection from 127.0.0.2 that says nothing, or `hello` bytes of a ClientHello; resolves
// its `closed` promise when the server closes it.
function attacker(port, hello) {
  const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  s.on('error', () => {});
  s.on('connect', () => {
    if (hello) s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
  });
  const closed = new Promise((resolve) => s.on('close', () => resolve(Date.now())));
  return { socket: s, closed };
}

describe('TLS handshakes that never finish', () => {
  let gw, healthy;
  before(async () => {
    gw = await startTlsRole({
      cert, ca: ca.ca,
      args: ['--threads', '2', '--tls-handshake-timeout-ms', '1500', '--max-connections-per-address', String(CAP)],
    });
    healthy = io(gw.url.replace('https:', 'wss:'), { transports: ['websocket'], ca: ca.ca, reconnection: false, auth: { token: mintToken() } });
    await nextEvent(healthy, 'connect', 20000);
  });
  after(async () => {
    healthy?.disconnect();
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly');
  });

  it('closes them after the handshake timeout and refuses those past the cap, while a wss client keeps receiving', async (t) => {
    const seen = new Set();
    let dropped = null;
    healthy.on('tick', ({ i }) => seen.add(i));
    healthy.on('disconnect', (why) => (dropped = why));
    let sent = 0;
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        const r = await httpsRequest(`${gw.url}/api/v1/publish`, {
          ca: ca.ca, method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISH_KEY}` },
          body: JSON.stringify({ room: 'live-metrics', event: 'tick', data: { i: sent } }),
        });
        assert.equal(r.status, 202);
        sent += 1;
        await new Promise((r2) => setTimeout(r2, 20));
      }
    })();

    const opened = Date.now();
    const attackers = Array.from({ length: ATTACKERS }, (_, i) => attacker(gw.port, i % 2 === 1));
    const closedAt = await Promise.all(attackers.map((a) => a.closed));
    const slowest = Math.max(...closedAt) - opened;
    t.diagnostic(`all ${ATTACKERS} attacking connections closed by the server within ${slowest} ms`);
    // Closed by the server well before the test's own deadline: at the cap at once, the rest
    // once their handshake ran out of time (1.5 s, plus a busy machine's slack).
    assert.ok(slowest < 30000, `attackers held connections for ${slowest} ms`);

    await new Promise((r) => setTimeout(r, 300));
    feeding = false;
    await feed;
    await waitFor(() => seen.size === sent, { timeoutMs: 10000, what: `all ${sent} ticks at the healthy client` });
    assert.equal(dropped, null, 'the healthy client stayed connected');
    assert.ok(sent > 10, `the feed ran during the attack (${sent} publishes)`);

    const text = await metricsText(gw);
    const timeouts = sample(text, 'pulseboard_tls_handshake_failures_total{reason="timeout"}');
    const refused = sample(text, 'pulseboard_rejections_total{reason="address_connection_limit"}');
    t.diagnostic(`handshake timeouts ${timeouts}, refused at the cap ${refused}`);
    assert.ok(timeouts >= 1 && timeouts <= CAP, `handshake timeouts counted: ${timeouts}`);
    assert.ok(refused >= ATTACKERS - CAP, `refused at the per-address cap: ${refused}`);
    assert.equal(timeouts + refused >= ATTACKERS, true, 'every attacking connection was bounded');
  });
});
