import type { Clock } from '../../../platform/clock.ts';
import { AppError } from '../../../platform/errors/app-error.ts';

export type AttemptLimit = {
  /** Attempts allowed in a burst. */
  capacity: number;
  /** One attempt comes back every this many milliseconds. */
  refillEveryMs: number;
};

export type AttemptLimiter = {
  /** Takes one attempt for `key`; false (with the wait) when its bucket is empty. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Gives back an attempt taken by `take` (a sign-in that turned out right). */
  refund(key: string): void;
  /** Takes an attempt or throws `rate-limited` with Retry-After. */
  takeOrThrow(key: string): void;
};

type Bucket = { tokens: number; updatedAt: number };

/**
 * In-memory token buckets by key (a normalised email, an IP address), timed by the injected
 * clock. Per process: behind a load balancer each replica keeps its own buckets, which scales
 * the limit by the replica count (still a hard bound); the platform rate limiter replaces this.
 * Memory is bounded: at `maxKeys`, buckets that have refilled completely (indistinguishable
 * from absent ones) are dropped first, then the least recently used.
 */
export function createAttemptLimiter(options: AttemptLimit & { clock: Clock; maxKeys?: number }): AttemptLimiter {
  const { capacity, refillEveryMs, clock } = options;
  const maxKeys = options.maxKeys ?? 50_000;
  const buckets = new Map<string, Bucket>();

  function current(key: string, now: number): Bucket {
    const bucket = buckets.get(key);
    if (!bucket) return { tokens: capacity, updatedAt: now };
    const refilled = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) / refillEveryMs);
    return { tokens: refilled, updatedAt: now };
  }

  function store(key: string, bucket: Bucket): void {
    // Re-inserting moves the key to the end: the Map's order is least recently used first.
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size <= maxKeys) return;
    const now = bucket.updatedAt;
    for (const [otherKey] of buckets) {
      if (current(otherKey, now).tokens >= capacity) buckets.delete(otherKey);
    }
    for (const [otherKey] of buckets) {
      if (buckets.size <= maxKeys) break;
      buckets.delete(otherKey);
    }
  }

  function take(key: string): ReturnType<AttemptLimiter['take']> {
    const now = clock.now().getTime();
    const bucket = current(key, now);
    if (bucket.tokens < 1) {
      store(key, bucket);
      // Rounded to the millisecond first: fractional tokens must not turn 20 s into 21.
      const waitMs = Math.round((1 - bucket.tokens) * refillEveryMs);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    store(key, { tokens: bucket.tokens - 1, updatedAt: now });
    return { allowed: true };
  }

  return {
    take,
    refund(key) {
      const now = clock.now().getTime();
      const bucket = current(key, now);
      store(key, { tokens: Math.min(capacity, bucket.tokens + 1), updatedAt: now });
    },
    takeOrThrow(key) {
      const result = take(key);
      if (!result.allowed) {
        throw new AppError('rate-limited', `Too many attempts; try again in ${result.retryAfterSeconds} seconds.`, {
          headers: { 'retry-after': String(result.retryAfterSeconds) },
        });
      }
    },
  };
}
