import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import {
  acceptedInvitationSchema,
  adminOrganisationListSchema,
  adminUserListSchema,
  invitationListSchema,
  invitationSchema,
  memberListSchema,
  memberSchema,
  organisationSchema,
  receivedInvitationListSchema,
  type RespondToInvitationRequest,
  type UpdateOrganisationRequest,
} from '../../contracts/organisations.ts';
import type { OrganisationRole, Permission } from '../../contracts/permissions.ts';
import { roleHasPermission } from '../../contracts/permissions.ts';
import type { MeResponse } from '../../contracts/identity.ts';
import { switchOrganisation } from './account.ts';
import { inOrganisation } from './organisation-scope.ts';
import { ACCOUNT_KEY } from './queries.ts';
import { apiCall } from './session.ts';

/**
 * Organisations, members, invitations and the platform admin console, as the web app calls them.
 * Organisation routes answer for the organisation the session is scoped to: every call here
 * switches first when needed (`inOrganisation`).
 */

const orgPath = (orgId: string) => `/api/orgs/${encodeURIComponent(orgId)}`;

/** The user's membership of `orgId`, or null. */
export function membershipOf(me: MeResponse | null | undefined, orgId: string) {
  return me?.memberships.find((membership) => membership.orgId === orgId) ?? null;
}

/** Whether the user's role in `orgId` allows `permission` (for showing controls; the server decides). */
export function can(me: MeResponse | null | undefined, orgId: string, permission: Permission): boolean {
  const membership = membershipOf(me, orgId);
  return membership !== null && roleHasPermission(membership.role, permission);
}

/** The organisation the sidebar shows: the one in the URL, else the session's, else the first. */
export function currentOrganisationId(me: MeResponse | null | undefined, pathOrgId: string | undefined) {
  if (!me || me.memberships.length === 0) return null;
  if (pathOrgId && membershipOf(me, pathOrgId)) return pathOrgId;
  if (me.activeOrgId && membershipOf(me, me.activeOrgId)) return me.activeOrgId;
  return me.memberships[0]!.orgId;
}

export const organisationQuery = (orgId: string) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'org', orgId],
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () => apiCall(orgPath(orgId), { parse: organisationSchema.parse, signal })),
  });

export const membersQuery = (orgId: string) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'org', orgId, 'members'],
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () => apiCall(`${orgPath(orgId)}/members`, { parse: memberListSchema.parse, signal })),
  });

export const invitationsQuery = (orgId: string) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'org', orgId, 'invitations'],
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () =>
        apiCall(`${orgPath(orgId)}/invitations`, { parse: invitationListSchema.parse, signal }),
      ),
  });

export const receivedInvitationsQuery = queryOptions({
  queryKey: [ACCOUNT_KEY, 'invitations'],
  queryFn: ({ signal }) => apiCall('/api/invitations', { parse: receivedInvitationListSchema.parse, signal }),
});

/** Creates an organisation (the caller becomes its admin) and scopes the session to it. */
export async function createOrganisation(name: string) {
  const organisation = await apiCall('/api/orgs', {
    method: 'POST',
    body: { name },
    parse: organisationSchema.parse,
  });
  await switchOrganisation(organisation.id);
  return organisation;
}

export function updateOrganisation(orgId: string, changes: UpdateOrganisationRequest) {
  return inOrganisation(orgId, () =>
    apiCall(orgPath(orgId), { method: 'PATCH', body: changes, parse: organisationSchema.parse }),
  );
}

export function deleteOrganisation(orgId: string, confirmName: string) {
  return inOrganisation(orgId, () =>
    apiCall(orgPath(orgId), {
      method: 'DELETE',
      body: { confirmName },
      parse: z.object({ deleted: z.literal(true) }).parse,
    }),
  );
}

export function leaveOrganisation(orgId: string) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/leave`, { method: 'POST', parse: z.object({ left: z.literal(true) }).parse }),
  );
}

export function changeMemberRole(orgId: string, userId: string, role: OrganisationRole) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/members/${encodeURIComponent(userId)}`, {
      method: 'PATCH',
      body: { role },
      parse: memberSchema.parse,
    }),
  );
}

export function removeMember(orgId: string, userId: string) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/members/${encodeURIComponent(userId)}`, {
      method: 'DELETE',
      parse: z.object({ removed: z.literal(true) }).parse,
    }),
  );
}

export function inviteMember(orgId: string, email: string, role: OrganisationRole) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/invitations`, { method: 'POST', body: { email, role }, parse: invitationSchema.parse }),
  );
}

export function resendInvitation(orgId: string, invitationId: string) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/invitations/${encodeURIComponent(invitationId)}/resend`, {
      method: 'POST',
      parse: invitationSchema.parse,
    }),
  );
}

export function revokeInvitation(orgId: string, invitationId: string) {
  return inOrganisation(orgId, () =>
    apiCall(`${orgPath(orgId)}/invitations/${encodeURIComponent(invitationId)}`, {
      method: 'DELETE',
      parse: invitationSchema.parse,
    }),
  );
}

export function acceptInvitation(request: RespondToInvitationRequest) {
  return apiCall('/api/invitations/accept', { method: 'POST', body: request, parse: acceptedInvitationSchema.parse });
}

export function declineInvitation(request: RespondToInvitationRequest) {
  return apiCall('/api/invitations/decline', { method: 'POST', body: request, parse: (body) => body });
}

// The invitation link's token, kept for this tab while the recipient signs in.

const PENDING_TOKEN_KEY = 'vigil.invitationToken';

export function rememberInvitationToken(token: string): void {
  try {
    window.sessionStorage.setItem(PENDING_TOKEN_KEY, token);
  } catch {
    // Storage unavailable: the link still carries the token.
  }
}

export function pendingInvitationToken(): string | null {
  try {
    return window.sessionStorage.getItem(PENDING_TOKEN_KEY);
  } catch {
    return null;
  }
}

export function forgetInvitationToken(): void {
  try {
    window.sessionStorage.removeItem(PENDING_TOKEN_KEY);
  } catch {
    // Nothing to forget.
  }
}

// Platform admin console

export type AdminListKind = 'organisations' | 'users';

function searchParams(q: string, cursor: string | null): string {
  const params = new URLSearchParams({ limit: '20' });
  if (q.trim()) params.set('q', q.trim());
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

export const adminOrganisationsQuery = (q: string, cursor: string | null) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'admin', 'organisations', q, cursor],
    queryFn: ({ signal }) =>
      apiCall(`/api/admin/organisations?${searchParams(q, cursor)}`, {
        parse: adminOrganisationListSchema.parse,
        signal,
      }),
  });

export const adminUsersQuery = (q: string, cursor: string | null) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'admin', 'users', q, cursor],
    queryFn: ({ signal }) =>
      apiCall(`/api/admin/users?${searchParams(q, cursor)}`, { parse: adminUserListSchema.parse, signal }),
  });

const changedSchema = z.object({ changed: z.boolean() });

export function setOrganisationSuspended(orgId: string, suspended: boolean, reason: string) {
  return apiCall(`/api/admin/organisations/${encodeURIComponent(orgId)}/${suspended ? 'suspend' : 'unsuspend'}`, {
    method: 'POST',
    body: suspended ? { reason } : undefined,
    parse: changedSchema.parse,
  });
}

export function setUserSuspended(userId: string, suspended: boolean, reason: string) {
  return apiCall(`/api/admin/users/${encodeURIComponent(userId)}/${suspended ? 'suspend' : 'unsuspend'}`, {
    method: 'POST',
    body: suspended ? { reason } : undefined,
    parse: changedSchema.parse,
  });
}

export function signUserOut(userId: string) {
  return apiCall(`/api/admin/users/${encodeURIComponent(userId)}/sign-out`, {
    method: 'POST',
    parse: z.object({ signedOut: z.literal(true) }).parse,
  });
}
