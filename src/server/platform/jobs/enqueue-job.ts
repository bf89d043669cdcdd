import type { Clock } from '../clock.ts';
import type { Database, Transaction } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { type SqlQuery, transactionQuery } from '../db/query-rows.ts';

/**
 * Where the job is written. Pass the caller's `transaction` whenever the job is the consequence
 * of a change in that transaction: the job then commits or rolls back with the change, so there
 * is never a job for a change that did not happen, nor a change whose job was lost.
 */
export type EnqueueJobContext = { clock: Clock } & (
  { database: Database; transaction?: undefined } | { transaction: Transaction; database?: undefined }
);

export type EnqueueJobInput = {
  kind: string;
  payload: Record<string, unknown>;
  orgId?: string | null;
  /** Earliest time to run; defaults to now (per the injected clock). */
  runAt?: Date;
  /** Defaults to the column default (8). */
  maxAttempts?: number;
  /**
   * At most one job exists per (kind, idempotencyKey), whatever its state: a repeat enqueue
   * returns the existing job's id and its payload is ignored. The key is freed when the row goes
   * (jobs.purge after 30 days, or at once for a job settled as `removed`).
   */
  idempotencyKey?: string | null;
};

// One statement for any number of jobs: the rows travel as one JSON parameter, so neither the
// protocol's 65,535-parameter limit nor the cost of building a 1,000-row statement (most of the
// enqueue's CPU when it was a drizzle multi-row insert) grows with the batch.
// Without a key nothing can conflict (NULLs are distinct in the unique constraint). With one, a
// concurrent enqueue of the same key waits for the other insert's transaction and then either
// conflicts (it committed) or inserts (it rolled back), so there is never a duplicate. A key
// repeated within the batch inserts its first row only.
// max_attempts: 8 is the column's default (migrations/0001_foundation.sql).
const INSERT_JOBS_SQL = `
INSERT INTO jobs (id, kind, org_id, payload, state, run_at, max_attempts, idempotency_key, created_at)
SELECT j.id, j.kind, j.org_id, j.payload, 'queued', j.run_at, coalesce(j.max_attempts, 8), j.idempotency_key, $1::timestamptz
  FROM jsonb_to_recordset($2::jsonb)
       AS j(id uuid, kind text, org_id uuid, payload jsonb, run_at timestamptz, max_attempts integer, idempotency_key text)
ON CONFLICT (kind, idempotency_key) DO NOTHING
RETURNING id`;

// The jobs that conflicted. Under READ COMMITTED (the default) this statement takes a fresh
// snapshot, so it sees rows that another transaction committed a moment ago.
const EXISTING_JOBS_SQL = `
SELECT jobs.id, jobs.kind, jobs.idempotency_key
  FROM jsonb_to_recordset($1::jsonb) AS k(kind text, idempotency_key text)
  JOIN jobs ON jobs.kind = k.kind AND jobs.idempotency_key = k.idempotency_key`;

/** Inserts a queued job and returns its id (or the existing job's id for a repeated idempotency key). */
export async function enqueueJob(context: EnqueueJobContext, input: EnqueueJobInput): Promise<string> {
  const [id] = await enqueueJobs(context, [input]);
  return id as string;
}

/**
 * Inserts many queued jobs in one statement and returns their ids in the order of `inputs`.
 * Same contract as enqueueJob for each job: a repeated idempotency key — against an existing job
 * or earlier in `inputs` — yields the existing job's id.
 */
export async function enqueueJobs(context: EnqueueJobContext, inputs: readonly EnqueueJobInput[]): Promise<string[]> {
  if (inputs.length === 0) return [];
  const query: SqlQuery = context.transaction ? transactionQuery(context.transaction) : context.database.query;
  const now = context.clock.now();
  const rows = inputs.map((input) => ({
    id: newId(),
    kind: input.kind,
    org_id: input.orgId ?? null,
    payload: input.payload,
    run_at: (input.runAt ?? now).toISOString(),
    max_attempts: input.maxAttempts ?? null,
    idempotency_key: input.idempotencyKey ?? null,
  }));

  const inserted = new Set(
    (await query<{ id: string }>(INSERT_JOBS_SQL, [now.toISOString(), JSON.stringify(rows)])).map((row) => row.id),
  );
  if (inserted.size === rows.length) return rows.map((row) => row.id);

  const conflicted = rows.filter((row) => !inserted.has(row.id));
  const unkeyed = conflicted.find((row) => row.idempotency_key === null);
  if (unkeyed) throw new Error(`enqueueJobs: insert of a ${unkeyed.kind} job returned no row`);
  const existing = await query<{ id: string; kind: string; idempotency_key: string }>(EXISTING_JOBS_SQL, [
    JSON.stringify(conflicted.map(({ kind, idempotency_key }) => ({ kind, idempotency_key }))),
  ]);
  const existingIds = new Map(existing.map((row) => [`${row.kind}\u0000${row.idempotency_key}`, row.id]));
  return rows.map((row) => {
    if (inserted.has(row.id)) return row.id;
    const id = existingIds.get(`${row.kind}\u0000${row.idempotency_key}`);
    // Only possible if the conflicting job was deleted in between; the caller may simply retry.
    if (!id) throw new Error(`enqueueJobs: ${row.kind} job with idempotency key vanished after a conflict`);
    return id;
  });
}
