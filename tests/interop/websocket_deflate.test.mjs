// WebSocket permessage-deflate (RFC 7692; docs/gateway.md, "Compression"): the official client,
// which offers it by default, must receive exactly what a client without it receives; the
// handshake must answer what the gateway does (no server context, a small client window); and
// a client that sends a decompression bomb is closed with 1009 and counted, while a healthy
// dashboard beside it keeps receiving every tick.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { mintToken, nextEvent, publish, startPulseboard, waitFor } from './lib/gateway.mjs';
import {
  assertHealthy,
  metricsText,
  metricValue,
  rejections,
  report,
  startHealthyClient,
} from './lib/healthy_client.mjs';

// A snapshot-sized event (the dashboard's metrics-snapshot is about 5.5 KB of JSON).
function bigPayload(seq) {
  const regions = {};
  for (let i = 0; i < 120; i++) regions[`region-${i}`] = { orders: (i * 37 + seq) % 1000, revenue: i * 7919 };
  return { seq, regions, note: 'caf\u00e9 \u2603' };
}

function recordEvents(client) {
  const seen = [];
  for (const event of ['snapshot', 'small', 'metrics-snapshot']) client.on(event, (data) => seen.push({ event, data }));
  return seen;
}

async function upgradeResponse(url, options) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, options);
  let extensions; // 'open' follows 'upgrade' in the same tick: listen, then wait for 'open'
  ws.on('upgrade', (res) => (extensions = res.headers['sec-websocket-extensions']));
  await once(ws, 'open');
  return { ws, extensions };
}

describe('websocket permessage-deflate', { timeout: 120000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => {
    await gw.stop();
  });

  it('answers an offer with server_no_context_takeover and a 512-byte client window', async () => {
    const offered = await upgradeResponse(gw.url, { perMessageDeflate: true });
    assert.equal(
      offered.extensions,
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=9',
    );
    assert.equal(offered.ws.extensions, 'permessage-deflate');
    const plain = await upgradeResponse(gw.url, { perMessageDeflate: false });
    assert.equal(plain.extensions, undefined);
    // A malformed offer (a parameter twice) is declined; the handshake still succeeds.
    const malformed = await upgradeResponse(gw.url, {
      perMessageDeflate: false,
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_no_context_takeover; client_no_context_takeover' },
    });
    assert.equal(malformed.extensions, undefined);
    for (const c of [offered, plain, malformed]) c.ws.terminate();
  });

  it('delivers the same events to a client with deflate and to one without', async () => {
    const before = await metricsText(gw);
    const opts = { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false };
    const deflating = io(gw.url, opts); // perMessageDeflate is on by default
    const plain = io(gw.url, { ...opts, perMessageDeflate: false });
    await Promise.all([nextEvent(deflating, 'connect'), nextEvent(plain, 'connect')]);
    assert.equal(deflating.io.engine.transport.ws.extensions, 'permessage-deflate');
    assert.equal(plain.io.engine.transport.ws.extensions, '');
    const a = recordEvents(deflating);
    const b = recordEvents(plain);
    const sent = [];
    for (let seq = 0; seq < 20; seq++) {
      const event = seq % 3 === 0 ? 'small' : seq % 3 === 1 ? 'snapshot' : 'metrics-snapshot';
      const data = event === 'small' ? { seq } : bigPayload(seq);
      sent.push({ event, data });
      const r = await publish(gw.url, { room: 'live-metrics', event, data });
      assert.equal(r.status, 202);
      // One at a time: latest-value-wins may rightly skip a queued metrics-snapshot.
      await waitFor(() => a.length === sent.length && b.length === sent.length, { what: `event ${seq} on both clients` });
    }
    assert.deepEqual(a, sent);
    assert.deepEqual(b, sent);
    const after = await metricsText(gw);
    const wire = metricValue(after, 'pulseboard_ws_deflate_wire_bytes_total') - metricValue(before, 'pulseboard_ws_deflate_wire_bytes_total');
    const plainBytes = metricValue(after, 'pulseboard_ws_deflate_plain_bytes_total') - metricValue(before, 'pulseboard_ws_deflate_plain_bytes_total');
    assert.ok(wire > 0 && wire * 3 < plainBytes, `compressed ${plainBytes} bytes into ${wire}`);
    assert.ok(metricValue(after, 'pulseboard_ws_deflate_connections') >= 1);
    deflating.disconnect();
    plain.disconnect();
  });

  it('closes a client whose compressed message inflates past the limit, with 1009', async (t) => {
    const healthy = await startHealthyClient(gw);
    const before = await metricsText(gw);
    const bombs = (text) => metricValue(text, 'pulseboard_ws_inflate_too_big_total');
    const { ws, extensions } = await upgradeResponse(gw.url, { perMessageDeflate: { threshold: 0 } });
    assert.match(extensions ?? '', /^permessage-deflate/);
    // 4 MB of one character: a few KB on the wire, under --max-payload (1 MB) as sent.
    const closed = once(ws, 'close');
    ws.send('4' + 'a'.repeat(4_000_000), { compress: true });
    const [code] = await closed;
    assert.equal(code, 1009);
    await waitFor(async () => bombs(await metricsText(gw)) === bombs(before) + 1, {
      what: 'the bomb to be counted',
    });
    // An oversized message, as if it had arrived plain.
    const oversized = rejections(await metricsText(gw), 'oversized_message');
    assert.equal(oversized, rejections(before, 'oversized_message') + 1);
    const r = await healthy.stop();
    report(t, 'decompression bomb', r);
    assertHealthy(gw, r);
  });

  it('refuses a compressed frame on a connection that did not agree to deflate, with 1002', async () => {
    const sock = net.connect(gw.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write(
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    );
    let received = Buffer.alloc(0);
    sock.on('data', (d) => (received = Buffer.concat([received, d])));
    await waitFor(() => received.includes('0{"sid"'), { what: 'the OPEN packet' });
    assert.doesNotMatch(received.toString(), /Sec-WebSocket-Extensions/i);
    // A masked text frame with RSV1 set: "2" (an Engine.IO ping), as if compressed.
    sock.write(Buffer.from([0xc1, 0x81, 0, 0, 0, 0, 0x32]));
    await waitFor(() => received.includes(Buffer.from([0x88, 0x02, 0x03, 0xea])), {
      what: 'a close frame with 1002',
    });
    sock.destroy();
  });
});

describe('websocket permessage-deflate turned off', { timeout: 60000 }, () => {
  it('answers no extension and still serves the official client', async () => {
    const gw = await startPulseboard({ args: ['--ws-deflate', 'off'] });
    try {
      const { ws, extensions } = await upgradeResponse(gw.url, { perMessageDeflate: true });
      assert.equal(extensions, undefined);
      ws.terminate();
      const client = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
      await nextEvent(client, 'connect');
      const got = nextEvent(client, 'snapshot');
      await publish(gw.url, { room: 'live-metrics', event: 'snapshot', data: bigPayload(1) });
      assert.deepEqual((await got)[0], bigPayload(1));
      client.disconnect();
    } finally {
      await gw.stop();
    }
  });
});
