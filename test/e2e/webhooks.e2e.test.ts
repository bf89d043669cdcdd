// Webhooks in a real browser against a real server and a local receiver: the demo org admin adds
// an endpoint (secret shown once), sends a test event and sees the attempt; the receiver goes
// down, the retry is scheduled and shown; the receiver comes back and a resend succeeds. Every
// page loads under the strict CSP with no console errors and no CSP violations.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil, type Vigil } from '../../src/server/main.ts';
import { DEMO_ACCOUNT, seedDemoOrganisation } from '../../src/server/modules/organisations/seed-demo-organisation.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/server/modules/webhooks/test-doubles/webhook-receiver.ts';
import { LOCAL_RECEIVER_ENVIRONMENT } from '../../src/server/modules/webhooks/test-doubles/webhook-test-setup.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import { loadStaticFiles } from '../../src/server/platform/http/static-files.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { createLogCapture } from '../helpers/test-vigil.ts';

const SCREENSHOTS = path.resolve('test-results/screenshots');

let testDatabase: TestDatabase;
let vigil: Vigil;
let baseUrl: string;
let browser: Browser;
let receiver: WebhookReceiver;
let receiverUp = true;

beforeAll(async () => {
  const staticFiles = loadStaticFiles();
  if (!staticFiles.has('/index.html')) throw new Error('dist/web is not built: run `npm run build:web` first');
  mkdirSync(SCREENSHOTS, { recursive: true });
  testDatabase = await createTestDatabase();
  await seedDemoOrganisation({ database: testDatabase.database, clock: systemClock });
  receiver = await startWebhookReceiver((_request, response) => {
    if (receiverUp) response.writeHead(204).end();
    // Down for maintenance, back in an hour: the retry is scheduled accordingly.
    else response.writeHead(503, { 'retry-after': '3600', 'content-type': 'text/plain' }).end('maintenance');
  });
  vigil = await createVigil({
    config: loadConfig({
      VIGIL_PROFILE: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...LOCAL_RECEIVER_ENVIRONMENT,
    }),
    database: testDatabase.database,
    logDestination: createLogCapture().stream,
    worker: false,
    staticFiles,
  });
  baseUrl = await vigil.listen();
  vigil.webhooks.startDeliveryLanes({ pollIntervalMs: 100 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await vigil?.close();
  await receiver?.close();
  await testDatabase?.close();
});

async function screenshot(page: Page, name: string, options: { viewport?: boolean } = {}): Promise<void> {
  await page.waitForLoadState('networkidle');
  if (!options.viewport) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
  }
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: !options.viewport,
    animations: 'disabled',
  });
}

describe('webhooks in chromium', () => {
  it('adds an endpoint, sends a test event, shows retries while the receiver is down, resends', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const problems = { consoleErrors: [] as string[], violations: [] as string[] };
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

    // The demo organisation's admin signs in with the real sign-in.
    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await page.getByTestId('sign-in-email').fill(DEMO_ACCOUNT.email);
    await page.getByTestId('sign-in-password').fill(DEMO_ACCOUNT.password);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('nav-webhooks').first().click();
    await page.getByTestId('webhooks-empty').waitFor();
    await screenshot(page, 'webhooks-empty');

    // Add an endpoint: a blocked address is refused at its field, the receiver is accepted.
    await page.getByTestId('webhook-add').click();
    await page.getByTestId('webhook-add-dialog').waitFor();
    await page.getByTestId('webhook-url').fill('http://169.254.169.254/latest/meta-data');
    await page.getByTestId('webhook-description').fill('Order-desk bridge');
    await page.getByTestId('webhook-event-deal.created').check();
    await page.getByTestId('webhook-event-deal.risk_changed').check();
    await page.getByTestId('webhook-add-submit').click();
    await page.locator('.field-error').first().waitFor();
    expect(await page.locator('.field-error').first().textContent()).toMatch(/metadata/);
    await screenshot(page, 'webhooks-add-blocked', { viewport: true });
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByTestId('webhook-add-submit').click();

    // The secret, once.
    await page.getByTestId('webhook-secret-reveal').waitFor();
    const secret = await page.getByTestId('webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await screenshot(page, 'webhooks-secret-once', { viewport: true });
    await page.getByTestId('webhook-secret-done').click();
    await page.getByTestId('webhook-endpoint-page').waitFor();
    expect(await page.getByTestId('webhook-secret-hint').textContent()).toBe(`whsec_…${secret?.slice(-5, -1)}`);
    expect(await page.content()).not.toContain(secret);

    // Send a test event: it is delivered, and the attempt is in the log.
    await page.getByTestId('webhook-send-test').click();
    await page.getByTestId('webhook-test-queued').waitFor();
    await page.locator('[data-testid="webhook-delivery-row"][data-state="succeeded"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('webhook-delivery-toggle').first().click();
    await page.getByTestId('webhook-attempt').first().waitFor();
    expect(await page.getByTestId('webhook-attempt-outcome').first().textContent()).toBe('HTTP 204');
    expect(receiver.received.at(-1)?.headers['webhook-signature']).toMatch(/^v1,/);
    await screenshot(page, 'webhooks-delivered');

    // The receiver goes down: the attempt fails and the next one is scheduled (Retry-After: 1 h).
    receiverUp = false;
    await page.getByTestId('webhook-delivery-toggle').first().click();
    await page.getByTestId('webhook-send-test').click();
    const retrying = page.locator('[data-testid="webhook-delivery-row"][data-state="pending"][data-attempts="1"]');
    await retrying.locator('[data-testid="webhook-delivery-next"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.getByTestId('webhook-endpoint-stats').textContent(), { timeout: 20_000 })
      .toMatch(/HTTP 503/);
    await retrying.getByTestId('webhook-delivery-toggle').click();
    await page.getByTestId('webhook-attempt-next-retry').first().waitFor();
    expect(await page.getByTestId('webhook-attempt-next-retry').first().textContent()).toMatch(
      /in (1 hour|60 minutes|59 minutes)/,
    );
    expect(await page.getByTestId('webhook-attempt-outcome').first().textContent()).toBe('HTTP 503');
    await screenshot(page, 'webhooks-retry-scheduled');

    // Back up: resend now instead of waiting for the retry.
    receiverUp = true;
    const before = receiver.received.length;
    await retrying.getByTestId('webhook-resend').click();
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBeGreaterThan(before);
    await page
      .locator('[data-testid="webhook-delivery-row"][data-state="pending"]')
      .waitFor({ state: 'detached', timeout: 20_000 });
    expect(await page.locator('[data-testid="webhook-delivery-row"][data-state="succeeded"]').count()).toBe(2);
    await screenshot(page, 'webhooks-resent');

    // The endpoint list shows its health.
    await page.getByTestId('nav-webhooks').first().click();
    await page.getByTestId('webhook-endpoint-row').waitFor();
    await screenshot(page, 'webhooks-list');

    // The one refused save (400, shown at its field) is logged by the browser itself; nothing else.
    expect(problems.consoleErrors.filter((line) => !/status of 400/.test(line))).toEqual([]);
    expect(problems.consoleErrors.length).toBeLessThanOrEqual(1);
    expect(problems.violations).toEqual([]);
    await context.close();
  });
});
