import { and, eq } from 'drizzle-orm';
import type { Transaction } from '../../platform/db/database.ts';
import { supportAccessGrants } from '../../platform/db/schema.ts';
import type { AuditActor } from '../audit/append-audit-event.ts';
import { appendAuditEventInScope } from '../audit/append-audit-event-in-scope.ts';
import { settleSupportAccess } from './settle-support-access.ts';

/**
 * Ends the organisation's active grant now: the next support read is refused. Idempotent — with
 * nothing active it changes nothing (and still records a lapsed grant's expiry). The route audits
 * `support_access.revoked` on the organisation's chain; a real revocation is added to the
 * platform chain here, in the same transaction.
 */
export async function revokeSupportAccess(options: {
  transaction: Transaction;
  orgId: string;
  actor: AuditActor & { userId: string };
  now: Date;
  requestId: string;
}): Promise<{ revokedGrantId: string | null }> {
  const { transaction, orgId, now } = options;
  const active = await settleSupportAccess(transaction, { orgId, now, requestId: options.requestId });
  if (!active) return { revokedGrantId: null };
  await transaction
    .update(supportAccessGrants)
    .set({ endedAt: now, endReason: 'revoked', endedBy: options.actor.userId })
    .where(and(eq(supportAccessGrants.orgId, orgId), eq(supportAccessGrants.id, active.id)));
  await appendAuditEventInScope(transaction, {
    orgId: null,
    actor: options.actor,
    action: 'support_access.revoked',
    outcome: 'success',
    target: { type: 'organisation', id: orgId },
    metadata: { grantId: active.id, expiresAt: active.expiresAt.toISOString() },
    requestId: options.requestId,
    occurredAt: now,
  });
  return { revokedGrantId: active.id };
}
