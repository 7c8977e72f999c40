// The shipped second example, examples/signups.toml, exactly as a user runs it: a `signups` table
// (id, plan, country, mrr_cents, created_at) written by the database's own CLI, `pulseboard worker
// --config examples/signups.toml` and `pulseboard gateway` with the same file, and a real
// socket.io-client in the example's room. Each sign-up arrives as `signup`, and the retained
// `signups-snapshot` a new viewer gets equals SQL over the same rows: the count, the MRR sum and
// average, and the per-plan list. On SQLite (sqlite3 CLI, ISO-8601 text times) and on PostgreSQL
// (psql, timestamptz) when scripts/test started one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { freePort, mintToken, nextEvent, repoRoot, startPulseboard, waitFor } from './lib/gateway.mjs';
import { startWorker } from './lib/any_table.mjs';
import { startRedis } from './lib/redis.mjs';

const run = promisify(execFile);
const example = path.join(repoRoot, 'examples', 'signups.toml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-signups-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sqliteFile = path.join(dir, 'app.db');
const sqlite = (sql, ...flags) => run('sqlite3', ['-cmd', '.timeout 10000', ...flags, sqliteFile, sql]);
const pgUrl = process.env.PULSEBOARD_DATABASE_URL;
const psql = (sql, ...flags) => run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-q', ...flags, pgUrl, '-c', sql]);

const PLANS = ['free', 'pro', 'team'];
const signup = (id) => ({ id, plan: PLANS[id % 3], country: ['DE', 'US', 'BR', 'JP'][id % 4], mrr: (id % 3) * 2900 + id });

const stores = [
  {
    name: 'SQLite',
    databaseUrl: `sqlite://${sqliteFile}`,
    create: 'CREATE TABLE signups (id INTEGER PRIMARY KEY, plan TEXT NOT NULL, country TEXT, ' +
      'mrr_cents INTEGER NOT NULL, created_at TEXT NOT NULL);',
    now: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    exec: (sql) => sqlite(sql),
    query: async (sql) => (await sqlite(sql, '-noheader', '-separator', '|')).stdout,
  },
  {
    name: 'PostgreSQL',
    skip: pgUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test)',
    databaseUrl: pgUrl,
    create: 'DROP TABLE IF EXISTS signups; CREATE TABLE signups (id bigint PRIMARY KEY, plan text NOT NULL, ' +
      'country text, mrr_cents bigint NOT NULL, created_at timestamptz NOT NULL);',
    now: 'now()',
    exec: (sql) => psql(sql),
    query: async (sql) => (await psql(sql, '-At', '-F', '|')).stdout,
    cleanup: () => psql('DROP TABLE IF EXISTS signups;'),
  },
];

for (const store of stores) {
  describe(`examples/signups.toml on ${store.name}`, { skip: store.skip, timeout: 180000 }, () => {
    let redis, gw, worker, live;
    const seen = new Map();
    const token = mintToken({ rooms: ['signups'] });

    before(async () => {
      await store.exec(store.create);
      redis = await startRedis();
      gw = await startPulseboard({ args: ['--config', example], env: { REDIS_URL: redis.url } });
      worker = startWorker({ configFile: example, databaseUrl: store.databaseUrl, redisUrl: redis.url, httpPort: await freePort() });
      await waitFor(() => /source started/.test(worker.log), {
        timeoutMs: 60000,
        what: 'the worker streaming',
        abort: () => worker.exited && `worker exited ${JSON.stringify(worker.exited)}:\n${worker.log}`,
      });
      live = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      live.on('signup', (data) => seen.set(Number(data.id), data));
      await nextEvent(live, 'connect', 30000);
      assert.deepEqual((await live.timeout(10000).emitWithAck('subscribe', ['signups'])).joined, ['signups']);
    });

    after(async () => {
      live?.disconnect();
      await worker?.kill('SIGTERM');
      await gw?.stop();
      await redis?.stop();
      await store.cleanup?.().catch(() => {});
    });

    it('delivers each sign-up and a snapshot equal to SQL over the same rows', async () => {
      const rows = Array.from({ length: 12 }, (_, i) => signup(i + 1));
      const values = rows.map((r) => `(${r.id}, '${r.plan}', '${r.country}', ${r.mrr}, ${store.now})`);
      await store.exec(`INSERT INTO signups (id, plan, country, mrr_cents, created_at) VALUES ${values.join(', ')};`);
      await waitFor(() => rows.every((r) => seen.has(r.id)), { timeoutMs: 30000, what: 'every sign-up on the socket' });
      const first = seen.get(1);
      assert.equal(first.plan, 'pro');
      assert.equal(first.mrr, 2901);

      const sql = (await store.query('SELECT plan, count(*), sum(mrr_cents) FROM signups GROUP BY plan ORDER BY plan;'))
        .trim().split('\n').map((l) => l.split('|')).map(([plan, count, sum]) => ({ plan, signups: Number(count), mrr: Number(sum) }));
      const total = sql.reduce((a, p) => ({ signups: a.signups + p.signups, mrr: a.mrr + p.mrr }), { signups: 0, mrr: 0 });

      // What a dashboard opened now is given on joining the room: the retained snapshot.
      let last;
      await waitFor(async () => {
        const viewer = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
        try {
          await nextEvent(viewer, 'connect', 30000);
          const snapshot = nextEvent(viewer, 'signups-snapshot', 10000);
          await viewer.timeout(10000).emitWithAck('subscribe', ['signups']);
          last = (await snapshot)[0];
        } catch {
          return false;
        } finally {
          viewer.disconnect();
        }
        return last.totals.signups === total.signups;
      }, { timeoutMs: 60000, intervalMs: 1000, what: `a snapshot counting ${total.signups} sign-ups` });
      assert.equal(last.totals.mrr, total.mrr);
      assert.ok(Math.abs(last.totals.avgMrr - total.mrr / total.signups) < 1e-9, `avgMrr ${last.totals.avgMrr}`);
      const plans = last.plans.map((p) => ({ plan: p.plan, signups: p.signups, mrr: p.mrr }))
        .sort((a, b) => a.plan.localeCompare(b.plan));
      assert.deepEqual(plans, sql);
      assert.equal(last.recent.length, 12);
    });
  });
}
