import { describe, expect, it } from 'vitest';
import { type BucketState, takeFromBucket } from './token-bucket.ts';

const policy = { name: 'test', capacity: 10, refillPerSecond: 2 };

describe('token bucket', () => {
  it('lets exactly `capacity` of a burst of 10× capacity through', () => {
    let state: BucketState | undefined;
    let allowed = 0;
    for (let index = 0; index < 100; index++) {
      const step = takeFromBucket(state, policy, 1_000);
      state = step.state;
      if (step.result.allowed) allowed += 1;
    }
    expect(allowed).toBe(10);
  });

  it('refills at the configured rate over (controlled) time, never above capacity', () => {
    let { state } = takeFromBucket(undefined, policy, 0);
    for (let index = 0; index < 9; index++) state = takeFromBucket(state, policy, 0).state;
    const refused = takeFromBucket(state, policy, 0);
    expect(refused.result).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 500 });
    expect(takeFromBucket(state, policy, 499).result.allowed).toBe(false);
    expect(takeFromBucket(state, policy, 500).result.allowed).toBe(true);
    const muchLater = takeFromBucket(state, policy, 3_600_000);
    expect(muchLater.result.remaining).toBe(9);
  });
});
