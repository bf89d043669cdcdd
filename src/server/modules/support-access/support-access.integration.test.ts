// Threat: a platform admin (or a stolen admin session) reading an organisation's business data
// without the organisation's say-so, for longer than it agreed to, or reaching its secrets; and an
// organisation member below admin handing that access out. Support access must be an explicit,
// time-boxed, revocable grant by an org admin, with every use on both audit chains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { testBackgroundJobs } from '../../../../test/helpers/test-vigil.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { createJobWorker } from '../../platform/jobs/job-worker.ts';
import { enqueueDueRecurringJobs } from '../../platform/jobs/recurring-jobs.ts';
import { verifyAuditChains } from '../audit/verify-audit-chain.ts';
import {
  type CallerHeaders,
  type OrganisationsTestServer,
  startOrganisationsTestServer,
} from '../organisations/organisations.test-support.ts';
import {
  expireLapsedSupportAccess,
  SUPPORT_ACCESS_EXPIRY_JOB_KIND,
  SUPPORT_ACCESS_EXPIRY_SCHEDULE,
} from './expire-lapsed-support-access.ts';
import { recordSupportAccessExpiry } from './settle-support-access.ts';

let server: OrganisationsTestServer;

beforeAll(async () => {
  server = await startOrganisationsTestServer();
});

afterAll(async () => {
  await server?.close();
});

type Headers = CallerHeaders;

const HOUR = 60 * 60 * 1000;
const DEAL_CANARY = 'SUPPORT-DEAL-CANARY-4b1e';
const SECRET_CANARY = 'whsec_SUPPORT-SECRET-CANARY-8d2a';

const call: OrganisationsTestServer['call'] = (...request) => server.call(...request);
const enableMfa = (userId: string) => server.enableMfa(userId);
const platformAdmin = () => server.createPlatformAdmin();

/** An organisation with a deal, a webhook secret, and an org admin, builder and viewer. */
async function organisation(name: string) {
  const owner = await server.createUser();
  const { orgId, ownerHeaders } = await server.createOrganisation(owner, name);
  await server.testDatabase.adminQuery(
    'INSERT INTO deals (org_id, id, name, stage) VALUES ($1, gen_random_uuid(), $2, $3)',
    [orgId, `Deal ${DEAL_CANARY}`, 'proposal'],
  );
  await server.testDatabase.adminQuery(
    `INSERT INTO webhook_endpoints (org_id, id, url, event_types, secret_sealed, secret_hint, status, created_at, updated_at)
     VALUES ($1, gen_random_uuid(), 'https://receiver.example/hook', '{deal.updated}', $2, 'ab12', 'active', now(), now())`,
    [orgId, SECRET_CANARY],
  );
  const roles: Record<'builder' | 'viewer', Headers> = {} as Record<'builder' | 'viewer', Headers>;
  for (const role of ['builder', 'viewer'] as const) {
    const person = await server.createUser();
    await server.addMembership({ orgId, userId: person.id, role });
    roles[role] = await server.signIn(person.id, { orgId });
  }
  return { orgId, owner, admin: ownerHeaders, ...roles };
}

async function events(action: string, grantId: string) {
  return server.testDatabase.adminQuery<{ org_id: string | null; actor_user_id: string | null; outcome: string }>(
    "SELECT org_id, actor_user_id, outcome FROM audit_events WHERE action = $1 AND metadata->>'grantId' = $2 ORDER BY org_id NULLS FIRST, seq",
    [action, grantId],
  );
}

/** Waits until a statement on the test database is blocked on a lock (PostgreSQL only). */
async function waitForLockWaiter() {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const [waiting] = await server.testDatabase.adminQuery<{ count: number }>(
      "SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if ((waiting?.count ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no statement ever waited on a lock');
}

const supportDeals = (orgId: string) => `/api/admin/organisations/${orgId}/support/deals`;

describe(`support access (${testDatabaseKind})`, () => {
  it('refuses a platform admin until the org admin grants access; then deals are readable, secrets never', async () => {
    const staff = await platformAdmin();
    const org = await organisation('Initech');

    const refused = await call('GET', supportDeals(org.orgId), staff.headers);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/support-access-required');
    expect(refused.text).not.toContain(DEAL_CANARY);
    const [denial] = await server.testDatabase.adminQuery<{ org_id: string | null; outcome: string }>(
      "SELECT org_id, outcome FROM audit_events WHERE action = 'support_access.deals_read' AND actor_user_id = $1",
      [staff.id],
    );
    expect(denial).toEqual({ org_id: null, outcome: 'denied' });
    expect((await call('GET', `/api/orgs/${org.orgId}/support-access`, org.admin)).body).toEqual({ active: null });

    const granted = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      reason: 'Ticket 4711: pipeline totals look wrong',
    });
    expect(granted.status).toBe(201);
    const grantId = granted.body.id as string;
    // 24 hours unless said otherwise.
    expect(granted.body).toMatchObject({
      grantedBy: { userId: org.owner.id, email: org.owner.email },
      reason: 'Ticket 4711: pipeline totals look wrong',
      grantedAt: server.clock.now().toISOString(),
      expiresAt: new Date(server.clock.now().getTime() + 24 * HOUR).toISOString(),
    });
    expect((await call('GET', `/api/orgs/${org.orgId}/support-access`, org.admin)).body).toEqual({
      active: granted.body,
    });

    const read = await call('GET', supportDeals(org.orgId), staff.headers);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      organisation: { id: org.orgId, name: 'Initech' },
      grant: { id: grantId },
      deals: { items: [{ name: `Deal ${DEAL_CANARY}`, stage: 'proposal' }] },
    });
    expect(read.text).not.toContain(SECRET_CANARY);
    expect(read.text).not.toContain('ab12');

    // The console shows the grant in its organisation list.
    const listed = await call('GET', '/api/admin/organisations?q=initech', staff.headers);
    expect(listed.body.items).toMatchObject([{ id: org.orgId, supportAccess: { grantId } }]);
    expect(listed.text).not.toContain(DEAL_CANARY);

    // Read-only and deals only: the console has no other support route, and no route to secrets.
    const supportRoutes = server.vigil.routes.filter((route) => route.url.includes('/support/'));
    expect(supportRoutes.map((route) => `${route.method} ${route.url}`)).toEqual([
      'GET /api/admin/organisations/:orgId/support/deals',
    ]);
    for (const path of ['support/webhooks', 'webhooks', 'support/integrations', 'support/ai-keys'])
      expect((await call('GET', `/api/admin/organisations/${org.orgId}/${path}`, staff.headers)).status).toBe(404);
    // Platform admins are still not members: the organisation's own routes stay closed to them.
    expect((await call('GET', `/api/orgs/${org.orgId}/webhooks`, staff.headers)).status).toBe(404);
    expect((await call('GET', `/api/orgs/${org.orgId}/deals`, staff.headers)).status).toBe(404);

    // Every read is on both chains, with the admin and the grant.
    const reads = (await events('support_access.deals_read', grantId)).filter((event) => event.outcome === 'success');
    expect(reads).toEqual([
      { org_id: null, actor_user_id: staff.id, outcome: 'success' },
      { org_id: org.orgId, actor_user_id: staff.id, outcome: 'success' },
    ]);
    expect(await events('support_access.granted', grantId)).toEqual([
      { org_id: null, actor_user_id: org.owner.id, outcome: 'success' },
      { org_id: org.orgId, actor_user_id: org.owner.id, outcome: 'success' },
    ]);
  });

  it('ends at its expiry by the clock, and records the expiry once on both chains', async () => {
    const staff = await platformAdmin();
    const org = await organisation('Globex');
    const granted = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      durationHours: 1,
      reason: 'Import check',
    });
    const grantId = granted.body.id as string;
    server.clock.advance(HOUR - 1);
    const staffLater = await staff.signInAgain();
    expect((await call('GET', supportDeals(org.orgId), staffLater)).status).toBe(200);
    server.clock.advance(1);
    const expired = await call('GET', supportDeals(org.orgId), staffLater);
    expect(expired.status).toBe(403);
    expect(expired.body.type).toBe('/problems/support-access-required');
    expect((await call('GET', supportDeals(org.orgId), staffLater)).status).toBe(403);
    const adminLater = await server.signIn(org.owner.id, { orgId: org.orgId });
    expect((await call('GET', `/api/orgs/${org.orgId}/support-access`, adminLater)).body).toEqual({ active: null });
    const listed = await call('GET', '/api/admin/organisations?q=globex', staffLater);
    expect(listed.body.items).toMatchObject([{ id: org.orgId, supportAccess: null }]);

    // Both chains still verify with the expiry appended to each from the other's transaction.
    for (const orgId of [org.orgId, null]) {
      const [report] = await verifyAuditChains(
        <Row>(text: string, params?: unknown[]) => server.testDatabase.adminQuery<Row>(text, params),
        { orgId },
      );
      expect(report?.firstBroken ?? null).toBeNull();
    }
    const recordedOnce = [
      { org_id: null, actor_user_id: null, outcome: 'success' },
      { org_id: org.orgId, actor_user_id: null, outcome: 'success' },
    ];
    expect(await events('support_access.expired', grantId)).toEqual(recordedOnce);
    // The expiry job finds it already recorded.
    await expireLapsedSupportAccess({ database: server.vigil.database, clock: server.clock });
    expect(await events('support_access.expired', grantId)).toEqual(recordedOnce);
    const [row] = await server.testDatabase.adminQuery<{ end_reason: string; ended_at: Date }>(
      'SELECT end_reason, ended_at FROM support_access_grants WHERE id = $1',
      [grantId],
    );
    expect(row?.end_reason).toBe('expired');
    expect(new Date(row?.ended_at as Date).toISOString()).toBe(granted.body.expiresAt);
  });

  it('records a lapsed grant’s expiry from the recurring job, before anyone touches the grant', async () => {
    const lapsing = await organisation('Wayne Enterprises');
    const lasting = await organisation('Stark Industries');
    const lapsingGrant = await call('POST', `/api/orgs/${lapsing.orgId}/support-access`, lapsing.admin, {
      durationHours: 1,
      reason: 'Quarter-end check',
    });
    const lastingGrant = await call('POST', `/api/orgs/${lasting.orgId}/support-access`, lasting.admin, {
      durationHours: 3,
      reason: 'Longer look',
    });
    // The job as the worker runs it: registered with the other background jobs, enqueued by the
    // recurring schedule, claimed and run by a worker.
    const { database, logger } = server.vigil;
    const jobs = testBackgroundJobs(server);
    expect(jobs.schedules).toContainEqual(SUPPORT_ACCESS_EXPIRY_SCHEDULE);
    const handler = jobs.handlers[SUPPORT_ACCESS_EXPIRY_JOB_KIND];
    if (!handler) throw new Error('the expiry job has no handler');
    const worker = createJobWorker({
      database,
      clock: server.clock,
      log: logger,
      handlers: { [SUPPORT_ACCESS_EXPIRY_JOB_KIND]: handler },
    });
    const runScheduledJob = async () => {
      await enqueueDueRecurringJobs({ database, clock: server.clock, schedules: [SUPPORT_ACCESS_EXPIRY_SCHEDULE] });
      return worker.runOnce();
    };

    server.clock.advance(HOUR - 1);
    expect(await runScheduledJob()).toBe(1);
    expect(await events('support_access.expired', lapsingGrant.body.id as string)).toEqual([]);
    server.clock.advance(SUPPORT_ACCESS_EXPIRY_SCHEDULE.everyMs);
    expect(await runScheduledJob()).toBe(1);
    const recordedOnce = [
      { org_id: null, actor_user_id: null, outcome: 'success' },
      { org_id: lapsing.orgId, actor_user_id: null, outcome: 'success' },
    ];
    expect(await events('support_access.expired', lapsingGrant.body.id as string)).toEqual(recordedOnce);
    expect(await events('support_access.expired', lastingGrant.body.id as string)).toEqual([]);
    const [row] = await server.testDatabase.adminQuery<{ end_reason: string; ended_at: Date }>(
      'SELECT end_reason, ended_at FROM support_access_grants WHERE id = $1',
      [lapsingGrant.body.id],
    );
    expect(row?.end_reason).toBe('expired');
    expect(new Date(row?.ended_at as Date).toISOString()).toBe(lapsingGrant.body.expiresAt);

    // Running again, and the request path afterwards, add nothing.
    expect((await expireLapsedSupportAccess({ database, clock: server.clock })).expired).toBe(0);
    const adminLater = await server.signIn(lapsing.owner.id, { orgId: lapsing.orgId });
    expect((await call('GET', `/api/orgs/${lapsing.orgId}/support-access`, adminLater)).body).toEqual({ active: null });
    const staff = await platformAdmin();
    expect((await call('GET', supportDeals(lapsing.orgId), staff.headers)).status).toBe(403);
    expect(await events('support_access.expired', lapsingGrant.body.id as string)).toEqual(recordedOnce);
    for (const orgId of [lapsing.orgId, null]) {
      const [report] = await verifyAuditChains(
        <Row>(text: string, params?: unknown[]) => server.testDatabase.adminQuery<Row>(text, params),
        { orgId },
      );
      expect(report?.firstBroken ?? null).toBeNull();
    }
  });

  it('records the expiry once when runs of the job race each other', async () => {
    const org = await organisation('Tyrell Corporation');
    const granted = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      durationHours: 1,
      reason: 'Replicant audit',
    });
    const grantId = granted.body.id as string;
    server.clock.advance(HOUR);
    const { database } = server.vigil;
    const now = server.clock.now();
    const [others] = await server.testDatabase.adminQuery<{ count: number }>(
      'SELECT count(*)::int AS count FROM support_access_grants WHERE ended_at IS NULL AND expires_at <= $1 AND id <> $2',
      [now.toISOString(), grantId],
    );

    // One run holds the lapsed grant (settled, not yet committed) while a second run starts; on
    // PostgreSQL the second is seen waiting on the grant's row lock before the first commits.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let settled!: () => void;
    const holding = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const first = withTenantTransaction(
      database,
      { orgId: org.orgId, userId: null, requestId: 'first-run' },
      async (transaction) => {
        const expired = await recordSupportAccessExpiry(transaction, { orgId: org.orgId, now, requestId: 'first-run' });
        settled();
        await released;
        return expired;
      },
    );
    await holding;
    const second = expireLapsedSupportAccess({ database, clock: server.clock });
    if (testDatabaseKind === 'postgres') await waitForLockWaiter();
    release();
    const [firstExpired, secondRun] = await Promise.all([first, second]);
    expect(firstExpired).toBe(grantId);
    expect(await events('support_access.expired', grantId)).toEqual([
      { org_id: null, actor_user_id: null, outcome: 'success' },
      { org_id: org.orgId, actor_user_id: null, outcome: 'success' },
    ]);
    // The second run recorded the other lapsed grants (earlier tests'), if any, but not this one.
    expect(secondRun.expired).toBe(others?.count);
  });

  it('stops at once when revoked, on both chains; revoking again changes nothing', async () => {
    const staff = await platformAdmin();
    const org = await organisation('Hooli XYZ');
    const granted = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      durationHours: 72,
      reason: 'Migration help',
    });
    const grantId = granted.body.id as string;
    expect((await call('GET', supportDeals(org.orgId), staff.headers)).status).toBe(200);

    expect((await call('DELETE', `/api/orgs/${org.orgId}/support-access`, org.admin)).body).toEqual({ revoked: true });
    const refused = await call('GET', supportDeals(org.orgId), staff.headers);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/support-access-required');
    expect((await call('DELETE', `/api/orgs/${org.orgId}/support-access`, org.admin)).body).toEqual({
      revoked: false,
    });
    expect(await events('support_access.revoked', grantId)).toEqual([
      { org_id: null, actor_user_id: org.owner.id, outcome: 'success' },
      { org_id: org.orgId, actor_user_id: org.owner.id, outcome: 'success' },
    ]);
  });

  it('keeps one grant per organisation: granting again replaces it', async () => {
    const staff = await platformAdmin();
    const org = await organisation('Vandelay');
    const first = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, { reason: 'First look' });
    server.clock.advance(HOUR);
    const adminLater = await server.signIn(org.owner.id, { orgId: org.orgId });
    const second = await call('POST', `/api/orgs/${org.orgId}/support-access`, adminLater, {
      durationHours: 2,
      reason: 'Second look',
    });
    expect(second.status).toBe(201);
    expect(second.body.expiresAt).toBe(new Date(server.clock.now().getTime() + 2 * HOUR).toISOString());
    const rows = await server.testDatabase.adminQuery<{ id: string; end_reason: string | null }>(
      'SELECT id, end_reason FROM support_access_grants WHERE org_id = $1 ORDER BY granted_at',
      [org.orgId],
    );
    expect(rows).toEqual([
      { id: first.body.id, end_reason: 'replaced' },
      { id: second.body.id, end_reason: null },
    ]);
    expect((await call('GET', supportDeals(org.orgId), await staff.signInAgain())).body).toMatchObject({
      grant: { id: second.body.id, reason: 'Second look' },
    });
    const [platformEvent] = await server.testDatabase.adminQuery<{ metadata: Record<string, unknown> }>(
      "SELECT metadata FROM audit_events WHERE org_id IS NULL AND action = 'support_access.granted' AND metadata->>'grantId' = $1",
      [second.body.id],
    );
    expect(platformEvent?.metadata).toMatchObject({ replacedGrantId: first.body.id, durationHours: 2 });
  });

  it('lets only org admins grant or revoke, with a fresh second factor when they use MFA', async () => {
    const org = await organisation('Massive Dynamic');
    for (const role of ['viewer', 'builder'] as const) {
      const refused = await call('POST', `/api/orgs/${org.orgId}/support-access`, org[role], { reason: 'Let me in' });
      expect(refused.status, role).toBe(403);
      expect(refused.body.type).toBe('/problems/forbidden');
      expect((await call('DELETE', `/api/orgs/${org.orgId}/support-access`, org[role])).status, role).toBe(403);
      expect((await call('GET', `/api/orgs/${org.orgId}/support-access`, org[role])).status, role).toBe(403);
    }
    // An admin of another organisation cannot tell this one exists.
    const other = await organisation('Soylent');
    expect(
      (await call('POST', `/api/orgs/${org.orgId}/support-access`, other.admin, { reason: 'Let me in' })).status,
    ).toBe(404);

    const outOfRange = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      durationHours: 73,
      reason: 'Too long',
    });
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.errors).toMatchObject([{ pointer: '/body/durationHours' }]);

    await enableMfa(org.owner.id);
    const withoutStepUp = await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, {
      reason: 'Needs a code',
    });
    expect(withoutStepUp.status).toBe(403);
    expect(withoutStepUp.body.type).toBe('/problems/step-up-required');
    const steppedUp = await server.signIn(org.owner.id, { orgId: org.orgId, amr: ['pwd', 'otp'] });
    expect(
      (await call('POST', `/api/orgs/${org.orgId}/support-access`, steppedUp, { reason: 'With a code' })).status,
    ).toBe(201);
    const [open] = await server.testDatabase.adminQuery<{ count: number }>(
      'SELECT count(*)::int AS count FROM support_access_grants WHERE org_id = $1',
      [org.orgId],
    );
    expect(open?.count).toBe(1);
  });

  it('refuses platform routes to anyone but a platform admin with an MFA session', async () => {
    const org = await organisation('Cyberdyne');
    await call('POST', `/api/orgs/${org.orgId}/support-access`, org.admin, { reason: 'Open for support' });
    const member = await call('GET', supportDeals(org.orgId), org.admin);
    expect(member.status).toBe(403);
    expect(member.body.type).toBe('/problems/forbidden');
    // A platform admin whose session did not pass the second factor (the identity module already
    // refuses such a session outright; the pipeline would answer 403 if it got through).
    const staffWithoutOtp = await server.createUser({ platformAdmin: true });
    await enableMfa(staffWithoutOtp.id);
    const noMfa = await call('GET', supportDeals(org.orgId), await server.signIn(staffWithoutOtp.id));
    expect([401, 403]).toContain(noMfa.status);
    expect(noMfa.text).not.toContain(DEAL_CANARY);
  });
});
