// The delivery canary (lib/delivery_canary.mjs) on SQLite: the canary is an outbox row.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { describeDeliveryCanary } from './lib/delivery_canary.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-canary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describeDeliveryCanary({ name: 'SQLite', databaseUrl: `sqlite://${path.join(dir, 'orders.db')}` });
