// Attack: an access token outlives what it stands for — a demoted or removed member keeps their
// old role, a suspended or signed-out user keeps working — because the authenticator trusted the
// token's claims or a cache instead of the current state. Every change below must apply to the
// very next request, also when that request would otherwise be answered from the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { ACCESS_TOKEN_LIFETIME_MS } from './session-lifetimes.ts';
import type { SessionTokens } from './session-cookies.ts';
import { SESSION_STATE_TTL_MS } from './session-cache.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

let server: SessionsTestServer;

beforeAll(async () => {
  server = await startSessionsTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function signIn(userId: string, orgId: string | null = null): Promise<SessionTokens> {
  const response = await server.vigil.app.inject({
    method: 'POST',
    url: '/api/test/sign-in',
    payload: { userId, amr: ['pwd'], orgId },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as SessionTokens;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function whoAmI(orgId: string, accessToken: string) {
  return server.vigil.app.inject({
    method: 'GET',
    url: `/api/orgs/${orgId}/test-whoami`,
    headers: bearer(accessToken),
  });
}

async function mySessions(accessToken: string) {
  return server.vigil.app.inject({ method: 'GET', url: '/api/me/sessions', headers: bearer(accessToken) });
}

/** A member with a token for `orgId`, whose state the cache already holds. */
async function cachedMember(role: 'viewer' | 'builder' | 'org_admin' = 'org_admin') {
  const userId = await server.createUser();
  const orgId = await server.createOrganisation();
  await server.addMembership({ orgId, userId, role });
  const tokens = await signIn(userId, orgId);
  const first = await whoAmI(orgId, tokens.accessToken);
  expect(first.statusCode, first.body).toBe(200);
  expect(first.json().caller.membership).toEqual({ orgId, role });
  return { userId, orgId, tokens };
}

describe(`live session state and its cache (${testDatabaseKind})`, () => {
  it('answers repeated requests from the cache: no second verification, no second lookup', async () => {
    const { orgId, tokens } = await cachedMember();
    const before = server.sessions.cache.stats();
    expect(before.stateCaching).toBe(true);
    for (let index = 0; index < 5; index++) expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(200);
    const after = server.sessions.cache.stats();
    expect(after.tokens).toBe(before.tokens);
    expect(after.states).toBe(before.states);
  });

  it('applies a role change to the next request (organisations module invalidates)', async () => {
    const { userId, orgId, tokens } = await cachedMember('org_admin');
    await server.testDatabase.adminQuery("UPDATE memberships SET role = 'viewer' WHERE org_id = $1 AND user_id = $2", [
      orgId,
      userId,
    ]);
    server.sessions.invalidate({ orgId, userId });
    const next = await whoAmI(orgId, tokens.accessToken);
    expect(next.statusCode).toBe(200);
    // The token still says org_admin; the caller is what the database says now.
    expect(next.json().caller.membership).toEqual({ orgId, role: 'viewer' });
  });

  it('applies a role change made elsewhere as soon as its notification arrives', async () => {
    const { userId, orgId, tokens } = await cachedMember('builder');
    const notified = server.sessions.nextChange(userId);
    await server.testDatabase.adminQuery("UPDATE memberships SET role = 'viewer' WHERE org_id = $1 AND user_id = $2", [
      orgId,
      userId,
    ]);
    await notified;
    expect((await whoAmI(orgId, tokens.accessToken)).json().caller.membership).toEqual({ orgId, role: 'viewer' });
  });

  it('treats a removed member as a non-member at once: 404 on the organisation, self routes still work', async () => {
    const { userId, orgId, tokens } = await cachedMember('org_admin');
    await server.testDatabase.adminQuery('DELETE FROM memberships WHERE org_id = $1 AND user_id = $2', [orgId, userId]);
    server.sessions.invalidate({ orgId });
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(404);
    expect((await mySessions(tokens.accessToken)).statusCode).toBe(200);
    // Re-added: the same token works again, with the new role.
    await server.addMembership({ orgId, userId, role: 'viewer' });
    server.sessions.invalidate({ orgId, userId });
    expect((await whoAmI(orgId, tokens.accessToken)).json().caller.membership).toEqual({ orgId, role: 'viewer' });
  });

  it('refuses a suspended user at the next request', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    await server.testDatabase.adminQuery('UPDATE users SET suspended_at = $2 WHERE id = $1', [
      userId,
      server.clock.now().toISOString(),
    ]);
    server.sessions.invalidate({ userId });
    const refused = await whoAmI(orgId, tokens.accessToken);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toMatch(/suspended/);
  });

  it('refuses a deleted user at the next request', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    const notified = server.sessions.nextChange(userId);
    await server.testDatabase.adminQuery('DELETE FROM users WHERE id = $1', [userId]);
    await notified;
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(401);
  });

  it('ends every cached session at sign-out everywhere, with no explicit invalidation by the caller', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    const other = await signIn(userId, orgId);
    expect((await whoAmI(orgId, other.accessToken)).statusCode).toBe(200);
    const signOut = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      payload: { refreshToken: tokens.refreshToken, everywhere: true },
    });
    expect(signOut.json()).toEqual({ sessionsEnded: 2 });
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(401);
    expect((await whoAmI(orgId, other.accessToken)).statusCode).toBe(401);
  });

  it('ends a revoked session at the next request and keeps the others', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    const phone = await signIn(userId, orgId);
    expect((await whoAmI(orgId, phone.accessToken)).statusCode).toBe(200);
    const revoked = await server.vigil.app.inject({
      method: 'DELETE',
      url: `/api/me/sessions/${phone.sessionId}`,
      headers: bearer(tokens.accessToken),
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await whoAmI(orgId, phone.accessToken)).statusCode).toBe(401);
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(200);
  });

  it('cuts older tokens at a password or MFA change (tokens_valid_after + revoke others)', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    server.clock.advance(2000);
    // What accounts/ does on a password change: move the cut-off, then end the other sessions.
    await server.testDatabase.adminQuery('UPDATE users SET tokens_valid_after = $2 WHERE id = $1', [
      userId,
      server.clock.now().toISOString(),
    ]);
    await server.sessions.revokeSessions({ userId, exceptSessionId: tokens.sessionId, reason: 'password_changed' });
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(401);
  });

  it('ends a session at once when refresh-token reuse revokes it', async () => {
    const { orgId, tokens } = await cachedMember();
    const rotated = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(rotated.statusCode).toBe(200);
    server.clock.advance(60_000);
    const reused = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(reused.statusCode).toBe(401);
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(401);
  });

  it('never serves a cached token past its exp, nor a cached state past its TTL', async () => {
    const { userId, orgId, tokens } = await cachedMember();
    server.clock.advance(SESSION_STATE_TTL_MS);
    // Older than the TTL: read again (and still fine).
    expect((await whoAmI(orgId, tokens.accessToken)).statusCode).toBe(200);
    server.clock.advance(ACCESS_TOKEN_LIFETIME_MS);
    const expired = await whoAmI(orgId, tokens.accessToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().detail).toMatch(/expired/);
    expect(userId).toBeTruthy();
  });

  it('still demands the CSRF token of a cookie request answered from the cache', async () => {
    const { orgId, tokens } = await cachedMember();
    const cookie = `vigil_access=${tokens.accessToken}`;
    const read = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: { cookie },
    });
    expect(read.statusCode).toBe(200);
    const forged = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: { cookie },
    });
    expect(forged.statusCode).toBe(403);
    const wrong = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: { cookie, 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrong.statusCode).toBe(403);
    for (let index = 0; index < 2; index++) {
      const allowed = await server.vigil.app.inject({
        method: 'POST',
        url: `/api/orgs/${orgId}/test-change`,
        headers: { cookie, 'x-csrf-token': tokens.csrfToken },
      });
      expect(allowed.statusCode, allowed.body).toBe(200);
    }
  });

  it('runs the lookup with a pinned search_path, executable by the runtime role only', async () => {
    const [fn] = await server.testDatabase.adminQuery<{ config: string[]; definer: boolean; acl: string }>(
      `SELECT p.proconfig AS config, p.prosecdef AS definer, p.proacl::text AS acl
         FROM pg_proc p WHERE p.proname = 'vigil_session_state'`,
    );
    expect(fn?.config).toEqual(['search_path=pg_catalog, public']);
    expect(fn?.definer).toBe(false);
    expect(fn?.acl).toContain('vigil_runtime=X');
    expect(fn?.acl).not.toMatch(/(^|[{,])=X/);
  });
});
