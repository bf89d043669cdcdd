import type { SqlQuery } from '../db/query-rows.ts';
import type { JobLease } from './job-lease.ts';

/**
 * How a claimed job ends when its handler settles it itself — typically in the same transaction
 * as the work it recorded, so the work and the job's completion commit together.
 * `deferred` gives the claim back without counting it as an attempt: the job runs again at `runAt`.
 * `removed` is a success whose row is deleted at once, for jobs whose work is recorded in a table
 * of its own (a webhook attempt in webhook_attempts): a row kept as `succeeded` would be one more
 * row version and two more index entries per job, written only for jobs.purge to delete.
 */
export type JobSettlement =
  { lease: JobLease; outcome: 'succeeded' | 'removed' } | { lease: JobLease; outcome: 'deferred'; runAt: Date };

// The rows of `held` (the JSON array of leases in parameter `$n`) whose lease is still held, as
// the tail of the statements below.
const heldUnderLease = (n: 1 | 2) => `
 WHERE jobs.id = held.id
   AND jobs.id = ANY (ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements($${n}::jsonb) AS x))
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
${heldUnderLease(2)}`;

const REMOVE_SQL = `
DELETE FROM jobs
 USING jsonb_to_recordset($1::jsonb) AS held(id uuid, worker text, attempts integer)
${heldUnderLease(1)}`;

/**
 * Settles claimed jobs — one statement for those that stay (succeeded, deferred), one for those
 * removed; returns the ids whose lease was still held.
 */
export async function settleJobs(
  query: SqlQuery,
  now: Date,
  settlements: readonly JobSettlement[],
): Promise<Set<string>> {
  const kept = settlements.filter((settlement) => settlement.outcome !== 'removed');
  const removed = settlements.filter((settlement) => settlement.outcome === 'removed');
  const held = new Set<string>();
  if (kept.length > 0) {
    const rows = kept.map((settlement) => ({
      ...leaseRow(settlement.lease),
      run_at: settlement.outcome === 'deferred' ? settlement.runAt.toISOString() : null,
    }));
    for (const id of await stillHeld(query, SETTLE_SQL, now, rows)) held.add(id);
  }
  if (removed.length > 0) {
    const rows = await query<{ id: string }>(REMOVE_SQL, [JSON.stringify(removed.map(({ lease }) => leaseRow(lease)))]);
    for (const { id } of rows) held.add(id);
  }
  return held;
}

const EXTEND_SQL = `
UPDATE jobs
   SET locked_until = $1::timestamptz
  FROM jsonb_to_recordset($2::jsonb) AS held(id uuid, worker text, attempts integer)
${heldUnderLease(2)}`;

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
