// Threats: credential stuffing and brute force against the auth routes, and one client
// exhausting the service with writes; and a limiter that can be sidestepped by spreading
// requests over several replicas, or that one user's traffic can exhaust for another.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startTestVigil, type TestVigil, testCallerHeader } from '../../../../test/helpers/test-vigil.ts';
import { newId } from '../db/ids.ts';
import { defineRoute } from '../http/define-route.ts';
import { createMemoryRateLimitStore } from './memory-store.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import { createRedisRateLimitStore } from './redis-store.ts';

const redisUrl = process.env.REDIS_URL;

const signInLike = defineRoute({
  method: 'POST',
  url: '/api/test-auth',
  summary: 'test only',
  tags: ['test'],
  permission: 'public',
  audit: { optOut: 'test route' },
  rateLimit: { policy: 'auth', identifier: (body) => (body as { email?: string }).email },
  schema: { body: z.object({ email: z.string() }), responses: { 200: z.object({}) } },
  handler: async () => ({}),
});
const writeRoute = defineRoute({
  method: 'POST',
  url: '/api/me/test-write',
  summary: 'test only',
  tags: ['test'],
  permission: 'self',
  audit: { optOut: 'test route' },
  schema: { responses: { 200: z.object({}) } },
  handler: async () => ({}),
});
const readRoute = defineRoute({
  method: 'GET',
  url: '/api/me/test-read',
  summary: 'test only',
  tags: ['test'],
  permission: 'self',
  audit: { optOut: 'test route' },
  schema: { responses: { 200: z.object({}) } },
  handler: async () => ({}),
});

const user = (userId = newId()) =>
  testCallerHeader({ userId, sessionId: null, platformAdmin: false, amr: ['pwd'], membership: null });

const storeKinds: { name: string; create: (prefix: string) => RateLimitStore }[] = [
  { name: 'memory', create: () => createMemoryRateLimitStore() },
  ...(redisUrl
    ? [{ name: 'redis', create: (prefix: string) => createRedisRateLimitStore({ url: redisUrl, keyPrefix: prefix }) }]
    : []),
];

for (const storeKind of storeKinds) {
  describe(`rate limiting with the ${storeKind.name} store (${testDatabaseKind})`, () => {
    let server: TestVigil;
    let store: RateLimitStore;
    const prefix = `vigil-test:${randomUUID()}:`;

    beforeAll(async () => {
      store = storeKind.create(prefix);
      server = await startTestVigil({ extraRoutes: [signInLike, writeRoute, readRoute], rateLimitStore: store });
      if (storeKind.name === 'redis') await waitUntilHealthy(store);
    });

    afterAll(async () => {
      await server?.close();
    });

    it('lets exactly the capacity of a 10× burst through, then answers 429 with Retry-After and RateLimit headers', async () => {
      const headers = user();
      const statuses: number[] = [];
      for (let index = 0; index < 600; index++) {
        statuses.push(
          (await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers })).statusCode,
        );
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(60);
      const refused = await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers });
      expect(refused.statusCode).toBe(429);
      expect(refused.json().type).toBe('/problems/rate-limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['ratelimit-policy']).toBe('"mutation";q=60;w=60');
      expect(refused.headers.ratelimit).toMatch(/^"mutation";r=0;t=\d+$/);
      // Reads are not limited by the write bucket.
      expect((await server.vigil.app.inject({ method: 'GET', url: '/api/me/test-read', headers })).statusCode).toBe(
        200,
      );
      // Another user has their own bucket.
      expect(
        (await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers: user() })).statusCode,
      ).toBe(200);
      // Time refills it (controlled clock, no sleeping).
      server.clock.advance(2_000);
      expect((await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers })).statusCode).toBe(
        200,
      );
    });

    it('limits auth attempts per account identifier and per IP', async () => {
      const attempt = (email: string, ip: string) =>
        server.vigil.app.inject({ method: 'POST', url: '/api/test-auth', payload: { email }, remoteAddress: ip });
      const sameAccount: number[] = [];
      for (let index = 0; index < 10; index++)
        sameAccount.push((await attempt('Victim@Example.com', `198.51.100.${index}`)).statusCode);
      // 5 per account however many addresses try it (identifier normalised).
      expect(sameAccount.filter((status) => status === 200)).toHaveLength(5);
      const sameIp: number[] = [];
      for (let index = 0; index < 30; index++)
        sameIp.push((await attempt(`user${index}@example.com`, '203.0.113.50')).statusCode);
      expect(sameIp.filter((status) => status === 200)).toHaveLength(20);
    });
  });
}

describe.runIf(Boolean(redisUrl))(`rate limiting across replicas (${testDatabaseKind})`, () => {
  it('shares one bucket between two server instances on one Redis', async () => {
    const prefix = `vigil-test:${randomUUID()}:`;
    const stores = [0, 1].map(() => createRedisRateLimitStore({ url: redisUrl as string, keyPrefix: prefix }));
    const first = await startTestVigil({ extraRoutes: [writeRoute], rateLimitStore: stores[0] });
    const second = await startTestVigil({ extraRoutes: [writeRoute], rateLimitStore: stores[1] });
    try {
      for (const store of stores) await waitUntilHealthy(store);
      const headers = user();
      let allowed = 0;
      for (let index = 0; index < 100; index++) {
        const server = index % 2 === 0 ? first : second;
        if ((await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers })).statusCode === 200)
          allowed += 1;
      }
      expect(allowed).toBe(60);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('fails closed for auth routes and open for others when Redis is unreachable, and says so in /readyz', async () => {
    const unreachable = createRedisRateLimitStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    const server = await startTestVigil({ extraRoutes: [signInLike, writeRoute], rateLimitStore: unreachable });
    try {
      const auth = await server.vigil.app.inject({
        method: 'POST',
        url: '/api/test-auth',
        payload: { email: 'a@example.com' },
      });
      expect(auth.statusCode).toBe(503);
      const write = await server.vigil.app.inject({ method: 'POST', url: '/api/me/test-write', headers: user() });
      expect(write.statusCode).toBe(200);
      const ready = await server.vigil.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json(), ready.body).toMatchObject({ checks: { rateLimit: 'redis-unreachable' } });
    } finally {
      await server.close();
    }
  });
});

/** Waits for the Redis connection (a real network event, bounded); tests never sleep on timers otherwise. */
async function waitUntilHealthy(store: RateLimitStore | undefined) {
  for (let attempt = 0; attempt < 100 && store && !store.healthy(); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 20));
}
