// The gateway's delivery status (docs/gateway.md, `pulseboard:delivery`): the worker writes a
// canary through the database every few seconds and every gateway times its arrival. When none
// arrived for the gateway's threshold (15 s by default) the gateway sends `{status: "stale",
// canaryAgeSeconds}`, and `{status: "ok"}` when one arrives again; a dashboard that connects
// while stale gets the stale event on joining. So a quiet shop (canaries arriving, no orders)
// stays "Syncing Live", and a stuck pipeline shows "Delayed" within seconds, not after the
// 90 s of silence freshness.js waits for.

export const DELIVERY_EVENT = 'pulseboard:delivery';

/** What the reducer keeps of one event, or null when it is not a delivery status. */
export function readDelivery(data, receivedAt) {
  if (!data || (data.status !== 'stale' && data.status !== 'ok')) return null;
  const age = Number.isFinite(data.canaryAgeSeconds) && data.canaryAgeSeconds >= 0 ? data.canaryAgeSeconds : 0;
  return { status: data.status, ageMs: age * 1000, receivedAt };
}

/**
 * Milliseconds the data has been delayed when the gateway says delivery is stale, else null:
 * the canary's age when the event was sent plus the time since it arrived (the browser's own
 * clock, so skew cannot trip it).
 */
export function delayedForMs(delivery, now) {
  if (!delivery || delivery.status !== 'stale' || !Number.isFinite(now)) return null;
  const since = Number.isFinite(delivery.receivedAt) ? Math.max(0, now - delivery.receivedAt) : 0;
  return delivery.ageMs + since;
}
