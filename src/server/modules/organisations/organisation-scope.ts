import { sql } from 'drizzle-orm';
import type { Transaction } from '../../platform/db/database.ts';
import { queryRows } from '../../platform/db/query-rows.ts';

/**
 * Runs `work` inside the current transaction as if it were scoped to `orgId` (or to no
 * organisation with null), then restores the previous scope. For the few flows that cross from
 * the platform into one organisation atomically — creating an organisation, accepting an
 * invitation, deleting an organisation — so the row writes and both audit chains commit together.
 * Row-level security still applies to every statement: the scope is what it checks.
 */
export async function inOrganisationScope<T>(
  transaction: Transaction,
  orgId: string | null,
  work: () => Promise<T>,
): Promise<T> {
  const [previous] = await queryRows<{ org_id: string | null }>(
    transaction,
    sql`SELECT current_setting('app.org_id', true) AS org_id, set_config('app.org_id', ${orgId ?? ''}, true)`,
  );
  const result = await work();
  await transaction.execute(sql`SELECT set_config('app.org_id', ${previous?.org_id ?? ''}, true)`);
  return result;
}
