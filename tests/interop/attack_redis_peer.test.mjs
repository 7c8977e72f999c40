// Anything that can PUBLISH on the adapter's Redis channels is a peer, and a hostile one must
// not take a gateway down (docs/redis.md, "Bounds on peer input"). A peer publishes the attack
// shapes by hand with notepack.io, as @socket.io/redis-adapter would encode them: a broadcast
// with acks answered by a client whose ack names one attachment thousands of times (2 GiB once
// expanded), an 8 MB message of four million empty binaries, nesting deeper than the bound,
// thousands of rooms, thousands of attachments, a 10 kB requestId, a placeholder that names no
// attachment (which would make socket.io-client drop its connection). The gateway stays up with
// bounded memory, counts each refusal in pulseboard_adapter_messages_over_limit_total, still
// answers what is within bounds, and a healthy socket.io-client beside the attack gets every
// message of a steady broadcast.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { Emitter } from '@socket.io/redis-emitter';
import { createClient } from 'redis';
import { connectClient, connected } from './lib/clients.mjs';
import { nextEvent, startPulseboard, waitFor } from './lib/gateway.mjs';
import { memoryMiB, metricValue, metricsText } from './lib/healthy_client.mjs';
import { startRedis } from './lib/redis.mjs';

// The msgpack codec the adapter and the emitter use (a dependency of both).
const notepack = createRequire(createRequire(import.meta.url).resolve('@socket.io/redis-emitter'))('notepack.io');

const BRIDGE = 'socket-io-bridge';
const REQUESTS = 'socket.io-request#/#';
const RESPONSES = 'socket.io-response#/#';
const PEER = 'hostil'; // a six-character uid, as the classic adapter's
const NO_OPTS = { rooms: [], except: [], flags: {} };

describe('a hostile Redis peer', { timeout: 180000 }, () => {
  let redis, gw, pub, sub, healthy, hostile;
  const responses = [];
  const ticks = new Set();
  let ticker;
  let seq = 0;
  let baseline;

  const overLimit = async () => metricValue(await metricsText(gw), 'pulseboard_adapter_messages_over_limit_total');

  before(async () => {
    redis = await startRedis();
    gw = await startPulseboard({ args: ['--redis-url', redis.url, '--threads', '2'] });
    await waitFor(async () => (await fetch(`${gw.url}/readyz`)).status === 200, { what: 'gateway ready' });
    pub = createClient({ url: redis.url });
    sub = pub.duplicate();
    for (const c of [pub, sub]) c.on('error', () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    // What the gateway answers, as a Node server of the cluster would receive it.
    await sub.subscribe(RESPONSES, (message) => {
      const bytes = Buffer.from(message, 'binary');
      responses.push(bytes[0] === 0x7b ? JSON.parse(bytes.toString()) : notepack.decode(bytes));
    }, true);

    healthy = connectClient(gw.url);
    hostile = connectClient(gw.url);
    await connected(healthy, hostile);
    healthy.on('tick', (data) => ticks.add(data.seq));
    healthy.on('question', (_q, cb) => cb('fine'));
    // The hostile client's ack: one 256 KiB binary and 8,000 placeholders naming it. Within
    // the gateway's 1 MB max payload, and valid Socket.IO (every placeholder is in range), but
    // 2 GiB once each placeholder is replaced by the bytes it names.
    const blob = Buffer.alloc(256 * 1024, 0x61);
    const bomb = [blob, ...Array.from({ length: 8000 }, () => ({ _placeholder: true, num: 0 }))];
    hostile.on('question', (_q, cb) => cb(bomb));

    // The steady broadcast beside the attack: one bridge message every 20 ms.
    ticker = setInterval(() => {
      pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'tick', data: { seq: seq++ } })).catch(() => {});
    }, 20);
    await waitFor(() => ticks.size > 5, { what: 'the first ticks' });
    baseline = memoryMiB(gw.child.pid);
  });

  after(async () => {
    clearInterval(ticker);
    healthy?.disconnect();
    hostile?.disconnect();
    await pub?.quit().catch(() => {});
    await sub?.quit().catch(() => {});
    const exit = await gw?.stop();
    await redis?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly after the attack');
  });

  it('does not expand a client ack whose placeholders all name one attachment', async (t) => {
    const before = await overLimit();
    const packet = { type: 2, data: ['question', 'ready?'], nsp: '/', id: 1 };
    await pub.publish(REQUESTS, notepack.encode({ uid: PEER, requestId: 'ack-bomb', type: 7, packet, opts: { ...NO_OPTS, flags: { timeout: 5000 } } }));
    // Both clients are asked; the healthy one's answer is forwarded, the hostile one's refused.
    await waitFor(() => responses.some((r) => r.requestId === 'ack-bomb' && r.type === 9 && r.packet === 'fine'), { what: "the healthy client's ack", timeoutMs: 20000 });
    await waitFor(async () => (await overLimit()) > before, { what: 'the expanded ack to be refused', timeoutMs: 20000 });
    const count = responses.find((r) => r.requestId === 'ack-bomb' && r.type === 8);
    assert.equal(count?.clientCount, 2);
    assert.equal(responses.filter((r) => r.requestId === 'ack-bomb' && r.type === 9).length, 1, 'only the healthy ack is forwarded');
    const now = memoryMiB(gw.child.pid);
    t.diagnostic(`gateway RSS ${Math.round(now.rss)} MiB, peak ${Math.round(now.peak)} MiB (${Math.round(baseline.peak)} MiB before)`);
    assert.ok(now.peak - baseline.peak < 300, `peak RSS grew by ${Math.round(now.peak - baseline.peak)} MiB (baseline ${Math.round(baseline.peak)} MiB)`);
  });

  it('drops oversized, deep, over-wide and long-id messages, counting each', async (t) => {
    const before = await overLimit();
    const attacks = [
      // 8 MiB: [uid, {type, nsp, data: ['flood', ...four million empty binaries]}, opts], each
      // binary a placeholder object and an attachment once decoded (about 1 GB).
      ['socket.io#/#', Buffer.concat([
        Buffer.from([0x93]), notepack.encode(PEER),
        Buffer.from([0x83]), notepack.encode('type'), notepack.encode(2), notepack.encode('nsp'), notepack.encode('/'),
        notepack.encode('data'), Buffer.from([0xdd, 0x00, 0x40, 0x00, 0x01]), notepack.encode('flood'),
        Buffer.alloc(4 * 1024 * 1024 * 2, Buffer.from([0xc4, 0x00])),
        notepack.encode(NO_OPTS),
      ])],
      // 100 nested arrays (the bound is 64).
      ['socket.io#/#', notepack.encode([PEER, { type: 2, data: ['deep', JSON.parse('['.repeat(100) + ']'.repeat(100))], nsp: '/' }, NO_OPTS])],
      // 5,000 rooms in `except` (the bound is 1,024).
      ['socket.io#/#', notepack.encode([PEER, { type: 2, data: ['wide'], nsp: '/' }, { rooms: [], except: Array.from({ length: 5000 }, (_, i) => `x${i}`), flags: {} }])],
      // socketsJoin of 5,000 rooms on every socket.
      [REQUESTS, JSON.stringify({ uid: PEER, type: 2, opts: { rooms: [], except: [] }, rooms: Array.from({ length: 5000 }, (_, i) => `joined-${i}`) })],
      // 2,000 binary arguments (the bound is 1,000).
      ['socket.io#/#', notepack.encode([PEER, { type: 2, data: ['bins', ...Array.from({ length: 2000 }, () => Buffer.alloc(1))], nsp: '/' }, NO_OPTS])],
      // A 10 kB requestId, which every response would repeat.
      [REQUESTS, JSON.stringify({ uid: PEER, requestId: 'r'.repeat(10000), type: 1 })],
    ];
    for (const [channel, payload] of attacks) await pub.publish(channel, payload);
    await waitFor(async () => (await overLimit()) >= before + attacks.length, { what: `${attacks.length} refusals`, timeoutMs: 30000 });

    // A placeholder that names no attachment, beside a real binary: socket.io-client would drop
    // its connection over it ("parse error"), so the gateway counts it malformed and sends
    // nothing on.
    const malformed = async () => metricValue(await metricsText(gw), 'pulseboard_adapter_messages_malformed_total');
    const malformedBefore = await malformed();
    await pub.publish('socket.io#/#', notepack.encode([PEER, { type: 2, data: ['evil', Buffer.alloc(1), { _placeholder: true, num: 7 }], nsp: '/' }, NO_OPTS]));
    await waitFor(async () => (await malformed()) > malformedBefore, { what: 'the stray placeholder to be refused' });

    // Nothing of them reached the clients: no room was joined, as a fetchSockets shows.
    await pub.publish(REQUESTS, JSON.stringify({ uid: PEER, requestId: 'fetch-1', type: 5, opts: { rooms: [], except: [] } }));
    await waitFor(() => responses.some((r) => r.requestId === 'fetch-1'), { what: 'the fetchSockets answer', timeoutMs: 10000 });
    const fetched = responses.find((r) => r.requestId === 'fetch-1').sockets;
    assert.equal(fetched.length, 2);
    for (const s of fetched) assert.deepEqual(new Set(s.rooms), new Set([s.id, 'live-metrics']));
    const now = memoryMiB(gw.child.pid);
    t.diagnostic(`gateway RSS ${Math.round(now.rss)} MiB, peak ${Math.round(now.peak)} MiB (${Math.round(baseline.peak)} MiB before)`);
    assert.ok(now.peak - baseline.peak < 300, `peak RSS grew by ${Math.round(now.peak - baseline.peak)} MiB`);
  });

  it('counts a flood of refusals without slowing the healthy client', async () => {
    const before = await overLimit();
    const deep = notepack.encode([PEER, { type: 2, data: ['deep', JSON.parse('['.repeat(70) + ']'.repeat(70))], nsp: '/' }, NO_OPTS]);
    for (let i = 0; i < 500; i++) await pub.publish('socket.io#/#', deep);
    await waitFor(async () => (await overLimit()) >= before + 500, { what: '500 refusals', timeoutMs: 30000 });
  });

  it('keeps the gateway, its adapter and the healthy client working', async () => {
    assert.equal(gw.exited(), null);
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
    assert.equal(healthy.connected, true);

    // Every tick published during the attacks arrived, once the last one is through.
    await new Promise((r) => setTimeout(r, 500));
    clearInterval(ticker);
    const last = seq;
    const barrier = nextEvent(healthy, 'barrier', 10000);
    await pub.publish(BRIDGE, JSON.stringify({ room: 'live-metrics', event: 'barrier', data: {} }));
    await barrier;
    const missed = [];
    for (let i = 0; i < last; i++) if (!ticks.has(i)) missed.push(i);
    assert.ok(last > 30, `${last} ticks were sent`);
    assert.deepEqual(missed, [], `missed ${missed.length} of ${last} ticks`);

    // A legitimate peer's broadcast still reaches the client through the adapter.
    const legit = nextEvent(healthy, 'legit', 5000);
    new Emitter(pub).to('live-metrics').emit('legit', { ok: true });
    assert.deepEqual((await legit)[0], { ok: true });
  });
});
