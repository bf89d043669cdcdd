// Attack: a forged or misdirected ID token — replayed from another sign-in (wrong nonce), minted by
// another issuer, issued to another client (wrong audience), expired, or signed with a key the
// provider never published. Each one must be refused before any account is looked up.
import { describe, expect, it } from 'vitest';
import type { OidcProviderBehaviour } from '../doubles/oidc-provider.ts';
import { useSsoTestServer } from '../../src/server/modules/identity/sso/sso.test-support.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';

const server = useSsoTestServer();

const forgeries: [string, OidcProviderBehaviour][] = [
  ['a nonce from another sign-in', { nonce: 'n'.repeat(43) }],
  ['another issuer', { issuer: 'https://evil.example' }],
  ['another audience', { audience: 'someone-elses-client' }],
  ['an expired token', { lifetimeSeconds: -3600 }],
  ['a key the provider never published', { foreignKey: true }],
];

describe(`SSO ID token forgery (${testDatabaseKind})`, () => {
  for (const [name, behaviour] of forgeries) {
    it(`refuses ${name}`, async () => {
      const s = server();
      const email = `forged.${name.replaceAll(' ', '-')}@example.com`;
      s.google.user = { sub: `forged-${name}`, email, email_verified: true };
      s.google.behaviour = behaviour;
      try {
        const response = await s.browser().signIn('google', s.google);
        expect(response.statusCode).toBe(401);
        expect(response.json().type).toBe('/problems/sso-response-invalid');
        expect(JSON.stringify(response.headers['set-cookie'] ?? [])).not.toMatch(/vigil_access/);
        expect(
          await s.testDatabase.adminQuery('SELECT 1 FROM users WHERE email_normalised = $1', [email]),
        ).toHaveLength(0);
      } finally {
        s.google.reset();
      }
    });
  }

  it('records refused callbacks in the audit log', async () => {
    const events = await server().audit('sso.signed_in');
    expect(events.filter((event) => event.outcome !== 'success').length).toBeGreaterThanOrEqual(forgeries.length);
  });
});
