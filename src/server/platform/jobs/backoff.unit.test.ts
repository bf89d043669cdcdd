import { describe, expect, it } from 'vitest';
import { BASE_DELAY_MS, MAX_DELAY_MS, MIN_DELAY_MS, retryCeilingMs, retryDelayMs } from './backoff.ts';

describe('retryDelayMs', () => {
  it('doubles the ceiling per attempt from the base delay', () => {
    expect(retryCeilingMs(1)).toBe(BASE_DELAY_MS);
    expect(retryCeilingMs(2)).toBe(2 * BASE_DELAY_MS);
    expect(retryCeilingMs(3)).toBe(4 * BASE_DELAY_MS);
  });

  it('caps the ceiling at one hour, however many attempts', () => {
    expect(MAX_DELAY_MS).toBe(3_600_000);
    for (const attempt of [11, 12, 50, 100, 5_000]) expect(retryCeilingMs(attempt)).toBe(MAX_DELAY_MS);
  });

  it('never lowers the ceiling as attempts grow', () => {
    let previous = 0;
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      const ceiling = retryCeilingMs(attempt);
      expect(ceiling).toBeGreaterThanOrEqual(previous);
      previous = ceiling;
    }
  });

  it('stays within [MIN_DELAY_MS, ceiling] for any draw', () => {
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      for (const draw of [0, 0.000_01, 0.25, 0.5, 0.999_999]) {
        const delay = retryDelayMs(attempt, () => draw);
        expect(delay).toBeGreaterThanOrEqual(MIN_DELAY_MS);
        expect(delay).toBeLessThanOrEqual(retryCeilingMs(attempt));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('is deterministic with an injected random source and scales with the draw', () => {
    expect(retryDelayMs(3, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(3, () => 0.5)).toBe(retryDelayMs(3, () => 0.5));
    expect(retryDelayMs(30, () => 0.5)).toBe(MAX_DELAY_MS / 2);
  });

  it('clamps nonsense attempts and draws into the bounds', () => {
    expect(retryCeilingMs(0)).toBe(BASE_DELAY_MS);
    expect(retryCeilingMs(-3)).toBe(BASE_DELAY_MS);
    expect(retryCeilingMs(Number.NaN)).toBe(BASE_DELAY_MS);
    expect(retryCeilingMs(Number.POSITIVE_INFINITY)).toBe(BASE_DELAY_MS);
    expect(retryDelayMs(1, () => 7)).toBe(BASE_DELAY_MS);
    expect(retryDelayMs(1, () => -1)).toBe(MIN_DELAY_MS);
    expect(retryDelayMs(1, () => Number.NaN)).toBe(MIN_DELAY_MS);
  });

  it('spreads delays out with the default random source', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(10)));
    expect(delays.size).toBeGreaterThan(1);
  });
});
