// The PostgreSQL server scripts/test started (scripts/lib/postgres.sh: PG_TEST_DIR), for tests
// that restart it. restartDatabase is undefined where the test cannot restart the server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dataDir = process.env.PG_TEST_DIR && `${process.env.PG_TEST_DIR}/data`;
const pgCtl = `${process.env.PG_BIN || '/usr/lib/postgresql/15/bin'}/pg_ctl`;

// pg_ctl restart keeps the server's options (postmaster.opts); as root it runs as postgres. The
// log file keeps the server off pg_ctl's stdout, which would otherwise stay open.
async function restart(mode) {
  const log = `${process.env.PG_TEST_DIR}/server.log`;
  const args = ['-D', dataDir, '-l', log, '-m', mode, '-w', '-t', '60', 'restart'];
  const asRoot = process.getuid() === 0;
  await run(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args);
}

export const restartDatabase = dataDir ? restart : undefined;
