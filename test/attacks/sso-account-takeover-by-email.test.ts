// Attack: someone who controls an identity at a provider that reports the victim's email (a
// provider that lets users pick any address, a recycled work account, a second provider the victim
// never used) signs in with it, hoping Vigil matches the email and hands over the victim's
// account. An email match alone never signs in or links: the existing account must prove control
// with its password — and its second factor when it has one — before the identity is linked.
import { describe, expect, it } from 'vitest';
import { PASSWORD, useSsoTestServer } from '../../src/server/modules/identity/sso/sso.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

const server = useSsoTestServer();

async function linksOf(userId: string) {
  return server().testDatabase.adminQuery('SELECT provider FROM user_identities WHERE user_id = $1', [userId]);
}

async function sessionsOf(userId: string) {
  return server().testDatabase.adminQuery('SELECT id FROM sessions WHERE user_id = $1', [userId]);
}

describe(`SSO account takeover by email match (${testDatabaseKind})`, () => {
  it('gives the attacker neither a session nor a link, and audits the refused takeover', async () => {
    const s = server();
    const { userId } = await s.createPasswordAccount('victim@example.com');
    s.acme.user = { sub: 'attacker-sub', email: 'VICTIM@example.com', email_verified: true };
    const response = await s.browser().signIn('acme', s.acme);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ outcome: string; accessToken?: string; linkToken: string }>();
    expect(body.outcome).toBe('link-required');
    expect(body.accessToken).toBeUndefined();
    expect(JSON.stringify(response.headers['set-cookie'] ?? [])).not.toMatch(/vigil_access|vigil_refresh/);
    expect(await linksOf(userId)).toHaveLength(0);
    expect(await sessionsOf(userId)).toHaveLength(0);
    const refused = (await s.audit('sso.takeover_refused')).filter((event) => event.actor_user_id === userId);
    expect(refused).toHaveLength(1);

    // Guessing the password through the link step is counted like sign-in and links nothing.
    for (const guess of ['password1234567', 'victim-example-123', 'letmein-letmein']) {
      const attempt = await s.inject({
        method: 'POST',
        url: '/api/auth/sso/link/complete',
        payload: { linkToken: body.linkToken, password: guess },
      });
      expect(attempt.statusCode).toBe(401);
    }
    expect(await linksOf(userId)).toHaveLength(0);
    expect(await sessionsOf(userId)).toHaveLength(0);
    const failures = (await s.audit('sso.identity_linked')).filter((event) => event.actor_user_id === userId);
    expect(failures.map((event) => event.outcome)).toEqual(['failure', 'failure', 'failure']);
  });

  it('does not link with the password alone when the account has MFA', async () => {
    const s = server();
    await s.createPasswordAccount('mfa.victim@example.com');
    const signIn = await s.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'mfa.victim@example.com', password: PASSWORD },
    });
    const { accessToken, user } = signIn.json<{ accessToken: string; user: { id: string } }>();
    const secret = await s.enrolTotp(accessToken);

    s.google.user = { sub: 'attacker-with-password', email: 'mfa.victim@example.com', email_verified: true };
    const pending = (await s.browser().signIn('google', s.google)).json<{
      linkToken: string;
      secondFactorRequired: boolean;
    }>();
    expect(pending.secondFactorRequired).toBe(true);
    const passwordOnly = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: PASSWORD },
    });
    expect(passwordOnly.statusCode).toBe(400);
    const wrongCode = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: PASSWORD, code: '000000' },
    });
    expect(wrongCode.json().type).toBe('/problems/invalid-mfa-code');
    expect(await linksOf(user.id)).toHaveLength(0);

    // The owner, with both factors, links it.
    const owner = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: PASSWORD, code: s.codeFor(secret) },
    });
    expect(owner.statusCode).toBe(200);
    expect(owner.json<{ outcome: string }>().outcome).toBe('signed-in');
    expect(await linksOf(user.id)).toEqual([{ provider: 'google' }]);
  });

  it('an identity already linked to one account cannot be linked to another', async () => {
    const s = server();
    s.acme.user = { sub: 'shared-sub', email: 'first.owner@example.com', email_verified: true };
    await s.browser().signIn('acme', s.acme);
    s.google.user = { sub: 'g-second-owner', email: 'second.owner@example.com', email_verified: true };
    const second = (await s.browser().signIn('google', s.google)).json<{ accessToken: string }>();
    const browser = s.browser();
    const started = await browser.request({
      method: 'POST',
      url: '/api/me/sso/acme/link',
      headers: { authorization: `Bearer ${second.accessToken}` },
      payload: {},
    });
    const back = await browser.atProvider(s.acme, started.json<{ authorizationUrl: string }>().authorizationUrl);
    const linked = await browser.callback('acme', back);
    expect(linked.statusCode).toBe(409);
    expect(linked.json().type).toBe('/problems/sso-identity-in-use');
  });
});
