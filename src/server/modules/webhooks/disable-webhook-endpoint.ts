import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Transaction } from '../../platform/db/database.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit/append-audit-event.ts';
import type { Mailer } from '../identity/mail/create-mailer.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/** Failing continuously for this long disables an endpoint until someone re-enables it. */
export const AUTO_DISABLE_AFTER_MS = 5 * 86_400_000;

/**
 * Disables an endpoint on the system's behalf (410 Gone, or five days of failures) and records
 * it in the organisation's audit chain, in the caller's transaction.
 */
export async function disableWebhookEndpoint(
  transaction: Transaction,
  options: { orgId: string; endpointId: string; reason: string; cause: 'gone' | 'failing'; now: Date },
): Promise<void> {
  await transaction
    .update(webhookEndpoints)
    .set({ status: 'disabled', disabledReason: options.reason, disabledAt: options.now, updatedAt: options.now })
    .where(and(eq(webhookEndpoints.orgId, options.orgId), eq(webhookEndpoints.id, options.endpointId)));
  await appendAuditEvent(transactionQuery(transaction), {
    orgId: options.orgId,
    actor: SYSTEM_ACTOR,
    action: 'webhook.endpoint_auto_disabled',
    outcome: 'success',
    target: { type: 'webhook_endpoint', id: options.endpointId },
    metadata: { cause: options.cause, reason: options.reason },
    requestId: null,
    occurredAt: options.now,
  });
}

/** Tells the organisation's admins by email that an endpoint was disabled (after the commit). */
export async function mailAdminsAboutDisabledEndpoint(
  dependencies: { database: Database; mailer: Pick<Mailer, 'sendMail'>; log: Pick<Logger, 'error'> },
  options: { orgId: string; endpointId: string; url: string; reason: string },
): Promise<number> {
  const admins = await withTenantTransaction(
    dependencies.database,
    { orgId: options.orgId, userId: null, requestId: `webhook-disabled:${options.endpointId}` },
    (transaction) =>
      transactionQuery(transaction)<{ email: string }>(
        `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.org_id = $1::uuid AND m.role = 'org_admin' AND u.suspended_at IS NULL ORDER BY u.email`,
        [options.orgId],
      ),
  );
  for (const admin of admins) {
    try {
      await dependencies.mailer.sendMail({
        to: admin.email,
        subject: 'A webhook endpoint was disabled',
        text: [
          'Vigil stopped sending webhooks to one of your endpoints:',
          '',
          `  ${options.url}`,
          '',
          `Reason: ${options.reason}`,
          '',
          'Events are no longer delivered to it. Fix the receiver, then re-enable the endpoint in',
          'Settings → Webhooks and use “Recover” to resend what it missed.',
        ].join('\n'),
      });
    } catch (error) {
      dependencies.log.error(
        { err: error, endpointId: options.endpointId },
        'could not mail the disabled-endpoint notice',
      );
    }
  }
  return admins.length;
}
