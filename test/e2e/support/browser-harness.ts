// What the browser tests share: a real Vigil on a free port (test profile, PGlite or PostgreSQL,
// the built web app), Debian's chromium, browser contexts that record console errors and CSP
// violations, screenshots, and accounts signed up and verified through the API.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadConfig } from '../../../src/server/config.ts';
import { createVigil, type Vigil } from '../../../src/server/main.ts';
import { loadStaticFiles } from '../../../src/server/platform/http/static-files.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { createLogCapture } from '../../helpers/test-vigil.ts';
import { displayNameFor } from './display-name.ts';

export const SCREENSHOTS = path.resolve('test-results/screenshots');

export interface BrowserHarness {
  vigil: Vigil;
  testDatabase: TestDatabase;
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

export interface BrowserHarnessOptions {
  /** Extra configuration variables (identity providers, webhook receivers…). */
  environment?: Record<string, string>;
  /** Arranges the fresh database before the server starts (e.g. seeds the demo organisation). */
  prepareDatabase?: (testDatabase: TestDatabase) => Promise<void>;
  /**
   * Serve the web app as `localhost` instead of `127.0.0.1`: a double on 127.0.0.1 is then another
   * site, so a redirect through it is a real cross-site navigation.
   */
  hostname?: 'localhost';
}

/** One server and one browser for a whole test file: tests open their own contexts (and accounts). */
export async function startBrowserHarness(options: BrowserHarnessOptions = {}): Promise<BrowserHarness> {
  const staticFiles = loadStaticFiles();
  if (!staticFiles.has('/index.html')) throw new Error('dist/web is not built: run `npm run build:web` first');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const testDatabase = await createTestDatabase();
  await options.prepareDatabase?.(testDatabase);
  const vigil = await createVigil({
    config: loadConfig({
      VIGIL_PROFILE: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...options.environment,
    }),
    database: testDatabase.database,
    logDestination: createLogCapture().stream,
    worker: false,
    staticFiles,
  });
  const listening = await vigil.listen();
  const baseUrl = options.hostname ? listening.replace('127.0.0.1', options.hostname) : listening;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    vigil,
    testDatabase,
    baseUrl,
    browser,
    close: async () => {
      await browser.close();
      await vigil.close();
      await testDatabase.close();
    },
  };
}

export type Problems = { consoleErrors: string[]; violations: string[] };

/** A browser context (one "device") that records console errors and CSP violations of every page in it. */
export async function openContext(
  browser: Browser,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; problems: Problems }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    acceptDownloads: true,
  });
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

/** A full-page screenshot; `viewport` for a modal dialog, whose backdrop covers the viewport only. */
export async function screenshot(page: Page, name: string, options: { viewport?: boolean } = {}): Promise<void> {
  await page.waitForLoadState('networkidle');
  if (!options.viewport) {
    // Full-page shots of a scrolled page misplace the sticky sidebar and top bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
  }
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: !options.viewport,
    animations: 'disabled',
  });
}

export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** What an authenticator app shows for `secret`, `offsetMs` from now. */
export function totpCode(secret: string, offsetMs = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offsetMs });
}

/** Signs up through the API (named after the address unless told) and verifies the email with the token from the dev outbox. */
export async function signUpAndVerifyThroughTheApi(
  page: Page,
  baseUrl: string,
  email: string,
  password: string,
  displayName = displayNameFor(email),
): Promise<void> {
  const signUp = await page.request.post(`${baseUrl}/api/auth/sign-up`, {
    data: { email, password, displayName },
  });
  expect(signUp.status()).toBe(202);
  const outbox = (await (await page.request.get(`${baseUrl}/api/dev/outbox`)).json()) as {
    items: { to: string; text: string }[];
  };
  const mail = outbox.items.find((item) => item.to === email);
  const token = /#token=([\w-]+)/.exec(mail?.text ?? '')?.[1];
  expect(token).toBeTruthy();
  const verified = await page.request.post(`${baseUrl}/api/auth/verify-email`, { data: { token } });
  expect(verified.status()).toBe(200);
}

export async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('sign-in-email').fill(email);
  await page.getByTestId('sign-in-password').fill(password);
  await page.getByTestId('sign-in-submit').click();
}
