// Test support (not a test file): a full Vigil (real sessions, MFA, accounts) whose SSO providers
// are local OpenID Connect doubles (test/doubles/oidc-provider.ts), and a scripted browser that
// walks the redirect dance: start → provider /authorize → callback.
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { type OidcProviderDouble, startOidcProvider } from '../../../../../test/doubles/oidc-provider.ts';
import { startTestVigil, type TestVigil } from '../../../../../test/helpers/test-vigil.ts';
import { totpCodeAt } from '../mfa/totp-code.ts';

export const PASSWORD = 'violet-harbour-compass-77';

export type InjectResponse = LightMyRequestResponse;

export type SsoTestServer = TestVigil & {
  /** Google's double (issuer overridden to it) and a second, generic OIDC provider ("Acme ID"). */
  google: OidcProviderDouble;
  acme: OidcProviderDouble;
  inject(options: InjectOptions): Promise<InjectResponse>;
  /** A browser: its cookies (the SSO binding cookie) persist across calls. */
  browser(): SsoBrowser;
  /** A verified password account, signed up and verified through the API. */
  createPasswordAccount(email: string): Promise<{ userId: string }>;
  /** Enrols TOTP for a signed-in user (bearer access token); returns the base32 secret. */
  enrolTotp(accessToken: string): Promise<string>;
  codeFor(secretBase32: string): string;
  audit(
    action: string,
  ): Promise<{ actor_user_id: string | null; outcome: string; metadata: Record<string, unknown> }[]>;
};

export type SsoBrowser = {
  cookies: Map<string, string>;
  /** POST /api/auth/sso/:provider/start; returns the authorization URL. */
  start(provider: string): Promise<string>;
  /** The provider's redirect back for an authorization URL (code + state, or error). */
  atProvider(double: OidcProviderDouble, authorizationUrl: string): Promise<URL>;
  /** Posts a provider's answer (the redirect's query string) to the callback route. */
  callback(provider: string, back: URL): Promise<InjectResponse>;
  /** start → provider → callback in one go. */
  signIn(provider: string, double: OidcProviderDouble): Promise<InjectResponse>;
  request(options: InjectOptions): Promise<InjectResponse>;
};

/** Registers beforeAll/afterAll and returns a getter for the server. */
export function useSsoTestServer(): () => SsoTestServer {
  let server: SsoTestServer | null = null;
  let google: OidcProviderDouble | null = null;
  let acme: OidcProviderDouble | null = null;
  beforeAll(async () => {
    let current: TestVigil | null = null;
    const clockNow = () => (current ? current.clock.now().getTime() : Date.now());
    google = await startOidcProvider({ clientId: 'google-client', now: clockNow });
    acme = await startOidcProvider({ clientId: 'acme-client', now: clockNow });
    const base = await startTestVigil({
      environment: {
        BCRYPT_COST: '10',
        VIGIL_PUBLIC_URL: 'https://vigil.test',
        VIGIL_GOOGLE_CLIENT_ID: google.clientId,
        VIGIL_GOOGLE_CLIENT_SECRET: google.clientSecret,
        VIGIL_GOOGLE_ISSUER: google.issuer,
        VIGIL_OIDC_PROVIDERS: JSON.stringify([
          {
            id: 'acme',
            name: 'Acme ID',
            issuer: acme.issuer,
            clientId: acme.clientId,
            clientSecret: acme.clientSecret,
          },
        ]),
        VIGIL_SSO_ALLOW_HTTP_ISSUERS: 'true',
      },
      authenticate: (request) => (current as TestVigil).vigil.identity.sessions.authenticate(request),
      rateLimitStore: {
        kind: 'memory',
        take: async (_key, policy) => ({ allowed: true, remaining: policy.capacity, retryAfterMs: 0, resetMs: 0 }),
        healthy: () => true,
        close: async () => {},
      },
    });
    current = base;
    server = extend(base, google, acme);
  });
  afterAll(async () => {
    await server?.close();
    await google?.close();
    await acme?.close();
  });
  return () => {
    if (!server) throw new Error('the SSO test server is not started');
    return server;
  };
}

function extend(base: TestVigil, google: OidcProviderDouble, acme: OidcProviderDouble): SsoTestServer {
  const inject: SsoTestServer['inject'] = (options) => base.vigil.app.inject(options);

  function browser(): SsoBrowser {
    const cookies = new Map<string, string>();
    const request: SsoBrowser['request'] = async (options) => {
      const cookieHeader = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const response = await inject({
        ...options,
        headers: { ...(options.headers ?? {}), ...(cookieHeader ? { cookie: cookieHeader } : {}) },
      });
      for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
        const expired = cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() <= Date.now());
        if (expired || cookie.value === '') cookies.delete(cookie.name);
        else cookies.set(cookie.name, cookie.value);
      }
      return response;
    };
    const self: SsoBrowser = {
      cookies,
      request,
      async start(provider) {
        const response = await request({ method: 'POST', url: `/api/auth/sso/${provider}/start` });
        if (response.statusCode !== 200) throw new Error(`start answered ${response.statusCode}: ${response.body}`);
        return response.json<{ authorizationUrl: string }>().authorizationUrl;
      },
      atProvider: (double, authorizationUrl) => double.authorize(authorizationUrl),
      callback: (provider, back) =>
        request({ method: 'POST', url: `/api/auth/sso/${provider}/callback`, payload: { search: back.search } }),
      async signIn(provider, double) {
        const url = await self.start(provider);
        return self.callback(provider, await self.atProvider(double, url));
      },
    };
    return self;
  }

  return {
    ...base,
    google,
    acme,
    inject,
    browser,
    async createPasswordAccount(email) {
      const signUp = await inject({ method: 'POST', url: '/api/auth/sign-up', payload: { email, password: PASSWORD } });
      if (signUp.statusCode !== 202) throw new Error(`sign-up answered ${signUp.statusCode}`);
      await base.vigil.identity.flush();
      const outbox = (await inject({ method: 'GET', url: '/api/dev/outbox' })).json<{
        items: { to: string; text: string }[];
      }>();
      const mail = outbox.items.find((item) => item.to === email);
      const token = /#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
      const verified = await inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
      if (verified.statusCode !== 200) throw new Error(`verify answered ${verified.statusCode}`);
      const [row] = await base.testDatabase.adminQuery<{ id: string }>(
        'SELECT id FROM users WHERE email_normalised = $1',
        [email.toLowerCase()],
      );
      return { userId: (row as { id: string }).id };
    },
    async enrolTotp(accessToken) {
      const headers = { authorization: `Bearer ${accessToken}` };
      const started = await inject({ method: 'POST', url: '/api/me/mfa/totp', headers });
      const { secretBase32 } = started.json<{ secretBase32: string }>();
      const confirmed = await inject({
        method: 'POST',
        url: '/api/me/mfa/totp/confirm',
        headers,
        payload: { code: totpCodeAt({ secretBase32, time: base.clock.now() }) },
      });
      if (confirmed.statusCode !== 200) throw new Error(`confirm answered ${confirmed.statusCode}: ${confirmed.body}`);
      // The next code must be a later TOTP step (each step works once).
      base.clock.advance(30_000);
      return secretBase32;
    },
    codeFor: (secretBase32) => totpCodeAt({ secretBase32, time: base.clock.now() }),
    audit: (action) =>
      base.testDatabase.adminQuery(
        'SELECT actor_user_id, outcome, metadata FROM audit_events WHERE action = $1 ORDER BY seq',
        [action],
      ),
  };
}
