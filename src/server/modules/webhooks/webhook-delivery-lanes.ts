import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { retryDelayMs } from '../../platform/jobs/backoff.ts';
import { type ClaimedJob, claimJobsLean } from '../../platform/jobs/claim-jobs.ts';
import { completeJob } from '../../platform/jobs/complete-job.ts';
import { type JobLease, leaseOf } from '../../platform/jobs/job-lease.ts';
import { extendJobLeases, type JobSettlement } from '../../platform/jobs/settle-jobs.ts';
import type { Mailer } from '../identity/mail/create-mailer.ts';
import { type DeliveryJobPayload, deliveryJobPayloadSchema, sendWebhookAttempt } from './deliver-webhook-attempt.ts';
import { mailAdminsAboutDisabledEndpoint } from './disable-webhook-endpoint.ts';
import type { EndpointAdmission } from './endpoint-admission.ts';
import { WEBHOOK_DELIVERY_JOB_KIND } from './enqueue-webhook-event.ts';
import { type PreparedDelivery, prepareWebhookDeliveries } from './prepare-webhook-deliveries.ts';
import { recordWebhookAttempts, type SentAttempt } from './record-webhook-attempts.ts';
import type { SealedValueCache } from './sealed-value-cache.ts';
import type { WebhookTransport } from './send-webhook-request.ts';

/**
 * Claimed jobs may wait for a lane, up to this many batches of `lanes`: the next batches are
 * claimed and prepared while the lanes send (1 → 0.15, 2 → 0.17, 4 → 0.25 of the raw loop in
 * bench/webhooks.ts on PostgreSQL, 2 loaded cores).
 */
const LOOK_AHEAD_BATCHES = 4;
/**
 * …and at least this many jobs whatever the number of lanes. One claim-and-prepare cycle (the
 * claim's commit, then a transaction per organisation) takes a few round trips and a WAL flush
 * whatever the batch size, so it must bring enough jobs to keep every lane busy until the next
 * cycle: draining a 100,000-job backlog with 8 lanes (load average 11–13) went 570–750/s with 32
 * jobs ahead, 1,070–1,130/s with 64, 1,670–1,710/s with 128 and 1,760/s with 256. With the
 * lanes claiming once half of it is free, larger batches also cost the database less per
 * delivery: in bench/webhooks.ts (8 lanes, 2 cores) 128 → 0.456–0.490 of the raw loop and
 * 106–113 µs of PostgreSQL CPU per delivery, 256 → 0.474–0.508 and 99–101 µs, 512 → 0.502–0.515
 * and 94–95 µs. A job claimed ahead waits at most one look-ahead's worth of sends (≈ 75 ms at
 * 7,000 deliveries/s) and its lease is renewed meanwhile.
 */
const LOOK_AHEAD_MIN_JOBS = 512;
/** Claimed jobs not yet recorded, beyond the lanes, before claiming waits for the recorder. */
const RECORD_BACKLOG = 256;

export type DeliveryLanesDependencies = {
  database: Database;
  clock: Clock;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  transport: WebhookTransport;
  admission: EndpointAdmission;
  sealed: SealedValueCache;
  mailer: Pick<Mailer, 'sendMail'>;
  /** Requests in flight at once (VIGIL_WEBHOOK_CONCURRENCY). */
  lanes: number;
  leaseMs?: number;
  workerId?: string;
  random?: () => number;
};

export type DeliveryLanes = {
  /** Polls until stop(): claims due deliveries whenever a lane is free. */
  start(options: { pollIntervalMs: number }): void;
  /**
   * Claims due deliveries for the free lanes once, sends them and records the results; resolves
   * with the number of jobs handled, once all of them are recorded (tests drain with it).
   */
  runOnce(): Promise<number>;
  /** Stops claiming, waits for the requests in flight and records them. */
  stop(): Promise<void>;
};

type ReadyDelivery = {
  job: ClaimedJob;
  lease: JobLease;
  payload: DeliveryJobPayload;
  prepared: PreparedDelivery | null;
};
type RecordEntry = { orgId: string; attempt?: SentAttempt; settlement?: JobSettlement };

/**
 * Webhook delivery in three stages, each costing a few statements per *batch* rather than per
 * delivery (see docs/adr/0007-batched-webhook-delivery.md):
 *
 * 1. **Claim and prepare** — one statement claims a batch of due attempts ahead of the lanes (a
 *    bounded look-ahead), one transaction per organisation reads what to send for all of them
 *    (endpoint status read fresh, every time).
 * 2. **Send** — each attempt in its own lane, outside any transaction, through the per-endpoint
 *    admission (concurrency and rate). A lane is freed as soon as its response is in.
 * 3. **Record** — results queue for the recorder, which writes everything queued so far in one
 *    transaction per organisation (group commit: the busier, the larger the batch): attempt log,
 *    delivery states, retries and the jobs' completion together.
 *
 * At-least-once: a job is completed only in the transaction that logs its attempt. A process
 * that dies after sending and before that commit leaves its jobs `running`; their leases expire
 * and another worker sends them again, with the same `webhook-id`.
 */
export function createDeliveryLanes(dependencies: DeliveryLanesDependencies): DeliveryLanes {
  const { database, clock, log, transport, admission, sealed, lanes } = dependencies;
  const leaseMs = dependencies.leaseMs ?? 30_000;
  const workerId = dependencies.workerId ?? `${hostname()}:${process.pid}:webhooks:${randomUUID().slice(0, 8)}`;
  const random = dependencies.random ?? Math.random;
  const context = { database, clock };
  const lookAhead = Math.max(lanes * LOOK_AHEAD_BATCHES, LOOK_AHEAD_MIN_JOBS);

  /** Lanes sending a request now. */
  let sending = 0;
  /** Claimed ahead of the lanes: being claimed, prepared, or ready and waiting for a lane. */
  let ahead = 0;
  const ready: ReadyDelivery[] = [];
  /** Claimed and not yet recorded: their leases are renewed together. */
  const held = new Map<string, JobLease>();
  const running = new Set<Promise<void>>();
  const queued: RecordEntry[] = [];
  let flushing: Promise<void> | null = null;
  let loop: Promise<void> | null = null;
  let stopping = false;
  let wakeLoop: (() => void) | null = null;
  let cancelPause: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;

  /** Starts ready deliveries on the free lanes, oldest first. */
  function pump(): void {
    while (sending < lanes && ready.length > 0) {
      const { job, lease, payload, prepared } = ready.shift() as ReadyDelivery;
      ahead -= 1;
      sending += 1;
      const lane = runLane(job, lease, payload, prepared).finally(() => {
        sending -= 1;
        running.delete(lane);
        pump();
        wakeLoop?.();
      });
      running.add(lane);
    }
  }

  /** Gives a job back after an error outside the send: retried with backoff, like any job. */
  async function giveBack(job: ClaimedJob, lease: JobLease, error: unknown): Promise<void> {
    held.delete(job.id);
    log.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: error }, 'webhook delivery job failed');
    const outcome =
      job.attempts < job.maxAttempts
        ? { state: 'queued' as const, runAt: new Date(clock.now().getTime() + retryDelayMs(job.attempts)), error }
        : { state: 'failed' as const, error };
    try {
      await completeJob(context, lease, outcome);
    } catch (err) {
      log.error({ jobId: job.id, err }, 'could not record webhook job failure; it runs again when its lease expires');
    }
  }

  function record(entry: RecordEntry): void {
    queued.push(entry);
    flushing ??= flush().finally(() => {
      flushing = null;
      wakeLoop?.();
    });
  }

  async function flush(): Promise<void> {
    while (queued.length > 0) {
      // At most one attempt per delivery in a batch (a resend racing a retry waits for the next).
      const batch: RecordEntry[] = [];
      const later: RecordEntry[] = [];
      const deliveries = new Set<string>();
      for (const entry of queued.splice(0)) {
        const deliveryId = entry.attempt?.payload.deliveryId;
        if (deliveryId && deliveries.has(deliveryId)) later.push(entry);
        else {
          if (deliveryId) deliveries.add(deliveryId);
          batch.push(entry);
        }
      }
      queued.push(...later);
      const byOrg = new Map<string, RecordEntry[]>();
      for (const entry of batch) {
        const entries = byOrg.get(entry.orgId);
        if (entries) entries.push(entry);
        else byOrg.set(entry.orgId, [entry]);
      }
      for (const [orgId, entries] of byOrg) await recordBatch(orgId, entries);
    }
  }

  async function recordBatch(orgId: string, entries: RecordEntry[]): Promise<void> {
    try {
      const disabled = await recordWebhookAttempts(context, orgId, {
        attempts: entries.flatMap((entry) => (entry.attempt ? [entry.attempt] : [])),
        settlements: entries.flatMap((entry) => (entry.settlement ? [entry.settlement] : [])),
      });
      for (const endpoint of disabled) {
        log.warn({ orgId, endpointId: endpoint.endpointId, reason: endpoint.reason }, 'webhook endpoint disabled');
        await mailAdminsAboutDisabledEndpoint({ database, mailer: dependencies.mailer, log }, { orgId, ...endpoint });
      }
    } catch (error) {
      // One bad row must not hold back the others: record them one by one.
      if (entries.length > 1) {
        for (const entry of entries) await recordBatch(orgId, [entry]);
        return;
      }
      // Its lease will expire and the job run again: at-least-once, never lost.
      log.error({ orgId, err: error }, 'could not record a webhook attempt');
    }
    for (const entry of entries) held.delete((entry.attempt?.lease ?? entry.settlement?.lease)?.jobId ?? '');
  }

  async function runLane(
    job: ClaimedJob,
    lease: JobLease,
    payload: DeliveryJobPayload,
    prepared: PreparedDelivery | null,
  ) {
    try {
      if (!prepared) return record({ orgId: payload.orgId, settlement: { lease, outcome: 'succeeded' } });
      const admitted = admission.tryAdmit(prepared.endpointId);
      if (!admitted.admitted) {
        // Not an attempt: given back to run a moment later, and this lane serves someone else.
        const runAt = new Date(clock.now().getTime() + admitted.retryInMs);
        return record({ orgId: payload.orgId, settlement: { lease, outcome: 'deferred', runAt } });
      }
      let result;
      try {
        result = await sendWebhookAttempt({ transport, now: () => clock.now(), random }, prepared, payload);
      } finally {
        admitted.release();
      }
      record({
        orgId: payload.orgId,
        attempt: { lease, payload, endpointId: prepared.endpointId, url: prepared.url, result },
      });
    } catch (error) {
      await giveBack(job, lease, error);
    }
  }

  /**
   * Claims ahead of the lanes (never more than `lookAhead` jobs wait for a lane),
   * so the lanes send while the next batches are claimed and prepared. Returns how many jobs were
   * asked for and claimed.
   */
  async function claimAhead(): Promise<{ requested: number; claimed: number }> {
    const requested = Math.min(lookAhead - ahead, lookAhead + RECORD_BACKLOG - held.size);
    if (requested <= 0) return { requested: 0, claimed: 0 };
    ahead += requested;
    let jobs: ClaimedJob[] = [];
    try {
      jobs = await claimJobsLean(context, { workerId, kinds: [WEBHOOK_DELIVERY_JOB_KIND], leaseMs, limit: requested });
    } finally {
      ahead -= requested - jobs.length;
    }
    const byOrg = new Map<string, { job: ClaimedJob; lease: JobLease; payload: DeliveryJobPayload }[]>();
    for (const job of jobs) {
      const lease = leaseOf(job, workerId);
      held.set(job.id, lease);
      // Re-claimed after its final attempt's lease expired: its worker most likely crashed on it.
      const parsed = deliveryJobPayloadSchema.safeParse(job.payload);
      if (job.attempts > job.maxAttempts || !parsed.success) {
        const error = parsed.success ? new Error('lease expired during the final attempt') : parsed.error;
        await giveBack(job, lease, error);
        ahead -= 1;
        continue;
      }
      const group = byOrg.get(parsed.data.orgId) ?? [];
      group.push({ job, lease, payload: parsed.data });
      byOrg.set(parsed.data.orgId, group);
    }
    await Promise.all(
      [...byOrg].map(async ([orgId, group]) => {
        let prepared: Map<string, PreparedDelivery | null>;
        try {
          prepared = await prepareWebhookDeliveries(
            { database, clock, sealed },
            orgId,
            group.map(({ job, payload }) => ({ jobId: job.id, deliveryId: payload.deliveryId })),
          );
        } catch (error) {
          for (const { job, lease } of group) {
            await giveBack(job, lease, error);
            ahead -= 1;
          }
          return;
        }
        for (const { job, lease, payload } of group)
          ready.push({ job, lease, payload, prepared: prepared.get(job.id) ?? null });
        pump();
      }),
    );
    return { requested, claimed: jobs.length };
  }

  /** Resolves after `ms`, or, when `early`, as soon as a lane frees up or a record batch commits. */
  function pause(ms: number, early: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeLoop = null;
        cancelPause = null;
        resolve();
      }
      wakeLoop = early ? done : null;
      cancelPause = done;
    });
  }

  async function poll(pollIntervalMs: number): Promise<void> {
    while (!stopping) {
      // Busy: wait until half the look-ahead can be claimed, so claims stay large batches (each
      // claim-and-prepare cycle costs the same round trips and WAL flush whatever its size; with
      // `lanes` as the threshold, claims averaged 37 jobs in bench/webhooks.ts, now 65).
      if (sending > 0 && lookAhead - ahead < lookAhead / 2) {
        await pause(pollIntervalMs, true);
        continue;
      }
      let outcome = { requested: 0, claimed: 0 };
      try {
        outcome = await claimAhead();
      } catch (err) {
        // Typically the database is unreachable; keep polling so delivery recovers with it.
        log.error({ err, workerId }, 'webhook delivery poll failed');
      }
      if (stopping) break;
      // A full claim (or the recorder behind): more may be due, claim again as soon as a lane or
      // the recorder moves. Otherwise nothing more is due: look again after the poll interval.
      const saturated = outcome.requested === 0 || outcome.claimed === outcome.requested;
      await pause(pollIntervalMs, saturated);
    }
  }

  function renewLeases(): void {
    const leases = [...held.values()];
    extendJobLeases(database.query, new Date(clock.now().getTime() + leaseMs), leases)
      .then((stillHeld) => {
        const lost = leases.filter((lease) => !stillHeld.has(lease.jobId) && held.has(lease.jobId));
        if (lost.length > 0)
          log.warn({ workerId, jobIds: lost.map((lease) => lease.jobId) }, 'webhook job leases lost');
      })
      .catch((err: unknown) => log.warn({ workerId, err }, 'webhook job lease renewal failed'));
  }

  async function settleAll(): Promise<void> {
    while (running.size > 0 || ready.length > 0) await Promise.allSettled([...running]);
    while (flushing) await flushing;
  }

  return {
    start({ pollIntervalMs }) {
      if (loop) return;
      stopping = false;
      heartbeat = setInterval(renewLeases, Math.max(1, Math.floor(leaseMs / 3)));
      heartbeat.unref();
      log.info({ workerId, lanes, pollIntervalMs }, 'webhook delivery lanes started');
      loop = poll(pollIntervalMs);
    },
    async runOnce() {
      const { claimed } = await claimAhead();
      await settleAll();
      return claimed;
    },
    async stop() {
      stopping = true;
      cancelPause?.();
      await loop;
      loop = null;
      // Claimed but not started: given back at once rather than sent during shutdown.
      for (const { lease, payload } of ready.splice(0)) {
        ahead -= 1;
        record({ orgId: payload.orgId, settlement: { lease, outcome: 'deferred', runAt: clock.now() } });
      }
      await settleAll();
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    },
  };
}
