import { and, eq } from 'drizzle-orm';
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

/** Inserts a queued job and returns its id (or the existing job's id for a repeated idempotency key). */
export async function enqueueJob(context: EnqueueJobContext, input: EnqueueJobInput): Promise<string> {
  const executor: Orm | Transaction = context.transaction ?? context.database.orm;
  const now = context.clock.now();
  const idempotencyKey = input.idempotencyKey ?? null;

  const inserted = await executor
    .insert(jobs)
    .values({
      id: newId(),
      kind: input.kind,
      orgId: input.orgId ?? null,
      payload: input.payload,
      state: 'queued',
      runAt: input.runAt ?? now,
      maxAttempts: input.maxAttempts,
      idempotencyKey,
      createdAt: now,
    })
    // Without a key nothing can conflict (NULLs are distinct in the unique constraint). With one,
    // a concurrent enqueue of the same key waits for the other insert's transaction and then
    // either conflicts (it committed) or inserts (it rolled back), so there is never a duplicate.
    .onConflictDoNothing({ target: [jobs.kind, jobs.idempotencyKey] })
    .returning({ id: jobs.id });

  const insertedId = inserted[0]?.id;
  if (insertedId) return insertedId;
  if (idempotencyKey === null) throw new Error(`enqueueJob: insert of a ${input.kind} job returned no row`);

  // Under READ COMMITTED (the default) this statement takes a fresh snapshot, so it sees the
  // row that conflicted even if another transaction committed it a moment ago.
  const [existing] = await executor
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.kind, input.kind), eq(jobs.idempotencyKey, idempotencyKey)));
  if (!existing) {
    // Only possible if the conflicting job was deleted in between; the caller may simply retry.
    throw new Error(`enqueueJob: ${input.kind} job with idempotency key vanished after a conflict`);
  }
  return existing.id;
}
