// deploy/observability/: every metric the Grafana dashboard and the Prometheus alert rules name,
// and every `reason` they select, is one the real roles export at /metrics (gateway, API and
// worker on loopback with SQLite and Redis, after an order went through); promtool accepts the
// rules and its unit tests (alerts.test.yaml) pass.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort, mintWriteToken, waitFor } from './lib/gateway.mjs';
import { deployDir, startRole } from './lib/deploy.mjs';
import { startRedis } from './lib/redis.mjs';

const observability = path.join(deployDir, 'observability');

function queries() {
  const rules = parse(readFileSync(path.join(observability, 'alerts.yaml'), 'utf8'));
  const dashboard = JSON.parse(readFileSync(path.join(observability, 'grafana-dashboard.json'), 'utf8'));
  const fromRules = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
  const fromPanels = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
  return [...fromRules, ...fromPanels];
}

// Metric names and the values of their `reason` label, from Prometheus text format.
function exported(text) {
  const names = new Set();
  const reasons = new Set();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)[0]);
    const reason = /reason="([^"]*)"/.exec(line);
    if (reason) reasons.add(reason[1]);
  }
  return { names, reasons };
}

describe('observability kit against the real roles', () => {
  let redis, tmp, roles, metrics;
  before(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pb-observability-'));
    const database = `sqlite:${path.join(tmp, 'orders.db')}`;
    const [gw, api, worker] = [await freePort(), await freePort(), await freePort()];
    roles = await Promise.all([
      startRole({ role: 'gateway', port: gw, env: { PORT: String(gw), REDIS_URL: redis.url } }),
      startRole({ role: 'api', port: api, env: { API_PORT: String(api), DATABASE_URL: database } }),
      startRole({ role: 'worker', port: worker, env: { WORKER_HTTP_PORT: String(worker), DATABASE_URL: database, REDIS_URL: redis.url, WORKER_STATE_DIR: tmp } }),
    ]);
    // An order through the API, so the worker has published and reports its lag.
    const [gwUrl, apiUrl, workerUrl] = roles.map((r) => r.url);
    await waitFor(async () => (await fetch(`${workerUrl}/metrics`)).ok && /^pulseboard_worker_leader 1/m.test(await (await fetch(`${workerUrl}/metrics`)).text()),
      { timeoutMs: 60000, what: 'the worker leads' });
    const res = await fetch(`${apiUrl}/api/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mintWriteToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 12.5, category: 'books', status: 'completed' }),
    });
    assert.equal(res.status, 201);
    await waitFor(async () => /^pulseboard_worker_lag_seconds /m.test(await (await fetch(`${workerUrl}/metrics`)).text()),
      { timeoutMs: 60000, what: 'the worker published the order' });
    const texts = await Promise.all([gwUrl, apiUrl, workerUrl].map(async (u) => (await fetch(`${u}/metrics`)).text()));
    metrics = exported(texts.join('\n'));
  });
  after(async () => {
    await Promise.all((roles ?? []).map((r) => r.stop()));
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every metric the dashboard and the alerts name is exported by a role', () => {
    const all = queries();
    assert.ok(all.length >= 10, `queries found: ${all.length}`);
    for (const { where, expr } of all) {
      const names = expr.match(/\bpulseboard_[a-z0-9_]+\b/g) ?? [];
      assert.ok(names.length > 0, `${where} names a pulseboard metric`);
      for (const name of names) assert.ok(metrics.names.has(name), `${where}: no role exports ${name}`);
    }
  });

  it('every rejection reason they select is one the gateway counts', () => {
    for (const { where, expr } of queries()) {
      for (const [, values] of expr.matchAll(/reason=~?"([^"]+)"/g)) {
        for (const reason of values.split('|')) assert.ok(metrics.reasons.has(reason), `${where}: no reason="${reason}"`);
      }
    }
  });

  it('promtool accepts the rules and their unit tests pass', () => {
    const run = (...args) => execFileSync('promtool', args, { cwd: observability, encoding: 'utf8', stdio: 'pipe' });
    assert.match(run('check', 'rules', 'alerts.yaml'), /SUCCESS/);
    assert.match(run('test', 'rules', 'alerts.test.yaml'), /SUCCESS/);
  });
});
