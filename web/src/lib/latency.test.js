import { describe, expect, it } from 'vitest';
import {
  LATENCY_SAMPLES,
  commitToScreenMs,
  initialLatency,
  median,
  recordLatency,
} from './latency.js';

describe('commit-to-screen latency', () => {
  it('is receipt time minus commit time', () => {
    expect(commitToScreenMs({ committedAt: 1000 }, 1042)).toBe(42);
  });

  it('is unknown when the update has no commit time', () => {
    expect(commitToScreenMs({ id: 'a' }, 1042)).toBeNull();
    expect(commitToScreenMs({ committedAt: '1000' }, 1042)).toBeNull();
  });

  it('takes the nearest-rank median', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2);
  });

  it('reports the last sample and the median of the last 50', () => {
    let latency = initialLatency();
    for (let ms = 1; ms <= 60; ms += 1) latency = recordLatency(latency, ms);
    expect(latency.samples).toHaveLength(LATENCY_SAMPLES);
    expect(latency.samples[0]).toBe(11);
    expect(latency.last).toBe(60);
    expect(latency.p50).toBe(35);
  });

  it('ignores a sample that is not a number', () => {
    const latency = initialLatency();
    expect(recordLatency(latency, Number.NaN)).toBe(latency);
  });
});
