// Threat: one organisation reading or writing another's rows — through a forgotten WHERE clause,
// a setting leaking between pooled requests, or code running with no organisation at all.
// Row-level security must stop all three on both databases.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/server/platform/db/database.ts';
import { newId } from '../../src/server/platform/db/ids.ts';
import { openPostgres } from '../../src/server/platform/db/open-postgres.ts';
import { queryRows } from '../../src/server/platform/db/query-rows.ts';
import { deals, organisations } from '../../src/server/platform/db/schema.ts';
import {
  inOrganisationScope,
  withPlatformTransaction,
  withTenantTransaction,
} from '../../src/server/platform/db/tenant-transaction.ts';
import { databaseErrorOf, ROW_LEVEL_SECURITY_VIOLATION } from '../helpers/expect-rejection.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/test-database.ts';

let testDatabase: TestDatabase;
const orgA = newId();
const orgB = newId();

async function insertDeal(orgId: string, name: string) {
  await withTenantTransaction(
    testDatabase.database,
    { orgId, userId: null, requestId: 'seed-request' },
    (transaction) => transaction.insert(deals).values({ orgId, id: newId(), name, stage: 'discovery' }),
  );
}

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  await withPlatformTransaction(testDatabase.database, { userId: null, requestId: 'seed-request' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgA, slug: 'org-a', name: 'A' },
      { id: orgB, slug: 'org-b', name: 'B' },
    ]),
  );
  await insertDeal(orgA, 'CANARY-A deal');
  await insertDeal(orgB, 'CANARY-B deal');
});

afterAll(async () => {
  await testDatabase?.close();
});

describe(`row-level security on tenant tables (${testDatabaseKind})`, () => {
  it('shows a bare SELECT inside org A only org A rows', async () => {
    const rows = await withTenantTransaction(
      testDatabase.database,
      { orgId: orgA, userId: null, requestId: 'r1' },
      (transaction) => queryRows<Record<string, unknown>>(transaction, sql`SELECT * FROM deals`),
    );
    const names = rows.map((row) => (row as { name: string }).name);
    expect(names).toEqual(['CANARY-A deal']);
  });

  it("refuses an INSERT carrying org B's id inside org A's transaction", async () => {
    expect(
      await databaseErrorOf(
        withTenantTransaction(testDatabase.database, { orgId: orgA, userId: null, requestId: 'r2' }, (transaction) =>
          transaction.insert(deals).values({ orgId: orgB, id: newId(), name: 'smuggled', stage: 'x' }),
        ),
      ),
    ).toMatch(ROW_LEVEL_SECURITY_VIOLATION);
    const counts = await testDatabase.adminQuery<{ count: string }>(
      "SELECT count(*)::text AS count FROM deals WHERE name = 'smuggled'",
    );
    expect(counts[0]?.count).toBe('0');
  });

  it("refuses an UPDATE moving a row to org B, and cannot touch org B's rows", async () => {
    expect(
      await databaseErrorOf(
        withTenantTransaction(testDatabase.database, { orgId: orgA, userId: null, requestId: 'r3' }, (transaction) =>
          queryRows<Record<string, unknown>>(transaction, sql`UPDATE deals SET org_id = ${orgB}`),
        ),
      ),
    ).toMatch(ROW_LEVEL_SECURITY_VIOLATION);
    const updated = await withTenantTransaction(
      testDatabase.database,
      { orgId: orgA, userId: null, requestId: 'r4' },
      (transaction) =>
        queryRows<Record<string, unknown>>(
          transaction,
          sql`UPDATE deals SET name = 'overwritten' WHERE org_id = ${orgB} RETURNING id`,
        ),
    );
    expect(updated).toHaveLength(0);
    const deleted = await withTenantTransaction(
      testDatabase.database,
      { orgId: orgA, userId: null, requestId: 'r5' },
      (transaction) =>
        queryRows<Record<string, unknown>>(transaction, sql`DELETE FROM deals WHERE org_id = ${orgB} RETURNING id`),
    );
    expect(deleted).toHaveLength(0);
    const bRows = await testDatabase.adminQuery<{ name: string }>('SELECT name FROM deals WHERE org_id = $1', [orgB]);
    expect(bRows.map((row) => row.name)).toEqual(['CANARY-B deal']);
  });

  it('shows nothing, and accepts no write, when no organisation is set', async () => {
    const visible = await testDatabase.database.query('SELECT * FROM deals');
    expect(visible).toHaveLength(0);
    const platformVisible = await withPlatformTransaction(
      testDatabase.database,
      { userId: null, requestId: 'r6' },
      (transaction) => queryRows<Record<string, unknown>>(transaction, sql`SELECT * FROM deals`),
    );
    expect(platformVisible).toHaveLength(0);
    expect(
      await databaseErrorOf(
        testDatabase.database.query("INSERT INTO deals (org_id, id, name, stage) VALUES ($1, $2, 'orphan', 'x')", [
          orgA,
          newId(),
        ]),
      ),
    ).toMatch(ROW_LEVEL_SECURITY_VIOLATION);
  });

  it('does not carry the organisation setting into the next transaction on the same connection', async () => {
    // One connection only, so the second transaction must reuse the first one's session.
    const database =
      testDatabaseKind === 'postgres' && testDatabase.databaseConfig.kind === 'postgres'
        ? openPostgres({ url: testDatabase.databaseConfig.url, poolSize: 1 })
        : testDatabase.database;
    try {
      const first = await withTenantTransaction(
        database,
        { orgId: orgA, userId: 'user-1', requestId: 'r7' },
        async (transaction) => {
          const [row] = await queryRows<{ pid: number; org: string }>(
            transaction,
            sql`SELECT pg_backend_pid() AS pid, current_setting('app.org_id', true) AS org`,
          );
          return row as { pid: number; org: string };
        },
      );
      expect(first.org).toBe(orgA);
      const [after] = await database.query<{ pid: number; org: string | null; request: string | null }>(
        "SELECT pg_backend_pid() AS pid, current_setting('app.org_id', true) AS org, current_setting('app.request_id', true) AS request",
      );
      expect(after?.pid).toBe(first.pid);
      expect(after?.org ?? '').toBe('');
      expect(after?.request ?? '').toBe('');
      expect(await database.query('SELECT * FROM deals')).toHaveLength(0);
    } finally {
      if (database !== testDatabase.database) await database.close();
    }
  });

  it('puts the request id into the database session of the transaction', async () => {
    const seen = await withTenantTransaction(
      testDatabase.database,
      { orgId: orgA, userId: 'u', requestId: 'req-trace-1234' },
      (transaction) =>
        queryRows<Record<string, unknown>>(transaction, sql`SELECT current_setting('app.request_id') AS request_id`),
    );
    expect((seen[0] as { request_id: string }).request_id).toBe('req-trace-1234');
  });

  it('sets values holding quotes, backslashes and SQL verbatim (no injection through the settings)', async () => {
    const hostile = String.raw`x', true); SET ROLE postgres; SELECT ('\' ; -- $$ "`;
    const seen = await withPlatformTransaction(
      testDatabase.database,
      { userId: hostile, requestId: 'r-q' },
      (transaction) =>
        queryRows<{ user_id: string; role: string }>(
          transaction,
          sql`SELECT current_setting('app.user_id') AS user_id, current_user AS role`,
        ),
    );
    expect(seen[0]?.user_id).toBe(hostile);
    expect(seen[0]?.role).not.toBe('postgres');
  });

  it('rolls back a failed transaction and hands the connection on clean', async () => {
    const database =
      testDatabaseKind === 'postgres' && testDatabase.databaseConfig.kind === 'postgres'
        ? openPostgres({ url: testDatabase.databaseConfig.url, poolSize: 1 })
        : testDatabase.database;
    const dealId = newId();
    try {
      await expect(
        withTenantTransaction(database, { orgId: orgA, userId: 'u', requestId: 'r-fail' }, async (transaction) => {
          await transaction.insert(deals).values({ orgId: orgA, id: dealId, name: 'Rolled back', stage: 'proposal' });
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
      const after = await withTenantTransaction(
        database,
        { orgId: orgA, userId: 'u', requestId: 'r-next' },
        (transaction) =>
          queryRows<{ n: number }>(transaction, sql`SELECT count(*)::int AS n FROM deals WHERE id = ${dealId}`),
      );
      expect(after[0]?.n).toBe(0);
    } finally {
      if (database !== testDatabase.database) await database.close();
    }
  });
});

describe(`stepping into an organisation inside a transaction (${testDatabaseKind})`, () => {
  const dealNames = (transaction: Transaction) =>
    queryRows<{ name: string }>(transaction, sql`SELECT name FROM deals ORDER BY name`).then((rows) =>
      rows.map((row) => row.name),
    );
  const currentOrg = (transaction: Transaction) =>
    queryRows<{ org: string | null }>(transaction, sql`SELECT current_setting('app.org_id', true) AS org`).then(
      (rows) => rows[0]?.org ?? '',
    );

  it("sees only that organisation's rows inside, and the previous scope again after", async () => {
    const seen = await withTenantTransaction(
      testDatabase.database,
      { orgId: orgA, userId: null, requestId: 'r-scope' },
      async (transaction) => {
        const inB = await inOrganisationScope(transaction, orgB, () => dealNames(transaction));
        const inNone = await inOrganisationScope(transaction, null, () => dealNames(transaction));
        return { inB, inNone, after: await dealNames(transaction), org: await currentOrg(transaction) };
      },
    );
    expect(seen).toEqual({ inB: ['CANARY-B deal'], inNone: [], after: ['CANARY-A deal'], org: orgA });
  });

  it('restores the previous scope when the work throws and the caller carries on', async () => {
    const seen = await withPlatformTransaction(
      testDatabase.database,
      { userId: null, requestId: 'r-scope-throw' },
      async (transaction) => {
        await expect(
          inOrganisationScope(transaction, orgA, async () => {
            expect(await dealNames(transaction)).toEqual(['CANARY-A deal']);
            throw new Error('refused inside the scope');
          }),
        ).rejects.toThrow('refused inside the scope');
        return { deals: await dealNames(transaction), org: await currentOrg(transaction) };
      },
    );
    expect(seen).toEqual({ deals: [], org: '' });
  });

  it("reports the work's own error when a failed statement has ended the transaction", async () => {
    const message = await databaseErrorOf(
      withPlatformTransaction(testDatabase.database, { userId: null, requestId: 'r-scope-sql' }, (transaction) =>
        inOrganisationScope(transaction, orgA, () => queryRows(transaction, sql`SELECT * FROM no_such_table`)),
      ),
    );
    expect(message).toMatch(/no_such_table/);
  });
});

describe(`schema guarantees (${testDatabaseKind})`, () => {
  it('gives every table with an org_id column forced RLS and a restrictive tenant policy', async () => {
    const tables = await testDatabase.adminQuery<{
      table_name: string;
      nullable: string;
      rls: boolean;
      forced: boolean;
    }>(
      `SELECT c.table_name, c.is_nullable AS nullable, k.relrowsecurity AS rls, k.relforcerowsecurity AS forced
         FROM information_schema.columns c
         JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace
        WHERE c.table_schema = 'public' AND c.column_name = 'org_id'`,
    );
    // Platform tables that carry an org_id for routing but must span organisations; each is
    // reviewed: the worker claims jobs of every organisation.
    const platformTables = new Set(['jobs']);
    const tenantTables = tables.filter((table) => !platformTables.has(table.table_name));
    expect(tenantTables.map((table) => table.table_name)).toContain('deals');
    // audit_events: org_id NULL is the platform chain (its policy uses IS NOT DISTINCT FROM).
    const nullableOrgId = new Set(['audit_events']);
    for (const table of tenantTables) {
      expect({ table: table.table_name, nullable: table.nullable, rls: table.rls, forced: table.forced }).toEqual({
        table: table.table_name,
        nullable: nullableOrgId.has(table.table_name) ? 'YES' : 'NO',
        rls: true,
        forced: true,
      });
      const policies = await testDatabase.adminQuery<{ permissive: string; qual: string; with_check: string }>(
        "SELECT permissive, qual, with_check FROM pg_policies WHERE tablename = $1 AND policyname = 'tenant_isolation'",
        [table.table_name],
      );
      expect(policies).toHaveLength(1);
      expect(policies[0]?.permissive).toBe('RESTRICTIVE');
      expect(policies[0]?.qual).toContain("current_setting('app.org_id'");
      expect(policies[0]?.with_check).toContain("current_setting('app.org_id'");
    }
  });

  it('runs the server as a role without SUPERUSER or BYPASSRLS that owns no table', async () => {
    const [role] = await testDatabase.database.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
    );
    expect(role?.rolsuper).toBe(false);
    expect(role?.rolbypassrls).toBe(false);
    const [owned] = await testDatabase.database.query<{ count: string }>(
      "SELECT count(*)::text AS count FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
    );
    expect(owned?.count).toBe('0');
  });
});
