// The checks `authorize()` makes, also for handlers that need the caller narrowed. On a correctly
// declared route they never throw in a handler (the pipeline has already refused the request);
// they guard a misdeclared route with the same answer the pipeline would have given.
import type { OrganisationRole } from '../../../contracts/permissions.ts';
import { AppError } from '../errors/app-error.ts';
import type { Caller } from './caller.ts';

/** The pipeline's own refusal of an anonymous caller (the route matrix tells it from a route's 401s). */
export const SIGN_IN_REQUIRED = 'Sign in to use this route.';

/** Any signed-in caller: 401 `unauthenticated` otherwise. */
export function requireSignedIn(caller: Caller | null): Caller {
  if (!caller) throw new AppError('unauthenticated', SIGN_IN_REQUIRED);
  return caller;
}

/**
 * A signed-in caller with a session (routes about "this session": sign-out, session list,
 * switching organisation). Callers without one (test or future non-session credentials) get 401.
 */
export function requireSession(caller: Caller | null): Caller & { sessionId: string } {
  const signedIn = requireSignedIn(caller);
  if (!signedIn.sessionId) throw new AppError('unauthenticated', SIGN_IN_REQUIRED);
  return signedIn as Caller & { sessionId: string };
}

/**
 * The caller's membership of `orgId` (the organisation the request is authorised for). Anyone
 * else gets 404, not 403: whether an organisation exists is itself information.
 */
export function requireMember(
  caller: Caller | null,
  orgId: string | null | undefined,
): { userId: string; orgId: string; role: OrganisationRole } {
  const { userId, membership } = requireSignedIn(caller);
  if (!orgId || !membership || membership.orgId !== orgId) throw new AppError('not-found');
  return { userId, orgId, role: membership.role };
}

/** A platform admin whose session passed TOTP: 403 `forbidden` otherwise. */
export function requirePlatformAdmin(caller: Caller | null): Caller {
  const signedIn = requireSignedIn(caller);
  if (!signedIn.platformAdmin) throw new AppError('forbidden', 'Platform administrators only.');
  // Every platform-admin request needs a session that passed TOTP.
  if (!signedIn.amr.includes('otp'))
    throw new AppError('forbidden', 'Platform routes need a session verified with MFA.');
  return signedIn;
}
