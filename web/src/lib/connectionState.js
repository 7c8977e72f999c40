// Connection status as the dashboard shows it, driven by socket.io-client events.
// Socket events: connect, disconnect, connect_error. Manager (socket.io) events:
// reconnect_attempt, reconnect, reconnect_failed. `willRetry` carries socket.active at the
// moment of the event: false when the client will not try again on its own (the server
// refused the handshake, or the server or the page closed the connection).

export const CONNECTING = 'connecting';
export const CONNECTED = 'connected';
export const RECONNECTING = 'reconnecting';
export const OFFLINE = 'offline';

export function initialConnection() {
  return { status: CONNECTING, attempt: 0, reconnects: 0, recoveries: 0, lastError: null };
}

function messageOf(error, fallback) {
  if (typeof error === 'string' && error !== '') return error;
  if (error && typeof error.message === 'string' && error.message !== '') return error.message;
  return fallback;
}

export function connectionReducer(state, event) {
  switch (event.type) {
    case 'connect':
      return {
        ...state,
        status: CONNECTED,
        attempt: 0,
        lastError: null,
        // Reconnects the gateway recovered: nothing was missed, nothing had to be reloaded.
        recoveries: state.recoveries + (event.recovered ? 1 : 0),
      };
    case 'disconnect':
      return {
        ...state,
        status: event.willRetry ? RECONNECTING : OFFLINE,
        lastError: messageOf(event.reason, 'disconnected'),
      };
    case 'connect_error':
      return {
        ...state,
        // While retrying, the status stays what it was (connecting or reconnecting).
        status: event.willRetry ? state.status : OFFLINE,
        lastError: messageOf(event.error, 'connection failed'),
      };
    case 'reconnect_attempt':
      return {
        ...state,
        status: RECONNECTING,
        attempt: Number.isFinite(event.attempt) ? event.attempt : state.attempt + 1,
      };
    case 'reconnect':
      // The namespace CONNECT that follows may still be refused, so the status waits for
      // the socket's own `connect`.
      return { ...state, reconnects: state.reconnects + 1 };
    case 'reconnect_failed':
      return {
        ...state,
        status: OFFLINE,
        lastError: `gave up after ${state.attempt} reconnection attempts`,
      };
    case 'reset':
      return initialConnection();
    default:
      return state;
  }
}
