import type { SqlQuery } from '../db/query-rows.ts';
import type { JobLease } from './job-lease.ts';

/**
 * How a claimed job ends when its handler settles it itself — typically in the same transaction
 * as the work it recorded, so the work and the job's completion commit together.
 * `deferred` gives the claim back without counting it as an attempt: the job runs again at `runAt`.
 */
export type JobSettlement =
  { lease: JobLease; outcome: 'succeeded' } | { lease: JobLease; outcome: 'deferred'; runAt: Date };

// One statement for any number of jobs; `id = ANY (ARRAY(…))` keeps it an index lookup even for
// a planner without statistics (PGlite). Only rows still held under the given lease change
// (same guard as leaseStillHeld): a job re-claimed by another worker after its lease expired
// belongs to that worker now.
const SETTLE_SQL = `
UPDATE jobs
   SET state = CASE WHEN settled.run_at IS NULL THEN 'succeeded' ELSE 'queued' END,
       finished_at = CASE WHEN settled.run_at IS NULL THEN $1::timestamptz END,
       run_at = coalesce(settled.run_at, jobs.run_at),
       attempts = CASE WHEN settled.run_at IS NULL THEN jobs.attempts ELSE jobs.attempts - 1 END,
       locked_until = NULL,
       locked_by = NULL
  FROM jsonb_to_recordset($2::jsonb) AS settled(id uuid, worker text, attempts integer, run_at timestamptz)
 WHERE jobs.id = settled.id
   AND jobs.id = ANY (ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements($2::jsonb) AS x))
   AND jobs.state = 'running'
   AND jobs.locked_by = settled.worker
   AND jobs.attempts = settled.attempts
RETURNING jobs.id`;

/** Settles claimed jobs in one statement; returns the ids whose lease was still held. */
export async function settleJobs(
  query: SqlQuery,
  now: Date,
  settlements: readonly JobSettlement[],
): Promise<Set<string>> {
  if (settlements.length === 0) return new Set();
  const rows = await query<{ id: string }>(SETTLE_SQL, [
    now.toISOString(),
    JSON.stringify(
      settlements.map((settlement) => ({
        id: settlement.lease.jobId,
        worker: settlement.lease.workerId,
        attempts: settlement.lease.attempts,
        run_at: settlement.outcome === 'deferred' ? settlement.runAt.toISOString() : null,
      })),
    ),
  ]);
  return new Set(rows.map((row) => row.id));
}

const EXTEND_SQL = `
UPDATE jobs
   SET locked_until = $1::timestamptz
  FROM jsonb_to_recordset($2::jsonb) AS held(id uuid, worker text, attempts integer)
 WHERE jobs.id = held.id
   AND jobs.id = ANY (ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements($2::jsonb) AS x))
   AND jobs.state = 'running'
   AND jobs.locked_by = held.worker
   AND jobs.attempts = held.attempts
RETURNING jobs.id`;

/** Pushes many leases forward in one statement; returns the ids whose lease was still held. */
export async function extendJobLeases(
  query: SqlQuery,
  lockedUntil: Date,
  leases: readonly JobLease[],
): Promise<Set<string>> {
  if (leases.length === 0) return new Set();
  const rows = await query<{ id: string }>(EXTEND_SQL, [
    lockedUntil.toISOString(),
    JSON.stringify(leases.map((lease) => ({ id: lease.jobId, worker: lease.workerId, attempts: lease.attempts }))),
  ]);
  return new Set(rows.map((row) => row.id));
}
