// The delivery canary (lib/delivery_canary.mjs) on PostgreSQL: a transactional logical decoding
// message. The stall between the database and a live worker: the walsender serving the worker's
// slot is frozen (SIGSTOP), so the worker keeps running, writes canaries, and none comes back.
// A table dropped from the publication is caught by the worker's publication check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeDeliveryCanary } from './lib/delivery_canary.mjs';
import { waitFor } from './lib/gateway.mjs';

const run = promisify(execFile);
const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;

async function walsenderPid() {
  const { stdout } = await run('psql', [databaseUrl, '-Atc',
    "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'pulseboard_worker' AND active"]);
  return Number(stdout.trim());
}

async function stallBetweenDatabaseAndWorker() {
  let pid = 0;
  await waitFor(async () => (pid = await walsenderPid()) > 0, { timeoutMs: 30000, what: 'the walsender' });
  process.kill(pid, 'SIGSTOP');
  return async () => process.kill(pid, 'SIGCONT');
}

const psql = (sql) => run('psql', [databaseUrl, '-Atc', sql]);
async function dropTableFromPublication() {
  await psql('ALTER PUBLICATION pulseboard_orders DROP TABLE orders');
  return async () => psql('ALTER PUBLICATION pulseboard_orders ADD TABLE orders');
}

describeDeliveryCanary({
  name: 'PostgreSQL',
  databaseUrl,
  skip: databaseUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL)',
  stallBetweenDatabaseAndWorker,
  dropTableFromPublication,
});
