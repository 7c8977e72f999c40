// The orders API's --max-body: a value the HTTP server underneath cannot honour is refused at
// start-up with a message naming the option, instead of being capped silently; a value it can
// honour is what a client runs into, with the limit in the answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRET, binary, inheritedEnv, mintWriteToken, startPulseboard } from './lib/gateway.mjs';

describe('the orders API body limit', { timeout: 60000 }, () => {
  let dir;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-api-limit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses --max-body above the HTTP server limit at start-up', () => {
    const r = spawnSync(binary, ['api', '--port', '0', '--max-body', String(2 * 1024 * 1024)], {
      env: { ...inheritedEnv(), JWT_SECRET: SECRET, DATABASE_URL: `sqlite:${dir}/refused.db` },
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /--max-body/);
  });

  it('answers a body over a configured --max-body with 413 naming the limit', async () => {
    const api = await startPulseboard({
      role: 'api',
      args: ['--max-body', '50000'],
      env: { DATABASE_URL: `sqlite:${dir}/orders.db` },
    });
    try {
      const r = await fetch(`${api.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${mintWriteToken()}` },
        body: JSON.stringify({ amount: 1, status: 'completed', category: 'x'.repeat(60000) }),
      });
      assert.equal(r.status, 413);
      const { error } = await r.json();
      assert.deepEqual([error.code, error.rule, error.limit], ['body_too_large', 'max_bytes', 50000]);
    } finally {
      await api.stop();
    }
  });
});
