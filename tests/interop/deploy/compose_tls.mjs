// deploy/compose.yaml with deploy/compose.tls.yaml (scripts/deploy-test starts it; slow, so not
// named *.test.mjs): NGINX serves the dashboard over https with the certificate the script made,
// plain http redirects to https, and an order posted over https reaches a socket.io-client
// dashboard connected over wss.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { mintToken, mintWriteToken, waitFor } from '../lib/gateway.mjs';
import { httpsRequest } from '../lib/tls.mjs';

const base = `https://localhost:${process.env.PULSEBOARD_TLS_PORT ?? 8443}`;
const plain = `http://127.0.0.1:${process.env.PULSEBOARD_PORT ?? 8080}`;
const ca = readFileSync(process.env.PULSEBOARD_TLS_CA);
const secret = process.env.JWT_SECRET;

function plainGet(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, location: res.headers.location });
    }).on('error', reject);
  });
}

describe(`compose stack behind NGINX with TLS at ${base}`, () => {
  let socket;
  before(async () => {
    await waitFor(async () => (await httpsRequest(`${base}/`, { ca })).status === 200,
      { timeoutMs: 180000, intervalMs: 500, what: 'the dashboard over https through NGINX' });
  });
  after(() => socket?.disconnect());

  it('serves the dashboard over https and redirects plain http to it', async () => {
    const page = await httpsRequest(`${base}/`, { ca });
    assert.match(page.body, /<div id="root">/);
    const redirect = await plainGet(`${plain}/`);
    assert.equal(redirect.status, 301);
    assert.match(redirect.location, /^https:\/\//);
  });

  it('an order posted over https reaches a dashboard on wss', async () => {
    const got = new Set();
    socket = io(base.replace('https:', 'wss:'), { ca, transports: ['websocket'], auth: { token: mintToken({}, { secret }) } });
    socket.on('metrics-update', (data) => got.add(data.id));
    await waitFor(() => socket.connected, { timeoutMs: 30000, what: 'the dashboard connected over wss' });
    assert.equal(socket.io.engine.transport.name, 'websocket');
    const res = await httpsRequest(`${base}/api/v1/orders`, {
      ca,
      method: 'POST',
      headers: { authorization: `Bearer ${mintWriteToken({}, { secret })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 12.5, category: 'deploy-tls', status: 'completed' }),
    });
    assert.equal(res.status, 201, res.body);
    const { id } = JSON.parse(res.body);
    await waitFor(() => got.has(id), { timeoutMs: 30000, what: `order ${id} on the wss dashboard` });
  });
});
