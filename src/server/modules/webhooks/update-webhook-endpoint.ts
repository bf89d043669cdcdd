import { and, eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { updateWebhookEndpointSchema, WebhookEndpointView } from '../../../contracts/webhooks.ts';
import { checkEndpointUrl } from './check-endpoint-url.ts';
import { sealCustomHeaders } from './endpoint-headers.ts';
import { findWebhookEndpoint, readWebhookEndpoint } from './read-webhook-endpoints.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/**
 * Edits an endpoint. `status: 'active'` resumes a paused endpoint and re-enables a disabled one
 * (re-enabling is always a person's decision); it also restarts the failure streak.
 */
export async function updateWebhookEndpoint(
  context: WebhookServiceContext,
  endpointId: string,
  input: z.output<typeof updateWebhookEndpointSchema>,
): Promise<{ endpoint: WebhookEndpointView; changed: string[] }> {
  const { orgId, transaction, keyring, clock } = context;
  const current = await findWebhookEndpoint(context, endpointId, { forUpdate: true });
  const changes: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: clock.now() };
  const changed: string[] = [];
  if (input.url !== undefined) {
    changes.url = await checkEndpointUrl(input.url, context.policy);
    changed.push('url');
  }
  if (input.description !== undefined) {
    changes.description = input.description;
    changed.push('description');
  }
  if (input.eventTypes !== undefined) {
    changes.eventTypes = [...new Set(input.eventTypes)];
    changed.push('eventTypes');
  }
  if (input.headers !== undefined) {
    changes.customHeadersSealed = await sealCustomHeaders(keyring, { orgId, endpointId }, input.headers);
    changed.push('headers');
  }
  if (input.status !== undefined && input.status !== current.status) {
    changes.status = input.status;
    if (input.status === 'active') {
      changes.disabledReason = null;
      changes.disabledAt = null;
      changes.failingSince = null;
    }
    changed.push('status');
  }
  await transaction
    .update(webhookEndpoints)
    .set(changes)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, endpointId)));
  return { endpoint: await readWebhookEndpoint(context, endpointId), changed };
}
