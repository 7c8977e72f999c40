// One reducer for everything the live socket changes, so a single dispatch per event keeps
// metrics, latency and connection status consistent with each other.
import { applySnapshot, applyUpdate, initialState } from './metrics.js';
import { connectionReducer, initialConnection } from './connectionState.js';
import { commitToScreenMs, initialLatency, recordLatency } from './latency.js';
import { readDelivery } from './delivery.js';

export function initialDashboard() {
  return {
    metrics: initialState(),
    connection: initialConnection(),
    latency: initialLatency(),
    lastDataAt: null, // browser time of the last snapshot or update: see freshness.js
    delivery: null, // the gateway's last delivery status on this connection: see delivery.js
  };
}

// Any snapshot or update proves the pipeline behind the gateway is alive, even one that changes
// nothing (the worker's periodic re-send, a replayed update).
function heard(state, action) {
  return Number.isFinite(action.receivedAt) ? { ...state, lastDataAt: action.receivedAt } : state;
}

export function dashboardReducer(state, action) {
  switch (action.type) {
    case 'metrics-update':
    case 'metrics-snapshot':
      return heard(metricsReducer(state, action), action);
    case 'delivery': {
      const delivery = readDelivery(action.status, action.receivedAt);
      return delivery ? { ...state, delivery } : state;
    }
    default: {
      const connection = connectionReducer(state.connection, action);
      if (connection === state.connection) return state;
      // A new connection starts unknown: a gateway still stale says so again when it is joined.
      return action.type === 'connect' ? { ...state, connection, delivery: null } : { ...state, connection };
    }
  }
}

function metricsReducer(state, action) {
  switch (action.type) {
    case 'metrics-update': {
      const metrics = applyUpdate(state.metrics, action.update);
      // Only orders seen for the first time are timed: a replayed one would measure the replay.
      if (metrics === state.metrics) return state;
      const ms = commitToScreenMs(action.update, action.receivedAt);
      return { ...state, metrics, latency: ms === null ? state.latency : recordLatency(state.latency, ms) };
    }
    case 'metrics-snapshot': {
      const metrics = applySnapshot(state.metrics, action.snapshot);
      return metrics === state.metrics ? state : { ...state, metrics };
    }
    default:
      return state;
  }
}
