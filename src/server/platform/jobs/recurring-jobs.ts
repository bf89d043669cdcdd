import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { enqueueJob } from './enqueue-job.ts';

/** A job that should run once per period (daily backups, retention purges, deletion sweeps). */
export type RecurringJob = { kind: string; everyMs: number; payload?: Record<string, unknown> };

/**
 * Enqueues the current period's run of every recurring job. The idempotency key is the period
 * (`kind@<period start>`), so any number of workers calling this every poll create exactly one
 * job per period between them, with no leader election.
 */
export async function enqueueDueRecurringJobs(options: {
  database: Database;
  clock: Clock;
  schedules: readonly RecurringJob[];
}): Promise<number> {
  const now = options.clock.now().getTime();
  let enqueued = 0;
  for (const schedule of options.schedules) {
    const periodStart = Math.floor(now / schedule.everyMs) * schedule.everyMs;
    await enqueueJob(
      { database: options.database, clock: options.clock },
      {
        kind: schedule.kind,
        payload: { ...schedule.payload, period: new Date(periodStart).toISOString() },
        runAt: new Date(periodStart),
        idempotencyKey: `${schedule.kind}@${new Date(periodStart).toISOString()}`,
        maxAttempts: 3,
      },
    );
    enqueued += 1;
  }
  return enqueued;
}

/** Calls enqueueDueRecurringJobs now and every `intervalMs` until stopped (runs beside a worker). */
export function startRecurringJobs(options: {
  database: Database;
  clock: Clock;
  schedules: readonly RecurringJob[];
  intervalMs?: number;
  log: { warn(details: object, message: string): void };
}): { stop(): void } {
  if (options.schedules.length === 0) return { stop() {} };
  const tick = () =>
    enqueueDueRecurringJobs(options).catch((error: unknown) =>
      options.log.warn({ err: error }, 'could not enqueue recurring jobs'),
    );
  void tick();
  const timer = setInterval(tick, options.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
