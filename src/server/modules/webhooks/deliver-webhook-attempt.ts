import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Job } from '../../platform/db/schema.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { enqueueJob } from '../../platform/jobs/enqueue-job.ts';
import type { JobHandler } from '../../platform/jobs/job-worker.ts';
import type { Mailer } from '../identity/mail/create-mailer.ts';
import {
  AUTO_DISABLE_AFTER_MS,
  disableWebhookEndpoint,
  mailAdminsAboutDisabledEndpoint,
} from './disable-webhook-endpoint.ts';
import type { EndpointAdmission } from './endpoint-admission.ts';
import { enqueueDeliveryAttempt, WEBHOOK_DELIVERY_JOB_KIND } from './enqueue-webhook-event.ts';
import { openCustomHeaders } from './endpoint-headers.ts';
import { nextWebhookRetryDelayMs, parseRetryAfterMs, WEBHOOK_MAX_ATTEMPTS } from './retry-schedule.ts';
import type { WebhookResponse, WebhookTransport } from './send-webhook-request.ts';
import { signWebhook } from './sign-webhook.ts';
import { endpointSecretPlace, previousSecretPlace } from './webhook-secret.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookMessages } from './webhook-tables.ts';

const jobPayloadSchema = z.object({
  orgId: z.uuid(),
  deliveryId: z.uuid(),
  trigger: z.enum(['scheduled', 'manual']),
  scheduledAttempt: z.number().int().min(1).max(WEBHOOK_MAX_ATTEMPTS).optional(),
});

export const WEBHOOK_USER_AGENT = 'Vigil-Webhooks/1.0';

export type DeliverWebhookDependencies = {
  database: Database;
  keyring: Pick<Keyring, 'openText'>;
  clock: Clock;
  transport: WebhookTransport;
  admission: EndpointAdmission;
  mailer: Pick<Mailer, 'sendMail'>;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  random?: () => number;
};

type Prepared = {
  endpointId: string;
  url: string;
  messageId: string;
  body: string;
  secrets: string[];
  customHeaders: Record<string, string>;
};

/**
 * One attempt of one delivery (job `webhook.deliver`). Sends outside any transaction, then records
 * the attempt, the delivery's new state and the next scheduled attempt in one transaction.
 * At-least-once: a worker that dies after sending and before recording leaves the job's lease
 * to expire; the job runs again and sends the same message (same `webhook-id`) again. Recording
 * is keyed by the job id, so a job that already recorded its attempt never sends twice.
 */
export function createDeliverWebhookHandler(dependencies: DeliverWebhookDependencies): JobHandler {
  const { database, keyring, clock, transport, admission, log } = dependencies;
  const random = dependencies.random ?? Math.random;

  return async (job: Job) => {
    const payload = jobPayloadSchema.parse(job.payload);
    const scope = { orgId: payload.orgId, userId: null, requestId: `webhook-job:${job.id}` };
    const prepared = await withTenantTransaction(database, scope, async (transaction): Promise<Prepared | null> => {
      const [recorded] = await transaction
        .select({ id: webhookAttempts.id })
        .from(webhookAttempts)
        .where(and(eq(webhookAttempts.orgId, payload.orgId), eq(webhookAttempts.jobId, job.id)));
      if (recorded) return null;
      const [found] = await transaction
        .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, body: webhookMessages.body })
        .from(webhookDeliveries)
        .innerJoin(
          webhookEndpoints,
          and(
            eq(webhookEndpoints.orgId, webhookDeliveries.orgId),
            eq(webhookEndpoints.id, webhookDeliveries.endpointId),
          ),
        )
        .innerJoin(
          webhookMessages,
          and(eq(webhookMessages.orgId, webhookDeliveries.orgId), eq(webhookMessages.id, webhookDeliveries.messageId)),
        )
        .where(and(eq(webhookDeliveries.orgId, payload.orgId), eq(webhookDeliveries.id, payload.deliveryId)));
      // Deleted endpoint or purged message: nothing left to send.
      if (!found) return null;
      const { delivery, endpoint } = found;
      if (delivery.state !== 'pending') return null;
      if (endpoint.status !== 'active') {
        await transaction
          .update(webhookDeliveries)
          .set({ state: 'failed', nextAttemptAt: null, lastErrorClass: 'endpoint_disabled', updatedAt: clock.now() })
          .where(and(eq(webhookDeliveries.orgId, payload.orgId), eq(webhookDeliveries.id, delivery.id)));
        return null;
      }
      const now = clock.now();
      const secrets = [await keyring.openText(endpoint.secretSealed, endpointSecretPlace(payload.orgId, endpoint.id))];
      if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now)
        secrets.push(
          await keyring.openText(endpoint.previousSecretSealed, previousSecretPlace(payload.orgId, endpoint.id)),
        );
      return {
        endpointId: endpoint.id,
        url: endpoint.url,
        messageId: delivery.messageId,
        body: found.body,
        secrets,
        // Lower-cased, so a custom header can never shadow one of ours under another spelling.
        customHeaders: Object.fromEntries(
          Object.entries(
            await openCustomHeaders(
              keyring,
              { orgId: payload.orgId, endpointId: endpoint.id },
              endpoint.customHeadersSealed,
            ),
          ).map(([name, value]) => [name.toLowerCase(), value]),
        ),
      };
    });
    if (!prepared) return;

    const admitted = admission.tryAdmit(prepared.endpointId);
    if (!admitted.admitted) {
      // Not an attempt: the same attempt is re-queued shortly and this lane serves someone else.
      const baseKey = (job.idempotencyKey ?? job.id).split('~')[0];
      await enqueueJob(
        { database, clock },
        {
          kind: WEBHOOK_DELIVERY_JOB_KIND,
          orgId: payload.orgId,
          payload,
          runAt: new Date(clock.now().getTime() + admitted.retryInMs),
          idempotencyKey: `${baseKey}~${job.id}`,
          maxAttempts: 5,
        },
      );
      return;
    }

    const startedAt = clock.now();
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers: Record<string, string> = {
      ...prepared.customHeaders,
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'webhook-id': prepared.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook({
        secrets: prepared.secrets,
        id: prepared.messageId,
        timestamp,
        body: prepared.body,
      }),
    };
    let response: WebhookResponse;
    try {
      response = await transport.send({ url: prepared.url, headers, body: prepared.body });
    } finally {
      admitted.release();
    }

    const disabled = await recordAttempt({
      job,
      payload,
      prepared,
      response,
      startedAt,
      requestHeaders: Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, name in prepared.customHeaders ? '[redacted]' : value]),
      ),
    });
    if (disabled) {
      log.warn(
        { orgId: payload.orgId, endpointId: prepared.endpointId, reason: disabled },
        'webhook endpoint disabled',
      );
      await mailAdminsAboutDisabledEndpoint(
        { database, mailer: dependencies.mailer, log },
        { orgId: payload.orgId, endpointId: prepared.endpointId, url: prepared.url, reason: disabled },
      );
    }
  };

  /** Records the attempt; returns the reason when this attempt disabled the endpoint. */
  async function recordAttempt(options: {
    job: Job;
    payload: z.output<typeof jobPayloadSchema>;
    prepared: Prepared;
    response: WebhookResponse;
    startedAt: Date;
    requestHeaders: Record<string, string>;
  }): Promise<string | null> {
    const { job, payload, prepared, response, startedAt } = options;
    const scope = { orgId: payload.orgId, userId: null, requestId: `webhook-job:${job.id}` };
    return withTenantTransaction(database, scope, async (transaction) => {
      const [delivery] = await transaction
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.orgId, payload.orgId), eq(webhookDeliveries.id, payload.deliveryId)))
        .for('update');
      if (!delivery) return null;
      const [recorded] = await transaction
        .select({ id: webhookAttempts.id })
        .from(webhookAttempts)
        .where(and(eq(webhookAttempts.orgId, payload.orgId), eq(webhookAttempts.jobId, job.id)));
      if (recorded) return null;
      const statusCode = response.kind === 'response' ? response.statusCode : null;
      const succeeded = statusCode !== null && statusCode >= 200 && statusCode <= 299;
      const gone = statusCode === 410;
      const now = clock.now();
      let nextRetryAt: Date | null = null;
      if (!succeeded && !gone && payload.trigger === 'scheduled') {
        const retryAfterMs =
          response.kind === 'response' && (statusCode === 429 || statusCode === 503)
            ? parseRetryAfterMs(response.headers['retry-after'], now)
            : null;
        const delay = nextWebhookRetryDelayMs(payload.scheduledAttempt ?? 1, { retryAfterMs, random });
        if (delay !== null) nextRetryAt = new Date(now.getTime() + delay);
      }
      const errorClass = response.kind === 'error' ? response.errorClass : succeeded ? null : ('http' as const);
      const attemptNumber = delivery.attempts + 1;
      await transaction.insert(webhookAttempts).values({
        orgId: payload.orgId,
        id: newId(),
        deliveryId: delivery.id,
        jobId: job.id,
        attemptNumber,
        trigger: payload.trigger,
        startedAt,
        durationMs: response.durationMs,
        statusCode,
        errorClass,
        errorMessage:
          response.kind === 'error'
            ? response.message.slice(0, 1000)
            : succeeded
              ? null
              : statusCode !== null && statusCode >= 300 && statusCode < 400
                ? `redirect (${statusCode}) not followed`
                : `HTTP ${statusCode}`,
        requestHeaders: options.requestHeaders,
        responseHeaders: response.kind === 'response' ? response.headers : null,
        responseBody: response.kind === 'response' ? response.bodyExcerpt : null,
        nextRetryAt,
      });
      await transaction
        .update(webhookDeliveries)
        .set({
          state: succeeded ? 'succeeded' : nextRetryAt ? 'pending' : 'failed',
          attempts: attemptNumber,
          nextAttemptAt: nextRetryAt,
          lastAttemptAt: startedAt,
          lastStatusCode: statusCode,
          lastErrorClass: errorClass,
          updatedAt: now,
        })
        .where(and(eq(webhookDeliveries.orgId, payload.orgId), eq(webhookDeliveries.id, delivery.id)));
      if (nextRetryAt) {
        const next = (payload.scheduledAttempt ?? 1) + 1;
        await enqueueDeliveryAttempt(
          { transaction, clock },
          {
            orgId: payload.orgId,
            deliveryId: delivery.id,
            trigger: 'scheduled',
            scheduledAttempt: next,
            runAt: nextRetryAt,
            idempotencyKey: `${delivery.id}#${next}`,
          },
        );
      }
      if (succeeded) {
        // Only when a failure streak ends: an unconditional update would make every delivery to
        // the endpoint queue on its row lock.
        await transaction
          .update(webhookEndpoints)
          .set({ failingSince: null })
          .where(
            and(
              eq(webhookEndpoints.orgId, payload.orgId),
              eq(webhookEndpoints.id, prepared.endpointId),
              isNotNull(webhookEndpoints.failingSince),
            ),
          );
        return null;
      }
      const [endpoint] = await transaction
        .update(webhookEndpoints)
        .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${startedAt.toISOString()}::timestamptz)` })
        .where(and(eq(webhookEndpoints.orgId, payload.orgId), eq(webhookEndpoints.id, prepared.endpointId)))
        .returning({ failingSince: webhookEndpoints.failingSince, status: webhookEndpoints.status });
      if (!endpoint || endpoint.status !== 'active') return null;
      let reason: string | null = null;
      let cause: 'gone' | 'failing' = 'failing';
      if (gone) {
        reason = 'The receiver answered 410 Gone.';
        cause = 'gone';
      } else if (endpoint.failingSince && now.getTime() - endpoint.failingSince.getTime() >= AUTO_DISABLE_AFTER_MS) {
        reason = `Every delivery failed since ${endpoint.failingSince.toISOString()} (5 days).`;
      }
      if (!reason) return null;
      await disableWebhookEndpoint(transaction, {
        orgId: payload.orgId,
        endpointId: prepared.endpointId,
        reason,
        cause,
        now,
      });
      return reason;
    });
  }
}
