import { z } from 'zod';
import {
  adminOrganisationListSchema,
  adminSearchQuerySchema,
  adminUserListSchema,
  suspendRequestSchema,
} from '../../../contracts/organisations.ts';
import { requirePlatformAdmin } from '../../platform/authz/require-caller.ts';
import type { Clock } from '../../platform/clock.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import type { AccessChanged } from '../organisations/organisation-context.ts';
import { searchOrganisations } from './search-organisations.ts';
import { searchUsers } from './search-users.ts';
import { requireUserExists, setOrganisationSuspended, setUserSuspended } from './suspend-account.ts';

export type AdminRoutesDependencies = {
  clock: Clock;
  /** A recent second factor (step-up) for the caller's session. */
  requireStepUp(caller: { userId: string; sessionId: string | null }): Promise<void>;
  revokeAllSessions(options: { userId: string; reason: string }): Promise<void>;
  accessChanged: AccessChanged;
};

const orgParams = z.object({ orgId: z.uuid() });
const userParams = z.object({ userId: z.uuid() });
const changedSchema = z.object({ changed: z.boolean() });

/**
 * The platform admin console: organisations and users (platform metadata only — no deal data,
 * no secrets), suspension and forced sign-out. The pipeline already demands a platform admin whose
 * session passed MFA; suspension also needs a fresh second factor (step-up).
 */
export function adminRoutes(dependencies: AdminRoutesDependencies): AnyRouteDefinition[] {
  const { clock, requireStepUp, revokeAllSessions, accessChanged } = dependencies;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/admin/organisations',
      summary: 'Search organisations',
      tags: ['admin'],
      permission: 'platform:organisations',
      audit: { optOut: 'reading platform metadata' },
      schema: { query: adminSearchQuerySchema, responses: { 200: adminOrganisationListSchema } },
      handler: ({ query, platform }) =>
        platform((transaction) => searchOrganisations(transaction, { ...query, now: clock.now() })),
    }),
    ...([true, false] as const).map((suspended) =>
      defineRoute({
        method: 'POST',
        url: `/api/admin/organisations/:orgId/${suspended ? 'suspend' : 'unsuspend'}`,
        summary: suspended ? 'Suspend an organisation' : 'Lift an organisation’s suspension',
        description: suspended
          ? 'No member can use the organisation until it is unsuspended (their next request is refused). Needs step-up.'
          : undefined,
        tags: ['admin'],
        permission: 'platform:organisations',
        audit: { action: suspended ? 'organisation.suspended' : 'organisation.unsuspended', sensitive: true },
        schema: {
          params: orgParams,
          ...(suspended ? { body: suspendRequestSchema } : {}),
          responses: { 200: changedSchema },
        },
        handler: async ({ params, body, caller, platform, audit }) => {
          audit.target('organisation', params.orgId);
          if (body) audit.metadata({ reason: (body as { reason: string }).reason });
          await requireStepUp(requirePlatformAdmin(caller));
          const result = await platform((transaction) =>
            setOrganisationSuspended({ transaction, clock, orgId: params.orgId, suspended }),
          );
          accessChanged({ orgId: params.orgId });
          return result;
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/api/admin/users',
      summary: 'Search users',
      tags: ['admin'],
      permission: 'platform:users',
      audit: { optOut: 'reading platform metadata' },
      schema: { query: adminSearchQuerySchema, responses: { 200: adminUserListSchema } },
      handler: ({ query, platform }) =>
        platform((transaction) => searchUsers(transaction, { ...query, now: clock.now() })),
    }),
    ...([true, false] as const).map((suspended) =>
      defineRoute({
        method: 'POST',
        url: `/api/admin/users/:userId/${suspended ? 'suspend' : 'unsuspend'}`,
        summary: suspended ? 'Suspend a user (ends every session at once)' : 'Lift a user’s suspension',
        tags: ['admin'],
        permission: 'platform:users',
        audit: { action: suspended ? 'user.suspended' : 'user.unsuspended', sensitive: true },
        schema: {
          params: userParams,
          ...(suspended ? { body: suspendRequestSchema } : {}),
          responses: { 200: changedSchema },
        },
        handler: async ({ params, body, caller, platform, audit }) => {
          audit.target('user', params.userId);
          if (body) audit.metadata({ reason: (body as { reason: string }).reason });
          await requireStepUp(requirePlatformAdmin(caller));
          const result = await platform((transaction) =>
            setUserSuspended({
              transaction,
              clock,
              actorId: requirePlatformAdmin(caller).userId,
              userId: params.userId,
              suspended,
            }),
          );
          if (suspended) await revokeAllSessions({ userId: params.userId, reason: 'suspended' });
          accessChanged({ userId: params.userId });
          return result;
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      url: '/api/admin/users/:userId/sign-out',
      summary: 'Sign a user out everywhere',
      tags: ['admin'],
      permission: 'platform:users',
      audit: { action: 'user.signed_out_by_admin', sensitive: true },
      schema: { params: userParams, responses: { 200: z.object({ signedOut: z.literal(true) }) } },
      handler: async ({ params, caller, platform, audit }) => {
        audit.target('user', params.userId);
        await requireStepUp(requirePlatformAdmin(caller));
        // An unknown id is the caller's mistake, not a sign-out of nobody.
        await platform((transaction) => requireUserExists(transaction, params.userId));
        await revokeAllSessions({ userId: params.userId, reason: 'admin_sign_out' });
        accessChanged({ userId: params.userId });
        return { signedOut: true as const };
      },
    }),
  ];
}
