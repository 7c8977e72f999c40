// A sharded cluster: a Node socket.io 4 server with createShardedAdapter and two Pulseboard
// gateways (REDIS_MODE=sharded SOCKETIO_ADAPTER=sharded) on a 3-master Redis Cluster, with the
// real socket.io-client on each. What the Node server does through its adapter reaches the
// gateways' clients, and the gateways answer its requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { countsAfter, silent } from './lib/clients.mjs';
import { SECRET, nextEvent, publish, waitFor } from './lib/gateway.mjs';
import {
  broadcastAcksAreCollected,
  disconnectSocketsReachesGatewayClients,
  everyGatewayAnswersServerSideEmit,
  exceptIsHonoured,
} from './lib/adapter_contract.mjs';
import { startMixedCluster } from './lib/mixed_cluster.mjs';
import { startRedisCluster } from './lib/redis.mjs';
import { startShardedServer } from './peers/sharded_server.mjs';

const BRIDGE = 'socket-io-bridge';

// Subscribers of a sharded channel, summed over the masters (what serverCount() asks).
async function shardSubscribers(node, channel) {
  const counts = await Promise.all(node.pubClient.masters.map(async (m) => {
    const client = await node.pubClient.nodeClient(m);
    const [, n] = await client.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel]);
    return Number(n);
  }));
  return counts.reduce((a, b) => a + b, 0);
}

describe('sharded adapter: a Node createShardedAdapter server and two Pulseboard gateways', () => {
  let cluster, servers;
  let a, node, pa1, pa2, pb1, n1;
  before(async () => {
    cluster = await startRedisCluster();
    // Both gateways SSUBSCRIBE the namespace channel, so the Node server counts them.
    servers = await startMixedCluster({
      gateway: {
        args: ['--redis-url', cluster.url, '--threads', '2'],
        env: { REDIS_MODE: 'sharded', SOCKETIO_ADAPTER: 'sharded' },
      },
      startNodeServer: () => startShardedServer({ redisUrl: cluster.url, secret: SECRET }),
    });
    ({ a, node, pa1, pa2, pb1, n1 } = servers);
  });
  after(async () => {
    await servers?.stop();
    await cluster?.stop();
  });

  it('io.to(room).emit reaches the clients in that room once, and no others', async () => {
    await pa2.timeout(2000).emitWithAck('subscribe', 'vip');
    // Dynamic mode: the gateway now holds the room's own channel, as a Node server would.
    await waitFor(async () => (await shardSubscribers(node, 'socket.io#/#vip#')) === 1, { what: 'vip channel held' });
    const counts = await countsAfter([pa1, pa2, pb1, n1], 'metric',
      () => node.io.to('live-metrics').emit('metric', { revenue: 12.5 }),
      () => node.io.emit('barrier'));
    assert.deepEqual(counts, [1, 1, 1, 1]);
    const vip = await countsAfter([pa1, pa2, pb1, n1], 'vip-only',
      () => node.io.to('vip').emit('vip-only', 'x'),
      () => node.io.emit('barrier'));
    assert.deepEqual(vip, [0, 1, 0, 0]);
    const got = nextEvent(pb1, 'metric-args');
    node.io.to('live-metrics').emit('metric-args', 'text', 42, { nested: [1, 2] }, null);
    assert.deepEqual(await got, ['text', 42, { nested: [1, 2] }, null]);
  });

  it('except by socket id and by room is honoured', () => exceptIsHonoured(servers));

  it('binary arguments arrive as Buffers', async () => {
    const got = Promise.all([pa1, pb1].map((s) => nextEvent(s, 'bin')));
    node.io.to('live-metrics').emit('bin', Buffer.from([1, 2, 3]), { inner: Buffer.from([4]) });
    for (const [first, second] of await got) {
      assert.ok(Buffer.isBuffer(first), 'a Buffer');
      assert.deepEqual(first, Buffer.from([1, 2, 3]));
      assert.deepEqual(Buffer.from(second.inner), Buffer.from([4]));
    }
  });

  it('io.fetchSockets() returns the gateways\' sockets without waiting for a timeout', async () => {
    const t0 = Date.now();
    const sockets = await node.io.fetchSockets();
    assert.ok(Date.now() - t0 < 2000, `fetchSockets took ${Date.now() - t0} ms`);
    const byId = new Map(sockets.map((s) => [s.id, s]));
    for (const c of [pa1, pa2, pb1, n1]) assert.ok(byId.has(c.id), `${c.id} fetched`);
    const remote = byId.get(pb1.id);
    assert.ok(remote.rooms.has('live-metrics') && remote.rooms.has(pb1.id));
    assert.equal(remote.data.sub, 'interop');
    const vips = await node.io.in('vip').fetchSockets();
    assert.deepEqual(vips.map((s) => s.id), [pa2.id]);
    // A RemoteSocket's emit is a broadcast to its id: through the namespace channel.
    const got = nextEvent(pb1, 'direct');
    byId.get(pb1.id).emit('direct', 'hi');
    assert.deepEqual(await got, ['hi']);
  });

  it('socketsJoin moves gateway sockets into a room that a room emit then reaches', async () => {
    node.io.in(pb1.id).socketsJoin('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).some((s) => s.id === pb1.id), { what: 'remote join' });
    await waitFor(async () => (await shardSubscribers(node, 'socket.io#/#x#')) === 1, { what: 'x channel held' });
    const got = nextEvent(pb1, 'in-x');
    const quiet = silent(pa1, 'in-x');
    node.io.to('x').emit('in-x', 1);
    assert.deepEqual(await got, [1]);
    assert.equal(await quiet, true);
    node.io.in(pb1.id).socketsLeave('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).length === 0, { what: 'remote leave' });
    // The room is gone on that gateway: it lets go of the room's channel.
    await waitFor(async () => (await shardSubscribers(node, 'socket.io#/#x#')) === 0, { what: 'x channel released' });
  });

  it('serverSideEmitWithAck resolves with an answer from every gateway', () => everyGatewayAnswersServerSideEmit(servers));

  it('timeout().emitWithAck collects the acks of gateway clients', () => broadcastAcksAreCollected(servers));

  it('the bridge reaches every client once', async () => {
    const counts = await countsAfter([pa1, pa2, pb1, n1], 'bridged',
      async () => {
        for (let i = 0; i < 5; i++) await node.pubClient.sPublish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'bridged', data: i }));
        assert.equal((await publish(a.url, { room: 'live-metrics', event: 'bridged', data: 'post' })).status, 202);
      },
      () => node.pubClient.sPublish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'barrier', data: 0 })));
    assert.deepEqual(counts, [6, 6, 6, 6]);
  });

  it('disconnectSockets disconnects gateway clients (close=false and close=true)', () => disconnectSocketsReachesGatewayClients(servers));
});
