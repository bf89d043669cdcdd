// Vigil with one organisation of 50 deals and a signed-in org member, for bench/organisations.ts.
// PostgreSQL when DATABASE_URL is set (a fresh database, dropped at exit), PGlite otherwise. Prints
// `READY <url> <orgId> <accessToken> <database kind> <ceiling url>`. Production code end to end; only the
// rate-limit store is lifted (the bench sends far more than a person).
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import { newId } from '../../src/server/platform/db/ids.ts';
import { queryRows } from '../../src/server/platform/db/query-rows.ts';
import { withTenantTransaction } from '../../src/server/platform/db/tenant-transaction.ts';
import type { RateLimitStore } from '../../src/server/platform/rate-limit/rate-limit-store.ts';

const unlimited: RateLimitStore = {
  kind: 'memory',
  take: async () => ({ allowed: true, remaining: 1_000_000, retryAfterMs: 0, resetMs: 0 }),
  healthy: () => true,
  close: async () => {},
};

// Before the helper is loaded: it reads VIGIL_TEST_DB once, when its module is evaluated (a static
// import would be evaluated before this line, and the bench would run on PGlite regardless).
process.env.VIGIL_TEST_DB = process.env.DATABASE_URL ? 'postgres' : 'pglite';
const { createTestDatabase, testDatabaseKind } = await import('../../test/helpers/test-database.ts');
const testDatabase = await createTestDatabase({ poolSize: 10 });
const orgId = newId();
const userId = newId();
const now = systemClock.now().toISOString();
await testDatabase.adminQuery("INSERT INTO organisations (id, slug, name) VALUES ($1, 'bench-org', 'Bench org')", [
  orgId,
]);
await testDatabase.adminQuery(
  `INSERT INTO users (id, email, email_normalised, email_verified_at, tokens_valid_after, created_at, updated_at)
   VALUES ($1, 'bench@example.test', 'bench@example.test', $2, $2, $2, $2)`,
  [userId, now],
);
await testDatabase.adminQuery(
  "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'viewer', $3)",
  [orgId, userId, now],
);
for (let index = 0; index < 50; index++) {
  await testDatabase.adminQuery(
    "INSERT INTO deals (org_id, id, name, stage, amount_minor, currency, close_date, owner_name) VALUES ($1, $2, $3, 'proposal', $4, 'USD', '2026-12-31', 'Bench Owner')",
    [orgId, newId(), `Bench deal ${index}`, 1_000_000 + index],
  );
}

const config = loadConfig({
  VIGIL_PROFILE: 'development',
  PORT: '0',
  LOG_LEVEL: 'info',
  VIGIL_DEMO_SEED: 'false',
  VIGIL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
});
const vigil = await createVigil({
  config,
  database: testDatabase.database,
  worker: false,
  rateLimitStore: unlimited,
  logDestination: pino.destination({ dest: '/dev/null', sync: false }),
});
const tokens = await vigil.identity.sessions.startSession({
  userId,
  amr: ['pwd'],
  orgId,
  ip: null,
  userAgent: 'bench',
});
// The database's ceiling: a bare Fastify route (no pipeline, no authentication, no ORM) that
// runs the same organisation-scoped transaction and 51-row query Vigil's handler runs, on the
// same database and pool, and returns the rows as they come. No route that reads its rows from
// the database per request can be faster than this.
const ceiling = Fastify({ logger: false });
ceiling.get('/deals', async () => {
  const rows = await withTenantTransaction(
    testDatabase.database,
    { orgId, userId, requestId: 'bench-ceiling' },
    (transaction) =>
      queryRows(
        transaction,
        sql`SELECT id, name, stage, amount_minor, currency, close_date, owner_name, updated_at FROM deals WHERE org_id = ${orgId} ORDER BY id LIMIT 51`,
      ),
  );
  return { items: rows.slice(0, 50), nextCursor: null };
});
const ceilingAddress = await ceiling.listen({ port: 0, host: '127.0.0.1' });
const address = await vigil.listen();
process.stdout.write(`READY ${address} ${orgId} ${tokens.accessToken} ${testDatabaseKind} ${ceilingAddress}\n`);
process.on(
  'SIGTERM',
  () =>
    void ceiling
      .close()
      .then(() => vigil.close())
      .then(() => testDatabase.close())
      .then(() => process.exit(0)),
);
