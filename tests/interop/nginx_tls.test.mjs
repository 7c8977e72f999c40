// deploy/nginx-tls.conf: NGINX terminating TLS in front of two plain-HTTP gateways. The real
// socket.io-client connects through it over wss:// and over https long-polling (then upgrading
// on the same sticky gateway) and receives a bridge publish; plain HTTP is redirected to https.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { freePort, mintToken, nextEvent, publish, startGateways, waitFor } from './lib/gateway.mjs';
import { startNginx } from './lib/nginx.mjs';
import { issueCert, makeCa } from './lib/tls.mjs';

const ca = makeCa();
const cert = issueCert(ca, 'nginx', '5150');

describe('NGINX terminating TLS (deploy/nginx-tls.conf)', () => {
  let gateways, nginx;
  const clients = [];
  before(async () => {
    gateways = await startGateways(2);
    nginx = await startNginx({
      gateways: gateways.map((g) => g.port), api: await freePort(),
      tls: { cert: cert.cert, key: cert.key, ca: ca.ca },
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await nginx?.stop();
    await Promise.all((gateways ?? []).map((g) => g.stop()));
  });

  // Each gateway delivers a bridge message to its own clients: publish to both.
  async function publishReaches(sockets, data) {
    const got = sockets.map((s) => nextEvent(s, 'order', 10000));
    for (const g of gateways) assert.equal((await publish(g.url, { room: 'live-metrics', event: 'order', data })).status, 202);
    for (const g of got) assert.deepEqual(await g, [data]);
  }

  it('carries socket.io-client over wss:// and https polling (upgrading) to the gateways', async () => {
    const opts = { ca: ca.ca, reconnection: false, forceNew: true, auth: { token: mintToken() } };
    const wss = io(nginx.url.replace('https:', 'wss:'), { ...opts, transports: ['websocket'] });
    const upgrading = io(nginx.url, { ...opts, transports: ['polling', 'websocket'] });
    clients.push(wss, upgrading);
    await Promise.all([nextEvent(wss, 'connect', 20000), nextEvent(upgrading, 'connect', 20000)]);
    await waitFor(() => upgrading.io.engine.transport.name === 'websocket', { timeoutMs: 20000, what: 'the upgrade through NGINX' });
    await publishReaches([wss, upgrading], { via: 'nginx-tls' });
  });

  it('redirects plain HTTP to https', async () => {
    const res = await fetch(`${nginx.httpUrl}/socket.io/?EIO=4&transport=polling`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.match(res.headers.get('location'), /^https:\/\//);
  });
});
