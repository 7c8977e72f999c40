// The data path (lib/data_path.mjs) on PostgreSQL: the worker follows logical replication
// (pgoutput). Needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL 15 with
// wal_level=logical); the restart tests also need PG_TEST_DIR (the server scripts/test started,
// which they restart with pg_ctl).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeDataPath } from './lib/data_path.mjs';

const run = promisify(execFile);
const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;
const dataDir = process.env.PG_TEST_DIR && `${process.env.PG_TEST_DIR}/data`;
const pgCtl = `${process.env.PG_BIN || '/usr/lib/postgresql/15/bin'}/pg_ctl`;

// pg_ctl restart keeps the server's options (postmaster.opts); as root it runs as postgres. The
// log file keeps the server off pg_ctl's stdout, which would otherwise stay open.
async function restartDatabase(mode) {
  const log = `${process.env.PG_TEST_DIR}/server.log`;
  const args = ['-D', dataDir, '-l', log, '-m', mode, '-w', '-t', '60', 'restart'];
  const asRoot = process.getuid() === 0;
  await run(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args);
}

describeDataPath({
  name: 'PostgreSQL',
  databaseUrl,
  eventIdPrefix: 'postgres:',
  skip: databaseUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL)',
  restartDatabase: dataDir ? restartDatabase : undefined,
});
