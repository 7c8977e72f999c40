import { useEffect, useReducer } from 'react';
import { io } from 'socket.io-client';
import { dashboardReducer, initialDashboard } from '../lib/dashboardReducer.js';
import { subscribe } from '../lib/subscribe.js';

// The gateway serves the page and Socket.IO from one origin.
export function defaultSocketUrl() {
  return import.meta.env.VITE_WS_URL || window.location.origin;
}

/** The socket options of the article, with ten reconnection attempts instead of five. */
export function socketOptions(token) {
  return {
    transports: ['websocket'],
    auth: { token },
    reconnectionAttempts: 10,
    reconnectionDelay: 2000,
  };
}

/**
 * Live metrics for one auth token. `connect` is socket.io-client's `io` unless a test passes a
 * fake. Returns the metrics state, the connection status, commit-to-screen latency and the
 * browser time the last snapshot or update arrived, and the gateway's delivery status
 * (lib/delivery.js).
 */
export function useLiveMetrics(authToken, { url, connect = io } = {}) {
  const [state, dispatch] = useReducer(dashboardReducer, undefined, initialDashboard);
  const socketUrl = url ?? defaultSocketUrl();

  useEffect(() => {
    if (!authToken) return undefined;
    dispatch({ type: 'reset' });
    const socket = connect(socketUrl, socketOptions(authToken));
    const unsubscribe = subscribe(socket, dispatch);
    return () => {
      unsubscribe();
      socket.disconnect();
    };
  }, [authToken, socketUrl, connect]);

  return {
    state: state.metrics,
    connection: state.connection,
    latencyMs: state.latency,
    lastDataAt: state.lastDataAt,
    delivery: state.delivery,
  };
}
