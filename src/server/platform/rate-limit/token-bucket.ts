/**
 * A token bucket: `capacity` tokens, refilled continuously at `refillPerSecond`. A request takes
 * one token or is refused. Bursts up to capacity pass; the long-run rate is the refill rate.
 */
export type BucketPolicy = { name: string; capacity: number; refillPerSecond: number };

export type BucketState = { tokens: number; updatedAtMs: number };

export type TakeResult = {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: milliseconds until one token is available. */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
};

/** Pure: the bucket after refilling to `nowMs` and trying to take `cost` tokens. */
export function takeFromBucket(
  state: BucketState | undefined,
  policy: BucketPolicy,
  nowMs: number,
  cost = 1,
): { state: BucketState; result: TakeResult } {
  const ratePerMs = policy.refillPerSecond / 1000;
  const previous = state ?? { tokens: policy.capacity, updatedAtMs: nowMs };
  const elapsed = Math.max(0, nowMs - previous.updatedAtMs);
  let tokens = Math.min(policy.capacity, previous.tokens + elapsed * ratePerMs);
  const allowed = tokens >= cost;
  if (allowed) tokens -= cost;
  return {
    state: { tokens, updatedAtMs: Math.max(nowMs, previous.updatedAtMs) },
    result: resultFor(tokens, allowed, policy, cost),
  };
}

export function resultFor(tokens: number, allowed: boolean, policy: BucketPolicy, cost = 1): TakeResult {
  const ratePerMs = policy.refillPerSecond / 1000;
  return {
    allowed,
    remaining: Math.floor(tokens),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) / ratePerMs),
    resetMs: Math.ceil((policy.capacity - tokens) / ratePerMs),
  };
}
