import { lte } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import type { JobHandler } from '../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../platform/jobs/recurring-jobs.ts';
import { recordSupportAccessExpiry } from './settle-support-access.ts';

export const SUPPORT_ACCESS_EXPIRY_JOB_KIND = 'support_access.expire';

/**
 * Every 5 minutes: the access itself ends at the expiry instant whatever the job does (every read
 * checks the clock); the job only puts the end on the record, for the organisation's admins and
 * the platform, without waiting for someone to touch the grant.
 */
export const SUPPORT_ACCESS_EXPIRY_SCHEDULE: RecurringJob = {
  kind: SUPPORT_ACCESS_EXPIRY_JOB_KIND,
  everyMs: 5 * 60 * 1000,
};

/**
 * Records the end of every grant that has lapsed and is not yet closed: closes it ('expired', at
 * its expiry time) and audits `support_access.expired` on both chains, one organisation per
 * transaction. The organisations to visit come from the open grant's expiry mirrored onto
 * `organisations` (grants themselves are row-level scoped); the work is the same settlement the
 * requests do, which locks the open grant and re-reads it, so any number of runs, concurrent
 * with each other and with requests, record each expiry once.
 */
export async function expireLapsedSupportAccess(options: {
  database: Database;
  clock: Clock;
}): Promise<{ expired: number }> {
  const now = options.clock.now();
  const requestId = `support-access-expiry:${now.toISOString()}`;
  const lapsed = await options.database.orm
    .select({ id: organisations.id })
    .from(organisations)
    .where(lte(organisations.supportAccessExpiresAt, now));
  let expired = 0;
  for (const organisation of lapsed) {
    const orgId = organisation.id;
    const expiredGrantId = await withTenantTransaction(
      options.database,
      { orgId, userId: null, requestId },
      (transaction) => recordSupportAccessExpiry(transaction, { orgId, now, requestId }),
    );
    if (expiredGrantId) expired += 1;
  }
  return { expired };
}

export function createSupportAccessExpiryJobHandler(options: {
  database: Database;
  clock: Clock;
  log: { info(details: object, message: string): void };
}): JobHandler {
  return async () => {
    const result = await expireLapsedSupportAccess(options);
    if (result.expired > 0) options.log.info(result, 'lapsed support access grants recorded as expired');
  };
}
