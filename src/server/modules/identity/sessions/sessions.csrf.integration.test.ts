// Threat: cross-site request forgery — another site making the victim's browser send a
// state-changing request that the session cookies authenticate — and session cookies readable by
// scripts or sent over plain HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import {
  cookieHeader,
  type SessionsTestServer,
  setCookiesOf,
  startSessionsTestServer,
} from './test-support/start-sessions-test-server.ts';

type BrowserSession = { access: string; refresh: string; csrf: string; sessionId: string };

async function browserSignIn(server: SessionsTestServer, userId: string, headers: Record<string, string> = {}) {
  const response = await server.vigil.app.inject({
    method: 'POST',
    url: '/api/test/sign-in',
    headers,
    payload: { userId, cookies: true },
  });
  expect(response.statusCode, response.body).toBe(200);
  return { response, cookies: setCookiesOf(response.headers) };
}

describe(`cookie sessions and CSRF (${testDatabaseKind})`, () => {
  let server: SessionsTestServer;
  let orgId: string;
  let userId: string;
  let session: BrowserSession;

  beforeAll(async () => {
    server = await startSessionsTestServer();
    userId = await server.createUser();
    orgId = await server.createOrganisation();
    await server.addMembership({ orgId, userId, role: 'viewer' });
    const { response, cookies } = await browserSignIn(server, userId);
    session = {
      access: cookies.get('vigil_access')?.value as string,
      refresh: cookies.get('vigil_refresh')?.value as string,
      csrf: cookies.get('vigil_csrf')?.value as string,
      sessionId: response.json().sessionId,
    };
  });

  afterAll(async () => {
    await server?.close();
  });

  const withCookies = (extra: Record<string, string> = {}) => ({
    cookie: cookieHeader({ vigil_access: session.access, vigil_refresh: session.refresh, vigil_csrf: session.csrf }),
    ...extra,
  });

  it('sets httpOnly, SameSite=Strict cookies; only the CSRF cookie is readable by the page', async () => {
    const { cookies } = await browserSignIn(server, userId);
    const access = cookies.get('vigil_access')?.raw ?? '';
    const refresh = cookies.get('vigil_refresh')?.raw ?? '';
    const csrf = cookies.get('vigil_csrf')?.raw ?? '';
    expect(access).toMatch(/HttpOnly/);
    expect(access).toMatch(/SameSite=Strict/);
    expect(access).toMatch(/Path=\//);
    expect(refresh).toMatch(/HttpOnly/);
    expect(refresh).toMatch(/SameSite=Strict/);
    expect(refresh).toMatch(/Path=\/api\/auth/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(csrf).toMatch(/SameSite=Strict/);
    // Plain HTTP (development): no Secure flag, or the browser would drop the cookies.
    expect(access).not.toMatch(/Secure/);
  });

  it('lets safe requests through on cookies alone', async () => {
    const response = await server.vigil.app.inject({
      method: 'GET',
      url: `/api/orgs/${orgId}/test-whoami`,
      headers: withCookies(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().caller.sessionId).toBe(session.sessionId);
  });

  it('refuses a state-changing cookie request without the CSRF header (a forged cross-site form post)', async () => {
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: withCookies(),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().type).toBe('/problems/csrf-failed');
  });

  it("refuses another session's CSRF token (an attacker's own, from their account)", async () => {
    const attackerId = await server.createUser();
    const { cookies } = await browserSignIn(server, attackerId);
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: withCookies({ 'x-csrf-token': cookies.get('vigil_csrf')?.value as string }),
    });
    expect(response.statusCode).toBe(403);
  });

  it('accepts the request with the right CSRF header', async () => {
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: withCookies({ 'x-csrf-token': session.csrf }),
    });
    expect(response.statusCode).toBe(200);
  });

  it('needs no CSRF token for bearer requests (a browser never attaches those by itself)', async () => {
    const apiTokens = (
      await server.vigil.app.inject({ method: 'POST', url: '/api/test/sign-in', payload: { userId } })
    ).json() as { accessToken: string };
    const response = await server.vigil.app.inject({
      method: 'POST',
      url: `/api/orgs/${orgId}/test-change`,
      headers: { authorization: `Bearer ${apiTokens.accessToken}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a cookie refresh without the CSRF header, and rotates the cookies with it', async () => {
    const forged = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      headers: withCookies(),
      payload: {},
    });
    expect(forged.statusCode).toBe(403);

    const refreshed = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      headers: withCookies({ 'x-csrf-token': session.csrf }),
      payload: {},
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    // Browsers never see the tokens in a body.
    expect(refreshed.json()).not.toHaveProperty('accessToken');
    expect(refreshed.json()).not.toHaveProperty('refreshToken');
    const cookies = setCookiesOf(refreshed.headers);
    expect(cookies.get('vigil_refresh')?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies.get('vigil_refresh')?.value).not.toBe(session.refresh);
    expect(cookies.get('vigil_csrf')?.value).toBe(session.csrf);
    session = {
      ...session,
      access: cookies.get('vigil_access')?.value as string,
      refresh: cookies.get('vigil_refresh')?.value as string,
    };
  });

  it('refuses a cookie sign-out without the CSRF header and clears cookies on sign-out', async () => {
    const forged = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: withCookies(),
      payload: {},
    });
    expect(forged.statusCode).toBe(403);
    const signedOut = await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: withCookies({ 'x-csrf-token': session.csrf }),
      payload: {},
    });
    expect(signedOut.statusCode, signedOut.body).toBe(200);
    expect(signedOut.json()).toEqual({ sessionsEnded: 1 });
    const cleared = setCookiesOf(signedOut.headers);
    for (const name of ['vigil_access', 'vigil_refresh', 'vigil_csrf']) {
      expect(cleared.get(name)?.raw, name).toMatch(/Expires=Thu, 01 Jan 1970/);
    }
    const after = await server.vigil.app.inject({ method: 'GET', url: '/api/me/sessions', headers: withCookies() });
    expect(after.statusCode).toBe(401);
  });
});

describe(`cookie sessions behind TLS (${testDatabaseKind})`, () => {
  let server: SessionsTestServer;

  beforeAll(async () => {
    server = await startSessionsTestServer({ environment: { TRUST_PROXY: 'true' } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('marks cookies Secure with __Host-/__Secure- names, and ignores unprefixed cookies planted over HTTP', async () => {
    const userId = await server.createUser();
    const { cookies } = await browserSignIn(server, userId, { 'x-forwarded-proto': 'https' });
    const access = cookies.get('__Host-vigil_access');
    expect(access?.raw).toMatch(/Secure/);
    expect(cookies.get('__Secure-vigil_refresh')?.raw).toMatch(/Secure/);
    expect(cookies.get('__Host-vigil_csrf')?.raw).toMatch(/Secure/);
    expect(cookies.has('vigil_access')).toBe(false);

    const secure = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: { 'x-forwarded-proto': 'https', cookie: `__Host-vigil_access=${access?.value}` },
    });
    expect(secure.statusCode).toBe(200);
    // A cookie without the prefix could have been set by anyone on the network path: not read over TLS.
    const planted = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: { 'x-forwarded-proto': 'https', cookie: `vigil_access=${access?.value}` },
    });
    expect(planted.statusCode).toBe(401);
  });
});
