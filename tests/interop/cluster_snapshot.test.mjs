// The retained metrics-snapshot in a cluster (docs/snapshots.md): a gateway that starts after the
// worker published it, or that was cut off from Redis while a newer one was published, still
// hands it to the real socket.io-client as its first event, read back from Redis. And a restarted
// worker rebuilds its aggregates from the database instead of publishing smaller totals.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { connectClient } from './lib/clients.mjs';
import { binary, freePort, mintWriteToken, nextEvent, publish, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startRedis, startRedisCluster } from './lib/redis.mjs';

const run = promisify(execFile);
const BRIDGE = 'socket-io-bridge';

// A socket.io-client that records every event from the first one on, before it connects.
function recordingClient(url) {
  const socket = connectClient(url, { autoConnect: false });
  const events = [];
  socket.onAny((event, ...args) => events.push({ event, args }));
  socket.connect();
  return { socket, events };
}

function startWorker(redisUrl, databaseUrl) {
  const child = spawn(binary, ['worker', '--no-leader-election'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

// Every metrics-snapshot published on the bridge, as a Redis subscriber sees it.
async function watchSnapshots(redisUrl) {
  const seen = [];
  const sub = createClient({ url: redisUrl });
  sub.on('error', () => {});
  await sub.connect();
  await sub.subscribe(BRIDGE, (message) => {
    const m = JSON.parse(message);
    if (m.event === 'metrics-snapshot') seen.push(m.data);
  });
  return { seen, stop: () => sub.quit().catch(() => {}) };
}

describe('a gateway that starts after the worker published the snapshot', () => {
  let redis, api, dir, databaseUrl, worker, watcher, gw;
  const posted = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pb-snapshot-'));
    databaseUrl = `sqlite://${path.join(dir, 'orders.db')}`;
    [redis, api] = await Promise.all([startRedis(), startPulseboard({ role: 'api', env: { DATABASE_URL: databaseUrl } })]);
    const token = mintWriteToken();
    watcher = await watchSnapshots(redis.url);
    worker = startWorker(redis.url, databaseUrl);
    for (const [amount, category, status] of [[10, 'books', 'completed'], [99, 'games', 'pending'], [20.5, 'books', 'completed'], [7.25, 'toys', 'completed']]) {
      const res = await fetch(`${api.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ amount, category, status }),
      });
      assert.equal(res.status, 201);
      posted.push(await res.json());
    }
    await waitFor(() => watcher.seen.some((s) => s.totals.orders === 3), { what: 'the worker publishing 3 orders', timeoutMs: 15000 });
    // Nothing publishes any more: whatever a new gateway hands out comes from Redis.
    assert.equal(await worker.stop(), 0);
  });

  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await gw?.stop();
    await api?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands the stored snapshot to a new client as its first event', async () => {
    gw = await startPulseboard({ env: { REDIS_URL: redis.url } });
    const { socket, events } = recordingClient(gw.url);
    try {
      await waitFor(() => events.length > 0, { what: 'a first event' });
      const [first] = events;
      assert.equal(first.event, 'metrics-snapshot');
      const snapshot = first.args[0];
      assert.equal(snapshot.totals.orders, 3);
      assert.equal(snapshot.totals.revenue, 37.75);
      const completed = posted.filter((o) => o.status === 'completed').map((o) => o.id);
      assert.deepEqual(snapshot.recent.map((r) => r.id), completed);
      assert.deepEqual(snapshot.categories.map((c) => [c.category, c.orders]), [['books', 2], ['toys', 1]]);
    } finally {
      socket.disconnect();
    }
  });

  it('a restarted worker publishes the same totals, rebuilt from the database', async () => {
    const { socket } = recordingClient(gw.url);
    try {
      await nextEvent(socket, 'metrics-snapshot'); // the retained one
      // The restarted worker has no new change to publish: a snapshot can only come from its
      // rebuild, and it must not show less than before.
      const next = nextEvent(socket, 'metrics-snapshot', 15000);
      worker = startWorker(redis.url, databaseUrl);
      const [snapshot] = await next;
      assert.equal(snapshot.totals.orders, 3);
      assert.equal(snapshot.totals.revenue, 37.75);
      assert.deepEqual(snapshot.recent.map((r) => r.id), posted.filter((o) => o.status === 'completed').map((o) => o.id));
    } finally {
      socket.disconnect();
    }
  });
});

// redis-server in a directory the test knows, so a dump written by another server is loaded.
async function redisIn(dir, port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited`);
    return run('redis-cli', ['-p', String(port), 'ping']).then((r) => r.stdout.trim() === 'PONG', () => false);
  }, { what: `redis-server on ${port}` });
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

const snapshotMessage = (orders) => ({ room: 'live-metrics', event: 'metrics-snapshot', retain: true, data: { generatedAt: Date.now(), totals: { orders } } });

describe('a gateway running while Redis restarted', () => {
  let dir, port, redis, gw;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pb-snapshot-redis-'));
    port = await freePort();
    redis = await redisIn(dir, port);
    gw = await startPulseboard({ env: { REDIS_URL: redis.url } });
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
  });
  after(async () => {
    await gw?.stop();
    await redis?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('recovers the snapshot published while it was cut off, for its clients and new ones', async () => {
    const { socket } = recordingClient(gw.url);
    try {
      const first = nextEvent(socket, 'metrics-snapshot');
      assert.equal((await publish(gw.url, snapshotMessage(1))).status, 202);
      assert.equal((await first)[0].totals.orders, 1);

      await redis.kill();
      // Meanwhile another gateway, on another Redis that writes the same directory, publishes a
      // newer snapshot: this gateway never sees that PUBLISH, only what Redis stored.
      const otherPort = await freePort();
      const other = await redisIn(dir, otherPort);
      const publisher = await startPulseboard({ env: { REDIS_URL: other.url } });
      await waitFor(async () => (await fetch(`${publisher.url}/readyz`)).status === 200, { what: 'publisher ready' });
      assert.equal((await publish(publisher.url, snapshotMessage(2))).status, 202);
      await waitFor(async () => (await run('redis-cli', ['-p', String(otherPort), 'hlen', `pulseboard:retained:{${BRIDGE}}`])).stdout.trim() === '1', { what: 'the snapshot stored' });
      await run('redis-cli', ['-p', String(otherPort), 'save']);
      await publisher.stop();
      await other.kill('SIGTERM');

      const recovered = nextEvent(socket, 'metrics-snapshot', 20000);
      redis = await redisIn(dir, port);
      assert.equal((await recovered)[0].totals.orders, 2, 'the connected client catches up');
      await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'ready again' });

      const late = recordingClient(gw.url);
      try {
        await waitFor(() => late.events.length > 0, { what: 'a first event' });
        assert.equal(late.events[0].event, 'metrics-snapshot');
        assert.equal(late.events[0].args[0].totals.orders, 2);
      } finally {
        late.socket.disconnect();
      }
    } finally {
      socket.disconnect();
    }
  });
});

describe('REDIS_MODE=sharded on a Redis Cluster', () => {
  let cluster;
  const gateways = [];
  before(async () => {
    cluster = await startRedisCluster();
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await cluster?.stop();
  });

  it('a gateway started later reads the snapshot stored in the bridge channel slot', async () => {
    const env = { REDIS_URL: cluster.url, REDIS_MODE: 'sharded', SOCKETIO_ADAPTER: 'off' };
    const a = await startPulseboard({ env });
    gateways.push(a);
    await waitFor(async () => (await fetch(`${a.url}/readyz`)).status === 200, { what: 'gateway ready' });
    assert.equal((await publish(a.url, snapshotMessage(5))).status, 202);
    // Through the bridge, so it was stored before it came back to `a`.
    const probe = recordingClient(a.url);
    await waitFor(() => probe.events.some((e) => e.event === 'metrics-snapshot' && e.args[0].totals.orders === 5), { what: 'the publish on a' });
    probe.socket.disconnect();

    const b = await startPulseboard({ env });
    gateways.push(b);
    const { socket, events } = recordingClient(b.url);
    try {
      await waitFor(() => events.length > 0, { what: 'a first event' });
      assert.equal(events[0].event, 'metrics-snapshot');
      assert.equal(events[0].args[0].totals.orders, 5);
    } finally {
      socket.disconnect();
    }
  });
});
