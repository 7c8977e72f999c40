// The dashboard in headless Chromium says `Delayed` within seconds while the pipeline behind its
// gateway is stuck (docs/operations.md): separate redis-server, `pulseboard worker` (SQLite,
// a canary every 500 ms) and `pulseboard gateway` (serving web/dist, stale after 4 s). The worker
// is frozen with SIGSTOP: the badge turns `Delayed for N s`; SIGCONT: back to `Syncing Live`.
// The same on a second gateway whose dashboards come from a stream file (examples/signups.toml):
// every declared dashboard says `Delayed`, not only the built-in orders one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openPage } from './lib/browser.mjs';
import { binary, ensureDashboardBuilt, freePort, repoRoot, webDir, waitFor } from './lib/demo.mjs';

const SECRET = 'e2e-delivery-secret-of-at-least-32-bytes';
const STALE_AFTER_MS = 4000;

function viewerToken() {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'e2e', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const badge = (page) =>
  page.evaluate(() => {
    const el = document.querySelector('[data-testid="connection-state"]');
    return el ? { state: el.dataset.state, delayed: el.dataset.delayed, text: el.textContent } : null;
  });

describe('the dashboard while the pipeline is stuck', () => {
  let tmp, redis, worker, gateway, streamGateway, browser, page, consoleErrors, url, streamUrl;

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-delayed-'));
    const redisPort = await freePort();
    redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = start(binary, ['gateway', '--port', String(port), '--static-dir', path.join(webDir, 'dist'),
      '--delivery-stale-after-ms', String(STALE_AFTER_MS)], { REDIS_URL: redisUrl, JWT_SECRET: SECRET });
    const streamPort = await freePort();
    streamUrl = `http://127.0.0.1:${streamPort}`;
    streamGateway = start(binary, ['gateway', '--port', String(streamPort), '--static-dir', path.join(webDir, 'dist'),
      '--config', path.join(repoRoot, 'examples', 'signups.toml'), '--delivery-stale-after-ms', String(STALE_AFTER_MS)],
      { REDIS_URL: redisUrl, JWT_SECRET: SECRET });
    worker = start(binary, ['worker', '--no-leader-election', '--canary-interval-ms', '500'],
      { REDIS_URL: redisUrl, DATABASE_URL: `sqlite://${path.join(tmp, 'orders.db')}` });
    for (const at of [url, streamUrl])
      await waitFor(async () => {
        const h = await (await fetch(`${at}/health/delivery`)).json();
        return h.status === 'ok' && h.canary_seen;
      }, { timeoutMs: 60000, intervalMs: 200, what: `the gateway at ${at} to see canaries` });
    browser = await launchChromium();
    const token = viewerToken();
    ({ page, consoleErrors } = await openPage(browser, {
      initScript: `window.localStorage.setItem('pulseboard.token', ${JSON.stringify(token)});`,
    }));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([worker?.stop(), gateway?.stop(), streamGateway?.stop()]);
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function delayedThenLive() {
    await waitFor(async () => (await badge(page))?.text === 'Syncing Live', { timeoutMs: 20000, what: 'Syncing Live' });

    worker.child.kill('SIGSTOP');
    await waitFor(async () => (await badge(page))?.delayed === 'true', {
      timeoutMs: 30000, intervalMs: 200, what: 'the badge to say Delayed' });
    const delayed = await badge(page);
    assert.equal(delayed.state, 'connected', 'the socket itself is fine');
    assert.match(delayed.text, /^Delayedfor \d+ s$/);
    assert.ok(Number(delayed.text.match(/(\d+) s/)[1]) >= STALE_AFTER_MS / 1000, delayed.text);

    worker.child.kill('SIGCONT');
    await waitFor(async () => (await badge(page))?.text === 'Syncing Live', {
      timeoutMs: 30000, intervalMs: 200, what: 'the badge to recover' });
  }

  it('shows Delayed while the worker is frozen, and Syncing Live once it runs again', async () => {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await delayedThenLive();
    assert.deepEqual(consoleErrors, []);
  });

  it('says the same on a dashboard a stream file declares', async () => {
    await page.goto(`${streamUrl}/#dashboard=signups`, { waitUntil: 'domcontentloaded' });
    await waitFor(async () => page.evaluate(() =>
      document.querySelector('[data-testid="stream-dashboard"]')?.dataset.stream === 'signups'),
    { timeoutMs: 20000, what: 'the Sign-ups dashboard' });
    await delayedThenLive();
    assert.deepEqual(consoleErrors, []);
  });
});
