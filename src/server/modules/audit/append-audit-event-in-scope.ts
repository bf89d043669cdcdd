import type { Transaction } from '../../platform/db/database.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { appendAuditEvent, type AuditEventInput } from './append-audit-event.ts';
import { inOrganisationScope } from '../../platform/db/tenant-transaction.ts';

/**
 * Appends an event to the chain `input.orgId` names (null: the platform chain) from inside a
 * transaction scoped to the other one, then restores the scope, so an event about a change that
 * crosses from one chain to the other (support access, deleting an organisation) commits or rolls
 * back with that change.
 */
export function appendAuditEventInScope(transaction: Transaction, input: AuditEventInput) {
  return inOrganisationScope(transaction, input.orgId, () => appendAuditEvent(transactionQuery(transaction), input));
}
