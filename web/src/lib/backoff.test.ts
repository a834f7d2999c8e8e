import { describe, expect, it } from 'vitest';
import { backoffBounds, backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoff', () => {
  it('grows exponentially up to the cap', () => {
    expect(backoffBounds(0)).toEqual({ min: 250, max: 500 });
    expect(backoffBounds(1)).toEqual({ min: 500, max: 1000 });
    expect(backoffBounds(3)).toEqual({ min: 2000, max: 4000 });
    expect(backoffBounds(6)).toEqual({ min: 15_000, max: 30_000 });
    expect(backoffBounds(50)).toEqual({ min: 15_000, max: 30_000 });
    expect(backoffBounds(1e9)).toEqual({ min: 15_000, max: 30_000 });
  });

  it('stays within the bounds for any random value', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { min, max } = backoffBounds(attempt);
      for (const r of [0, 1e-9, 0.25, 0.5, 0.999999, 1]) {
        const d = backoffDelay(attempt, () => r);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
      }
    }
  });

  it('uses the extremes of the range at r = 0 and r = 1', () => {
    expect(backoffDelay(2, () => 0)).toBe(1000);
    expect(backoffDelay(2, () => 1)).toBe(2000);
  });

  it('is never zero and never above maxMs, even with a broken random source', () => {
    expect(backoffDelay(0, () => -5)).toBe(250);
    expect(backoffDelay(99, () => 7)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(-3, () => 0)).toBe(250);
  });

  it('spreads clients out (jitter)', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, rnd)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it('honours custom options', () => {
    const opts = { baseMs: 100, maxMs: 1000, factor: 3 };
    expect(backoffBounds(0, opts)).toEqual({ min: 50, max: 100 });
    expect(backoffBounds(2, opts)).toEqual({ min: 450, max: 900 });
    expect(backoffBounds(3, opts)).toEqual({ min: 500, max: 1000 });
  });
});
