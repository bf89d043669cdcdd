import type { Database, Transaction } from './database.ts';

export type TenantScope = { orgId: string; userId: string | null; requestId: string };
export type PlatformScope = { userId: string | null; requestId: string };

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
  return database.transactionWith(
    { 'app.org_id': scope.orgId, 'app.user_id': scope.userId ?? '', 'app.request_id': scope.requestId },
    work,
  );
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
  return database.transactionWith({ 'app.user_id': scope.userId ?? '', 'app.request_id': scope.requestId }, work);
}
