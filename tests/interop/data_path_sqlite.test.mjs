// The data path (lib/data_path.mjs) on SQLite: api and worker processes share one database
// file in a temp dir (`sqlite:///abs/path.db`, the form both roles accept); the worker tails the
// transactional outbox.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { describeDataPath } from './lib/data_path.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-data-path-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describeDataPath({
  name: 'SQLite',
  databaseUrl: `sqlite://${path.join(dir, 'orders.db')}`,
  eventIdPrefix: 'sqlite:',
});
