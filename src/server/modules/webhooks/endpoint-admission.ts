import type { Clock } from '../../platform/clock.ts';
import { type BucketState, takeFromBucket } from '../../platform/rate-limit/token-bucket.ts';

export type Admission = { admitted: true; release(): void } | { admitted: false; retryInMs: number };

/**
 * Per-endpoint concurrency and rate limit inside one process, so one slow or flooded receiver
 * cannot occupy every delivery lane: a delivery over the limit is not attempted but re-queued a
 * moment later, freeing its lane for other endpoints at once.
 */
export function createEndpointAdmission(options: {
  clock: Clock;
  maxInFlight: number;
  ratePerSecond: number;
  random?: () => number;
}) {
  const inFlight = new Map<string, number>();
  const buckets = new Map<string, BucketState>();
  const policy = {
    name: 'webhook-endpoint',
    capacity: Math.max(1, options.ratePerSecond * 2),
    refillPerSecond: options.ratePerSecond,
  };
  const random = options.random ?? Math.random;
  return {
    tryAdmit(endpointId: string): Admission {
      const running = inFlight.get(endpointId) ?? 0;
      if (running >= options.maxInFlight) return { admitted: false, retryInMs: 250 + Math.floor(random() * 750) };
      const { state, result } = takeFromBucket(buckets.get(endpointId), policy, options.clock.now().getTime());
      buckets.set(endpointId, state);
      if (!result.allowed) return { admitted: false, retryInMs: Math.max(50, result.retryAfterMs) };
      inFlight.set(endpointId, running + 1);
      let released = false;
      return {
        admitted: true,
        release() {
          if (released) return;
          released = true;
          const left = (inFlight.get(endpointId) ?? 1) - 1;
          if (left <= 0) inFlight.delete(endpointId);
          else inFlight.set(endpointId, left);
        },
      };
    },
    inFlight(endpointId: string): number {
      return inFlight.get(endpointId) ?? 0;
    },
  };
}
export type EndpointAdmission = ReturnType<typeof createEndpointAdmission>;
