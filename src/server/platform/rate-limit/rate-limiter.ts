import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import type { BucketPolicy, TakeResult } from './token-bucket.ts';

/**
 * How a route is rate limited. `mutation` (the default for POST/PUT/PATCH/DELETE): one bucket
 * per signed-in user and organisation, or per IP when anonymous. `auth` (sign-in, sign-up,
 * reset, MFA): one bucket per IP and one per account identifier (e.g. the email, hashed), so
 * neither many accounts from one address nor one account from many addresses gets through.
 */
export type RouteRateLimit =
  { policy: 'mutation' } | { policy: 'auth'; identifier?: (body: unknown) => string | undefined } | { optOut: string };

export const DEFAULT_POLICIES = {
  mutation: { name: 'mutation', capacity: 60, refillPerSecond: 1 },
  'auth-ip': { name: 'auth-ip', capacity: 20, refillPerSecond: 1 / 6 },
  'auth-account': { name: 'auth-account', capacity: 5, refillPerSecond: 1 / 60 },
} as const satisfies Record<string, BucketPolicy>;

export type RateLimitPolicies = Record<keyof typeof DEFAULT_POLICIES, BucketPolicy>;

export type RateLimitDecision = { headers: Record<string, string> };

export type RateLimiter = {
  store: RateLimitStore;
  /**
   * Takes a token from every bucket the request falls in; throws 429 (or 503) when refused. With
   * a synchronous store (memory) the decision is synchronous too: the hot path of every mutating
   * request then costs no promise and no extra tick.
   */
  check(request: {
    limit: RouteRateLimit;
    routeId: string;
    ip: string;
    userId: string | null;
    orgId: string | null;
    body: unknown;
  }): RateLimitDecision | Promise<RateLimitDecision>;
};

function hashIdentifier(identifier: string): string {
  return createHash('sha256').update(identifier.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

// The policy header never changes for a policy: built once.
const policyHeaders = new WeakMap<BucketPolicy, string>();

function headersFor(policy: BucketPolicy, result: TakeResult): Record<string, string> {
  let policyHeader = policyHeaders.get(policy);
  if (policyHeader === undefined) {
    policyHeader = `"${policy.name}";q=${policy.capacity};w=${Math.ceil(policy.capacity / policy.refillPerSecond)}`;
    policyHeaders.set(policy, policyHeader);
  }
  return {
    // IETF draft-ietf-httpapi-ratelimit-headers (structured fields form).
    'ratelimit-policy': policyHeader,
    ratelimit: `"${policy.name}";r=${result.remaining};t=${Math.ceil(result.resetMs / 1000)}`,
  };
}

export function createRateLimiter(options: {
  store: RateLimitStore;
  now: () => number;
  policies?: Partial<RateLimitPolicies>;
  log: { warn(details: object, message: string): void };
}): RateLimiter {
  const policies: RateLimitPolicies = { ...DEFAULT_POLICIES, ...options.policies };
  const OPEN: RateLimitDecision = { headers: NO_HEADERS };

  type Bucket = { policy: BucketPolicy; key: string };
  type Tally = { headers: Record<string, string>; remaining: number };

  // Store unreachable: refuse authentication attempts (a brute-force window is worse than a
  // short outage of sign-in), let everything else through.
  const storeFailed = (error: unknown, bucket: Bucket, limit: RouteRateLimit): RateLimitDecision => {
    options.log.warn({ err: error, policy: bucket.policy.name }, 'rate limit store unavailable');
    if ('policy' in limit && limit.policy === 'auth')
      throw new AppError('unavailable', 'Sign-in is briefly unavailable; try again shortly.', {
        headers: { 'retry-after': '5' },
      });
    return OPEN;
  };

  const count = (bucket: Bucket, result: TakeResult, tally: Tally): void => {
    if (!result.allowed) {
      throw new AppError('rate-limited', 'Too many requests; slow down.', {
        headers: {
          ...headersFor(bucket.policy, result),
          'retry-after': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))),
        },
      });
    }
    // Allowed responses carry only the remaining quota of the tightest bucket; the policy header
    // comes with refusals (each header costs measurable throughput on hot routes).
    if (result.remaining < tally.remaining) {
      tally.remaining = result.remaining;
      tally.headers = {
        ratelimit: `"${bucket.policy.name}";r=${result.remaining};t=${Math.ceil(result.resetMs / 1000)}`,
      };
    }
  };

  const takeFrom = (
    buckets: Bucket[],
    from: number,
    tally: Tally,
    limit: RouteRateLimit,
  ): RateLimitDecision | Promise<RateLimitDecision> => {
    for (let index = from; index < buckets.length; index++) {
      const bucket = buckets[index] as Bucket;
      let taken: TakeResult | Promise<TakeResult>;
      try {
        taken = options.store.take(bucket.key, bucket.policy, options.now());
      } catch (error) {
        return storeFailed(error, bucket, limit);
      }
      if (taken instanceof Promise) {
        return taken.then(
          (result) => {
            count(bucket, result, tally);
            return takeFrom(buckets, index + 1, tally, limit);
          },
          (error: unknown) => storeFailed(error, bucket, limit),
        );
      }
      count(bucket, taken, tally);
    }
    return { headers: tally.headers };
  };

  return {
    store: options.store,
    check(request) {
      if ('optOut' in request.limit) return OPEN;
      const buckets: Bucket[] = [];
      if (request.limit.policy === 'mutation') {
        buckets.push({
          policy: policies.mutation,
          key: request.userId ? `user:${request.userId}:org:${request.orgId ?? '-'}` : `ip:${request.ip}`,
        });
      } else {
        buckets.push({ policy: policies['auth-ip'], key: `${request.routeId}:ip:${request.ip}` });
        const identifier = request.limit.identifier?.(request.body);
        if (identifier)
          buckets.push({
            policy: policies['auth-account'],
            key: `${request.routeId}:id:${hashIdentifier(identifier)}`,
          });
      }
      return takeFrom(buckets, 0, { headers: NO_HEADERS, remaining: Number.POSITIVE_INFINITY }, request.limit);
    },
  };
}
