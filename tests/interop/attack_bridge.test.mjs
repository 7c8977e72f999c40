// Anything that can PUBLISH on Redis writes the bridge channel (`socket-io-bridge`), so each of
// its messages is hostile until bounded (docs/cluster.md, "Bounds on the bridge channel"): a
// 16 MiB message of eight million small values is dropped unread (past --max-bridge-message,
// 1 MiB), nesting past 64 levels is refused, and a flood of malformed messages whose text holds
// line breaks gets rate-limited, escaped log lines. Each refusal is counted on /metrics; a healthy
// socket.io-client beside the attack receives every tick of a steady feed published through the
// same channel. Forged and hostile delivery canaries (`{"kind":"canary"}`, docs/operations.md)
// are read within the same bounds, counted, and never reach a socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { io } from 'socket.io-client';
import { PUBLISH_KEY, SECRET, binary, freePort, inheritedEnv, mintToken, waitFor } from './lib/gateway.mjs';
import { memoryMiB, metricValue, metricsText, startHealthyClient } from './lib/healthy_client.mjs';
import { startRedis } from './lib/redis.mjs';

const BRIDGE = 'socket-io-bridge';
const FLOOD = 2000;

// A gateway on Redis whose log lines the test reads.
async function startLoggedGateway(redisUrl, logLines) {
  const port = await freePort();
  const child = spawn(binary, ['gateway', '--port', String(port), '--redis-url', redisUrl], {
    env: {
      ...inheritedEnv(),
      JWT_SECRET: SECRET,
      PUBLISH_API_KEY: PUBLISH_KEY,
      LOG_LEVEL: 'info',
      // ASan keeps freed memory in a quarantine (256 MiB by default), where it counts as
      // resident: without one, RSS shows what the gateway holds, not what it allocated and freed.
      ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'quarantine_size_mb=0'].filter(Boolean).join(':'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop();
      logLines.push(...lines);
    });
  }
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (exited) throw new Error(`gateway exited early: ${JSON.stringify(exited)}`);
    return (await fetch(`${url}/readyz`)).status === 200;
  }, { what: 'gateway ready', timeoutMs: 30000 });
  return {
    url,
    child,
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const [code, signal] = await once(child, 'exit');
      return { code, signal };
    },
  };
}

function overLimit(text, bound) {
  const m = text.match(new RegExp(`pulseboard_bridge_messages_over_limit_total\\{bound="${bound}"\\} (\\d+)`));
  return m ? Number(m[1]) : NaN;
}

describe('a hostile publisher on the bridge channel', { timeout: 180000 }, () => {
  let redis, gw, pub;
  const logLines = [];

  before(async () => {
    redis = await startRedis();
    gw = await startLoggedGateway(redis.url, logLines);
    pub = createClient({ url: redis.url });
    pub.on('error', () => {});
    await pub.connect();
  });

  after(async () => {
    await pub?.quit().catch(() => {});
    const exit = await gw?.stop();
    await redis?.stop();
    assert.equal(exit?.code, 0, 'the gateway exits cleanly after the attack');
  });

  it('drops a 16 MiB message unread and a too-deep one, with bounded memory', async (t) => {
    const healthy = await startHealthyClient(gw);
    const baseline = memoryMiB(gw.child.pid);
    // Eight million values: about 50 bytes each once parsed.
    const huge = `{"room":"live-metrics","event":"flood","data":[${'0,'.repeat(8 * 1024 * 1024 - 1)}0]}`;
    await pub.publish(BRIDGE, huge);
    const deep = `{"room":"live-metrics","event":"deep","data":${'['.repeat(100)}${']'.repeat(100)}}`;
    await pub.publish(BRIDGE, deep);
    await waitFor(async () => {
      const m = await metricsText(gw);
      return overLimit(m, 'message_size') >= 1 && overLimit(m, 'depth') >= 1;
    }, { what: 'both messages refused', timeoutMs: 30000 });
    const result = await healthy.stop();
    const now = memoryMiB(gw.child.pid);
    t.diagnostic(
      `RSS ${Math.round(baseline.rss)} -> ${Math.round(now.rss)} MiB, peak ${Math.round(baseline.peak)} -> ` +
        `${Math.round(now.peak)} MiB; healthy client: ${result.received}/${result.sent} ticks`,
    );
    assert.equal(result.disconnected, null);
    assert.equal(result.received, result.sent, 'the healthy client received every tick');
    // Before the bound: +227 MiB resident, +465 MiB at the peak (the parsed message, then its
    // text once more for delivery and the recovery history).
    assert.ok(now.rss - baseline.rss < 64, `RSS grew by ${Math.round(now.rss - baseline.rss)} MiB`);
    // The Redis reader assembles the whole reply (and copies it) before any bound can look at
    // it: about three times the message, for a moment.
    assert.ok(now.peak - baseline.peak < 128, `peak RSS grew by ${Math.round(now.peak - baseline.peak)} MiB`);
  });

  it('logs a flood of malformed messages rate-limited, escaped, and counts each', async (t) => {
    const healthy = await startHealthyClient(gw);
    const m0 = await metricsText(gw);
    const invalid0 = metricValue(m0, 'pulseboard_bridge_messages_invalid_total');
    const suppressed0 = metricValue(m0, 'pulseboard_log_lines_suppressed_total');
    const from = logLines.length;
    const started = Date.now();
    for (let i = 0; i < FLOOD; i += 1) await pub.publish(BRIDGE, `not json ${i}\nFORGED level=error admin logged in`);
    await waitFor(async () => metricValue(await metricsText(gw), 'pulseboard_bridge_messages_invalid_total') >= invalid0 + FLOOD, {
      what: `${FLOOD} malformed messages counted`,
      timeoutMs: 60000,
    });
    const seconds = (Date.now() - started) / 1000;
    const result = await healthy.stop();
    const m1 = await metricsText(gw);
    const lines = logLines.slice(from);
    const bridgeLines = lines.filter((l) => l.includes('bridge'));
    t.diagnostic(`${FLOOD} malformed messages in ${seconds.toFixed(1)} s: ${bridgeLines.length} bridge log lines`);
    assert.equal(result.received, result.sent, 'the healthy client received every tick');
    assert.equal(lines.filter((l) => l.startsWith('FORGED')).length, 0, 'no log line forged by a newline');
    // The gateway's refusal log passes 20 lines a second.
    assert.ok(bridgeLines.length <= 20 * (Math.ceil(seconds) + 2), `${bridgeLines.length} bridge log lines`);
    assert.ok(bridgeLines.some((l) => l.includes('\\x0a')), 'the newline is shown escaped');
    assert.ok(metricValue(m1, 'pulseboard_log_lines_suppressed_total') > suppressed0);
  });

  it('reads canaries within the bounds, counts hostile ones, and never delivers any to a socket', async () => {
    const healthy = await startHealthyClient(gw);
    const watcher = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    const names = new Set();
    watcher.onAny((event) => names.add(event));
    await once(watcher, 'connect');
    const m0 = await metricsText(gw);
    const invalid0 = metricValue(m0, 'pulseboard_bridge_messages_invalid_total');
    const canaries0 = metricValue(m0, 'pulseboard_canaries_total');
    const depth0 = overLimit(m0, 'depth');
    const hostile = [
      '{"kind":"canary"}',
      '{"kind":"canary","committedAt":"soon"}',
      '{"kind":"canary","committedAt":-1}',
      '{"kind":"canary","committedAt":1e300}',
      '{"kind":"other","room":"live-metrics","event":"tick","data":{}}',
    ];
    for (let i = 0; i < FLOOD / 10; i += 1) for (const text of hostile) await pub.publish(BRIDGE, text);
    const deep = `{"kind":"canary","committedAt":1,"x":${'['.repeat(100)}${']'.repeat(100)}}`;
    await pub.publish(BRIDGE, deep);
    const valid = 50;
    for (let i = 0; i < valid; i += 1)
      await pub.publish(BRIDGE, JSON.stringify({ kind: 'canary', committedAt: Date.now(), publishedAt: Date.now() }));
    const refused = (FLOOD / 10) * hostile.length;
    await waitFor(async () => {
      const m = await metricsText(gw);
      return metricValue(m, 'pulseboard_bridge_messages_invalid_total') >= invalid0 + refused &&
        metricValue(m, 'pulseboard_canaries_total') >= canaries0 + valid && overLimit(m, 'depth') >= depth0 + 1;
    }, { what: 'hostile canaries refused and valid ones counted', timeoutMs: 60000 });
    const result = await healthy.stop();
    const m1 = await metricsText(gw);
    watcher.disconnect();
    assert.equal(result.received, result.sent, 'the healthy client received every tick');
    assert.equal(metricValue(m1, 'pulseboard_bridge_messages_invalid_total'), invalid0 + refused);
    assert.equal(metricValue(m1, 'pulseboard_canaries_total'), canaries0 + valid);
    assert.deepEqual([...names].filter((n) => n !== 'tick'), [], 'no canary reached a socket');
  });
});
