// Organisations in a real browser (Debian's chromium) against a real server: an org admin creates an
// organisation and invites a builder; the builder opens the emailed link in another browser context,
// signs in, accepts, and finds the members page restricted; the admin sees them in the members list.
// Also the settings page, the audit log's target filter and the platform admin console. Every page
// must load under the strict CSP with no console errors and no CSP violations.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../src/contracts/sessions.ts';
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

let harness: BrowserHarness;
let testDatabase: TestDatabase;
let baseUrl: string;

beforeAll(async () => {
  harness = await startBrowserHarness();
  ({ testDatabase, baseUrl } = harness);
});

afterAll(async () => {
  await harness?.close();
});

const openContext = () => openBrowserContext(harness.browser);
const signUpAndVerifyThroughTheApi = (page: Page, email: string) => signUpAndVerify(page, baseUrl, email, PASSWORD);

/** The newest dev-outbox mail to `email` whose subject matches, polled: mail may be sent in the background. */
async function mailTo(page: Page, email: string, subject: RegExp): Promise<{ subject: string; text: string }> {
  let found: { subject: string; text: string } | undefined;
  await expect
    .poll(
      async () => {
        const outbox = (await (await page.request.get(`${baseUrl}/api/dev/outbox`)).json()) as {
          items: { to: string; subject: string; text: string }[];
        };
        found = outbox.items.find((item) => item.to === email && subject.test(item.subject));
        return Boolean(found);
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

describe('organisations in chromium', () => {
  it('has an org admin invite a builder, who accepts in another browser and cannot manage members', async () => {
    const admin = await openContext();
    const adminEmail = `barbara.liskov.${randomUUID().slice(0, 8)}@example.com`;
    const builderEmail = `edsger.dijkstra.${randomUUID().slice(0, 8)}@example.com`;
    const orgName = `Northwind ${randomUUID().slice(0, 6)}`;
    await signUpAndVerifyThroughTheApi(admin.page, adminEmail);

    // The admin signs in and creates an organisation from the switcher.
    await admin.page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(admin.page, adminEmail, PASSWORD);
    await admin.page.getByTestId('overview-greeting').waitFor();
    await admin.page.getByTestId('org-switcher-button').click();
    await admin.page.getByTestId('org-menu').waitFor();
    await screenshot(admin.page, 'org-switcher-menu', { viewport: true });
    await admin.page.getByTestId('org-menu-create').click();
    await admin.page.getByTestId('create-org-name').fill(orgName);
    await screenshot(admin.page, 'org-create-dialog', { viewport: true });
    await admin.page.getByTestId('create-org-submit').click();
    await admin.page.getByTestId('members-page').waitFor();
    const orgId = /\/orgs\/([0-9a-f-]{36})\/members/.exec(pathOf(admin.page))?.[1];
    expect(orgId).toBeTruthy();
    await expect.poll(() => admin.page.getByTestId('org-switcher-current').textContent()).toBe(orgName);
    expect(await admin.page.getByTestId('nav-members').count()).toBe(1);
    expect(await admin.page.getByTestId('nav-audit').count()).toBe(1);

    // Invite a builder: the role's description is shown, the invitation is listed as pending.
    await admin.page.getByTestId('invite-email').fill(builderEmail);
    await admin.page.getByTestId('invite-role').selectOption('builder');
    await admin.page.getByTestId('invite-submit').click();
    await admin.page.getByTestId('invite-sent').waitFor();
    const invitationRow = admin.page.locator(`[data-testid="invitation-row"][data-email="${builderEmail}"]`);
    await invitationRow.waitFor();
    expect(await invitationRow.getAttribute('data-status')).toBe('pending');

    // The last admin cannot demote themselves: a clear problem, not a silent failure.
    await admin.page
      .locator(`[data-testid="member-row"][data-email="${adminEmail}"] [data-testid="member-role"]`)
      .selectOption('viewer');
    await admin.page.getByTestId('members-error').waitFor();
    expect(await admin.page.getByTestId('members-error').textContent()).toMatch(/admin/i);
    await screenshot(admin.page, 'members-invited');

    // The builder signs up, then opens the emailed link signed out: sign-in first, then the invitation.
    const builder = await openContext();
    await signUpAndVerifyThroughTheApi(builder.page, builderEmail);
    const mail = await mailTo(builder.page, builderEmail, /invit/i);
    const link = /(https?:\/\/\S+\/invitations#token=[\w-]+)/.exec(mail.text)?.[1];
    expect(link).toBeTruthy();
    await builder.page.goto(`${baseUrl}${new URL(link!).pathname}${new URL(link!).hash}`, { waitUntil: 'networkidle' });
    await builder.page.getByTestId('sign-in-email').waitFor();
    expect(pathOf(builder.page)).toBe('/sign-in');
    expect(builder.page.url()).not.toContain('token');
    await signInWithPassword(builder.page, builderEmail, PASSWORD);
    await builder.page.getByTestId('invitation-link').waitFor();
    expect(pathOf(builder.page)).toBe('/invitations');
    expect(builder.page.url()).not.toContain('token');
    await screenshot(builder.page, 'invitation-from-link');
    await builder.page.getByTestId('invitation-link-accept').click();
    await builder.page.getByTestId('invitation-accepted').waitFor();
    expect(await builder.page.getByTestId('invitation-accepted').textContent()).toContain(orgName);

    // Inside the organisation the builder sees settings (read-only) but no members page…
    await builder.page.getByTestId('invitation-open-org').click();
    await builder.page.getByTestId('org-settings-page').waitFor();
    await expect.poll(() => builder.page.getByTestId('org-switcher-current').textContent()).toBe(orgName);
    expect(await builder.page.getByTestId('nav-members').count()).toBe(0);
    expect(await builder.page.getByTestId('nav-audit').count()).toBe(0);
    expect(await builder.page.getByTestId('org-name').isDisabled()).toBe(true);
    expect(await builder.page.getByTestId('org-danger-zone').count()).toBe(0);
    // …and opening it directly shows the restricted state (the server refuses the API regardless).
    await builder.page.goto(`${baseUrl}/orgs/${orgId}/members`, { waitUntil: 'networkidle' });
    await builder.page.getByTestId('members-restricted').waitFor();
    await screenshot(builder.page, 'members-restricted');
    const refused = await builder.page.evaluate(async (id) => (await fetch(`/api/orgs/${id}/members`)).status, orgId);
    expect(refused).toBe(403);

    // The admin sees the builder in the members list, and the invitation as accepted.
    await admin.page.reload({ waitUntil: 'networkidle' });
    const builderRow = admin.page.locator(`[data-testid="member-row"][data-email="${builderEmail}"]`);
    await builderRow.waitFor();
    expect(await builderRow.getAttribute('data-role')).toBe('builder');
    expect(await invitationRow.getAttribute('data-status')).toBe('accepted');
    await screenshot(admin.page, 'members-page');

    // Settings: rename, time zone, threshold.
    await admin.page.getByTestId('nav-org-settings').click();
    await admin.page.getByTestId('org-settings-page').waitFor();
    await admin.page.getByTestId('org-timezone').selectOption('Europe/Berlin');
    await admin.page.getByTestId('org-threshold').fill('70');
    await admin.page.getByTestId('org-settings-save').click();
    await admin.page.getByTestId('org-settings-saved').waitFor();
    await screenshot(admin.page, 'org-settings-page');
    await admin.page.getByTestId('org-delete-button').click();
    await admin.page.getByTestId('org-delete-dialog').waitFor();
    expect(await admin.page.getByTestId('org-delete-submit').isDisabled()).toBe(true);
    await admin.page.getByTestId('org-delete-confirm-name').fill(orgName);
    expect(await admin.page.getByTestId('org-delete-submit').isDisabled()).toBe(false);
    await screenshot(admin.page, 'org-delete-dialog', { viewport: true });
    await admin.page.keyboard.press('Escape');

    // The audit log: clicking a target filters by it.
    await admin.page.getByTestId('nav-audit').click();
    await admin.page.getByTestId('audit-table').waitFor();
    await screenshot(admin.page, 'audit-org');
    const invitationTarget = admin.page
      .locator('[data-testid="audit-row"][data-action^="invitation."] [data-testid="audit-target"]')
      .first();
    await invitationTarget.click();
    await expect.poll(() => new URL(admin.page.url()).searchParams.get('targetType')).toBe('invitation');
    // The filtered rows replace the unfiltered ones once their request answers: poll for them
    // (a single read right after the URL change could see the table between the two).
    const filteredActions = () =>
      admin.page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    await expect
      .poll(async () => {
        const actions = await filteredActions();
        return actions.length > 0 && actions.every((action) => action?.startsWith('invitation.'));
      })
      .toBe(true);
    expect(await admin.page.getByTestId('audit-filter-target-type').inputValue()).toBe('invitation');
    await screenshot(admin.page, 'audit-target-filter');

    // Deleting the organisation (typed name; no step-up prompt, as this admin has no MFA): gone for both.
    await admin.page.getByTestId('nav-org-settings').click();
    await admin.page.getByTestId('org-delete-button').click();
    await admin.page.getByTestId('org-delete-confirm-name').fill(orgName);
    await admin.page.getByTestId('org-delete-submit').click();
    await admin.page.getByTestId('overview-greeting').waitFor();
    await expect.poll(() => admin.page.getByTestId('org-switcher-current').textContent()).toBe('No organisation');
    await builder.page.goto(`${baseUrl}/orgs/${orgId}/settings`, { waitUntil: 'networkidle' });
    await builder.page.getByTestId('org-settings-no-access').waitFor();

    // The refused demotion of the last admin (409) is the only expected failure in the admin's console.
    expect(admin.problems.violations).toEqual([]);
    expect(admin.problems.consoleErrors.filter((line) => !/status of 409/.test(line))).toEqual([]);
    // The refused members API call above is the only expected failure in the builder's console.
    expect(builder.problems.violations).toEqual([]);
    expect(builder.problems.consoleErrors.filter((line) => !/status of 403/.test(line))).toEqual([]);
    await builder.context.close();
    await admin.context.close();
  });

  it('has a platform admin search, suspend and unsuspend an organisation, and read the platform audit chain', async () => {
    // An organisation of someone else's to find, created through the API.
    const owner = await openContext();
    const ownerEmail = `radia.perlman.${randomUUID().slice(0, 8)}@example.com`;
    const orgName = `Acme ${randomUUID().slice(0, 6)}`;
    await signUpAndVerifyThroughTheApi(owner.page, ownerEmail);
    const signIn = await owner.page.request.post(`${baseUrl}/api/auth/sign-in`, {
      data: { email: ownerEmail, password: PASSWORD },
    });
    expect(signIn.status()).toBe(200);
    const csrf = (await owner.context.cookies()).find((cookie) => cookie.name === 'vigil_csrf')?.value;
    const created = await owner.page.request.post(`${baseUrl}/api/orgs`, {
      data: { name: orgName },
      headers: { [CSRF_HEADER]: csrf ?? '' },
    });
    expect(created.status()).toBe(201);
    await owner.context.close();

    const { context, page, problems } = await openContext();
    const email = `frances.allen.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(page, email);
    await testDatabase.adminQuery('UPDATE users SET platform_admin = true WHERE email_normalised = $1', [email]);

    await page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(page, email, PASSWORD);
    await page.getByTestId('totp-enrolment').waitFor();
    const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
    await page.getByTestId('totp-confirm-code').fill(totpCode(secret!));
    await page.getByTestId('totp-confirm-submit').click();
    await page.getByTestId('recovery-saved').check();
    await page.getByTestId('recovery-done').click();
    await page.getByTestId('overview-greeting').waitFor();

    await page.getByTestId('nav-admin-console').click();
    await page.getByTestId('admin-organisations-table').waitFor();
    await screenshot(page, 'admin-organisations');
    await page.getByTestId('admin-search').fill(orgName);
    await page.getByTestId('admin-search-submit').click();
    await expect
      .poll(() => page.getByTestId('admin-organisation-row').evaluateAll((rows) => rows.map((row) => row.dataset.name)))
      .toEqual([orgName]);

    // Suspend with a reason; a fresh second factor is asked for when the sign-in's is too old.
    await page.getByTestId('admin-organisation-toggle').first().click();
    await page.getByTestId('admin-confirm-dialog').waitFor();
    await page.getByTestId('admin-confirm').click();
    expect(await page.getByTestId('admin-reason').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('admin-reason').fill('Chargeback under review');
    await screenshot(page, 'admin-suspend-dialog', { viewport: true });
    await page.getByTestId('admin-confirm').click();
    await page.locator('[data-testid="admin-notice"], [data-testid="step-up-dialog"]').first().waitFor();
    if (await page.getByTestId('step-up-dialog').isVisible()) {
      await page.getByTestId('step-up-code').fill(totpCode(secret!, 30_000));
      await page.getByTestId('step-up-submit').click();
    }
    await page.getByTestId('admin-notice').waitFor();
    await expect.poll(() => page.getByTestId('admin-organisation-status').first().textContent()).toBe('Suspended');
    await page.getByTestId('admin-organisation-toggle').first().click();
    await page.getByTestId('admin-confirm').click();
    await expect.poll(() => page.getByTestId('admin-organisation-status').first().textContent()).toBe('Active');

    await page.getByTestId('admin-tab-users').click();
    await page.getByTestId('admin-users-table').waitFor();
    await screenshot(page, 'admin-users');

    await page.getByTestId('admin-tab-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const actions = await page
      .getByTestId('audit-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toContain('organisation.suspended');
    expect(new URL(page.url()).searchParams.get('tab')).toBe('audit');
    await screenshot(page, 'admin-audit');

    expect(problems).toEqual({ consoleErrors: [], violations: [] });
    await context.close();
  });
});
