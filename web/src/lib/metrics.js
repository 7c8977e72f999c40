// Dashboard aggregates: pure functions over plain objects, so every rule here is unit-tested
// without a socket or a browser. The server's `metrics-snapshot` is authoritative; a
// `metrics-update` between snapshots moves the numbers forward optimistically.

/** The article's sliding render window: the last 12 orders. */
export const RECENT_LIMIT = 12;
/** Bucket width and window length used until a snapshot says otherwise. */
export const DEFAULT_INTERVAL_MS = 5000;
export const DEFAULT_WINDOW_MS = 300000;

export function initialState() {
  return {
    intervalMs: DEFAULT_INTERVAL_MS,
    windowMs: DEFAULT_WINDOW_MS,
    generatedAt: null,
    totals: { revenue: 0, orders: 0, avgOrderValue: 0 },
    series: [],
    categories: [],
    recent: [],
  };
}

/** Order time in ms since the epoch; NaN when it cannot be read. */
export function toMillis(time) {
  if (typeof time === 'number') return time;
  if (typeof time === 'string') return Date.parse(time);
  return Number.NaN;
}

/**
 * When an update entered the pipeline, for comparison with a snapshot's generatedAt: the
 * worker stamps publishedAt after the commit, so it is the closest to when the rollup saw it.
 */
export function stampOf(update) {
  if (Number.isFinite(update.publishedAt)) return update.publishedAt;
  if (Number.isFinite(update.committedAt)) return update.committedAt;
  return toMillis(update.time);
}

export function bucketStart(timeMs, intervalMs) {
  return Math.floor(timeMs / intervalMs) * intervalMs;
}

function isValidUpdate(update) {
  return (
    update !== null &&
    typeof update === 'object' &&
    (typeof update.id === 'string' || typeof update.id === 'number') &&
    Number.isFinite(update.revenue)
  );
}

function categoryName(update) {
  return update.category == null || update.category === '' ? 'unknown' : String(update.category);
}

function withTotals(revenue, orders) {
  return { revenue, orders, avgOrderValue: orders > 0 ? revenue / orders : 0 };
}

/** Keeps the last `limit` items, dropping any whose id was already seen (first one wins). */
function lastUniqueById(items, limit = RECENT_LIMIT) {
  const seen = new Set();
  const unique = [];
  for (const item of items) {
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    unique.push(item);
  }
  return unique.slice(-limit);
}

function addToCategories(categories, name, revenue) {
  const index = categories.findIndex((row) => row.category === name);
  if (index === -1) return [...categories, { category: name, revenue, orders: 1 }];
  const row = categories[index];
  const next = categories.slice();
  next[index] = { category: name, revenue: row.revenue + revenue, orders: row.orders + 1 };
  return next;
}

/**
 * Adds revenue to the bucket holding timeMs and drops buckets that fell out of the window,
 * measured back from the newest bucket: at most windowMs / intervalMs buckets remain.
 */
export function addToSeries(series, timeMs, revenue, intervalMs, windowMs) {
  if (!Number.isFinite(timeMs)) return series;
  const start = bucketStart(timeMs, intervalMs);
  const newest = series.length > 0 ? Math.max(series[series.length - 1].start, start) : start;
  const oldestKept = newest + intervalMs - windowMs;
  if (start < oldestKept) return series;

  let next = series.filter((bucket) => bucket.start >= oldestKept);
  const index = next.findIndex((bucket) => bucket.start === start);
  if (index === -1) {
    next = [...next, { start, revenue, orders: 1 }].sort((a, b) => a.start - b.start);
  } else {
    const bucket = next[index];
    next = next.slice();
    next[index] = { start, revenue: bucket.revenue + revenue, orders: bucket.orders + 1 };
  }
  return next;
}

/**
 * One completed order between snapshots. Returns the same state object when the update is
 * ignored: malformed, already in the window, or already counted by the held snapshot.
 */
export function applyUpdate(state, update) {
  if (!isValidUpdate(update)) return state;
  if (state.recent.some((held) => held.id === update.id)) return state;
  if (state.generatedAt !== null && stampOf(update) <= state.generatedAt) return state;

  const totals = withTotals(state.totals.revenue + update.revenue, state.totals.orders + 1);
  return {
    ...state,
    totals,
    categories: addToCategories(state.categories, categoryName(update), update.revenue),
    series: addToSeries(
      state.series,
      toMillis(update.time),
      update.revenue,
      state.intervalMs,
      state.windowMs,
    ),
    recent: [...state.recent, update].slice(-RECENT_LIMIT),
  };
}

function positiveOr(value, fallback) {
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Replaces the aggregates with the snapshot's. Updates already held that are newer than the
 * snapshot (and not in it) are applied on top, so the numbers never step back in time.
 * A snapshot older than the one held is ignored.
 */
export function applySnapshot(state, snapshot) {
  if (snapshot === null || typeof snapshot !== 'object') return state;
  const generatedAt = Number.isFinite(snapshot.generatedAt) ? snapshot.generatedAt : null;
  if (generatedAt !== null && state.generatedAt !== null && generatedAt < state.generatedAt) {
    return state;
  }

  const totals = snapshot.totals ?? {};
  const revenue = Number.isFinite(totals.revenue) ? totals.revenue : 0;
  const orders = Number.isFinite(totals.orders) ? totals.orders : 0;
  const recent = lastUniqueById((snapshot.recent ?? []).filter(isValidUpdate));
  const inSnapshot = new Set(recent.map((update) => update.id));

  const base = {
    intervalMs: positiveOr(snapshot.intervalMs, state.intervalMs),
    windowMs: positiveOr(snapshot.windowMs, state.windowMs),
    generatedAt,
    totals: {
      ...withTotals(revenue, orders),
      ...(Number.isFinite(totals.avgOrderValue) ? { avgOrderValue: totals.avgOrderValue } : {}),
    },
    series: (snapshot.series ?? [])
      .filter((bucket) => Number.isFinite(bucket.start))
      .map((bucket) => ({ start: bucket.start, revenue: bucket.revenue, orders: bucket.orders }))
      .sort((a, b) => a.start - b.start),
    categories: (snapshot.categories ?? []).map((row) => ({
      category: String(row.category),
      revenue: row.revenue,
      orders: row.orders,
    })),
    recent,
  };

  const newer = state.recent.filter(
    (update) =>
      !inSnapshot.has(update.id) && (generatedAt === null || stampOf(update) > generatedAt),
  );
  return newer.reduce(applyUpdate, base);
}
