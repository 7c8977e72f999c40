// The whole product as a user meets it: `pulseboard demo`, the dashboard in headless Chromium,
// orders posted through the API, and the numbers on screen checked against what was posted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { cents, readDashboard, waitForDashboard } from './lib/dashboard.mjs';
import { ensureDashboardBuilt, repoRoot, startDemo, waitFor } from './lib/demo.mjs';
import { devToken, patchOrder, postOrder } from './lib/orders.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SCREENSHOT = process.env.PULSEBOARD_SCREENSHOT || path.join(repoRoot, 'docs/screenshot.png');
const INTERVAL_MS = 5000; // the snapshot's intervalMs (docs/dashboard.md): one chart point per bucket

// Amounts chosen so the totals are exact in cents: 19.99 + 5.01 + 45.50 = 70.50, average 23.50;
// with the pending 29.50 completed later, 100.00 over 4 orders, average 25.00.
const COMPLETED = [
  { amount: 19.99, category: 'books', status: 'completed' },
  { amount: 5.01, category: 'books', status: 'completed' },
  { amount: 45.5, category: 'games', status: 'completed' },
];
const PENDING = { amount: 29.5, category: 'games', status: 'pending' };

// A paced feed after the reload, so updates land on top of the replayed snapshot across several
// chart buckets (and the screenshot shows a dashboard with some history).
const FEED = [
  ['electronics', 129.0], ['home', 42.75], ['toys', 18.4], ['books', 12.99], ['electronics', 249.5],
  ['games', 59.99], ['home', 88.1], ['toys', 24.0], ['electronics', 74.25], ['books', 31.6],
  ['games', 15.0], ['home', 63.35], ['electronics', 189.9], ['toys', 9.99], ['books', 22.45],
  ['games', 39.0],
].map(([category, amount]) => ({ category, amount, status: 'completed' }));
const FEED_PACE_MS = 700; // 16 orders over about 11 s: three 5 s buckets

// Records, from before the page's own scripts run, every change of the connection badge and of
// the orders tile, so the test can tell a snapshot (one jump) from replayed updates (steps).
function recordTimeline() {
  window.__timeline = [];
  const observe = () => {
    const badge = document.querySelector('[data-testid="connection-state"]');
    const orders = document.querySelector('[data-testid="kpi-orders"]');
    const entry = { state: badge?.dataset.state ?? null, orders: orders?.dataset.value ?? null };
    const last = window.__timeline.at(-1);
    if (!last || last.state !== entry.state || last.orders !== entry.orders) {
      window.__timeline.push({ ...entry, at: performance.now() });
    }
  };
  new MutationObserver(observe).observe(document, { subtree: true, childList: true, attributes: true });
}

// The charts have drawn every point their data holds (Recharts draws after measuring).
const chartsDrawn = (v) => v.points === v.chartPoints && v.recentPoints === v.recentChartPoints;

const distinctBuckets = (orders) =>
  new Set(orders.map((o) => Math.floor(Date.parse(o.createdAt) / INTERVAL_MS))).size;

describe('dashboard end to end with pulseboard demo', () => {
  let tmp;
  let demo;
  let browser;
  let page;
  let token;
  const consoleErrors = [];
  const posted = []; // completed orders as the API returned them
  let pendingOrder;
  let before3; // the page before any order

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-'));
    demo = await startDemo({ dbPath: path.join(tmp, 'demo.db') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(recordTimeline);
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`console: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  });

  after(async () => {
    // Each step on its own, so one failing does not leave the others running.
    await browser?.close().catch(() => {});
    await demo?.stop().catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('opens the page and connects with the demo token', async () => {
    await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    before3 = await waitForDashboard(page, (v) => v.connection === 'connected', {
      what: 'the connection badge to say connected',
    });
    assert.equal(before3.orders, 0, 'a fresh demo with --rate 0 starts with no orders');
    assert.equal(before3.revenue, 0);
    assert.equal(before3.latencyText, '—', 'no latency sample before any order');
    token = await devToken(demo.url);
  });

  it('shows three completed orders and ignores a pending one', async () => {
    // The pending order goes first: the change stream is ordered, so once the completed ones
    // are on screen the pending one has been through the worker too.
    pendingOrder = await postOrder(demo.url, token, PENDING);
    assert.equal(pendingOrder.status, 'pending');
    for (const order of COMPLETED) posted.push(await postOrder(demo.url, token, order));

    const view = await waitForDashboard(page, (v) => v.recent.length >= 3 && v.orders >= 3 && chartsDrawn(v), {
      what: 'three orders on the page',
    });
    assert.equal(view.orders, 3, 'the orders tile counts completed orders only');
    assert.equal(view.revenue, 70.5);
    assert.equal(view.revenueText, '$70.50');
    assert.equal(view.aov, 23.5);
    assert.deepEqual(view.categories, {
      books: { revenue: 25, orders: 2 },
      games: { revenue: 45.5, orders: 1 },
    });
    assert.deepEqual(
      view.recent,
      posted.map((o) => ({ id: o.id, revenue: cents(o.amount) })).reverse(),
      'recent orders, newest first, without the pending one',
    );
    assert.equal(view.recentPoints, before3.recentPoints + 3, 'the last-orders line gains 3 points');
    assert.equal(view.points, distinctBuckets(posted), 'one revenue point per 5 s bucket of createdAt');
  });

  it('shows a finite commit-to-screen latency', async () => {
    const view = await readDashboard(page);
    assert.ok(Number.isFinite(view.latency), `latency data-value: ${view.latency}`);
    assert.ok(view.latency >= 0 && view.latency < 10000, `latency ${view.latency} ms on one host`);
    assert.match(view.latencyText, /^\d+ ms$/);
  });

  it('counts the pending order once it is completed', async () => {
    const changed = await patchOrder(demo.url, token, pendingOrder.id, { status: 'completed' });
    assert.equal(changed.status, 'completed');
    posted.push(changed);

    const view = await waitForDashboard(page, (v) => v.orders >= 4 && v.recent.length >= 4 && chartsDrawn(v), { what: 'the fourth order' });
    assert.equal(view.orders, 4);
    assert.equal(view.revenue, 100);
    assert.equal(view.aov, 25);
    assert.deepEqual(view.categories, {
      books: { revenue: 25, orders: 2 },
      games: { revenue: 75, orders: 2 },
    });
    assert.deepEqual(view.recent[0], { id: pendingOrder.id, revenue: 29.5 });
    assert.equal(view.recent.length, 4);
    assert.equal(view.recentPoints, before3.recentPoints + 4);
    assert.equal(view.points, distinctBuckets(posted));
  });

  it('shows the snapshot at once after a reload, without new orders', async () => {
    const shown = await readDashboard(page);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitFor(() => page.evaluate(() => window.__timeline.some((e) => e.state === 'connected')), {
      what: 'the reloaded page to connect',
    });
    const view = await waitForDashboard(page, (v) => v.orders === 4, {
      what: 'the snapshot on the reloaded page',
      timeoutMs: 2000,
    });
    const timeline = await page.evaluate(() => window.__timeline);
    const connectedAt = timeline.find((e) => e.state === 'connected').at;
    const fullAt = timeline.find((e) => e.orders === '4').at;
    // The retained snapshot follows the CONNECT packet on the same socket: one frame or two.
    assert.ok(fullAt - connectedAt < 500, `totals ${Math.round(fullAt - connectedAt)} ms after connect`);
    const seen = [...new Set(timeline.map((e) => e.orders).filter((o) => o !== null))];
    assert.deepEqual(seen, ['0', '4'], `the orders tile jumps from 0 to 4 at once: ${JSON.stringify(timeline)}`);

    for (const key of ['orders', 'revenue', 'aov', 'categories', 'recent', 'chartPoints', 'recentChartPoints']) {
      assert.deepEqual(view[key], shown[key], `${key} after reload equals ${key} before it`);
    }
    await waitForDashboard(page, (v) => chartsDrawn(v) && v.points === shown.points && v.recentPoints === shown.recentPoints, {
      what: `the charts to draw ${shown.points} and ${shown.recentPoints} points again`,
      timeoutMs: 2000,
    });
  });

  it('adds live orders on top of the replayed snapshot', async () => {
    const expectedCents = new Map([['books', 2500], ['games', 7500]]);
    const expectedOrders = new Map([['books', 2], ['games', 2]]);
    for (const [i, order] of FEED.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, FEED_PACE_MS)); // pacing the feed, not waiting for the page
      posted.push(await postOrder(demo.url, token, order));
      expectedCents.set(order.category, (expectedCents.get(order.category) ?? 0) + Math.round(order.amount * 100));
      expectedOrders.set(order.category, (expectedOrders.get(order.category) ?? 0) + 1);
    }
    const totalCents = [...expectedCents.values()].reduce((a, b) => a + b, 0);
    const total = posted.length;

    const view = await waitForDashboard(page, (v) => v.orders >= total && chartsDrawn(v), {
      what: `${total} orders on the page`,
    });
    assert.equal(view.orders, total);
    assert.equal(view.revenue, totalCents / 100);
    assert.equal(view.aov, cents(totalCents / 100 / total));
    assert.deepEqual(
      view.categories,
      Object.fromEntries(
        [...expectedCents].map(([c, v]) => [c, { revenue: v / 100, orders: expectedOrders.get(c) }]),
      ),
    );
    assert.deepEqual(
      view.recent.map((r) => r.id),
      posted.slice(-12).map((o) => o.id).reverse(),
      'the last 12 orders, newest first',
    );
    assert.equal(view.recentPoints, 12);
    assert.equal(view.points, distinctBuckets(posted));
    assert.ok(Number.isFinite(view.latency) && view.latency >= 0, `latency ${view.latency}`);
  });

  it('saves a screenshot of the live dashboard', async () => {
    await page.screenshot({ path: SCREENSHOT });
  });

  it('logged no errors in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });

  it('stops the demo cleanly on SIGTERM', async () => {
    await browser.close();
    const ended = await demo.stop(10000);
    assert.deepEqual(ended, { code: 0, signal: null });
  });
});
