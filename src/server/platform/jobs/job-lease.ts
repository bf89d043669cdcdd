import { and, eq, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { type Job, jobs } from '../db/schema.ts';

/**
 * What proves a worker still owns a claimed job. `attempts` is part of it because the same
 * worker id can re-claim its own job after losing the lease (a stalled event loop); the stale
 * run must not then settle the fresh one.
 */
export type JobLease = { jobId: string; workerId: string; attempts: number };

export function leaseOf(job: Pick<Job, 'id' | 'attempts'>, workerId: string): JobLease {
  return { jobId: job.id, workerId, attempts: job.attempts };
}

/** Matches the job's row only while this lease is the current claim. */
export function leaseStillHeld(lease: JobLease): SQL {
  return and(
    eq(jobs.id, lease.jobId),
    eq(jobs.state, 'running'),
    eq(jobs.lockedBy, lease.workerId),
    eq(jobs.attempts, lease.attempts),
  ) as SQL;
}

/** Pushes the lease forward while a handler runs. Returns false when the lease was lost. */
export async function extendJobLease(
  context: { database: Database; clock: Clock },
  lease: JobLease,
  leaseMs: number,
): Promise<boolean> {
  const lockedUntil = new Date(context.clock.now().getTime() + leaseMs);
  const updated = await context.database.orm
    .update(jobs)
    .set({ lockedUntil })
    .where(leaseStillHeld(lease))
    .returning({ id: jobs.id });
  return updated.length > 0;
}
