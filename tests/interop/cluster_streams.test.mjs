// A streams cluster: a Node socket.io 4 server with @socket.io/redis-streams-adapter and
// connection state recovery, beside Pulseboard gateways in streams mode (SOCKETIO_ADAPTER=streams)
// on one Redis, with the real socket.io-client on each. Broadcasts travel through the Redis
// stream `socket.io`, so every node gives an event the same offset (its stream entry id), and a
// client can leave one kind of server and recover its socket, with everything it missed, on the
// other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { connectClient, countsAfter, silent } from './lib/clients.mjs';
import { SECRET, mintToken, nextEvent, publish, startGateways, waitFor } from './lib/gateway.mjs';
import {
  broadcastAcksAreCollected,
  disconnectSocketsReachesGatewayClients,
  everyGatewayAnswersServerSideEmit,
  exceptIsHonoured,
} from './lib/adapter_contract.mjs';
import { startMixedCluster } from './lib/mixed_cluster.mjs';
import { startRedis } from './lib/redis.mjs';
import { OFFSET, STREAM, compareIds, streamsGatewayOptions } from './lib/streams.mjs';
import { startTcpProxy } from './lib/tcp_proxy.mjs';
import { startStreamsServer } from './peers/streams_server.mjs';

const BRIDGE = 'socket-io-bridge';
const gatewayOptions = (redis) => streamsGatewayOptions(redis.url);

// eventIds are unique per run: the gateways remember the ones already appended.
let eventIds = 0;
const eventId = (tag) => `streams-test:${process.pid}:${tag}:${++eventIds}`;
const bridgeMessage = (event, data) => JSON.stringify({ room: 'live-metrics', event, data });

// The stream's broadcast entries as the Node adapter decodes them: `event` is the first
// argument of the packet, `args` the rest.
async function streamBroadcasts(redisClient) {
  const entries = await redisClient.xRange(STREAM, '-', '+');
  return entries
    .filter((e) => e.message.type === '3' && e.message.data?.startsWith('{'))
    .map((e) => {
      const { packet } = JSON.parse(e.message.data);
      return { id: e.id, event: packet.data[0], args: packet.data.slice(1) };
    });
}

// Records the arguments of every `event` on each socket until `stop()`.
function record(sockets, event) {
  const got = sockets.map(() => []);
  const handlers = sockets.map((s, i) => {
    const h = (...args) => got[i].push(args);
    s.on(event, h);
    return h;
  });
  return {
    got,
    stop: () => sockets.forEach((s, i) => s.off(event, handlers[i])),
  };
}

// Waits until every socket recorded at least `n` events; on time-out says what each one got.
async function everyoneGot(seen, n, what, sockets = seen.got.map((_, i) => i)) {
  await waitFor(() => sockets.every((i) => seen.got[i].length >= n), { what }).catch(() => {
    throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(seen.got)}`);
  });
}

// A barrier through the stream: a bridge message with an eventId, which every node (the Node
// server too) delivers after what the gateways appended before it. Resolves once it arrived
// everywhere and a quiet period passed, so late or doubled deliveries are counted.
async function streamBarrier(pub, sockets) {
  const arrived = Promise.all(sockets.map((s) => nextEvent(s, 'barrier', 5000)));
  await pub.publish(BRIDGE, bridgeMessage('barrier', { eventId: eventId('barrier') }));
  await arrived;
  await sleep(300);
}

describe('streams adapter: a Node createAdapter (redis-streams-adapter) server and two Pulseboard gateways', () => {
  let redis, servers, pub;
  let a, b, node, pa1, pa2, pb1, n1;
  before(async () => {
    redis = await startRedis();
    // serverCount() is PUBSUB NUMSUB socket.io#/#: the gateways count once they subscribe it.
    servers = await startMixedCluster({
      gateway: gatewayOptions(redis),
      startNodeServer: () => startStreamsServer({ redisUrl: redis.url, secret: SECRET }),
    });
    ({ a, b, node, pa1, pa2, pb1, n1 } = servers);
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
  });
  after(async () => {
    await servers?.stop();
    await pub?.quit().catch(() => {});
    await redis?.stop();
  });

  it('io.to(room).emit and io.emit reach every client once, with the same stream entry id as last argument', async () => {
    const all = [pa1, pa2, pb1, n1];
    const counts = await countsAfter(all, 'metric',
      () => node.io.to('live-metrics').emit('metric', { revenue: 12.5 }),
      () => node.io.emit('barrier'));
    assert.deepEqual(counts, [1, 1, 1, 1]);

    // The Node client gets the offset from the XADD reply, the gateways' clients from XREAD: one
    // event, one offset on every node, and it is the entry of the stream holding that event.
    const got = Promise.all(all.map((s) => nextEvent(s, 'metric-args')));
    node.io.to('live-metrics').emit('metric-args', 'text', 42, { nested: [1, 2] }, null);
    const args = await got;
    const offset = args[3].at(-1);
    assert.match(String(offset), OFFSET);
    for (const [i, received] of args.entries()) {
      assert.deepEqual(received, ['text', 42, { nested: [1, 2] }, null, offset], `client ${i}`);
    }
    const [entry] = await pub.xRange(STREAM, offset, offset);
    assert.equal(JSON.parse(entry.message.data).packet.data[0], 'metric-args');

    // io.emit (no room) and a run of emits: in order, the same increasing offsets everywhere.
    const seen = record(all, 'tick');
    for (let i = 0; i < 5; i++) node.io.emit('tick', i);
    await everyoneGot(seen, 5, 'five ticks everywhere');
    seen.stop();
    const offsets = seen.got[3].map((g) => g[1]);
    for (const [i, g] of seen.got.entries()) assert.deepEqual(g, [0, 1, 2, 3, 4].map((k, j) => [k, offsets[j]]), `client ${i}`);
    for (const o of offsets) assert.match(o, OFFSET);
    for (let j = 1; j < offsets.length; j++) assert.ok(compareIds(offsets[j - 1], offsets[j]) < 0, 'offsets increase');
  });

  it('except by socket id and by room is honoured across nodes', () => exceptIsHonoured(servers));

  it('binary arguments (msgpack in the stream) arrive as Buffers, with the offset last', async () => {
    const got = Promise.all([pa1, pb1, n1].map((s) => nextEvent(s, 'bin')));
    node.io.to('live-metrics').emit('bin', Buffer.from([1, 2, 3]), { inner: Buffer.from([4]) });
    const args = await got;
    const offset = args[2].at(-1);
    assert.match(offset, OFFSET);
    for (const [first, second, last] of args) {
      assert.ok(Buffer.isBuffer(first), 'a Buffer');
      assert.deepEqual(first, Buffer.from([1, 2, 3]));
      assert.deepEqual(Buffer.from(second.inner), Buffer.from([4]));
      assert.equal(last, offset);
    }
  });

  it('a bridge message with an eventId is appended once and reaches every client once, Node\'s too, with its entry id; a replay reaches nobody', async () => {
    const all = [pa1, pa2, pb1, n1];
    const seen = record(all, 'bridged');
    const first = { seq: 1, eventId: eventId('bridged') };
    const second = { seq: 2, eventId: eventId('bridged') };
    try {
      // One published to Redis (the worker's way), one posted to gateway b's publish API.
      await pub.publish(BRIDGE, bridgeMessage('bridged', first));
      await everyoneGot(seen, 1, 'the first bridge message everywhere');
      assert.equal((await publish(b.url, { room: 'live-metrics', event: 'bridged', data: second })).status, 202);
      await everyoneGot(seen, 2, 'the second bridge message everywhere');
      // A worker replaying both, through Redis and through either gateway.
      await pub.publish(BRIDGE, bridgeMessage('bridged', first));
      await pub.publish(BRIDGE, bridgeMessage('bridged', second));
      assert.equal((await publish(a.url, { room: 'live-metrics', event: 'bridged', data: first })).status, 202);
      assert.equal((await publish(b.url, { room: 'live-metrics', event: 'bridged', data: second })).status, 202);
      await streamBarrier(pub, all);
    } finally {
      seen.stop();
    }
    const [o1, o2] = seen.got[3].map((g) => g.at(-1));
    for (const [i, g] of seen.got.entries()) assert.deepEqual(g, [[first, o1], [second, o2]], `client ${i}`);
    assert.match(String(o1), OFFSET);
    assert.match(String(o2), OFFSET);
    assert.ok(compareIds(o1, o2) < 0);
    // Every gateway tried; the stream holds each message once, at the offset the clients got.
    const entries = (await streamBroadcasts(pub)).filter((e) => e.event === 'bridged');
    assert.deepEqual(entries.map((e) => [e.id, e.args[0]]), [[o1, first], [o2, second]]);
  });

  it('a bridge message read back from the stream is timed by every gateway; a Node peer\'s entry is not', async () => {
    const all = [pa1, pa2, pb1, n1];
    const timed = async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(text.match(/^pulseboard_delivery_latency_seconds_count (\d+)$/m)?.[1] ?? NaN);
    };
    const before = [await timed(a.url), await timed(b.url)];
    assert.ok(before.every(Number.isFinite), 'both gateways export the histogram');
    const seen = record(all, 'timed-update');
    try {
      node.io.to('live-metrics').emit('timed-update', { committedAt: Date.now() - 50 }); // not the bridge's
      await pub.publish(BRIDGE, bridgeMessage('timed-update', { eventId: eventId('timed'), committedAt: Date.now() - 50 }));
      await everyoneGot(seen, 2, 'both updates everywhere');
      await streamBarrier(pub, all);
    } finally {
      seen.stop();
    }
    // The bridge's update once on each gateway (it went through the stream before delivery).
    assert.deepEqual([await timed(a.url), await timed(b.url)], before.map((n) => n + 1));
  });

  it('a bridge message without an eventId reaches the gateways\' clients once, with no offset, and not the Node server\'s', async () => {
    const all = [pa1, pa2, pb1, n1];
    const seen = record(all, 'plain');
    try {
      await pub.publish(BRIDGE, bridgeMessage('plain', { n: 1 }));
      assert.equal((await publish(a.url, { room: 'live-metrics', event: 'plain', data: { n: 2 } })).status, 202);
      await everyoneGot(seen, 2, 'both messages on the gateways', [0, 1, 2]);
      await streamBarrier(pub, all);
    } finally {
      seen.stop();
    }
    for (const i of [0, 1, 2]) assert.deepEqual(seen.got[i], [[{ n: 1 }], [{ n: 2 }]], `gateway client ${i}`);
    assert.deepEqual(seen.got[3], [], 'the Node server\'s client');
    assert.equal((await streamBroadcasts(pub)).filter((e) => e.event === 'plain').length, 0, 'nothing appended');
  });

  it('io.fetchSockets() includes the gateways\' sockets, and a RemoteSocket\'s emit reaches its client', async () => {
    const t0 = Date.now();
    const sockets = await node.io.fetchSockets();
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 2000, `fetchSockets took ${elapsed} ms`);
    const byId = new Map(sockets.map((s) => [s.id, s]));
    for (const c of [pa1, pa2, pb1, n1]) assert.ok(byId.has(c.id), `${c.id} fetched`);
    const remote = byId.get(pb1.id);
    assert.ok(remote.rooms.has('live-metrics') && remote.rooms.has(pb1.id));
    assert.equal(remote.data.sub, 'interop');
    const vips = await node.io.in('vip').fetchSockets();
    assert.deepEqual(vips.map((s) => s.id), [pa2.id]);
    // A broadcast to the socket's id, through the stream.
    const got = nextEvent(pb1, 'direct');
    const quiet = silent(pa1, 'direct');
    remote.emit('direct', 'hi');
    const [text, offset, ...rest] = await got;
    assert.equal(text, 'hi');
    assert.match(offset, OFFSET);
    assert.deepEqual(rest, []);
    assert.equal(await quiet, true);
  });

  it('socketsJoin / socketsLeave move gateway sockets into and out of rooms', async () => {
    node.io.in(pb1.id).socketsJoin('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).some((s) => s.id === pb1.id), { what: 'remote join' });
    const got = nextEvent(pb1, 'in-x');
    const quiet = silent(pa1, 'in-x');
    node.io.to('x').emit('in-x', 1);
    const [one, offset] = await got;
    assert.equal(one, 1);
    assert.match(offset, OFFSET);
    assert.equal(await quiet, true);
    node.io.in(pb1.id).socketsLeave('x');
    await waitFor(async () => (await node.io.in('x').fetchSockets()).length === 0, { what: 'remote leave' });
    const gone = silent(pb1, 'in-x-again');
    node.io.to('x').emit('in-x-again', 2);
    assert.equal(await gone, true);
  });

  it('serverSideEmitWithAck gets an answer from every gateway', () => everyGatewayAnswersServerSideEmit(servers));

  it('a broadcast with acks collects the acks of gateway clients', () => broadcastAcksAreCollected(servers));

  it('disconnectSockets disconnects gateway clients (close=false and close=true)', () => disconnectSocketsReachesGatewayClients(servers));
});

// A dashboard-like client reaching its server through `proxy` (what a load balancer does when a
// backend goes): it records every metrics-update with the offset appended as its last argument,
// and reconnects by itself with the client's default recovery.
function dashboard(url) {
  const socket = connectClient(url, {
    auth: { token: mintToken({ rooms: ['live-metrics'] }) },
    reconnection: true,
    // Short, not zero: the Node adapter writes the session to Redis asynchronously after the
    // transport closed (docs/protocol-reference.md, Recovery across servers), and a reconnect
    // before that would not find it.
    reconnectionDelay: 200,
    reconnectionDelayMax: 500,
  });
  const got = [];
  socket.on('metrics-update', (data, offset) => got.push({ seq: data.seq, offset }));
  return { socket, got };
}

// The worker's feed, published to the bridge in order at 20 messages a second, each with a new
// eventId and a sequence number from 1.
function startFeed(pub, tag) {
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    pub.publish(BRIDGE, bridgeMessage('metrics-update', { seq, eventId: `${tag}:${process.pid}:${seq}` })).catch(() => {});
  }, 50);
  return {
    last: () => seq,
    stop: () => clearInterval(timer),
  };
}

// Resolves once the client got a bridge message through the stream: every node on its path
// reads the stream, and the client holds an offset.
async function warmUp(pub, socket) {
  let warm = false;
  socket.on('warm-up', () => (warm = true));
  await waitFor(async () => {
    if (!warm) await pub.publish(BRIDGE, bridgeMessage('warm-up', { eventId: eventId('warm-up') }));
    return warm;
  }, { intervalMs: 250, what: 'a first bridge message on the client' });
}

// Moves a client under the feed from one server to another: the proxy's target is switched,
// then `move` cuts the connection or kills the old server. Checks what its user sees: the same
// socket, recovered, every update once and in order, each with an increasing stream offset.
async function moveUnderFeed({ label, pub, from, to, move }) {
  const proxy = await startTcpProxy(from.port);
  const { socket, got } = dashboard(proxy.url);
  let feed;
  try {
    await nextEvent(socket, 'connect');
    assert.equal(socket.recovered, false);
    await warmUp(pub, socket);
    const id = socket.id;
    feed = startFeed(pub, label);
    await waitFor(() => got.length >= 10, { what: 'ten updates before the move' });

    proxy.setTarget(to.port);
    const back = nextEvent(socket, 'connect', 10000);
    const movedAt = Date.now();
    await move(proxy);
    await back;
    const gapMs = Date.now() - movedAt;
    await sleep(1000); // a second of the feed after the move
    feed.stop();
    const last = feed.last();
    await waitFor(() => got.at(-1)?.seq === last, { timeoutMs: 5000, what: 'the last update' }).catch(() => {});
    await sleep(300); // a late duplicate would show now

    const seqs = got.map((g) => g.seq);
    const distinct = new Set(seqs);
    const missed = Array.from({ length: last }, (_, k) => k + 1).filter((s) => !distinct.has(s));
    const doubled = seqs.length - distinct.size;
    console.log(`${label}: recovered=${socket.recovered === true} in ${gapMs} ms, ${last} updates, missed ${missed.length}, doubled ${doubled}`
      + (missed.length ? ` (missed ${missed.join(',')})` : ''));

    assert.equal(socket.recovered, true, 'the client recovered its socket');
    assert.equal(socket.id, id, 'the same socket id');
    assert.equal(proxy.connections(), 1, 'one connection, to the new server');
    assert.deepEqual(seqs, Array.from({ length: last }, (_, k) => k + 1), 'every update once, in order');
    for (const { offset } of got) assert.match(String(offset), OFFSET);
    for (let k = 1; k < got.length; k++) assert.ok(compareIds(got[k - 1].offset, got[k].offset) < 0, `offset ${k} increases`);
  } finally {
    feed?.stop();
    socket.disconnect();
    await proxy.close();
  }
}

// Both gateways append the feed to the stream (one wins each eventId), so the feed goes on
// while one of them is killed; the Node server only reads it.
describe('connection state recovery between Pulseboard gateways and a Node streams server', () => {
  let redis, gateways, node, pub;
  before(async () => {
    redis = await startRedis();
    gateways = await startGateways(2, gatewayOptions(redis));
    node = await startStreamsServer({ redisUrl: redis.url, secret: SECRET });
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
  });
  after(async () => {
    await node?.close();
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await pub?.quit().catch(() => {});
    await redis?.stop();
  });

  it('Node → gateway: a client whose connection to the Node server was cut recovers on a gateway with 0 missed, 0 doubled', { timeout: 30000 }, () =>
    moveUnderFeed({
      label: 'node→gateway',
      pub,
      from: node,
      to: gateways[0],
      // The Node server sees "transport close" and saves the session to Redis.
      move: async (proxy) => proxy.dropAll(),
    }));

  it('gateway → Node: a client of a SIGKILLed gateway recovers on the Node server with 0 missed, 0 doubled', { timeout: 30000 }, () =>
    moveUnderFeed({
      label: 'gateway→node',
      pub,
      from: gateways[0],
      to: node,
      // No goodbye: what the gateway saved at connect is all the Node server finds.
      move: async () => {
        await gateways[0].stop('SIGKILL');
      },
    }));
});
