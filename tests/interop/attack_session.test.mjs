// Hostile clients against one gateway (docs/security.md), each beside a healthy dashboard that
// must keep receiving every published tick: a send-queue overflow inside the CONNECT and
// subscribe handlers (a heap use-after-free before teardown was deferred), a flood of refused
// CONNECTs (closed after --max-connect-attempts, its log lines rate limited), unlimited rooms
// and subscribes (--max-rooms-per-socket, --event-rate) and a WebSocket ping flood (one pending
// pong per connection).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import {
  PUBLISH_KEY,
  SECRET,
  binary,
  freePort,
  inheritedEnv,
  mintToken,
  nextEvent,
  publish,
  startPulseboard,
  waitFor,
} from './lib/gateway.mjs';
import {
  assertHealthy,
  metricValue,
  metricsText,
  rejections,
  report,
  startHealthyClient,
} from './lib/healthy_client.mjs';
import { pollingGet, pollingHandshake, pollingPost, websocketSession } from './lib/raw_engineio.mjs';

const connectError = `40${JSON.stringify({ token: 'not-a-token' })}`;
const connectOk = () => `40${JSON.stringify({ token: mintToken() })}`;

describe('a send-queue overflow inside a handler', { timeout: 90000 }, () => {
  let gw;
  before(async () => {
    // No cap on CONNECTs here: the queue bound (64 frames) is what the flood meets.
    gw = await startPulseboard({
      args: ['--max-connect-attempts', '100000', '--connect-rate', '0', '--max-queued-frames', '64'],
    });
  });
  after(async () => gw && (await gw.stop()));

  it('during the CONNECT reply closes only that session', async (t) => {
    const healthy = await startHealthyClient(gw);
    // 64 CONNECT_ERROR replies fill the queue exactly; the valid CONNECT's reply overflows it,
    // and the handler goes on to join the socket's rooms after the session closed.
    const { sid } = await pollingHandshake(gw.url);
    const body = [...Array(64).fill(connectError), connectOk()];
    const post = await pollingPost(gw.url, sid, body);
    assert.equal(post.status, 200);
    const r = await healthy.stop();
    report(t, 'CONNECT overflow', r);
    assertHealthy(gw, r);
    const m = await metricsText(gw);
    assert.ok(rejections(m, 'send_queue_overflow') >= 1);
    // The attacker's session is gone; the gateway answers it as unknown.
    const get = await pollingGet(gw.url, sid);
    assert.equal(get.status, 400);
    assert.equal(JSON.parse(get.body).code, 1);
  });

  it('during subscribe (retained frames per room) closes only that session', async (t) => {
    // Rooms with a retained message each: every join queues a frame.
    for (let k = 0; k < 40; k++) {
      const r = await fetch(`${gw.url}/api/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISH_KEY}` },
        body: JSON.stringify({ room: `r${k}`, event: 'snap', data: 'x'.repeat(300_000), retain: true }),
      });
      assert.equal(r.status, 202);
    }
    const healthy = await startHealthyClient(gw);
    const { sid } = await pollingHandshake(gw.url);
    // 40 × 300 KB retained frames overflow the 8 MiB byte bound part-way through the joins.
    const rooms = Array.from({ length: 40 }, (_, k) => `r${k}`);
    const post = await pollingPost(gw.url, sid, [connectOk(), `42${JSON.stringify(['subscribe', rooms])}`]);
    assert.equal(post.status, 200);
    const r = await healthy.stop();
    report(t, 'subscribe overflow', r);
    assertHealthy(gw, r);
    assert.equal((await pollingGet(gw.url, sid)).status, 400);
  });
});

describe('refused CONNECTs', { timeout: 90000 }, () => {
  let gw;
  const logLines = [];
  before(async () => {
    const port = await freePort();
    // Many sessions from one address in a second: the handshake rate is not what is tested here.
    const child = spawn(binary, ['gateway', '--port', String(port), '--handshake-rate', '0'], {
      env: { ...inheritedEnv(), JWT_SECRET: SECRET, PUBLISH_API_KEY: PUBLISH_KEY, LOG_LEVEL: 'info' },
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
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: 'gateway' });
    gw = {
      url,
      child,
      exited: () => exited,
      async stop() {
        if (exited) return;
        child.kill('SIGTERM');
        await once(child, 'exit');
      },
    };
  });
  after(async () => gw && (await gw.stop()));

  it('close the session after --max-connect-attempts, and their log lines are rate limited', async (t) => {
    const healthy = await startHealthyClient(gw);
    const before = logLines.length;
    const sessions = 100;
    for (let s = 0; s < sessions; s++) {
      const { sid, status } = await pollingHandshake(gw.url);
      assert.equal(status, 200);
      const post = await pollingPost(gw.url, sid, Array(500).fill(connectError));
      assert.equal(post.status, 200);
      // Closed after 10 refusals: the GET is answered with the close packet or the sid is gone.
      const get = await pollingGet(gw.url, sid);
      assert.ok(get.status === 400 || get.body.endsWith('1'), `session ${sid} closed (${get.status} ${get.body.slice(-20)})`);
    }
    const r = await healthy.stop();
    report(t, 'refused CONNECT flood', r);
    assertHealthy(gw, r);
    const m = await metricsText(gw);
    assert.equal(rejections(m, 'connect_attempts'), sessions);
    assert.equal(rejections(m, 'auth_failed'), sessions * 10);
    const lines = logLines.slice(before).filter((l) => /refused/.test(l)).length;
    t.diagnostic(`${sessions * 500} refused CONNECTs sent, ${sessions * 10} answered, ${lines} log lines written`);
    assert.ok(lines < 200, `${lines} refusal log lines`);
    assert.ok(metricValue(m, 'pulseboard_log_lines_suppressed_total') > 0);
    assert.ok(logLines.some((l) => /similar lines left out/.test(l)) || lines < sessions * 11);
  });
});

describe('rooms and events from one socket', { timeout: 60000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw && (await gw.stop()));

  it('a socket without a rooms claim joins at most --max-rooms-per-socket rooms', async (t) => {
    const healthy = await startHealthyClient(gw);
    const attacker = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    await nextEvent(attacker, 'connect');
    const rooms = Array.from({ length: 10000 }, (_, k) => `room-${k}`);
    const reply = await attacker.timeout(10000).emitWithAck('subscribe', rooms);
    // live-metrics (a default room) is already one of its 64.
    assert.equal(reply.joined.length, 63);
    assert.equal(reply.denied.length, 10000 - 63);
    attacker.disconnect();
    const r = await healthy.stop();
    report(t, 'room flood', r);
    assertHealthy(gw, r);
    assert.ok(rejections(await metricsText(gw), 'room_limit') > 0);
  });

  it('a socket sending events faster than --event-rate is disconnected', async (t) => {
    const healthy = await startHealthyClient(gw);
    const attacker = io(gw.url, { transports: ['websocket'], auth: { token: mintToken() }, reconnection: false });
    await nextEvent(attacker, 'connect');
    const gone = nextEvent(attacker, 'disconnect', 10000);
    for (let k = 0; k < 2000; k++) attacker.emit('subscribe', `room-${k % 50}`);
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
    const r = await healthy.stop();
    report(t, 'subscribe flood', r);
    assertHealthy(gw, r);
    assert.ok(rejections(await metricsText(gw), 'event_rate') >= 1);
  });
});

describe('a WebSocket ping flood without a token', { timeout: 90000 }, () => {
  let gw;
  before(async () => {
    gw = await startPulseboard();
  });
  after(async () => gw && (await gw.stop()));

  it('gets one pending pong at a time, and the loop is not stalled', async (t) => {
    const healthy = await startHealthyClient(gw);
    const ws = await websocketSession(gw.url);
    let pongs = 0;
    ws.on('pong', () => (pongs += 1));
    const pings = 400_000;
    // One write of all the ping frames at once (masked, empty payload: 6 bytes each).
    const frame = Buffer.from([0x89, 0x80, 1, 2, 3, 4]);
    ws._socket.write(Buffer.concat(Array(pings).fill(frame)));
    await waitFor(async () => metricValue(await metricsText(gw), 'pulseboard_pongs_coalesced_total') > 0, {
      what: 'pings to be coalesced',
      timeoutMs: 20000,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const r = await healthy.stop();
    report(t, 'ping flood', r);
    t.diagnostic(`${pings} pings sent, ${pongs} pongs received`);
    assertHealthy(gw, r);
    assert.ok(pongs < pings / 10, `${pongs} pongs for ${pings} pings`);
    ws.terminate();
  });
});
