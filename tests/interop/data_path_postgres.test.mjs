// The data path (lib/data_path.mjs) on PostgreSQL: the worker follows logical replication
// (pgoutput). Needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL 15 with
// wal_level=logical); the restart tests also need PG_TEST_DIR (the server scripts/test started,
// which they restart with pg_ctl).
import { describeDataPath } from './lib/data_path.mjs';
import { restartDatabase } from './lib/postgres.mjs';

const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;

describeDataPath({
  name: 'PostgreSQL',
  databaseUrl,
  eventIdPrefix: 'postgres:',
  skip: databaseUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL)',
  restartDatabase,
});
