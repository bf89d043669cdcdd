import { describe, expect, it } from 'vitest';
import { createControlledClock } from '../../../platform/clock.ts';
import { createAttemptLimiter } from './attempt-limiter.ts';

describe('attempt limiter', () => {
  it('allows a burst of `capacity`, then one attempt per refill interval', () => {
    const clock = createControlledClock();
    const limiter = createAttemptLimiter({ capacity: 3, refillEveryMs: 30_000, clock });
    for (let attempt = 0; attempt < 3; attempt += 1) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    clock.advance(10_000);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    clock.advance(20_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    // Other keys have their own bucket.
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('gives an attempt back on refund, never above capacity', () => {
    const clock = createControlledClock();
    const limiter = createAttemptLimiter({ capacity: 2, refillEveryMs: 1000, clock });
    limiter.take('a');
    limiter.take('a');
    limiter.refund('a');
    expect(limiter.take('a').allowed).toBe(true);
    limiter.refund('a');
    limiter.refund('a');
    limiter.refund('a');
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('throws rate-limited with Retry-After', () => {
    const limiter = createAttemptLimiter({ capacity: 1, refillEveryMs: 30_000, clock: createControlledClock() });
    limiter.takeOrThrow('a');
    expect(() => limiter.takeOrThrow('a')).toThrow(
      expect.objectContaining({ code: 'rate-limited', options: { headers: { 'retry-after': '30' } } }),
    );
  });

  it('bounds memory: refilled buckets go first, then the least recently used', () => {
    const clock = createControlledClock();
    const limiter = createAttemptLimiter({ capacity: 1, refillEveryMs: 1000, clock, maxKeys: 2 });
    limiter.take('old');
    clock.advance(1000); // 'old' has refilled: forgetting it changes nothing
    limiter.take('a');
    limiter.take('b');
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(false);
    limiter.take('c'); // evicts the least recently used of the empty buckets ('a')
    expect(limiter.take('c').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(false);
  });
});
