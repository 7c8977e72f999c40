// Writes to the orders API need a token whose `scope` claim holds orders:write; reads need only
// a valid token. Against the real binary: the demo's /api/v1/dev-token (what every browser that
// opens the dashboard gets) is a viewer token that cannot POST or PATCH, while the token of the
// `curl` line the demo prints can; `pulseboard api` with tokens from `pulseboard token`, with and
// without --scope; and the demo's own order feed, which writes through the store, still runs.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SECRET, WRITE_SCOPE, binary, freePort, inheritedEnv, mintToken, startPulseboard, waitFor } from './lib/gateway.mjs';

const run = promisify(execFile);
const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

function client(baseUrl) {
  return async (method, target, token, body) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${baseUrl}${target}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

function assertForbidden(res) {
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'forbidden');
  assert.equal(res.body.error.reason, 'insufficient_scope');
  assert.equal(res.body.error.scope, WRITE_SCOPE);
  assert.match(res.body.error.message, /lacks scope orders:write/);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pulseboard", error="insufficient_scope", scope="orders:write"');
}

// `pulseboard demo` with its own random secret (no JWT_SECRET), on a free port; resolves with
// the token of the curl line it prints once it answers /healthz.
async function startDemo(dir, rate) {
  const port = await freePort();
  const env = { ...inheritedEnv(), LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn' };
  delete env.JWT_SECRET;
  const child = spawn(
    binary,
    ['demo', '--port', String(port), '--rate', String(rate), '--database', `sqlite://${path.join(dir, 'demo.db')}`],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  let printed = '';
  child.stdout.on('data', (chunk) => {
    printed += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return exited;
    const ended = once(child, 'exit');
    child.kill('SIGTERM');
    await ended;
    return exited;
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`pulseboard demo exited early: ${JSON.stringify(exited)}`);
        return (await fetch(`${url}/healthz`)).ok && /Ctrl-C stops it/.test(printed);
      },
      { timeoutMs: 15000, what: `pulseboard demo on ${port} and its curl line` },
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { url, printed: () => printed, stop };
}

describe('pulseboard demo: the dashboard token reads, the printed token writes', { timeout: 60000 }, () => {
  let dir, demo, request, viewer, writer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-write-scope-'));
    demo = await startDemo(dir, 5);
    request = client(demo.url);
    const dev = await request('GET', '/api/v1/dev-token');
    assert.equal(dev.status, 200);
    viewer = dev.body.token;
    // The line the README tells a user to copy.
    const line = /curl -X POST http:\/\/localhost:\d+\/api\/v1\/orders \\\n\s+-H 'Authorization: Bearer ([\w-]+\.[\w-]+\.[\w-]+)'/.exec(demo.printed());
    assert.ok(line, `no curl line with a token in:\n${demo.printed()}`);
    writer = line[1];
  });

  after(async () => {
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands the dashboard a viewer token (no scope claim) and prints a token with scope orders:write', () => {
    assert.equal(claimsOf(viewer).scope, undefined);
    assert.deepEqual(claimsOf(viewer).rooms, ['live-metrics']);
    assert.equal(claimsOf(writer).scope, WRITE_SCOPE);
    assert.deepEqual(claimsOf(writer).rooms, ['live-metrics']);
    assert.match(demo.printed(), /this token has scope orders:write/);
  });

  it('refuses a POST with the dev token: 403 forbidden, nothing written', async () => {
    const category = `viewer-${process.pid}`;
    assertForbidden(await request('POST', '/api/v1/orders', viewer, { amount: 42.5, category, status: 'completed' }));
    const list = await request('GET', `/api/v1/orders?category=${category}`, viewer);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.orders, []);
  });

  it('creates the order with the printed token, and the dev token reads it back', async () => {
    const category = `writer-${process.pid}`;
    const created = await request('POST', '/api/v1/orders', writer, { amount: 42.5, category, status: 'pending' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const read = await request('GET', `/api/v1/orders/${created.body.id}`, viewer);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);

    // PATCH is a write too: refused with the dev token, the order unchanged; done with the other.
    assertForbidden(await request('PATCH', `/api/v1/orders/${created.body.id}`, viewer, { status: 'completed' }));
    assert.deepEqual((await request('GET', `/api/v1/orders/${created.body.id}`, viewer)).body, created.body);
    const patched = await request('PATCH', `/api/v1/orders/${created.body.id}`, writer, { status: 'completed' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.status, 'completed');
  });

  it('still runs its synthetic feed, which writes through the store, not the API', async () => {
    const feed = new Set(['books', 'games', 'garden', 'music', 'tools']);
    await waitFor(
      async () => {
        const list = await request('GET', '/api/v1/orders?limit=200', viewer);
        return list.status === 200 && list.body.orders.filter((o) => feed.has(o.category)).length >= 3;
      },
      { timeoutMs: 10000, what: 'three orders from the feed' },
    );
  });
});

describe('pulseboard api with tokens from `pulseboard token`', { timeout: 60000 }, () => {
  let dir, api, request;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-write-scope-api-'));
    api = await startPulseboard({ role: 'api', env: { DATABASE_URL: `sqlite://${path.join(dir, 'orders.db')}` } });
    request = client(api.url);
  });

  after(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const mint = async (...args) =>
    (await run(binary, ['token', '--secret', SECRET, '--sub', 'cli-user', ...args], { env: inheritedEnv() })).stdout.trim();

  it('mints a viewer token by default: it reads, and writes are 403', async () => {
    const token = await mint();
    assert.equal(claimsOf(token).scope, undefined);
    assert.equal((await request('GET', '/api/v1/orders', token)).status, 200);
    assertForbidden(await request('POST', '/api/v1/orders', token, { amount: 1, category: 'cli' }));
  });

  it('mints a write token with --scope orders:write: it creates and changes orders', async () => {
    const token = await mint('--scope', WRITE_SCOPE);
    assert.equal(claimsOf(token).scope, WRITE_SCOPE);
    const created = await request('POST', '/api/v1/orders', token, { amount: 1, category: 'cli' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const patched = await request('PATCH', `/api/v1/orders/${created.body.id}`, token, { amount: 2 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    // Several scopes are one space-separated claim; orders:write among them is enough.
    const several = await mint('--scope', 'metrics:read', WRITE_SCOPE);
    assert.equal(claimsOf(several).scope, `metrics:read ${WRITE_SCOPE}`);
    assert.equal((await request('POST', '/api/v1/orders', several, { amount: 3, category: 'cli' })).status, 201);
  });

  it('takes the scope claim as an array of strings too, and refuses one of another shape', async () => {
    const array = mintToken({ scope: ['metrics:read', WRITE_SCOPE] });
    assert.equal((await request('POST', '/api/v1/orders', array, { amount: 4, category: 'array' })).status, 201);
    assertForbidden(await request('POST', '/api/v1/orders', mintToken({ scope: ['orders:read'] }), { amount: 4, category: 'array' }));
    const odd = await request('POST', '/api/v1/orders', mintToken({ scope: { 'orders:write': true } }), { amount: 4, category: 'array' });
    assert.equal(odd.status, 401);
    assert.equal(odd.body.error.reason, 'bad_json');
    const list = await request('GET', '/api/v1/orders?category=array', mintToken());
    assert.equal(list.body.orders.length, 1);
  });
});
