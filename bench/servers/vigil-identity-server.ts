// Vigil with identity, the demo organisation and its demo admin, for bench/auth.ts. Rate limits
// are lifted (the bench signs in far faster than any person) — everything else is production code.
// Embedded PGlite by default; PostgreSQL when bench/auth.ts passes BENCH_DATABASE_URL (runtime
// login) and BENCH_MIGRATION_URL (owner).
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import pino from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { seedDemoOrganisation } from '../../src/server/modules/organisations/seed-demo-organisation.ts';
import { createOpaqueToken, hashOpaqueToken } from '../../src/server/modules/identity/sessions/opaque-token.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import { newId } from '../../src/server/platform/db/ids.ts';
import { queryRows } from '../../src/server/platform/db/query-rows.ts';
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
// The database's ceiling for a rotating refresh: a bare Fastify route (no pipeline, no ORM, no
// access token, no audit or session bookkeeping) doing the least a single-use token rotation with
// reuse detection must do — one transaction that locks the presented token's row, marks it used
// and inserts its successor — on the same database and pool.
const ceiling = Fastify({ logger: false });
ceiling.post('/rotate', async (request, reply) => {
  const presented = (request.body as { refreshToken: string }).refreshToken;
  const successor = createOpaqueToken();
  const rotated = await database.transactionWith({}, async (transaction) => {
    const [row] = await queryRows<{ id: string; session_id: string }>(
      transaction,
      sql`SELECT id, session_id FROM refresh_tokens WHERE token_hash = ${hashOpaqueToken(presented)} AND used_at IS NULL FOR UPDATE`,
    );
    if (!row) return false;
    const successorId = newId();
    const now = new Date();
    await transaction.execute(
      sql`UPDATE refresh_tokens SET used_at = ${now}, successor_id = ${successorId} WHERE id = ${row.id}`,
    );
    await transaction.execute(
      sql`INSERT INTO refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at)
          VALUES (${successorId}, ${row.session_id}, ${row.id}, ${hashOpaqueToken(successor)}, ${now}, ${new Date(now.getTime() + 86_400_000)})`,
    );
    return true;
  });
  if (!rotated) return reply.code(401).send({ error: 'unknown or used token' });
  return { refreshToken: successor };
});
const ceilingAddress = await ceiling.listen({ port: 0, host: '127.0.0.1' });
const address = await vigil.listen();
process.stdout.write(`READY ${address} ${orgId} ${ceilingAddress}\n`);
process.on(
  'SIGTERM',
  () =>
    void ceiling
      .close()
      .then(() => vigil.close())
      .then(() => database.close())
      .then(() => process.exit(0)),
);
