import { useCallback } from 'react';
import { initialStream, streamReducer } from '../lib/streamState.js';
import { streamEvents } from '../lib/dashboards.js';
import { useLiveSocket } from './useLiveSocket.js';

/** A described stream, live: its last snapshot, recent rows and connection status. */
export function useLiveStream(authToken, description, { url, connect } = {}) {
  const { key, recent } = description;
  const init = useCallback(() => initialStream({ key, recent }), [key, recent]);
  return useLiveSocket(authToken, {
    url,
    connect,
    stream: streamEvents(description),
    reducer: streamReducer,
    init,
  });
}
