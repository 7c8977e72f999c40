import { describe, expect, it } from 'vitest';
import {
  CONNECTED,
  CONNECTING,
  OFFLINE,
  RECONNECTING,
  connectionReducer,
  initialConnection,
} from './connectionState.js';

function run(events) {
  return events.reduce(connectionReducer, initialConnection());
}

describe('connectionReducer', () => {
  it('starts connecting with no attempts and no error', () => {
    expect(initialConnection()).toEqual({
      status: CONNECTING,
      attempt: 0,
      reconnects: 0,
      recoveries: 0,
      lastError: null,
    });
  });

  it('is connected after the socket connects', () => {
    expect(run([{ type: 'connect' }]).status).toBe(CONNECTED);
  });

  it('counts reconnect attempts after a transport loss and clears them on connect', () => {
    const lost = run([
      { type: 'connect' },
      { type: 'disconnect', reason: 'transport close', willRetry: true },
      { type: 'reconnect_attempt', attempt: 1 },
      { type: 'connect_error', error: new Error('websocket error'), willRetry: true },
      { type: 'reconnect_attempt', attempt: 2 },
    ]);
    expect(lost).toMatchObject({ status: RECONNECTING, attempt: 2, lastError: 'websocket error' });

    const back = run([
      { type: 'connect' },
      { type: 'disconnect', reason: 'transport close', willRetry: true },
      { type: 'reconnect_attempt', attempt: 1 },
      { type: 'reconnect', attempt: 1 },
      { type: 'connect' },
    ]);
    expect(back).toEqual({ status: CONNECTED, attempt: 0, reconnects: 1, recoveries: 0, lastError: null });
  });

  it('stays connecting while the first connection is retried', () => {
    const state = run([{ type: 'connect_error', error: new Error('xhr poll error'), willRetry: true }]);
    expect(state).toMatchObject({ status: CONNECTING, lastError: 'xhr poll error' });
  });

  it('goes offline when the server refuses the handshake', () => {
    const state = run([
      { type: 'connect_error', error: new Error('Authentication error'), willRetry: false },
    ]);
    expect(state).toMatchObject({ status: OFFLINE, lastError: 'Authentication error' });
  });

  it('goes offline when the server closes the connection on purpose', () => {
    const state = run([
      { type: 'connect' },
      { type: 'disconnect', reason: 'io server disconnect', willRetry: false },
    ]);
    expect(state).toMatchObject({ status: OFFLINE, lastError: 'io server disconnect' });
  });

  it('goes offline with the attempt count when reconnection gives up', () => {
    const attempts = Array.from({ length: 10 }, (_, i) => ({
      type: 'reconnect_attempt',
      attempt: i + 1,
    }));
    const state = run([...attempts, { type: 'reconnect_failed' }]);
    expect(state).toMatchObject({
      status: OFFLINE,
      attempt: 10,
      lastError: 'gave up after 10 reconnection attempts',
    });
  });

  it('returns the same state for events it does not know', () => {
    const state = initialConnection();
    expect(connectionReducer(state, { type: 'metrics-update' })).toBe(state);
  });
});
