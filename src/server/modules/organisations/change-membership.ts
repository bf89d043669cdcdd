import { and, eq, sql } from 'drizzle-orm';
import { roleRank } from '../../../contracts/organisations.ts';
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { queryRows } from '../../platform/db/query-rows.ts';
import { memberships } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';

const LAST_ADMIN =
  'An organisation needs at least one admin: make someone else an admin first (or delete the organisation).';

/**
 * Locks the organisation's admins and fails if `userId` is the only one. The lock serialises
 * concurrent demotions and removals: two admins demoting each other cannot both succeed.
 */
async function requireAnotherAdmin(transaction: Transaction, userId: string): Promise<void> {
  const admins = await queryRows<{ user_id: string }>(
    transaction,
    sql`SELECT user_id FROM memberships WHERE role = 'org_admin' ORDER BY user_id FOR UPDATE`,
  );
  if (!admins.some((admin) => admin.user_id !== userId)) throw new AppError('conflict', LAST_ADMIN);
}

async function lockMember(transaction: Transaction, orgId: string, userId: string) {
  const [member] = await transaction
    .select()
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .for('update');
  if (!member) throw new AppError('not-found', 'No such member in this organisation.');
  return member;
}

/**
 * Changes a member's role. Nobody grants a role above their own, or changes the role of someone
 * ranked above them; the last admin cannot be demoted. Takes effect on the member's next request.
 */
export async function changeMemberRole(options: {
  transaction: Transaction;
  orgId: string;
  callerRole: OrganisationRole;
  userId: string;
  role: OrganisationRole;
}): Promise<{ from: OrganisationRole; to: OrganisationRole }> {
  const { transaction, orgId, userId, role, callerRole } = options;
  if (roleRank[role] > roleRank[callerRole]) {
    throw new AppError('forbidden', 'You cannot grant a role above your own.');
  }
  const member = await lockMember(transaction, orgId, userId);
  if (roleRank[member.role] > roleRank[callerRole]) {
    throw new AppError('forbidden', 'You cannot change the role of someone above your own role.');
  }
  if (member.role === role) return { from: member.role, to: role };
  if (member.role === 'org_admin') await requireAnotherAdmin(transaction, userId);
  await transaction
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return { from: member.role, to: role };
}

/**
 * Removes a member (or, with `userId` = the caller, leaves). The last admin cannot go. The
 * member's access to the organisation ends with the commit.
 */
export async function removeMember(options: {
  transaction: Transaction;
  orgId: string;
  callerRole: OrganisationRole;
  callerId: string;
  userId: string;
}): Promise<{ role: OrganisationRole }> {
  const { transaction, orgId, userId } = options;
  const member = await lockMember(transaction, orgId, userId);
  if (userId !== options.callerId && roleRank[member.role] > roleRank[options.callerRole]) {
    throw new AppError('forbidden', 'You cannot remove someone above your own role.');
  }
  if (member.role === 'org_admin') await requireAnotherAdmin(transaction, userId);
  await transaction.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return { role: member.role };
}
