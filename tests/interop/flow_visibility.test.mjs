// A dashboard in a background tab (docs/gateway.md, "Flow control"): after
// `pulseboard:visibility {hidden: true}` the gateway sends it no per-order updates and holds
// back the snapshot; on `{hidden: false}` the latest snapshot arrives at once and the updates
// continue. A client that never sends the event (the article's hook) gets everything. Measured
// on `pulseboard demo` at 10 orders/s (SQLite, the change stream, the worker's snapshots).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, freePort, inheritedEnv, nextEvent, waitFor } from './lib/gateway.mjs';

const RATE = 10; // orders per second

async function startDemo(dir) {
  const port = await freePort();
  const env = { ...inheritedEnv(), LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn' };
  delete env.JWT_SECRET;
  const args = ['demo', '--port', String(port), '--rate', String(RATE), '--database', `sqlite://${path.join(dir, 'demo.db')}`];
  const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (exited) throw new Error(`pulseboard demo exited early: ${JSON.stringify(exited)}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 60000, what: `pulseboard demo on ${port}` },
  );
  return {
    url,
    async stop() {
      if (exited) return;
      const ended = once(child, 'exit');
      child.kill('SIGTERM');
      await ended;
    },
  };
}

// A socket.io-client dashboard that counts what it receives: events by name, and the bytes of
// every Engine.IO packet (pings included) as they came off the wire.
function dashboard(url, token) {
  const socket = io(url, { transports: ['websocket'], auth: { token } });
  const seen = { bytes: 0, updates: 0, snapshots: [], events: [] };
  socket.io.on('open', () =>
    socket.io.engine.on('packet', (p) => (seen.bytes += 1 + (typeof p.data === 'string' ? p.data.length : 0))),
  );
  socket.on('metrics-update', () => {
    seen.updates += 1;
    seen.events.push('metrics-update');
  });
  socket.on('metrics-snapshot', (s) => {
    seen.snapshots.push(s);
    seen.events.push('metrics-snapshot');
  });
  return { socket, seen };
}

// What each client received while `during` ran: bytes and updates, and the time it took.
async function measure(clients, during) {
  const start = clients.map(({ seen }) => ({ bytes: seen.bytes, updates: seen.updates, snapshots: seen.snapshots.length }));
  const t0 = Date.now();
  await during();
  const seconds = (Date.now() - t0) / 1000;
  return clients.map(({ seen }, i) => ({
    seconds,
    bytesPerSecond: (seen.bytes - start[i].bytes) / seconds,
    updates: seen.updates - start[i].updates,
    snapshots: seen.snapshots.length - start[i].snapshots,
  }));
}

describe('a hidden dashboard on a 10 orders/s feed', { timeout: 180000 }, () => {
  let dir, demo, watcher, tab;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-visibility-'));
    demo = await startDemo(dir);
    const { token } = await (await fetch(`${demo.url}/api/v1/dev-token`)).json();
    watcher = dashboard(demo.url, token); // never says anything: visible
    tab = dashboard(demo.url, token);
    await Promise.all([nextEvent(watcher.socket, 'connect', 30000), nextEvent(tab.socket, 'connect', 30000)]);
    await waitFor(() => watcher.seen.updates > 0 && tab.seen.updates > 0 && tab.seen.snapshots.length > 0, {
      what: 'updates and a snapshot at both dashboards',
      timeoutMs: 60000,
    });
  });
  after(async () => {
    watcher?.socket.disconnect();
    tab?.socket.disconnect();
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gets nothing while hidden, then the latest snapshot at once and the updates again', async () => {
    // Visible: the rate of a dashboard that sees everything, for the report.
    const visibleStart = watcher.seen.updates;
    const [tabVisible] = await measure([tab], () =>
      waitFor(() => watcher.seen.updates - visibleStart >= 5 * RATE, { what: '50 updates', timeoutMs: 60000 }),
    );

    const hidden = await tab.socket.timeout(10000).emitWithAck('pulseboard:visibility', { hidden: true });
    assert.deepEqual(hidden, { hidden: true });
    const hiddenStart = watcher.seen.updates;
    const watcherSnapshots = watcher.seen.snapshots.length;
    const [tabHidden, watcherHidden] = await measure([tab, watcher], () =>
      waitFor(
        () => watcher.seen.updates - hiddenStart >= 5 * RATE && watcher.seen.snapshots.length >= watcherSnapshots + 2,
        { what: '50 updates and 2 snapshots at the visible dashboard', timeoutMs: 60000 },
      ),
    );
    assert.equal(tabHidden.updates, 0, 'no per-order update reaches the hidden tab');
    assert.equal(tabHidden.snapshots, 0, 'the snapshot is held back while hidden');
    assert.ok(watcherHidden.updates >= 5 * RATE, 'the client that never said anything got them all');
    console.log(
      `bytes/s at ${RATE} orders/s: visible ${tabVisible.bytesPerSecond.toFixed(0)}, ` +
        `hidden ${tabHidden.bytesPerSecond.toFixed(0)} (beside it, a visible one: ${watcherHidden.bytesPerSecond.toFixed(0)})`,
    );
    assert.ok(tabHidden.bytesPerSecond * 20 < watcherHidden.bytesPerSecond, 'hidden costs a small fraction');

    // Visible again: the first event is the snapshot held back, no older than the newest the
    // other dashboard had, then the updates continue.
    const latest = watcher.seen.snapshots.at(-1);
    const eventsBefore = tab.seen.events.length;
    const snapshotsBefore = tab.seen.snapshots.length;
    const updatesBefore = tab.seen.updates;
    const shown = await tab.socket.timeout(10000).emitWithAck('pulseboard:visibility', { hidden: false });
    assert.deepEqual(shown, { hidden: false });
    // The held snapshot is queued before the ack: it is already here.
    assert.equal(tab.seen.events[eventsBefore], 'metrics-snapshot', 'the snapshot came first, at once');
    const first = tab.seen.snapshots[snapshotsBefore];
    assert.ok(first.generatedAt >= latest.generatedAt, 'the latest snapshot, not an old one');
    await waitFor(() => tab.seen.updates > updatesBefore, { what: 'updates after visible', timeoutMs: 30000 });
  });

  it('refuses a visibility payload other than {hidden: bool} and counts it', async () => {
    tab.socket.emit('pulseboard:visibility', { hidden: 'yes' });
    tab.socket.emit('pulseboard:visibility', 'hidden');
    await waitFor(
      async () => /reason="visibility_invalid"\} 2\b/.test(await (await fetch(`${demo.url}/metrics`)).text()),
      { what: 'two refusals counted', timeoutMs: 20000 },
    );
    const before = tab.seen.updates;
    await waitFor(() => tab.seen.updates > before, { what: 'the socket still visible, receiving', timeoutMs: 30000 });
  });
});
