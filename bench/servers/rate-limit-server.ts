// Three identical POST routes: no limiter, the memory token bucket, the Redis token bucket
// (REDIS_URL). Capacity is huge so every request is allowed: this measures the limiter's cost.
import Fastify from 'fastify';
import { createMemoryRateLimitStore } from '../../src/server/platform/rate-limit/memory-store.ts';
import { createRateLimiter } from '../../src/server/platform/rate-limit/rate-limiter.ts';
import { createRedisRateLimitStore } from '../../src/server/platform/rate-limit/redis-store.ts';

const policies = { mutation: { name: 'mutation', capacity: 1e12, refillPerSecond: 1e9 } };
const log = { warn: () => {} };
const memory = createRateLimiter({ store: createMemoryRateLimitStore(), now: Date.now, policies, log });
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRateLimiter({
  store: createRedisRateLimitStore({ url: redisUrl, keyPrefix: `bench:${process.pid}:` }),
  now: Date.now,
  policies,
  log,
});

const app = Fastify({ logger: false });
const check = (limiter: typeof memory, ip: string) =>
  limiter.check({
    limit: { policy: 'mutation' },
    routeId: 'POST /bench',
    ip,
    userId: 'bench-user',
    orgId: 'bench-org',
    body: undefined,
  });
app.post('/plain', async () => ({ ok: true }));
app.post('/memory', async (request, reply) => {
  reply.headers((await check(memory, request.ip)).headers);
  return { ok: true };
});
app.post('/redis', async (request, reply) => {
  reply.headers((await check(redis, request.ip)).headers);
  return { ok: true };
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
