import { and, eq } from 'drizzle-orm';
import { findWebhookEndpoint } from './read-webhook-endpoints.ts';
import {
  endpointSecretPlace,
  generateWebhookSecret,
  previousSecretPlace,
  webhookSecretHint,
} from './webhook-secret.ts';
import type { WebhookServiceContext } from './webhook-service-context.ts';
import { webhookEndpoints } from './webhook-tables.ts';

/**
 * Issues a new secret. Until the grace period ends (VIGIL_WEBHOOK_ROTATION_GRACE_HOURS, 24 h by
 * default) every delivery carries a signature with the previous secret too, so receivers can
 * switch without dropping a message; then only the new one. Rotating again during a grace period
 * keeps the most recent previous secret (the one receivers are most likely still using).
 */
export async function rotateWebhookSecret(
  context: WebhookServiceContext,
  endpointId: string,
): Promise<{ secret: string; previousSecretValidUntil: string }> {
  const { orgId, transaction, keyring, clock } = context;
  const current = await findWebhookEndpoint(context, endpointId, { forUpdate: true });
  const oldSecret = await keyring.openText(current.secretSealed, endpointSecretPlace(orgId, endpointId));
  const secret = generateWebhookSecret();
  const now = clock.now();
  const graceEnds = new Date(now.getTime() + context.settings.rotationGraceHours * 3_600_000);
  await transaction
    .update(webhookEndpoints)
    .set({
      secretSealed: await keyring.seal(secret, endpointSecretPlace(orgId, endpointId)),
      secretHint: webhookSecretHint(secret),
      previousSecretSealed: await keyring.seal(oldSecret, previousSecretPlace(orgId, endpointId)),
      previousSecretExpiresAt: graceEnds,
      updatedAt: now,
    })
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, endpointId)));
  return { secret, previousSecretValidUntil: graceEnds.toISOString() };
}
