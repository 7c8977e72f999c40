// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeLayout } from '../test/fakeLayout.js';
import Dashboard from './Dashboard.jsx';
import { createFakeSocket } from '../test/fakeSocket.js';

beforeAll(fakeLayout);

afterEach(cleanup);

const T0 = Date.parse('2025-01-01T12:00:00.000Z');

function renderDashboard() {
  const sockets = [];
  const connect = () => {
    const socket = createFakeSocket();
    sockets.push(socket);
    return socket;
  };
  render(<Dashboard token="tok" connect={connect} />);
  return sockets[0];
}

const snapshot = {
  generatedAt: T0,
  intervalMs: 5000,
  windowMs: 300000,
  totals: { revenue: 1234.5, orders: 3, avgOrderValue: 411.5 },
  series: [
    { start: T0 - 10000, revenue: 1000, orders: 1 },
    { start: T0 - 5000, revenue: 234.5, orders: 2 },
  ],
  categories: [
    { category: 'books', revenue: 200, orders: 2 },
    { category: 'electronics', revenue: 1034.5, orders: 1 },
  ],
  recent: [
    { id: 'o-1', revenue: 1000, category: 'electronics', time: T0 - 9000 },
    { id: 'o-2', revenue: 100, category: 'books', time: new Date(T0 - 4000).toISOString() },
  ],
};

describe('Dashboard', () => {
  it('shows the snapshot in tiles, tables and chart data', () => {
    const socket = renderDashboard();
    act(() => {
      socket.emit('connect');
      socket.emit('metrics-snapshot', snapshot);
    });

    expect(screen.getByTestId('connection-state').dataset.state).toBe('connected');
    expect(screen.getByTestId('kpi-revenue').textContent).toBe('$1,234.50');
    expect(screen.getByTestId('kpi-revenue').dataset.value).toBe('1234.5');
    expect(screen.getByTestId('kpi-orders').textContent).toBe('3');
    expect(screen.getByTestId('kpi-aov').dataset.value).toBe('411.5');
    expect(screen.getByTestId('kpi-latency').textContent).toBe('—');

    const books = screen.getByTestId('category-row-books');
    expect(books.dataset).toMatchObject({ revenue: '200', orders: '2' });
    // One drawn bar per category, largest first, as the table.
    expect(screen.getByTestId('category-chart').dataset.bars).toBe('2');
    expect(
      screen.getAllByTestId('category-bar').map((b) => [b.dataset.category, b.dataset.revenue]),
    ).toEqual([
      ['electronics', '1034.5'],
      ['books', '200'],
    ]);
    expect(screen.getByTestId('revenue-chart').dataset.points).toBe('2');
    expect(
      screen.getAllByTestId('revenue-point').map((p) => [Number(p.dataset.start), p.dataset.revenue]),
    ).toEqual([
      [T0 - 10000, '1000'],
      [T0 - 5000, '234.5'],
    ]);
    expect(screen.getAllByTestId('recent-revenue-point').map((p) => p.dataset.id)).toEqual(['o-1', 'o-2']);
    expect(screen.getAllByTestId('recent-order').map((row) => row.dataset.id)).toEqual([
      'o-2',
      'o-1',
    ]);
  });

  it('moves the numbers with each live order', () => {
    const socket = renderDashboard();
    act(() => {
      socket.emit('connect');
      socket.emit('metrics-snapshot', snapshot);
      socket.emit('metrics-update', {
        id: 'o-3',
        revenue: 65.5,
        category: 'toys',
        time: T0 + 1000,
        committedAt: Date.now() - 30,
        publishedAt: T0 + 1001,
      });
    });

    expect(screen.getByTestId('kpi-revenue').textContent).toBe('$1,300.00');
    expect(screen.getByTestId('kpi-orders').dataset.value).toBe('4');
    expect(screen.getByTestId('kpi-aov').textContent).toBe('$325.00');
    expect(Number(screen.getByTestId('kpi-latency').dataset.value)).toBeGreaterThanOrEqual(30);
    expect(screen.getByTestId('category-row-toys').dataset).toMatchObject({
      revenue: '65.5',
      orders: '1',
    });
    expect(screen.getByTestId('revenue-chart').dataset.points).toBe('3');
    expect(screen.getAllByTestId('revenue-point')).toHaveLength(3);
    expect(screen.getAllByTestId('recent-order')[0].dataset.id).toBe('o-3');
  });

  it('says Delayed within seconds when the gateway reports stale delivery, and recovers', () => {
    vi.useFakeTimers();
    try {
      const socket = renderDashboard();
      act(() => {
        socket.emit('connect');
        socket.emit('metrics-snapshot', snapshot);
      });
      const badge = screen.getByTestId('connection-state');
      expect(badge.textContent).toBe('Syncing Live');
      act(() => {
        socket.emit('pulseboard:delivery', { status: 'stale', reason: 'no canary', canaryAgeSeconds: 16.2 });
      });
      expect(badge.dataset.delayed).toBe('true');
      expect(badge.textContent).toBe('Delayedfor 16 s');
      // The delay keeps counting without another event.
      act(() => vi.advanceTimersByTime(10_000));
      expect(badge.textContent).toBe('Delayedfor 26 s');

      act(() => socket.emit('pulseboard:delivery', { status: 'ok', reason: null, canaryAgeSeconds: 0.1 }));
      expect(badge.dataset.delayed).toBe('false');
      expect(badge.textContent).toBe('Syncing Live');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a quiet shop (no orders, delivery ok) stays live; a reconnect forgets an old delay', () => {
    vi.useFakeTimers();
    try {
      const socket = renderDashboard();
      act(() => {
        socket.emit('connect');
        socket.emit('metrics-snapshot', snapshot);
        socket.emit('pulseboard:delivery', { status: 'stale', canaryAgeSeconds: 20 });
      });
      const badge = screen.getByTestId('connection-state');
      expect(badge.dataset.delayed).toBe('true');
      act(() => {
        socket.emit('disconnect', 'transport close');
        socket.emit('connect');
      });
      // Recovered while this page was away: the gateway sends nothing, so nothing is delayed.
      expect(badge.dataset.delayed).toBe('false');
      act(() => vi.advanceTimersByTime(25_000));
      expect(badge.textContent).toBe('Syncing Live');
    } finally {
      vi.useRealTimers();
    }
  });

  it('says when a connected dashboard has received nothing for a while, and recovers', () => {
    vi.useFakeTimers();
    try {
      const socket = renderDashboard();
      act(() => {
        socket.emit('connect');
        socket.emit('metrics-snapshot', snapshot);
      });
      const badge = screen.getByTestId('connection-state');
      act(() => vi.advanceTimersByTime(60_000));
      expect(badge.dataset.stale).toBe('false');
      expect(badge.textContent).toBe('Syncing Live');

      act(() => vi.advanceTimersByTime(40_000));
      expect(badge.dataset.state).toBe('connected');
      expect(badge.dataset.stale).toBe('true');
      expect(badge.textContent).toMatch(/^Connected, no new datafor 10\d s$/);

      // The worker's periodic snapshot, even with nothing new in it, is a sign of life.
      act(() => {
        socket.emit('metrics-snapshot', { ...snapshot, generatedAt: T0 + 100_000 });
        vi.advanceTimersByTime(5_000);
      });
      expect(badge.dataset.stale).toBe('false');
      expect(badge.textContent).toBe('Syncing Live');
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows reconnect attempts and then offline', () => {
    const socket = renderDashboard();
    act(() => {
      socket.emit('connect');
      socket.emit('disconnect', 'transport close');
      socket.io.emit('reconnect_attempt', 3);
    });
    const badge = screen.getByTestId('connection-state');
    expect(badge.dataset.state).toBe('reconnecting');
    expect(badge.textContent).toContain('attempt 3/10');

    act(() => socket.io.emit('reconnect_failed'));
    expect(badge.dataset.state).toBe('offline');
  });
});
