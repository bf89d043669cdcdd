import { outboxResponseSchema } from '../../../../contracts/identity.ts';
import type { Config } from '../../../config.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { type AnyRouteDefinition, defineRoute } from '../../../platform/http/define-route.ts';
import { listOutboxMessages } from './list-outbox-messages.ts';

const OUTBOX_PAGE = 50;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `GET /api/dev/outbox`: mail kept instead of sent, so someone running Vigil locally can follow
 * verification and reset links. It hands out working sign-in links for every account, so it
 * exists only in the development and test profiles and answers only requests from this machine
 * (a development server bound to 0.0.0.0 must not become an account-takeover service).
 */
export function devOutboxRoutes(options: {
  config: Pick<Config, 'profile'>;
  database: Database;
  keyring: Pick<Keyring, 'openText'>;
}): AnyRouteDefinition[] {
  if (options.config.profile !== 'development' && options.config.profile !== 'test') return [];
  return [
    defineRoute({
      method: 'GET',
      url: '/api/dev/outbox',
      summary: 'Development outbox: the newest 50 mails not sent through SMTP',
      description: 'Development and test profiles only, from loopback addresses only.',
      tags: ['development'],
      permission: 'public',
      audit: { optOut: 'development-only view of unsent mail; not registered in production' },
      schema: { responses: { 200: outboxResponseSchema } },
      handler: async ({ request, requestId }) => {
        if (!LOOPBACK.has(request.ip)) throw new AppError('not-found');
        const items = await listOutboxMessages({
          database: options.database,
          keyring: options.keyring,
          requestId,
          limit: OUTBOX_PAGE,
        });
        return { items };
      },
    }),
  ];
}
