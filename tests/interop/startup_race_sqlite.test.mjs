// An API, a worker and a gateway started at the same instant on a fresh SQLite file (the way a
// compose file or a supervisor starts them), ten times over: every role must come up ready.
// Before, the API and the worker raced to switch the new file to WAL and create its tables, and
// the loser could exit with "cannot open SQLite database '...': database is locked": SQLite
// answers SQLITE_BUSY at once, without waiting out busy_timeout, when waiting could deadlock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRET, binary, freePort, inheritedEnv, mintWriteToken, waitFor } from './lib/gateway.mjs';
import { startRedis } from './lib/redis.mjs';

// STARTUP_RACE_ROUNDS: more rounds, to measure how often a build loses the race.
const ROUNDS = Number(process.env.STARTUP_RACE_ROUNDS || 10);

// Spawns a role now (no await before the spawn, so the three start together) and keeps its log.
function launch(role, args, env) {
  const child = spawn(binary, [role, ...args], {
    env: { ...inheritedEnv(), JWT_SECRET: SECRET, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = { role, child, log: '', exited: null };
  child.stdout.on('data', (c) => (p.log += c));
  child.stderr.on('data', (c) => (p.log += c));
  child.on('exit', (code, signal) => (p.exited = { code, signal }));
  p.stop = async () => {
    if (p.exited) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    await gone;
  };
  return p;
}

const ok = async (url) => (await fetch(url)).ok;

describe('roles started together on a fresh SQLite file', () => {
  let redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  // One test per round (each within the runner's per-test timeout); every one must pass.
  for (let round = 1; round <= ROUNDS; ++round) {
    it(`round ${round}/${ROUNDS}: API, worker and gateway started at once all come up ready`, async (t) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-startup-race-'));
      const databaseUrl = `sqlite://${path.join(dir, 'orders.db')}`;
      const [apiPort, workerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
      const procs = [
        launch('api', ['--port', String(apiPort)], { DATABASE_URL: databaseUrl }),
        launch('worker', ['--http-port', String(workerPort)], { DATABASE_URL: databaseUrl, REDIS_URL: redis.url }),
        launch('gateway', ['--port', String(gatewayPort)], { REDIS_URL: redis.url }),
      ];
      const worker = procs[1];
      const alive = () => {
        const dead = procs.find((p) => p.exited);
        if (dead) throw new Error(`${dead.role} exited ${JSON.stringify(dead.exited)}: ${dead.log.trim().split('\n').slice(-2).join(' | ')}`);
      };
      try {
        await waitFor(
          async () => {
            alive();
            if (!(await ok(`http://127.0.0.1:${apiPort}/healthz`))) return false;
            if (!(await ok(`http://127.0.0.1:${gatewayPort}/readyz`))) return false;
            if (!(await ok(`http://127.0.0.1:${workerPort}/readyz`))) return false;
            return /sqlite source started/.test(worker.log);
          },
          { timeoutMs: 90000, intervalMs: 100, what: 'api, worker and gateway ready' },
        ).catch((e) => {
          alive(); // a role that exited is the finding; say which and why
          throw e;
        });
        // Ready means the API writes: an order lands in the file the worker follows.
        const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${mintWriteToken()}` },
          body: JSON.stringify({ amount: 1, category: 'startup-race' }),
        });
        assert.equal(res.status, 201, await res.text());
        alive();
      } finally {
        const waits = procs.reduce((n, p) => n + (p.log.match(/is busy while/g)?.length ?? 0), 0);
        t.diagnostic(`${waits} logged busy waits`);
        await Promise.all(procs.map((p) => p.stop()));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
