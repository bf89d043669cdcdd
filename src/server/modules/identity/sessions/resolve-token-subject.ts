import { and, asc, eq, sql } from 'drizzle-orm';
import type { OrganisationRole } from '../../../../contracts/permissions.ts';
import type { Transaction } from '../../../platform/db/database.ts';
import { actAsUserInTransaction } from '../../../platform/db/tenant-transaction.ts';
import { memberships, users } from '../../../platform/db/schema.ts';
import type { AuthenticationMethod } from '../identity-types.ts';

export type TokenSubject = {
  platformAdmin: boolean;
  suspended: boolean;
  orgId: string | null;
  role: OrganisationRole | null;
};

/**
 * What an access token for this user may say, read from the database at every issuance (so a role
 * change or removal applies at the next refresh at the latest). `orgId: null` picks the user's
 * first membership; a named organisation the user no longer belongs to gives none. A platform administrator whose session has not passed a second factor
 * gets no organisation at all: until they enrol and use MFA they can reach only their own account
 * routes (MFA enrolment), never tenant data. Returns null for a deleted user.
 */
export async function resolveTokenSubject(
  transaction: Transaction,
  options: { userId: string; orgId: string | null; amr: readonly AuthenticationMethod[] },
): Promise<TokenSubject | null> {
  // Memberships are visible to the member only (RLS reads app.user_id).
  await actAsUserInTransaction(transaction, options.userId);
  // The user and their first (or named) membership in one statement: refresh and sign-in both run
  // this inside their transaction, and every round trip there is time the row locks are held.
  const membership = transaction
    .select({ orgId: memberships.orgId, role: memberships.role })
    .from(memberships)
    .where(
      options.orgId
        ? and(eq(memberships.userId, options.userId), eq(memberships.orgId, options.orgId))
        : eq(memberships.userId, options.userId),
    )
    .orderBy(asc(memberships.createdAt), asc(memberships.orgId))
    .limit(1)
    .as('membership');
  const [row] = await transaction
    .select({
      platformAdmin: users.platformAdmin,
      suspendedAt: users.suspendedAt,
      orgId: membership.orgId,
      role: membership.role,
    })
    .from(users)
    .leftJoin(membership, sql`true`)
    .where(eq(users.id, options.userId));
  if (!row) return null;
  const subject = { platformAdmin: row.platformAdmin, suspended: row.suspendedAt !== null };
  if (row.platformAdmin && !options.amr.includes('otp')) return { ...subject, orgId: null, role: null };
  return { ...subject, orgId: row.orgId ?? null, role: row.role ?? null };
}
