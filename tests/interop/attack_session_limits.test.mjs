// Bounds that belong to the Engine.IO session rather than to one of its sockets
// (docs/security.md), each attacked beside a healthy dashboard that must keep receiving every
// published tick: a session that leaves its namespace and CONNECTs again, over and over, to
// get a fresh event allowance (--event-rate) and to make the gateway verify a token and write
// the recovery store each time (--connect-rate); and polling sessions that never read while
// CONNECTs naming megabyte-long namespaces are refused (each refusal used to echo the name).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { mintToken, nextEvent, startPulseboard, waitFor } from './lib/gateway.mjs';
import {
  assertHealthy,
  memoryMiB,
  metricsText,
  rejections,
  report,
  startHealthyClient,
} from './lib/healthy_client.mjs';
import { pollingGet, pollingHandshake, pollingPost, websocketSession } from './lib/raw_engineio.mjs';

// The gateway's defaults (docs/security.md).
const EVENT_RATE = 20;
const EVENT_BURST = 60;
const CONNECT_RATE = 1;
const CONNECT_BURST = 10;
const ATTACK_MS = 5000;

// One raw WebSocket session that CONNECTs to "/", sends `events` echo events with ack ids,
// DISCONNECTs, and starts over as soon as the round's answers are in, for `ms`. Counts the
// CONNECT replies (each a token verified) and the acks (each an event accepted).
async function reconnectLoop(url, { events, ms }) {
  const ws = await websocketSession(url);
  const token = mintToken();
  const seen = { connects: 0, acks: 0, rounds: 0, closed: false };
  let wake = () => {};
  ws.on('message', (m) => {
    const text = m.toString();
    if (text.startsWith('40')) seen.connects += 1;
    else if (text.startsWith('43')) seen.acks += 1;
    wake();
  });
  ws.on('close', () => {
    seen.closed = true;
    wake();
  });
  const started = Date.now();
  while (!seen.closed && Date.now() - started < ms) {
    const want = { connects: seen.connects + 1, acks: seen.acks + events };
    ws.send(`40${JSON.stringify({ token })}`);
    for (let k = 0; k < events; k++) ws.send('421["echo",1]');
    ws.send('41');
    seen.rounds += 1;
    // The round is answered, or the gateway stopped answering it (a refused event, a closed
    // session): the next round starts then.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000);
      wake = () => {
        if (seen.closed || (seen.connects >= want.connects && seen.acks >= want.acks)) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  }
  seen.elapsedS = (Date.now() - started) / 1000;
  ws.terminate();
  return seen;
}

describe('a session that CONNECTs again and again', { timeout: 120000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw && (await gw.stop()));

  it('does not get a fresh event allowance with each CONNECT', async (t) => {
    const healthy = await startHealthyClient(gw);
    const seen = await reconnectLoop(gw.url, { events: EVENT_BURST, ms: ATTACK_MS });
    const r = await healthy.stop();
    report(t, 're-CONNECT event loop', r);
    t.diagnostic(`${seen.acks} events accepted and ${seen.connects} CONNECTs admitted in ${seen.elapsedS} s (${seen.rounds} rounds)`);
    assertHealthy(gw, r);
    const bound = EVENT_BURST + EVENT_RATE * seen.elapsedS + 1;
    assert.ok(seen.acks <= bound, `${seen.acks} events accepted from one session in ${seen.elapsedS} s (bound ${bound})`);
    assert.ok(seen.acks >= EVENT_BURST, 'the first round is answered in full');
    assert.ok(rejections(await metricsText(gw), 'event_rate') >= 1);
  });

  it('is closed past --connect-rate, each CONNECT having cost a token verification', async (t) => {
    const healthy = await startHealthyClient(gw);
    const seen = await reconnectLoop(gw.url, { events: 0, ms: ATTACK_MS });
    const r = await healthy.stop();
    report(t, 're-CONNECT loop', r);
    t.diagnostic(`${seen.connects} CONNECTs admitted (tokens verified) in ${seen.elapsedS} s (${seen.rounds} rounds)`);
    assertHealthy(gw, r);
    const bound = CONNECT_BURST + CONNECT_RATE * seen.elapsedS + 1;
    assert.ok(seen.connects <= bound, `${seen.connects} CONNECTs admitted on one session (bound ${bound})`);
    assert.ok(seen.closed, 'the gateway closed the session');
    assert.ok(rejections(await metricsText(gw), 'connect_rate') >= 1);
  });

  it('still lets a client use two namespaces and come back to one on the same session', async () => {
    const gw2 = await startPulseboard({ args: ['--namespace', '/', '--namespace', '/admin'] });
    try {
      const root = io(gw2.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
      await nextEvent(root, 'connect');
      const admin = io(`${gw2.url}/admin`, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
      await nextEvent(admin, 'connect');
      admin.disconnect();
      admin.connect();
      await nextEvent(admin, 'connect');
      assert.equal(root.connected, true);
      root.disconnect();
      admin.disconnect();
    } finally {
      await gw2.stop();
    }
  });
});

describe('refused CONNECTs naming long namespaces, never read', { timeout: 180000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard({
      // Many sessions from one address at once: the handshake rate is not what is tested. A
      // small ASan quarantine, so freed request bodies do not count as memory held.
      args: ['--handshake-rate', '0'],
      env: { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? 'detect_leaks=1'}:quarantine_size_mb=16` },
    });
  });
  after(async () => gw && (await gw.stop()));

  it('the official client still gets "Invalid namespace" for an unknown one', async () => {
    for (const nsp of ['/nope', `/${'n'.repeat(255)}`]) {
      const c = io(`${gw.url}${nsp}`, { transports: ['polling'], auth: { token: mintToken() }, reconnection: false, forceNew: true });
      const [err] = await nextEvent(c, 'connect_error', 20000);
      assert.equal(err.message, 'Invalid namespace');
      c.disconnect();
    }
  });

  it('do not pin their echoes in memory', async (t) => {
    const sessions = 12;
    const perSession = 8;
    // One CONNECT per POST, its namespace just under --max-payload (1,000,000 bytes).
    const longConnect = `40/${'a'.repeat(999_000)}`;
    const healthy = await startHealthyClient(gw);
    const baseline = memoryMiB(gw.child.pid);
    const sids = [];
    for (let s = 0; s < sessions; s++) {
      const { sid, status } = await pollingHandshake(gw.url);
      assert.equal(status, 200);
      sids.push(sid);
      for (let k = 0; k < perSession; k++) await pollingPost(gw.url, sid, [longConnect]);
    }
    const held = memoryMiB(gw.child.pid);
    const r = await healthy.stop();
    report(t, 'long-namespace CONNECT_ERROR pin', r);
    const grew = Math.round(held.rss - baseline.rss);
    t.diagnostic(`${sessions} sessions × ${perSession} CONNECTs of ~1 MB: gateway RSS ${Math.round(baseline.rss)} → ${Math.round(held.rss)} MiB (+${grew} MiB)`);
    assertHealthy(gw, r);
    // What the attacker could still read back: nothing, its sessions are closed.
    let unread = 0;
    for (const sid of sids) {
      const get = await pollingGet(gw.url, sid);
      if (get.status === 200) unread += get.body.length;
    }
    t.diagnostic(`bytes still queued for the attacker: ${unread}`);
    assert.ok(unread < sessions * 1024, `${unread} bytes were held for the attacker's sessions`);
    assert.ok(grew < 48, `the gateway's RSS grew by ${grew} MiB`);
    await waitFor(async () => rejections(await metricsText(gw), 'namespace_too_long') === sessions, {
      what: 'one namespace_too_long refusal per session',
    });
  });
});
