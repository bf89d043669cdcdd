import { and, asc, eq, gt } from 'drizzle-orm';
import type { DealList } from '../../../contracts/deals.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { deals } from '../../platform/db/schema.ts';

/**
 * One page of an organisation's deals in id (creation-time) order. Scoped twice: by the explicit
 * `org_id` condition and by RLS on the transaction.
 */
export async function listDeals(
  transaction: Transaction,
  options: { orgId: string; limit: number; cursor?: string | undefined },
): Promise<DealList> {
  const rows = await transaction
    .select()
    .from(deals)
    .where(and(eq(deals.orgId, options.orgId), options.cursor ? gt(deals.id, options.cursor) : undefined))
    .orderBy(asc(deals.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      name: row.name,
      stage: row.stage,
      amountMinor: row.amountMinor,
      currency: row.currency,
      closeDate: row.closeDate,
      ownerName: row.ownerName,
      updatedAt: row.updatedAt.toISOString(),
    })),
    nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
