import type { RateLimitStore } from './rate-limit-store.ts';
import { type BucketState, takeFromBucket } from './token-bucket.ts';

/**
 * Buckets in this process (embedded deployments, one server). Bounded: past `maxKeys` the least
 * recently used bucket is dropped — a dropped bucket restarts full, which only ever errs towards
 * allowing, and an attacker cycling keys cannot grow memory without bound.
 */
export function createMemoryRateLimitStore(options: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, BucketState>();
  return {
    kind: 'memory',
    take(key, policy, nowMs) {
      const bucketKey = `${policy.name}|${key}`;
      const { state, result } = takeFromBucket(buckets.get(bucketKey), policy, nowMs);
      buckets.delete(bucketKey);
      buckets.set(bucketKey, state);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      return result;
    },
    healthy: () => true,
    async close() {
      buckets.clear();
    },
  };
}
