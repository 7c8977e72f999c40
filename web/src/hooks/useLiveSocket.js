import { useEffect, useReducer } from 'react';
import { io } from 'socket.io-client';
import { ORDERS_EVENTS, subscribe } from '../lib/subscribe.js';
import { reportVisibility } from '../lib/visibility.js';

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
 * One socket per auth token and stream, its events fed to `reducer`. `connect` is
 * socket.io-client's `io` unless a test passes a fake; `stream` names the events and rooms
 * (lib/subscribe.js). A new token or another stream starts over with a new socket.
 */
export function useLiveSocket(authToken, { url, connect = io, stream = ORDERS_EVENTS, reducer, init }) {
  const [state, dispatch] = useReducer(reducer, undefined, init);
  const socketUrl = url ?? defaultSocketUrl();
  const { event, snapshotEvent } = stream;
  const rooms = (stream.rooms ?? []).join('\n');

  useEffect(() => {
    if (!authToken) return undefined;
    dispatch({ type: 'reset' });
    const socket = connect(socketUrl, socketOptions(authToken));
    const names = { event, snapshotEvent, rooms: rooms === '' ? [] : rooms.split('\n') };
    const unsubscribe = subscribe(socket, dispatch, Date.now, names);
    // A background tab gets no per-order updates, only the latest snapshot when shown again.
    const stopReporting = reportVisibility(socket);
    return () => {
      stopReporting();
      unsubscribe();
      socket.disconnect();
    };
  }, [authToken, socketUrl, connect, event, snapshotEvent, rooms]);

  return state;
}
