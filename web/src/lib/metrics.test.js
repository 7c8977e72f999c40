import { describe, expect, it } from 'vitest';
import {
  RECENT_LIMIT,
  addToSeries,
  applySnapshot,
  applyUpdate,
  bucketStart,
  initialState,
  stampOf,
  toMillis,
} from './metrics.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

function order(id, revenue, category, time, extra = {}) {
  return { id, revenue, category, time, ...extra };
}

function applyAll(state, updates) {
  return updates.reduce(applyUpdate, state);
}

function snapshot(overrides = {}) {
  return {
    generatedAt: T0,
    intervalMs: 5000,
    windowMs: 300000,
    totals: { revenue: 0, orders: 0, avgOrderValue: 0 },
    series: [],
    categories: [],
    recent: [],
    ...overrides,
  };
}

describe('time helpers', () => {
  it('reads ISO strings and epoch milliseconds', () => {
    expect(toMillis('2025-01-01T00:00:00.000Z')).toBe(T0);
    expect(toMillis(T0)).toBe(T0);
    expect(toMillis('not a date')).toBeNaN();
    expect(toMillis(undefined)).toBeNaN();
  });

  it('floors a time to the start of its bucket', () => {
    expect(bucketStart(T0 + 4999, 5000)).toBe(T0);
    expect(bucketStart(T0 + 5000, 5000)).toBe(T0 + 5000);
  });

  it('prefers publishedAt, then committedAt, then the order time as the stamp', () => {
    expect(stampOf(order('a', 1, 'x', T0, { committedAt: T0 + 1, publishedAt: T0 + 2 }))).toBe(
      T0 + 2,
    );
    expect(stampOf(order('a', 1, 'x', T0, { committedAt: T0 + 1 }))).toBe(T0 + 1);
    expect(stampOf(order('a', 1, 'x', '2025-01-01T00:00:00.000Z'))).toBe(T0);
  });
});

describe('applyUpdate', () => {
  it('moves totals, average, category and bucket forward', () => {
    const state = applyAll(initialState(), [
      order('a', 10, 'books', T0 + 1000),
      order('b', 30, 'games', T0 + 2000),
      order('c', 20, 'books', T0 + 6000),
    ]);
    expect(state.totals).toEqual({ revenue: 60, orders: 3, avgOrderValue: 20 });
    expect(state.categories).toEqual([
      { category: 'books', revenue: 30, orders: 2 },
      { category: 'games', revenue: 30, orders: 1 },
    ]);
    expect(state.series).toEqual([
      { start: T0, revenue: 40, orders: 2 },
      { start: T0 + 5000, revenue: 20, orders: 1 },
    ]);
    expect(state.recent.map((u) => u.id)).toEqual(['a', 'b', 'c']);
  });

  it('accepts ISO order times', () => {
    const state = applyUpdate(initialState(), order('a', 5, 'x', '2025-01-01T00:00:07.000Z'));
    expect(state.series).toEqual([{ start: T0 + 5000, revenue: 5, orders: 1 }]);
  });

  it('keeps only the last 12 orders, oldest first', () => {
    const updates = Array.from({ length: 20 }, (_, i) => order(`o${i}`, 1, 'x', T0 + i));
    const state = applyAll(initialState(), updates);
    expect(state.recent).toHaveLength(RECENT_LIMIT);
    expect(state.recent[0].id).toBe('o8');
    expect(state.recent[RECENT_LIMIT - 1].id).toBe('o19');
    expect(state.totals.orders).toBe(20);
  });

  it('ignores an order already in the window, without counting it twice', () => {
    const once = applyUpdate(initialState(), order('a', 10, 'x', T0));
    const twice = applyUpdate(once, order('a', 10, 'x', T0));
    expect(twice).toBe(once);
    expect(twice.totals.orders).toBe(1);
  });

  it('ignores malformed updates', () => {
    const state = initialState();
    expect(applyUpdate(state, null)).toBe(state);
    expect(applyUpdate(state, { id: 'a', revenue: 'ten', category: 'x', time: T0 })).toBe(state);
    expect(applyUpdate(state, { revenue: 10, category: 'x', time: T0 })).toBe(state);
  });

  it('counts an order with an unreadable time in totals but not in the series', () => {
    const state = applyUpdate(initialState(), order('a', 10, 'x', 'garbage'));
    expect(state.totals.orders).toBe(1);
    expect(state.series).toEqual([]);
  });

  it('files an order without a category under "unknown"', () => {
    const state = applyUpdate(initialState(), { id: 'a', revenue: 3, time: T0 });
    expect(state.categories).toEqual([{ category: 'unknown', revenue: 3, orders: 1 }]);
  });

  it('ignores an update the held snapshot already counted', () => {
    const held = applySnapshot(
      initialState(),
      snapshot({ totals: { revenue: 100, orders: 4, avgOrderValue: 25 } }),
    );
    const late = applyUpdate(held, order('z', 50, 'x', T0 - 10, { publishedAt: T0 - 1 }));
    expect(late).toBe(held);
    const fresh = applyUpdate(held, order('y', 50, 'x', T0 + 10, { publishedAt: T0 + 11 }));
    expect(fresh.totals).toEqual({ revenue: 150, orders: 5, avgOrderValue: 30 });
  });
});

describe('series window', () => {
  const interval = 5000;
  const window = 20000; // four buckets

  it('creates a bucket for a new interval and drops buckets older than the window', () => {
    let series = [];
    for (let i = 0; i < 6; i += 1) {
      series = addToSeries(series, T0 + i * interval, 1, interval, window);
    }
    expect(series.map((b) => b.start)).toEqual([
      T0 + 2 * interval,
      T0 + 3 * interval,
      T0 + 4 * interval,
      T0 + 5 * interval,
    ]);
  });

  it('rolls over when a later order skips empty intervals', () => {
    let series = addToSeries([], T0, 1, interval, window);
    series = addToSeries(series, T0 + 10 * interval, 2, interval, window);
    expect(series).toEqual([{ start: T0 + 10 * interval, revenue: 2, orders: 1 }]);
  });

  it('adds a late order to its own bucket and keeps buckets sorted', () => {
    let series = addToSeries([], T0 + 2 * interval, 1, interval, window);
    series = addToSeries(series, T0 + interval + 1, 4, interval, window);
    series = addToSeries(series, T0 + 2 * interval + 7, 2, interval, window);
    expect(series).toEqual([
      { start: T0 + interval, revenue: 4, orders: 1 },
      { start: T0 + 2 * interval, revenue: 3, orders: 2 },
    ]);
  });

  it('does not add an order older than the window', () => {
    const series = addToSeries([], T0 + 10 * interval, 1, interval, window);
    expect(addToSeries(series, T0, 9, interval, window)).toBe(series);
  });

  it('uses the snapshot interval and window for later updates', () => {
    const held = applySnapshot(initialState(), snapshot({ intervalMs: 1000, windowMs: 2000 }));
    const state = applyAll(held, [
      order('a', 1, 'x', T0 + 100, { publishedAt: T0 + 100 }),
      order('b', 1, 'x', T0 + 1100, { publishedAt: T0 + 1100 }),
      order('c', 1, 'x', T0 + 2100, { publishedAt: T0 + 2100 }),
    ]);
    expect(state.series.map((b) => b.start)).toEqual([T0 + 1000, T0 + 2000]);
  });
});

describe('applySnapshot', () => {
  it('replaces every aggregate with the snapshot', () => {
    const before = applyAll(initialState(), [order('old', 999, 'stale', T0 - 60000)]);
    const state = applySnapshot(
      before,
      snapshot({
        totals: { revenue: 70, orders: 2, avgOrderValue: 35 },
        series: [
          { start: T0 - 5000, revenue: 30, orders: 1 },
          { start: T0 - 10000, revenue: 40, orders: 1 },
        ],
        categories: [{ category: 'books', revenue: 70, orders: 2 }],
        recent: [order('r1', 40, 'books', T0 - 9000), order('r2', 30, 'books', T0 - 4000)],
      }),
    );
    expect(state.totals).toEqual({ revenue: 70, orders: 2, avgOrderValue: 35 });
    expect(state.series.map((b) => b.start)).toEqual([T0 - 10000, T0 - 5000]);
    expect(state.categories).toEqual([{ category: 'books', revenue: 70, orders: 2 }]);
    expect(state.recent.map((u) => u.id)).toEqual(['r1', 'r2']);
    expect(state.generatedAt).toBe(T0);
  });

  it('keeps held updates newer than the snapshot and counts them on top', () => {
    const held = applyAll(initialState(), [
      order('before', 10, 'x', T0 - 500, { publishedAt: T0 - 400 }),
      order('after', 25, 'y', T0 + 200, { publishedAt: T0 + 300 }),
    ]);
    const state = applySnapshot(
      held,
      snapshot({
        totals: { revenue: 10, orders: 1, avgOrderValue: 10 },
        categories: [{ category: 'x', revenue: 10, orders: 1 }],
        series: [{ start: T0 - 5000, revenue: 10, orders: 1 }],
        recent: [order('before', 10, 'x', T0 - 500, { publishedAt: T0 - 400 })],
      }),
    );
    expect(state.recent.map((u) => u.id)).toEqual(['before', 'after']);
    expect(state.totals).toEqual({ revenue: 35, orders: 2, avgOrderValue: 17.5 });
    expect(state.categories).toEqual([
      { category: 'x', revenue: 10, orders: 1 },
      { category: 'y', revenue: 25, orders: 1 },
    ]);
    expect(state.series).toEqual([
      { start: T0 - 5000, revenue: 10, orders: 1 },
      { start: T0, revenue: 25, orders: 1 },
    ]);
  });

  it('drops held updates that the snapshot already covers but no longer lists', () => {
    const held = applyUpdate(initialState(), order('gone', 10, 'x', T0 - 1, { publishedAt: T0 }));
    const state = applySnapshot(held, snapshot());
    expect(state.recent).toEqual([]);
    expect(state.totals.orders).toBe(0);
  });

  it('dedupes by id and keeps the last 12 of snapshot and newer updates together', () => {
    const newer = Array.from({ length: 5 }, (_, i) =>
      order(`n${i}`, 1, 'x', T0 + i + 1, { publishedAt: T0 + i + 1 }),
    );
    const held = applyAll(initialState(), newer);
    const listed = Array.from({ length: 10 }, (_, i) => order(`s${i}`, 1, 'x', T0 - 100 + i));
    const state = applySnapshot(held, snapshot({ recent: [...listed, newer[0], newer[0]] }));
    expect(state.recent.map((u) => u.id)).toEqual([
      's3', 's4', 's5', 's6', 's7', 's8', 's9', 'n0', 'n1', 'n2', 'n3', 'n4',
    ]);
  });

  it('ignores a snapshot older than the one held', () => {
    const held = applySnapshot(
      initialState(),
      snapshot({ generatedAt: T0, totals: { revenue: 5, orders: 1, avgOrderValue: 5 } }),
    );
    expect(applySnapshot(held, snapshot({ generatedAt: T0 - 1 }))).toBe(held);
  });

  it('derives the average when the snapshot omits it', () => {
    const state = applySnapshot(initialState(), snapshot({ totals: { revenue: 9, orders: 3 } }));
    expect(state.totals.avgOrderValue).toBe(3);
  });

  it('keeps default interval and window when the snapshot gives none', () => {
    const state = applySnapshot(
      initialState(),
      snapshot({ intervalMs: undefined, windowMs: 0 }),
    );
    expect(state.intervalMs).toBe(5000);
    expect(state.windowMs).toBe(300000);
  });
});
