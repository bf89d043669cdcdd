import { count, eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { createWebhookEndpointSchema, WebhookEndpointView } from '../../../contracts/webhooks.ts';
import { newId } from '../../platform/db/ids.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { checkEndpointUrl } from './check-endpoint-url.ts';
import { sealCustomHeaders } from './endpoint-headers.ts';
import { toEndpointView } from './webhook-endpoint-view.ts';
import { endpointSecretPlace, generateWebhookSecret, webhookSecretHint } from './webhook-secret.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/** Endpoints per organisation: every event fans out to each of them inside the emitting transaction. */
export const MAX_ENDPOINTS_PER_ORGANISATION = 50;

/** Creates an endpoint with a fresh secret, sealed at rest; the secret is returned this once. */
export async function createWebhookEndpoint(
  context: WebhookServiceContext,
  input: z.output<typeof createWebhookEndpointSchema>,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const { orgId, transaction, keyring, clock } = context;
  const url = await checkEndpointUrl(input.url, context.policy);
  const [existing] = await transaction
    .select({ total: count() })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.orgId, orgId));
  if ((existing?.total ?? 0) >= MAX_ENDPOINTS_PER_ORGANISATION)
    throw new AppError('conflict', `An organisation can have at most ${MAX_ENDPOINTS_PER_ORGANISATION} endpoints.`);
  const id = newId();
  const secret = generateWebhookSecret();
  const now = clock.now();
  const [row] = await transaction
    .insert(webhookEndpoints)
    .values({
      orgId,
      id,
      url,
      description: input.description,
      eventTypes: [...new Set(input.eventTypes)],
      customHeadersSealed: await sealCustomHeaders(keyring, { orgId, endpointId: id }, input.headers),
      secretSealed: await keyring.seal(secret, endpointSecretPlace(orgId, id)),
      secretHint: webhookSecretHint(secret),
      status: 'active',
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error('webhook endpoint insert returned no row');
  return { endpoint: toEndpointView(row, { headerNames: Object.keys(input.headers), now }), secret };
}
