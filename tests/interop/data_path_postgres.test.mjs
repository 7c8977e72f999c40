// The data path (lib/data_path.mjs) on PostgreSQL: the worker follows logical replication
// (pgoutput). Needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL 15 with
// wal_level=logical).
import { describeDataPath } from './lib/data_path.mjs';

const databaseUrl = process.env.PULSEBOARD_DATABASE_URL;
describeDataPath({
  name: 'PostgreSQL',
  databaseUrl,
  eventIdPrefix: 'postgres:',
  skip: databaseUrl ? false : 'needs PULSEBOARD_DATABASE_URL (scripts/test starts PostgreSQL)',
});
