// The article's whole data path as separate processes, for any store: `pulseboard api` writes
// orders, `pulseboard worker` follows the store's change stream and publishes on the Redis
// bridge, `pulseboard gateway` delivers to the real socket.io-client. The worker is killed with
// SIGKILL in the middle of a burst while Redis holds its publishes unconfirmed (nothing may be
// lost; needs redis-cli), and two workers run side by side
// (only the leader publishes; a standby takes over from a dead leader without waiting for its
// lease). After each fault the dashboard's snapshot must equal the database. The store-specific
// test files call describeDataPath() with a DATABASE_URL that the api and worker processes
// share, and, where the test can restart the database, restartDatabase(mode).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { binary, mintWriteToken, nextEvent, startPulseboard, waitFor } from './gateway.mjs';
import { startRedis } from './redis.mjs';

// The default lease: a standby that can prove the leader gone must not wait for it to expire.
const LEASE_MS = 10000;
const run = promisify(execFile);

function startWorker(redisUrl, databaseUrl, name) {
  const child = spawn(binary, ['worker', '--lease-ms', String(LEASE_MS)], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { name, child, log: '', leader: false, standby: false, exited: false };
  const collect = (chunk) => {
    const text = chunk.toString();
    w.log += text;
    if (/became the leader/.test(text)) w.leader = true;
    if (/lost the leader lease/.test(text)) w.leader = false;
    if (/standby \(not the leader\)/.test(text)) w.standby = true;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', () => (w.exited = true));
  w.kill = async (signal) => {
    if (w.exited) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return w;
}

// name: shown in the suite title; databaseUrl: shared by api and workers; eventIdPrefix: the
// source's eventId scheme ("sqlite:", "postgres:"); skip: false or the reason; restartDatabase:
// optional async (mode) => restarts the database server ('fast' or 'immediate').
export function describeDataPath({ name, databaseUrl, eventIdPrefix, skip = false, restartDatabase }) {
  describe(`data path on ${name} through separate processes`, { skip }, () => {
    let redis, gw, api, socket, token;
    const workers = [];
    const eventIds = new Map(); // order id -> Set of eventIds received for it
    const copies = new Map(); // order id -> copies received
    const received = new Map(); // order id -> metrics-update data (last copy)
    let onEvent = () => {};

    const request = (method, path, body) =>
      fetch(`${api.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const post = async (body) => {
      const res = await request('POST', '/api/v1/orders', body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const leaders = () => workers.filter((w) => w.leader && !w.exited);

    // What the database says the dashboard's window holds: completed orders created at or after
    // `from` (unix ms), counted and summed through the API.
    const databaseTotals = async (from) => {
      let orders = 0;
      let revenue = 0;
      let cursor = null;
      do {
        const q = new URLSearchParams({ status: 'completed', from: String(from), limit: '200' });
        if (cursor) q.set('cursor', cursor);
        const res = await request('GET', `/api/v1/orders?${q}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        for (const o of res.body.orders) {
          orders += 1;
          revenue += o.amount;
        }
        cursor = res.body.nextCursor;
      } while (cursor);
      return { orders, revenue };
    };
    // The snapshot a dashboard opened now gets first.
    const freshSnapshot = async () => {
      const viewer = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false });
      try {
        const [snapshot] = await nextEvent(viewer, 'metrics-snapshot', 10000);
        return snapshot;
      } finally {
        viewer.disconnect();
      }
    };
    // Polls until the snapshot's totals equal the database's over the snapshot's window (the
    // worker publishes one at most every second), and returns both for the report.
    const snapshotEqualsDatabase = async (what) => {
      let last;
      try {
        await waitFor(
          async () => {
            const snapshot = await freshSnapshot();
            const db = await databaseTotals(snapshot.series[0].start);
            last = { snapshot: snapshot.totals, db };
            return (
              snapshot.totals.orders === db.orders && Math.abs(snapshot.totals.revenue - db.revenue) < 1e-6
            );
          },
          { timeoutMs: 20000, intervalMs: 500, what: `the snapshot to equal the database ${what}` },
        );
      } catch (e) {
        throw new Error(`${e.message}: last snapshot ${JSON.stringify(last?.snapshot)}, database ${JSON.stringify(last?.db)}`);
      }
      return last;
    };
    const redisCli = (...args) => run('redis-cli', ['-p', String(redis.port), ...args]);

    before(async () => {
      [redis, api] = await Promise.all([
        startRedis(),
        startPulseboard({ role: 'api', env: { DATABASE_URL: databaseUrl } }),
      ]);
      // The worker prepares its source (slot, publication, tables) while the gateway starts.
      workers.push(startWorker(redis.url, databaseUrl, 'a'));
      gw = await startPulseboard({ env: { REDIS_URL: redis.url } });
      // One token for the socket and the API, so it needs the write scope.
      token = mintWriteToken({ rooms: ['live-metrics'] });
      socket = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false });
      socket.on('metrics-update', (data) => {
        received.set(data.id, data);
        copies.set(data.id, (copies.get(data.id) ?? 0) + 1);
        if (!eventIds.has(data.id)) eventIds.set(data.id, new Set());
        eventIds.get(data.id).add(data.eventId);
        onEvent(data);
      });
      await nextEvent(socket, 'connect');
      // Probe until an order comes through.
      await waitFor(
        async () => {
          const probe = await post({ amount: 1, category: 'probe', status: 'completed' });
          await new Promise((r) => setTimeout(r, 300));
          return received.has(probe.id);
        },
        { timeoutMs: 30000, what: 'the worker streaming' },
      );
    });

    after(async () => {
      socket?.disconnect();
      await Promise.all([...workers.map((w) => w.kill('SIGTERM')), gw?.stop(), api?.stop()]);
      await redis?.stop();
    });

    it('publishes completed orders with the projected fields, not pending ones, and updates to completed', async () => {
      const pending = await post({ amount: 12.5, category: 'books', status: 'pending' });
      const done = await post({ amount: 40.25, category: 'games', status: 'completed' });
      await waitFor(() => received.has(done.id), { what: 'the completed order' });
      const data = received.get(done.id);
      assert.equal(data.revenue, 40.25);
      assert.equal(data.category, 'games');
      assert.equal(data.time, done.createdAt);
      assert.ok(data.eventId.startsWith(eventIdPrefix), data.eventId);
      assert.ok(Number.isFinite(data.committedAt));
      // The pending order was committed before the completed one and the stream is ordered.
      assert.equal(received.has(pending.id), false, 'a pending order is not published');

      const patched = await request('PATCH', `/api/v1/orders/${pending.id}`, { status: 'completed' });
      assert.equal(patched.status, 200);
      await waitFor(() => received.has(pending.id), { what: 'the order updated to completed' });
      assert.equal(received.get(pending.id).revenue, 12.5);
      assert.equal(received.get(pending.id).category, 'books');
    });

    it('loses nothing when the worker is killed with SIGKILL in the middle of a burst', async (t) => {
      const BURST = 200; // posted in parallel while the worker streams
      const IN_FLIGHT = 20; // read and published by the worker, never confirmed by Redis
      const WHILE_DEAD = 20; // posted after the kill: work the restarted worker must do
      const victim = leaders()[0];
      assert.ok(victim, 'a worker leads');
      const ids = new Set();
      const crash = (i) =>
        post({ amount: 100 + i, category: 'crash', status: 'completed' }).then((o) => ids.add(o.id));
      let seen = 0;
      let streaming;
      const fifth = new Promise((resolve) => (streaming = resolve));
      onEvent = (data) => {
        if (data.category === 'crash' && ++seen === 5) streaming();
      };
      const burst = Promise.all(Array.from({ length: BURST }, (_, i) => crash(i)));
      await fifth;
      // Mid-burst, Redis stops executing PUBLISH (CLIENT PAUSE WRITE): what the worker reads now
      // it publishes but never gets confirmed, the window in which a worker that acknowledged
      // too early would lose events when it dies.
      await redisCli('CLIENT', 'PAUSE', '5000', 'WRITE');
      const postedAtPause = ids.size;
      try {
        await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => crash(BURST + i)));
        await burst;
        // Setup, not an assertion: the worker reads new rows within its 20 ms poll.
        await new Promise((r) => setTimeout(r, 300));
        await victim.kill('SIGKILL');
      } finally {
        await redisCli('CLIENT', 'UNPAUSE');
        onEvent = () => {};
      }
      await Promise.all(Array.from({ length: WHILE_DEAD }, (_, i) => crash(BURST + IN_FLIGHT + i)));
      const N = BURST + IN_FLIGHT + WHILE_DEAD;
      assert.equal(ids.size, N);
      const beforeRestart = [...ids].filter((id) => received.has(id)).length;

      workers.push(startWorker(redis.url, databaseUrl, 'b'));
      await waitFor(() => [...ids].every((id) => received.has(id)), {
        timeoutMs: 30000,
        what: 'every order after the restart',
      });
      const distinct = [...ids].filter((id) => received.has(id)).length;
      assert.equal(distinct, N);
      // At least once: a redelivered order carries the eventId of its first delivery.
      for (const id of ids) assert.equal(eventIds.get(id).size, 1, `order ${id}: ${[...eventIds.get(id)]}`);
      const duplicates = [...ids].reduce((n, id) => n + copies.get(id) - 1, 0);
      t.diagnostic(
        `paused Redis with ${postedAtPause} of ${BURST} posted; ${beforeRestart} of ${N} received before the restart; ${duplicates} redelivered`,
      );
      const { snapshot } = await snapshotEqualsDatabase('after the worker was killed');
      t.diagnostic(`snapshot after the kill: ${snapshot.orders} orders, revenue ${snapshot.revenue}`);
    });

    // Only where the test can restart the database server (PostgreSQL; SQLite has none).
    for (const mode of restartDatabase ? ['fast', 'immediate'] : []) {
      it(`after a ${mode} restart of the database the aggregates still equal it (replays are not counted twice)`, async (t) => {
        const before = await Promise.all(
          Array.from({ length: 30 }, (_, i) => post({ amount: 300 + i, category: `restart-${mode}`, status: 'completed' })),
        );
        await waitFor(() => before.every((o) => received.has(o.id)), { what: 'the orders before the restart' });
        const publishedBefore = copies.size;
        await restartDatabase(mode);
        // The API and the worker reconnect by themselves; posts fail until the API has.
        const after = [];
        await waitFor(
          async () => {
            try {
              const res = await request('POST', '/api/v1/orders', { amount: 7, category: `after-${mode}`, status: 'completed' });
              if (res.status === 201) after.push(res.body);
            } catch {
              /* the API is reconnecting */
            }
            return after.length >= 10;
          },
          { timeoutMs: 60000, intervalMs: 200, what: 'the API writing again after the restart' },
        );
        await waitFor(() => after.every((o) => received.has(o.id)), { timeoutMs: 60000, what: 'the orders after the restart' });
        const replayed = [...copies.values()].reduce((n, c) => n + c - 1, 0);
        const { snapshot, db } = await snapshotEqualsDatabase(`after a ${mode} restart`);
        t.diagnostic(
          `${mode} restart: ${publishedBefore} orders seen before, ${replayed} redeliveries so far; snapshot ${snapshot.orders} orders / ${snapshot.revenue}, database ${db.orders} / ${db.revenue}`,
        );
      });
    }

    it('with two workers only the leader publishes, and a standby takes over from a dead leader', async (t) => {
      const standby = startWorker(redis.url, databaseUrl, 'c');
      workers.push(standby);
      await waitFor(() => standby.standby || standby.exited, { what: 'the second worker in standby' });
      assert.equal(standby.exited, false);
      assert.equal(leaders().length, 1, 'one worker leads');
      const leader = leaders()[0];
      assert.notEqual(leader, standby);

      const N = 40;
      const orders = await Promise.all(
        Array.from({ length: N }, (_, i) => post({ amount: 200 + i, category: 'pair', status: 'completed' })),
      );
      await waitFor(() => orders.every((o) => received.has(o.id)), { what: 'the orders with two workers' });
      // A marker written after the burst: once it arrived, a second publisher would have
      // published the burst too.
      const marker = await post({ amount: 3, category: 'marker', status: 'completed' });
      await waitFor(() => received.has(marker.id), { what: 'the marker order' });
      const doubled = orders.filter((o) => copies.get(o.id) !== 1);
      assert.deepEqual(doubled.map((o) => [o.id, copies.get(o.id)]), [], 'exactly one copy of each order');
      assert.equal(standby.leader, false, 'the standby did not lead while the leader lived');

      await leader.kill('SIGKILL');
      const killedAt = Date.now();
      const order = await post({ amount: 77, category: 'takeover', status: 'completed' });
      await waitFor(() => received.has(order.id), { timeoutMs: 15000, what: 'delivery by the standby' });
      const took = Date.now() - killedAt;
      t.diagnostic(`SIGKILL to delivery by the standby: ${took} ms (lease ${LEASE_MS} ms)`);
      assert.equal(standby.leader, true);
      assert.match(standby.log, /has no connection to Redis any more; taking over/);
      // Not a timing benchmark: far below the lease shows that the standby did not wait for it.
      assert.ok(took < LEASE_MS / 2, `takeover and delivery took ${took} ms`);
      assert.equal(copies.get(order.id), 1, 'the order is shown once');
      await snapshotEqualsDatabase('after the leader was killed');
    });
  });
}
