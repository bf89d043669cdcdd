import { isPlatformPermission, type Permission, roleHasPermission } from '../../../contracts/permissions.ts';
import { AppError } from '../errors/app-error.ts';
import type { Caller } from './caller.ts';

/**
 * `public`: anyone. `self`: any signed-in caller, acting on their own account (no organisation).
 * Anything else: a permission from the matrix.
 */
/** The pipeline's own refusal of an anonymous caller (the route matrix tells it from a route's 401s). */
export const SIGN_IN_REQUIRED = 'Sign in to use this route.';

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
  if (!caller) throw new AppError('unauthenticated', SIGN_IN_REQUIRED);
  if (permission === 'self') return { orgId: null };
  if (isPlatformPermission(permission)) {
    if (!caller.platformAdmin) throw new AppError('forbidden', 'Platform administrators only.');
    // Every platform-admin request needs a session that passed TOTP.
    if (!caller.amr.includes('otp'))
      throw new AppError('forbidden', 'Platform routes need a session verified with MFA.');
    return { orgId: null };
  }
  if (!pathOrgId || !caller.membership || caller.membership.orgId !== pathOrgId) {
    throw new AppError('not-found');
  }
  if (!roleHasPermission(caller.membership.role, permission)) {
    throw new AppError('forbidden', `Your role (${caller.membership.role}) does not allow ${permission}.`);
  }
  return { orgId: pathOrgId };
}
