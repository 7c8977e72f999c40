// DATABASE_URL with libpq's sslmode (docs/deploy.md#tls): a PostgreSQL that accepts only TLS
// (scripts/lib/postgres.sh pg_start --tls, started here), its certificate signed by a test CA.
// With sslmode=verify-full and that CA the orders API takes an order and the worker's
// replication connection (also over TLS, seen in pg_stat_ssl) publishes it; with another CA
// neither gets in.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { binary, freePort, inheritedEnv, mintWriteToken, repoRoot, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';
import { runToExit } from './lib/tls.mjs';

const run = promisify(execFile);
const PSQL = `${process.env.PG_BIN || '/usr/lib/postgresql/15/bin'}/psql`;

function pgStartTls() {
  const out = execFileSync('bash', ['-c',
    'source scripts/lib/postgres.sh && pg_start --tls >/dev/null && echo "$PG_TEST_DIR" && echo "$PULSEBOARD_DATABASE_URL" && echo "$PG_TLS_OTHER_CA"'],
  { cwd: repoRoot, env: { ...process.env, PG_TEST_DIR: '' } }).toString().trim().split('\n');
  const [dir, url, otherCa] = out;
  return {
    dir, url, otherCa,
    stop: () => execFileSync('bash', ['-c', 'source scripts/lib/postgres.sh && pg_stop'], { cwd: repoRoot, env: { ...process.env, PG_TEST_DIR: dir } }),
  };
}

async function sql(url, query) {
  const { stdout } = await run(PSQL, [url, '-tAc', query]);
  return stdout.trim();
}

// The worker with its health port on; resolves once /healthz answers.
async function startWorker(env, args = []) {
  const port = await freePort();
  const child = spawn(binary, ['worker', '--http-port', String(port), '--lease-ms', '1000', ...args], {
    env: { ...inheritedEnv(), LOG_LEVEL: process.env.PULSEBOARD_LOG_LEVEL || 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (exited) throw new Error(`worker exited early: ${JSON.stringify(exited)}`);
    return (await fetch(`${url}/healthz`)).ok;
  }, { timeoutMs: 60000, what: `worker on ${port}` });
  return {
    url,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe('PostgreSQL over TLS (sslmode=verify-full)', () => {
  let pg, redis, api, worker, sub, dir;
  const published = [];
  before(async () => {
    pg = pgStartTls();
    dir = mkdtempSync(path.join(tmpdir(), 'pulseboard-pg-tls-'));
    redis = await startRedis();
    sub = createClient({ url: redis.url });
    await sub.connect();
    await sub.subscribe('socket-io-bridge', (m) => published.push(m));
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await sub?.quit().catch(() => {});
    await redis?.stop();
    pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses plain connections (the server is TLS only)', async () => {
    const plain = pg.url.replace(/\?.*/, '?sslmode=disable');
    await assert.rejects(sql(plain, 'select 1'), /no encryption/);
  });

  it('lets the API write and the worker follow the replication stream, both over TLS', async () => {
    api = await startPulseboard({ role: 'api', env: { DATABASE_URL: pg.url } });
    worker = await startWorker({ DATABASE_URL: pg.url, REDIS_URL: redis.url, WORKER_STATE_DIR: dir });
    await waitFor(async () => (await fetch(`${worker.url}/readyz`)).status === 200, { timeoutMs: 60000, what: 'worker leading' });
    const res = await fetch(`${api.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${mintWriteToken()}` },
      body: JSON.stringify({ amount: 12.5, category: 'tls-category', status: 'completed' }),
    });
    assert.equal(res.status, 201, await res.text());
    await waitFor(() => published.some((m) => m.includes('tls-category')), { timeoutMs: 60000, what: 'the order published by the worker' });
    const replication = await sql(pg.url,
      "select string_agg(s.ssl::text, ',') from pg_stat_replication r join pg_stat_ssl s using (pid) where r.application_name = 'pulseboard-worker'");
    assert.equal(replication, 'true', 'the worker replication connection uses TLS');
  });

  it('keeps the API and the worker out when DATABASE_URL names another CA', async () => {
    const wrong = pg.url.replace(/sslrootcert=[^&]*/, `sslrootcert=${pg.otherCa}`);
    const apiRun = await runToExit(['api', '--port', String(await freePort())], { DATABASE_URL: wrong });
    assert.notEqual(apiRun.code, 0);
    assert.match(apiRun.output, /certificate verify failed/);
    const other = await startWorker({ DATABASE_URL: wrong, REDIS_URL: redis.url, WORKER_STATE_DIR: path.join(dir, 'wrong') },
      ['--no-leader-election'])
      .catch((e) => e);
    if (other instanceof Error) {
      assert.match(String(other), /exited early/);
    } else {
      try {
        await new Promise((r) => setTimeout(r, 3000));
        assert.notEqual((await fetch(`${other.url}/readyz`)).status, 200);
      } finally {
        await other.stop();
      }
    }
  });
});
