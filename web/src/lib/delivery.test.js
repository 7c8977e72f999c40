import { describe, expect, it } from 'vitest';
import { delayedForMs, readDelivery } from './delivery.js';

describe('delivery status', () => {
  it('reads the gateway event and counts the delay on from its receipt', () => {
    const d = readDelivery({ status: 'stale', canaryAgeSeconds: 16.5, reason: 'x' }, 1000);
    expect(d).toEqual({ status: 'stale', ageMs: 16500, receivedAt: 1000 });
    expect(delayedForMs(d, 4000)).toBe(19500);
  });

  it('is not delayed when ok, unknown or malformed', () => {
    expect(delayedForMs(readDelivery({ status: 'ok', canaryAgeSeconds: 1 }, 1000), 2000)).toBeNull();
    expect(delayedForMs(null, 2000)).toBeNull();
    expect(readDelivery({ status: 'weird' }, 1)).toBeNull();
    expect(readDelivery('stale', 1)).toBeNull();
    expect(readDelivery({ status: 'stale', canaryAgeSeconds: -3 }, 1).ageMs).toBe(0);
    expect(readDelivery({ status: 'stale', canaryAgeSeconds: 'many' }, 1).ageMs).toBe(0);
  });
});
