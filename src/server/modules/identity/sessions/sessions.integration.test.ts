import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import type { SessionTokens } from './session-cookies.ts';
import {
  ACCESS_TOKEN_LIFETIME_MS,
  SESSION_ABSOLUTE_LIFETIME_MS,
  SESSION_IDLE_LIFETIME_MS,
  STEP_UP_WINDOW_MS,
} from './session-lifetimes.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

let server: SessionsTestServer;

beforeAll(async () => {
  server = await startSessionsTestServer();
});

afterAll(async () => {
  await server?.close();
});

const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0';

async function signIn(
  userId: string,
  options: { amr?: string[]; orgId?: string | null; userAgent?: string } = {},
): Promise<SessionTokens> {
  const response = await server.vigil.app.inject({
    method: 'POST',
    url: '/api/test/sign-in',
    headers: { 'user-agent': options.userAgent ?? FIREFOX_MAC },
    payload: { userId, amr: options.amr ?? ['pwd'], orgId: options.orgId ?? null },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as SessionTokens;
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

async function refresh(refreshToken: string) {
  return server.vigil.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
}

async function listSessions(accessToken: string) {
  return server.vigil.app.inject({ method: 'GET', url: '/api/me/sessions', headers: bearer(accessToken) });
}

describe(`sessions (${testDatabaseKind})`, () => {
  it('issues an EdDSA access token with the documented claims, verifiable with the published JWKS', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'builder' });
    const tokens = await signIn(userId);

    const header = decodeProtectedHeader(tokens.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.accessToken);
    expect(claims).toMatchObject({
      sub: userId,
      sid: tokens.sessionId,
      org: orgId,
      role: 'builder',
      amr: ['pwd'],
      iss: 'vigil',
      aud: 'vigil-api',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(ACCESS_TOKEN_LIFETIME_MS / 1000);
    expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const jwks = await server.vigil.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    const published = jwks.json() as { keys: { kid: string; kty: string; crv: string; d?: string }[] };
    expect(published.keys.map((key) => key.kid)).toContain(header.kid);
    for (const key of published.keys) expect(key).not.toHaveProperty('d');
    const verified = await jwtVerify(tokens.accessToken, createLocalJWKSet(jwks.json()), {
      currentDate: server.clock.now(),
      audience: 'vigil-api',
    });
    expect(verified.payload.sub).toBe(userId);
  });

  it('authenticates bearer requests: organisation routes see the role, self routes the session', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    const otherOrg = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'viewer' });
    const tokens = await signIn(userId, { orgId });

    const whoami = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: bearer(tokens.accessToken),
    });
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json().caller).toEqual({
      userId,
      sessionId: tokens.sessionId,
      platformAdmin: false,
      amr: ['pwd'],
      membership: { orgId, role: 'viewer' },
    });
    const elsewhere = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${otherOrg}/test-whoami`,
      headers: bearer(tokens.accessToken),
    });
    expect(elsewhere.statusCode).toBe(404);

    const anonymous = await server.vigil.app.inject({ method: 'GET', url: '/api/me/sessions' });
    expect(anonymous.statusCode).toBe(401);
    const malformed = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(malformed.statusCode).toBe(401);
  });

  it('lists active sessions with device, IP and last use, marking the current one', async () => {
    const userId = await server.createUser();
    const laptop = await signIn(userId);
    const phone = await signIn(userId, {
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    });
    const response = await listSessions(laptop.accessToken);
    expect(response.statusCode).toBe(200);
    const list = response.json() as { items: { id: string; current: boolean; device: string; ip: string }[] };
    expect(list.items.map((item) => item.id).sort()).toEqual([laptop.sessionId, phone.sessionId].sort());
    expect(list.items.find((item) => item.id === laptop.sessionId)).toMatchObject({
      current: true,
      device: 'Firefox on macOS',
      ip: '127.0.0.1',
    });
    expect(list.items.find((item) => item.id === phone.sessionId)).toMatchObject({
      current: false,
      device: 'Safari on iOS',
    });
  });

  it('rotates the refresh token on every use and keeps the session and organisation', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'org_admin' });
    const first = await signIn(userId);
    server.clock.advance(60_000);
    const response = await refresh(first.refreshToken);
    expect(response.statusCode, response.body).toBe(200);
    const second = response.json() as SessionTokens;
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(decodeJwt(second.accessToken)).toMatchObject({ sid: first.sessionId, org: orgId, role: 'org_admin' });
    const stored = await server.testDatabase.adminQuery<{ token_hash: string }>(
      'SELECT token_hash FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1',
      [userId],
    );
    // Only hashes at rest.
    for (const row of stored) {
      expect([first.refreshToken, second.refreshToken]).not.toContain(row.token_hash);
    }
  });

  it('re-reads the role at refresh, so a role change applies at the next refresh at the latest', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'org_admin' });
    const tokens = await signIn(userId);
    await server.testDatabase.adminQuery("UPDATE memberships SET role = 'viewer' WHERE user_id = $1", [userId]);
    server.clock.advance(5 * 60_000);
    const refreshed = (await refresh(tokens.refreshToken)).json() as SessionTokens;
    expect(decodeJwt(refreshed.accessToken)).toMatchObject({ org: orgId, role: 'viewer' });

    await server.testDatabase.adminQuery('DELETE FROM memberships WHERE user_id = $1', [userId]);
    server.clock.advance(5 * 60_000);
    const removed = (await refresh(refreshed.refreshToken)).json() as SessionTokens;
    expect(decodeJwt(removed.accessToken)).toMatchObject({ org: null, role: null });
  });

  it('switches organisation: new token for a member organisation, 404 for any other', async () => {
    const userId = await server.createUser();
    const first = await server.createOrganisation('First');
    const second = await server.createOrganisation('Second');
    const foreign = await server.createOrganisation('Foreign');
    await server.addMembership({ orgId: first, userId, role: 'viewer' });
    await server.addMembership({ orgId: second, userId, role: 'builder' });
    const tokens = await signIn(userId, { orgId: first });

    const switched = await server.vigil.app.inject({
      method: 'PUT',
      url: '/api/me/session/organisation',
      headers: bearer(tokens.accessToken),
      payload: { orgId: second },
    });
    expect(switched.statusCode, switched.body).toBe(200);
    const body = switched.json() as { accessToken: string; orgId: string; role: string };
    expect(body).toMatchObject({ orgId: second, role: 'builder' });
    expect(decodeJwt(body.accessToken)).toMatchObject({ org: second, role: 'builder', sid: tokens.sessionId });
    const whoami = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${second}/test-whoami`,
      headers: bearer(body.accessToken),
    });
    expect(whoami.statusCode).toBe(200);
    // The session remembers the choice: the next refresh is for the second organisation too.
    const refreshed = (await refresh(tokens.refreshToken)).json() as SessionTokens;
    expect(decodeJwt(refreshed.accessToken)).toMatchObject({ org: second, role: 'builder' });

    const refused = await server.vigil.app.inject({
      method: 'PUT',
      url: '/api/me/session/organisation',
      headers: bearer(tokens.accessToken),
      payload: { orgId: foreign },
    });
    expect(refused.statusCode).toBe(404);
  });

  it('revokes one session: its access token stops working at once; another user gets 404', async () => {
    const userId = await server.createUser();
    const intruderId = await server.createUser();
    const laptop = await signIn(userId);
    const phone = await signIn(userId);
    const intruder = await signIn(intruderId);

    const foreign = await server.vigil.app.inject({
      method: 'DELETE',
      url: `/api/me/sessions/${phone.sessionId}`,
      headers: bearer(intruder.accessToken),
    });
    expect(foreign.statusCode).toBe(404);
    expect((await listSessions(phone.accessToken)).statusCode).toBe(200);

    const revoked = await server.vigil.app.inject({
      method: 'DELETE',
      url: `/api/me/sessions/${phone.sessionId}`,
      headers: bearer(laptop.accessToken),
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await listSessions(phone.accessToken)).statusCode).toBe(401);
    expect((await refresh(phone.refreshToken)).statusCode).toBe(401);
    expect((await listSessions(laptop.accessToken)).statusCode).toBe(200);

    const events = await server.testDatabase.adminQuery<{ action: string; actor_user_id: string; target_id: string }>(
      "SELECT action, actor_user_id, target_id FROM audit_events WHERE action = 'session.revoked' AND target_id = $1",
      [phone.sessionId],
    );
    expect(events).toEqual([{ action: 'session.revoked', actor_user_id: userId, target_id: phone.sessionId }]);
  });

  it('revokes all other sessions and keeps the current one', async () => {
    const userId = await server.createUser();
    const current = await signIn(userId);
    const others = [await signIn(userId), await signIn(userId)];
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/me/sessions/revoke-others',
      headers: bearer(current.accessToken),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ revoked: 2 });
    for (const other of others) expect((await listSessions(other.accessToken)).statusCode).toBe(401);
    const list = (await listSessions(current.accessToken)).json() as { items: { id: string }[] };
    expect(list.items.map((item) => item.id)).toEqual([current.sessionId]);
  });

  it('signs out one session, or everywhere (which also sets tokens_valid_after)', async () => {
    const userId = await server.createUser();
    const first = await signIn(userId);
    const second = await signIn(userId);
    const third = await signIn(userId);

    const one = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: bearer(first.accessToken),
      payload: {},
    });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toEqual({ sessionsEnded: 1 });
    expect((await listSessions(first.accessToken)).statusCode).toBe(401);
    expect((await listSessions(second.accessToken)).statusCode).toBe(200);

    server.clock.advance(1000);
    const everywhere = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      payload: { refreshToken: second.refreshToken, everywhere: true },
    });
    expect(everywhere.json()).toEqual({ sessionsEnded: 2 });
    for (const tokens of [second, third]) {
      expect((await listSessions(tokens.accessToken)).statusCode).toBe(401);
      expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
    }
    const [user] = await server.testDatabase.adminQuery<{ tokens_valid_after: Date }>(
      'SELECT tokens_valid_after FROM users WHERE id = $1',
      [userId],
    );
    expect(new Date(user!.tokens_valid_after).getTime()).toBe(server.clock.now().getTime());

    const again = await server.vigil.app.inject({ method: 'POST', url: '/api/auth/sign-out', payload: {} });
    expect(again.json()).toEqual({ sessionsEnded: 0 });
  });

  it('refuses access tokens issued before tokens_valid_after, and accepts ones issued after', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    server.clock.advance(2000);
    // What a password change does (accounts/): cut every access token, keep the session.
    await server.testDatabase.adminQuery('UPDATE users SET tokens_valid_after = $2 WHERE id = $1', [
      userId,
      server.clock.now().toISOString(),
    ]);
    expect((await listSessions(tokens.accessToken)).statusCode).toBe(401);
    server.clock.advance(250);
    const refreshed = await refresh(tokens.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    expect((await listSessions((refreshed.json() as SessionTokens).accessToken)).statusCode).toBe(200);
  });

  it('refuses a suspended user at once, on every request and at refresh', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    await server.testDatabase.adminQuery('UPDATE users SET suspended_at = $2 WHERE id = $1', [
      userId,
      server.clock.now().toISOString(),
    ]);
    expect((await listSessions(tokens.accessToken)).statusCode).toBe(401);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('expires access tokens after 10 minutes', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    server.clock.advance(ACCESS_TOKEN_LIFETIME_MS - 60_000);
    expect((await listSessions(tokens.accessToken)).statusCode).toBe(200);
    server.clock.advance(60_000 + 6_000);
    const expired = await listSessions(tokens.accessToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().detail).toMatch(/expired/);
  });

  it('ends an idle session after 7 days without a refresh', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    server.clock.advance(SESSION_IDLE_LIFETIME_MS + 1000);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('ends every session 30 days after sign-in, however often it is refreshed', async () => {
    const userId = await server.createUser();
    let tokens = await signIn(userId);
    const started = server.clock.now().getTime();
    while (server.clock.now().getTime() + 6 * 86_400_000 < started + SESSION_ABSOLUTE_LIFETIME_MS) {
      server.clock.advance(6 * 86_400_000);
      const response = await refresh(tokens.refreshToken);
      expect(response.statusCode).toBe(200);
      tokens = response.json() as SessionTokens;
      expect(new Date(tokens.refreshTokenExpiresAt).getTime()).toBeLessThanOrEqual(
        started + SESSION_ABSOLUTE_LIFETIME_MS,
      );
    }
    server.clock.set(new Date(started + SESSION_ABSOLUTE_LIFETIME_MS));
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('refuses every request of a platform admin session without a second factor until MFA is recorded', async () => {
    const adminId = await server.createUser({ platformAdmin: true });
    const orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId: adminId, role: 'org_admin' });
    const tokens = await signIn(adminId, { orgId });
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ org: null, role: null, amr: ['pwd'] });
    const refused = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: bearer(tokens.accessToken),
    });
    expect(refused.statusCode).toBe(401);
    expect((await listSessions(tokens.accessToken)).statusCode).toBe(401);
    const switchRefused = await server.vigil.app.inject({
      method: 'PUT',
      url: '/api/me/session/organisation',
      headers: bearer(tokens.accessToken),
      payload: { orgId },
    });
    expect(switchRefused.statusCode).toBe(401);

    const upgraded = await server.sessions.recordSecondFactor({ sessionId: tokens.sessionId });
    expect(decodeJwt(upgraded.accessToken)).toMatchObject({ org: orgId, role: 'org_admin', amr: ['pwd', 'otp'] });
    const allowed = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: bearer(upgraded.accessToken),
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().caller).toMatchObject({ platformAdmin: true, amr: ['pwd', 'otp'] });
  });

  it('refuses a session that predates the platform-admin flag, also at refresh', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'viewer' });
    const tokens = await signIn(userId);
    await server.testDatabase.adminQuery('UPDATE users SET platform_admin = true WHERE id = $1', [userId]);
    const refused = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: bearer(tokens.accessToken),
    });
    expect(refused.statusCode).toBe(401);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(401);
  });

  it('allows step-up actions only within 10 minutes of a second factor', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    const sensitive = (accessToken: string) =>
      server.vigil.app.inject({ method: 'POST', url: '/api/me/test-sensitive', headers: bearer(accessToken) });
    const refused = await sensitive(tokens.accessToken);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('/problems/step-up-required');

    const stepped = await server.sessions.recordSecondFactor({ sessionId: tokens.sessionId });
    expect(decodeJwt(stepped.accessToken)).toMatchObject({
      amr: ['pwd', 'otp'],
      otp_at: Math.floor(server.clock.now().getTime() / 1000),
    });
    expect((await sensitive(stepped.accessToken)).statusCode).toBe(200);
    // The refresh token rotated with it; the previous one is now the parent (grace only).
    expect(stepped.refreshToken).not.toBe(tokens.refreshToken);
    server.clock.advance(STEP_UP_WINDOW_MS - 60_000);
    const refreshed = (await refresh(stepped.refreshToken)).json() as SessionTokens;
    expect((await sensitive(refreshed.accessToken)).statusCode).toBe(200);
    server.clock.advance(2 * 60_000);
    const late = await refresh(refreshed.refreshToken);
    expect((await sensitive((late.json() as SessionTokens).accessToken)).statusCode).toBe(403);
  });

  it('rejects sessions the user does not belong to at start', async () => {
    const userId = await server.createUser();
    const orgId = await server.createOrganisation();
    await expect(
      server.sessions.startSession({ userId, amr: ['pwd'], orgId, ip: null, userAgent: null }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });
});
