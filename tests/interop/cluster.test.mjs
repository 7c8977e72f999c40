// Two Pulseboard gateways on one Redis: the article's bridge channel reaches every client once,
// the publish endpoint reaches the whole cluster, and a Redis crash is survived.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectClient, connected } from './lib/clients.mjs';
import { nextEvent, publish, startGateways, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';

const BRIDGE = 'socket-io-bridge';

// Counts every `event` a socket receives, by the `seq` in its data.
function counter(socket, event) {
  const seen = new Map();
  socket.on(event, (data) => seen.set(data?.seq, (seen.get(data?.seq) ?? 0) + 1));
  return seen;
}

// Publishes `n` numbered messages then a barrier; resolves once every client saw the barrier
// and a quiet period passed (so late duplicates would be counted too).
async function sendAndSettle(pub, clients, n, event, send) {
  for (let i = 0; i < n; i++) await send({ room: 'live-metrics', event, data: { seq: i } });
  const barriers = clients.map((c) => nextEvent(c, `${event}-barrier`, 5000));
  await send({ room: 'live-metrics', event: `${event}-barrier`, data: {} });
  await Promise.all(barriers);
  await new Promise((r) => setTimeout(r, 300));
}

async function readyz(url) {
  return (await fetch(`${url}/readyz`)).status;
}

describe('two gateways on one Redis', () => {
  let redis, pub, a, b;
  const clients = [];
  before(async () => {
    redis = await startRedis();
    [a, b] = await startGateways(2, { args: ['--redis-url', redis.url, '--threads', '2'] });
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
    for (const gw of [a, a, b, b]) clients.push(connectClient(gw.url));
    await connected(...clients);
  });
  after(async () => {
    clients.forEach((c) => c.disconnect());
    await pub?.quit().catch(() => {});
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    for (const c of codes) assert.equal(c?.code, 0, 'gateways exit cleanly');
  });

  it('delivers each socket-io-bridge message once to the clients of every gateway', async () => {
    const counts = clients.map((c) => counter(c, 'order'));
    await sendAndSettle(pub, clients, 20, 'order', (m) => pub.publish(BRIDGE, JSON.stringify(m)));
    for (const seen of counts) {
      assert.equal(seen.size, 20);
      for (const [, n] of seen) assert.equal(n, 1, 'each message exactly once');
    }
  });

  it('POST /api/v1/publish on one gateway reaches clients of the other once', async () => {
    const counts = clients.map((c) => counter(c, 'posted'));
    await sendAndSettle(pub, clients, 5, 'posted', async (m) => assert.equal((await publish(a.url, m)).status, 202));
    for (const seen of counts) {
      assert.equal(seen.size, 5);
      for (const [, n] of seen) assert.equal(n, 1);
    }
  });

  it('survives Redis being killed and restarted: /readyz 503 then 200, delivery resumes', async () => {
    await redis.kill();
    await waitFor(async () => (await readyz(a.url)) === 503 && (await readyz(b.url)) === 503, { what: '/readyz 503 on both' });
    // Local delivery goes on without Redis: a client still gets its own echo.
    assert.equal(await clients[0].timeout(2000).emitWithAck('echo', 'alone'), 'alone');
    await redis.restart();
    await waitFor(async () => (await readyz(a.url)) === 200 && (await readyz(b.url)) === 200, { what: '/readyz 200 again', timeoutMs: 20000 });
    assert.equal(a.exited(), null);
    assert.equal(b.exited(), null);
    await waitFor(() => pub.isReady, { what: 'the test publisher reconnected' });
    const counts = clients.map((c) => counter(c, 'after'));
    await sendAndSettle(pub, clients, 3, 'after', (m) => pub.publish(BRIDGE, JSON.stringify(m)));
    for (const seen of counts) {
      assert.equal(seen.size, 3);
      for (const [, n] of seen) assert.equal(n, 1);
    }
  });
});
