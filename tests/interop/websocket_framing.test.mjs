// The gateway frames WebSocket messages itself after the upgrade (docs/gateway.md, "Write
// path"). These tests hold it to RFC 6455 against the `ws` package the official client uses,
// and against raw bytes where `ws` would refuse to send them.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { mintToken, nextEvent, publish, startPulseboard, waitFor } from './lib/gateway.mjs';

describe('websocket framing', { timeout: 60000 }, () => {
  let gw;
  before(async () => {
    // The burst below is about framing, not the per-address cap: fetch's keep-alive pool can
    // hold a wave's connections open while the next wave opens more, past the default 128.
    gw = await startPulseboard({ args: ['--max-connections-per-address', '1024'] });
  });
  after(async () => {
    await gw.stop();
  });

  const wsUrl = () => `${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
  async function openSession() {
    const ws = new WebSocket(wsUrl());
    const [first] = await once(ws, 'message');
    assert.equal(first.toString()[0], '0');
    return ws;
  }
  async function metric(name) {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
    return Number(line?.split(' ').pop());
  }

  it('answers a WebSocket ping with a pong carrying the same payload', async () => {
    const ws = await openSession();
    ws.ping(Buffer.from('are you there'));
    const [payload] = await once(ws, 'pong');
    assert.equal(payload.toString(), 'are you there');
    ws.terminate();
  });

  it('joins a message the client sent in fragments', async () => {
    const ws = await openSession();
    const token = mintToken();
    ws.send('40{"tok', { fin: false });
    ws.send('en":"' + token.slice(0, 10), { fin: false });
    ws.send(token.slice(10) + '"}', { fin: true });
    const [reply] = await once(ws, 'message');
    // With connection state recovery on (the default) the reply carries the private session id.
    assert.match(reply.toString(), /^40\{"sid":"[^"]+","pid":"[^"]+"\}$/);
    ws.terminate();
  });

  it('completes a close the client starts, and ends the connection', async () => {
    const before = await metric('pulseboard_sessions_open');
    const ws = await openSession();
    await waitFor(async () => (await metric('pulseboard_sessions_open')) === before + 1);
    ws.close(1000, 'bye');
    const [code] = await once(ws, 'close');
    assert.equal(code, 1000); // the gateway echoed the close; ws emits 'close' once TCP ends
    await waitFor(async () => (await metric('pulseboard_sessions_open')) === before, {
      what: 'the session to close',
    });
  });

  it('fails a connection that sends an unmasked frame, with 1002', async () => {
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
    assert.match(received.toString(), /^HTTP\/1.1 101/);
    assert.match(received.toString(), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    const before = received.length;
    sock.write(Buffer.from([0x81, 0x02, 0x34, 0x30])); // "40", not masked
    await once(sock, 'close');
    const tail = received.subarray(before);
    assert.deepEqual([...tail.subarray(0, 4)], [0x88, 0x02, 0x03, 0xea]); // close, code 1002
  });

  it('delivers a burst of broadcasts, each once', async () => {
    const client = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() } });
    await nextEvent(client, 'connect');
    const got = [];
    const all = new Promise((resolve) =>
      client.on('burst', (n) => {
        got.push(n);
        if (got.length === 300) resolve();
      }),
    );
    // Concurrent publishes: several broadcasts queue for the socket in one loop turn and leave
    // in one gathered write. Waves of 100 keep the publisher's concurrency bounded.
    for (let wave = 0; wave < 300; wave += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          publish(gw.url, { room: 'live-metrics', event: 'burst', data: wave + k }).then((r) => {
            assert.equal(r.status, 202);
          }),
        ),
      );
    }
    await all;
    assert.equal(got.length, 300);
    assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
    client.disconnect();
  });

  it('keeps order and survives peers that vanish while a broadcast writes through', async () => {
    // One broadcast at a time is written to each socket as it is queued (docs/gateway.md, "Write
    // path"): a peer gone mid-stream fails that write inside the broadcast, and the sockets after
    // it in the room still get every message, in order.
    const healthy = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() } });
    await nextEvent(healthy, 'connect');
    const vanishing = [];
    for (let i = 0; i < 20; i++) {
      const ws = await openSession();
      ws.send(`40${JSON.stringify({ token: mintToken() })}`);
      const [ack] = await once(ws, 'message');
      assert.match(ack.toString(), /^40\{"sid"/);
      vanishing.push(ws);
    }
    const got = [];
    healthy.on('seq', (n) => got.push(n));
    const messages = 200;
    for (let i = 0; i < messages; i++) {
      // Half-way through, the other peers drop their connections without a close frame: the
      // gateway's next writes to them fail while it delivers.
      if (i === messages / 2) for (const ws of vanishing) ws.terminate();
      const r = await publish(gw.url, { room: 'live-metrics', event: 'seq', data: i });
      assert.equal(r.status, 202);
    }
    await waitFor(() => got.length === messages, { timeoutMs: 20000, what: 'all 200 messages' });
    assert.deepEqual(got, Array.from({ length: messages }, (_, i) => i));
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    healthy.disconnect();
  });

  it('tells connected clients the server is going away on shutdown (1001)', async () => {
    const other = await startPulseboard();
    const ws = new WebSocket(`${other.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await once(ws, 'message');
    const closed = once(ws, 'close');
    await other.stop('SIGTERM');
    const [code, reason] = await closed;
    assert.equal(code, 1001);
    assert.equal(reason.toString(), 'server shutting down');
  });
});
