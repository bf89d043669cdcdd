/**
 * The role → permission matrix, shared by the server (which enforces it on every route) and the
 * web app (which only uses it to show or hide controls). Roles nest: viewer ⊂ builder ⊂ org_admin.
 * Platform admin is a flag on the user, outside organisations, and has only `platform:*`
 * permissions.
 */
export const organisationRoles = ['viewer', 'builder', 'org_admin'] as const;
export type OrganisationRole = (typeof organisationRoles)[number];

const viewerPermissions = ['org:read', 'deals:read', 'dashboards:read', 'apps:read'] as const;
const builderPermissions = [
  ...viewerPermissions,
  'apps:write',
  'apps:publish',
  'automations:manage',
  'webhooks:manage',
  'integrations:manage',
] as const;
const orgAdminPermissions = [
  ...builderPermissions,
  'org:manage',
  'members:manage',
  'audit:read',
  'ai:manage',
  'org:delete',
] as const;
const platformAdminPermissions = [
  'platform:organisations',
  'platform:users',
  'platform:audit',
  'platform:keys',
  'platform:backups',
  /** Reading an organisation's deals under its org admin's time-boxed support access grant. */
  'platform:support',
] as const;

export const rolePermissions = {
  viewer: viewerPermissions,
  builder: builderPermissions,
  org_admin: orgAdminPermissions,
} as const satisfies Record<OrganisationRole, readonly string[]>;

export type OrganisationPermission = (typeof orgAdminPermissions)[number];
export type PlatformPermission = (typeof platformAdminPermissions)[number];
export type Permission = OrganisationPermission | PlatformPermission;
export const allPermissions: readonly Permission[] = [...orgAdminPermissions, ...platformAdminPermissions];
export const platformPermissions: readonly PlatformPermission[] = platformAdminPermissions;

export function isPlatformPermission(permission: Permission): permission is PlatformPermission {
  return (platformAdminPermissions as readonly string[]).includes(permission);
}

export function roleHasPermission(role: OrganisationRole, permission: Permission): boolean {
  return (rolePermissions[role] as readonly string[]).includes(permission);
}
