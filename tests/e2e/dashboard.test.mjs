// The whole product as a user meets it: `pulseboard demo`, the dashboard in headless Chromium,
// orders posted through the API, and the numbers on screen checked against what was posted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openPage } from './lib/browser.mjs';
import { cents, expectDashboard, readDashboard, waitForDashboard } from './lib/dashboard.mjs';
import { ensureDashboardBuilt, repoRoot, startDemo, waitFor } from './lib/demo.mjs';
import { devToken, patchOrder, postOrder } from './lib/orders.mjs';

const SCREENSHOT = process.env.PULSEBOARD_SCREENSHOT || path.join(repoRoot, 'docs/screenshot.png');
const INTERVAL_MS = 5000; // the snapshot's intervalMs and windowMs (docs/dashboard.md)
const WINDOW_MS = 300000;
// Tall enough for the whole page, the Recent orders table included, in the README's screenshot.
const VIEWPORT = { width: 1280, height: 1600 };

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

// The revenue chart against the orders posted: each order's amount in the bucket of its
// createdAt (docs/dashboard.md: bucket start = floor(time / intervalMs) * intervalMs, time being
// the order's createdAt), every other bucket drawn (the worker zero-fills the window) at 0.
function assertSeries(view, orders) {
  const bucketCents = new Map();
  for (const o of orders) {
    const start = Math.floor(Date.parse(o.createdAt) / INTERVAL_MS) * INTERVAL_MS;
    bucketCents.set(start, (bucketCents.get(start) ?? 0) + Math.round(o.amount * 100));
  }
  assert.equal(view.points, view.chartPoints, 'every bucket drawn as a point');
  const drawn = new Map(view.series.map((p) => [p.start, Math.round(p.revenue * 100)]));
  assert.equal(drawn.size, view.series.length, 'one point per bucket');
  assert.ok(view.series.length <= WINDOW_MS / INTERVAL_MS, `${view.series.length} points in a 5 min window`);
  for (const [start, expected] of bucketCents) {
    assert.equal(drawn.get(start), expected, `revenue (cents) drawn for ${new Date(start).toISOString()}`);
  }
  for (const [start, revenue] of drawn) {
    if (!bucketCents.has(start)) assert.equal(revenue, 0, `revenue (cents) drawn for ${new Date(start).toISOString()}`);
  }
}

// The bar chart against the category figures (cents): one bar per category, in the table's order
// (largest revenue first), each labelled with its revenue and drawn to scale from a zero baseline.
function assertBars(view, byCategory) {
  const expected = Object.entries(byCategory)
    .sort(([a, x], [b, y]) => y.cents - x.cents || a.localeCompare(b))
    .map(([category, v]) => ({ category, revenue: v.cents / 100 }));
  assert.equal(view.chartBars, expected.length, 'bars in the chart data');
  assert.deepEqual(
    view.bars.map(({ category, revenue }) => ({ category, revenue })),
    expected,
    'bars drawn, largest first',
  );
  const tallest = view.bars[0];
  assert.ok(tallest.height > 50, `tallest bar ${tallest.height} px`);
  for (const bar of view.bars) {
    const scaled = (bar.revenue / tallest.revenue) * tallest.height;
    assert.ok(Math.abs(bar.height - scaled) <= 1, `${bar.category} bar ${bar.height} px, to scale ${scaled} px`);
  }
}

// Tiles, category rows, recent orders and both charts against the completed orders posted.
function assertShows(view, orders) {
  const byCategory = {};
  let totalCents = 0;
  for (const o of orders) {
    const c = Math.round(o.amount * 100);
    totalCents += c;
    byCategory[o.category] ??= { cents: 0, orders: 0 };
    byCategory[o.category].cents += c;
    byCategory[o.category].orders += 1;
  }
  assert.equal(view.orders, orders.length, 'orders tile');
  assert.equal(view.revenue, totalCents / 100, 'revenue tile');
  assert.equal(view.aov, cents(totalCents / 100 / orders.length), 'average order value tile');
  assert.deepEqual(
    view.categories,
    Object.fromEntries(Object.entries(byCategory).map(([k, v]) => [k, { revenue: v.cents / 100, orders: v.orders }])),
    'category rows',
  );
  const last12 = orders.slice(-12);
  assert.deepEqual(
    view.recent,
    last12.map((o) => ({ id: o.id, revenue: cents(o.amount) })).reverse(),
    'recent orders, newest first',
  );
  assert.deepEqual(view.recentLine, last12.map((o) => o.id), 'the last-orders line, oldest first');
  assertBars(view, byCategory);
  assertSeries(view, orders);
}

const nextBucket = async (time) => {
  // Pacing the scenario, not waiting for the page: the completion lands in a later interval
  // than the order's creation, as it does for real pending orders.
  const ms = (Math.floor(Date.parse(time) / INTERVAL_MS) + 1) * INTERVAL_MS - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms + 20));
};

describe('dashboard end to end with pulseboard demo', () => {
  let tmp;
  let demo;
  let browser;
  let page;
  let token; // the demo's printed write token (scope orders:write)
  let consoleErrors;
  const posted = []; // completed orders as the API returned them
  let pendingOrder;
  let before3; // the page before any order

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-'));
    demo = await startDemo({ dbPath: path.join(tmp, 'demo.db') });
    browser = await launchChromium();
    ({ page, consoleErrors } = await openPage(browser, { viewport: VIEWPORT, initScript: recordTimeline }));
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
    // The page's own token cannot write; the printed one can (and is what the tests post with).
    const viewer = await devToken(demo.url);
    await assert.rejects(postOrder(demo.url, viewer, PENDING), /: 403 .*forbidden/);
    token = demo.writeToken;
  });

  it('shows three completed orders and ignores a pending one', async () => {
    // The pending order goes first: the change stream is ordered, so once the completed ones
    // are on screen the pending one has been through the worker too.
    pendingOrder = await postOrder(demo.url, token, PENDING);
    assert.equal(pendingOrder.status, 'pending');
    for (const order of COMPLETED) posted.push(await postOrder(demo.url, token, order));

    const view = await expectDashboard(page, (v) => assertShows(v, posted));
    assert.equal(view.revenueText, '$70.50');
    assert.equal(view.aov, 23.5);
    assert.deepEqual(view.categories, {
      books: { revenue: 25, orders: 2 },
      games: { revenue: 45.5, orders: 1 },
    });
    assert.equal(view.recentPoints, before3.recentPoints + 3, 'the last-orders line gains 3 points');
  });

  it('shows a finite commit-to-screen latency', async () => {
    const view = await readDashboard(page);
    assert.ok(Number.isFinite(view.latency), `latency data-value: ${view.latency}`);
    assert.ok(view.latency >= 0 && view.latency < 10000, `latency ${view.latency} ms on one host`);
    assert.match(view.latencyText, /^\d+ ms$/);
  });

  it('counts the pending order once it is completed', async () => {
    await nextBucket(pendingOrder.createdAt);
    const changed = await patchOrder(demo.url, token, pendingOrder.id, { status: 'completed' });
    assert.equal(changed.status, 'completed');
    posted.push(changed);

    const view = await expectDashboard(page, (v) => assertShows(v, posted));
    assert.equal(view.revenue, 100);
    assert.equal(view.aov, 25);
    assert.deepEqual(view.categories, {
      books: { revenue: 25, orders: 2 },
      games: { revenue: 75, orders: 2 },
    });
  });

  it('shows the snapshot at once after a reload, without new orders', async () => {
    const shown = await readDashboard(page);
    // Socket.IO packets the reloaded page receives (Engine.IO "4" = message; "40" = CONNECT ack).
    let packets = [];
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.startsWith('4')) packets.push(payload);
      }),
    );
    const firstSnapshotOrders = () => {
      const event = packets[1]?.startsWith('42["metrics-snapshot",') ? JSON.parse(packets[1].slice(2)) : null;
      return event?.[1]?.totals?.orders;
    };
    // The worker publishes its snapshot at most once a second, so for up to a second after the
    // last change the retained snapshot is the one before it, and a reload then rightly starts
    // from it (the live update follows). Reload until the retained snapshot holds every change;
    // each attempt must still get the snapshot as its first event.
    for (let attempt = 1; ; attempt++) {
      packets = [];
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitFor(() => page.evaluate(() => window.__timeline.some((e) => e.state === 'connected')), {
        what: 'the reloaded page to connect',
      });
      await waitFor(() => packets.length >= 2, { what: 'the first event after the CONNECT ack' });
      if (firstSnapshotOrders() === 4 || attempt === 5) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const view = await waitForDashboard(page, (v) => v.orders === 4, {
      what: 'the snapshot on the reloaded page',
      timeoutMs: 2000,
    });
    const timeline = await page.evaluate(() => window.__timeline);
    const connectedAt = timeline.find((e) => e.state === 'connected').at;
    const fullAt = timeline.find((e) => e.orders === '4').at;
    // The gateway replays the retained snapshot as the first event after the CONNECT ack...
    assert.match(packets[0] ?? '', /^40/, `first Socket.IO packet: ${packets[0]}`);
    assert.match(packets[1] ?? '', /^42\["metrics-snapshot",/, `first event: ${packets[1]?.slice(0, 80)}`);
    assert.equal(JSON.parse(packets[1].slice(2))[1].totals.orders, 4);
    // ...so the tiles fill at once: no orders are posted meanwhile, and with nothing changing
    // the worker publishes nothing new. The packet order above is the proof; this bound only
    // catches a page that waits for something else (generous: CI runs a sanitized binary).
    assert.ok(
      fullAt - connectedAt < 5000,
      `totals ${Math.round(fullAt - connectedAt)} ms after connect: ${JSON.stringify(timeline)}`,
    );
    const seen = [...new Set(timeline.map((e) => e.orders).filter((o) => o !== null))];
    assert.deepEqual(seen, ['0', '4'], `the orders tile jumps from 0 to 4 at once: ${JSON.stringify(timeline)}`);

    // What the page showed live is what it shows from the snapshot. Charts settle a frame or two
    // later, which on a loaded machine can take a while: this deadline bounds polling only, the
    // "at once" above is the packet order and the timeline.
    await expectDashboard(
      page,
      (v) => {
        for (const key of ['orders', 'revenue', 'aov', 'categories', 'recent', 'recentLine']) {
          assert.deepEqual(v[key], shown[key], `${key} after reload equals ${key} before it`);
        }
        // The 5-minute window slides with the clock (empty buckets come and go at its edges),
        // so the buckets that hold revenue are what must match.
        const filled = (series) => series.filter((p) => p.revenue > 0);
        assert.deepEqual(filled(v.series), filled(shown.series), 'revenue buckets after reload');
        assertShows(v, posted);
      },
      { timeoutMs: 5000 },
    );
  });

  it('adds live orders on top of the replayed snapshot', async () => {
    // Chromium offers permessage-deflate; the gateway keeps the room's compression context, so
    // over the feed the page reads updates and snapshots compressed against the ones before
    // them (docs/gateway.md, "Compression"). The numbers on screen must still be exact.
    const streamed = async () => {
      const text = await (await fetch(`${demo.url}/metrics`)).text();
      return Number(/^pulseboard_ws_deflate_stream_messages_sent_total (\d+)/m.exec(text)?.[1] ?? NaN);
    };
    const streamedBefore = await streamed();
    for (const [i, order] of FEED.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, FEED_PACE_MS)); // pacing the feed, not waiting for the page
      posted.push(await postOrder(demo.url, token, order));
    }
    const view = await expectDashboard(page, (v) => assertShows(v, posted));
    assert.equal(view.recentPoints, 12);
    assert.ok(Number.isFinite(view.latency) && view.latency >= 0, `latency ${view.latency}`);
    const streamedAfter = await streamed();
    assert.ok(streamedAfter > streamedBefore, `messages sent in the room's context: ${streamedBefore} -> ${streamedAfter}`);
  });

  it('saves a screenshot of the live dashboard, Recent orders included', async () => {
    const bottom = await page.evaluate(() =>
      Math.max(...[...document.querySelectorAll('[data-testid="recent-order"]')].map((r) => r.getBoundingClientRect().bottom)),
    );
    assert.ok(bottom <= VIEWPORT.height, `the last recent order ends at ${bottom} px, below the ${VIEWPORT.height} px shot`);
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
