// Sharded mode (REDIS_MODE=sharded) on a 3-master Redis Cluster: the bridge travels by SPUBLISH /
// SSUBSCRIBE, and the adapter (classic PUBLISH, cluster-wide) still reaches gateway clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Emitter } from '@socket.io/redis-emitter';
import { createClient, createCluster } from 'redis';
import { connectClient, connected } from './lib/clients.mjs';
import { nextEvent, publish, startGateways } from './lib/gateway.mjs';
import { startRedisCluster } from './lib/redis.mjs';

describe('sharded pub/sub on a Redis Cluster', () => {
  let cluster, a, b, redis, single;
  const clients = [];
  before(async () => {
    cluster = await startRedisCluster();
    const opts = { args: ['--redis-url', cluster.url, '--threads', '1'], env: { REDIS_MODE: 'sharded' } };
    [a, b] = await startGateways(2, opts);
    redis = createCluster({ rootNodes: [{ url: cluster.url }] });
    redis.on('error', () => {});
    await redis.connect();
    // A plain client on another master: classic PUBLISH is broadcast to the whole cluster.
    single = createClient({ url: `redis://127.0.0.1:${cluster.ports[2]}` });
    await single.connect();
    for (const gw of [a, b]) clients.push(connectClient(gw.url));
    await connected(...clients);
  });
  after(async () => {
    clients.forEach((c) => c.disconnect());
    await redis?.quit().catch(() => {});
    await single?.quit().catch(() => {});
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster?.stop();
  });

  it('an SPUBLISHed bridge message reaches the clients of both gateways', async () => {
    const got = Promise.all(clients.map((c) => nextEvent(c, 'sharded')));
    const receivers = await redis.sPublish('socket-io-bridge', JSON.stringify({ room: 'live-metrics', event: 'sharded', data: { n: 1 } }));
    assert.equal(receivers, 2, 'both gateways SSUBSCRIBEd on the owning master');
    for (const [data] of await got) assert.deepEqual(data, { n: 1 });
  });

  it('POST /api/v1/publish on one gateway reaches the other through SPUBLISH', async () => {
    const got = Promise.all(clients.map((c) => nextEvent(c, 'posted')));
    assert.equal((await publish(a.url, { room: 'live-metrics', event: 'posted', data: 2 })).status, 202);
    for (const [data] of await got) assert.equal(data, 2);
  });

  it('the adapter still works: an emitter PUBLISH on another master reaches both gateways', async () => {
    const got = Promise.all(clients.map((c) => nextEvent(c, 'emitted')));
    new Emitter(single).to('live-metrics').emit('emitted', 'x');
    for (const [data] of await got) assert.equal(data, 'x');
  });
});
