import { and, eq } from 'drizzle-orm';
import type { Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { type SupportAccessGrant, supportAccessGrants } from '../../platform/db/schema.ts';
import type { AuditActor } from '../audit/append-audit-event.ts';
import { appendAuditEventInScope } from '../audit/append-audit-event-in-scope.ts';
import { settleSupportAccess } from './settle-support-access.ts';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Grants the platform's admins support access to the organisation for `durationHours` from now.
 * One grant is open at a time: granting again *replaces* the open grant (it ends now, 'replaced')
 * with a new one carrying the new reason and duration — so every grant has its own reason on the
 * record, and shortening is as easy as lengthening. Runs in the organisation's transaction; the
 * route audits `support_access.granted` on the organisation's chain, this adds it to the
 * platform chain in the same transaction.
 */
export async function grantSupportAccess(options: {
  transaction: Transaction;
  orgId: string;
  actor: AuditActor & { userId: string };
  durationHours: number;
  reason: string;
  now: Date;
  requestId: string;
}): Promise<{ grant: SupportAccessGrant; replacedGrantId: string | null }> {
  const { transaction, orgId, now } = options;
  const previous = await settleSupportAccess(transaction, { orgId, now, requestId: options.requestId });
  if (previous) {
    await transaction
      .update(supportAccessGrants)
      .set({ endedAt: now, endReason: 'replaced', endedBy: options.actor.userId })
      .where(and(eq(supportAccessGrants.orgId, orgId), eq(supportAccessGrants.id, previous.id)));
  }
  const [grant] = await transaction
    .insert(supportAccessGrants)
    .values({
      orgId,
      id: newId(),
      grantedBy: options.actor.userId,
      reason: options.reason,
      grantedAt: now,
      expiresAt: new Date(now.getTime() + options.durationHours * HOUR_MS),
    })
    .returning();
  if (!grant) throw new Error('the grant was not inserted');
  await appendAuditEventInScope(transaction, {
    orgId: null,
    actor: options.actor,
    action: 'support_access.granted',
    outcome: 'success',
    target: { type: 'organisation', id: orgId },
    metadata: supportAccessGrantedMetadata(grant, previous?.id ?? null, options.durationHours),
    requestId: options.requestId,
    occurredAt: now,
  });
  return { grant, replacedGrantId: previous?.id ?? null };
}

/** What both chains record about a grant. */
export function supportAccessGrantedMetadata(
  grant: SupportAccessGrant,
  replacedGrantId: string | null,
  durationHours: number,
): Record<string, unknown> {
  return {
    grantId: grant.id,
    durationHours,
    expiresAt: grant.expiresAt.toISOString(),
    reason: grant.reason,
    replacedGrantId,
  };
}
