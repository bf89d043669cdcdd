// Webhooks in a real browser against a real server and a local receiver: the demo org admin adds
// an endpoint (secret shown once), sends a test event and sees the attempt; the receiver goes
// down, the retry is scheduled and shown; the receiver comes back and a resend succeeds. Every
// page loads under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../src/contracts/sessions.ts';
import { DEMO_ACCOUNT, seedDemoOrganisation } from '../../src/server/modules/organisations/seed-demo-organisation.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/server/modules/webhooks/test-doubles/webhook-receiver.ts';
import { LOCAL_RECEIVER_ENVIRONMENT } from '../../src/server/modules/webhooks/test-doubles/webhook-test-setup.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import {
  type BrowserHarness,
  openContext,
  screenshot,
  signUpAndVerifyThroughTheApi,
  startBrowserHarness,
} from './support/browser-harness.ts';

const PASSWORD = 'violet-harbour-lantern-1907';

let harness: BrowserHarness;
let baseUrl: string;
let receiver: WebhookReceiver;
let receiverUp = true;

beforeAll(async () => {
  receiver = await startWebhookReceiver((_request, response) => {
    if (receiverUp) response.writeHead(204).end();
    // Down for maintenance, back in an hour: the retry is scheduled accordingly.
    else response.writeHead(503, { 'retry-after': '3600', 'content-type': 'text/plain' }).end('maintenance');
  });
  harness = await startBrowserHarness({
    environment: LOCAL_RECEIVER_ENVIRONMENT,
    prepareDatabase: ({ database }) => seedDemoOrganisation({ database, clock: systemClock }).then(() => undefined),
  });
  ({ baseUrl } = harness);
  harness.vigil.webhooks.startDeliveryLanes({ pollIntervalMs: 100 });
});

afterAll(async () => {
  await harness?.close();
  await receiver?.close();
});

describe('webhooks in chromium', () => {
  it('adds an endpoint, sends a test event, shows retries while the receiver is down, resends', async () => {
    const { context, page, problems } = await openContext(harness.browser, { viewport: { width: 1360, height: 860 } });

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

  it('rotates an endpoint’s signing secret and deletes the endpoint, each after a confirmation', async () => {
    const { context, page, problems } = await openContext(harness.browser);
    const description = `Rotation check ${randomUUID().slice(0, 8)}`;
    // Its own account and organisation, so the other test's empty list stays empty whatever runs first.
    const email = `vint.cerf.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, baseUrl, email, PASSWORD);
    expect(
      (await page.request.post(`${baseUrl}/api/auth/sign-in`, { data: { email, password: PASSWORD } })).status(),
    ).toBe(200);
    const csrf = (await context.cookies()).find((cookie) => cookie.name === 'vigil_csrf')?.value ?? '';
    const created = await page.request.post(`${baseUrl}/api/orgs`, {
      data: { name: `Rotation ${randomUUID().slice(0, 6)}` },
      headers: { [CSRF_HEADER]: csrf },
    });
    expect(created.status()).toBe(201);
    const { id: orgId } = (await created.json()) as { id: string };
    await page.goto(`${baseUrl}/orgs/${orgId}/webhooks`, { waitUntil: 'networkidle' });
    await page.getByTestId('webhooks-empty').waitFor();
    await page.getByTestId('webhook-add').click();
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByTestId('webhook-description').fill(description);
    await page.getByTestId('webhook-event-deal.created').check();
    await page.getByTestId('webhook-add-submit').click();
    const first = await page.getByTestId('webhook-secret').textContent();
    await page.getByTestId('webhook-secret-done').click();
    await page.getByTestId('webhook-endpoint-page').waitFor();

    // Rotate: asked first, then the new secret once; the page's hint follows it.
    await page.getByTestId('webhook-rotate').click();
    await page.getByTestId('webhook-rotate-dialog').waitFor();
    await screenshot(page, 'webhooks-rotate-confirm', { viewport: true });
    await page.getByTestId('webhook-rotate-confirm').click();
    const second = await page.getByTestId('webhook-secret').textContent();
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    await page.getByTestId('webhook-secret-done').click();
    expect(await page.getByTestId('webhook-rotate-dialog').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('webhook-secret-hint').textContent())
      .toBe(`whsec_…${second?.slice(-5, -1)}`);

    // Delete: Cancel keeps it; confirming removes it and returns to the list without it.
    await page.getByTestId('webhook-delete').click();
    await page.getByTestId('webhook-delete-dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('webhook-delete-dialog').count()).toBe(0);
    await page.getByTestId('webhook-delete').click();
    await screenshot(page, 'webhooks-delete-confirm', { viewport: true });
    await page.getByTestId('webhook-delete-confirm').click();
    await page.getByTestId('webhooks-page').waitFor();
    await expect.poll(() => page.getByTestId('webhook-endpoint-row').filter({ hasText: description }).count()).toBe(0);

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });
});
