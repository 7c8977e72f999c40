// The article's whole data path as separate processes, for any store: `pulseboard api` writes
// orders, `pulseboard worker` follows the store's change stream and publishes on the Redis
// bridge, `pulseboard gateway` delivers to the real socket.io-client. The worker is killed with
// SIGKILL in the middle of a burst while Redis holds its publishes unconfirmed (nothing may be
// lost; needs redis-cli), and two workers run side by side
// (only the leader publishes; a standby takes over from a dead leader). The store-specific test
// files call describeDataPath() with a DATABASE_URL that the api and worker processes share.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { binary, mintWriteToken, nextEvent, startPulseboard, waitFor } from './gateway.mjs';
import { startRedis } from './redis.mjs';

const LEASE_MS = 1000;
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
// source's eventId scheme ("sqlite:", "postgres:"); skip: false or the reason.
export function describeDataPath({ name, databaseUrl, eventIdPrefix, skip = false }) {
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
    });

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
      t.diagnostic(`takeover and delivery: ${took} ms`);
      assert.equal(standby.leader, true);
      assert.ok(took < 2 * LEASE_MS + 1000, `takeover and delivery took ${took} ms`);
    });
  });
}
