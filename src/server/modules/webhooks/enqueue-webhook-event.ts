import { and, arrayContains, eq } from 'drizzle-orm';
import { type WebhookEventData, type WebhookEventType, webhookEventCatalogue } from '../../../contracts/webhooks.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { enqueueJob } from '../../platform/jobs/enqueue-job.ts';
import { webhookDeliveries, webhookEndpoints, webhookMessages } from './webhook-tables.ts';

export const WEBHOOK_DELIVERY_JOB_KIND = 'webhook.deliver';

/** Payload of a delivery job: one attempt of one delivery. */
export type WebhookDeliveryJobPayload = {
  orgId: string;
  deliveryId: string;
  /** Scheduled attempts are numbered 1..8 and schedule their successor; manual ones do not. */
  trigger: 'scheduled' | 'manual';
  scheduledAttempt?: number;
};

/** Enqueues one attempt of a delivery, in the caller's transaction. */
export function enqueueDeliveryAttempt(
  context: { transaction: Transaction; clock: Clock },
  payload: WebhookDeliveryJobPayload & { runAt?: Date; idempotencyKey: string },
): Promise<string> {
  const { runAt, idempotencyKey, ...jobPayload } = payload;
  return enqueueJob(context, {
    kind: WEBHOOK_DELIVERY_JOB_KIND,
    orgId: payload.orgId,
    payload: jobPayload,
    ...(runAt ? { runAt } : {}),
    idempotencyKey,
    // Job-level retries only cover crashes and database errors; HTTP failures follow the
    // webhook schedule, each scheduled attempt being its own job.
    maxAttempts: 5,
  });
}

/**
 * Records an event in the outbox. Call it inside the transaction of the change that caused the
 * event: the message, its deliveries (one per active endpoint subscribed to the type) and their
 * first attempt jobs commit or roll back with that change, so no event is lost or invented.
 * `data` is validated against the catalogue. `onlyEndpointId` targets one endpoint (test events).
 */
export async function enqueueWebhookEvent<T extends WebhookEventType>(
  context: { transaction: Transaction; clock: Clock },
  event: { orgId: string; type: T; data: WebhookEventData<T>; onlyEndpointId?: string },
): Promise<{ messageId: string; deliveryIds: string[] }> {
  const { transaction, clock } = context;
  const definition = webhookEventCatalogue[event.type];
  const data = definition.data.parse(event.data);
  const now = clock.now();
  const messageId = newId();
  const body = JSON.stringify({ type: event.type, version: definition.version, timestamp: now.toISOString(), data });
  await transaction
    .insert(webhookMessages)
    .values({ orgId: event.orgId, id: messageId, eventType: event.type, body, createdAt: now });
  const endpoints = await transaction
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.orgId, event.orgId),
        eq(webhookEndpoints.status, 'active'),
        // A targeted event (the test button) goes to that endpoint whatever it subscribes to.
        event.onlyEndpointId
          ? eq(webhookEndpoints.id, event.onlyEndpointId)
          : arrayContains(webhookEndpoints.eventTypes, [event.type]),
      ),
    );
  const deliveryIds: string[] = [];
  for (const endpoint of endpoints) {
    const deliveryId = newId();
    deliveryIds.push(deliveryId);
    await transaction.insert(webhookDeliveries).values({
      orgId: event.orgId,
      id: deliveryId,
      endpointId: endpoint.id,
      messageId,
      eventType: event.type,
      state: 'pending',
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await enqueueDeliveryAttempt(context, {
      orgId: event.orgId,
      deliveryId,
      trigger: 'scheduled',
      scheduledAttempt: 1,
      runAt: now,
      idempotencyKey: `${deliveryId}#1`,
    });
  }
  return { messageId, deliveryIds };
}
