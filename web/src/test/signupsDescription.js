// What GET /api/v1/dashboards answers for examples/signups.toml (docs/streams.md), and the
// orders stream beside it, as the gateway serializes them.
export const signups = {
  name: 'signups',
  title: 'Sign-ups',
  rooms: ['signups'],
  event: 'signup',
  snapshotEvent: 'signups-snapshot',
  key: 'id',
  time: 'time',
  intervalMs: 60000,
  windowMs: 3600000,
  recent: 20,
  measures: [
    { name: 'signups', op: 'count', in: ['totals', 'series', 'groups'] },
    { name: 'mrr', op: 'sum', in: ['totals', 'series', 'groups'] },
    { name: 'avgMrr', op: 'avg', in: ['totals', 'series', 'groups'] },
  ],
  group: { list: 'plans', label: 'plan', rankBy: 'signups', top: 10 },
  panels: [
    { kind: 'kpi', title: 'Sign-ups (last hour)', format: 'integer', measure: 'signups' },
    { kind: 'kpi', title: 'New MRR', format: 'currency', unit: 'USD', measure: 'mrr' },
    { kind: 'timeseries', title: 'Sign-ups per minute', format: 'integer', measure: 'signups' },
    { kind: 'breakdown', title: 'Sign-ups by plan', format: 'integer', measure: 'signups' },
    { kind: 'table', title: 'Latest sign-ups', format: 'number', columns: ['id', 'plan', 'country', 'mrr'] },
  ],
};

export const orders = {
  name: 'orders',
  title: 'Live orders',
  rooms: ['live-metrics'],
  event: 'metrics-update',
  snapshotEvent: 'metrics-snapshot',
  key: 'id',
  time: 'time',
  intervalMs: 5000,
  windowMs: 300000,
  recent: 12,
  measures: [],
  group: { list: 'categories', label: 'category', rankBy: 'revenue', top: 50 },
  panels: [],
};

const T0 = Date.parse('2026-01-01T12:00:00.000Z');

/** A snapshot of the shape docs/streams.md gives for the sign-ups stream. */
export const signupsSnapshot = {
  generatedAt: T0,
  intervalMs: 60000,
  windowMs: 3600000,
  totals: { signups: 1234, mrr: 56789.5, avgMrr: 46.02 },
  series: [
    { start: T0 - 120000, signups: 4, mrr: 100, avgMrr: 25 },
    { start: T0 - 60000, signups: 7, mrr: 300, avgMrr: 42.86 },
  ],
  plans: [
    { plan: 'pro', signups: 3, mrr: 300, avgMrr: 100 },
    { plan: 'free', signups: 8, mrr: 0, avgMrr: 0 },
  ],
  recent: [
    { id: 's-1', plan: 'free', country: 'FR', mrr: 0, time: T0 - 90000 },
    { id: 's-2', plan: 'pro', country: 'DE', mrr: 100, time: T0 - 30000 },
  ],
};
