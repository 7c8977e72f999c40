// Anything that can XADD to the stream `socket.io` or SET a `sio:session:` key is a peer of a
// gateway in streams mode (SOCKETIO_ADAPTER=streams; docs/protocol-reference.md, Streams adapter),
// and a hostile one must not take it down. A healthy socket.io-client beside each attack is what a
// user sees:
//  - hostile stream entries (4.5 MiB, nested past 64, 5,000 rooms, neither JSON nor base64
//    msgpack, millions of values, type "abc", no nsp, a stray placeholder, a 10 kB uid) are
//    refused and counted, with bounded memory, while a steady Node-format feed reaches the client
//    once each, in order, with its entry id as offset;
//  - a garbage session, or a session naming another subject, under the key of a real client's
//    pid gives that client a fresh socket, never someone else's, and the live feed goes on;
//  - a short Redis outage loses no broadcast: the reader resumes after the last entry it read.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { connectClient, connected } from './lib/clients.mjs';
import { SECRET, freePort, mintToken, nextEvent, startPulseboard, waitFor } from './lib/gateway.mjs';
import { memoryMiB, metricValue, metricsText } from './lib/healthy_client.mjs';
import { startRedis } from './lib/redis.mjs';
import { OFFSET, STREAM, compareIds, streamsGatewayOptions } from './lib/streams.mjs';
import { startTcpProxy } from './lib/tcp_proxy.mjs';
import { startStreamsServer } from './peers/streams_server.mjs';

// The msgpack codec the streams adapter uses for entries with binary and for sessions.
const msgpack = createRequire(createRequire(import.meta.url).resolve('@socket.io/redis-streams-adapter'))('@msgpack/msgpack');

const SESSION = 'sio:session:';
const NO_OPTS = { rooms: [], except: [], flags: {} };
const gatewayOptions = streamsGatewayOptions;

async function counters(gw) {
  const text = await metricsText(gw);
  return {
    over: metricValue(text, 'pulseboard_adapter_messages_over_limit_total'),
    malformed: metricValue(text, 'pulseboard_adapter_messages_malformed_total'),
    entries: metricValue(text, 'pulseboard_stream_entries_total'),
    attempted: metricValue(text, 'pulseboard_recoveries_attempted_total'),
    succeeded: metricValue(text, 'pulseboard_recoveries_succeeded_total'),
  };
}

// `data` of a Node server's io.emit(event, ...args), as ClusterAdapter#broadcast writes it.
const broadcastData = (event, ...args) => JSON.stringify({ packet: { type: 2, data: [event, ...args] }, opts: NO_OPTS });
const nodeUid = () => randomBytes(8).toString('hex');

// XADD an entry with these fields, as the Node adapter does; resolves with its id.
const xadd = (client, fields) => client.sendCommand(['XADD', STREAM, 'MAXLEN', '~', '10000', '*', ...fields]);

// A Node server's feed: io.emit('tick', n) for n = 0, 1, ..., one entry every `intervalMs`,
// appended in order on one connection; `ids[n]` is the entry id of tick n.
function startTickFeed(client, intervalMs) {
  const uid = nodeUid();
  const ids = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const n = ids.length;
      ids.push(null);
      ids[n] = await xadd(client, ['uid', uid, 'nsp', '/', 'type', '3', 'data', broadcastData('tick', n)]);
      await sleep(intervalMs);
    }
  })();
  return {
    ids,
    async stop() {
      running = false;
      await done;
    },
  };
}

// Appends `event` entries until the client got one: the gateway's reader is then past the
// point where it started, and delivers everything appended after.
async function warmUp(client, socket) {
  let warm = false;
  const on = () => (warm = true);
  socket.on('warm-up', on);
  const uid = nodeUid();
  await waitFor(async () => {
    if (!warm) await xadd(client, ['uid', uid, 'nsp', '/', 'type', '3', 'data', broadcastData('warm-up')]);
    await sleep(200);
    return warm;
  }, { intervalMs: 0, what: 'a first entry on the client' });
  await sleep(300); // a late warm-up entry is counted before the test starts counting
  socket.off('warm-up', on);
}

describe('hostile stream entries beside a healthy client', { timeout: 120000 }, () => {
  let redis, gw, feeder, attacker, healthy, feed;
  const ticks = []; // [n, offset, extra args]
  const unexpected = []; // events other than the feed's
  let disconnected = null;

  before(async () => {
    redis = await startRedis();
    gw = await startPulseboard(gatewayOptions(redis.url));
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
    feeder = createClient({ url: redis.url });
    attacker = feeder.duplicate();
    for (const c of [feeder, attacker]) c.on('error', () => {});
    await Promise.all([feeder.connect(), attacker.connect()]);
    healthy = connectClient(gw.url);
    await connected(healthy);
    healthy.on('disconnect', (reason) => (disconnected = reason));
    healthy.on('tick', (n, offset, ...rest) => ticks.push([n, offset, rest.length]));
    healthy.onAny((event, ...args) => {
      if (event !== 'tick' && event !== 'warm-up') unexpected.push([event, JSON.stringify(args).slice(0, 80)]);
    });
    await warmUp(feeder, healthy);
  });

  after(async () => {
    await feed?.stop();
    healthy?.disconnect();
    await feeder?.quit().catch(() => {});
    await attacker?.quit().catch(() => {});
    const exit = await gw?.stop();
    await redis?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly after the attack');
  });

  it('refuses and counts each attack entry; the client gets every tick once, in order, with its entry id', async () => {
    const start = await counters(gw);
    const baseline = memoryMiB(gw.child.pid);
    feed = startTickFeed(feeder, 20);
    await waitFor(() => ticks.length >= 10, { what: 'the first ticks' });

    const uid = nodeUid();
    const entry = (data, { type = '3', nsp = '/', from = uid } = {}) => {
      const fields = ['uid', from];
      if (nsp !== null) fields.push('nsp', nsp);
      return [...fields, 'type', type, 'data', data];
    };
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const enc = (v) => Buffer.from(msgpack.encode(v));
    const attacks = [
      // 4.5 MiB of data (the bound is 4 MiB).
      ['huge', 'over', entry(broadcastData('huge', 'a'.repeat(4.5 * 1024 * 1024)))],
      // JSON nested 100 deep (the bound is 64).
      ['deep', 'over', entry(`{"packet":{"type":2,"data":["deep",${'['.repeat(100)}${']'.repeat(100)}]},"opts":{"rooms":[],"except":[],"flags":{}}}`)],
      // 5,000 rooms, the client's among them (the bound is 1,024).
      ['wide', 'over', entry(JSON.stringify({ packet: { type: 2, data: ['wide'] },
        opts: { rooms: ['live-metrics', healthy.id, ...Array.from({ length: 4998 }, (_, i) => `r${i}`)], except: [], flags: {} } }))],
      // Neither JSON nor base64 msgpack.
      ['not-base64', 'malformed', entry('%%% neither JSON nor base64 msgpack %%%')],
      // Starts like JSON, is not.
      ['broken-json', 'malformed', entry('{"packet":{"type":2,"data":["broken"')],
      // base64 msgpack of an array of 2,000,000 values (the bound is 1,048,576 in a message).
      ['many-values', 'over', entry(b64(Buffer.concat([
        Buffer.from([0x82]), enc('packet'), Buffer.from([0x82]), enc('type'), enc(2), enc('data'),
        Buffer.from([0xdd, 0x00, 0x1e, 0x84, 0x80]), enc('many'), Buffer.alloc(1999999, 0xc0),
        enc('opts'), enc(NO_OPTS),
      ])))],
      // base64 msgpack announcing 4,294,967,295 values in a few bytes.
      ['announced-values', 'malformed', entry(b64(Buffer.concat([
        Buffer.from([0x82]), enc('packet'), Buffer.from([0x82]), enc('type'), enc(2), enc('data'),
        Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), enc('announced'), Buffer.alloc(16, 0xc0),
      ])))],
      ['type-abc', 'malformed', entry(broadcastData('type-abc'), { type: 'abc' })],
      ['no-nsp', 'malformed', entry(broadcastData('no-nsp'), { nsp: null })],
      // A binary broadcast (base64 msgpack) whose placeholder names attachment 7 of 1: it would
      // make socket.io-client drop its connection ("parse error").
      ['stray-placeholder', 'malformed', entry(b64(msgpack.encode({
        packet: { type: 2, data: ['stray', new Uint8Array([1]), { _placeholder: true, num: 7 }] }, opts: NO_OPTS,
      })))],
      // A 10 kB uid (the bound is 256 bytes).
      ['long-uid', 'over', entry(broadcastData('long-uid'), { from: 'u'.repeat(10000) })],
    ];

    const results = [];
    for (const [name, expected, fields] of attacks) {
      const before = await counters(gw);
      await xadd(attacker, fields);
      let now = before;
      await waitFor(async () => {
        now = await counters(gw);
        return now.over + now.malformed > before.over + before.malformed;
      }, { timeoutMs: 15000, what: `the ${name} entry to be refused` }).catch(() => {});
      const got = now.over > before.over ? 'over' : now.malformed > before.malformed ? 'malformed' : 'not refused';
      results.push({ name, expected, got, peakMiB: Math.round(memoryMiB(gw.child.pid).peak) });
    }
    for (const r of results) console.log(`attack ${r.name}: ${r.got} (expected ${r.expected}), gateway peak RSS ${r.peakMiB} MiB`);

    await sleep(1000); // a second of the feed after the last attack
    await feed.stop();
    const sent = feed.ids.length;
    await waitFor(() => ticks.length >= sent, { timeoutMs: 10000, what: `${sent} ticks` }).catch(() => {});
    await sleep(300); // a late duplicate would show now
    const end = await counters(gw);
    const mem = memoryMiB(gw.child.pid);
    console.log(`stream attack: ${sent} ticks sent, ${ticks.length} received; over_limit +${end.over - start.over}, `
      + `malformed +${end.malformed - start.malformed}, stream entries +${end.entries - start.entries} `
      + `(${sent} ticks + ${attacks.length} attacks); gateway RSS ${Math.round(mem.rss)} MiB, peak ${Math.round(mem.peak)} MiB `
      + `(${Math.round(baseline.peak)} MiB before)`);

    assert.equal(gw.exited(), null, 'the gateway is alive');
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    assert.equal(disconnected, null, 'the healthy client stayed connected');
    assert.deepEqual(results.map((r) => [r.name, r.got]), results.map((r) => [r.name, r.expected]), 'each attack refused and counted');
    assert.ok(mem.peak - baseline.peak < 300, `peak RSS grew by ${Math.round(mem.peak - baseline.peak)} MiB`);
    assert.deepEqual(unexpected, [], 'no attack payload reached the client');
    assert.ok(sent > 50, `${sent} ticks were sent`);
    assert.deepEqual(ticks.map(([n]) => n), Array.from({ length: sent }, (_, n) => n), 'every tick once, in order');
    for (const [n, offset, extra] of ticks) {
      assert.equal(offset, feed.ids[n], `tick ${n} carries its entry id`);
      assert.equal(extra, 0, `tick ${n}: nothing after the offset`);
    }
    assert.equal(end.entries - start.entries, sent + attacks.length, 'every entry read is counted');
  });
});

describe('hostile recovery sessions for a real client', { timeout: 120000 }, () => {
  let redis, gw, proxy, deadPort, feeder, redisClient, feed, socket;
  const ticks = []; // [n, offset]

  before(async () => {
    redis = await startRedis();
    gw = await startPulseboard(gatewayOptions(redis.url));
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
    feeder = createClient({ url: redis.url });
    redisClient = feeder.duplicate();
    for (const c of [feeder, redisClient]) c.on('error', () => {});
    await Promise.all([feeder.connect(), redisClient.connect()]);
    proxy = await startTcpProxy(gw.port);
    deadPort = await freePort(); // nothing listens there: a reconnect fails until the target is back
    socket = connectClient(proxy.url, {
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 500,
    });
    await connected(socket);
    socket.on('tick', (n, offset) => ticks.push([n, offset]));
    await warmUp(feeder, socket);
    feed = startTickFeed(feeder, 50);
    await waitFor(() => ticks.length >= 3, { what: 'the first ticks' });
  });

  after(async () => {
    await feed?.stop();
    socket?.disconnect();
    await proxy?.close();
    await feeder?.quit().catch(() => {});
    await redisClient?.quit().catch(() => {});
    await gw?.stop();
    await redis?.stop();
  });

  // Cuts the client off, lets `tamper` replace the session the gateway saved for its pid, and
  // lets it reconnect: what its user sees.
  async function round(label, tamper) {
    const pid = socket._pid;
    const id = socket.id;
    assert.equal(typeof pid, 'string', 'the client holds a pid');
    assert.match(String(socket._lastOffset), OFFSET, 'the client holds an offset');
    const gone = nextEvent(socket, 'disconnect', 5000);
    proxy.setTarget(deadPort);
    proxy.dropAll();
    await gone;
    // The gateway saved the session at connect and saves it again when it sees the connection
    // close: tampering before that second save would be overwritten. It counts the socket gone
    // right after queuing the save; a moment more lets that save reach Redis first.
    await waitFor(async () => metricValue(await metricsText(gw), 'pulseboard_sockets_connected') === 0,
      { what: `the gateway closing the socket of ${label}` });
    await sleep(300);
    let saved = null;
    await waitFor(async () => (saved = await redisClient.get(SESSION + pid)) !== null, { what: `the session of ${label}` });
    const value = tamper(saved);
    if (value !== saved) await redisClient.set(SESSION + pid, value, { PX: 120000 });
    const seen = ticks.length;
    const back = nextEvent(socket, 'connect', 10000);
    proxy.setTarget(gw.port);
    await back;
    await waitFor(() => ticks.length >= seen + 3, { timeoutMs: 5000, what: `live ticks after ${label}` }).catch(() => {});
    const result = { label, recovered: socket.recovered, sameId: socket.id === id, newTicks: ticks.length - seen };
    console.log(`recovery ${label}: recovered=${result.recovered} sameId=${result.sameId}, ${result.newTicks} ticks since`);
    return result;
  }

  it('recovers an untouched session, and gives a fresh socket for a garbage one or another subject\'s', async () => {
    const start = await counters(gw);
    // The control: the session as the gateway saved it recovers, nothing missed.
    const firstTick = ticks[0][0];
    const control = await round('untouched', (saved) => saved);
    assert.equal(control.recovered, true, 'the untouched session recovers');
    assert.equal(control.sameId, true);
    const seqs = ticks.map(([n]) => n);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, k) => firstTick + k), 'every tick once, in order, across the recovery');

    // The same session re-encoded here with @msgpack/msgpack, as a Node server writes it: it
    // recovers too, so the refusal below is the subject's doing, not the encoding's.
    const reencoded = await round('re-encoded, same subject', (saved) =>
      Buffer.from(msgpack.encode(msgpack.decode(Buffer.from(saved, 'base64')))).toString('base64'));
    assert.equal(reencoded.recovered, true, 'the re-encoded session recovers');
    assert.equal(reencoded.sameId, true);

    const garbage = await round('garbage', () => '%%% not base64, not a session %%%');
    const badShape = await round('wrong shape', () => Buffer.from(msgpack.encode({ sid: 42, pid: ['x'], rooms: 'live-metrics', data: 5 })).toString('base64'));
    const otherSubject = await round('other subject', (saved) => {
      const session = msgpack.decode(Buffer.from(saved, 'base64'));
      assert.equal(session.data?.sub, 'interop', 'the gateway keeps the subject in data.sub');
      return Buffer.from(msgpack.encode({ ...session, data: { ...session.data, sub: 'mallory' } })).toString('base64');
    });
    const end = await counters(gw);
    console.log(`recovery: attempted +${end.attempted - start.attempted}, succeeded +${end.succeeded - start.succeeded}`);

    for (const r of [garbage, badShape, otherSubject]) {
      assert.equal(r.recovered, false, `${r.label}: a fresh socket`);
      assert.equal(r.sameId, false, `${r.label}: a new socket id`);
      assert.ok(r.newTicks >= 3, `${r.label}: the live feed goes on (${r.newTicks} ticks)`);
    }
    for (const [n, offset] of ticks) assert.match(String(offset), OFFSET, `tick ${n} offset`);
    assert.equal(end.attempted - start.attempted, 5, 'five recoveries attempted');
    assert.equal(end.succeeded - start.succeeded, 2, 'only the untouched and the re-encoded one succeeded');
    assert.equal(gw.exited(), null, 'the gateway is alive');
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    assert.equal(socket.connected, true);
  });
});

describe('a short Redis outage of a streams gateway', { timeout: 120000 }, () => {
  let redis, redisProxy, gw, node, pub, socket;

  before(async () => {
    redis = await startRedis();
    // The gateway reaches Redis through a proxy: cutting it cuts the gateway alone, and Redis
    // keeps every entry the Node server appends meanwhile.
    redisProxy = await startTcpProxy(redis.port);
    gw = await startPulseboard(gatewayOptions(`redis://127.0.0.1:${redisProxy.port}`));
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
    node = await startStreamsServer({ redisUrl: redis.url, secret: SECRET });
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
    socket = connectClient(gw.url, { auth: { token: mintToken({ rooms: ['live-metrics'] }) } });
    await connected(socket);
  });

  after(async () => {
    socket?.disconnect();
    await node?.close();
    await gw?.stop();
    await redisProxy?.close();
    await pub?.quit().catch(() => {});
    await redis?.stop();
  });

  it('delivers the 10 broadcasts appended while it was cut off, once each, in order, with their entry ids', async () => {
    // The gateway's reader is running: a Node broadcast reaches its client.
    let warm = false;
    socket.on('warm-up', () => (warm = true));
    await waitFor(async () => {
      if (!warm) node.io.emit('warm-up');
      await sleep(200);
      return warm;
    }, { intervalMs: 0, what: 'a Node broadcast on the gateway client' });
    const got = [];
    socket.on('outage', (seq, offset, ...rest) => got.push({ seq, offset, rest: rest.length }));
    assert.ok(redisProxy.connections() > 0, 'the gateway is connected through the proxy');

    // The outage: every connection cut, and no reconnect gets through.
    const deadPort = await freePort();
    redisProxy.setTarget(deadPort);
    redisProxy.dropAll();
    const cutAt = Date.now();
    const notReady = await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status !== 200, { timeoutMs: 3000, what: 'not ready' })
      .then(() => true, () => false);
    for (let seq = 1; seq <= 10; seq++) {
      if (seq % 2) node.io.emit('outage', seq);
      else node.io.to('live-metrics').emit('outage', seq);
    }
    let entries = [];
    await waitFor(async () => {
      entries = (await pub.xRange(STREAM, '-', '+')).filter((e) => e.message.data?.includes('"outage"'));
      return entries.length === 10;
    }, { what: 'the 10 entries in the stream' });
    await sleep(500);
    const duringOutage = got.length;

    redisProxy.setTarget(redis.port);
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { timeoutMs: 20000, what: 'the gateway ready again' });
    await waitFor(() => got.length >= 10, { timeoutMs: 15000, what: 'the 10 broadcasts' }).catch(() => {});
    const backAfter = Date.now() - cutAt;
    await sleep(500); // a late duplicate would show now
    console.log(`outage: /readyz went not ready=${notReady}, ${duringOutage} delivered during the outage, `
      + `${got.length} delivered after it (seqs ${got.map((g) => g.seq).join(',')}), all in ${backAfter} ms`);

    assert.equal(duringOutage, 0, 'nothing reached the gateway while it was cut off');
    assert.equal(gw.exited(), null, 'the gateway is alive');
    assert.equal(socket.connected, true, 'the client stayed connected');
    assert.deepEqual(got.map((g) => g.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'all 10 once, in order');
    assert.deepEqual(got.map((g) => g.offset), entries.map((e) => e.id), 'each with its entry id');
    for (const g of got) assert.equal(g.rest, 0);
    for (let k = 1; k < got.length; k++) assert.ok(compareIds(got[k - 1].offset, got[k].offset) < 0);
  });
});

// The stream key taken over by something else (a peer's SET, a key of another type): appending
// a bridge update fails, and the gateway must still show it to its own dashboards, once, rather
// than lose it; once the key is a stream again, updates go through it with offsets.
describe('the stream cannot take a bridge update', { timeout: 60000 }, () => {
  let redis, gw, pub, socket;
  const updates = []; // [seq, offset or undefined]

  before(async () => {
    redis = await startRedis();
    gw = await startPulseboard(gatewayOptions(redis.url));
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
    socket = connectClient(gw.url, { auth: { token: mintToken({ rooms: ['live-metrics'] }) } });
    await connected(socket);
    socket.on('metrics-update', (data, offset) => updates.push([data.seq, offset]));
  });

  after(async () => {
    socket?.disconnect();
    await pub?.quit().catch(() => {});
    await gw?.stop();
    await redis?.stop();
  });

  const update = (seq) =>
    pub.publish('socket-io-bridge', JSON.stringify({ room: 'live-metrics', event: 'metrics-update', data: { seq, eventId: `fallback:${process.pid}:${seq}` } }));

  it('delivers it straight to the gateway\'s sockets, counted, and goes back to the stream when it can', async () => {
    const fallbacks = async () => metricValue(await metricsText(gw), 'pulseboard_bridge_stream_fallbacks_total');
    await pub.set(STREAM, 'not a stream');
    const before = await fallbacks();
    for (let seq = 1; seq <= 5; seq++) await update(seq);
    await waitFor(() => updates.length >= 5, { timeoutMs: 5000, what: 'five updates through the fallback' });
    assert.equal(await fallbacks(), before + 5, 'each fallback counted');
    assert.deepEqual(updates.map(([seq]) => seq), [1, 2, 3, 4, 5], 'every update once, in order');
    assert.ok(updates.every(([, offset]) => offset === undefined), 'no offset: they are not in the stream');
    assert.equal(await pub.type(STREAM), 'string', 'nothing was appended');

    await pub.del(STREAM);
    let seq = 5;
    await waitFor(async () => {
      await update(++seq);
      await sleep(200);
      return updates.some(([, offset]) => OFFSET.test(String(offset)));
    }, { timeoutMs: 10000, intervalMs: 0, what: 'an update through the stream again' });
    await sleep(300);
    const seqs = updates.map(([s]) => s);
    console.log(`stream unusable: 5 fallbacks, then ${updates.filter(([, o]) => o).length} of ${seq - 5} updates through the stream again`);
    assert.deepEqual(seqs, Array.from({ length: seq }, (_, k) => k + 1), 'every update once, in order');
    assert.equal(gw.exited(), null, 'the gateway is alive');
  });
});

// A gateway is ready only once it reads the stream: before that, a load balancer must not send
// it dashboards (the updates it would append could land where its own reader would not look).
describe('readiness follows the stream reader', { timeout: 60000 }, () => {
  let redis, gw, client;
  after(async () => {
    await client?.quit().catch(() => {});
    await gw?.stop();
    await redis?.stop();
  });

  it('answers 503 on /readyz while the stream cannot be read, 200 once it can', async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
    await client.set(STREAM, 'not a stream'); // XREVRANGE on it fails: the reader cannot start
    gw = await startPulseboard(gatewayOptions(redis.url));
    await waitFor(async () => (await fetch(`${gw.url}/healthz`)).status === 200, { what: 'gateway up' });
    await sleep(1500); // the broker's subscriptions are confirmed well within this
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 503, 'not ready while the stream is unreadable');
    await client.del(STREAM);
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { timeoutMs: 5000, what: 'ready once the stream reads' });
  });
});
