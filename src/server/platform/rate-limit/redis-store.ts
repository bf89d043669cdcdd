import { Redis } from 'ioredis';
import type { RateLimitStore } from './rate-limit-store.ts';
import { resultFor } from './token-bucket.ts';

// One atomic step on the server: refill, take, store, expire. Running it in Redis (not
// read-modify-write from Node) is what makes two replicas share one bucket without races.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed * rate)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
if now > ts then ts = now end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {allowed, tostring(tokens)}
`;

export function createRedisRateLimitStore(options: {
  url: string;
  keyPrefix?: string;
  commandTimeoutMs?: number;
}): RateLimitStore {
  const redis = new Redis(options.url, {
    lazyConnect: false,
    // Fail fast while Redis is away: the limiter then decides (closed for auth, open otherwise).
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 500,
    // Commands issued in the same event-loop tick go out as one pipeline: under load one round
    // trip carries many requests' token takes instead of one each.
    enableAutoPipelining: true,
  });
  let healthy = false;
  redis.on('ready', () => {
    healthy = true;
  });
  redis.on('error', () => {
    healthy = false;
  });
  redis.on('end', () => {
    healthy = false;
  });
  redis.defineCommand('vigilTakeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const prefix = options.keyPrefix ?? 'vigil:rl:';
  type WithScript = Redis & { vigilTakeToken(key: string, ...args: (string | number)[]): Promise<[number, string]> };
  return {
    kind: 'redis',
    async take(key, policy, nowMs) {
      const [allowed, tokens] = await (redis as WithScript).vigilTakeToken(
        `${prefix}${policy.name}|${key}`,
        policy.capacity,
        policy.refillPerSecond,
        nowMs,
        1,
      );
      return resultFor(Number(tokens), allowed === 1, policy);
    },
    healthy: () => healthy,
    async close() {
      redis.disconnect();
    },
  };
}
