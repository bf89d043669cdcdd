import { and, eq, isNull } from 'drizzle-orm';
import { type InvitationView, roleRank } from '../../../contracts/organisations.ts';
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { invitations, memberships, organisations, users } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { normaliseEmail } from '../identity/accounts/normalise-email.ts';
import { INVITATION_TTL_MS, type OrganisationContext } from './organisation-context.ts';
import { invitationLink, invitationMail } from './invitation-mail.ts';
import type { MailMessage } from '../identity/mail/create-mailer.ts';
import { newInvitationToken } from './invitation-token.ts';
import { invitationStatus, invitationView } from './invitation-view.ts';

/**
 * The invitation email, composed in the transaction and sent once it has committed. The
 * organisation's name and the inviter's address come from one statement.
 */
async function composeInvitation(options: {
  context: OrganisationContext;
  transaction: Transaction;
  orgId: string;
  inviterId: string;
  to: string;
  role: OrganisationRole;
  token: string;
  expiresAt: Date;
}): Promise<MailMessage> {
  const [names] = await options.transaction
    .select({ orgName: organisations.name, inviterEmail: users.email })
    .from(organisations)
    .leftJoin(users, eq(users.id, options.inviterId))
    .where(eq(organisations.id, options.orgId));
  return invitationMail({
    to: options.to,
    orgName: names?.orgName ?? 'an organisation',
    role: options.role,
    inviterEmail: names?.inviterEmail ?? null,
    link: invitationLink(options.context.publicUrl, options.token),
    expiresAt: options.expiresAt,
  });
}

export type InvitationSent = { invitation: InvitationView; mail: MailMessage };

/**
 * Invites an email address with a role (never above the inviter's). An open invitation to the
 * same address is replaced by this one (new token, new role, new expiry); inviting a member is a
 * conflict. Returns the email to send once the transaction has committed (the caller sends it);
 * a new token makes the old link useless.
 */
export async function inviteMember(options: {
  context: OrganisationContext;
  transaction: Transaction;
  orgId: string;
  inviterId: string;
  inviterRole: OrganisationRole;
  email: string;
  role: OrganisationRole;
}): Promise<InvitationSent> {
  const { context, transaction, orgId } = options;
  if (roleRank[options.role] > roleRank[options.inviterRole]) {
    throw new AppError('forbidden', 'You cannot invite someone with a role above your own.');
  }
  const now = context.clock.now();
  const emailNormalised = normaliseEmail(options.email);
  const [existingMember] = await transaction
    .select({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(users.emailNormalised, emailNormalised)));
  if (existingMember) throw new AppError('conflict', 'That person is already a member of this organisation.');

  const { token, hash } = newInvitationToken();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  // Whatever was open for this address is superseded (its link stops working).
  await transaction
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.orgId, orgId),
        eq(invitations.emailNormalised, emailNormalised),
        isNull(invitations.acceptedAt),
        isNull(invitations.declinedAt),
        isNull(invitations.revokedAt),
      ),
    );
  const [row] = await transaction
    .insert(invitations)
    .values({
      orgId,
      id: newId(),
      email: options.email,
      emailNormalised,
      role: options.role,
      tokenHash: hash,
      invitedBy: options.inviterId,
      createdAt: now,
      sentAt: now,
      expiresAt,
    })
    .returning();
  const mail = await composeInvitation({ ...options, to: options.email, token, expiresAt });
  return { invitation: invitationView(row as NonNullable<typeof row>, now), mail };
}

/** Sends a pending (or expired) invitation again with a fresh token and expiry. */
export async function resendInvitation(options: {
  context: OrganisationContext;
  transaction: Transaction;
  orgId: string;
  inviterId: string;
  inviterRole: OrganisationRole;
  invitationId: string;
}): Promise<InvitationSent> {
  const { context, transaction, orgId } = options;
  const now = context.clock.now();
  const [current] = await transaction
    .select()
    .from(invitations)
    .where(and(eq(invitations.orgId, orgId), eq(invitations.id, options.invitationId)))
    .for('update');
  if (!current) throw new AppError('not-found', 'No such invitation in this organisation.');
  const status = invitationStatus(current, now);
  if (status !== 'pending' && status !== 'expired') {
    throw new AppError('conflict', `This invitation was ${status}; invite the person again instead.`);
  }
  if (roleRank[current.role] > roleRank[options.inviterRole]) {
    throw new AppError('forbidden', 'You cannot resend an invitation for a role above your own.');
  }
  const { token, hash } = newInvitationToken();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  const [row] = await transaction
    .update(invitations)
    .set({ tokenHash: hash, sentAt: now, expiresAt })
    .where(and(eq(invitations.orgId, orgId), eq(invitations.id, current.id)))
    .returning();
  const mail = await composeInvitation({ ...options, to: current.email, role: current.role, token, expiresAt });
  return { invitation: invitationView(row as NonNullable<typeof row>, now), mail };
}

/** Withdraws an open invitation; its link stops working. */
export async function revokeInvitation(options: {
  transaction: Transaction;
  orgId: string;
  invitationId: string;
  now: Date;
}): Promise<InvitationView> {
  const { transaction, orgId, now } = options;
  const [row] = await transaction
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.orgId, orgId),
        eq(invitations.id, options.invitationId),
        isNull(invitations.acceptedAt),
        isNull(invitations.declinedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning();
  if (!row) {
    const [exists] = await transaction
      .select({ id: invitations.id })
      .from(invitations)
      .where(and(eq(invitations.orgId, orgId), eq(invitations.id, options.invitationId)));
    if (!exists) throw new AppError('not-found', 'No such invitation in this organisation.');
    throw new AppError('conflict', 'This invitation is no longer open.');
  }
  return invitationView(row, now);
}

/** The organisation's invitations, newest first (open ones and the recent history). */
export async function listInvitations(transaction: Transaction, orgId: string, now: Date): Promise<InvitationView[]> {
  const rows = await transaction
    .select()
    .from(invitations)
    .where(eq(invitations.orgId, orgId))
    .orderBy(invitations.createdAt)
    .limit(500);
  return rows.reverse().map((row) => invitationView(row, now));
}
