import { eq } from 'drizzle-orm';
import type { Caller } from '../../platform/authz/caller.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { memberships, organisations } from '../../platform/db/schema.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { AuditActor } from '../audit/append-audit-event.ts';
import { appendAuditEventInScope } from '../audit/append-audit-event-in-scope.ts';
import type { OrganisationContext } from './organisation-context.ts';

async function lockConfirmed(transaction: Transaction, orgId: string, confirmName: string) {
  const [organisation] = await transaction
    .select()
    .from(organisations)
    .where(eq(organisations.id, orgId))
    .for('update');
  if (!organisation) throw new AppError('not-found');
  if (confirmName.trim() !== organisation.name) {
    throw new AppError('validation-failed', 'Type the organisation’s name exactly to confirm.', {
      errors: [{ pointer: '/body/confirmName', message: 'does not match the organisation’s name' }],
    });
  }
  return organisation;
}

/**
 * The checks before anything irreversible, each outside any open transaction (they use the
 * database themselves): a recent second factor for callers with MFA, the organisation's name
 * typed exactly, then the integrations hook revokes the tokens its connected providers granted.
 */
export async function prepareOrganisationDeletion(options: {
  context: OrganisationContext;
  caller: Caller;
  orgId: string;
  confirmName: string;
  requestId: string;
}): Promise<void> {
  const { context, caller, orgId } = options;
  await context.requireStepUp(caller);
  await withTenantTransaction(
    context.database,
    { orgId, userId: caller.userId, requestId: options.requestId },
    (transaction) => lockConfirmed(transaction, orgId, options.confirmName),
  );
  await context.revokeOrganisationGrants({ orgId });
}

/**
 * Deletes an organisation and, by cascade, every tenant row (deals, memberships, invitations, …)
 * in the route's organisation transaction, after `prepareOrganisationDeletion`. The
 * organisation's own audit chain stays as it is (append-only); it now names an organisation id
 * that resolves to nothing — pseudonymous — and the platform chain records the deletion with that
 * id only, never the name.
 */
export async function deleteOrganisation(options: {
  context: OrganisationContext;
  transaction: Transaction;
  orgId: string;
  confirmName: string;
  actor: AuditActor;
  requestId: string;
}): Promise<{ memberUserIds: string[] }> {
  const { context, transaction, orgId } = options;
  await lockConfirmed(transaction, orgId, options.confirmName);
  const members = await transaction.select({ userId: memberships.userId }).from(memberships);
  await transaction.delete(organisations).where(eq(organisations.id, orgId));
  await appendAuditEventInScope(transaction, {
    orgId: null,
    actor: options.actor,
    action: 'organisation.deleted',
    outcome: 'success',
    target: { type: 'organisation', id: orgId },
    metadata: { members: members.length },
    requestId: options.requestId,
    occurredAt: context.clock.now(),
  });
  return { memberUserIds: members.map((member) => member.userId) };
}
