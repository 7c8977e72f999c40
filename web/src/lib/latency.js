// "Delay from database commit to screen": receipt time minus the order's committedAt.
// Both clocks must agree (same host, or NTP); a negative sample means they do not.

export const LATENCY_SAMPLES = 50;

export function initialLatency() {
  return { samples: [], last: null, p50: null };
}

/** Milliseconds from commit to receipt, or null when the update carries no commit time. */
export function commitToScreenMs(update, receivedAt) {
  if (!update || !Number.isFinite(update.committedAt) || !Number.isFinite(receivedAt)) {
    return null;
  }
  return receivedAt - update.committedAt;
}

/** Nearest-rank median: an observed sample, never an interpolation between two. */
export function median(samples) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

export function recordLatency(latency, ms) {
  if (!Number.isFinite(ms)) return latency;
  const samples = [...latency.samples, ms].slice(-LATENCY_SAMPLES);
  return { samples, last: ms, p50: median(samples) };
}
