// The worker checks a stream file against the database before it starts anything
// (docs/streams.md, "Start-up checks"): a table the database does not have, or a column the
// pipeline names that the table does not have, is reported as `file:line:column: key path:
// reason` and the worker exits 1. On SQLite always; on PostgreSQL with PULSEBOARD_DATABASE_URL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startWorker, streamFile, tableNames } from './lib/any_table.mjs';
import { startRedis } from './lib/redis.mjs';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-streams-checks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const stores = [
  {
    name: 'SQLite',
    databaseUrl: `sqlite://${path.join(dir, 'data.db')}`,
    exec: (sql) => run('sqlite3', [path.join(dir, 'data.db'), sql]),
  },
  {
    name: 'PostgreSQL',
    skip: process.env.PULSEBOARD_DATABASE_URL ? false : 'needs PULSEBOARD_DATABASE_URL',
    databaseUrl: process.env.PULSEBOARD_DATABASE_URL,
    exec: (sql) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', process.env.PULSEBOARD_DATABASE_URL, '-c', sql]),
  },
];

for (const store of stores) {
  describe(`the worker refuses a stream file the ${store.name} database does not match`, { skip: store.skip }, () => {
    let redis;
    const refused = async (n, file) => {
      redis ??= await startRedis();
      const configFile = path.join(dir, `${n.suffix}.toml`);
      writeFileSync(configFile, file);
      const worker = startWorker({ configFile, databaseUrl: store.databaseUrl, redisUrl: redis.url });
      const exit = await worker.wait();
      assert.deepEqual(exit, { code: 1, signal: null }, worker.log);
      assert.doesNotMatch(worker.log, /source started|became the leader/, 'nothing started');
      return { configFile, log: worker.log };
    };
    after(async () => redis?.stop());

    it('refuses a table that does not exist, naming the file, line, key path and table', async () => {
      const n = tableNames();
      const { configFile, log } = await refused(n, streamFile(n));
      // `source` is on the file's third line, its value at column 10.
      assert.match(log, new RegExp(`${configFile}:3:10: stream\\[0\\]\\.source: table '${n.table}' does not exist`));
    });

    it('refuses a column the pipeline names that the table does not have', async () => {
      const n = tableNames();
      await store.exec(`CREATE TABLE ${n.table} (${n.key} bigint PRIMARY KEY, ${n.group} text, ${n.amount} real, ${n.at} bigint);`);
      try {
        const { configFile, log } = await refused(n, streamFile(n)); // no column kind_<suffix>
        assert.match(log, new RegExp(`${configFile}:8:12: stream\\[0\\]\\.pipeline: table '${n.table}' has no column '${n.kind}'`));
      } finally {
        await store.exec(`DROP TABLE ${n.table};`);
      }
    });
  });
}
