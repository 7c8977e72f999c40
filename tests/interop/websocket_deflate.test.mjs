// WebSocket permessage-deflate (RFC 7692; docs/gateway.md, "Compression"): the official client,
// which offers it by default, must receive exactly what a client without it receives; the
// handshake must answer what the gateway does (its context kept, a small client window); a
// room's broadcasts go out in the room's shared compression context, and clients that miss
// some of them, join late or want no server context still read every message exactly; and a
// client that sends a decompression bomb is closed with 1009 and counted, while a healthy
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

// One order's dashboard update, as the worker publishes it (about 200 bytes of JSON). Its
// eventId is new at every call: the gateway drops a bridge message whose eventId it has seen.
let orders = 0;
function orderUpdate(seq) {
  orders += 1;
  const categories = ['tools', 'books', 'garden', 'toys', 'music'];
  return {
    time: new Date(Date.UTC(2026, 11, 7, 10, 0, seq)).toISOString(),
    id: `order-${(seq * 7919).toString(36)}-${seq}`,
    revenue: Math.round(((seq * 3779) % 99000) + 100) / 100,
    category: categories[seq % 5],
    eventId: `sqlite:${588 + orders}`,
    committedAt: 1796627560526 + seq * 97,
    publishedAt: 1796627560542 + seq * 97,
  };
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

  it('answers an offer keeping its context, with a 512-byte client window', async () => {
    const offered = await upgradeResponse(gw.url, { perMessageDeflate: true });
    assert.equal(offered.extensions, 'permessage-deflate; client_max_window_bits=9');
    assert.equal(offered.ws.extensions, 'permessage-deflate');
    // A client may ask the server to keep no context; it is answered so.
    const noContext = await upgradeResponse(gw.url, { perMessageDeflate: { serverNoContextTakeover: true } });
    assert.equal(noContext.extensions, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=9');
    noContext.ws.terminate();
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

  it("sends a room's updates in the room's shared context, a fraction of their own compressed size", async () => {
    const opts = { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false };
    const deflating = io(gw.url, opts);
    await nextEvent(deflating, 'connect');
    const seen = [];
    deflating.on('metrics-update', (data) => seen.push(data));
    const sent = [];
    let seq = 0;
    const send = async () => {
      const data = orderUpdate(seq++);
      sent.push(data);
      assert.equal((await publish(gw.url, { room: 'live-metrics', event: 'metrics-update', data })).status, 202);
      await waitFor(() => seen.length === sent.length, { what: `update ${seq - 1}` });
    };
    // The client joins the room's stream at its next reset, at most 5 s after it asked (with
    // the first update it could not follow); until then its updates go out on their own.
    const streamed = async () => metricValue(await metricsText(gw), 'pulseboard_ws_deflate_stream_messages_sent_total');
    const streamedBefore = await streamed();
    await waitFor(
      async () => {
        await send();
        return (await streamed()) > streamedBefore;
      },
      { what: 'the client to follow the room stream', timeoutMs: 60000, intervalMs: 200 },
    );
    const before = await metricsText(gw);
    for (let i = 0; i < 40; i++) await send();
    assert.deepEqual(seen, sent);
    const after = await metricsText(gw);
    const delta = (name) => metricValue(after, name) - metricValue(before, name);
    assert.equal(delta('pulseboard_ws_deflate_stream_messages_sent_total'), 40);
    const wire = delta('pulseboard_ws_deflate_wire_bytes_total');
    const plain = delta('pulseboard_ws_deflate_plain_bytes_total');
    // Alone, a 200-byte update compresses to about 80 % of itself; in context to well under half.
    assert.ok(wire * 2 < plain, `the updates took ${wire} bytes for ${plain}`);
    deflating.disconnect();
  });

  it('gives every client exactly what was sent, whether it follows, misses messages or keeps no context', async (t) => {
    const healthy = await startHealthyClient(gw);
    const opts = { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false };
    const connect = async (extra = {}) => {
      const socket = io(gw.url, { ...opts, ...extra });
      await nextEvent(socket, 'connect');
      const got = [];
      socket.on('metrics-update', (data) => got.push(data));
      return { socket, got };
    };
    const follower = await connect();
    const hidden = await connect();
    const noContext = await connect({ perMessageDeflate: { serverNoContextTakeover: true } });
    assert.equal(noContext.socket.io.engine.transport.ws.extensions, 'permessage-deflate');
    const resets = async () => metricValue(await metricsText(gw), 'pulseboard_ws_deflate_stream_resets_total');
    const resetsBefore = await resets();
    const sent = [];
    let seq = 0;
    const send = async (n) => {
      for (let i = 0; i < n; i++, seq++) {
        const data = orderUpdate(seq);
        sent.push(data);
        assert.equal((await publish(gw.url, { room: 'live-metrics', event: 'metrics-update', data })).status, 202);
        await waitFor(() => follower.got.length === sent.length, { what: `update ${seq} at the follower` });
      }
    };
    await send(20);
    // A background tab gets no updates: its place in the room's stream is lost.
    assert.deepEqual(await hidden.socket.timeout(10000).emitWithAck('pulseboard:visibility', { hidden: true }), { hidden: true });
    const hiddenFrom = sent.length;
    await send(20);
    assert.deepEqual(await hidden.socket.timeout(10000).emitWithAck('pulseboard:visibility', { hidden: false }), { hidden: false });
    const shownFrom = sent.length;
    // A dashboard that connects now has read none of the stream either.
    const late = await connect();
    const lateFrom = sent.length;
    // Until the stream resets for them (at most 5 s), and after, both read every update.
    await waitFor(
      async () => {
        await send(5);
        return (await resets()) > resetsBefore;
      },
      { what: 'the room stream to reset for the sockets that lost their place', timeoutMs: 60000, intervalMs: 200 },
    );
    await send(20);
    await waitFor(
      () => late.got.length === sent.length - lateFrom && noContext.got.length === sent.length && hidden.got.length === sent.length - (shownFrom - hiddenFrom),
      { what: 'every client to have every update it was sent' },
    );
    assert.deepEqual(follower.got, sent);
    assert.deepEqual(noContext.got, sent);
    assert.deepEqual(hidden.got, [...sent.slice(0, hiddenFrom), ...sent.slice(shownFrom)]);
    assert.deepEqual(late.got, sent.slice(lateFrom));
    for (const c of [follower, hidden, noContext, late]) {
      assert.ok(c.socket.connected, 'no client was cut by a bad compressed message');
      c.socket.disconnect();
    }
    const r = await healthy.stop();
    report(t, 'clients that lose their place in the room stream', r);
    assertHealthy(gw, r);
  });

  it('keeps at most 32 room streams open when a publisher broadcasts to many rooms', async (t) => {
    const healthy = await startHealthyClient(gw);
    const watcher = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    await nextEvent(watcher, 'connect'); // a deflating client, so that rooms get streams
    const before = await metricsText(gw);
    for (let i = 0; i < 100; i++) {
      const r = await publish(gw.url, { room: `room-${i}`, event: 'metrics-update', data: orderUpdate(i) });
      assert.equal(r.status, 202);
    }
    const after = await metricsText(gw);
    const delta = (name) => metricValue(after, name) - metricValue(before, name);
    assert.ok(metricValue(after, 'pulseboard_ws_deflate_streams') <= 32, 'at most 32 streams open');
    // None of the 32 was idle for 30 s: no stream was closed for the flood, the rooms past the
    // limit had their messages compressed on their own.
    assert.equal(delta('pulseboard_ws_deflate_stream_evictions_total'), 0);
    const refused = delta('pulseboard_ws_deflate_stream_refused_total');
    assert.ok(refused >= 100 - 32, `${refused} broadcasts without a room stream`);
    watcher.disconnect();
    const r = await healthy.stop();
    report(t, 'a publisher broadcasting to 100 rooms', r);
    assertHealthy(gw, r);
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
