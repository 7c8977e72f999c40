// Flow control (docs/gateway.md, "Flow control"): a latest-value-wins event (the metrics
// snapshot) replaces the copy still queued for a socket instead of growing its queue, so a
// dashboard that reads slowly stays connected and gets the newest state when it catches up,
// while a healthy client beside it gets every message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { mintToken, nextEvent, publish, startPulseboard, waitFor } from './lib/gateway.mjs';

const SNAPSHOTS = 300;
const PER_SECOND = 50;

async function metricValue(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line?.split(' ').pop());
}

// A real Socket.IO session over `ws` that will stop reading once connected.
async function rawDashboard(url) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const [open] = await once(ws, 'message');
  assert.equal(open.toString()[0], '0');
  ws.send(`40${JSON.stringify({ token: mintToken() })}`);
  const [ack] = await once(ws, 'message');
  assert.match(ack.toString(), /^40\{"sid"/);
  return ws;
}

// Publishes `count` snapshots at `perSecond`, each padded so the stalled socket's kernel buffers
// fill after a few dozen and the gateway's queue bound (64 frames) would be crossed long before
// the end.
async function publishSnapshots(url, count, perSecond, pad) {
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const r = await publish(url, { room: 'live-metrics', event: 'metrics-snapshot', data: { i, pad } });
    assert.equal(r.status, 202);
    const due = started + ((i + 1) * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  }
}

describe('a slow reader on a feed of snapshots', { timeout: 120000 }, () => {
  let gw;
  const sockets = [];
  before(async () => {
    gw = await startPulseboard({ args: ['--max-queued-frames', '64', '--max-queued-bytes', '1000000'] });
  });
  after(async () => {
    for (const s of sockets) if (s.terminate) s.terminate(); else s.disconnect();
    await gw.stop();
  });

  it('stays connected with a bounded queue and gets the latest snapshot when it reads again', async () => {
    const stalled = await rawDashboard(gw.url);
    sockets.push(stalled);
    stalled.pause(); // no more reads: the kernel buffers fill, then the gateway's queue
    let stalledClosed = false;
    stalled.on('close', () => (stalledClosed = true));

    const healthy = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() } });
    sockets.push(healthy);
    await nextEvent(healthy, 'connect');
    const seen = [];
    healthy.on('metrics-snapshot', (s) => seen.push(s.i));

    // 300 × 64 KB = 19 MB: far more than loopback socket buffers hold. Random text, so that
    // WebSocket compression (which `ws` negotiates) cannot shrink it below the buffers.
    await publishSnapshots(gw.url, SNAPSHOTS, PER_SECOND, randomBytes(48 * 1024).toString('base64'));
    await waitFor(() => seen.length === SNAPSHOTS, { what: 'every snapshot at the healthy client', timeoutMs: 30000 });
    assert.deepEqual(seen, [...Array(SNAPSHOTS).keys()]);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /reason="send_queue_overflow"\} [1-9]/, 'the slow reader was not cut');
    assert.equal(await metricValue(gw.url, 'pulseboard_sessions_open'), 2, 'the slow reader is still connected');
    assert.equal(stalledClosed, false);
    assert.ok((await metricValue(gw.url, 'pulseboard_frames_conflated_total')) > 0, 'snapshots were conflated');

    // It reads again: the last frame it gets is the latest snapshot, and it got far fewer than
    // were published (the rest were replaced while they waited).
    const got = [];
    stalled.on('message', (data) => {
      const text = data.toString();
      if (text === '2') stalled.send('3');
      if (text.startsWith('42')) got.push(JSON.parse(text.slice(2)));
    });
    stalled.resume();
    await waitFor(() => got.length > 0 && got.at(-1)[1].i === SNAPSHOTS - 1, {
      what: 'the latest snapshot at the slow reader',
      timeoutMs: 30000,
    });
    const order = got.map(([event, s]) => (assert.equal(event, 'metrics-snapshot'), s.i));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'snapshots arrive oldest first');
    assert.ok(order.length < SNAPSHOTS, `the slow reader got ${order.length} of ${SNAPSHOTS}`);
    assert.equal(stalledClosed, false);
    stalled.close();
    healthy.disconnect();
  });
});
