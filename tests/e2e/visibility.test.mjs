// A dashboard in a background tab (docs/dashboard.md, "Hidden tabs"): the page tells the gateway
// it is hidden through the Page Visibility API, receives nothing while hidden, and once visible
// again shows the same numbers as a dashboard that stayed visible the whole time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openPage } from './lib/browser.mjs';
import { readDashboard, waitForDashboard } from './lib/dashboard.mjs';
import { ensureDashboardBuilt, startDemo, waitFor } from './lib/demo.mjs';
import { postOrder } from './lib/orders.mjs';

// The page's own visibilitychange path: document.visibilityState and document.hidden say what a
// browser says for a background tab, and the event fires as it does when the tab switches.
function setVisibility(page, state) {
  return page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

// Socket.IO frames the page sent and received over its WebSocket, as Chromium saw them.
function recordFrames(page) {
  const frames = { sent: [], received: [] };
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.received.push(String(f.payload)));
  });
  return frames;
}

const waitForFrame = (list, frame) =>
  waitFor(() => list.includes(frame), { what: `the page to send ${frame}`, timeoutMs: 10000 });

// What both dashboards must agree on: tiles, categories, the recent orders list.
const shown = (v) => ({ orders: v.orders, revenue: v.revenue, aov: v.aov, categories: v.categories, recent: v.recent });

describe('a dashboard hidden then shown again', () => {
  let tmp, demo, browser, stayed, hidden, frames;

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-visibility-'));
    demo = await startDemo({ dbPath: path.join(tmp, 'demo.db') });
    browser = await launchChromium();
    stayed = await openPage(browser);
    hidden = await openPage(browser);
    frames = recordFrames(hidden.page);
    for (const { page } of [stayed, hidden]) {
      await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
      await waitForDashboard(page, (v) => v.connection === 'connected', { what: 'connected', timeoutMs: 30000 });
    }
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await demo?.stop().catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('shows nothing new while hidden and the same numbers as the visible one once shown', async () => {
    const first = await postOrder(demo.url, demo.writeToken, { amount: 10.5, category: 'books', status: 'completed' });
    for (const { page } of [stayed, hidden])
      await waitForDashboard(page, (v) => v.orders === 1, { what: 'the first order on both', timeoutMs: 30000 });

    await setVisibility(hidden.page, 'hidden');
    // Sent before the orders are posted: it reaches the gateway long before they come back
    // through the database and the worker.
    await waitForFrame(frames.sent, '42["pulseboard:visibility",{"hidden":true}]');
    const receivedBefore = frames.received.length;
    const posted = [first];
    const feed = [['games', 20.25], ['toys', 7.0], ['books', 3.3], ['home', 42.0]];
    for (const [category, amount] of feed)
      posted.push(await postOrder(demo.url, demo.writeToken, { amount, category, status: 'completed' }));
    const visibleView = await waitForDashboard(stayed.page, (v) => v.orders === posted.length && v.recent.length === posted.length, {
      what: 'every order on the visible dashboard',
      timeoutMs: 30000,
    });
    // Meanwhile the worker's snapshots reached the gateway and were held back from the hidden
    // page: it still shows the first order only.
    const whileHidden = await readDashboard(hidden.page);
    assert.equal(whileHidden.orders, 1, 'the hidden page received no update');
    const gotWhileHidden = frames.received.slice(receivedBefore).filter((f) => f.startsWith('42'));
    assert.deepEqual(gotWhileHidden, [], 'no event reached the hidden page');

    await setVisibility(hidden.page, 'visible');
    await waitForFrame(frames.sent, '42["pulseboard:visibility",{"hidden":false}]');
    const after = await waitForDashboard(hidden.page, (v) => v.orders === posted.length, {
      what: 'the hidden page to catch up once visible',
      timeoutMs: 15000,
    });
    assert.deepEqual(shown(after), shown(visibleView));
    assert.deepEqual(shown(await readDashboard(hidden.page)), shown(await readDashboard(stayed.page)));
    assert.deepEqual(hidden.consoleErrors, []);
  });
});
