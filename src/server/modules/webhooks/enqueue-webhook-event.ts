import { and, eq } from 'drizzle-orm';
import { type WebhookEventData, type WebhookEventType, webhookEventCatalogue } from '../../../contracts/webhooks.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { enqueueJobs } from '../../platform/jobs/enqueue-job.ts';
import { webhookEndpoints } from './webhook-tables.ts';

export const WEBHOOK_DELIVERY_JOB_KIND = 'webhook.deliver';

/** Payload of a delivery job: one attempt of one delivery. */
export type WebhookDeliveryJobPayload = {
  orgId: string;
  deliveryId: string;
  /** Scheduled attempts are numbered 1..8 and schedule their successor; manual ones do not. */
  trigger: 'scheduled' | 'manual';
  scheduledAttempt?: number;
};

type DeliveryAttemptInput = WebhookDeliveryJobPayload & { runAt?: Date; idempotencyKey: string };

/** Enqueues one attempt of a delivery, in the caller's transaction. */
export async function enqueueDeliveryAttempt(
  context: { transaction: Transaction; clock: Clock },
  payload: DeliveryAttemptInput,
): Promise<string> {
  const [id] = await enqueueDeliveryAttempts(context, [payload]);
  return id as string;
}

/** Enqueues attempts of many deliveries in one multi-row insert, in the caller's transaction. */
export function enqueueDeliveryAttempts(
  context: { transaction: Transaction; clock: Clock },
  payloads: readonly DeliveryAttemptInput[],
): Promise<string[]> {
  return enqueueJobs(
    context,
    payloads.map(({ runAt, idempotencyKey, ...jobPayload }) => ({
      kind: WEBHOOK_DELIVERY_JOB_KIND,
      orgId: jobPayload.orgId,
      payload: jobPayload,
      ...(runAt ? { runAt } : {}),
      idempotencyKey,
      // Job-level retries only cover crashes and database errors; HTTP failures follow the
      // webhook schedule, each scheduled attempt being its own job.
      maxAttempts: 5,
    })),
  );
}

/** One event for the outbox; `onlyEndpointId` targets one endpoint (test events). */
export type WebhookEventInput = {
  [T in WebhookEventType]: { type: T; data: WebhookEventData<T>; onlyEndpointId?: string };
}[WebhookEventType];

// The outbox rows of a batch, each table in one statement with the rows as one JSON parameter:
// no parameter limit, and no per-value statement building (as in platform/jobs/enqueue-job.ts).
const INSERT_MESSAGES_SQL = `
INSERT INTO webhook_messages (org_id, id, event_type, body, created_at)
SELECT $1::uuid, m.id, m.event_type, m.body, $2::timestamptz
  FROM jsonb_to_recordset($3::jsonb) AS m(id uuid, event_type text, body text)`;

const INSERT_DELIVERIES_SQL = `
INSERT INTO webhook_deliveries
       (org_id, id, endpoint_id, message_id, event_type, state, next_attempt_at, created_at, updated_at)
SELECT $1::uuid, d.id, d.endpoint_id, d.message_id, d.event_type, 'pending', $2::timestamptz, $2::timestamptz,
       $2::timestamptz
  FROM jsonb_to_recordset($3::jsonb) AS d(id uuid, endpoint_id uuid, message_id uuid, event_type text)`;

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
  const { orgId, ...input } = event;
  const [queued] = await enqueueWebhookEvents(context, { orgId, events: [input as WebhookEventInput] });
  return queued as { messageId: string; deliveryIds: string[] };
}

/**
 * enqueueWebhookEvent for many events of one organisation in the caller's transaction, set-based:
 * one read of the organisation's active endpoints and one insert each for the messages, the
 * deliveries and their first attempt jobs, whatever the number of events and endpoints. Returns each event's message and delivery ids, in the order given.
 */
export async function enqueueWebhookEvents(
  context: { transaction: Transaction; clock: Clock },
  batch: { orgId: string; events: readonly WebhookEventInput[] },
): Promise<{ messageId: string; deliveryIds: string[] }[]> {
  const { transaction, clock } = context;
  const { orgId, events } = batch;
  if (events.length === 0) return [];
  const now = clock.now();
  const messages = events.map((event) => {
    const definition = webhookEventCatalogue[event.type];
    const data = definition.data.parse(event.data);
    const body = JSON.stringify({ type: event.type, version: definition.version, timestamp: now.toISOString(), data });
    return { id: newId(), event_type: event.type, body };
  });
  const query = transactionQuery(transaction);
  await query(INSERT_MESSAGES_SQL, [orgId, now.toISOString(), JSON.stringify(messages)]);

  // Organisations have a handful of endpoints: read the active ones once, match in memory.
  const endpoints = await transaction
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.status, 'active')))
    .orderBy(webhookEndpoints.id);
  const deliveries: { id: string; endpoint_id: string; message_id: string; event_type: string }[] = [];
  const queued = events.map((event, index) => {
    const message = messages[index] as (typeof messages)[number];
    const deliveryIds: string[] = [];
    for (const endpoint of endpoints) {
      // A targeted event (the test button) goes to that endpoint whatever it subscribes to.
      const subscribed = event.onlyEndpointId
        ? endpoint.id === event.onlyEndpointId
        : endpoint.eventTypes.includes(event.type);
      if (!subscribed) continue;
      const id = newId();
      deliveryIds.push(id);
      deliveries.push({ id, endpoint_id: endpoint.id, message_id: message.id, event_type: event.type });
    }
    return { messageId: message.id, deliveryIds };
  });
  if (deliveries.length > 0) await query(INSERT_DELIVERIES_SQL, [orgId, now.toISOString(), JSON.stringify(deliveries)]);
  await enqueueDeliveryAttempts(
    context,
    deliveries.map((delivery) => ({
      orgId,
      deliveryId: delivery.id,
      trigger: 'scheduled',
      scheduledAttempt: 1,
      runAt: now,
      idempotencyKey: `${delivery.id}#1`,
    })),
  );
  return queued;
}
