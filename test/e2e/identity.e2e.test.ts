// Identity in a real browser (Debian's chromium) against a real server: sign-up, the dev mailbox,
// email verification, sign-in, MFA enrolment with codes computed like an authenticator app,
// recovery codes, sessions, sign-out, sign-in with a TOTP code, the audit log and password reset.
// Every page must load under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/test-database.ts';
import {
  type BrowserHarness,
  openContext as openBrowserContext,
  pathOf,
  screenshot,
  signInWithPassword,
  signUpAndVerifyThroughTheApi as signUpAndVerify,
  startBrowserHarness,
  totpCode,
} from './support/browser-harness.ts';

const PASSWORD = 'violet-harbour-lantern-1907';
const NEW_PASSWORD = 'quiet-copper-meadow-8214';

let harness: BrowserHarness;
let testDatabase: TestDatabase;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  harness = await startBrowserHarness();
  ({ testDatabase, baseUrl, browser } = harness);
});

afterAll(async () => {
  await harness?.close();
});

const openContext = () => openBrowserContext(browser);
const signUpAndVerifyThroughTheApi = (page: Page, email: string) => signUpAndVerify(page, baseUrl, email, PASSWORD);

describe('identity in chromium', () => {
  it('signs up, verifies through the dev mailbox, enrols MFA, and signs in again with a TOTP code', async () => {
    const { context, page, problems } = await openContext();
    const email = `ada.${randomUUID().slice(0, 8)}@example.com`;

    // Sign-up: the policy is shown live, and a strong password meets every rule.
    await page.goto(`${baseUrl}/sign-up`, { waitUntil: 'networkidle' });
    await page.getByTestId('sign-up-page').waitFor();
    await page.getByTestId('sign-up-name').fill('Ada Lovelace');
    await page.getByTestId('sign-up-email').fill(email);
    await page.getByTestId('sign-up-password-input').fill(PASSWORD);
    await page.locator('[data-testid="rule-strength"][data-state="met"]').waitFor();
    expect(await page.getByTestId('rule-length').getAttribute('data-state')).toBe('met');
    expect(await page.getByTestId('rule-bytes').getAttribute('data-state')).toBe('met');
    await screenshot(page, 'sign-up');
    await page.getByTestId('sign-up-submit').click();
    await page.getByTestId('check-inbox').waitFor();
    await screenshot(page, 'sign-up-check-inbox');

    // The dev mailbox (in the nav because the test profile serves it) has the verification mail.
    await page.getByTestId('open-dev-mailbox').click();
    await page.getByTestId('mailbox').waitFor();
    await expect.poll(() => page.getByTestId('mail-to').textContent()).toBe(email);
    expect(await page.getByTestId('mail-subject').textContent()).toMatch(/verify/i);
    expect(await page.getByTestId('nav-dev-mailbox').count()).toBe(1);
    await screenshot(page, 'dev-mailbox');

    // Following the link verifies the address; the token is taken out of the address bar.
    await page.getByTestId('mail-link').first().click();
    await page.getByTestId('verify-email-done').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, 'verify-email');

    // Sign in with the password: no MFA yet, straight to the signed-in overview.
    await page.getByTestId('verified-sign-in').click();
    await page.getByTestId('sign-in-page').waitFor();
    await screenshot(page, 'sign-in');
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('overview-greeting').waitFor();
    expect(await page.getByTestId('overview-greeting').textContent()).toBe('Hello, Ada');
    await page.getByTestId('overview-no-orgs').waitFor();
    await page.getByTestId('overview-mfa-nudge').waitFor();
    expect(await page.getByTestId('user-name').textContent()).toBe('Ada Lovelace');
    expect(await page.getByTestId('user-email').textContent()).toBe(email);
    await screenshot(page, 'overview-signed-in');

    // Security: enrol an authenticator app, computing the code from the secret shown for manual entry.
    await page.getByTestId('nav-security').click();
    await page.getByTestId('security-page').waitFor();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toBe('Off');
    await page.getByTestId('enable-mfa').click();
    await page.getByTestId('totp-enrolment').waitFor();
    expect(await page.getByTestId('totp-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    await expect
      .poll(() => page.getByTestId('totp-qr').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(0);
    const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await screenshot(page, 'security-enrol');
    await page.getByTestId('totp-confirm-code').fill(totpCode(secret!));
    await page.getByTestId('totp-confirm-submit').click();

    // Ten recovery codes, shown once, downloadable as a text file (a blob: download the CSP allows).
    await page.getByTestId('recovery-codes').waitFor();
    const codes = await page.getByTestId('recovery-code').allTextContents();
    expect(codes).toHaveLength(10);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('recovery-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe('vigil-recovery-codes.txt');
    const downloaded = readFileSync((await download.path())!, 'utf8');
    for (const code of codes) expect(downloaded).toContain(code);
    await page.getByTestId('recovery-select').click();
    expect(await page.evaluate(() => window.getSelection()?.toString() ?? '')).toContain(codes[0]);
    await screenshot(page, 'security-recovery-codes');
    expect(await page.getByTestId('recovery-done').isDisabled()).toBe(true);
    await page.getByTestId('recovery-saved').check();
    await page.getByTestId('recovery-done').click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toBe('On');
    await expect.poll(() => page.getByTestId('recovery-remaining').textContent()).toMatch(/^10 of 10 unused/);
    await screenshot(page, 'security-mfa-enrolled');

    // Sessions: this browser, marked as the current device.
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('sessions-table').waitFor();
    expect(await page.getByTestId('session-row').count()).toBe(1);
    expect(await page.getByTestId('session-current').count()).toBe(1);
    expect(await page.getByTestId('revoke-others').isDisabled()).toBe(true);
    await screenshot(page, 'sessions');

    // The user is made an admin of an organisation (organisations have no API yet: arranged in SQL).
    const orgId = randomUUID();
    await testDatabase.adminQuery('INSERT INTO organisations (id, slug, name) VALUES ($1, $2, $3)', [
      orgId,
      `acme-${orgId.slice(0, 8)}`,
      'Acme Corp',
    ]);
    await testDatabase.adminQuery(
      `INSERT INTO memberships (org_id, user_id, role, created_at)
       SELECT $1, id, 'org_admin', now() FROM users WHERE email_normalised = $2`,
      [orgId, email],
    );

    // Sign out from the user menu.
    await page.getByTestId('user-button').click();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-notice').waitFor();
    expect(pathOf(page)).toBe('/sign-in');
    expect(await page.getByTestId('nav-security').count()).toBe(0);

    // Sign in again: password, then a code. The code of the enrolment's step cannot be used twice,
    // so this one is the next step's (the server accepts ±1 step), as a slightly fast phone shows.
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('sign-in-code-step').waitFor();
    await screenshot(page, 'sign-in-mfa');
    await page.getByTestId('sign-in-code').fill(totpCode(secret!, 30_000));
    await page.getByTestId('sign-in-code-submit').click();
    await page.getByTestId('overview-greeting').waitFor();
    expect(pathOf(page)).toBe('/');
    await page.getByTestId('overview-org').waitFor();
    expect(await page.getByTestId('overview-mfa-nudge').count()).toBe(0);
    await screenshot(page, 'overview-with-organisation');

    // The audit log of the organisation: an export is itself audited, so export, then see it listed.
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-page').waitFor();
    await page.locator('[data-testid="audit-empty"], [data-testid="audit-table"]').first().waitFor();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-csv').click()]);
    expect(readFileSync((await csv.path())!, 'utf8')).toMatch(/^seq,occurredAt,action,outcome/);
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-jsonl').click()]);
    expect(jsonl.suggestedFilename()).toMatch(/\.jsonl$/);
    await page.reload({ waitUntil: 'networkidle' });
    await page.locator('[data-testid="audit-row"][data-action="audit.exported"]').first().waitFor();
    await page.getByTestId('audit-row-toggle').first().click();
    await page.getByTestId('audit-event-details').waitFor();
    await screenshot(page, 'audit-log');

    // Filters live in the URL; an action prefix that matches nothing shows the empty state.
    await page.getByTestId('audit-filter-action').fill('member.');
    await page.getByTestId('audit-filter-apply').click();
    await page.getByTestId('audit-empty').waitFor();
    expect(new URL(page.url()).searchParams.get('action')).toBe('member.');
    await page.getByTestId('audit-filter-action').fill('audit.');
    await page.getByTestId('audit-filter-range').selectOption('24h');
    await page.getByTestId('audit-filter-apply').click();
    await page.locator('[data-testid="audit-row"][data-action="audit.exported"]').first().waitFor();

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });

  it('sends signed-out visitors to sign-in and back, and checks passwords before sending them', async () => {
    const { context, page, problems } = await openContext();

    await page.goto(`${baseUrl}/account/security`, { waitUntil: 'networkidle' });
    await page.getByTestId('sign-in-page').waitFor();
    expect(pathOf(page)).toBe('/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/account/security');

    // Too short, then common: each rule says why, and nothing is sent until the password is acceptable.
    await page.goto(`${baseUrl}/sign-up`, { waitUntil: 'networkidle' });
    await page.getByTestId('sign-up-email').fill('someone@example.com');
    await page.getByTestId('sign-up-password-input').fill('short');
    await page.getByTestId('sign-up-submit').click();
    expect(await page.getByTestId('sign-up-password-error').textContent()).toMatch(/at least 12 characters/i);
    await page.getByTestId('sign-up-password-input').fill('password1234');
    await page.locator('[data-testid="rule-strength"][data-state="failed"]').waitFor();
    await page.getByTestId('sign-up-submit').click();
    expect(await page.getByTestId('sign-up-password-error').textContent()).toMatch(/too easy to guess/i);
    await page.getByTestId('sign-up-password-input').fill('é'.repeat(37));
    await page.locator('[data-testid="rule-bytes"][data-state="failed"]').waitFor();
    await screenshot(page, 'sign-up-password-rules');
    expect(pathOf(page)).toBe('/sign-up');

    // A signed-in user of an account page is sent back there after signing in.
    const email = `grace.hopper.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, email);
    await page.goto(`${baseUrl}/account/sessions`, { waitUntil: 'networkidle' });
    await page.getByTestId('sign-in-page').waitFor();
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('sessions-page').waitFor();
    expect(pathOf(page)).toBe('/account/sessions');

    // Another device signs in: both sessions are listed, and the other one can be signed out.
    const otherDevice = await browser.newContext({
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    });
    const otherSignIn = await otherDevice.request.post(`${baseUrl}/api/auth/sign-in`, {
      data: { email, password: PASSWORD },
    });
    expect(otherSignIn.status()).toBe(200);
    await page.reload({ waitUntil: 'networkidle' });
    await expect.poll(() => page.getByTestId('session-row').count()).toBe(2);
    await screenshot(page, 'sessions-two-devices');
    await page.getByTestId('revoke-others').click();
    await page.getByTestId('sessions-confirm-dialog').waitFor();
    await screenshot(page, 'sessions-revoke-dialog', { viewport: true });
    await page.getByTestId('confirm-revoke').click();
    await page.getByTestId('sessions-notice').waitFor();
    await expect.poll(() => page.getByTestId('session-row').count()).toBe(1);
    const refused = await otherDevice.request.post(`${baseUrl}/api/auth/refresh`, {
      headers: {
        'x-csrf-token': (await otherDevice.cookies()).find((cookie) => cookie.name === 'vigil_csrf')?.value ?? '',
      },
    });
    expect(refused.status()).toBe(401);
    await otherDevice.close();

    // Changing the password refuses every access token issued before it, this one included: the
    // page refreshes its session at once and stays signed in.
    await page.getByTestId('nav-security').click();
    await page.getByTestId('current-password').fill(PASSWORD);
    await page.getByTestId('change-new-password-input').fill(NEW_PASSWORD);
    await page.getByTestId('confirm-new-password').fill(NEW_PASSWORD);
    await page.locator('[data-testid="rule-strength"][data-state="met"]').waitFor();
    await page.getByTestId('change-password-submit').click();
    await page.getByTestId('password-changed').waitFor();
    await screenshot(page, 'security-password-changed');
    await page.getByTestId('nav-sessions').click();
    await expect.poll(() => page.getByTestId('session-row').count()).toBe(1);
    await page.reload({ waitUntil: 'networkidle' });
    await page.getByTestId('sessions-table').waitFor();

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });

  it('asks for a code when an action needs a recent second factor, then retries the action', async () => {
    const { context, page, problems } = await openContext();
    const email = `katherine.johnson.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, email);
    await page.goto(`${baseUrl}/account/security`, { waitUntil: 'networkidle' });
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('security-page').waitFor();
    await page.getByTestId('enable-mfa').click();
    const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
    await page.getByTestId('totp-confirm-code').fill(totpCode(secret!));
    await page.getByTestId('totp-confirm-submit').click();
    await page.getByTestId('recovery-saved').check();
    await page.getByTestId('recovery-done').click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toBe('On');

    // The session passed a second factor moments ago, so the server would not ask again yet; the
    // first attempt is answered as it would be ten minutes later.
    let intercepted = 0;
    await page.route(`${baseUrl}/api/me/mfa/totp`, async (route) => {
      if (route.request().method() !== 'DELETE' || intercepted > 0) return route.continue();
      intercepted++;
      await route.fulfill({
        status: 403,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: '/problems/step-up-required',
          title: 'Confirm with a code',
          status: 403,
          detail: 'This action needs a second factor entered within the last 10 minutes.',
        }),
      });
    });
    await page.getByTestId('disable-mfa').click();
    await page.getByTestId('confirm-disable-mfa').click();
    await page.getByTestId('step-up-dialog').waitFor();
    await screenshot(page, 'step-up', { viewport: true });
    await page.getByTestId('step-up-code').fill(totpCode(secret!, 30_000));
    await page.getByTestId('step-up-submit').click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toBe('Off');
    expect(intercepted).toBe(1);
    expect(await page.getByTestId('step-up-dialog').count()).toBe(0);

    expect(problems.violations).toEqual([]);
    expect(problems.consoleErrors.filter((line) => !/status of 403/.test(line))).toEqual([]);
    await context.close();
  });

  it('has a platform administrator without MFA enrol an authenticator while signing in', async () => {
    const { context, page, problems } = await openContext();
    const email = `margaret.hamilton.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, email);
    await testDatabase.adminQuery('UPDATE users SET platform_admin = true WHERE email_normalised = $1', [email]);

    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('sign-in-enrol-step').waitFor();
    await page.getByTestId('totp-enrolment').waitFor();
    const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
    await screenshot(page, 'sign-in-enrol');
    await page.getByTestId('totp-confirm-code').fill(totpCode(secret!));
    await page.getByTestId('totp-confirm-submit').click();
    await page.getByTestId('sign-in-recovery-codes').waitFor();
    const codes = await page.getByTestId('recovery-code').allTextContents();
    expect(codes).toHaveLength(10);
    await page.getByTestId('recovery-saved').check();
    await page.getByTestId('recovery-done').click();
    await page.getByTestId('overview-greeting').waitFor();

    // MFA is mandatory for platform administrators: it cannot be turned off.
    await page.getByTestId('nav-security').click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toBe('On');
    expect(await page.getByTestId('disable-mfa').isDisabled()).toBe(true);

    // Lost phone: sign in with a recovery code instead, and be told how many are left.
    await page.getByTestId('user-button').click();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-notice').waitFor();
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('sign-in-code-step').waitFor();
    await page.getByTestId('toggle-recovery').click();
    await page.getByTestId('sign-in-code').fill(codes[3]!);
    await page.getByTestId('sign-in-code-submit').click();
    await page.getByTestId('sign-in-recovery-used').waitFor();
    expect(await page.getByTestId('sign-in-recovery-used').textContent()).toContain('9 recovery codes left');
    await screenshot(page, 'sign-in-recovery-used');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('overview-greeting').waitFor();

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });

  it('resets a forgotten password from the emailed link and signs in with the new one', async () => {
    const { context, page, problems } = await openContext();
    const email = `alan.turing.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, email);

    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await page.getByTestId('to-forgot-password').click();
    await page.getByTestId('forgot-password-page').waitFor();
    await page.getByTestId('forgot-email').fill(email);
    await page.getByTestId('forgot-submit').click();
    await page.getByTestId('forgot-password-sent').waitFor();

    // The reset mail is sent in the background: the mailbox refreshes until it arrives.
    await page.getByTestId('open-dev-mailbox').click();
    await page.locator('[data-testid="mail-item"]', { hasText: /reset/i }).first().click({ timeout: 15_000 });
    await page.getByTestId('mail-link').first().click();
    await page.getByTestId('reset-password-page').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByTestId('reset-password-input').fill(NEW_PASSWORD);
    await page.getByTestId('reset-password-confirm').fill(NEW_PASSWORD);
    await page.locator('[data-testid="rule-strength"][data-state="met"]').waitFor();
    await screenshot(page, 'reset-password');
    await page.getByTestId('reset-submit').click();
    await page.getByTestId('sign-in-notice').waitFor();
    expect(await page.getByTestId('sign-in-notice').textContent()).toMatch(/password was changed/i);

    await signInWithPassword(page, email, NEW_PASSWORD);
    await page.getByTestId('overview-greeting').waitFor();
    // Greeted by the name the account was signed up with (from its address).
    expect(await page.getByTestId('overview-greeting').textContent()).toBe('Hello, Alan');

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });

  it('shows the problem a failed sign-in returns (the only console output is the 401 itself)', async () => {
    const { context, page, problems } = await openContext();
    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(page, `nobody.${randomUUID().slice(0, 8)}@example.com`, 'not-the-password-at-all');
    await page.getByTestId('form-error').waitFor();
    expect(await page.getByTestId('form-error').textContent()).toMatch(/invalid email or password/i);
    await screenshot(page, 'sign-in-error');
    // Chromium logs every failed response; that line is expected here and nothing else is.
    expect(problems.violations).toEqual([]);
    expect(problems.consoleErrors.filter((line) => !/status of 401/.test(line))).toEqual([]);
    await context.close();
  });
});
