// Single sign-on in a real browser (Debian's chromium) through the local OpenID Connect provider
// double: "Continue with Google" on the sign-in page → the provider → back to Vigil, signed in; the
// linked identity on the security page; and an email that already has a password account, which
// must confirm its password before the provider is linked. Vigil is served as `localhost` and the
// provider as `127.0.0.1`, so the return from the provider is a real cross-site navigation.
// Every page must load under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcProviderDouble, startOidcProvider } from '../doubles/oidc-provider.ts';
import {
  type BrowserHarness,
  openContext as openBrowserContext,
  screenshot,
  startBrowserHarness,
} from './support/browser-harness.ts';
import { displayNameFor } from './support/display-name.ts';

const PASSWORD = 'violet-harbour-lantern-1907';

let harness: BrowserHarness;
let baseUrl: string;
let google: OidcProviderDouble;
let acme: OidcProviderDouble;

beforeAll(async () => {
  google = await startOidcProvider({ clientId: 'google-e2e' });
  acme = await startOidcProvider({ clientId: 'acme-e2e' });
  harness = await startBrowserHarness({
    hostname: 'localhost',
    environment: {
      VIGIL_GOOGLE_CLIENT_ID: google.clientId,
      VIGIL_GOOGLE_CLIENT_SECRET: google.clientSecret,
      VIGIL_GOOGLE_ISSUER: google.issuer,
      VIGIL_OIDC_PROVIDERS: JSON.stringify([
        { id: 'acme', name: 'Acme ID', issuer: acme.issuer, clientId: acme.clientId, clientSecret: acme.clientSecret },
      ]),
      VIGIL_SSO_ALLOW_HTTP_ISSUERS: 'true',
    },
  });
  ({ baseUrl } = harness);
});

afterAll(async () => {
  await harness?.close();
  await google?.close();
  await acme?.close();
});

const openContext = () => openBrowserContext(harness.browser);

describe('single sign-on in chromium', () => {
  it('continues with Google from the sign-in page and comes back signed in; the security page lists it', async () => {
    const { context, page, problems } = await openContext();
    const email = `grace.hopper.${randomUUID().slice(0, 8)}@example.com`;
    google.user = { sub: `g-${randomUUID()}`, email, email_verified: true, name: displayNameFor(email) };

    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await page.getByTestId('sso-google').waitFor();
    await expect(page.getByTestId('sso-acme').textContent()).resolves.toContain('Continue with Acme ID');
    await screenshot(page, 'sso-01-sign-in-with-providers');

    await page.getByTestId('sso-google').click();
    // Provider → /sso/google/callback → the overview, signed in.
    await page.waitForURL((url) => url.origin === baseUrl && url.pathname === '/', { timeout: 20_000 });
    await page.getByTestId('user-button').waitFor();
    await screenshot(page, 'sso-02-signed-in');

    await page.goto(`${baseUrl}/account/security`, { waitUntil: 'networkidle' });
    await page.getByTestId('linked-google').waitFor();
    await expect(page.getByTestId('linked-google').textContent()).resolves.toContain(email);
    await page.getByTestId('unlinked-acme').waitFor();
    await screenshot(page, 'sso-03-security-linked-identities');

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });

  it('asks an existing password account for its password before linking the provider', async () => {
    const { context, page, problems } = await openContext();
    const email = `alan.turing.${randomUUID().slice(0, 8)}@example.com`;
    const signUp = await page.request.post(`${baseUrl}/api/auth/sign-up`, {
      data: { email, password: PASSWORD, displayName: displayNameFor(email) },
    });
    expect(signUp.status()).toBe(202);
    await harness.vigil.identity.flush();
    const outbox = (await (await page.request.get(`${baseUrl}/api/dev/outbox`)).json()) as {
      items: { to: string; text: string }[];
    };
    const token = /#token=([\w-]+)/.exec(outbox.items.find((item) => item.to === email)?.text ?? '')?.[1];
    expect((await page.request.post(`${baseUrl}/api/auth/verify-email`, { data: { token } })).status()).toBe(200);

    acme.user = { sub: `acme-${randomUUID()}`, email, email_verified: true, name: 'Alan Turing' };
    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await page.getByTestId('sso-acme').click();
    await page.getByTestId('sso-link-step').waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'sso-04-link-existing-account');

    await page.getByTestId('sso-link-password').fill('not-my-password-at-all');
    await page.getByTestId('sso-link-submit').click();
    await page.getByText('That’s not the password of this account.').waitFor();
    await page.getByTestId('sso-link-password').fill(PASSWORD);
    await page.getByTestId('sso-link-submit').click();
    await page.waitForURL((url) => url.pathname === '/', { timeout: 20_000 });
    await page.getByTestId('user-button').waitFor();

    await page.goto(`${baseUrl}/account/security`, { waitUntil: 'networkidle' });
    await page.getByTestId('linked-acme').waitFor();
    // A failed password answer is a 401 the browser logs as a failed resource load; nothing else.
    expect(problems.violations).toEqual([]);
    expect(problems.consoleErrors.filter((line) => !/status of 401/.test(line))).toEqual([]);
    await context.close();
  });
});
