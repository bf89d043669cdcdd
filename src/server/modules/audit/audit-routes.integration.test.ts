// The audit log as org admins and platform admins read it: scoped to their chain, filterable,
// paginated, exportable without letting audit content run as a spreadsheet formula.
import type { AuditAction } from '../../../contracts/audit-actions.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startTestVigil, type TestVigil, testCallerHeader } from '../../../../test/helpers/test-vigil.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { organisations } from '../../platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { appendAuditEvent } from './append-audit-event.ts';

let server: TestVigil;
const orgA = newId();
const orgB = newId();
const actor = newId();

const member = (orgId: string, role: 'viewer' | 'builder' | 'org_admin') =>
  testCallerHeader({
    userId: newId(),
    sessionId: null,
    platformAdmin: false,
    amr: ['pwd'],
    membership: { orgId, role },
  });
const platformAdmin = (amr: string[]) =>
  testCallerHeader({ userId: newId(), sessionId: null, platformAdmin: true, amr, membership: null });

beforeAll(async () => {
  server = await startTestVigil();
  const { database } = server.testDatabase;
  await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgA, slug: 'audit-routes-a', name: 'A' },
      { id: orgB, slug: 'audit-routes-b', name: 'B' },
    ]),
  );
  const event = (orgId: string | null, action: AuditAction, metadata: Record<string, unknown> = {}) => ({
    orgId,
    actor: { userId: actor, role: 'org_admin', ip: '203.0.113.7', userAgent: 'test' },
    action,
    outcome: 'success' as const,
    target: { type: 'member', id: 'm-1' },
    metadata,
    requestId: 'seed',
    occurredAt: server.clock.now(),
  });
  await withTenantTransaction(database, { orgId: orgA, userId: null, requestId: 'seed' }, async (transaction) => {
    const query = transactionQuery(transaction);
    for (let index = 0; index < 5; index++) await appendAuditEvent(query, event(orgA, 'invitation.created', { index }));
    await appendAuditEvent(query, event(orgA, 'member.role_changed', { note: '=HYPERLINK("http://evil.example")' }));
  });
  await withTenantTransaction(database, { orgId: orgB, userId: null, requestId: 'seed' }, (transaction) =>
    appendAuditEvent(transactionQuery(transaction), event(orgB, 'invitation.created', { secret: 'CANARY-ORG-B' })),
  );
  await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
    appendAuditEvent(transactionQuery(transaction), event(null, 'keys.data_key_rotated')),
  );
});

afterAll(async () => {
  await server?.close();
});

const get = (url: string, headers: Record<string, string>) => server.vigil.app.inject({ method: 'GET', url, headers });

describe(`audit log API (${testDatabaseKind})`, () => {
  it('lists newest first with filters and cursor pagination, only for org admins of that organisation', async () => {
    const first = await get(`/api/orgs/${orgA}/audit-events?limit=4`, member(orgA, 'org_admin'));
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.items.map((item: { seq: number }) => item.seq)).toEqual([6, 5, 4, 3]);
    const second = (
      await get(`/api/orgs/${orgA}/audit-events?limit=4&cursor=${page.nextCursor}`, member(orgA, 'org_admin'))
    ).json();
    expect(second.items.map((item: { seq: number }) => item.seq)).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();
    const filtered = (
      await get(`/api/orgs/${orgA}/audit-events?action=member.role*&actor=${actor}`, member(orgA, 'org_admin'))
    ).json();
    expect(filtered.items.map((item: { action: string }) => item.action)).toEqual(['member.role_changed']);
    expect(first.body).not.toContain('CANARY-ORG-B');
    expect((await get(`/api/orgs/${orgA}/audit-events`, member(orgA, 'builder'))).statusCode).toBe(403);
    expect((await get(`/api/orgs/${orgB}/audit-events`, member(orgA, 'org_admin'))).statusCode).toBe(404);
    expect((await get(`/api/orgs/${orgA}/audit-events?from=yesterday`, member(orgA, 'org_admin'))).statusCode).toBe(
      400,
    );
  });

  it('exports CSV with formulas neutralised, and records the export itself', async () => {
    const response = await get(`/api/orgs/${orgA}/audit-events/export?format=csv`, {
      ...member(orgA, 'org_admin'),
      'x-request-id': 'export-req-01',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toMatch(/attachment/);
    const lines = response.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^seq,occurredAt,action/);
    // Header, the six seeded events, and this export (recorded before the stream starts).
    expect(lines).toHaveLength(8);
    expect(response.body).toContain(`"{""note"":""=HYPERLINK`);
    expect(response.body).not.toMatch(/(^|,)"=/m);
    const recorded = await server.testDatabase.adminQuery<{ action: string; org_id: string }>(
      "SELECT action, org_id FROM audit_events WHERE request_id = 'export-req-01'",
    );
    expect(recorded).toEqual([{ action: 'audit.exported', org_id: orgA }]);
  });

  it('exports JSON Lines', async () => {
    const response = await get(
      `/api/orgs/${orgA}/audit-events/export?format=jsonl&action=invitation.created`,
      member(orgA, 'org_admin'),
    );
    const events = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events).toHaveLength(5);
    expect(events.every((event: { action: string }) => event.action === 'invitation.created')).toBe(true);
  });

  it('shows the platform chain only to platform admins whose session passed MFA', async () => {
    expect((await get('/api/admin/audit-events', member(orgA, 'org_admin'))).statusCode).toBe(403);
    expect((await get('/api/admin/audit-events', platformAdmin(['pwd']))).statusCode).toBe(403);
    const response = await get('/api/admin/audit-events', platformAdmin(['pwd', 'otp']));
    expect(response.statusCode).toBe(200);
    const actions = response.json().items.map((item: { action: string }) => item.action);
    expect(actions).toContain('keys.data_key_rotated');
    expect(response.body).not.toContain(orgA);
  });
});
