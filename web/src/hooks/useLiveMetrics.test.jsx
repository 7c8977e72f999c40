// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useLiveMetrics } from './useLiveMetrics.js';
import { createFakeSocket } from '../test/fakeSocket.js';

function fakeConnector() {
  const calls = [];
  const connect = (url, options) => {
    const socket = createFakeSocket();
    calls.push({ url, options, socket });
    return socket;
  };
  return { connect, calls };
}

describe('useLiveMetrics', () => {
  it('connects with the token over WebSocket only, with bounded reconnection', () => {
    const { connect, calls } = fakeConnector();
    renderHook(() => useLiveMetrics('tok-1', { url: 'http://gw.test', connect }));
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://gw.test');
    expect(calls[0].options).toEqual({
      transports: ['websocket'],
      auth: { token: 'tok-1' },
      reconnectionAttempts: 10,
      reconnectionDelay: 2000,
    });
  });

  it('shows what the server sends', () => {
    const { connect, calls } = fakeConnector();
    const { result } = renderHook(() => useLiveMetrics('tok', { url: 'http://gw.test', connect }));
    const { socket } = calls[0];

    act(() => {
      socket.emit('connect');
      socket.emit('metrics-snapshot', {
        generatedAt: 1000,
        intervalMs: 5000,
        windowMs: 300000,
        totals: { revenue: 100, orders: 4, avgOrderValue: 25 },
        series: [{ start: 0, revenue: 100, orders: 4 }],
        categories: [{ category: 'books', revenue: 100, orders: 4 }],
        recent: [],
      });
      socket.emit('metrics-update', {
        id: 'o-5',
        revenue: 50,
        category: 'books',
        time: 1500,
        committedAt: Date.now() - 20,
        publishedAt: Date.now() - 10,
      });
    });

    expect(result.current.connection.status).toBe('connected');
    expect(result.current.state.totals).toEqual({ revenue: 150, orders: 5, avgOrderValue: 30 });
    expect(result.current.state.recent.map((u) => u.id)).toEqual(['o-5']);
    expect(result.current.latencyMs.last).toBeGreaterThanOrEqual(20);
  });

  it('leaves no listener behind and disconnects on unmount', () => {
    const { connect, calls } = fakeConnector();
    const { unmount } = renderHook(() => useLiveMetrics('tok', { url: 'http://gw.test', connect }));
    const { socket } = calls[0];
    expect(socket.listenerCount()).toBeGreaterThan(0);
    expect(socket.io.listenerCount()).toBeGreaterThan(0);

    unmount();
    expect(socket.listenerCount()).toBe(0);
    expect(socket.io.listenerCount()).toBe(0);
    expect(socket.disconnectCalls).toBe(1);
  });

  it('replaces the socket when the token changes', () => {
    const { connect, calls } = fakeConnector();
    const { rerender } = renderHook(
      ({ token }) => useLiveMetrics(token, { url: 'http://gw.test', connect }),
      { initialProps: { token: 'first' } },
    );
    rerender({ token: 'second' });
    expect(calls.map((c) => c.options.auth.token)).toEqual(['first', 'second']);
    expect(calls[0].socket.listenerCount()).toBe(0);
    expect(calls[0].socket.disconnectCalls).toBe(1);
  });

  it('does not connect without a token', () => {
    const { connect, calls } = fakeConnector();
    const { result } = renderHook(() => useLiveMetrics('', { url: 'http://gw.test', connect }));
    expect(calls).toHaveLength(0);
    expect(result.current.connection.status).toBe('connecting');
  });
});
