// Vigil's full pipeline with two otherwise identical POST routes: one through the token-bucket
// limiter (STORE=memory|redis), one opted out. Buckets are huge so every request is allowed:
// this measures what the limiter costs on a real route.
import pino from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';
import { defineRoute } from '../../src/server/platform/http/define-route.ts';
import { createMemoryRateLimitStore } from '../../src/server/platform/rate-limit/memory-store.ts';
import { createRedisRateLimitStore } from '../../src/server/platform/rate-limit/redis-store.ts';

const route = (url: string, limited: boolean) =>
  defineRoute({
    method: 'POST',
    url,
    summary: 'bench',
    tags: ['bench'],
    permission: 'public',
    audit: { optOut: 'benchmark route' },
    ...(limited ? {} : { rateLimit: { optOut: 'the baseline of the limiter benchmark' } }),
    schema: { responses: { 200: z.object({ ok: z.boolean() }) } },
    handler: async () => ({ ok: true }),
  });

const huge = { capacity: 1e12, refillPerSecond: 1e9 };
const store =
  process.env.STORE === 'redis'
    ? createRedisRateLimitStore({
        url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        keyPrefix: `bench:${process.pid}:`,
      })
    : createMemoryRateLimitStore();
const config = loadConfig({
  VIGIL_PROFILE: 'development',
  PORT: '0',
  LOG_LEVEL: 'info',
  VIGIL_DEMO_SEED: 'false',
  VIGIL_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
});
const { database } = await openDatabase({ kind: 'pglite', dataDir: null }, { migrate: true });
const vigil = await createVigil({
  config,
  database,
  worker: false,
  rateLimitStore: store,
  rateLimitPolicies: { mutation: { name: 'mutation', ...huge } },
  extraRoutes: [route('/api/bench/limited', true), route('/api/bench/unlimited', false)],
  logDestination: pino.destination({ dest: '/dev/null', sync: false }),
});
const address = await vigil.listen();
process.stdout.write(`READY ${address}\n`);
process.on(
  'SIGTERM',
  () =>
    void vigil
      .close()
      .then(() => database.close())
      .then(() => process.exit(0)),
);
