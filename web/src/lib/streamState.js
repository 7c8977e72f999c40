// What a described stream's page holds: the last snapshot as the worker computed it, the recent
// rows kept up to date between snapshots by the stream's events, and the connection status.
// Totals, series and groups change only with snapshots: the page does not redo the worker's
// aggregates, which a stream file can make anything. The gateway's delivery status is kept as
// the orders dashboard keeps it (delivery.js): every dashboard can say "Delayed".
import { connectionReducer, initialConnection } from './connectionState.js';
import { readDelivery } from './delivery.js';

const MAX_RECENT = 200; // the most a stream file may keep (docs/streams.md, Limits)

export function initialStream({ key = 'id', recent = 12 } = {}) {
  return {
    key,
    limit: Math.min(Math.max(recent, 1), MAX_RECENT),
    snapshot: null,
    recent: [],
    connection: initialConnection(),
    lastDataAt: null,
    delivery: null,
  };
}

// An event for a row already listed replaces it (a replay or a newer version); newest last.
function withRow(state, row) {
  if (!row || typeof row !== 'object') return state.recent;
  const key = row[state.key];
  const others = key === undefined ? state.recent : state.recent.filter((r) => r[state.key] !== key);
  return [...others, row].slice(-state.limit);
}

export function streamReducer(state, action) {
  switch (action.type) {
    case 'metrics-snapshot': {
      const snapshot = action.snapshot && typeof action.snapshot === 'object' ? action.snapshot : null;
      const recent = Array.isArray(snapshot?.recent) ? snapshot.recent : state.recent;
      return { ...state, snapshot, recent, lastDataAt: action.receivedAt ?? state.lastDataAt };
    }
    case 'metrics-update':
      return {
        ...state,
        recent: withRow(state, action.update),
        lastDataAt: action.receivedAt ?? state.lastDataAt,
      };
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
