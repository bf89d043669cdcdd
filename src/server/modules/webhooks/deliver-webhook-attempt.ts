import { z } from 'zod';
import type { PreparedDelivery } from './prepare-webhook-deliveries.ts';
import { nextWebhookRetryDelayMs, parseRetryAfterMs, WEBHOOK_MAX_ATTEMPTS } from './retry-schedule.ts';
import type { WebhookResponse, WebhookTransport } from './send-webhook-request.ts';
import { signWebhook } from './sign-webhook.ts';

export const deliveryJobPayloadSchema = z.object({
  orgId: z.uuid(),
  deliveryId: z.uuid(),
  trigger: z.enum(['scheduled', 'manual']),
  scheduledAttempt: z.number().int().min(1).max(WEBHOOK_MAX_ATTEMPTS).optional(),
});
export type DeliveryJobPayload = z.output<typeof deliveryJobPayloadSchema>;

export const WEBHOOK_USER_AGENT = 'Vigil-Webhooks/1.0';

/** One attempt as it is logged, and what it does to its delivery. */
export type AttemptResult = {
  startedAt: Date;
  response: WebhookResponse;
  /** The request headers as logged: custom header values redacted. */
  requestHeaders: Record<string, string>;
  statusCode: number | null;
  succeeded: boolean;
  /** 410: the endpoint is disabled at once. */
  gone: boolean;
  errorClass: 'dns' | 'connect' | 'tls' | 'timeout' | 'blocked' | 'http' | null;
  errorMessage: string | null;
  /** When the next scheduled attempt runs; null when none follows (success, 410, manual, last). */
  nextRetryAt: Date | null;
  deliveryState: 'succeeded' | 'pending' | 'failed';
};

/**
 * Sends one attempt, signed for this attempt's timestamp, and works out its result. Does not
 * touch the database: the caller records the result (see record-webhook-attempts.ts).
 */
export async function sendWebhookAttempt(
  dependencies: { transport: WebhookTransport; now: () => Date; random: () => number },
  prepared: PreparedDelivery,
  payload: DeliveryJobPayload,
): Promise<AttemptResult> {
  const startedAt = dependencies.now();
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
  const response = await dependencies.transport.send({ url: prepared.url, headers, body: prepared.body });

  const statusCode = response.kind === 'response' ? response.statusCode : null;
  const succeeded = statusCode !== null && statusCode >= 200 && statusCode <= 299;
  const gone = statusCode === 410;
  const now = dependencies.now();
  let nextRetryAt: Date | null = null;
  if (!succeeded && !gone && payload.trigger === 'scheduled') {
    const retryAfterMs =
      response.kind === 'response' && (statusCode === 429 || statusCode === 503)
        ? parseRetryAfterMs(response.headers['retry-after'], now)
        : null;
    const delay = nextWebhookRetryDelayMs(payload.scheduledAttempt ?? 1, {
      retryAfterMs,
      random: dependencies.random,
    });
    if (delay !== null) nextRetryAt = new Date(now.getTime() + delay);
  }
  return {
    startedAt,
    response,
    requestHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, name in prepared.customHeaders ? '[redacted]' : value]),
    ),
    statusCode,
    succeeded,
    gone,
    errorClass: response.kind === 'error' ? response.errorClass : succeeded ? null : 'http',
    errorMessage:
      response.kind === 'error'
        ? response.message.slice(0, 1000)
        : succeeded
          ? null
          : statusCode !== null && statusCode >= 300 && statusCode < 400
            ? `redirect (${statusCode}) not followed`
            : `HTTP ${statusCode}`,
    nextRetryAt,
    deliveryState: succeeded ? 'succeeded' : nextRetryAt ? 'pending' : 'failed',
  };
}
