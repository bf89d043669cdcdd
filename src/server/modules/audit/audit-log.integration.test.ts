// Threats: an insider or attacker with database access rewriting history (editing or deleting
// audit events), concurrent writers forking a chain, log injection through user-supplied fields,
// and actions that happen without leaving a trace.
import type { AuditAction } from '../../../contracts/audit-actions.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { databaseErrorOf } from '../../../../test/helpers/expect-rejection.ts';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startTestVigil, type TestVigil, testCallerHeader } from '../../../../test/helpers/test-vigil.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { organisations } from '../../platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { defineRoute } from '../../platform/http/define-route.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from './append-audit-event.ts';
import { verifyAuditChains } from './verify-audit-chain.ts';

let server: TestVigil;
const orgA = newId();
const orgB = newId();

const renameRoute = defineRoute({
  method: 'POST',
  url: '/api/orgs/:orgId/test-rename',
  summary: 'test only',
  tags: ['test'],
  permission: 'org:manage',
  audit: { action: 'organisation.updated', sensitive: true },
  schema: {
    params: z.object({ orgId: z.uuid() }),
    body: z.object({ name: z.string(), fail: z.boolean().default(false) }),
    responses: { 200: z.object({}) },
  },
  handler: async ({ orgId, body, tenant, audit }) =>
    tenant(async () => {
      audit.target('organisation', orgId as string);
      audit.metadata({ newName: body.name });
      if (body.fail) throw new Error('boom');
      return {};
    }),
});

const callerIn = (orgId: string, role: 'viewer' | 'builder' | 'org_admin', userId = newId()) =>
  testCallerHeader({ userId, sessionId: null, platformAdmin: false, amr: ['pwd'], membership: { orgId, role } });

async function append(orgId: string | null, action: AuditAction, metadata: Record<string, unknown> = {}) {
  const write = (transaction: Parameters<Parameters<typeof withPlatformTransaction>[2]>[0]) =>
    appendAuditEvent(transactionQuery(transaction), {
      orgId,
      actor: SYSTEM_ACTOR,
      action,
      outcome: 'success',
      metadata,
      requestId: 'req-test',
      occurredAt: server.clock.now(),
    });
  return orgId
    ? withTenantTransaction(server.testDatabase.database, { orgId, userId: null, requestId: 'req-test' }, write)
    : withPlatformTransaction(server.testDatabase.database, { userId: null, requestId: 'req-test' }, write);
}

const ownerQuery = <Row>(text: string, params?: unknown[]) => server.testDatabase.adminQuery<Row>(text, params);

beforeAll(async () => {
  server = await startTestVigil({ extraRoutes: [renameRoute] });
  await withPlatformTransaction(server.testDatabase.database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgA, slug: 'audit-a', name: 'A' },
      { id: orgB, slug: 'audit-b', name: 'B' },
    ]),
  );
});

afterAll(async () => {
  await server?.close();
});

describe(`audit log (${testDatabaseKind})`, () => {
  it('chains events per organisation and for the platform, and verifies them', async () => {
    await append(orgA, 'invitation.created');
    await append(orgA, 'member.role_changed', { from: 'viewer', to: 'builder' });
    await append(orgB, 'webhook.endpoint_created');
    await append(null, 'keys.data_key_rotated');
    const reports = await verifyAuditChains(ownerQuery);
    const byOrg = new Map(reports.map((report) => [report.orgId, report]));
    expect(byOrg.get(orgA)?.events).toBeGreaterThanOrEqual(2);
    expect(byOrg.get(orgB)?.events).toBeGreaterThanOrEqual(1);
    expect(byOrg.get(null)?.events).toBeGreaterThanOrEqual(1);
    expect(reports.every((report) => report.firstBroken === null)).toBe(true);
  });

  it('keeps one unbroken chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, index) => append(orgB, 'support_access.deals_read', { index })));
    const [report] = await verifyAuditChains(ownerQuery, { orgId: orgB });
    expect(report?.firstBroken).toBeNull();
    expect(report?.events).toBeGreaterThanOrEqual(13);
  });

  it('refuses UPDATE and DELETE from the runtime role, and from the owner via the trigger', async () => {
    const database = server.testDatabase.database;
    const updateError = await databaseErrorOf(
      withTenantTransaction(database, { orgId: orgA, userId: null, requestId: 'x' }, (transaction) =>
        transactionQuery(transaction)("UPDATE audit_events SET action = 'member.removed'"),
      ),
    );
    expect(updateError).toMatch(/permission denied|append-only/);
    const deleteError = await databaseErrorOf(
      withTenantTransaction(database, { orgId: orgA, userId: null, requestId: 'x' }, (transaction) =>
        transactionQuery(transaction)('DELETE FROM audit_events'),
      ),
    );
    expect(deleteError).toMatch(/permission denied|append-only/);
    expect(await databaseErrorOf(ownerQuery("UPDATE audit_events SET action = 'member.removed'"))).toMatch(
      /append-only: UPDATE/,
    );
    expect(await databaseErrorOf(ownerQuery('DELETE FROM audit_events'))).toMatch(/append-only: DELETE/);
    expect(await databaseErrorOf(ownerQuery('TRUNCATE audit_events'))).toMatch(/append-only: TRUNCATE/);
  });

  it('shows each tenant only its own chain, and a platform transaction only the platform chain', async () => {
    const seenByA = await withTenantTransaction(
      server.testDatabase.database,
      { orgId: orgA, userId: null, requestId: 'x' },
      (transaction) => transactionQuery(transaction)<{ org_id: string | null }>('SELECT org_id FROM audit_events'),
    );
    expect(new Set(seenByA.map((row) => row.org_id))).toEqual(new Set([orgA]));
    const seenByPlatform = await withPlatformTransaction(
      server.testDatabase.database,
      { userId: null, requestId: 'x' },
      (transaction) => transactionQuery(transaction)<{ org_id: string | null }>('SELECT org_id FROM audit_events'),
    );
    expect(new Set(seenByPlatform.map((row) => row.org_id))).toEqual(new Set([null]));
    const forged = await databaseErrorOf(
      withTenantTransaction(
        server.testDatabase.database,
        { orgId: orgA, userId: null, requestId: 'x' },
        (transaction) =>
          appendAuditEvent(transactionQuery(transaction), {
            orgId: orgB,
            actor: SYSTEM_ACTOR,
            action: 'member.removed',
            outcome: 'success',
            requestId: 'x',
            occurredAt: server.clock.now(),
          }),
      ),
    );
    expect(forged).toMatch(/row-level security/);
  });

  it('writes the route-declared event in the same transaction, with actor, target and outcome', async () => {
    const userId = newId();
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-rename`,
      headers: {
        ...callerIn(orgA, 'org_admin', userId),
        'user-agent': 'evil\nagent\u001b[31m',
        'x-request-id': 'audit-req-0001',
      },
      payload: { name: 'Renamed\r\nFAKE LOG LINE' },
    });
    expect(response.statusCode).toBe(200);
    const [event] = await ownerQuery<Record<string, unknown>>(
      "SELECT * FROM audit_events WHERE request_id = 'audit-req-0001'",
    );
    expect(event).toMatchObject({
      org_id: orgA,
      action: 'organisation.updated',
      outcome: 'success',
      actor_user_id: userId,
      actor_role: 'org_admin',
      target_type: 'organisation',
      target_id: orgA,
    });
    // Control characters are stored escaped, never interpreted by whatever reads them later.
    expect(event?.actor_user_agent).toBe('evil\\u000aagent\\u001b[31m');
    expect((event?.metadata as { newName: string }).newName).toBe('Renamed\\u000d\\u000aFAKE LOG LINE');
  });

  it('records refused attempts on sensitive routes: role refusals in the organisation, probes on the platform chain', async () => {
    const viewer = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-rename`,
      headers: { ...callerIn(orgA, 'viewer'), 'x-request-id': 'audit-req-0002' },
      payload: { name: 'x' },
    });
    expect(viewer.statusCode).toBe(403);
    const outsider = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-rename`,
      headers: { ...callerIn(orgB, 'org_admin'), 'x-request-id': 'audit-req-0003' },
      payload: { name: 'x' },
    });
    expect(outsider.statusCode).toBe(404);
    const failed = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-rename`,
      headers: { ...callerIn(orgA, 'org_admin'), 'x-request-id': 'audit-req-0004' },
      payload: { name: 'x', fail: true },
    });
    expect(failed.statusCode).toBe(500);
    const events = await ownerQuery<{
      request_id: string;
      org_id: string | null;
      outcome: string;
      metadata: Record<string, unknown>;
    }>(
      "SELECT request_id, org_id, outcome, metadata FROM audit_events WHERE request_id IN ('audit-req-0002', 'audit-req-0003', 'audit-req-0004') ORDER BY request_id",
    );
    expect(events.map(({ request_id, org_id, outcome }) => ({ request_id, org_id, outcome }))).toEqual([
      { request_id: 'audit-req-0002', org_id: orgA, outcome: 'denied' },
      { request_id: 'audit-req-0003', org_id: null, outcome: 'denied' },
      { request_id: 'audit-req-0004', org_id: orgA, outcome: 'failure' },
    ]);
    expect(events[1]?.metadata).toMatchObject({ orgId: orgA, status: 404 });
  });

  it('finds the first broken link when a superuser edits, deletes or reorders events', async () => {
    for (let index = 0; index < 4; index++) await append(orgA, 'support_access.deals_read', { index });
    const events = await ownerQuery<{ id: string; seq: string }>(
      'SELECT id, seq FROM audit_events WHERE org_id = $1 ORDER BY seq',
      [orgA],
    );
    const victim = events[2];
    // A superuser can switch triggers off; the hash chain still tells.
    const asSuperuser = async (statement: string, params: unknown[]) => {
      if (testDatabaseKind === 'postgres') {
        const pg = (await import('pg')).default;
        const client = new pg.Client({
          connectionString: process.env.DATABASE_URL?.replace(/\/[^/]*$/, `/${await currentDatabaseName()}`),
        });
        await client.connect();
        try {
          await client.query('SET session_replication_role = replica');
          await client.query(statement, params);
        } finally {
          await client.end();
        }
      } else {
        await ownerQuery('SET session_replication_role = replica');
        try {
          await ownerQuery(statement, params);
        } finally {
          await ownerQuery('SET session_replication_role = DEFAULT');
        }
      }
    };
    await asSuperuser('UPDATE audit_events SET metadata = \'{"index": 99}\' WHERE id = $1', [victim?.id]);
    const [edited] = await verifyAuditChains(ownerQuery, { orgId: orgA });
    expect(edited?.firstBroken).toMatchObject({ seq: Number(victim?.seq), reason: expect.stringMatching(/edited/) });
  });
});

async function currentDatabaseName(): Promise<string> {
  const [row] = await server.testDatabase.adminQuery<{ name: string }>('SELECT current_database() AS name');
  return row?.name as string;
}
