// The healthy dashboard beside an attacker (docs/security.md): an official socket.io-client on
// WebSocket in `live-metrics`, fed a steady stream of published ticks while the attack runs.
// stop() ends the feed, waits for the last tick, and reports what the client saw: how many of
// the ticks it received (every one, or the test fails), its publish → receive latencies, and
// the gateway's largest RSS sampled meanwhile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { io } from 'socket.io-client';
import { mintToken, nextEvent, publish, waitFor } from './gateway.mjs';

export function rssKb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line.split(/\s+/)[1]);
  } catch {
    return NaN;
  }
}

// Resident and peak resident memory of a process, in MiB.
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function startHealthyClient(gw, { intervalMs = 20, room = 'live-metrics' } = {}) {
  const client = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
  await nextEvent(client, 'connect');
  const tag = Math.random().toString(36).slice(2); // ticks of this client's own feed only
  const latencies = [];
  const seen = new Set();
  let disconnected = null;
  client.on('disconnect', (reason) => (disconnected = reason));
  client.on('tick', ({ i, t, tag: from }) => {
    if (from !== tag) return;
    seen.add(i);
    latencies.push(Date.now() - t);
  });
  let sent = 0;
  let maxRss = rssKb(gw.child.pid);
  let running = true;
  const feed = (async () => {
    while (running) {
      const r = await publish(gw.url, { room, event: 'tick', data: { i: sent, t: Date.now(), tag } });
      if (r.status !== 202) throw new Error(`publish answered ${r.status}`);
      sent += 1;
      maxRss = Math.max(maxRss, rssKb(gw.child.pid));
      await new Promise((r2) => setTimeout(r2, intervalMs));
    }
  })();
  return {
    client,
    // The feed runs on for at least `minTicks` ticks in all, so it always overlaps the attack's
    // aftermath (an attack may take only milliseconds).
    async stop({ minTicks = 25 } = {}) {
      while (sent < minTicks) await new Promise((r) => setTimeout(r, intervalMs));
      running = false;
      await feed;
      await waitFor(() => seen.size === sent || disconnected !== null, {
        what: `the healthy client to receive ${sent} ticks`,
        timeoutMs: 15000,
      }).catch(() => {});
      const reason = disconnected;
      client.disconnect();
      return {
        sent,
        received: seen.size,
        disconnected: reason,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        maxRssKb: maxRss,
      };
    },
  };
}

export async function metricsText(gw) {
  return (await fetch(`${gw.url}/metrics`)).text();
}

export function metricValue(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line?.split(' ').pop());
}

export function rejections(text, reason) {
  const m = text.match(new RegExp(`pulseboard_rejections_total\\{reason="${reason}"\\} (\\d+)`));
  return m ? Number(m[1]) : NaN;
}

// One diagnostic line with what the healthy client saw during an attack.
export function report(t, what, r) {
  t.diagnostic(
    `${what}: healthy client got ${r.received}/${r.sent} ticks, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms; gateway max RSS ${Math.round(r.maxRssKb / 1024)} MiB`,
  );
}

// The gateway survived the attack and the healthy client beside it received every tick.
export function assertHealthy(gw, r) {
  assert.equal(gw.exited(), null, 'the gateway is still running');
  assert.equal(r.disconnected, null, 'the healthy client stayed connected');
  assert.equal(r.received, r.sent, 'the healthy client received every tick');
  assert.ok(r.sent > 10, 'the feed ran during the attack');
}
