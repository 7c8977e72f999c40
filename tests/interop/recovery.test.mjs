// Connection state recovery (docs/recovery.md) with the unmodified socket.io-client: a client
// whose transport drops gets its socket back (same id, `socket.recovered === true`) with every
// bridge update it missed, once and in order, on the same gateway (in-process store) and, after
// its gateway was killed, on another gateway behind NGINX (store in Redis).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient, createCluster } from 'redis';
import { io } from 'socket.io-client';
import { connectClient } from './lib/clients.mjs';
import { mintToken, nextEvent, publish, startGateways, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startNginx } from './lib/nginx.mjs';
import { startRedis, startRedisCluster } from './lib/redis.mjs';

// A dashboard-like client that records every metrics-update it is given, with the offset the
// gateway appended as the last argument.
function dashboard(url, opts = {}) {
  const socket = connectClient(url, {
    auth: { token: mintToken({ rooms: ['live-metrics'] }) },
    reconnection: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 500,
    ...opts,
  });
  const got = [];
  socket.on('metrics-update', (data, offset) => got.push({ seq: data.seq, offset }));
  return { socket, got };
}

const update = (seq) => ({ room: 'live-metrics', event: 'metrics-update', data: { seq, eventId: `test:${seq}` } });

describe('connection state recovery on one gateway', () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({ args: ['--threads', '2'] });
  });
  after(async () => {
    await gw?.stop();
  });

  it('gives a client whose transport dropped its socket back, with what it missed', async () => {
    const { socket, got } = dashboard(gw.url);
    await nextEvent(socket, 'connect');
    assert.equal(socket.recovered, false);
    const id = socket.id;
    for (let seq = 1; seq <= 3; seq++) assert.equal((await publish(gw.url, update(seq))).status, 202);
    await waitFor(() => got.length === 3, { what: 'the first updates' });
    assert.equal(got[2].offset, 'test:3', 'the offset is the last argument');

    // The transport drops; updates go out while the client is away.
    const back = nextEvent(socket, 'connect', 10000);
    socket.io.engine.close();
    for (let seq = 4; seq <= 8; seq++) assert.equal((await publish(gw.url, update(seq))).status, 202);
    await back;
    assert.equal(socket.recovered, true);
    assert.equal(socket.id, id, 'the same socket');
    for (let seq = 9; seq <= 10; seq++) assert.equal((await publish(gw.url, update(seq))).status, 202);
    await waitFor(() => got.length >= 10, { what: 'every update' });
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    assert.deepEqual(got.map((g) => g.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /^pulseboard_recoveries_succeeded_total 1$/m);
    socket.disconnect();
  });

  it('does not recover a client that left on purpose, and does not deliver a replayed eventId again', async () => {
    const { socket, got } = dashboard(gw.url);
    await nextEvent(socket, 'connect');
    assert.equal((await publish(gw.url, update(100))).status, 202);
    await waitFor(() => got.length === 1, { what: 'an update' });
    const { pid } = socket;
    const offset = socket._lastOffset;
    socket.disconnect();
    // The same pid and offset after a deliberate disconnect: a fresh socket.
    const again = io(gw.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: mintToken({ rooms: ['live-metrics'] }), pid, offset },
    });
    await nextEvent(again, 'connect');
    assert.equal(again.recovered, false);
    // A replay of an update already delivered (a worker restarted from an older position).
    const replays = [];
    again.on('metrics-update', (data) => replays.push(data.seq));
    assert.equal((await publish(gw.url, update(100))).status, 202);
    assert.equal((await publish(gw.url, update(101))).status, 202);
    await waitFor(() => replays.includes(101), { what: 'the next update' });
    assert.deepEqual(replays, [101]);
    assert.match(await (await fetch(`${gw.url}/metrics`)).text(), /^pulseboard_bridge_replays_dropped_total 1$/m);
    again.disconnect();
  });
});

// Two gateways on one Redis behind NGINX (sticky), six clients from different loopback
// addresses, a 20 msg/s feed published to Redis; with `restartRedis`, Redis is killed and
// restarted empty first (what the gateways held there is gone, and the feed goes on). Then the
// gateway holding most clients is SIGKILLed: its clients must come back on the other one with
// their sockets and every update once, in order.
function gatewayKilledUnderFeed({ restartRedis = false, cluster = false } = {}) {
  let redis, gateways, nginx;
  before(async () => {
    // On a Redis Cluster the gateways use sharded pub/sub for the bridge and keep recovery on
    // the master that holds the namespace's hash tag.
    redis = cluster ? await startRedisCluster() : await startRedis();
    const args = ['--redis-url', redis.url, '--threads', '1'];
    gateways = await startGateways(2, { args, env: cluster ? { REDIS_MODE: 'sharded' } : {} });
    nginx = await startNginx({ gateways: gateways.map((g) => g.port), api: gateways[0].port });
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all(gateways.map((g) => g.stop()));
    await redis?.stop();
  });

  return async (t) => {
    const CLIENTS = 6;
    // Clients come from different loopback addresses so NGINX's `hash $remote_addr` spreads them.
    const clients = Array.from({ length: CLIENTS }, (_, n) => {
      const agent = new http.Agent({ keepAlive: true, localAddress: `127.0.0.${40 + n}` });
      return dashboard(nginx.url, { agent, localAddress: agent.options.localAddress });
    });
    await Promise.all(clients.map((c) => nextEvent(c.socket, 'connect')));
    const socketsOn = async (gw) =>
      Number(/^pulseboard_sockets_connected (\d+)/m.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1]);
    const counts = await Promise.all(gateways.map(socketsOn));
    const [victim, survivor] = counts[0] >= counts[1] ? gateways : [gateways[1], gateways[0]];
    const onVictim = Math.max(...counts);
    assert.ok(onVictim > 0);

    // The feed: the worker's bridge messages, published in order to Redis at 20 per second.
    const pub = cluster ? createCluster({ rootNodes: [{ url: redis.url }] }) : createClient({ url: redis.url });
    pub.on('error', () => {}); // reconnects by itself across the restart
    await pub.connect();
    const ready = () => (cluster ? true : pub.isReady);
    let seq = 0;
    const feed = setInterval(() => {
      if (!ready()) return;
      seq += 1;
      const message = JSON.stringify(update(seq));
      (cluster ? pub.sPublish('socket-io-bridge', message) : pub.publish('socket-io-bridge', message)).catch(() => {});
    }, 50);
    try {
      await waitFor(() => clients.every((c) => c.got.length >= 10), { what: 'the feed reaching every client' });
      if (restartRedis) {
        await redis.kill();
        await redis.restart();
        await waitFor(async () => {
          for (const gw of gateways) if ((await fetch(`${gw.url}/readyz`)).status !== 200) return false;
          return ready();
        }, { timeoutMs: 20000, what: 'the gateways and the feed back on Redis' });
        const resumed = seq;
        await waitFor(() => clients.every((c) => c.got.at(-1)?.seq > resumed + 10), { what: 'the feed after the restart' });
      }
      const ids = clients.map((c) => c.socket.id);
      const back = clients.map(() => null);
      clients.forEach((c, i) => c.socket.io.on('reconnect', () => (back[i] = Date.now())));
      const killedAt = Date.now();
      await victim.stop('SIGKILL');
      // The clients of the victim come back through NGINX to the survivor.
      await waitFor(async () => (await socketsOn(survivor)) === CLIENTS, {
        timeoutMs: 20000,
        what: 'every client on the surviving gateway',
      });
      await new Promise((r) => setTimeout(r, 1000)); // a second of the feed after the move
      clearInterval(feed);
      const last = seq;
      await waitFor(() => clients.every((c) => c.got.at(-1)?.seq === last), { what: 'the last update everywhere' });
      const firstAfterRestart = new Map();
      for (const [i, c] of clients.entries()) {
        let seqs = c.got.map((g) => g.seq);
        // Pub/sub drops what is published while Redis is down (the worker republishes what the
        // broker did not confirm); from the restart on, the sequence must be whole.
        if (restartRedis) {
          const cut = seqs.findLastIndex((x, k) => k > 0 && x !== seqs[k - 1] + 1);
          firstAfterRestart.set(i, cut);
          if (cut > 0) seqs = seqs.slice(cut);
        }
        const expected = Array.from({ length: last - seqs[0] + 1 }, (_, k) => seqs[0] + k);
        assert.deepEqual(seqs, expected, `client ${i}: every update once, in order`);
        assert.equal(c.socket.id, ids[i], `client ${i} kept its socket`);
      }
      const moved = back.filter((x) => x !== null);
      const recovered = clients.filter((c) => c.socket.recovered).length;
      t.diagnostic(
        `${restartRedis ? 'after a Redis restart: ' : ''}${cluster ? 'on a Redis Cluster: ' : ''}${onVictim} of ${CLIENTS} clients were on the killed gateway; ${recovered} recovered, back after ${moved.map((x) => x - killedAt).join(', ')} ms; 0 of ${last} updates missed or doubled after the kill`,
      );
      assert.equal(moved.length, onVictim);
      assert.equal(recovered, onVictim, 'every client of the killed gateway recovered');
    } finally {
      clearInterval(feed);
      await pub.quit().catch(() => {});
      for (const c of clients) c.socket.disconnect();
    }
  };
}

describe('connection state recovery across gateways behind NGINX', () => {
  const test = gatewayKilledUnderFeed();
  it('a gateway killed under a 20 msg/s feed: every client recovers on the other with 0 missed', test);
});

describe('connection state recovery across gateways after Redis restarted', () => {
  const test = gatewayKilledUnderFeed({ restartRedis: true });
  it('Redis killed and restarted empty, then a gateway killed: every client still recovers with 0 missed', test);
});

describe('connection state recovery across gateways on a Redis Cluster', () => {
  const test = gatewayKilledUnderFeed({ cluster: true });
  it('a gateway killed under a 20 msg/s feed on a Redis Cluster: every client recovers on the other with 0 missed', test);
});
