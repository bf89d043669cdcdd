import { AppError } from '../../platform/errors/app-error.ts';
import { resolveWebhookTarget, type WebhookUrlPolicy, WebhookUrlRejected } from './webhook-url-policy.ts';

/**
 * Save-time URL check, the same policy the connector applies at every connection: a URL that is
 * refused now would be refused at delivery anyway. A name that does not resolve yet is accepted
 * (the receiver may not be deployed); it is checked again at each connection.
 */
export async function checkEndpointUrl(url: string, policy: WebhookUrlPolicy): Promise<string> {
  try {
    return (await resolveWebhookTarget(url, policy)).url.toString();
  } catch (error) {
    if (!(error instanceof WebhookUrlRejected)) throw error;
    if (error.kind === 'dns') return new URL(url).toString();
    throw new AppError('validation-failed', 'The endpoint URL is not allowed.', {
      errors: [{ pointer: '/body/url', message: error.message }],
    });
  }
}
