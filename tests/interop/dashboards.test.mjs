// GET /api/v1/dashboards on a gateway started with a stream file: every stream's description to
// a token that may join every room, only the permitted stream to a token limited to one room
// (and the rooms listed are exactly the ones the gateway lets that socket join), 401 without a
// token, the built-in orders dashboard without a file, and no start at all on a broken file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, freePort, inheritedEnv, mintToken, nextEvent, repoRoot, startPulseboard } from './lib/gateway.mjs';

const SIGNUPS = readFileSync(path.join(repoRoot, 'examples/signups.toml'), 'utf8');
const DEPLOYS = `
[[stream]]
name = "deploys"
source = "deploys"
rooms = ["ops", "ops-eu"]
event = "deploy"
pipeline = '[{"$project": {"id": "$fullDocument.id", "service": "$fullDocument.service"}}]'

[stream.dashboard]
title = "Deploys"

[[stream.dashboard.panel]]
kind = "table"
title = "Latest deploys"
columns = ["id", "service"]
`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-dashboards-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function dashboards(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch(`${url}/api/v1/dashboards`, { headers });
  return { status: response.status, body: await response.json() };
}

// The rooms the gateway lets a socket with this token join, of those asked for.
async function joinable(url, token, rooms) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  try {
    await nextEvent(socket, 'connect', 30000);
    const reply = await socket.timeout(10000).emitWithAck('subscribe', rooms);
    return reply.joined;
  } finally {
    socket.disconnect();
  }
}

describe('dashboard descriptions from a stream file', () => {
  let gw;
  before(async () => {
    const file = path.join(dir, 'dashboards.toml');
    writeFileSync(file, SIGNUPS + DEPLOYS);
    gw = await startPulseboard({ args: ['--config', file] });
  });
  after(async () => {
    await gw?.stop();
  });

  it('serves every stream to a token that may join all their rooms', async () => {
    const { status, body } = await dashboards(gw.url, mintToken({ rooms: ['signups', 'ops', 'ops-eu'] }));
    assert.equal(status, 200);
    assert.deepEqual(
      body.dashboards.map((d) => [d.name, d.title, d.rooms]),
      [
        ['signups', 'Sign-ups', ['signups']],
        ['deploys', 'Deploys', ['ops', 'ops-eu']],
      ],
    );
    const [signups, deploys] = body.dashboards;
    assert.equal(signups.event, 'signup');
    assert.equal(signups.snapshotEvent, 'signups-snapshot');
    assert.deepEqual(signups.group, { list: 'plans', label: 'plan', rankBy: 'signups', top: 10 });
    assert.deepEqual(
      signups.panels.map((p) => [p.kind, p.title, p.measure ?? null, p.format, p.unit ?? null]),
      [
        ['kpi', 'Sign-ups (last hour)', 'signups', 'integer', null],
        ['kpi', 'New MRR', 'mrr', 'currency', 'USD cents'],
        ['timeseries', 'Sign-ups per minute', 'signups', 'integer', null],
        ['breakdown', 'Sign-ups by plan', 'signups', 'integer', null],
        ['table', 'Latest sign-ups', null, 'number', null],
      ],
    );
    assert.deepEqual(deploys.panels, [{ kind: 'table', title: 'Latest deploys', format: 'number', columns: ['id', 'service'] }]);
  });

  it('serves every stream to a token without a rooms claim, as the gateway admits it anywhere', async () => {
    const { body } = await dashboards(gw.url, mintToken());
    assert.deepEqual(body.dashboards.map((d) => d.name), ['signups', 'deploys']);
  });

  it('serves only the permitted stream, with only its permitted rooms, as the gateway joins them', async () => {
    for (const rooms of [['signups'], ['ops-eu']]) {
      const token = mintToken({ rooms });
      const { status, body } = await dashboards(gw.url, token);
      assert.equal(status, 200);
      const listed = body.dashboards.flatMap((d) => d.rooms);
      assert.deepEqual(listed, rooms);
      assert.deepEqual(await joinable(gw.url, token, ['signups', 'ops', 'ops-eu']), listed);
    }
    const { body } = await dashboards(gw.url, mintToken({ rooms: ['live-metrics'] }));
    assert.deepEqual(body.dashboards, []);
  });

  it('answers 401 without a token or with a forged one, as the gateway refuses such sockets', async () => {
    const missing = await dashboards(gw.url);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.reason, 'missing_token');
    const forged = await dashboards(gw.url, mintToken({}, { secret: 'another-secret-of-at-least-32-bytes!' }));
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.reason, 'bad_signature');
  });

  it('answers only GET on its exact path', async () => {
    const headers = { Authorization: `Bearer ${mintToken()}` };
    const post = await fetch(`${gw.url}/api/v1/dashboards`, { method: 'POST', headers });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    assert.equal((await fetch(`${gw.url}/api/v1/dashboards/signups`, { headers })).status, 404);
  });
});

describe('the built-in dashboard', () => {
  it('is the orders dashboard when no stream file is given', async () => {
    const gw = await startPulseboard({ args: ['--allow-anonymous'], env: { JWT_SECRET: '' } });
    try {
      const { status, body } = await dashboards(gw.url);
      assert.equal(status, 200);
      assert.deepEqual(
        body.dashboards.map((d) => [d.name, d.rooms, d.event, d.snapshotEvent, d.group.list]),
        [['orders', ['live-metrics'], 'metrics-update', 'metrics-snapshot', 'categories']],
      );
      assert.deepEqual(body.dashboards[0].panels.map((p) => p.title), [
        'Revenue', 'Orders', 'Average order value', 'Revenue per 5 s', 'Revenue by category', 'Recent orders',
      ]);
    } finally {
      await gw.stop();
    }
  });
});

describe('a broken stream file', () => {
  it('stops the gateway before it listens, printing file:line:col: key path: reason', async () => {
    const file = path.join(dir, 'broken.toml');
    const text = SIGNUPS.replace('op = "sum"', 'op = "median"');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('"median"')) + 1;
    const port = await freePort();
    const r = await promisify(execFile)(binary, ['gateway', '--port', String(port), '--config', file], {
      env: { ...inheritedEnv(), JWT_SECRET: 'interop-test-secret-of-at-least-32-bytes', LOG_LEVEL: 'warn' },
      timeout: 60000,
    }).then(
      () => null,
      (e) => e,
    );
    assert.ok(r, 'the gateway ran with a broken stream file');
    assert.equal(r.code, 1);
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(r.stderr, new RegExp(`^${escaped}:${line}:\\d+: stream\\[0\\]\\.aggregate\\.measure\\[1\\]\\.op: .*median`, 'm'));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });
});
