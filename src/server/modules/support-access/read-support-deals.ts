import { eq } from 'drizzle-orm';
import type { SupportDeals } from '../../../contracts/support-access.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { AuditActor } from '../audit/append-audit-event.ts';
import { listDeals } from '../deals/list-deals.ts';
import { inOrganisationScope } from '../../platform/db/tenant-transaction.ts';
import { appendAuditEventInScope } from '../audit/append-audit-event-in-scope.ts';
import { readActiveSupportAccess } from './settle-support-access.ts';
import { GRANT_TARGET } from './support-access-context.ts';
import { supportAccessGrantView } from './support-access-view.ts';

export const NO_SUPPORT_ACCESS =
  'This organisation has not granted support access, or the grant has expired or been revoked.';

/**
 * One page of an organisation's deals for a platform admin, only while the organisation's grant
 * is active. Steps into the organisation's scope inside the route's platform transaction (RLS
 * still applies to every statement) and records the read on the organisation's chain — the route
 * records it on the platform chain — both with the admin and the grant. Deals only: this module
 * reads no table that holds a secret.
 */
export async function readSupportDeals(options: {
  transaction: Transaction;
  orgId: string;
  admin: AuditActor & { userId: string };
  now: Date;
  limit: number;
  cursor?: string | undefined;
  requestId: string;
}): Promise<SupportDeals> {
  const { transaction, orgId, now } = options;
  const [organisation] = await transaction
    .select({ id: organisations.id, name: organisations.name, slug: organisations.slug })
    .from(organisations)
    .where(eq(organisations.id, orgId));
  if (!organisation) throw new AppError('not-found', 'No such organisation.');
  return inOrganisationScope(transaction, orgId, async () => {
    const grant = await readActiveSupportAccess(transaction, { orgId, now });
    if (!grant) throw new AppError('support-access-required', NO_SUPPORT_ACCESS);
    const deals = await listDeals(transaction, { orgId, limit: options.limit, cursor: options.cursor });
    await appendAuditEventInScope(transaction, {
      orgId,
      actor: options.admin,
      action: 'support_access.deals_read',
      outcome: 'success',
      target: { type: GRANT_TARGET, id: grant.id },
      metadata: { grantId: grant.id, adminId: options.admin.userId, deals: deals.items.length },
      requestId: options.requestId,
      occurredAt: now,
    });
    return { organisation, grant: await supportAccessGrantView(transaction, grant), deals };
  });
}
