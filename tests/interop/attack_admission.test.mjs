// Admission control (docs/security.md): one address flooding polling handshakes holds at most
// --max-sessions-per-address sessions and opens at most --handshake-rate a second, while a
// healthy dashboard beside it (and a new one from another address) keeps working; the gateway
// as a whole holds at most --max-sessions; X-Forwarded-For counts only from --trusted-proxies.
// Also the smaller HTTP bounds: CLIENT_URL='*' sends no credentials, /socket.io?… gets
// --max-payload.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { mintToken, nextEvent, startPulseboard } from './lib/gateway.mjs';
import { metricValue, metricsText, rejections, rssKb, startHealthyClient } from './lib/healthy_client.mjs';
import { pollingHandshake, request } from './lib/raw_engineio.mjs';

describe('a session flood from one address', { timeout: 90000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw && (await gw.stop()));

  it('is held to the per-address cap and rate while others are served', async (t) => {
    const healthy = await startHealthyClient(gw);
    const rssBefore = rssKb(gw.child.pid);
    // Eight keep-alive connections from 127.0.0.2 handshaking as fast as they can for 1.5 s.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8, localAddress: '127.0.0.2' });
    const counts = { 200: 0, 429: 0, other: 0 };
    const until = Date.now() + 1500;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const r = await pollingHandshake(gw.url, { agent });
          if (r.status === 429) assert.equal(JSON.parse(r.body).code, 4);
          counts[r.status in counts ? r.status : 'other'] += 1;
        }
      }),
    );
    agent.destroy();
    // A new dashboard from another address is admitted during the flood's aftermath.
    const late = io(gw.url, { transports: ['polling', 'websocket'], auth: { token: mintToken() }, reconnection: false });
    await nextEvent(late, 'connect');
    late.disconnect();
    const r = await healthy.stop();
    const m = await metricsText(gw);
    const open = metricValue(m, 'pulseboard_sessions_open');
    t.diagnostic(
      `flood: ${counts[200]} sessions admitted, ${counts[429]} refused (429); ${open} sessions open; RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssKb(gw.child.pid) / 1024)} MiB; healthy p99 ${r.p99} ms, ${r.received}/${r.sent} ticks`,
    );
    assert.equal(gw.exited(), null);
    assert.equal(r.received, r.sent);
    assert.equal(r.disconnected, null);
    assert.equal(counts.other, 0);
    // The default burst (60) plus 20/s for 1.5 s, and never more than the cap of 200.
    assert.ok(counts[200] <= 200 && counts[200] < 60 + 20 * 3, `${counts[200]} sessions admitted`);
    assert.ok(counts[429] > 0);
    assert.ok(open <= counts[200] + 2);
    assert.ok(rejections(m, 'handshake_rate') > 0);
  });
});

describe('the caps', { timeout: 60000 }, () => {
  it('--max-sessions refuses handshakes past the gateway-wide cap with 503', async () => {
    const gw = await startPulseboard({ args: ['--max-sessions', '5', '--max-sessions-per-address', '0', '--handshake-rate', '0'] });
    try {
      const healthy = await startHealthyClient(gw);
      const results = [];
      for (let i = 0; i < 8; i++) results.push((await pollingHandshake(gw.url)).status);
      assert.deepEqual(results, [200, 200, 200, 200, 503, 503, 503, 503]);
      assert.equal(rejections(await metricsText(gw), 'session_limit'), 4);
      const r = await healthy.stop();
      assert.equal(r.received, r.sent);
    } finally {
      await gw.stop();
    }
  });

  it('--max-sessions-per-address counts X-Forwarded-For only from --trusted-proxies', async () => {
    const limits = ['--max-sessions-per-address', '2', '--handshake-rate', '0'];
    const trusting = await startPulseboard({ args: [...limits, '--trusted-proxies', '127.0.0.1'] });
    const plain = await startPulseboard({ args: limits });
    try {
      const xff = (a) => ({ headers: { 'x-forwarded-for': a } });
      const seq = async (gw, addrs) => {
        const out = [];
        for (const a of addrs) out.push((await pollingHandshake(gw.url, xff(a))).status);
        return out;
      };
      // Behind a trusted proxy each forwarded client has its own allowance.
      assert.deepEqual(await seq(trusting, ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']), [200, 200, 429, 200]);
      // A forged entry left of the proxy's is not the client.
      assert.equal((await pollingHandshake(trusting.url, xff('203.0.113.9, 198.51.100.1'))).status, 429);
      // From anyone else the header is ignored: every request is 127.0.0.1.
      assert.deepEqual(await seq(plain, ['198.51.100.1', '198.51.100.2', '198.51.100.3']), [200, 200, 429]);
      assert.equal(rejections(await metricsText(plain), 'address_session_limit'), 1);
    } finally {
      await trusting.stop();
      await plain.stop();
    }
  });
});

describe('HTTP bounds', { timeout: 60000 }, () => {
  it("CLIENT_URL='*' allows any origin without credentials", async () => {
    const gw = await startPulseboard({ env: { CLIENT_URL: '*' } });
    try {
      const r = await request(`${gw.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.equal(r.headers['access-control-allow-credentials'], undefined);
    } finally {
      await gw.stop();
    }
  });

  it('/socket.io?… without the slash gets the --max-payload body limit', async () => {
    const gw = await startPulseboard({ args: ['--max-payload', '1000'] });
    try {
      const { sid } = await pollingHandshake(gw.url);
      const r = await request(`${gw.url}/socket.io?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        body: '4' + 'x'.repeat(5000),
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
      });
      assert.equal(r.status, 413, r.body);
      assert.match(r.body, /"limit":1000\b/);
    } finally {
      await gw.stop();
    }
  });
});
