import { describe, expect, it } from 'vitest';
import { dashboardReducer, initialDashboard } from './dashboardReducer.js';

const update = { id: 'a', revenue: 12.5, category: 'books', time: 1000, committedAt: 1000 };

describe('dashboardReducer', () => {
  it('applies an update and times it from commit to receipt', () => {
    const state = dashboardReducer(initialDashboard(), {
      type: 'metrics-update',
      update,
      receivedAt: 1080,
    });
    expect(state.metrics.totals.orders).toBe(1);
    expect(state.latency).toMatchObject({ last: 80, p50: 80 });
  });

  it('does not time an update it ignored as a duplicate', () => {
    const once = dashboardReducer(initialDashboard(), {
      type: 'metrics-update',
      update,
      receivedAt: 1080,
    });
    const again = dashboardReducer(once, { type: 'metrics-update', update, receivedAt: 9000 });
    expect(again.metrics).toBe(once.metrics);
    expect(again.latency).toBe(once.latency);
    // Still a sign that the pipeline is alive.
    expect(again.lastDataAt).toBe(9000);
  });

  it('records when the last snapshot or update arrived, whatever it changed', () => {
    expect(initialDashboard().lastDataAt).toBeNull();
    const snap = { generatedAt: 5, totals: { revenue: 10, orders: 2, avgOrderValue: 5 } };
    const first = dashboardReducer(initialDashboard(), { type: 'metrics-snapshot', snapshot: snap, receivedAt: 100 });
    expect(first.lastDataAt).toBe(100);
    const older = dashboardReducer(first, {
      type: 'metrics-snapshot',
      snapshot: { ...snap, generatedAt: 4 },
      receivedAt: 200,
    });
    expect(older.metrics).toBe(first.metrics);
    expect(older.lastDataAt).toBe(200);
    expect(dashboardReducer(older, { type: 'connect' }).lastDataAt).toBe(200);
  });

  it('replaces metrics from a snapshot and leaves the connection alone', () => {
    const connected = dashboardReducer(initialDashboard(), { type: 'connect' });
    const state = dashboardReducer(connected, {
      type: 'metrics-snapshot',
      snapshot: { generatedAt: 5, totals: { revenue: 10, orders: 2, avgOrderValue: 5 } },
    });
    expect(state.metrics.totals).toEqual({ revenue: 10, orders: 2, avgOrderValue: 5 });
    expect(state.connection.status).toBe('connected');
  });

  it('keeps its numbers across a recovered reconnect and takes the snapshot after any other', () => {
    const snap = { generatedAt: 5, totals: { revenue: 10, orders: 2, avgOrderValue: 5 } };
    let state = dashboardReducer(initialDashboard(), { type: 'connect', recovered: false });
    state = dashboardReducer(state, { type: 'metrics-snapshot', snapshot: snap, receivedAt: 10 });
    state = dashboardReducer(state, { type: 'disconnect', reason: 'transport close', willRetry: true });
    // Recovered: no snapshot comes; the missed update arrives and adds to what was shown.
    state = dashboardReducer(state, { type: 'connect', recovered: true });
    state = dashboardReducer(state, { type: 'metrics-update', update: { ...update, committedAt: 6 }, receivedAt: 20 });
    expect(state.metrics.totals).toMatchObject({ revenue: 22.5, orders: 3 });
    expect(state.connection).toMatchObject({ status: 'connected', recoveries: 1 });
    // Not recovered (the window passed): the snapshot the gateway sends replaces everything.
    state = dashboardReducer(state, { type: 'disconnect', reason: 'transport close', willRetry: true });
    state = dashboardReducer(state, { type: 'connect', recovered: false });
    state = dashboardReducer(state, {
      type: 'metrics-snapshot',
      snapshot: { generatedAt: 50, totals: { revenue: 99, orders: 9, avgOrderValue: 11 } },
      receivedAt: 60,
    });
    expect(state.metrics.totals).toEqual({ revenue: 99, orders: 9, avgOrderValue: 11 });
    expect(state.connection.recoveries).toBe(1);
  });

  it('routes connection events to the connection state', () => {
    const state = dashboardReducer(initialDashboard(), { type: 'reconnect_attempt', attempt: 3 });
    expect(state.connection).toMatchObject({ status: 'reconnecting', attempt: 3 });
  });
});
