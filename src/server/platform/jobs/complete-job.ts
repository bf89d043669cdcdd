import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { jobs } from '../db/schema.ts';
import { type JobLease, leaseStillHeld } from './job-lease.ts';

export type JobOutcome =
  { state: 'succeeded' } | { state: 'queued'; runAt: Date; error: unknown } | { state: 'failed'; error: unknown };

const MAX_ERROR_BYTES = 2_048;

/**
 * The error as stored in `last_error`: the message only (stacks and causes can carry payload
 * data and belong in logs), at most 2 KB of UTF-8, without NUL characters, which PostgreSQL text
 * rejects — a failure that cannot be recorded would leave the job stuck until its lease expires.
 */
export function jobErrorMessage(error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'unprintable error';
  }
  message = message.replaceAll('\u0000', '');
  if (Buffer.byteLength(message, 'utf8') <= MAX_ERROR_BYTES) return message;
  // Cut by code points so a multi-byte character is never split into invalid UTF-8.
  let truncated = '';
  let bytes = 0;
  for (const character of message) {
    const size = Buffer.byteLength(character, 'utf8');
    if (bytes + size > MAX_ERROR_BYTES) break;
    truncated += character;
    bytes += size;
  }
  return truncated;
}

/**
 * Records a run's outcome and releases the lease. Returns false, changing nothing, when the lease
 * was lost (expired and re-claimed): the new owner's state must not be overwritten.
 */
export async function completeJob(
  context: { database: Database; clock: Clock },
  lease: JobLease,
  outcome: JobOutcome,
): Promise<boolean> {
  const now = context.clock.now();
  const released = { lockedUntil: null, lockedBy: null } as const;
  const changes =
    outcome.state === 'succeeded'
      ? { ...released, state: 'succeeded' as const, finishedAt: now }
      : outcome.state === 'queued'
        ? { ...released, state: 'queued' as const, runAt: outcome.runAt, lastError: jobErrorMessage(outcome.error) }
        : { ...released, state: 'failed' as const, finishedAt: now, lastError: jobErrorMessage(outcome.error) };
  const updated = await context.database.orm
    .update(jobs)
    .set(changes)
    .where(leaseStillHeld(lease))
    .returning({ id: jobs.id });
  return updated.length > 0;
}
