import { sql } from 'drizzle-orm';
import { type Database, settingAssignments, type Transaction, type TransactionSettings } from './database.ts';
import { queryRows } from './query-rows.ts';

export type TenantScope = { orgId: string; userId: string | null; requestId: string };
export type PlatformScope = { userId: string | null; requestId: string };

/**
 * The transaction settings that scope a transaction: the RLS policies read `app.org_id` (tenant
 * rows) and `app.user_id` (memberships), the audit and log context `app.request_id`. This file
 * is the one place that sets them.
 */
const SCOPE_SETTINGS = { orgId: 'app.org_id', userId: 'app.user_id', requestId: 'app.request_id' } as const;

function scopeSettings(scope: Partial<TenantScope>): TransactionSettings {
  const settings: Record<`app.${string}`, string> = {};
  if (scope.orgId !== undefined) settings[SCOPE_SETTINGS.orgId] = scope.orgId;
  if (scope.userId !== undefined) settings[SCOPE_SETTINGS.userId] = scope.userId ?? '';
  if (scope.requestId !== undefined) settings[SCOPE_SETTINGS.requestId] = scope.requestId;
  return settings;
}

/** `set_config(…), …` for the scope's settings, to follow a SELECT inside an open transaction. */
function assignScope(scope: Partial<TenantScope>) {
  return sql.join(settingAssignments(scopeSettings(scope)), sql`, `);
}

/**
 * The only way to touch tenant tables. Sets `app.org_id`, `app.user_id` and `app.request_id`
 * with `set_config(..., true)`, i.e. for this transaction only: a session-level SET would stay
 * on the pooled connection and leak into whichever request borrows it next. RLS policies read
 * `app.org_id`, so even a query that forgets its WHERE clause sees only this organisation.
 */
export function withTenantTransaction<T>(
  database: Database,
  scope: TenantScope,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  return database.transactionWith(scopeSettings(scope), work);
}

/**
 * A transaction on platform tables (organisations, jobs). No organisation is set, so tenant
 * tables read as empty and refuse writes inside it.
 */
export function withPlatformTransaction<T>(
  database: Database,
  scope: PlatformScope,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  return database.transactionWith(scopeSettings({ userId: scope.userId, requestId: scope.requestId }), work);
}

/**
 * Sets the user the open transaction acts for (`app.user_id`, transaction-locally), for flows
 * that learn who the user is inside the transaction (sign-in, refresh): memberships are visible
 * to their member only.
 */
export async function actAsUserInTransaction(transaction: Transaction, userId: string): Promise<void> {
  await transaction.execute(sql`SELECT ${assignScope({ userId })}`);
}

/**
 * Runs `work` inside the open transaction as if it were scoped to `orgId` (or to no organisation
 * with null), then restores the previous scope — also when `work` throws, so a caller that
 * catches the error and goes on is back in its own scope. For the few flows that cross from the
 * platform into one organisation atomically (creating an organisation, accepting an invitation,
 * deleting an organisation, support access on both audit chains), so the row writes and both
 * audit chains commit together. Row-level security still applies to every statement: the scope
 * is what it checks.
 */
export async function inOrganisationScope<T>(
  transaction: Transaction,
  orgId: string | null,
  work: () => Promise<T>,
): Promise<T> {
  // Reads the current scope and sets the new one in one round trip.
  const [current] = await queryRows<{ previous: string | null }>(
    transaction,
    sql`SELECT current_setting(${SCOPE_SETTINGS.orgId}, true) AS previous, ${assignScope({ orgId: orgId ?? '' })}`,
  );
  const restore = () => transaction.execute(sql`SELECT ${assignScope({ orgId: current?.previous ?? '' })}`);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // After a failed statement the transaction accepts no more (it can only roll back, taking
    // the scope with it): the restore then fails too, and `work`'s error is the one to report.
    await restore().catch(() => undefined);
    throw error;
  }
  await restore();
  return result;
}
