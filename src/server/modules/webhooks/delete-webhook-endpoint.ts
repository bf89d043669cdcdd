import { and, eq } from 'drizzle-orm';
import { AppError } from '../../platform/errors/app-error.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/**
 * Deletes an endpoint with its deliveries and attempt log (cascade). Queued attempt jobs find no
 * delivery and finish without sending.
 */
export async function deleteWebhookEndpoint(
  context: Pick<WebhookServiceContext, 'orgId' | 'transaction'>,
  endpointId: string,
): Promise<void> {
  const deleted = await context.transaction
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, context.orgId), eq(webhookEndpoints.id, endpointId)))
    .returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw new AppError('not-found', 'No such webhook endpoint.');
}
