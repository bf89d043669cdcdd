import { z } from 'zod';
import {
  acceptedInvitationSchema,
  changeRoleRequestSchema,
  createOrganisationRequestSchema,
  deleteOrganisationRequestSchema,
  invitationListSchema,
  invitationSchema,
  inviteRequestSchema,
  memberListSchema,
  memberSchema,
  organisationSchema,
  receivedInvitationListSchema,
  respondToInvitationRequestSchema,
  updateOrganisationRequestSchema,
} from '../../../contracts/organisations.ts';
import { requireMember, requireSignedIn } from '../../platform/authz/require-caller.ts';
import { type AnyRouteDefinition, defineRoute } from '../../platform/http/define-route.ts';
import { changeMemberRole, removeMember } from './change-membership.ts';
import { createOrganisation } from './create-organisation.ts';
import { deleteOrganisation, prepareOrganisationDeletion } from './delete-organisation.ts';
import { inviteMember, listInvitations, resendInvitation, revokeInvitation } from './invite-member.ts';
import { listMembers } from './list-members.ts';
import type { OrganisationContext } from './organisation-context.ts';
import { readOrganisation } from './read-organisation.ts';
import { listReceivedInvitations, respondToInvitation } from './respond-to-invitation.ts';
import { updateOrganisation } from './update-organisation.ts';

const orgParams = z.object({ orgId: z.uuid() });
const memberParams = z.object({ orgId: z.uuid(), userId: z.uuid() });
const invitationParams = z.object({ orgId: z.uuid(), invitationId: z.uuid() });

/**
 * Organisations, their members and invitations. Organisation routes run in the organisation's
 * transaction (row-level security as the backstop); the invitee's routes are `self` routes that
 * step into the invitation's organisation only after row-level security has shown the invitation
 * is addressed to the caller.
 */
export function organisationRoutes(context: OrganisationContext): AnyRouteDefinition[] {
  const { clock, accessChanged } = context;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/orgs',
      summary: 'Create an organisation (you become its admin)',
      tags: ['organisations'],
      permission: 'self',
      audit: { action: 'organisation.created' },
      schema: { body: createOrganisationRequestSchema, responses: { 201: organisationSchema } },
      handler: async ({ body, caller, requestId, platform, reply, audit }) => {
        const organisation = await platform(async (transaction) => {
          const created = await createOrganisation({
            transaction,
            clock,
            userId: requireSignedIn(caller).userId,
            name: body.name,
            actor: audit.currentActor(),
            requestId,
          });
          audit.target('organisation', created.id);
          return created;
        });
        reply.code(201);
        return organisation;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId',
      summary: 'The organisation and its settings',
      tags: ['organisations'],
      permission: 'org:read',
      audit: { optOut: 'reading settings' },
      schema: { params: orgParams, responses: { 200: organisationSchema } },
      handler: ({ params, tenant }) => tenant((transaction) => readOrganisation(transaction, params.orgId)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/orgs/:orgId',
      summary: 'Rename the organisation or change its settings',
      tags: ['organisations'],
      permission: 'org:manage',
      audit: { action: 'organisation.updated' },
      schema: { params: orgParams, body: updateOrganisationRequestSchema, responses: { 200: organisationSchema } },
      handler: async ({ params, body, tenant, audit }) => {
        audit.target('organisation', params.orgId);
        return tenant(async (transaction) => {
          const { organisation, changed } = await updateOrganisation({
            transaction,
            clock,
            orgId: params.orgId,
            changes: body,
          });
          audit.metadata({ changed });
          return organisation;
        });
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/orgs/:orgId',
      summary: 'Delete the organisation and all its data',
      description:
        'Org admins only, with a recent second factor (step-up) when MFA is on and the organisation’s name typed in `confirmName`. Every tenant row goes in one transaction; connected providers’ tokens are revoked first. Audit events stay: the organisation’s chain (now naming an unknown id) and `organisation.deleted` on the platform chain.',
      tags: ['organisations'],
      permission: 'org:delete',
      audit: { action: 'organisation.deleted', sensitive: true },
      schema: {
        params: orgParams,
        body: deleteOrganisationRequestSchema,
        responses: { 200: z.object({ deleted: z.literal(true) }) },
      },
      handler: async ({ params, body, caller, requestId, tenant, audit }) => {
        audit.target('organisation', params.orgId);
        await prepareOrganisationDeletion({
          context,
          caller: requireSignedIn(caller),
          orgId: params.orgId,
          confirmName: body.confirmName,
          requestId,
        });
        const { memberUserIds } = await tenant((transaction) =>
          deleteOrganisation({
            context,
            transaction,
            orgId: params.orgId,
            confirmName: body.confirmName,
            actor: audit.currentActor(),
            requestId,
          }),
        );
        accessChanged({ orgId: params.orgId });
        for (const userId of memberUserIds) accessChanged({ userId, orgId: params.orgId });
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/members',
      summary: 'List the members and their roles',
      tags: ['members'],
      permission: 'members:manage',
      audit: { optOut: 'reading the member list' },
      schema: { params: orgParams, responses: { 200: memberListSchema } },
      handler: async ({ params, tenant }) => ({
        items: await tenant((transaction) => listMembers(transaction, params.orgId)),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/orgs/:orgId/members/:userId',
      summary: 'Change a member’s role',
      description:
        'Nobody grants a role above their own; the last admin cannot be demoted (409). Takes effect on the member’s next request.',
      tags: ['members'],
      permission: 'members:manage',
      audit: { action: 'member.role_changed', sensitive: true },
      schema: { params: memberParams, body: changeRoleRequestSchema, responses: { 200: memberSchema } },
      handler: async ({ params, body, caller, tenant, audit }) => {
        audit.target('user', params.userId);
        const updated = await tenant(async (transaction) => {
          const change = await changeMemberRole({
            transaction,
            orgId: params.orgId,
            callerRole: requireMember(caller, params.orgId).role,
            userId: params.userId,
            role: body.role,
          });
          audit.metadata(change);
          const members = await listMembers(transaction, params.orgId);
          return members.find((candidate) => candidate.userId === params.userId);
        });
        accessChanged({ userId: params.userId, orgId: params.orgId });
        return updated;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/orgs/:orgId/members/:userId',
      summary: 'Remove a member',
      description: 'Their access to the organisation ends at once. The last admin cannot be removed (409).',
      tags: ['members'],
      permission: 'members:manage',
      audit: { action: 'member.removed', sensitive: true },
      schema: { params: memberParams, responses: { 200: z.object({ removed: z.literal(true) }) } },
      handler: async ({ params, caller, tenant, audit }) => {
        audit.target('user', params.userId);
        const { userId: callerId, role: callerRole } = requireMember(caller, params.orgId);
        await tenant(async (transaction) => {
          const { role } = await removeMember({
            transaction,
            orgId: params.orgId,
            callerRole,
            callerId,
            userId: params.userId,
          });
          audit.metadata({ role });
        });
        accessChanged({ userId: params.userId, orgId: params.orgId });
        return { removed: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/orgs/:orgId/leave',
      summary: 'Leave the organisation',
      description: 'The last admin cannot leave (409): make someone else an admin, or delete the organisation.',
      tags: ['members'],
      permission: 'org:read',
      audit: { action: 'member.left' },
      schema: { params: orgParams, responses: { 200: z.object({ left: z.literal(true) }) } },
      handler: async ({ params, caller, tenant, audit }) => {
        const { userId, role } = requireMember(caller, params.orgId);
        audit.target('user', userId);
        await tenant((transaction) =>
          removeMember({ transaction, orgId: params.orgId, callerRole: role, callerId: userId, userId }),
        );
        accessChanged({ userId, orgId: params.orgId });
        return { left: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/invitations',
      summary: 'List invitations (open ones and recent history)',
      tags: ['members'],
      permission: 'members:manage',
      audit: { optOut: 'reading invitations' },
      schema: { params: orgParams, responses: { 200: invitationListSchema } },
      handler: async ({ params, tenant }) => ({
        items: await tenant((transaction) => listInvitations(transaction, params.orgId, clock.now())),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/orgs/:orgId/invitations',
      summary: 'Invite someone by email with a role',
      description:
        'Sends a single-use link (7 days). Re-inviting an address replaces its open invitation; inviting a member is 409; a role above your own is 403.',
      tags: ['members'],
      permission: 'members:manage',
      audit: { action: 'invitation.created' },
      schema: { params: orgParams, body: inviteRequestSchema, responses: { 201: invitationSchema } },
      handler: async ({ params, body, caller, tenant, reply, audit }) => {
        audit.metadata({ role: body.role });
        const inviter = requireMember(caller, params.orgId);
        const { invitation, mail } = await tenant(async (transaction) => {
          const created = await inviteMember({
            context,
            transaction,
            orgId: params.orgId,
            inviterId: inviter.userId,
            inviterRole: inviter.role,
            email: body.email,
            role: body.role,
          });
          audit.target('invitation', created.invitation.id);
          return created;
        });
        await context.mailer.sendMail(mail);
        reply.code(201);
        return invitation;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/orgs/:orgId/invitations/:invitationId/resend',
      summary: 'Send an invitation again (new link, new expiry)',
      tags: ['members'],
      permission: 'members:manage',
      audit: { action: 'invitation.resent' },
      schema: { params: invitationParams, responses: { 200: invitationSchema } },
      handler: async ({ params, caller, tenant, audit }) => {
        audit.target('invitation', params.invitationId);
        const inviter = requireMember(caller, params.orgId);
        const { invitation, mail } = await tenant((transaction) =>
          resendInvitation({
            context,
            transaction,
            orgId: params.orgId,
            inviterId: inviter.userId,
            inviterRole: inviter.role,
            invitationId: params.invitationId,
          }),
        );
        await context.mailer.sendMail(mail);
        return invitation;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/orgs/:orgId/invitations/:invitationId',
      summary: 'Withdraw an open invitation',
      tags: ['members'],
      permission: 'members:manage',
      audit: { action: 'invitation.revoked' },
      schema: { params: invitationParams, responses: { 200: invitationSchema } },
      handler: async ({ params, tenant, audit }) => {
        audit.target('invitation', params.invitationId);
        return tenant((transaction) =>
          revokeInvitation({ transaction, orgId: params.orgId, invitationId: params.invitationId, now: clock.now() }),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/invitations',
      summary: 'Open invitations addressed to you',
      tags: ['members'],
      permission: 'self',
      audit: { optOut: 'reading your own invitations' },
      schema: { responses: { 200: receivedInvitationListSchema } },
      handler: async ({ caller, platform }) => ({
        items: await platform((transaction) =>
          listReceivedInvitations(transaction, { userId: requireSignedIn(caller).userId, now: clock.now() }),
        ),
      }),
    }),
    ...(['accept', 'decline'] as const).map((verb) =>
      defineRoute({
        method: 'POST',
        url: `/api/invitations/${verb}`,
        summary: verb === 'accept' ? 'Accept an invitation' : 'Decline an invitation',
        description:
          'With the `token` from the invitation email, or the `invitationId` from GET /api/invitations. Only the account whose verified email the invitation was sent to can use it; anyone else gets 404.',
        tags: ['members'],
        permission: 'self',
        audit: { action: verb === 'accept' ? 'invitation.accepted' : 'invitation.declined', sensitive: true },
        rateLimit: { policy: 'auth' },
        schema: {
          body: respondToInvitationRequestSchema,
          responses: { 200: verb === 'accept' ? acceptedInvitationSchema : z.object({ declined: z.literal(true) }) },
        },
        handler: async ({ body, caller, requestId, platform, audit }) => {
          const result = await platform((transaction) =>
            respondToInvitation({
              transaction,
              userId: requireSignedIn(caller).userId,
              request: body,
              accept: verb === 'accept',
              actor: audit.currentActor(),
              requestId,
              now: clock.now(),
            }).then((outcome) => {
              audit.target('invitation', outcome.invitationId);
              audit.metadata({ orgId: outcome.orgId, role: outcome.role });
              return outcome;
            }),
          );
          if (verb === 'decline') return { declined: true as const };
          accessChanged({ userId: requireSignedIn(caller).userId, orgId: result.orgId });
          return { orgId: result.orgId, orgName: result.orgName, role: result.role };
        },
      }),
    ),
  ];
}
