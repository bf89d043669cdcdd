import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { JobHandler } from './job-worker.ts';
import type { RecurringJob } from './recurring-jobs.ts';

/**
 * Finished jobs are kept as long as the delivery log shows what they did (30 days, like webhook
 * attempts), then deleted. Unfinished jobs are never touched, whatever their age.
 */
export const FINISHED_JOB_RETENTION_MS = 30 * 86_400_000;
export const JOB_PURGE_JOB_KIND = 'jobs.purge';
export const JOB_PURGE_SCHEDULE: RecurringJob = { kind: JOB_PURGE_JOB_KIND, everyMs: 3_600_000 };

/**
 * The smallest UUIDv7 of `time`'s millisecond. Job ids are UUIDv7 (`newId`), which begin with
 * their creation time, and a job finishes after it is created, so every job that finished before
 * `time` has an id below this: the purge reads a range of the primary key instead of the table.
 */
export function firstUuidV7At(time: Date): string {
  const hex = time.getTime().toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/**
 * Deletes jobs that succeeded or failed for good more than FINISHED_JOB_RETENTION_MS ago, oldest
 * first along the primary key (no extra index for every job to maintain), in batches of
 * `batchSize`, each its own statement, so a large backlog of old rows never holds
 * locks (or a transaction) for long. Every job in the table is one worker handled at some point:
 * without this the table grows by one row per recurring run and per job kept as `succeeded` or
 * `failed`, for ever (webhook attempts are deleted when they are logged: settle-jobs.ts `removed`).
 * Safe against re-enqueueing: recurring jobs only enqueue their current period, and webhook
 * attempts schedule their successor when they finish, never an old idempotency key.
 */
export async function purgeFinishedJobs(options: {
  database: Database;
  clock: Clock;
  batchSize?: number;
}): Promise<{ deleted: number }> {
  const cutoff = new Date(options.clock.now().getTime() - FINISHED_JOB_RETENTION_MS);
  const batchSize = options.batchSize ?? 5_000;
  let deleted = 0;
  for (;;) {
    const rows = await options.database.query<{ id: string }>(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs
          WHERE id < $3::uuid AND state IN ('succeeded', 'failed') AND finished_at < $1::timestamptz
          ORDER BY id
          LIMIT $2
       )
       RETURNING id`,
      [cutoff.toISOString(), batchSize, firstUuidV7At(cutoff)],
    );
    deleted += rows.length;
    if (rows.length < batchSize) return { deleted };
  }
}

export function createJobPurgeJobHandler(options: { database: Database; clock: Clock }): JobHandler {
  return async () => {
    await purgeFinishedJobs(options);
  };
}
