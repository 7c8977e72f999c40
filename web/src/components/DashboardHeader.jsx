import { OFFLINE } from '../lib/connectionState.js';
import ConnectionBadge from './ConnectionBadge.jsx';

export const MAX_RECONNECT_ATTEMPTS = 10;

/** Title, dashboard selector, connection status and, when offline, a way to change the token. */
export default function DashboardHeader({ title, selector, connection, silentMs, delayedMs = null, onChangeToken }) {
  return (
    <header className="header">
      <h2>{title}</h2>
      <div className="header-side">
        {selector}
        <ConnectionBadge
          connection={connection}
          maxAttempts={MAX_RECONNECT_ATTEMPTS}
          silentMs={silentMs}
          delayedMs={delayedMs}
        />
        {connection.status === OFFLINE && onChangeToken && (
          <button type="button" className="link" onClick={onChangeToken}>
            Change token
          </button>
        )}
      </div>
    </header>
  );
}
