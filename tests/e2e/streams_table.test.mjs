// "Point it at your own table" as a user does it (docs/streams.md): a SQLite table whose name and
// columns this test invents at run time (nothing in the sources knows them), a stream file
// written from the documented format, `pulseboard demo --config`, rows written by the sqlite3 CLI
// (another program than Pulseboard: only the outbox triggers the worker installs see them), and
// the declared panels in headless Chromium checked against SQL over the same rows: the KPI tiles
// (count and sum), the breakdown per group, the series and the table of recent rows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { launchChromium, openPage } from './lib/browser.mjs';
import { ensureDashboardBuilt, startDemo, waitFor } from './lib/demo.mjs';

const run = promisify(execFile);
const suffix = randomBytes(4).toString('hex');
const n = {
  stream: `s_${suffix}`,
  table: `t_${suffix}`,
  key: `k_${suffix}`,
  group: `grp_${suffix}`,
  amount: `amt_${suffix}`,
  at: `at_${suffix}`,
  room: `room-${suffix}`,
};
const RECENT = 4;

function streamFile() {
  return `[[stream]]
name = "${n.stream}"
source = "${n.table}"
rooms = ["${n.room}"]
event = "row-${suffix}"
snapshot_event = "rows-${suffix}-snapshot"
pipeline = '''
[{"$match": {"operationType": "insert"}},
 {"$project": {"id": "$fullDocument.${n.key}", "grp": "$fullDocument.${n.group}",
               "amt": "$fullDocument.${n.amount}", "time": "$fullDocument.${n.at}"}}]
'''

[stream.aggregate]
time = "time"
interval = "10s"
window = "10m"
recent = ${RECENT}

[[stream.aggregate.measure]]
name = "rows"
op = "count"

[[stream.aggregate.measure]]
name = "total"
op = "sum"
field = "amt"

[stream.aggregate.group]
field = "grp"
list = "groups"
top = 10
rank_by = "total"

[stream.dashboard]
title = "Rows ${suffix}"

[[stream.dashboard.panel]]
kind = "kpi"
title = "Rows"
measure = "rows"
format = "integer"

[[stream.dashboard.panel]]
kind = "kpi"
title = "Total"
measure = "total"

[[stream.dashboard.panel]]
kind = "timeseries"
title = "Rows per 10 s"
measure = "rows"

[[stream.dashboard.panel]]
kind = "breakdown"
title = "Total per group"
measure = "total"

[[stream.dashboard.panel]]
kind = "table"
title = "Latest rows"
columns = ["id", "grp", "amt"]
`;
}

// What the page shows of the declared panels, read from their data attributes.
const readPanels = (page) =>
  page.evaluate(() => {
    const kpi = (m) => document.querySelector(`[data-testid="panel-kpi-${m}"] [data-testid="kpi-value"]`)?.dataset.value;
    const breakdown = [...document.querySelectorAll('[data-testid="panel-breakdown-total"] [data-testid="breakdown-row"]')];
    return {
      stream: document.querySelector('[data-testid="stream-dashboard"]')?.dataset.stream ?? null,
      rows: kpi('rows'),
      total: kpi('total'),
      groups: Object.fromEntries(breakdown.map((r) => [r.dataset.group, Number(r.dataset.value)])),
      seriesPoints: Number(document.querySelector('[data-testid="panel-series-rows"] [data-testid="series-chart"]')?.dataset.points ?? -1),
      tableKeys: [...document.querySelectorAll('[data-testid="panel-table"] [data-testid="table-row"]')].map((r) => r.dataset.key),
    };
  });

describe('a dashboard over a table chosen at run time, in Chromium', () => {
  let dir, dbPath, demo, browser, page, consoleErrors;
  const sqlite = (sql, ...flags) => run('sqlite3', ['-cmd', '.timeout 10000', ...flags, dbPath, sql]);

  before(async () => {
    ensureDashboardBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-table-'));
    dbPath = path.join(dir, 'app.db');
    // The user's own table, made before Pulseboard ever saw the file.
    await sqlite(`CREATE TABLE ${n.table} (${n.key} INTEGER PRIMARY KEY, ${n.group} TEXT NOT NULL, ` +
      `${n.amount} REAL NOT NULL, ${n.at} INTEGER NOT NULL);`);
    const config = path.join(dir, 'streams.toml');
    writeFileSync(config, streamFile());
    demo = await startDemo({ dbPath, args: ['--config', config] });
    browser = await launchChromium();
    ({ page, consoleErrors } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the declared panels with the numbers SQL gives over the same rows', async () => {
    await page.goto(`${demo.url}/#dashboard=${n.stream}`, { waitUntil: 'domcontentloaded' });
    await waitFor(async () => (await readPanels(page)).stream === n.stream,
      { timeoutMs: 30000, what: 'the declared dashboard' });

    const now = Date.now();
    const rows = Array.from({ length: 11 }, (_, i) => {
      const key = i + 1;
      return `(${key}, '${['red', 'green', 'blue'][key % 3]}', ${(key * 1.25).toFixed(2)}, ${now - key * 7000})`;
    });
    await sqlite(`INSERT INTO ${n.table} (${n.key}, ${n.group}, ${n.amount}, ${n.at}) VALUES ${rows.join(', ')};`);

    const { stdout } = await sqlite(
      `SELECT ${n.group}, count(*), sum(${n.amount}) FROM ${n.table} GROUP BY ${n.group} ORDER BY ${n.group};`,
      '-noheader', '-separator', '|');
    const expected = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('|')).map(([g, , s]) => [g, Number(s)]));
    const expectedRows = 11;
    const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);

    const view = await waitFor(async () => {
      const v = await readPanels(page);
      return Number(v.rows) === expectedRows ? v : null;
    }, { timeoutMs: 30000, intervalMs: 200, what: `the Rows tile to show ${expectedRows}` });
    assert.ok(Math.abs(Number(view.total) - expectedTotal) < 1e-9, `total ${view.total} vs SQL ${expectedTotal}`);
    assert.deepEqual(Object.keys(view.groups).sort(), Object.keys(expected).sort(), 'one bar per group');
    for (const [group, sum] of Object.entries(expected))
      assert.ok(Math.abs(view.groups[group] - sum) < 1e-9, `${group}: ${view.groups[group]} vs SQL ${sum}`);
    assert.ok(view.seriesPoints > 0, 'the series is drawn');
    // The newest rows first, as many as `recent` keeps: inserted in key order in one statement.
    assert.deepEqual(view.tableKeys, ['11', '10', '9', '8'].slice(0, RECENT));
    assert.deepEqual(consoleErrors, []);
  });
});
