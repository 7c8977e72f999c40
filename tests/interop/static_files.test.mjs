// The built dashboard as the gateway serves it (--static-dir): caching headers, revalidation with
// the ETag, the single-page-app fallback, and paths that try to leave the directory. Requests go
// out through node:http with the path exactly as written (fetch would normalise `..` away).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPulseboard } from './lib/gateway.mjs';

const INDEX = '<!doctype html><html><body><div id="root"></div><script src="/assets/app-abc123.js"></script></body></html>';
const APP_JS = 'console.log("pulseboard dashboard");';
const SECRET = 'outside the static dir: must never be served';
const ETAG = /^"[0-9a-f]{32}"$/;

function request(port, urlPath, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files: the dashboard served by the gateway', () => {
  let tmp;
  let dist;
  let secretFile;
  let gw;
  const get = (p, opts) => request(gw.port, p, opts);

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-static-'));
    dist = path.join(tmp, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'app-abc123.js'), APP_JS);
    writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    secretFile = path.join(tmp, 'secret.txt');
    writeFileSync(secretFile, SECRET);
    symlinkSync(secretFile, path.join(dist, 'assets', 'leak-abc123.js'));
    gw = await startPulseboard({ args: ['--static-dir', dist] });
  });

  after(async () => {
    await gw?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache and a content ETag', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.equal(res.body, INDEX);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.headers.etag ?? '', ETAG);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('answers a revalidation with 304 until the page changes', async () => {
    const { headers } = await get('/');
    const etag = headers.etag;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await get('/', { headers: { 'if-none-match': inm } });
      assert.equal(res.status, 304, `If-None-Match: ${inm}`);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['cache-control'], 'no-cache');
    }
    const stale = await get('/', { headers: { 'if-none-match': '"0000"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body, INDEX);

    // A new build: same name, new bytes, so the old validator no longer matches.
    const rebuilt = INDEX.replace('app-abc123', 'app-def456');
    writeFileSync(path.join(dist, 'index.html'), rebuilt);
    try {
      const res = await get('/', { headers: { 'if-none-match': etag } });
      assert.equal(res.status, 200);
      assert.equal(res.body, rebuilt);
      assert.match(res.headers.etag, ETAG);
      assert.notEqual(res.headers.etag, etag);
    } finally {
      writeFileSync(path.join(dist, 'index.html'), INDEX);
    }
  });

  it('caches hashed assets for a year and revalidates other files', async () => {
    const js = await get('/assets/app-abc123.js');
    assert.equal(js.status, 200);
    assert.equal(js.body, APP_JS);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(js.headers.etag ?? '', ETAG);
    const again = await get('/assets/app-abc123.js', { headers: { 'if-none-match': js.headers.etag } });
    assert.equal(again.status, 304);

    const icon = await get('/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
  });

  it('answers a missing asset with 404, not the page', async () => {
    for (const p of ['/assets/app-000000.js', '/missing.css']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      assert.notEqual(res.body, INDEX);
      assert.equal(JSON.parse(res.body).error.code, 'not_found');
    }
  });

  it('answers a client route with the page (single-page app)', async () => {
    for (const p of ['/orders', '/orders/42/', '/live?tab=categories']) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.equal(res.body, INDEX, p);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
    }
  });

  it('answers an API path no role serves with a JSON 404, not the page', async () => {
    const res = await get('/api/v1/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.body).error.code, 'not_found');
  });

  it('refuses paths that try to leave the directory', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/.%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/./index.html',
      `/${secretFile}`, // `//tmp/...`: an empty first segment would make the path absolute
      '/assets//app-abc123.js',
      '/%00index.html',
    ];
    for (const p of attempts) {
      const res = await get(p);
      assert.equal(res.status, 400, `${p}: ${res.status} ${res.body}`);
      assert.equal(JSON.parse(res.body).error.code, 'bad_path', p);
      assert.ok(!res.body.includes(SECRET), p);
    }
  });

  it('does not follow a symlink out of the directory', async () => {
    const res = await get('/assets/leak-abc123.js');
    assert.equal(res.status, 404);
    assert.ok(!res.body.includes(SECRET));
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const res = await get('/', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(INDEX)));
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers.etag, (await get('/')).headers.etag);
    const js = await get('/assets/app-abc123.js', { method: 'HEAD' });
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('sends no body after a HEAD answer, so the next response on the connection is intact', async () => {
    // node:http never reads a body after HEAD; a raw socket sees what is really on the wire.
    const socket = net.connect(gw.port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.end(
      'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' +
        'HEAD /assets/app-000000.js HTTP/1.1\r\nHost: t\r\n\r\n' +
        'GET /favicon.svg HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    );
    await once(socket, 'close');
    const wire = Buffer.concat(chunks).toString();
    const responses = wire.split('\r\n\r\n');
    assert.match(responses[0], /^HTTP\/1\.1 200 /);
    assert.match(responses[1], /^HTTP\/1\.1 404 /);
    assert.match(responses[2], /^HTTP\/1\.1 200 /, `third response on the wire: ${JSON.stringify(responses[2])}`);
    assert.match(responses[3], /^<svg /);
  });

  it('refuses other methods with 405 and Allow', async () => {
    const res = await get('/', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });
});
