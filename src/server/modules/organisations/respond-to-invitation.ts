import { and, eq, gt, isNull } from 'drizzle-orm';
import type { ReceivedInvitation, RespondToInvitationRequest } from '../../../contracts/organisations.ts';
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { invitations, memberships, organisations, users } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { appendAuditEvent, type AuditActor } from '../audit/append-audit-event.ts';
import { hashInvitationToken } from './invitation-token.ts';
import { inOrganisationScope } from '../../platform/db/tenant-transaction.ts';

const NOT_FOR_YOU =
  'This invitation is not valid for your account: it may have expired, been used or withdrawn, or been sent to another email address.';

function open(now: Date) {
  return and(
    isNull(invitations.acceptedAt),
    isNull(invitations.declinedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, now),
  );
}

/**
 * Open invitations addressed to the caller. Row-level security shows a user only invitations to
 * their own verified email address; the filter says so in the query too.
 */
export async function listReceivedInvitations(
  transaction: Transaction,
  options: { userId: string; now: Date },
): Promise<ReceivedInvitation[]> {
  const [user] = await transaction
    .select({ emailNormalised: users.emailNormalised, verified: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, options.userId));
  if (!user?.verified) return [];
  const inviter = users;
  const rows = await transaction
    .select({
      id: invitations.id,
      orgId: invitations.orgId,
      orgName: organisations.name,
      role: invitations.role,
      invitedByEmail: inviter.email,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(organisations, eq(organisations.id, invitations.orgId))
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
    .where(and(eq(invitations.emailNormalised, user.emailNormalised), open(options.now)));
  return rows.map((row) => ({ ...row, expiresAt: row.expiresAt.toISOString() }));
}

/**
 * Accepts or declines an invitation, by the token from its email or by id (as listed to its
 * recipient). Only the person it was sent to — a signed-in account whose verified email is the
 * invited address — can use it: row-level security hides every other invitation. Accepting adds
 * the membership and marks the invitation used in one transaction (a second use finds it closed),
 * and records `member.joined` on the organisation's chain.
 */
export async function respondToInvitation(options: {
  transaction: Transaction;
  userId: string;
  request: RespondToInvitationRequest;
  accept: boolean;
  actor: AuditActor;
  requestId: string;
  now: Date;
}): Promise<{ orgId: string; orgName: string; role: OrganisationRole; invitationId: string }> {
  const { transaction, userId, now } = options;
  const [user] = await transaction
    .select({ emailNormalised: users.emailNormalised, verified: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new AppError('unauthenticated', 'Sign in again.');
  if (!user.verified) throw new AppError('email-not-verified', 'Verify your email address first, then accept.');
  const selector =
    'token' in options.request
      ? eq(invitations.tokenHash, hashInvitationToken(options.request.token))
      : eq(invitations.id, options.request.invitationId);
  const [found] = await transaction
    .select({ orgId: invitations.orgId, id: invitations.id })
    .from(invitations)
    .where(and(selector, eq(invitations.emailNormalised, user.emailNormalised)));
  if (!found) throw new AppError('not-found', NOT_FOR_YOU);

  return inOrganisationScope(transaction, found.orgId, async () => {
    const [invitation] = await transaction
      .select()
      .from(invitations)
      .where(and(eq(invitations.orgId, found.orgId), eq(invitations.id, found.id), open(now)))
      .for('update');
    if (!invitation) throw new AppError('not-found', NOT_FOR_YOU);
    const [organisation] = await transaction
      .select({ name: organisations.name, suspendedAt: organisations.suspendedAt })
      .from(organisations)
      .where(eq(organisations.id, invitation.orgId));
    if (!organisation || organisation.suspendedAt) throw new AppError('not-found', NOT_FOR_YOU);
    if (options.accept) {
      const inserted = await transaction
        .insert(memberships)
        .values({ orgId: invitation.orgId, userId, role: invitation.role, createdAt: now })
        .onConflictDoNothing()
        .returning({ userId: memberships.userId });
      if (inserted.length === 0) throw new AppError('conflict', 'You are already a member of this organisation.');
    }
    await transaction
      .update(invitations)
      .set(options.accept ? { acceptedAt: now, acceptedBy: userId } : { declinedAt: now })
      .where(and(eq(invitations.orgId, invitation.orgId), eq(invitations.id, invitation.id)));
    await appendAuditEvent(transactionQuery(transaction), {
      orgId: invitation.orgId,
      actor: { ...options.actor, role: options.accept ? invitation.role : null },
      action: options.accept ? 'member.joined' : 'invitation.declined',
      outcome: 'success',
      target: options.accept ? { type: 'user', id: userId } : { type: 'invitation', id: invitation.id },
      metadata: { invitationId: invitation.id, role: invitation.role },
      requestId: options.requestId,
      occurredAt: now,
    });
    return { orgId: invitation.orgId, orgName: organisation.name, role: invitation.role, invitationId: invitation.id };
  });
}
