// Two gateways behind NGINX (deploy/nginx.conf): with sticky sessions, long-polling-only and
// upgrading clients spread over both gateways keep working; with plain round robin, long-polling
// breaks as the article warns (400 "Session ID unknown").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clientSet } from './lib/clients.mjs';
import { nextEvent, publish, startGateways, waitFor } from './lib/gateway.mjs';
import { startNginx } from './lib/nginx.mjs';
import { startRedis } from './lib/redis.mjs';

const sockets = clientSet();
// Clients come from different loopback addresses so `hash $remote_addr` spreads them.
function client(url, n, transports) {
  const agent = new http.Agent({ keepAlive: true, localAddress: `127.0.0.${10 + n}` });
  return sockets.connect(url, { transports, agent, localAddress: agent.options.localAddress });
}

async function socketsOn(gw) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^pulseboard_sockets_connected (\d+)/m.exec(text)?.[1] ?? NaN);
}

// A stand-in for the built dashboard (web/dist), so the page is known whatever was built.
const DASHBOARD = '<!doctype html><html><body><div id="root">pulseboard dashboard</div></body></html>';

describe('gateways behind NGINX', () => {
  let redis, a, b, sticky, roundRobin, staticDir;
  before(async () => {
    redis = await startRedis();
    staticDir = mkdtempSync(path.join(os.tmpdir(), 'pb-nginx-static-'));
    writeFileSync(path.join(staticDir, 'index.html'), DASHBOARD);
    const args = ['--redis-url', redis.url, '--threads', '1', '--ping-interval', '2000', '--ping-timeout', '2000'];
    [a, b] = await startGateways(2, { args, env: { STATIC_DIR: staticDir } });
    sticky = await startNginx({ gateways: [a.port, b.port], api: a.port });
    roundRobin = await startNginx({ gateways: [a.port, b.port], api: a.port, sticky: false });
  });
  after(async () => {
    sockets.disconnectAll();
    await Promise.all([sticky?.stop(), roundRobin?.stop()]);
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  });

  it('sticky: long-polling-only and upgrading clients on both gateways keep working', async () => {
    const before = (await socketsOn(a)) + (await socketsOn(b));
    const polling = [0, 1, 2, 3, 4, 5].map((n) => client(sticky.url, n, ['polling']));
    const upgrading = [6, 7, 8, 9, 10, 11].map((n) => client(sticky.url, n, ['polling', 'websocket']));
    const all = [...polling, ...upgrading];
    await Promise.all(all.map((s) => nextEvent(s, 'connect')));
    // Spread over both gateways (12 source addresses, consistent hash).
    const [onA, onB] = [await socketsOn(a), await socketsOn(b)];
    assert.equal(onA + onB - before, 12);
    assert.ok(onA > 0 && onB > 0, `clients on both gateways (${onA}, ${onB})`);
    await waitFor(() => upgrading.every((s) => s.io.engine.transport.name === 'websocket'), { what: 'upgrades through nginx' });
    // Several heartbeats (2 s) pass while events round-trip both ways.
    const deadline = Date.now() + 5000;
    let round = 0;
    while (Date.now() < deadline) {
      const replies = await Promise.all(all.map((s) => s.timeout(3000).emitWithAck('echo', round)));
      assert.deepEqual(replies, all.map(() => round));
      const got = Promise.all(all.map((s) => nextEvent(s, 'tick', 3000)));
      assert.equal((await publish(a.url, { room: 'live-metrics', event: 'tick', data: round })).status, 202);
      for (const [data] of await got) assert.equal(data, round);
      round++;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(all.every((s) => s.connected));
    assert.ok(polling.every((s) => s.io.engine.transport.name === 'polling'));
  });

  it('the publish endpoint is reachable through /api/ as well', async () => {
    const res = await publish(`${sticky.url}`, { room: 'live-metrics', event: 'via-nginx', data: 1 });
    assert.equal(res.status, 202);
  });

  it('the dashboard page is served through NGINX at / (and a client route falls back to it)', async () => {
    for (const page of ['/', '/orders']) {
      const res = await fetch(`${sticky.url}${page}`);
      assert.equal(res.status, 200, `GET ${page}`);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.equal(await res.text(), DASHBOARD);
    }
  });

  it('NGINX does not expose the gateways\' /metrics to the public', async () => {
    assert.equal((await fetch(`${sticky.url}/metrics`)).status, 403);
    assert.equal((await fetch(`${a.url}/metrics`)).status, 200);
  });

  it('round robin without stickiness: long-polling fails with 400 "Session ID unknown"', async () => {
    // The raw protocol: the handshake lands on one gateway, the next requests alternate.
    const open = await (await fetch(`${roundRobin.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${roundRobin.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST', body: '40',
      });
      statuses.push([res.status, await res.text()]);
    }
    assert.ok(statuses.some(([status, body]) => status === 400 && body.includes('Session ID unknown')), JSON.stringify(statuses));
    // The official client: a polling-only connection fails or is dropped within a few polls.
    const failures = await Promise.all([0, 1, 2, 3].map(async (n) => {
      const s = client(roundRobin.url, 20 + n, ['polling']);
      const outcome = await Promise.race([
        nextEvent(s, 'connect_error', 8000).then(([e]) => `connect_error: ${e.message}`),
        nextEvent(s, 'disconnect', 8000).then(([reason]) => `disconnect: ${reason}`),
      ]).catch(() => 'still connected');
      s.disconnect();
      return outcome;
    }));
    for (const f of failures) assert.notEqual(f, 'still connected');
  });
});
