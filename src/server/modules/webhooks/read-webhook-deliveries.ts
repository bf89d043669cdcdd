import { and, asc, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type {
  listWebhookDeliveriesQuerySchema,
  WebhookDeliveryDetail,
  WebhookDeliveryView,
} from '../../../contracts/webhooks.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { findWebhookEndpoint } from './read-webhook-endpoints.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { type WebhookDeliveryRow, webhookAttempts, webhookDeliveries, webhookMessages } from './webhook-tables.ts';

type ReadContext = Pick<WebhookServiceContext, 'orgId' | 'transaction'>;

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

function toDeliveryView(row: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    messageId: row.messageId,
    deliveryId: row.id,
    eventType: row.eventType,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
    lastAttemptAt: iso(row.lastAttemptAt),
    lastStatusCode: row.lastStatusCode,
    lastErrorClass: row.lastErrorClass,
    createdAt: row.createdAt.toISOString(),
  };
}

/** An endpoint's delivery log, newest first, filtered by state, event type and time; keyset-paginated. */
export async function listWebhookDeliveries(
  context: ReadContext,
  endpointId: string,
  query: z.output<typeof listWebhookDeliveriesQuerySchema>,
): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
  await findWebhookEndpoint(context, endpointId);
  const conditions: SQL[] = [eq(webhookDeliveries.orgId, context.orgId), eq(webhookDeliveries.endpointId, endpointId)];
  if (query.state) conditions.push(eq(webhookDeliveries.state, query.state));
  if (query.eventType) conditions.push(eq(webhookDeliveries.eventType, query.eventType));
  if (query.from) conditions.push(gte(webhookDeliveries.createdAt, new Date(query.from)));
  if (query.to) conditions.push(lt(webhookDeliveries.createdAt, new Date(query.to)));
  // Ids are UUIDv7 (time-ordered): the id orders like created_at and is a stable cursor.
  if (query.cursor) conditions.push(lt(webhookDeliveries.id, query.cursor));
  const rows = await context.transaction
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(toDeliveryView),
    nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** One message as delivered to one endpoint: the exact body sent and every attempt. */
export async function readWebhookDelivery(
  context: ReadContext,
  endpointId: string,
  messageId: string,
): Promise<WebhookDeliveryDetail> {
  const [found] = await context.transaction
    .select({ delivery: webhookDeliveries, body: webhookMessages.body })
    .from(webhookDeliveries)
    .innerJoin(
      webhookMessages,
      and(eq(webhookMessages.orgId, webhookDeliveries.orgId), eq(webhookMessages.id, webhookDeliveries.messageId)),
    )
    .where(
      and(
        eq(webhookDeliveries.orgId, context.orgId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.messageId, messageId),
      ),
    );
  if (!found) throw new AppError('not-found', 'No such message for this endpoint.');
  const attempts = await context.transaction
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.orgId, context.orgId), eq(webhookAttempts.deliveryId, found.delivery.id)))
    .orderBy(asc(webhookAttempts.attemptNumber));
  return {
    ...toDeliveryView(found.delivery),
    payload: found.body,
    attemptLog: attempts.map((attempt) => ({
      id: attempt.id,
      attemptNumber: attempt.attemptNumber,
      trigger: attempt.trigger,
      startedAt: attempt.startedAt.toISOString(),
      durationMs: attempt.durationMs,
      statusCode: attempt.statusCode,
      errorClass: attempt.errorClass,
      errorMessage: attempt.errorMessage,
      requestHeaders: attempt.requestHeaders,
      responseHeaders: attempt.responseHeaders,
      responseBody: attempt.responseBody,
      nextRetryAt: iso(attempt.nextRetryAt),
    })),
  };
}
