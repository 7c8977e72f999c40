// The demo's own synthetic order feed (`pulseboard demo --rate`), which the main end-to-end test
// turns off: with it on, the dashboard's numbers must climb by themselves and stay consistent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openPage } from './lib/browser.mjs';
import { readDashboard, waitForDashboard } from './lib/dashboard.mjs';
import { ensureDashboardBuilt, startDemo } from './lib/demo.mjs';

const RATE = 20; // orders per second; about 70% are completed at once (src/app/order_feed.cpp)

// Tiles against the category rows: both are the same completed orders.
function assertConsistent(view) {
  const rows = Object.values(view.categories);
  assert.ok(rows.length > 0, 'category rows');
  assert.equal(rows.reduce((n, r) => n + r.orders, 0), view.orders, 'category orders add up to the orders tile');
  const cents = rows.reduce((n, r) => n + Math.round(r.revenue * 100), 0);
  assert.equal(cents, Math.round(view.revenue * 100), 'category revenue adds up to the revenue tile');
  assert.equal(view.recent.length, Math.min(12, view.orders), 'recent orders');
}

describe('dashboard with the demo order feed', () => {
  let tmp;
  let demo;
  let browser;
  let page;
  let consoleErrors;

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-feed-'));
    demo = await startDemo({ dbPath: path.join(tmp, 'demo.db'), rate: RATE });
    browser = await launchChromium();
    ({ page, consoleErrors } = await openPage(browser));
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await demo?.stop().catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('counts the feed live: the orders tile climbs within seconds', async () => {
    await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    const first = await waitForDashboard(page, (v) => v.connection === 'connected', {
      what: 'the connection badge to say connected',
    });
    // 20/s with 70% completed at once is about 14 a second: 10 more within 5 s is a live feed,
    // and a second climb shows it keeps flowing rather than one snapshot arriving.
    const risen = await waitForDashboard(page, (v) => v.orders >= first.orders + 10, {
      what: `the orders tile to rise from ${first.orders} by 10`,
      timeoutMs: 5000,
    });
    const again = await waitForDashboard(page, (v) => v.orders >= risen.orders + 10, {
      what: `the orders tile to rise again from ${risen.orders} by 10`,
      timeoutMs: 5000,
    });
    assert.ok(again.revenue > risen.revenue, `revenue rises: ${risen.revenue} -> ${again.revenue}`);
    assert.ok(Number.isFinite(again.latency) && again.latency >= 0, `latency ${again.latency}`);
  });

  it('keeps tiles, categories and recent orders consistent while orders flow', async () => {
    // The page updates between two reads of the DOM only if a socket event lands mid-read, which
    // page.evaluate rules out (it runs in one task): every read must add up.
    for (let i = 0; i < 5; i++) {
      assertConsistent(await readDashboard(page));
      await new Promise((r) => setTimeout(r, 200)); // spacing the reads across updates, not waiting for the page
    }
  });

  it('logged no errors and stops cleanly with the feed running', async () => {
    assert.deepEqual(consoleErrors, []);
    await browser.close();
    assert.deepEqual(await demo.stop(10000), { code: 0, signal: null });
  });
});
