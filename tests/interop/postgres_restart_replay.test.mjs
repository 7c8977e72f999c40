// PostgreSQL restarted under a steady stream of orders (about 20 a second): the worker must
// resume after what it acknowledged, not from wherever the replication slot was last written to
// disk (PostgreSQL 15 does not write a slot whose confirmed position only moved by feedback, so
// after a restart the slot alone would stream again everything since long ago). Measured by the
// worker's pulseboard_worker_replayed_changes_total (changes streamed again after the source
// restarted) after a `-m fast` and then a `-m immediate` restart: at most the orders that can
// have been unacknowledged at that moment. The dashboard shows every order exactly once.
// Needs PULSEBOARD_DATABASE_URL and PG_TEST_DIR (scripts/test starts the server).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, freePort, inheritedEnv, mintWriteToken, nextEvent, startPulseboard, waitFor } from './lib/gateway.mjs';
import { restartDatabase } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';

const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;
const skip = databaseUrl && restartDatabase ? false : 'needs PULSEBOARD_DATABASE_URL and PG_TEST_DIR (scripts/test)';
const RATE_MS = 50; // one order every 50 ms: about 20 a second
const PER_PHASE = 150; // orders shown before each restart, so a replay from far back is obvious
// An order shown on the dashboard longer ago than this before a restart began has certainly
// been acknowledged (the worker acknowledges right after Redis confirmed its publish).
const ACK_MARGIN_MS = 2000;

async function startWorker(redisUrl) {
  const port = await freePort();
  const child = spawn(binary, ['worker', '--no-leader-election', '--http-port', String(port)], {
    env: { ...inheritedEnv(), DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { child, log: '', exited: false, url: `http://127.0.0.1:${port}` };
  const collect = (chunk) => (w.log += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', () => (w.exited = true));
  await waitFor(async () => {
    if (w.exited) throw new Error(`worker exited early:\n${w.log}`);
    return (await fetch(`${w.url}/healthz`)).ok;
  }, { timeoutMs: 30000, what: 'the worker health port' });
  w.stop = async () => {
    if (w.exited) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  return w;
}

async function metric(w, name) {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `the worker's /metrics has no ${name}`);
  return Number(line.slice(name.length + 1));
}

describe('PostgreSQL restarts under a steady stream of orders', { skip }, () => {
  let redis, api, gw, worker, socket, token;
  const shown = new Map(); // order id -> { copies, at } as the dashboard received them
  const posted = []; // { id, at }: orders the API confirmed, with the time of its answer

  before(async () => {
    [redis, api] = await Promise.all([
      startRedis(),
      startPulseboard({ role: 'api', env: { DATABASE_URL: databaseUrl } }),
    ]);
    worker = await startWorker(redis.url);
    gw = await startPulseboard({ env: { REDIS_URL: redis.url } });
    token = mintWriteToken({ rooms: ['live-metrics'] });
    socket = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false });
    socket.on('metrics-update', (data) => {
      const s = shown.get(data.id) ?? { copies: 0, at: Date.now() };
      s.copies += 1;
      shown.set(data.id, s);
    });
    await nextEvent(socket, 'connect');
  });

  after(async () => {
    socket?.disconnect();
    await Promise.all([worker?.stop(), gw?.stop(), api?.stop()]);
    await redis?.stop();
  });

  // Posts orders one after the other, one per RATE_MS at most, until stopped. Failures while the
  // database restarts are expected: only the orders the API confirmed are tracked.
  function startOrders() {
    let stopped = false;
    const loop = (async () => {
      for (let i = 0; !stopped; i += 1) {
        const started = Date.now();
        try {
          const res = await fetch(`${api.url}/api/v1/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ amount: 1 + (i % 50), category: 'steady', status: 'completed' }),
          });
          const body = await res.json();
          if (res.status === 201) posted.push({ id: body.id, at: Date.now() });
        } catch {
          /* the API is reconnecting to the restarted database */
        }
        await new Promise((r) => setTimeout(r, Math.max(0, RATE_MS - (Date.now() - started))));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }

  it('resumes after the acknowledged position: a replay is bounded by what was in flight, and every order is shown once', async (t) => {
    const stopOrders = startOrders();
    try {
      for (const mode of ['fast', 'immediate']) {
        const from = posted.length;
        await waitFor(() => posted.slice(from).filter((o) => shown.has(o.id)).length >= PER_PHASE, {
          timeoutMs: 60000,
          intervalMs: 100,
          what: `${PER_PHASE} orders shown before the ${mode} restart`,
        });
        const replayedBefore = await metric(worker, 'pulseboard_worker_replayed_changes_total');
        const restartAt = Date.now();
        const shownLongBefore = new Set([...shown].filter(([, s]) => s.at < restartAt - ACK_MARGIN_MS).map(([id]) => id));
        await restartDatabase(mode);
        const afterRestart = posted.length;
        // Changes come in commit order: once an order posted after the restart is shown, every
        // change the worker streams again has come before it.
        await waitFor(() => posted.slice(afterRestart).some((o) => shown.has(o.id)), {
          timeoutMs: 60000,
          intervalMs: 100,
          what: `an order posted after the ${mode} restart on the dashboard`,
        });
        const replayed = (await metric(worker, 'pulseboard_worker_replayed_changes_total')) - replayedBefore;
        // Everything the API confirmed before the restart ended, except what the dashboard had
        // shown well before it began.
        const inFlight = posted.slice(0, afterRestart).filter((o) => !shownLongBefore.has(o.id)).length;
        t.diagnostic(
          `${mode} restart: ${replayed} changes streamed again; at most ${inFlight} could have been unacknowledged (${afterRestart} orders posted so far)`,
        );
        assert.ok(replayed <= inFlight, `${mode} restart streamed ${replayed} changes again, more than the ${inFlight} in flight:\n${worker.log.split('\n').filter((l) => /streaming from|source/.test(l)).join('\n')}`);
      }
    } finally {
      await stopOrders();
    }
    await waitFor(() => posted.every((o) => shown.has(o.id)), {
      timeoutMs: 60000,
      what: 'every confirmed order on the dashboard',
    });
    const doubled = posted.filter((o) => shown.get(o.id).copies !== 1).map((o) => [o.id, shown.get(o.id).copies]);
    assert.deepEqual(doubled, [], 'every order is shown exactly once');
    t.diagnostic(`${posted.length} orders, each shown once`);
  });
});
