// The dashboard's useLiveMetrics logic — the article's socket options, the metrics-update
// handler and the 12-entry window — run in Node against the gateway with the real client, so
// the browser code relies on tested behaviour. Imports the dashboard's own modules from web/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { socketOptions } from '../../web/src/hooks/useLiveMetrics.js';
import { dashboardReducer, initialDashboard } from '../../web/src/lib/dashboardReducer.js';
import { subscribe } from '../../web/src/lib/subscribe.js';
import { mintToken, publish, startPulseboard, waitFor } from './lib/gateway.mjs';

describe('useLiveMetrics against the gateway', () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => {
    await gw.stop();
  });

  it('connects with the article options, keeps the last 12 updates and leaves no listener', async () => {
    const options = socketOptions(mintToken());
    assert.deepEqual(options.transports, ['websocket']);
    const socket = io(gw.url, { ...options, forceNew: true });
    let state = initialDashboard();
    const unsubscribe = subscribe(socket, (action) => (state = dashboardReducer(state, action)));
    await waitFor(() => state.connection.status === 'connected', { what: 'connected state' });

    const now = Date.now();
    for (let i = 1; i <= 15; i++) {
      const data = { id: `order-${i}`, revenue: i * 10, category: i % 2 ? 'books' : 'games', time: now + i, committedAt: now };
      assert.equal((await publish(gw.url, { room: 'live-metrics', event: 'metrics-update', data })).status, 202);
    }
    await waitFor(() => state.metrics.totals.orders === 15, { what: '15 updates' });
    assert.equal(state.metrics.recent.length, 12);
    assert.deepEqual(
      state.metrics.recent.map((u) => u.id),
      Array.from({ length: 12 }, (_, k) => `order-${k + 4}`),
    );
    assert.equal(state.metrics.totals.revenue, (15 * 16 * 10) / 2);
    assert.ok(Number.isFinite(state.latency.last), 'commit-to-screen latency measured');

    unsubscribe();
    socket.disconnect();
    for (const event of ['connect', 'disconnect', 'connect_error', 'metrics-update', 'metrics-snapshot'])
      assert.equal(socket.listeners(event).length, 0, `listener left on ${event}`);
    for (const event of ['reconnect_attempt', 'reconnect', 'reconnect_failed'])
      assert.equal(socket.io.listeners(event).length, 0, `listener left on manager ${event}`);
  });
});
