// @vitest-environment jsdom
// A dashboard described by a stream file draws the panels it declares, over a snapshot of the
// shape docs/streams.md gives, and the selector switches between described dashboards.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeLayout } from '../test/fakeLayout.js';
import { createFakeSocket } from '../test/fakeSocket.js';
import { orders, signups, signupsSnapshot } from '../test/signupsDescription.js';
import Dashboard from './Dashboard.jsx';

beforeAll(fakeLayout);
afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, '', '/'));

function connector() {
  const sockets = [];
  const connect = () => {
    const socket = createFakeSocket();
    socket.joined = [];
    socket.on('subscribe', (rooms) => socket.joined.push(...rooms));
    sockets.push(socket);
    return socket;
  };
  return { sockets, connect };
}

async function renderWith(list) {
  const { sockets, connect } = connector();
  render(<Dashboard token="tok" connect={connect} loadDashboards={async () => list} />);
  await waitFor(() => expect(sockets.length).toBeGreaterThan(0));
  return sockets;
}

const kpi = (measure) => screen.getByTestId(`panel-kpi-${measure}`);

describe('a described dashboard', () => {
  it('draws the declared tiles, series, breakdown and table from its snapshot', async () => {
    const [socket] = await renderWith([signups]);
    act(() => {
      socket.emit('connect');
      socket.emit('signups-snapshot', signupsSnapshot);
    });
    expect(socket.joined).toEqual(['signups']);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Sign-ups');
    expect(kpi('signups').textContent).toBe('Sign-ups (last hour)1,234');
    expect(kpi('mrr').querySelector('[data-testid="kpi-value"]').textContent).toBe('$56,789.50');
    expect(screen.queryByTestId('panel-kpi-avgMrr')).toBeNull(); // not a declared panel
    expect(screen.getByTestId('series-chart').dataset.points).toBe('2');
    const breakdown = screen.getAllByTestId('breakdown-row');
    expect(breakdown.map((r) => [r.dataset.group, r.textContent])).toEqual([
      ['free', 'free8'],
      ['pro', 'pro3'],
    ]);
    const breakdownTitle = screen.getByTestId('panel-breakdown-signups').querySelector('h3');
    expect(breakdownTitle.textContent).toBe('Sign-ups by plan');
    expect(screen.getAllByTestId('table-row').map((r) => r.dataset.key)).toEqual(['s-2', 's-1']);
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['id', 'plan', 'country', 'mrr']);
  });

  it('adds each event to the table and ignores the orders events', async () => {
    const [socket] = await renderWith([signups]);
    act(() => {
      socket.emit('connect');
      socket.emit('signups-snapshot', signupsSnapshot);
      socket.emit('signup', { id: 's-3', plan: 'team', country: 'US', mrr: 250, time: Date.now() });
      socket.emit('metrics-snapshot', { totals: { signups: 1 } });
    });
    expect(screen.getAllByTestId('table-row').map((r) => r.dataset.key)).toEqual(['s-3', 's-2', 's-1']);
    expect(screen.getAllByTestId('table-row')[0].textContent).toBe('s-3teamUS250');
    expect(kpi('signups').textContent).toBe('Sign-ups (last hour)1,234');
  });

  it('switches dashboards with the selector, remembers the choice, and joins the new rooms', async () => {
    const sockets = await renderWith([orders, signups]);
    expect(screen.getByTestId('kpi-revenue')).toBeTruthy(); // the orders layout, as today
    const select = screen.getByTestId('dashboard-select');
    expect([...select.options].map((o) => o.textContent)).toEqual(['Live orders', 'Sign-ups']);

    fireEvent.change(select, { target: { value: 'signups' } });
    await waitFor(() => expect(sockets).toHaveLength(2));
    expect(sockets[0].disconnectCalls).toBe(1);
    expect(window.location.hash).toBe('#dashboard=signups');
    act(() => {
      sockets[1].emit('connect');
      sockets[1].emit('signups-snapshot', signupsSnapshot);
    });
    expect(sockets[1].joined).toEqual(['signups']);
    expect(kpi('signups').textContent).toContain('1,234');
    expect(screen.queryByTestId('kpi-revenue')).toBeNull();
  });

  it('opens the dashboard named in the address', async () => {
    window.history.replaceState(null, '', '/#dashboard=signups');
    await renderWith([orders, signups]);
    expect(screen.getByTestId('stream-dashboard').dataset.stream).toBe('signups');
    expect(screen.getByTestId('dashboard-select').value).toBe('signups');
  });

  it('draws the orders layout when the gateway describes nothing (an older gateway)', async () => {
    const [socket] = await renderWith(null);
    act(() => {
      socket.emit('connect');
      socket.emit('metrics-snapshot', { totals: { revenue: 12.5, orders: 1, avgOrderValue: 12.5 } });
    });
    expect(screen.getByTestId('kpi-revenue').textContent).toBe('$12.50');
    expect(screen.queryByTestId('dashboard-select')).toBeNull();
    expect(socket.joined).toEqual([]);
  });

  it('says Delayed when the gateway reports stale delivery, like the orders dashboard', async () => {
    // Timers also move with the clock, so the dashboards' loading can be awaited.
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const [socket] = await renderWith([signups]);
      act(() => {
        socket.emit('connect');
        socket.emit('signups-snapshot', signupsSnapshot);
      });
      const badge = screen.getByTestId('connection-state');
      expect(badge.textContent).toBe('Syncing Live');
      act(() => socket.emit('pulseboard:delivery', { status: 'stale', reason: 'no canary', canaryAgeSeconds: 16.2 }));
      expect(badge.dataset.delayed).toBe('true');
      expect(badge.textContent).toBe('Delayedfor 16 s');
      act(() => vi.advanceTimersByTime(10_000)); // counts on without another event
      expect(badge.textContent).toMatch(/^Delayedfor 2\d s$/);

      act(() => socket.emit('pulseboard:delivery', { status: 'ok', reason: null, canaryAgeSeconds: 0.1 }));
      expect(badge.dataset.delayed).toBe('false');
      expect(badge.textContent).toBe('Syncing Live');

      act(() => socket.emit('pulseboard:delivery', { status: 'stale', canaryAgeSeconds: 20 }));
      expect(badge.dataset.delayed).toBe('true');
      act(() => {
        socket.emit('disconnect', 'transport close');
        socket.emit('connect');
      });
      expect(badge.dataset.delayed).toBe('false'); // a new connection forgets an old delay
    } finally {
      vi.useRealTimers();
    }
  });
});
