import { z } from 'zod';
import { emailSchema } from './identity.ts';
import { type OrganisationRole, organisationRoles } from './permissions.ts';

/**
 * Organisations, members and invitations: the shapes the API and the web app share.
 */

/** Roles by rank: nobody may grant a role above their own. */
export const roleRank: Readonly<Record<OrganisationRole, number>> = { viewer: 1, builder: 2, org_admin: 3 };

export const roleLabels: Readonly<Record<OrganisationRole, string>> = {
  viewer: 'Viewer',
  builder: 'Builder',
  org_admin: 'Admin',
};

export const roleDescriptions: Readonly<Record<OrganisationRole, string>> = {
  viewer: 'Sees deals, dashboards and published apps.',
  builder: 'Also builds apps and automations, and manages integrations and webhooks.',
  org_admin: 'Also manages members, settings, AI keys and the audit log.',
};

const organisationName = z.string().trim().min(1, 'Enter a name').max(200);
/** IANA time zone names, e.g. `Europe/Berlin` (checked against the runtime's list on the server). */
const timeZone = z
  .string()
  .min(1)
  .max(64)
  // Letters first, then letters, digits and `_ + - /`; the server also checks its zone list.
  .regex(/^[A-Za-z_][A-Za-z0-9_+/-]*$/, 'Use an IANA time zone such as Europe/Berlin');

export const organisationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  timezone: z.string(),
  riskAlertThreshold: z.number().int(),
  isDemo: z.boolean(),
  suspended: z.boolean(),
  createdAt: z.iso.datetime(),
  memberCount: z.number().int(),
});
export type OrganisationView = z.infer<typeof organisationSchema>;

export const createOrganisationRequestSchema = z.object({ name: organisationName });

export const updateOrganisationRequestSchema = z
  .object({
    name: organisationName.optional(),
    timezone: timeZone.optional(),
    riskAlertThreshold: z.number().int().min(1).max(100).optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'Change at least one setting' });
export type UpdateOrganisationRequest = z.infer<typeof updateOrganisationRequestSchema>;

export const deleteOrganisationRequestSchema = z.object({
  /** The organisation's name, typed by the person deleting it. */
  confirmName: z.string().max(200),
});

export const memberSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  role: z.enum(organisationRoles),
  joinedAt: z.iso.datetime(),
  mfaEnabled: z.boolean(),
});
export type MemberView = z.infer<typeof memberSchema>;
export const memberListSchema = z.object({ items: z.array(memberSchema) });

export const changeRoleRequestSchema = z.object({ role: z.enum(organisationRoles) });

export const invitationStatuses = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(organisationRoles),
  status: z.enum(invitationStatuses),
  invitedBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type InvitationView = z.infer<typeof invitationSchema>;
export const invitationListSchema = z.object({ items: z.array(invitationSchema) });

export const inviteRequestSchema = z.object({ email: emailSchema, role: z.enum(organisationRoles) });

/** An invitation as its recipient sees it. */
export const receivedInvitationSchema = z.object({
  id: z.uuid(),
  orgId: z.uuid(),
  orgName: z.string(),
  role: z.enum(organisationRoles),
  invitedByEmail: z.string().nullable(),
  expiresAt: z.iso.datetime(),
});
export type ReceivedInvitation = z.infer<typeof receivedInvitationSchema>;
export const receivedInvitationListSchema = z.object({ items: z.array(receivedInvitationSchema) });

/** From the invitation email's link; or by id, for an invitation listed to its recipient. */
export const respondToInvitationRequestSchema = z.union([
  z.object({ token: z.string().min(20).max(200) }),
  z.object({ invitationId: z.uuid() }),
]);
export type RespondToInvitationRequest = z.infer<typeof respondToInvitationRequestSchema>;

export const acceptedInvitationSchema = z.object({
  orgId: z.uuid(),
  orgName: z.string(),
  role: z.enum(organisationRoles),
});

// Platform admin console

const searchQuery = z.object({
  q: z.string().trim().max(200).optional().describe('Matches name/slug (organisations) or email (users)'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
});
export const adminSearchQuerySchema = searchQuery;

export const adminOrganisationSchema = organisationSchema.extend({
  suspendedAt: z.iso.datetime().nullable(),
  /** The organisation's active support access grant (its id and expiry), or null. */
  supportAccess: z.object({ grantId: z.uuid(), expiresAt: z.iso.datetime() }).nullable(),
});
export const adminOrganisationListSchema = z.object({
  items: z.array(adminOrganisationSchema),
  nextCursor: z.string().nullable(),
});
export type AdminOrganisationView = z.infer<typeof adminOrganisationSchema>;

export const adminUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  emailVerified: z.boolean(),
  platformAdmin: z.boolean(),
  mfaEnabled: z.boolean(),
  suspendedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  activeSessions: z.number().int(),
});
export type AdminUserView = z.infer<typeof adminUserSchema>;
export const adminUserListSchema = z.object({ items: z.array(adminUserSchema), nextCursor: z.string().nullable() });

export const suspendRequestSchema = z.object({ reason: z.string().trim().min(3).max(500) });
