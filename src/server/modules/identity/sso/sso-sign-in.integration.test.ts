// Sign in with Google / OpenID Connect against local provider doubles: new accounts, returning
// users, linking an existing account only after it proves control, verified email only, MFA after
// SSO, and linked identities on the security page.
import { getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { loadConfig } from '../../../config.ts';
import { notSecretColumns, sealedColumns } from '../../../platform/crypto/sealed-columns.ts';
import { PASSWORD, useSsoTestServer } from './sso.test-support.ts';
import { ssoTables } from './sso-tables.ts';

const server = useSsoTestServer();

type SignedIn = { outcome: 'signed-in'; accessToken: string; user: { id: string; email: string } };

function accessClaims(accessToken: string): { sub: string; amr: string[] } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe(`SSO sign-in (${testDatabaseKind})`, () => {
  it('declares drizzle tables matching migration 0008 and seals the verifier and nonce', async () => {
    for (const table of Object.values(ssoTables)) {
      const config = getTableConfig(table);
      const columns = await server().testDatabase.adminQuery<{ column_name: string; is_nullable: string }>(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [config.name],
      );
      expect(
        config.columns
          .map((column) => ({ name: column.name, nullable: !column.notNull }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        config.name,
      ).toEqual(columns.map((column) => ({ name: column.column_name, nullable: column.is_nullable === 'YES' })));
    }
    const sealed = sealedColumns.map((column) => `${column.table}.${column.column}`);
    expect(sealed).toEqual(expect.arrayContaining(['sso_attempts.code_verifier_sealed', 'sso_attempts.nonce_sealed']));
    expect(notSecretColumns['sso_pending_links.token_hash']).toBeDefined();
  });

  it('lists the configured providers publicly', async () => {
    const response = await server().inject({ method: 'GET', url: '/api/auth/sso/providers' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        { id: 'google', name: 'Google', kind: 'google' },
        { id: 'acme', name: 'Acme ID', kind: 'oidc' },
      ],
    });
  });

  it('sends the browser to the provider with code + PKCE S256 + state + nonce and a binding cookie', async () => {
    const browser = server().browser();
    const url = new URL(await browser.start('google'));
    expect(url.origin).toBe(server().google.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe('https://vigil.test/sso/google/callback');
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(browser.cookies.get('vigil_sso')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [attempt] = await server().testDatabase.adminQuery<Record<string, string>>(
      'SELECT * FROM sso_attempts ORDER BY created_at DESC LIMIT 1',
    );
    // Nothing usable in a dump: state and binding hashed, verifier and nonce sealed.
    expect(JSON.stringify(attempt)).not.toContain(url.searchParams.get('state'));
    expect(JSON.stringify(attempt)).not.toContain(url.searchParams.get('nonce'));
    expect(JSON.stringify(attempt)).not.toContain(browser.cookies.get('vigil_sso'));
  });

  it('creates a verified account without a password for a new email and signs it in (amr sso)', async () => {
    const s = server();
    s.google.user = { sub: 'g-new-1', email: 'New.Person@Example.com', email_verified: true, name: 'New Person' };
    const response = await s.browser().signIn('google', s.google);
    expect(response.statusCode).toBe(200);
    const body = response.json<SignedIn>();
    expect(body.outcome).toBe('signed-in');
    expect(body.user).toMatchObject({ email: 'New.Person@Example.com', emailVerified: true, platformAdmin: false });
    expect(accessClaims(body.accessToken).amr).toEqual(['sso']);
    expect(response.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/^vigil_access=/)]));
    const me = await s.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: `Bearer ${body.accessToken}` },
    });
    expect(me.statusCode).toBe(200);
    const [row] = await s.testDatabase.adminQuery<{ verified: boolean; has_password: boolean; display_name: string }>(
      `SELECT email_verified_at IS NOT NULL AS verified, display_name,
              EXISTS (SELECT 1 FROM password_credentials p WHERE p.user_id = u.id) AS has_password
         FROM users u WHERE id = $1`,
      [body.user.id],
    );
    expect(row).toEqual({ verified: true, has_password: false, display_name: 'New Person' });
    const signedUp = (await s.audit('account.signed_up')).filter((event) => event.actor_user_id === body.user.id);
    expect(signedUp[0]?.metadata).toEqual({ method: 'sso', provider: 'google' });
    const signedIn = (await s.audit('sso.signed_in')).filter((event) => event.actor_user_id === body.user.id);
    expect(signedIn[0]).toMatchObject({
      outcome: 'success',
      metadata: { provider: 'google', result: 'account-created' },
    });
  });

  it('signs a returning linked user into the same account, whatever email the provider now reports', async () => {
    const s = server();
    s.acme.user = { sub: 'acme-42', email: 'returning@example.com', email_verified: true };
    const first = (await s.browser().signIn('acme', s.acme)).json<SignedIn>();
    s.acme.user = { sub: 'acme-42', email: 'renamed@example.com', email_verified: true };
    const second = await s.browser().signIn('acme', s.acme);
    expect(second.statusCode).toBe(200);
    expect(second.json<SignedIn>().user.id).toBe(first.user.id);
    const [count] = await s.testDatabase.adminQuery<{ n: string }>(
      "SELECT count(*)::text AS n FROM users WHERE email_normalised IN ('returning@example.com', 'renamed@example.com')",
    );
    expect(count?.n).toBe('1');
  });

  it('reads the email from UserInfo when the ID token does not carry it', async () => {
    const s = server();
    s.acme.user = { sub: 'acme-userinfo', email: 'userinfo@example.com', email_verified: true };
    s.acme.behaviour = { emailOnlyInUserInfo: true };
    try {
      const response = await s.browser().signIn('acme', s.acme);
      expect(response.statusCode).toBe(200);
      expect(response.json<SignedIn>().user.email).toBe('userinfo@example.com');
    } finally {
      s.acme.reset();
    }
  });

  it('refuses an email the provider has not verified, creating nothing', async () => {
    const s = server();
    for (const emailVerified of [false, 'true', undefined]) {
      s.google.user = {
        sub: `g-unverified-${String(emailVerified)}`,
        email: 'unverified@example.com',
        email_verified: emailVerified,
      };
      const response = await s.browser().signIn('google', s.google);
      expect(response.statusCode).toBe(403);
      expect(response.json().type).toBe('/problems/sso-email-unverified');
    }
    const rows = await s.testDatabase.adminQuery(
      "SELECT 1 FROM users WHERE email_normalised = 'unverified@example.com'",
    );
    expect(rows).toHaveLength(0);
    const identities = await s.testDatabase.adminQuery(
      "SELECT 1 FROM user_identities WHERE email = 'unverified@example.com'",
    );
    expect(identities).toHaveLength(0);
  });

  it('links an email-matching password account only after its password, then signs it in', async () => {
    const s = server();
    const { userId } = await s.createPasswordAccount('existing@example.com');
    s.google.user = { sub: 'g-existing', email: 'existing@example.com', email_verified: true };
    const callback = await s.browser().signIn('google', s.google);
    expect(callback.statusCode).toBe(200);
    const pending = callback.json<{ outcome: string; linkToken: string; email: string; hasPassword: boolean }>();
    expect(pending).toMatchObject({ outcome: 'link-required', email: 'existing@example.com', hasPassword: true });
    expect(callback.headers['set-cookie'] ?? []).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^vigil_access=/)]),
    );
    expect(await s.testDatabase.adminQuery('SELECT 1 FROM user_identities WHERE user_id = $1', [userId])).toHaveLength(
      0,
    );
    const refused = (await s.audit('sso.takeover_refused')).filter((event) => event.actor_user_id === userId);
    expect(refused[0]).toMatchObject({ outcome: 'denied', metadata: { provider: 'google' } });

    const wrong = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: 'not-the-password-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('/problems/invalid-credentials');
    expect(await s.testDatabase.adminQuery('SELECT 1 FROM user_identities WHERE user_id = $1', [userId])).toHaveLength(
      0,
    );

    const right = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: PASSWORD },
    });
    expect(right.statusCode).toBe(200);
    const session = right.json<SignedIn>();
    expect(session.user.id).toBe(userId);
    expect(accessClaims(session.accessToken).amr).toEqual(['pwd', 'sso']);
    expect(await s.testDatabase.adminQuery('SELECT 1 FROM user_identities WHERE user_id = $1', [userId])).toHaveLength(
      1,
    );

    // Single use.
    const again = await s.inject({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      payload: { linkToken: pending.linkToken, password: PASSWORD },
    });
    expect(again.json().type).toBe('/problems/sso-link-invalid');

    // From now on the identity signs in directly.
    const next = await s.browser().signIn('google', s.google);
    expect(next.json<SignedIn>()).toMatchObject({ outcome: 'signed-in', user: { id: userId } });
  });

  it('puts a user with MFA through the MFA challenge after SSO; the session then has sso + otp', async () => {
    const s = server();
    s.acme.user = { sub: 'acme-mfa', email: 'mfa.user@example.com', email_verified: true };
    const first = (await s.browser().signIn('acme', s.acme)).json<SignedIn>();
    const secret = await s.enrolTotp(first.accessToken);

    const second = await s.browser().signIn('acme', s.acme);
    const challenge = second.json<{ outcome: string; challengeToken: string; enrolmentRequired: boolean }>();
    expect(challenge).toMatchObject({ outcome: 'mfa-required', mfaRequired: true, enrolmentRequired: false });
    expect(second.headers['set-cookie'] ?? []).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^vigil_access=/)]),
    );
    const verified = await s.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken: challenge.challengeToken, code: s.codeFor(secret) },
    });
    expect(verified.statusCode).toBe(200);
    expect(accessClaims(verified.json<{ accessToken: string }>().accessToken).amr).toEqual(['sso', 'otp']);
  });

  it('lets a platform admin without MFA reach only enrolment after SSO', async () => {
    const s = server();
    s.acme.user = { sub: 'acme-admin', email: 'platform.admin@example.com', email_verified: true };
    const first = (await s.browser().signIn('acme', s.acme)).json<SignedIn>();
    await s.testDatabase.adminQuery('UPDATE users SET platform_admin = true WHERE id = $1', [first.user.id]);

    const response = await s.browser().signIn('acme', s.acme);
    const challenge = response.json<{ outcome: string; challengeToken: string; enrolmentRequired: boolean }>();
    expect(challenge).toMatchObject({ outcome: 'mfa-required', enrolmentRequired: true });
    const verify = await s.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken: challenge.challengeToken, code: '123456' },
    });
    expect(verify.statusCode).toBe(403);
    expect(verify.json().type).toBe('/problems/mfa-enrolment-required');
    const enrol = await s.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol',
      payload: { challengeToken: challenge.challengeToken },
    });
    expect(enrol.statusCode).toBe(201);
    const { secretBase32 } = enrol.json<{ secretBase32: string }>();
    const confirmed = await s.inject({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      payload: { challengeToken: challenge.challengeToken, code: s.codeFor(secretBase32) },
    });
    expect(confirmed.statusCode).toBe(200);
    const tokens = confirmed.json<{ session: { accessToken: string } }>().session;
    expect(accessClaims(tokens.accessToken).amr).toEqual(['sso', 'otp']);
  });

  it('lists linked identities, links another provider from the security page and unlinks (never the last)', async () => {
    const s = server();
    s.google.user = { sub: 'g-manage', email: 'manage@example.com', email_verified: true };
    const signedIn = (await s.browser().signIn('google', s.google)).json<SignedIn>();
    const bearer = { authorization: `Bearer ${signedIn.accessToken}` };

    const listed = await s.inject({ method: 'GET', url: '/api/me/sso/identities', headers: bearer });
    const list = listed.json<{
      hasPassword: boolean;
      items: { id: string; provider: { id: string }; email: string }[];
    }>();
    expect(list.hasPassword).toBe(false);
    expect(list.items).toMatchObject([{ provider: { id: 'google' }, email: 'manage@example.com' }]);

    const last = await s.inject({
      method: 'DELETE',
      url: `/api/me/sso/identities/${list.items[0]?.id}`,
      headers: bearer,
    });
    expect(last.statusCode).toBe(409);
    expect(last.json().type).toBe('/problems/sso-last-sign-in-method');

    // Link Acme from the security page: the same browser starts and completes.
    const browser = s.browser();
    const started = await browser.request({
      method: 'POST',
      url: '/api/me/sso/acme/link',
      headers: bearer,
      payload: {},
    });
    expect(started.statusCode).toBe(200);
    s.acme.user = { sub: 'acme-manage', email: 'manage.work@example.com', email_verified: true };
    const back = await browser.atProvider(s.acme, started.json<{ authorizationUrl: string }>().authorizationUrl);
    const linked = await browser.callback('acme', back);
    expect(linked.statusCode).toBe(200);
    expect(linked.json()).toEqual({ outcome: 'linked', provider: { id: 'acme', name: 'Acme ID', kind: 'oidc' } });
    const linkedEvents = (await s.audit('sso.identity_linked')).filter(
      (event) => event.actor_user_id === signedIn.user.id,
    );
    expect(linkedEvents).toHaveLength(1);

    // Acme now signs in to the same account.
    const viaAcme = await s.browser().signIn('acme', s.acme);
    expect(viaAcme.json<SignedIn>().user.id).toBe(signedIn.user.id);

    const unlinked = await s.inject({
      method: 'DELETE',
      url: `/api/me/sso/identities/${list.items[0]?.id}`,
      headers: bearer,
    });
    expect(unlinked.statusCode).toBe(200);
    expect(unlinked.json<{ items: { provider: { id: string } }[] }>().items.map((item) => item.provider.id)).toEqual([
      'acme',
    ]);
    const events = (await s.audit('sso.identity_unlinked')).filter((event) => event.actor_user_id === signedIn.user.id);
    expect(events.map((event) => event.outcome)).toEqual(['failure', 'success']);
    expect(events[1]?.metadata).toMatchObject({ provider: 'google' });
  });

  it('asks a password account for its password before it links a provider', async () => {
    const s = server();
    await s.createPasswordAccount('linker@example.com');
    const signIn = await s.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'linker@example.com', password: PASSWORD },
    });
    const bearer = { authorization: `Bearer ${signIn.json<{ accessToken: string }>().accessToken}` };
    const without = await s.inject({ method: 'POST', url: '/api/me/sso/google/link', headers: bearer, payload: {} });
    expect(without.statusCode).toBe(400);
    const wrong = await s.inject({
      method: 'POST',
      url: '/api/me/sso/google/link',
      headers: bearer,
      payload: { password: 'definitely-not-it-123' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await s.inject({
      method: 'POST',
      url: '/api/me/sso/google/link',
      headers: bearer,
      payload: { password: PASSWORD },
    });
    expect(right.statusCode).toBe(200);
  });

  it('answers unknown providers with 404', async () => {
    const response = await server().inject({ method: 'POST', url: '/api/auth/sso/nope/start' });
    expect(response.statusCode).toBe(404);
    expect(response.json().type).toBe('/problems/sso-provider-unknown');
  });
});

describe('SSO configuration', () => {
  const base = { VIGIL_PROFILE: 'test' };
  it('reads Google and OIDC providers, with Google issuer by default', () => {
    const config = loadConfig({
      ...base,
      VIGIL_GOOGLE_CLIENT_ID: 'id',
      VIGIL_GOOGLE_CLIENT_SECRET: 'secret',
      VIGIL_OIDC_PROVIDERS: JSON.stringify([
        { id: 'okta', name: 'Okta', issuer: 'https://example.okta.com', clientId: 'c', clientSecret: 's' },
      ]),
    });
    expect(config.sso.providers.map((provider) => [provider.id, provider.issuer])).toEqual([
      ['google', 'https://accounts.google.com'],
      ['okta', 'https://example.okta.com'],
    ]);
  });

  it('refuses half a Google configuration, bad JSON, duplicate ids and http issuers without the opt-in', () => {
    expect(() => loadConfig({ ...base, VIGIL_GOOGLE_CLIENT_ID: 'id' })).toThrow(/VIGIL_GOOGLE_CLIENT_SECRET/);
    expect(() => loadConfig({ ...base, VIGIL_OIDC_PROVIDERS: '[' })).toThrow(/JSON array/);
    const provider = { id: 'x', name: 'X', issuer: 'https://x.example', clientId: 'c', clientSecret: 's' };
    expect(() => loadConfig({ ...base, VIGIL_OIDC_PROVIDERS: JSON.stringify([provider, provider]) })).toThrow(/twice/);
    expect(() =>
      loadConfig({ ...base, VIGIL_OIDC_PROVIDERS: JSON.stringify([{ ...provider, issuer: 'http://x.example' }]) }),
    ).toThrow(/https/);
  });

  it('refuses http issuers in production even when asked', () => {
    expect(() =>
      loadConfig({
        VIGIL_PROFILE: 'production',
        VIGIL_SSO_ALLOW_HTTP_ISSUERS: 'true',
      }),
    ).toThrow(/VIGIL_SSO_ALLOW_HTTP_ISSUERS/);
  });
});
