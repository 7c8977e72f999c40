import { useEffect } from 'react';
import { useLiveStream } from '../hooks/useLiveStream.js';
import { useNow } from '../hooks/useNow.js';
import { OFFLINE } from '../lib/connectionState.js';
import { delayedForMs } from '../lib/delivery.js';
import { silentForMs } from '../lib/freshness.js';
import { AUTH_REFUSED } from '../lib/token.js';
import DashboardHeader from './DashboardHeader.jsx';
import PanelList from './panels/PanelList.jsx';

/** A dashboard a stream file describes: its panels, in the file's order, over its snapshot. */
export default function StreamDashboard(props) {
  const { description, token, onChangeToken, onAuthRefused, connect, selector } = props;
  const state = useLiveStream(token, description, { connect });
  const now = useNow();
  const silentMs = silentForMs(state.lastDataAt, now);
  const delayedMs = delayedForMs(state.delivery, now);
  const refusedToken = state.connection.status === OFFLINE && state.connection.lastError === AUTH_REFUSED;
  useEffect(() => {
    if (refusedToken) onAuthRefused?.();
  }, [refusedToken, onAuthRefused]);
  return (
    <div className="page" data-testid="stream-dashboard" data-stream={description.name}>
      <DashboardHeader
        title={description.title}
        selector={selector}
        connection={state.connection}
        silentMs={silentMs}
        delayedMs={delayedMs}
        onChangeToken={onChangeToken}
      />
      <main className="main">
        <PanelList description={description} snapshot={state.snapshot} recent={state.recent} />
      </main>
    </div>
  );
}
