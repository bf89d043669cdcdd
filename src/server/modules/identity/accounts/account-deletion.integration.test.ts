// Threat: "delete my account" that leaves personal data behind (a credential, a session, an MFA
// secret, a membership, a mail), or that strands an organisation without an admin.
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../../../../../test/helpers/test-vigil.ts';
import { newId } from '../../../platform/db/ids.ts';

let server: TestVigil;
const PASSWORD = 'violet-harbour-compass-77';

async function signUpAndSignIn(email: string): Promise<{ userId: string; accessToken: string }> {
  const inject = server.vigil.app.inject.bind(server.vigil.app);
  expect(
    (await inject({ method: 'POST', url: '/api/auth/sign-up', payload: { email, password: PASSWORD } })).statusCode,
  ).toBe(202);
  await server.vigil.identity.flush();
  const outbox = (await inject({ method: 'GET', url: '/api/dev/outbox' })).json() as {
    items: { to: string; text: string }[];
  };
  const mail = outbox.items.find((item) => item.to === email);
  const token = /#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
  expect(token).toBeTruthy();
  expect((await inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })).statusCode).toBe(200);
  const signedIn = await inject({ method: 'POST', url: '/api/auth/sign-in', payload: { email, password: PASSWORD } });
  expect(signedIn.statusCode).toBe(200);
  const body = signedIn.json() as { accessToken: string; user: { id: string } };
  return { userId: body.user.id, accessToken: body.accessToken };
}

beforeAll(async () => {
  let current: TestVigil | null = null;
  server = await startTestVigil({
    environment: { BCRYPT_COST: '10' },
    authenticate: (request) => (current as TestVigil).vigil.identity.sessions.authenticate(request),
  });
  current = server;
});

afterAll(async () => {
  await server?.close();
});

describe(`account deletion (${testDatabaseKind})`, () => {
  it('removes every row that names the user, keeping only pseudonymous audit events', async () => {
    const email = 'leaving.user@example.com';
    const { userId, accessToken } = await signUpAndSignIn(email);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const inject = server.vigil.app.inject.bind(server.vigil.app);

    // Everywhere: a membership next to another admin, MFA with recovery codes, several sessions.
    const orgId = newId();
    const otherAdmin = newId();
    const now = server.clock.now().toISOString();
    await server.testDatabase.adminQuery(
      "INSERT INTO organisations (id, slug, name) VALUES ($1, 'leaving-org', 'Leaving Org')",
      [orgId],
    );
    await server.testDatabase.adminQuery(
      "INSERT INTO users (id, email, email_normalised, tokens_valid_after, created_at, updated_at) VALUES ($1, 'stays@example.com', 'stays@example.com', $2, $2, $2)",
      [otherAdmin, now],
    );
    await server.testDatabase.adminQuery(
      "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'org_admin', $4), ($1, $3, 'org_admin', $4)",
      [orgId, userId, otherAdmin, now],
    );
    await inject({ method: 'POST', url: '/api/auth/sign-in', payload: { email, password: PASSWORD } });
    const enrolment = (
      await inject({ method: 'POST', url: '/api/me/mfa/totp', headers: bearer(accessToken) })
    ).json() as { secretBase32: string };
    const totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(enrolment.secretBase32),
      digits: 6,
      period: 30,
      algorithm: 'SHA1',
    });
    const confirmed = await inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers: bearer(accessToken),
      payload: { code: totp.generate({ timestamp: server.clock.now().getTime() }) },
    });
    expect(confirmed.statusCode).toBe(200);
    const steppedUp = (confirmed.json() as { session: { accessToken: string } }).session.accessToken;

    // Without the password, or without the typed confirmation, nothing happens.
    expect(
      (
        await inject({
          method: 'DELETE',
          url: '/api/me',
          headers: bearer(steppedUp),
          payload: { password: 'wrong-password-123', confirm: 'DELETE MY ACCOUNT' },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await inject({
          method: 'DELETE',
          url: '/api/me',
          headers: bearer(steppedUp),
          payload: { password: PASSWORD, confirm: 'yes' },
        })
      ).statusCode,
    ).toBe(400);
    // With MFA, a second factor older than 10 minutes is not enough.
    server.clock.advance(11 * 60_000);
    const stale = await inject({
      method: 'DELETE',
      url: '/api/me',
      headers: bearer(steppedUp),
      payload: { password: PASSWORD, confirm: 'DELETE MY ACCOUNT' },
    });
    expect([401, 403]).toContain(stale.statusCode);
    server.clock.advance(-11 * 60_000);

    const deleted = await inject({
      method: 'DELETE',
      url: '/api/me',
      headers: bearer(steppedUp),
      payload: { password: PASSWORD, confirm: 'DELETE MY ACCOUNT' },
    });
    expect(deleted.statusCode, deleted.body).toBe(200);
    await server.vigil.identity.flush();

    // No row anywhere names them — except audit events, which keep the bare (now unlinkable) id.
    const columns = await server.testDatabase.adminQuery<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type IN ('uuid', 'text', 'jsonb', 'character varying', 'ARRAY')",
    );
    const leftovers: string[] = [];
    for (const column of columns) {
      const rows = await server.testDatabase.adminQuery<{ count: number }>(
        `SELECT count(*)::int AS count FROM "${column.table_name}" WHERE "${column.column_name}"::text ILIKE $1 OR "${column.column_name}"::text ILIKE $2`,
        [`%${userId}%`, `%${email}%`],
      );
      if ((rows[0]?.count ?? 0) > 0) leftovers.push(`${column.table_name}.${column.column_name}`);
    }
    expect(leftovers.filter((place) => !place.startsWith('audit_events.'))).toEqual([]);
    const auditWithEmail = await server.testDatabase.adminQuery(
      "SELECT 1 FROM audit_events WHERE metadata::text ILIKE '%leaving.user%' OR actor_user_agent ILIKE '%leaving.user%'",
    );
    expect(auditWithEmail).toHaveLength(0);
    // The token used for the deletion is dead, and the organisation still has its other admin.
    expect((await inject({ method: 'GET', url: '/api/me', headers: bearer(steppedUp) })).statusCode).toBe(401);
    const remaining = await server.testDatabase.adminQuery<{ user_id: string }>(
      'SELECT user_id FROM memberships WHERE org_id = $1',
      [orgId],
    );
    expect(remaining).toEqual([{ user_id: otherAdmin }]);
  });

  it('refuses to strand an organisation: its last admin must hand over first', async () => {
    const email = 'sole.admin@example.com';
    const { userId, accessToken } = await signUpAndSignIn(email);
    const orgId = newId();
    await server.testDatabase.adminQuery(
      "INSERT INTO organisations (id, slug, name) VALUES ($1, 'sole-org', 'Sole Org')",
      [orgId],
    );
    await server.testDatabase.adminQuery(
      "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'org_admin', now())",
      [orgId, userId],
    );
    const refused = await server.vigil.app.inject({
      method: 'DELETE',
      url: '/api/me',
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { password: PASSWORD, confirm: 'DELETE MY ACCOUNT' },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('/problems/conflict');
    const [user] = await server.testDatabase.adminQuery('SELECT id FROM users WHERE id = $1', [userId]);
    expect(user).toBeDefined();
  });
});
