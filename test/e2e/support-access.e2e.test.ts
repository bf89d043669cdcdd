// Support access in a real browser: an org admin grants support access from the organisation's
// settings, a platform admin (MFA) finds the grant in the console and reads the deals under a
// banner naming the grant, the org admin revokes it, and the platform admin's next look is
// refused. Every page must load under the strict CSP with no console errors or CSP violations.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../../src/contracts/sessions.ts';
import {
  type BrowserHarness,
  openContext,
  screenshot,
  signInWithPassword,
  signUpAndVerifyThroughTheApi,
  startBrowserHarness,
  totpCode,
} from './support/browser-harness.ts';

const PASSWORD = 'violet-harbour-lantern-1907';
const DEAL_NAMES = ['Globex renewal 2026', 'Initech expansion', 'Umbrella pilot'];

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});

afterAll(async () => {
  await harness?.close();
});

describe('support access in chromium', () => {
  it('has an org admin grant support access, a platform admin read the deals, then the grant revoked', async () => {
    const { baseUrl, testDatabase } = harness;

    // The organisation's admin, with a few deals.
    const owner = await openContext(harness.browser);
    const ownerEmail = `hedy.lamarr.${randomUUID().slice(0, 8)}@example.com`;
    const orgName = `Northwind ${randomUUID().slice(0, 6)}`;
    await signUpAndVerifyThroughTheApi(owner.page, baseUrl, ownerEmail, PASSWORD);
    await owner.page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(owner.page, ownerEmail, PASSWORD);
    await owner.page.getByTestId('overview-greeting').waitFor();
    const csrf = (await owner.context.cookies()).find((cookie) => cookie.name === 'vigil_csrf')?.value;
    const created = await owner.page.request.post(`${baseUrl}/api/orgs`, {
      data: { name: orgName },
      headers: { [CSRF_HEADER]: csrf ?? '' },
    });
    expect(created.status()).toBe(201);
    const orgId = ((await created.json()) as { id: string }).id;
    for (const [index, name] of DEAL_NAMES.entries()) {
      await testDatabase.adminQuery(
        `INSERT INTO deals (org_id, id, name, stage, amount_minor, currency, close_date, owner_name)
         VALUES ($1, gen_random_uuid(), $2, $3, $4, 'EUR', '2026-06-30', 'Dana Scully')`,
        [orgId, name, ['proposal', 'negotiation', 'discovery'][index], (index + 1) * 1_250_000],
      );
    }

    await owner.page.goto(`${baseUrl}/orgs/${orgId}/settings`, { waitUntil: 'networkidle' });
    await owner.page.getByTestId('support-access-none').waitFor();
    // A reason is required.
    await owner.page.getByTestId('support-access-grant').click();
    expect(await owner.page.getByTestId('support-access-reason').getAttribute('aria-invalid')).toBe('true');
    await owner.page.getByTestId('support-access-duration').selectOption('8');
    await owner.page.getByTestId('support-access-reason').fill('Ticket #4711: forecast totals look wrong');
    await screenshot(owner.page, 'support-access-grant-form');
    await owner.page.getByTestId('support-access-grant').click();
    await owner.page.getByTestId('support-access-active').waitFor();
    expect(await owner.page.getByTestId('support-access-active').textContent()).toContain('Ticket #4711');
    await owner.page.getByTestId('support-access-card').scrollIntoViewIfNeeded();
    await screenshot(owner.page, 'support-access-granted');

    // A platform admin, enrolled in MFA at first sign-in.
    const staff = await openContext(harness.browser);
    const staffEmail = `joan.clarke.${randomUUID().slice(0, 8)}@example.com`;
    await signUpAndVerifyThroughTheApi(staff.page, baseUrl, staffEmail, PASSWORD);
    await testDatabase.adminQuery('UPDATE users SET platform_admin = true WHERE email_normalised = $1', [staffEmail]);
    await staff.page.goto(`${baseUrl}/sign-in`, { waitUntil: 'networkidle' });
    await signInWithPassword(staff.page, staffEmail, PASSWORD);
    await staff.page.getByTestId('totp-enrolment').waitFor();
    const secret = await staff.page.getByTestId('totp-secret').getAttribute('data-secret');
    await staff.page.getByTestId('totp-confirm-code').fill(totpCode(secret!));
    await staff.page.getByTestId('totp-confirm-submit').click();
    await staff.page.getByTestId('recovery-saved').check();
    await staff.page.getByTestId('recovery-done').click();
    await staff.page.getByTestId('overview-greeting').waitFor();

    await staff.page.getByTestId('nav-admin-console').click();
    await staff.page.getByTestId('admin-search').fill(orgName);
    await staff.page.getByTestId('admin-search-submit').click();
    await expect
      .poll(() =>
        staff.page.getByTestId('admin-organisation-row').evaluateAll((rows) => rows.map((row) => row.dataset.name)),
      )
      .toEqual([orgName]);
    expect(await staff.page.getByTestId('admin-organisation-support').textContent()).toContain('Granted');
    await screenshot(staff.page, 'support-access-console');
    await staff.page.getByTestId('admin-organisation-support-open').click();
    await staff.page.getByTestId('support-deals-table').waitFor();
    const banner = await staff.page.getByTestId('support-banner').textContent();
    expect(banner).toMatch(/Support access — expires .+, granted by/);
    expect(banner).toContain(ownerEmail);
    // Rows come in id order (random ids here): compare the set of deals shown.
    const rows = await staff.page.getByTestId('support-deal-row').allTextContents();
    expect(rows.map((row) => DEAL_NAMES.find((name) => row.includes(name))).sort()).toEqual([...DEAL_NAMES].sort());
    await screenshot(staff.page, 'support-access-deals');

    // The organisation's admin revokes it; the platform admin's next look is refused.
    await owner.page.getByTestId('support-access-revoke').click();
    await owner.page.getByTestId('support-access-none').waitFor();
    await staff.page.reload({ waitUntil: 'networkidle' });
    await staff.page.getByTestId('support-not-granted').waitFor();
    await screenshot(staff.page, 'support-access-refused');
    await staff.page.getByTestId('support-back').click();
    await staff.page.getByTestId('admin-search').fill(orgName);
    await staff.page.getByTestId('admin-search-submit').click();
    await expect
      .poll(() => staff.page.getByTestId('admin-organisation-support').first().textContent())
      .toBe('Not granted');

    // The organisation's audit log says what happened in words (every action with its label, the
    // stored name beside it for the filter).
    await owner.page.goto(`${baseUrl}/orgs/${orgId}/audit`, { waitUntil: 'networkidle' });
    await owner.page.locator('[data-testid="audit-row"][data-action="support_access.revoked"]').waitFor();
    const labelled = await owner.page.getByTestId('audit-row').evaluateAll((rows) =>
      rows.map((row) => ({
        action: row.getAttribute('data-action'),
        label: row.querySelector('[data-testid="audit-action-label"]')?.textContent,
      })),
    );
    expect(labelled).toEqual(
      expect.arrayContaining([
        { action: 'support_access.granted', label: 'Support access granted' },
        { action: 'support_access.deals_read', label: 'Deals read under support access' },
        { action: 'support_access.revoked', label: 'Support access revoked' },
      ]),
    );
    for (const row of labelled) expect(row.label, row.action ?? '').not.toBe(row.action);
    await screenshot(owner.page, 'support-access-audit-log');

    // The read is on the organisation's chain and the platform's, with the admin and the grant.
    const reads = await testDatabase.adminQuery<{ chain: string; grant_id: string }>(
      `SELECT CASE WHEN org_id IS NULL THEN 'platform' ELSE 'organisation' END AS chain, metadata->>'grantId' AS grant_id
         FROM audit_events e JOIN users u ON u.id = e.actor_user_id
        WHERE action = 'support_access.deals_read' AND outcome = 'success' AND u.email_normalised = $1
        ORDER BY chain`,
      [staffEmail],
    );
    expect(reads.map((read) => read.chain)).toEqual(['organisation', 'platform']);
    expect(new Set(reads.map((read) => read.grant_id)).size).toBe(1);

    expect(owner.problems).toEqual({ consoleErrors: [], violations: [] });
    // The refused read is an expected 403, which the browser reports as a failed resource load.
    expect({
      ...staff.problems,
      consoleErrors: staff.problems.consoleErrors.filter((line) => !/status of 403/.test(line)),
    }).toEqual({ consoleErrors: [], violations: [] });
    await owner.context.close();
    await staff.context.close();
  });
});
