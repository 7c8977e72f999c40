// Wires a socket.io-client socket to a dispatch function. Every handler added here is removed
// by the returned function, by reference, so a remount never leaves a ghost listener behind
// (the article's cleanup removed only `metrics-update`).
import { DELIVERY_EVENT } from './delivery.js';

/** The orders dashboard's events; a stream file may name others (lib/dashboards.js). */
export const ORDERS_EVENTS = { event: 'metrics-update', snapshotEvent: 'metrics-snapshot', rooms: [] };

/**
 * `stream` names the events to listen to and the rooms to join on each connect (`subscribe`;
 * the gateway ignores rooms a socket is already in, and sends each joined room's retained
 * snapshot). Its events arrive as 'metrics-update' and 'metrics-snapshot' actions, whatever
 * their names on the wire.
 */
export function subscribe(socket, dispatch, now = Date.now, stream = ORDERS_EVENTS) {
  const rooms = stream.rooms ?? [];
  const socketHandlers = {
    // `recovered`: the gateway gave the socket back with every update it missed (connection
    // state recovery), so the dashboard keeps what it shows; otherwise a snapshot follows.
    connect: () => {
      if (rooms.length > 0) socket.emit('subscribe', rooms);
      dispatch({ type: 'connect', recovered: socket.recovered === true });
    },
    disconnect: (reason) => dispatch({ type: 'disconnect', reason, willRetry: socket.active }),
    connect_error: (error) => dispatch({ type: 'connect_error', error, willRetry: socket.active }),
    [stream.event]: (update) => dispatch({ type: 'metrics-update', update, receivedAt: now() }),
    [stream.snapshotEvent]: (snapshot) =>
      dispatch({ type: 'metrics-snapshot', snapshot, receivedAt: now() }),
    // The gateway's delivery status (lib/delivery.js), whatever the stream.
    [DELIVERY_EVENT]: (status) => dispatch({ type: 'delivery', status, receivedAt: now() }),
  };
  const managerHandlers = {
    reconnect_attempt: (attempt) => dispatch({ type: 'reconnect_attempt', attempt }),
    reconnect: () => dispatch({ type: 'reconnect' }),
    reconnect_failed: () => dispatch({ type: 'reconnect_failed' }),
  };

  for (const [event, handler] of Object.entries(socketHandlers)) socket.on(event, handler);
  for (const [event, handler] of Object.entries(managerHandlers)) socket.io.on(event, handler);

  return function unsubscribe() {
    for (const [event, handler] of Object.entries(socketHandlers)) socket.off(event, handler);
    for (const [event, handler] of Object.entries(managerHandlers)) socket.io.off(event, handler);
  };
}
