import { eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import bcrypt from 'bcrypt';
import { deals, memberships, organisations, passwordCredentials, users } from '../../platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../platform/db/tenant-transaction.ts';

export const DEMO_ORGANISATION_SLUG = 'acme-demo';

/**
 * The demo account `npm start` creates so a first-time user can sign in at once. Development only
 * (production never seeds), printed at start-up; the password is public, so never reuse it.
 */
export const DEMO_ACCOUNT = { email: 'demo@vigil.test', password: 'demo-vigil-password-2026' } as const;

const DEMO_DEALS = [
  {
    name: 'Northwind — platform renewal',
    stage: 'negotiation',
    amountMinor: 4_800_000,
    currency: 'USD',
    closeInDays: 12,
    ownerName: 'Priya Shah',
  },
  {
    name: 'Globex — expansion to EMEA',
    stage: 'proposal',
    amountMinor: 12_500_000,
    currency: 'EUR',
    closeInDays: 34,
    ownerName: 'Marcus Lee',
  },
  {
    name: 'Initech — security add-on',
    stage: 'discovery',
    amountMinor: 950_000,
    currency: 'USD',
    closeInDays: 58,
    ownerName: 'Priya Shah',
  },
  {
    name: 'Umbrella Health — pilot',
    stage: 'qualification',
    amountMinor: 2_200_000,
    currency: 'GBP',
    closeInDays: -3,
    ownerName: 'Dana Kim',
  },
  {
    name: 'Stark Logistics — annual plan',
    stage: 'closed_won',
    amountMinor: 7_300_000,
    currency: 'USD',
    closeInDays: -20,
    ownerName: 'Marcus Lee',
  },
] as const;

/**
 * Creates the demo organisation and a handful of deals, once: running it again finds the slug
 * and does nothing. Returns the organisation id and whether it was created now.
 */
export async function seedDemoOrganisation(options: {
  database: Database;
  clock: Clock;
  requestId?: string;
}): Promise<{ orgId: string; created: boolean }> {
  const requestId = options.requestId ?? 'demo-seed';
  const existing = await withPlatformTransaction(options.database, { userId: null, requestId }, (transaction) =>
    transaction
      .select({ id: organisations.id })
      .from(organisations)
      .where(eq(organisations.slug, DEMO_ORGANISATION_SLUG)),
  );
  if (existing[0]) return { orgId: existing[0].id, created: false };

  const orgId = newId();
  const now = options.clock.now();
  const inserted = await withPlatformTransaction(options.database, { userId: null, requestId }, (transaction) =>
    transaction
      .insert(organisations)
      .values({ id: orgId, slug: DEMO_ORGANISATION_SLUG, name: 'Acme (demo)', isDemo: true, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: organisations.id }),
  );
  // Another process seeded it between our check and our insert: theirs stands.
  if (inserted.length === 0) return seedDemoOrganisation(options);
  await withTenantTransaction(options.database, { orgId, userId: null, requestId }, async (transaction) => {
    await transaction.insert(deals).values(
      DEMO_DEALS.map((deal) => ({
        orgId,
        id: newId(),
        name: deal.name,
        stage: deal.stage,
        amountMinor: deal.amountMinor,
        currency: deal.currency,
        closeDate: new Date(now.getTime() + deal.closeInDays * 86_400_000).toISOString().slice(0, 10),
        ownerName: deal.ownerName,
        createdAt: now,
        updatedAt: now,
      })),
    );
  });
  const userId = newId();
  const passwordHash = await bcrypt.hash(DEMO_ACCOUNT.password, 10);
  await withPlatformTransaction(options.database, { userId, requestId }, async (transaction) => {
    await transaction
      .insert(users)
      .values({
        id: userId,
        email: DEMO_ACCOUNT.email,
        emailNormalised: DEMO_ACCOUNT.email,
        displayName: 'Demo Admin',
        emailVerifiedAt: now,
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing();
    await transaction
      .insert(passwordCredentials)
      .values({ userId, passwordHash, updatedAt: now })
      .onConflictDoNothing();
  });
  await withTenantTransaction(options.database, { orgId, userId, requestId }, (transaction) =>
    transaction.insert(memberships).values({ orgId, userId, role: 'org_admin', createdAt: now }).onConflictDoNothing(),
  );
  return { orgId, created: true };
}
