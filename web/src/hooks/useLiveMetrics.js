import { dashboardReducer, initialDashboard } from '../lib/dashboardReducer.js';
import { useLiveSocket } from './useLiveSocket.js';

export { defaultSocketUrl, socketOptions } from './useLiveSocket.js';

/**
 * Live orders metrics for one auth token. `connect` is socket.io-client's `io` unless a test
 * passes a fake; `stream` names the events and rooms when a gateway describes them (default:
 * metrics-update and metrics-snapshot in the rooms the socket joined on connect). Returns the
 * metrics state, the connection status, commit-to-screen latency, the browser time the last
 * snapshot or update arrived, and the gateway's delivery status (lib/delivery.js).
 */
export function useLiveMetrics(authToken, { url, connect, stream } = {}) {
  const state = useLiveSocket(authToken, {
    url,
    connect,
    stream,
    reducer: dashboardReducer,
    init: initialDashboard,
  });
  return {
    state: state.metrics,
    connection: state.connection,
    latencyMs: state.latency,
    lastDataAt: state.lastDataAt,
    delivery: state.delivery,
  };
}
