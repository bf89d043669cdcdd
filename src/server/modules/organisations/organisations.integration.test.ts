import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { changeMemberRole } from './change-membership.ts';
import { type OrganisationsTestServer, startOrganisationsTestServer } from './organisations.test-support.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';

let server: OrganisationsTestServer;

beforeAll(async () => {
  server = await startOrganisationsTestServer();
});

afterAll(async () => {
  await server?.close();
});

const call: OrganisationsTestServer['call'] = (...request) => server.call(...request);

/** A new organisation created over the API by a new user, and that user's org-scoped headers. */
async function newOrganisation(name = 'Northwind Traders') {
  const founder = await server.createUser();
  const { orgId, ownerHeaders } = await server.createOrganisation(founder, name);
  return { orgId, founder, admin: ownerHeaders };
}

/** The organisation chain's events, `action` or `action:outcome` when not a success. */
async function auditActions(orgId: string | null): Promise<string[]> {
  const rows = await server.testDatabase.adminQuery<{ action: string; outcome: string }>(
    'SELECT action, outcome FROM audit_events WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY seq',
    [orgId],
  );
  return rows.map((row) => (row.outcome === 'success' ? row.action : `${row.action}:${row.outcome}`));
}

async function adminOf(orgId: string): Promise<string | undefined> {
  const [row] = await server.testDatabase.adminQuery<{ user_id: string }>(
    "SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'org_admin' LIMIT 1",
    [orgId],
  );
  return row?.user_id;
}

describe(`organisations (${testDatabaseKind})`, () => {
  it('creates an organisation with the creator as its admin, on both audit chains', async () => {
    const { orgId, founder, admin } = await newOrganisation('Globex Corporation');
    const me = await call('GET', '/api/me', admin);
    expect(me.body.memberships).toEqual([{ orgId, orgName: 'Globex Corporation', role: 'org_admin' }]);
    expect(me.body.activeOrgId).toBe(orgId);
    const organisation = await call('GET', `/api/orgs/${orgId}`, admin);
    expect(organisation.body).toMatchObject({ name: 'Globex Corporation', memberCount: 1, suspended: false });
    expect(organisation.body.slug).toMatch(/^globex-corporation-[0-9a-f]{6}$/);
    expect(await auditActions(orgId)).toEqual(['organisation.created']);
    const [platformEvent] = await server.testDatabase.adminQuery<{ target_id: string; actor_user_id: string }>(
      "SELECT target_id, actor_user_id FROM audit_events WHERE org_id IS NULL AND action = 'organisation.created' AND target_id = $1",
      [orgId],
    );
    expect(platformEvent?.actor_user_id).toBe(founder.id);
  });

  it('records the same actor (user, IP, user agent) on the service’s event as on the route’s', async () => {
    const founder = await server.createUser();
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/orgs',
      headers: { ...(await server.signIn(founder.id)), 'user-agent': 'ActorProbe/1.0' },
      payload: { name: 'Initech' },
    });
    expect(response.statusCode).toBe(201);
    const orgId = response.json<{ id: string }>().id;
    type ActorRow = { org_id: string | null; actor_user_id: string; actor_role: string | null; actor_ip: string };
    const events = await server.testDatabase.adminQuery<ActorRow & { actor_user_agent: string }>(
      "SELECT org_id, actor_user_id, actor_role, actor_ip, actor_user_agent FROM audit_events WHERE action = 'organisation.created' AND (org_id = $1 OR target_id = $1::text) ORDER BY org_id NULLS FIRST",
      [orgId],
    );
    // The route's event on the platform chain, the service's on the new organisation's chain.
    expect(events).toEqual([
      {
        org_id: null,
        actor_user_id: founder.id,
        actor_role: null,
        actor_ip: '127.0.0.1',
        actor_user_agent: 'ActorProbe/1.0',
      },
      {
        org_id: orgId,
        actor_user_id: founder.id,
        actor_role: 'org_admin',
        actor_ip: '127.0.0.1',
        actor_user_agent: 'ActorProbe/1.0',
      },
    ]);
  });

  it('renames and changes settings (admins only), refusing unknown time zones', async () => {
    const { orgId, admin } = await newOrganisation();
    const renamed = await call('PATCH', `/api/orgs/${orgId}`, admin, {
      name: 'Northwind EMEA',
      timezone: 'Europe/Berlin',
      riskAlertThreshold: 55,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Northwind EMEA', timezone: 'Europe/Berlin', riskAlertThreshold: 55 });
    const badZone = await call('PATCH', `/api/orgs/${orgId}`, admin, { timezone: 'Mars/Olympus_Mons' });
    expect(badZone.status).toBe(400);
    expect(badZone.body.type).toBe('/problems/validation-failed');
    expect(await call('PATCH', `/api/orgs/${orgId}`, admin, {}).then((r) => r.status)).toBe(400);

    const viewer = await server.createUser();
    await server.addMembership({ orgId, userId: viewer.id, role: 'viewer' });
    const asViewer = await server.signIn(viewer.id, { orgId });
    expect((await call('GET', `/api/orgs/${orgId}`, asViewer)).status).toBe(200);
    const refused = await call('PATCH', `/api/orgs/${orgId}`, asViewer, { name: 'Mine now' });
    expect(refused.status).toBe(403);
    expect((await call('GET', `/api/orgs/${orgId}`, admin)).body.name).toBe('Northwind EMEA');
  });

  it('invites by email: only the invited account accepts, once, with the invited role', async () => {
    const { orgId, admin, founder } = await newOrganisation();
    const invitee = await server.createUser({ email: 'Casey.Builder@Example.test' });
    const invited = await call('POST', `/api/orgs/${orgId}/invitations`, admin, {
      email: 'casey.builder@example.test',
      role: 'builder',
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ role: 'builder', status: 'pending' });
    // The mail names the organisation and who invited (and a resend says the same).
    const invitedBy = `${founder.email} invited you to join Northwind Traders on Vigil as builder.`;
    expect(await server.lastMailTextTo('casey.builder@example.test')).toContain(invitedBy);
    const resent = await call('POST', `/api/orgs/${orgId}/invitations/${invited.body.id as string}/resend`, admin);
    expect(resent.status).toBe(200);
    expect(await server.lastMailTextTo('casey.builder@example.test')).toContain(invitedBy);
    const token = await server.invitationTokenFor('casey.builder@example.test');
    // The token is stored only as a hash.
    const stored = await server.testDatabase.adminQuery<{ token_hash: string }>(
      'SELECT token_hash FROM invitations WHERE org_id = $1',
      [orgId],
    );
    expect(JSON.stringify(stored)).not.toContain(token);

    // Someone else holding the link cannot use it (and learns nothing about the organisation).
    const stranger = await server.createUser();
    const stolen = await call('POST', '/api/invitations/accept', await server.signIn(stranger.id), { token });
    expect(stolen.status).toBe(404);
    expect(JSON.stringify(stolen.body)).not.toContain('Northwind');

    const asInvitee = await server.signIn(invitee.id);
    const listed = await call('GET', '/api/invitations', asInvitee);
    expect(listed.body.items).toMatchObject([{ orgId, orgName: 'Northwind Traders', role: 'builder' }]);
    const accepted = await call('POST', '/api/invitations/accept', asInvitee, { token });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ orgId, orgName: 'Northwind Traders', role: 'builder' });
    expect((await call('POST', '/api/invitations/accept', asInvitee, { token })).status).toBe(404);

    const members = await call('GET', `/api/orgs/${orgId}/members`, admin);
    expect(members.body.items).toHaveLength(2);
    expect(members.body.items).toContainEqual(expect.objectContaining({ userId: invitee.id, role: 'builder' }));
    const invitations = await call('GET', `/api/orgs/${orgId}/invitations`, admin);
    expect(invitations.body.items).toMatchObject([{ status: 'accepted' }]);
    expect(await auditActions(orgId)).toEqual([
      'organisation.created',
      'invitation.created',
      'invitation.resent',
      'member.joined',
    ]);
    // A builder cannot manage members.
    const asBuilder = await server.signIn(invitee.id, { orgId });
    expect((await call('GET', `/api/orgs/${orgId}/members`, asBuilder)).status).toBe(403);
    expect((await call('GET', `/api/orgs/${orgId}/deals`, asBuilder)).status).toBe(200);
  });

  it('refuses unverified accounts, expired, revoked, superseded and declined invitations', async () => {
    const { orgId, admin } = await newOrganisation();
    const unverified = await server.createUser({ email: 'unverified@example.test', verified: false });
    await call('POST', `/api/orgs/${orgId}/invitations`, admin, { email: unverified.email, role: 'viewer' });
    const unverifiedToken = await server.invitationTokenFor(unverified.email);
    const refused = await call('POST', '/api/invitations/accept', await server.signIn(unverified.id), {
      token: unverifiedToken,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/email-not-verified');

    const person = await server.createUser();
    const asPerson = await server.signIn(person.id);
    const first = await call('POST', `/api/orgs/${orgId}/invitations`, admin, { email: person.email, role: 'viewer' });
    const firstToken = await server.invitationTokenFor(person.email);
    // Resending issues a new link: the old one stops working.
    const resent = await call('POST', `/api/orgs/${orgId}/invitations/${first.body.id}/resend`, admin);
    expect(resent.status).toBe(200);
    const secondToken = await server.invitationTokenFor(person.email);
    expect(secondToken).not.toBe(firstToken);
    expect((await call('POST', '/api/invitations/accept', asPerson, { token: firstToken })).status).toBe(404);
    // Withdrawn: the new link stops working too.
    expect((await call('DELETE', `/api/orgs/${orgId}/invitations/${first.body.id}`, admin)).status).toBe(200);
    expect((await call('POST', '/api/invitations/accept', asPerson, { token: secondToken })).status).toBe(404);
    expect((await call('DELETE', `/api/orgs/${orgId}/invitations/${first.body.id}`, admin)).status).toBe(409);

    // Expiry after 7 days.
    await call('POST', `/api/orgs/${orgId}/invitations`, admin, { email: person.email, role: 'viewer' });
    const expiringToken = await server.invitationTokenFor(person.email);
    server.clock.advance(7 * 24 * 60 * 60 * 1000 + 1000);
    const expired = await call('POST', '/api/invitations/accept', await server.signIn(person.id), {
      token: expiringToken,
    });
    expect(expired.status).toBe(404);

    // Declining closes it for good.
    const freshAdmin = await server.signIn((await adminOf(orgId)) as string, { orgId });
    expect(
      (await call('POST', `/api/orgs/${orgId}/invitations`, freshAdmin, { email: person.email, role: 'viewer' }))
        .status,
    ).toBe(201);
    const declineToken = await server.invitationTokenFor(person.email);
    const again = await server.signIn(person.id);
    expect((await call('POST', '/api/invitations/decline', again, { token: declineToken })).body).toEqual({
      declined: true,
    });
    expect((await call('POST', '/api/invitations/accept', again, { token: declineToken })).status).toBe(404);
    expect((await call('GET', '/api/invitations', again)).body.items).toEqual([]);

    // Inviting a member is a conflict.
    const admins = await call('GET', `/api/orgs/${orgId}/members`, freshAdmin);
    const adminEmail = (admins.body.items as { email: string }[])[0]?.email as string;
    const self = await call('POST', `/api/orgs/${orgId}/invitations`, freshAdmin, {
      email: adminEmail,
      role: 'viewer',
    });
    expect(self.status).toBe(409);
  });

  it('keeps at least one admin and never grants above the granter’s role', async () => {
    const { orgId, founder, admin } = await newOrganisation();
    const demoteSelf = await call('PATCH', `/api/orgs/${orgId}/members/${founder.id}`, admin, { role: 'viewer' });
    expect(demoteSelf.status).toBe(409);
    expect(demoteSelf.body.type).toBe('/problems/conflict');
    expect((await call('DELETE', `/api/orgs/${orgId}/members/${founder.id}`, admin)).status).toBe(409);
    expect((await call('POST', `/api/orgs/${orgId}/leave`, admin)).status).toBe(409);

    const second = await server.createUser();
    await server.addMembership({ orgId, userId: second.id, role: 'viewer' });
    const promoted = await call('PATCH', `/api/orgs/${orgId}/members/${second.id}`, admin, { role: 'org_admin' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ userId: second.id, role: 'org_admin' });
    // Now the founder may step down.
    expect((await call('PATCH', `/api/orgs/${orgId}/members/${founder.id}`, admin, { role: 'builder' })).status).toBe(
      200,
    );
    // Sensitive routes also record the refused attempts.
    expect(await auditActions(orgId)).toEqual([
      'organisation.created',
      'member.role_changed:failure',
      'member.removed:failure',
      'member.role_changed',
      'member.role_changed',
    ]);
    const [event] = await server.testDatabase.adminQuery<{ metadata: unknown }>(
      "SELECT metadata FROM audit_events WHERE org_id = $1 AND action = 'member.role_changed' AND outcome = 'success' ORDER BY seq LIMIT 1",
      [orgId],
    );
    expect(event?.metadata).toEqual({ from: 'viewer', to: 'org_admin' });

    // The rank rule in the service itself (the route layer only lets admins manage members).
    await expect(
      withTenantTransaction(server.vigil.database, { orgId, userId: null, requestId: 'test' }, (transaction) =>
        changeMemberRole({ transaction, orgId, callerRole: 'builder', userId: second.id, role: 'org_admin' }),
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('applies role changes and removals on the member’s very next request', async () => {
    const { orgId, admin } = await newOrganisation();
    const person = await server.createUser();
    await server.addMembership({ orgId, userId: person.id, role: 'org_admin' });
    const theirs = await server.signIn(person.id, { orgId });
    expect((await call('GET', `/api/orgs/${orgId}/members`, theirs)).status).toBe(200);
    await call('PATCH', `/api/orgs/${orgId}/members/${person.id}`, admin, { role: 'viewer' });
    // The same access token: its role claim is stale, the live role wins.
    expect((await call('GET', `/api/orgs/${orgId}/members`, theirs)).status).toBe(403);
    expect((await call('GET', `/api/orgs/${orgId}/deals`, theirs)).status).toBe(200);
    await call('DELETE', `/api/orgs/${orgId}/members/${person.id}`, admin);
    expect((await call('GET', `/api/orgs/${orgId}/deals`, theirs)).status).toBe(404);
    expect((await call('GET', `/api/orgs/${orgId}`, theirs)).status).toBe(404);
  });

  it('deletes an organisation with every tenant row, after the typed name (and step-up with MFA)', async () => {
    const { orgId, founder, admin } = await newOrganisation('Initech');
    const member = await server.createUser();
    await server.addMembership({ orgId, userId: member.id, role: 'builder' });
    await call('POST', `/api/orgs/${orgId}/invitations`, admin, { email: 'later@example.test', role: 'viewer' });
    await server.testDatabase.adminQuery(
      "INSERT INTO deals (org_id, id, name, stage) VALUES ($1, gen_random_uuid(), 'Initech — TPS reports', 'proposal')",
      [orgId],
    );
    const wrongName = await call('DELETE', `/api/orgs/${orgId}`, admin, { confirmName: 'initech' });
    expect(wrongName.status).toBe(400);
    // With MFA on, a session without a fresh second factor must step up first.
    await server.enableMfa(founder.id);
    const noStepUp = await call('DELETE', `/api/orgs/${orgId}`, admin, { confirmName: 'Initech' });
    expect(noStepUp.status).toBe(403);
    expect(noStepUp.body.type).toBe('/problems/step-up-required');
    const steppedUp = await server.signIn(founder.id, { orgId, amr: ['pwd', 'otp'] });
    const deleted = await call('DELETE', `/api/orgs/${orgId}`, steppedUp, { confirmName: 'Initech' });
    expect(deleted.status).toBe(200);

    for (const table of ['organisations', 'memberships', 'invitations', 'deals']) {
      const column = table === 'organisations' ? 'id' : 'org_id';
      const [row] = await server.testDatabase.adminQuery<{ count: number }>(
        `SELECT count(*)::int AS count FROM ${table} WHERE ${column} = $1`,
        [orgId],
      );
      expect(row?.count, table).toBe(0);
    }
    // The organisation's chain stays intact (append-only); the platform chain records the deletion.
    expect(await auditActions(orgId)).toEqual([
      'organisation.created',
      'invitation.created',
      'organisation.deleted:failure',
      'organisation.deleted:denied',
      'organisation.deleted',
    ]);
    const platform = await server.testDatabase.adminQuery<{ metadata: Record<string, unknown> }>(
      "SELECT metadata FROM audit_events WHERE org_id IS NULL AND action = 'organisation.deleted' AND target_id = $1",
      [orgId],
    );
    expect(platform).toEqual([{ metadata: { members: 2 } }]);
    expect(JSON.stringify(platform)).not.toContain('Initech');
  });
});
