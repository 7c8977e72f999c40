// Reads what the dashboard shows, through the data-testid attributes of docs/dashboard.md.
import { waitFor } from './demo.mjs';

/** One read of the page: KPI tiles, connection badge, chart points, category rows, recent orders. */
export function readDashboard(page) {
  return page.evaluate(() => {
    const one = (id) => document.querySelector(`[data-testid="${id}"]`);
    const all = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)];
    const num = (el) => (el && el.dataset.value !== '' ? Number(el.dataset.value) : null);
    const categories = {};
    for (const row of document.querySelectorAll('[data-testid^="category-row-"]')) {
      categories[row.dataset.testid.slice('category-row-'.length)] = {
        revenue: Number(row.dataset.revenue),
        orders: Number(row.dataset.orders),
      };
    }
    return {
      connection: one('connection-state')?.dataset.state ?? null,
      revenue: num(one('kpi-revenue')),
      revenueText: one('kpi-revenue')?.textContent ?? null,
      orders: num(one('kpi-orders')),
      aov: num(one('kpi-aov')),
      latency: num(one('kpi-latency')),
      latencyText: one('kpi-latency')?.textContent ?? null,
      // Buckets in the chart's data, and the circles Recharts has drawn for them (drawn once the
      // chart has measured its container, a frame or two after the data arrives).
      chartPoints: Number(one('revenue-chart')?.dataset.points ?? NaN),
      points: all('revenue-point').length,
      series: all('revenue-point').map((p) => ({ start: Number(p.dataset.start), revenue: Number(p.dataset.revenue) })),
      recentChartPoints: Number(one('recent-revenue-chart')?.dataset.points ?? NaN),
      recentPoints: all('recent-revenue-point').length,
      recentLine: all('recent-revenue-point').map((p) => p.dataset.id),
      categories,
      // Bars Recharts has drawn, left to right, with their on-screen height in CSS pixels.
      chartBars: Number(one('category-chart')?.dataset.bars ?? NaN),
      bars: all('category-bar').map((b) => ({
        category: b.dataset.category,
        revenue: Number(b.dataset.revenue),
        height: b.getBoundingClientRect().height,
      })),
      recent: all('recent-order').map((row) => ({ id: row.dataset.id, revenue: Number(row.dataset.revenue) })),
    };
  });
}

/**
 * Polls the page until `predicate(view)` holds; on timeout the error shows the last view, so a
 * failure says what the user actually saw.
 */
export async function waitForDashboard(page, predicate, { what, timeoutMs = 10000 } = {}) {
  let last;
  try {
    return await waitFor(
      async () => {
        last = await readDashboard(page);
        return predicate(last) ? last : null;
      },
      { timeoutMs, intervalMs: 50, what },
    );
  } catch (e) {
    e.message += `\nlast seen on the page: ${JSON.stringify(last)}`;
    throw e;
  }
}

/**
 * Polls the page until `check(view)` passes (it asserts; the page settles over a frame or two,
 * Recharts draws after it measures) and returns that view. At the deadline, rethrows the last
 * failed assertion with the view it failed on.
 */
export async function expectDashboard(page, check, { timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readDashboard(page);
    try {
      check(view);
      return view;
    } catch (e) {
      if (Date.now() > deadline) {
        e.message += `\nafter ${timeoutMs} ms, last seen on the page: ${JSON.stringify(view)}`;
        throw e;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Money as the page rounds it in data-value: to cents. */
export const cents = (x) => Math.round(x * 100) / 100;
