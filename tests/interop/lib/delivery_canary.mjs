// The delivery canary end to end (docs/operations.md), for any store: `pulseboard api` writes
// orders, one `pulseboard worker` follows the store and writes a canary through it every
// 500 ms, two gateways on one Redis deliver. Freezing the worker (SIGSTOP) must turn both
// gateways' /health/delivery stale within seconds, tell a connected dashboard (and one that
// connects while stale) with the `pulseboard:delivery` event, and leave /readyz alone; SIGCONT
// clears it. The latency histograms count exactly the updates delivered. A store-specific
// `stallBetweenDatabaseAndWorker` (optional) freezes the path between the database and a live
// worker and returns the function that thaws it; `dropTableFromPublication` (optional) takes
// the orders table out of what the worker follows and returns the function that puts it back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, freePort, inheritedEnv, mintWriteToken, startGateways, startPulseboard, waitFor } from './gateway.mjs';
import { startRedis } from './redis.mjs';

const STALE_AFTER_MS = 4000;
const CANARY_INTERVAL_MS = 500;

async function startWorker(redisUrl, databaseUrl) {
  const port = await freePort();
  const child = spawn(
    binary,
    ['worker', '--no-leader-election', '--http-port', String(port), '--canary-interval-ms',
      String(CANARY_INTERVAL_MS), '--delivery-stale-after-ms', String(STALE_AFTER_MS),
      '--cdc-health-interval-ms', '500'],
    {
      env: { ...inheritedEnv(), DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 60000, what: 'the worker' });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const health = async (url) => {
  const res = await fetch(`${url}/health/delivery`);
  return { status: res.status, body: await res.json() };
};

// The value of an unlabelled sample on /metrics.
async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

export function describeDeliveryCanary({
  name, databaseUrl, skip = false, stallBetweenDatabaseAndWorker, dropTableFromPublication,
}) {
  describe(`delivery canary on ${name}`, { skip }, () => {
    let redis, api, worker, gateways, token;
    const sockets = [];
    const connect = (gw) => {
      const s = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false });
      s.deliveryEvents = [];
      s.updates = 0;
      s.on('pulseboard:delivery', (data) => s.deliveryEvents.push(data));
      s.on('metrics-update', () => (s.updates += 1));
      sockets.push(s);
      return s;
    };
    const allGateways = async (check) => {
      for (const gw of gateways) if (!(await check(gw))) return false;
      return true;
    };
    const everyGatewayOk = () =>
      waitFor(() => allGateways(async (gw) => {
        const h = await health(gw.url);
        return h.status === 200 && h.body.status === 'ok' && h.body.canary_seen === true;
      }), { timeoutMs: 60000, intervalMs: 200, what: 'every gateway to see canaries (ok)' });
    const everyGatewayStale = () =>
      waitFor(() => allGateways(async (gw) => {
        const h = await health(gw.url);
        return h.status === 503 && h.body.status === 'stale' && h.body.canary_age_seconds > STALE_AFTER_MS / 1000;
      }), { timeoutMs: 60000, intervalMs: 200, what: 'every gateway to say stale' });

    before(async () => {
      [redis, api] = await Promise.all([
        startRedis(),
        startPulseboard({ role: 'api', env: { DATABASE_URL: databaseUrl } }),
      ]);
      gateways = await startGateways(2, {
        args: ['--delivery-stale-after-ms', String(STALE_AFTER_MS)],
        env: { REDIS_URL: redis.url },
      });
      worker = await startWorker(redis.url, databaseUrl);
      token = mintWriteToken({ rooms: ['live-metrics'] });
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      await worker?.stop();
      await Promise.all([...(gateways ?? []).map((g) => g.stop()), api?.stop(), redis?.stop()]);
    });

    it('a frozen worker turns every gateway stale within seconds, tells dashboards, and recovers', async () => {
      await everyGatewayOk();
      const viewer = connect(gateways[0]);
      await once(viewer, 'connect');
      const before = await Promise.all(gateways.map((gw) => metric(gw.url, 'pulseboard_canaries_total')));
      assert.ok(before.every((n) => n > 0), `canaries counted: ${before}`);
      assert.equal(viewer.deliveryEvents.length, 0, 'no event while delivery is healthy');

      worker.child.kill('SIGSTOP');
      await everyGatewayStale();
      for (const gw of gateways) {
        assert.equal((await fetch(`${gw.url}/readyz`)).status, 200, '/readyz keeps its meaning');
        assert.ok((await metric(gw.url, 'pulseboard_canary_age_seconds')) > STALE_AFTER_MS / 1000);
        assert.equal(await metric(gw.url, 'pulseboard_delivery_stale'), 1);
      }
      await waitFor(() => viewer.deliveryEvents.length > 0, { timeoutMs: 20000, what: 'the stale event' });
      assert.equal(viewer.deliveryEvents[0].status, 'stale');
      assert.ok(viewer.deliveryEvents[0].canaryAgeSeconds > STALE_AFTER_MS / 1000);
      // A dashboard that connects while stale is told at once.
      const late = connect(gateways[1]);
      await waitFor(() => late.deliveryEvents.length > 0, { timeoutMs: 20000, what: 'the stale event on join' });
      assert.equal(late.deliveryEvents[0].status, 'stale');

      worker.child.kill('SIGCONT');
      await everyGatewayOk();
      await waitFor(() => viewer.deliveryEvents.at(-1)?.status === 'ok', { timeoutMs: 20000, what: 'the ok event' });
      assert.equal(viewer.deliveryEvents.length, 2, `on change only: ${JSON.stringify(viewer.deliveryEvents)}`);
      assert.equal(viewer.deliveryEvents[1].reason, null);
      // Once recovered, a dashboard that connects is told nothing.
      const fresh = connect(gateways[0]);
      await once(fresh, 'connect');
      await waitFor(async () => (await health(gateways[0].url)).status === 200, { what: 'still ok' });
      assert.equal(fresh.deliveryEvents.length, 0);
    });

    it('the latency histograms count each delivered update once', async () => {
      const viewers = gateways.map((gw) => connect(gw));
      await Promise.all(viewers.map((v) => once(v, 'connect')));
      const gwBefore = await Promise.all(
        gateways.map((gw) => metric(gw.url, 'pulseboard_delivery_latency_seconds_count')));
      const workerBefore = await metric(worker.url, 'pulseboard_worker_publish_latency_seconds_count');
      const orders = 5;
      for (let i = 0; i < orders; i += 1) {
        const res = await fetch(`${api.url}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ amount: 10 + i, category: 'canary-test', status: 'completed' }),
        });
        assert.equal(res.status, 201);
      }
      await waitFor(() => viewers.every((v) => v.updates === orders), { timeoutMs: 30000, what: 'the updates' });
      await waitFor(async () => {
        const now = await Promise.all(
          gateways.map((gw) => metric(gw.url, 'pulseboard_delivery_latency_seconds_count')));
        return now.every((n, i) => n - gwBefore[i] === orders);
      }, { timeoutMs: 20000, what: `each gateway's delivery histogram to count ${orders}` });
      assert.equal(
        (await metric(worker.url, 'pulseboard_worker_publish_latency_seconds_count')) - workerBefore, orders);
      // Canaries and snapshots are not deliveries of data: the counts stay put.
      await waitFor(async () => (await metric(gateways[0].url, 'pulseboard_canaries_total')) > 0, { what: 'canary' });
      const again = await metric(gateways[0].url, 'pulseboard_delivery_latency_seconds_count');
      assert.equal(again - gwBefore[0], orders);
    });

    it('a stall between the database and a live worker is caught too', { skip: !stallBetweenDatabaseAndWorker }, async () => {
      await everyGatewayOk();
      const thaw = await stallBetweenDatabaseAndWorker();
      try {
        await everyGatewayStale();
        await waitFor(async () => (await health(worker.url)).status === 503, {
          timeoutMs: 30000, what: 'the worker to say stale' });
        assert.equal((await fetch(`${worker.url}/healthz`)).status, 200, 'the worker itself is alive');
      } finally {
        await thaw();
      }
      await everyGatewayOk();
      await waitFor(async () => (await health(worker.url)).status === 200, { timeoutMs: 30000, what: 'worker ok' });
    });

    it('a table dropped from the publication is stale on the worker and on every gateway', { skip: !dropTableFromPublication }, async () => {
      await everyGatewayOk();
      assert.equal(await metric(worker.url, 'pulseboard_worker_publication_has_table'), 1);
      assert.ok((await metric(worker.url, 'pulseboard_worker_slot_retained_wal_bytes')) >= 0);
      const restore = await dropTableFromPublication();
      try {
        await waitFor(async () => {
          const h = await health(worker.url);
          return h.status === 503 && /publication/.test(h.body.reason);
        }, { timeoutMs: 30000, intervalMs: 200, what: 'the worker to report the publication' });
        assert.equal(await metric(worker.url, 'pulseboard_worker_publication_has_table'), 0);
        // The canary still flows through the database, but the worker no longer vouches for it.
        await everyGatewayStale();
      } finally {
        await restore();
      }
      await everyGatewayOk();
      await waitFor(async () => (await health(worker.url)).status === 200, { timeoutMs: 30000, what: 'worker ok' });
    });
  });
}
