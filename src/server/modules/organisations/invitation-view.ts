import type { InvitationView } from '../../../contracts/organisations.ts';
import type { Invitation } from '../../platform/db/schema.ts';

export function invitationStatus(row: Invitation, now: Date): InvitationView['status'] {
  if (row.acceptedAt) return 'accepted';
  if (row.declinedAt) return 'declined';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'pending';
}

export function invitationView(row: Invitation, now: Date): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row, now),
    invitedBy: row.invitedBy,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}
