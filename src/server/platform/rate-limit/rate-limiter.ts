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
  /** Takes a token from every bucket the request falls in; throws 429 (or 503) when refused. */
  check(request: {
    limit: RouteRateLimit;
    routeId: string;
    ip: string;
    userId: string | null;
    orgId: string | null;
    body: unknown;
  }): Promise<RateLimitDecision>;
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
  return {
    store: options.store,
    async check(request) {
      if ('optOut' in request.limit) return { headers: {} };
      const buckets: { policy: BucketPolicy; key: string }[] = [];
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
      let headers: Record<string, string> = NO_HEADERS;
      let remaining = Number.POSITIVE_INFINITY;
      for (const bucket of buckets) {
        let result: TakeResult;
        try {
          const taken = options.store.take(bucket.key, bucket.policy, options.now());
          // The memory store answers synchronously; awaiting only a real promise saves a tick.
          result = taken instanceof Promise ? await taken : taken;
        } catch (error) {
          // Store unreachable: refuse authentication attempts (a brute-force window is worse
          // than a short outage of sign-in), let everything else through.
          options.log.warn({ err: error, policy: bucket.policy.name }, 'rate limit store unavailable');
          if (request.limit.policy === 'auth')
            throw new AppError('unavailable', 'Sign-in is briefly unavailable; try again shortly.', {
              headers: { 'retry-after': '5' },
            });
          return { headers: {} };
        }
        if (!result.allowed) {
          throw new AppError('rate-limited', 'Too many requests; slow down.', {
            headers: {
              ...headersFor(bucket.policy, result),
              'retry-after': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))),
            },
          });
        }
        // Allowed responses carry only the remaining quota of the tightest bucket; the policy
        // header comes with refusals (each header costs measurable throughput on hot routes).
        if (result.remaining < remaining) {
          remaining = result.remaining;
          headers = {
            ratelimit: `"${bucket.policy.name}";r=${result.remaining};t=${Math.ceil(result.resetMs / 1000)}`,
          };
        }
      }
      return { headers };
    },
  };
}
