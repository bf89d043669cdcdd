// Vigil with identity, the demo organisation and its demo admin, for bench/auth.ts. Rate limits
// are lifted (the bench signs in far faster than any person) — everything else is production code.
// Embedded PGlite by default; PostgreSQL when bench/auth.ts passes BENCH_DATABASE_URL (runtime
// login) and BENCH_MIGRATION_URL (owner).
import pino from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { seedDemoOrganisation } from '../../src/server/modules/organisations/seed-demo-organisation.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import { defineRoute } from '../../src/server/platform/http/define-route.ts';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';
import type { RateLimitStore } from '../../src/server/platform/rate-limit/rate-limit-store.ts';

const unlimited: RateLimitStore = {
  kind: 'memory',
  take: async () => ({ allowed: true, remaining: 1_000_000, retryAfterMs: 0, resetMs: 0 }),
  healthy: () => true,
  close: async () => {},
};

// An organisation route whose handler does no database work of its own: what it costs is the
// pipeline plus authentication and authorisation (the deals route adds a tenant transaction).
const authenticatedPing = defineRoute({
  method: 'GET',
  url: '/api/orgs/:orgId/bench-ping',
  summary: 'bench only: an authenticated organisation route without handler work',
  tags: ['bench'],
  permission: 'deals:read',
  audit: { optOut: 'bench route' },
  schema: { params: z.object({ orgId: z.uuid() }), responses: { 200: z.object({ ok: z.boolean() }) } },
  handler: async () => ({ ok: true }),
});

const config = loadConfig({
  VIGIL_PROFILE: 'development',
  PORT: '0',
  LOG_LEVEL: 'info',
  VIGIL_DEMO_SEED: 'false',
  BCRYPT_COST: '12',
  VIGIL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
});
const postgresUrl = process.env.BENCH_DATABASE_URL;
const { database } = await openDatabase(
  postgresUrl
    ? {
        kind: 'postgres',
        url: postgresUrl,
        migrationUrl: process.env.BENCH_MIGRATION_URL ?? postgresUrl,
        poolSize: Number(process.env.BENCH_POOL_SIZE ?? 10),
      }
    : { kind: 'pglite', dataDir: null },
  { migrate: true },
);
const { orgId } = await seedDemoOrganisation({ database, clock: systemClock });
const vigil = await createVigil({
  config,
  database,
  worker: false,
  rateLimitStore: unlimited,
  extraRoutes: [authenticatedPing],
  logDestination: pino.destination({ dest: '/dev/null', sync: false }),
});
const address = await vigil.listen();
process.stdout.write(`READY ${address} ${orgId}\n`);
process.on(
  'SIGTERM',
  () =>
    void vigil
      .close()
      .then(() => database.close())
      .then(() => process.exit(0)),
);
