// A second WebSocket opened with the sid of a session that has upgraded already is accepted and
// closed at once (docs/gateway.md), as engine.io does: the engine.io-protocol suite's "should
// ignore WebSocket connection with same sid after upgrade" waits for that socket's `close` event
// within mocha's 2 s default. The close frame alone is not enough: `ws` reports `close` when the
// TCP connection ends, which the gateway used to hold until its 5 s close deadline.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { pollingHandshake } from './lib/raw_engineio.mjs';
import { startPulseboard } from './lib/gateway.mjs';

// What the protocol suite allows for the whole test (mocha's default timeout).
const CLOSE_WITHIN_MS = 2000;

function open(url) {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  return ws;
}

describe('a second WebSocket with the sid of an upgraded session', () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(() => gw.stop());

  it('is closed, TCP connection included, within 2 s', async (t) => {
    const { status, sid } = await pollingHandshake(gw.url);
    assert.equal(status, 200);
    const url = `${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${sid}`;
    const first = open(url);
    try {
      await once(first, 'open');
      first.send('2probe');
      const [probe] = await once(first, 'message');
      assert.equal(probe.toString(), '3probe');
      first.send('5');

      const second = open(url);
      const started = Date.now();
      const closed = once(second, 'close');
      const deadline = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no 'close' within ${CLOSE_WITHIN_MS} ms`)), CLOSE_WITHIN_MS).unref(),
      );
      const [code] = await Promise.race([closed, deadline]);
      t.diagnostic(`second WebSocket closed after ${Date.now() - started} ms with code ${code}`);

      // The upgraded session keeps its WebSocket.
      assert.equal(first.readyState, WebSocket.OPEN);
    } finally {
      first.close();
    }
  });
});
