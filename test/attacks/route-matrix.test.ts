// Threat: a route that forgets its authorisation, or serves another organisation's data to
// anyone who guesses or swaps an id (IDOR). Generated from the route registry, so a new route is
// covered the moment it is registered: every route × every kind of caller × three targets — the
// caller's own organisation, another organisation, and the caller's own organisation in the path
// with the other organisation's object ids in the path, query string and body (the classic IDOR,
// which gets past authorisation by design). Afterwards the other organisation's objects must
// all still be there, unchanged by any of the calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleHasPermission } from '../../src/contracts/permissions.ts';
import { SIGN_IN_REQUIRED } from '../../src/server/platform/authz/require-caller.ts';
import type { Caller } from '../../src/server/platform/authz/caller.ts';
import { newId } from '../../src/server/platform/db/ids.ts';
import { transactionQuery } from '../../src/server/platform/db/query-rows.ts';
import {
  deals,
  invitations,
  memberships,
  organisations,
  supportAccessGrants,
  users,
} from '../../src/server/platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../src/server/platform/db/tenant-transaction.ts';
import type { AnyRouteDefinition } from '../../src/server/platform/http/define-route.ts';
import { appendAuditEvent } from '../../src/server/modules/audit/append-audit-event.ts';
import { endpointSecretPlace, generateWebhookSecret } from '../../src/server/modules/webhooks/webhook-secret.ts';
import {
  webhookDeliveries,
  webhookEndpoints,
  webhookMessages,
} from '../../src/server/modules/webhooks/webhook-tables.ts';
import { sampleFromSchema } from '../helpers/sample-from-schema.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil, testCallerHeader } from '../helpers/test-vigil.ts';

let server: TestVigil;
const orgA = newId();
const orgB = newId();
/**
 * Each organisation's objects, by the path parameter that names them: a caller in organisation A
 * is handed organisation B's real ids (IDOR) in paths, query strings and bodies.
 */
type OrganisationObjects = {
  dealId: string;
  userId: string;
  invitationId: string;
  endpointId: string;
  messageId: string;
};
const newObjects = (): OrganisationObjects => ({
  dealId: newId(),
  userId: newId(),
  invitationId: newId(),
  endpointId: newId(),
  messageId: newId(),
});
const objects: Record<string, OrganisationObjects> = { [orgA]: newObjects(), [orgB]: newObjects() };
/** Business data (deals, members, invitations, audit events): only the organisation's members. */
const CANARY = { [orgA]: 'CANARY-MATRIX-ORG-A-5e1f', [orgB]: 'CANARY-MATRIX-ORG-B-9c3d' } as Record<string, string>;
/**
 * The organisation's name and its members' accounts: its members and the platform console
 * (platform metadata), nobody else.
 */
const NAME_CANARY = { [orgA]: 'NAMECANARY-A-77d0', [orgB]: 'NAMECANARY-B-31ae' } as Record<string, string>;
/**
 * Organisation A has granted support access (organisation B has not): the platform's admins may
 * read A's deals through the support routes, and nothing of B's.
 */
const supportGranted = new Set([orgA]);

type CallerKind = 'anonymous' | 'viewer' | 'builder' | 'org_admin' | 'platform_admin_without_mfa' | 'platform_admin';
const callerKinds: CallerKind[] = [
  'anonymous',
  'viewer',
  'builder',
  'org_admin',
  'platform_admin_without_mfa',
  'platform_admin',
];

// One real user per kind of caller, so routes about the caller themself find their account.
const userIds = Object.fromEntries(callerKinds.map((kind) => [kind, newId()])) as Record<CallerKind, string>;

function callerOf(kind: CallerKind): Caller | null {
  const base = { userId: userIds[kind], sessionId: newId(), amr: ['pwd'] };
  switch (kind) {
    case 'anonymous':
      return null;
    case 'platform_admin_without_mfa':
      return { ...base, platformAdmin: true, membership: null };
    case 'platform_admin':
      return { ...base, amr: ['pwd', 'otp'], platformAdmin: true, membership: null };
    default:
      // Every organisation role is a member of organisation A.
      return { ...base, platformAdmin: false, membership: { orgId: orgA, role: kind } };
  }
}

type Expectation = 'unauthenticated' | 'forbidden' | 'not-found' | 'allowed';

function expectationFor(route: AnyRouteDefinition, kind: CallerKind, targetOrg: string): Expectation {
  const caller = callerOf(kind);
  if (route.permission === 'public') return 'allowed';
  if (!caller) return 'unauthenticated';
  if (route.permission === 'self') return 'allowed';
  if (route.permission.startsWith('platform:'))
    return caller.platformAdmin && caller.amr.includes('otp') ? 'allowed' : 'forbidden';
  if (!caller.membership || caller.membership.orgId !== targetOrg) return 'not-found';
  return roleHasPermission(caller.membership.role, route.permission) ? 'allowed' : 'forbidden';
}

/**
 * Which organisation the path names and whose object ids fill every other id (path, query,
 * body). `cross` is the classic IDOR: the caller's own organisation in the path, so authorisation
 * passes, and the other organisation's deal, member, invitation, endpoint and message ids.
 */
type Target = { pathOrg: string; objectsOrg: string; label: 'own' | 'other' | 'cross' };
const targets: Target[] = [
  { pathOrg: orgA, objectsOrg: orgA, label: 'own' },
  { pathOrg: orgB, objectsOrg: orgB, label: 'other' },
  { pathOrg: orgA, objectsOrg: orgB, label: 'cross' },
];

function requestFor(route: AnyRouteDefinition, targetOrg: string, objectsOrg: string) {
  const ids = objects[objectsOrg] as OrganisationObjects;
  const objectId = ids.dealId;
  const path = route.url
    .replace(':orgId', targetOrg)
    .replace(/:([A-Za-z]+)/g, (_match, name: string) => (name in ids ? ids[name as keyof typeof ids] : objectId));
  const query = route.schema.query
    ? (sampleFromSchema(route.schema.query, { uuidValue: objectId }) as Record<string, unknown>)
    : {};
  const search = new URLSearchParams(
    Object.entries(query)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
  const body = route.schema.body ? sampleFromSchema(route.schema.body, { uuidValue: objectId }) : undefined;
  return {
    method: route.method,
    url: `${path}${search.size ? `?${search}` : ''}`,
    ...(body !== undefined ? { payload: body as object } : {}),
  };
}

const ids = (orgId: string) => objects[orgId] as OrganisationObjects;

beforeAll(async () => {
  server = await startTestVigil();
  const { database } = server.testDatabase;
  const now = server.clock.now();
  await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(users).values(
      callerKinds.map((kind) => ({
        id: userIds[kind],
        email: `${kind}@matrix.example`,
        emailNormalised: `${kind}@matrix.example`,
        platformAdmin: kind.startsWith('platform_admin'),
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      })),
    ),
  );
  await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgA, slug: 'matrix-a', name: `Org ${NAME_CANARY[orgA]}` },
      { id: orgB, slug: 'matrix-b', name: `Org ${NAME_CANARY[orgB]}` },
    ]),
  );
  for (const orgId of [orgA, orgB]) {
    const ids = objects[orgId] as OrganisationObjects;
    await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
      transaction.insert(users).values({
        id: ids.userId,
        // Accounts are platform metadata (the console lists them), like organisation names.
        email: `member-${NAME_CANARY[orgId]}@matrix.example`.toLowerCase(),
        emailNormalised: `member-${NAME_CANARY[orgId]}@matrix.example`.toLowerCase(),
        displayName: `Member ${NAME_CANARY[orgId]}`,
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      }),
    );
    // Sealed before the transaction: the keyring may read its data keys (PGlite has one connection).
    const secretSealed = await server.vigil.keyring.seal(
      generateWebhookSecret(),
      endpointSecretPlace(orgId, ids.endpointId),
    );
    await withTenantTransaction(database, { orgId, userId: null, requestId: 'seed' }, async (transaction) => {
      await transaction
        .insert(deals)
        .values({ orgId, id: ids.dealId, name: `Deal ${CANARY[orgId]}`, stage: 'discovery' });
      await transaction.insert(memberships).values([
        { orgId, userId: ids.userId, role: 'builder', createdAt: now },
        // Every organisation role of the matrix is a real member of organisation A.
        ...(orgId === orgA
          ? (['viewer', 'builder', 'org_admin'] as const).map((role) => ({
              orgId,
              userId: userIds[role],
              role,
              createdAt: now,
            }))
          : []),
      ]);
      if (supportGranted.has(orgId))
        await transaction.insert(supportAccessGrants).values({
          orgId,
          id: newId(),
          grantedBy: userIds.org_admin,
          reason: 'matrix support grant',
          grantedAt: now,
          expiresAt: new Date(now.getTime() + 24 * 3_600_000),
        });
      await transaction.insert(invitations).values({
        orgId,
        id: ids.invitationId,
        email: `invitee-${CANARY[orgId]}@matrix.example`,
        emailNormalised: `invitee-${CANARY[orgId]}@matrix.example`.toLowerCase(),
        role: 'viewer',
        tokenHash: `matrix-${orgId}`,
        invitedBy: null,
        createdAt: now,
        sentAt: now,
        expiresAt: new Date(now.getTime() + 86_400_000),
      });
      // A webhook endpoint with a real sealed secret, one message (carrying the canary) and its
      // failed delivery, so the webhook routes' :endpointId / :messageId name real objects.
      await transaction.insert(webhookEndpoints).values({
        orgId,
        id: ids.endpointId,
        url: `https://hooks.example/${CANARY[orgId]}`,
        description: `Endpoint ${CANARY[orgId]}`,
        eventTypes: ['webhook.test'],
        secretSealed,
        secretHint: 'whsec_…test',
        status: 'active',
        createdAt: now,
        updatedAt: now,
      });
      await transaction.insert(webhookMessages).values({
        orgId,
        id: ids.messageId,
        eventType: 'webhook.test',
        body: JSON.stringify({ type: 'webhook.test', data: { canary: CANARY[orgId] } }),
        createdAt: now,
      });
      await transaction.insert(webhookDeliveries).values({
        orgId,
        id: newId(),
        endpointId: ids.endpointId,
        messageId: ids.messageId,
        eventType: 'webhook.test',
        state: 'failed',
        attempts: 1,
        lastAttemptAt: now,
        lastStatusCode: 500,
        createdAt: now,
        updatedAt: now,
      });
      await appendAuditEvent(transactionQuery(transaction), {
        orgId,
        actor: { userId: null, role: 'system', ip: null, userAgent: null },
        action: 'support_access.deals_read',
        outcome: 'success',
        metadata: { canary: CANARY[orgId] },
        requestId: 'seed',
        occurredAt: server.clock.now(),
      });
    });
  }
});

afterAll(async () => {
  await server?.close();
});

describe(`route × caller × organisation matrix (${testDatabaseKind})`, () => {
  it('gives every caller exactly what the permission matrix says, and never another organisation’s data', async () => {
    const routes = server.vigil.routes.filter((route) => route.url !== '/*');
    expect(routes.length).toBeGreaterThan(8);
    const failures: string[] = [];
    let checked = 0;
    // Destructive calls by allowed callers run last, so they cannot remove what other cases need.
    const ordered = [...routes].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of ordered) {
      for (const kind of callerKinds) {
        for (const { pathOrg: targetOrg, objectsOrg, label: targetLabel } of targets) {
          const expected = expectationFor(route, kind, targetOrg);
          const caller = callerOf(kind);
          const request = requestFor(route, targetOrg, objectsOrg);
          const response = await server.vigil.app.inject({
            ...request,
            headers: caller ? testCallerHeader(caller) : {},
          });
          checked += 1;
          const label = `${route.method} ${route.url} as ${kind} on ${targetLabel} → ${response.statusCode}`;
          const problemType = response.headers['content-type']?.toString().startsWith('application/problem+json')
            ? (response.json() as { type?: string }).type
            : undefined;
          if (response.statusCode >= 500) failures.push(`${label}: server error`);
          if (expected === 'unauthenticated' && response.statusCode !== 401) failures.push(`${label}: expected 401`);
          if (expected === 'forbidden' && (response.statusCode !== 403 || problemType !== '/problems/forbidden'))
            failures.push(`${label}: expected 403 forbidden`);
          if (expected === 'not-found' && response.statusCode !== 404) failures.push(`${label}: expected 404`);
          // Support routes: allowed callers read a granted organisation, and are refused the other.
          const supportRoute = route.permission === 'platform:support';
          if (supportRoute && expected === 'allowed') {
            const granted = supportGranted.has(targetOrg);
            if (granted && response.statusCode !== 200) failures.push(`${label}: expected 200 under the grant`);
            if (!granted && (response.statusCode !== 403 || problemType !== '/problems/support-access-required'))
              failures.push(`${label}: expected 403 support-access-required without a grant`);
          }
          if (expected === 'allowed') {
            // Routes may answer 401 for their own reasons (a wrong password, an invalid refresh
            // token, a session they cannot find); only the pipeline's own "sign in" refusal means
            // authentication did not get through.
            const detail = problemType ? (response.json() as { detail?: string }).detail : undefined;
            if (response.statusCode === 401 && detail === SIGN_IN_REQUIRED)
              failures.push(`${label}: expected to be allowed`);
            if (problemType === '/problems/forbidden') failures.push(`${label}: expected to be allowed`);
          }
          // Whatever the status: a caller in organisation A never sees organisation B's data or
          // name, nobody outside an organisation sees its data, and only the platform console
          // (platform metadata) shows organisations' names to non-members.
          // Under support access, the platform admin may also see the granted organisation's data
          // on that organisation's support route, never any other organisation's.
          const forbiddenCanaries = caller?.membership
            ? [CANARY[orgB], NAME_CANARY[orgB]]
            : caller?.platformAdmin && route.permission.startsWith('platform:') && expected === 'allowed'
              ? [CANARY[orgA], CANARY[orgB]].filter(
                  (canary) => !(supportRoute && supportGranted.has(targetOrg) && canary === CANARY[targetOrg]),
                )
              : [CANARY[orgA], CANARY[orgB], NAME_CANARY[orgA], NAME_CANARY[orgB]];
          for (const canary of forbiddenCanaries)
            if (response.body.includes(canary as string)) failures.push(`${label}: leaked ${canary}`);
        }
      }
    }
    // Whatever the cross cases answered, none of them touched organisation B's objects.
    const intact = await server.testDatabase.adminQuery<{
      deals: number;
      members: number;
      invitations: number;
      endpoints: number;
      messages: number;
    }>(
      `SELECT (SELECT count(*)::int FROM deals WHERE org_id = $1 AND id = $2) AS deals,
              (SELECT count(*)::int FROM memberships WHERE org_id = $1 AND user_id = $3) AS members,
              (SELECT count(*)::int FROM invitations WHERE org_id = $1 AND id = $4 AND revoked_at IS NULL) AS invitations,
              (SELECT count(*)::int FROM webhook_endpoints WHERE org_id = $1 AND id = $5 AND status = 'active') AS endpoints,
              (SELECT count(*)::int FROM webhook_messages WHERE org_id = $1 AND id = $6) AS messages`,
      [orgB, ids(orgB).dealId, ids(orgB).userId, ids(orgB).invitationId, ids(orgB).endpointId, ids(orgB).messageId],
    );
    expect(intact[0]).toEqual({ deals: 1, members: 1, invitations: 1, endpoints: 1, messages: 1 });
    expect(failures).toEqual([]);
    expect(checked).toBe(routes.length * callerKinds.length * targets.length);
    console.log(
      `route matrix (${testDatabaseKind}): ${checked} route × caller × target cases (${routes.length} routes × ${callerKinds.length} callers × ${targets.length}: own organisation, other organisation, own organisation with the other's object ids), no leaks`,
    );
  }, 120_000);
});
