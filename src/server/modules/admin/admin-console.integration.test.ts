import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.ts';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { createPasswordHasher } from '../identity/accounts/password-hasher.ts';
import { createPlatformAdmin } from './create-platform-admin.ts';
import {
  type OrganisationsTestServer,
  startOrganisationsTestServer,
} from '../organisations/organisations.test-support.ts';

let server: OrganisationsTestServer;

beforeAll(async () => {
  server = await startOrganisationsTestServer();
});

afterAll(async () => {
  await server?.close();
});

const call: OrganisationsTestServer['call'] = (...request) => server.call(...request);
// Platform admins always have MFA (they cannot sign in without enrolling).
const platformAdmin = () => server.createPlatformAdmin();

describe(`platform admin console (${testDatabaseKind})`, () => {
  it('lists and searches organisations and users, metadata only', async () => {
    const admin = await platformAdmin();
    const owner = await server.createUser({ email: 'owner@hooli.example' });
    const created = await call('POST', '/api/orgs', await server.signIn(owner.id), { name: 'Hooli 100%_Real' });
    const orgId = created.body.id as string;
    await server.testDatabase.adminQuery(
      "INSERT INTO deals (org_id, id, name, stage) VALUES ($1, gen_random_uuid(), 'SECRET-DEAL-CANARY', 'proposal')",
      [orgId],
    );

    const organisations = await call('GET', '/api/admin/organisations?q=hooli', admin.headers);
    expect(organisations.status).toBe(200);
    expect(organisations.body.items).toMatchObject([{ id: orgId, name: 'Hooli 100%_Real', memberCount: 1 }]);
    // `%` and `_` are literal characters in a search, not patterns.
    expect((await call('GET', '/api/admin/organisations?q=%25_R', admin.headers)).body.items).toHaveLength(1);
    expect((await call('GET', '/api/admin/organisations?q=0_R', admin.headers)).body.items).toHaveLength(0);
    expect(JSON.stringify(organisations.body)).not.toContain('SECRET-DEAL-CANARY');

    const users = await call('GET', '/api/admin/users?q=HOOLI.example', admin.headers);
    expect(users.body.items).toMatchObject([{ id: owner.id, email: 'owner@hooli.example', activeSessions: 1 }]);

    // Cursor pagination walks every organisation exactly once.
    for (const name of ['Page A', 'Page B', 'Page C'])
      await call('POST', '/api/orgs', await server.signIn(owner.id), { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/api/admin/organisations?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        admin.headers,
      );
      seen.push(...(page.body.items as { id: string }[]).map((item) => item.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('counts each listed user’s live sessions only (not revoked, not expired), page by page', async () => {
    const admin = await platformAdmin();
    const [busy, idle, single] = [
      await server.createUser({ email: 'busy@counts.example' }),
      await server.createUser({ email: 'idle@counts.example' }),
      await server.createUser({ email: 'single@counts.example' }),
    ];
    for (let index = 0; index < 4; index += 1) await server.signIn(busy.id);
    await server.signIn(single.id);
    const busySessions = await server.testDatabase.adminQuery<{ id: string }>(
      'SELECT id FROM sessions WHERE user_id = $1 ORDER BY id',
      [busy.id],
    );
    await server.testDatabase.adminQuery(
      "UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1",
      [busySessions[0]?.id],
    );
    await server.testDatabase.adminQuery(
      "UPDATE sessions SET absolute_expires_at = $2::timestamptz - interval '1 second' WHERE id = $1",
      [busySessions[1]?.id, server.clock.now().toISOString()],
    );
    const counts = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/api/admin/users?q=counts.example&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        admin.headers,
      );
      for (const item of page.body.items as { id: string; activeSessions: number }[])
        counts.set(item.id, item.activeSessions);
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(counts).toEqual(
      new Map([
        [busy.id, 2],
        [idle.id, 0],
        [single.id, 1],
      ]),
    );
  });

  it('refuses everyone but a platform admin whose session passed MFA', async () => {
    const person = await server.createUser();
    expect((await call('GET', '/api/admin/users', null)).status).toBe(401);
    expect((await call('GET', '/api/admin/users', await server.signIn(person.id))).status).toBe(403);
  });

  it('suspending a user ends their sessions at once; unsuspending lets them sign in again', async () => {
    const admin = await platformAdmin();
    const person = await server.createUser();
    const personHeaders = await server.signIn(person.id);
    expect((await call('GET', '/api/me', personHeaders)).status).toBe(200);

    const noReason = await call('POST', `/api/admin/users/${person.id}/suspend`, admin.headers, {});
    expect(noReason.status).toBe(400);
    const suspended = await call('POST', `/api/admin/users/${person.id}/suspend`, admin.headers, {
      reason: 'Chargeback fraud investigation',
    });
    expect(suspended.body).toEqual({ changed: true });
    expect((await call('GET', '/api/me', personHeaders)).status).toBe(401);
    const [sessions] = await server.testDatabase.adminQuery<{ open: number }>(
      'SELECT count(*)::int AS open FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [person.id],
    );
    expect(sessions?.open).toBe(0);

    expect(
      (await call('POST', `/api/admin/users/${admin.id}/suspend`, admin.headers, { reason: 'oops me' })).status,
    ).toBe(409);
    expect((await call('POST', `/api/admin/users/${person.id}/unsuspend`, admin.headers)).body).toEqual({
      changed: true,
    });
    server.clock.advance(1000);
    expect((await call('GET', '/api/me', await server.signIn(person.id))).status).toBe(200);

    const [event] = await server.testDatabase.adminQuery<{
      actor_user_id: string;
      actor_role: string;
      metadata: unknown;
    }>(
      "SELECT actor_user_id, actor_role, metadata FROM audit_events WHERE org_id IS NULL AND action = 'user.suspended' AND target_id = $1 AND outcome = 'success'",
      [person.id],
    );
    expect(event).toEqual({
      actor_user_id: admin.id,
      actor_role: 'platform_admin',
      metadata: { reason: 'Chargeback fraud investigation' },
    });
  });

  it('suspending an organisation closes it to its members at once, until unsuspended', async () => {
    const admin = await platformAdmin();
    const { orgId, ownerHeaders: member } = await server.createOrganisation(await server.createUser(), 'Pied Piper');
    expect((await call('GET', `/api/orgs/${orgId}/deals`, member)).status).toBe(200);

    const suspended = await call('POST', `/api/admin/organisations/${orgId}/suspend`, admin.headers, {
      reason: 'Unpaid invoices',
    });
    expect(suspended.body).toEqual({ changed: true });
    expect((await call('GET', `/api/orgs/${orgId}/deals`, member)).status).toBe(404);
    const listed = await call('GET', '/api/admin/organisations?q=pied', admin.headers);
    expect(listed.body.items).toMatchObject([{ id: orgId, suspended: true }]);
    expect((await call('POST', `/api/admin/organisations/${orgId}/unsuspend`, admin.headers)).body).toEqual({
      changed: true,
    });
    expect((await call('GET', `/api/orgs/${orgId}/deals`, member)).status).toBe(200);
  });

  it('forces a user to sign out everywhere, and needs a fresh second factor for it', async () => {
    const admin = await platformAdmin();
    const person = await server.createUser();
    // Eleven minutes later the admin's session (refreshed, so its access token is valid) carries
    // a second factor older than ten minutes: step up first.
    server.clock.advance(11 * 60 * 1000);
    const refreshed = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: admin.headers.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    const stale = { authorization: `Bearer ${(refreshed.json() as { accessToken: string }).accessToken}` };
    const refused = await call('POST', `/api/admin/users/${person.id}/sign-out`, stale);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/step-up-required');
    const fresh = await server.signIn(admin.id, { amr: ['pwd', 'otp'] });
    const personAgain = await server.signIn(person.id);
    expect((await call('POST', `/api/admin/users/${person.id}/sign-out`, fresh)).body).toEqual({ signedOut: true });
    expect((await call('GET', '/api/me', personAgain)).status).toBe(401);

    // An id that names nobody is 404, like suspending an unknown user, and audited as a failure.
    const nobody = '01900000-0000-7000-8000-00000000dead';
    const unknown = await call('POST', `/api/admin/users/${nobody}/sign-out`, fresh);
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('/problems/not-found');
    expect((await call('POST', `/api/admin/users/${nobody}/suspend`, fresh, { reason: 'compare' })).status).toBe(404);
    const events = await server.testDatabase.adminQuery<{ outcome: string }>(
      "SELECT outcome FROM audit_events WHERE action = 'user.signed_out_by_admin' AND target_id = $1",
      [nobody],
    );
    expect(events).toEqual([{ outcome: 'failure' }]);
  });

  it('creates the first platform admin, or promotes an existing account (what `vigil admin create` runs)', async () => {
    const create = (email: string) =>
      createPlatformAdmin({
        database: server.vigil.database,
        clock: server.clock,
        hasher: createPasswordHasher({ cost: 4 }),
        email,
      });
    const created = await create('root@vigil.example');
    expect(created).toMatchObject({ kind: 'created', password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) });
    const [row] = await server.testDatabase.adminQuery<{ platform_admin: boolean; verified: boolean }>(
      "SELECT platform_admin, email_verified_at IS NOT NULL AS verified FROM users WHERE email_normalised = 'root@vigil.example'",
    );
    expect(row).toEqual({ platform_admin: true, verified: true });
    expect(await create('ROOT@vigil.example')).toEqual({ kind: 'unchanged', userId: created.userId });

    const existing = await server.createUser({ email: 'ops@vigil.example' });
    const before = await server.signIn(existing.id);
    server.clock.advance(1000);
    expect(await create('ops@vigil.example')).toEqual({ kind: 'promoted', userId: existing.id });
    // Their old sessions stop working: the next sign-in goes through MFA enrolment.
    expect((await call('GET', '/api/me', before)).status).toBe(401);
    const granted = await server.testDatabase.adminQuery<{ target_id: string }>(
      "SELECT target_id FROM audit_events WHERE org_id IS NULL AND action = 'platform_admin.granted' ORDER BY seq",
    );
    expect(granted.map((event) => event.target_id)).toEqual([created.userId, existing.id]);
  });
});

describe('vigil admin create (CLI)', () => {
  it('creates an admin in the configured database, prints a one-time password once, refuses bad input', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-admin-create-'));
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      environment: { VIGIL_PROFILE: 'test', VIGIL_DATA_DIR: dataDir },
    };
    try {
      expect(await runCli(['admin', 'create', '--email', 'not-an-email'], io)).toBe(2);
      expect(stderr).toContain('--email must be an email address');
      expect(await runCli(['admin', 'create', '--email', 'first@vigil.example'], io)).toBe(0);
      expect(stdout).toMatch(/Platform admin created: first@vigil\.example/);
      expect(stdout).toMatch(/One-time password: [A-Za-z0-9_-]{24}/);
      stdout = '';
      expect(await runCli(['admin', 'create', '--email', 'first@vigil.example'], io)).toBe(0);
      expect(stdout).toContain('already a platform admin');
      expect(stdout).not.toContain('password');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
