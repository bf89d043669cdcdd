import { and, eq, gte } from 'drizzle-orm';
import { newId } from '../../platform/db/ids.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { enqueueDeliveryAttempt } from './enqueue-webhook-event.ts';
import { findWebhookEndpoint } from './read-webhook-endpoints.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { webhookDeliveries } from './webhook-tables.ts';

type ResendContext = Pick<WebhookServiceContext, 'orgId' | 'transaction' | 'clock'>;

async function queueManualAttempt(context: ResendContext, deliveryId: string): Promise<void> {
  const now = context.clock.now();
  await context.transaction
    .update(webhookDeliveries)
    .set({ state: 'pending', nextAttemptAt: now, updatedAt: now })
    .where(and(eq(webhookDeliveries.orgId, context.orgId), eq(webhookDeliveries.id, deliveryId)));
  await enqueueDeliveryAttempt(context, {
    orgId: context.orgId,
    deliveryId,
    trigger: 'manual',
    runAt: now,
    idempotencyKey: `${deliveryId}#manual-${newId()}`,
  });
}

/** Sends one message to the endpoint again now (same `webhook-id`), whatever its state. */
export async function resendWebhookMessage(
  context: ResendContext,
  endpointId: string,
  messageId: string,
): Promise<{ messageId: string; deliveryId: string }> {
  const endpoint = await findWebhookEndpoint(context, endpointId);
  if (endpoint.status !== 'active')
    throw new AppError('conflict', `The endpoint is ${endpoint.status}; enable it before resending.`);
  const [delivery] = await context.transaction
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.orgId, context.orgId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.messageId, messageId),
      ),
    )
    .for('update');
  if (!delivery) throw new AppError('not-found', 'No such message for this endpoint.');
  await queueManualAttempt(context, delivery.id);
  return { messageId, deliveryId: delivery.id };
}

/** Re-queues every failed delivery to the endpoint created at or after `since`. */
export async function recoverWebhookDeliveries(
  context: ResendContext,
  endpointId: string,
  since: Date,
): Promise<{ requeued: number }> {
  const endpoint = await findWebhookEndpoint(context, endpointId);
  if (endpoint.status !== 'active')
    throw new AppError('conflict', `The endpoint is ${endpoint.status}; enable it before recovering messages.`);
  const failed = await context.transaction
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.orgId, context.orgId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.state, 'failed'),
        gte(webhookDeliveries.createdAt, since),
      ),
    )
    .for('update');
  for (const delivery of failed) await queueManualAttempt(context, delivery.id);
  return { requeued: failed.length };
}
