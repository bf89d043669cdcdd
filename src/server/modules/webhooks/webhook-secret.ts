import { randomBytes } from 'node:crypto';
import type { SealPlace } from '../../platform/crypto/keyring.ts';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks format). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What the API shows instead of the secret: enough to tell two secrets apart, 24 of 256 bits. */
export function webhookSecretHint(secret: string): string {
  return `whsec_…${secret.slice(-5, -1)}`;
}

export function endpointSecretPlace(orgId: string, endpointId: string): SealPlace {
  return { table: 'webhook_endpoints', column: 'secret_sealed', rowId: endpointId, orgId };
}

export function previousSecretPlace(orgId: string, endpointId: string): SealPlace {
  return { table: 'webhook_endpoints', column: 'previous_secret_sealed', rowId: endpointId, orgId };
}

export function customHeadersPlace(orgId: string, endpointId: string): SealPlace {
  return { table: 'webhook_endpoints', column: 'custom_headers_sealed', rowId: endpointId, orgId };
}
