// The dashboard over TLS as a browser meets it: `pulseboard demo --tls-cert --tls-key` with a
// certificate from a CA this test makes with openssl, headless Chromium trusting exactly that
// certificate (its SPKI pin; verification stays on for everything else), the page loaded over
// https and live over wss, and an order posted over https appearing on screen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openPage } from './lib/browser.mjs';
import { waitForDashboard } from './lib/dashboard.mjs';
import { ensureDashboardBuilt, startDemo, waitFor } from './lib/demo.mjs';
import { postOrder } from './lib/orders.mjs';
import { makeServerCert } from './lib/tls.mjs';

const ORDER = { amount: 31.25, category: 'books', status: 'completed' };

// Every WebSocket the page opens: its URL, and the text frames it received.
function recordSockets(page) {
  const sockets = [];
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), received: [] };
    sockets.push(entry);
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string') entry.received.push(payload);
    });
  });
  return sockets;
}

describe('the dashboard over https and wss', () => {
  let tmp;
  let tls;
  let demo;
  let browser;
  let page;
  let consoleErrors;
  let sockets;

  before(async () => {
    ensureDashboardBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pulseboard-e2e-'));
    tls = makeServerCert();
    demo = await startDemo({ dbPath: path.join(tmp, 'demo.db'), tls });
    browser = await launchChromium({ args: [`--ignore-certificate-errors-spki-list=${tls.spki}`] });
    ({ page, consoleErrors } = await openPage(browser));
    sockets = recordSockets(page);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await demo?.stop().catch(() => {});
    tls?.remove();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses the certificate in a Chromium that was not told to trust it', async () => {
    // The pin is what makes the page load, not a browser that accepts any certificate.
    const plain = await launchChromium();
    try {
      const { page: other } = await openPage(plain);
      await assert.rejects(other.goto(demo.url), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await plain.close();
    }
  });

  it('loads the page over https and connects over wss', async () => {
    const response = await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    assert.equal(response.status(), 200);
    const security = await response.securityDetails();
    assert.ok(security, 'the page came over TLS');
    assert.match(security.protocol, /^TLS 1\.[23]$/);
    assert.equal(security.subjectName, 'localhost');
    const view = await waitForDashboard(page, (v) => v.connection === 'connected', {
      what: 'the connection badge to say connected',
      timeoutMs: 20000,
    });
    assert.equal(view.orders, 0, 'a fresh demo with --rate 0 starts with no orders');
    const live = sockets.filter((s) => s.url.startsWith(`wss://127.0.0.1:${demo.port}/socket.io/`));
    assert.equal(live.length, 1, `the page's WebSockets: ${JSON.stringify(sockets.map((s) => s.url))}`);
    assert.match(live[0].url, /[?&]transport=websocket(&|$)/);
    assert.ok(live[0].received.some((f) => f.startsWith('40')), 'the Socket.IO CONNECT ack arrived over wss');
  });

  it('shows an order posted over https, delivered over wss', async () => {
    const order = await postOrder(demo.url, demo.writeToken, ORDER, { ca: tls.ca });
    const view = await waitForDashboard(page, (v) => v.orders === 1, {
      what: 'the posted order on the page',
      timeoutMs: 20000,
    });
    assert.equal(view.revenue, ORDER.amount);
    assert.deepEqual(view.recent, [{ id: order.id, revenue: ORDER.amount }]);
    // The update the page drew came in a frame of the wss socket.
    await waitFor(() => sockets[0].received.some((f) => f.startsWith('42') && f.includes(order.id)), {
      what: `a Socket.IO event naming ${order.id} on the wss socket`,
    });
    assert.equal(sockets.length, 1, 'no second socket, no fallback');
  });

  it('logged no errors in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
