import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { Job } from '../db/schema.ts';

/*
 * Claims in one statement, so two workers can never both claim a row:
 * - FOR UPDATE SKIP LOCKED makes concurrent workers take disjoint rows instead of queueing on
 *   each other's locks; a row another worker claimed and committed meanwhile is re-checked
 *   against the WHERE clause and dropped.
 * - `due`: for each kind, its oldest due queued jobs — an ordered range scan of the partial index
 *   jobs_queued (kind, run_at) that stops after the limit, however long the queue. One OR over
 *   both states (the statement before migration 0013) left the plan to the statistics: with a
 *   large backlog not yet analysed, PostgreSQL read and sorted every queued job of the kind for
 *   each claim (see migrations/0013_job_claim_indexes.sql).
 * - `expired`: running jobs whose lease expired (jobs_leased) — crash recovery: a worker that
 *   died mid-job stops extending its lease and another worker picks the job up again. Delivery
 *   is therefore at-least-once and every handler must be idempotent.
 * - `due` locks at most `limit` rows per kind and `expired` at most `limit`; of those, the
 *   `limit` oldest are claimed and the others are unlocked when the statement commits (with one
 *   kind, as the webhook lanes claim, and no expired lease, every locked row is claimed).
 * - The candidates are MATERIALIZED CTEs rather than `id IN (subquery)`: a subquery may be
 *   re-evaluated during the update (rescans, EvalPlanQual rechecks), and with SKIP LOCKED a
 *   second evaluation can return different rows, claiming more than the LIMIT.
 * Time comes from the injected clock, never SQL now(), so tests control leases and retries.
 */
const CLAIM_SQL = `
WITH due AS MATERIALIZED (
  SELECT queued.id, queued.run_at
    FROM unnest($4::text[]) AS wanted(kind)
   CROSS JOIN LATERAL (
     SELECT id, run_at FROM jobs
      WHERE state = 'queued' AND kind = wanted.kind AND run_at <= $1::timestamptz
      ORDER BY run_at
      LIMIT $5
      FOR UPDATE SKIP LOCKED
   ) AS queued
), expired AS MATERIALIZED (
  SELECT id, run_at FROM jobs
   WHERE state = 'running' AND locked_until < $1::timestamptz AND kind = ANY($4::text[])
   ORDER BY run_at
   LIMIT $5
   FOR UPDATE SKIP LOCKED
), claimable AS MATERIALIZED (
  SELECT id FROM (SELECT id, run_at FROM due UNION ALL SELECT id, run_at FROM expired) AS candidates
   ORDER BY run_at
   LIMIT $5
)
UPDATE jobs
   SET state = 'running', locked_until = $2::timestamptz, locked_by = $3, attempts = jobs.attempts + 1
  FROM claimable
 WHERE jobs.id = claimable.id
RETURNING`;
const ALL_COLUMNS = ' jobs.*';
// What a claimant needs to run and settle a job: no timestamps to parse but the order.
const CLAIM_COLUMNS =
  ' jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts, (extract(epoch FROM jobs.run_at) * 1000)::float8 AS run_ms';

type JobRow = {
  id: string;
  kind: string;
  org_id: string | null;
  payload: unknown;
  state: Job['state'];
  run_at: Date | string;
  attempts: number;
  max_attempts: number;
  locked_until: Date | string | null;
  locked_by: string | null;
  last_error: string | null;
  idempotency_key: string | null;
  created_at: Date | string;
  finished_at: Date | string | null;
};

// The drivers differ in whether timestamptz arrives parsed; normalise so callers get Dates.
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function toNullableDate(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    orgId: row.org_id,
    payload: row.payload,
    state: row.state,
    runAt: toDate(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lockedUntil: toNullableDate(row.locked_until),
    lockedBy: row.locked_by,
    lastError: row.last_error,
    idempotencyKey: row.idempotency_key,
    createdAt: toDate(row.created_at),
    finishedAt: toNullableDate(row.finished_at),
  };
}

type ClaimOptions = { workerId: string; kinds: readonly string[]; leaseMs: number; limit: number };

function claimRows<Row>(context: { database: Database; clock: Clock }, options: ClaimOptions, columns: string) {
  const now = context.clock.now();
  return context.database.query<Row>(CLAIM_SQL + columns, [
    now.toISOString(),
    new Date(now.getTime() + options.leaseMs).toISOString(),
    options.workerId,
    [...new Set(options.kinds)],
    options.limit,
  ]);
}

/** Claims up to `limit` runnable jobs of the given kinds for `workerId`, leased for `leaseMs`. */
export async function claimJobs(context: { database: Database; clock: Clock }, options: ClaimOptions): Promise<Job[]> {
  // An unknown kind is never claimed: it stays queued until a worker that handles it runs.
  if (options.kinds.length === 0 || options.limit < 1) return [];
  const rows = await claimRows<JobRow>(context, options, ALL_COLUMNS);
  return rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
}

/** A claimed job as a high-volume claimant needs it (the webhook lanes), oldest first. */
export type ClaimedJob = Pick<Job, 'id' | 'kind' | 'payload' | 'attempts' | 'maxAttempts'>;

/**
 * claimJobs without the columns a claimant does not use: the webhook lanes claim thousands of
 * jobs a second, and parsing four timestamps per row was a visible part of their CPU.
 */
export async function claimJobsLean(
  context: { database: Database; clock: Clock },
  options: ClaimOptions,
): Promise<ClaimedJob[]> {
  if (options.kinds.length === 0 || options.limit < 1) return [];
  type Row = { id: string; kind: string; payload: unknown; attempts: number; max_attempts: number; run_ms: number };
  const rows = await claimRows<Row>(context, options, CLAIM_COLUMNS);
  return rows
    .sort((a, b) => a.run_ms - b.run_ms)
    .map((row) => ({
      id: row.id,
      kind: row.kind,
      payload: row.payload,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    }));
}
