// A connected dashboard whose numbers stopped moving looks exactly like a quiet shop. The worker
// re-sends its snapshot every 30 s even when nothing changed (docs/snapshots.md), so when
// nothing at all has arrived for three of those periods, the pipeline behind the gateway (worker,
// database change stream, broker) has stopped, and the page says so instead of showing old
// numbers as live. Times are the browser's own receipt times, so clock skew cannot trip it.
export const STALE_AFTER_MS = 90_000;

/** Milliseconds since the last snapshot or update when that is longer than staleAfterMs, else null. */
export function silentForMs(lastDataAt, now, staleAfterMs = STALE_AFTER_MS) {
  if (!Number.isFinite(lastDataAt) || !Number.isFinite(now)) return null;
  const silent = now - lastDataAt;
  return silent > staleAfterMs ? silent : null;
}

/** "95 s" or "4 min": short enough for the status badge. */
export function formatSilence(ms) {
  const seconds = Math.floor(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min`;
}
