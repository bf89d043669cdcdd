import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Database, Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import type { JobLease } from '../../platform/jobs/job-lease.ts';
import { type JobSettlement, settleJobs } from '../../platform/jobs/settle-jobs.ts';
import type { AttemptResult, DeliveryJobPayload } from './deliver-webhook-attempt.ts';
import { AUTO_DISABLE_AFTER_MS, disableWebhookEndpoint } from './disable-webhook-endpoint.ts';
import { enqueueDeliveryAttempts } from './enqueue-webhook-event.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/** One sent attempt, waiting to be recorded. */
export type SentAttempt = {
  lease: JobLease;
  payload: DeliveryJobPayload;
  endpointId: string;
  url: string;
  result: AttemptResult;
};

export type DisabledEndpoint = { endpointId: string; url: string; reason: string };

// One statement records a batch of attempts ($3, one JSON array):
// - `advanced` moves each delivery on, unless this job's attempt is already logged (a worker that
//   recorded it died before completing the job). The attempt number comes from the row's own
//   counter, under the row lock the UPDATE takes, so concurrent attempts of one delivery (a
//   resend during a retry) get distinct numbers. `id = ANY (ARRAY(…))` makes it an index lookup
//   even for a planner without statistics (PGlite), rather than a hash join over the whole table.
// - the INSERT logs the attempts of the deliveries that moved, numbered from `advanced`;
// - `streaks_ended` clears the failure streak of the endpoints that succeeded in the batch ($4),
//   only where one is running: an unconditional update would make every delivery to the endpoint
//   queue on its row lock.
// The rows travel as JSON rather than as a multi-row insert, whose building was the largest CPU
// cost of recording (drizzle's per-value SQL chunks).
const RECORD_ATTEMPTS_SQL = `
WITH input AS MATERIALIZED (
  SELECT * FROM jsonb_to_recordset($3::jsonb)
      AS a(id uuid, delivery_id uuid, job_id uuid, state text, next_attempt_at timestamptz, started_at timestamptz,
           status_code integer, error_class text, trigger text, duration_ms integer, error_message text,
           request_headers jsonb, response_headers jsonb, response_body text)
), advanced AS (
  UPDATE webhook_deliveries d
     SET state = a.state,
         attempts = d.attempts + 1,
         next_attempt_at = a.next_attempt_at,
         last_attempt_at = a.started_at,
         last_status_code = a.status_code,
         last_error_class = a.error_class,
         updated_at = $2::timestamptz
    FROM input a
   WHERE d.org_id = $1::uuid AND d.id = a.delivery_id
     AND d.id = ANY (ARRAY(SELECT delivery_id FROM input))
     AND (SELECT true FROM webhook_attempts x WHERE x.org_id = $1::uuid AND x.job_id = a.job_id LIMIT 1) IS NULL
  RETURNING d.id, d.attempts
), streaks_ended AS (
  UPDATE webhook_endpoints SET failing_since = NULL
   WHERE org_id = $1::uuid AND failing_since IS NOT NULL
     AND id = ANY (ARRAY(SELECT jsonb_array_elements_text($4::jsonb)::uuid))
)
INSERT INTO webhook_attempts
       (org_id, id, delivery_id, job_id, attempt_number, trigger, started_at, duration_ms, status_code, error_class,
        error_message, request_headers, response_headers, response_body, next_retry_at)
SELECT $1::uuid, a.id, a.delivery_id, a.job_id, advanced.attempts, a.trigger, a.started_at, a.duration_ms,
       a.status_code, a.error_class, a.error_message, a.request_headers, a.response_headers, a.response_body,
       a.next_attempt_at
  FROM advanced JOIN input a ON a.delivery_id = advanced.id
RETURNING delivery_id, attempt_number`;

/**
 * Records a batch of one organisation's sent attempts in one transaction: the deliveries' new
 * state, the attempt log and the end of the succeeding endpoints' failure streaks (one
 * statement), the next scheduled attempts (one insert), failure streaks, and the settlement of
 * every job in `attempts` and `settlements` (a job whose attempt is logged is deleted: the log is
 * its record; one statement each for deleted and kept jobs) — so an attempt is logged if and only
 * if its job is completed with it.
 * A batch holds at most one attempt per delivery (the caller splits). Returns the endpoints
 * this batch disabled (410, or five days of failures), for the caller to notify after commit.
 */
export async function recordWebhookAttempts(
  dependencies: { database: Database; clock: Clock },
  orgId: string,
  batch: { attempts: readonly SentAttempt[]; settlements: readonly JobSettlement[] },
): Promise<DisabledEndpoint[]> {
  const { database, clock } = dependencies;
  const { attempts, settlements } = batch;
  const requestId = `webhook-batch:${attempts[0]?.lease.jobId ?? settlements[0]?.lease.jobId ?? ''}`;
  return withTenantTransaction(database, { orgId, userId: null, requestId }, async (transaction) => {
    const query = transactionQuery(transaction);
    const now = clock.now();
    const succeededEndpoints = [
      ...new Set(attempts.filter(({ result }) => result.succeeded).map((attempt) => attempt.endpointId)),
    ];
    const logged =
      attempts.length === 0
        ? []
        : await query<{ delivery_id: string; attempt_number: number }>(RECORD_ATTEMPTS_SQL, [
            orgId,
            now.toISOString(),
            JSON.stringify(
              attempts.map(({ lease, payload, result }) => ({
                id: newId(),
                delivery_id: payload.deliveryId,
                job_id: lease.jobId,
                state: result.deliveryState,
                // The delivery's next attempt and the attempt's logged next retry are the same time.
                next_attempt_at: result.nextRetryAt?.toISOString() ?? null,
                started_at: result.startedAt.toISOString(),
                status_code: result.statusCode,
                error_class: result.errorClass,
                trigger: payload.trigger,
                duration_ms: result.response.durationMs,
                error_message: result.errorMessage,
                request_headers: result.requestHeaders,
                response_headers: result.response.kind === 'response' ? result.response.headers : null,
                response_body: result.response.kind === 'response' ? result.response.bodyExcerpt : null,
              })),
            ),
            JSON.stringify(succeededEndpoints),
          ]);
    const loggedDeliveries = new Set(logged.map((row) => row.delivery_id));
    const recorded = attempts.filter((attempt) => loggedDeliveries.has(attempt.payload.deliveryId));

    // The next scheduled attempt of each failure that has one, in one insert.
    await enqueueDeliveryAttempts(
      { transaction, clock },
      recorded.flatMap(({ payload, result }) => {
        if (!result.nextRetryAt) return [];
        const next = (payload.scheduledAttempt ?? 1) + 1;
        return [
          {
            orgId,
            deliveryId: payload.deliveryId,
            trigger: 'scheduled' as const,
            scheduledAttempt: next,
            runAt: result.nextRetryAt,
            idempotencyKey: `${payload.deliveryId}#${next}`,
          },
        ];
      }),
    );
    const disabled = await updateFailureStreaks(transaction, { orgId, now, recorded });

    await settleJobs(query, now, [
      // The attempt log is the job's record: its row goes (see JobSettlement).
      ...attempts.map((attempt): JobSettlement => ({ lease: attempt.lease, outcome: 'removed' })),
      ...settlements,
    ]);
    return disabled;
  });
}

/**
 * An endpoint's failure streak ends with any success in the batch; otherwise its failures start
 * (or continue) one, and a 410 or a streak of five days disables it.
 */
async function updateFailureStreaks(
  transaction: Transaction,
  options: { orgId: string; now: Date; recorded: readonly SentAttempt[] },
): Promise<DisabledEndpoint[]> {
  const { orgId, now, recorded } = options;
  // The streaks of endpoints that succeeded in this batch were ended by RECORD_ATTEMPTS_SQL.
  const succeeded = new Set(recorded.filter(({ result }) => result.succeeded).map((attempt) => attempt.endpointId));

  const failures = new Map<string, SentAttempt[]>();
  for (const attempt of recorded) {
    if (attempt.result.succeeded) continue;
    if (succeeded.has(attempt.endpointId) && !attempt.result.gone) continue;
    const endpointFailures = failures.get(attempt.endpointId);
    if (endpointFailures) endpointFailures.push(attempt);
    else failures.set(attempt.endpointId, [attempt]);
  }
  const disabled: DisabledEndpoint[] = [];
  for (const [endpointId, failed] of failures) {
    const firstStartedAt = new Date(Math.min(...failed.map(({ result }) => result.startedAt.getTime())));
    const [endpoint] = await transaction
      .update(webhookEndpoints)
      .set({
        failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${firstStartedAt.toISOString()}::timestamptz)`,
      })
      .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, endpointId)))
      .returning({ failingSince: webhookEndpoints.failingSince, status: webhookEndpoints.status });
    if (!endpoint || endpoint.status !== 'active') continue;
    let reason: string | null = null;
    let cause: 'gone' | 'failing' = 'failing';
    if (failed.some(({ result }) => result.gone)) {
      reason = 'The receiver answered 410 Gone.';
      cause = 'gone';
    } else if (endpoint.failingSince && now.getTime() - endpoint.failingSince.getTime() >= AUTO_DISABLE_AFTER_MS) {
      reason = `Every delivery failed since ${endpoint.failingSince.toISOString()} (5 days).`;
    }
    if (!reason) continue;
    await disableWebhookEndpoint(transaction, { orgId, endpointId, reason, cause, now });
    disabled.push({ endpointId, url: (failed[0] as SentAttempt).url, reason });
  }
  return disabled;
}
