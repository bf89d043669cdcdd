import type { SqlQuery } from '../db/query-rows.ts';
import type { JobLease } from './job-lease.ts';

/**
 * How a claimed job ends when its handler settles it itself — typically in the same transaction
 * as the work it recorded, so the work and the job's completion commit together.
 * `deferred` gives the claim back without counting it as an attempt: the job runs again at `runAt`.
 */
export type JobSettlement =
  { lease: JobLease; outcome: 'succeeded' } | { lease: JobLease; outcome: 'deferred'; runAt: Date };

// The rows of `held` ($2, a JSON array of leases) whose lease is still held, as the tail of both
// statements below.
const HELD_UNDER_LEASE = `
 WHERE jobs.id = held.id
   AND jobs.id = ANY (ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements($2::jsonb) AS x))
   AND jobs.state = 'running'
   AND jobs.locked_by = held.worker
   AND jobs.attempts = held.attempts
RETURNING jobs.id`;

// One statement for any number of jobs; `id = ANY (ARRAY(…))` keeps it an index lookup even for
// a planner without statistics (PGlite). Only rows still held under the given lease change
// (same guard as leaseStillHeld): a job re-claimed by another worker after its lease expired
// belongs to that worker now.
const SETTLE_SQL = `
UPDATE jobs
   SET state = CASE WHEN held.run_at IS NULL THEN 'succeeded' ELSE 'queued' END,
       finished_at = CASE WHEN held.run_at IS NULL THEN $1::timestamptz END,
       run_at = coalesce(held.run_at, jobs.run_at),
       attempts = CASE WHEN held.run_at IS NULL THEN jobs.attempts ELSE jobs.attempts - 1 END,
       locked_until = NULL,
       locked_by = NULL
  FROM jsonb_to_recordset($2::jsonb) AS held(id uuid, worker text, attempts integer, run_at timestamptz)
${HELD_UNDER_LEASE}`;

/** Settles claimed jobs in one statement; returns the ids whose lease was still held. */
export async function settleJobs(
  query: SqlQuery,
  now: Date,
  settlements: readonly JobSettlement[],
): Promise<Set<string>> {
  if (settlements.length === 0) return new Set();
  return stillHeld(
    query,
    SETTLE_SQL,
    now,
    settlements.map((settlement) => ({
      ...leaseRow(settlement.lease),
      run_at: settlement.outcome === 'deferred' ? settlement.runAt.toISOString() : null,
    })),
  );
}

const EXTEND_SQL = `
UPDATE jobs
   SET locked_until = $1::timestamptz
  FROM jsonb_to_recordset($2::jsonb) AS held(id uuid, worker text, attempts integer)
${HELD_UNDER_LEASE}`;

/** Pushes many leases forward in one statement; returns the ids whose lease was still held. */
export async function extendJobLeases(
  query: SqlQuery,
  lockedUntil: Date,
  leases: readonly JobLease[],
): Promise<Set<string>> {
  if (leases.length === 0) return new Set();
  return stillHeld(query, EXTEND_SQL, lockedUntil, leases.map(leaseRow));
}

const leaseRow = (lease: JobLease) => ({ id: lease.jobId, worker: lease.workerId, attempts: lease.attempts });

async function stillHeld(query: SqlQuery, statement: string, at: Date, held: object[]): Promise<Set<string>> {
  const rows = await query<{ id: string }>(statement, [at.toISOString(), JSON.stringify(held)]);
  return new Set(rows.map((row) => row.id));
}
