// Single sign-on in a real browser (Debian's chromium) through the local OpenID Connect provider
// double: "Continue with Google" on the sign-in page → the provider → back to Vigil, signed in; the
// linked identity on the security page; and an email that already has a password account, which
// must confirm its password before the provider is linked. Vigil is served as `localhost` and the
// provider as `127.0.0.1`, so the return from the provider is a real cross-site navigation.
// Every page must load under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil, type Vigil } from '../../src/server/main.ts';
import { loadStaticFiles } from '../../src/server/platform/http/static-files.ts';
import { type OidcProviderDouble, startOidcProvider } from '../doubles/oidc-provider.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { createLogCapture } from '../helpers/test-vigil.ts';

const SCREENSHOTS = path.resolve('test-results/screenshots');
const PASSWORD = 'violet-harbour-lantern-1907';

let testDatabase: TestDatabase;
let vigil: Vigil;
let baseUrl: string;
let browser: Browser;
let google: OidcProviderDouble;
let acme: OidcProviderDouble;

beforeAll(async () => {
  const staticFiles = loadStaticFiles();
  if (!staticFiles.has('/index.html')) throw new Error('dist/web is not built: run `npm run build:web` first');
  mkdirSync(SCREENSHOTS, { recursive: true });
  google = await startOidcProvider({ clientId: 'google-e2e' });
  acme = await startOidcProvider({ clientId: 'acme-e2e' });
  testDatabase = await createTestDatabase();
  vigil = await createVigil({
    config: loadConfig({
      VIGIL_PROFILE: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      VIGIL_GOOGLE_CLIENT_ID: google.clientId,
      VIGIL_GOOGLE_CLIENT_SECRET: google.clientSecret,
      VIGIL_GOOGLE_ISSUER: google.issuer,
      VIGIL_OIDC_PROVIDERS: JSON.stringify([
        { id: 'acme', name: 'Acme ID', issuer: acme.issuer, clientId: acme.clientId, clientSecret: acme.clientSecret },
      ]),
      VIGIL_SSO_ALLOW_HTTP_ISSUERS: 'true',
    }),
    database: testDatabase.database,
    logDestination: createLogCapture().stream,
    worker: false,
    staticFiles,
  });
  baseUrl = (await vigil.listen()).replace('127.0.0.1', 'localhost');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await vigil?.close();
  await testDatabase?.close();
  await google?.close();
  await acme?.close();
});

type Problems = { consoleErrors: string[]; violations: string[] };

async function openContext(): Promise<{ context: BrowserContext; page: Page; problems: Problems }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const problems: Problems = { consoleErrors: [], violations: [] };
  await context.exposeFunction('__reportCspViolation', (text: string) => problems.violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(`pageerror: ${error.message}`));
  return { context, page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

describe('single sign-on in chromium', () => {
  it('continues with Google from the sign-in page and comes back signed in; the security page lists it', async () => {
    const { context, page, problems } = await openContext();
    const email = `grace.${randomUUID().slice(0, 8)}@example.com`;
    google.user = { sub: `g-${randomUUID()}`, email, email_verified: true, name: 'Grace Hopper' };

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
    const email = `alan.${randomUUID().slice(0, 8)}@example.com`;
    const signUp = await page.request.post(`${baseUrl}/api/auth/sign-up`, {
      data: { email, password: PASSWORD, displayName: 'Alan Turing' },
    });
    expect(signUp.status()).toBe(202);
    await vigil.identity.flush();
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
