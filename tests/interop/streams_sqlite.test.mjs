// A live dashboard over a table the test invents at run time, on SQLite (lib/any_table.mjs): the
// table is created and written by the sqlite3 CLI, another program than Pulseboard, so only the
// outbox triggers the worker installs can see its rows.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import { describeAnyTable } from './lib/any_table.mjs';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-streams-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'data.db');
// The worker may hold the write lock for a moment: the CLI waits for it as the API would.
const sqlite = (sql, ...flags) => run('sqlite3', ['-cmd', '.timeout 10000', ...flags, file, sql]);

describeAnyTable({
  name: 'SQLite',
  databaseUrl: `sqlite://${file}`,
  types: { key: 'INTEGER', text: 'TEXT', number: 'REAL', integer: 'INTEGER' },
  exec: (sql) => sqlite(sql),
  query: async (sql) => {
    const { stdout } = await sqlite(sql, '-noheader', '-separator', '|');
    return stdout.split('\n').filter(Boolean).map((line) => line.split('|'));
  },
});
