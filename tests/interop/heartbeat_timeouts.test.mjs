// The gateway's deadlines seen from a raw WebSocket client that misbehaves on purpose: one that
// never answers pings is closed after pingInterval + pingTimeout, one that never sends the
// Socket.IO CONNECT after --connect-timeout, and /metrics counts each.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { mintToken, startPulseboard } from './lib/gateway.mjs';

const PING_INTERVAL = 200;
const PING_TIMEOUT = 150;
const CONNECT_TIMEOUT = 600;

async function rejections(url, reason) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(new RegExp(`pulseboard_rejections_total\\{reason="${reason}"\\} (\\d+)`));
  assert.ok(m, `no ${reason} counter on /metrics`);
  return Number(m[1]);
}

// Opens a WebSocket-only Engine.IO session; resolves with the socket, the OPEN payload, when
// OPEN arrived, every later text message and a promise of the close (code, reason, time).
async function rawSession(url) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const messages = [];
  const closed = new Promise((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  const [first] = await once(ws, 'message');
  const openedAt = Date.now();
  const text = first.toString();
  assert.equal(text[0], '0');
  ws.on('message', (m) => messages.push(m.toString()));
  return { ws, open: JSON.parse(text.slice(1)), openedAt, messages, closed };
}

describe('heartbeat and connect deadlines', () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({
      args: [
        '--ping-interval', String(PING_INTERVAL),
        '--ping-timeout', String(PING_TIMEOUT),
        '--connect-timeout', String(CONNECT_TIMEOUT),
      ],
    });
  });
  after(() => gw.stop());

  it('closes a client that never answers a ping after pingInterval + pingTimeout', async () => {
    const before = await rejections(gw.url, 'ping_timeout');
    const s = await rawSession(gw.url);
    assert.equal(s.open.pingInterval, PING_INTERVAL);
    assert.equal(s.open.pingTimeout, PING_TIMEOUT);
    // Join the namespace so that only the heartbeat can end this session.
    s.ws.send(`40${JSON.stringify({ token: mintToken() })}`);
    const { at, code, reason } = await s.closed;
    assert.deepEqual([code, reason], [1000, 'ping timeout']);
    const lived = at - s.openedAt;
    // The server's timers start when it sends OPEN, a moment before the client reads it.
    assert.ok(lived >= PING_INTERVAL + PING_TIMEOUT - 50, `closed after ${lived} ms, too early`);
    assert.ok(lived < PING_INTERVAL + PING_TIMEOUT + 1500, `closed after ${lived} ms, too late`);
    assert.match(s.messages[0], /^40\{"sid":/);
    assert.deepEqual(s.messages.slice(1), ['2'], 'exactly one ping, then the close');
    assert.equal(await rejections(gw.url, 'ping_timeout'), before + 1);
  });

  it('keeps a client that answers pings but closes it without a CONNECT', async () => {
    const before = await rejections(gw.url, 'connect_timeout');
    const pingsBefore = await rejections(gw.url, 'ping_timeout');
    const s = await rawSession(gw.url);
    s.ws.on('message', (m) => {
      if (m.toString() === '2') s.ws.send('3');
    });
    const { at, code, reason } = await s.closed;
    assert.deepEqual([code, reason], [1000, 'connect timeout']);
    const lived = at - s.openedAt;
    assert.ok(lived >= CONNECT_TIMEOUT - 50, `closed after ${lived} ms, too early`);
    assert.ok(lived < CONNECT_TIMEOUT + 1500, `closed after ${lived} ms, too late`);
    // Pings answered across the whole wait: the heartbeat was not what closed it.
    assert.ok(s.messages.filter((m) => m === '2').length >= 2, `pings: ${s.messages}`);
    assert.equal(await rejections(gw.url, 'connect_timeout'), before + 1);
    assert.equal(await rejections(gw.url, 'ping_timeout'), pingsBefore);
  });
});
