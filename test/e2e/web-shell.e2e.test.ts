// The web app in a real browser (Debian's chromium) against a real server on a free port:
// every page loads under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../src/contracts/sessions.ts';
import type { Vigil } from '../../src/server/main.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import {
  type BrowserHarness,
  openContext,
  type Problems,
  SCREENSHOTS,
  screenshot,
  signInWithPassword,
  signUpAndVerifyThroughTheApi,
  startBrowserHarness,
} from './support/browser-harness.ts';

let harness: BrowserHarness;
let vigil: Vigil;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  harness = await startBrowserHarness();
  ({ vigil, baseUrl, browser } = harness);
});

afterAll(async () => {
  await harness?.close();
});

/** Whether the element is inside the viewport and is what a click at its centre would hit. */
async function inSight(page: Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).evaluate((element) => {
    const box = element.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    if (box.width === 0 || x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
    return element.contains(document.elementFromPoint(x, y));
  });
}

async function openPage(url: string): Promise<{ page: Page; problems: Problems }> {
  const { page, problems } = await openContext(browser);
  await page.goto(`${baseUrl}${url}`, { waitUntil: 'networkidle' });
  return { page, problems };
}

describe('web app shell in chromium', () => {
  it('shows the status page with the database kind, version and migrations — no console errors or CSP violations', async () => {
    const { page, problems } = await openPage('/status');
    await page.getByTestId('status-database-kind').waitFor();
    // The database this run uses: PGlite, or PostgreSQL with VIGIL_TEST_DB=postgres.
    expect((await page.getByTestId('status-database-kind').textContent())?.toLowerCase()).toContain(
      testDatabaseKind === 'postgres' ? 'postgres' : 'pglite',
    );
    expect(await page.getByTestId('status-version').textContent()).toContain(vigil.config.version);
    expect(await page.getByTestId('status-migrations').textContent()).toMatch(/up to date|0001_foundation/i);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'status.png'), fullPage: true });
    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await page.context().close();
  });

  it('renders the overview, API reference, a problem type and the not-found page cleanly', async () => {
    for (const [url, name] of [
      ['/', 'overview'],
      ['/api-docs', 'api-docs'],
      ['/problems/validation-failed', 'problem-type'],
      ['/no/such/page', 'not-found'],
    ] as const) {
      const { page, problems } = await openPage(url);
      await page.getByTestId('app-shell').waitFor();
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
      expect({ url, ...problems }).toEqual({ url, consoleErrors: [], violations: [] });
      await page.context().close();
    }
  });

  it('keeps every sidebar link and the account button in sight, at 800 and 1280 pixels wide and 800 high', async () => {
    const password = 'violet-harbour-lantern-1907';
    for (const viewport of [
      { width: 800, height: 900 },
      { width: 1280, height: 900 },
      { width: 1280, height: 800 },
    ]) {
      // An org admin sees the longest nav: organisation, account, platform and development links.
      const { context, page, problems } = await openContext(browser, { viewport });
      const email = `ada.lovelace.${randomUUID().slice(0, 8)}@example.com`;
      await signUpAndVerifyThroughTheApi(page, baseUrl, email, password);
      await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
      await signInWithPassword(page, email, password);
      await page.getByTestId('overview-greeting').waitFor();
      const csrf = (await context.cookies()).find((cookie) => cookie.name === 'vigil_csrf')?.value;
      const created = await page.request.post(`${baseUrl}/api/orgs`, {
        data: { name: 'Analytical Engines' },
        headers: { [CSRF_HEADER]: csrf ?? '' },
      });
      const orgId = ((await created.json()) as { id: string }).id;
      await page.goto(`${baseUrl}/orgs/${orgId}/members`, { waitUntil: 'networkidle' });
      await page.getByTestId('nav-dev-mailbox').waitFor();
      const links = await page
        .locator('[data-testid^="nav-"][href]')
        .evaluateAll((elements) => elements.map((element) => element.getAttribute('data-testid') ?? ''));
      expect(links).toContain('nav-audit');
      for (const testId of [...links, 'user-button']) {
        expect(await inSight(page, testId), `${testId} at ${viewport.width}px`).toBe(true);
      }
      await screenshot(page, `shell-${viewport.width}x${viewport.height}`, { viewport: true });
      await page.getByTestId('nav-dev-mailbox').click();
      expect(new URL(page.url()).pathname).toBe('/dev/mailbox');
      expect(problems).toEqual({ consoleErrors: [], violations: [] });
      await context.close();
    }
  });

  it('navigates from the sidebar without a full reload', async () => {
    const { page, problems } = await openPage('/');
    await page.getByTestId('nav-status').click();
    await page.getByTestId('status-database-kind').waitFor();
    expect(new URL(page.url()).pathname).toBe('/status');
    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await page.context().close();
  });
});
