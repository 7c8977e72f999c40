// A live dashboard over a table the test invents at run time (docs/streams.md, "Your own
// table"): its name and columns carry a random suffix, so nothing in the sources knows them. The
// test creates the table with the database's own CLI, writes a stream file from the documented
// format, runs `pulseboard worker --config` and `pulseboard gateway --config` over the database,
// writes rows with the CLI, and checks what a real socket.io-client sees: each kept row as the
// declared event, and a retained snapshot whose aggregates equal the SQL GROUP BY over the same
// window, also after the worker was killed with SIGKILL (and, where the test can, after the
// database restarted). The store-specific files call describeAnyTable() with their CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { binary, freePort, inheritedEnv, mintToken, nextEvent, startPulseboard, waitFor } from './gateway.mjs';
import { startRedis } from './redis.mjs';

// The names of one run: nothing outside this test knows them.
export function tableNames() {
  const suffix = randomBytes(4).toString('hex');
  return {
    suffix,
    table: `t_${suffix}`,
    key: `k_${suffix}`,
    group: `grp_${suffix}`,
    amount: `amt_${suffix}`,
    at: `at_${suffix}`,
    kind: `kind_${suffix}`,
    room: `room-${suffix}`,
    event: `row-${suffix}`,
    snapshotEvent: `rows-${suffix}-snapshot`,
  };
}

// The stream file, written from docs/streams.md: rows of kind 'keep' only, projected under new
// names, counted per second over 5 minutes: count, sum and max of the amount, per group.
export function streamFile(n) {
  return `[[stream]]
name = "s_${n.suffix}"
source = "${n.table}"
key = "id"
rooms = ["${n.room}"]
event = "${n.event}"
snapshot_event = "${n.snapshotEvent}"
pipeline = '''
[{"$match": {"operationType": {"$in": ["insert", "update"]}, "fullDocument.${n.kind}": "keep"}},
 {"$project": {"id": "$fullDocument.${n.key}", "grp": "$fullDocument.${n.group}",
               "amt": "$fullDocument.${n.amount}", "time": "$fullDocument.${n.at}"}}]
'''

[stream.aggregate]
time = "time"
interval = "1s"
window = "5m"
recent = 5

[[stream.aggregate.measure]]
name = "rows"
op = "count"

[[stream.aggregate.measure]]
name = "total"
op = "sum"
field = "amt"

[[stream.aggregate.measure]]
name = "largest"
op = "max"
field = "amt"

[stream.aggregate.group]
field = "grp"
list = "groups"
top = 50
rank_by = "total"
`;
}

export function startWorker({ configFile, databaseUrl, redisUrl, httpPort = 0 }) {
  const args = ['worker', '--no-leader-election', '--config', configFile, '--http-port', String(httpPort)];
  const child = spawn(binary, args, {
    env: { ...inheritedEnv(), DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { child, log: '', exited: null, url: `http://127.0.0.1:${httpPort}` };
  const collect = (chunk) => (w.log += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exit = once(child, 'exit').then(([code, signal]) => (w.exited = { code, signal }));
  w.wait = () => exit;
  w.kill = async (signal) => {
    if (w.exited) return w.exited;
    child.kill(signal);
    return exit;
  };
  return w;
}

// store: { name, databaseUrl, types: {key, text, number, integer}, exec(sql), query(sql) -> rows of
// string arrays, restartDatabase?(mode), rowFilter?(table) -> the publication's filter, skip }
export function describeAnyTable(store) {
  describe(`a live dashboard over a table chosen at run time, on ${store.name}`, { skip: store.skip }, () => {
    const n = tableNames();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-any-table-'));
    const configFile = path.join(dir, 'streams.toml');
    let redis, gw, worker, live;
    const seen = new Map(); // key -> the last event data for it
    let nextKey = 1;
    const token = mintToken({ rooms: [n.room] });

    // Rows of kind 'keep' (shown) and 'skip' (filtered by the pipeline), some outside the window.
    const insert = async (count, { kind = 'keep', ageMs = () => Math.floor(Math.random() * 60000) } = {}) => {
      const keys = [];
      const values = [];
      for (let i = 0; i < count; i++) {
        const key = nextKey++;
        keys.push(key);
        const group = ['north', 'south', 'east', "o'west"][key % 4];
        const amount = (key % 7) * 2.5 + 1;
        values.push(`(${key}, '${group.replace("'", "''")}', ${amount}, ${Date.now() - ageMs()}, '${kind}')`);
      }
      await store.exec(
        `INSERT INTO ${n.table} (${n.key}, ${n.group}, ${n.amount}, ${n.at}, ${n.kind}) VALUES ${values.join(', ')};`,
      );
      return keys;
    };

    // The SQL answer over the snapshot's window: the same rows, grouped.
    const sqlAggregates = async (from) => {
      const rows = await store.query(
        `SELECT ${n.group}, count(*), sum(${n.amount}), max(${n.amount}) FROM ${n.table} ` +
          `WHERE ${n.kind} = 'keep' AND ${n.at} >= ${from} GROUP BY ${n.group} ORDER BY ${n.group};`,
      );
      const groups = rows.map(([grp, count, sum, max]) => ({ grp, rows: Number(count), total: Number(sum), largest: Number(max) }));
      const totals = {
        rows: groups.reduce((a, g) => a + g.rows, 0),
        total: groups.reduce((a, g) => a + g.total, 0),
        largest: groups.length ? Math.max(...groups.map((g) => g.largest)) : null,
      };
      return { totals, groups };
    };

    // The retained snapshot a dashboard opened now gets on joining the room.
    const freshSnapshot = async () => {
      const viewer = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      try {
        await nextEvent(viewer, 'connect', 30000);
        const snapshot = nextEvent(viewer, n.snapshotEvent, 10000);
        const reply = await viewer.timeout(10000).emitWithAck('subscribe', [n.room]);
        assert.deepEqual(reply.joined, [n.room]);
        return (await snapshot)[0];
      } finally {
        viewer.disconnect();
      }
    };

    const snapshotEqualsSql = async (what) => {
      let last;
      try {
        await waitFor(
          async () => {
            const snapshot = await freshSnapshot().catch(() => null);
            if (!snapshot) return false;
            const sql = await sqlAggregates(snapshot.series[0].start);
            const groups = [...snapshot.groups]
              .map((g) => ({ grp: g.grp, rows: g.rows, total: g.total, largest: g.largest }))
              .sort((a, b) => (a.grp < b.grp ? -1 : a.grp > b.grp ? 1 : 0));
            last = { snapshot: { totals: snapshot.totals, groups }, sql };
            return sql.totals.rows > 0 && JSON.stringify(last.snapshot) === JSON.stringify(sql);
          },
          { timeoutMs: 60000, intervalMs: 1000, what: `the snapshot to equal SQL GROUP BY ${what}` },
        );
      } catch (e) {
        throw new Error(`${e.message}: last ${JSON.stringify(last)}\nworker log:\n${worker?.log.slice(-4000)}`);
      }
      return last;
    };

    const startStreaming = async () => {
      const httpPort = await freePort();
      worker = startWorker({ configFile, databaseUrl: store.databaseUrl, redisUrl: redis.url, httpPort });
      await waitFor(() => /source started/.test(worker.log), {
        timeoutMs: 60000,
        what: 'the worker streaming',
        abort: () => worker.exited && `worker exited ${JSON.stringify(worker.exited)}:\n${worker.log}`,
      });
    };

    before(async () => {
      const t = store.types;
      await store.exec(
        `CREATE TABLE ${n.table} (${n.key} ${t.key} PRIMARY KEY, ${n.group} ${t.text}, ` +
          `${n.amount} ${t.number}, ${n.at} ${t.integer}, ${n.kind} ${t.text});`,
      );
      writeFileSync(configFile, streamFile(n));
      redis = await startRedis();
      gw = await startPulseboard({ args: ['--config', configFile], env: { REDIS_URL: redis.url } });
      await startStreaming();
      live = io(gw.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      live.on(n.event, (data) => seen.set(data.id, data));
      await nextEvent(live, 'connect', 30000);
      assert.deepEqual((await live.timeout(10000).emitWithAck('subscribe', [n.room])).joined, [n.room]);
    });

    after(async () => {
      live?.disconnect();
      await worker?.kill('SIGTERM');
      await gw?.stop();
      await redis?.stop();
      await store.exec(`DROP TABLE IF EXISTS ${n.table};`).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });

    it('delivers each kept row as the declared event, and a snapshot equal to SQL GROUP BY', async () => {
      const kept = await insert(40);
      const skipped = await insert(10, { kind: 'skip' });
      const old = await insert(5, { ageMs: () => 3600 * 1000 }); // shown, but outside the window
      await waitFor(() => [...kept, ...old].every((k) => seen.has(k)), {
        timeoutMs: 30000,
        what: 'every kept row on the socket',
      });
      const row = seen.get(kept[0]);
      assert.deepEqual(Object.keys(row).sort(), ['amt', 'committedAt', 'eventId', 'grp', 'id', 'publishedAt', 'time']);
      assert.equal(row.amt, (kept[0] % 7) * 2.5 + 1);
      assert.ok(skipped.every((k) => !seen.has(k)), 'rows the pipeline drops are not delivered');
      const { snapshot } = await snapshotEqualsSql('after the first rows');
      assert.equal(snapshot.totals.rows, 40, 'the rows outside the window are not counted');
      // The stream's own counters: 45 rows went into its aggregates, 5 of them older than the window.
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`^pulseboard_worker_stream_rows_applied_total\\{stream="s_${n.suffix}"\\} 45$`, 'm'));
      assert.match(metrics, new RegExp(`^pulseboard_worker_stream_rows_late_total\\{stream="s_${n.suffix}"\\} 5$`, 'm'));
    });

    it('pushes the stream\'s filter down as the table\'s row filter', { skip: !store.rowFilter && 'no row filters here' }, async () => {
      // Rows the pipeline drops never leave the server: the publication filters them.
      assert.equal(await store.rowFilter(n.table), `(${n.kind} = 'keep'::text)`);
    });

    it('stays equal to SQL GROUP BY after the worker is killed with SIGKILL (replay counted once)', async () => {
      await insert(20);
      await waitFor(() => seen.size >= 65, { timeoutMs: 30000, what: 'the second rows on the socket' });
      const killed = await worker.kill('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');
      await insert(15); // written while no worker runs
      await startStreaming();
      await insert(5);
      const { snapshot } = await snapshotEqualsSql('after the worker restarted');
      assert.equal(snapshot.totals.rows, 80);
    });

    it('stays equal to SQL GROUP BY after the database restarts', { skip: !store.restartDatabase && 'the test cannot restart this database' }, async () => {
      await insert(10);
      await store.restartDatabase('fast');
      await insert(10);
      const { snapshot } = await snapshotEqualsSql('after the database restarted');
      assert.equal(snapshot.totals.rows, 100);
    });
  });
}
