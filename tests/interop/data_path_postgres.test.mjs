// The article's whole data path as separate processes: `pulseboard api` writes orders to
// PostgreSQL, `pulseboard worker` follows logical replication (pgoutput) and publishes on the
// Redis bridge, `pulseboard gateway` delivers to the real socket.io-client. Then the worker is
// killed with SIGKILL mid-stream (nothing may be lost) and a standby takes over from a dead
// leader. Needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL 15 with wal_level=logical).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, mintToken, nextEvent, SECRET, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';

const DATABASE_URL = process.env.PULSEBOARD_DATABASE_URL;
const skip = DATABASE_URL ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL)';

function startWorker(redisUrl, name) {
  const child = spawn(binary, ['worker', '--lease-ms', '1000'], {
    env: { ...process.env, DATABASE_URL, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { name, child, log: '', leader: false, exited: false };
  const collect = (chunk) => {
    w.log += chunk.toString();
    if (/became the leader/.test(w.log)) w.leader = true;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', () => (w.exited = true));
  w.kill = async (signal) => {
    if (w.exited) return;
    child.kill(signal);
    await once(child, 'exit');
  };
  return w;
}

describe('data path on PostgreSQL through separate processes', { skip }, () => {
  let redis, gw, api, socket, token;
  const workers = [];
  const received = new Map(); // order id -> metrics-update data (last copy)
  const copies = new Map(); // order id -> copies received

  const post = (body) =>
    fetch(`${api.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  before(async () => {
    redis = await startRedis();
    gw = await startPulseboard({ env: { REDIS_URL: redis.url } });
    api = await startPulseboard({ role: 'api', env: { DATABASE_URL } });
    token = mintToken({ rooms: ['live-metrics'] });
    socket = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false });
    socket.on('metrics-update', (data) => {
      received.set(data.id, data);
      copies.set(data.id, (copies.get(data.id) ?? 0) + 1);
    });
    await nextEvent(socket, 'connect');
    workers.push(startWorker(redis.url, 'a'));
    // The worker creates its replication slot at start: probe until an order comes through.
    await waitFor(
      async () => {
        const { body } = await post({ amount: 1, category: 'probe', status: 'completed' });
        await new Promise((r) => setTimeout(r, 300));
        return received.has(body.id);
      },
      { timeoutMs: 30000, what: 'the worker streaming' },
    );
  });

  after(async () => {
    socket?.disconnect();
    for (const w of workers) await w.kill('SIGTERM');
    await gw?.stop();
    await api?.stop();
    await redis?.stop();
  });

  it('publishes completed orders with the projected fields, not pending ones, and updates to completed', async () => {
    const pending = (await post({ amount: 12.5, category: 'books', status: 'pending' })).body;
    const done = (await post({ amount: 40.25, category: 'games', status: 'completed' })).body;
    await waitFor(() => received.has(done.id), { what: 'the completed order' });
    const data = received.get(done.id);
    assert.equal(data.revenue, 40.25);
    assert.equal(data.category, 'games');
    assert.equal(data.time, done.createdAt);
    assert.match(data.eventId, /^postgres:/);
    assert.ok(Number.isFinite(data.committedAt));
    assert.equal(received.has(pending.id), false, 'a pending order is not published');

    const patched = await fetch(`${api.url}/api/v1/orders/${pending.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ status: 'completed' }),
    });
    assert.equal(patched.status, 200);
    await waitFor(() => received.has(pending.id), { what: 'the order updated to completed' });
    assert.equal(received.get(pending.id).revenue, 12.5);
  });

  it('loses nothing when the worker is killed with SIGKILL mid-stream', async () => {
    const ids = [];
    for (let i = 0; i < 40; i++) {
      ids.push((await post({ amount: 100 + i, category: 'crash', status: 'completed' })).body.id);
      if (i === 15) await workers[0].kill('SIGKILL');
    }
    workers.push(startWorker(redis.url, 'b'));
    await waitFor(() => ids.every((id) => received.has(id)), {
      timeoutMs: 30000,
      what: 'every order after the restart',
    });
    // At-least-once: a redelivered event carries the same eventId, so it can be recognised.
    for (const id of ids) assert.ok(copies.get(id) >= 1);
  });

  it('a standby takes over when the leader is killed', async () => {
    const standby = startWorker(redis.url, 'c');
    workers.push(standby);
    const leader = workers.find((w) => w.leader && !w.exited);
    assert.ok(leader, 'one worker leads');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(standby.leader, false, 'only one leader');
    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    const order = (await post({ amount: 77, category: 'takeover', status: 'completed' })).body;
    await waitFor(() => received.has(order.id), { timeoutMs: 15000, what: 'delivery by the standby' });
    assert.equal(standby.leader, true);
    assert.ok(Date.now() - killedAt < 2 * 1000 + 3000, 'takeover within two lease periods (plus slack)');
  });
});
