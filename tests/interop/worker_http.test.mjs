// The worker's operator port (--http-port, docs/worker.md "Health and metrics"): an api and two
// workers on one temp SQLite database and one Redis. The leader's /metrics counts the completed
// orders it published and /readyz says "leader"; the second worker says "standby" and leader 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binary, freePort, inheritedEnv, mintWriteToken, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-worker-http-'));
const databaseUrl = `sqlite://${path.join(dir, 'orders.db')}`;

async function startWorker(redisUrl, name) {
  const port = await freePort();
  const child = spawn(binary, ['worker', '--lease-ms', '1000'], {
    env: {
      ...inheritedEnv(),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      WORKER_HTTP_PORT: String(port), // the environment form of --http-port
      WORKER_STATE_DIR: path.join(dir, name),
      LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (exited) throw new Error(`worker ${name} exited early: ${JSON.stringify(exited)}`);
    return (await fetch(`${url}/healthz`)).ok;
  }, { what: `worker ${name} on ${port}` });
  return {
    url,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

// name -> value of the unlabelled samples; HELP and TYPE lines kept for the format checks.
async function scrape(url) {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const text = await res.text();
  const samples = new Map();
  for (const line of text.split('\n')) {
    const m = /^(pulseboard_worker_\w+) (\S+)$/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return { text, samples };
}

const readyz = async (url) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: await res.json() };
};

describe('worker health and metrics port', () => {
  let redis, api, leader, standby;

  before(async () => {
    [redis, api] = await Promise.all([
      startRedis(),
      startPulseboard({ role: 'api', env: { DATABASE_URL: databaseUrl } }),
    ]);
    leader = await startWorker(redis.url, 'a');
    await waitFor(async () => (await readyz(leader.url)).body.status === 'leader', {
      what: 'the first worker leading',
    });
    standby = await startWorker(redis.url, 'b');
  });

  after(async () => {
    await Promise.all([leader?.stop(), standby?.stop(), api?.stop()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the leader counts what it published and says it leads', async () => {
    const token = mintWriteToken();
    // A pending order, committed first, is not published (the pipeline's $match): were it
    // counted, the count would pass 3 by the time the last completed order is counted.
    const pending = await fetch(`${api.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ amount: 5, category: 'http', status: 'pending' }),
    });
    assert.equal(pending.status, 201);

    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${api.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ amount: 10 + i, category: 'http', status: 'completed' }),
      });
      assert.equal(res.status, 201);
    }
    await waitFor(async () => (await scrape(leader.url)).samples.get('pulseboard_worker_published_total') >= 3, {
      what: 'three published updates on /metrics',
    });
    const { text, samples } = await scrape(leader.url);
    assert.equal(samples.get('pulseboard_worker_published_total'), 3, text);
    assert.equal(samples.get('pulseboard_worker_leader'), 1, text);
    for (const name of [
      'pulseboard_worker_snapshots_total',
      'pulseboard_worker_rebuilds_total',
      'pulseboard_worker_resnapshots_total',
      'pulseboard_worker_publish_retries_total',
    ])
      assert.ok(Number.isInteger(samples.get(name)) && samples.get(name) >= 0, `${name} in\n${text}`);
    assert.match(text, /^# TYPE pulseboard_worker_published_total counter$/m);
    assert.match(text, /^# HELP pulseboard_worker_leader .+$/m);
    assert.match(text, /^# TYPE pulseboard_worker_leader gauge$/m);
    // Something was published, so the lag is known; the orders were committed seconds ago.
    const lag = samples.get('pulseboard_worker_lag_seconds');
    assert.ok(lag >= 0 && lag < 30, `lag ${lag} in\n${text}`);

    const health = await fetch(`${leader.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.deepEqual(await readyz(leader.url), { status: 200, body: { status: 'leader' } });
  });

  it('a second worker on the same database and Redis is a ready standby', async () => {
    assert.deepEqual(await readyz(standby.url), { status: 200, body: { status: 'standby' } });
    const { text, samples } = await scrape(standby.url);
    assert.equal(samples.get('pulseboard_worker_leader'), 0, text);
    assert.equal(samples.get('pulseboard_worker_published_total'), 0, text);
    // It never published: no commit time to measure a lag from.
    assert.equal(samples.has('pulseboard_worker_lag_seconds'), false, text);
    // The leader still leads.
    assert.equal((await scrape(leader.url)).samples.get('pulseboard_worker_leader'), 1);
  });
});
