// Attack: someone holding a platform admin's password (or SSO account) signs in before the admin
// ever set up MFA, hoping to reach platform power with one factor. Platform admins must use MFA on
// every sign-in path: without an enrolled authenticator, the sign-in challenge reaches nothing but
// enrolment, and a challenge for an account that has MFA can never enrol another authenticator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MfaTestServer,
  startMfaTestServer,
} from '../../src/server/modules/identity/mfa/test-doubles/start-mfa-test-server.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

let server: MfaTestServer;

beforeAll(async () => {
  server = await startMfaTestServer();
});

afterAll(async () => {
  await server?.close();
});

const ENROLMENT_URLS = new Set(['/api/auth/mfa/enrol', '/api/auth/mfa/enrol/confirm']);

async function adminChallenge(firstFactor: 'pwd' | 'sso' = 'pwd') {
  const admin = await server.createUser({ platformAdmin: true });
  expect(await server.secondFactor.required(admin.id)).toEqual({ required: true, enrolled: false });
  const { challengeToken, expiresAt } = await server.secondFactor.createChallenge({
    userId: admin.id,
    ip: null,
    userAgent: null,
    firstFactor,
  });
  return { admin, challengeToken, expiresAt };
}

describe(`platform admin without MFA (${testDatabaseKind})`, () => {
  it('needs MFA even with no authenticator enrolled; sign-in yields an enrolment-only challenge', async () => {
    const { expiresAt } = await adminChallenge();
    // Long enough to install an app and scan a QR code.
    expect(expiresAt.getTime() - server.clock.now().getTime()).toBe(15 * 60_000);
  });

  it('every MFA route other than enrolment refuses the challenge, in the body or as a bearer token', async () => {
    const { challengeToken } = await adminChallenge();
    const mfaRoutes = server.vigil.routes.filter(
      (route) => route.tags.includes('mfa') && !ENROLMENT_URLS.has(route.url),
    );
    expect(mfaRoutes.length).toBeGreaterThanOrEqual(7);
    const before = server.fake.started.length;
    for (const route of mfaRoutes) {
      const response = await server.inject({
        method: route.method,
        url: route.url,
        headers: { authorization: `Bearer ${challengeToken}` },
        ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: { challengeToken, code: '123456' } }),
      });
      expect([401, 403], `${route.method} ${route.url}`).toContain(response.statusCode);
    }
    for (const factor of [{ code: '123456' }, { recoveryCode: 'abcd-efgh-jkmn' }]) {
      const verify = await server.inject({
        method: 'POST',
        url: '/api/auth/mfa/verify',
        payload: { challengeToken, ...factor },
      });
      expect(verify.statusCode).toBe(403);
      expect(verify.json().type).toBe('/problems/mfa-enrolment-required');
    }
    expect(server.fake.started.length).toBe(before);
  });

  it('can enrol with the challenge, which then starts the session with otp (once)', async () => {
    const { admin, challengeToken } = await adminChallenge();
    const enrol = await server.inject({ method: 'POST', url: '/api/auth/mfa/enrol', payload: { challengeToken } });
    expect(enrol.statusCode).toBe(201);
    const { secretBase32 } = enrol.json<{ secretBase32: string }>();
    // Still no session and still not enrolled: the pending secret is nothing yet.
    expect(await server.secondFactor.required(admin.id)).toEqual({ required: true, enrolled: false });

    const wrong = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      payload: { challengeToken, code: server.codeFor(secretBase32) === '000000' ? '111111' : '000000' },
    });
    expect(wrong.statusCode).toBe(400);

    const confirm = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      payload: { challengeToken, code: server.codeFor(secretBase32) },
    });
    expect(confirm.statusCode).toBe(200);
    const body = confirm.json<{ recoveryCodes: string[]; session: { accessToken: string } }>();
    expect(body.recoveryCodes).toHaveLength(10);
    expect(body.session.accessToken).toMatch(/^fake-access-/);
    expect(server.fake.started.at(-1)).toMatchObject({ userId: admin.id, amr: ['pwd', 'otp'] });
    expect(server.fake.revocations.at(-1)).toEqual({ userId: admin.id, exceptSessionId: null, reason: 'mfa.enrolled' });
    expect(await server.secondFactor.required(admin.id)).toEqual({ required: true, enrolled: true });

    // The challenge is spent: neither enrolment route accepts it again.
    server.clock.advance(30_000);
    for (const url of ENROLMENT_URLS) {
      const again = await server.inject({
        method: 'POST',
        url,
        payload: { challengeToken, code: server.codeFor(secretBase32) },
      });
      expect(again.statusCode, url).toBe(401);
    }
    // The next sign-in is an ordinary verification.
    const next = await server.secondFactor.createChallenge({ userId: admin.id, ip: null, userAgent: null });
    const verify = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken: next.challengeToken, code: server.codeFor(secretBase32) },
    });
    expect(verify.statusCode).toBe(200);
  });

  it('applies to the SSO path too: amr sso+otp', async () => {
    const { challengeToken } = await adminChallenge('sso');
    const { secretBase32 } = (
      await server.inject({ method: 'POST', url: '/api/auth/mfa/enrol', payload: { challengeToken } })
    ).json<{ secretBase32: string }>();
    const confirm = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      payload: { challengeToken, code: server.codeFor(secretBase32) },
    });
    expect(confirm.statusCode).toBe(200);
    expect(server.fake.started.at(-1)?.amr).toEqual(['sso', 'otp']);
  });

  it('refuses an expired enrolment challenge', async () => {
    const { challengeToken } = await adminChallenge();
    server.clock.advance(15 * 60_000);
    const enrol = await server.inject({ method: 'POST', url: '/api/auth/mfa/enrol', payload: { challengeToken } });
    expect(enrol.statusCode).toBe(401);
  });

  it('a password-only attacker of an account WITH MFA cannot enrol their own authenticator', async () => {
    const { user, secretBase32 } = await server.enrolUser({ platformAdmin: true });
    const { challengeToken } = await server.secondFactor.createChallenge({
      userId: user.id,
      ip: null,
      userAgent: null,
    });
    const enrol = await server.inject({ method: 'POST', url: '/api/auth/mfa/enrol', payload: { challengeToken } });
    expect(enrol.statusCode).toBe(401);
    expect(enrol.json().type).toBe('/problems/mfa-challenge-invalid');
    const confirm = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      payload: { challengeToken, code: '123456' },
    });
    expect(confirm.statusCode).toBe(401);
    // The victim's authenticator still works.
    const verify = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken, code: server.codeFor(secretBase32) },
    });
    expect(verify.statusCode).toBe(200);
  });

  it('an enrolment challenge cannot enrol once the account has MFA (enrolled meanwhile elsewhere)', async () => {
    const { admin, challengeToken } = await adminChallenge();
    // The admin enrols through another route (e.g. an earlier challenge) before this one is used.
    const { headers } = await server.fake.signIn(admin.id, ['pwd']);
    const { secretBase32 } = (await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers })).json<{
      secretBase32: string;
    }>();
    await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    const enrol = await server.inject({ method: 'POST', url: '/api/auth/mfa/enrol', payload: { challengeToken } });
    expect(enrol.statusCode).toBe(409);
  });
});
