import { and, eq, lt } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import type { JobHandler } from '../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../platform/jobs/recurring-jobs.ts';
import { webhookAttempts, webhookMessages } from './webhook-tables.ts';

export const WEBHOOK_RETENTION_MS = 30 * 86_400_000;
export const WEBHOOK_PURGE_JOB_KIND = 'webhook.purge';
export const WEBHOOK_PURGE_SCHEDULE: RecurringJob = { kind: WEBHOOK_PURGE_JOB_KIND, everyMs: 3_600_000 };

/**
 * Deletes messages (with their deliveries and attempts) and attempts older than 30 days, one
 * organisation per transaction (the tables are row-level scoped, and short transactions keep
 * the purge from holding locks on a busy installation).
 */
export async function purgeWebhookHistory(options: {
  database: Database;
  clock: Clock;
}): Promise<{ messages: number; attempts: number }> {
  const cutoff = new Date(options.clock.now().getTime() - WEBHOOK_RETENTION_MS);
  const orgs = await options.database.orm.select({ id: organisations.id }).from(organisations);
  let messages = 0;
  let attempts = 0;
  for (const org of orgs) {
    const purged = await withTenantTransaction(
      options.database,
      { orgId: org.id, userId: null, requestId: `webhook-purge:${cutoff.toISOString()}` },
      async (transaction) => {
        const oldAttempts = await transaction
          .delete(webhookAttempts)
          .where(and(eq(webhookAttempts.orgId, org.id), lt(webhookAttempts.startedAt, cutoff)))
          .returning({ id: webhookAttempts.id });
        const oldMessages = await transaction
          .delete(webhookMessages)
          .where(and(eq(webhookMessages.orgId, org.id), lt(webhookMessages.createdAt, cutoff)))
          .returning({ id: webhookMessages.id });
        return { attempts: oldAttempts.length, messages: oldMessages.length };
      },
    );
    messages += purged.messages;
    attempts += purged.attempts;
  }
  return { messages, attempts };
}

export function createWebhookPurgeJobHandler(options: { database: Database; clock: Clock }): JobHandler {
  return async () => {
    await purgeWebhookHistory(options);
  };
}
