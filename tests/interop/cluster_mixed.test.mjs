// A mixed cluster on one Redis: the article's Node server (socket.io 4 + @socket.io/redis-adapter)
// beside two Pulseboard gateways, plus @socket.io/redis-emitter. Emits and adapter requests from
// the Node side reach the real socket.io-clients connected to the gateways.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Emitter } from '@socket.io/redis-emitter';
import { createClient } from 'redis';
import { connectClient, connected, countsAfter, silent } from './lib/clients.mjs';
import { SECRET, nextEvent, publish, waitFor } from './lib/gateway.mjs';
import {
  broadcastAcksAreCollected,
  disconnectSocketsReachesGatewayClients,
  everyGatewayAnswersServerSideEmit,
  exceptIsHonoured,
} from './lib/adapter_contract.mjs';
import { startMixedCluster } from './lib/mixed_cluster.mjs';
import { startRedis } from './lib/redis.mjs';
import { startArticleServer } from './peers/server.mjs';

const BRIDGE = 'socket-io-bridge';

describe('mixed cluster: the article Node server, two Pulseboard gateways, the emitter', () => {
  let redis, servers, pub, emitter;
  let a, node, pa1, pa2, pb1, n1;
  before(async () => {
    redis = await startRedis();
    // The Node server counts both gateways as cluster members (they subscribe the request channel).
    servers = await startMixedCluster({
      gateway: { args: ['--redis-url', redis.url, '--threads', '2'] },
      startNodeServer: () => startArticleServer({ redisUrl: redis.url, secret: SECRET, bridgeLocal: true }),
    });
    ({ a, node, pa1, pa2, pb1, n1 } = servers);
    pub = createClient({ url: redis.url });
    await pub.connect();
    emitter = new Emitter(pub);
  });
  after(async () => {
    await servers?.stop();
    await pub?.quit().catch(() => {});
    await redis?.stop();
  });

  it('io.to(room).emit on the Node server reaches clients of both gateways once', async () => {
    const counts = await countsAfter([pa1, pa2, pb1, n1], 'metric',
      () => node.io.to('live-metrics').emit('metric', { revenue: 12.5 }),
      () => node.io.emit('barrier'));
    assert.deepEqual(counts, [1, 1, 1, 1]);
    const got = nextEvent(pb1, 'metric-args');
    node.io.to('live-metrics').emit('metric-args', 'text', 42, { nested: [1, 2] }, null);
    assert.deepEqual(await got, ['text', 42, { nested: [1, 2] }, null]);
  });

  it('binary arguments arrive as binary', async () => {
    const got = nextEvent(pa1, 'bin');
    node.io.emit('bin', Buffer.from([1, 2, 3]), { inner: Buffer.from([4]) });
    const [first, second] = await got;
    assert.deepEqual(Buffer.from(first), Buffer.from([1, 2, 3]));
    assert.deepEqual(Buffer.from(second.inner), Buffer.from([4]));
  });

  it('except by socket id and by room is honoured across nodes', () => exceptIsHonoured(servers));

  it('@socket.io/redis-emitter broadcasts reach gateway clients, room, except and binary', async () => {
    const got = Promise.all([pa1, pb1].map((s) => nextEvent(s, 'emitted')));
    emitter.to('live-metrics').emit('emitted', { from: 'emitter' });
    for (const [data] of await got) assert.deepEqual(data, { from: 'emitter' });
    const vipQuiet = silent(pa2, 'emitted-except');
    const rest = Promise.all([pa1, pb1].map((s) => nextEvent(s, 'emitted-except')));
    emitter.except('vip').emit('emitted-except', 1);
    await rest;
    assert.equal(await vipQuiet, true);
    const bin = nextEvent(pb1, 'emitted-bin');
    emitter.emit('emitted-bin', Buffer.from([9, 8]));
    assert.deepEqual(Buffer.from((await bin)[0]), Buffer.from([9, 8]));
  });

  it('io.fetchSockets() includes the gateways\' sockets without waiting for the request timeout', async () => {
    const t0 = Date.now();
    const sockets = await node.io.fetchSockets();
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2000, `fetchSockets took ${elapsed} ms`);
    const byId = new Map(sockets.map((s) => [s.id, s]));
    for (const c of [pa1, pa2, pb1, n1]) assert.ok(byId.has(c.id), `${c.id} fetched`);
    const remote = byId.get(pb1.id);
    assert.ok(remote.rooms.has('live-metrics') && remote.rooms.has(pb1.id));
    assert.equal(remote.data.sub, 'interop');
    assert.equal(typeof remote.handshake.issued, 'number');
    // A RemoteSocket's emit goes through the adapter to the gateway that holds the socket.
    const got = nextEvent(pb1, 'direct');
    remote.emit('direct', 'hi');
    assert.deepEqual(await got, ['hi']);
    const vips = await node.io.in('vip').fetchSockets();
    assert.deepEqual(vips.map((s) => s.id), [pa2.id]);
  });

  it('socketsJoin / socketsLeave move gateway sockets into and out of rooms', async () => {
    node.io.in(pb1.id).socketsJoin('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).some((s) => s.id === pb1.id), { what: 'remote join' });
    const got = nextEvent(pb1, 'in-x');
    const quiet = silent(pa1, 'in-x');
    node.io.to('x').emit('in-x', 1);
    assert.deepEqual(await got, [1]);
    assert.equal(await quiet, true);
    const rooms = await node.io.of('/').adapter.allRooms();
    for (const r of ['x', 'vip', 'live-metrics', pb1.id, pa1.id]) assert.ok(rooms.has(r), `allRooms has ${r}`);
    node.io.in(pb1.id).socketsLeave('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).length === 0, { what: 'remote leave' });
  });

  it('serverSideEmit with an ack gets an answer from every gateway', () => everyGatewayAnswersServerSideEmit(servers));

  it('a broadcast with acks collects the acks of gateway clients', () => broadcastAcksAreCollected(servers));

  it('the bridge reaches every client once when the Node server emits bridge messages locally', async () => {
    const counts = await countsAfter([pa1, pa2, pb1, n1], 'bridged',
      async () => {
        for (let i = 0; i < 5; i++) await pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'bridged', data: i }));
        assert.equal((await publish(a.url, { room: 'live-metrics', event: 'bridged', data: 'post' })).status, 202);
      },
      () => pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'barrier', data: 0 })));
    assert.deepEqual(counts, [6, 6, 6, 6]);
  });

  it('with the article\'s bridge handler (io.to, through the adapter) gateway clients get a second copy', async () => {
    node.setBridgeLocal(false);
    try {
      const counts = await countsAfter([pa1, pb1, n1], 'article',
        () => pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'article', data: 1 })),
        () => pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'barrier', data: 0 })));
      // The gateways deliver from the bridge once, then again from the Node server's re-broadcast.
      assert.deepEqual(counts, [2, 2, 1]);
    } finally {
      node.setBridgeLocal(true);
    }
  });

  it('disconnectSockets disconnects gateway clients (close=false and close=true)', () => disconnectSocketsReachesGatewayClients(servers));
});

describe('the article\'s server.js alone, two nodes on one Redis', () => {
  it('delivers every bridge message twice to each client (N nodes, N copies)', async () => {
    const redis = await startRedis();
    const nodes = [];
    const clients = [];
    const pub = createClient({ url: redis.url });
    try {
      nodes.push(await startArticleServer({ redisUrl: redis.url, secret: SECRET }));
      nodes.push(await startArticleServer({ redisUrl: redis.url, secret: SECRET }));
      await pub.connect();
      for (const n of nodes) clients.push(connectClient(n.url));
      await connected(...clients);
      const counts = await countsAfter(clients, 'dup',
        () => pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'dup', data: 1 })),
        () => pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'barrier', data: 0 })));
      assert.deepEqual(counts, [2, 2]);
    } finally {
      clients.forEach((c) => c.disconnect());
      for (const n of nodes) await n.close();
      await pub.quit().catch(() => {});
      await redis.stop();
    }
  });
});
