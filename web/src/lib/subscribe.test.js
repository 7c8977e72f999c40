import { describe, expect, it } from 'vitest';
import { subscribe } from './subscribe.js';
import { createFakeSocket } from '../test/fakeSocket.js';

describe('subscribe', () => {
  it('turns socket and manager events into actions', () => {
    const socket = createFakeSocket();
    const actions = [];
    subscribe(socket, (action) => actions.push(action), () => 777);

    socket.emit('connect');
    socket.emit('metrics-update', { id: 'a', revenue: 1 });
    socket.emit('metrics-snapshot', { generatedAt: 1 });
    socket.emit('pulseboard:delivery', { status: 'stale', canaryAgeSeconds: 16 });
    socket.io.emit('reconnect_attempt', 2);
    socket.io.emit('reconnect', 2);
    socket.io.emit('reconnect_failed');
    socket.active = false;
    socket.emit('connect_error', new Error('Authentication error'));
    socket.emit('disconnect', 'io server disconnect');

    socket.recovered = true;
    socket.emit('connect');

    expect(actions).toEqual([
      { type: 'connect', recovered: false },
      { type: 'metrics-update', update: { id: 'a', revenue: 1 }, receivedAt: 777 },
      { type: 'metrics-snapshot', snapshot: { generatedAt: 1 }, receivedAt: 777 },
      { type: 'delivery', status: { status: 'stale', canaryAgeSeconds: 16 }, receivedAt: 777 },
      { type: 'reconnect_attempt', attempt: 2 },
      { type: 'reconnect' },
      { type: 'reconnect_failed' },
      { type: 'connect_error', error: new Error('Authentication error'), willRetry: false },
      { type: 'disconnect', reason: 'io server disconnect', willRetry: false },
      { type: 'connect', recovered: true },
    ]);
  });

  it('removes every listener it added, on the socket and on the manager', () => {
    const socket = createFakeSocket();
    const other = () => {};
    socket.on('metrics-update', other);
    const unsubscribe = subscribe(socket, () => {});
    expect(socket.listenerCount()).toBe(7); // 6 of its own (pulseboard:delivery too) and `other`
    expect(socket.io.listenerCount()).toBe(3);

    unsubscribe();
    expect(socket.listenerCount()).toBe(1);
    expect(socket.listeners.get('metrics-update')).toEqual([other]);
    expect(socket.io.listenerCount()).toBe(0);
  });
});
