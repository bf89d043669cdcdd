import { z } from 'zod';
import { listDealsQuerySchema } from '../../../contracts/deals.ts';
import {
  grantSupportAccessRequestSchema,
  revokeSupportAccessResponseSchema,
  supportAccessGrantSchema,
  supportAccessStatusSchema,
  supportDealsSchema,
} from '../../../contracts/support-access.ts';
import type { Caller } from '../../platform/authz/caller.ts';
import { requireSignedIn } from '../../platform/authz/require-caller.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import type { AuditActor } from '../audit/append-audit-event.ts';
import { grantSupportAccess, supportAccessGrantedMetadata } from './grant-support-access.ts';
import { readSupportDeals } from './read-support-deals.ts';
import { revokeSupportAccess } from './revoke-support-access.ts';
import { settleSupportAccess, settleSupportAccessAlone } from './settle-support-access.ts';
import { GRANT_TARGET, type SupportAccessContext } from './support-access-context.ts';
import { supportAccessGrantView } from './support-access-view.ts';

const orgParams = z.object({ orgId: z.uuid() });

/** The pipeline's audit actor, with the user id the caller check guarantees. */
function actorOf(audit: { currentActor(): AuditActor }, caller: Caller | null): AuditActor & { userId: string } {
  return { ...audit.currentActor(), userId: requireSignedIn(caller).userId };
}

/**
 * Support access: the organisation's admins grant, inspect and revoke it (organisation routes);
 * the platform's admins read the organisation's deals under it (console routes). Everything that
 * changes or uses a grant is audited on the organisation's chain and on the platform chain.
 */
export function supportAccessRoutes(context: SupportAccessContext): AnyRouteDefinition[] {
  const { clock, requireStepUp, database } = context;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/support-access',
      summary: 'The active support access grant, if any',
      tags: ['support access'],
      permission: 'org:manage',
      audit: { optOut: 'reading the grant; a lapsed grant’s expiry is audited by the settlement itself' },
      schema: { params: orgParams, responses: { 200: supportAccessStatusSchema } },
      handler: ({ params, requestId, tenant }) =>
        tenant(async (transaction) => {
          const active = await settleSupportAccess(transaction, { orgId: params.orgId, now: clock.now(), requestId });
          return { active: active ? await supportAccessGrantView(transaction, active) : null };
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/orgs/:orgId/support-access',
      summary: 'Grant the platform’s admins read access to the deals for a while',
      description:
        'Org admins only, with a recent second factor (step-up) when MFA is on. Lets platform administrators read the organisation’s deals (read-only, never secrets) for `durationHours` (1–72, default 24). Granting again replaces the active grant (new reason, new expiry from now). Audited on the organisation’s and the platform’s chains.',
      tags: ['support access'],
      permission: 'org:manage',
      audit: { action: 'support_access.granted', sensitive: true },
      schema: {
        params: orgParams,
        body: grantSupportAccessRequestSchema,
        responses: { 201: supportAccessGrantSchema },
      },
      handler: async ({ params, body, caller, requestId, tenant, reply, audit }) => {
        await requireStepUp(requireSignedIn(caller));
        const grant = await tenant(async (transaction) => {
          const granted = await grantSupportAccess({
            transaction,
            orgId: params.orgId,
            actor: actorOf(audit, caller),
            durationHours: body.durationHours,
            reason: body.reason,
            now: clock.now(),
            requestId,
          });
          audit.target(GRANT_TARGET, granted.grant.id);
          audit.metadata(supportAccessGrantedMetadata(granted.grant, granted.replacedGrantId, body.durationHours));
          return supportAccessGrantView(transaction, granted.grant);
        });
        reply.code(201);
        return grant;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/orgs/:orgId/support-access',
      summary: 'Revoke support access now',
      description:
        'Ends the active grant at once: the platform admins’ next read is refused. Idempotent (`revoked: false` when nothing was active).',
      tags: ['support access'],
      permission: 'org:manage',
      audit: { action: 'support_access.revoked', sensitive: true },
      schema: { params: orgParams, responses: { 200: revokeSupportAccessResponseSchema } },
      handler: async ({ params, caller, requestId, tenant, audit }) =>
        tenant(async (transaction) => {
          const { revokedGrantId } = await revokeSupportAccess({
            transaction,
            orgId: params.orgId,
            actor: actorOf(audit, caller),
            now: clock.now(),
            requestId,
          });
          if (revokedGrantId) audit.target(GRANT_TARGET, revokedGrantId);
          audit.metadata({ grantId: revokedGrantId, revoked: revokedGrantId !== null });
          return { revoked: revokedGrantId !== null };
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/admin/organisations/:orgId/support/deals',
      summary: 'Read an organisation’s deals under its support access grant',
      description:
        'Platform admins (MFA session), only while the organisation’s admins have granted support access: otherwise 403 `support-access-required`. Read-only, deals only — never integration tokens, webhook secrets or AI keys. Every read is audited on the organisation’s chain and the platform chain with the admin and the grant.',
      tags: ['admin', 'support access'],
      permission: 'platform:support',
      audit: { action: 'support_access.deals_read', sensitive: true },
      schema: { params: orgParams, query: listDealsQuerySchema, responses: { 200: supportDealsSchema } },
      handler: async ({ params, query, caller, requestId, platform, audit }) => {
        const admin = actorOf(audit, caller);
        audit.target('organisation', params.orgId);
        // A lapsed grant's expiry is recorded (and committed) before the read is refused.
        await settleSupportAccessAlone({
          database,
          orgId: params.orgId,
          userId: admin.userId,
          now: clock.now(),
          requestId,
        });
        return platform(async (transaction) => {
          const result = await readSupportDeals({
            transaction,
            orgId: params.orgId,
            admin,
            now: clock.now(),
            limit: query.limit,
            cursor: query.cursor,
            requestId,
          });
          audit.metadata({ grantId: result.grant.id, adminId: admin.userId, deals: result.deals.items.length });
          return result;
        });
      },
    }),
  ];
}
