import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, formatSilence, silentForMs } from './freshness.js';

describe('freshness', () => {
  it('is silent only past the threshold, measured from the last receipt', () => {
    expect(silentForMs(1000, 1000 + STALE_AFTER_MS)).toBeNull();
    expect(silentForMs(1000, 1001 + STALE_AFTER_MS)).toBe(STALE_AFTER_MS + 1);
    expect(silentForMs(1000, 5000, 3000)).toBe(4000);
  });

  it('says nothing before the first data arrived', () => {
    expect(silentForMs(null, Date.now())).toBeNull();
    expect(silentForMs(undefined, Date.now())).toBeNull();
  });

  it('formats seconds, then minutes', () => {
    expect(formatSilence(95_400)).toBe('95 s');
    expect(formatSilence(4 * 60_000 + 5_000)).toBe('4 min');
  });
});
