import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` where the
 * key is the base64-decoded part of `whsec_<base64>` and the timestamp is in whole seconds. The
 * body must be the exact bytes sent. Several secrets (rotation) give a space-separated list.
 */
export function signWebhook(options: {
  secrets: readonly string[];
  id: string;
  timestamp: number;
  body: string;
}): string {
  return options.secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
      const mac = createHmac('sha256', key)
        .update(`${options.id}.${options.timestamp}.${options.body}`)
        .digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
