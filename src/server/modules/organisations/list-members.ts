import { asc, eq } from 'drizzle-orm';
import type { MemberView } from '../../../contracts/organisations.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { memberships, users } from '../../platform/db/schema.ts';
import { mfaTotp } from '../identity/mfa/mfa-tables.ts';

/** The organisation's members (row-level security scopes memberships to the organisation). */
export async function listMembers(transaction: Transaction, orgId: string): Promise<MemberView[]> {
  const rows = await transaction
    .select({
      userId: memberships.userId,
      email: users.email,
      displayName: users.displayName,
      role: memberships.role,
      joinedAt: memberships.createdAt,
      mfaConfirmedAt: mfaTotp.confirmedAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(mfaTotp, eq(mfaTotp.userId, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(users.emailNormalised));
  return rows.map(({ mfaConfirmedAt, joinedAt, ...row }) => ({
    ...row,
    joinedAt: joinedAt.toISOString(),
    mfaEnabled: mfaConfirmedAt !== null,
  }));
}
