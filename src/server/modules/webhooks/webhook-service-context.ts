import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Transaction } from '../../platform/db/database.ts';
import type { WebhookUrlPolicy } from './webhook-url-policy.ts';

/** What the endpoint services get: the request's tenant transaction and the module's dependencies. */
export type WebhookServiceContext = {
  orgId: string;
  transaction: Transaction;
  keyring: Pick<Keyring, 'seal' | 'openText'>;
  clock: Clock;
  policy: WebhookUrlPolicy;
  settings: Config['webhooks'];
};
