import { and, eq, inArray } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, Orm, Transaction } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { jobs } from '../db/schema.ts';

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
   * At most one job ever exists per (kind, idempotencyKey), whatever its state: a repeat
   * enqueue returns the existing job's id and its payload is ignored.
   */
  idempotencyKey?: string | null;
};

/**
 * Rows per INSERT: 9 columns a row stays far below the protocol's 65,535 parameters, and the
 * statements stay small enough for PGlite to plan quickly.
 */
const ROWS_PER_STATEMENT = 1000;

/** Inserts a queued job and returns its id (or the existing job's id for a repeated idempotency key). */
export async function enqueueJob(context: EnqueueJobContext, input: EnqueueJobInput): Promise<string> {
  const [id] = await enqueueJobs(context, [input]);
  return id as string;
}

/**
 * Inserts many queued jobs with one multi-row INSERT (per thousand jobs) and returns their ids in
 * the order of `inputs`. Same contract as enqueueJob for each job: a repeated idempotency key —
 * against an existing job or earlier in `inputs` — yields the existing job's id.
 */
export async function enqueueJobs(context: EnqueueJobContext, inputs: readonly EnqueueJobInput[]): Promise<string[]> {
  const executor: Orm | Transaction = context.transaction ?? context.database.orm;
  const now = context.clock.now();
  const rows = inputs.map((input) => ({
    id: newId(),
    kind: input.kind,
    orgId: input.orgId ?? null,
    payload: input.payload,
    state: 'queued' as const,
    runAt: input.runAt ?? now,
    maxAttempts: input.maxAttempts,
    idempotencyKey: input.idempotencyKey ?? null,
    createdAt: now,
  }));

  const inserted = new Set<string>();
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const returned = await executor
      .insert(jobs)
      .values(rows.slice(start, start + ROWS_PER_STATEMENT))
      // Without a key nothing can conflict (NULLs are distinct in the unique constraint). With
      // one, a concurrent enqueue of the same key waits for the other insert's transaction and
      // then either conflicts (it committed) or inserts (it rolled back), so there is never a
      // duplicate. A key repeated within this statement inserts its first row only.
      .onConflictDoNothing({ target: [jobs.kind, jobs.idempotencyKey] })
      .returning({ id: jobs.id });
    for (const row of returned) inserted.add(row.id);
  }
  if (inserted.size === rows.length) return rows.map((row) => row.id);

  const conflicted = rows.filter((row) => !inserted.has(row.id));
  const unkeyed = conflicted.find((row) => row.idempotencyKey === null);
  if (unkeyed) throw new Error(`enqueueJobs: insert of a ${unkeyed.kind} job returned no row`);

  // Under READ COMMITTED (the default) this statement takes a fresh snapshot, so it sees the
  // rows that conflicted even if another transaction committed them a moment ago.
  const existingIds = new Map<string, string>();
  for (const kind of new Set(conflicted.map((row) => row.kind))) {
    const keys = [...new Set(conflicted.filter((row) => row.kind === kind).map((row) => row.idempotencyKey as string))];
    for (let start = 0; start < keys.length; start += ROWS_PER_STATEMENT) {
      const existing = await executor
        .select({ id: jobs.id, idempotencyKey: jobs.idempotencyKey })
        .from(jobs)
        .where(and(eq(jobs.kind, kind), inArray(jobs.idempotencyKey, keys.slice(start, start + ROWS_PER_STATEMENT))));
      for (const row of existing) existingIds.set(`${kind}\u0000${row.idempotencyKey}`, row.id);
    }
  }
  return rows.map((row) => {
    if (inserted.has(row.id)) return row.id;
    const existing = existingIds.get(`${row.kind}\u0000${row.idempotencyKey}`);
    // Only possible if the conflicting job was deleted in between; the caller may simply retry.
    if (!existing) throw new Error(`enqueueJobs: ${row.kind} job with idempotency key vanished after a conflict`);
    return existing;
  });
}
