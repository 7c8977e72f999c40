// A dashboard that stops reading must not hold the gateway's memory or slow anyone else: its
// frames wait in a bounded queue (docs/gateway.md, "Performance shape and bounds"), past the
// bound it is disconnected with `send queue overflow`, and a healthy client beside it gets
// every message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { mintToken, nextEvent, publish, startPulseboard, waitFor } from './lib/gateway.mjs';

describe('a client that stops reading', { timeout: 60000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({ args: ['--max-queued-frames', '64', '--max-queued-bytes', '1000000'] });
  });
  after(async () => {
    await gw.stop();
  });

  async function metrics() {
    return (await fetch(`${gw.url}/metrics`)).text();
  }
  function value(text, name) {
    const line = text.split('\n').find((l) => l.startsWith(name + ' '));
    return Number(line?.split(' ').pop());
  }

  it('is disconnected past its queue bound while a healthy client gets everything', async () => {
    // The stalled dashboard: a real Socket.IO session over `ws`, then it stops reading.
    const stalled = new WebSocket(`${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const [open] = await once(stalled, 'message');
    assert.equal(open.toString()[0], '0');
    stalled.send(`40${JSON.stringify({ token: mintToken() })}`);
    const [ack] = await once(stalled, 'message');
    assert.match(ack.toString(), /^40\{"sid"/);
    stalled.pause(); // no more reads: the kernel buffers fill, then the gateway's queue
    const stalledClosed = once(stalled, 'close');

    const healthy = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() } });
    await nextEvent(healthy, 'connect');
    const messages = 300;
    let received = 0;
    const all = new Promise((resolve) =>
      healthy.on('bulk', () => {
        received += 1;
        if (received === messages) resolve();
      }),
    );

    // 300 × 64 KB = 19 MB: far more than loopback socket buffers hold. Random, so that
    // permessage-deflate (which `ws` offers) cannot shrink it to almost nothing.
    const pad = randomBytes(48 * 1024).toString('base64');
    for (let i = 0; i < messages; i++) {
      const r = await publish(gw.url, { room: 'live-metrics', event: 'bulk', data: { i, pad } });
      assert.equal(r.status, 202);
    }
    await all;
    assert.equal(received, messages);

    await waitFor(
      async () => /reason="send_queue_overflow"\} [1-9]/.test(await metrics()),
      { what: 'the stalled client to overflow its queue', timeoutMs: 20000 },
    );
    // Only the healthy client's session is left.
    await waitFor(async () => value(await metrics(), 'pulseboard_sessions_open') === 1, {
      what: 'the stalled session to close',
    });
    stalled.resume();
    await stalledClosed; // its connection ends too
    healthy.disconnect();
  });
});
