import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { Job } from '../db/schema.ts';
import { retryDelayMs as defaultRetryDelayMs } from './backoff.ts';
import { claimJobs } from './claim-jobs.ts';
import { completeJob, type JobOutcome } from './complete-job.ts';
import { extendJobLease, type JobLease, leaseOf } from './job-lease.ts';

/**
 * Runs one job. Delivery is at-least-once — a job whose worker crashed, stalled past its lease
 * or failed to record the outcome runs again — so a handler must be idempotent (upserts,
 * idempotency keys on anything it sends out). `signal` aborts when this worker has lost the
 * lease to another worker: stop doing work whose result will be discarded.
 */
export type JobHandler = (job: Job, context: { signal: AbortSignal }) => Promise<void>;

/** Handlers by job kind. */
export type JobHandlers = Record<string, JobHandler>;

export type JobWorkerLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export type JobWorkerOptions = {
  database: Database;
  clock: Clock;
  log: JobWorkerLog;
  /** Only these kinds are claimed; jobs of other kinds stay queued for a worker that knows them. */
  handlers: JobHandlers;
  workerId?: string;
  leaseMs?: number;
  batchSize?: number;
  /** Delay before the next attempt after `attempt` failures; defaults to jittered exponential backoff. */
  retryDelayMs?: (attempt: number) => number;
};

export type JobWorker = {
  readonly workerId: string;
  /** Claims one batch, runs it to completion and returns how many jobs were processed. */
  runOnce(): Promise<number>;
  /** Polls until stop(); a full batch is followed by another poll at once. */
  start(options?: { pollIntervalMs?: number }): void;
  /** Stops polling and waits for in-flight jobs to finish. */
  stop(): Promise<void>;
};

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { database, clock, log, handlers } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 5;
  const retryDelay = options.retryDelayMs ?? ((attempt: number) => defaultRetryDelayMs(attempt));
  const kinds = Object.keys(handlers);
  const context = { database, clock };

  const inFlight = new Set<Promise<number>>();
  let polling: Promise<void> | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  let stopping = false;

  /** Renews the lease on a real-time interval (the lease only has to outlive the handler). */
  function startHeartbeat(job: Job, lease: JobLease, controller: AbortController): () => void {
    let beating = false;
    const timer = setInterval(
      () => {
        if (beating) return; // a slow database must not stack up overlapping renewals
        beating = true;
        extendJobLease(context, lease, leaseMs)
          .then((held) => {
            if (!held && !controller.signal.aborted) {
              log.warn({ jobId: job.id, kind: job.kind, workerId }, 'job lease lost while running');
              controller.abort(new Error('job lease lost'));
            }
          })
          .catch((err: unknown) => {
            // Transient: the next beat retries, and the lease has two more beats of slack.
            log.warn({ jobId: job.id, kind: job.kind, err }, 'job lease renewal failed');
          })
          .finally(() => {
            beating = false;
          });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  async function settle(job: Job, lease: JobLease, outcome: JobOutcome): Promise<void> {
    try {
      const held = await completeJob(context, lease, outcome);
      if (!held) {
        log.warn(
          { jobId: job.id, kind: job.kind, workerId, outcome: outcome.state },
          'job outcome discarded: lease was lost to another worker',
        );
      }
    } catch (err) {
      // The lease will expire and the job run again: at-least-once, never lost.
      log.error({ jobId: job.id, kind: job.kind, err }, 'could not record job outcome');
    }
  }

  function failureOutcome(job: Job, error: unknown): JobOutcome {
    if (job.attempts < job.maxAttempts) {
      return { state: 'queued', runAt: new Date(clock.now().getTime() + retryDelay(job.attempts)), error };
    }
    return { state: 'failed', error };
  }

  /** Never throws: one job's failure must not take down the batch or the poll loop. */
  async function runJob(job: Job): Promise<void> {
    const lease = leaseOf(job, workerId);
    // Re-claimed after its final attempt's lease expired: the worker most likely crashed on this
    // job (out of memory, killed), so running it again could crash the next worker too.
    if (job.attempts > job.maxAttempts) {
      const error = new Error('lease expired during the final attempt (worker crashed or stalled)');
      log.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: error }, 'job failed');
      await settle(job, lease, { state: 'failed', error });
      return;
    }
    const handler = Object.hasOwn(handlers, job.kind) ? handlers[job.kind] : undefined;
    const controller = new AbortController();
    const stopHeartbeat = startHeartbeat(job, lease, controller);
    let outcome: JobOutcome;
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(job, { signal: controller.signal });
      outcome = { state: 'succeeded' };
    } catch (err) {
      log.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, err }, 'job failed');
      outcome = failureOutcome(job, err);
    } finally {
      stopHeartbeat();
    }
    await settle(job, lease, outcome);
  }

  async function claimAndRun(): Promise<number> {
    const claimed = await claimJobs(context, { workerId, kinds, leaseMs, limit: batchSize });
    await Promise.all(claimed.map(runJob));
    return claimed.length;
  }

  function runOnce(): Promise<number> {
    const run = claimAndRun();
    inFlight.add(run);
    const forget = () => inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  async function poll(pollIntervalMs: number): Promise<void> {
    let processed = 0;
    try {
      processed = await runOnce();
    } catch (err) {
      // Typically the database is unreachable; keep polling so the worker recovers with it.
      log.error({ err, workerId }, 'job poll failed');
    }
    if (stopping) return;
    pollTimer = setTimeout(
      () => {
        pollTimer = null;
        polling = poll(pollIntervalMs);
      },
      processed >= batchSize ? 0 : pollIntervalMs,
    );
    pollTimer.unref();
  }

  return {
    workerId,
    runOnce,
    start({ pollIntervalMs = 1_000 } = {}) {
      if (polling) return;
      stopping = false;
      log.info({ workerId, kinds, pollIntervalMs }, 'job worker started');
      polling = poll(pollIntervalMs);
    },
    async stop() {
      stopping = true;
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = null;
      const wasPolling = polling !== null;
      await polling;
      polling = null;
      await Promise.allSettled([...inFlight]);
      if (wasPolling) log.info({ workerId }, 'job worker stopped');
    },
  };
}
