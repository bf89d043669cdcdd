import { and, eq, isNull } from 'drizzle-orm';
import type { Database, Transaction } from '../../platform/db/database.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { type SupportAccessGrant, supportAccessGrants } from '../../platform/db/schema.ts';
import { SYSTEM_ACTOR } from '../audit/append-audit-event.ts';
import { appendAuditEventInScope } from '../audit/append-audit-event-in-scope.ts';
import { GRANT_TARGET } from './support-access-context.ts';

/**
 * The organisation's open grant, locked, if it is still active at `now`; null otherwise. A grant
 * whose expiry has passed is closed here ('expired', ended at its expiry time) and the expiry is
 * audited on both chains: expiry is decided by the clock on every request, and recorded by the
 * first request that notices it or by the expiry job (expire-lapsed-support-access.ts), whichever
 * comes first. Runs in a transaction scoped to `orgId`.
 */
export async function settleSupportAccess(
  transaction: Transaction,
  options: { orgId: string; now: Date; requestId: string },
): Promise<SupportAccessGrant | null> {
  return (await settle(transaction, options)).active;
}

/**
 * Settles the organisation's grant like settleSupportAccess, for the expiry job: the id of the
 * grant whose expiry this call recorded, null when there was none to record (nothing open, still
 * active, or already recorded by someone else).
 */
export async function recordSupportAccessExpiry(
  transaction: Transaction,
  options: { orgId: string; now: Date; requestId: string },
): Promise<string | null> {
  return (await settle(transaction, options)).expiredGrantId;
}

/**
 * The row lock (FOR UPDATE on the open grant, which re-reads `ended_at` after waiting for a
 * concurrent settlement to commit) is what makes the expiry recorded once: a second settlement
 * finds no open grant.
 */
async function settle(
  transaction: Transaction,
  options: { orgId: string; now: Date; requestId: string },
): Promise<{ active: SupportAccessGrant | null; expiredGrantId: string | null }> {
  const { orgId, now } = options;
  const [open] = await transaction
    .select()
    .from(supportAccessGrants)
    .where(and(eq(supportAccessGrants.orgId, orgId), isNull(supportAccessGrants.endedAt)))
    .for('update');
  if (!open) return { active: null, expiredGrantId: null };
  if (open.expiresAt > now) return { active: open, expiredGrantId: null };
  await transaction
    .update(supportAccessGrants)
    .set({ endedAt: open.expiresAt, endReason: 'expired' })
    .where(and(eq(supportAccessGrants.orgId, orgId), eq(supportAccessGrants.id, open.id)));
  const metadata = { grantId: open.id, expiredAt: open.expiresAt.toISOString(), grantedBy: open.grantedBy };
  for (const chain of [orgId, null]) {
    await appendAuditEventInScope(transaction, {
      orgId: chain,
      actor: SYSTEM_ACTOR,
      action: 'support_access.expired',
      outcome: 'success',
      target: chain ? { type: GRANT_TARGET, id: open.id } : { type: 'organisation', id: orgId },
      metadata,
      requestId: options.requestId,
      occurredAt: now,
    });
  }
  return { active: null, expiredGrantId: open.id };
}

/**
 * The organisation's active grant at `now`, without settling a lapsed one (for reads inside a
 * transaction that must not write the expiry).
 */
export async function readActiveSupportAccess(
  transaction: Transaction,
  options: { orgId: string; now: Date },
): Promise<SupportAccessGrant | null> {
  const [open] = await transaction
    .select()
    .from(supportAccessGrants)
    .where(and(eq(supportAccessGrants.orgId, options.orgId), isNull(supportAccessGrants.endedAt)));
  return open && open.expiresAt > options.now ? open : null;
}

/**
 * Settles the organisation's grant in a transaction of its own, before a platform admin's read:
 * when the grant has lapsed, its expiry is recorded (both chains) and committed even though the
 * read that follows is refused. Must not be called inside another transaction.
 */
export function settleSupportAccessAlone(options: {
  database: Database;
  orgId: string;
  userId: string;
  now: Date;
  requestId: string;
}): Promise<SupportAccessGrant | null> {
  const { orgId, requestId } = options;
  return withTenantTransaction(options.database, { orgId, userId: options.userId, requestId }, (transaction) =>
    settleSupportAccess(transaction, { orgId, now: options.now, requestId }),
  );
}
