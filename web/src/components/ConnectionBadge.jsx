import { CONNECTED, CONNECTING, OFFLINE, RECONNECTING } from '../lib/connectionState.js';
import { formatSilence } from '../lib/freshness.js';

const LABELS = {
  [CONNECTING]: 'Connecting',
  [CONNECTED]: 'Syncing Live',
  [RECONNECTING]: 'Reconnecting',
  [OFFLINE]: 'Offline',
};

/**
 * The article's status dot, with the reconnect attempt and the last error when there is one.
 * Connected but silent past the threshold (`silentMs`, see lib/freshness.js), it says the data
 * has stopped: the socket is fine, what feeds it is not. Sooner than that, when the gateway
 * says its delivery canary is late (`delayedMs`, see lib/delivery.js), it says `Delayed` and
 * for how long.
 */
export default function ConnectionBadge({ connection, maxAttempts, silentMs = null, delayedMs = null }) {
  const { status, attempt, lastError } = connection;
  const delayed = status === CONNECTED && delayedMs !== null;
  const stale = status === CONNECTED && silentMs !== null && !delayed;
  const look = delayed ? 'delayed' : stale ? 'stale' : status;
  return (
    <div
      className={`connection connection-${look}`}
      data-testid="connection-state"
      data-state={status}
      data-stale={stale ? 'true' : 'false'}
      data-delayed={delayed ? 'true' : 'false'}
      data-attempt={attempt}
      title={lastError ?? ''}
    >
      <span className="connection-dot" />
      <span>{delayed ? 'Delayed' : stale ? 'Connected, no new data' : (LABELS[status] ?? status)}</span>
      {delayed && <span className="connection-detail">for {formatSilence(delayedMs)}</span>}
      {stale && <span className="connection-detail">for {formatSilence(silentMs)}</span>}
      {status === RECONNECTING && attempt > 0 && (
        <span className="connection-detail">
          attempt {attempt}/{maxAttempts}
        </span>
      )}
      {status !== CONNECTED && lastError && <span className="connection-detail">{lastError}</span>}
    </div>
  );
}
