// A live dashboard over a table the test invents at run time, on PostgreSQL (lib/any_table.mjs):
// the table is created and written by psql; the worker publishes it in its one publication with
// the stream's row filter and reads it from the one slot. Its aggregates equal SQL GROUP BY after
// a worker SIGKILL and after a PostgreSQL restart. Needs PULSEBOARD_DATABASE_URL and PG_TEST_DIR
// (scripts/test starts the server).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeAnyTable } from './lib/any_table.mjs';
import { restartDatabase } from './lib/postgres.mjs';

const run = promisify(execFile);
const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;
const psql = (sql, ...flags) => run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-q', ...flags, databaseUrl, '-c', sql]);

describeAnyTable({
  name: 'PostgreSQL',
  skip: databaseUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test)',
  databaseUrl,
  types: { key: 'bigint', text: 'text', number: 'double precision', integer: 'bigint' },
  exec: (sql) => psql(sql),
  query: async (sql) => {
    const { stdout } = await psql(sql, '-At', '-F', '|');
    return stdout.split('\n').filter(Boolean).map((line) => line.split('|'));
  },
  restartDatabase,
  rowFilter: async (table) => {
    const { stdout } = await psql(
      `SELECT rowfilter FROM pg_publication_tables WHERE pubname = 'pulseboard_orders' AND tablename = '${table}'`,
      '-At',
    );
    return stdout.trim();
  },
});
