import { isPlatformPermission, type Permission, roleHasPermission } from '../../../contracts/permissions.ts';
import { AppError } from '../errors/app-error.ts';
import type { Caller } from './caller.ts';
import { requireMember, requirePlatformAdmin, requireSignedIn } from './require-caller.ts';

/**
 * `public`: anyone. `self`: any signed-in caller, acting on their own account (no organisation).
 * Anything else: a permission from the matrix.
 */
export type RoutePermission = Permission | 'public' | 'self';

/**
 * Decides whether `caller` may use a route declaring `permission`, for the organisation named in
 * the path (if any). Returns the organisation id the request is scoped to.
 *
 * A caller asking for another organisation's resources gets 404, not 403: whether an
 * organisation id exists is itself information another tenant must not learn.
 */
export function authorize(options: {
  permission: RoutePermission;
  caller: Caller | null;
  pathOrgId: string | undefined;
}): { orgId: string | null } {
  const { permission, caller, pathOrgId } = options;
  if (permission === 'public') return { orgId: null };
  requireSignedIn(caller);
  if (permission === 'self') return { orgId: null };
  if (isPlatformPermission(permission)) {
    requirePlatformAdmin(caller);
    return { orgId: null };
  }
  const { orgId, role } = requireMember(caller, pathOrgId);
  if (!roleHasPermission(role, permission)) {
    throw new AppError('forbidden', `Your role (${role}) does not allow ${permission}.`);
  }
  return { orgId };
}
