// The web app in a real browser (Debian's chromium) against a real server on a free port:
// every page loads under the strict CSP with no console errors and no CSP violations.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vigil } from '../../src/server/main.ts';
import {
  type BrowserHarness,
  openContext,
  type Problems,
  SCREENSHOTS,
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

async function openPage(url: string): Promise<{ page: Page; problems: Problems }> {
  const { page, problems } = await openContext(browser);
  await page.goto(`${baseUrl}${url}`, { waitUntil: 'networkidle' });
  return { page, problems };
}

describe('web app shell in chromium', () => {
  it('shows the status page with the database kind, version and migrations — no console errors or CSP violations', async () => {
    const { page, problems } = await openPage('/status');
    await page.getByTestId('status-database-kind').waitFor();
    expect((await page.getByTestId('status-database-kind').textContent())?.toLowerCase()).toContain('pglite');
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

  it('navigates from the sidebar without a full reload', async () => {
    const { page, problems } = await openPage('/');
    await page.getByTestId('nav-status').click();
    await page.getByTestId('status-database-kind').waitFor();
    expect(new URL(page.url()).pathname).toBe('/status');
    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await page.context().close();
  });
});
