import type { BucketPolicy, TakeResult } from './token-bucket.ts';

/** Where buckets live: this process's memory, or Redis shared by every replica. */
export type RateLimitStore = {
  kind: 'memory' | 'redis';
  /** Synchronous for the memory store, a promise for Redis. */
  take(key: string, policy: BucketPolicy, nowMs: number): TakeResult | Promise<TakeResult>;
  /** False while the store is unreachable (reported by /readyz). */
  healthy(): boolean;
  close(): Promise<void>;
};
