import { CONNECTED, CONNECTING, OFFLINE, RECONNECTING } from '../lib/connectionState.js';

const LABELS = {
  [CONNECTING]: 'Connecting',
  [CONNECTED]: 'Syncing Live',
  [RECONNECTING]: 'Reconnecting',
  [OFFLINE]: 'Offline',
};

/** The article's status dot, with the reconnect attempt and the last error when there is one. */
export default function ConnectionBadge({ connection, maxAttempts }) {
  const { status, attempt, lastError } = connection;
  return (
    <div
      className={`connection connection-${status}`}
      data-testid="connection-state"
      data-state={status}
      data-attempt={attempt}
      title={lastError ?? ''}
    >
      <span className="connection-dot" />
      <span>{LABELS[status] ?? status}</span>
      {status === RECONNECTING && attempt > 0 && (
        <span className="connection-detail">
          attempt {attempt}/{maxAttempts}
        </span>
      )}
      {status !== CONNECTED && lastError && <span className="connection-detail">{lastError}</span>}
    </div>
  );
}
